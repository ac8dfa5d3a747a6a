"""Stimuli for maps (the Cessac network's time-dependent input) and the Gaussian-cdf sigmoid of
seed 001."""

import math

import jax
import jax.numpy as jnp
import numpy as np

import jaxchaos as jc


def test_gaussian_cdf_values_slope_and_antiderivative():
    """Φ against math.erf (1e-15), Φ' = e^{-x²/2}/√(2π) against autodiff, and the
    antiderivative's derivative is Φ; far in the lower tail Φ stays positive (erfc, no
    cancellation)."""
    phi = jc.Nonlinearity("gaussian_cdf")
    x = np.linspace(-6, 6, 25)
    expected = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(phi(jnp.asarray(x)), expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(phi.derivative(jnp.asarray(x)),
                               jax.vmap(jax.grad(phi))(jnp.asarray(x)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(jax.vmap(jax.grad(phi.antiderivative))(jnp.asarray(x)),
                               phi(jnp.asarray(x)), rtol=0, atol=1e-14)
    assert float(phi.antiderivative(jnp.array(0.0))) == 0.0
    assert 0.0 < float(phi(jnp.array(-30.0))) < 1e-190
    assert phi.max_derivative == 1 / math.sqrt(2 * math.pi)


def test_cessac_input_enters_the_map_and_jvp_uses_the_nonlinearity(getkey):
    """u(t+1) = γu + J φ(g u) − θ + ξ(t): the input adds ξ(t) at step t and leaves the JVP
    unchanged; with the Gaussian cdf the analytic JVP equals jax.jacfwd (1e-12)."""
    key = getkey()
    stimulus = jc.SinusoidalInput.independent(getkey(), 15, 0.3, 0.07)
    plain = jc.CessacNetwork.random(key, 15, 1.3, leak=0.3, nonlinearity="gaussian_cdf")
    driven = jc.CessacNetwork.random(key, 15, 1.3, leak=0.3, nonlinearity="gaussian_cdf",
                                     input=stimulus)
    u = jax.random.normal(getkey(), (15,))
    for t in (0, 3, 11):
        np.testing.assert_allclose(driven.map(t, u, None) - plain.map(t, u, None), stimulus(t),
                                   rtol=0, atol=1e-14)
    v = jax.random.normal(getkey(), (15, 3))
    jac = jax.jacfwd(lambda y: driven.map(5, y, None))(u)
    np.testing.assert_allclose(driven.jvp(5, u, v, None), jac @ v, rtol=0, atol=1e-12)


def test_driven_leak_map_follows_the_susceptibility():
    """With J = 0 the map u ← γu + ε cos(ωt) is linear, R(t) = γ^t, and after the transient
    (γ^300 ≈ 1e-47) u(t) = Re(ε e^{iω(t−1)} χ(ω)) with χ from `susceptibility`: the stimulus at
    step t acts on u(t+1), the convention of the response kernels."""
    gamma, eps, f = 0.6, 0.1, 0.13
    drive = jc.FunctionInput(lambda t: eps * jnp.cos(2 * jnp.pi * f * t))
    net = jc.CessacNetwork(jnp.zeros((1, 1)), 1.0, coupling_std=0.0, leak=gamma, input=drive)
    _, chi = jc.susceptibility(gamma ** np.arange(200.0), [f])
    u = jax.lax.scan(lambda u, t: (net.map(t, u, None), u), jnp.zeros(1), jnp.arange(320))[1]
    t = np.arange(300, 320)
    expected = np.real(eps * np.exp(2j * np.pi * f * (t - 1)) * complex(chi[0]))
    np.testing.assert_allclose(np.asarray(u[300:, 0]), expected, rtol=0, atol=1e-14)
