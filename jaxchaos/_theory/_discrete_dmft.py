"""Two-time mean-field theory of discrete-time random networks (PHYSICS.md §1–2).

The model is

    u_i(t+1) = γ u_i(t) + Σ_j J_ij f(u_j(t)) + σ B_i(t),   J_ij ~ N(0, J²/N),  B_i(t) ~ N(0, 1),

with f(u) = φ(s u) for an odd φ (`tanh`, `erf`), leak γ ∈ [0, 1), zero-mean couplings, no
thresholds: the two-time theory here covers J̄ = θ = 0 only (with J̄ or θ ≠ 0 the mean μ(t) enters
and Δ does not decay to 0; `cessac_recursion` covers those for γ = 0, one time only).
It covers the leaky Euler map of the SCS network, x ← (1-δ)x + δ g W φ(x) (γ = 1-δ,
J = δg, s = 1, `euler_map_dmft`), and Cessac's network with leak (f = tanh(s u), `cessac_dmft`).
All equations below are in the scaled variable x = s u, where the model reads
x(t+1) = a x(t) + c Σ_j W_ij φ(x_j(t)) + s σ B, with a = γ and c = sJ; Δ is converted back to u
(Δ_u = Δ_x/s²); the exponents do not depend on the scaling.

**Autocovariance.** For N → ∞ the recurrent input η_t is Gaussian with ⟨η_t η_s⟩ = c² C(t-s) +
s²σ² δ_ts, C(k) = E[φ(x)φ(x')] at Var x = Var x' = Δ(0), Cov = Δ(k) (`pair_expectation`). With
x_t = Σ_{m≥0} a^m η_{t-1-m} the stationary Δ(k) = ⟨x_t x_{t+k}⟩ is

    Δ(k) = 1/(1-a²) Σ_j a^{|j|} [c² C(k-j) + s²σ² δ_{j,k}],

equivalently (apply (1 - aS)(1 - aS⁻¹), S the lag shift) the discrete Newtonian equation

    (1 + a²) Δ(k) - a [Δ(k+1) + Δ(k-1)] = c² C(Δ(k); Δ(0)) + s²σ² δ_{k,0},   Δ(-k) = Δ(k).

With a = 1-δ, c = δg, dividing by δ² gives Δ'' = Δ - g² C as δ → 0 (the SCS equation). For
γ = 0 it is Δ(0) = J² E f² + σ², Δ(k≠0) = 0 (Cessac's white-noise theory). For odd φ, Δ(k) → 0
as ρ^k, where ρ < 1 solves a(ρ + 1/ρ) = 1 + a² - c² (E φ')²; a decaying solution needs
c |E φ'| < 1 - a. The lags k = 0..K are solved at once by Newton's method, with the exact
asymptotic condition Δ(K+1) = ρ Δ(K), from a starting sequence found by shooting: bisection on
Δ(0) of the orbit of the recursion, which falls through zero when Δ(0) is too small and turns back
when it is too large (the discrete version of the SCS energy condition). Without noise and below
onset (c φ'(0) ≤ 1 - a) the solution is the quiet state Δ ≡ 0.

**Largest Lyapunov exponent.** The tangent vector y_{t+1} = a y_t + c W diag φ'(x_t) y_t has
covariance Y(t, s) with

    Y(t+1, s+1) - a Y(t, s+1) - a Y(t+1, s) + a² Y(t, s) = c² C'(t-s) Y(t, s),

C'(k) = E[φ'(x)φ'(x')] at the same (Δ(0), Δ(k)). With Y = μ^{t+s} ψ(t-s) (ψ even):

    a [ψ(k+1) + ψ(k-1)] + (c²/μ) C'(k) ψ(k) = (μ + a²/μ) ψ(k),

and λ_max = ln μ per step for the largest μ with a normalisable ψ. The operator on the left is
symmetric; it is truncated to 0 ≤ k ≤ K (even sector; ψ(0) scaled by √2 to keep it symmetric)
with the exact outgoing condition ψ(K+1) = ρ_b ψ(K), ρ_b + 1/ρ_b = (μ + a²/μ - c² (Eφ')²/μ)/a,
because C'(k) → (E φ')² ≠ 0 as k → ∞: the bound state sits above a continuum whose edge is
μ_c = a + c |E φ'|. μ is the largest root of "top eigenvalue = μ + a²/μ", found by bisection on
a Sturm count in [μ_c, a + c (E φ'²)^{1/2}]; without a bound state μ = μ_c. Checks: γ = 0 gives
μ² = J² E f'² (the white-noise formula ½ ln[J² ∫Dh f'²]); the continuum limit a = 1-δ, c = δg,
μ = 1 + δλ gives -ψ'' - g² C' ψ = -(1+λ)² ψ, the SCS Schrödinger problem, so λ/δ → λ_SCS
(with an O(δ) error: the Euler map is a first-order scheme).

**Derivatives.** Δ(k) by the implicit function theorem on the Newton residual (a tridiagonal
plus a rank-one Jacobian, solved by `tridiagonal_solve` and Sherman–Morrison), μ by implicit
differentiation of the eigenvalue condition with Hellmann–Feynman. `jax.grad`/`jax.jvp` work in
every parameter (first derivatives; higher ones are not supported).

Numerics: C and C' on `chebyshev` Chebyshev nodes of [0, Δ(0)] (odd / even extension to
negative Δ), each a 2-D trapezoid rule of `points`² points (`_gaussian`), both growing with the
bound on √Var x by default; the solution one ladder rung coarser gives the error estimates
`lyapunov_error`, `delta0_error`, and an `AccuracyWarning` when they exceed `tolerance`.
"""

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, check_real
from .._core._results import result_repr
from ._dmft import (
    _count_below,
    _interpolate,
    _odd_nonlinearity,
    _one_rung_down,
    check_accuracy,
    kernel_table,
    on_ladder,
)
from ._gaussian import _expect

_SHOOT_BISECTIONS = 64
_GROWTH_BISECTIONS = 64
_NEWTON_STEPS = 40


class DiscreteMeanField(eqx.Module):
    """The stationary two-time mean-field solution of a discrete-time random network.

    - `leak` a = γ, `coupling` c = s J (the coupling in the scaled variable x = s u), `slope` s,
      `noise` σ (per-step standard deviation, in u), `dt` the model time of one step (δ for
      `euler_map_dmft`, 1 otherwise).
    - `delta`: Δ(k) = ⟨u_t u_{t+k}⟩ for k = 0..K (a covariance of u, not x); `delta0` = Δ(0).
    - `rate_correlation`: C(k) = ⟨f(u_t) f(u_{t+k})⟩.
    - `decay_ratio`: ρ, Δ(k) ∝ ρ^k as k → ∞ (per step).
    - `growth_factor`: μ; `lyapunov`: λ_max = ln μ per step; `lyapunov_rate`: λ_max/dt per unit
      model time (per unit time for the Euler map).
    - `bound_state`: whether the tangent problem has a bound state (False: μ is the continuum
      edge a + c|E φ'|, e.g. the quiet state's a + c φ'(0)).
    - `residual`: max_k |R(k)|/Δ(0) of the Δ equation at the solution (round-off when solved);
      `tail`: Δ(K)/Δ(0) (small when the window of K lags is long enough).
    - `lyapunov_error`, `delta0_error`: error estimates |λ_max - λ'| (per step) and |Δ(0) - Δ'(0)|
      against the solution one ladder rung coarser in `chebyshev` and `points` (convergence is
      exponential in both, so this bounds the finer result's error; the lag window is checked
      by `tail`, not here).
    """

    __repr__ = result_repr

    leak: jax.Array
    coupling: jax.Array
    slope: jax.Array
    noise: jax.Array
    dt: jax.Array
    delta: jax.Array
    delta0: jax.Array
    rate_correlation: jax.Array
    decay_ratio: jax.Array
    growth_factor: jax.Array
    lyapunov: jax.Array
    lyapunov_rate: jax.Array
    bound_state: jax.Array
    residual: jax.Array
    tail: jax.Array
    lyapunov_error: jax.Array
    delta0_error: jax.Array


# ---------------------------------------------------------------------------------------------
# Gaussian kernels on Chebyshev nodes of [0, q].


def _odd_kernel(values, d, q):
    """C(d) by the odd extension of the interpolant on [0, q] (C is odd in d for odd φ)."""
    x = 2 * jnp.minimum(jnp.abs(d), q) / q - 1
    return jnp.sign(d) * _interpolate(values, x)


def _even_kernel(values, d, q):
    """C'(d) by the even extension (C' = E[φ'φ'] is even in d for odd φ)."""
    return _interpolate(values, 2 * jnp.minimum(jnp.abs(d), q) / q - 1)


def _decay_ratio(a, b):
    """ρ ∈ [0, 1) with a(ρ + 1/ρ) = 1 + a² - b (the smaller root; 0 at a = 0)."""
    s = 1 + a**2 - b
    return 2 * a / (s + jnp.sqrt(jnp.maximum(s**2 - 4 * a**2, 0.0)))


def _mean_slope_sq(q, phi, points):
    """(E φ'(x))², x ~ N(0, q): the large-lag value of C'."""
    return _expect(phi.derivative, 0.0, q, points) ** 2


# ---------------------------------------------------------------------------------------------
# Δ(k): residual, shooting, Newton, implicit derivative.


def _residual(d, q, params, phi, chebyshev, points):
    """R(k) = (1+a²)Δ(k) - a[Δ(k+1)+Δ(k-1)] - c²C(Δ(k); q) - σ_x²δ_k0, with Δ(-1) = Δ(1),
    Δ(K+1) = ρΔ(K); q is the variance argument (= Δ(0) at a solution)."""
    a, c, noise_sq = params
    values = kernel_table(phi, q, chebyshev, points)
    rho = _decay_ratio(a, c**2 * _mean_slope_sq(q, phi, points))
    left = jnp.concatenate([d[1:2], d[:-1]])
    right = jnp.concatenate([d[1:], rho * d[-1:]])
    source = c**2 * _odd_kernel(values, d, q)
    source = source.at[0].add(noise_sq)
    return (1 + a**2) * d - a * (left + right) - source


def _jacobian_solve(d, params, phi, chebyshev, points, rhs):
    """Solve (∂R/∂Δ) x = rhs at Δ = d (R(Δ, Δ(0))): a tridiagonal part plus the column ∂R/∂q.
    Returns (x, R(d))."""
    a, c, _ = params
    q = d[0]
    residual, column = jax.jvp(lambda qq: _residual(d, qq, params, phi, chebyshev, points),
                               (q,), (jnp.ones_like(q),))
    values = kernel_table(phi, q, chebyshev, points)
    slope = jax.jvp(lambda dd: _odd_kernel(values, dd, q), (d,), (jnp.ones_like(d),))[1]
    rho = _decay_ratio(a, c**2 * _mean_slope_sq(q, phi, points))
    diag = (1 + a**2) - c**2 * slope
    diag = diag.at[-1].add(-a * rho)
    n = d.shape[0]
    lower = jnp.full(n, -a, d.dtype).at[0].set(0.0)
    upper = jnp.full(n, -a, d.dtype).at[-1].set(0.0).at[0].set(-2 * a)
    rhs = rhs(residual) if callable(rhs) else rhs
    # Two solves, not one with two columns: under jax.grad `rhs` is a tangent and `column` not.
    x = jax.lax.linalg.tridiagonal_solve(lower, diag, upper, rhs[:, None])[:, 0]
    y = jax.lax.linalg.tridiagonal_solve(lower, diag, upper, column[:, None])[:, 0]
    # Sherman–Morrison for T + column e0ᵀ.
    return x - y * x[0] / (1 + y[0]), residual


def _shoot(log_q, params, phi, chebyshev, points, lags):
    """The orbit Δ(0..K) of the recursion from Δ(0) = q at rest (Δ(-1) = Δ(1)) and its fate:
    +1 falls through zero (q too small), -1 turns back up (q too large), 0 neither within K."""
    a, c, noise_sq = params
    q = jnp.exp(log_q)
    values = kernel_table(phi, q, chebyshev, points)
    safe_a = jnp.maximum(a, jnp.finfo(q.dtype).tiny)
    first = ((1 + a**2) * q - c**2 * _odd_kernel(values, q, q) - noise_sq) / (2 * safe_a)

    def fate(prev, new):
        return jnp.where(new < 0, 1, jnp.where(new > prev, -1, 0))

    def body(carry, _):
        prev, cur, status = carry
        new = ((1 + a**2) * cur - c**2 * _odd_kernel(values, cur, q)) / safe_a - prev
        status = jnp.where(status != 0, status, fate(cur, new))
        return (cur, new, status), prev

    start = (q, first, fate(q, first))
    (_, _, status), orbit = jax.lax.scan(body, start, None, length=lags + 1)
    return status, orbit


def _starting_sequence(params, phi, chebyshev, points, lags):
    """Δ(0) by bisection on the orbit's fate; the orbit until it leaves the separatrix (below
    ε^{1/4}Δ(0), or turning), then the asymptotic ρ^k tail."""
    a, c, noise_sq = params
    dtype = a.dtype
    eps = float(jnp.finfo(dtype).eps)
    # At q ≥ (c² + σ_x²)/(1-a)² the orbit turns back at once ((1-a)²q > c²Eφ² + σ_x², |φ| ≤ 1).
    upper = jnp.log((c**2 + noise_sq) / (1 - a) ** 2 * 1.01 + 1e-300)
    lower = jnp.asarray(2 * math.log(eps), dtype) + jnp.minimum(upper, 0.0)

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        too_small = _shoot(mid, params, phi, chebyshev, points, lags)[0] >= 0
        return jnp.where(too_small, mid, lo), jnp.where(too_small, hi, mid)

    lo, _ = jax.lax.fori_loop(0, _SHOOT_BISECTIONS, bisect, (lower, upper))
    q = jnp.exp(lo)
    orbit = _shoot(lo, params, phi, chebyshev, points, lags)[1]
    k = jnp.arange(lags + 1)
    previous = jnp.concatenate([orbit[:1], orbit[:-1]])
    off = ((orbit < eps**0.25 * q) | ((orbit > previous) & (k > 0)) | ~jnp.isfinite(orbit))
    cut = jnp.where(jnp.any(off), jnp.argmax(off), lags + 1)  # first index not kept
    rho = _decay_ratio(a, c**2 * _mean_slope_sq(q, phi, points))
    last = orbit[jnp.maximum(cut - 1, 0)]
    tail = last * rho ** jnp.maximum(k - cut + 1, 0).astype(dtype)
    return jnp.where(k < cut, orbit, tail)


def _newton(params, phi, chebyshev, points, lags):
    guess = _starting_sequence(params, phi, chebyshev, points, lags)
    tol = 16 * float(jnp.finfo(guess.dtype).eps)

    def cond(state):
        i, _, size = state
        return (i < _NEWTON_STEPS) & (size > tol)

    def body(state):
        i, d, _ = state
        step, _ = _jacobian_solve(d, params, phi, chebyshev, points, lambda r: -r)
        return i + 1, d + step, jnp.max(jnp.abs(step)) / d[0]

    _, d, _ = jax.lax.while_loop(cond, body, (0, guess, jnp.asarray(jnp.inf, guess.dtype)))
    return d


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4))
def _autocovariance(params, phi, chebyshev, points, lags):
    """Δ_x(0..K) at params = (a, c, σ_x²); chaotic or noise-driven (a decaying solution)."""
    return _newton(params, phi, chebyshev, points, lags)


@_autocovariance.defjvp
def _autocovariance_jvp(phi, chebyshev, points, lags, primals, tangents):
    (params,), (d_params,) = primals, tangents
    d = _autocovariance(params, phi, chebyshev, points, lags)
    d_residual = jax.jvp(lambda p: _residual(d, d[0], p, phi, chebyshev, points),
                         (params,), (d_params,))[1]
    stopped = jax.lax.stop_gradient(params)
    tangent, _ = _jacobian_solve(d, stopped, phi, chebyshev, points, -d_residual)
    return d, tangent


# ---------------------------------------------------------------------------------------------
# μ: the tangent-covariance bound state.


def _tangent_matrix(mu, potential, a, tail):
    """(diagonal, off-diagonal) of M(μ) - (μ + a²/μ): M the even-sector operator
    a[ψ(k+1)+ψ(k-1)] + (potential(k)/μ)ψ(k) on 0 ≤ k ≤ K (ψ(0) scaled by √2), with the outgoing
    condition ψ(K+1) = ρ_b ψ(K); potential = c²C'(k), tail = c²(Eφ')²."""
    sigma = mu + a**2 / mu
    diag = potential / mu - sigma
    diag = diag.at[-1].add(a * _decay_ratio_b(mu, a, tail))
    off = jnp.full(potential.shape[0] - 1, a, potential.dtype).at[0].multiply(math.sqrt(2.0))
    return diag, off


def _decay_ratio_b(mu, a, tail):
    """ρ_b ≤ 1, a(ρ_b + 1/ρ_b) = μ + a²/μ - tail/μ (the bound state's decay per step)."""
    s = mu + (a**2 - tail) / mu
    return 2 * a / (s + jnp.sqrt(jnp.maximum(s**2 - 4 * a**2, 0.0)))


def _above(mu, potential, a, tail):
    """Number of eigenvalues of M(μ) above μ + a²/μ (Sturm count)."""
    diag, off = _tangent_matrix(mu, potential, a, tail)
    return _count_below(-diag, off**2, jnp.zeros((), diag.dtype))


def _growth_primal(potential, a, tail):
    edge = a + jnp.sqrt(tail)
    top = a + jnp.sqrt(jnp.maximum(potential[0], tail)) * (1 + 1e-12) + 1e-300
    bound = _above(edge, potential, a, tail) > 0

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        some = _above(mid, potential, a, tail) > 0
        return jnp.where(some, mid, lo), jnp.where(some, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _GROWTH_BISECTIONS, bisect, (edge, top))
    return jnp.where(bound, 0.5 * (lo + hi), edge), bound


@jax.custom_jvp
def _growth(potential, a, tail):
    """μ: the largest root of top-eigenvalue(M(μ)) = μ + a²/μ, or the continuum edge."""
    return _growth_primal(potential, a, tail)[0]


@_growth.defjvp
def _growth_jvp(primals, tangents):
    potential, a, tail = primals
    mu, bound = _growth_primal(potential, a, tail)
    # Eigenvector with eigenvalue ≈ 0 of M(μ) - σ by inverse iteration just above it.
    diag, off = _tangent_matrix(mu, potential, a, tail)
    eps = jnp.finfo(diag.dtype).eps
    shift = 256 * eps * (jnp.max(jnp.abs(diag)) + 2 * jnp.max(jnp.abs(off)))
    lower = jnp.concatenate([jnp.zeros(1, off.dtype), -off])  # shift - (M - σ) is
    upper = jnp.concatenate([-off, jnp.zeros(1, off.dtype)])  # positive definite
    vec = jnp.ones_like(diag)
    for _ in range(3):
        vec = jax.lax.linalg.tridiagonal_solve(lower, shift - diag, upper, vec[:, None])[:, 0]
        vec = vec / jnp.linalg.norm(vec)
    vec = jax.lax.stop_gradient(vec)

    def condition(m, p, aa, t):  # vᵀ(M - σ)v: zero at the root, Hellmann–Feynman in (p, a, t)
        dg, of = _tangent_matrix(m, p, aa, t)
        return jnp.dot(vec**2, dg) + 2 * jnp.dot(vec[:-1] * vec[1:], of)

    slope = jax.jvp(lambda m: condition(m, potential, a, tail), (mu,), (jnp.ones_like(mu),))[1]
    push = jax.jvp(lambda p, aa, t: condition(mu, p, aa, t), primals, tangents)[1]
    d_potential, d_a, d_tail = tangents
    d_edge = d_a + d_tail / (2 * jnp.sqrt(jnp.where(tail > 0, tail, 1.0)))
    return mu, jnp.where(bound, -push / slope, d_edge)


# ---------------------------------------------------------------------------------------------
# The solution.


def _solve_once(leak, coupling, slope, noise, dt, phi, chebyshev, points, lags):
    a, c = leak, slope * coupling
    noise_sq = (slope * noise) ** 2
    slope0 = phi.derivative(jnp.zeros((), a.dtype))
    driven = (c * slope0 > 1 - a) | (noise_sq > 0)
    safe_c = jnp.where(driven, c, 2 * (1 - a) / slope0)
    d = _autocovariance((a, safe_c, noise_sq), phi, chebyshev, points, lags)
    q = d[0]
    c_values = kernel_table(phi, q, chebyshev, points)
    dphi_values = kernel_table(phi.derivative, q, chebyshev, points)
    tail = safe_c**2 * _mean_slope_sq(q, phi, points)
    potential = safe_c**2 * _even_kernel(dphi_values, d, q)
    mu = _growth(potential, a, tail)
    bound = _above(a + jnp.sqrt(tail), potential, a, tail) > 0
    residual = _residual(d, q, (a, safe_c, noise_sq), phi, chebyshev, points)
    rate = _odd_kernel(c_values, d, q)
    rho = _decay_ratio(a, tail)

    def pick(x, y):
        return jnp.where(driven, x, y)

    zeros = jnp.zeros_like(d)
    quiet_mu = a + c * slope0
    d = pick(d, zeros) / slope**2
    mu = pick(mu, quiet_mu)
    rho = pick(rho, _decay_ratio(a, (c * slope0) ** 2))
    lyapunov = jnp.log(mu)
    return DiscreteMeanField(
        leak, coupling, slope, noise, dt, d, d[0], pick(rate, zeros), rho, mu, lyapunov,
        lyapunov / dt, pick(bound, False), pick(jnp.max(jnp.abs(residual)) / q, 0.0),
        pick(d[-1] / d[0], 0.0), jnp.zeros_like(mu), jnp.zeros_like(mu),
    )


@eqx.filter_jit
def _solve(leak, coupling, slope, noise, dt, phi, chebyshev, points, lags):
    """The solution at (`chebyshev`, `points`), with the error estimates from the solution one
    rung coarser in both (not differentiated: derivatives go through the fine solution)."""
    fine = _solve_once(leak, coupling, slope, noise, dt, phi, chebyshev, points, lags)
    parameters = jax.lax.stop_gradient((leak, coupling, slope, noise, dt))
    coarse = _solve_once(*parameters, phi, _one_rung_down(chebyshev), _one_rung_down(points),
                         lags)
    return eqx.tree_at(lambda s: (s.lyapunov_error, s.delta0_error), fine,
                       (jnp.abs(fine.lyapunov - coarse.lyapunov),
                        jnp.abs(fine.delta0 - coarse.delta0)))


def _default_lags(leak, span):
    try:
        a = float(leak)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        raise ConfigError("the leak is traced (jit/grad/vmap over it): pass lags= explicitly, "
                          "e.g. lags = span/(1 - leak)") from None
    return on_ladder(span / (1.0 - a), 16)


def _default_resolution(leak, coupling, slope, noise):
    """(chebyshev, points) for Var x ≤ (c² + s²σ²)/(1-γ)² (the shooting bracket): ~20 Chebyshev
    nodes and ~70 trapezoid points per unit of √Var (`_gaussian`: 240 points give ~1e-13 up to
    Var ≈ 12; the kernels C'(Δ) vary on the scale 1/Var of [0, Δ(0)] next to Δ(0), which needs
    nodes ∝ √Var; measured at γ = 0, J = 10: 90 nodes miss λ by 9e-7, 180 by 5e-11), on the
    `on_ladder` sizes, at least (64, 240); (64, 240) when traced. The
    bound is loose for γ near 1 (cost grows like chebyshev · points²)."""
    try:
        bound = ((float(slope) * float(coupling)) ** 2 + (float(slope) * float(noise)) ** 2)
        bound /= (1.0 - float(leak)) ** 2
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return 64, 240
    return on_ladder(20.0 * math.sqrt(bound), 64), on_ladder(70.0 * math.sqrt(bound), 240)


def discrete_dmft(leak, coupling, nonlinearity="tanh", *, slope=1.0, noise=0.0, dt=1.0,
                  lags=None, span: float = 80.0, chebyshev=None, points=None,
                  tolerance: float = 1e-6) -> DiscreteMeanField:
    """Solve the stationary two-time mean-field theory of
    u(t+1) = γ u(t) + Σ_j J_ij φ(s u_j(t)) + σ B(t), J_ij ~ N(0, J²/N) (see the module docstring).

    **Arguments:**
    - `leak`: γ ∈ [0, 1). `coupling`: J ≥ 0 (the standard deviation of J_ij times √N).
    - `nonlinearity`: odd φ, `"tanh"` or `"erf"` (or a `Nonlinearity`). `slope`: s > 0.
    - `noise`: σ ≥ 0, the standard deviation of the white noise added per step.
    - `dt`: the model time of one step (only sets `lyapunov_rate` = `lyapunov`/dt).
    - `lags`: K, lags 0..K solved (default span/(1-γ) rounded up onto the ladder 16·2^(j/4), so that
      nearby γ share one compilation; required when γ is traced).
      `span`: the window in units of the leak time 1/(1-γ) steps. Check `tail` = Δ(K)/Δ(0):
      near onset correlations decay slowly and `span` must grow.
    - `chebyshev`: Chebyshev nodes of the kernel interpolation on [0, Δ(0)]. `points`:
      trapezoid points per axis of each 2-D Gaussian integral. Defaults ~20 and ~70 per unit of
      the bound √[(sJ)² + (sσ)²]/(1-γ) on the standard deviation of x = s u, at least 64 and
      240 (~1e-12; 64 and 240 when the parameters are traced: pass them for large variances).
    - `tolerance`: relative accuracy the result must reach by its own error estimate
      (`lyapunov_error`, `delta0_error`; λ relative to max(|λ/dt|, 0.01) per unit time, Δ(0)
      relative to itself); an `AccuracyWarning` is issued otherwise (also under jit, at run time).

    Scalars; differentiable in `leak`, `coupling`, `slope`, `noise` (implicit differentiation).
    Without noise and below onset (sJφ'(0) ≤ 1-γ) the quiet solution Δ ≡ 0 with
    μ = γ + sJφ'(0) is returned.
    """
    phi = _odd_nonlinearity(nonlinearity)
    check_real("leak", leak, nonnegative=True, below=1.0)
    check_real("coupling", coupling, nonnegative=True)
    check_real("slope", slope, positive=True)
    check_real("noise", noise, nonnegative=True)
    check_real("dt", dt, positive=True)
    check_real("span", span, positive=True)
    check_real("tolerance", tolerance, positive=True)
    values = (leak, coupling, slope, noise, dt)
    for name, value in zip(("leak", "coupling", "slope", "noise", "dt"), values, strict=True):
        if jnp.ndim(value) != 0:
            raise ConfigError(f"{name} must be a scalar (vmap for curves), got shape "
                              f"{jnp.shape(value)}")
    lags = _default_lags(leak, span) if lags is None else lags
    auto_chebyshev, auto_points = _default_resolution(leak, coupling, slope, noise)
    chebyshev = auto_chebyshev if chebyshev is None else chebyshev
    points = auto_points if points is None else points
    check_real("chebyshev", chebyshev, positive=True, integer=True)
    check_real("lags", lags, positive=True, integer=True)
    check_real("points", points, positive=True, integer=True)
    if points < 2 or points % 2:
        raise ConfigError(f"points must be even (no node at z = 0), got {points}")
    dtype = jnp.result_type(float, *values)
    leak, coupling, slope, noise, dt = (jnp.asarray(v, dtype) for v in values)
    result = _solve(leak, coupling, slope, noise, dt, phi, int(chebyshev), int(points),
                    int(lags))
    check_accuracy((leak, coupling, slope, noise),
                   lambda p, i: (f"discrete_dmft at γ = {p[0][i]:g}, J = {p[1][i]:g}, "
                                 f"s = {p[2][i]:g}, σ = {p[3][i]:g}"),
                   result.lyapunov_rate, result.lyapunov_error / dt, result.delta0,
                   result.delta0_error, tolerance,
                   "raise chebyshev and points (or leave them None for the automatic resolution)")
    return result


def euler_map_dmft(gain, dt, nonlinearity="tanh", **kwargs) -> DiscreteMeanField:
    """The leaky Euler map of the SCS network, x ← (1-δ)x + δ g W φ(x), W_ij ~ N(0, 1/N)
    (`EulerMap(SCSNetwork(W, g), δ)`): `discrete_dmft` with γ = 1-δ, J = δg, s = 1.

    `lyapunov` is per step, `lyapunov_rate` = λ/δ per unit time, which tends to
    `scs_dmft(g).lyapunov` as δ → 0 (error O(δ)). δ ∈ (0, 1]; δ = 1 is the γ = 0 network.
    """
    check_real("dt", dt, positive=True)
    check_real("gain", gain, nonnegative=True)
    try:
        if float(dt) > 1.0:
            raise ConfigError(f"dt must be <= 1 (leak 1 - dt in [0, 1)), got {dt!r}")
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        pass
    return discrete_dmft(1.0 - dt, dt * gain, nonlinearity, dt=dt, **kwargs)


def cessac_dmft(slope, *, coupling_std=1.0, leak=0.0, noise=0.0, **kwargs) -> DiscreteMeanField:
    """Cessac's network with leak (PHYSICS.md §2), u(t+1) = γu + J f(u) + σB, f = tanh(s u),
    J̄ = 0 and no thresholds: `discrete_dmft(leak, coupling_std, "tanh", slope=slope, noise=...)`.
    At γ = 0 `delta0` and `lyapunov` equal `cessac_mean_field`'s `variance` and `lyapunov`."""
    return discrete_dmft(leak, coupling_std, "tanh", slope=slope, noise=noise, **kwargs)
