"""`kaplan_yorke_dimension` refuses empty and non-finite spectra (issue 14 item 10)."""

import pytest

import jaxchaos as jc


@pytest.mark.parametrize(("exponents", "match"), [([], "at least one"),
                                                  ([0.1, float("nan"), -1.0], "finite"),
                                                  ([float("inf"), -1.0], "finite")])
def test_bad_spectra_are_refused(exponents, match):
    with pytest.raises(jc.ConfigError, match=match):
        jc.kaplan_yorke_dimension(exponents)


def test_known_value():
    """λ = (0.5, -1): D = 1 + 0.5/1."""
    assert jc.kaplan_yorke_dimension([0.5, -1.0]) == pytest.approx(1.5, abs=1e-15)


def test_one_return_type_traceable():
    """Issue 20 item 7: `ks_entropy` and `kaplan_yorke_dimension` both return JAX arrays, over
    the last axis, and work under `jit`, `vmap` and `grad`; under tracing an undefined dimension
    is the sentinel -1 instead of an error."""
    import jax
    import jax.numpy as jnp

    lam = jnp.array([[0.5, -1.0], [1.0, 0.0], [-1.0, -2.0], [1.0, -0.5]])
    expected = [1.5, -1.0, 0.0, -1.0]  # rows 2 and 4: partial sums never negative
    for function in (jc.ks_entropy, jc.kaplan_yorke_dimension):
        assert isinstance(function(lam[0]), jax.Array)
    assert jax.jit(jc.kaplan_yorke_dimension)(lam[0]) == pytest.approx(1.5, abs=1e-15)
    assert list(jax.vmap(jc.kaplan_yorke_dimension)(lam)) == expected
    assert list(jax.jit(jc.kaplan_yorke_dimension)(lam)) == expected
    assert list(jax.vmap(jc.ks_entropy)(lam)) == [0.5, 1.0, 0.0, 1.0]
    # D = 1 + λ1/|λ2| for λ = (0.5, -1): ∂D/∂λ1 = 1/|λ2| = 1, ∂D/∂λ2 = λ1/λ2² = 0.5
    assert list(jax.grad(jc.kaplan_yorke_dimension)(lam[0])) == [1.0, 0.5]
    with pytest.raises(jc.ConfigError, match="partial sums"):
        jc.kaplan_yorke_dimension(lam)  # eager: an undefined row is an error
