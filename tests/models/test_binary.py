"""Balanced binary E/I network (vVS 1996/1998): the simulator's conventions against a dense
reference, its Erdős–Rényi in-degrees, its stationary rates against the mean-field theory
(`balanced_rates`, and the same theory with exact input-count statistics,
`count_balanced_rates`), the approach to the K → ∞ balance solution, vmap over seeds, and
argument checks.

Numbers behind the tolerances (default parameters: J_E = 2, J_I = 1.8, E = 1, I = 0.8,
θ = (1, 0.7), m0 = 0.1; dt = 0.01, 5 warm-up + 20 time units), measured over 8 seeds (each a
new network and dynamics) at N_E = N_I = 4000, K = 200:
    simulation          m = (0.0307, 0.0614), seed sd (0.0014, 0.0008)
    count mean field        (0.0319, 0.0628)   [N_E = N_I = 16000: simulation (0.0319, 0.0627)]
    balanced_rates          (0.0422, 0.0705)   (Gaussian inputs)
    K → ∞                   (0.1,    0.1)
So the simulation matches the mean field with exact (Binomial) input counts up to a finite-N
offset of -0.0013 (O(K/N) input correlations; gone at N = 16000), while `balanced_rates` is off by
the O(1/K) non-Gaussian correction it omits: count - Gaussian = (-0.0103, -0.0077) at K = 200 and
(-0.0031, -0.0019) at K = 800 (∝ 1/K), against finite-K - limit = O(1/√K) = (-0.058, -0.030).
"""

import inspect

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxchaos._core._errors import ConfigError
from jaxchaos._models._binary import (
    DEFAULT_COUPLINGS,
    DEFAULT_DRIVES,
    BalancedBinaryNetwork,
    binary_rates,
    count_balanced_rates,
    damage_spreading,
    simulate_binary,
)
from jaxchaos._theory._meanfield import balanced_rates, balanced_rates_limit

# |simulation - count mean field| for the mean of 4 seeds at N = 4000, K = 200: the finite-N
# offset 0.0013 plus ~4 standard errors of a 4-seed mean (0.0007 for m_E, 0.0004 for m_I).
COUNT_TOL = 0.004
# A 20% error in the external drive moves the count mean field by (0.017, 0.020) (E, I) at
# m0 = 0.1 ± 0.02: four times COUNT_TOL.
DRIVE_ERROR = 0.2


N, K = 4000, 200.0


def _rates(n, k, key, t_run, seeds):
    """Time-averaged (m_E, m_I) of `seeds` networks (connectivity and dynamics seeds)."""

    out = []
    for key_net, key_dyn in jax.random.split(key, (seeds, 2)):
        net = BalancedBinaryNetwork(key_net, n, n, k)
        out.append(binary_rates(net, key_dyn, t_warmup=5.0, t_run=t_run, dt=0.01))
    return np.asarray(out)


@pytest.fixture(scope="module")
def finite_k():
    """Simulated rates (mean of 4 seeds) and the theories at N_E = N_I = 4000, K = 200."""
    sim = _rates(N, K, jax.random.key(2024), t_run=15.0, seeds=4).mean(axis=0)
    net = BalancedBinaryNetwork(jax.random.key(0), N, N, K)
    return sim, net


def test_fields_match_dense_reference(getkey):
    n_e, n_i, k = 60, 40, 10
    net = BalancedBinaryNetwork(getkey(), n_e, n_i, k, m0=0.13, thresholds=(0.9, 0.6))
    # Dense W from the index arrays: W[i, j] = J_kl/√K for every partner j of i.
    w = np.zeros((n_e + n_i, n_e + n_i))
    pop = np.r_[np.zeros(n_e, int), np.ones(n_i, int)]
    couplings = np.asarray(net.couplings)
    for pre, offset, size, col in ((net.pre_e, 0, n_e, 0), (net.pre_i, n_e, n_i, 1)):
        pre = np.asarray(pre)
        for i in range(n_e + n_i):
            partners = pre[i][pre[i] < size]
            assert np.all(np.diff(partners) > 0)  # sorted, no duplicates
            w[i, partners + offset] = couplings[pop[i], col] / np.sqrt(k)
    assert np.all(np.diag(w) == 0)  # no autapses
    sigma = np.asarray(jax.random.bernoulli(getkey(), 0.3, (n_e + n_i,)))
    external = np.sqrt(k) * np.asarray(net.drives)[pop] * 0.13 - np.asarray(net.thresholds)[pop]
    np.testing.assert_allclose(net.fields(sigma[:n_e], sigma[n_e:]), w @ sigma + external,
                               rtol=1e-12, atol=1e-12)


def test_erdos_renyi_in_degrees(getkey):
    # In-degree from population l ~ Binomial(C, K/C), C = N_l (N_l - 1 within l): mean K and
    # variance K(1 - K/C). 2000 rows per block: SE of the mean 0.2, of the variance ~3%.
    n, k = 2000, 100.0
    degrees = np.asarray(BalancedBinaryNetwork(getkey(), n, n, k).in_degrees())
    for block in (degrees[:n, 0], degrees[n:, 0], degrees[:n, 1], degrees[n:, 1]):
        assert abs(block.mean() - k) < 1.0
        assert block.var() == pytest.approx(k * (1 - k / n), rel=0.15)


def test_count_mean_field_against_brute_force():
    # Independent reference: m = F(m) with F a double sum over Poisson counts (scipy), solved by
    # scipy's fsolve from the Gaussian rates. K = 150: no exact ties u = 0.
    from scipy.optimize import fsolve
    from scipy.stats import poisson

    j, e, theta, m0, k = np.array(DEFAULT_COUPLINGS), np.array(DEFAULT_DRIVES), (1.0, 0.7), 0.1, 150
    n = np.arange(400)

    def excess(m):
        p_e, p_i = poisson.pmf(n, k * m[0]), poisson.pmf(n, k * m[1])
        u = [(j[a, 0] * n[:, None] + j[a, 1] * n[None, :]) / np.sqrt(k) + np.sqrt(k) * e[a] * m0
             - theta[a] for a in range(2)]
        return np.array([p_e @ (u[a] > 0) @ p_i for a in range(2)]) - m

    reference = fsolve(excess, [0.04, 0.07], xtol=1e-13)
    assert np.max(np.abs(excess(reference))) < 1e-10
    np.testing.assert_allclose(count_balanced_rates(j, e, m0, k, theta), reference, atol=1e-9)


def test_rates_match_mean_field_at_finite_k(finite_k):
    sim, net = finite_k
    count, gauss, limit = (np.asarray(x) for x in (net.count_mean_field_rates(),
                                                   net.mean_field_rates(), net.limit_rates()))
    # The simulation is the finite-K state, not the K → ∞ one (0.1, 0.1).
    assert np.all(limit - sim > 0.02)
    # Against the mean field with exact input counts: finite-N offset + sampling noise only.
    np.testing.assert_allclose(sim, count, atol=COUNT_TOL)
    # Against `balanced_rates` (Gaussian inputs): the O(1/K) non-Gaussian correction
    # count - gauss ≈ (-0.010, -0.008) plus the same tolerance; the simulation is much closer
    # to the finite-K `balanced_rates` than to the K → ∞ rates (distance (0.069, 0.038)).
    assert np.all(np.abs(sim - gauss) <= np.abs(count - gauss) + COUNT_TOL)
    assert np.all(np.abs(sim - gauss) < 0.5 * np.abs(sim - limit))
    # The test resolves a 20% error in the external drive, either sign ...
    for factor in (1 - DRIVE_ERROR, 1 + DRIVE_ERROR):
        wrong = eqx.tree_at(lambda x: x.m0, net, net.m0 * factor)
        assert np.all(np.abs(sim - np.asarray(wrong.count_mean_field_rates())) > 3 * COUNT_TOL)
    # ... and, against `balanced_rates` alone, a 20% excess drive (shift (0.017, 0.020)).
    wrong = eqx.tree_at(lambda x: x.m0, net, net.m0 * (1 + DRIVE_ERROR))
    assert np.all(np.abs(sim - np.asarray(wrong.mean_field_rates()))
                  > np.abs(count - gauss) + COUNT_TOL)


def test_rates_approach_balance_limit_as_k_grows(finite_k):
    # Count mean field: K = 200 (N = 4000) → (0.0319, 0.0628), K = 600 (N = 6000) → (0.0509,
    # 0.0743); K → ∞: (0.1, 0.1). The distance to the limit drops by (0.019, 0.012); two seeds
    # at K = 600 (t_run = 8) gave (0.0491, 0.0725) and (0.0522, 0.0742), so the drop is
    # resolved with margin 0.008 and the simulation matches its theory within 2 COUNT_TOL.
    # (Neither K is a perfect square: with the default parameters a rational √K puts the
    # threshold on the lattice of input values, u = 0 has finite probability, and the rates
    # jump with K, e.g. K = 100 → (0.010, 0.046), K = 120 → (0.044, 0.070); the count mean
    # field reproduces this, `balanced_rates` cannot.)
    n_big, k_big = 6000, 600.0
    sims = {K: finite_k[0], k_big: _rates(n_big, k_big, jax.random.key(7), 8.0, 2).mean(axis=0)}
    limit = np.asarray(finite_k[1].limit_rates())
    assert np.all(np.abs(sims[k_big] - limit) < np.abs(sims[K] - limit) - 0.008)
    theory = count_balanced_rates(DEFAULT_COUPLINGS, DEFAULT_DRIVES, 0.1, k_big, (1.0, 0.7),
                                  sizes=(n_big, n_big))
    np.testing.assert_allclose(sims[k_big], theory, atol=2 * COUNT_TOL)


def test_trajectory_continuation_and_vmap_over_seeds(getkey):
    net = BalancedBinaryNetwork(getkey(), 300, 200, 20.0)
    run = simulate_binary(net, getkey(), t1=1.0, dt=0.05)
    assert run.rates.shape == (20, 2) and run.times.shape == (20,)
    assert float(run.times[-1]) == pytest.approx(1.0)
    np.testing.assert_allclose(run.rates[-1], [jnp.mean(run.state_e), jnp.mean(run.state_i)])
    more = simulate_binary(net, getkey(), t1=1.0, dt=0.05, state=(run.state_e, run.state_i))
    assert np.all((more.rates >= 0) & (more.rates <= 1))
    # Dynamics seeds vmap: the batch equals the one-by-one runs.
    keys = jax.random.split(getkey(), 2)
    rates = lambda key: binary_rates(net, key, t_warmup=0.5, t_run=0.5, dt=0.05)  # noqa: E731
    np.testing.assert_allclose(jax.vmap(rates)(keys), np.stack([rates(k) for k in keys]),
                               rtol=1e-12)


def test_bad_input(getkey):
    key = getkey()
    with pytest.raises(ConfigError, match="n_e"):
        BalancedBinaryNetwork(key, 0, 100, 10)
    with pytest.raises(ConfigError, match="n_i"):
        BalancedBinaryNetwork(key, 100, 50.5, 10)
    with pytest.raises(ConfigError, match="exceeds the 49 possible inhibitory"):
        BalancedBinaryNetwork(key, 100, 50, 60)
    with pytest.raises(ConfigError, match="k must be > 0"):
        BalancedBinaryNetwork(key, 100, 100, -5)
    with pytest.raises(ConfigError, match="m0 must be finite"):
        BalancedBinaryNetwork(key, 100, 100, 10, m0=float("nan"))
    with pytest.raises(ConfigError, match="m0 must be >= 0"):
        BalancedBinaryNetwork(key, 100, 100, 10, m0=-0.1)
    with pytest.raises(ConfigError, match="tau must be > 0"):
        BalancedBinaryNetwork(key, 100, 100, 10, tau=(1.0, -0.9))
    with pytest.raises(ConfigError, match="drives must be >= 0"):
        BalancedBinaryNetwork(key, 100, 100, 10, drives=(1.0, -0.8))
    with pytest.raises(ConfigError, match="inhibitory J_kI <= 0"):
        BalancedBinaryNetwork(key, 100, 100, 10, couplings=((1.0, 2.0), (1.0, -1.8)))
    with pytest.raises(ConfigError, match="couplings must have shape"):
        BalancedBinaryNetwork(key, 100, 100, 10, couplings=(1.0, -2.0))
    with pytest.raises(ConfigError, match="thresholds must be finite"):
        BalancedBinaryNetwork(key, 100, 100, 10, thresholds=(1.0, float("inf")))
    net = BalancedBinaryNetwork(key, 100, 100, 10)
    with pytest.raises(ConfigError, match="exceeds tau_I"):
        simulate_binary(net, key, t1=0.95, dt=0.95)
    with pytest.raises(ConfigError, match="updates no E neuron"):
        simulate_binary(net, key, t1=1.0, dt=0.001)
    with pytest.raises(ConfigError, match="whole multiple"):
        simulate_binary(net, key, t1=1.005, dt=0.01)
    with pytest.raises(ConfigError, match="state"):
        simulate_binary(net, key, t1=1.0, dt=0.01, state=(jnp.zeros(99, bool), jnp.zeros(100)))


def test_coupling_operator_is_the_network(getkey):
    """`coupling()` holds the same W as `fields` uses: W σ + external input = fields, and its
    columns (targets of a presynaptic neuron, for event-based updates) match the dense W."""
    n_e, n_i, k = 60, 40, 10
    net = BalancedBinaryNetwork(getkey(), n_e, n_i, k, m0=0.13, thresholds=(0.9, 0.6))
    op = net.coupling()
    pop = np.r_[np.zeros(n_e, int), np.ones(n_i, int)]
    sigma = np.asarray(jax.random.bernoulli(getkey(), 0.3, (n_e + n_i,)))
    external = np.sqrt(k) * np.asarray(net.drives)[pop] * 0.13 - np.asarray(net.thresholds)[pop]
    np.testing.assert_allclose(net.fields(sigma[:n_e], sigma[n_e:]),
                               op @ jnp.asarray(sigma, float) + external, rtol=1e-12, atol=1e-12)
    targets = op.with_layout("columns")
    np.testing.assert_array_equal(targets.to_dense(), op.to_dense())


def test_singular_balance_matrix_is_a_clear_error(getkey):
    """Equal E and I couplings make E m0 + J m = 0 singular: a ConfigError, not NaN rates."""
    singular = [[1.0, -2.0], [1.0, -2.0]]
    with pytest.raises(ConfigError, match="singular balance matrix"):
        balanced_rates(singular, DEFAULT_DRIVES, 0.1, 200)
    with pytest.raises(ConfigError, match="singular balance matrix"):
        balanced_rates_limit(singular, DEFAULT_DRIVES, 0.1)
    net = BalancedBinaryNetwork(getkey(), 200, 200, 20, couplings=singular)
    with pytest.raises(ConfigError, match="singular balance matrix"):
        simulate_binary(net, getkey(), t1=0.1)


def test_theory_and_simulator_share_default_thresholds(getkey):
    net = BalancedBinaryNetwork(getkey(), 100, 100, 10)
    default = inspect.signature(balanced_rates).parameters["thresholds"].default
    np.testing.assert_array_equal(np.asarray(net.thresholds), np.asarray(default))
    np.testing.assert_allclose(net.mean_field_rates(),
                               balanced_rates(DEFAULT_COUPLINGS, DEFAULT_DRIVES, 0.1, 10))


def test_damage_spreading(getkey):
    """One flip in the chaotic balanced state (defaults, K = 100, N_E = N_I = 2000) spreads
    to a finite fraction of the network within 10 τ (vVS: chaotic at any K; measured ~190
    neurons, over half the 2 m(1 - m) N ≈ 350 of two independent states, so > 50 is asserted); an
    identical copy
    stays identical under the same updates; without couplings (a control with no recurrent
    instability) the flipped neuron is reset at its next update and the distance decays to 0."""
    net = BalancedBinaryNetwork(getkey(), 2000, 2000, 100)
    run = simulate_binary(net, getkey(), t1=3.0)
    state = (run.state_e, run.state_i)
    key = getkey()
    same = damage_spreading(net, key, t1=5.0, state=state, flip=None)
    assert int(jnp.max(same)) == 0
    grown = np.asarray(damage_spreading(net, key, t1=10.0, state=state, flip=3))
    assert grown[-100:].mean() > 50
    control = eqx.tree_at(lambda n: n.couplings, net, jnp.zeros((2, 2)))
    healed = np.asarray(damage_spreading(control, key, t1=10.0, state=state, flip=3))
    assert healed.max() <= 1 and healed[-1] == 0


def test_exact_asynchronous_mode_matches_count_mean_field(getkey):
    """Exact asynchronous dynamics (one neuron per event, Poisson clocks) at N_E = N_I = 2000,
    K = 100 (a perfect square: the commensurate case where u = 0 has finite probability and
    only the exact-count theory is right): time-averaged rates over [5, 15] vs
    `count_balanced_rates` for this network. Measured: (0.0101, 0.0460) vs (0.0099, 0.0464);
    the tolerance COUNT_TOL (finite-N offset plus seed spread, module docstring) still
    separates them from the Gaussian `balanced_rates` (0.037, 0.068)."""
    net = BalancedBinaryNetwork(getkey(), 2000, 2000, 100)
    run = simulate_binary(net, getkey(), t1=15.0, dt=0.05, mode="exact", watch=2100)
    rates = np.asarray(run.rates[100:]).mean(axis=0)
    count = np.asarray(net.count_mean_field_rates())
    assert np.all(np.abs(rates - count) < COUNT_TOL)
    assert np.all(np.abs(np.asarray(net.mean_field_rates()) - count) > 4 * COUNT_TOL)
    # The recorded input components of neuron 2100 add up to the simulator's own field.
    parts = np.asarray(run.inputs)
    np.testing.assert_allclose(parts[:, 0] + parts[:, 1] + parts[:, 2] - 0.7, parts[:, 3],
                               atol=1e-12)
    field = net.fields(run.state_e, run.state_i, jnp.array([2100]))[0]
    np.testing.assert_allclose(parts[-1, 3], field, atol=1e-12)
    assert parts[:, 0].min() >= 0 and parts[:, 1].max() <= 0


def test_fixed_order_sweep_mode(getkey):
    """Seed 000's schedule (every neuron once per unit time, one fixed order): its stationary
    rates obey the same mean field (N_E = N_I = 2000, K = 100, τ_E = τ_I = 1; measured
    (0.0078, 0.0445) vs (0.0099, 0.0464), within COUNT_TOL), and it needs τ_E = τ_I = dt."""
    net = BalancedBinaryNetwork(getkey(), 2000, 2000, 100, tau=(1.0, 1.0))
    run = simulate_binary(net, getkey(), t1=15.0, dt=1.0, mode="sweep")
    rates = np.asarray(run.rates[5:]).mean(axis=0)
    assert np.all(np.abs(rates - np.asarray(net.count_mean_field_rates())) < COUNT_TOL)
    with pytest.raises(ConfigError, match="sweep"):
        simulate_binary(BalancedBinaryNetwork(getkey(), 100, 100, 10), getkey(), t1=2.0,
                        dt=1.0, mode="sweep")
