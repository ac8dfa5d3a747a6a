"""Runs: a resolved config executed as a sweep, in chunks, into a run folder that survives
interruption.

Run folder layout:
- `run.json`: the resolved config, the grid, seeds, versions, devices, precision, progress;
- `chunks/chunk_XXXX.npz`: what each chunk produced (sample traces, or the Lyapunov block
  sums), written as the run goes;
- `checkpoint.npz`: the simulation and recorder state after the last finished chunk;
- `results.npz`: the final arrays (see `summarize`), and `figures/*.png`.

A resumed run restarts from the checkpoint; because a state carries everything a run needs (step
count, solver state, noise key) the resumed run equals the uninterrupted one exactly.
"""

import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import DivergenceError
from .._core._recorders import Autocorrelation, Moments, Trajectory
from .._core._simulate import Integrator, SimState, finalize_recorders, init_recorders
from .._core._sweep import Sweep
from .._lyapunov._spectrum import (
    LyapunovEngine,
    kaplan_yorke_dimension,
    ks_entropy,
    qr_safe_devices,
    summarize_blocks,
)
from ._runfolder import (
    finish,
    load_tree,
    reopen,
    save_tree,
    write_record,
)
from ._sweep_config import FLOW_KINDS, build_system, initial_state, noise_key, resolve_config

CHECKPOINT = "checkpoint.npz"
RESULTS = "results.npz"
QUIET = 1e-8  # temporal variance below which activity counts as static (no decay time)


class _Experiment:
    """What a run executes chunk by chunk on the sweep grid of a resolved config.

    Subclasses set `integrator` and define the traceable per-point functions
    `_init_point(point) -> carry` and `_advance_point(point, *carry) -> (*carry, outputs)`, plus
    `time` and `results`. A carry's first element is the grid's `SimState`."""

    def __init__(self, config: dict, devices=None):
        self.config = config
        self.axes = dict(config["sweep"])
        first = {name: values[0] for name, values in self.axes.items()}
        self.integrator.check_system(build_system(config["model"], first))
        self._init = Sweep(self._init_point, self.axes, devices=devices)
        self._advance = Sweep(self._advance_point, self.axes, devices=devices)
        self.grid_shape = self._init.grid_shape

    def init(self):
        """The grid of initial carries."""
        return self._init()

    def advance(self, carry):
        """One chunk on the whole grid: `(carry, outputs)`."""
        *carry, outputs = self._advance(*carry)
        return tuple(carry), outputs

    def _start(self, point):
        """The system of a grid point, its x0 and its initial `SimState`."""
        system = build_system(self.config["model"], point)
        x0 = initial_state(system, point)
        key = noise_key(point) if system.noise is not None else None
        return system, x0, self.integrator.init(system, x0, key)

    def check_finite(self, state: SimState):
        """Raise `DivergenceError` naming the grid points and times where the state blew up."""
        diverged = np.asarray(state.diverged_step)
        if np.all(diverged < 0):
            return
        where = []
        for index in zip(*np.nonzero(diverged >= 0), strict=True):
            point = {name: self.axes[name][i] for name, i in zip(self.axes, index, strict=True)}
            step = int(diverged[index])
            where.append(f"{point} at step {step} (t = {self.integrator.time(step):.6g})")
        raise DivergenceError(
            f"simulation diverged (NaN/inf) at {len(where)} of {diverged.size} grid points: "
            + "; ".join(where[:5]) + ("; ..." if len(where) > 5 else "")
            + ". Lower the gain or dt, or use a bounded nonlinearity."
        )


class SimulationExperiment(_Experiment):
    """A simulation over the grid: sample traces, moments and autocorrelations (`summarize`)."""

    def __init__(self, config: dict):
        sim = config["simulation"]
        dt = float(sim["dt"]) if config["model"]["kind"] in FLOW_KINDS else 1.0
        self.n_records = round(sim["t_end"] / sim["record_every"])
        self.records_per_chunk = self.n_records // sim["chunks"]
        self.integrator = Integrator(
            dt=dt, steps_per_record=round(sim["record_every"] / dt), solver=sim["solver"],
            adaptive=sim["adaptive"], rtol=sim["rtol"], atol=sim["atol"], t0=0.0,
            t_end=float(sim["t_end"]),
        )
        window = round(sim["autocorrelation_window"] / sim["record_every"])
        self.recorders = {
            "traces": Trajectory(tuple(range(sim["trace_neurons"]))),
            "moments": Moments(start=float(sim["t_warmup"])),
            "autocorrelation": Autocorrelation(window, start=float(sim["t_warmup"])),
        }
        super().__init__(config)

    def _init_point(self, point):
        _, x0, state = self._start(point)
        return state, init_recorders(self.recorders, x0)

    def _advance_point(self, point, state, carries):
        system = build_system(self.config["model"], point)
        state, carries, outputs = self.integrator.run(
            system, state, self.recorders, carries, self.records_per_chunk
        )
        return state, carries, {"traces": outputs["traces"]}

    def time(self, chunks: int) -> float:
        """Model time at the end of `chunks` chunks."""
        steps = chunks * self.records_per_chunk * self.integrator.steps_per_record
        return self.integrator.time(steps)

    def results(self, carry, outputs: dict) -> dict:
        """Summary statistics (`summarize`), per-neuron moments and the sample traces."""
        carries = carry[1]
        accumulators = {k: r for k, r in self.recorders.items() if k != "traces"}
        shape = self.grid_shape
        flat = {k: jax.tree_util.tree_map(lambda a: a.reshape((-1, *a.shape[len(shape):])),
                                          carries[k]) for k in accumulators}
        finals = jax.vmap(lambda c: finalize_recorders(accumulators, c, dict.fromkeys(c)))(flat)
        finals = jax.tree_util.tree_map(lambda a: np.asarray(a).reshape(shape + a.shape[1:]),
                                        finals)
        every = self.config["simulation"]["record_every"]
        summary = summarize(finals["moments"], finals["autocorrelation"], every)
        return {
            **summary,
            "traces": outputs["traces"],
            "times": every * (1 + np.arange(self.n_records)),
            "neuron_mean": finals["moments"]["mean"],
            "neuron_var": finals["moments"]["var"],
            "lags": every * np.arange(summary["autocovariance"].shape[-1]),
        }


class SpectrumExperiment(_Experiment):
    """Lyapunov spectra over the grid (the `[lyapunov]` table): trajectory and frame warm-ups
    when the run starts, then `n_blocks / chunks` blocks per chunk."""

    def __init__(self, config: dict):
        sim, lya = config["simulation"], config["lyapunov"]
        dt = float(sim["dt"]) if config["model"]["kind"] in FLOW_KINDS else 1.0
        self.integrator = Integrator(dt=dt, solver=sim["solver"])
        self.blocks_per_chunk = lya["n_blocks"] // sim["chunks"]
        self.engine = LyapunovEngine(
            self.integrator, lya["k"] or config["model"]["n"], round(lya["t_ons"] / dt),
            warmup_steps=round(sim["t_warmup"] / dt),
            frame_warmup_qrs=round(lya["t_frame_warmup"] / lya["t_ons"]),
            n_blocks=lya["n_blocks"],
            qrs_per_block=round(lya["t_sim"] / (lya["n_blocks"] * lya["t_ons"])),
        )
        super().__init__(config, devices=qr_safe_devices())

    def _init_point(self, point):
        system, _, state = self._start(point)
        frame_key = jax.random.fold_in(jax.random.key(point["seed"]), 3)
        state, frame = self.engine.warm_up(system, state, frame_key)
        return state, frame, jnp.zeros((), frame.dtype)

    def _advance_point(self, point, state, frame, spread):
        system = build_system(self.config["model"], point)
        state, frame, block_sums, new_spread = self.engine.accumulate(
            system, state, frame, self.blocks_per_chunk
        )
        return state, frame, jnp.maximum(spread, new_spread), {"block_sums": block_sums}

    def time(self, chunks: int) -> float:
        """Accumulation time (after the warm-ups) at the end of `chunks` chunks."""
        return chunks * self.blocks_per_chunk * self.engine.block_time

    def results(self, carry, outputs: dict) -> dict:
        """Exponents with standard errors, history, λ_max, KS entropy, Kaplan–Yorke dimension."""
        exponents, stderr, blocks, times, history = (
            np.asarray(a) for a in summarize_blocks(outputs["block_sums"], self.engine.block_time)
        )
        dimension = np.full(self.grid_shape, np.nan)  # NaN: partial sums stay >= 0 (need more k)
        for index in np.ndindex(self.grid_shape):
            if np.cumsum(exponents[index])[-1] < 0:
                dimension[index] = kaplan_yorke_dimension(exponents[index])
        return {
            "exponents": exponents,
            "stderr": stderr,
            "block_exponents": blocks,
            "history_times": times,
            "history": history,
            "lambda_max": exponents[..., 0],
            "ks_entropy": np.asarray(ks_entropy(exponents)),
            "kaplan_yorke_dimension": dimension,
            "dimension_density": dimension / self.config["model"]["n"],
            "max_spread": np.asarray(carry[2]),
        }


def make_experiment(config: dict) -> _Experiment:
    """The experiment a resolved config describes: spectra if it has `[lyapunov]`."""
    return SpectrumExperiment(config) if "lyapunov" in config else SimulationExperiment(config)


def execute(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run (or resume) the run in `folder` to completion; returns the folder.

    `stop_after` stops after that many chunks in this call, as an interrupt would (for tests).
    """
    folder = Path(folder)
    opened = reopen(folder, "sweep", resolve_config)
    if opened is None:
        return folder
    record, config = opened
    experiment = make_experiment(config)
    record["grid"] = {"axes": list(experiment.axes), "shape": list(experiment.grid_shape)}

    carry = experiment.init()
    done = record.get("chunks_done", 0)
    if done:
        carry = load_tree(folder / CHECKPOINT, carry)
    total = config["simulation"]["chunks"]
    (folder / "chunks").mkdir(exist_ok=True)
    record["status"] = "running"
    write_record(folder, record)
    started = time.perf_counter()
    with tqdm(total=total, initial=done, desc=config["name"], unit="chunk",
              disable=not progress) as bar:
        for chunk in range(done, total):
            if stop_after is not None and chunk - done >= stop_after:
                break
            try:
                carry, outputs = experiment.advance(carry)
                experiment.check_finite(carry[0])
            except DivergenceError as err:
                record.update(status="diverged", error=str(err))
                write_record(folder, record)
                raise
            except KeyboardInterrupt:
                record["status"] = "interrupted"  # the last checkpoint stays valid
                write_record(folder, record)
                raise
            np.savez(folder / "chunks" / f"chunk_{chunk:04d}.npz",
                     **{k: np.asarray(v) for k, v in outputs.items()})
            save_tree(folder / CHECKPOINT, carry)
            record["chunks_done"] = chunk + 1
            record["model_time"] = experiment.time(chunk + 1)
            write_record(folder, record)
            bar.update(1)
            bar.set_postfix(t=f"{record['model_time']:.6g}")
    record["wall_seconds"] = record.get("wall_seconds", 0.0) + time.perf_counter() - started
    if record.get("chunks_done", 0) < total:
        record["status"] = "interrupted"
        write_record(folder, record)
        return folder
    _write_results(folder, experiment, carry)
    finish(folder, record)
    return folder


def summarize(moments: dict, autocorrelation: dict, record_every: float) -> dict:
    """Summary statistics per grid point from the recorders (after the warm-up):

    - `variance`: variance of x across neurons and time, mean_i(var_i + m_i²) - (mean_i m_i)²;
    - `temporal_variance`: mean_i var_i, the part that fluctuates in time (0 at a fixed point);
    - `autocovariance`: C(l) = (1/N) Σ_i ⟨x_i(t) x_i(t-l)⟩ - mean_i m_i², l = 0..window;
    - `decay_time`: the first lag at which C(l)/C(0) falls below 1/e (linear interpolation), in
      model time units; NaN where there are no temporal fluctuations (temporal variance below
      `QUIET`: a fixed point or decayed activity) or C stays above 1/e within the window.
    """
    mean, var = moments["mean"], moments["var"]
    second = np.mean(var + mean**2, axis=-1)
    variance = second - np.mean(mean, axis=-1) ** 2
    temporal = np.mean(var, axis=-1)
    autocovariance = autocorrelation["corr"] - np.mean(mean**2, axis=-1)[..., None]
    decay = np.full(variance.shape, np.nan)
    for index in np.ndindex(variance.shape):
        if temporal[index] < QUIET:
            continue
        curve = autocovariance[index] / autocovariance[index][0]
        below = np.nonzero(curve < np.exp(-1))[0]
        if below.size:
            lag = below[0]
            frac = (curve[lag - 1] - np.exp(-1)) / (curve[lag - 1] - curve[lag])
            decay[index] = (lag - 1 + frac) * record_every
    return {"variance": variance, "temporal_variance": temporal,
            "autocovariance": autocovariance, "decay_time": decay}


def _write_results(folder: Path, experiment: _Experiment, carry):
    chunks = []
    for path in sorted((folder / "chunks").glob("chunk_*.npz")):
        with np.load(path) as data:
            chunks.append(dict(data))
    time_axis = len(experiment.grid_shape)
    outputs = {k: np.concatenate([c[k] for c in chunks], axis=time_axis) for k in chunks[0]}
    arrays = {f"axis_{name}": np.asarray(values) for name, values in experiment.axes.items()}
    arrays.update(experiment.results(carry, outputs))
    tmp = folder / "results.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, folder / RESULTS)
    if experiment.config["output"]["figures"]:
        from ._plots import plot_run  # matplotlib only when figures are asked for

        plot_run(folder)
