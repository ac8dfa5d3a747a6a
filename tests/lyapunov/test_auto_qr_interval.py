"""`t_ons="auto"`: the QR interval chosen from the growth measured in the frame warm-up. The
log|R_ii| over n steps are the sums of the per-step ones (the diagonal of a product of
triangular matrices), so a longer interval changes the exponents only by round-off as long as
the frame stays well conditioned; the choice must keep the spread below its target."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_lyapunov import LinearMap

import jaxchaos as jc
from jaxchaos._lyapunov._spectrum import auto_spread_target, choose_qr_interval

RATES = jnp.array([0.5, 0.0, -1.0, -3.0])


def _scaling():
    """x ← A x, A = R diag(e^{rates}) Rᵀ (R a rotation): exponents exactly `RATES` per step."""
    rotation = jnp.linalg.qr(jax.random.normal(jax.random.key(0), (4, 4)))[0]
    return LinearMap(rotation @ jnp.diag(jnp.exp(RATES)) @ rotation.T)


def test_choice_for_a_known_spread():
    """Per step the log|R_ii| spread by 3.5 (0.5 to -3): the target 9.0 (float64) allows 2
    steps (3 would give 10.5); 2 divides the block of 12 steps. Exponents exact to round-off."""
    assert auto_spread_target(jnp.float64) == pytest.approx(0.25 * np.log(1 / np.finfo(float).eps))
    spec = jc.lyapunov_spectrum(_scaling(), x0=jnp.ones(4), t_ons="auto", t_warmup=0,
                                t_frame_warmup=40, t_sim=120, n_blocks=10, key=jax.random.key(1))
    assert spec.t_ons == 2.0
    assert float(spec.max_spread) == pytest.approx(7.0, abs=1e-9)
    np.testing.assert_allclose(spec.exponents, RATES, rtol=0, atol=1e-12)


def test_choose_qr_interval_divides_the_block():
    assert choose_qr_interval(3.5, 9.0, 12) == 2
    assert choose_qr_interval(1.0, 9.0, 12) == 6  # 9 does not divide 12
    assert choose_qr_interval(0.0, 9.0, 12) == 12  # no growth: one QR per block
    assert choose_qr_interval(100.0, 9.0, 12) == 1  # too fast for any: every step
    assert choose_qr_interval(1.0, 9.0, 13) == 1  # a prime block


def test_auto_interval_gives_the_exponents_of_a_short_fixed_interval():
    """A chaotic SCS network (N = 48, g = 4, full spectrum: a spread of ~0.45 per step): the
    auto interval is longer than one step, its spread stays below the target, and the exponents
    equal those with a QR every step to round-off (same per-step sums; 1e-9, far below the
    statistical errors ~1e-2)."""
    net = jc.SCSNetwork.random(jax.random.key(1), 48, 4.0)
    kwargs = {"k": 48, "dt": 0.1, "solver": "euler", "t_warmup": 10.0, "t_frame_warmup": 10.0,
              "t_sim": 60.0, "n_blocks": 5, "key": jax.random.key(4)}
    auto = jc.lyapunov_spectrum(net, t_ons="auto", **kwargs)
    short = jc.lyapunov_spectrum(net, t_ons=0.1, **kwargs)
    assert 0.1 < auto.t_ons <= 12.0 and short.t_ons == 0.1
    assert float(auto.max_spread) <= auto_spread_target(jnp.float64)
    np.testing.assert_allclose(auto.exponents, short.exponents, rtol=0, atol=1e-9)
    assert float(jnp.max(short.stderr)) > 1e-3
    assert float(short.exponents[0]) > 0.03


def test_auto_interval_errors():
    net = jc.SCSNetwork.random(jax.random.key(1), 10, 2.0)
    kwargs = {"dt": 0.1, "t_warmup": 1.0, "t_sim": 4.0, "n_blocks": 2, "key": jax.random.key(0)}
    with pytest.raises(jc.ConfigError, match="t_frame_warmup"):
        jc.lyapunov_spectrum(net, t_ons="auto", t_frame_warmup=1.0, **kwargs)
    with pytest.raises(jc.ConfigError, match="t_ons"):
        jc.lyapunov_spectrum(net, t_ons="longest", t_frame_warmup=5.0, **kwargs)
    with pytest.raises(jc.ConfigError, match="concrete"):
        jax.jit(lambda g: jc.lyapunov_spectrum(
            jc.SCSNetwork(net.weights, g), t_ons="auto", t_frame_warmup=5.0, **kwargs).exponents
        )(2.0)
    with pytest.raises(jc.ConfigError, match="t_ons"):
        jc.covariant_lyapunov_vectors(net, dt=0.1, t_ons="auto", key=jax.random.key(0))
