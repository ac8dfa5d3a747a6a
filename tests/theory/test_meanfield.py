"""Static mean-field theories: deep-net maps against closed forms (ReLU, erf), the tanh critical
point σ_w,c(0) = 1, both conventions of the critical line, implicit derivatives against finite
differences, Cessac's λ = ½ ln χ1 identity, and the balanced state's K → ∞ limit."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxchaos._core._errors import ConfigError
from jaxchaos._theory._meanfield import (
    _rate_map,
    balanced_mean_field_dynamics,
    balanced_rates,
    balanced_rates_limit,
    balanced_stability,
    c_map,
    cessac_mean_field,
    cessac_recursion,
    critical_sigma_w,
    critical_tau_ratio,
    critical_weight_variance,
    deep_mean_field,
    great_circle_mean_field,
    q_map,
)

A = 0.5 * math.sqrt(math.pi)  # erf nonlinearity: φ(x) = erf(A x)


def test_relu_closed_forms():
    # ReLU: q-map σ_w² q/2 + σ_b², so q* = σ_b²/(1 - σ_w²/2) and χ1 = σ_w²/2 exactly; the
    # arc-cosine c-map (kinked integrand: O(h²) ≈ 2e-6, tolerance 1e-5).
    sw, sb = 1.2, 0.4
    r = deep_mean_field(sw, sb, "relu")
    assert float(r.q_star) == pytest.approx(sb**2 / (1 - sw**2 / 2), rel=1e-13)
    assert float(r.chi1) == pytest.approx(sw**2 / 2, rel=1e-13)
    q, c = 2.0, 0.4
    theta = math.acos(c)
    exact = (sw**2 * q / (2 * math.pi) * (math.sin(theta) + (math.pi - theta) * c) + sb**2) / q
    assert float(c_map(c, q, sw, sb, "relu")) == pytest.approx(exact, abs=1e-5)
    assert float(critical_sigma_w(0.7, "relu")) == pytest.approx(math.sqrt(2), rel=1e-15)


def test_erf_closed_forms():
    # erf: E[erf(Au)erf(Av)] = (2/π) arcsin(2A²c/(1 + 2A²q)); the rule is at round-off.
    sw, sb, q, c = 1.3, 0.2, 2.0, 0.6
    k = lambda cov: 2 / math.pi * math.asin(2 * A**2 * cov / (1 + 2 * A**2 * q))  # noqa: E731
    assert float(q_map(q, sw, sb, "erf")) == pytest.approx(sw**2 * k(q) + sb**2, abs=1e-12)
    assert float(c_map(c, q, sw, sb, "erf")) == pytest.approx((sw**2 * k(c * q) + sb**2) / q,
                                                               abs=1e-12)
    r = deep_mean_field(sw, sb, "erf")
    assert float(q_map(r.q_star, sw, sb, "erf")) == pytest.approx(float(r.q_star), rel=1e-12)


def test_tanh_phases():
    # σ_b = 0: q* = 0 and χ1 = σ_w² below σ_w = 1; chaotic above with c* = 0 (odd φ, no bias).
    ordered = deep_mean_field(0.9, 0.0)
    assert float(ordered.q_star) == 0.0 and float(ordered.c_star) == 1.0
    assert float(ordered.chi1) == pytest.approx(0.81, rel=1e-13)
    chaos = deep_mean_field(1.5, 0.0)
    assert float(chaos.chi1) > 1 and abs(float(chaos.c_star)) < 1e-12
    r = deep_mean_field(2.5, 0.5)
    assert float(c_map(r.c_star, r.q_star, 2.5, 0.5)) == pytest.approx(float(r.c_star), abs=1e-12)
    assert 0 < float(r.chi_c) < 1 < float(r.chi1)  # c* stable, c = 1 unstable
    # The critical line: σ_w,c(0) = 1 exactly for tanh; it rises with σ_b; both conventions.
    line = critical_sigma_w(jnp.asarray([0.0, 0.3]))
    assert float(line[0]) == pytest.approx(1.0, abs=1e-12)
    assert float(line[1]) > 1
    assert float(deep_mean_field(float(line[1]), 0.3).chi1) == pytest.approx(1.0, abs=1e-11)
    assert float(critical_weight_variance(0.09)) == pytest.approx(float(line[1]) ** 2, rel=1e-12)


def test_implicit_derivatives():
    # Central differences, step 1e-5: truncation ~1e-10, round-off ~1e-14/1e-5: tolerance 1e-7.
    step = 1e-5
    f = lambda s: deep_mean_field(s, 0.3).chi1  # noqa: E731
    assert float(jax.grad(f)(1.5)) == pytest.approx(float((f(1.5 + step) - f(1.5 - step))
                                                          / (2 * step)), rel=1e-7)
    g = lambda s: deep_mean_field(1.5, s).q_star  # noqa: E731
    assert float(jax.grad(g)(0.3)) == pytest.approx(float((g(0.3 + step) - g(0.3 - step))
                                                          / (2 * step)), rel=1e-7)
    line = jax.grad(lambda s: critical_sigma_w(s))(0.3)
    fd = (critical_sigma_w(0.3 + step) - critical_sigma_w(0.3 - step)) / (2 * step)
    assert float(line) == pytest.approx(float(fd), rel=1e-6)


def test_cessac_mean_field():
    # J̄ = θ = σ = 0: u' = J tanh(g u) is, in y = g u, the deep-net map with σ_w = gJ, so
    # λ = ½ ln χ1(σ_w = gJ, σ_b = 0) and v* = q*/g².
    g, j = 2.0, 0.8
    mf = cessac_mean_field(g, coupling_std=j)
    deep = deep_mean_field(g * j, 0.0)
    assert float(mf.lyapunov) == pytest.approx(0.5 * math.log(float(deep.chi1)), rel=1e-10)
    assert float(mf.variance) == pytest.approx(float(deep.q_star) / g**2, rel=1e-10)
    # The recursion converges to the same fixed point; with thresholds and noise the fixed
    # point satisfies the recursion itself.
    mu, v = cessac_recursion(300, g, coupling_std=j)
    assert float(v[-1]) == pytest.approx(float(mf.variance), rel=1e-10)
    biased = cessac_mean_field(1.5, coupling_std=1.2, coupling_mean=0.5, threshold_mean=0.1,
                               threshold_std=0.2, noise=0.1)
    mu, v = cessac_recursion(1, 1.5, coupling_std=1.2, coupling_mean=0.5, threshold_mean=0.1,
                             threshold_std=0.2, noise=0.1, mean0=biased.mean,
                             variance0=biased.variance)
    assert float(mu[0]) == pytest.approx(float(biased.mean), abs=1e-12)
    assert float(v[0]) == pytest.approx(float(biased.variance), abs=1e-12)
    slope = jax.grad(lambda s: cessac_mean_field(s, coupling_std=j).lyapunov)(g)
    fd = (cessac_mean_field(g + 1e-5, coupling_std=j).lyapunov
          - cessac_mean_field(g - 1e-5, coupling_std=j).lyapunov) / 2e-5
    assert float(slope) == pytest.approx(float(fd), rel=1e-6)


def test_balanced_state():
    couplings, drives, m0 = [[1.0, -2.0], [1.0, -1.8]], [1.0, 0.8], 0.1
    limit, balanced = balanced_rates_limit(couplings, drives, m0)
    assert bool(balanced)
    # The O(√K) input cancels at the limit: E m0 + J m = 0.
    np.testing.assert_allclose(np.asarray(drives) * m0 + np.asarray(couplings) @ limit, 0,
                               atol=1e-15)
    # Finite K: m_K - m_∞ = O(1/√K) (the O(1) thresholds and variances shift the cancellation).
    errors = [float(jnp.max(jnp.abs(balanced_rates(couplings, drives, m0, k) - limit)))
              for k in (1e4, 1e6)]
    assert 5 < errors[0] / errors[1] < 20
    # Rates linear in m0 at K → ∞; not balanced when E/I < J_E/J_I (vVS's condition violated).
    assert np.allclose(balanced_rates_limit(couplings, drives, 2 * m0)[0], 2 * limit)
    assert not bool(balanced_rates_limit(couplings, [0.8, 1.0], m0)[1])
    slope = jax.grad(lambda x: balanced_rates(couplings, drives, x, 1e4)[0])(m0)
    fd = (balanced_rates(couplings, drives, m0 + 1e-6, 1e4)[0]
          - balanced_rates(couplings, drives, m0 - 1e-6, 1e4)[0]) / 2e-6
    assert float(slope) == pytest.approx(float(fd), rel=1e-6)


def test_bad_input():
    with pytest.raises(ConfigError, match="sigma_w"):
        deep_mean_field(-1.0, 0.0)
    with pytest.raises(ConfigError, match="sigma_b"):
        deep_mean_field(1.0, float("nan"))
    with pytest.raises(ConfigError, match="ReLU"):
        deep_mean_field(1.5, 0.1, "relu")
    with pytest.raises(ConfigError, match="couplings"):
        balanced_rates_limit([1.0, 2.0], [1.0, 1.0], 0.1)
    with pytest.raises(ConfigError, match="coupling_std"):
        cessac_mean_field(1.0, coupling_std=-1.0)


def test_balanced_rates_silent_state_not_nan():
    """A weak drive (√K E m0 below threshold) has only the silent state m = 0, which the
    Gaussian theory reaches as α → 0; it is returned as zeros, never NaN."""
    couplings, drives, thresholds = [[1.0, -2.0], [1.0, -1.8]], [1.0, 0.8], (1.0, 0.7)
    rates = balanced_rates(couplings, drives, 0.05, 100, thresholds)  # √K E m0 = 0.5, 0.4
    np.testing.assert_array_equal(np.asarray(rates), 0.0)
    assert np.all(np.asarray(balanced_rates(couplings, drives, 0.1, 200, thresholds)) > 0)


def test_both_erf_conventions_against_the_arcsin_kernel():
    """jaxchaos's "erf" is erf(√π x/2) (slope 1), the literature's "erf_standard" is erf(x):
    E[erf(a u) erf(a v)] = (2/π) arcsin(2a²Σ_uv / √((1 + 2a²Σ_uu)(1 + 2a²Σ_vv))) with a = √π/2
    and a = 1. The critical σ_w at σ_b = 0 is 1/φ'(0): 1 and √π/2 (Poole et al.'s value).
    The trapezoid rule is at round-off for these kernels (1e-12); the bisection at 1e-12."""
    sw, sb, q, c = 1.3, 0.2, 2.0, 0.6
    for name, a in (("erf", A), ("erf_standard", 1.0)):
        def kernel(cov, a=a):
            return 2 / math.pi * math.asin(2 * a**2 * cov / (1 + 2 * a**2 * q))

        assert float(q_map(q, sw, sb, name)) == pytest.approx(sw**2 * kernel(q) + sb**2,
                                                              abs=1e-12)
        assert float(c_map(c, q, sw, sb, name)) == pytest.approx(
            (sw**2 * kernel(c * q) + sb**2) / q, abs=1e-12)
    assert float(critical_sigma_w(0.0, "erf")) == pytest.approx(1.0, abs=1e-12)
    assert float(critical_sigma_w(0.0, "erf_standard")) == pytest.approx(math.sqrt(math.pi) / 2,
                                                                         abs=1e-12)
    r = deep_mean_field(1.5, 0.3, "erf_standard")
    assert float(r.chi1) == pytest.approx(1.5**2 * 4 / math.pi / math.sqrt(1 + 4 * float(r.q_star)),
                                          rel=1e-12)  # σ_w² E[(2/√π)² e^{-2u²}], Var u = q*


def test_chi2_erf_closed_form():
    """φ = erf(A x): φ'' = -(π x/2) e^{-π x²/4}, so χ2 = σ_w² ∫Dz φ''(√q z)² =
    σ_w² π² q / (4 (1 + π q)^{3/2}) exactly; the quadrature is spectrally accurate (1e-12)."""
    sw, sb = 1.7, 0.3
    r = deep_mean_field(sw, sb, "erf")
    q = float(r.q_star)
    assert float(r.chi2) == pytest.approx(sw**2 * math.pi**2 * q / (4 * (1 + math.pi * q) ** 1.5),
                                          rel=1e-12)


def test_great_circle_mean_field_recursion():
    """Layer 1 is linear (q^1 = σ_w² q0 + σ_b², length × σ_w, curvature ÷ σ_w); a circle
    started at q* keeps q*, its length grows by √χ1 per layer, and its normalized curvature
    κ̄² = q* N κ² converges to the fixed point 3 q* χ2 / (χ1 (χ1 - 1)) of the recursion
    (chaotic phase, geometric convergence at rate 1/χ1: 60 layers reach 1e-12; the round-off of
    q* and of the sums is amplified by 1/(1 - 1/χ1) ≈ 2, so 1e-10)."""
    sw, sb = 2.5, 0.3
    mf = deep_mean_field(sw, sb)
    q_star, chi1, chi2 = float(mf.q_star), float(mf.chi1), float(mf.chi2)
    q0 = (q_star - sb**2) / sw**2
    curve = great_circle_mean_field(sw, sb, q0, 60)
    assert curve.q.shape == (61,)
    np.testing.assert_allclose(curve.q[1:], q_star, rtol=1e-12)
    assert float(curve.length[0]) == pytest.approx(2 * math.pi * math.sqrt(q0), rel=1e-14)
    assert float(curve.length[1] / curve.length[0]) == pytest.approx(sw, rel=1e-14)
    assert float(curve.curvature[1] / curve.curvature[0]) == pytest.approx(1 / sw, rel=1e-14)
    np.testing.assert_allclose(curve.length[2:] / curve.length[1:-1], math.sqrt(chi1),
                               rtol=1e-12)
    np.testing.assert_allclose(curve.grassmannian_length[:2], 2 * math.pi, rtol=1e-14)
    fixed = 3 * q_star * chi2 / (chi1 * (chi1 - 1))
    assert float(q_star * curve.curvature[-1] ** 2) == pytest.approx(fixed, rel=1e-10)
    with pytest.raises(ConfigError, match="smooth"):
        great_circle_mean_field(1.0, 0.1, 1.0, 3, "relu")


def test_balanced_dynamic_mean_field_stability_vs_tau_ratio():
    """vVS's dynamic mean field τ_k dm_k/dt = -m_k + H(-u_k/√α_k) at K = 1000 (defaults):
    below the critical τ_I/τ_E (from the linearisation's eigenvalues) RK4 relaxes to
    `balanced_rates` (to 1e-8 after 60 τ_E: the slowest rate there is ≥ 0.3/τ_E); 20% above it
    the fixed point is unstable and the rates keep oscillating (range over the last 20 τ_E >
    1e-3). The eigenvalues are checked against a finite-difference Jacobian (1e-6)."""
    couplings, drives, m0, k = [[1.0, -2.0], [1.0, -1.8]], [1.0, 0.8], 0.1, 1000.0
    ratio = critical_tau_ratio(couplings, drives, m0, k)
    rates = np.asarray(balanced_rates(couplings, drives, m0, k))
    _, m = balanced_mean_field_dynamics(couplings, drives, m0, k, tau=(1.0, 0.8 * ratio),
                                        t1=60.0)
    np.testing.assert_allclose(np.asarray(m[-1]), rates, atol=1e-8)
    _, m = balanced_mean_field_dynamics(couplings, drives, m0, k, tau=(1.0, 1.2 * ratio),
                                        t1=60.0, m_init=rates + 1e-3)
    tail = np.asarray(m[-2000:])
    assert np.all(tail.max(axis=0) - tail.min(axis=0) > 1e-3)
    args = (jnp.asarray(couplings), jnp.asarray(drives), m0, k, jnp.asarray((1.0, 0.7)))
    h = 1e-7
    fd = np.stack([(np.asarray(_rate_map(jnp.asarray(rates) + h * e, *args))
                    - np.asarray(_rate_map(jnp.asarray(rates) - h * e, *args))) / (2 * h)
                   for e in np.eye(2)], axis=1)
    expected = np.linalg.eigvals((fd - np.eye(2)) / np.array([[1.0], [0.9]]))
    got = np.asarray(balanced_stability(couplings, drives, m0, k, tau=(1.0, 0.9)))
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(expected), atol=1e-6)
