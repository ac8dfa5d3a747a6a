"""Connectivity as a linear operator: one interface for dense, sparse and regenerated couplings.

A coupling W has shape (n_post, n_pre); entry W_ij is the weight from presynaptic neuron j to
postsynaptic neuron i, so the recurrent input is `W @ r`. Every consumer (rate flows and maps,
Hopfield, tangent dynamics, Lyapunov spectra, event-based networks) uses only these methods:

- `matvec(v)` = W v and `matmat(Q)` = W Q for an (n_pre, k) frame; `W @ x` picks one by x.ndim;
- `tangent_product(d, Q)` = W (d ⊙ Q), d (n_pre,) broadcast over the frame's columns: the
  product of a tangent step, `Df = -I + g W diag φ'(x)`;
- `product_and_tangent(r, d, Q)` = (W r, W (d ⊙ Q)): a step of the trajectory and of its frame
  together; a dense W does both as one (N, k+1) product W @ [d ⊙ Q, r] (W read once);
- `rmatvec`, `rmatmat`: the transpose products Wᵀ v, Wᵀ Q; `transpose()` (`.T`) the operator Wᵀ;
- `row(i)`: (presynaptic indices, weights) of the inputs of neuron i; `column(j)`: (postsynaptic
  indices, weights) of the targets of presynaptic neuron j (what an event-based network needs
  when j spikes). Padded slots have weight 0 (and an index in range);
- `to_dense()`, `nbytes` (memory held), `flops(k)` (floating-point operations of one product
  with k columns: 2 per stored entry and column).

Storage kinds:

- `DenseOperator(matrix)`: an (n_post, n_pre) array, products by one matmul at full precision.
- `SparseOperator(indices, weights, shape, layout)`: padded index/weight arrays of shape
  (slots, n): with `layout="rows"` slot s of column i of the arrays is an input of neuron i
  (fixed in-degree K: slots = K; Binomial in-degree: padded), products gather; with
  `layout="columns"` slot s of column j is a target of presynaptic neuron j (fixed out-degree),
  products scatter-add, and `column(j)` is a slice. `transpose()` swaps the layouts without
  copying; `with_layout` re-sorts to the other one (eagerly).
- `OutDegreeTable(targets, kicks)`: the targets and weights of presynaptic neuron j in row j of
  (n, slots) arrays, so that `column(j)` is one contiguous read (what an event-based network
  does once per spike); its products are those of the equivalent `SparseOperator`.
  The arrays are slot-major (slots, n) because the products run one slot at a time over all
  neurons (a scan over slots with contiguous rows): in a probe on XLA CPU (N = 10⁵, K = 100)
  this matched SciPy's CSR matvec and ran about 7x faster than gathering the (n, slots) block at
  once, while `jax.experimental.sparse` BCOO was 14x slower than SciPy
  (`scripts/benchmark_connectivity.py` compares with SciPy).
- `RegeneratedOperator(key, draw, shape, slots)`: nothing stored but a key: the targets and
  weights of presynaptic neuron j are redrawn from `fold_in(key, j)` by `draw` whenever they are
  used (O(N) memory, SparseProp's trick), in chunks of presynaptic neurons.

All products use `precision="highest"` (no TF32 on GPUs) and keep the input's dtype.
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._errors import ConfigError, check_choice

_HIGHEST = jax.lax.Precision.HIGHEST
# The fused product's operand is padded with zero columns to a multiple of this: XLA CPU's
# GEMM (YNNPACK) ran an (N, 65) product slower than an (N, 72) one.
_COLUMN_MULTIPLE = 8
LAYOUTS = ("rows", "columns")


def _scale_columns(d, q):
    """d ⊙ q for q of shape (n,) or (n, k): d scales rows."""
    return d * q if q.ndim == 1 else d[:, None] * q


class AbstractOperator(eqx.Module):
    """A linear operator W of shape (n_post, n_pre) (module docstring)."""

    @property
    @abc.abstractmethod
    def shape(self) -> tuple[int, int]:
        """(n_post, n_pre)."""

    @property
    @abc.abstractmethod
    def dtype(self):
        """Dtype of the weights."""

    @abc.abstractmethod
    def matmat(self, q):
        """W Q for Q of shape (n_pre, k)."""

    @abc.abstractmethod
    def rmatmat(self, q):
        """Wᵀ Q for Q of shape (n_post, k)."""

    @abc.abstractmethod
    def row(self, i):
        """(presynaptic indices, weights) of the inputs of postsynaptic neuron i."""

    @abc.abstractmethod
    def column(self, j):
        """(postsynaptic indices, weights) of the targets of presynaptic neuron j."""

    @abc.abstractmethod
    def transpose(self) -> "AbstractOperator":
        """The operator Wᵀ."""

    @property
    @abc.abstractmethod
    def nbytes(self) -> int:
        """Bytes of weights and indices held in memory."""

    @property
    @abc.abstractmethod
    def stored_entries(self) -> int:
        """Entries (weights, counting padding) touched by one product with one column."""

    def matvec(self, v):
        """W v for v of shape (n_pre,)."""
        return self.matmat(v[:, None])[:, 0]

    def rmatvec(self, v):
        """Wᵀ v for v of shape (n_post,)."""
        return self.rmatmat(v[:, None])[:, 0]

    def __matmul__(self, x):
        return self.matvec(x) if x.ndim == 1 else self.matmat(x)

    @property
    def T(self) -> "AbstractOperator":
        return self.transpose()

    @property
    def n(self) -> int:
        """Number of neurons of a square operator."""
        n_post, n_pre = self.shape
        if n_post != n_pre:
            raise ConfigError(f"the coupling of a network must be square, got shape {self.shape}")
        return n_post

    def tangent_product(self, d, q):
        """W (d ⊙ Q) for a tangent vector (n_pre,) or frame (n_pre, k) and slopes d (n_pre,)."""
        return self @ _scale_columns(d, q)

    def product_and_tangent(self, r, d, q):
        """`(W r, W (d ⊙ Q))` for rates r (n_pre,), slopes d (n_pre,) and a tangent vector
        (n_pre,) or frame (n_pre, k): the products of one step of a trajectory and its frame.
        Two products here; a dense operator fuses them into one."""
        return self.matvec(r), self.tangent_product(d, q)

    def flops(self, k: int = 1) -> int:
        """Floating-point operations of one product with k columns (a multiply and an add per
        stored entry and column)."""
        return 2 * self.stored_entries * k

    def to_dense(self) -> jax.Array:
        """The (n_post, n_pre) matrix (for tests and small networks)."""
        return self.matmat(jnp.eye(self.shape[1], dtype=self.dtype))


def as_operator(weights) -> AbstractOperator:
    """`weights` as an operator: an (N, N) array becomes a `DenseOperator`."""
    if isinstance(weights, AbstractOperator):
        return weights
    return DenseOperator(weights)


def check_coupling(weights):
    """Raise `ConfigError` unless `weights` is a square (N, N) array or operator with N >= 1."""
    shape = weights.shape if isinstance(weights, AbstractOperator) else jnp.shape(weights)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ConfigError(f"weights must be a square (N, N) matrix or operator, got shape {shape}")
    if shape[0] < 1:
        raise ConfigError("the network needs N >= 1 neurons")


class DenseOperator(AbstractOperator):
    """W stored as an (n_post, n_pre) array."""

    matrix: jax.Array

    def __init__(self, matrix):
        self.matrix = jnp.asarray(matrix)
        if self.matrix.ndim != 2:
            raise ConfigError(f"a dense operator needs a 2-D matrix, got shape {self.matrix.shape}")

    @property
    def shape(self):
        return tuple(self.matrix.shape)

    @property
    def dtype(self):
        return self.matrix.dtype

    def matmat(self, q):
        """W Q at full precision.

        The optimization barrier on the product keeps XLA from folding the transpose that a
        `vmap` over gains adds (Φ ↦ (W Φ)ᵀ, shape (B, N)) into the dot: on XLA CPU the folded
        form runs about 3x slower than the plain `W @ Φ` at N = 4096 (benchmark_sweep.py).
        """
        return jax.lax.optimization_barrier(jnp.matmul(self.matrix, q, precision=_HIGHEST))

    def matvec(self, v):
        return self.matmat(v)

    def product_and_tangent(self, r, d, q):
        """`(W r, W (d ⊙ Q))` as one product `W @ [d ⊙ Q, r]` of N×(k+1): W is read once per
        step instead of once by a memory-bound matrix-vector product and once by the frame's
        GEMM. The optimization barrier on the operand keeps XLA CPU from fusing the scaling
        and concatenation into the dot, which can take it off the fast GEMM path; r goes last
        so that the frame's columns start each row (with r first, the frame slice starts one
        element in and ran 1.1–1.5× slower on XLA CPU), and zero columns pad the operand to a
        multiple of 8 columns."""
        frame = q[:, None] if q.ndim == 1 else q
        k = frame.shape[1]
        pad = jnp.zeros((frame.shape[0], -(k + 1) % _COLUMN_MULTIPLE), frame.dtype)
        operand = jax.lax.optimization_barrier(
            jnp.concatenate([_scale_columns(d, frame), r[:, None], pad], axis=1))
        out = self.matmat(operand)
        return out[:, k], (out[:, 0] if q.ndim == 1 else out[:, :k])

    def rmatmat(self, q):
        return jnp.matmul(self.matrix.T, q, precision=_HIGHEST)

    def rmatvec(self, v):
        return self.rmatmat(v)

    def row(self, i):
        return jnp.arange(self.shape[1]), self.matrix[i]

    def column(self, j):
        return jnp.arange(self.shape[0]), self.matrix[:, j]

    def transpose(self):
        return DenseOperator(self.matrix.T)

    @property
    def nbytes(self):
        return int(self.matrix.size * self.matrix.dtype.itemsize)

    @property
    def stored_entries(self):
        return int(self.matrix.size)

    def to_dense(self):
        return self.matrix


def _gather_product(indices, weights, q):
    """out[i] = Σ_s weights[s, i] q[indices[s, i]] (one scan step per slot)."""

    def one_slot(out, slot):
        idx, w = slot
        return out + _scale_columns(w, q[idx]), None

    out = jnp.zeros((indices.shape[1],) + q.shape[1:], jnp.result_type(weights, q))
    return jax.lax.scan(one_slot, out, (indices, weights))[0]


def _scatter_product(indices, weights, q, n_out):
    """out[indices[s, j]] += weights[s, j] q[j] over all slots s and sources j."""

    def one_slot(out, slot):
        idx, w = slot
        return out.at[idx].add(_scale_columns(w, q)), None

    out = jnp.zeros((n_out,) + q.shape[1:], jnp.result_type(weights, q))
    return jax.lax.scan(one_slot, out, (indices, weights))[0]


class SparseOperator(AbstractOperator):
    """W stored as padded slot-major index and weight arrays of shape (slots, n) (module
    docstring). `layout="rows"`: n = n_post and `indices[s, i]` is a presynaptic partner of i;
    `layout="columns"`: n = n_pre and `indices[s, j]` is a target of j. Padded slots have weight
    0. Repeated indices add up."""

    indices: jax.Array
    weights: jax.Array
    shape_: tuple[int, int] = eqx.field(static=True)
    layout: str = eqx.field(static=True)

    def __init__(self, indices, weights, shape, layout="rows"):
        self.layout = check_choice("layout", layout, LAYOUTS)
        self.indices = jnp.asarray(indices, jnp.int32)
        self.weights = jnp.asarray(weights)
        self.shape_ = (int(shape[0]), int(shape[1]))
        if self.indices.shape != self.weights.shape or self.indices.ndim != 2:
            raise ConfigError(f"indices {self.indices.shape} and weights {self.weights.shape} "
                              "must have the same (slots, n) shape")
        stored = self.shape_[0] if layout == "rows" else self.shape_[1]
        if self.indices.shape[1] != stored:
            raise ConfigError(f"layout {layout!r} of shape {self.shape_} needs arrays of shape "
                              f"(slots, {stored}), got {self.indices.shape}")

    @property
    def shape(self):
        return self.shape_

    @property
    def dtype(self):
        return self.weights.dtype

    @property
    def slots(self) -> int:
        return self.indices.shape[0]

    def matmat(self, q):
        if self.layout == "rows":
            return _gather_product(self.indices, self.weights, q)
        return _scatter_product(self.indices, self.weights, q, self.shape_[0])

    def matvec(self, v):
        return self.matmat(v)

    def rmatmat(self, q):
        return self.transpose().matmat(q)

    def rmatvec(self, v):
        return self.rmatmat(v)

    def row(self, i):
        if self.layout == "rows":
            return self.indices[:, i], self.weights[:, i]
        hit = self.indices == i  # every slot of every source: O(stored entries)
        sources = jnp.broadcast_to(jnp.arange(self.shape_[1]), self.indices.shape)
        return sources.reshape(-1), jnp.where(hit, self.weights, 0.0).reshape(-1)

    def column(self, j):
        return self.transpose().row(j)

    def transpose(self):
        other = "columns" if self.layout == "rows" else "rows"
        return SparseOperator(self.indices, self.weights, self.shape_[::-1], other)

    def with_layout(self, layout: str) -> "SparseOperator":
        """The same W stored in `layout` (re-sorted eagerly; the new slot count is the largest
        in- or out-degree). Zero-weight padding is dropped."""
        check_choice("layout", layout, LAYOUTS)
        if layout == self.layout:
            return self
        idx, w = np.asarray(self.indices), np.asarray(self.weights)
        keep = w != 0
        owner = np.broadcast_to(np.arange(idx.shape[1]), idx.shape)[keep]
        other, w = idx[keep], w[keep]
        n_other = self.shape_[1] if self.layout == "rows" else self.shape_[0]
        order = np.lexsort((owner, other))
        other, owner, w = other[order], owner[order], w[order]
        counts = np.bincount(other, minlength=n_other)
        slots = max(int(counts.max(initial=0)), 1)
        slot = np.arange(other.size) - np.repeat(np.cumsum(counts) - counts, counts)
        new_idx = np.zeros((slots, n_other), np.int32)
        new_w = np.zeros((slots, n_other), w.dtype)
        new_idx[slot, other], new_w[slot, other] = owner, w
        return SparseOperator(new_idx, new_w, self.shape_, layout)

    @property
    def nbytes(self):
        return int(self.indices.nbytes + self.weights.nbytes)

    @property
    def stored_entries(self):
        return int(self.indices.size)

    def to_dense(self):
        n_post, n_pre = self.shape_
        slot_owner = jnp.broadcast_to(jnp.arange(self.indices.shape[1]), self.indices.shape)
        rows, cols = ((slot_owner, self.indices) if self.layout == "rows"
                      else (self.indices, slot_owner))
        return jnp.zeros((n_post, n_pre), self.dtype).at[rows, cols].add(self.weights)


class OutDegreeTable(AbstractOperator):
    """Stored connectivity of `SpikingNetwork.random`: the targets and weights of presynaptic
    neuron j in row j of (N, slots) arrays, so that `column(j)` — the event loop's one read of
    the connectivity per spike — is one contiguous read (a `SparseOperator` stores (slots, N)
    arrays: its column j is a strided read of `slots` cache lines). Padded slots have weight 0.
    `indices`, `weights` (slots, N) and the products are those of `as_sparse()`."""

    targets: jax.Array
    kicks: jax.Array

    def __init__(self, targets, kicks):
        self.targets = jnp.asarray(targets, jnp.int32)
        self.kicks = jnp.asarray(kicks)
        if self.targets.shape != self.kicks.shape or self.targets.ndim != 2:
            raise ConfigError(f"targets {self.targets.shape} and kicks {self.kicks.shape} must "
                              "have the same (N, slots) shape")

    def as_sparse(self) -> SparseOperator:
        """The same W as a `SparseOperator` with layout "columns"."""
        n = self.targets.shape[-2]
        return SparseOperator(self.indices, self.weights, (n, n), "columns")

    @property
    def indices(self):
        return jnp.swapaxes(self.targets, -1, -2)

    @property
    def weights(self):
        return jnp.swapaxes(self.kicks, -1, -2)

    @property
    def shape(self):
        n = self.targets.shape[-2]
        return (n, n)

    @property
    def dtype(self):
        return self.kicks.dtype

    def matmat(self, q):
        return self.as_sparse().matmat(q)

    def rmatmat(self, q):
        return self.as_sparse().rmatmat(q)

    def row(self, i):
        return self.as_sparse().row(i)

    def column(self, j):
        return self.targets[j], self.kicks[j]

    def transpose(self):
        return self.as_sparse().transpose()

    @property
    def nbytes(self):
        return int(self.targets.nbytes + self.kicks.nbytes)

    @property
    def stored_entries(self):
        return int(self.targets.size)

    def to_dense(self):
        return self.as_sparse().to_dense()


class RegeneratedOperator(AbstractOperator):
    """W regenerated from a key whenever it is used; O(N) memory (module docstring).

    `draw(key_j, j)` returns the (targets, weights) of presynaptic neuron j, each of shape
    (slots,), from `key_j = fold_in(key, j)`; it must be a pure function of its arguments
    (a static, hashable callable). Products redraw all n_pre columns in chunks of `chunk`
    presynaptic neurons, so they cost a draw per entry on top of the scatter-add.
    """

    key: jax.Array
    draw: Callable = eqx.field(static=True)
    shape_: tuple[int, int] = eqx.field(static=True)
    slots: int = eqx.field(static=True)
    weight_dtype: str = eqx.field(static=True)
    chunk: int = eqx.field(static=True)

    def __init__(self, key, draw, shape, slots, dtype=None, chunk=4096):
        self.key = key
        self.draw = draw
        self.shape_ = (int(shape[0]), int(shape[1]))
        self.slots = int(slots)
        self.weight_dtype = jnp.dtype(dtype or jnp.result_type(float)).name
        self.chunk = int(min(chunk, self.shape_[1]))

    @property
    def shape(self):
        return self.shape_

    @property
    def dtype(self):
        return jnp.dtype(self.weight_dtype)

    def column(self, j):
        targets, weights = self.draw(jax.random.fold_in(self.key, j), j)
        return targets, weights.astype(self.dtype)

    def _columns(self, sources):
        """(slots, len(sources)) targets and weights of the presynaptic neurons `sources`."""
        targets, weights = jax.vmap(self.column)(sources)
        return targets.T, weights.T

    def matmat(self, q):
        n_post, n_pre = self.shape_
        n_chunks = -(-n_pre // self.chunk)
        padded = jnp.zeros((n_chunks * self.chunk,) + q.shape[1:], q.dtype).at[:n_pre].set(q)

        def one_chunk(out, c):
            sources = c * self.chunk + jnp.arange(self.chunk)
            targets, weights = self._columns(jnp.minimum(sources, n_pre - 1))
            weights = jnp.where(sources < n_pre, weights, 0.0)
            block = jax.lax.dynamic_slice_in_dim(padded, c * self.chunk, self.chunk)
            return out + _scatter_product(targets, weights, block, n_post), None

        out = jnp.zeros((n_post,) + q.shape[1:], jnp.result_type(self.dtype, q))
        return jax.lax.scan(one_chunk, out, jnp.arange(n_chunks))[0]

    def matvec(self, v):
        return self.matmat(v)

    def rmatmat(self, q):
        n_pre = self.shape_[1]
        n_chunks = -(-n_pre // self.chunk)

        def one_chunk(c):
            sources = jnp.minimum(c * self.chunk + jnp.arange(self.chunk), n_pre - 1)
            return _gather_product(*self._columns(sources), q)

        out = jax.lax.map(one_chunk, jnp.arange(n_chunks))
        return out.reshape((n_chunks * self.chunk,) + q.shape[1:])[:n_pre]

    def rmatvec(self, v):
        return self.rmatmat(v)

    def row(self, i):
        """Redraws every column: O(N K) time and memory (event-based networks use `column`)."""
        targets, weights = self._columns(jnp.arange(self.shape_[1]))
        sources = jnp.broadcast_to(jnp.arange(self.shape_[1]), targets.shape)
        return sources.reshape(-1), jnp.where(targets == i, weights, 0.0).reshape(-1)

    def transpose(self):
        """Wᵀ, materialised as a `SparseOperator` in the rows layout (O(N K) memory)."""
        return self.materialize().transpose()

    def materialize(self) -> SparseOperator:
        """The same W stored (columns layout)."""
        targets, weights = self._columns(jnp.arange(self.shape_[1]))
        return SparseOperator(targets, weights, self.shape_, "columns")

    @property
    def nbytes(self):
        return int(np.asarray(jax.random.key_data(self.key)).nbytes)

    @property
    def stored_entries(self):
        return self.slots * self.shape_[1]


class LowRankOperator(AbstractOperator):
    """W = B + L Rᵀ: a square operator B plus a rank-R update with L, R of shape (N, R)
    (low-rank plus random connectivity: products cost B's plus 4NR per column)."""

    base: AbstractOperator
    left: jax.Array
    right: jax.Array

    def __init__(self, base, left, right):
        self.base = as_operator(base)
        self.left, self.right = jnp.asarray(left), jnp.asarray(right)
        if self.left.shape != self.right.shape or self.left.shape[0] != self.base.n:
            raise ConfigError(f"low-rank factors {self.left.shape}, {self.right.shape} must both "
                              f"be (N, R) with N = {self.base.n}")

    @property
    def shape(self):
        return self.base.shape

    @property
    def dtype(self):
        return self.base.dtype

    def _update(self, a, b, q):
        return jnp.matmul(a, jnp.matmul(b.T, q, precision=_HIGHEST), precision=_HIGHEST)

    def matmat(self, q):
        return self.base.matmat(q) + self._update(self.left, self.right, q)

    def matvec(self, v):
        return self.base.matvec(v) + self._update(self.left, self.right, v)

    def rmatmat(self, q):
        return self.base.rmatmat(q) + self._update(self.right, self.left, q)

    def rmatvec(self, v):
        return self.base.rmatvec(v) + self._update(self.right, self.left, v)

    def row(self, i):
        idx, w = self.base.row(i)
        update = jnp.matmul(self.right, self.left[i], precision=_HIGHEST)
        return jnp.concatenate([idx, jnp.arange(self.shape[1])]), jnp.concatenate([w, update])

    def column(self, j):
        idx, w = self.base.column(j)
        update = jnp.matmul(self.left, self.right[j], precision=_HIGHEST)
        return jnp.concatenate([idx, jnp.arange(self.shape[0])]), jnp.concatenate([w, update])

    def transpose(self):
        return LowRankOperator(self.base.transpose(), self.right, self.left)

    @property
    def nbytes(self):
        return self.base.nbytes + int(self.left.nbytes + self.right.nbytes)

    @property
    def stored_entries(self):
        return self.base.stored_entries + 2 * int(self.left.size)

    def to_dense(self):
        return self.base.to_dense() + jnp.matmul(self.left, self.right.T, precision=_HIGHEST)
