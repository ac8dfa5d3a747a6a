"""Map exponents per unit time (issue 20 item 7): `LyapunovSpectrum.per_unit_time(δ)` divides a
map's per-step exponents by its step δ; for an `EulerMap` of a linear flow they converge to the
flow's exponents as δ → 0, and they equal an Euler-integrated flow's exponents exactly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

RATES = jnp.array([0.3, -0.2, -1.0])


class Linear(jc.AbstractFlow):
    """dx/dt = diag(a) x: exponents a exactly; its Euler map multiplies by 1 + δ a_i per step,
    so per step log|1 + δ a_i| and per unit time log|1 + δ a_i| / δ = a_i + O(δ)."""

    @property
    def n(self):
        return 3

    def vector_field(self, t, x, args):
        return RATES * x


def _map_spectrum(delta):
    # 3000 steps of frame warm-up align the frame with the axes to round-off (the slowest
    # separation, 0.3 against -0.2 at δ = 0.05, is 0.025 per step)
    return jc.lyapunov_spectrum(jc.EulerMap(Linear(), delta), jnp.ones(3), k=3, t_ons=5,
                                t_warmup=0, t_frame_warmup=3000, t_sim=200, n_blocks=4,
                                key=jax.random.key(0))


def test_per_unit_time_of_euler_maps_converges_to_the_flow():
    errors = []
    for delta in (0.1, 0.05):
        per_step = _map_spectrum(delta)
        per_time = per_step.per_unit_time(delta)
        # exact identities of the conversion
        np.testing.assert_array_equal(per_time.exponents, per_step.exponents / delta)
        np.testing.assert_array_equal(per_time.stderr, per_step.stderr / delta)
        np.testing.assert_array_equal(per_time.history_times, per_step.history_times * delta)
        # the map's exact per-step exponents (a diagonal linear map: QR gives them exactly)
        np.testing.assert_allclose(per_step.exponents, np.log(np.abs(1 + delta * RATES)),
                                   rtol=1e-12)
        errors.append(float(jnp.max(jnp.abs(per_time.exponents - RATES))))
    # O(δ): log(1 + δa)/δ - a ≈ -δa²/2, largest for a = -1: δ/2 + δ²/3 + ...
    np.testing.assert_allclose(errors, [0.1 * 0.536, 0.05 * 0.517], rtol=0.01)


def test_per_unit_time_equals_the_euler_integrated_flow():
    """A chaotic SCS network: the Euler map's exponents per unit time equal those of the flow
    integrated by Euler steps of the same δ over the same times (the same arithmetic)."""
    net = jc.SCSNetwork.random(jax.random.key(1), 20, 2.0)
    delta, x0 = 0.1, jax.random.normal(jax.random.key(3), (20,))
    as_map = jc.lyapunov_spectrum(jc.EulerMap(net, delta), x0, k=3, t_ons=10, t_warmup=100,
                                  t_frame_warmup=100, t_sim=400, n_blocks=4,
                                  key=jax.random.key(2)).per_unit_time(delta)
    as_flow = jc.lyapunov_spectrum(net, x0, k=3, dt=delta, solver="euler", t_ons=1.0,
                                   t_warmup=10.0, t_frame_warmup=10.0, t_sim=40.0, n_blocks=4,
                                   key=jax.random.key(2))
    np.testing.assert_allclose(as_map.exponents, as_flow.exponents, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(as_map.history_times, as_flow.history_times, rtol=1e-12)


def test_bad_step_is_refused():
    with pytest.raises(jc.ConfigError, match="step"):
        _map_spectrum(0.1).per_unit_time(0.0)
