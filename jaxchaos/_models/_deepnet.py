"""Deep random feed-forward networks and signal propagation through them (Poole et al. 2016;
Schoenholz et al. 2017).

    h^1 = σ_w Ŵ^1 x^0 + σ_b b̂^1,
    h^l = σ_w Ŵ^l φ(h^{l-1}) + σ_b b̂^l,   l = 2 … L,   Ŵ^l_ij ~ N(0, 1/N),   b̂^l_i ~ N(0, 1),

so W^l_ij ~ N(0, σ_w²/N) and b^l_i ~ N(0, σ_b²): σ_w and σ_b are standard deviations (the
variances are σ_w², σ_b²). The input x^0 (width N) enters the first layer linearly, as in Poole
et al. (2016) and seed 000 (eq. 19, x^0 the input, h^l = W^l x^{l-1} + b^l): it is not a
pre-activation, so q^1 = σ_w² q^0 + σ_b² exactly in mean field, and the q- and c-maps act from
layer 2 on. Observables at "layer 0" are those of the input x^0. Layer l's unit-variance
draws come from `fold_in(key, l)` when the layer is applied, so no more than one layer's weights
exist at a time (a depth of hundreds at widths of thousands fits), and a grid of (σ_w, σ_b)
vmapped over one key shares every matrix: its matrix-vector products become matrix products.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, check_real
from .._core._nonlinearities import Nonlinearity
from .._core._results import result_repr

_HIGHEST = jax.lax.Precision.HIGHEST


class DeepNetwork(eqx.Module):
    """A random deep network of `depth` layers of `width` units (see the module docstring)."""

    key: jax.Array
    sigma_w: jax.Array
    sigma_b: jax.Array
    width: int = eqx.field(static=True)
    depth: int = eqx.field(static=True)
    nonlinearity: Nonlinearity = Nonlinearity("tanh")

    def __check_init__(self):
        check_real("width", self.width, positive=True, integer=True)
        check_real("depth", self.depth, positive=True, integer=True)
        check_real("sigma_w", self.sigma_w, nonnegative=True)
        check_real("sigma_b", self.sigma_b, nonnegative=True)

    def layer_parameters(self, layer):
        """(Ŵ^l, b̂^l) of layer `layer` (1 … depth), unit variance, from `fold_in(key, layer)`."""
        key_w, key_b = jax.random.split(jax.random.fold_in(self.key, layer))
        dtype = jnp.result_type(self.sigma_w, float)
        w = jax.random.normal(key_w, (self.width, self.width), dtype) / math.sqrt(self.width)
        return w, jax.random.normal(key_b, (self.width,), dtype)

    def layer(self, layer, h):
        """h^l from h^{l-1} (shape (..., N)); for `layer` 1, h is the input x^0, which enters
        linearly (no φ). `layer` may be traced (inside `scan`)."""
        w, b = self.layer_parameters(layer)
        x = jnp.where(jnp.asarray(layer) == 1, h, self.nonlinearity(h))
        return self.sigma_w * jnp.matmul(x, w.T, precision=_HIGHEST) + self.sigma_b * b

    def scan(self, h0, observe, *carry_tangents):
        """Apply the layers to the input `h0` = x^0 (..., N), returning `observe(l, h^l,
        *tangents)` stacked over l = 0 … L (leading axis L+1; l = 0 observes x^0).
        `carry_tangents`: directional derivatives of x^0 of first and (optionally) second order,
        carried exactly by nested `jax.jvp`."""
        h0 = jnp.asarray(h0)
        if h0.shape[-1] != self.width:
            raise ConfigError(f"inputs must have last dimension width = {self.width}, "
                              f"got shape {h0.shape}")

        def step(carry, layer):
            carry = _layer_with_tangents(lambda h: self.layer(layer, h), carry)
            return carry, observe(layer, *carry)

        first = observe(0, h0, *carry_tangents)
        _, rest = jax.lax.scan(step, (h0, *carry_tangents), 1 + jnp.arange(self.depth))
        return jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)


def _layer_with_tangents(f, carry):
    """`f` applied to h and its first (v) and second (a) directional derivatives:
    v' = Df(h)v, a' = D²f(h)[v, v] + Df(h)a."""
    if len(carry) == 1:
        return (f(carry[0]),)
    if len(carry) == 2:
        return jax.jvp(f, carry[:1], carry[1:])
    h, v, a = carry
    (h, v), (_, a) = jax.jvp(lambda h, v: jax.jvp(f, (h,), (v,)), (h, v), (v, a))
    return h, v, a


def propagate_inputs(net: DeepNetwork, h0):
    """Squared lengths q^l_a = (1/N) Σ_i (h^l_ia)² and correlations
    c^l_ab = (1/N) Σ_i h^l_ia h^l_ib / √(q^l_a q^l_b) of a batch of inputs x^0 = h0 (M, N).
    Returns `(q, c)` of shapes (L+1, M) and (L+1, M, M); layer 0 is the input x^0."""
    n = net.width

    def observe(_, h):
        gram = jnp.matmul(h, h.T, precision=_HIGHEST) / n
        q = jnp.diagonal(gram)
        return q, gram / jnp.sqrt(q[:, None] * q[None, :])

    return net.scan(h0, observe)


def jacobian_gain(net: DeepNetwork, h0):
    """Mean squared singular value of each layer's Jacobian D^l = σ_w Ŵ^l diag φ'(h^{l-1})
    (D^1 = σ_w Ŵ^1: the input enters linearly) at inputs x^0 = h0 (..., N):
    (1/N) ‖D^l‖²_F = (σ_w²/N) Σ_j φ'(h_j)² Σ_i (Ŵ^l_ij)², exact for the drawn weights. At the
    fixed point q* its mean over units is χ1. Returns (L, ...) for l = 1 … L."""

    def step(h, layer):
        w, _ = net.layer_parameters(layer)
        column_norms = jnp.sum(w * w, axis=0)
        slope = jnp.where(layer == 1, 1.0, net.nonlinearity.derivative(h) ** 2)
        gain = net.sigma_w**2 * jnp.sum(slope * column_norms, axis=-1) / net.width
        return net.layer(layer, h), gain

    return jax.lax.scan(step, jnp.asarray(h0), 1 + jnp.arange(net.depth))[1]


class ManifoldGeometry(eqx.Module):
    """Geometry of the image of a closed curve h^0(θ), θ ∈ [0, 2π), at each layer l = 0 … L:
    `length` ∫|v| dθ, `mean_curvature` the length-weighted mean ∫κ|v|dθ / ∫|v|dθ, and
    `grassmannian_length` ∫κ|v| dθ (the length of the curve's unit tangent, Poole et al. 2016),
    with v = ∂_θ h, a = ∂²_θ h, κ = √((v·v)(a·a) - (v·a)²) / (v·v)^{3/2}. `curvature` (L+1, M)
    is κ at the M sample angles."""

    __repr__ = result_repr

    length: jax.Array
    mean_curvature: jax.Array
    grassmannian_length: jax.Array
    curvature: jax.Array


def great_circle(key, width: int, q0, points: int):
    """x^0(θ) = √(N q0) (u0 cos θ + u1 sin θ) with u0, u1 orthonormal (drawn from `key`), at
    `points` angles θ_m = 2πm/points; returns (x, ∂_θ x, ∂²_θ x), each (points, N). Every
    point has squared length q^0 = q0; through the linear first layer h^1 has
    q^1 = σ_w² q0 + σ_b² (choose q0 = (q* - σ_b²)/σ_w² to start the curve at q*)."""
    check_real("q0", q0, positive=True)
    check_real("points", points, positive=True, integer=True)
    if width < 2:
        raise ConfigError("a great circle needs width >= 2")
    basis = jnp.linalg.qr(jax.random.normal(key, (width, 2)))[0] * jnp.sqrt(width * q0)
    theta = 2 * jnp.pi * jnp.arange(points) / points
    cos, sin = jnp.cos(theta)[:, None], jnp.sin(theta)[:, None]
    u0, u1 = basis[:, 0], basis[:, 1]
    return cos * u0 + sin * u1, -sin * u0 + cos * u1, -(cos * u0 + sin * u1)


def manifold_geometry(net: DeepNetwork, h, v, a) -> ManifoldGeometry:
    """Propagate a closed curve given at M equally spaced angles by its points h, first and
    second θ-derivatives v, a (each (M, N)) and measure it at every layer. Derivatives are carried
    exactly (nested JVPs); the θ-integrals use the periodic trapezoid rule (spectrally accurate
    for a smooth closed curve)."""

    def observe(_, h, v, a):
        vv, aa, va = (jnp.sum(x * y, axis=-1) for x, y in ((v, v), (a, a), (v, a)))
        speed = jnp.sqrt(vv)
        kappa = jnp.sqrt(jnp.maximum(vv * aa - va**2, 0.0)) / vv**1.5
        dtheta = 2 * jnp.pi / h.shape[0]
        return jnp.sum(speed) * dtheta, jnp.sum(kappa * speed) * dtheta, kappa

    length, grassmannian, kappa = net.scan(h, observe, v, a)
    return ManifoldGeometry(length, grassmannian / length, grassmannian, kappa)
