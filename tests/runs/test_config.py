"""Config resolution: defaults, sweep axes, and a clear error naming the field for bad input."""

import subprocess
import sys
from pathlib import Path

import equinox as eqx
import pytest

import jaxchaos
from jaxchaos._runs._config import NUMBER
from jaxchaos._runs._jobs import JOBS, resolve_job
from jaxchaos._runs._sweep_config import (
    _MODEL,
    CONNECTIVITY_KEYS,
    FLOW_KINDS,
    SWEEPABLE,
    build_system,
    default_config,
    load_config,
    read_toml,
    resolve_config,
)

CONFIGS = sorted((Path(__file__).parents[2] / "configs").glob("*.toml"))


def test_default_config_is_a_gain_sweep():
    config = default_config()
    assert config["model"]["kind"] == "scs"
    assert len(config["sweep"]["gain"]) > 2 and len(config["sweep"]["seed"]) > 1
    assert min(config["sweep"]["gain"]) < 1 < max(config["sweep"]["gain"])


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_resolve(path):
    job, config = resolve_job(read_toml(path))
    assert job in JOBS
    if job == "sweep":
        first = {name: values[0] for name, values in config["sweep"].items()}
        system = build_system(config["model"], first)
        assert system.n == config["model"]["n"]


def test_job_key_is_checked():
    with pytest.raises(jaxchaos.ConfigError, match="unknown job 'train'"):
        resolve_job({"job": "train"})
    with pytest.raises(jaxchaos.ConfigError, match="job must be a string"):
        resolve_job({"job": 3})
    with pytest.raises(jaxchaos.ConfigError, match="unknown top-level key"):
        resolve_job({"job": "train-rnn", "model": {}})


def test_linspace_axis():
    config = resolve_config({"sweep": {"gain": {"start": 0.5, "stop": 2.0, "num": 4}}})
    assert config["sweep"]["gain"] == [0.5, 1.0, 1.5, 2.0]
    assert config["sweep"]["seed"] == [0]


def _error(raw):
    with pytest.raises(jaxchaos.ConfigError) as info:
        resolve_config(raw)
    return str(info.value)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"modle": {}}, "modle"),
        ({"model": {"kind": "ising"}}, "model.kind"),
        ({"model": {"nonlinearity": "sigmoid"}}, "model.nonlinearity"),
        ({"model": {"n": 0}}, "model.n"),
        ({"model": {"n": 10.5}}, "model.n"),
        ({"model": {"gain": -1.0}}, "model.gain"),
        ({"model": {"gain": float("nan")}}, "model.gain"),
        ({"model": {"gian": 1.0}}, "gian"),
        ({"model": {"noise": -0.1}}, "model.noise"),
        ({"model": {"connectivity": "sparse"}}, "k"),
        ({"model": {"connectivity": "sparse", "k": 500, "n": 100}}, "k = 500"),
        ({"model": {"kind": "cessac", "gain": 2.0}}, "model.gain"),
        ({"model": {"kind": "cessac", "leak": 1.0}}, "model.leak"),
        ({"model": {"zero_diagonal": 1}}, "model.zero_diagonal"),
        ({"sweep": {"gain": []}}, "sweep.gain"),
        ({"sweep": {"gain": [1.0, float("nan")]}}, "sweep.gain"),
        ({"sweep": {"gain": [-1.0]}}, "sweep.gain"),
        ({"sweep": {"n": [10, 20]}}, "sweep.n"),
        ({"sweep": {"seed": [0.5]}}, "sweep.seed"),
        ({"sweep": {"gain": {"start": 0.5, "stop": 2.0}}}, "sweep.gain"),
        ({"simulation": {"dt": 0.0}}, "simulation.dt"),
        ({"simulation": {"dt": -0.1}}, "simulation.dt"),
        ({"simulation": {"t_end": 100.0, "record_every": 0.3}}, "simulation.t_end"),
        ({"simulation": {"record_every": 0.25, "dt": 0.1}}, "simulation.record_every"),
        ({"simulation": {"chunks": 7}}, "simulation.chunks"),
        ({"simulation": {"solver": "rk45"}}, "simulation.solver"),
        ({"simulation": {"t_warmup": 400.0}}, "simulation.t_warmup"),
        ({"simulation": {"trace_neurons": 1000}}, "simulation.trace_neurons"),
        ({"model": {"kind": "cessac"}, "simulation": {"dt": 0.5}}, "simulation.dt"),
        ({"output": {"precision": "float16"}}, "output.precision"),
        ({"name": "../escape"}, "name"),
        # issue 14: sweep axes that would not change the system, impossible schedules and steps
        ({"sweep": {"excitatory_fraction": [0.5, 0.8]}}, "sweep.excitatory_fraction"),
        ({"sweep": {"k": [10]}}, "sweep.k"),
        ({"simulation": {"dt": 1e-300}}, "simulation.dt"),
        ({"simulation": {"t_end": 20.0, "t_warmup": 10.0, "autocorrelation_window": 15.0,
                         "chunks": 1}}, "simulation.autocorrelation_window"),
        ({"lyapunov": {"t_sim": 1e12, "n_blocks": 1}}, "simulation.dt"),
    ],
)
def test_bad_config_names_the_field(raw, field):
    assert field in _error(raw)


def test_malformed_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[model\nn = 3")
    with pytest.raises(jaxchaos.ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(jaxchaos.ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


# The model's context in which each sweepable key has an effect (issue 14 item 5).
_CONTEXT = {
    "input_value": {"input": "constant"},
    "input_amplitude": {"input": "sinusoid", "input_frequency": 0.3},
    "input_frequency": {"input": "sinusoid", "input_amplitude": 0.5},
    "gain_high": {"gain_schedule": "alternating"},
    "threshold_mean": {"threshold_std": 0.5},
    "shift": {"nonlinearity": "shifted_tanh"},
}


@pytest.mark.parametrize("key", [k for k in SWEEPABLE if k != "seed"])
def test_every_sweep_axis_changes_the_system(key):
    """Issue 14 item 5: a sweep point's value of every sweepable key gives the system of a
    [model] table holding that value, and a different system than the default's. New numeric
    model keys are sweepable by default, so this loops over them automatically."""
    default, _, used_by = _MODEL[key]
    kind = "scs" if used_by is None else used_by[0]
    model = {"kind": kind, "n": 12, **({"patterns": 2} if kind == "hopfield" else {}),
             **_CONTEXT.get(key, {})}
    value = (default or 0.0) + 0.25
    sim = {"solver": "euler"} if key == "noise" else {}
    if kind not in FLOW_KINDS:
        sim["record_every"] = 1.0  # maps count steps
    swept = resolve_config({"model": model, "sweep": {key: [value]}, "simulation": sim})
    fixed = resolve_config({"model": {**model, key: value}, "simulation": sim})
    base = resolve_config({"model": model, "simulation": sim})
    at_point = build_system(swept["model"], {"seed": 0, key: value})
    assert bool(eqx.tree_equal(at_point, build_system(fixed["model"], {"seed": 0}))), key
    assert not bool(eqx.tree_equal(at_point, build_system(base["model"], {"seed": 0}))), key


@pytest.mark.parametrize("key", sorted(set(CONNECTIVITY_KEYS) & {
    k for k, (_, kind, _) in _MODEL.items() if kind is NUMBER}))
def test_connectivity_keys_are_refused_as_sweep_axes(key):
    with pytest.raises(jaxchaos.ConfigError, match=f"sweep.{key}.*cannot be swept"):
        resolve_config({"sweep": {key: [0.5]}})


def test_config_errors_do_not_import_jax(tmp_path):
    """Issue 14 item 10: resolving a bad sweep config, in a fresh process, through the CLI's
    path, reports the error without importing JAX."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation]\ndt = -0.1\n")
    code = ("import sys\n"
            "from jaxchaos._runs._cli import main\n"
            f"assert main(['run', {str(bad)!r}, '--out', {str(tmp_path / 'r')!r}]) == 2\n"
            "assert 'jax' not in sys.modules, 'jax was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "simulation.dt must be > 0" in result.stderr


def test_show_config_into_a_closed_pipe(tmp_path):
    """Issue 14 item 8: `jaxchaos show-config | head -1` ends without a traceback."""
    result = subprocess.run(f"{sys.executable} -m jaxchaos show-config | head -1", shell=True,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout == "{\n" and "Traceback" not in result.stderr, result.stderr
