"""`load_results`: a sweep's npz as an xarray Dataset with named axes; `sel` picks the same
numbers as indexing the npz."""

import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos import ConfigError


def test_named_axes_and_coordinates(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"axis_seed": np.arange(3), "axis_gain": np.array([0.5, 1.0, 2.0, 3.0]),
              "lags": np.arange(6) * 0.5, "times": np.arange(5.0), "neurons": np.arange(5),
              "variance": rng.random((3, 4)), "autocovariance": rng.random((3, 4, 6)),
              "traces": rng.random((3, 4, 5, 2))}
    np.savez(tmp_path / "results.npz", **arrays)
    ds = jc.load_results(tmp_path)
    assert ds["variance"].dims == ("seed", "gain")
    assert ds["autocovariance"].dims == ("seed", "gain", "lags")
    # times and neurons have the same length: ambiguous, so the trace axis gets a plain name
    assert ds["traces"].dims == ("seed", "gain", "traces_dim0", "traces_dim1")
    np.testing.assert_array_equal(ds["variance"].sel(gain=2.0), arrays["variance"][:, 2])
    np.testing.assert_array_equal(ds["autocovariance"].sel(seed=1, gain=0.5, lags=1.5),
                                  arrays["autocovariance"][1, 0, 3])


def test_errors(tmp_path):
    with pytest.raises(ConfigError, match="path"):
        jc.load_results(tmp_path / "missing.npz")
    np.savez(tmp_path / "plain.npz", x=np.ones(3))
    with pytest.raises(ConfigError, match="axis_"):
        jc.load_results(tmp_path / "plain.npz")
