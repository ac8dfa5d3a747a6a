"""The seeds' ensembles: statistics of drawn matrices against the equations in the
`Ensemble` docstring, to sampling error (5 standard errors), and the bad-argument errors."""

import math

import numpy as np
import pytest

import jaxchaos as jc

EI = dict(fractions=(0.8, 0.2), means=((1.0, -2.0), (1.0, -1.8)), stds=((0.5, 0.8), (0.5, 0.8)))


def _dense(w):
    return np.asarray(w.to_dense() if isinstance(w, jc.AbstractOperator) else w)


@pytest.mark.parametrize("storage", ["sparse", "regenerated"])
def test_dale_sparse_blocks(getkey, storage):
    """Dale's law: every weight from E is >= 0 and from I <= 0; K_b = round(K α_b) inputs from b
    (fixed in-degree when stored, fixed out-degree when regenerated); block means μ_ab/K_b and
    standard deviations σ_ab/√K."""
    n, k = 400, 40
    ens = jc.Ensemble(k=k, dale=True, storage=storage, **EI)
    w = _dense(ens.sample(getkey(), n))
    pop = ens.population(n)
    assert np.all(w[:, pop == 0] >= 0) and np.all(w[:, pop == 1] <= 0)
    assert not np.any(np.diag(w))
    degrees = ens.in_degrees(n)
    np.testing.assert_array_equal(degrees, [32, 8])
    for b in (0, 1):
        if storage == "sparse":
            np.testing.assert_array_equal((w[:, pop == b] != 0).sum(1), degrees[b])
        else:  # out-degree into each population a is round(K α_a)
            np.testing.assert_array_equal((w[pop == b] != 0).sum(0), degrees[b])
    prob, mean, std = ens.block_statistics(n)
    for a in (0, 1):
        for b in (0, 1):
            block = w[pop == a][:, pop == b]
            values = block[block != 0]
            assert abs(values.mean() - mean[a, b]) < 5 * std[a, b] / math.sqrt(values.size)
            # Gamma magnitudes of shape c = (m/s)²: excess kurtosis 6/c, so the relative standard
            # error of the sample variance is √((2 + 6/c)/size).
            shape = (mean[a, b] / std[a, b]) ** 2
            rel_error = math.sqrt((2 + 6 / shape) / values.size)
            assert abs(values.var() / std[a, b] ** 2 - 1) < 5 * rel_error
    np.testing.assert_allclose(mean[:, 0] * degrees[0], [1.0, 1.0])  # μ_ab = summed mean input


def test_binomial_in_degree(getkey):
    """Erdős–Rényi: in-degrees Binomial(N - 1, K/(N - 1)), mean K and variance K(1 - p)."""
    n, k = 1000, 40
    w = _dense(jc.Ensemble(k=k, in_degree="binomial", storage="sparse").sample(getkey(), n))
    degrees = (w != 0).sum(1)
    p = k / (n - 1)
    assert abs(degrees.mean() - k) < 5 * math.sqrt(k * (1 - p) / n)
    # Sample variance of n Binomial draws: relative standard error about √(2/n).
    assert abs(degrees.var() / (k * (1 - p)) - 1) < 5 * math.sqrt(2 / n)
    assert not np.any(np.diag(w))


def test_binary_weights_and_balanced_scaling(getkey):
    """±J/√K weights with a nonzero mean: vV-S's balanced scaling m = μ/√K, s = σ/√K."""
    n, k = 400, 25
    ens = jc.Ensemble(k=k, means=((-3.0,),), stds=((1.0,),), weights="binary",
                      scaling="balanced", storage="sparse")
    w = _dense(ens.sample(getkey(), n))
    values = np.unique(np.round(w[w != 0] * math.sqrt(k), 12))
    np.testing.assert_allclose(values, [-4.0, -2.0])
    assert ens.external_scale(n) == 5.0


@pytest.mark.parametrize("eta", [-0.5, 0.5, 1.0])
def test_partial_symmetry(getkey, eta):
    """Corr(W_ij, W_ji) = η and Var = 1/N: sample correlation's standard error (1 - η²)/√m."""
    n = 300
    w = np.asarray(jc.Ensemble(eta=eta).sample(getkey(), n))
    upper = np.triu(np.ones((n, n), bool), 1)
    m = upper.sum()
    if eta == 1.0:
        np.testing.assert_array_equal(w, w.T)
    else:
        corr = np.corrcoef(w[upper], w.T[upper])[0, 1]
        assert abs(corr - eta) < 5 * (1 - eta**2) / math.sqrt(m)
    assert abs(w[upper].var() * n - 1) < 5 * math.sqrt(2 / m) * (1 + abs(eta))


@pytest.mark.parametrize("eta, weights", [(0.5, "gaussian"), (-0.5, "binary"), (1.0, "gaussian")])
def test_sparse_partial_symmetry(getkey, eta, weights):
    """Sparse η (Binomial in-degree): every pair is connected both ways or not at all
    (symmetric Erdős–Rényi graph; in-degree mean K, its standard error √(2K(1 − p)/N) as the
    degrees sum to twice a Binomial edge count), Corr(W_ij, W_ji) = η over the m connected pairs
    (standard error (1 − η²)/√m; exactly symmetric for η = 1), summed input variance K s² = 1,
    and the eigenvalues reach the ellipse's semi-axes 1 ± η within 10 % (N = 1000: as the dense
    ellipse at N = 400; 5 % seen at K = 50)."""
    n, k = 1000, 50
    ens = jc.Ensemble(k=k, eta=eta, in_degree="binomial", storage="sparse", weights=weights)
    op = ens.sample(getkey(), n)
    assert ens.stored_bytes(n, 8) == op.nbytes
    w = _dense(op)
    np.testing.assert_array_equal(w != 0, (w != 0).T)
    assert not np.any(np.diag(w))
    p = k / (n - 1)
    assert abs((w != 0).sum(1).mean() - k) < 5 * math.sqrt(2 * k * (1 - p) / n)
    pairs = np.triu(w != 0, 1)
    m = pairs.sum()
    if eta == 1.0:
        np.testing.assert_array_equal(w, w.T)
    else:
        corr = np.corrcoef(w[pairs], w.T[pairs])[0, 1]
        assert abs(corr - eta) < 5 * (1 - eta**2) / math.sqrt(m), corr
    assert abs(w[pairs].var() * k - 1) < 5 * math.sqrt(2 / m) * (1 + abs(eta))
    lam = np.linalg.eigvals(w)
    a, b = jc.spectral_support(ens, n)
    assert abs(lam.real.max() / a - 1) < 0.1
    if eta != 1.0:
        assert abs(np.abs(lam.imag).max() / b - 1) < 0.1
    else:
        assert np.abs(lam.imag).max() < 1e-10


def test_any_number_of_populations(getkey):
    """Three dense populations: block means μ_ab/N_b (presynaptic normalisation), variances σ²/N."""
    n = 600
    means = ((0.5, -1.0, 0.2), (1.0, -0.5, 0.0), (0.3, 0.3, -0.6))
    stds = ((1.0, 0.5, 0.2), (0.8, 1.2, 0.4), (0.3, 0.6, 1.0))
    ens = jc.Ensemble(fractions=(0.5, 0.3, 0.2), means=means, stds=stds)
    w = np.asarray(ens.sample(getkey(), n))
    pop, sizes = ens.population(n), ens.sizes(n)
    np.testing.assert_array_equal(sizes, [300, 180, 120])
    off = ~np.eye(n, dtype=bool)
    for a in range(3):
        for b in range(3):
            block = w[(pop[:, None] == a) & (pop[None, :] == b) & off]
            cand = sizes[b] - (a == b)
            std = stds[a][b] / math.sqrt(n)
            assert abs(block.mean() - means[a][b] / cand) < 5 * std / math.sqrt(block.size)
            assert abs(block.std() / std - 1) < 5 * math.sqrt(1 / (2 * block.size))


def test_low_rank_outlier(getkey):
    """W + m nᵀ/N with n = λm + ξ: the outlier eigenvalue nᵀm/N is within 5/√N of λ."""
    n = 400
    op = jc.LowRankEnsemble(outliers=(2.5,)).sample(getkey(), n)
    eigenvalues = np.linalg.eigvals(np.asarray(op.to_dense()))
    top = eigenvalues[np.argmax(eigenvalues.real)]
    assert abs(top - 2.5) < 5 * 2.5 / math.sqrt(n)


@pytest.mark.parametrize("kwargs, key", [
    (dict(k=500), "k"), (dict(fractions=(0.5, 0.7), means=((0, 0), (0, 0)),
                              stds=((1, 1), (1, 1))), "fractions"),
    (dict(fractions=(0.8, 0.2)), "means"), (dict(eta=1.5), "eta"), (dict(storage="sparse"), "k"),
    (dict(dale=True, fractions=(0.5, 0.5), means=((1, -1), (-1, 1)), stds=((0, 0), (0, 0))),
     "dale"), (dict(k=20, eta=0.5, storage="sparse"), "eta with k.*binomial"),
    (dict(k=20, eta=0.5, in_degree="binomial", storage="regenerated"), "eta with k"),
    (dict(scaling="sqrt"), "scaling"), (dict(in_degree="poisson"), "in_degree"),
])
def test_bad_ensembles_name_the_argument(kwargs, key):
    with pytest.raises(jc.ConfigError, match=key):
        jc.Ensemble(**kwargs).check_size(500)



def test_stored_bytes_are_the_drawn_bytes(getkey):
    """`stored_bytes` (pure, used by the run configs' size estimates) equals what a drawn W
    holds: dense N²·itemsize, sparse N·K·(itemsize + 4) (padded Binomial width included), a
    rank-R part 2NR·itemsize; regenerated storage grows by itemsize per neuron (O(N))."""
    n = 300
    cases = [(jc.Ensemble(), "float64"), (jc.Ensemble(k=20, storage="sparse"), "float32"),
             (jc.Ensemble(k=20, storage="sparse", in_degree="binomial", **EI), "float64"),
             (jc.LowRankEnsemble(jc.Ensemble(k=20, storage="sparse"), outliers=(2.0, 3.0)),
              "float64")]
    for ens, dtype in cases:
        item = np.dtype(dtype).itemsize
        assert ens.stored_bytes(n, item) == ens.sample(getkey(), n, dtype).nbytes, ens
    assert jc.Ensemble().stored_bytes(n, 4) == n * n * 4
    regen = jc.Ensemble(k=20, storage="regenerated")
    assert regen.sample(getkey(), n).nbytes <= regen.stored_bytes(n, 8)
    big = regen.stored_bytes(10**6, 8)
    assert regen.stored_bytes(2 * 10**6, 8) - big == 10**6 * 8 and big < 10**7
