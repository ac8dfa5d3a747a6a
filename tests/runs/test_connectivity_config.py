"""Connectivity keys of the [model] table: the shipped sparse configs, the checked critical-gain
claim, the built ensembles, and one-line errors naming the key."""

import json
import re
import subprocess
import sys
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
    config = resolve_config(_model(ensemble="random", eta=1.0, k=10, in_degree="binomial",
                                   storage="sparse"))
    w = np.asarray(build_system(config["model"], {"seed": 0}).weights.to_dense())
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
    (dict(ensemble="random", k=10, storage="sparse", eta=0.5), "eta with k.*in_degree"),
])
def test_bad_connectivity_keys_name_the_key(keys, message):
    with pytest.raises(jc.ConfigError, match=message) as err:
        resolve_config(_model(**keys))
    assert "\n" not in str(err.value)


def test_eta_is_not_sweepable():
    with pytest.raises(jc.ConfigError, match="sweep.eta"):
        resolve_config({**_model(ensemble="random"), "sweep": {"eta": [0.0, 0.5]}})


def test_million_config_size_estimate_counts_the_sparse_operator(tmp_path):
    """The sweep's size estimate uses the ensemble's storage (`Ensemble.stored_bytes`), not N²:
    the million-neuron sparse config (0.75 GiB of float32 weights and int32 indices) is
    estimated below 3 GiB and gets its run folder, while the same network stored densely
    (N² = 4·10¹² bytes) is refused before any folder is made, naming model.n. Computing the
    estimate imports no JAX."""
    from jaxchaos._runs._runfolder import check_fits, new_run_folder
    from jaxchaos._runs._sweep_config import read_toml, sizes

    config = load_config(CONFIGS / "large" / "scs_sparse_million.toml")
    estimate = sizes(config)["device_bytes"]
    operator = connectivity_from(config["model"]).stored_bytes(10**6, 4)
    assert operator == 10**8 * 8 and operator < estimate < 3 * 2**30
    check_fits(tmp_path, **sizes(config))
    assert (new_run_folder(config, tmp_path / "sparse", sizes=sizes) / "run.json").is_file()
    raw = read_toml(CONFIGS / "large" / "scs_sparse_million.toml")
    raw["model"]["storage"] = "dense"
    raw["model"].pop("k")
    dense = resolve_config(raw)
    assert sizes(dense)["device_bytes"] > 10**12
    with pytest.raises(jc.ConfigError, match="device memory.*model.n"):
        new_run_folder(dense, tmp_path / "dense", sizes=sizes)
    assert not (tmp_path / "dense").exists()
    code = ("import json, sys\n"
            "from jaxchaos._runs._sweep_config import sizes\n"
            f"print(sizes(json.loads({json.dumps(json.dumps(config))}))['device_bytes'])\n"
            "assert 'jax' not in sys.modules, 'jax was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == estimate
