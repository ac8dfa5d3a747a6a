"""Run folders, shared by every job (sweeps, spectra, RNN training, GAN training, deep-net
propagation): one record `run.json` that names the job and holds its resolved config, status and
progress, the package versions and devices; atomic writes, so that an interrupt never leaves a
half-written file; pytree checkpoints as `.npz` (PRNG keys stored as their raw data).

A record's `status` is "created", "running", "interrupted", "diverged" or "finished";
`jaxchaos resume FOLDER` reads the job from the record and continues it.
"""

import datetime
import json
import os
import platform
import socket
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError

RECORD = "run.json"
_PACKAGES = ("jaxchaos", "jax", "jaxlib", "equinox", "diffrax", "optax", "numpy")


def versions() -> dict:
    """Python's and the numerical packages' versions (None where a package is missing)."""
    out = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def environment(precision: str) -> dict:
    """What a run records about where it ran: versions, devices, host and precision."""
    devices = jax.devices()
    return {
        "versions": versions(),
        "devices": [str(d) for d in devices],
        "device_kind": devices[0].device_kind,
        "platform": devices[0].platform,
        "host": socket.gethostname(),
        "precision": {"dtype": precision, "matmul": "highest"},
    }


def set_precision(precision: str):
    """Enable float64 when asked for; must run before any array is created."""
    jax.config.update("jax_enable_x64", precision == "float64")


def new_run_folder(config: dict, out=None, *, job: str = "sweep") -> Path:
    """Create a run folder (default `<output.root>/<name>-<timestamp>`) holding the record of a
    `job` with its resolved `config`; refuses a folder that already holds a run."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(config["output"]["root"]) / f"{config['name']}-{stamp}"
    folder = Path(out)
    if (folder / RECORD).exists():
        raise ConfigError(f"{folder} already holds a run: continue it with "
                          f"`jaxchaos resume {folder}`")
    folder.mkdir(parents=True, exist_ok=True)
    write_record(folder, {"job": job, "config": config, "status": "created",
                          "created": datetime.datetime.now().isoformat(timespec="seconds")})
    return folder


def write_record(folder, record: dict):
    """Replace the folder's `run.json` atomically."""
    folder = Path(folder)
    tmp = folder / (RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, folder / RECORD)


def read_record(folder, job: str | None = None) -> dict:
    """The `run.json` of a run folder; with `job`, also check that the folder holds that job."""
    path = Path(folder) / RECORD
    if not path.is_file():
        raise ConfigError(f"{folder} is not a jaxchaos run folder (no {RECORD})")
    record = json.loads(path.read_text())
    if job is not None and record.get("job", "sweep") != job:
        raise ConfigError(f"{folder} holds a {record.get('job', 'sweep')!r} run, not {job!r}")
    return record


def reopen(folder, job: str, resolve):
    """The record and the re-resolved config (`resolve(record["config"])`) of an unfinished
    `job` run in `folder`, with the run's precision set and the environment recorded; None if
    the run has finished."""
    record = read_record(folder, job)
    if record["status"] == "finished":
        return None
    config = resolve(record["config"])
    set_precision(config["output"]["precision"])
    record.update(environment(config["output"]["precision"]))
    return record, config


def finish(folder, record: dict):
    """Mark the run finished."""
    record["status"] = "finished"
    record["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    write_record(folder, record)


def save_tree(path: Path, tree):
    """Write a pytree's leaves (PRNG keys as their raw data) to `path` atomically."""
    arrays = {}
    for i, leaf in enumerate(jax.tree_util.tree_leaves(tree)):
        if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            leaf = jax.random.key_data(leaf)
        arrays[f"leaf_{i:04d}"] = np.asarray(leaf)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_tree(path: Path, like):
    """Read leaves written by `save_tree` into the structure of `like`."""
    leaves, treedef = jax.tree_util.tree_flatten(like)
    with np.load(path) as data:
        loaded = []
        for i, leaf in enumerate(leaves):
            array = jnp.asarray(data[f"leaf_{i:04d}"])
            if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
                array = jax.random.wrap_key_data(array, impl=jax.random.key_impl(leaf))
            loaded.append(array)
    return jax.tree_util.tree_unflatten(treedef, loaded)
