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

from pathlib import Path

import jax
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import ConfigError
from .._lyapunov._spiking import spiking_lyapunov_spectrum
from .._models._spiking import (
    initial_state,
    random_phases,
    run_spikes,
    spike_statistics,
)
from ._runfolder import finite_json, open_run, write_npz, write_text
from ._spiking_config import build_network, resolve_spiking_config, sizes, spike_budget

SUMMARY = "summary.json"
def run_spiking(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run or resume the spiking job of a run folder; returns the folder. `stop_after` chunks
    it stops as if interrupted (to test resume). Each chunk writes its spikes
    (`spikes_NNNN.npz`, named by chunk, so a chunk redone after a crash overwrites its own
    file) and then commits the event-loop state (`open_run`'s protocol)."""
    folder = Path(folder)
    with open_run(folder, "spiking", resolve_spiking_config, sizes) as opened:
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
        budget = spike_budget(config)
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
        write_text(folder / SUMMARY, finite_json(SUMMARY, summary))
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
