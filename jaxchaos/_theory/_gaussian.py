"""Gaussian expectations of a transfer function: one variable and a correlated pair.

Both use the trapezoid rule on a uniform grid of a standard normal variable,

    ∫Dz F(z) ≈ Σ_i w_i F(z_i),   z_i ∈ [-L, L] uniform with spacing h,   w_i = h e^{-z_i²/2}/√(2π),

with L = 8.5 (the Gaussian mass outside is < 1e-16). For F analytic in the strip |Im z| < a the
error falls like exp(-2πa/h): exponential convergence. For tanh at variance q the poles sit at
Im z = π/(2√q), so the points needed grow like √q; Gauss–Hermite rules converge only slowly there.
Measured for ∫Dz tanh²(√q z): 1200 points (the default) give ~1e-13 up to q ≈ 400; 240 points give
~1e-13 up to q ≈ 12. Kinked or jumping f (ReLU, its φ') converge only algebraically: with 1200
points ~2e-6 for E[relu(u)relu(v)] and ~2e-5 for E[step(u)step(v)]; in 1-D a jump or kink at the
mean sits on a cell midpoint (`points` is even), which keeps those exact to ~1e-14.

Derivatives never go through √q or √(1-ρ²) (infinite slopes at q = 0 and at correlation 1): the JVPs
are themselves Gaussian expectations (Price's theorem and Gaussian integration by parts),

    ∂/∂μ E[f(x)] = E[f'(x)],   ∂/∂q E[f(x)] = E[(x-μ) f'(x)] / (2q)  (= ½E[f''(x)]),
    ∂/∂c E[f(u)h(v)] = E[f'(u)h'(v)],
    ∂/∂q_u E[f(u)h(v)] = (E[u f'(u) h(v)] - c E[f'(u)h'(v)]) / (2 q_u)   (= ½E[f''(u)h(v)]),

which hold for kinked f (ReLU) as well, since they use first derivatives only. Derivatives with
respect to a variance need that variance > 0 (at q = 0 the 1-D rule uses ½E[f''] instead).
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError, check_real
from .._core._nonlinearities import Nonlinearity

HALF_WIDTH = 8.5
DEFAULT_POINTS = 1200


def gaussian_nodes(points: int, dtype=None):
    """Nodes z_i and trapezoid weights w_i of the uniform rule on [-8.5, 8.5]. With `points`
    even, z = 0 is a cell midpoint: a jump or kink of f at the mean (ReLU, φ' of ReLU) then costs
    O(h²), not O(h)."""
    dtype = jnp.result_type(float) if dtype is None else dtype
    z = np.linspace(-HALF_WIDTH, HALF_WIDTH, points)
    w = (z[1] - z[0]) * np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return jnp.asarray(z, dtype), jnp.asarray(w, dtype)


def derivative_of(f):
    """f' of an elementwise f: `Nonlinearity.derivative` (analytic, right derivative at kinks)
    for a `Nonlinearity`, forward-mode autodiff otherwise."""
    if isinstance(f, Nonlinearity):
        return f.derivative
    return lambda x: jax.jvp(f, (x,), (jnp.ones_like(x),))[1]


def _times_argument(f):
    """x ↦ x f'(x)."""
    df = derivative_of(f)
    return lambda x: x * df(x)


def _dtype(*values):
    return jnp.result_type(float, *values)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 3))
def _expect(f, mean, var, points):
    z, w = gaussian_nodes(points, _dtype(mean, var))
    return jnp.dot(w, f(mean + jnp.sqrt(jnp.maximum(var, 0.0)) * z))


@_expect.defjvp
def _expect_jvp(f, points, primals, tangents):
    mean, var = primals
    d_mean, d_var = tangents
    df = derivative_of(f)
    # (x-μ) f'(x) / 2q by parts; ½ f'' (Price) where q is too small for the division.
    small = var < jnp.sqrt(jnp.finfo(_dtype(mean, var)).eps)
    safe_var = jnp.where(small, 1.0, var)
    slope_mean = _expect(df, mean, var, points)
    by_parts = (_expect(_times_argument(f), mean, safe_var, points)
                - mean * _expect(df, mean, safe_var, points)) / (2 * safe_var)
    price = 0.5 * _expect(derivative_of(df), mean, var, points)
    slope_var = jnp.where(small, price, by_parts)
    return _expect(f, mean, var, points), slope_mean * d_mean + slope_var * d_var


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1, 5))
def _expect_pair(f, h, var_u, var_v, cov, points):
    z, w = gaussian_nodes(points, _dtype(var_u, var_v, cov))
    std_u = jnp.sqrt(jnp.maximum(var_u, 0.0))
    along = jnp.where(std_u > 0, cov / jnp.where(std_u > 0, std_u, 1.0), 0.0)
    across = jnp.sqrt(jnp.maximum(var_v - along**2, 0.0))
    inner = h(along * z[:, None] + across * z[None, :]) @ w  # E[h(v) | z_u = z_i]
    return jnp.dot(w, f(std_u * z) * inner)


@_expect_pair.defjvp
def _expect_pair_jvp(f, h, points, primals, tangents):
    var_u, var_v, cov = primals
    d_var_u, d_var_v, d_cov = tangents
    df, dh = derivative_of(f), derivative_of(h)
    slope_cov = _expect_pair(df, dh, var_u, var_v, cov, points)
    safe_u = jnp.where(var_u > 0, var_u, 1.0)
    safe_v = jnp.where(var_v > 0, var_v, 1.0)
    slope_u = (_expect_pair(_times_argument(f), h, var_u, var_v, cov, points)
               - cov * slope_cov) / (2 * safe_u)
    slope_v = (_expect_pair(f, _times_argument(h), var_u, var_v, cov, points)
               - cov * slope_cov) / (2 * safe_v)
    tangent = slope_cov * d_cov + slope_u * d_var_u + slope_v * d_var_v
    return _expect_pair(f, h, var_u, var_v, cov, points), tangent


def _check_points(points):
    check_real("points", points, positive=True, integer=True)
    if points < 2 or points % 2:
        raise ConfigError(f"points must be even (no node at z = 0), got {points}")


def expectation(f, variance, mean=0.0, *, points: int = DEFAULT_POINTS):
    """E[f(x)], x ~ N(mean, variance) (variance, not standard deviation), by the trapezoid rule.

    `f` is elementwise: a `Nonlinearity` or any JAX function. Broadcasts over `variance` and
    `mean`. Differentiable to any order in both (see the module docstring).
    """
    _check_points(points)
    check_real("variance", variance, nonnegative=True)
    check_real("mean", mean)
    return jnp.vectorize(lambda m, q: _expect(f, m, q, points))(mean, variance)


def pair_expectation(f, h, var_u, var_v, cov, *, points: int = DEFAULT_POINTS):
    """E[f(u) h(v)] for zero-mean jointly Gaussian (u, v) with variances `var_u`, `var_v` and
    covariance `cov` (|cov| ≤ √(var_u var_v); correlation ρ = cov/√(var_u var_v)).

    Written as u = √q_u z₁, v = (c/√q_u) z₁ + √(q_v - c²/q_u) z₂ on a points × points grid; f and
    h are elementwise (`Nonlinearity` or JAX functions). Broadcasts over the three arguments.
    Derivatives by Price's theorem, finite at ρ = ±1 (see the module docstring).
    """
    _check_points(points)
    check_real("var_u", var_u, nonnegative=True)
    check_real("var_v", var_v, nonnegative=True)
    check_real("cov", cov)
    try:
        bound = np.sqrt(np.asarray(var_u, float) * np.asarray(var_v, float))
        excess = np.abs(np.asarray(cov, float)) > bound * (1 + 1e-12) + 1e-300
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        excess = False
    if np.any(excess):
        raise ConfigError(f"|cov| must be <= sqrt(var_u * var_v); got cov = {cov!r}, "
                          f"var_u = {var_u!r}, var_v = {var_v!r}")
    return jnp.vectorize(lambda a, b, c: _expect_pair(f, h, a, b, c, points))(var_u, var_v, cov)
