"""Random-matrix theory of the ensembles: drawn spectra fill the predicted supports, and the
SCS network on a block ensemble turns chaotic at the predicted critical gain."""

import math

import jax
import numpy as np
import pytest

import jaxchaos as jc

N = 400
EI = dict(fractions=(0.8, 0.2), means=((1.0, -2.0), (1.0, -1.8)), stds=((0.5, 0.8), (0.5, 0.8)))


def _eigenvalues(ens, key):
    w = ens.sample(key, N)
    return np.linalg.eigvals(np.asarray(w.to_dense() if isinstance(w, jc.AbstractOperator)
                                        else w))


def test_circular_and_block_supports(getkey):
    """The largest modulus is r within 10 % (the edge of a 400×400 matrix fluctuates by several
    %: up to 8 % seen over seeds)
    and the eigenvalues reach the edge (the 98th percentile of |λ| is above 0.9 r). The i.i.d.
    disk is filled uniformly: a quarter of the eigenvalues lie within r/2 (binomial standard
    error √(3/16/N) = 0.02, plus edge effects: 0.05); block spectra are not uniform (Aljadeff
    et al. 2015), so only their radius is checked."""
    dale = jc.Ensemble(k=50, dale=True, storage="sparse", fractions=(0.8, 0.2),
                       means=((1.0, -1.2), (1.0, -1.2)), stds=((0.0, 0.0), (0.0, 0.0)))
    blocks = jc.Ensemble(fractions=(0.5, 0.5), means=((0, 0), (0, 0)),
                         stds=((0.5, 3.0), (0.5, 3.0)))
    assert len(jc.outliers(dale, N)) == 0
    for ens in (jc.Ensemble(), dale, blocks):
        lam, r = _eigenvalues(ens, getkey()), jc.bulk_radius(ens, N)
        assert abs(np.abs(lam).max() / r - 1) < 0.1, ens
        assert np.quantile(np.abs(lam), 0.98) > 0.9 * r, ens
    lam = _eigenvalues(jc.Ensemble(), getkey())
    assert abs(np.mean(np.abs(lam) < 0.5) - 0.25) < 0.05
    # Block variance matrix M = (α_b σ_ab²): ρ(M) = 0.5·0.25 + 0.5·9 for identical rows.
    assert math.isclose(jc.bulk_radius(blocks, 10**6) ** 2, 0.125 + 4.5, rel_tol=1e-5)
    # Fixed weights ±μ/K_b (Dale, σ = 0): the variance comes from the connectivity alone,
    # M_ab = K_b m_ab² (1 − p_ab).
    prob, mean, _ = dale.block_statistics(N)
    np.testing.assert_allclose(jc.variance_matrix(dale, N), [40, 10] * mean**2 * (1 - prob))


def test_elliptic_support(getkey):
    """η = 0.5: eigenvalues fill the ellipse with semi-axes 1 + η, 1 − η (10 % at the edges, as
    for the circle; 98 % inside the ellipse stretched by 5 %);
    η = 1: the real semicircle on [−2, 2]."""
    ens = jc.Ensemble(eta=0.5)
    lam = _eigenvalues(ens, getkey())
    a, b = jc.spectral_support(ens, N)
    # The zero diagonal leaves N − 1 inputs: r² = (N − 1)/N.
    np.testing.assert_allclose((a, b), np.array([1.5, 0.5]) * math.sqrt(1 - 1 / N), rtol=1e-12)
    assert abs(lam.real.max() / a - 1) < 0.1 and abs(np.abs(lam.imag).max() / b - 1) < 0.1
    assert np.mean((lam.real / a) ** 2 + (lam.imag / b) ** 2 < 1.1) > 0.98
    lam = _eigenvalues(jc.Ensemble(eta=1.0), getkey())
    assert np.abs(lam.imag).max() < 1e-10 and abs(lam.real.max() / 2 - 1) < 0.05
    assert math.isclose(jc.critical_gain(jc.Ensemble(eta=1.0), N), 0.5 / math.sqrt(1 - 1 / N))


def test_low_rank_outliers():
    ens = jc.LowRankEnsemble(outliers=(2.5, -1.5))
    np.testing.assert_array_equal(jc.outliers(ens, N), [2.5, -1.5])


def test_block_network_transition_at_predicted_gain(getkey):
    """Two populations with σ = (1, 5) columns: M has identical rows, ρ(M) = 0.5 + 12.5, so
    g_c = 1/√13 = 0.277, far from the i.i.d. value 1. At 0.8 g_c, x = 0 is stable and
    λ_max = g·max Re λ(W) − 1 ≈ −0.2 (the drawn matrix's edge is within a few % of r: ±0.05);
    at 3 g_c = 0.83 < 1, where the i.i.d. theory predicts order, the network is chaotic
    (λ_max > 0 by 5 standard errors; measured 0.16–0.20 ± 0.015 over four draws at N = 400).
    At N = 200 and 2 g_c most draws were not chaotic (finite-size limit cycles: λ_max from −0.12
    to 0.06 over six draws), hence the larger N and gain."""
    ens = jc.Ensemble(fractions=(0.5, 0.5), means=((0, 0), (0, 0)), stds=((1.0, 5.0), (1.0, 5.0)))
    n = 400
    g_c = jc.critical_gain(ens, n)
    assert abs(g_c - 1 / math.sqrt(13)) < 0.01
    w = ens.sample(getkey(), n)
    exponents = []
    for factor in (0.8, 3.0):
        net = jc.SCSNetwork(w, factor * g_c)
        spec = jc.lyapunov_spectrum(net, k=1, dt=0.1, solver="rk4", t_warmup=100.0,
                                    t_frame_warmup=20.0, t_sim=200.0, n_blocks=10,
                                    key=jax.random.key(3))
        exponents.append((float(spec.exponents[0]), float(spec.stderr[0])))
    edge = np.linalg.eigvals(np.asarray(w)).real.max()
    assert abs(edge / jc.bulk_radius(ens, n) - 1) < 0.15
    assert abs(exponents[0][0] - (0.8 * g_c * edge - 1)) < 0.01
    assert exponents[1][0] > 0 and exponents[1][0] > 5 * exponents[1][1]


def test_ginibre_product_exponents_against_qr_of_products():
    """The exponents of a product of 4000 independent 2.5·Ginibre matrices (N = 6), by the
    QR method in NumPy, match the digamma formula. Each step's log R_ii² is an independent
    ln χ²_{N-i+1} (variance ψ'((N-i+1)/2)), so each estimate has standard error
    ½ √(ψ'((N-i+1)/2) / T) (0.035 for the last exponent): checked to 4 standard errors."""
    from scipy.special import polygamma

    n, steps, scale = 6, 4000, 2.5
    rng = np.random.default_rng(0)
    frame, logs = np.eye(n), np.zeros(n)
    for _ in range(steps):
        frame, r = np.linalg.qr(scale * rng.standard_normal((n, n)) / math.sqrt(n) @ frame)
        logs += np.log(np.abs(np.diag(r)))
    stderr = 0.5 * np.sqrt(polygamma(1, (n - np.arange(n)) / 2.0) / steps)
    theory = jc.ginibre_product_exponents(n, scale)
    assert np.all(np.abs(logs / steps - theory) < 4 * stderr), (logs / steps - theory) / stderr
    assert np.all(np.diff(theory) < 0)


def test_ginibre_product_exponents_limits():
    """N = 1: E ln|σg| for g ~ N(0, 1) is ln σ − (γ + ln 2)/2; large N: λ_1 → ln σ and
    λ_i → ln σ + ½ ln(1 − i/N) at fixed i/N; a bad size is refused."""
    assert abs(jc.ginibre_product_exponents(1, 3.0)[0]
               - (math.log(3.0) - 0.5 * (np.euler_gamma + math.log(2.0)))) < 1e-14
    lam = jc.ginibre_product_exponents(100_000, 2.0)
    assert abs(lam[0] - math.log(2.0)) < 1e-4
    assert abs(lam[49_999] - (math.log(2.0) + 0.5 * math.log(0.5))) < 1e-4
    with pytest.raises(jc.ConfigError):
        jc.ginibre_product_exponents(0)


def test_slope_product_exponents():
    """Constant slopes d: the Ginibre spectrum at σ = g d (|R_ii| of an orthogonal matrix is 1);
    any slopes: Σλ_i = Σ_i of the Ginibre part + mean Σ_j ln|d_j| (the product of R_ii is
    |det D Q|); a direct QR of 3000 products of 1.5·G_t·diag(d_t) (N = 5, d_t ~ |N(0, 1)|)
    matches within 4 of the standard errors of the 3000-step means (from their spread)."""
    lam = jc.slope_product_exponents(2.0, np.full((3, 7), 0.5))
    np.testing.assert_allclose(lam, jc.ginibre_product_exponents(7, 1.0), atol=1e-13)
    rng = np.random.default_rng(1)
    n, steps = 5, 3000
    slopes = np.abs(rng.standard_normal((steps, n)))
    theory = jc.slope_product_exponents(1.5, slopes[:2000], seed=2)
    np.testing.assert_allclose(
        theory.sum(), jc.ginibre_product_exponents(n, 1.5).sum()
        + np.mean(np.sum(np.log(slopes[:2000]), axis=1)), rtol=1e-12)
    frame, logs = np.eye(n), []
    for d in slopes:
        frame, r = np.linalg.qr(1.5 * rng.standard_normal((n, n)) / math.sqrt(n)
                                @ (d[:, None] * frame))
        logs.append(np.log(np.abs(np.diag(r))))
    logs = np.array(logs)
    stderr = np.hypot(logs.std(axis=0) / math.sqrt(steps), 0.5 * np.sqrt(2.0 / 2000))
    assert np.all(np.abs(logs.mean(axis=0) - theory) < 4 * stderr), \
        (logs.mean(axis=0) - theory) / stderr
    with pytest.raises(jc.ConfigError):
        jc.slope_product_exponents(1.0, np.zeros((2, 3)))


def test_outliers_of_binary_balanced_and_low_rank(getkey):
    """±J/√K with mean μ = 0.3 (balanced scaling, K = 40): the mean matrix puts one real
    outlier at B = K·μ/√K = μ√K = 1.90, outside the bulk r = √(1 + μ²(1 − K/N)) = 1.04; low
    rank + random (λ = 2): one at λ. The drawn matrix's eigenvalue nearest each lies within
    0.3 of it (sampling sd of nᵀm/N: √((2λ² + 1)/N) = 0.15 for λ = 2, N = 400; the mean's
    rank-one outlier fluctuates less), and the rest of the spectrum within 10 % of r (as above)."""
    balanced = jc.Ensemble(k=40, storage="sparse", weights="binary", scaling="balanced",
                           means=((0.3,),))
    low_rank = jc.LowRankEnsemble(jc.Ensemble(), outliers=(2.0,))
    assert math.isclose(jc.outliers(balanced, N)[0].real, 0.3 * math.sqrt(40), rel_tol=1e-12)
    assert math.isclose(jc.bulk_radius(balanced, N), math.sqrt(1 + 0.09 * (1 - 40 / 399)),
                        rel_tol=1e-12)
    for ens in (balanced, low_rank):
        lam = _eigenvalues(ens, getkey())
        (target,) = jc.outliers(ens, N)
        nearest = np.argmin(np.abs(lam - target))
        assert abs(lam[nearest] - target) < 0.3, (ens, lam[nearest])
        bulk = np.delete(lam, nearest)
        assert abs(np.abs(bulk).max() / jc.bulk_radius(ens, N) - 1) < 0.1, ens
