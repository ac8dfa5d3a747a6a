"""The Lyapunov function of a symmetric SCS network (seed 000, eqs 2–3)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc


def test_lyapunov_function_never_increases(getkey):
    """η = 1, g = 2 (four times the symmetric critical gain 1/2), constant input: along an RK4
    trajectory L decreases up to the integrator's error (dt = 0.02: local error ~1e-9 per
    step), and its time derivative is −Σ φ'(x) ẋ² (checked against autodiff)."""
    w = jc.Ensemble(eta=1.0).sample(getkey(), 100)
    net = jc.SCSNetwork(w, 2.0, input=jc.ConstantInput(0.1))
    x = jc.simulate(net, t1=40.0, dt=0.02, record_every=0.1, solver="rk4",
                    key=getkey()).records["trajectory"]
    energy = np.asarray(jax.vmap(net.lyapunov_function)(x))
    assert np.all(np.diff(energy) < 1e-8)
    assert energy[-1] < energy[0] - 1.0
    y = x[3]
    velocity = net.vector_field(0.0, y, None)
    rate = jax.jvp(net.lyapunov_function, (y,), (velocity,))[1]
    expected = -jnp.sum(net.nonlinearity.derivative(y) * velocity**2)
    np.testing.assert_allclose(rate, expected, rtol=1e-10)


def test_symmetric_network_is_not_chaotic(getkey):
    """λ_max ≤ 0: the trajectory settles at a fixed point (a stable one: λ_max < 0)."""
    net = jc.SCSNetwork(jc.Ensemble(eta=1.0).sample(getkey(), 100), 2.0)
    spec = jc.lyapunov_spectrum(net, k=1, dt=0.1, solver="rk4", t_warmup=100.0,
                                t_frame_warmup=20.0, t_sim=100.0, n_blocks=5, key=getkey())
    assert float(spec.exponents[0]) <= 0.0


def test_needs_a_constant_input(getkey):
    net = jc.SCSNetwork(jc.Ensemble(eta=1.0).sample(getkey(), 10), 2.0,
                        input=jc.SinusoidalInput(1.0, 0.1))
    with pytest.raises(jc.ConfigError, match="constant input"):
        net.lyapunov_function(jnp.zeros(10))
