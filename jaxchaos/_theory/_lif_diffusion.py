"""Diffusion approximation of the LIF neuron and of inhibitory balanced δ-pulse LIF networks
(Ricciardi 1977; Amit & Brunel 1997; Brunel & Hakim 1999; Brunel 2000). `docs/spiking.md`.

A LIF neuron with white-noise input, τ dV/dt = −V + μ + σ√τ ξ(t) (⟨ξ(t)ξ(t')⟩ = δ(t − t')),
threshold θ = 1, reset V_r = 0, no refractory period, fires at the Siegert rate

    1/ν = τ√π ∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²}(1 + erf u) du,

and the coefficient of variation of its interspike intervals is

    CV² = 2π (ντ)² ∫_{(V_r−μ)/σ}^{(θ−μ)/σ} dx e^{x²} ∫_{−∞}^{x} dy e^{y²}(1 + erf y)².

For σ → 0 with μ > 1 the rate tends to the deterministic 1/(τ ln(μ/(μ − 1))) and CV → 0; far
below threshold firing becomes Poisson (CV → 1). e^{u²}(1 + erf u) = erfcx(−u) is evaluated
without overflow; the integrals use adaptive quadrature (SciPy), so these are NumPy routines,
not traced or differentiated by JAX.

In an inhibitory network each neuron receives K_i δ-pulses of size −J0/√K from neurons firing
(as Poisson processes, the diffusion approximation) at the population rate ν, and a constant
drive I: the mean and the variance of the input are

    μ_i = I − (K_i/√K) J0 ν τ,     σ_i² = (K_i/K) J0² ν τ,

(K_i = K: μ = I − √K J0 ν τ, σ² = J0² ν τ), and ν solves ν = ⟨ν_Siegert(μ_i(ν), σ_i(ν))⟩_i.
The right side falls with ν (more inhibition), so the root is unique and is bracketed and
found by Brent's method.
"""

import math

import numpy as np
from scipy import integrate, optimize
from scipy.special import erfcx

from .._core._errors import ConfigError, check_real

_SQRT_PI = math.sqrt(math.pi)


def _bounds(mu, sigma, threshold, reset):
    return (reset - mu) / sigma, (threshold - mu) / sigma


def lif_diffusion_rate(mu, sigma, *, tau: float = 1.0, threshold: float = 1.0,
                       reset: float = 0.0) -> float:
    """Siegert rate ν (per unit time) of the LIF neuron τ dV/dt = −V + μ + σ√τ ξ (module
    docstring); `sigma` = 0 gives the deterministic rate 1/(τ ln((μ − V_r)/(μ − θ))) (0 below
    threshold)."""
    check_real("sigma", sigma, nonnegative=True)
    check_real("tau", tau, positive=True)
    if threshold <= reset:
        raise ConfigError(f"threshold = {threshold} must be above reset = {reset}")
    mu, sigma = float(mu), float(sigma)
    if sigma == 0.0:
        return 1.0 / (tau * math.log((mu - reset) / (mu - threshold))) if mu > threshold else 0.0
    low, high = _bounds(mu, sigma, threshold, reset)
    if high > 26.0:  # e^{u²} overflows: the rate is below 1e-290
        return 0.0
    value, _ = integrate.quad(lambda u: erfcx(-u), low, high, epsabs=0.0, epsrel=1e-11,
                              limit=200)
    return 1.0 / (tau * _SQRT_PI * value)


def lif_diffusion_cv(mu, sigma, *, tau: float = 1.0, threshold: float = 1.0,
                     reset: float = 0.0) -> float:
    """Coefficient of variation of the interspike intervals in the diffusion approximation
    (module docstring); 0 for `sigma` = 0."""
    rate = lif_diffusion_rate(mu, sigma, tau=tau, threshold=threshold, reset=reset)
    if float(sigma) == 0.0 or rate == 0.0:
        return 0.0 if float(sigma) == 0.0 else 1.0
    low, high = _bounds(float(mu), float(sigma), threshold, reset)

    def inner(x):  # e^{x²} ∫_{−∞}^{x} e^{y²}(1 + erf y)² dy = ∫ e^{x² − y²} erfcx(−y)² dy
        value, _ = integrate.quad(lambda y: math.exp(x * x - y * y) * erfcx(-y) ** 2,
                                  -np.inf, x, epsabs=0.0, epsrel=1e-10, limit=200)
        return value

    outer, _ = integrate.quad(inner, low, high, epsabs=0.0, epsrel=1e-9, limit=200)
    return math.sqrt(2.0 * math.pi * (rate * tau) ** 2 * outer)


def lif_balanced_diffusion(drive, k, coupling, *, tau: float = 1.0, in_degrees=None,
                           cv: bool = True) -> dict:
    """Self-consistent population rate of an inhibitory δ-pulse LIF network (threshold 1,
    reset 0) with drive I (`drive`), K inputs of −J0/√K (`k`, `coupling` J0) in the diffusion
    approximation (module docstring). With `in_degrees` (the K_i of each neuron) the rate
    averages over the heterogeneous inputs. Returns {"rate": ν, "cv": the CV of a neuron with
    K inputs (NaN if not `cv`), "mu", "sigma" (for K inputs), and with `in_degrees`: "rates"
    and (with `cv`) "cvs", per neuron}."""
    check_real("drive", drive, positive=True)
    check_real("k", k, positive=True)
    check_real("coupling", coupling, positive=True)
    check_real("tau", tau, positive=True)
    drive, k, coupling = float(drive), float(k), float(coupling)
    degrees = (np.array([k]) if in_degrees is None
               else np.asarray(in_degrees, float).reshape(-1))
    if degrees.size == 0 or np.any(degrees < 0):
        raise ConfigError("in_degrees must be a non-empty array of non-negative counts")
    unique, inverse, counts = np.unique(degrees, return_inverse=True, return_counts=True)
    weights = counts / counts.sum()

    def moments(rate, ki):
        return (drive - ki / math.sqrt(k) * coupling * rate * tau,
                math.sqrt(ki / k * coupling ** 2 * rate * tau))

    def mean_rate(rate):
        return sum(w * lif_diffusion_rate(*moments(rate, ki), tau=tau)
                   for ki, w in zip(unique, weights, strict=True))

    def excess(rate):
        return rate - mean_rate(rate)

    low = 1e-12 / tau
    if excess(low) >= 0:  # no positive rate: the drive cannot make the network fire
        rate = 0.0
    else:
        high = max(2.0 * low, lif_diffusion_rate(drive, 0.0, tau=tau), 1.0 / tau)
        while excess(high) <= 0:
            high *= 2.0
        rate = optimize.brentq(excess, low, high, xtol=1e-15, rtol=1e-13)
    mu, sigma = moments(rate, k)
    out = {"rate": rate, "mu": mu, "sigma": sigma,
           "cv": lif_diffusion_cv(mu, sigma, tau=tau) if cv and rate > 0 else float("nan")}
    if in_degrees is not None:
        inverse = inverse.reshape(-1)
        out["rates"] = np.array([lif_diffusion_rate(*moments(rate, ki), tau=tau)
                                 for ki in unique])[inverse]
        if cv:
            out["cvs"] = np.array([lif_diffusion_cv(*moments(rate, ki), tau=tau) if rate > 0
                                   else float("nan") for ki in unique])[inverse]
    return out
