"""The `train-gan` job's config: its schema and checks, in pure Python (a config error never
waits for JAX; only the last check, of the solver against the library's table, imports it), and
the run's size estimate (`sizes`). The job itself is `_gan_job`."""

import math
from pathlib import Path

from .._core._errors import ConfigError, check_choice, check_real, check_steps
from .._generative._spec import DATA_SOURCES, image_layout
from ._config import NUMBER, item_bytes, resolve_tables

LATENT_SOURCES = ("chaos", "gaussian")

_SCHEMA = {
    "latent": {
        "source": ("chaos", str),
        "dim": (32, int),
        "n": (512, int),
        "gain": (2.0, NUMBER),
        "degree": (4, int),
        "dt": (0.1, NUMBER),
        "solver": ("rk4", str),
        "interval": (1.0, NUMBER),  # time between two latents of one trajectory (one step)
        "warmup": (50.0, NUMBER),
        "standardize": (True, bool),
        "seed": (0, int),
    },
    "data": {
        "source": ("digits", str),
        "path": (None, str),
        "image_size": (8, int),
    },
    "model": {
        "width": (64, int),  # generator channels before its last layer; discriminator first
    },
    "training": {
        "steps": (3000, int),
        "batch": (64, int),
        "learning_rate": (2e-4, NUMBER),
        "beta1": (0.5, NUMBER),
        "beta2": (0.999, NUMBER),
        "log_every": (100, int),
        "sample_every": (500, int),
        "checkpoint_every": (500, int),
        "seed": (0, int),
        "quality": (True, bool),  # classifier-feature Fréchet distance etc. at the end
    },
    "output": {
        "root": ("runs", str),
        "precision": ("float32", str),
        "cache": (None, str),  # classifier cache folder (default $JAXCHAOS_CACHE, ~/.cache)
    },
}


def resolve_gan_config(raw: dict) -> dict:
    """Fill defaults and check every key; raises `ConfigError` naming the key."""
    config = resolve_tables(raw, _SCHEMA, "gan")
    lat, data, tr = config["latent"], config["data"], config["training"]
    check_choice("latent.source", lat["source"], LATENT_SOURCES)
    check_choice("output.precision", config["output"]["precision"], ("float32", "float64"))
    for key in ("dim", "n", "degree", "dt", "interval"):
        check_real(f"latent.{key}", lat[key], positive=True)
    check_real("latent.warmup", lat["warmup"], nonnegative=True)
    if lat["source"] == "chaos" and lat["gain"] <= 1:
        raise ConfigError(f"latent.gain must be > 1 (chaos), got {lat['gain']}")
    if lat["degree"] > lat["n"]:
        raise ConfigError(f"latent.degree = {lat['degree']} exceeds latent.n = {lat['n']}")
    check_real("latent.gain", lat["gain"], nonnegative=True)
    check_steps("latent.interval", lat["interval"], lat["dt"], "latent.dt")
    check_steps("latent.warmup", lat["warmup"], lat["dt"], "latent.dt")
    check_choice("data.source", data["source"], DATA_SOURCES)
    try:
        image_layout(data["image_size"])
    except ConfigError as err:
        raise ConfigError(f"data.{err}") from None
    _check_data_path(data)
    check_real("model.width", config["model"]["width"], positive=True)
    for key in ("steps", "batch", "learning_rate", "log_every", "sample_every",
                "checkpoint_every"):
        check_real(f"training.{key}", tr[key], positive=True)
    for key in ("beta1", "beta2"):
        check_real(f"training.{key}", tr[key], nonnegative=True, below=1.0)
    from .._core._solvers import ODE_SOLVERS  # last: the library's table imports JAX

    check_choice("latent.solver", lat["solver"], ODE_SOLVERS)
    return config


def _check_data_path(data: dict):
    """`data.path` exists and is what `data.source` reads (a folder of images or an `.npz`)."""
    if data["source"] == "digits":
        if data["path"] is not None:
            raise ConfigError("data.path does not apply to data.source = 'digits'")
        return
    path = data["path"]
    if not path:
        raise ConfigError(f"data.source = {data['source']!r} needs data.path")
    if data["source"] == "folder" and not Path(path).is_dir():
        raise ConfigError(f"data.path = {path!r} is not a folder (data.source = 'folder')")
    if data["source"] == "npz" and not Path(path).is_file():
        raise ConfigError(f"data.path = {path!r} is not a file (data.source = 'npz')")


def sizes(config: dict) -> dict:
    """Estimated bytes a run writes and its peak device memory, from a resolved config alone,
    with the keys that set them (for `check_fits`).

    With S = b·2^u the image size and w the width, the generator and the discriminator have
    channels w·2^i at the u strided 4×4 layers, so P ≈ 2·(L·w·2^(u-1)·b² + 16·Σ_i w²·2^(2i+1))
    parameters, and at most ~w·S² activations per image and network. Disk: the checkpoint (P with
    two Adam moments), the losses per step and the sample grids. Device: four copies of P, the
    activations of a batch kept for backpropagation (both networks, ×4 for the norms and the
    gradients) and the latent network's N² weights with a batch of its states."""
    lat, data, tr = config["latent"], config["data"], config["training"]
    item = item_bytes(config)
    size, width = data["image_size"], config["model"]["width"]
    base, ups = image_layout(size)
    params = 2 * (lat["dim"] * width * 2 ** (ups - 1) * base**2
                  + 16 * sum(width**2 * 2 ** (2 * i + 1) for i in range(ups)))
    grids = (math.ceil(tr["steps"] / tr["sample_every"]) + 1) * 4 * 64 * (size + 1) ** 2
    latent = lat["n"] ** 2 + tr["batch"] * lat["n"] if lat["source"] == "chaos" else 0
    return {"disk_bytes": 3 * params * item + 2 * 8 * tr["steps"] + grids,
            "device_bytes": (4 * params + 8 * tr["batch"] * width * size**2 + latent) * item,
            "disk_keys": "model.width, data.image_size or raise training.sample_every",
            "device_keys": "model.width, data.image_size, training.batch or latent.n"}
