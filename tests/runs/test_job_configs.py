"""Every job's config module (issue 14, items 7 and 10): a bad config is a one-line error that
never imports JAX, and a run too large for the disk or the device is refused, naming the keys
to change, before its run folder is created."""

import subprocess
import sys

import pytest

import jaxchaos
from jaxchaos._runs._jobs import JOBS, start_run

# (job, TOML body, what the one-line error says): one row per job at least; grows with new keys.
BAD_CONFIGS = [
    ("sweep", "[simulation]\ndt = -0.1\n", "simulation.dt must be > 0"),
    ("train-rnn", "[network]\ncell = 'lstm2'\n", "network.cell"),
    ("train-rnn", "[training]\nprotocol = 'interleaved'\n", "training.floss_at"),
    ("train-rnn", "[flossing]\nk = 64\n", "flossing.k = 64 exceeds the state dimension 32"),
    ("train-gan", "[data]\nsource = 'mnist'\n", "data.source"),
    ("train-gan", "[data]\nimage_size = 9\n", "data.image_size"),
    ("train-gan", "[latent]\ngain = nan\n", "latent.gain"),
    ("deep-net", "[network]\ndepth = 2\n", "network.depth must be at least 3"),
    ("deep-net", "[figures]\nq0 = []\n", "figures.q0 must not be empty"),
    ("spiking", "[network]\nneuron = 'hh'\n", "network.neuron"),
    ("spiking", "[simulation]\nsearch = 'heap'\n", "simulation.search"),
    ("spiking", "[lyapunov]\nk = 5000\n", "lyapunov.k = 5000 must be <= network.n"),
]


def _toml(tmp_path, job, body, name="c"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'job = "{job}"\n{body}')
    return path


def test_bad_configs_are_one_line_errors_without_jax(tmp_path):
    """All rows in one fresh process, through the CLI: each run returns 2 with its message on
    one line, no folder is created, and JAX is never imported."""
    paths = [str(_toml(tmp_path, job, body, f"bad{i}")) for i, (job, body, _) in
             enumerate(BAD_CONFIGS)]
    code = ("import sys\n"
            "from jaxchaos._runs._cli import main\n"
            f"for i, path in enumerate({paths!r}):\n"
            f"    assert main(['run', path, '--out', {str(tmp_path)!r} + f'/run{{i}}']) == 2\n"
            "assert 'jax' not in sys.modules, 'jax was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD_CONFIGS), result.stderr
    for line, (job, _, message) in zip(lines, BAD_CONFIGS, strict=True):
        assert line.startswith("jaxchaos: error: ") and message in line, (job, line)
    assert not list(tmp_path.glob("run*"))


def test_job_tables_match_the_library():
    """The config modules' pure-Python lists of names equal the library's tables."""
    from jaxchaos._generative._data import load_dataset  # noqa: F401 - imports DATA_SOURCES' user
    from jaxchaos._learning._rnn import CELLS
    from jaxchaos._learning._tasks import TASKS
    from jaxchaos._models._spiking import NEURONS, SEARCHES
    from jaxchaos._runs import _spiking_config, _training_config

    assert _training_config.CELL_KINDS == tuple(CELLS)
    assert _training_config.TASK_KINDS == tuple(TASKS)
    assert _spiking_config.NEURON_KINDS == tuple(NEURONS)
    assert _spiking_config.SEARCH_KINDS == tuple(SEARCHES)
    assert set(JOBS) == {"sweep", "train-rnn", "train-gan", "deep-net", "spiking"}


# (job, TOML body, the key the error names): absurd sizes, each refused before any run.
TOO_LARGE = [
    ("sweep", "[simulation]\nt_end = 1e9\nrecord_every = 1.0\ndt = 1.0\ntrace_neurons = 400\n"
              "[model]\nn = 400\n", "would write.*simulation.trace_neurons"),
    ("sweep", "[model]\nn = 1000000\n", "device memory.*model.n"),
    ("train-rnn", "[network]\nn = 4096\n[training]\nseeds = 1000000\n",
     "would write.*training.seeds"),
    ("train-rnn", "[network]\nn = 1000\n[task]\nlength = 100000\n[training]\nseeds = 1\n"
                  "batch = 10000\n", "device memory.*task.length"),
    ("train-gan", "[training]\nsteps = 1000000000000\nsample_every = 1\n",
     "would write.*training.sample_every"),
    ("train-gan", "[training]\nbatch = 100000000\n", "device memory.*training.batch"),
    ("deep-net", "[network]\nwidth = 100000\n", "device memory.*network.width"),
    ("spiking", "[simulation]\nt_end = 1e13\n", "would write.*simulation.t_end"),
    ("spiking", "[network]\nn = 100000\n[lyapunov]\nk = 100000\n",
     "device memory.*lyapunov.k"),
]


@pytest.mark.parametrize(("job", "body", "match"), TOO_LARGE,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(TOO_LARGE)])
def test_too_large_a_run_is_refused_before_its_folder_exists(tmp_path, job, body, match):
    out = tmp_path / "runs" / "big"
    with pytest.raises(jaxchaos.ConfigError, match=match) as info:
        start_run(_toml(tmp_path, job, body), out)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "runs").exists()


def test_summaries_with_a_non_finite_number_are_refused():
    """The JSON summaries (deep-net, spiking, GAN quality) go through `finite_json`: a NaN or an
    infinity anywhere is a `DivergenceError` naming the entry, finite values pass unchanged."""
    import json

    from jaxchaos._runs._runfolder import finite_json

    tree = {"a": [1.0, 2], "b": {"c": 0.5, "d": None}}
    assert json.loads(finite_json("summary.json", tree)) == tree
    for bad, where in ((float("inf"), "b.c"), (float("nan"), "b.c")):
        with pytest.raises(jaxchaos.DivergenceError, match=f"'{where}' of summary.json"):
            finite_json("summary.json", {"a": [1.0], "b": {"c": bad}})
    with pytest.raises(jaxchaos.DivergenceError, match="'a' of"):
        finite_json("summary.json", {"a": [1.0, float("-inf")]})
