"""Dynamic mean-field theory by sampling (Eissfeller & Opper, PRL 68:2094, 1992): the single-site
process is simulated for many independent samples, its statistics are fed back as the Gaussian
recurrent input's covariance, and this is repeated until self-consistent. It needs no stationarity,
no odd φ and no Gaussian closure for the mean, so it covers what `scs_dmft` cannot: a mean
coupling (balanced networks), non-odd φ (ReLU, rectified tanh), a constant mean input, white
noise, quenched input heterogeneity and periodic drive, common or with independent phases.

Single-site process on the grid t_n = n·dt, n = 0..T-1 (time in units of τ = 1):

    dx/dt = -x + η(t) + μ(t) + h + I(t) + σ ξ(t),
    ⟨η(t)η(s)⟩ = g² C(t, s),   C(t, s) = ⟨φ(x(t)) φ(x(s))⟩,
    μ(t) = J̄ ν(t) + I_0,       ν(t) = ⟨φ(x(t))⟩,

with ⟨·⟩ the average over samples (over neurons in the network). This is the N → ∞ theory of
dx_i/dt = -x_i + Σ_j J_ij φ(x_j) + I_0 + h_i + I_i(t) + σ ξ_i with J_ij = J̄/N + g z_ij/√N, so
for the balanced network of `_models/_balanced.py` J̄ = -J0 √N and I_0 = √N I0 keep their
finite-N values (the mean feedback is what cancels a common input). h ~ N(0, σ_h²) is quenched
per sample (heterogeneity), ξ white noise (σ the noise strength), I(t) an `AbstractInput`:
common to all samples, or with an independent uniform phase per sample (`independent=True`).
The mean feedback is solved implicitly at each step (a few Newton steps on the scalar μ), so
strong feedback (J̄ ν' dt ≫ 1) stays stable.

One iteration: η = L z with L Lᵀ = g² C + ε I (Cholesky, ε = 1e-10·max diag), z ~ N(0, 1)
per sample; x integrated exactly for η, μ, I linear between grid points (x_{n+1} = e^{-dt} x_n +
a·drive_n + b·drive_{n+1}); then C ← (1 - damping) C + damping·φᵀφ/M. The statistics of the last
iteration are returned. Sampling error: O(1/√M) (M = `samples`) in every statistic.

Largest Lyapunov exponent: a perturbation's covariance ε(t, s) = ⟨δx(t) δx(s)⟩ obeys
(∂_t + 1)(∂_s + 1) ε = g² Q(t, s) ε with Q(t, s) = ⟨φ'(x(t)) φ'(x(s))⟩ (Price's theorem; the
mean feedback's response to a perturbation is neglected: decorrelating perturbations have zero
population mean). With u = e^{t+s} ε, ∂_t ∂_s u = g² Q u, integrated by the trapezoid rule on
the grid from u = 1 on the boundaries t = t_λ or s = t_λ; λ_max = ½ d/dt ln ε(t, t) fitted over
the second half of [t_λ, t_max]. For stationary statistics it equals `scs_dmft`'s Schrödinger
ground state.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from .._core._errors import ConfigError, check_real
from .._core._inputs import AbstractInput, SinusoidalInput
from .._core._nonlinearities import Nonlinearity
from .._core._results import result_repr

_HIGHEST = jax.lax.Precision.HIGHEST


class SamplingMeanField(eqx.Module):
    """Result of `sampling_dmft` (statistics of the last iteration, M samples).

    - `times` (T,): the grid t_n = n·dt.
    - `mean_state` m(t) = ⟨x⟩, `rate` ν(t) = ⟨φ(x)⟩, `mean_input` μ(t) = J̄ ν + I_0 (T,).
    - `state_correlation` ⟨x(t)x(s)⟩, `rate_correlation` C(t, s) = ⟨φφ⟩,
      `slope_correlation` Q(t, s) = ⟨φ'φ'⟩ (T, T): raw second moments, not connected.
    - `lyapunov`: λ_max (1/time; NaN if `lyapunov_start` is None).
      `log_perturbation` (T,): ln ε(t, t) from t_λ on (0 before).
    - `change` (iterations,): max |C_new - C_old| / max C_old of each iteration.
    - `sample_rates` (T, M): φ(x(t_n)) of every sample of the last iteration (the single-site
      rates, whose time averages give the distribution of single-neuron rates).
    """

    __repr__ = result_repr

    times: jax.Array
    mean_state: jax.Array
    rate: jax.Array
    mean_input: jax.Array
    state_correlation: jax.Array
    rate_correlation: jax.Array
    slope_correlation: jax.Array
    lyapunov: jax.Array
    log_perturbation: jax.Array
    change: jax.Array
    sample_rates: jax.Array

    def time_averaged_rates(self, t_start: float, t_end: float | None = None) -> jax.Array:
        """(M,) each sample's rate φ(x) averaged over the grid points t_start ≤ t_n ≤ t_end
        (default: to t_max): what a network's neurons' time-averaged rates over the same window
        are distributed like. (Over a finite window: comparisons need equal windows.)"""
        times = self.times
        dt = float(times[1] - times[0])
        last = float(times[-1]) if t_end is None else t_end
        start, stop = int(round(t_start / dt)), int(round(last / dt)) + 1
        if not 0 <= start < stop - 1 or stop > times.shape[0]:
            raise ConfigError(f"the window [t_start, t_end] = [{t_start}, {t_end}] must hold at "
                              f"least two grid points of [0, {float(times[-1])}]")
        return jnp.mean(self.sample_rates[start:stop], axis=0)

    def rate_distribution(self, t_start: float, t_end: float | None = None,
                          quantiles=(0.1, 0.25, 0.5, 0.75, 0.9)) -> jax.Array:
        """Quantiles of the single-site time-averaged rates (`time_averaged_rates`): the
        theory's distribution of single-neuron rates, sampling error O(1/√M)."""
        q = jnp.asarray(quantiles, self.sample_rates.dtype)
        if q.ndim != 1 or bool(jnp.any((q < 0) | (q > 1))):
            raise ConfigError(f"quantiles must be a list of numbers in [0, 1], got {quantiles!r}")
        return jnp.quantile(self.time_averaged_rates(t_start, t_end), q)

    def stationary(self, t_start: float, name: str = "state_correlation"):
        """Δ(τ_k) = mean over t_n ≥ t_start of the named (T, T) statistic at (t_n, t_n + τ_k),
        τ_k = k·dt for k < T - n_start: the stationary profile (e.g. Δ(τ), Δ0 = Δ(0))."""
        dt = self.times[1] - self.times[0]
        start = int(round(t_start / float(dt)))
        matrix = getattr(self, name)[start:, start:]
        size = matrix.shape[0]
        if size < 2:
            raise ConfigError(f"t_start = {t_start} leaves fewer than two grid points")
        lag, row = jnp.arange(size)[:, None], jnp.arange(size)[None, :]
        inside = row + lag < size
        values = matrix[row, jnp.minimum(row + lag, size - 1)]
        return jnp.sum(jnp.where(inside, values, 0.0), axis=1) / jnp.sum(inside, axis=1)


def _exact_weights(dt):
    """x_{n+1} = E x_n + a f_n + b f_{n+1} for dx/dt = -x + f, f linear on [t_n, t_{n+1}]."""
    decay = math.exp(-dt)
    b = 1.0 - (1.0 - decay) / dt
    return decay, (1.0 - decay) - b, b


def _lyapunov_from_slopes(q, gain, dt, start: int):
    """λ_max from Q on the grid (module docstring): trapezoid rule for ∂t∂s u = g² Q u."""
    a = (gain**2 * dt**2) * q[start:, start:]
    size = a.shape[0]

    def next_row(row, a_pair):
        a_now, a_next = a_pair  # a at rows i and i + 1
        denominator = 1.0 - a_next[1:] / 4
        alpha = (1.0 + a_next[:-1] / 4) / denominator
        beta = (row[1:] * (1.0 + a_now[1:] / 4) - row[:-1] * (1.0 - a_now[:-1] / 4)) / denominator

        def compose(first, second):  # second ∘ first for u ↦ α u + β
            return second[0] * first[0], second[0] * first[1] + second[1]

        alphas, betas = jax.lax.associative_scan(compose, (alpha, beta))
        new = jnp.concatenate([jnp.ones(1, row.dtype), alphas + betas])  # u[i+1, 0] = 1
        return new, new

    first = jnp.ones(size, a.dtype)
    _, rows = jax.lax.scan(next_row, first, (a[:-1], a[1:]))
    u = jnp.concatenate([first[None], rows])
    return equal_time_growth(jnp.diagonal(u), dt, start)


def equal_time_growth(diagonal, dt, start):
    """λ_max from the equal-time perturbation ε(t, t) e^{2t} = `diagonal` (the e^{-2t} of the
    damping factored out) on the grid t = 0, dt, ...: half the least-squares slope of
    log ε(t, t) over the second half of the window; and log ε(t, t), padded with `start` zeros
    to the full time grid."""
    elapsed = dt * jnp.arange(diagonal.shape[0], dtype=diagonal.dtype)
    log_eps = jnp.log(diagonal) - 2.0 * elapsed
    half = diagonal.shape[0] // 2
    t_fit, y_fit = elapsed[half:], log_eps[half:]
    t_c = t_fit - jnp.mean(t_fit)
    slope = jnp.sum(t_c * (y_fit - jnp.mean(y_fit))) / jnp.sum(t_c**2)
    return 0.5 * slope, jnp.concatenate([jnp.zeros(start, diagonal.dtype), log_eps])


class _Config(eqx.Module):
    phi: Nonlinearity
    input: AbstractInput | None
    independent: bool = eqx.field(static=True)
    samples: int = eqx.field(static=True)
    steps: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    iterations: int = eqx.field(static=True)
    newton_steps: int = eqx.field(static=True)
    lyapunov_start: int | None = eqx.field(static=True)
    feedback: bool = eqx.field(static=True)


@eqx.filter_jit
def _solve(config: _Config, params, key):
    gain, mean_coupling, drive, noise, heterogeneity, initial_std, damping = params
    phi, m, t_count, dt = config.phi, config.samples, config.steps, config.dt
    dtype = gain.dtype
    times = dt * jnp.arange(t_count, dtype=dtype)
    decay, a, b = _exact_weights(dt)
    noise_std = noise * math.sqrt((1.0 - decay**2) / 2.0)  # exact OU increment per step

    def external(uniform):
        if config.input is None:
            return jnp.zeros((1, t_count), dtype)
        if config.independent:
            inp, phases = config.input, 2 * jnp.pi * uniform[:, None]
            return inp.amplitude * jnp.sin(2 * jnp.pi * inp.frequency * times + inp.phase + phases)
        return jax.vmap(config.input)(times).reshape(1, t_count)

    def run(corr, key):
        # One PRNG call per run (each call site costs compilation time): per sample T normals
        # for η, T - 1 noise kicks, x(0), h and a uniform phase (Φ of a normal). Drawn in
        # float32 (10x faster than float64 on CPU; 24 bits are ample for Monte Carlo), then
        # every operation in the working dtype.
        normals = jax.random.normal(key, (m, 2 * t_count + 2), jnp.float32).astype(dtype)
        z, kicks = normals[:, :t_count], noise_std * normals[:, t_count:2 * t_count - 1].T
        x0 = initial_std * normals[:, 2 * t_count - 1]
        cov = gain**2 * corr
        jitter = 1e-10 * jnp.max(jnp.diagonal(cov)) + 1e-300
        chol = jnp.linalg.cholesky(cov + jitter * jnp.eye(t_count, dtype=dtype))
        eta = jnp.matmul(z, chol.T, precision=_HIGHEST)
        forcing = (eta + heterogeneity * normals[:, 2 * t_count:2 * t_count + 1]
                   + external(ndtr(normals[:, 2 * t_count + 1])))

        def mean_input(pred, mu_guess):
            """μ solving μ = J̄ ⟨φ(pred + b μ)⟩ + I_0 (Newton), and ν."""
            if not config.feedback:
                return drive, jnp.mean(phi(pred + b * drive))

            def newton(_, mu):
                x = pred + b * mu
                residual = mu - mean_coupling * jnp.mean(phi(x)) - drive
                slope = 1.0 - mean_coupling * b * jnp.mean(phi.derivative(x))
                return mu - residual / slope

            mu = jax.lax.fori_loop(0, config.newton_steps, newton, mu_guess)
            return mu, jnp.mean(phi(pred + b * mu))

        # μ at t = 0 from the given initial state.
        mu0 = mean_coupling * jnp.mean(phi(x0)) + drive if config.feedback else drive

        def step(carry, inputs):
            x, mu = carry
            f_now, f_next, kick = inputs
            pred = decay * x + a * (f_now + mu) + b * f_next + kick
            mu_next, _ = mean_input(pred, mu)
            x_next = pred + b * mu_next
            return (x_next, mu_next), (x_next, mu_next)

        f = jnp.broadcast_to(forcing, (m, t_count)).T  # (T, M)
        _, (xs, mus) = jax.lax.scan(step, (x0, mu0), (f[:-1], f[1:], kicks))
        xs = jnp.concatenate([x0[None], xs])  # (T, M)
        mus = jnp.concatenate([jnp.reshape(mu0, (1,)), mus])
        return xs, mus

    def statistics(xs):
        rates = phi(xs)
        return rates, jnp.matmul(rates, rates.T, precision=_HIGHEST) / m

    def iteration(carry, key):  # one sampling run; the carry keeps the last run's paths
        corr = carry[0]
        xs, mus = run(corr, key)
        _, new = statistics(xs)
        change = jnp.max(jnp.abs(new - corr)) / jnp.max(jnp.abs(corr))
        return ((1.0 - damping) * corr + damping * new, xs, mus), change

    corr0 = jnp.exp(-jnp.abs(times[:, None] - times[None, :]))
    empty = (jnp.zeros((t_count, m), dtype), jnp.zeros(t_count, dtype))
    (_, xs, mus), changes = jax.lax.scan(iteration, (corr0, *empty),
                                         jax.random.split(key, config.iterations))
    rates, rate_corr = statistics(xs)
    slopes = phi.derivative(xs)
    slope_corr = jnp.matmul(slopes, slopes.T, precision=_HIGHEST) / m
    state_corr = jnp.matmul(xs, xs.T, precision=_HIGHEST) / m
    if config.lyapunov_start is None:
        lam, log_eps = jnp.asarray(jnp.nan, dtype), jnp.zeros(t_count, dtype)
    else:
        lam, log_eps = _lyapunov_from_slopes(slope_corr, gain, dt, config.lyapunov_start)
    return SamplingMeanField(times, jnp.mean(xs, axis=1), jnp.mean(rates, axis=1), mus,
                             state_corr, rate_corr, slope_corr, lam, log_eps, changes, rates)


def check_sampling_arguments(*, t_max, dt, samples, iterations, newton_steps, noise,
                             heterogeneity, initial_std, damping, input, independent,
                             lyapunov_start, nonlinearity):
    """Check the arguments every sampling solver shares; returns (grid points T, the step
    where the perturbation starts or None, the `Nonlinearity`)."""
    check_real("t_max", t_max, positive=True)
    check_real("dt", dt, positive=True)
    for name, value in (("samples", samples), ("iterations", iterations),
                        ("newton_steps", newton_steps)):
        check_real(name, value, positive=True, integer=True)
    check_real("noise", noise, nonnegative=True)
    check_real("heterogeneity", heterogeneity, nonnegative=True)
    check_real("initial_std", initial_std, nonnegative=True)
    check_real("damping", damping, positive=True, below=1.0 + 1e-12)
    steps = int(round(t_max / dt)) + 1
    if steps < 4:
        raise ConfigError(f"t_max = {t_max} must span at least 3 steps dt = {dt}")
    if input is not None and not isinstance(input, AbstractInput):
        raise ConfigError(f"input must be an AbstractInput, got {type(input).__name__}")
    if independent and not isinstance(input, SinusoidalInput):
        raise ConfigError("independent=True draws a phase per sample: input must be a "
                          "SinusoidalInput")
    start = None
    if lyapunov_start is not None:
        check_real("lyapunov_start", lyapunov_start, nonnegative=True)
        start = int(round(lyapunov_start / dt))
        if steps - start < 8:
            raise ConfigError(f"lyapunov_start = {lyapunov_start} leaves fewer than 8 grid "
                              f"points before t_max = {t_max}")
    phi = nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)
    return steps, start, phi


def sampling_dmft(gain, *, key, t_max: float, dt: float = 0.1, samples: int = 2000,
                  iterations: int = 20, nonlinearity="tanh", mean_coupling=0.0, drive=0.0,
                  input: AbstractInput | None = None, independent: bool = False, noise=0.0,
                  heterogeneity=0.0, initial_std=1.0, damping=1.0,
                  lyapunov_start: float | None = None, newton_steps: int = 6
                  ) -> SamplingMeanField:
    """Solve the DMFT of the module docstring by sampling.

    **Arguments:**
    - `gain`: g ≥ 0 (std of the random couplings times √N). `key`: PRNG key.
    - `t_max`, `dt`: the grid [0, t_max] in steps dt (T = t_max/dt + 1 points; cost per
      iteration O(M T²) + O(T³)).
    - `samples` M, `iterations` (self-consistency iterations), `damping` ∈ (0, 1].
    - `nonlinearity`: any `Nonlinearity` name (odd or not).
    - `mean_coupling` J̄ (total mean coupling; -J0 √N for the balanced network), `drive` I_0
      (constant mean input, √N I0 there), `input` I(t) (an `AbstractInput` giving a scalar;
      `independent=True` needs a `SinusoidalInput` and gives each sample a uniform random
      phase), `noise` σ, `heterogeneity` σ_h, `initial_std` (x(0) ~ N(0, initial_std²)).
    - `lyapunov_start`: t_λ, where the perturbation starts (after the transient); None skips
      λ_max.
    """
    check_real("gain", gain, nonnegative=True)
    check_real("mean_coupling", mean_coupling)
    check_real("drive", drive)
    steps, start, phi = check_sampling_arguments(
        t_max=t_max, dt=dt, samples=samples, iterations=iterations, newton_steps=newton_steps,
        noise=noise, heterogeneity=heterogeneity, initial_std=initial_std, damping=damping,
        input=input, independent=independent, lyapunov_start=lyapunov_start,
        nonlinearity=nonlinearity)
    feedback = not (isinstance(mean_coupling, (int, float)) and mean_coupling == 0)
    config = _Config(phi, input, bool(independent), int(samples), steps, float(dt),
                     int(iterations), int(newton_steps), start, feedback)
    dtype = jnp.result_type(float)
    params = tuple(jnp.asarray(p, dtype) for p in (gain, mean_coupling, drive, noise,
                                                   heterogeneity, initial_std, damping))
    return _solve(config, params, key)
