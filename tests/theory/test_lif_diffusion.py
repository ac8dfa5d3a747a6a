"""Diffusion approximation of the LIF neuron: the deterministic limit, the Poisson limit, a
Monte Carlo first-passage check of the Siegert rate and CV, and the self-consistent balanced
rate at a point where the answer is known in closed form."""

import math

import numpy as np
import pytest
from scipy import optimize

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError


@pytest.mark.parametrize("mu", [1.2, 3.0])
def test_small_noise_limit_is_the_deterministic_lif_rate(mu):
    """σ → 0 above threshold: 1/(τ ln(μ/(μ − 1))) (relative corrections O(σ²/(μ − 1)²):
    allowed 10 σ²/(μ − 1)², measured 3.4e-6 at μ = 1.2), exactly at σ = 0, and the CV
    vanishes like σ."""
    exact = 1.0 / (2.0 * math.log(mu / (mu - 1.0)))
    assert jc.lif_diffusion_rate(mu, 0.0, tau=2.0) == pytest.approx(exact, rel=1e-14)
    tolerance = 10 * 1e-3 ** 2 / (mu - 1) ** 2
    assert jc.lif_diffusion_rate(mu, 1e-3, tau=2.0) == pytest.approx(exact, rel=tolerance)
    assert 0 < jc.lif_diffusion_cv(mu, 1e-3) < 0.01
    assert jc.lif_diffusion_rate(0.9, 0.0) == 0.0


def test_far_below_threshold_firing_is_poisson():
    assert jc.lif_diffusion_cv(-1.0, 0.5) == pytest.approx(1.0, abs=1e-3)
    assert 0 < jc.lif_diffusion_rate(-1.0, 0.5) < 1e-3


def test_siegert_rate_and_cv_against_first_passage_monte_carlo():
    """Euler–Maruyama first passages of τ dV = (−V + μ) dt + σ√τ dW from the reset (τ = 1,
    dt = 5·10⁻⁴, 4000 paths): 1/mean and std/mean equal the formulas within 4 Monte Carlo
    standard errors plus the discretisation bias (threshold overshoot ≈ 0.58 σ√dt ≈ 0.0065,
    about 1% in the rate; 2% allowed)."""
    mu, sigma, dt, paths = 0.8, 0.5, 5e-4, 4000
    rng = np.random.default_rng(0)
    v = np.zeros(paths)
    passage = np.full(paths, np.nan)
    t, alive = 0.0, np.ones(paths, bool)
    while alive.any():
        t += dt
        v[alive] += (mu - v[alive]) * dt + sigma * math.sqrt(dt) * rng.standard_normal(
            alive.sum())
        crossed = alive & (v >= 1.0)
        passage[crossed] = t
        alive &= ~crossed
    mean, cv = passage.mean(), passage.std() / passage.mean()
    rate = jc.lif_diffusion_rate(mu, sigma)
    assert 1.0 / mean == pytest.approx(rate, rel=4 * cv / math.sqrt(paths) + 0.02)
    assert cv == pytest.approx(jc.lif_diffusion_cv(mu, sigma), abs=0.03)


def test_self_consistent_rate_in_the_deterministic_limit():
    """K = 10⁶ inputs of −J0/√K with √K J0 = 1: the mean inhibition μ = I − ν τ stays finite while
    σ² = J0² ν τ = 10⁻⁶ ν τ vanishes, so ν solves the deterministic ν = 1/(τ ln(μ/(μ − 1)))
    (solved here by Brent's method on that equation alone; O(σ²) apart)."""
    drive, tau = 3.0, 1.0
    exact = optimize.brentq(lambda nu: nu - 1.0 / (tau * math.log((drive - nu * tau) / (
        drive - nu * tau - 1.0))), 1e-9, (drive - 1.0) / tau - 1e-9, xtol=1e-15)
    out = jc.lif_balanced_diffusion(drive, 1e6, 1e-3, tau=tau)
    assert out["rate"] == pytest.approx(exact, rel=1e-5)
    assert out["mu"] == pytest.approx(drive - exact * tau, rel=1e-5)
    assert out["sigma"] == pytest.approx(1e-3 * math.sqrt(exact), rel=1e-5)
    assert 0 < out["cv"] < 1e-2
    # the solution satisfies the self-consistency it was solved from, at a noisy point too
    noisy = jc.lif_balanced_diffusion(2.0, 100, 2.0, cv=False)
    assert noisy["rate"] == pytest.approx(jc.lif_diffusion_rate(noisy["mu"], noisy["sigma"]),
                                          rel=1e-10)
    assert noisy["mu"] == pytest.approx(2.0 - 10 * 2.0 * noisy["rate"], rel=1e-12)


def test_in_degrees():
    """Equal in-degrees K give the homogeneous rate; spread in-degrees give per-neuron rates that
    average to the population rate and fall with the in-degree."""
    homogeneous = jc.lif_balanced_diffusion(2.0, 100, 2.0, cv=False)
    same = jc.lif_balanced_diffusion(2.0, 100, 2.0, in_degrees=[100] * 5, cv=False)
    assert same["rate"] == pytest.approx(homogeneous["rate"], rel=1e-10)
    spread = jc.lif_balanced_diffusion(2.0, 100, 2.0, in_degrees=[80, 100, 120, 100])
    assert np.mean(spread["rates"]) == pytest.approx(spread["rate"], rel=1e-10)
    assert np.all(np.diff(spread["rates"][:3]) < 0)
    assert spread["rates"][1] == spread["rates"][3]
    assert spread["cvs"][1] == pytest.approx(spread["cv"], rel=1e-12)


def test_bad_input():
    with pytest.raises(ConfigError, match="sigma"):
        jc.lif_diffusion_rate(1.0, -0.1)
    with pytest.raises(ConfigError, match="coupling"):
        jc.lif_balanced_diffusion(2.0, 100, -1.0)
    with pytest.raises(ConfigError, match="in_degrees"):
        jc.lif_balanced_diffusion(2.0, 100, 1.0, in_degrees=[])
