"""The seeds' random connectivity ensembles, drawn from a key as dense arrays or operators.

`Ensemble` describes W (unit gain; a network's coupling is g W) by P populations of sizes
N_b = α_b N (neurons ordered by population; the last takes the rounding rest). The entry from a
neuron j of population b to a neuron i of population a is present with probability p_ab and
then has mean m_ab and standard deviation s_ab:

- dense (`k=None`): p = 1, every pair is connected;
- sparse: K_b = round(K α_b) inputs from population b (K in total: a uniform connection
  probability K/N), exactly K_b per neuron (`in_degree="fixed"`, p = K_b/N_b) or independently
  with probability K_b/N_b (`in_degree="binomial"`, Erdős–Rényi).

Block parameters μ_ab (`means`) and σ_ab (`stds`) set m and s by the `scaling`:

- `"mean_field"` (SCS 1988, Rajan–Abbott 2006, Aljadeff et al. 2015, Kadmon–Sompolinsky 2015):
  m_ab = μ_ab / (p_ab N_b), so the summed mean input from b is μ_ab (means normalised by the
  presynaptic population size), and s_ab = σ_ab / √C with C = N (dense) or K (sparse), so the
  input variance from b is α_b σ_ab² (Aljadeff's g_ab² α_b);
- `"balanced"` (van Vreeswijk & Sompolinsky 1996/98): m_ab = μ_ab/√C, s_ab = σ_ab/√C, so the
  mean input from b is O(√K) (−J0/√N or J/√K per entry) and must be cancelled by an external
  drive ∝ √K (`external_scale`).

Weights (`weights`): `"gaussian"` m + s z; `"binary"` m ± s (fixed magnitudes, e.g. ±J/√K);
with `dale=True` every weight from population b has that population's sign (the sign of its
column of means, which must agree; E ≥ 0, I ≤ 0) and its magnitude is Gamma-distributed with
mean |m_ab| and standard deviation s_ab (fixed |m_ab| when s_ab = 0), so signs hold exactly.

`eta` (one population, zero mean): partial symmetry, Corr(W_ij, W_ji) = η (the elliptic law);
η = 1 is symmetric. Dense, or sparse with `in_degree="binomial"` and `storage="sparse"`: then
every pair is connected both ways or not at all (a symmetric Erdős–Rényi graph) and the two
weights of a pair are correlated. `zero_diagonal` removes self-coupling (W_ii = 0).

Storage (`storage`): `"dense"` an (N, N) array (what every model accepts), `"sparse"` a
`SparseOperator` (rows layout, O(NK) memory), `"regenerated"` a `RegeneratedOperator` (O(N)
memory) — then every presynaptic neuron has a fixed OUT-degree round(K α_a) into each population
a (the in-degree is then Binomial), drawn from `fold_in(key, j)`.
`LowRankEnsemble` adds a rank-R structure to any of these. The spectra and critical gains of
all of them are in `jaxchaos._theory._random_matrix`.
"""

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._errors import ConfigError, check_choice, check_real
from ._operator import LowRankOperator, RegeneratedOperator, SparseOperator, as_operator
from ._storage import population_sizes, stored_bytes

SCALINGS = ("mean_field", "balanced")
IN_DEGREES = ("fixed", "binomial")
WEIGHT_KINDS = ("gaussian", "binary")
STORAGES = ("dense", "sparse", "regenerated")


class AbstractEnsemble(eqx.Module):
    """A distribution of unit-gain couplings W, drawn by `sample(key, n, dtype)` (an (n, n)
    array or an `AbstractOperator`)."""

    @abc.abstractmethod
    def sample(self, key, n: int, dtype=None):
        """Draw W for n neurons."""

    def check_size(self, n: int):
        """Raise `ConfigError` unless W can be drawn for n neurons."""

    def stored_bytes(self, n: int, itemsize: int = 8) -> int:
        """Bytes a drawn W holds for n neurons with `itemsize`-byte entries (default: dense,
        N²·itemsize)."""
        return int(n) * int(n) * int(itemsize)


def _distinct(key, rows: int, k: int, m: int, limit=None) -> jax.Array:
    """(rows, k) sorted distinct integers in [0, limit) (limit <= m, may be traced; default m),
    each row a uniform k-subset: draw k with replacement, redraw the repeats until none is left
    (the process commutes with relabelling the values, so the final set is uniform); for
    k > m/4 by sorting uniform scores instead."""
    limit = m if limit is None else limit
    if k == 0:
        return jnp.zeros((rows, 0), jnp.int32)
    if 4 * k > m:
        scores = jnp.where(jnp.arange(m) < limit, jax.random.uniform(key, (rows, m)), 2.0)
        return jnp.sort(jnp.argsort(scores, axis=1)[:, :k], axis=1).astype(jnp.int32)

    def repeats(idx):
        return jnp.concatenate([jnp.zeros((rows, 1), bool), idx[:, 1:] == idx[:, :-1]], axis=1)

    def redraw(state):
        key, idx = state
        key, sub = jax.random.split(key)
        fresh = jax.random.randint(sub, idx.shape, 0, limit, jnp.int32)
        return key, jnp.sort(jnp.where(repeats(idx), fresh, idx), axis=1)

    key, sub = jax.random.split(key)
    start = jnp.sort(jax.random.randint(sub, (rows, k), 0, limit, jnp.int32), axis=1)
    return jax.lax.while_loop(lambda s: jnp.any(repeats(s[1])), redraw, (key, start))[1]


def _bernoulli_partners(key, rows: int, p: float, m: int, width: int) -> tuple:
    """Each of m candidates independently with probability p, by geometric gaps: (rows, width)
    sorted indices and a validity mask (width = pK + 8√(pK) + 8 misses a partner with probability
    < 1e-14 per row)."""
    uniform = jax.random.uniform(key, (rows, width))
    if p >= 1.0:
        pos = jnp.broadcast_to(jnp.arange(width), (rows, width))
    else:
        gaps = jnp.floor(jnp.log1p(-uniform) / math.log1p(-p)) + 1
        pos = jnp.cumsum(jnp.minimum(gaps, m + 1).astype(jnp.int32), axis=1) - 1
    valid = pos < m
    return jnp.where(valid, pos, 0), valid


class Ensemble(AbstractEnsemble):
    """Population-structured random connectivity (module docstring).

    **Arguments:** `fractions` (α_b, summing to 1; default one population), `means` and `stds`
    (P×P tables μ_ab, σ_ab: row a postsynaptic, column b presynaptic), `k` (total in-degree K;
    None: dense), `in_degree`, `scaling`, `weights`, `dale`, `eta`, `zero_diagonal`, `storage`.
    """

    fractions: tuple = eqx.field(static=True, default=(1.0,))
    means: tuple = eqx.field(static=True, default=((0.0,),))
    stds: tuple = eqx.field(static=True, default=((1.0,),))
    k: int | None = eqx.field(static=True, default=None)
    in_degree: str = eqx.field(static=True, default="fixed")
    scaling: str = eqx.field(static=True, default="mean_field")
    weights: str = eqx.field(static=True, default="gaussian")
    dale: bool = eqx.field(static=True, default=False)
    eta: float = eqx.field(static=True, default=0.0)
    zero_diagonal: bool = eqx.field(static=True, default=True)
    storage: str = eqx.field(static=True, default="dense")

    def __check_init__(self):
        fractions = np.asarray(self.fractions, float)
        p = fractions.size
        if fractions.ndim != 1 or p < 1:
            raise ConfigError(f"fractions must be a list of population fractions, got "
                              f"{self.fractions!r}")
        check_real("fractions", fractions, positive=True)
        if p > 1 and (np.any(fractions >= 1) or abs(fractions.sum() - 1) > 1e-9):
            raise ConfigError(f"fractions must lie in (0, 1) and sum to 1, got {self.fractions!r}")
        for name in ("means", "stds"):
            if np.shape(getattr(self, name)) != (p, p):
                raise ConfigError(f"{name} must be a {p}x{p} table (one row and column per "
                                  f"population), got {getattr(self, name)!r}")
            check_real(name, getattr(self, name), nonnegative=name == "stds")
        check_choice("in_degree", self.in_degree, IN_DEGREES)
        check_choice("scaling", self.scaling, SCALINGS)
        check_choice("weights", self.weights, WEIGHT_KINDS)
        check_choice("storage", self.storage, STORAGES)
        if self.k is not None:
            check_real("k", self.k, positive=True, integer=True)
        elif self.storage != "dense":
            raise ConfigError(f"storage = {self.storage!r} needs a sparse ensemble (set k)")
        check_real("eta", self.eta)
        if not -1.0 <= self.eta <= 1.0:
            raise ConfigError(f"eta must lie in [-1, 1], got {self.eta!r}")
        if self.eta != 0 and (p > 1 or self.dale or np.any(np.asarray(self.means) != 0)):
            raise ConfigError("eta (partial symmetry) needs one population with zero mean")
        if self.eta != 0 and self.k is not None and (
                self.in_degree != "binomial" or self.storage != "sparse"
                or not self.zero_diagonal):
            raise ConfigError("eta with k (sparse partial symmetry) needs in_degree = "
                              "'binomial', storage = 'sparse' and zero_diagonal: the reciprocal "
                              "pairs come from a symmetric Erdős–Rényi graph")
        if self.dale:
            means = np.asarray(self.means, float)
            for b in range(p):
                if np.any(means[:, b] > 0) and np.any(means[:, b] < 0):
                    raise ConfigError(f"dale: the means of presynaptic population {b} "
                                      f"(column {b}) must share one sign, got {means[:, b]}")
                if np.any((means[:, b] == 0) & (np.asarray(self.stds)[:, b] > 0)):
                    raise ConfigError(f"dale: population {b} needs nonzero means wherever its "
                                      "stds are nonzero (a signed weight has a nonzero mean)")

    # ----------------------------------------------------------------- sizes and statistics

    def sizes(self, n: int) -> np.ndarray:
        """Population sizes N_b (the last takes the rounding rest)."""
        return population_sizes(n, self.fractions)

    def stored_bytes(self, n: int, itemsize: int = 8) -> int:
        """Bytes the drawn W holds for n neurons with `itemsize`-byte weights, by `storage`:
        dense N²·itemsize; sparse N·K·(itemsize + 4) (int32 indices; K the padded width for
        Binomial in-degrees); regenerated O(N) (the key, an N-vector and the 4096 columns a
        product redraws at once). Needs no JAX (`jaxchaos._core._storage`), so run configs
        estimate their size with it before drawing."""
        return stored_bytes(n, itemsize, k=self.k, fractions=self.fractions,
                            in_degree=self.in_degree, storage=self.storage,
                            zero_diagonal=self.zero_diagonal)

    def population(self, n: int) -> np.ndarray:
        """Population index of each neuron."""
        return np.repeat(np.arange(len(self.fractions)), self.sizes(n))

    def in_degrees(self, n: int) -> np.ndarray:
        """K_b = round(K α_b), the (mean) number of inputs from each population."""
        return np.round(self.k * np.asarray(self.fractions)).astype(int)

    def _candidates(self, n: int) -> np.ndarray:
        """(P, P) possible partners of a neuron of a in population b (no self when a = b)."""
        sizes = self.sizes(n)
        return sizes[None, :] - (np.eye(len(sizes), dtype=int) if self.zero_diagonal else 0)

    def block_statistics(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p_ab, m_ab, s_ab): connection probability and the mean and standard deviation of a
        present entry from population b to a (module docstring). Self-coupling, when excluded,
        is not counted among the candidates."""
        cand = self._candidates(n).astype(float)
        if self.k is None:
            prob = np.ones_like(cand)
            norm = float(n)
        else:
            prob = np.minimum(self.in_degrees(n)[None, :] / cand, 1.0)
            norm = float(self.k)
        means, stds = np.asarray(self.means, float), np.asarray(self.stds, float)
        if self.scaling == "mean_field":
            return prob, means / (prob * cand), stds / math.sqrt(norm)
        return prob, means / math.sqrt(norm), stds / math.sqrt(norm)

    def external_scale(self, n: int) -> float:
        """√C (C = K, or N when dense): the factor of a balanced network's external drive."""
        return math.sqrt(n if self.k is None else self.k)

    def check_size(self, n: int):
        check_real("n", n, positive=True, integer=True)
        sizes = self.sizes(n)
        if np.any(sizes < 1):
            raise ConfigError(f"fractions {self.fractions} leave a population of {n} neurons "
                              "empty")
        if self.k is not None:
            available = self._candidates(n).min(axis=0)
            degrees = self.in_degrees(n)
            if self.k >= n or np.any(degrees > available):
                raise ConfigError(f"k = {self.k} must be < N = {n} and each population's share "
                                  f"{degrees.tolist()} at most its candidates "
                                  f"{available.tolist()}")

    # ----------------------------------------------------------------- drawing

    def _values(self, key, m, s, sign, shape, dtype):
        """Entries with mean m and std s (arrays broadcast to `shape`)."""
        if self.dale:
            safe = jnp.where(s > 0, s, 1.0)
            shape_param = jnp.where(s > 0, (m / safe) ** 2, 1.0)
            gamma = jax.random.gamma(key, jnp.broadcast_to(shape_param, shape), dtype=dtype)
            magnitude = jnp.where(s > 0, gamma * safe**2 / jnp.abs(jnp.where(s > 0, m, 1.0)),
                                  jnp.abs(m))
            return sign * magnitude
        if self.weights == "binary":
            return m + s * jax.random.rademacher(key, shape, dtype=dtype)
        return m + s * jax.random.normal(key, shape, dtype=dtype)

    def _signs(self) -> np.ndarray:
        means = np.asarray(self.means, float)
        return np.where(np.any(means < 0, axis=0), -1.0, 1.0)

    def sample(self, key, n: int, dtype=None):
        """Draw W for n neurons (`storage`: an array or an operator)."""
        self.check_size(n)
        n = int(n)
        dtype = jnp.dtype(dtype or jnp.result_type(float))
        if self.storage == "regenerated":
            return RegeneratedOperator(key, self._column_draw(n), (n, n), self._out_slots(n),
                                       dtype)
        if self.k is None:
            return _jit_draw(self._dense, key, n, dtype)
        if self.eta != 0:
            return _jit_draw(self._sparse_reciprocal, key, n, dtype)
        return _jit_draw(self._sparse_rows, key, n, dtype)

    def _dense(self, key, n, dtype):
        prob, m, s = (jnp.asarray(a, dtype) for a in self.block_statistics(n))
        pop = self.population(n)
        key_w, key_t = jax.random.split(key)
        m_full, s_full = m[pop[:, None], pop[None, :]], s[pop[:, None], pop[None, :]]
        sign = jnp.asarray(self._signs(), dtype)[pop][None, :]
        w = self._values(key_w, m_full, s_full, sign, (n, n), dtype)
        if self.eta != 0:  # W = s(√((1+η)/2) S + √((1-η)/2) A), S symmetric, A antisymmetric
            upper = jnp.triu(jnp.ones((n, n), bool), 1)
            sym = jnp.where(upper, jax.random.normal(key_w, (n, n), dtype), 0.0)
            anti = jnp.where(upper, jax.random.normal(key_t, (n, n), dtype), 0.0)
            w = s_full * (math.sqrt((1 + self.eta) / 2) * (sym + sym.T)
                          + math.sqrt((1 - self.eta) / 2) * (anti - anti.T))
            w = w + jnp.diag(jnp.diag(s_full) * jax.random.normal(key_t, (n,), dtype))
        if self.zero_diagonal:
            w = w * (1.0 - jnp.eye(n, dtype=dtype))
        return w

    def _sparse_rows(self, key, n, dtype):
        """Rows layout: for each presynaptic population b, its slots for all N rows."""
        sizes, pop = self.sizes(n), self.population(n)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        prob, m, s = self.block_statistics(n)
        degrees = self.in_degrees(n)
        signs = self._signs()
        blocks_idx, blocks_w = [], []
        for b in range(len(sizes)):
            key, k_idx, k_w = jax.random.split(key, 3)
            parts_idx, parts_valid = [], []
            for a in range(len(sizes)):
                rows = int(sizes[a])
                cand = int(self._candidates(n)[a, b])
                k_part, k_idx = jax.random.split(k_idx)
                if self.in_degree == "fixed":
                    idx = _distinct(k_part, rows, int(degrees[b]), cand)
                    valid = jnp.ones(idx.shape, bool)
                else:
                    mean = degrees[b]
                    width = int(min(cand, math.ceil(mean + 8 * math.sqrt(mean) + 8)))
                    idx, valid = _bernoulli_partners(k_part, rows, prob[a, b], cand, width)
                if self.zero_diagonal and a == b:  # candidate c >= own index is neuron c + 1
                    own = jnp.arange(rows, dtype=jnp.int32)[:, None]
                    idx = idx + (idx >= own)
                parts_idx.append(idx + offsets[b])
                parts_valid.append(valid)
            width = max(x.shape[1] for x in parts_idx)
            idx = jnp.concatenate([jnp.pad(x, ((0, 0), (0, width - x.shape[1])))
                                   for x in parts_idx])
            valid = jnp.concatenate([jnp.pad(x, ((0, 0), (0, width - x.shape[1])))
                                     for x in parts_valid])
            m_rows = jnp.asarray(m[pop, b], dtype)[:, None]
            s_rows = jnp.asarray(s[pop, b], dtype)[:, None]
            w = self._values(k_w, m_rows, s_rows, jnp.asarray(signs[b], dtype), idx.shape, dtype)
            blocks_idx.append(jnp.where(valid, idx, 0).T)
            blocks_w.append(jnp.where(valid, w, 0.0).T)
        return SparseOperator(jnp.concatenate(blocks_idx), jnp.concatenate(blocks_w), (n, n))

    def _sparse_reciprocal(self, key, n, dtype):
        """Sparse partial symmetry: each unordered pair {i, j} is connected both ways with
        probability p = K/(N − 1) (a symmetric Erdős–Rényi graph, so in-degrees are
        Binomial(N − 1, p)), with weights W_ij = m + s(aS + bA), W_ji = m + s(aS − bA),
        a = √((1 + η)/2), b = √((1 − η)/2), S, A ~ N(0, 1) per pair (`"binary"`: W_ij = m + su,
        W_ji = m + suc, u = ±1 and c = ±1 with P(c = 1) = (1 + η)/2), so Corr(W_ij, W_ji) = η
        over all pairs. Drawn as the upper triangle's partners of each row (geometric gaps),
        mirrored and sorted into rows: O(NK) memory."""
        prob, m, s = (float(a[0, 0]) for a in self.block_statistics(n))
        width = int(min(n - 1, math.ceil(self.k + 8 * math.sqrt(self.k) + 8)))
        key_g, key_1, key_2 = jax.random.split(key, 3)
        pos, valid = _bernoulli_partners(key_g, n, prob, n - 1, width)
        rows = jnp.arange(n, dtype=jnp.int32)[:, None]
        valid = valid & (pos < n - 1 - rows)  # row i's candidates are i + 1, ..., N − 1
        cols = rows + 1 + pos
        if self.weights == "binary":
            u = jax.random.rademacher(key_1, pos.shape, dtype=dtype)
            c = jnp.where(jax.random.uniform(key_2, pos.shape, dtype) < (1 + self.eta) / 2,
                          1.0, -1.0).astype(dtype)
            forward, backward = m + s * u, m + s * u * c
        else:
            a, b = math.sqrt((1 + self.eta) / 2), math.sqrt((1 - self.eta) / 2)
            z_s = jax.random.normal(key_1, pos.shape, dtype)
            z_a = jax.random.normal(key_2, pos.shape, dtype)
            forward, backward = m + s * (a * z_s + b * z_a), m + s * (a * z_s - b * z_a)
        rows = jnp.broadcast_to(rows, pos.shape)
        valid = jnp.concatenate([valid, valid])
        post = jnp.where(valid, jnp.concatenate([rows, cols]), n).ravel()  # n: no entry
        pre = jnp.concatenate([cols, rows]).ravel()
        w = jnp.concatenate([forward, backward]).ravel()
        order = jnp.lexsort((pre, post))
        post, pre, w = post[order], pre[order], w[order]
        start = jnp.searchsorted(post, jnp.arange(n + 1, dtype=jnp.int32))
        slot = jnp.arange(post.size) - start[jnp.minimum(post, n)]
        # a row beyond `width` partners (probability < 1e-14 per row) would lose its last ones
        idx = jnp.zeros((width, n), jnp.int32).at[slot, post].set(pre, mode="drop")
        weights = jnp.zeros((width, n), dtype).at[slot, post].set(w, mode="drop")
        return SparseOperator(idx, weights, (n, n))

    def _out_slots(self, n: int) -> int:
        return int(np.round(self.k * np.asarray(self.fractions)).sum())

    def _column_draw(self, n: int):
        return _ColumnDraw(self, int(n))


@eqx.filter_jit
def _jit_draw(draw, key, n, dtype):
    """One compiled draw per ensemble, size and dtype (eager dispatch of the many small draws
    is slow)."""
    return draw(key, n, dtype)


class _ColumnDraw(eqx.Module):
    """Targets and weights of one presynaptic neuron of a regenerated ensemble: round(K α_a)
    distinct targets in each population a (not itself), weights by the (a, b) block."""

    ensemble: Ensemble = eqx.field(static=True)
    n: int = eqx.field(static=True)

    def __call__(self, key, j):
        ens, n = self.ensemble, self.n
        sizes = ens.sizes(n)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        _, m, s = ens.block_statistics(n)
        dtype = jnp.result_type(float)
        b = jnp.searchsorted(jnp.asarray(np.cumsum(sizes)), j, side="right")
        sign = jnp.asarray(ens._signs(), dtype)[b]
        targets, weights = [], []
        for a, k_a in enumerate(np.round(ens.k * np.asarray(ens.fractions)).astype(int)):
            key, k_t, k_w = jax.random.split(key, 3)
            skip_self = (b == a) & ens.zero_diagonal
            t = _distinct(k_t, 1, int(k_a), int(sizes[a]), sizes[a] - skip_self)[0]
            t = t + (skip_self & (t >= j - offsets[a]))  # candidate c >= own index is c + 1
            targets.append(t + offsets[a])
            weights.append(ens._values(k_w, jnp.asarray(m[a], dtype)[b],
                                       jnp.asarray(s[a], dtype)[b], sign, t.shape, dtype))
        return jnp.concatenate(targets), jnp.concatenate(weights)


class LowRankEnsemble(AbstractEnsemble):
    """Low-rank plus random connectivity (Mastrogiuseppe & Ostojic 2018),

        W = W_base + (1/N) Σ_r m_r n_rᵀ,   m_r ~ N(0, I),  n_r = λ_r m_r + ξ_r, ξ_r ~ N(0, I),

    so the rank-R part has the outlier eigenvalues n_rᵀ m_r/N → λ_r (`outliers`) outside the
    bulk of W_base (any `Ensemble`). Returns a `LowRankOperator`.
    """

    base: Ensemble = Ensemble()
    outliers: tuple = eqx.field(static=True, default=(2.0,))

    def __check_init__(self):
        check_real("outliers", self.outliers)
        if np.ndim(self.outliers) != 1 or len(self.outliers) < 1:
            raise ConfigError(f"outliers must be a list of R >= 1 numbers, got {self.outliers!r}")

    def check_size(self, n: int):
        self.base.check_size(n)

    def stored_bytes(self, n: int, itemsize: int = 8) -> int:
        """The base's bytes plus the two N×R factors."""
        return self.base.stored_bytes(n, itemsize) + 2 * int(n) * len(self.outliers) * int(
            itemsize)

    def sample(self, key, n: int, dtype=None):
        dtype = dtype or jnp.result_type(float)
        key_b, key_m, key_x = jax.random.split(key, 3)
        base = as_operator(self.base.sample(key_b, n, dtype))
        rank = len(self.outliers)
        m = jax.random.normal(key_m, (int(n), rank), dtype)
        nvec = jnp.asarray(self.outliers, dtype) * m + jax.random.normal(key_x, m.shape, dtype)
        return LowRankOperator(base, m, nvec / n)
