"""The sampling (Eissfeller–Opper) DMFT solver against the SCS DMFT and its own sampling error."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

T_MAX, DT, START = 30.0, 0.1, 8.0


@pytest.mark.parametrize("gain", [2.0, 2.5])
def test_sampling_dmft_matches_scs_dmft(gain):
    """Δ0, Δ(τ) and λ_max from 2000 samples, 15 iterations, vs `scs_dmft` (exact to ~1e-10).
    Measured over 3 keys (README): Δ0 1.890 ± 0.020 vs 1.925 (g = 2), 3.480 ± 0.054 vs 3.495
    (g = 2.5); λ_max 0.119 ± 0.004 vs 0.112, 0.179 ± 0.008 vs 0.176. Tolerances: 9% for Δ0
    (about 4 spreads plus the 2% offset at g = 2), 0.02 for λ_max (2.5 spreads plus offset)."""
    ref = jc.scs_dmft(gain)
    result = jc.sampling_dmft(gain, key=jax.random.PRNGKey(0), t_max=T_MAX, dt=DT,
                              samples=2000, iterations=15, lyapunov_start=START)
    delta = np.asarray(result.stationary(START))
    delta0 = float(ref.delta0)
    assert abs(delta[0] - delta0) < 0.09 * delta0
    lags = np.arange(delta.size) * DT
    ref_delta = np.interp(lags, np.asarray(ref.tau), np.asarray(ref.delta))
    assert np.max(np.abs(delta[lags <= 10] - ref_delta[lags <= 10])) < 0.1 * delta0
    assert abs(float(result.lyapunov) - float(ref.lyapunov)) < 0.02
    # A sampled mean of an odd φ with no mean input: zero within sampling error.
    assert abs(float(jnp.mean(result.rate))) < 0.05


def test_sampling_error_shrinks_as_inverse_sqrt_samples():
    """Spread of Δ0 over 6 keys at M = 200 and M = 3200 samples: ratio √16 = 4 expected. A
    spread from 6 keys is uncertain by ~30%, so the ratio must lie in [2, 8]."""
    def delta0(samples, key):
        result = jc.sampling_dmft(2.0, key=key, t_max=20.0, dt=0.2, samples=samples,
                                  iterations=10)
        return result.stationary(6.0)[0]

    keys = jax.random.split(jax.random.PRNGKey(1), 6)
    small = np.std([float(delta0(200, k)) for k in keys])
    large = np.std([float(delta0(3200, k)) for k in keys])
    assert 2.0 < small / large < 8.0


def test_sampling_dmft_balanced_mean_feedback():
    """Balanced mean feedback (J̄ = -J0√N, I_0 = √N I0, ReLU): the sampled population rate
    obeys the balance equation ν = I0/J0 - ⟨μ - ...⟩: exactly, μ = J̄ν + I_0 at every step
    (Newton to round-off), and ν = I0/J0 + O(1/√N)."""
    n = 400.0
    result = jc.sampling_dmft(2.0, key=jax.random.PRNGKey(2), t_max=20.0, dt=0.1, samples=1000,
                              iterations=8, nonlinearity="relu", mean_coupling=-np.sqrt(n),
                              drive=np.sqrt(n))
    mu, nu = np.asarray(result.mean_input), np.asarray(result.rate)
    np.testing.assert_allclose(mu, -np.sqrt(n) * nu + np.sqrt(n), atol=1e-9)
    assert abs(np.mean(nu[50:]) - 1.0) < 4 / np.sqrt(n)


def test_sampling_dmft_rejects_bad_arguments():
    with pytest.raises(jc.ConfigError, match="independent"):
        jc.sampling_dmft(2.0, key=jax.random.PRNGKey(0), t_max=10.0, independent=True)
    with pytest.raises(jc.ConfigError, match="samples"):
        jc.sampling_dmft(2.0, key=jax.random.PRNGKey(0), t_max=10.0, samples=0)
    with pytest.raises(jc.ConfigError, match="lyapunov_start"):
        jc.sampling_dmft(2.0, key=jax.random.PRNGKey(0), t_max=10.0, lyapunov_start=9.9)


def test_time_averaged_rates_window_and_errors():
    """`time_averaged_rates` averages each sample's φ(x) over the grid points of the window;
    a window without two grid points or bad quantiles are `ConfigError`s."""
    result = jc.sampling_dmft(2.0, key=jax.random.PRNGKey(0), t_max=4.0, dt=0.5, samples=30,
                              iterations=2, nonlinearity="relu")
    rates = np.asarray(result.sample_rates)
    assert rates.shape == (9, 30)
    np.testing.assert_allclose(result.time_averaged_rates(1.0, 3.0), rates[2:7].mean(axis=0))
    np.testing.assert_allclose(result.rate, rates.mean(axis=1))
    with pytest.raises(jc.ConfigError, match="t_start"):
        result.time_averaged_rates(4.0)
    with pytest.raises(jc.ConfigError, match="quantiles"):
        result.rate_distribution(1.0, quantiles=(0.5, 1.5))
