"""The connectivity operators: every storage kind against the dense matrix with the same
entries. Sums of the same products in another order agree to a few ulps of the row sums, so
products are compared at 1e-12 absolute (entries and vectors are O(1), K <= 40 terms)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

ROUND_OFF = 1e-12


def _random_sparse(key, n_post, n_pre, slots, layout):
    """Slot-major arrays with repeated indices and zero-weight padding, as drawn networks have."""
    k_idx, k_w, k_pad = jax.random.split(key, 3)
    n_stored = n_post if layout == "rows" else n_pre
    n_other = n_pre if layout == "rows" else n_post
    indices = jax.random.randint(k_idx, (slots, n_stored), 0, n_other)
    weights = jax.random.normal(k_w, (slots, n_stored))
    weights = jnp.where(jax.random.uniform(k_pad, (slots, n_stored)) < 0.2, 0.0, weights)
    return jc.SparseOperator(indices, weights, (n_post, n_pre), layout)


def _draw_column(n_post, slots):
    def draw(key, j):
        k_t, k_w = jax.random.split(key)
        return (jax.random.randint(k_t, (slots,), 0, n_post),
                jax.random.normal(k_w, (slots,)) + 0.1 * j)

    return draw


def _operators(key):
    k1, k2, k3, k4 = jax.random.split(key, 4)
    dense = jc.DenseOperator(jax.random.normal(k1, (30, 30)))
    return [dense, _random_sparse(k2, 30, 30, 7, "rows"), _random_sparse(k3, 30, 30, 5, "columns"),
            jc.RegeneratedOperator(k4, _draw_column(30, 6), (30, 30), 6, chunk=8)]


@eqx.filter_jit
def _products(op, v, q, d):
    """Every product and access of `op`, in one compilation."""
    return (op @ v, op @ q, op.rmatvec(v), op.rmatmat(q), op.T @ v, op.tangent_product(d, q),
            op.T.to_dense(), op.to_dense(), op.row(17), op.column(17))


@pytest.mark.parametrize("index", range(4))
def test_products_equal_the_dense_matrix(getkey, index):
    op = _operators(getkey())[index]
    v, q, d = (jax.random.normal(getkey(), s) for s in ((30,), (30, 4), (30,)))
    mv, mm, rmv, rmm, tv, tp, w_t, w, row, column = _products(op, v, q, d)
    w = np.asarray(w)
    for got, expected in ((mv, w @ v), (mm, w @ q), (rmv, w.T @ v), (rmm, w.T @ q), (tv, w.T @ v),
                          (tp, w @ (d[:, None] * q)), (w_t, w.T)):
        np.testing.assert_allclose(got, expected, rtol=0, atol=ROUND_OFF)
    # A row's and a column's (index, weight) pairs accumulate to the dense entries.
    for (idx, wts), expected in ((row, w[17]), (column, w[:, 17])):
        np.testing.assert_allclose(np.bincount(np.asarray(idx), np.asarray(wts), 30), expected,
                                   rtol=0, atol=ROUND_OFF)


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_relayout_keeps_the_matrix(getkey, layout):
    op = _random_sparse(getkey(), 25, 40, 6, layout)
    other = op.with_layout("columns" if layout == "rows" else "rows")
    np.testing.assert_allclose(other.to_dense(), op.to_dense(), rtol=0, atol=ROUND_OFF)
    assert other.layout != op.layout


def test_regenerated_columns_are_reproducible(getkey):
    op = _operators(getkey())[3]
    stored = op.materialize()
    np.testing.assert_allclose(stored.to_dense(), op.to_dense(), rtol=0, atol=ROUND_OFF)
    np.testing.assert_array_equal(op.column(5)[0], op.column(5)[0])
    assert op.nbytes < 100 < stored.nbytes


def test_memory_and_flops():
    op = jc.SparseOperator(jnp.zeros((3, 10), jnp.int32), jnp.zeros((3, 10)), (10, 10))
    assert op.nbytes == 3 * 10 * (4 + 8)
    assert op.flops(4) == 2 * 30 * 4
    dense = jc.DenseOperator(jnp.zeros((10, 10)))
    assert dense.nbytes == 800 and dense.flops() == 200


def test_models_take_any_operator(getkey):
    """SCS flow, Euler map, Cessac map and Hopfield give the same fields and JVPs with a sparse
    operator as with the dense matrix of the same entries."""
    op = _random_sparse(getkey(), 30, 30, 7, "rows")
    w = op.to_dense()
    x, q = jax.random.normal(getkey(), (30,)), jax.random.normal(getkey(), (30, 3))
    pairs = [(jc.SCSNetwork(op, 1.7), jc.SCSNetwork(w, 1.7)),
             (jc.CessacNetwork(op, 2.0, leak=0.3), jc.CessacNetwork(w, 2.0, leak=0.3)),
             (jc.HopfieldNetwork(jc.random_patterns(getkey(), 3, 30), op, 1.2), None)]
    pairs[2] = (pairs[2][0], jc.HopfieldNetwork(pairs[2][0].patterns, w, 1.2))
    pairs.append((jc.EulerMap(pairs[0][0], 0.1), jc.EulerMap(pairs[0][1], 0.1)))
    for sparse, dense in pairs:
        step = getattr(sparse, "vector_field", None) or sparse.map
        dense_step = getattr(dense, "vector_field", None) or dense.map
        np.testing.assert_allclose(step(0.5, x, None), dense_step(0.5, x, None), rtol=0,
                                   atol=ROUND_OFF)
        np.testing.assert_allclose(sparse.jvp(0.5, x, q, None), dense.jvp(0.5, x, q, None),
                                   rtol=0, atol=ROUND_OFF)


def test_bad_operators_are_reported():
    with pytest.raises(jc.ConfigError, match="layout"):
        jc.SparseOperator(jnp.zeros((2, 5), jnp.int32), jnp.zeros((2, 5)), (5, 5), "diagonal")
    with pytest.raises(jc.ConfigError, match="slots"):
        jc.SparseOperator(jnp.zeros((2, 4), jnp.int32), jnp.zeros((2, 4)), (5, 5))
    with pytest.raises(jc.ConfigError, match="square"):
        jc.SCSNetwork(jc.DenseOperator(jnp.zeros((3, 4))), 1.0)
