"""The P-population sampling DMFT: exact reductions to the one-population solver, the linear
regime's exponent √ρ(g_ab² α_b) - 1, and an E/I balanced network against simulation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import iv

import jaxchaos as jc
from jaxchaos._theory._sampling_populations import _lyapunov_populations

N = 400


def test_one_population_is_sampling_dmft():
    """P = 1 draws the same numbers as `sampling_dmft` and runs the same iteration: equal to
    round-off (balanced mean feedback, independent-phase input, noise and heterogeneity on)."""
    kw = dict(key=jax.random.PRNGKey(3), t_max=12.0, dt=0.2, samples=200, iterations=3,
              nonlinearity="relu", lyapunov_start=3.0, noise=0.1, heterogeneity=0.2,
              input=jc.SinusoidalInput(0.5, 0.2), independent=True)
    one = jc.sampling_dmft(2.0, mean_coupling=-np.sqrt(N), drive=np.sqrt(N), **kw)
    (pop,) = jc.sampling_dmft_populations([[2.0]], [1.0], mean_couplings=[[-np.sqrt(N)]],
                                          drives=[np.sqrt(N)], **kw)
    for name in ("mean_state", "rate", "mean_input", "rate_correlation", "slope_correlation",
                 "lyapunov", "log_perturbation", "sample_rates"):
        np.testing.assert_allclose(getattr(pop, name), getattr(one, name), rtol=1e-9,
                                   atol=1e-9, err_msg=name)


def test_two_identical_populations_pool_to_one():
    """Two populations of equal fractions and equal couplings (g_ab = g, J̄_ab = J̄ α_b) are
    one population split in halves: M samples each are the first and second half of the 2M
    samples of `sampling_dmft` (same random numbers), so the pooled statistics and the coupled
    exponent equal the one-population solution to round-off."""
    kw = dict(key=jax.random.PRNGKey(1), t_max=12.0, dt=0.2, iterations=3, nonlinearity="relu",
              lyapunov_start=3.0)
    one = jc.sampling_dmft(2.0, mean_coupling=-np.sqrt(N), drive=np.sqrt(N), samples=300, **kw)
    half = np.full((2, 2), -np.sqrt(N) / 2)
    first, second = jc.sampling_dmft_populations(np.full((2, 2), 2.0), [0.5, 0.5],
                                                 mean_couplings=half,
                                                 drives=[np.sqrt(N)] * 2, samples=150, **kw)
    np.testing.assert_allclose((first.rate + second.rate) / 2, one.rate, atol=1e-9)
    np.testing.assert_allclose((first.rate_correlation + second.rate_correlation) / 2,
                               one.rate_correlation, atol=1e-8)
    np.testing.assert_allclose(first.mean_input, one.mean_input, atol=1e-8)
    np.testing.assert_allclose(first.lyapunov, one.lyapunov, atol=1e-9)


def _slope_fit(log_eps, times):
    """½ × the least-squares slope of ln ε(t, t) over the second half (as the solver fits)."""
    half = times.size // 2
    t_c = times[half:] - times[half:].mean()
    return 0.5 * np.sum(t_c * (log_eps[half:] - log_eps[half:].mean())) / np.sum(t_c**2)


@pytest.mark.parametrize("gains", [[[0.5, 0.9], [0.3, 0.6]], [[1.2, 2.0], [0.4, 1.5]],
                                   [[0.5, 2.0], [1.5, 0.3]]])
def test_coupled_perturbation_equations_against_bessel_solution(gains):
    """With all slopes 1 (Q_b ≡ 1: a linear network) the coupled equations ∂t∂s u = M u,
    M_ab = g_ab² α_b, u = 1 on the boundaries, are solved by u = V I0(2√(D t s)) V⁻¹ 1
    (M = V D V⁻¹; a negative eigenvalue gives J0). The trapezoid scheme's ln ε(t, t) error is
    O(dt²) (measured 0.008 to 0.10 at t = 30, dt = 0.1, 4x less at dt = 0.05; tolerance 0.15)
    and its fitted λ is the exact curve's fit to 2e-3 (measured 1e-4 to 1.8e-3). That fit is
    √ρ(M) - 1 (the variance profile's spectral radius, Rajan-Abbott 2006, Aljadeff et al.
    2015), less 0.011: the Bessel prefactor t^(-1/2) over the fit window [15, 30]."""
    dt, fractions = 0.1, np.array([0.3, 0.7])
    times = dt * np.arange(301)
    coupling = np.asarray(gains) ** 2 * fractions[None]
    lam, log_eps = _lyapunov_populations(jnp.ones((2, 301, 301)), jnp.asarray(coupling), dt, 0)
    eigenvalues, vectors = np.linalg.eig(coupling.astype(complex))
    u = np.einsum("ak,tk,kb,b->ta", vectors, iv(0, 2 * np.sqrt(eigenvalues) * times[:, None]),
                  np.linalg.inv(vectors), np.ones(2)).real
    exact = np.log(u.sum(axis=1)) - 2 * times
    assert np.max(np.abs(np.asarray(log_eps) - exact)) < 0.15
    assert abs(float(lam) - _slope_fit(exact, times)) < 2e-3
    rho = np.max(np.abs(eigenvalues))
    assert abs(_slope_fit(exact, times) - (np.sqrt(rho) - 1 - 0.0114)) < 1e-3


def test_ei_balanced_network_matches_sampling_dmft_populations():
    """E/I balanced rate network (dense `Ensemble`, scaling 'balanced', α = (0.8, 0.2), block
    means μ = [[0.5, -10], [1, -12]], stds 2, drives √N (1, 0.8), ReLU; N = 400): balance
    gives ν = (1.25, 0.75) as N → ∞. Three networks (t in [20, 60]) vs the two-population DMFT at
    the same N (J̄_ab = α_b √N μ_ab; M = 1000, 8 iterations). Measured (README): ν_E 1.115
    (networks 1.045 to 1.192) vs 1.097, ν_I 0.763 (0.737 to 0.793) vs 0.753, ⟨φ²⟩_E 5.54 (4.31
    to 7.07) vs 5.25, ⟨φ²⟩_I 3.19 (3.03 to 3.43) vs 3.48. Tolerances: 6% for the rates (the
    network mean's standard error, 3.9% for ν_E, plus the DMFT's key-to-key spread, ±2%; the
    N → ∞ balance rate misses ν_E by 12%), 20% for ⟨φ²⟩ (standard error of the network mean
    15%)."""
    alpha, mu, i0 = np.array([0.8, 0.2]), np.array([[0.5, -10.0], [1.0, -12.0]]), [1.0, 0.8]
    ens = jc.Ensemble(fractions=(0.8, 0.2), means=((0.5, -10.0), (1.0, -12.0)),
                      stds=((2.0, 2.0), (2.0, 2.0)), scaling="balanced", zero_diagonal=False)
    pop = ens.population(N)
    rates, squares = [], []
    for seed in range(3):
        net = jc.BalancedRateNetwork(ens.sample(jax.random.PRNGKey(seed), N),
                                     np.sqrt(N) * np.asarray(i0)[pop])
        sim = jc.simulate(net, key=jax.random.PRNGKey(10 + seed), t1=60.0, dt=0.05,
                          record_every=0.1)
        r = np.maximum(np.asarray(sim.records["trajectory"])[199:], 0.0)
        rates.append([r[:, pop == a].mean() for a in (0, 1)])
        squares.append([(r[:, pop == a] ** 2).mean() for a in (0, 1)])
    mf = jc.sampling_dmft_populations(np.full((2, 2), 2.0), alpha, key=jax.random.PRNGKey(0),
                                      mean_couplings=np.sqrt(N) * mu * alpha[None],
                                      drives=np.sqrt(N) * np.asarray(i0), t_max=60.0, dt=0.1,
                                      samples=1000, iterations=8)
    for a in (0, 1):
        mf_rate = float(mf[a].rate[200:].mean())
        mf_square = float(np.diagonal(mf[a].rate_correlation)[200:].mean())
        assert abs(np.mean(rates, axis=0)[a] - mf_rate) < 0.06 * mf_rate
        assert abs(np.mean(squares, axis=0)[a] - mf_square) < 0.2 * mf_square


def test_sampling_dmft_populations_rejects_bad_arguments():
    key = jax.random.PRNGKey(0)
    with pytest.raises(jc.ConfigError, match="gains"):
        jc.sampling_dmft_populations([1.0, 2.0], [1.0], key=key, t_max=5.0)
    with pytest.raises(jc.ConfigError, match="fractions"):
        jc.sampling_dmft_populations(np.ones((2, 2)), [0.5, 0.6], key=key, t_max=5.0)
    with pytest.raises(jc.ConfigError, match="mean_couplings"):
        jc.sampling_dmft_populations(np.ones((2, 2)), [0.5, 0.5], key=key, t_max=5.0,
                                     mean_couplings=[1.0, 2.0])
    with pytest.raises(jc.ConfigError, match="drives"):
        jc.sampling_dmft_populations(np.ones((2, 2)), [0.5, 0.5], key=key, t_max=5.0,
                                     drives=[1.0])
