"""Eigenvalue spectra of the connectivity ensembles (`jaxchaos._core._ensembles`) and the
critical gain of the rate network `dx/dt = -x + g W φ(x)` with φ'(0) = 1 built on them.

For an `Ensemble` with populations b of sizes N_b, present entries from b to a with probability
p_ab, mean m_ab and standard deviation s_ab:

- Bulk (Aljadeff, Stern & Sharpee 2015; Girko's circular law for one population): the
  eigenvalues of W minus its block-constant mean fill a disk of radius r = √ρ(M), where
  `M_ab = N_b Var(W_ij) = N_b p_ab (s_ab² + m_ab² (1 − p_ab))` is the summed input variance
  from population b (for the dense mean-field scaling, M_ab = α_b σ_ab², Aljadeff's g²_ab α_b).
- Partial symmetry η (Sommers, Crisanti, Sompolinsky & Stein 1988, the elliptic law): an ellipse
  with semi-axes r(1 + η) along the real and r(1 − η) along the imaginary axis; η = 1 the
  semicircle on [−2r, 2r].
- Outliers: the block-constant mean is a rank-≤P matrix whose nonzero eigenvalues are those of
  `B_ab = N_b p_ab m_ab` (the summed mean input from b; −J0 for a balanced E/I network, 0
  when the means cancel); eigenvalues of B outside the bulk appear as outliers. For
  `LowRankEnsemble` the outliers are its λ_r.
- Critical gain: the trivial fixed point x = 0 of an odd φ loses stability where the rightmost
  eigenvalue of g W crosses 1. From the bulk, `g_c = 1/(r(1 + η))`, where chaos sets in (SCS
  1988: g_c = 1 for i.i.d. Gaussian W); a real outlier λ > r(1 + η) crosses first, at g = 1/λ,
  into a non-trivial fixed point, not chaos (`critical_gain` reports the bulk's; `outliers`
  tells whether one precedes it).
These are N → ∞ statements up to O(1/N) corrections (zero diagonal, rounding of N_b and K_b);
the radius of a drawn matrix fluctuates by O(N^(-1/2)) around them.

Lyapunov spectra of random-matrix products (`ginibre_product_exponents`) are exact at every N.
"""

import math

import numpy as np
from scipy.special import digamma

from .._core._ensembles import Ensemble, LowRankEnsemble
from .._core._errors import ConfigError, check_real


def _ensemble(ensemble) -> Ensemble:
    base = ensemble.base if isinstance(ensemble, LowRankEnsemble) else ensemble
    if not isinstance(base, Ensemble):
        raise ConfigError(f"spectra are known for Ensemble and LowRankEnsemble, got "
                          f"{type(ensemble).__name__}")
    return base


def variance_matrix(ensemble, n: int) -> np.ndarray:
    """M_ab = N_b Var(W_ij), i ∈ a, j ∈ b: the summed input variance from population b."""
    ens = _ensemble(ensemble)
    prob, mean, std = ens.block_statistics(n)
    cand = ens._candidates(n)
    return cand * prob * (std**2 + mean**2 * (1.0 - prob))


def mean_matrix(ensemble, n: int) -> np.ndarray:
    """B_ab = N_b p_ab m_ab: the summed mean input from population b (module docstring)."""
    ens = _ensemble(ensemble)
    prob, mean, _ = ens.block_statistics(n)
    return ens._candidates(n) * prob * mean


def bulk_radius(ensemble, n: int) -> float:
    """r = √ρ(M) (for η ≠ 0 the radius of the circle the ellipse is stretched from)."""
    return float(math.sqrt(max(np.abs(np.linalg.eigvals(variance_matrix(ensemble, n))))))


def spectral_support(ensemble, n: int) -> tuple[float, float]:
    """Semi-axes (real, imaginary) of the bulk: r(1 + η), r(1 − η)."""
    r, eta = bulk_radius(ensemble, n), _ensemble(ensemble).eta
    return r * (1.0 + eta), r * (1.0 - eta)


def outliers(ensemble, n: int) -> np.ndarray:
    """Predicted outlier eigenvalues: λ_r of a `LowRankEnsemble`, else the eigenvalues of the
    mean matrix B that lie outside the bulk."""
    if isinstance(ensemble, LowRankEnsemble):
        return np.asarray(ensemble.outliers, float)
    real_axis, imag_axis = spectral_support(ensemble, n)
    lam = np.linalg.eigvals(mean_matrix(ensemble, n))
    outside = (lam.real / real_axis) ** 2 + (lam.imag / max(imag_axis, 1e-300)) ** 2 > 1
    return lam[outside]


def critical_gain(ensemble, n: int) -> float:
    """g_c = 1/(r(1 + η)): the gain where the bulk's rightmost edge crosses 1 (module
    docstring), the onset of chaos of the SCS network on this ensemble."""
    return 1.0 / spectral_support(ensemble, n)[0]


def ginibre_product_exponents(n: int, scale=1.0) -> np.ndarray:
    """Lyapunov exponents (per factor, natural log) of the product `A_T ⋯ A_1` of independent
    real Ginibre matrices `A_t = σ G_t`, `(G_t)_ij ~ N(0, 1/N)` i.i.d. (σ = `scale`):

        λ_i = ln σ + ½ [ψ((N − i + 1)/2) + ln(2/N)],   i = 1 … N,

    ψ the digamma function; exact at every N (Newman 1986; Forrester 2013).

    Derivation: in `Q_t R_t = A_t Q_{t-1}` the frame `Q_{t-1}` is orthogonal and independent of
    `G_t`, so `G_t Q_{t-1}` is again Ginibre (orthogonal invariance) and the new frame `Q_t` is
    Haar and independent of `R_t`. By Bartlett's decomposition of a Gaussian matrix,
    `N R_ii² / σ² ~ χ²_{N-i+1}`, independent across i and t, and `E ln χ²_k = ψ(k/2) + ln 2`;
    `λ_i = ½ E ln R_ii²` gives the formula. For N → ∞ at fixed i/N = x it tends to
    `ln σ + ½ ln(1 − x)` (ψ(y) = ln y + O(1/y)); λ_1 → ln σ.

    Use for a network map `x ← J φ(x)`, `J_ij ~ N(0, g²/N)` (the δ = 1 `EulerMap` of the SCS
    network): its tangent map `J D_t`, `D_t = diag φ'(x_t)`, sends a frame Q to `J (D_t Q)`,
    whose rows are i.i.d. N(0, g² QᵀD_t²Q/N), i.e. `G' (QᵀD_t²Q)^½` with G' Gaussian. Treating
    J as fresh at each step (the annealed, mean-field approximation) and `QᵀD_t²Q` as
    `⟨φ'²⟩ I` gives this spectrum with `σ² = g²⟨φ'²⟩ = χ1`, ⟨φ'²⟩ over x ~ N(0, Δ0) of the
    mean field. The top exponent ½ ln χ1 is then the mean-field λ_max; the lower exponents
    are overestimated: the exact sum of the map's exponents is `ln|det J| + Σ_j ⟨ln φ'(x_j)⟩_t`
    (E ln|det J| is this formula's sum at σ = g), where the approximation puts ½ N ln⟨φ'²⟩,
    larger by Jensen's inequality. `slope_product_exponents` keeps the slopes' spread.

    Returns an (n,) float64 array, descending.
    """
    check_real("n", n, positive=True, integer=True)
    check_real("scale", scale, positive=True)
    n = int(n)
    i = np.arange(1, n + 1)
    return math.log(scale) + 0.5 * (digamma((n - i + 1) / 2.0) + math.log(2.0 / n))


def slope_product_exponents(gain, slopes, seed: int = 0) -> np.ndarray:
    """Lyapunov exponents of the product of `g G_t D_t`, G_t independent Ginibre matrices
    (`N(0, 1/N)` entries) and `D_t = diag(d_t)` independent of them, with slope vectors d_t
    drawn like the rows of `slopes` (S, N):

        λ_i = ln g + ½ [ψ((N − i + 1)/2) + ln(2/N)] + ½ E ln R_ii(D Q)²,

    the last term averaged over the S rows with Q a Haar-random orthogonal matrix (from `seed`)
    and `R(DQ)` the triangular factor of the QR of `D Q` (|R_ii| > 0).

    Derivation (as in `ginibre_product_exponents`): a step maps the frame Q to `G (D Q)`; with
    `D Q = Q' R'`, `G Q'` is again Ginibre, so the step's R is `R_G R'` with R_G Ginibre's
    (Bartlett) and R' = R(DQ); the frame stays Haar and independent of D. The ψ term is the
    Ginibre part, the last the slopes' part; their sums give the exact identity
    `Σ_i λ_i = E ln|det gG| + Σ_j E ln d_j`. Constant slopes d reduce it to
    `ginibre_product_exponents(n, g d)`.

    For the network map `x ← gWφ(x)` (`EulerMap(SCSNetwork(W, g), 1)`) with slopes
    `d = φ'(x)`, x ~ N(0, Δ0) of its mean field, this is the annealed (fresh-J) approximation
    of its spectrum with the slopes' full distribution. Returns (N,), descending.
    """
    check_real("gain", gain, positive=True)
    slopes = np.atleast_2d(np.asarray(slopes, float))
    check_real("slopes", slopes)
    if slopes.ndim != 2 or np.any(slopes == 0):
        raise ConfigError("slopes must be an (S, N) array of non-zero slope samples")
    n = slopes.shape[1]
    rng = np.random.default_rng(seed)
    logs = np.zeros(n)
    for d in slopes:
        haar = np.linalg.qr(rng.standard_normal((n, n)))[0]
        logs += np.log(np.abs(np.diag(np.linalg.qr(d[:, None] * haar)[1])))
    return (ginibre_product_exponents(n, gain) + logs / len(slopes))
