"""Results print their numbers: small arrays in full, large ones by shape and end values,
traced ones as equinox does."""

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxchaos._core._results import result_repr


class Result(eqx.Module):
    scalar: jax.Array
    small: jax.Array
    large: jax.Array
    name: str = "x"

    __repr__ = result_repr


def test_repr_shows_values():
    text = repr(Result(jnp.float64(0.125), jnp.array([1.0, 2.5]), jnp.arange(100.0)))
    assert text.startswith("Result(scalar=0.125, small=[1. , 2.5], large=float64[100][0, 1, ...")
    assert "99]" in text and "name='x'" in text


def test_repr_under_jit_falls_back():
    @jax.jit
    def f(x):
        assert "f64[]" in repr(Result(x, x[None], x[None]))
        return x

    f(jnp.float64(1.0))
