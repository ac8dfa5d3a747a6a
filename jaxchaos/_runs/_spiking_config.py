"""The `spiking` job's config: its schema and checks, in pure Python (a config error never
waits for JAX; only the last check, building the network, imports it), and the run's size
estimate (`sizes`). The job itself is `_spiking_job`."""

from .._core._errors import ConfigError, check_choice, check_real
from ._config import NUMBER, item_bytes, resolve_tables

NEURON_KINDS = ("lif", "theta", "rapid_theta")  # the keys of `_models._spiking.NEURONS`
SEARCH_KINDS = ("tree", "argmax")  # `_models._spiking.SEARCHES`
SPIKE_BYTES = 12  # a spike's time (float64) and neuron (int32)

_SCHEMA = {
    "network": {"neuron": ("rapid_theta", str), "rapidness": (1.0, NUMBER), "n": (1000, int),
                "k": (50, int), "coupling": (1.0, NUMBER), "rate": (0.1, NUMBER),
                "excitatory_fraction": (0.0, NUMBER), "excitatory_coupling": (0.0, NUMBER),
                "seed": (0, int)},
    "simulation": {"t_end": (100.0, NUMBER), "chunks": (4, int),
                   "max_spikes_per_chunk": (0, int), "search": ("tree", str)},
    "lyapunov": {"k": (0, int), "qr_every": (0, int), "n_blocks": (10, int),
                 "qrs_per_block": (50, int)},
    "output": {"root": ("runs", str), "precision": ("float64", str)},
}


def resolve_spiking_config(raw: dict) -> dict:
    """Fill defaults and check every key of a spiking config (building the network checks the
    network table: K < N, J0 > 0, a reachable rate); `ConfigError` names the key."""
    config = resolve_tables(raw, _SCHEMA, "spiking")
    net, sim, lya = config["network"], config["simulation"], config["lyapunov"]
    check_choice("network.neuron", net["neuron"], NEURON_KINDS)
    check_real("network.rapidness", net["rapidness"], positive=True)
    if net["rapidness"] < 1:
        raise ConfigError(f"network.rapidness must be >= 1, got {net['rapidness']}")
    check_real("simulation.t_end", sim["t_end"], positive=True)
    check_real("simulation.chunks", sim["chunks"], positive=True)
    check_real("simulation.max_spikes_per_chunk", sim["max_spikes_per_chunk"], nonnegative=True)
    check_choice("simulation.search", sim["search"], SEARCH_KINDS)
    for key in ("k", "qr_every"):
        check_real(f"lyapunov.{key}", lya[key], nonnegative=True)
    for key in ("n_blocks", "qrs_per_block"):
        check_real(f"lyapunov.{key}", lya[key], positive=True)
    if lya["k"] > net["n"]:
        raise ConfigError(f"lyapunov.k = {lya['k']} must be <= network.n = {net['n']}")
    check_choice("output.precision", config["output"]["precision"], ("float32", "float64"))
    try:  # last: building the network imports JAX
        build_network(net)
    except ConfigError as error:
        raise ConfigError(f"network: {error}") from None
    return config


def build_network(net: dict):
    """The `SpikingNetwork` a `[network]` table describes."""
    from .._models._spiking import RapidThetaNeuron, SpikingNetwork

    neuron = (RapidThetaNeuron(rapidness=float(net["rapidness"]))
              if net["neuron"] == "rapid_theta" else net["neuron"])
    return SpikingNetwork.random(net["seed"], net["n"], net["k"], neuron=neuron,
                                 coupling=net["coupling"], rate=net["rate"],
                                 excitatory_fraction=net["excitatory_fraction"],
                                 excitatory_coupling=net["excitatory_coupling"])


def spike_budget(config: dict) -> int:
    """Spikes one chunk may hold: `simulation.max_spikes_per_chunk`, or 0 for three times the
    expected count N·ν̄·t_chunk plus 1000."""
    net, sim = config["network"], config["simulation"]
    return (sim["max_spikes_per_chunk"]
            or int(3 * net["n"] * net["rate"] * (sim["t_end"] / sim["chunks"])) + 1000)


def sizes(config: dict) -> dict:
    """Estimated bytes a run writes and its peak device memory, from a resolved config alone,
    with the keys that set them (for `check_fits`). Disk: the spikes of every chunk at most
    (the spike budget) and the event-loop state. Device: the N·K synapses (index and weight, in
    both directions), a chunk's spike buffer, the state and, for the spectrum, the k-column
    tangent frame with its QR."""
    net, sim, lya = config["network"], config["simulation"], config["lyapunov"]
    item = item_bytes(config)
    n, budget = net["n"], spike_budget(config)
    return {"disk_bytes": sim["chunks"] * budget * SPIKE_BYTES + 4 * n * item,
            "device_bytes": 4 * n * net["k"] * item + budget * SPIKE_BYTES
            + (4 * n + 3 * n * lya["k"]) * item,
            "disk_keys": "simulation.t_end, network.n, network.rate or "
                         "simulation.max_spikes_per_chunk",
            "device_keys": "network.n, network.k, lyapunov.k or raise simulation.chunks"}
