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
"""

import math

import numpy as np

from .._core._ensembles import Ensemble, LowRankEnsemble
from .._core._errors import ConfigError


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
