"""The jobs a config can describe and the one entry point that runs any of them.

A TOML config's top-level `job` key (default "sweep") picks how it is resolved and executed:

| job           | config tables                              | executed by                 |
|---------------|--------------------------------------------|-----------------------------|
| `"sweep"`     | model, sweep, simulation, lyapunov, output | `_sweep_job.execute`        |
| `"train-rnn"` | network, task, flossing, training, output  | `_training_job.train`       |
| `"train-gan"` | latent, data, model, training, output      | `_gan_job.train_gan`        |
| `"deep-net"`  | network, figures, output                   | `_deepnet_job.run_deep_net` |
| `"spiking"`   | network, simulation, lyapunov, output      | `_spiking_job.run_spiking`  |

`start_run` resolves a config (every error before anything is compiled), refuses a run too
large for the disk or the device (the config module's `sizes`, `_runfolder.check_fits`) and
creates its run folder; `execute_run` runs or resumes whatever job a run folder holds. The job
modules are imported only when needed, and each job's config module (`_<job>_config`) is pure
Python, so that a config error never waits for JAX or scikit-learn.
"""

import importlib
from pathlib import Path

from .._core._errors import ConfigError, check_choice

JOBS = {  # job: its config module (`resolve`, `sizes`: pure Python) and its executor
    "sweep": ("._sweep_config:resolve_config", "._sweep_job:execute"),
    "train-rnn": ("._training_config:resolve_training_config", "._training_job:train"),
    "train-gan": ("._gan_config:resolve_gan_config", "._gan_job:train_gan"),
    "deep-net": ("._deepnet_config:resolve_deep_net_config", "._deepnet_job:run_deep_net"),
    "spiking": ("._spiking_config:resolve_spiking_config", "._spiking_job:run_spiking"),
}


def _attribute(reference: str):
    module, name = reference.split(":")
    return getattr(importlib.import_module(module, __package__), name)


def resolve_job(raw: dict) -> tuple[str, dict]:
    """The job a raw config table names and its resolved config; `ConfigError` for bad input."""
    if not isinstance(raw, dict):
        raise ConfigError("a config must be a table")
    raw = dict(raw)
    job = raw.pop("job", "sweep")
    if not isinstance(job, str):
        raise ConfigError(f"job must be a string, got {job!r}")
    check_choice("job", job, JOBS)
    return job, _attribute(JOBS[job][0])(raw)


def start_run(config_path=None, out=None) -> Path:
    """Resolve a TOML config (None: the embedded default sweep) and create its run folder."""
    from ._config import read_toml
    from ._runfolder import new_run_folder
    from ._sweep_config import default_config

    if config_path is None:
        job, config = "sweep", default_config()
    else:
        job, config = resolve_job(read_toml(config_path))
    sizes = _attribute(JOBS[job][0].split(":")[0] + ":sizes")
    return new_run_folder(config, out, job=job, sizes=sizes)


def execute_run(folder, *, progress: bool = True) -> Path:
    """Run, or resume after an interrupt, the job held by a run folder."""
    from ._runfolder import read_record

    job = read_record(folder).get("job", "sweep")
    check_choice("job", job, JOBS)
    return _attribute(JOBS[job][1])(folder, progress=progress)
