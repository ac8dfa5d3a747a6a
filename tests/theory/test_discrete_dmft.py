"""Two-time mean-field theory of discrete-time networks: the γ = 0 white-noise theory
(`cessac_mean_field`), the δ → 0 limit of the leaky Euler map (`scs_dmft`) with its measured
convergence order, the Δ(k) equation against exact Gaussian integrals, the tangent eigenproblem
against a dense eigensolver, convergence in the number of lags, implicit derivatives against
finite differences, bad input, and Δ(k) of simulated leaky maps.

Each distinct number of lags compiles once (~4 s); the tests share a few fixed `lags`."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxchaos._core._connectivity import Connectivity
from jaxchaos._core._errors import AccuracyWarning, ConfigError
from jaxchaos._theory._discrete_dmft import cessac_dmft, discrete_dmft, euler_map_dmft
from jaxchaos._theory._dmft import scs_dmft
from jaxchaos._theory._gaussian import pair_expectation
from jaxchaos._theory._meanfield import cessac_mean_field

EULER_LAGS = 1600  # 80 time units at δ = 0.05 (Δ(K)/Δ(0) ~ e^{-0.23·80}); more at larger δ
DELTAS = (0.2, 0.1, 0.05)
SHORT_LAGS = 64


@pytest.fixture(scope="module")
def euler_g2():
    return {dt: euler_map_dmft(2.0, dt, lags=EULER_LAGS) for dt in DELTAS}


@pytest.fixture(scope="module")
def scs_g2():
    return scs_dmft(2.0)


@pytest.mark.parametrize("slope, coupling, noise", [(1.5, 2.0, 0.0), (1.0, 3.0, 0.3)])
def test_white_noise_limit(slope, coupling, noise):
    """γ = 0: Δ(0) = J² E f² + σ², Δ(k≠0) = 0 and μ² = J² E f'². The interpolated kernels at
    Δ = Δ(0) differ from the 1-D integrals of `cessac_mean_field` by ~1e-14 (measured)."""
    r = cessac_dmft(slope, coupling_std=coupling, noise=noise, lags=SHORT_LAGS)
    m = cessac_mean_field(slope, coupling_std=coupling, noise=noise)
    assert float(r.delta0) == pytest.approx(float(m.variance), rel=1e-12)
    assert float(r.lyapunov) == pytest.approx(float(m.lyapunov), abs=1e-11)
    assert float(jnp.max(jnp.abs(r.delta[1:]))) < 1e-13 * float(r.delta0)
    assert bool(r.bound_state) and float(r.residual) < 1e-14


def test_euler_map_at_delta_one_large_gain_with_defaults():
    """δ = 1, g = 10 (Var x ≈ 92): the default resolution grows with the variance and reaches the
    exact white-noise values ½ ln(g² E φ'²) and Δ(0) = g² E φ² (1-D integrals, 1200 points,
    ~1e-13 at this variance). The former fixed 64 nodes missed λ by 2.7e-5."""
    r = euler_map_dmft(10.0, 1.0, lags=SHORT_LAGS)
    m = cessac_mean_field(1.0, coupling_std=10.0)
    assert float(r.delta0) == pytest.approx(float(m.variance), rel=1e-10)
    assert float(r.lyapunov) == pytest.approx(float(m.lyapunov), abs=1e-9)


def test_error_estimate_is_small_at_defaults_and_honest_when_too_coarse():
    """δ = 1, g = 10 against the exact white-noise values: the defaults' estimate is below the
    tolerance (no warning under filterwarnings=error); the former fixed 64 nodes and 240 points
    miss λ by ~2.7e-5, and the estimate must say so (at least a tenth of the actual error) with
    an AccuracyWarning naming the parameters."""
    exact = cessac_mean_field(1.0, coupling_std=10.0)
    fine = euler_map_dmft(10.0, 1.0, lags=SHORT_LAGS)
    assert float(fine.lyapunov_error) < 1e-6 * abs(float(fine.lyapunov))
    assert float(fine.delta0_error) < 1e-6 * float(fine.delta0)
    with pytest.warns(AccuracyWarning, match="J = 10"):
        coarse = euler_map_dmft(10.0, 1.0, lags=SHORT_LAGS, chebyshev=64, points=240)
    actual = abs(float(coarse.lyapunov) - float(exact.lyapunov))
    assert actual > 1e-6 and float(coarse.lyapunov_error) > 0.1 * actual


def test_continuum_limit(euler_g2, scs_g2):
    """λ/δ → λ_SCS with error O(δ) (Euler is first order). Measured at g = 2: errors -1.90e-3,
    -9.59e-4, -4.82e-4 for δ = 0.2, 0.1, 0.05, orders log2(e(δ)/e(δ/2)) = 0.987, 0.993; the SCS
    value itself is good to ~1e-9. Δ(0) converges like δ² (measured orders ≈ 2.2, 2.05)."""
    lam = float(scs_g2.lyapunov)
    errors = [float(euler_g2[dt].lyapunov_rate) - lam for dt in DELTAS]
    orders = [math.log2(e0 / e1) for e0, e1 in zip(errors, errors[1:], strict=False)]
    assert all(e < 0 for e in errors)
    assert all(abs(p - 1) < 0.05 for p in orders), orders
    assert abs(errors[-1]) < 6e-4
    d_errors = [abs(float(euler_g2[dt].delta0 - scs_g2.delta0)) for dt in DELTAS]
    assert all(math.log2(e0 / e1) > 1.8 for e0, e1 in zip(d_errors, d_errors[1:], strict=False))
    for dt in DELTAS:
        assert bool(euler_g2[dt].bound_state)
        assert float(euler_g2[dt].residual) < 1e-14
        assert abs(float(euler_g2[dt].tail)) < 1e-7  # e^{-κ·K·δ}: 1.3e-8 at δ = 0.05


def test_quiet_below_onset():
    """g < 1, no noise: Δ ≡ 0 and μ = 1 - δ + δg exactly (the linear map's edge)."""
    r = euler_map_dmft(0.5, 0.1, lags=EULER_LAGS)
    assert float(r.delta0) == 0.0 and not bool(r.bound_state)
    assert float(r.lyapunov) == pytest.approx(math.log(0.95), rel=1e-15)


def test_delta_equation_with_exact_kernels(euler_g2):
    """Δ(k) = J²/(1-a²) Σ_j a^{|j|} C(k-j), with C from `pair_expectation` at every lag (not
    the interpolant). The Chebyshev interpolation (64 nodes) is measured at ~1e-12 relative;
    the tolerance allows 1e-10."""
    dt = 0.2
    r = euler_g2[dt]
    a, c = 1 - dt, dt * 2.0
    d = np.asarray(r.delta)
    exact = np.asarray(pair_expectation(jnp.tanh, jnp.tanh, d[0], d[0], jnp.asarray(d),
                                        points=240))
    lags = np.arange(d.size)
    both = np.concatenate([exact[:0:-1], exact])  # C(-K..K), C even in the lag
    j = lags[:, None] - np.arange(-d.size + 1, d.size)[None, :]
    convolution = c**2 / (1 - a**2) * (a ** np.abs(j)) @ both
    assert np.max(np.abs(convolution - d)) < 1e-10 * d[0]


def _dense_tangent_operator(r, potential):
    """The even-sector operator of the module docstring (ψ(0) scaled by √2, ψ(K+1) = ρ_b ψ(K))
    built densely from an independent C'(k)."""
    a, mu = float(r.leak), float(r.growth_factor)
    n = potential.size
    matrix = np.diag(potential / mu)
    off = a * np.ones(n - 1)
    off[0] *= math.sqrt(2)
    matrix += np.diag(off, 1) + np.diag(off, -1)
    s = mu + (a**2 - potential[-1]) / mu  # C'(K) = (Eφ')² to round-off at the far end
    matrix[-1, -1] += a * 2 * a / (s + math.sqrt(s**2 - 4 * a**2))
    return matrix


def test_tangent_eigenproblem_and_lag_convergence():
    """At the returned μ the top eigenvalue of the operator, built densely with C' from
    `pair_expectation` and diagonalised by LAPACK, equals μ + a²/μ (bisection to round-off,
    kernel interpolation ~1e-12). More lags change nothing beyond round-off (exact outgoing
    conditions at k = K; Δ(64)/Δ(0) ≈ 1e-8 here)."""
    r = cessac_dmft(1.0, coupling_std=2.0, leak=0.5, lags=SHORT_LAGS, points=240)
    longer = cessac_dmft(1.0, coupling_std=2.0, leak=0.5, lags=4 * SHORT_LAGS, points=240)
    d = np.asarray(r.delta)
    dphi = lambda x: 1 - jnp.tanh(x) ** 2  # noqa: E731
    potential = 4.0 * np.asarray(pair_expectation(dphi, dphi, d[0], d[0], jnp.asarray(d),
                                                  points=240))
    top = np.linalg.eigvalsh(_dense_tangent_operator(r, potential))[-1]
    mu, a = float(r.growth_factor), float(r.leak)
    assert top == pytest.approx(mu + a**2 / mu, abs=1e-10)
    assert float(longer.lyapunov) == pytest.approx(float(r.lyapunov), abs=1e-12)
    assert float(longer.delta0) == pytest.approx(float(r.delta0), rel=1e-12)
    assert bool(r.bound_state) and float(r.lyapunov) > 0


def test_gradient_matches_finite_differences():
    """∂λ/∂J and ∂λ/∂γ by implicit differentiation vs central differences with step 1e-5
    (truncation ~h² λ''' ~ 1e-10, round-off ~1e-16/1e-5 = 1e-11): agreement to 1e-7."""

    def lam(coupling, leak):
        return cessac_dmft(1.0, coupling_std=coupling, leak=leak, lags=SHORT_LAGS,
                           points=240).lyapunov

    grads = jax.grad(lam, argnums=(0, 1))(2.0, 0.5)
    h = 1e-5
    fd_j = (float(lam(2.0 + h, 0.5)) - float(lam(2.0 - h, 0.5))) / (2 * h)
    fd_a = (float(lam(2.0, 0.5 + h)) - float(lam(2.0, 0.5 - h))) / (2 * h)
    assert float(grads[0]) == pytest.approx(fd_j, abs=1e-7)
    assert float(grads[1]) == pytest.approx(fd_a, abs=1e-7)


@pytest.mark.parametrize("kwargs", [
    {"leak": 1.0, "coupling": 1.0}, {"leak": -0.1, "coupling": 1.0},
    {"leak": 0.5, "coupling": -1.0}, {"leak": 0.5, "coupling": float("nan")},
    {"leak": float("nan"), "coupling": 1.0}, {"leak": 0.5, "coupling": 1.0, "slope": 0.0},
    {"leak": 0.5, "coupling": 1.0, "noise": -0.1},
    {"leak": 0.5, "coupling": 1.0, "nonlinearity": "relu"},
    {"leak": 0.5, "coupling": jnp.ones(3)},
])
def test_bad_input(kwargs):
    with pytest.raises(ConfigError):
        discrete_dmft(**kwargs)


def test_bad_input_wrappers():
    with pytest.raises(ConfigError):
        euler_map_dmft(2.0, 1.5)
    with pytest.raises(ConfigError):
        euler_map_dmft(-2.0, 0.1)
    with pytest.raises(ConfigError, match="lags"):  # traced leak: K cannot be chosen
        jax.grad(lambda a: cessac_dmft(1.0, leak=a).lyapunov)(0.3)


def test_delta_vs_simulation():
    """Δ(k) of the leaky map at g = 2, δ = 0.5 vs 4 simulated networks, N = 1000, 3000 steps
    after 1000 steps of warm-up. The network-to-network spread of the population average is
    SD ≈ 0.05 (measured, 3% of Δ(0)), so the mean of 4 has SE ≈ 0.025; the finite-N bias is
    O(1/N). Tolerance 0.1 (≈ 4 SE) at lags 0, 2 and 5 steps (Δ = 1.92, 1.67, 1.35)."""
    n, g, dt, lags = 1000, 2.0, 0.5, (0, 2, 5)
    theory = np.asarray(euler_map_dmft(g, dt, lags=EULER_LAGS).delta)[list(lags)]

    def one(key):
        w = Connectivity().sample(key, n)
        x0 = jax.random.normal(jax.random.fold_in(key, 1), (n,))

        def step(x, _):
            x = (1 - dt) * x + dt * g * jnp.matmul(w, jnp.tanh(x))
            return x, x

        x = jax.lax.scan(step, x0, None, length=1000)[0]
        xs = jax.lax.scan(step, x, None, length=3000)[1]
        return jnp.stack([jnp.mean(xs[: xs.shape[0] - k] * xs[k:]) for k in lags])

    sims = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(0), 4)))
    assert np.all(np.abs(sims.mean(axis=0) - theory) < 0.1), (sims, theory)
