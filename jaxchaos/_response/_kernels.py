"""Linear response of a map to weak stimuli: response kernels, susceptibility, power spectra.

For a map `x(s+1) = F(s, x(s)) + ξ(s) + σB(s)` in its stationary state, a weak kick of the
state along a direction d at step s changes the ensemble mean afterwards by

    δ⟨x_i(s + t)⟩ = ε Σ_j R_ij(t) d_j + O(ε²),   R(0) = I,

so `R(t) = δ⟨x(s+t)⟩/δx(s) = δ⟨x(s+t+1)⟩/δξ(s)`: a stimulus entering the step at s acts one
step later. Three independent estimators (Cessac & Sepulchre 2004; seed 001):

- tangent: `R(t) = ⟨DF(x(s+t-1)) ⋯ DF(x(s))⟩`, the ensemble mean of the tangent map carried by
  the system's `jvp` along each trajectory (the path sum of seed 001);
- finite differences: `(x⁺(s+t) − x⁻(s+t)) / 2ε` from x(s) ± εd with the same noise (common
  random numbers), averaged over trajectories;
- noise (Novikov / Girsanov): shifting B(s) by εd/σ is a kick of x(s+1), and differentiating the
  Gaussian weight gives `R(t) d = ⟨x(s+1+t) (d·B(s))⟩ / σ`; it needs no derivative at all, only
  noise (σ > 0), and averages over all kick times s of each trajectory.

For a linear map `x ← Ax + σB` all three equal `A^t` (exactly in expectation). Local chaos (seed
001's mean-field kernel) replaces the mean of the product by the product of means,
`K(t) = ⟨DF⟩^t` (for Cessac's network ⟨DF⟩ = γI + J diag⟨g φ'(g u)⟩). The susceptibility is
`χ(ω) = Σ_{t≥0} R(t) e^{-iωt}`, ω in radians per step, ω = 2πf. A weak stimulus
`ξ(s) = ε Re(d e^{iωs})` thus moves the mean to `δ⟨x(s+1)⟩ = ε Re(χ(ω) d e^{iωs})`; `lock_in`
and `demodulate` read such components (and slowly modulated carriers) back from a run.

Flows: wrap them in `EulerMap` (kernels then per step of size δ).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError, check_real
from .._core._results import result_repr
from .._core._system import AbstractMap


class ResponseKernel(eqx.Module):
    """R(t) d for lags t = 0..T and stimulus directions d (the columns of `directions`).

    `kernel` and `stderr` have shape (T+1, N, k): the mean over `n_trajectories` independent
    trajectories and its standard error (from their spread)."""

    __repr__ = result_repr

    lags: jax.Array
    kernel: jax.Array
    stderr: jax.Array
    n_trajectories: int = eqx.field(static=True)
    method: str = eqx.field(static=True)


def _check_map(system):
    if not isinstance(system, AbstractMap):
        raise ConfigError(f"system must be an AbstractMap (wrap a flow in EulerMap), got "
                          f"{type(system).__name__}")


def _directions(system, directions):
    """The stimulus directions as an (N, k) matrix; the identity (every neuron) by default."""
    if directions is None:
        return jnp.eye(system.n)
    directions = jnp.asarray(directions, dtype=float)
    if directions.ndim == 1:
        directions = directions[:, None]
    if directions.ndim != 2 or directions.shape[0] != system.n:
        raise ConfigError(f"directions must be an (N, k) stimulus matrix with N = {system.n} "
                          f"rows, got shape {directions.shape}")
    check_real("directions", directions)
    return directions


def _check_ensemble(n_lags, n_trajectories, t_warmup):
    check_real("n_lags", n_lags, nonnegative=True, integer=True)
    check_real("n_trajectories", n_trajectories, positive=True, integer=True)
    check_real("t_warmup", t_warmup, nonnegative=True, integer=True)
    if n_trajectories < 2:
        raise ConfigError("n_trajectories must be >= 2 (standard errors come from their spread)")


def _noisy_step(system, key, step, x):
    """`F(step, x) + σB` and the kick B, drawn from `fold_in(key, step)` like `Integrator`."""
    x_next = system.map(step, x, None)
    if system.noise is None:
        return x_next, jnp.zeros_like(x)
    kick = jax.random.normal(jax.random.fold_in(key, step), x.shape, x.dtype)
    return x_next + system.noise * kick, kick


def _run(system, keys, x, start, n_steps):
    """Advance a batch of states (M, N) by `n_steps` from step `start`, each with its key."""
    def one(x, step):
        return jax.vmap(lambda k, y: _noisy_step(system, k, step, y)[0])(keys, x), None

    return jax.lax.scan(one, x, start + jnp.arange(n_steps))[0]


def _ensemble(system, key, n_trajectories, t_warmup):
    """Noise keys and stationary states (M, N): random initial states run for t_warmup steps."""
    key_x0, key_noise = jax.random.split(key)
    keys = jax.random.split(key_noise, n_trajectories)
    x0 = jax.vmap(system.initial_state)(jax.random.split(key_x0, n_trajectories))
    return keys, _run(system, keys, x0, 0, t_warmup)


def stationary_states(system, key, *, n_trajectories: int, t_warmup: int):
    """(M, N) states of M independent trajectories after `t_warmup` steps from x_i ~ N(0, 1)."""
    _check_map(system)
    _check_ensemble(0, n_trajectories, t_warmup)
    return eqx.filter_jit(_ensemble)(system, key, n_trajectories, t_warmup)[1]


def _moments(per_trajectory):
    """Mean over the leading (trajectory) axis and the standard error of that mean."""
    m = per_trajectory.shape[0]
    mean = jnp.mean(per_trajectory, axis=0)
    spread = jnp.mean((per_trajectory - mean) ** 2, axis=0)
    return mean, jnp.sqrt(spread / (m - 1))


def _tangent_scan(system, key, directions, n_lags, n_trajectories, t_warmup, observe):
    """Propagate the frame `directions` along each stationary trajectory of the ensemble by the
    step's JVP for `n_lags` steps; `observe(v)` of the (M, N, k) tangents after every step."""
    keys, x = _ensemble(system, key, n_trajectories, t_warmup)
    frames = jnp.broadcast_to(directions, (n_trajectories,) + directions.shape)

    def one(carry, step):
        x, v = carry
        v = jax.vmap(lambda y, w: system.jvp(step, y, w, None))(x, v)
        x = jax.vmap(lambda k, y: _noisy_step(system, k, step, y)[0])(keys, x)
        return (x, v), observe(v)

    return jax.lax.scan(one, (x, frames), t_warmup + jnp.arange(n_lags))[1]


def _mean_squared_norm(v):
    return jnp.mean(jnp.sum(v**2, axis=(1, 2)))


@eqx.filter_jit
def _tangent(system, key, directions, n_lags, n_trajectories, t_warmup):
    mean, err = _tangent_scan(system, key, directions, n_lags, n_trajectories, t_warmup,
                              _moments)
    return (jnp.concatenate([directions[None], mean]),
            jnp.concatenate([jnp.zeros_like(directions)[None], err]))


@eqx.filter_jit
def _finite_difference(system, key, directions, epsilon, n_lags, n_trajectories, t_warmup):
    keys, x = _ensemble(system, key, n_trajectories, t_warmup)
    shift = epsilon * directions.T                                     # (k, N)
    pair = jnp.stack([x[:, None] + shift, x[:, None] - shift], axis=1)  # (M, 2, k, N)

    def one(pair, step):
        def trajectory(k, p):   # every copy of one trajectory sees the same kicks
            return jax.vmap(jax.vmap(lambda y: _noisy_step(system, k, step, y)[0]))(p)

        pair = jax.vmap(trajectory)(keys, pair)
        slope = (pair[:, 0] - pair[:, 1]) / (2 * epsilon)              # (M, k, N)
        return pair, _moments(jnp.swapaxes(slope, 1, 2))

    _, (mean, err) = jax.lax.scan(one, pair, t_warmup + jnp.arange(n_lags))
    lag0 = jnp.swapaxes((pair[:, 0] - pair[:, 1]) / (2 * epsilon), 1, 2)
    mean0, err0 = _moments(lag0)
    return jnp.concatenate([mean0[None], mean]), jnp.concatenate([err0[None], err])


@eqx.filter_jit
def _noise(system, key, directions, n_lags, n_kicks, n_trajectories, t_warmup):
    keys, x = _ensemble(system, key, n_trajectories, t_warmup)
    lags = jnp.arange(n_lags + 1)

    def trajectory(k, x):
        def one(carry, n):
            x, history, total = carry
            x, kick = _noisy_step(system, k, t_warmup + n, x)        # x(n+1), B(n)
            history = jnp.concatenate([(directions.T @ kick)[None], history[:-1]])
            valid = (n - lags >= 0) & (n - lags < n_kicks)            # kick n - t counts
            total = total + jnp.where(valid[:, None, None],
                                      x[None, :, None] * history[:, None, :], 0.0)
            return (x, history, total), None

        history = jnp.zeros((n_lags + 1, directions.shape[1]), x.dtype)
        total = jnp.zeros((n_lags + 1, system.n, directions.shape[1]), x.dtype)
        carry = (x, history, total)
        total = jax.lax.scan(one, carry, jnp.arange(n_kicks + n_lags))[0][2]
        return total / (n_kicks * system.noise)

    return _moments(jax.vmap(trajectory)(keys, x))


def tangent_response(system, key, *, n_lags: int, n_trajectories: int = 256,
                     t_warmup: int = 500, directions=None) -> ResponseKernel:
    """R(t) d = ⟨DF(x(s+t-1)) ⋯ DF(x(s)) d⟩ over `n_trajectories` stationary trajectories (each
    warmed up `t_warmup` steps from a random state; noisy maps keep their noise), by the
    system's `jvp` on an (N, k) frame: one vmapped call. `directions` (N, k), default I."""
    _check_map(system)
    _check_ensemble(n_lags, n_trajectories, t_warmup)
    d = _directions(system, directions)
    mean, err = _tangent(system, key, d, int(n_lags), int(n_trajectories), int(t_warmup))
    return ResponseKernel(jnp.arange(n_lags + 1), mean, err, int(n_trajectories), "tangent")


@eqx.filter_jit
def _squared(system, key, directions, n_lags, n_trajectories, t_warmup):
    out = _tangent_scan(system, key, directions, n_lags, n_trajectories, t_warmup,
                        _mean_squared_norm)
    return jnp.concatenate([jnp.sum(directions**2)[None], out])


def squared_response(system, key, *, n_lags: int, n_trajectories: int = 256,
                     t_warmup: int = 500, directions=None):
    """SCS's χ²(t) = ⟨Σ_ij (R(t) d)_ij²⟩ along single trajectories (the mean of the squared
    pathwise kernel, not the square of the mean): for i.i.d. unit-variance random directions d
    (N, k), χ²(t)/k estimates ⟨‖DF^t‖_F²⟩/N, which grows as e^{2λt} with the mean-field
    exponent λ (SCS 1988; seed 000). Returns an array of length n_lags + 1."""
    _check_map(system)
    _check_ensemble(n_lags, n_trajectories, t_warmup)
    d = _directions(system, directions)
    return _squared(system, key, d, int(n_lags), int(n_trajectories), int(t_warmup))


def finite_difference_response(system, key, *, n_lags: int, n_trajectories: int = 256,
                               t_warmup: int = 500, directions=None,
                               epsilon=None) -> ResponseKernel:
    """R(t) d ≈ ⟨x⁺(s+t) − x⁻(s+t)⟩ / 2ε from x(s) ± εd, each pair driven by the same noise.

    Central differences: the error is O(ε²) from the nonlinearity plus rounding of order
    eps·|x|/ε; the default ε is eps^(1/3) (6e-6 in float64), which balances the two."""
    _check_map(system)
    _check_ensemble(n_lags, n_trajectories, t_warmup)
    d = _directions(system, directions)
    if epsilon is None:
        epsilon = float(jnp.finfo(d.dtype).eps) ** (1 / 3)
    check_real("epsilon", epsilon, positive=True)
    mean, err = _finite_difference(system, key, d, epsilon, int(n_lags), int(n_trajectories),
                                   int(t_warmup))
    return ResponseKernel(jnp.arange(n_lags + 1), mean, err, int(n_trajectories),
                          "finite_difference")


def noise_response(system, key, *, n_lags: int, n_kicks: int, n_trajectories: int = 64,
                   t_warmup: int = 500, directions=None) -> ResponseKernel:
    """R(t) d = ⟨x(s+1+t) (d·B(s))⟩ / σ, averaged over the `n_kicks` kick times s of each
    trajectory (s = 0..n_kicks−1 after the warm-up) and over trajectories. Exact in
    expectation for any noisy map (Novikov/Girsanov); its variance is about ⟨x²⟩/(σ² n_kicks M),
    so it suits strong noise. Each trajectory runs n_kicks + n_lags steps."""
    _check_map(system)
    _check_ensemble(n_lags, n_trajectories, t_warmup)
    check_real("n_kicks", n_kicks, positive=True, integer=True)
    if n_lags >= n_kicks:
        raise ConfigError(f"n_lags = {n_lags} reaches beyond the run: it must be below "
                          f"n_kicks = {n_kicks}")
    if system.noise is None or (not isinstance(system.noise, jax.core.Tracer)
                                and float(system.noise) == 0.0):
        raise ConfigError("the noise estimator needs a noisy system (noise > 0)")
    d = _directions(system, directions)
    mean, err = _noise(system, key, d, int(n_lags), int(n_kicks), int(n_trajectories),
                       int(t_warmup))
    return ResponseKernel(jnp.arange(n_lags + 1), mean, err, int(n_trajectories), "noise")


@eqx.filter_jit
def _mean_jacobian(system, states, step):
    eye = jnp.eye(system.n, dtype=states.dtype)

    def add(total, x):
        return total + system.jvp(step, x, eye, None), None

    total = jax.lax.scan(add, jnp.zeros_like(eye), states)[0]
    return total / states.shape[0]


def mean_jacobian(system, states, *, step=0):
    """⟨DF(x)⟩ over the rows of `states` (M, N), an explicit N×N matrix built from the `jvp`."""
    _check_map(system)
    states = jnp.asarray(states)
    if states.ndim != 2 or states.shape[1] != system.n:
        raise ConfigError(f"states must have shape (M, {system.n}), got {states.shape}")
    return _mean_jacobian(system, states, step)


def mean_field_kernel(system, states, *, n_lags: int, directions=None):
    """Seed 001's local-chaos kernel `K(t) d = ⟨DF⟩^t d` (t = 0..n_lags), with ⟨DF⟩ averaged
    over the stationary `states` (M, N). Exact for linear maps; for Cessac's network it is
    `(γI + J diag⟨g φ'(g u)⟩)^t`. Returns an array (n_lags+1, N, k)."""
    check_real("n_lags", n_lags, nonnegative=True, integer=True)
    d = _directions(system, directions)
    jac = mean_jacobian(system, states)

    def one(v, _):
        v = jnp.matmul(jac, v, precision=jax.lax.Precision.HIGHEST)
        return v, v

    return jnp.concatenate([d[None], jax.lax.scan(one, d, None, length=int(n_lags))[1]])


def susceptibility(kernel, frequencies=None):
    """χ(f) = Σ_{t=0}^{T} R(t) e^{-2πift} of a kernel (T+1, ...) (a `ResponseKernel` or an
    array), at `frequencies` f in cycles per step (default: 0..1/2 in T+1 steps).

    Returns `(frequencies, chi)`, chi complex of shape (F, ...). The sum is truncated at T: the
    kernel must have decayed by then for χ to be meaningful."""
    r = kernel.kernel if isinstance(kernel, ResponseKernel) else jnp.asarray(kernel)
    if frequencies is None:
        frequencies = jnp.linspace(0.0, 0.5, r.shape[0])
    frequencies = jnp.asarray(frequencies, dtype=float)
    phases = jnp.exp(-2j * math.pi * frequencies[:, None] * jnp.arange(r.shape[0])[None, :])
    return frequencies, jnp.tensordot(phases, r.astype(phases.dtype), axes=1)


def power_spectrum(x, *, segment: int, axis: int = 0):
    """Welch estimate of the power spectral density of the series `x` along `axis` (time, in
    steps): Hann-windowed segments of length `segment`, half overlapping, periodograms
    `|Σ_n w_n x_n e^{-2πifn}|² / Σ_n w_n²` averaged (the mean of each segment removed).

    Normalized per step and two-sided: white noise of variance v has S(f) = v, and
    `∫_{-1/2}^{1/2} S = Var x`. Returns `(frequencies, S)` with f = 0, 1/segment, ..., 1/2."""
    x = np.moveaxis(np.asarray(x), axis, 0)
    check_real("segment", segment, positive=True, integer=True)
    segment = int(segment)
    if segment < 2 or segment > x.shape[0]:
        raise ConfigError(f"segment = {segment} must lie between 2 and the length of the run, "
                          f"{x.shape[0]} steps")
    hop = segment // 2
    starts = np.arange(0, x.shape[0] - segment + 1, max(hop, 1))
    window = np.hanning(segment + 2)[1:-1].reshape((-1,) + (1,) * (x.ndim - 1))
    total = 0.0
    for s in starts:
        piece = x[s:s + segment]
        piece = (piece - piece.mean(axis=0)) * window
        total = total + np.abs(np.fft.rfft(piece, axis=0)) ** 2
    return np.fft.rfftfreq(segment), total / (len(starts) * np.sum(window**2))


def _carrier(x, frequency, start, axis):
    """x moved to time-first and the phasors 2 e^{-2πif(start + n)} over its steps n."""
    x = np.moveaxis(np.asarray(x), axis, 0)
    check_real("frequency", frequency, positive=True, below=0.5)
    check_real("start", start, integer=True)
    steps = start + np.arange(x.shape[0])
    phasor = 2 * np.exp(-2j * math.pi * frequency * steps)
    return x, phasor.reshape((-1,) + (1,) * (x.ndim - 1))


def lock_in(x, frequency, *, start: int = 0, axis: int = 0):
    """Complex amplitude A of the component of `x` at `frequency` f (cycles per step,
    0 < f < 1/2) along `axis` (time, in steps): `A = (2/T) Σ_n x_n e^{-2πif(start+n)}`, so that
    `x_n ≈ Re(A e^{2πif(start+n)})` + the rest; `start` is the step index of the first sample.

    Exact for a sinusoid with a whole number of cycles in the T steps; otherwise leakage of
    order 1/(f T) of other components. A stationary background with spectral density S(f)
    (`power_spectrum`'s convention) adds an error of r.m.s. |A| about 2√(S(f)/T)."""
    x, phasor = _carrier(x, frequency, start, axis)
    return np.mean(x * phasor, axis=0)


def demodulate(x, frequency, *, window: int, start: int = 0, axis: int = 0):
    """Complex envelope of `x` around the carrier `frequency` f (lock-in with a boxcar low-pass):
    `E(n) = (2/W) Σ_{m=n}^{n+W-1} x_m e^{-2πif(start+m)}` for every full window of W = `window`
    steps. A carrier modulated slowly, `x = a(n) sin(2πf n + φ)`, gives
    `E ≈ a e^{i(φ − π/2)}` (exact for constant a and W a whole number of carrier periods;
    W ≥ 1/f suppresses the 2f image). Returns `(centres, E)`: the window centres in steps
    (from `start`) and E with time first, length T − W + 1."""
    x, phasor = _carrier(x, frequency, start, axis)
    check_real("window", window, positive=True, integer=True)
    if window > x.shape[0]:
        raise ConfigError(f"window = {window} is longer than the run, {x.shape[0]} steps")
    total = np.cumsum(np.concatenate([np.zeros_like(phasor[:1] * x[:1]), x * phasor]), axis=0)
    envelope = (total[window:] - total[:-window]) / window
    return start + np.arange(envelope.shape[0]) + (window - 1) / 2, envelope
