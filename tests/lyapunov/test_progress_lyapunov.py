"""`progress=True` in the Lyapunov functions: the same exponents and vectors as without, and a
bar that counts every block / QR interval (a recording stand-in for tqdm)."""

import numpy as np
import pytest

import jaxchaos as jc


def test_spectrum_with_progress_is_the_same(getkey, bars):
    """Block by block = all blocks in one call, exactly; with `tol` the total grows per round."""
    net = jc.SCSNetwork.random(getkey(), 20, 2.5)
    kwargs = dict(dt=0.1, solver="euler", k=3, t_warmup=10.0, t_frame_warmup=5.0, t_sim=20.0,
                  n_blocks=4, key=getkey())
    plain = jc.lyapunov_spectrum(net, **kwargs)
    shown = jc.lyapunov_spectrum(net, **kwargs, progress=True)
    np.testing.assert_array_equal(plain.block_exponents, shown.block_exponents)
    np.testing.assert_array_equal(plain.frame, shown.frame)
    assert (bars[0].total, bars[0].n, bars[0].closed) == (4, 4, True)
    with pytest.warns(RuntimeWarning, match="t_max"):
        rounds = jc.lyapunov_spectrum(net, **kwargs, tol=1e-9, t_max=60.0, progress=True)
    assert rounds.block_exponents.shape[0] == 12
    assert bars[1].n == bars[1].total == 12


def test_covariant_vectors_with_progress_are_the_same(getkey, bars):
    """The bar is advanced from inside the compiled forward pass, once per QR interval."""
    net = jc.SCSNetwork.random(getkey(), 12, 2.5)
    kwargs = dict(dt=0.1, solver="euler", k=3, t_warmup=5.0, t_frame_warmup=5.0, t_window=6.0,
                  t_snapshot=2.0, t_backward_warmup=4.0, key=getkey())
    plain = jc.covariant_lyapunov_vectors(net, **kwargs)
    shown = jc.covariant_lyapunov_vectors(net, **kwargs, progress=True)
    np.testing.assert_array_equal(plain.vectors, shown.vectors)
    (bar,) = bars
    assert bar.total == 10 and bar.n == 10 and bar.closed
