"""The sampling DMFT (`_sampling_dmft.py`) for P populations, e.g. excitatory and inhibitory
(Eissfeller & Opper 1992 with population structure; Kadmon & Sompolinsky 2015, Aljadeff et al.
2015 for the Gaussian input's covariance).

A neuron of population a (fraction α_a of the N neurons) receives from population b the input
Σ_{j∈b} J_ij φ(x_j) with J_ij of mean m_ab and standard deviation s_ab. Its single-site process:

    dx_a/dt = -x_a + η_a(t) + μ_a(t) + h + I(t) + σ ξ(t),
    ⟨η_a(t)η_a(s)⟩ = Σ_b g_ab² α_b C_b(t, s),    C_b(t, s) = ⟨φ(x_b(t)) φ(x_b(s))⟩,
    μ_a(t) = Σ_b J̄_ab ν_b(t) + I_a,              ν_b(t) = ⟨φ(x_b(t))⟩,

with g_ab = s_ab √N (`gains`) and J̄_ab = N_b m_ab (`mean_couplings`, the summed mean input per
unit rate of b; for a balanced `Ensemble` with block means μ_ab, J̄_ab = α_b √N μ_ab when dense,
and the drive I_a = √N I_a0). Each population has M samples; the mean feedback is solved
implicitly at each step (Newton on the P-vector μ). The other conventions (exact integration of
the linear part, float32 normals, damping, h, ξ, I(t) common or with independent phases, the
statistics of the last iteration) are those of `sampling_dmft`.

Largest Lyapunov exponent: the perturbation covariances ε_a(t, s) obey the coupled equations
(∂_t + 1)(∂_s + 1) ε_a = Σ_b g_ab² α_b Q_b(t, s) ε_b, Q_b = ⟨φ'(x_b(t)) φ'(x_b(s))⟩; with
u_a = e^{t+s} ε_a, ∂_t ∂_s u = A u (A_ab = g_ab² α_b Q_b) is integrated by the trapezoid rule
(one P×P solve per grid point, an associative scan along s) from u = 1 on t = t_λ or s = t_λ;
λ_max = ½ d/dt ln Σ_a ε_a(t, t) over the second half of [t_λ, t_max]. With P = 1 it is
`sampling_dmft`'s exponent.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from .._core._errors import ConfigError, check_real
from .._core._inputs import AbstractInput
from .._core._nonlinearities import Nonlinearity
from ._sampling_dmft import (
    _HIGHEST,
    SamplingMeanField,
    _exact_weights,
    check_sampling_arguments,
    equal_time_growth,
)


def _lyapunov_populations(q, coupling, dt, start: int):
    """λ_max of the coupled perturbation equations (module docstring). q (P, T, T) = Q_b,
    coupling (P, P) = g_ab² α_b."""
    q = q[:, start:, start:]
    p, size = q.shape[0], q.shape[1]
    # a[i, j] (P×P) = dt² g_ab² α_b Q_b(t_i, t_j)
    a = dt**2 * coupling[None, None, :, :] * jnp.moveaxis(q, 0, -1)[:, :, None, :]
    eye = jnp.eye(p, dtype=a.dtype)

    def next_row(row, a_pair):  # row (T, P): u at row i; returns u at row i + 1
        a_now, a_next = a_pair  # (T, P, P) at rows i and i + 1
        lhs = eye - a_next[1:] / 4
        alpha = jnp.linalg.solve(lhs, eye + a_next[:-1] / 4)  # (T-1, P, P)
        rhs = (jnp.einsum("jab,jb->ja", eye + a_now[1:] / 4, row[1:])
               - jnp.einsum("jab,jb->ja", eye - a_now[:-1] / 4, row[:-1]))
        beta = jnp.linalg.solve(lhs, rhs[..., None])[..., 0]  # (T-1, P)

        def compose(first, second):  # second ∘ first for u ↦ α u + β
            return (jnp.einsum("...ab,...bc->...ac", second[0], first[0]),
                    jnp.einsum("...ab,...b->...a", second[0], first[1]) + second[1])

        alphas, betas = jax.lax.associative_scan(compose, (alpha, beta))
        start_value = jnp.ones((1, p), row.dtype)  # u[i+1, 0] = 1
        new = jnp.concatenate([start_value, jnp.einsum("jab,b->ja", alphas, start_value[0])
                               + betas])
        return new, new

    first = jnp.ones((size, p), a.dtype)
    _, rows = jax.lax.scan(next_row, first, (a[:-1], a[1:]))
    u = jnp.concatenate([first[None], rows])  # (T, T, P)
    diagonal = u[jnp.arange(size), jnp.arange(size)]  # (T, P)
    return equal_time_growth(jnp.sum(diagonal, axis=1), dt, start)


class _Config(eqx.Module):
    phi: Nonlinearity
    input: AbstractInput | None
    independent: bool = eqx.field(static=True)
    populations: int = eqx.field(static=True)
    samples: int = eqx.field(static=True)
    steps: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    iterations: int = eqx.field(static=True)
    newton_steps: int = eqx.field(static=True)
    lyapunov_start: int | None = eqx.field(static=True)


@eqx.filter_jit
def _solve(config: _Config, params, key):
    gains, fractions, mean_couplings, drives, noise, heterogeneity, initial_std, damping = params
    phi, m, t_count, dt, p = (config.phi, config.samples, config.steps, config.dt,
                              config.populations)
    dtype = gains.dtype
    times = dt * jnp.arange(t_count, dtype=dtype)
    decay, a, b = _exact_weights(dt)
    noise_std = noise * math.sqrt((1.0 - decay**2) / 2.0)
    coupling = gains**2 * fractions[None, :]  # g_ab² α_b

    def external(uniform):  # (P, M or 1, T)
        if config.input is None:
            return jnp.zeros((1, 1, t_count), dtype)
        if config.independent:
            inp, phases = config.input, 2 * jnp.pi * uniform[..., None]
            return inp.amplitude * jnp.sin(2 * jnp.pi * inp.frequency * times + inp.phase + phases)
        return jax.vmap(config.input)(times).reshape(1, 1, t_count)

    def run(corr, key):  # corr (P, T, T)
        normals = jax.random.normal(key, (p, m, 2 * t_count + 2), jnp.float32).astype(dtype)
        z = normals[:, :, :t_count]
        kicks = noise_std * jnp.moveaxis(normals[:, :, t_count:2 * t_count - 1], 2, 0)
        x0 = initial_std * normals[:, :, 2 * t_count - 1]  # (P, M)
        cov = jnp.einsum("ab,bts->ats", coupling, corr)
        jitter = 1e-10 * jnp.max(jnp.diagonal(cov, axis1=1, axis2=2), axis=1) + 1e-300
        chol = jnp.linalg.cholesky(cov + jitter[:, None, None] * jnp.eye(t_count, dtype=dtype))
        eta = jnp.einsum("ams,ats->amt", z, chol, precision=_HIGHEST)
        forcing = (eta + heterogeneity * normals[:, :, 2 * t_count:2 * t_count + 1]
                   + external(ndtr(normals[:, :, 2 * t_count + 1])))  # (P, M, T)

        def mean_input(pred, mu_guess):
            """μ solving μ = J̄ ⟨φ(pred + b μ)⟩ + I (Newton on the P-vector)."""
            def newton(_, mu):
                x = pred + b * mu[:, None]
                residual = mu - mean_couplings @ jnp.mean(phi(x), axis=1) - drives
                jacobian = (jnp.eye(p, dtype=dtype)
                            - mean_couplings * (b * jnp.mean(phi.derivative(x), axis=1))[None])
                return mu - jnp.linalg.solve(jacobian, residual)

            return jax.lax.fori_loop(0, config.newton_steps, newton, mu_guess)

        mu0 = mean_couplings @ jnp.mean(phi(x0), axis=1) + drives

        def step(carry, inputs):
            x, mu = carry
            f_now, f_next, kick = inputs
            pred = decay * x + a * (f_now + mu[:, None]) + b * f_next + kick
            mu_next = mean_input(pred, mu)
            x_next = pred + b * mu_next[:, None]
            return (x_next, mu_next), (x_next, mu_next)

        f = jnp.moveaxis(jnp.broadcast_to(forcing, (p, m, t_count)), 2, 0)  # (T, P, M)
        _, (xs, mus) = jax.lax.scan(step, (x0, mu0), (f[:-1], f[1:], kicks))
        return jnp.concatenate([x0[None], xs]), jnp.concatenate([mu0[None], mus])

    def second_moment(values):  # (T, P, M) -> (P, T, T)
        return jnp.einsum("tam,sam->ats", values, values, precision=_HIGHEST) / m

    def iteration(carry, key):
        corr = carry[0]
        xs, mus = run(corr, key)
        new = second_moment(phi(xs))
        change = jnp.max(jnp.abs(new - corr)) / jnp.max(jnp.abs(corr))
        return ((1.0 - damping) * corr + damping * new, xs, mus), change

    corr0 = jnp.broadcast_to(jnp.exp(-jnp.abs(times[:, None] - times[None, :])),
                             (p, t_count, t_count))
    empty = (jnp.zeros((t_count, p, m), dtype), jnp.zeros((t_count, p), dtype))
    (_, xs, mus), changes = jax.lax.scan(iteration, (corr0, *empty),
                                         jax.random.split(key, config.iterations))
    rates = phi(xs)
    rate_corr, slope_corr = second_moment(rates), second_moment(phi.derivative(xs))
    state_corr = second_moment(xs)
    if config.lyapunov_start is None:
        lam, log_eps = jnp.asarray(jnp.nan, dtype), jnp.zeros(t_count, dtype)
    else:
        lam, log_eps = _lyapunov_populations(slope_corr, coupling, dt, config.lyapunov_start)
    return tuple(SamplingMeanField(times, jnp.mean(xs[:, k], axis=1),
                                   jnp.mean(rates[:, k], axis=1), mus[:, k], state_corr[k],
                                   rate_corr[k], slope_corr[k], lam, log_eps, changes,
                                   rates[:, k]) for k in range(p))


def sampling_dmft_populations(gains, fractions, *, key, t_max: float, dt: float = 0.1,
                              samples: int = 2000, iterations: int = 20, nonlinearity="relu",
                              mean_couplings=None, drives=None,
                              input: AbstractInput | None = None, independent: bool = False,
                              noise=0.0, heterogeneity=0.0, initial_std=1.0, damping=1.0,
                              lyapunov_start: float | None = None, newton_steps: int = 6
                              ) -> tuple[SamplingMeanField, ...]:
    """Solve the P-population DMFT of the module docstring by sampling.

    **Arguments:**
    - `gains`: P×P table g_ab ≥ 0 (row a postsynaptic, column b presynaptic; std of J_ij
      times √N). `fractions`: α_b (P positive numbers summing to 1). `key`: PRNG key.
    - `mean_couplings`: P×P table J̄_ab (summed mean input per unit rate of b; default 0),
      `drives`: I_a (P constant inputs; default 0).
    - `t_max`, `dt`, `samples` (M per population), `iterations`, `damping`, `nonlinearity`,
      `input`, `independent`, `noise`, `heterogeneity`, `initial_std`, `lyapunov_start`,
      `newton_steps`: as in `sampling_dmft` (the input, noise and heterogeneity act on every
      population alike).

    **Returns:** one `SamplingMeanField` per population (its own mean, rate, correlations,
    samples and `mean_input` μ_a; `lyapunov`, `log_perturbation` and `change` are shared: the
    exponent of the coupled perturbation and the largest change over all populations).
    """
    gains_arr = np.asarray(gains, float)
    if gains_arr.ndim != 2 or gains_arr.shape[0] != gains_arr.shape[1]:
        raise ConfigError(f"gains must be a P×P table, got shape {gains_arr.shape}")
    p = gains_arr.shape[0]
    check_real("gains", gains_arr, nonnegative=True)
    fractions_arr = np.asarray(fractions, float)
    if fractions_arr.shape != (p,):
        raise ConfigError(f"fractions must hold P = {p} numbers, got {fractions!r}")
    check_real("fractions", fractions_arr, positive=True)
    if abs(fractions_arr.sum() - 1) > 1e-9:
        raise ConfigError(f"fractions must sum to 1, got {fractions!r}")
    means = np.zeros((p, p)) if mean_couplings is None else np.asarray(mean_couplings, float)
    if means.shape != (p, p):
        raise ConfigError(f"mean_couplings must be a {p}×{p} table, got shape {means.shape}")
    check_real("mean_couplings", means)
    drive_arr = np.zeros(p) if drives is None else np.asarray(drives, float)
    if drive_arr.shape != (p,):
        raise ConfigError(f"drives must hold P = {p} numbers, got {drives!r}")
    check_real("drives", drive_arr)
    steps, start, phi = check_sampling_arguments(
        t_max=t_max, dt=dt, samples=samples, iterations=iterations, newton_steps=newton_steps,
        noise=noise, heterogeneity=heterogeneity, initial_std=initial_std, damping=damping,
        input=input, independent=independent, lyapunov_start=lyapunov_start,
        nonlinearity=nonlinearity)
    config = _Config(phi, input, bool(independent), p, int(samples), steps, float(dt),
                     int(iterations), int(newton_steps), start)
    dtype = jnp.result_type(float)
    params = tuple(jnp.asarray(v, dtype) for v in (gains_arr, fractions_arr, means, drive_arr,
                                                   noise, heterogeneity, initial_std, damping))
    return _solve(config, params, key)
