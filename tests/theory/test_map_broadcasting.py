"""`q_map` and `c_map` broadcast their arguments like the Gaussian expectations they are
(issue 14 item 10): an array call equals the scalar calls element by element (float64, from
conftest)."""

import jax.numpy as jnp
import numpy as np

import jaxchaos as jc


def test_q_map_and_c_map_broadcast():
    q = jnp.array([0.5, 1.0, 2.0])
    sigma_w = jnp.array([[1.0], [2.0]])
    # The same quadrature per element: equal to rounding (the vectorized sum may reorder).
    expected = [[float(jc.q_map(qi, sw, 0.3)) for qi in q] for sw in (1.0, 2.0)]
    np.testing.assert_allclose(jc.q_map(q, sigma_w, 0.3), expected, rtol=1e-13)
    c = jnp.array([0.0, 0.4, 0.9])
    expected = [float(jc.c_map(ci, 1.0, 1.5, 0.1)) for ci in c]
    np.testing.assert_allclose(jc.c_map(c, 1.0, 1.5, 0.1), expected, rtol=1e-13)
    assert jc.c_map(c, q, 1.5, 0.1).shape == (3,)
