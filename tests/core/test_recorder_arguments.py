"""Recorder and `simulate` arguments that would give silently wrong or impossible output are
refused before compiling (issue 14, items 7 and 10). (Autocorrelation lags beyond the run are
reported with 0 pairs: test_simulate.py; the sweep job refuses such a window at config time.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc


def _net(n=8):
    return jc.SCSNetwork.random(jax.random.key(0), n, 1.5)


@pytest.mark.parametrize("start", [float("nan"), float("inf")])
def test_moments_start_must_be_finite(start):
    with pytest.raises(jc.ConfigError, match="Moments start"):
        jc.Moments(start=start)
    with pytest.raises(jc.ConfigError, match="Autocorrelation start"):
        jc.Autocorrelation(3, start=start)


def test_a_recorder_starting_after_t1_is_refused():
    with pytest.raises(jc.ConfigError, match=r"recorders\['m'\].start = 20.0 lies after t1"):
        jc.simulate(_net(), key=jax.random.key(1), t1=10.0, dt=0.1,
                    recorders={"m": jc.Moments(start=20.0)})


def test_a_trajectory_larger_than_the_device_is_refused_before_compiling():
    """10¹² records of 8 neurons (~60 TiB) cannot fit any device."""
    with pytest.raises(jc.ConfigError, match="record_every"):
        jc.simulate(_net(), key=jax.random.key(1), t1=1e11, dt=0.1)


def test_a_recorder_of_one_quantity_is_its_array(getkey):
    """Issue 20 item 7: `records["x"]` is the trajectory itself (not `records["x"]["x"]`);
    recorders of several quantities stay dicts."""
    net = jc.SCSNetwork.random(getkey(), 5, 1.5)
    sim = jc.simulate(net, t1=1.0, dt=0.1, record_every=0.5, key=getkey(),
                      recorders={"x": jc.Trajectory(neurons=(0, 2)), "m": jc.Moments()})
    assert isinstance(sim.records["x"], jax.Array) and sim.records["x"].shape == (2, 2)
    np.testing.assert_array_equal(sim.records["x"][-1], sim.state.x[jnp.array([0, 2])])
    assert set(sim.records["m"]) == {"mean", "var", "count"}
