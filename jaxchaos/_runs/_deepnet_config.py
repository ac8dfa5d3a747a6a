"""The `deep-net` job's config: its schema and checks, in pure Python (a config error never
waits for JAX), and the run's size estimate (`sizes`). The job itself is `_deepnet_job`."""

from .._core._errors import ConfigError, check_choice, check_real
from ._config import NUMBER, check_type, item_bytes, resolve_tables

FIGURE_BYTES = 2**20  # a generous bound on one figure (PNG at 120 dpi) and its summary entry
FIGURE_COUNT = 6  # the figures of `_deepnet_job.FIGURES`

_SCHEMA = {
    "network": {"width": (1000, int), "depth": (30, int), "sigma_b": (0.3, NUMBER),
                "seed": (0, int)},
    "figures": {
        "sigma_w_panels": ([1.0, 2.0, 4.0], list),   # ordered ... chaotic
        "q0": ([0.1, 1.0, 4.0, 9.0], list),          # starting q of the length-map panel
        "grid_sigma_w": (15, int),
        "grid_sigma_b": (9, int),
        "circle_points": (256, int),
        "depth_scale_sigma_w": ([1.0, 1.2, 1.3, 1.5, 1.7, 2.0, 2.5], list),
        "shallow_deep_width": (100, int),
    },
    "output": {"root": ("runs", str), "precision": ("float64", str)},
}


def resolve_deep_net_config(raw: dict) -> dict:
    """Fill defaults and check every key of a deep-net config; `ConfigError` names the key."""
    config = resolve_tables(raw, _SCHEMA, "deep_signal_propagation")
    network, figures = config["network"], config["figures"]
    for key in ("width", "depth"):
        check_real(f"network.{key}", network[key], positive=True)
    if network["depth"] < 3:
        raise ConfigError(f"network.depth must be at least 3, got {network['depth']}")
    check_real("network.sigma_b", network["sigma_b"], nonnegative=True)
    for key in ("sigma_w_panels", "q0", "depth_scale_sigma_w"):
        if not figures[key]:
            raise ConfigError(f"figures.{key} must not be empty")
        for value in figures[key]:
            check_type(f"figures.{key} entries", value, NUMBER)
            check_real(f"figures.{key} entries", value, positive=True)
    for key in ("grid_sigma_w", "grid_sigma_b"):
        if figures[key] < 2:
            raise ConfigError(f"figures.{key} must be at least 2, got {figures[key]}")
    if figures["shallow_deep_width"] < 2:
        raise ConfigError(f"figures.shallow_deep_width must be at least 2, got "
                          f"{figures['shallow_deep_width']}")
    if figures["circle_points"] < 16:
        raise ConfigError(f"figures.circle_points must be at least 16, got "
                          f"{figures['circle_points']}")
    check_choice("output.precision", config["output"]["precision"], ("float32", "float64"))
    return config


def sizes(config: dict) -> dict:
    """Estimated bytes a run writes and its peak device memory, from a resolved config alone,
    with the keys that set them (for `check_fits`). Disk: six figures and the summary. Device:
    the phase diagram, its largest step, as an upper estimate: the L standard-normal weight
    matrices (N² each, shared by every point), the same scaled by each σ_w, and one layer's
    Jacobians (N²) for each of four inputs at every (σ_w, σ_b) point."""
    network, figures = config["network"], config["figures"]
    item = item_bytes(config)
    square = network["width"] ** 2
    points = figures["grid_sigma_w"] * figures["grid_sigma_b"]
    weights = (1 + figures["grid_sigma_w"]) * network["depth"] * square
    return {"disk_bytes": FIGURE_COUNT * FIGURE_BYTES,
            "device_bytes": (weights + 4 * points * square) * item,
            "disk_keys": "output.root (a disk with a few MiB free)",
            "device_keys": "network.width, network.depth, figures.grid_sigma_w or "
                           "figures.grid_sigma_b"}
