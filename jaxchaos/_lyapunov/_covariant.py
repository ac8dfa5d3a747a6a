"""Covariant Lyapunov vectors by Ginelli et al.'s method (Phys. Rev. Lett. 99, 130601, 2007).

The forward pass is the Benettin loop of `LyapunovEngine`: after each QR interval m the frame is
`Q_m` and the interval's growth the upper-triangular `R_m` (tangent map over interval m applied
to Q_{m-1} = Q_m R_m). The covariant vectors at interval m are `V_m = Q_m C_m` with `C_m` upper
triangular: they are carried into each other by the tangent dynamics (`M V_{m-1} ∝ V_m`, column
by column) and grow at rates λ_i. `C_m` is found by iterating backward from a random upper
triangular matrix, `C_{m-1} = R_m^{-1} C_m` with unit columns; in backward time the i-th column
shrinks at rate λ_i, so after a backward transient (`t_backward_warmup`) C has converged and
`-(1/T) Σ log|column norms|` reproduces the exponents.

Memory: the window's R's (k×k each) and the frames at the snapshots (N×k each).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from .._core._errors import ConfigError, check_real, check_steps
from .._core._progress import ProgressBar, check_progress, tick
from .._core._results import result_repr
from .._core._simulate import SimState
from .._core._threads import single_threaded_lapack
from ._spectrum import _raise_if_diverged, _warmed_up_frame, _warn_if_spread


class CovariantLyapunovVectors(eqx.Module):
    """Result of `covariant_lyapunov_vectors`; S snapshots, state dimension N, k vectors.

    - `times` (S,): time of each snapshot since the start of the window;
    - `states`: the `SimState` at each snapshot (leading axis S; `states.x` is (S, N));
    - `vectors` (S, N, k): unit covariant vectors, column i growing at rate λ_i (sign arbitrary);
    - `exponents` (k,): forward (Benettin) exponents over the window;
    - `backward_exponents` (k,): the same exponents from the backward iteration (a check);
    - `participation` (S, k): participation ratio of each vector (`participation_ratio`);
    - `t_ons`: the time between QRs (the one chosen by `t_ons="auto"`).
    """

    __repr__ = result_repr

    times: jax.Array
    states: SimState
    vectors: jax.Array
    exponents: jax.Array
    backward_exponents: jax.Array
    participation: jax.Array
    t_ons: float | None = eqx.field(static=True, default=None)


def participation_ratio(vectors, axis=-2) -> jax.Array:
    """Participation ratio PR = (Σ_i v_i²)² / (N Σ_i v_i⁴) of vectors along `axis` (length N):
    1 for a vector spread evenly over all components, 1/N for one on a single component."""
    vectors = jnp.asarray(vectors)
    n = vectors.shape[axis]
    squares = vectors * vectors
    return jnp.sum(squares, axis=axis) ** 2 / (n * jnp.sum(squares * squares, axis=axis))


def _normalized_columns(c):
    norms = jnp.linalg.norm(c, axis=0)
    return c / norms, jnp.log(norms)


def _backward_step(c, r):
    """C_{m-1} = R_m^{-1} C_m with unit columns, and the log of the column norms."""
    return _normalized_columns(solve_triangular(r, c, lower=False))


def _initial_c(key, k, dtype):
    """A random upper triangular k×k matrix with unit columns (diagonal kept away from 0): the
    start of the backward iteration."""
    c = jnp.triu(jax.random.normal(key, (k, k), dtype))
    return _normalized_columns(c + jnp.diag(jnp.where(jnp.diagonal(c) >= 0, 1.0, -1.0)))[0]


def _log_diagonals(rs):
    """ln|R_ii| of a stack of R factors (..., k, k) -> (..., k)."""
    return jnp.log(jnp.abs(jnp.diagonal(rs, axis1=-2, axis2=-1)))


def _backward_pass(frames, window_rs, future_rs, c):
    """Ginelli's backward iteration from the upper triangular `c` at the end of the forward run.

    `frames` (S, N, k): Q at the end of each group of `window_rs` (S, m, k, k), the R's of the
    m QR intervals that end at that snapshot; `future_rs` (B, k, k): the R's after the last
    snapshot (the backward warm-up). Returns the covariant vectors (S, N, k) = Q_s C_s with
    unit columns and the log shrink of the columns of C through each group (S, k) (summed over
    the window with a minus sign: the backward estimate of the exponents)."""
    c = jax.lax.scan(lambda c, r: (_backward_step(c, r)[0], None), c, future_rs,
                     reverse=True)[0]

    def back_through_snapshot(c, rs):
        c_here = c  # C at this snapshot: the frame's time is the end of the group of R's
        c, log_norms = jax.lax.scan(_backward_step, c, rs, reverse=True)
        return c, (c_here, jnp.sum(log_norms, axis=0))

    _, (cs, log_shrink) = jax.lax.scan(back_through_snapshot, c, window_rs, reverse=True)
    vectors = jnp.einsum("snj,sji->sni", frames, cs, precision=jax.lax.Precision.HIGHEST)
    return vectors, log_shrink


@eqx.filter_jit
def _ginelli(engine, system, state, frame, n_snapshots, n_future, c_key, bar_id=None):
    """Forward: `n_snapshots` snapshots `qrs_per_block` QR intervals apart (frames, states and
    R's kept), then `n_future` intervals (R's only). Backward: C from a random triangular matrix
    through the future R's, then through the window, taking C at each snapshot. With `bar_id`,
    the forward pass advances that progress bar by one per QR interval."""

    def interval(carry, _):
        carry, r = engine.qr_interval(system, carry)
        if bar_id is not None:
            tick(bar_id)
        return carry, r

    def snapshot(carry, _):
        carry, rs = jax.lax.scan(interval, carry, None, length=engine.qrs_per_block)
        return carry, (carry, rs)

    carry, ((states, frames), window_rs) = jax.lax.scan(snapshot, (state, frame), None,
                                                        length=n_snapshots)
    (end_state, _), future_rs = jax.lax.scan(interval, carry, None, length=n_future)

    vectors, log_shrink = _backward_pass(frames, window_rs, future_rs,
                                         _initial_c(c_key, frame.shape[1], frame.dtype))
    log_growth = jnp.sum(_log_diagonals(window_rs), axis=(0, 1))
    spread = jnp.max(jnp.ptp(_log_diagonals(window_rs), axis=-1))
    return states, vectors, log_growth, -jnp.sum(log_shrink, axis=0), spread, end_state


@single_threaded_lapack
def covariant_lyapunov_vectors(system, x0=None, *, k=None, dt=None, solver="tsit5", t_ons=1.0,
                               t_warmup=100.0, t_frame_warmup=100.0, t_window=100.0,
                               t_snapshot=None, t_backward_warmup=100.0,
                               key=None, progress=False) -> CovariantLyapunovVectors:
    """The k leading covariant Lyapunov vectors of `system` along a window of its trajectory.

    Arguments as `lyapunov_spectrum`, and: `t_window` (the span with snapshots, a multiple of
    `t_snapshot`), `t_snapshot` (time between snapshots, a multiple of `t_ons`; default
    `t_ons`) and `t_backward_warmup` (forward time past the window from which the backward
    iteration starts: the vectors converge like exp(-(λ_i - λ_{i+1}) t_backward_warmup)).
    `t_ons="auto"` chooses the QR interval as `lyapunov_spectrum` does (a divisor of the
    snapshot interval, which must then be given); the backward warm-up is rounded up to whole
    intervals. Keeps S = t_window / t_snapshot frames of N×k numbers. `progress` shows a
    progress bar over the forward QR intervals (after the warm-up).
    """
    check_progress(progress)
    if t_snapshot is None:
        if isinstance(t_ons, str):
            raise ConfigError('t_ons="auto" chooses the QR interval within a snapshot '
                              "interval: give t_snapshot")
        t_snapshot = t_ons
    for name, value in (("t_window", t_window), ("t_snapshot", t_snapshot)):
        check_real(name, value, positive=True)
    check_real("t_backward_warmup", t_backward_warmup, nonnegative=True)
    n_snapshots = check_steps("t_window", t_window, t_snapshot, "t_snapshot")
    engine, state, frame = _warmed_up_frame(
        system, x0, key, k=k, dt=dt, solver=solver, t_ons=t_ons, t_warmup=t_warmup,
        t_frame_warmup=t_frame_warmup, n_blocks=1, block_span=("t_snapshot", t_snapshot),
    )
    if isinstance(t_ons, str):
        backward_steps = math.ceil(t_backward_warmup / engine.integrator.dt - 1e-9)
        n_future = -(-backward_steps // engine.qr_every)
    else:
        n_future = check_steps("t_backward_warmup", t_backward_warmup, t_ons, "t_ons")
    c_key = jax.random.fold_in(key, 1)
    total = n_snapshots * engine.qrs_per_block + n_future
    with ProgressBar(progress, total, "covariant_lyapunov_vectors", "QR") as bar:
        states, vectors, log_growth, log_backward, spread, end_state = _ginelli(
            engine, system, state, frame, n_snapshots, n_future, c_key,
            jnp.int32(bar.bar_id) if progress else None,
        )
        jax.block_until_ready(vectors)
    _raise_if_diverged(engine, end_state)
    _warn_if_spread(spread, frame.dtype)
    times = t_snapshot * (1 + jnp.arange(n_snapshots))
    return CovariantLyapunovVectors(times, states, vectors, log_growth / t_window,
                                    log_backward / t_window, participation_ratio(vectors),
                                    engine.qr_every * engine.integrator.dt)
