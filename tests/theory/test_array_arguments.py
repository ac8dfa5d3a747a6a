"""Theory functions take arrays wherever they take scalars (broadcast), and lists: each element
equals the scalar call."""

import jax.numpy as jnp
import numpy as np

import jaxchaos as jc


def test_maps_and_deep_mean_field_broadcast():
    q, sw = jnp.array([0.5, 1.0, 2.0]), jnp.array([[1.2], [2.0]])
    got = jc.q_map(q, sw, 0.3)
    assert got.shape == (2, 3)
    assert np.isclose(got[1, 2], jc.q_map(2.0, 2.0, 0.3), rtol=1e-14)
    c = jc.c_map(jnp.array([0.2, 0.9]), 1.5, 2.0, 0.3)
    assert np.isclose(c[0], jc.c_map(0.2, 1.5, 2.0, 0.3), rtol=1e-14)
    field = jc.deep_mean_field(jnp.array([1.0, 1.5, 2.5]), 0.3)
    assert field.chi1.shape == (3,)
    for i, s in enumerate([1.0, 1.5, 2.5]):
        one = jc.deep_mean_field(s, 0.3)
        np.testing.assert_allclose(field.chi1[i], one.chi1, rtol=1e-12)
        np.testing.assert_allclose(field.c_star[i], one.c_star, rtol=1e-12)


def test_scs_dmft_takes_a_list():
    np.testing.assert_allclose(jc.scs_dmft([1.5, 2.0]).lyapunov,
                               jc.scs_dmft(jnp.array([1.5, 2.0])).lyapunov, rtol=0)


def test_delta_at_any_lag():
    """On the grid it returns the grid values; midway between nodes it agrees with an
    independent interpolant (a degree-6 polynomial through 10 nodes, error O(h^7)) to 1e-9; it
    is even, it decays beyond the grid, and a batch of gains gives a leading axis."""
    sol = jc.scs_dmft(2.0)
    np.testing.assert_allclose(sol.delta_at(sol.tau[:50]), sol.delta[:50], rtol=1e-12)
    np.testing.assert_allclose(sol.delta_at(-sol.tau[7]), sol.delta[7], rtol=1e-12)
    mid = 0.5 * (sol.tau[10:20] + sol.tau[11:21])
    for m, i in zip(mid, range(10, 20), strict=True):
        nodes = np.asarray(sol.tau[i - 4:i + 6])
        poly = np.polyfit(nodes, np.asarray(sol.delta[i - 4:i + 6]), 6)
        np.testing.assert_allclose(sol.delta_at(m), np.polyval(poly, m), rtol=1e-9)
    assert float(sol.delta_at(1e4)) < 1e-12 * float(sol.delta0)
    both = jc.scs_dmft(jnp.array([1.5, 2.0]))
    np.testing.assert_allclose(both.delta_at(jnp.array([0.3, 1.7]))[1],
                               sol.delta_at(jnp.array([0.3, 1.7])), rtol=1e-12)
