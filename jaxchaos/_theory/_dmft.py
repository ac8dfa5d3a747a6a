"""Dynamical mean-field theory of the SCS rate network (SCS 1988; Crisanti & Sompolinsky 2018).

For `dx/dt = -x + Σ_j J_ij φ(x_j)`, `J_ij ~ N(0, g²/N)`, N → ∞, the autocorrelation
`Δ(τ) = ⟨x(t)x(t+τ)⟩` (time in units of the neuron time constant) obeys

    Δ'' = Δ - g² C_φ(Δ; Δ0) = -∂V/∂Δ,     V(Δ; Δ0) = -Δ²/2 + g² C_Φ(Δ; Δ0),

with `C_f(Δ; Δ0) = E[f(u)f(v)]`, (u, v) Gaussian with variances Δ0 and covariance Δ, and Φ' = φ,
Φ(0) = 0. The chaotic solution leaves Δ0 = Δ(0) at rest and creeps into Δ = 0, so Δ0 solves the
energy condition `V(Δ0; Δ0) = V(0; Δ0)`, i.e. `Δ0²/2 = g² Var[Φ(u)]`, u ~ N(0, Δ0). It decays as
`Δ ∝ e^{-κτ}`, `κ = √(1 - g² E[φ'(u)]²)`. The largest Lyapunov exponent is
`λ_max = -1 + √(-E0)`, E0 the ground-state energy of `H = -d²/dτ² - g² C_φ'(Δ(τ); Δ0)`, and
`H Δ' = -Δ'` exactly, so the first excited energy is E1 = -1 (a check of every solution).

The theory here needs odd φ (`tanh`, `erf`): then ⟨φ⟩ = 0 and Δ(∞) = 0. For φ with a mean
(`rectified_tanh`, `shifted_tanh`, `relu`) Δ(τ) decays to a non-zero plateau; not implemented.

Numerics: Δ0 by bisection in log Δ0 (optimistix) with implicit derivatives; C_φ and C_φ' on
Chebyshev nodes of [0, Δ0] (2-D trapezoid rule, `_gaussian`); Δ(τ) by RK4 from Δ0 on a grid in
units of 1/κ, with the exponential tail `Δ(τ_s) e^{-κ(τ-τ_s)}` once Δ < ε^{1/4}Δ0 (the separatrix
is unstable to round-off: the Newtonian orbit would otherwise overshoot or fall back); E0 and E1
from cell-centred finite differences on [0, τ_max] (even and odd sectors, symmetric tridiagonal),
Richardson-extrapolated from steps h and h/2 (error O(h⁴)).

Resolution and accuracy. At large g the Gaussian integrands vary on the scale 1/√Δ0 of the
standard normal variable (tanh's poles sit at Im z = π/(2√Δ0)), the kernels C_φ'(Δ) on the scale
1/Δ0 of [0, Δ0] near Δ = Δ0, and the potential on a time scale ~1/g: all three resolutions must
grow like g. By default they are chosen from the bound √Δ0 ≤ g (|φ| ≤ 1) on the ladder of
`on_ladder` (`scs_resolution`); the solution is also computed one ladder rung coarser, and the
difference is returned as the error estimate (`lyapunov_error`, `delta0_error`; convergence is
exponential in the Gaussian and Chebyshev resolutions and O(h⁴) in the cells, so the estimate
bounds the finer result's error). An `AccuracyWarning` is issued when it exceeds `tolerance`.
Measured against the independent value λ_max(20) = 1.19049474: 1.1904947 (error 4e-9); with the
former fixed resolution (1024 cells, 64 nodes, 240 points) 1.15453, 3 % off.
"""

import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from .._core._errors import AccuracyWarning, ConfigError, check_real
from .._core._nonlinearities import Nonlinearity
from .._core._progress import ProgressBar, check_progress
from .._core._results import result_repr
from ._gaussian import _expect, _expect_pair

ODD_NONLINEARITIES = ("tanh", "erf", "erf_standard")


def _odd_nonlinearity(nonlinearity) -> Nonlinearity:
    phi = nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)
    if phi.name not in ODD_NONLINEARITIES:
        raise ConfigError(
            f"the SCS mean-field theory is implemented for odd φ {ODD_NONLINEARITIES}, not "
            f"{phi.name!r} (φ with a non-zero mean needs the plateau Δ(∞) > 0, not implemented)"
        )
    return phi


def _check_gain(gain):
    check_real("gain", gain, nonnegative=True)


# ---------------------------------------------------------------------------------------------
# Δ0 from the energy condition.


def _energy_mismatch(log_delta0, args):
    """2g² Var[Φ(u)]/Δ0² - 1, u ~ N(0, Δ0): zero at the chaotic Δ0; g² - 1 as Δ0 → 0."""
    gain, phi, points = args
    delta0 = jnp.exp(log_delta0)
    mean = _expect(phi.antiderivative, 0.0, delta0, points)
    square = _expect(lambda x: phi.antiderivative(x) ** 2, 0.0, delta0, points)
    return 2 * gain**2 * (square - mean**2) / delta0**2 - 1  # E[Φ²] ≤ 3 E[Φ]²: no cancellation


def _delta0(gain, phi, points):
    """Δ0 for g > 1 (traceable; Var x ≤ g² sup φ² = g² brackets the root)."""
    dtype = jnp.result_type(gain)
    eps = float(jnp.finfo(dtype).eps)
    lower = 2 * math.log(eps)
    upper = 2 * jnp.log(gain)
    solver = optx.Bisection(rtol=0.0, atol=16 * eps, flip=True)
    solution = optx.root_find(
        lambda y, g: _energy_mismatch(y, (g, phi, points)), solver, 0.5 * (lower + upper),
        args=gain, options={"lower": lower, "upper": upper}, max_steps=128, throw=False,
    )
    return jnp.exp(solution.value)


def _is_traced(value) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(value))


def _onset_gain(phi) -> float:
    with jax.ensure_compile_time_eval():  # a Python float, also when called under jit
        return 1.0 / float(phi.derivative(0.0))


def on_ladder(needed: float, least: int) -> int:
    """The smallest size `least`·2^(j/4), j = 0, 1, ..., rounded up to even, that is ≥ `needed`.
    Sizes are static shapes (each compiles once, seconds): a coarse ladder lets a sweep over
    parameters reuse a few compilations, at most 19 % above the size needed."""
    j = max(0, math.ceil(4 * math.log2(max(needed, 1.0) / least) - 1e-9))
    return 2 * math.ceil(least * 2 ** (j / 4) / 2)


def _one_rung_down(size: int) -> int:
    """The even size one ladder rung (a factor 2^(1/4)) below `size`."""
    return max(2, 2 * round(size * 2**-0.25 / 2))


def scs_resolution(gain) -> tuple[int, int, int]:
    """The default `(cells, chebyshev, points)` of `scs_dmft` for gains up to max(`gain`):
    ~205, 8 and 70 per unit of the bound √Δ0 ≤ g (|φ| ≤ 1), at least (1024, 64, 240), on the
    `on_ladder` sizes. Calibrated on tanh at g = 20 (Δ0 = 289): 128 nodes, 1200 points and 4096
    cells reach λ_max to 4e-9; each resolution alone at a third of that costs 1e-7 to 4e-2."""
    bound = max(1.0, float(np.max(np.asarray(gain, float))))
    return on_ladder(205 * bound, 1024), on_ladder(8 * bound, 64), on_ladder(70 * bound, 240)


def scs_delta0(gain, nonlinearity="tanh", *, points=None):
    """Δ0 = ⟨x²⟩ of the chaotic SCS network (the variance, not the standard deviation) from the
    energy condition `Δ0²/2 = g² Var[Φ(u)]`, u ~ N(0, Δ0). In seed 000's convention (gain inside
    φ: φ(h) = tanh(g h), J = 1, so x = g h) the same network has Δ0_h = Δ0 / g².

    Below onset (g ≤ 1/φ'(0) = 1) it is 0 (the fixed point x = 0). `jax.grad`/`jax.jvp` in `gain`
    by implicit differentiation of the root. `gain` may be an array (evaluated elementwise).
    `points`: trapezoid points of the Gaussian integrals, by default those of `scs_dmft` at the
    same gains (`scs_resolution`), so that both return the same Δ0.
    """
    _check_gain(gain)
    phi = _odd_nonlinearity(nonlinearity)
    if points is None:
        points = scs_resolution(1.0)[2] if _is_traced(gain) else scs_resolution(gain)[2]
    check_real("points", points, positive=True, integer=True)
    onset = _onset_gain(phi)

    def one(g):
        safe = jnp.where(g > onset, g, 2 * onset)
        return jnp.where(g > onset, _delta0(safe, phi, points), 0.0)

    gain = jnp.asarray(gain, jnp.result_type(float, gain))
    return jnp.vectorize(one)(gain)


def scs_potential(delta, delta0, gain, nonlinearity="tanh", *, points: int = 240):
    """V(Δ; Δ0) = -Δ²/2 + g² E[Φ(u)Φ(v)], Var u = Var v = Δ0, Cov(u, v) = Δ, Φ' = φ, Φ(0) = 0.

    The Newtonian equation is Δ'' = -∂V/∂Δ. Broadcasts over `delta`; |Δ| ≤ Δ0.
    """
    _check_gain(gain)
    check_real("delta0", delta0, nonnegative=True)
    check_real("delta", delta)
    phi = _odd_nonlinearity(nonlinearity)

    def one(d):
        return -0.5 * d**2 + gain**2 * _expect_pair(phi.antiderivative, phi.antiderivative,
                                                    delta0, delta0, d, points)

    return jnp.vectorize(one)(jnp.asarray(delta, jnp.result_type(float, delta)))


# ---------------------------------------------------------------------------------------------
# Chebyshev interpolation of C_φ(Δ) and C_φ'(Δ) on [0, Δ0].


def _chebyshev_nodes(m: int):
    """Chebyshev–Gauss nodes x_k = cos(π(k+½)/m) in (-1, 1) and their barycentric weights."""
    theta = np.pi * (np.arange(m) + 0.5) / m
    return np.cos(theta), (-1.0) ** np.arange(m) * np.sin(theta)


def _interpolate(values, x):
    """The polynomial through (x_k, values_k) at the Chebyshev–Gauss nodes, evaluated at x by
    the barycentric formula (stable; no loop, so cheap to compile inside the RK4 scan)."""
    nodes, weights = (jnp.asarray(a, values.dtype) for a in _chebyshev_nodes(values.shape[-1]))
    diff = x[..., None] - nodes
    hit = diff == 0
    ratio = weights / jnp.where(hit, 1.0, diff)
    exact = jnp.sum(jnp.where(hit, values, 0.0), axis=-1)
    smooth = jnp.sum(ratio * values, axis=-1) / jnp.sum(ratio, axis=-1)
    return jnp.where(jnp.any(hit, axis=-1), exact, smooth)


# ---------------------------------------------------------------------------------------------
# Lowest eigenvalue of a symmetric tridiagonal matrix, differentiable (Hellmann–Feynman).


def _count_below(diag, off_sq, x):
    """Number of eigenvalues < x (Sturm sequence of the LDLᵀ pivots of T - x)."""
    tiny = jnp.finfo(diag.dtype).tiny ** 0.5

    def body(carry, de):
        pivot, count = carry
        d, e2 = de
        pivot = d - x - e2 / pivot
        pivot = jnp.where(jnp.abs(pivot) < tiny, -tiny, pivot)
        return (pivot, count + (pivot < 0)), None

    first = diag[0] - x
    first = jnp.where(jnp.abs(first) < tiny, -tiny, first)
    (_, count), _ = jax.lax.scan(body, (first, (first < 0).astype(jnp.int32)),
                                 (diag[1:], off_sq))
    return count


@jax.custom_jvp
def _lowest_eigenvalue(diag, off):
    """Lowest eigenvalue of the symmetric tridiagonal matrix (diag, off) by bisection on the
    Sturm count, from the Gershgorin interval down to round-off."""
    radius = jnp.abs(jnp.concatenate([off, jnp.zeros(1, off.dtype)]))
    radius = radius + jnp.abs(jnp.concatenate([jnp.zeros(1, off.dtype), off]))
    lower, upper = jnp.min(diag - radius), jnp.min(diag + radius)
    off_sq = off**2
    bits = jnp.finfo(diag.dtype).nmant + 12  # width / 2^bits is below eps·‖T‖

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        none_below = _count_below(diag, off_sq, mid) == 0
        return jnp.where(none_below, mid, lo), jnp.where(none_below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, bits, bisect, (lower, upper))
    return 0.5 * (lo + hi)


@_lowest_eigenvalue.defjvp
def _lowest_eigenvalue_jvp(primals, tangents):
    diag, off = primals
    d_diag, d_off = tangents
    energy = _lowest_eigenvalue(diag, off)
    # Ground state by inverse iteration just below `energy` (T - σ is positive definite there).
    eps = jnp.finfo(diag.dtype).eps
    scale = jnp.max(jnp.abs(diag)) + 2 * jnp.max(jnp.abs(off))
    shift = energy - 256 * eps * scale
    lower = jnp.concatenate([jnp.zeros(1, off.dtype), off])
    upper = jnp.concatenate([off, jnp.zeros(1, off.dtype)])
    vec = jnp.ones_like(diag)
    for _ in range(3):
        vec = jax.lax.linalg.tridiagonal_solve(lower, diag - shift, upper, vec[:, None])[:, 0]
        vec = vec / jnp.linalg.norm(vec)
    tangent = jnp.dot(vec**2, d_diag) + 2 * jnp.dot(vec[:-1] * vec[1:], d_off)
    return energy, tangent


def _sector_matrix(potential, h, odd: bool, size: int):
    """-d²/dτ² - W on the cells (j+½)h, j < n, of [0, n h]: mirror (even sector, Neumann) or
    antimirror (odd sector) at τ = 0 and ψ = 0 at τ = n h; padded to `size` rows by a decoupled
    block far above the spectrum."""
    n = potential.shape[0]
    diag = 2.0 / h**2 - potential
    diag = diag.at[0].add((1.0 if odd else -1.0) / h**2).at[-1].add(1.0 / h**2)
    off = jnp.full(n - 1, -1.0 / h**2, potential.dtype)
    pad = size - n
    diag = jnp.concatenate([diag, jnp.full(pad, 8.0 / h**2, diag.dtype)])
    off = jnp.concatenate([off, jnp.zeros(pad, off.dtype)])
    return diag, off


def _energies(potential, h):
    """(E0, E1): lowest even and odd energies, Richardson-extrapolated from the cells of size h
    (W at τ_i, i = 2, 6, 10, ...) and h/2 (i = 1, 3, 5, ...) of the grid τ_i = i h/4."""
    coarse, fine = potential[2::4], potential[1::2]
    size = fine.shape[0]
    matrices = [_sector_matrix(w, step, odd, size)
                for odd in (False, True) for w, step in ((coarse, h), (fine, h / 2))]
    diag, off = (jnp.stack(m) for m in zip(*matrices, strict=True))
    e = jax.vmap(_lowest_eigenvalue)(diag, off).reshape(2, 2)
    return (4 * e[:, 1] - e[:, 0]) / 3


# ---------------------------------------------------------------------------------------------
# The full solution.


class SCSMeanField(eqx.Module):
    """The DMFT solution of the SCS network at one gain (arrays gain a leading batch axis when
    `scs_dmft` is given several gains).

    - `gain`: g. `delta0`: Δ0 = ⟨x²⟩ (a variance) of jaxchaos's x = g h; seed 000 puts the gain
      inside φ (h' = -h + Σ J_ij tanh(g h_j), J = 1), whose Δ_h = Δ_x / g².
    - `decay_rate`: κ, Δ(τ) ∝ e^{-κτ} as τ → ∞ (1/time).
    - `tau`: the grid τ_i = i τ_max/(4 cells), τ_max = span/κ. `delta`: Δ(τ_i).
      `rate_correlation`: C(τ_i) = ⟨φ(x(t))φ(x(t+τ_i))⟩ = C_φ(Δ(τ_i); Δ0) (without g²).
    - `lyapunov`: λ_max = -1 + √(-E0) (1/time). `ground_energy`: E0. `first_excited_energy`:
      E1, which the exact theory puts at -1.
    - `lyapunov_error`, `delta0_error`: the error estimates |λ_max - λ'|, |Δ0 - Δ0'| against the
      solution one resolution rung coarser (an upper estimate: convergence is exponential).

    Below onset (g ≤ 1): Δ0 = 0, Δ ≡ 0, C ≡ 0, κ = 1 - g, λ_max = g - 1 (the linear network's
    -1 + g φ'(0)), and H = -d² - g² has no bound state: E0 = E1 = -g² (the continuum edge).
    """

    __repr__ = result_repr

    gain: jax.Array
    delta0: jax.Array
    decay_rate: jax.Array
    tau: jax.Array
    delta: jax.Array
    rate_correlation: jax.Array
    lyapunov: jax.Array
    ground_energy: jax.Array
    first_excited_energy: jax.Array
    lyapunov_error: jax.Array
    delta0_error: jax.Array

    def delta_at(self, tau):
        """Δ(τ) at any lags `tau` (any shape; Δ is even in τ), shape `(*batch, *tau.shape)`.

        Between grid points, the cubic with the exact second derivatives at the nodes,
        Δ''(τ_i) = Δ(τ_i) - g² C_φ(Δ(τ_i)) (the equation of motion), so the error is O(h⁴) in
        the grid step h; beyond the grid, the exponential tail Δ(τ_max) e^{-κ(τ - τ_max)}.
        """
        if self.tau.ndim > 1:
            return jax.vmap(lambda one: one.delta_at(tau))(self)
        tau = jnp.abs(jnp.asarray(tau, self.tau.dtype))
        step = self.tau[1] - self.tau[0]
        curvature = self.delta - self.gain**2 * self.rate_correlation
        last = self.tau.size - 1
        i = jnp.clip(jnp.floor(tau / step).astype(jnp.int32), 0, last - 1)
        b = tau / step - i
        a = 1 - b
        inside = (a * self.delta[i] + b * self.delta[i + 1]
                  + ((a**3 - a) * curvature[i] + (b**3 - b) * curvature[i + 1]) * step**2 / 6)
        tail = self.delta[last] * jnp.exp(-self.decay_rate * (tau - self.tau[last]))
        return jnp.where(tau <= self.tau[last], inside, tail)


def _profile(gain, delta0, kappa, c_phi, cells, span):
    """Δ(τ_i) on τ_i = i h/4, i ≤ 4 cells, h = span/(κ cells): RK4 with step h/8, tail by
    the asymptotic exponential once Δ < ε^{1/4} Δ0."""
    dtype = delta0.dtype
    h = span / (kappa * cells)
    step = h / 8

    def force(d):
        x = 2 * jnp.clip(d, 0.0, delta0) / delta0 - 1
        return d - gain**2 * _interpolate(c_phi, x)

    def rk4(state):
        d, v = state
        k1d, k1v = v, force(d)
        k2d, k2v = v + 0.5 * step * k1v, force(d + 0.5 * step * k1d)
        k3d, k3v = v + 0.5 * step * k2v, force(d + 0.5 * step * k2d)
        k4d, k4v = v + step * k3v, force(d + step * k3d)
        d = d + step / 6 * (k1d + 2 * k2d + 2 * k3d + k4d)
        v = v + step / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        return jnp.clip(d, -delta0, 2 * delta0), v  # bounded once it leaves the separatrix

    def record(state, _):
        state = rk4(rk4(state))
        return state, state[0]

    _, delta = jax.lax.scan(record, (delta0, jnp.zeros_like(delta0)), None, length=4 * cells)
    delta = jnp.concatenate([delta0[None], delta])
    tau = jnp.arange(4 * cells + 1, dtype=dtype) * (h / 4)
    below = delta < float(jnp.finfo(dtype).eps) ** 0.25 * delta0
    first = jnp.where(jnp.any(below), jnp.argmax(below), delta.shape[0])
    start = delta[jnp.minimum(first, delta.shape[0] - 1)]
    t_start = first * (h / 4)
    tail = start * jnp.exp(-kappa * jnp.maximum(tau - t_start, 0.0))
    return tau, jnp.where(jnp.arange(delta.shape[0]) < first, delta, tail), h


def kernel_table(f, q, chebyshev: int, points: int):
    """C_f(Δ; q) = E[f(u)f(v)] (Var u = Var v = q, Cov = Δ) at the `chebyshev` Chebyshev nodes of
    Δ ∈ [0, q], for `_interpolate`. The nodes are mapped in batches so that memory stays
    O(points²) at any resolution."""
    x, _ = _chebyshev_nodes(chebyshev)
    nodes = q * (1 + jnp.asarray(x, q.dtype)) / 2
    batch = max(1, min(chebyshev, 2**22 // points**2))
    return jax.lax.map(lambda d: _expect_pair(f, f, q, q, d, points), nodes, batch_size=batch)


def _chaotic(gain, phi, cells, span, chebyshev, points):
    delta0 = _delta0(gain, phi, points)
    c_phi = kernel_table(phi, delta0, chebyshev, points)
    dphi = phi.derivative
    c_dphi = kernel_table(dphi, delta0, chebyshev, points)
    kappa = jnp.sqrt(1 - gain**2 * _expect(dphi, 0.0, delta0, points) ** 2)
    tau, delta, h = _profile(gain, delta0, kappa, c_phi, cells, span)
    x_grid = 2 * jnp.clip(delta, 0.0, delta0) / delta0 - 1
    potential = gain**2 * _interpolate(c_dphi, x_grid)
    e0, e1 = _energies(potential, h)
    zero = jnp.zeros_like(delta0)
    return SCSMeanField(gain, delta0, kappa, tau, delta, _interpolate(c_phi, x_grid),
                        -1 + jnp.sqrt(-e0), e0, e1, zero, zero)


def _below_onset(gain, dtype, cells):
    zeros = jnp.zeros(4 * cells + 1, dtype)
    edge = -(gain**2)
    zero = jnp.zeros((), dtype)
    return SCSMeanField(gain, zero, 1 - gain, zeros, zeros, zeros, gain - 1, edge, edge, zero,
                        zero)


def _solve_once(gain, phi, span, resolution):
    cells, chebyshev, points = resolution
    chaotic = gain > 1.0
    solution = _chaotic(jnp.where(chaotic, gain, 2.0), phi, cells, span, chebyshev, points)
    quiet = _below_onset(gain, gain.dtype, cells)
    return jax.tree.map(lambda a, b: jnp.where(chaotic, a, b), solution, quiet)


@eqx.filter_jit
def _solve(gain, phi, span, resolution):
    """The solution at `resolution` = (cells, chebyshev, points), with the error estimates from
    the solution one rung coarser in all three."""
    fine = _solve_once(gain, phi, span, resolution)
    # The estimate is not differentiated: derivatives go through the fine solution only.
    coarse = _solve_once(jax.lax.stop_gradient(gain), phi, span,
                         tuple(_one_rung_down(n) for n in resolution))
    return eqx.tree_at(lambda s: (s.lyapunov_error, s.delta0_error), fine,
                       (jnp.abs(fine.lyapunov - coarse.lyapunov),
                        jnp.abs(fine.delta0 - coarse.delta0)))


def warn_if_inaccurate(where, lyapunov, lyapunov_error, delta0, delta0_error, tolerance,
                       advice):
    """AccuracyWarning where an error estimate exceeds `tolerance` (relative to max(|λ|, 0.01)
    for λ_max, to Δ0 for Δ0); `where(i)` names the i-th solution, `advice` the knobs to raise."""
    lyapunov, lyapunov_error, delta0, delta0_error = (
        np.atleast_1d(np.asarray(a, float))
        for a in (lyapunov, lyapunov_error, delta0, delta0_error))
    relative_lyapunov = lyapunov_error / np.maximum(np.abs(lyapunov), 0.01)
    relative_delta0 = delta0_error / np.where(delta0 > 0, delta0, 1.0)
    worst = np.maximum(relative_lyapunov, relative_delta0)
    if np.any(~(worst <= tolerance)):
        i = int(np.argmax(np.where(np.isnan(worst), np.inf, worst)))
        warnings.warn(
            f"{where(i)}: estimated relative error {worst[i]:.2g} of λ_max = "
            f"{lyapunov[i]:.10g} / Δ0 = {delta0[i]:.10g} exceeds tolerance = {tolerance:g}; "
            f"{advice}", AccuracyWarning, stacklevel=4)


def check_accuracy(parameters, where, lyapunov, lyapunov_error, delta0, delta0_error, tolerance,
                   advice):
    """`warn_if_inaccurate` now, or at run time (`jax.debug.callback`) when traced;
    `where(parameters, i)` names the i-th solution."""
    check = (parameters, lyapunov, lyapunov_error, delta0, delta0_error)

    def warn(parameters, *rest):
        parameters = [np.atleast_1d(np.asarray(p, float)) for p in parameters]
        warn_if_inaccurate(lambda i: where(parameters, i), *rest, tolerance, advice)

    if _is_traced(check):
        jax.debug.callback(warn, *check)
    else:
        warn(*check)


def scs_dmft(gain, nonlinearity="tanh", *, cells=None, span: float = 20.0, chebyshev=None,
             points=None, tolerance: float = 1e-6, progress: bool = False) -> SCSMeanField:
    """Solve the SCS DMFT at gain g (a scalar, or a 1-D array solved as one vmapped call).

    **Arguments:**
    - `gain`: g ≥ 0 (std of J_ij times √N). Below onset (g ≤ 1) the documented quiet solution
      (see `SCSMeanField`).
    - `nonlinearity`: an odd φ with φ'(0) = 1, `"tanh"` or `"erf"` (jaxchaos's erf(√π x/2); the
      literature's erf(x), `"erf_standard"`, has φ'(0) = 2/√π and is refused here).
    - `cells`: finite-difference cells of the Schrödinger problem (step h = span/(κ cells);
      Δ(τ) is returned at step h/4).
    - `span`: τ_max in units of 1/κ (bound states are e^{-span} small at the far end).
    - `chebyshev`: Chebyshev nodes for C_φ, C_φ' on [0, Δ0]; `points`: trapezoid points per
      axis of each 2-D Gaussian integral.
    - Each of `cells`, `chebyshev`, `points` left None is chosen from the largest gain
      (`scs_resolution`; from g = 1 when the gain is traced under jit/grad/vmap: pass them
      explicitly for large traced gains). The cost grows like g³ (at g = 20 a few seconds).
    - `tolerance`: relative accuracy the result must reach by its own error estimate
      (`lyapunov_error`, `delta0_error`); an `AccuracyWarning` is issued otherwise (also under
      jit, at run time). The automatic resolution reaches 1e-7 or better for 1 < g ≤ 50.
    - `progress`: for an array of gains, show a progress bar; the gains are then solved in up
      to 20 equal vmapped chunks (each gain's solution is the same).

    Differentiable in g (`jax.grad` of `.lyapunov`, `.delta0`, ...): Δ0 by the implicit function
    theorem, E0 by Hellmann–Feynman, the profile through its RK4 steps.
    """
    check_progress(progress)
    _check_gain(gain)
    phi = _odd_nonlinearity(nonlinearity)
    if _onset_gain(phi) != 1.0:
        raise ConfigError("the SCS DMFT assumes φ'(0) = 1 (onset at g = 1)")
    traced = _is_traced(gain)
    auto = scs_resolution(1.0 if traced else gain)
    cells, chebyshev, points = (a if v is None else v
                                for v, a in zip((cells, chebyshev, points), auto, strict=True))
    for name, value in (("cells", cells), ("chebyshev", chebyshev), ("points", points)):
        check_real(name, value, positive=True, integer=True)
    check_real("span", span, positive=True)
    check_real("tolerance", tolerance, positive=True)
    gain = jnp.asarray(gain)  # a scalar, a list or an array
    gain = gain.astype(jnp.result_type(float, gain.dtype))
    if gain.ndim > 1:
        raise ConfigError(f"gain must be a scalar or a 1-D array, got shape {gain.shape}")
    resolution = (int(cells), int(chebyshev), int(points))
    solve = lambda g: _solve(g, phi, float(span), resolution)  # noqa: E731
    if gain.ndim == 0:
        result = solve(gain)
    elif not progress or gain.size == 0:
        result = jax.vmap(solve)(gain)
    else:
        size = -(-gain.size // 20)  # equal chunks (the last one padded) compile once
        padded = jnp.concatenate([gain, jnp.repeat(gain[-1:], -gain.size % size)])
        parts = []
        with ProgressBar(True, gain.size, "scs_dmft", "gain") as bar:
            for start in range(0, gain.size, size):
                parts.append(jax.vmap(solve)(padded[start:start + size]))
                bar.update(min(size, gain.size - start))
        result = jax.tree.map(lambda *chunks: jnp.concatenate(chunks)[: gain.size], *parts)
    check_accuracy((result.gain,), lambda p, i: f"scs_dmft at g = {p[0][i]:g}",
                   result.lyapunov, result.lyapunov_error, result.delta0, result.delta0_error,
                   tolerance, "raise cells, chebyshev and points (or leave them None for the "
                   "automatic resolution)")
    return result


def scs_lyapunov(gain, nonlinearity="tanh", **kwargs):
    """λ_max(g) of the SCS network from the DMFT (`scs_dmft(...).lyapunov`), in 1/time."""
    return scs_dmft(gain, nonlinearity, **kwargs).lyapunov


# ---------------------------------------------------------------------------------------------
# Near onset.


class NearOnset(eqx.Module):
    """Closed forms of the SCS DMFT at g = 1 + ε, ε → 0⁺, for odd φ with φ'(0) = 1 and
    c₃ = φ'''(0) < 0, c₅ = φ⁽⁵⁾(0) (tanh: c₃ = -2, c₅ = 16; erf(√π x/2): -π/2, 3π²/4).

    Derivation. Mehler's expansion gives C_φ(Δ; Δ0) = Σ_k E[φ⁽ᵏ⁾(u)]² Δᵏ/k!, and for Δ, Δ0 = O(ε)
    (φ'' odd, so E[φ''] = 0): C_φ = (1 + c₃Δ0)Δ + c₃²Δ³/6 + O(ε⁴). With g² ≈ 1 + 2ε,
    Δ'' = kΔ - (c₃²/6)Δ³, k = |c₃|Δ0 - 2ε. The orbit from Δ0 at rest into Δ = 0 has zero energy,
    k Δ0²/2 = c₃²Δ0⁴/24, so k = c₃²Δ0²/12 = O(ε²), hence Δ0 = 2ε/|c₃| to leading order and

        Δ(τ) = Δ0 sech(κτ),   κ = √k = ε/√3   (any such φ).

    The energy condition Δ0²/2 = g² Var[Φ] expanded to O(Δ0⁴) (Φ = x²/2 + c₃x⁴/24 + c₅x⁶/720,
    Var Φ = Δ0²/2 + c₃Δ0³/2 + (c₃²/6 + c₅/8)Δ0⁴) gives 1/g² = 1 + c₃Δ0 + (c₃²/3 + c₅/4)Δ0², so

        Δ0 = a₁ε + a₂ε² + O(ε³),   a₁ = -2/c₃,   a₂ = (5/3 - c₅/c₃²)/c₃   (tanh: ε + 7ε²/6).

    With W = g²C_φ'(Δ) = 1 - κ² + (c₃²/2)Δ², H + 1 = -d²/dτ² + κ² - 6κ² sech²(κτ): a Pöschl–Teller
    well with bound states at (H+1)/κ² = -3 and 0. So E1 = -1 (as it must), E0 = -1 - 3κ² and

        λ_max = √(1 + 3κ²) - 1 = ε²/2 + O(ε³)   (any such φ).

    Fields: `epsilon` = g - 1, `delta0` (to O(ε²)), `decay_rate` κ and `lyapunov` λ_max (leading
    order). `profile(tau)` = `delta0` sech(κτ) (relative error O(ε)).
    """

    __repr__ = result_repr

    epsilon: jax.Array
    delta0: jax.Array
    decay_rate: jax.Array
    lyapunov: jax.Array

    def profile(self, tau):
        return self.delta0 / jnp.cosh(self.decay_rate * tau)


def scs_near_onset(gain, nonlinearity="tanh") -> NearOnset:
    """The near-onset closed forms (see `NearOnset`) at g = 1 + ε > 1."""
    check_real("gain", gain, positive=True)
    try:
        if np.any(np.asarray(gain, float) <= 1.0):
            raise ConfigError(f"the near-onset expansion needs gain > 1, got {gain!r}")
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        pass
    phi = _odd_nonlinearity(nonlinearity)
    derivatives, f = [], phi.__call__
    with jax.ensure_compile_time_eval():
        for _ in range(5):
            f = jax.grad(f)
            derivatives.append(float(f(0.0)))
    slope, _, c3, _, c5 = derivatives
    if abs(slope - 1.0) > 1e-12 or not c3 < 0:
        raise ConfigError("the near-onset expansion needs φ'(0) = 1 and φ'''(0) < 0")
    eps = jnp.asarray(gain, jnp.result_type(float, gain)) - 1.0
    delta0 = -2.0 / c3 * eps + (5.0 / 3.0 - c5 / c3**2) / c3 * eps**2
    return NearOnset(eps, delta0, eps / math.sqrt(3.0), 0.5 * eps**2)
