"""Route to chaos: Newton fixed points, Krylov–Schur eigenvalues vs dense eig, the contraction
bound, the loss of stability of the origin, and the classification of crossings."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError


def _cessac(key, n, slope, **kw):
    return jc.CessacNetwork.random(key, n, slope, leak=0.2, threshold_mean=0.1,
                                   threshold_std=0.5, **kw)


def _iterate(net, x, n_steps):
    """n_steps of the map from x (N,) or a batch (M, N), at t = 0."""
    step = jnp.vectorize(lambda y: net.map(0, y, None), signature="(n)->(n)")
    return jax.jit(lambda y: jax.lax.fori_loop(0, n_steps, lambda _, z: step(z), y))(x)


def _match(found, expected, atol):
    """Every eigenvalue of each list lies within atol of one of the other's."""
    distance = np.abs(np.asarray(found)[:, None] - np.asarray(expected)[None, :])
    assert distance.min(axis=1).max() < atol and distance.min(axis=0).max() < atol


def _dense_coupling(net):
    return np.asarray(net.coupling_std * net.weights + net.coupling_mean / net.n)


def test_newton_fixed_point_matches_iteration_and_vmaps_over_gains(getkey):
    """At small slope the map contracts: iterating it 400 steps converges to round-off
    (contraction factor ≤ 0.8 per step), and Newton lands on the same point with a residual of a
    few eps. vmap over slopes gives the same points as single calls."""
    key = getkey()
    net = _cessac(key, 50, 0.3)
    fp = jc.fixed_point(net, jnp.zeros(50))
    assert bool(fp.converged) and float(fp.residual) < 1e-14
    x = _iterate(net, jnp.ones(50), 400)
    np.testing.assert_allclose(fp.x, x, rtol=0, atol=1e-13)
    slopes = jnp.array([0.2, 0.5, 0.8])
    batched = jax.vmap(lambda g: jc.fixed_point(_cessac(key, 50, g), jnp.zeros(50)))(slopes)
    assert bool(jnp.all(batched.converged)) and float(batched.residual.max()) < 1e-14
    for i, g in enumerate([0.2, 0.5, 0.8]):
        np.testing.assert_allclose(batched.x[i], jc.fixed_point(_cessac(key, 50, g),
                                                                jnp.zeros(50)).x, atol=1e-13)


def test_flow_fixed_point(getkey):
    """For a flow the root is f(x) = 0: the SCS network with a constant input at g = 0.5."""
    net = jc.SCSNetwork.random(getkey(), 30, 0.5, input=jc.ConstantInput(0.3))
    fp = jc.fixed_point(net, jnp.zeros(30))
    assert bool(fp.converged)
    np.testing.assert_allclose(net.vector_field(0.0, fp.x, None), 0.0, atol=1e-14)


def test_below_contraction_bound_every_trajectory_converges(getkey):
    """Below g_as every step shrinks the distance between any two states by at least
    q = γ + g‖J‖₂ max φ' < 1 (checked on 64 random pairs, steps 1..30, states of size ~3), so
    all of them reach the unique Newton fixed point (q^300 < 1e-16). Both sigmoids of seed 001,
    with a time-dependent stimulus that leaves the bound unchanged for the pair check."""
    for nonlinearity in ("tanh", "gaussian_cdf"):
        key = getkey()
        net = _cessac(key, 60, 1.0, nonlinearity=nonlinearity)
        g_as = jc.contraction_bound(_dense_coupling(net), leak=0.2, nonlinearity=nonlinearity)
        g = 0.95 * g_as
        net = _cessac(key, 60, g, nonlinearity=nonlinearity)
        q = 0.2 + g * np.linalg.norm(_dense_coupling(net), 2) * net.nonlinearity.max_derivative
        assert q < 1
        driven = _cessac(key, 60, g, nonlinearity=nonlinearity,
                         input=jc.SinusoidalInput(0.5, 0.13))
        x = 3 * jax.random.normal(getkey(), (2, 64, 60))
        step = jax.vmap(driven.map, in_axes=(None, 0, None))
        for t in range(30):
            before = jnp.linalg.norm(x[0] - x[1], axis=1)
            x = jnp.stack([step(t, x[0], None), step(t, x[1], None)])
            assert bool(jnp.all(jnp.linalg.norm(x[0] - x[1], axis=1) <= q * before + 1e-12))
        fp = jc.fixed_point(net, jnp.zeros(60))
        y = _iterate(net, x[0], 300)
        np.testing.assert_allclose(y, jnp.broadcast_to(fp.x, y.shape), rtol=0, atol=1e-12)


def test_krylov_schur_matches_dense_eig(getkey):
    """The 6 leading eigenvalues of DF at a fixed point of a Cessac network (N = 150, an
    inhibitory mean coupling makes an outlier) and of an SCS flow's Jacobian (by real part)
    equal numpy's eigvals of the explicit Jacobian (jax.jacfwd) to 1e-8; the Ritz residuals are
    below 1e-10·ρ, and this bulk (the edge of a disk) is well separated at N = 150."""
    net = _cessac(getkey(), 150, 1.2, coupling_mean=-2.0)
    fp = jc.fixed_point(net, jnp.zeros(150))
    dense = np.linalg.eigvals(np.asarray(jax.jacfwd(lambda u: net.map(0, u, None))(fp.x)))
    krylov = jc.leading_eigenvalues(net, fp.x, k=6)
    assert krylov.converged and krylov.n_products < 150 * 10
    expected = dense[np.argsort(-np.abs(dense))][:6]
    _match(krylov.values, expected, 1e-8)
    flow = jc.SCSNetwork.random(getkey(), 120, 1.5)
    x = jax.random.normal(getkey(), (120,))
    dense = np.linalg.eigvals(np.asarray(jax.jacfwd(lambda y: flow.vector_field(0, y, None))(x)))
    krylov = jc.leading_eigenvalues(flow, x, k=4)
    expected = dense[np.argsort(-dense.real)][:4]
    _match(krylov.values, expected, 1e-8)
    full = jc.leading_eigenvalues(flow, x, k=4, krylov_dim=120)   # m = N: one exact pass
    _match(full.values, expected, 1e-10)


def test_origin_loses_stability_at_circular_law_edge(getkey):
    """θ = 0: u = 0 is a fixed point with DF(0) = γI + g J_std W. For large N its bulk fills the
    disk of center γ and radius g·J_std (`circular_law_support`), so the origin loses stability
    at g_c = (1 − γ)/J_std. At N = 400 the rightmost eigenvalue of W lies within ~3/√N of 1
    (the finite-size error of the spectral radius): the located crossing is within 15 % of g_c,
    and it is the loss (not gain) of stability."""
    n, leak, j_std = 400, 0.2, 1.0
    key = getkey()
    slopes = np.linspace(0.5, 1.1, 7)
    leading = []
    for g in slopes:
        net = jc.CessacNetwork.random(key, n, g, leak=leak, coupling_std=j_std)
        center, radius = jc.circular_law_support(net, jnp.zeros(n))
        assert center == leak and radius == pytest.approx(g * j_std, rel=1e-12)
        leading.append(jc.leading_eigenvalues(net, jnp.zeros(n), k=2, tol=1e-6).values)
    crossings = jc.stability_crossings(slopes, np.array(leading))
    assert len(crossings) == 1 and crossings[0].loses_stability
    assert crossings[0].parameter == pytest.approx((1 - leak) / j_std, rel=0.15)


def test_crossings_are_classified():
    """Leading eigenvalues along a parameter: r·e^{±iπ/3} crossing |λ| = 1 is Neimark–Sacker,
    a real λ through +1 a saddle-node/pitchfork, through −1 a flip; for flows a complex pair
    through Re λ = 0 is a Hopf bifurcation. Crossings interpolate the margin linearly."""
    p = np.linspace(0.0, 1.0, 11)
    radius = 0.5 + p                       # |λ| = 1 at p = 0.5
    pair = np.stack([radius * np.exp(1j * np.pi / 3), radius * np.exp(-1j * np.pi / 3)], 1)
    (c,) = jc.stability_crossings(p, pair)
    assert c.kind == "neimark-sacker" and c.loses_stability
    assert c.parameter == pytest.approx(0.5, abs=1e-12)
    assert jc.stability_crossings(p, radius)[0].kind == "saddle-node/pitchfork"
    assert jc.stability_crossings(p, -radius)[0].kind == "flip"
    (back,) = jc.stability_crossings(p, radius[::-1])
    assert not back.loses_stability
    flow = np.stack([(p - 0.3) + 2j, (p - 0.3) - 2j], 1)
    (h,) = jc.stability_crossings(p, flow, discrete=False)
    assert h.kind == "hopf" and h.parameter == pytest.approx(0.3, abs=1e-12)


def test_route_errors(getkey):
    net = _cessac(getkey(), 10, 0.5)
    with pytest.raises(ConfigError, match="coupling must be a square"):
        jc.contraction_bound(np.zeros((3, 4)))
    with pytest.raises(ConfigError, match="x0 must have shape"):
        jc.fixed_point(net, jnp.zeros(3))
    with pytest.raises(ConfigError, match="k = 11 exceeds"):
        jc.leading_eigenvalues(net, jnp.zeros(10), k=11)
    with pytest.raises(ConfigError, match="krylov_dim"):
        jc.leading_eigenvalues(net, jnp.zeros(10), k=4, krylov_dim=3)
    with pytest.raises(ConfigError, match="one row per parameter"):
        jc.stability_crossings([0.0, 1.0], np.zeros((3, 2)))
    assert math.isfinite(jc.contraction_bound(np.eye(3), leak=0.5))
