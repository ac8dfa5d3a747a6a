"""Gaussian expectation kernels: moments, closed forms (erf and ReLU kernels), an adaptive SciPy
reference for tanh at large variance, derivatives (Price's theorem) against finite differences,
including at correlation ±1 and at zero variance, and bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from jaxchaos._core._errors import ConfigError
from jaxchaos._core._nonlinearities import Nonlinearity
from jaxchaos._theory._gaussian import expectation, pair_expectation

TANH, ERF, RELU = Nonlinearity("tanh"), Nonlinearity("erf"), Nonlinearity("relu")
A = 0.5 * math.sqrt(math.pi)  # erf nonlinearity: φ(x) = erf(A x)


def scipy_expectation(f, q):
    """∫Dz f(√q z) by adaptive quadrature, split at 0 and at the scale of f (~1/√q)."""
    s = math.sqrt(q)
    density = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    cuts = [-12.0, -2.0 / s, 0.0, 2.0 / s, 12.0]
    pieces = zip(cuts[:-1], cuts[1:], strict=True)
    return sum(integrate.quad(lambda z: density(z) * f(s * z), a, b, epsabs=1e-14,
                              epsrel=1e-12, limit=200)[0] for a, b in pieces)


def erf_pair(q1, q2, c):
    """E[erf(Au) erf(Av)] = (2/π) arcsin(2A²c / √((1+2A²q1)(1+2A²q2))) (Williams 1997)."""
    return 2 / math.pi * math.asin(2 * A**2 * c / math.sqrt((1 + 2 * A**2 * q1)
                                                             * (1 + 2 * A**2 * q2)))


def relu_pair(q1, q2, c):
    """Arc-cosine kernel: E[relu(u)relu(v)] = √(q1q2)/(2π) (sin θ + (π-θ) cos θ), cos θ = ρ."""
    theta = math.acos(c / math.sqrt(q1 * q2))
    return math.sqrt(q1 * q2) / (2 * math.pi) * (math.sin(theta) + (math.pi - theta)
                                                 * math.cos(theta))


def test_moments_exact():
    # Polynomials times a Gaussian are entire: the trapezoid rule is exact to round-off.
    assert float(expectation(lambda x: x**2, 2.5)) == pytest.approx(2.5, rel=1e-13)
    assert float(expectation(lambda x: x**4, 2.5)) == pytest.approx(3 * 2.5**2, rel=1e-13)
    assert float(expectation(lambda x: x, 3.0, mean=0.7)) == pytest.approx(0.7, rel=1e-13)
    assert float(pair_expectation(lambda x: x, lambda x: x, 2.0, 3.0, -1.3)) == pytest.approx(
        -1.3, rel=1e-13)


@pytest.mark.parametrize("q", [0.3, 20.0, 300.0])
def test_tanh_large_variance_against_adaptive_quadrature(q):
    # The accuracy goal: ~1e-12 for tanh up to variances of a few hundred (SciPy's own
    # error is ~1e-14 here).
    for f, ref in ((TANH.derivative, lambda x: 1 - math.tanh(x) ** 2),
                   (lambda x: jnp.tanh(x) ** 2, lambda x: math.tanh(x) ** 2)):
        assert float(expectation(f, q)) == pytest.approx(scipy_expectation(ref, q), abs=1e-12)


@pytest.mark.parametrize("q1, q2, c", [(1.0, 2.0, 0.9), (50.0, 80.0, -30.0), (3.0, 3.0, 3.0)])
def test_erf_kernel_closed_form(q1, q2, c):
    # erf is entire; at q ≤ 80 and 1201 points the rule is at round-off (including ρ = 1).
    assert float(pair_expectation(ERF, ERF, q1, q2, c)) == pytest.approx(erf_pair(q1, q2, c),
                                                                          abs=1e-12)
    assert float(expectation(lambda x: ERF(x) ** 2, q1)) == pytest.approx(
        erf_pair(q1, q1, q1), abs=1e-12)


@pytest.mark.parametrize("rho", [-0.6, 0.3, 0.999])
def test_relu_kernel_closed_form(rho):
    # ReLU is kinked: the trapezoid rule is only O(h²) (h = 17/1200; measured 2e-6) across the
    # kink line of the inner integral, so the tolerance is 1e-5 of the scale √(q1 q2).
    q1, q2 = 1.5, 2.0
    c = rho * math.sqrt(q1 * q2)
    got = float(pair_expectation(RELU, RELU, q1, q2, c))
    assert got == pytest.approx(relu_pair(q1, q2, c), abs=1e-5 * math.sqrt(q1 * q2))
    # 1-D: the kink sits on a cell midpoint, so E[relu²] = q/2 and E[step] = 1/2 are exact.
    assert float(expectation(lambda x: RELU(x) ** 2, 3.0)) == pytest.approx(1.5, rel=1e-13)
    assert float(expectation(RELU.derivative, 3.0)) == pytest.approx(0.5, rel=1e-13)


def central_difference(f, x, step):
    return (f(x + step) - f(x - step)) / (2 * step)


def test_derivatives_match_finite_differences():
    # Central differences with step 1e-4 have error ~1e-8 · f''': tolerance 1e-7.
    args = (1.3, 2.2, 0.8)
    f = lambda a, b, c: pair_expectation(TANH, ERF, a, b, c, points=300)  # noqa: E731
    grads = jax.grad(f, argnums=(0, 1, 2))(*args)
    for i in range(3):
        shifted = lambda t, i=i: f(*[a + (t if j == i else 0.0) for j, a in enumerate(args)])  # noqa: E731
        assert float(grads[i]) == pytest.approx(float(central_difference(shifted, 0.0, 1e-4)),
                                                abs=1e-7)
    g = lambda q, m: expectation(TANH, q, m)  # noqa: E731
    dq, dm = jax.grad(g, argnums=(0, 1))(2.0, 0.4)
    assert float(dq) == pytest.approx(float(central_difference(lambda q: g(q, 0.4), 2.0, 1e-4)),
                                      abs=1e-7)
    assert float(dm) == pytest.approx(float(central_difference(lambda m: g(2.0, m), 0.4, 1e-4)),
                                      abs=1e-7)


def test_price_theorem_and_correlation_one():
    # ∂/∂c E[f(u)h(v)] = E[f'(u)h'(v)] exactly; at ρ = 1 it must stay finite and equal the
    # one-sided difference quotient (error O(step): step 1e-6, tolerance 1e-5).
    q = 2.0
    f = lambda c: pair_expectation(TANH, TANH, q, q, c, points=300)  # noqa: E731
    for c in (0.5, q):
        slope = float(jax.grad(f)(c))
        price = float(pair_expectation(TANH.derivative, TANH.derivative, q, q, c, points=300))
        assert slope == pytest.approx(price, rel=1e-12)
    assert slope == pytest.approx(float((f(q) - f(q - 1e-6)) / 1e-6), abs=1e-5)
    # Second derivatives at ρ = 1 are finite too (nested Price rules).
    assert np.isfinite(float(jax.grad(jax.grad(f))(q)))
    # ReLU: Price's slope is the arc-sine law, P(u > 0, v > 0) = 1/4 + arcsin(ρ)/(2π); the step
    # functions' jump line crosses the grid, so the rule is ~O(h^1.7): measured 2.3e-5.
    relu_slope = jax.grad(lambda c: pair_expectation(RELU, RELU, 1.0, 1.0, c))(0.5)
    assert float(relu_slope) == pytest.approx(0.25 + math.asin(0.5) / (2 * math.pi), abs=5e-5)


def test_zero_variance():
    # E[f(μ)] = f(μ), and ∂/∂q = ½ f''(μ) (Price) at q = 0.
    mu = 0.3
    assert float(expectation(TANH, 0.0, mu)) == pytest.approx(math.tanh(mu), rel=1e-15)
    second = -2 * math.tanh(mu) * (1 - math.tanh(mu) ** 2)
    dq = jax.grad(lambda q: expectation(TANH, q, mu))(0.0)
    assert float(dq) == pytest.approx(0.5 * second, rel=1e-12)


def test_bad_input():
    with pytest.raises(ConfigError, match="variance"):
        expectation(TANH, -1.0)
    with pytest.raises(ConfigError, match="variance"):
        expectation(TANH, float("nan"))
    with pytest.raises(ConfigError, match="cov"):
        pair_expectation(TANH, TANH, 1.0, 1.0, 1.5)
    with pytest.raises(ConfigError, match="points"):
        expectation(TANH, 1.0, points=101)
