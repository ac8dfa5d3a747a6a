"""Runs: a resolved config executed as a sweep, in chunks, into a run folder that survives
interruption (the protocol is `_runfolder`'s).

Run folder layout:
- `run.json`: the resolved config, the grid, seeds, versions, devices, precision, progress;
- `stream_traces.npy` / `stream_block_sums.npy`: what the chunks produced (sample traces, or the
  Lyapunov block sums), each chunk writing its slice as the run goes (removed at the end);
- `checkpoint.npz`: the simulation and recorder state after the last committed chunk;
- `results.npz`: the final arrays (see `summarize`), and `figures/*.png`.

A resumed run restarts from the checkpoint; because a state carries everything a run needs (step
count, solver state, noise key) the resumed run equals the uninterrupted one exactly.

Nothing non-finite is written: after every chunk the state and the running statistics are checked
(a runaway whose squares overflow stops the run as diverged, naming the grid points), and a
statistic that is undefined rather than wrong (`decay_time` of static activity, the Kaplan–Yorke
dimension when the partial sums of the computed exponents stay >= 0) holds `UNDEFINED` (-1).
"""

import functools
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import DivergenceError
from .._core._recorders import Autocorrelation, Moments, Trajectory
from .._core._simulate import Integrator, finalize_recorders, init_recorders
from .._core._sweep import Sweep
from .._lyapunov._spectrum import (
    LyapunovEngine,
    kaplan_yorke_dimension,
    ks_entropy,
    qr_safe_devices,
    summarize_blocks,
)
from ._runfolder import UNDEFINED, open_run, write_npz
from ._sweep_config import (
    FLOW_KINDS,
    build_system,
    initial_state,
    noise_key,
    resolve_config,
    sizes,
)

RESULTS = "results.npz"
MAY_BE_UNDEFINED = ("decay_time", "kaplan_yorke_dimension", "dimension_density")
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

    def describe_points(self, bad) -> str:
        """The grid points where the boolean grid array `bad` holds (at most five)."""
        where = [str({name: self.axes[name][i] for name, i in zip(self.axes, index, strict=True)})
                 for index in zip(*np.nonzero(bad), strict=True)]
        return "; ".join(where[:5]) + ("; ..." if len(where) > 5 else "")

    def check_finite(self, carry, outputs: dict, chunk: int):
        """Raise `DivergenceError` naming the grid points and times where the state blew up, or
        where it stayed finite but a running statistic or an output did not (a runaway whose
        squares overflow)."""
        state = carry[0]
        diverged = np.asarray(state.diverged_step)
        if np.any(diverged >= 0):
            where = []
            for index in zip(*np.nonzero(diverged >= 0), strict=True):
                point = {name: self.axes[name][i]
                         for name, i in zip(self.axes, index, strict=True)}
                step = int(diverged[index])
                where.append(f"{point} at step {step} (t = {self.integrator.time(step):.6g})")
            raise DivergenceError(
                f"simulation diverged (NaN/inf) at {len(where)} of {diverged.size} grid points: "
                + "; ".join(where[:5]) + ("; ..." if len(where) > 5 else "")
                + ". Lower the gain or dt, or use a bounded nonlinearity."
            )
        bad = np.zeros(self.grid_shape, bool)
        for leaf in jax.tree_util.tree_leaves((carry[1:], outputs)):
            if jnp.issubdtype(leaf.dtype, jnp.inexact):
                finite = np.isfinite(np.asarray(leaf))
                bad |= ~finite.reshape(self.grid_shape + (-1,)).all(axis=-1)
        if bad.any():
            size = np.max(np.abs(np.asarray(state.x)).reshape(self.grid_shape + (-1,)), axis=-1)
            raise DivergenceError(
                f"runaway activity in chunk {chunk + 1}: the state is finite (max |x| = "
                f"{np.max(size[bad]):.3g}) but its statistics overflow at {int(bad.sum())} of "
                f"{bad.size} grid points: {self.describe_points(bad)}. Lower the gain or use a "
                "bounded nonlinearity."
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

    def stream_shapes(self) -> dict:
        """The streamed outputs: name -> (whole shape, dtype)."""
        traces = self.config["simulation"]["trace_neurons"]
        return {"traces": (self.grid_shape + (self.n_records, traces), _dtype(self.config))}

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

    def stream_shapes(self) -> dict:
        """The streamed outputs: name -> (whole shape, dtype)."""
        n_blocks = self.config["lyapunov"]["n_blocks"]
        return {"block_sums": (self.grid_shape + (n_blocks, self.engine.k), _dtype(self.config))}

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
        dimension = np.full(self.grid_shape, UNDEFINED)  # partial sums stay >= 0 (need more k)
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
            "dimension_density": np.where(dimension >= 0, dimension / self.config["model"]["n"],
                                          UNDEFINED),
            "max_spread": np.asarray(carry[2]),
        }


def _dtype(config: dict) -> np.dtype:
    return np.dtype(config["output"]["precision"])


def check_finite_results(arrays: dict):
    """Raise `DivergenceError` naming the first result that is not finite (a last guard: the
    per-chunk checks stop a runaway earlier)."""
    for name, array in arrays.items():
        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.inexact) and not np.all(np.isfinite(array)):
            raise DivergenceError(f"the result {name!r} is not finite: nothing was written")


def make_experiment(config: dict) -> _Experiment:
    """The experiment a resolved config describes: spectra if it has `[lyapunov]`. The last
    two are kept, so that resuming a run in the same process does not compile it again."""
    return _experiment(json.dumps(config), jax.config.jax_enable_x64)  # keeps the axes' order


@functools.lru_cache(maxsize=2)
def _experiment(config_json: str, x64: bool) -> _Experiment:
    config = json.loads(config_json)
    return SpectrumExperiment(config) if "lyapunov" in config else SimulationExperiment(config)


def execute(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run (or resume) the run in `folder` to completion; returns the folder.

    Per chunk: the traces (or block sums) go to their streams, then the carry is committed
    (`Run.commit`); a resume restarts after the last commit. `stop_after` stops after that many
    chunks in this call, as an interrupt would (for tests).
    """
    folder = Path(folder)
    with open_run(folder, "sweep", resolve_config, sizes) as run:
        if run.finished:
            return folder
        config = run.config
        experiment = make_experiment(config)
        run.record["grid"] = {"axes": list(experiment.axes), "shape": list(experiment.grid_shape)}
        carry, _ = run.restore(experiment.init())
        streams = {name: run.stream(name, shape, dtype, len(experiment.grid_shape))
                   for name, (shape, dtype) in experiment.stream_shapes().items()}
        total, done = config["simulation"]["chunks"], run.progress
        run.save(status="running")
        started = time.perf_counter()
        with tqdm(total=total, initial=done, desc=config["name"], unit="chunk",
                  disable=not progress) as bar:
            for chunk in range(done, total):
                if stop_after is not None and chunk - done >= stop_after:
                    break
                carry, outputs = experiment.advance(carry)
                experiment.check_finite(carry, outputs, chunk)
                for name, stream in streams.items():
                    values = np.asarray(outputs[name])
                    stream.write(chunk * values.shape[stream.axis], values)
                run.commit(chunk + 1, carry, chunks_done=chunk + 1,
                           model_time=experiment.time(chunk + 1))
                bar.update(1)
                bar.set_postfix(t=f"{run.record['model_time']:.6g}")
        wall = run.record.get("wall_seconds", 0.0) + time.perf_counter() - started
        if run.progress < total:
            run.save(status="interrupted", wall_seconds=wall)
            return folder
        _write_results(folder, experiment, carry, {k: s.array for k, s in streams.items()})
        run.finish(wall_seconds=wall)
    return folder


def summarize(moments: dict, autocorrelation: dict, record_every: float) -> dict:
    """Summary statistics per grid point from the recorders (after the warm-up):

    - `variance`: variance of x across neurons and time, mean_i(var_i + m_i²) - (mean_i m_i)²;
    - `temporal_variance`: mean_i var_i, the part that fluctuates in time (0 at a fixed point);
    - `autocovariance`: C(l) = (1/N) Σ_i ⟨x_i(t) x_i(t-l)⟩ - mean_i m_i², l = 0..window;
    - `decay_time`: the first lag at which C(l)/C(0) falls below 1/e (linear interpolation), in
      model time units; `UNDEFINED` (-1) where there are no temporal fluctuations (temporal
      variance below `QUIET`: a fixed point or decayed activity) or C stays above 1/e within
      the window.
    """
    mean, var = moments["mean"], moments["var"]
    second = np.mean(var + mean**2, axis=-1)
    variance = second - np.mean(mean, axis=-1) ** 2
    temporal = np.mean(var, axis=-1)
    autocovariance = autocorrelation["corr"] - np.mean(mean**2, axis=-1)[..., None]
    decay = np.full(variance.shape, UNDEFINED)
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


def _write_results(folder: Path, experiment: _Experiment, carry, outputs: dict):
    """`results.npz` from the final carry and the streamed outputs (copied through in blocks);
    refuses to write a non-finite statistic."""
    arrays = {f"axis_{name}": np.asarray(values) for name, values in experiment.axes.items()}
    arrays.update(experiment.results(carry, outputs))
    check_finite_results(arrays)
    write_npz(folder / RESULTS, arrays)
    if experiment.config["output"]["figures"]:
        from ._plots import plot_run  # matplotlib only when figures are asked for

        plot_run(folder)
