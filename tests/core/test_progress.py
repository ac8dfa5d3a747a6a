"""Opt-in progress bars: `progress=True` gives the same results as one compiled call, and the
bar counts every unit of work exactly once (a recording stand-in for tqdm)."""

import jax
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos import ConfigError
from jaxchaos._core import _progress


def test_chunk_lengths():
    assert _progress.chunk_lengths(1000) == [10] * 100
    assert _progress.chunk_lengths(1001) == [11] * 91
    assert _progress.chunk_lengths(1003) == [11] * 91 + [2]
    assert _progress.chunk_lengths(7) == [1] * 7
    for total in (1, 99, 100, 101, 12345):
        assert sum(_progress.chunk_lengths(total)) == total


def test_simulate_with_progress_is_the_same_run(getkey, bars):
    """Chunked records (103 records: 52 chunks of 2 and one of 1) equal one scan exactly, for a
    noisy flow (the noise key advances across chunks) and every recorder kind."""
    net = jc.SCSNetwork.random(getkey(), 30, 1.8, noise=0.1)
    recorders = {"x": jc.Trajectory(neurons=(0, 3)), "m": jc.Moments(start=2.0),
                 "c": jc.Autocorrelation(max_lag=4, start=1.0)}
    kwargs = dict(t1=51.5, dt=0.1, record_every=0.5, key=getkey(), recorders=recorders,
                  solver="euler")
    plain = jc.simulate(net, **kwargs)
    shown = jc.simulate(net, **kwargs, progress=True)
    for a, b in zip(jax.tree.leaves(plain.records), jax.tree.leaves(shown.records), strict=True):
        np.testing.assert_array_equal(a, b)
    (bar,) = bars
    assert bar.total == 103 and bar.n == 103 and bar.closed


def test_progress_must_be_a_bool(getkey):
    net = jc.SCSNetwork.random(getkey(), 5, 1.0)
    with pytest.raises(ConfigError, match="progress"):
        jc.simulate(net, t1=1.0, dt=0.1, key=getkey(), progress="yes")
