"""Balanced rate networks: exact tangent dynamics, the balance equation and common-input
cancellation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

N, T_RECORD, WARMUP = 200, 0.1, 100


def _run(net, t1=60.0):
    sim = jc.simulate(net, key=jax.random.PRNGKey(2), t1=t1, dt=0.05, record_every=T_RECORD)
    x = np.asarray(sim.records["trajectory"])[WARMUP:]
    times = T_RECORD * np.arange(1, x.shape[0] + WARMUP + 1)[WARMUP:]
    return x, times


@pytest.mark.parametrize("k", [None, 20])
def test_balanced_jvp_is_the_derivative(k):
    """The analytic JVP (-v + J diag φ'(x) v through the operator) equals jax.jvp of the vector
    field away from the ReLU kink: float64 rounding, 1e-12."""
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(0), 50, k=k)
    x = jax.random.normal(jax.random.PRNGKey(1), (50,)) + 0.05
    v = jax.random.normal(jax.random.PRNGKey(3), (50, 3))
    auto = jax.vmap(lambda c: jax.jvp(lambda y: net.vector_field(0.0, y, None), (x,), (c,))[1],
                    in_axes=1, out_axes=1)(v)
    np.testing.assert_allclose(net.jvp(0.0, x, v, None), auto, atol=1e-12)


def test_sparse_balanced_network_has_k_distinct_partners():
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(0), 60, k=15)
    dense = np.asarray(net.weights.to_dense())
    assert np.all(np.count_nonzero(dense, axis=1) == 15)
    assert np.all(np.diag(dense) == 0)
    np.testing.assert_allclose(float(net.drive), np.sqrt(15.0))


def test_population_rate_follows_balance_equation():
    """The time-averaged mean equation ⟨x̄⟩ = Σ_j c_j⟨φ_j⟩ + √N I0 is exact up to
    (x̄(T) - x̄(0))/T and step error (~1e-4 here; 2e-3 relative tolerance); ν itself is
    I0/J0 = 1 up to O(1/√N) (measured 0.12 at N = 400; tolerance 4/√N)."""
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(1), N, gain=2.0)
    x, _ = _run(net)
    rates = np.maximum(x, 0.0)
    nu = rates.mean()
    implied = float(jc.balance_rate(net, x.mean(), rates.mean(axis=0)))
    assert abs(implied - nu) < 2e-3 * nu
    assert abs(nu - 1.0) < 4 / np.sqrt(N)


def test_common_input_is_cancelled_in_the_population_mean():
    """Common input I1 sin(2πft) (I1 = 1, f = 0.2): the population-mean state's response
    amplitude is the linear balance prediction I1/|1 + 2πif + √N J0 β| (β = fraction active),
    within 20% at N = 400 (measured 3%; 27% at N = 200: the linearisation's O(1/√N) error, as
    β varies over the cycle), and far below the uncoupled response I1/|1 + 2πif| = 0.62."""
    n = 400
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(1), n, gain=2.0,
                                        input=jc.SinusoidalInput(1.0, 0.2))
    x, times = _run(net)
    mean = x.mean(axis=1)
    omega = 2 * np.pi * 0.2
    amplitude = 2 * abs(np.mean((mean - mean.mean()) * np.exp(-1j * omega * times)))
    beta = float(np.mean(x > 0))
    predicted = float(jc.common_response_amplitude(1.0, 0.2, n, 1.0, beta))
    assert abs(amplitude - predicted) < 0.2 * predicted
    assert amplitude < 0.5 / abs(1 + 1j * omega)


def test_balanced_network_rejects_odd_nonlinearity():
    with pytest.raises(jc.ConfigError, match="nonlinearity"):
        jc.BalancedRateNetwork(jnp.zeros((3, 3)), 1.0, nonlinearity="tanh")


def test_balanced_ensemble_dense_statistics():
    """Dense balanced ensemble: iid entries of mean -J0/√N and variance g²/N, the diagonal drawn
    too; mean and variance of the N² entries within 5 standard errors (standard error of the
    mean s/N, of the sample variance's ratio √(2/N²)); the column means c_j scatter by g/N."""
    n, gain, j0 = 300, 2.0, 1.5
    ens = jc.balanced_ensemble(gain, j0)
    assert isinstance(ens, jc.Ensemble) and ens.scaling == "balanced"
    w = np.asarray(ens.sample(jax.random.PRNGKey(3), n))
    assert w.shape == (n, n) and np.all(np.diag(w) != 0)
    s = gain / np.sqrt(n)
    assert abs(w.mean() + j0 / np.sqrt(n)) < 5 * s / n
    assert abs(w.var() / s**2 - 1) < 5 * np.sqrt(2.0) / n
    column_means = w.mean(axis=0) + j0 / np.sqrt(n)
    assert abs(column_means.std() / (gain / n) - 1) < 5 / np.sqrt(2 * n)


def test_balanced_ensemble_sparse_statistics():
    """Sparse balanced ensemble: exactly K distinct partners per neuron, none itself, weights of
    mean -J0/√K and variance g²/K (5 standard errors over the NK weights); every neuron is a
    partner K times on average (the out-degree is Binomial-like: mean K exactly)."""
    n, k, gain, j0 = 400, 40, 2.0, 1.0
    w = np.asarray(jc.balanced_ensemble(gain, j0, k).sample(jax.random.PRNGKey(4), n)
                   .to_dense())
    present = w != 0
    np.testing.assert_array_equal(present.sum(axis=1), k)
    assert not np.any(np.diag(present))
    assert present.sum(axis=0).mean() == k
    values = w[present]
    s = gain / np.sqrt(k)
    assert abs(values.mean() + j0 / np.sqrt(k)) < 5 * s / np.sqrt(values.size)
    assert abs(values.var() / s**2 - 1) < 5 * np.sqrt(2.0 / values.size)


@pytest.mark.parametrize("k", [None, 25])
def test_balanced_network_draws_through_the_ensemble(k):
    """`BalancedRateNetwork.random` uses the shared connectivity layer: the same key gives the
    ensemble's matrix, and the drive is √N I0 (dense) or √K I0 (sparse)."""
    key, n = jax.random.PRNGKey(5), 120
    net = jc.BalancedRateNetwork.random(key, n, gain=1.5, j0=0.8, i0=0.7, k=k)
    drawn = jc.balanced_ensemble(1.5, 0.8, k).sample(key, n)
    as_array = jc.as_operator
    np.testing.assert_array_equal(as_array(net.weights).to_dense(), as_array(drawn).to_dense())
    np.testing.assert_allclose(float(net.drive), 0.7 * np.sqrt(n if k is None else k))


def test_balanced_ensemble_rejects_bad_arguments():
    with pytest.raises(jc.ConfigError, match="j0"):
        jc.balanced_ensemble(2.0, -1.0)
    with pytest.raises(jc.ConfigError, match="gain"):
        jc.balanced_ensemble(-2.0, 1.0)
    with pytest.raises(jc.ConfigError, match="k"):
        jc.balanced_ensemble(2.0, 1.0, k=2.5)


def _ks_distance(a, b):
    """Two-sample Kolmogorov–Smirnov distance max |F_a - F_b|."""
    grid = np.sort(np.concatenate([a, b]))
    cdf = [np.searchsorted(np.sort(s), grid, side="right") / s.size for s in (a, b)]
    return np.max(np.abs(cdf[0] - cdf[1]))


def test_balanced_network_statistics_match_sampling_dmft():
    """Simulated balanced network (N = 400, g = 2, I0 = J0 = 1, ReLU, I1 = 0; 3 networks, t in
    [20, 60]) vs `sampling_dmft` at the same N (J̄ = -√N J0, I_0 = √N I0; M = 2000, 10 iterations).

    Measured: mean state ⟨x⟩ -1.86 (networks -1.79 to -1.89) vs -1.76; ⟨φ²⟩ 5.42 (5.12 to 5.57)
    vs 5.38; ν - I0/J0 = 0.098 vs 0.094 (the O(1/√N) balance correction). Tolerances 10%
    (⟨x⟩, ν - 1) and 8% (⟨φ²⟩): about 3 network-to-network standard errors of a mean of 3
    networks, and far below the theory's sensitivity to g (at g = 1.7 / 2.4 the theory gives
    ⟨x⟩ = -0.72 / -3.92, ⟨φ²⟩ = 4.10 / 8.55). Distribution of the neurons' time-averaged rates
    over the same window (`SamplingMeanField.time_averaged_rates`): pooled KS distance 0.05
    (two networks differ from each other by KS 0.05 to 0.16 at this N), tolerance 0.1. This
    distribution is weakly sensitive to g at N = 400 (KS 0.03 at g = 1.7), so the moments carry
    the test."""
    n, t0, t1 = 400, 20.0, 60.0
    means, squares, rates, averaged = [], [], [], []
    for seed in range(3):
        net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(seed), n, gain=2.0)
        sim = jc.simulate(net, key=jax.random.PRNGKey(10 + seed), t1=t1, dt=0.05,
                          record_every=0.1)
        x = np.asarray(sim.records["trajectory"])[int(t0 / 0.1) - 1:]  # t = 20.0 ... 60.0
        r = np.maximum(x, 0.0)
        means.append(x.mean())
        squares.append((r**2).mean())
        rates.append(r.mean())
        averaged.append(r.mean(axis=0))
    mf = jc.sampling_dmft(2.0, key=jax.random.PRNGKey(0), t_max=t1, dt=0.1, samples=2000,
                          iterations=10, nonlinearity="relu", mean_coupling=-np.sqrt(n),
                          drive=np.sqrt(n))
    start = int(t0 / 0.1)
    mf_mean = float(mf.mean_state[start:].mean())
    mf_square = float(np.diagonal(mf.rate_correlation)[start:].mean())
    mf_rate = float(mf.rate[start:].mean())
    assert abs(np.mean(means) - mf_mean) < 0.10 * abs(mf_mean)
    assert abs(np.mean(squares) - mf_square) < 0.08 * mf_square
    assert abs((np.mean(rates) - 1.0) - (mf_rate - 1.0)) < 0.10 * (mf_rate - 1.0)
    sampled = np.asarray(mf.time_averaged_rates(t0))
    assert sampled.shape == (2000,)
    assert _ks_distance(np.concatenate(averaged), sampled) < 0.1
    quartiles = np.asarray(mf.rate_distribution(t0, quantiles=(0.25, 0.75)))
    np.testing.assert_allclose(quartiles, np.quantile(sampled, [0.25, 0.75]))
