"""Runs: a resolved config executed as a sweep, in chunks, into a run folder that survives
interruption.

Run folder layout:
- `run.json`: the resolved config, the grid, seeds, versions, devices, precision, progress;
- `chunks/traces_XXXX.npy`: the sample traces of each chunk, written as the run goes;
- `checkpoint.npz`: the simulation and recorder state after the last finished chunk;
- `results.npz`: the final arrays (see `summarize`), and `figures/*.png`.

A resumed run restarts from the checkpoint; because a state carries everything a run needs (step
count, solver state, noise key) the resumed run equals the uninterrupted one exactly.
"""

import datetime
import json
import os
import platform
import socket
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from ._config import build_system, initial_state, noise_key, resolve_config
from ._errors import ConfigError, DivergenceError
from ._recorders import Autocorrelation, Moments, Trajectory
from ._simulate import Integrator, finalize_recorders, init_recorders
from ._sweep import Sweep

RUN_RECORD = "run.json"
CHECKPOINT = "checkpoint.npz"
RESULTS = "results.npz"
QUIET = 1e-8  # temporal variance below which activity counts as static (no decay time)


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for package in ("jaxchaos", "jax", "jaxlib", "equinox", "diffrax", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def _environment(config: dict) -> dict:
    devices = jax.devices()
    return {
        "versions": _versions(),
        "devices": [str(d) for d in devices],
        "device_kind": devices[0].device_kind,
        "platform": devices[0].platform,
        "host": socket.gethostname(),
        "precision": {"dtype": config["output"]["precision"], "matmul": "highest"},
    }


def set_precision(precision: str):
    """Enable float64 when asked for; must run before any array is created."""
    jax.config.update("jax_enable_x64", precision == "float64")


class Experiment:
    """The simulation a resolved config describes: the sweep grid, the integrator, the
    recorders and the traceable per-point functions `init` and `advance`."""

    def __init__(self, config: dict):
        self.config = config
        model, sim = config["model"], config["simulation"]
        self.axes = dict(config["sweep"])
        self.is_map = model["kind"] != "scs"
        dt = 1.0 if self.is_map else float(sim["dt"])
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
        # Check the system and integrator once, eagerly, at the first grid point.
        first = {name: values[0] for name, values in self.axes.items()}
        self.integrator.check_system(build_system(model, first))
        self._init = Sweep(self._init_point, self.axes)
        self._advance = Sweep(self._advance_point, self.axes)
        self.grid_shape = self._init.grid_shape

    def _init_point(self, point):
        system = build_system(self.config["model"], point)
        x0 = initial_state(system, point)
        key = noise_key(point) if system.noise is not None else None
        state = self.integrator.init(system, x0, key)
        return state, init_recorders(self.recorders, x0)

    def _advance_point(self, point, state, carries):
        system = build_system(self.config["model"], point)
        return self.integrator.run(system, state, self.recorders, carries, self.records_per_chunk)

    def init(self):
        """The grid of initial (state, recorder carries)."""
        return self._init()

    def advance(self, state, carries):
        """One chunk: (state, carries, per-record outputs) on the whole grid."""
        return self._advance(state, carries)

    def time(self, chunk: int) -> float:
        """Model time at the end of `chunk` chunks."""
        return self.integrator.time(chunk * self.records_per_chunk
                                    * self.integrator.steps_per_record)

    def check_finite(self, state):
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


def _save_tree(path: Path, tree):
    """Write a pytree's leaves (PRNG keys as their raw data) to `path` atomically."""
    leaves = jax.tree_util.tree_leaves(tree)
    arrays = {}
    for i, leaf in enumerate(leaves):
        if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            leaf = jax.random.key_data(leaf)
        arrays[f"leaf_{i:04d}"] = np.asarray(leaf)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _load_tree(path: Path, like):
    """Read leaves written by `_save_tree` into the structure of `like`."""
    leaves, treedef = jax.tree_util.tree_flatten(like)
    with np.load(path) as data:
        loaded = []
        for i, leaf in enumerate(leaves):
            array = jnp.asarray(data[f"leaf_{i:04d}"])
            if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
                array = jax.random.wrap_key_data(array, impl=jax.random.key_impl(leaf))
            loaded.append(array)
    return jax.tree_util.tree_unflatten(treedef, loaded)


def new_run_folder(config: dict, out: str | os.PathLike | None = None) -> Path:
    """Create the run folder (default `<output.root>/<name>-<timestamp>`) and its record."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(config["output"]["root"]) / f"{config['name']}-{stamp}"
    folder = Path(out)
    if (folder / RUN_RECORD).exists():
        raise ConfigError(
            f"{folder} already holds a run: resume it with `jaxchaos resume {folder}`"
        )
    folder.mkdir(parents=True, exist_ok=True)
    record = {"config": config, "chunks_done": 0, "status": "created",
              "created": datetime.datetime.now().isoformat(timespec="seconds")}
    _write_record(folder, record)
    return folder


def _write_record(folder: Path, record: dict):
    tmp = folder / (RUN_RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, folder / RUN_RECORD)


def read_record(folder) -> dict:
    """The `run.json` of a run folder."""
    path = Path(folder) / RUN_RECORD
    if not path.is_file():
        raise ConfigError(f"{folder} is not a jaxchaos run folder (no {RUN_RECORD})")
    return json.loads(path.read_text())


def execute(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run (or resume) the run in `folder` to completion; returns the folder.

    `stop_after` stops after that many chunks in this call, as an interrupt would (for tests).
    """
    folder = Path(folder)
    record = read_record(folder)
    if record["status"] == "finished":
        return folder
    config = resolve_config(record["config"])
    set_precision(config["output"]["precision"])
    experiment = Experiment(config)
    record.update(_environment(config))
    record["grid"] = {"axes": list(experiment.axes), "shape": list(experiment.grid_shape)}

    state, carries = experiment.init()
    done = record["chunks_done"]
    if done:
        state, carries = _load_tree(folder / CHECKPOINT, (state, carries))
    total = config["simulation"]["chunks"]
    (folder / "chunks").mkdir(exist_ok=True)
    record["status"] = "running"
    _write_record(folder, record)
    started = time.perf_counter()
    with tqdm(total=total, initial=done, desc=config["name"], unit="chunk",
              disable=not progress) as bar:
        for chunk in range(done, total):
            if stop_after is not None and chunk - done >= stop_after:
                break
            try:
                state, carries, outputs = experiment.advance(state, carries)
                experiment.check_finite(state)
            except DivergenceError as err:
                record.update(status="diverged", error=str(err))
                _write_record(folder, record)
                raise
            except KeyboardInterrupt:
                record["status"] = "interrupted"  # the last checkpoint stays valid
                _write_record(folder, record)
                raise
            np.save(folder / "chunks" / f"traces_{chunk:04d}.npy", np.asarray(outputs["traces"]))
            _save_tree(folder / CHECKPOINT, (state, carries))
            record["chunks_done"] = chunk + 1
            record["model_time"] = experiment.time(chunk + 1)
            _write_record(folder, record)
            bar.update(1)
            bar.set_postfix(t=f"{record['model_time']:.6g}")
    record["wall_seconds"] = record.get("wall_seconds", 0.0) + time.perf_counter() - started
    if record["chunks_done"] < total:
        record["status"] = "interrupted"
        _write_record(folder, record)
        return folder
    _write_results(folder, experiment, carries)
    record["status"] = "finished"
    record["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    _write_record(folder, record)
    return folder


def _finalize_grid(experiment: Experiment, carries) -> dict:
    """`finalize` of every recorder at every grid point (flattened, vmapped, reshaped)."""
    shape = experiment.grid_shape
    flat = jax.tree_util.tree_map(lambda a: a.reshape((-1, *a.shape[len(shape):])), carries)
    accumulators = {k: r for k, r in experiment.recorders.items() if k != "traces"}
    none_outputs = {k: None for k in accumulators}
    results = jax.vmap(lambda c: finalize_recorders(accumulators, c, none_outputs))(
        {k: flat[k] for k in accumulators}
    )
    return jax.tree_util.tree_map(lambda a: np.asarray(a).reshape(shape + a.shape[1:]), results)


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


def _write_results(folder: Path, experiment: Experiment, carries):
    sim = experiment.config["simulation"]
    finals = _finalize_grid(experiment, carries)
    traces = np.concatenate(
        [np.load(path) for path in sorted((folder / "chunks").glob("traces_*.npy"))],
        axis=len(experiment.grid_shape),
    )
    summary = summarize(finals["moments"], finals["autocorrelation"], sim["record_every"])
    times = sim["record_every"] * (1 + np.arange(experiment.n_records))
    arrays = {f"axis_{name}": np.asarray(values) for name, values in experiment.axes.items()}
    arrays.update(summary)
    arrays.update(
        times=times, traces=traces, neuron_mean=finals["moments"]["mean"],
        neuron_var=finals["moments"]["var"],
        lags=sim["record_every"] * np.arange(summary["autocovariance"].shape[-1]),
    )
    tmp = folder / "results.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, folder / RESULTS)
    if experiment.config["output"]["figures"]:
        from ._plots import plot_run  # matplotlib only when figures are asked for

        plot_run(folder)
