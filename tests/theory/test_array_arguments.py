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
