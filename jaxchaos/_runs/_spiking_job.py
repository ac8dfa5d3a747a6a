"""Exact event-based spiking networks as a job: `job = "spiking"` in a config run by
`jaxchaos run CONFIG` (`configs/spiking_theta.toml`).

The simulation runs in `simulation.chunks` chunks of equal duration. After each chunk its spikes
go to `spikes_<chunk>.npz` (times, neurons) and the full event-loop state (phases, offset, time,
search tree) to `checkpoint.npz`, so `jaxchaos resume` continues from the last chunk and ends with
exactly the spikes of an uninterrupted run. Then `summary.json` gets the population rate, the
mean rate and CV, and, with `lyapunov.k > 0`, the leading exponents from the final state (their
KS entropy per unit time and in bits per spike, the fraction of positive exponents).

```toml
job = "spiking"
name = "spiking_theta"
[network]
neuron = "rapid_theta"     # lif | theta | rapid_theta
rapidness = 1.0            # rapid_theta only
n = 1000
k = 50
coupling = 1.0             # J0: inhibitory weights -J0/√K
rate = 0.1                 # target rate ν̄ (1/τ), sets the balance drive
seed = 0
[simulation]
t_end = 100.0
chunks = 4
max_spikes_per_chunk = 0   # 0: 3 N ν̄ t_chunk + 1000
[lyapunov]
k = 0                      # 0: no spectrum
```
"""

import json
from pathlib import Path

import jax
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import ConfigError, check_choice, check_real
from .._lyapunov._spiking import spiking_lyapunov_spectrum
from .._models._spiking import (
    NEURONS,
    SEARCHES,
    RapidThetaNeuron,
    SpikingNetwork,
    initial_state,
    random_phases,
    run_spikes,
    spike_statistics,
)
from ._config import NUMBER, resolve_tables
from ._runfolder import open_run, write_npz, write_text

SUMMARY = "summary.json"
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
    check_choice("network.neuron", net["neuron"], NEURONS)
    check_real("network.rapidness", net["rapidness"], positive=True)
    if net["rapidness"] < 1:
        raise ConfigError(f"network.rapidness must be >= 1, got {net['rapidness']}")
    check_real("simulation.t_end", sim["t_end"], positive=True)
    check_real("simulation.chunks", sim["chunks"], positive=True)
    check_real("simulation.max_spikes_per_chunk", sim["max_spikes_per_chunk"], nonnegative=True)
    check_choice("simulation.search", sim["search"], SEARCHES)
    for key in ("k", "qr_every"):
        check_real(f"lyapunov.{key}", lya[key], nonnegative=True)
    for key in ("n_blocks", "qrs_per_block"):
        check_real(f"lyapunov.{key}", lya[key], positive=True)
    if lya["k"] > net["n"]:
        raise ConfigError(f"lyapunov.k = {lya['k']} must be <= network.n = {net['n']}")
    check_choice("output.precision", config["output"]["precision"], ("float32", "float64"))
    try:
        build_network(net)
    except ConfigError as error:
        raise ConfigError(f"network: {error}") from None
    return config


def build_network(net: dict) -> SpikingNetwork:
    """The network a `[network]` table describes."""
    neuron = (RapidThetaNeuron(rapidness=float(net["rapidness"]))
              if net["neuron"] == "rapid_theta" else net["neuron"])
    return SpikingNetwork.random(net["seed"], net["n"], net["k"], neuron=neuron,
                                 coupling=net["coupling"], rate=net["rate"],
                                 excitatory_fraction=net["excitatory_fraction"],
                                 excitatory_coupling=net["excitatory_coupling"])


def run_spiking(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run or resume the spiking job of a run folder; returns the folder. `stop_after` chunks
    it stops as if interrupted (to test resume). Each chunk writes its spikes
    (`spikes_NNNN.npz`, named by chunk, so a chunk redone after a crash overwrites its own
    file) and then commits the event-loop state (`open_run`'s protocol)."""
    folder = Path(folder)
    with open_run(folder, "spiking", resolve_spiking_config) as opened:
        if opened.finished:
            return folder
        config = opened.config
        net_cfg, sim = config["network"], config["simulation"]
        network = build_network(net_cfg)
        key = jax.random.key(net_cfg["seed"])
        state = initial_state(network, random_phases(key, network), search=sim["search"])
        state, _ = opened.restore(state)
        done = opened.progress
        t_chunk = sim["t_end"] / sim["chunks"]
        budget = (sim["max_spikes_per_chunk"]
                  or int(3 * network.n * net_cfg["rate"] * t_chunk) + 1000)
        opened.save(status="running")
        with tqdm(total=sim["chunks"], initial=done, desc=config["name"], unit="chunk",
                  disable=not progress) as bar:
            for chunk in range(done, sim["chunks"]):
                if stop_after is not None and chunk - done == stop_after:
                    opened.save(status="interrupted")
                    return folder
                run = run_spikes(network, state=state, t_end=(chunk + 1) * t_chunk,
                                 max_spikes=budget, search=sim["search"], check=False)
                if bool(run.overrun):
                    raise ConfigError(f"simulation.max_spikes_per_chunk = {budget} is too small "
                                      f"for chunk {chunk} (t up to {(chunk + 1) * t_chunk:g})")
                times, neurons = run.spikes()
                write_npz(folder / f"spikes_{chunk:04d}.npz", {"times": times, "neurons": neurons})
                state = run.state
                opened.commit(chunk + 1, state, chunks_done=chunk + 1)
                bar.update(1)
        summary = _summary(folder, config, network, state)
        write_text(folder / SUMMARY, json.dumps(summary, indent=2))
        opened.finish()
    return folder


def load_spikes(folder) -> tuple[np.ndarray, np.ndarray]:
    """All spike (times, neurons) of a spiking run folder, in time order."""
    files = sorted(Path(folder).glob("spikes_*.npz"))
    parts = [np.load(f) for f in files]
    return (np.concatenate([p["times"] for p in parts]),
            np.concatenate([p["neurons"] for p in parts]))


def _summary(folder, config, network, state) -> dict:
    times, neurons = load_spikes(folder)
    stats = spike_statistics(times, neurons, network.n, config["simulation"]["t_end"])
    summary = {"spikes": int(times.size), "population_rate": float(stats["population_rate"]),
               "mean_cv": float(np.nanmean(stats["cv"])) if np.isfinite(stats["cv"]).any()
               else None,
               "silent_fraction": float(np.mean(stats["rates"] == 0)),
               "drive": float(network.drive)}
    lya = config["lyapunov"]
    if lya["k"]:
        spectrum = spiking_lyapunov_spectrum(
            network, state.phases(network), key=jax.random.key(config["network"]["seed"] + 1),
            k=lya["k"], qr_every=lya["qr_every"] or None, warmup_spikes=0,
            n_blocks=lya["n_blocks"], qrs_per_block=lya["qrs_per_block"],
            search=config["simulation"]["search"])
        summary["lyapunov"] = {
            "exponents": np.asarray(spectrum.exponents).tolist(),
            "stderr": np.asarray(spectrum.stderr).tolist(),
            "entropy_per_time": spectrum.entropy(),
            "entropy_bits_per_spike": spectrum.entropy_bits_per_spike(),
            "fraction_positive": spectrum.fraction_positive()}
    return summary
