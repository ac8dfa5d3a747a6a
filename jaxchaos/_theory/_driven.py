"""Mean-field theory of the SCS network driven by sinusoids with independent phases: the
input-locked periodic state and its stability (Rajan, Abbott & Sompolinsky 2010, PRE 82:011903).

The network (time in units of the neuron time constant, τ = 1; φ = tanh):

    dx_i/dt = -x_i + g Σ_j W_ij tanh(x_j) + A sin(2π f t + θ_i),   W_ij ~ N(0, 1/N),

with the phases θ_i independent and uniform on [0, 2π). Below the critical amplitude every x_i(t)
is locked to the input, periodic with period P = 1/f. With uniform phases the locked state is
statistically stationary: x(t) = h(t) + η(t), with h(t) = a sin(ωt + θ) the low-pass-filtered
input, ω = 2πf, a = A/√(1 + ω²) (the amplitude after the neuron's filter), and η a Gaussian
P-periodic field independent of θ with ⟨η(t)η(t + τ)⟩ = D(τ). Self-consistency in the Fourier
harmonics n of the period:

    D_n = g² C_n / (1 + (nω)²),   C(τ) = ⟨tanh(x(t)) tanh(x(t + τ))⟩

(the average over θ and the Gaussian η). A perturbation's two-time correlation obeys
(∂_t + 1)(∂_s + 1)ε(t, s) = g² K(t - s) ε(t, s), K(τ) = ⟨φ'(x(t)) φ'(x(t + τ))⟩, φ' = sech², so
ε = e^{λ(t+s)} ψ(t - s) with

    H ψ = -ψ'' - g² K(τ) ψ = E ψ,   E = -(1 + λ)²,

the SCS 1988 Schrödinger problem with a periodic potential; its ground state is the periodic
(Bloch k = 0) state. The locked state's largest exponent is λ = -1 + √(-E0), E0 the ground energy
of H: it is stable iff E0 > -1, and the critical amplitude A_c(f) solves E0(A_c, f) = -1.

f = 0 (the static limit, a quenched input a sin θ, a = A): the locked state is the fixed point
x = a sin θ + √Δ z, z ~ N(0, 1), Δ = g²⟨tanh²(x)⟩, and H's kinetic term vanishes: E0 = -g²⟨φ'(x)²⟩,
stable iff g²⟨φ'(x)²⟩ < 1. It is the f → 0 limit of the periodic theory (D(0) → g² C(0), and the
ground state of a slowly varying potential sits at its minimum -g² K(0)); A_c(f) approaches it
slowly, ∝ f^0.6 at g = 1.5 (0.561 at f = 0.001 against 0.595 at f = 0).

Exact limits: A = 0 and g ≤ 1 give η = 0 (D ≡ 0), x = 0, K ≡ 1 and E0 = -g² (the locked state is
the quiet fixed point, λ = g - 1). A = 0 and g > 1 give the constant D = Δ of the static theory at
a = 0 (the unstable non-zero fixed point solution), the same E0 at every f.

Numerics. D on `grid` points τ_k = kP/grid of one period (D even: only k ≤ grid/2 are unknowns);
the average over θ by the midpoint rule with `phases` nodes (periodic: exponential convergence);
the Gaussian pair (η(t), η(t + τ)) written as (√D(0) z₁, (D(τ)/√D(0)) z₁ + √(D(0) - D(τ)²/D(0)) z₂),
each z by the trapezoid rule on `points` uniform nodes of [-8.5, 8.5] (`gaussian_nodes`:
exponential convergence, faster than Gauss–Hermite for tanh; Gauss–Hermite with 20 nodes is
1e-4 off in E0 at g = 1.5). The self-consistency by Anderson-accelerated iteration (mixing ½,
`history` previous iterates) in `lax.while_loop` until max |ΔD| < `tol`, then one more iteration
through `optimistix.fixed_point`, whose implicit adjoint (GMRES, matrix-free) makes D, Δ0 and E0
differentiable in g, A and f. H on the same grid with the spectral (FFT) second derivative,
E0 = the lowest eigenvalue of the symmetric matrix (`jnp.linalg.eigvalsh`).

Near A_c the problem is ill-conditioned: linearised, the self-consistency reads
(1 - d²/dτ²)δD = g² K δD + g² (∂C/∂D(0)) δD(0) (Price's theorem, ∂C(τ)/∂D(τ) = K(τ)), i.e.
(H + 1)δD = (a term in δD(0)), singular close to E0 = -1. A_c is a branch point: below it the
iteration follows a branch on which E0 + 1 ≈ -(A_c - A)² (measured at g = 1.5, f = 0.1; E0 + 1
rises linearly above A_c), so E0(A) has a kink at A_c, and there E0 is determined only to ~1e-6
(the square root of the residual): `critical_input_amplitude` reaches ~1e-6 relative.

Resolution and accuracy. The ground state sits where K is largest, on a width that grows with P
but more slowly (∝ (P/g)^{1/2} for a harmonic well): points per period grow like √(P g); the
θ-integrand varies on the scale 1/a; the Gaussian integrands on 1/√D(0) with D(0) ≤ g². The
defaults (`locked_resolution`) follow these on the `on_ladder` sizes; every solution is also
computed one ladder rung coarser in all three, and the difference is returned as the error
estimate (`ground_energy_error`, `delta0_error`; convergence is exponential, so it bounds the
finer result's error). An `AccuracyWarning` is issued when it exceeds `tolerance` (relative to
max(|E0|, 1) and to max(Δ0, 1)), or when the iteration did not reach `tol`.
"""

import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx

from .._core._errors import AccuracyWarning, ConfigError, check_real
from .._core._results import result_repr
from ._dmft import _is_traced, _one_rung_down, on_ladder
from ._gaussian import gaussian_nodes

# ---------------------------------------------------------------------------------------------
# Arguments and resolution.


def _check_parameters(gain, amplitude=None, frequency=None):
    for name, value in (("gain", gain), ("amplitude", amplitude), ("frequency", frequency)):
        if value is None:
            continue
        if np.ndim(value) != 0:
            raise ConfigError(f"{name} must be a scalar, got shape {np.shape(value)} "
                              "(use jax.vmap or a loop for several values)")
        check_real(name, value, positive=name == "gain", nonnegative=name != "gain")


def locked_resolution(gain, amplitude, frequency) -> tuple[int, int, int]:
    """The default `(grid, phases, points)` of `locked_state` (see the module docstring), each on
    the `on_ladder` sizes: grid points per input period 4.2 g^1.6 √P, P = 1/f, at least 32;
    midpoint nodes over the phase 12 (1 + a), a the filtered amplitude, at least 16; trapezoid
    nodes per Gaussian axis 32 g^1.1, at least 32 (√D(0) ≤ g); g below 1 counts as 1.
    Calibrated on E0 against the solution with one resolution doubled, so that the error
    estimate (one rung coarser) stays below 1e-6: at g = 1.5, f = 0.001 ... 0.5, A up to 3.3,
    the three reach ~1e-8 (24 Gaussian nodes are 1e-3 off); at larger g the grid limits first
    (g = 3, f = 0.01: 22 √P points reach 2e-7, 11 √P only 5e-4) and then the Gaussian nodes
    (g = 5, f = 1: 182 nodes 2e-7). The cost per iteration grows like g^3.8 √P."""
    gain = max(float(gain), 1.0)
    frequency, amplitude = float(frequency), float(amplitude)
    filtered = amplitude / math.sqrt(1 + (2 * math.pi * frequency) ** 2)
    period = 1.0 / frequency if frequency > 0 else 1.0
    grid = on_ladder(4.2 * gain**1.6 * math.sqrt(period), 32)
    return grid, on_ladder(12 * (1 + filtered), 16), on_ladder(32 * gain**1.1, 32)


# ---------------------------------------------------------------------------------------------
# The self-consistent periodic field.


def _safe_sqrt(x):
    """√max(x, 0) with a finite derivative (0) where x ≤ tiny: at τ = 0 the conditional variance
    D(0) - D(0)²/D(0) vanishes identically, so its derivative is 0 there."""
    tiny = jnp.finfo(x.dtype).tiny ** 0.5
    positive = x > tiny
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def _correlation(fun, d_half, a, omega, tau_half, theta, z, w):
    """C_f(τ_k) = ⟨f(x(t)) f(x(t + τ_k))⟩ for k ≤ grid/2, x = a sin(ωt + θ) + η (module
    docstring), from D(τ_k) = `d_half`. Shape (grid/2 + 1,). The lags are mapped in batches of
    at most 2^22 integrand values, so that memory stays bounded at any resolution."""
    d0 = jnp.maximum(d_half[0], 0.0)
    s = _safe_sqrt(d0)
    along = jnp.where(s > 0, d_half / jnp.where(s > 0, s, 1.0), 0.0)
    across = _safe_sqrt(d0 - along**2)
    weighted = w[None, :] * fun(a * jnp.sin(theta)[:, None] + s * z[None, :])  # (phase, z1)

    def one(lag):
        along_k, across_k, tau_k = lag
        xt = (a * jnp.sin(theta + omega * tau_k)[:, None, None] + along_k * z[None, :, None]
              + across_k * z[None, None, :])  # (phase, z1, z2)
        return jnp.sum(weighted * (fun(xt) @ w)) / theta.shape[0]

    per_lag = theta.shape[0] * z.shape[0] ** 2
    batch = max(1, min(tau_half.shape[0], 2**22 // per_lag))
    return jax.lax.map(one, (along, across, tau_half), batch_size=batch)


def _full(half):
    """The even periodic sequence on the whole grid from its values at k ≤ grid/2."""
    return jnp.concatenate([half, half[-2:0:-1]])


class _Problem(eqx.Module):
    """The static pieces of one resolution: nodes and the unit spectral second derivative."""

    grid: int = eqx.field(static=True)
    theta: jax.Array
    z: jax.Array
    w: jax.Array
    harmonics: jax.Array  # n for the rfft harmonics 0 ... grid/2
    laplacian: jax.Array  # d²/du² on the grid of u ∈ [0, 2π) (spectral): d²/dτ² = ω² · this

    def __init__(self, resolution, dtype):
        grid, phases, points = resolution
        self.grid = grid
        self.theta = jnp.asarray((np.arange(phases) + 0.5) * 2 * np.pi / phases, dtype)
        self.z, self.w = gaussian_nodes(points, dtype)
        self.harmonics = jnp.arange(grid // 2 + 1, dtype=dtype)
        n = np.fft.fftfreq(grid, d=1.0 / grid)
        second = np.real(np.fft.ifft(-(n**2)[:, None] * np.fft.fft(np.eye(grid), axis=0), axis=0))
        self.laplacian = jnp.asarray(0.5 * (second + second.T), dtype)


def _update(d_half, args):
    """One self-consistency step D → g² C(D) / (1 + (nω)²) (harmonic by harmonic)."""
    problem, gain, a, frequency = args
    omega = 2 * jnp.pi * frequency
    tau_half = problem.harmonics / (frequency * problem.grid)  # τ_k = k P / grid
    rates = _correlation(jnp.tanh, d_half, a, omega, tau_half, problem.theta, problem.z,
                         problem.w)
    spectrum = jnp.fft.rfft(_full(rates))
    d = jnp.fft.irfft(gain**2 * spectrum / (1 + (problem.harmonics * omega) ** 2), n=problem.grid)
    return d[: problem.grid // 2 + 1]


def _anderson(fun, d_init, tol, max_iterations, history):
    """Anderson-accelerated iteration of d → fun(d) (mixing ½, `history` previous iterates)
    until max |fun(d) - d| < tol. Returns (d, residual, iterations)."""
    n = d_init.shape[0]
    dtype = d_init.dtype

    def cond(state):
        _, _, _, residual, iteration = state
        return (residual >= tol) & (iteration < max_iterations)

    def body(state):
        d, xs, rs, _, iteration = state
        r = fun(d) - d
        xs = jnp.roll(xs, -1, axis=0).at[-1].set(d)
        rs = jnp.roll(rs, -1, axis=0).at[-1].set(r)
        valid = jnp.arange(history - 1) >= history - 1 - iteration  # rows of both valid iterates
        d_r = jnp.where(valid[:, None], jnp.diff(rs, axis=0), 0.0).T
        d_x = jnp.where(valid[:, None], jnp.diff(xs, axis=0), 0.0).T
        # least squares min |r - d_r γ| by the normal equations (a (history-1)² system; the
        # ridge keeps unused, all-zero columns at γ = 0)
        gram = d_r.T @ d_r
        ridge = 1e-14 * jnp.trace(gram) + jnp.finfo(dtype).tiny ** 0.5
        gamma = jnp.linalg.solve(gram + ridge * jnp.eye(history - 1, dtype=dtype), d_r.T @ r)
        step = 0.5 * r - (d_x + 0.5 * d_r) @ gamma
        residual = jnp.max(jnp.abs(r))
        d_next = jnp.where(residual < tol, d, d + step)
        return d_next, xs, rs, residual, iteration + 1

    zeros = jnp.zeros((history, n), dtype)
    state = (d_init, zeros, zeros, jnp.asarray(jnp.inf, dtype), jnp.asarray(0))
    d, _, _, residual, iteration = jax.lax.while_loop(cond, body, state)
    return d, residual, iteration


class LockedState(eqx.Module):
    """The input-locked periodic state of the driven SCS network and its stability (see
    `locked_state`; arrays gain a leading axis under `jax.vmap`).

    - `gain` g, `amplitude` A (before the neuron's low-pass filter), `frequency` f (1/time),
      `filtered_amplitude` a = A/√(1 + (2πf)²) (= A at f = 0).
    - `tau`: τ_k = k/(f grid), k ≤ grid/2 (half a period: D, C, K are even and P-periodic);
      at f = 0 the single lag 0.
    - `delta`: D(τ_k) = ⟨η(t)η(t + τ_k)⟩ of the recurrent input η (a covariance, not a standard
      deviation); `delta0` = D(0). `rate_correlation`: C(τ_k) = ⟨tanh x(t) tanh x(t + τ_k)⟩;
      `derivative_correlation`: K(τ_k) = ⟨φ'(x(t)) φ'(x(t + τ_k))⟩ (both without g²).
    - `ground_energy`: E0 of H = -d²/dτ² - g² K(τ); `lyapunov`: λ = -1 + √(-E0) (1/time), the
      locked state's largest exponent; `stable`: E0 > -1 (λ < 0).
    - `residual`: max |ΔD| of the last self-consistency iteration; `iterations` (0 at f = 0,
      solved by bisection).
    - `ground_energy_error`, `delta0_error`: |E0 - E0'|, |Δ0 - Δ0'| against the solution one
      resolution rung coarser (an upper estimate: convergence is exponential).
    """

    __repr__ = result_repr

    gain: jax.Array
    amplitude: jax.Array
    frequency: jax.Array
    filtered_amplitude: jax.Array
    tau: jax.Array
    delta: jax.Array
    delta0: jax.Array
    rate_correlation: jax.Array
    derivative_correlation: jax.Array
    ground_energy: jax.Array
    lyapunov: jax.Array
    stable: jax.Array
    residual: jax.Array
    iterations: jax.Array
    ground_energy_error: jax.Array
    delta0_error: jax.Array


def _sech2(x):
    return 1.0 / jnp.cosh(x) ** 2


def _periodic(gain, amplitude, frequency, problem, d_init, tol, max_iterations, history):
    """The locked state at f > 0 on one resolution; also returns the final D for warm starts."""
    omega = 2 * jnp.pi * frequency
    a = amplitude / jnp.sqrt(1 + omega**2)
    args = (problem, gain, a, frequency)
    d_loop, residual, iterations = _anderson(
        lambda d: _update(d, jax.lax.stop_gradient(args)), jax.lax.stop_gradient(d_init),
        tol, max_iterations, history)
    # One more iteration from the converged D, differentiable by the implicit function theorem.
    solution = optx.fixed_point(
        _update, optx.FixedPointIteration(rtol=0.0, atol=1e300),  # exactly one step
        jax.lax.stop_gradient(d_loop), args=args, max_steps=1, throw=False,
        adjoint=optx.ImplicitAdjoint(lx.GMRES(rtol=1e-10, atol=1e-10)))
    d = solution.value
    tau_half = problem.harmonics / (frequency * problem.grid)
    rates = _correlation(jnp.tanh, d, a, omega, tau_half, problem.theta, problem.z, problem.w)
    kernel = _correlation(_sech2, d, a, omega, tau_half, problem.theta, problem.z, problem.w)
    hamiltonian = -(omega**2) * problem.laplacian - gain**2 * jnp.diag(_full(kernel))
    e0 = jnp.linalg.eigvalsh(hamiltonian)[0]
    state = LockedState(gain, amplitude, frequency, a, tau_half, d, d[0], rates, kernel, e0,
                        -1 + jnp.sqrt(-e0), e0 > -1, residual, iterations,
                        jnp.zeros_like(e0), jnp.zeros_like(e0))
    return state, d_loop


def _static_mean(fun, a, delta, problem):
    x = a * jnp.sin(problem.theta)[:, None] + _safe_sqrt(delta) * problem.z[None, :]
    return jnp.sum(problem.w * fun(x)) / problem.theta.shape[0]


def _static(gain, amplitude, problem):
    """The f = 0 locked state: Δ = g²⟨tanh²(a sin θ + √Δ z)⟩ by bisection on (0, g²]
    (optimistix, implicit derivatives), E0 = -g²⟨sech⁴⟩."""
    dtype = jnp.result_type(gain)
    eps = float(jnp.finfo(dtype).eps)

    def mismatch(delta, args):
        g, a = args
        return g**2 * _static_mean(lambda x: jnp.tanh(x) ** 2, a, delta, problem) - delta

    solver = optx.Bisection(rtol=0.0, atol=4 * eps, flip=True)
    solution = optx.root_find(mismatch, solver, 0.5 * gain**2, args=(gain, amplitude),
                              options={"lower": jnp.asarray(0.0, dtype),
                                       "upper": gain**2 + 4 * eps},
                              max_steps=256, throw=False)
    delta = jnp.maximum(solution.value, 0.0)
    rates = _static_mean(lambda x: jnp.tanh(x) ** 2, amplitude, delta, problem)
    kernel = _static_mean(lambda x: _sech2(x) ** 2, amplitude, delta, problem)
    e0 = -(gain**2) * kernel
    residual = jnp.abs(mismatch(delta, (gain, amplitude)))
    zero = jnp.zeros((), dtype)
    return LockedState(gain, amplitude, zero, amplitude, zero[None], delta[None], delta,
                       rates[None], kernel[None], e0, -1 + jnp.sqrt(-e0), e0 > -1, residual,
                       jnp.asarray(0), zero, zero)


def _solve_once(gain, amplitude, frequency, resolution, static, tol, max_iterations, history,
                d_init=None):
    problem = _Problem(resolution, gain.dtype)
    if static:
        return _static(gain, amplitude, problem), None
    if d_init is None:
        d_init = jnp.ones(resolution[0] // 2 + 1, gain.dtype)
    return _periodic(gain, amplitude, frequency, problem, d_init, tol, max_iterations, history)


def _with_error(fine, coarse):
    return eqx.tree_at(lambda s: (s.ground_energy_error, s.delta0_error), fine,
                       (jnp.abs(fine.ground_energy - coarse.ground_energy),
                        jnp.abs(fine.delta0 - coarse.delta0)))


@eqx.filter_jit
def _solve(gain, amplitude, frequency, resolution, static, tol, max_iterations, history):
    fine, _ = _solve_once(gain, amplitude, frequency, resolution, static, tol, max_iterations,
                          history)
    # The estimate is not differentiated: derivatives go through the fine solution only.
    coarse, _ = _solve_once(*(jax.lax.stop_gradient(p) for p in (gain, amplitude, frequency)),
                            tuple(_one_rung_down(n) for n in resolution), static, tol,
                            max_iterations, history)
    return _with_error(fine, coarse)


# ---------------------------------------------------------------------------------------------
# Accuracy checks (eagerly, or at run time under jit).


def _warn(where, labels, values, tolerance, advice):
    """Warn where the iteration stopped above `tol`, or where an error estimate relative to
    max(|value|, 1) exceeds `tolerance`; `values` = (value, error, value, error, residual, tol)
    with the two values named by `labels`."""
    first, first_error, second, second_error, residual, tol = (float(np.asarray(v))
                                                               for v in values)
    if not residual < tol:
        warnings.warn(f"{where}: the self-consistency iteration stopped at residual "
                      f"{residual:.2g} > tol = {tol:g}; raise max_iterations", AccuracyWarning,
                      stacklevel=4)
    worst = max(first_error / max(abs(first), 1.0), second_error / max(abs(second), 1.0))
    if not worst <= tolerance:
        warnings.warn(f"{where}: estimated relative error {worst:.2g} of {labels[0]} = "
                      f"{first:.10g} / {labels[1]} = {second:.10g} exceeds tolerance = "
                      f"{tolerance:g}; {advice}", AccuracyWarning, stacklevel=4)


def _check_accuracy(where, labels, values, tolerance, advice):
    """`_warn` now, or at run time (`jax.debug.callback`) when traced."""
    if _is_traced(values):
        jax.debug.callback(lambda *v: _warn(where, labels, v, tolerance, advice), *values)
    else:
        _warn(where, labels, values, tolerance, advice)


def _resolve(gain, amplitude, frequency, grid, phases, points):
    traced = _is_traced((gain, amplitude, frequency))
    auto = (locked_resolution(1.5, 1.0, 0.05) if traced
            else locked_resolution(gain, amplitude, frequency))
    resolution = tuple(a if v is None else v
                       for v, a in zip((grid, phases, points), auto, strict=True))
    for name, value in zip(("grid", "phases", "points"), resolution, strict=True):
        check_real(name, value, positive=True, integer=True)
        if int(value) < 4 or int(value) % 2:
            raise ConfigError(f"{name} must be even and >= 4, got {value}")
    return tuple(int(v) for v in resolution)


def _is_static(frequency) -> bool:
    """f = 0 selects the static theory (a Python decision: shapes differ); a traced frequency is
    taken to be > 0."""
    if _is_traced(frequency):
        return False
    return float(np.asarray(frequency)) == 0.0


def _as_float(value):
    value = jnp.asarray(value)
    return value.astype(jnp.result_type(float, value.dtype))


def locked_state(gain, amplitude, frequency, *, grid=None, phases=None, points=None,
                 tol: float = 1e-11, max_iterations: int = 2000, history: int = 6,
                 tolerance: float = 1e-6) -> LockedState:
    """The input-locked periodic state of the SCS network driven by independent-phase sinusoids
    and its stability (module docstring; Rajan, Abbott & Sompolinsky 2010):

        dx_i/dt = -x_i + g Σ_j W_ij tanh(x_j) + A sin(2π f t + θ_i),   W_ij ~ N(0, 1/N),

    τ = 1, θ_i independent and uniform. The state is x = a sin(2πft + θ) + η with a the filtered
    amplitude and η Gaussian and periodic with covariance D(τ), D_n = g² C_n/(1 + (2πnf)²); it
    is stable iff the ground energy E0 of -d²/dτ² - g² K(τ) exceeds -1, K = ⟨φ'φ'⟩; its largest
    exponent is λ = -1 + √(-E0). f = 0: the static theory (quenched input A sin θ).

    **Arguments:**
    - `gain`: g > 0 (the std of the couplings times √N). `amplitude`: A ≥ 0, the input's
      amplitude before the neuron's low-pass filter. `frequency`: f ≥ 0 in 1/τ; f = 0 is the
      static limit (under jit a traced f is taken to be > 0). Scalars (vmap for several).
    - `grid`: points per input period (even); `phases`: midpoint nodes over θ; `points`:
      trapezoid nodes per Gaussian axis. Left None, chosen by `locked_resolution` (from
      g = 1.5, A = 1, f = 0.05 when traced: pass them for other values under jit).
    - `tol`: the self-consistency stops when max |ΔD| < tol; `max_iterations`, `history`: of
      the Anderson iteration.
    - `tolerance`: relative accuracy of E0 and Δ0 by their own error estimate (one resolution
      rung coarser); an `AccuracyWarning` otherwise (also under jit, at run time), and when the
      iteration does not reach `tol`.

    **Returns:** a `LockedState` (E0, Δ0, D(τ), C(τ), K(τ), λ, `stable`, residual, iterations
    and the error estimates). Differentiable in g, A and f (`jax.grad` of `.ground_energy`,
    `.delta0`): D by the implicit function theorem, E0 by eigvalsh's derivative.
    Cost after compilation (seconds): ~0.1 s per solution at f ≥ 0.05, ~5 s at f = 0.001 (the
    grid grows like √(1/f)) on a shared CPU core.
    """
    _check_parameters(gain, amplitude, frequency)
    for name, value in (("tol", tol), ("tolerance", tolerance)):
        check_real(name, value, positive=True)
    check_real("max_iterations", max_iterations, positive=True, integer=True)
    check_real("history", history, positive=True, integer=True)
    if int(history) < 2:
        raise ConfigError(f"history must be >= 2, got {history}")
    resolution = _resolve(gain, amplitude, frequency, grid, phases, points)
    gain, amplitude, frequency = (_as_float(v) for v in (gain, amplitude, frequency))
    static = _is_static(frequency)
    result = _solve(gain, amplitude, frequency, resolution, static, float(tol),
                    int(max_iterations), int(history))
    where = (f"locked_state at g = {gain}, A = {amplitude}, f = {frequency}"
             if not _is_traced(result) else "locked_state")
    _check_accuracy(where, ("E0", "Δ0"),
                    (result.ground_energy, result.ground_energy_error, result.delta0,
                     result.delta0_error, result.residual, jnp.asarray(tol)),
                    tolerance, "raise grid, phases and points (or leave them None for the "
                    "automatic resolution)")
    return result


# ---------------------------------------------------------------------------------------------
# The critical amplitude.


class CriticalAmplitude(eqx.Module):
    """A_c(f): the input amplitude at which the locked state loses stability, E0(A_c, f) = -1
    (see `critical_input_amplitude`).

    - `gain`, `frequency`; `amplitude`: A_c (before the neuron's filter);
      `filtered_amplitude`: a_c = A_c/√(1 + (2πf)²).
    - `ground_energy`: E0 at A_c (-1 to the root finder's accuracy); `evaluations`: locked
      states solved.
    - `amplitude_error`: the estimate |E0 - E0'|/|∂E0/∂A| at A_c, E0' one resolution rung
      coarser (the slope from the final bracket). 0 where A_c = 0.
    """

    __repr__ = result_repr

    gain: jax.Array
    frequency: jax.Array
    amplitude: jax.Array
    filtered_amplitude: jax.Array
    ground_energy: jax.Array
    evaluations: jax.Array
    amplitude_error: jax.Array


# stages of the root finder's single loop (one compiled copy of the locked-state solver)
_ZERO, _LOWER, _UPPER, _GROW, _REFINE, _FINAL, _DONE = range(7)


@eqx.filter_jit
def _critical(gain, frequency, resolution, static, tol, max_iterations, history, xtol):
    """E0(a) + 1 = 0 in the filtered amplitude a: A = 0 first (A_c = 0 if already stable), then
    the bracket [0.4, 0.6] grown or shrunk by 1.5 until E0 + 1 changes sign, then the Illinois
    variant of regula falsi until the bracket is below xtol·a, then the solution at A_c. One
    `lax.while_loop` evaluates one amplitude per step (D warm-started from the previous one)."""
    dtype = gain.dtype
    scale = jnp.sqrt(1 + (2 * jnp.pi * frequency) ** 2)
    one = jnp.asarray(1.0, dtype)

    def regula_falsi(lo, hi, e_lo, e_hi):
        mid = (lo * e_hi - hi * e_lo) / (e_hi - e_lo)
        return jnp.clip(mid, lo + 0.01 * xtol * hi, hi - 0.01 * xtol * hi)

    def probe(c):
        stage, lo, hi, e_lo, e_hi = c["stage"], c["lo"], c["hi"], c["e_lo"], c["e_hi"]
        grow = jnp.where(e_lo > 0, lo / 1.5, hi * 1.5)
        refine = regula_falsi(lo, hi, e_lo, e_hi)
        return jnp.select([stage == _ZERO, stage == _LOWER, stage == _UPPER, stage == _GROW,
                           stage == _REFINE], [0 * one, lo, hi, grow, refine], c["a_c"])

    def body(c):
        a = probe(c)
        state, d = _solve_once(gain, a * scale, frequency, resolution, static, tol,
                               max_iterations, history, c["d"])
        e = state.ground_energy + 1.0
        stage, lo, hi, e_lo, e_hi = c["stage"], c["lo"], c["hi"], c["e_lo"], c["e_hi"]
        n = dict(c, d=c["d"] if d is None else d, count=c["count"] + 1)
        bracketed = lambda e_lo, e_hi: (e_lo < 0) & (e_hi > 0)  # noqa: E731
        stable = e >= 0  # at A = 0: nothing to suppress, A_c = 0
        zero = dict(stage=jnp.where(stable, _DONE, _LOWER), energy=e - 1.0)
        lower = dict(stage=_UPPER, e_lo=e)
        upper_ok = bracketed(e_lo, e)
        upper = dict(stage=jnp.where(upper_ok, _REFINE, _GROW), e_hi=e)
        down = e_lo > 0  # shrink: the old lower end becomes the upper one
        g_lo, g_hi = jnp.where(down, a, hi), jnp.where(down, lo, a)
        g_elo, g_ehi = jnp.where(down, e, e_hi), jnp.where(down, e_lo, e)
        grow = dict(lo=g_lo, hi=g_hi, e_lo=g_elo, e_hi=g_ehi,
                    stage=jnp.where(bracketed(g_elo, g_ehi) | (c["count"] > 60), _REFINE,
                                    _GROW))
        left = e < 0  # the root lies above a: a replaces lo
        # Illinois: halve the retained end's value when the same end is kept twice
        r_ehi = jnp.where(left & (c["side"] == 1), 0.5 * e_hi, e_hi)
        r_elo = jnp.where(~left & (c["side"] == -1), 0.5 * e_lo, e_lo)
        r_lo, r_hi = jnp.where(left, a, lo), jnp.where(left, hi, a)
        r_elo, r_ehi = jnp.where(left, e, r_elo), jnp.where(left, r_ehi, e)
        finished = (r_hi - r_lo <= xtol * r_hi) | (e == 0) | (c["count"] > 200)
        a_c = jnp.clip(regula_falsi(r_lo, r_hi, r_elo, r_ehi), r_lo, r_hi)
        a_c = jnp.where(e == 0, a, a_c)
        refine = dict(lo=r_lo, hi=r_hi, e_lo=r_elo, e_hi=r_ehi, side=jnp.where(left, 1, -1),
                      slope=(e - c["e_prev"]) / (a - c["a_prev"]), a_c=a_c,
                      stage=jnp.where(finished, _FINAL, _REFINE))
        final = dict(stage=_DONE, energy=e - 1.0)
        for branch_stage, branch in ((_ZERO, zero), (_LOWER, lower), (_UPPER, upper),
                                     (_GROW, grow), (_REFINE, refine), (_FINAL, final)):
            for key, value in branch.items():
                n[key] = jnp.where(stage == branch_stage, value, n[key]).astype(n[key].dtype)
        n["e_prev"], n["a_prev"] = e, a
        return n

    start = {"stage": jnp.asarray(_ZERO), "lo": 0.4 * one, "hi": 0.6 * one,
             "e_lo": 0 * one, "e_hi": 0 * one, "side": jnp.asarray(0), "a_c": 0 * one,
             "energy": -one, "slope": 0 * one, "e_prev": 0 * one, "a_prev": -one,
             "count": jnp.asarray(0), "d": jnp.ones(resolution[0] // 2 + 1, dtype)}
    c = jax.lax.while_loop(lambda c: c["stage"] != _DONE, body, start)
    a_c = c["a_c"]
    coarse, _ = _solve_once(gain, a_c * scale, frequency,
                            tuple(_one_rung_down(n) for n in resolution), static, tol,
                            max_iterations, history)
    # ∂E0/∂a: the larger of the last bracket's secant and the last two probes' secant (the
    # Illinois-scaled ends underestimate it; E0 touches -1 tangentially from below, RAS's
    # branch point, so only the upper side gives the slope)
    slope = jnp.maximum(jnp.abs((c["e_hi"] - c["e_lo"]) / (c["hi"] - c["lo"])),
                        jnp.abs(c["slope"]))
    error = jnp.where(a_c > 0, jnp.abs(c["energy"] - coarse.ground_energy) / slope * scale, 0.0)
    return CriticalAmplitude(gain, frequency, a_c * scale, a_c, c["energy"], c["count"], error)


def critical_input_amplitude(gain, frequency, *, grid=None, phases=None, points=None,
                             tol: float = 1e-11, max_iterations: int = 2000, history: int = 6,
                             xtol: float = 1e-9, tolerance: float = 1e-5) -> CriticalAmplitude:
    """The critical amplitude A_c(f) of the sinusoidal input with independent phases that
    suppresses chaos in the SCS network (Rajan, Abbott & Sompolinsky 2010): the locked state
    (`locked_state`, same equation and conventions) is stable for A > A_c, E0(A_c, f) = -1.
    Non-monotonic in f: at g = 1.5 it falls from the static 0.595 (f → 0) to ~0.44 near
    f ≈ 0.02–0.03 and rises steeply above (3.31 at f = 0.5: the neuron's low-pass filter).

    **Arguments:**
    - `gain`: g > 0; for g ≤ 1 (and whenever the locked state is stable without input) A_c = 0.
    - `frequency`: f ≥ 0 in 1/τ; f = 0 is the static theory, g²⟨φ'(A sin θ + √Δ z)²⟩ = 1.
    - `grid`, `phases`, `points`, `tol`, `max_iterations`, `history`: as in `locked_state`.
      Left None, the resolution is `locked_resolution(g, A, f)` at the filtered amplitude
      a = max(g/2, g²/4), near A_c (from g = 1.5, A = 1, f = 0.05 when traced).
    - `xtol`: the root is bracketed in a = A/√(1 + (2πf)²) to `xtol`·a (Illinois regula falsi,
      after growing or shrinking the bracket [0.4, 0.6] by 1.5).
    - `tolerance`: relative accuracy of A_c by its error estimate (`amplitude_error`: the
      change of E0 one resolution rung coarser over the slope ∂E0/∂A); `AccuracyWarning`
      otherwise.

    **Returns:** a `CriticalAmplitude`. Works under `jax.jit` and `jax.vmap`; not
    differentiable (the root is found in a `lax.while_loop`): dA_c/dg = -(∂E0/∂g)/(∂E0/∂A)
    from `jax.grad` of `locked_state(...).ground_energy` at A_c (above A_c: E0 has a kink).
    Cost: 10–20 locked states (seconds; tens of seconds
    at f ≤ 0.001, where the grid grows like √(1/f)).
    """
    _check_parameters(gain, None, frequency)
    for name, value in (("tol", tol), ("tolerance", tolerance), ("xtol", xtol)):
        check_real(name, value, positive=True)
    check_real("max_iterations", max_iterations, positive=True, integer=True)
    check_real("history", history, positive=True, integer=True)
    if int(history) < 2:
        raise ConfigError(f"history must be >= 2, got {history}")
    if _is_traced((gain, frequency)):
        resolution = _resolve(gain, 1.0, frequency, grid, phases, points)  # traced defaults
    else:
        # the filtered A_c is ≈ g²/4 at larger g (2.46 at g = 3, 5.18 at g = 5), 0.43–1 at 1.5
        filtered = max(0.5 * float(gain), 0.25 * float(gain) ** 2)
        amplitude = filtered * math.sqrt(1 + (2 * math.pi * float(frequency)) ** 2)
        resolution = _resolve(gain, amplitude, frequency, grid, phases, points)
    gain, frequency = (_as_float(v) for v in (gain, frequency))
    static = _is_static(frequency)
    result = _critical(gain, frequency, resolution, static, float(tol), int(max_iterations),
                       int(history), float(xtol))
    where = (f"critical_input_amplitude at g = {gain}, f = {frequency}"
             if not _is_traced(result) else "critical_input_amplitude")
    _check_accuracy(where, ("E0", "A_c"), (result.ground_energy, jnp.zeros(()), result.amplitude,
                            result.amplitude_error, jnp.zeros(()), jnp.ones(())),
                    tolerance, "raise grid, phases and points")
    return result
