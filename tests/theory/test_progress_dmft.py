"""`scs_dmft(gains, progress=True)` solves the gains in equal chunks with a bar: the same
solutions as one vmapped call."""

import jax
import jax.numpy as jnp
import numpy as np

import jaxchaos as jc


def test_dmft_with_progress_is_the_same(bars):
    gains = jnp.linspace(0.8, 2.5, 23)  # 20 chunks of 2 would not fit: 12 of 2, the last padded
    # Coarse on purpose (compile time); accuracy is not what this test checks.
    kwargs = dict(cells=256, chebyshev=24, points=80, tolerance=1.0)
    plain = jc.scs_dmft(gains, **kwargs)
    shown = jc.scs_dmft(gains, **kwargs, progress=True)
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(shown), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert [(bar.total, bar.n) for bar in bars] == [(23, 23)]
