"""Config resolution: defaults, sweep axes, and a clear error naming the field for bad input."""

from pathlib import Path

import pytest

import jaxchaos
from jaxchaos._runs._jobs import JOBS, resolve_job
from jaxchaos._runs._sweep_config import (
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
