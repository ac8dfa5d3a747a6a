"""Run folders, shared by every job (sweeps, spectra, RNN training, GAN training, deep-net
propagation), and the one protocol every job follows so that a crash, a concurrent use or an
edited file never gives a wrong result.

A folder holds:

- `run.json`, the record: the job, its resolved config and the config's hash, status, progress,
  package versions and devices. Status is "created", "running", "interrupted", "diverged",
  "failed" or "finished"; a folder left "running" by a killed process is resumed like an
  interrupted one.
- `checkpoint.npz`, the commit point: the job's whole state after `progress` units of work
  (chunks, log intervals, steps, figures) together with `progress` and the config hash, written
  to a temporary file and renamed into place (one atomic commit per unit). Resume continues from
  the checkpoint's progress, and trusts only a checkpoint whose hash is the record's and whose
  progress is the record's or ahead of it (one commit ahead after a crash between the checkpoint
  and the record); anything else is refused.
- `stream_<name>.npy`: outputs that grow with the run (sample traces, Lyapunov block sums), one
  preallocated array per output on disk, each unit writing its slice before the commit (a unit
  redone after a crash rewrites the same slice), so nothing is concatenated in memory.
- `run.lock`: held (an exclusive `flock`) while a process creates, runs or resumes the folder; a
  second process is refused with the holder's PID. The kernel drops the lock when its holder
  dies, so a lock left by a killed process is stale and never blocks a resume.

`jaxchaos resume FOLDER` reads the job from the record and continues it (`open_run`).
"""

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import platform
import shutil
import socket
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from .._core._errors import ConfigError, DivergenceError

RECORD = "run.json"
LOCK = "run.lock"
CHECKPOINT = "checkpoint.npz"
_PACKAGES = ("jaxchaos", "jax", "jaxlib", "equinox", "diffrax", "optax", "numpy")


# The value a results file holds where a statistic is not defined (no decay time, a loss over no
# steps, a task never solved): results never hold NaN. Each job lists the fields that may hold it.
UNDEFINED = -1.0


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
    import jax

    devices = jax.devices()
    return {
        "versions": versions(),
        "devices": [str(d) for d in devices],
        "device_kind": devices[0].device_kind,
        "platform": devices[0].platform,
        "host": socket.gethostname(),
        "precision": {"dtype": precision, "matmul": "highest"},
    }


@contextlib.contextmanager
def precision_set(precision: str):
    """Within the block, JAX computes in `precision` ("float64" enables x64); the caller's
    setting is restored afterwards, so a float32 run does not switch a session to float32."""
    import jax

    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", precision == "float64")
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


def config_hash(config: dict) -> str:
    """SHA-256 of a resolved config's JSON, in its key order (the order of the sweep axes is the
    order of the grid's axes): what ties a record to its checkpoint."""
    return hashlib.sha256(json.dumps(config).encode()).hexdigest()


# --- files: every write of a run folder goes through `_replace` or `_write_slice` -------------

def _replace(tmp: Path, path: Path):
    """Make a fully written temporary file `tmp` durable and rename it to `path` (atomic)."""
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_atomic(path: Path, write):
    """Write a file through `write(tmp_path)` and rename it into place: readers see the old
    file or the new one, never a half-written one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp" + path.suffix)
    write(tmp)
    _replace(tmp, path)


def write_text(path: Path, text: str):
    """`write_atomic` for a text file."""
    write_atomic(path, lambda tmp: tmp.write_text(text))


def finite_json(name: str, tree) -> str:
    """`tree` (a JSON summary) as indented JSON text; `DivergenceError` naming the first entry
    that is NaN or infinite, so that no results file holds one."""
    def check(where, value):
        if isinstance(value, dict):
            for key, item in value.items():
                check(f"{where}.{key}", item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                check(where, item)
        elif isinstance(value, float) and not np.isfinite(value):
            raise DivergenceError(f"the result {where[1:]!r} of {name} is {value}: nothing "
                                  "was written")

    check("", tree)
    return json.dumps(tree, indent=2)


def write_npz(path: Path, arrays: dict):
    """`write_atomic` for an `.npz` of named arrays (memory-mapped arrays are copied through in
    blocks, never loaded whole)."""
    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    write_atomic(path, write)


def write_record(folder, record: dict):
    """Replace the folder's `run.json` atomically."""
    write_text(Path(folder) / RECORD, json.dumps(record, indent=2))


def read_record(folder, job: str | None = None) -> dict:
    """The `run.json` of a run folder; with `job`, also check that the folder holds that job."""
    path = Path(folder) / RECORD
    if not path.is_file():
        raise ConfigError(f"{folder} is not a jaxchaos run folder (no {RECORD})")
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is damaged (not valid JSON: {err}); the run cannot be "
                          "resumed — start it again in a new folder") from None
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise ConfigError(f"{path} is damaged (no config table); the run cannot be resumed")
    if job is not None and record.get("job", "sweep") != job:
        raise ConfigError(f"{folder} holds a {record.get('job', 'sweep')!r} run, not {job!r}")
    return record


# --- the lock ----------------------------------------------------------------------------------

@contextlib.contextmanager
def locked(folder):
    """Hold the folder's exclusive lock; `ConfigError` naming the holder if another process (or
    another open of this process) holds it."""
    path = Path(folder) / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise ConfigError(f"cannot use {folder} as a run folder: {err.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text().strip() or "another process"
            raise ConfigError(f"{folder} is in use by {holder}: wait for it to finish (a run "
                              "folder is run or resumed by one process at a time)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()}".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock


def _make_folder(folder: Path):
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"output folder {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".jaxchaos-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        reason = err.strerror or str(err)
        raise ConfigError(f"cannot create the run folder {folder}: {reason} (choose another "
                          "--out or output.root)") from None


def new_run_folder(config: dict, out=None, *, job: str = "sweep", sizes=None) -> Path:
    """Create a run folder (default `<output.root>/<name>-<timestamp>`) holding the record of a
    `job` with its resolved `config`. Refuses a folder that holds a run or any other file, and,
    given the job's `sizes(config)` (see `check_fits`), a run too large to fit, before the
    folder is created."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(config["output"]["root"]) / f"{config['name']}-{stamp}"
    folder = Path(out)
    if sizes is not None:
        existing = folder.absolute()
        while not existing.exists():
            existing = existing.parent
        if existing.is_dir() and os.access(existing, os.W_OK):  # else `_make_folder` says why
            check_fits(existing, **sizes(config))
    _make_folder(folder)
    with locked(folder):
        if (folder / RECORD).exists():
            raise ConfigError(f"{folder} already holds a run: continue it with "
                              f"`jaxchaos resume {folder}`")
        others = sorted(p.name for p in folder.iterdir() if p.name != LOCK)
        if others:
            raise ConfigError(f"{folder} is not empty ({', '.join(others[:3])}"
                              f"{', ...' if len(others) > 3 else ''}): a run needs a new or "
                              "empty folder")
        write_record(folder, {"job": job, "config": config, "config_hash": config_hash(config),
                              "status": "created", "progress": 0,
                              "created": datetime.datetime.now().isoformat(timespec="seconds")})
    return folder


# --- pytrees as arrays -------------------------------------------------------------------------

def _is_array(leaf) -> bool:
    return hasattr(leaf, "dtype") and hasattr(leaf, "shape")


def _tree_arrays(tree) -> dict:
    """The array leaves of a pytree (PRNG keys as their raw data), by position."""
    import jax

    arrays = {}
    for i, leaf in enumerate(x for x in jax.tree_util.tree_leaves(tree) if _is_array(x)):
        if jax.numpy.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            leaf = jax.random.key_data(leaf)
        arrays[f"leaf_{i:04d}"] = np.asarray(leaf)
    return arrays


def _tree_from_arrays(data, like):
    """Put arrays written by `_tree_arrays` back into the structure of `like` (non-array leaves
    are taken from `like`)."""
    import jax
    import jax.numpy as jnp

    leaves, treedef = jax.tree_util.tree_flatten(like)
    loaded, i = [], 0
    for leaf in leaves:
        if not _is_array(leaf):
            loaded.append(leaf)
            continue
        name = f"leaf_{i:04d}"
        i += 1
        if name not in data:
            raise ConfigError(f"the checkpoint does not match this job's state ({name} missing)")
        array = np.asarray(data[name])
        is_key = jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)
        expected = jax.random.key_data(leaf) if is_key else leaf
        if array.shape != expected.shape or array.dtype != expected.dtype:
            raise ConfigError(f"the checkpoint does not match this job's state ({name}: "
                              f"{array.shape} {array.dtype}, expected {expected.shape} "
                              f"{expected.dtype}): was it written by another jaxchaos version?")
        array = jnp.asarray(array)
        if is_key:
            array = jax.random.wrap_key_data(array, impl=jax.random.key_impl(leaf))
        loaded.append(array)
    stored = sum(1 for name in data if str(name).startswith("leaf_"))
    if stored != i:
        raise ConfigError(f"the checkpoint holds {stored} state arrays, this job's state {i}: "
                          "was it written by another jaxchaos version?")
    return jax.tree_util.tree_unflatten(treedef, loaded)


def save_tree(path: Path, tree):
    """Write a pytree's array leaves (PRNG keys as their raw data) to `path` atomically."""
    write_npz(path, _tree_arrays(tree))


def load_tree(path: Path, like):
    """Read leaves written by `save_tree` into the structure of `like`."""
    with np.load(path) as data:
        return _tree_from_arrays(data, like)


# --- streamed outputs --------------------------------------------------------------------------

def _write_slice(array: np.memmap, index: tuple, values):
    """Write `values` into a slice of a memory-mapped stream and flush it to disk."""
    array[index] = values
    array.flush()


class Stream:
    """An output written slice by slice into `stream_<name>.npy` (a preallocated `.npy` file,
    memory-mapped) along `axis`, so that the whole array never sits in memory."""

    def __init__(self, folder: Path, name: str, shape: tuple, dtype, axis: int, create: bool):
        self.path = Path(folder) / f"stream_{name}.npy"
        self.axis = axis
        if not np.prod(shape):  # nothing to stream (a memory map cannot be empty)
            self.array = np.zeros(shape, dtype)
        elif create:
            self.array = np.lib.format.open_memmap(self.path, mode="w+", dtype=dtype,
                                                   shape=tuple(shape))
        elif not self.path.is_file():
            raise ConfigError(f"{self.path} is missing: the run cannot be resumed")
        else:
            self.array = np.lib.format.open_memmap(self.path, mode="r+")
            if self.array.shape != tuple(shape) or self.array.dtype != np.dtype(dtype):
                raise ConfigError(f"{self.path} does not match the run's config")

    def write(self, start: int, values):
        """Write `values` at positions `start, start + 1, ...` along the stream's axis."""
        values = np.asarray(values)
        if not values.size:
            return
        index = (slice(None),) * self.axis + (slice(start, start + values.shape[self.axis]),)
        _write_slice(self.array, index, values)


# --- sizes -------------------------------------------------------------------------------------

GIB = 2**30


def check_fits(folder: Path, *, disk_bytes: float, device_bytes: float, disk_keys: str,
               device_keys: str):
    """Refuse a run whose files (`disk_bytes`) exceed the folder's free disk space or whose
    estimated peak device memory (`device_bytes`) exceeds the device's, naming the config keys
    that set them; `disk_keys`/`device_keys` list them."""
    free = shutil.disk_usage(folder).free
    if disk_bytes > free:
        raise ConfigError(f"the run would write {disk_bytes / GIB:.3g} GiB but {folder} has "
                          f"{free / GIB:.3g} GiB free: lower {disk_keys}")
    from .._core._simulate import device_memory_bytes

    limit = device_memory_bytes()
    if device_bytes > limit:
        raise ConfigError(f"the run needs about {device_bytes / GIB:.3g} GiB of device memory, "
                          f"the device has {limit / GIB:.3g} GiB: lower {device_keys}")


# --- an open run -------------------------------------------------------------------------------

class Run:
    """A run folder opened by `open_run`: its `record`, resolved `config`, the committed
    `progress` (units of work done) and whether it has `finished`."""

    def __init__(self, folder: Path, record: dict, config: dict):
        self.folder, self.record, self.config = folder, record, config
        self.finished = record.get("status") == "finished"
        self.progress = 0
        self._checkpoint = None  # the committed arrays, read by `restore`
        if self.finished or not record.get("progress", 0) and not (folder / CHECKPOINT).exists():
            return
        path = folder / CHECKPOINT
        if not path.is_file():
            raise ConfigError(f"{path} is missing although the record says "
                              f"{record.get('progress')} units are done: the run cannot be "
                              "resumed — start it again in a new folder")
        try:
            with np.load(path) as data:
                checkpoint = {k: data[k] for k in data.files}
            meta = json.loads(str(checkpoint.pop("meta")))
        except Exception as err:  # noqa: BLE001 - any unreadable checkpoint means the same
            raise ConfigError(f"{path} is damaged ({err}): the run cannot be resumed") from None
        if meta["config_hash"] != record["config_hash"]:
            raise ConfigError(f"{path} belongs to another config: the run cannot be resumed")
        recorded = record.get("progress", 0)
        if meta["progress"] < recorded:  # ahead by one commit after a crash; never behind
            raise ConfigError(f"{path} holds progress {meta['progress']} but {RECORD} says "
                              f"{recorded}: the folder was edited; the run cannot be resumed")
        self.progress, self._checkpoint = meta["progress"], checkpoint

    def restore(self, like):
        """The committed state in the structure of `like` (`like` itself before the first
        commit), and the committed named arrays."""
        if self._checkpoint is None:
            return like, {}
        tree = _tree_from_arrays(self._checkpoint, like)
        prefix = "array_"
        return tree, {k[len(prefix):]: v for k, v in self._checkpoint.items()
                      if k.startswith(prefix)}

    def stream(self, name: str, shape: tuple, dtype, axis: int) -> Stream:
        """The streamed output `name` (created by a run that starts from the beginning)."""
        return Stream(self.folder, name, shape, dtype, axis, create=self.progress == 0)

    def save(self, **fields):
        """Update record fields and write the record."""
        self.record.update(fields)
        write_record(self.folder, self.record)

    def commit(self, progress: int, tree, arrays: dict | None = None, **fields):
        """Commit `progress` units with the job's state `tree` and named `arrays` (one atomic
        checkpoint write), then record the progress and `fields` in `run.json`."""
        checkpoint = _tree_arrays(tree)
        checkpoint.update({f"array_{k}": np.asarray(v) for k, v in (arrays or {}).items()})
        meta = {"progress": progress, "config_hash": self.record["config_hash"]}
        checkpoint["meta"] = np.asarray(json.dumps(meta))
        write_npz(self.folder / CHECKPOINT, checkpoint)
        self.progress = progress
        self.save(progress=progress, **fields)

    def finish(self, **fields):
        """Mark the run finished and remove the files only a resume needs."""
        self.save(status="finished",
                  finished=datetime.datetime.now().isoformat(timespec="seconds"), **fields)
        self.finished = True
        for path in self.folder.glob("stream_*.npy"):
            path.unlink()


@contextlib.contextmanager
def open_run(folder, job: str, resolve, sizes=None):
    """Lock a `job` run folder and open it as a `Run`, with the run's precision set (and the
    caller's restored on exit) and the environment recorded. The record must be untouched (its
    config hash); a run that has not finished must fit this machine (`check_fits` of the job's
    `sizes(config)`, as when it was created: a resume may run elsewhere); an interrupt, a
    divergence or any other error is recorded in its status before it propagates."""
    folder = Path(folder)
    read_record(folder, job)  # a run folder at all, before a lock file is created in it
    with locked(folder):
        record = read_record(folder, job)
        if record.get("config_hash") != config_hash(record["config"]):
            raise ConfigError(f"{folder / RECORD} was edited (its config no longer matches its "
                              "hash): a run's config cannot change — start a new run with the "
                              "edited config")
        config = resolve(record["config"])
        run = Run(folder, record, config)
        for path in folder.glob("stream_*.npy") if run.finished else ():
            path.unlink()  # left by a crash between finishing and cleaning up
        precision = config["output"]["precision"]
        if not run.finished:
            record.update(environment(precision))
        try:
            if sizes is not None and not run.finished:
                check_fits(folder, **sizes(config))
            with precision_set(precision):
                yield run
        except KeyboardInterrupt:
            run.save(status="interrupted")  # the last checkpoint stays valid
            raise
        except DivergenceError as err:
            run.save(status="diverged", error=str(err))  # the last checkpoint stays valid
            raise
        except Exception as err:
            run.save(status="failed", error=f"{type(err).__name__}: {err}")
            raise
