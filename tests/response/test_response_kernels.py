"""Response kernels: three estimators against the exact kernel of a linear map and against each
other on a noisy Cessac network; the mean-field kernel; susceptibility; power spectra; errors."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError


class NoisyLinearMap(jc.AbstractMap):
    """x ← A x + σ B: every response estimator must give R(t) = A^t."""

    a: jax.Array
    noise: jax.Array | None

    @property
    def n(self):
        return self.a.shape[0]

    def map(self, t, x, args):
        return self.a @ x


def _linear(seed=0, n=4, noise=0.5):
    a = np.random.default_rng(seed).standard_normal((n, n)) / (2 * math.sqrt(n))
    return NoisyLinearMap(jnp.asarray(a), jnp.asarray(noise)), a


def _powers(a, n_lags):
    return np.stack([np.linalg.matrix_power(a, t) for t in range(n_lags + 1)])


def test_linear_map_all_estimators_give_matrix_powers(getkey):
    """Tangent propagation and the mean-field kernel are exact for a linear map (the Jacobian is
    A on every path): equal to A^t to rounding. Central differences of a linear map are exact
    up to rounding of x/ε (eps·|x|/ε ≈ 1e-10). The noise estimator is exact in expectation:
    within 5 of its standard errors (96 entries; a 5σ excursion has probability ~3e-5 each)."""
    system, a = _linear()
    n_lags = 5
    exact = _powers(a, n_lags)
    tangent = jc.tangent_response(system, getkey(), n_lags=n_lags, n_trajectories=16,
                                  t_warmup=20)
    np.testing.assert_allclose(tangent.kernel, exact, rtol=0, atol=1e-13)
    fd = jc.finite_difference_response(system, getkey(), n_lags=n_lags, n_trajectories=16,
                                       t_warmup=20)
    np.testing.assert_allclose(fd.kernel, exact, rtol=0, atol=1e-9)
    noise = jc.noise_response(system, getkey(), n_lags=n_lags, n_kicks=2000,
                              n_trajectories=32, t_warmup=20)
    assert noise.stderr.max() < 0.02   # the test below has power: 2000·32 samples per entry
    assert np.all(np.abs(noise.kernel - exact) <= 5 * noise.stderr)
    squared = jc.squared_response(system, getkey(), n_lags=n_lags, n_trajectories=4,
                                  t_warmup=20)
    np.testing.assert_allclose(squared, (exact**2).sum(axis=(1, 2)), rtol=1e-13)
    states = jc.stationary_states(system, getkey(), n_trajectories=8, t_warmup=20)
    np.testing.assert_allclose(jc.mean_field_kernel(system, states, n_lags=n_lags), exact,
                               rtol=0, atol=1e-13)


def test_noisy_cessac_estimators_agree(getkey):
    """A noisy, leaky Cessac network at weak coupling (g = 0.5, σ = 0.5), kicks at three neurons.
    Tangent and finite differences follow the same paths: they differ by the O(ε²) curvature
    term and rounding (≲ 1e-8). The noise estimator is independent: within 5 combined standard
    errors. The mean-field kernel neglects slope correlations along paths, small at this
    coupling: within 5 tangent standard errors plus 0.01 (the kernel is O(1) at lag 0)."""
    net = jc.CessacNetwork.random(getkey(), 20, 0.5, leak=0.3, noise=0.5, threshold_std=0.3)
    directions = jnp.eye(20)[:, :3]
    kw = dict(n_lags=6, t_warmup=100, directions=directions)
    key = getkey()   # the same key: the same initial states and noise for tangent and pairs
    tangent = jc.tangent_response(net, key, n_trajectories=128, **kw)
    fd = jc.finite_difference_response(net, key, n_trajectories=128, **kw)
    noise = jc.noise_response(net, getkey(), n_kicks=2000, n_trajectories=32, **kw)
    np.testing.assert_allclose(fd.kernel, tangent.kernel, rtol=0, atol=1e-8)
    combined = np.sqrt(tangent.stderr**2 + noise.stderr**2)
    assert np.all(np.abs(tangent.kernel - noise.kernel) <= 5 * combined)
    assert float(tangent.kernel[1, :3].max()) > 20 * float(combined[1].max())  # a signal
    states = jc.stationary_states(net, getkey(), n_trajectories=128, t_warmup=100)
    mf = jc.mean_field_kernel(net, states, n_lags=6, directions=directions)
    assert np.all(np.abs(mf - tangent.kernel) <= 5 * tangent.stderr + 0.01)


def test_fd_follows_tangent_pathwise_in_chaos(getkey):
    """Without noise, in chaos (g = 1.5), each finite-difference pair started from the same
    states follows its tangent to O(ε² e^{2λt}) ≈ 1e-9: the single-trajectory kernels (M = 2,
    no averaging to hide behind) agree to 1e-6 over 5 lags."""
    net = jc.CessacNetwork.random(getkey(), 20, 1.5)
    kw = dict(n_lags=5, n_trajectories=2, t_warmup=50, directions=jnp.eye(20)[:, :2])
    key = getkey()
    tangent = jc.tangent_response(net, key, **kw)
    fd = jc.finite_difference_response(net, key, **kw)
    np.testing.assert_allclose(fd.kernel, tangent.kernel, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fd.stderr, tangent.stderr, rtol=0, atol=1e-6)
    assert float(jnp.abs(tangent.kernel[1:]).max()) > 0.02   # a kernel that is not trivially 0


def test_susceptibility_of_linear_kernel_is_the_resolvent():
    """χ(f) = Σ_t A^t e^{-iωt} = (I − A e^{-iω})^{-1}; with ρ(A) < 0.6 the sum truncated at
    t = 80 misses < 0.6^80 ≈ 2e-18."""
    _, a = _linear(seed=3)
    assert np.abs(np.linalg.eigvals(a)).max() < 0.6
    freqs, chi = jc.susceptibility(_powers(a, 80), [0.0, 0.1, 0.37, 0.5])
    for f, c in zip(np.asarray(freqs), np.asarray(chi), strict=True):
        exact = np.linalg.inv(np.eye(4) - a * np.exp(-2j * math.pi * f))
        np.testing.assert_allclose(c, exact, rtol=0, atol=1e-12)


def test_power_spectrum_of_white_and_ar1_noise():
    """White noise of variance v: S = v. AR(1), x ← a x + B: S(f) = 1/|1 − a e^{-2πif}|².
    2^16 steps in 511 half-overlapping Hann segments of 256: relative standard deviation about
    1/√(511·0.5) ≈ 6 % per frequency; the mean over 129 frequencies is within 2 % and every
    frequency within 30 % (5σ). The window's smoothing bias at a = 0.6 is below 1 %."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((1 << 16, 2)) * np.array([1.0, 2.0])
    freqs, s = jc.power_spectrum(noise, segment=256)
    assert freqs[0] == 0.0 and freqs[-1] == 0.5 and s.shape == (129, 2)
    np.testing.assert_allclose(s.mean(axis=0), [1.0, 4.0], rtol=0.02)
    a, x = 0.6, np.zeros(1 << 16)
    for t in range(1, x.size):   # the reference series, built step by step
        x[t] = a * x[t - 1] + noise[t, 0]
    freqs, s = jc.power_spectrum(x, segment=256)
    exact = 1 / np.abs(1 - a * np.exp(-2j * np.pi * freqs)) ** 2
    ratio = s[1:] / exact[1:]   # f = 0 is removed with each segment's mean
    assert abs(ratio.mean() - 1) < 0.02
    assert np.abs(ratio - 1).max() < 0.3


def test_errors_are_reported(getkey):
    system, _ = _linear()
    with pytest.raises(ConfigError, match="n_lags = 10 reaches beyond the run"):
        jc.noise_response(system, getkey(), n_lags=10, n_kicks=10)
    quiet = NoisyLinearMap(system.a, None)
    with pytest.raises(ConfigError, match="needs a noisy system"):
        jc.noise_response(quiet, getkey(), n_lags=2, n_kicks=10)
    with pytest.raises(ConfigError, match="directions must be an .N, k. stimulus matrix"):
        jc.tangent_response(system, getkey(), n_lags=2, directions=np.eye(3))
    with pytest.raises(ConfigError, match="n_trajectories must be >= 2"):
        jc.tangent_response(system, getkey(), n_lags=2, n_trajectories=1)
    with pytest.raises(ConfigError, match="segment = 100 must lie between 2 and the length"):
        jc.power_spectrum(np.zeros(50), segment=100)
    with pytest.raises(ConfigError, match="AbstractMap"):
        jc.tangent_response(jc.SCSNetwork.random(getkey(), 4, 1.0), getkey(), n_lags=2)


def test_lock_in_and_demodulate_read_a_known_am_signal():
    """x = a cos(2πf_M n) sin(2πf₀n + φ) + c = (a/2)[sin(2π(f₀+f_M)n + φ) + sin(2π(f₀−f_M)n + φ)]:
    over 4000 steps every component has a whole number of cycles, so the lock-in amplitude at
    f₀ ± f_M is (a/2) e^{i(φ − π/2)} to round-off and the carrier itself is absent. A window of
    100 steps (10 carrier and 0.2 modulation periods) gives the envelope a cos(2πf_M n) e^{i(φ−π/2)}
    up to the boxcar's gain sin(πf_M W)/(W sin(πf_M)) and the images at −2f₀ ± f_M (1 %), and
    exactly the boxcar-filtered sum of all components."""
    a, f0, fm, phi, c, n = 0.3, 0.1, 0.002, 0.7, 1.5, 4000
    steps = np.arange(n)
    x = a * np.cos(2 * np.pi * fm * steps) * np.sin(2 * np.pi * f0 * steps + phi) + c
    expected = a / 2 * np.exp(1j * (phi - np.pi / 2))
    for f in (f0 + fm, f0 - fm):
        np.testing.assert_allclose(jc.lock_in(x, f), expected, rtol=0, atol=1e-13)
    assert abs(jc.lock_in(x, f0)) < 1e-13
    # start shifts the phase reference: the same samples read as steps 1000..4999
    np.testing.assert_allclose(jc.lock_in(x, f0 + fm, start=1000),
                               expected * np.exp(-2j * np.pi * (f0 + fm) * 1000), atol=1e-13)
    stacked = np.stack([x, 2 * x], axis=1)          # lock_in works along the time axis
    np.testing.assert_allclose(jc.lock_in(stacked.T, f0 + fm, axis=1), [expected, 2 * expected],
                               atol=1e-13)
    w = 100
    centres, env = jc.demodulate(x, f0, window=w)
    assert env.shape == (n - w + 1,) and centres[0] == (w - 1) / 2

    def boxcar(mu):   # mean of e^{2πiμm} over m = n..n+W−1, relative to its centre
        return 1.0 if mu == 0 else np.sin(np.pi * mu * w) / (w * np.sin(np.pi * mu))

    # x = Re Σ_k B_k e^{2πiν_k m}; 2x e^{-2πif₀m} shifts each B_k to ν_k − f₀ and B_k* to −ν_k − f₀
    exact = 0
    for b, nu in [(expected, f0 + fm), (expected, f0 - fm), (c, 0.0)]:
        for amp, mu in [(b, nu - f0), (np.conj(b), -nu - f0)]:
            exact = exact + amp * boxcar(mu) * np.exp(2j * np.pi * mu * centres)
    np.testing.assert_allclose(env, exact, rtol=0, atol=1e-12)
    # the slow part alone: a cos(2πf_M n) e^{i(φ−π/2)} times the boxcar's gain at f_M
    slow = boxcar(fm) * a * np.cos(2 * np.pi * fm * centres) * np.exp(1j * (phi - np.pi / 2))
    assert np.abs(env - slow).max() < 0.02 * a
    with pytest.raises(ConfigError, match="frequency must be < 0.5"):
        jc.lock_in(x, 0.5)
    with pytest.raises(ConfigError, match="window = 5000 is longer than the run"):
        jc.demodulate(x, f0, window=5000)


def test_effective_connectivity_at_one_step_and_path_sums(getkey):
    """R(1) = ⟨DF⟩ = γI + J diag⟨g φ'(g u)⟩ exactly (the same ensemble as `stationary_states`,
    the mean Jacobian rebuilt here from J and the states); and R_ij(t) = 0 exactly whenever no
    path of length t leads from j to i in the graph of γI + J (seed 001's path sum), here a
    directed ring of N = 12 with self-loops from the leak: R(t) reaches t + 1 neurons."""
    n, gamma, g = 12, 0.3, 1.5
    ring = np.roll(np.eye(n), 1, axis=0) * 0.8      # J_{i+1,i} = 0.8
    net = jc.CessacNetwork(jnp.asarray(ring), g, leak=gamma, thresholds=0.2, noise=0.5)
    key = getkey()
    r = jc.tangent_response(net, key, n_lags=4, n_trajectories=32, t_warmup=50)
    states = np.asarray(jc.stationary_states(net, key, n_trajectories=32, t_warmup=50))
    slope = np.mean(g / np.cosh(g * states) ** 2, axis=0)
    np.testing.assert_allclose(r.kernel[1], gamma * np.eye(n) + ring * slope[None, :],
                               rtol=1e-12, atol=1e-14)
    reach = np.eye(n)
    for t in range(1, 5):
        reach = (gamma * np.eye(n) + ring) @ reach
        k = np.asarray(r.kernel[t])
        assert np.all(k[reach == 0] == 0) and np.all(np.abs(k[reach > 0]) > 1e-6)
        assert np.count_nonzero(reach[:, 0]) == t + 1
