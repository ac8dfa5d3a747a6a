"""Connectivity keys of the [model] table: the shipped sparse configs, the checked critical-gain
claim, the built ensembles, and one-line errors naming the key."""

import re
from pathlib import Path

import jax
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._runs._sweep_config import (
    build_system,
    connectivity_from,
    load_config,
    resolve_config,
)

CONFIGS = Path(__file__).parents[2] / "configs"


def test_sparse_ei_claim_is_the_computed_critical_gain():
    """The number in the config's claim is `critical_gain` of the ensemble it builds (3 digits)."""
    path = CONFIGS / "scs_sparse_ei.toml"
    claimed = float(re.search(r"critical gain g_c = ([0-9.]+)", path.read_text()).group(1))
    config = load_config(path)
    ensemble = connectivity_from(config["model"])
    assert isinstance(ensemble, jc.Ensemble) and ensemble.storage == "sparse"
    assert abs(jc.critical_gain(ensemble, config["model"]["n"]) - claimed) < 5e-4
    gains = config["sweep"]["gain"]
    assert min(gains) < claimed < max(gains)


def test_million_neuron_config_validates():
    """Only resolved: building it draws 10⁸ entries (scripts/benchmark_connectivity.py)."""
    config = load_config(CONFIGS / "large" / "scs_sparse_million.toml")
    model = config["model"]
    assert model["n"] == 10**6 and model["k"] == 100 and model["storage"] == "sparse"
    assert config["output"]["precision"] == "float32" and config["lyapunov"]["k"] == 1


def _model(**keys):
    return {"model": {"kind": "scs", "n": 50, **keys}}


def test_built_system_has_the_ensemble():
    """The system's coupling is the ensemble drawn from the seed's connectivity key, in every
    storage; low_rank wraps it."""
    for storage in ("dense", "sparse", "regenerated"):
        config = resolve_config(_model(ensemble="random", k=10, storage=storage))
        system = build_system(config["model"], {"seed": 0, "gain": 1.5})
        w = system.weights
        dense = np.asarray(w if isinstance(w, jax.Array) else w.to_dense())
        assert np.all((dense != 0).sum(axis=0 if storage == "regenerated" else 1) == 10)
    config = resolve_config(_model(ensemble="low_rank", outliers=[3.0]))
    assert isinstance(build_system(config["model"], {"seed": 0}).weights, jc.LowRankOperator)
    config = resolve_config(_model(ensemble="random", eta=1.0))
    w = np.asarray(build_system(config["model"], {"seed": 0}).weights)
    np.testing.assert_array_equal(w, w.T)


@pytest.mark.parametrize("keys, message", [
    (dict(ensemble="gaussian"), "model.ensemble"),
    (dict(ensemble="random", k=50), "model.k"),
    (dict(ensemble="random", fractions=[0.8, 1.2], means=[[0, 0], [0, 0]],
          stds=[[1, 1], [1, 1]]), "model.fractions"),
    (dict(ensemble="random", fractions=[0.8, 0.2]), "model.means"),
    (dict(ensemble="random", fractions=[0.8, 0.2], means=[[0, 0], [0, 0]], stds=[[1, 1]]),
     "model.stds"),
    (dict(ensemble="random", storage="csr"), "model.storage"),
    (dict(ensemble="random", scaling="sqrt"), "model.scaling"),
    (dict(fractions=[0.5, 0.5]), "model.fractions"),
    (dict(ensemble="random", excitatory_fraction=0.8), "model.excitatory_fraction"),
    (dict(ensemble="random", eta=2.0), "eta"),
    (dict(ensemble="random", storage="sparse"), "k"),
])
def test_bad_connectivity_keys_name_the_key(keys, message):
    with pytest.raises(jc.ConfigError, match=message) as err:
        resolve_config(_model(**keys))
    assert "\n" not in str(err.value)


def test_eta_is_not_sweepable():
    with pytest.raises(jc.ConfigError, match="sweep.eta"):
        resolve_config({**_model(ensemble="random"), "sweep": {"eta": [0.0, 0.5]}})
