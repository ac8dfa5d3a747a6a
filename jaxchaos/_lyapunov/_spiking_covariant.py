"""Covariant Lyapunov vectors of pulse-coupled phase networks (Ginelli et al., PRL 99, 130601,
2007) from the exact single-spike Jacobian (`_spiking`).

**Forward.** The tangent frame Q (N×k) is carried spike by spike by the single-spike Jacobian
(only the K target rows change, Q[i] ← g'(φ_i⁻) Q[i] + (1 − g'(φ_i⁻)) Q[j*]) and
re-orthonormalised every `qr_every` spikes, Q_{m-1} carried over interval m = Q_m R_m. After
the trajectory and frame warm-ups the run keeps, for `n_snapshots` snapshots `qrs_per_snapshot`
QR intervals apart, the frame Q_s and event-loop state at each snapshot and every interval's
R_m (k×k), then the R's of `backward_warmup_qrs` more intervals. Memory: (n_snapshots ·
qrs_per_snapshot + backward_warmup_qrs) k² numbers for the R's plus n_snapshots N k for the
frames (k = 300, 500 R's: 360 MB in float64).

**Backward** (`_covariant._backward_pass`, shared with `covariant_lyapunov_vectors`): from a
random upper triangular C at the end, C_{m-1} = R_m^{-1} C_m with unit columns; in backward
time column i shrinks at rate λ_i and converges to the coefficients of the i-th covariant vector
in the Gram–Schmidt basis, V_s = Q_s C_s, like exp(−min(λ_{i−1} − λ_i, λ_i − λ_{i+1}) t) (the
forward frame's subspaces converge during the frame warm-up, C during the backward one). The
vectors are carried into each other by the single-spike Jacobians, column by column, and grow
at the rates λ_i; −(1/T) Σ ln(column norms of C) over the window reproduces the forward
exponents (1/T) Σ ln|R_ii| up to O(1/T) boundary terms.

**The zero mode.** Unlike `spiking_lyapunov_spectrum` the frame here has no column pinned to the
all-ones time shift: Ginelli's backward iteration needs the Gram–Schmidt columns ordered by their
exponents (column i converges to the direction of the i leading ones that grows slowest, which
would be the time shift for every i if it were column 0). The time shift takes its place in the
ordered spectrum by itself: it is an exact covariant vector with exponent 0, and the vector the
method returns there is the all-ones direction up to the convergence error.

**Convergence.** The backward iteration is run from two independent random C's; `convergence`
is the sine of the angle between the two results for each vector, an estimate of how far each is
from its limit (near-degenerate exponents in the bulk of a spectrum converge slowly). It covers
the backward transient only: the forward frame's transient (`frame_warmup_qrs`) is not in it;
the sine between the zero-exponent vector and the all-ones direction is a check of both.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, check_choice, check_real
from .._core._results import result_repr
from .._core._threads import single_threaded_lapack
from .._models._spiking import (
    SEARCHES,
    EventState,
    SpikingNetwork,
    initial_state,
    random_phases,
    recenter,
)
from ._covariant import _backward_pass, _initial_c, _log_diagonals, participation_ratio
from ._spectrum import _warn_if_spread
from ._spiking import _frame_settings, _spikes, _warm_up


class SpikingCovariantVectors(eqx.Module):
    """Result of `spiking_covariant_lyapunov_vectors`; S snapshots, N neurons, k vectors.

    - `times` (S,): time of each snapshot since the start of the window (units of τ);
    - `states`: the `EventState` at each snapshot (leading axis S; re-centred, as the forward
      pass left it: `qrs_per_snapshot · qr_every` spikes from one to the next);
    - `vectors` (S, N, k): unit covariant vectors, column i growing at rate λ_i (sign arbitrary);
    - `exponents` (k,): forward exponents (1/T) Σ ln|R_ii| over the window, per unit time;
    - `stderr` (k,): their standard errors from the S snapshot intervals (NaN for S = 1);
    - `backward_exponents` (k,): the same exponents from the backward iteration (a check);
    - `participation` (S, k): PR/N = (Σ v_i²)² / (N Σ v_i⁴) of each vector (1: spread over all
      neurons, 1/N: on one neuron);
    - `convergence` (S, k): sine of the angle between each vector from two independent random
      starts of the backward iteration (module docstring; the backward transient only);
    - `spike_rate`: population spikes per unit time N ν̄ over the window;
    - `qr_every`, `qrs_per_snapshot`: spikes per QR interval, QR intervals per snapshot.
    """

    __repr__ = result_repr

    times: jax.Array
    states: EventState
    vectors: jax.Array
    exponents: jax.Array
    stderr: jax.Array
    backward_exponents: jax.Array
    participation: jax.Array
    convergence: jax.Array
    spike_rate: jax.Array
    qr_every: int = eqx.field(static=True)
    qrs_per_snapshot: int = eqx.field(static=True)

    @property
    def per_spike(self) -> jax.Array:
        """The exponents per network spike, λ / (N ν̄)."""
        return self.exponents / self.spike_rate


def _qr_interval(network, state, frame, qr_every, search):
    """`qr_every` spikes carrying the frame, then Q, R = qr(frame) and the state re-centred
    (as in `spiking_lyapunov_spectrum`, so both follow the same trajectory): (state, Q, R,
    elapsed time)."""
    state, frame, elapsed, _ = _spikes(network, state, frame, qr_every, search)
    q, r = jnp.linalg.qr(frame)
    return recenter(state), q, r, elapsed


@eqx.filter_jit
def _forward(network, state, frame, qr_every, warmup_spikes, frame_warmup_qrs, n_snapshots,
             qrs_per_snapshot, backward_qrs, search):
    state = _warm_up(network, state, warmup_spikes, search, max(network.n, 256))

    def interval(carry, _):
        state, q, r, dt = _qr_interval(network, *carry, qr_every, search)
        return (state, q), (r, dt)

    carry = jax.lax.scan(interval, (state, frame), None, length=frame_warmup_qrs)[0]

    def snapshot(carry, _):
        carry, rs = jax.lax.scan(interval, carry, None, length=qrs_per_snapshot)
        return carry, (carry, rs)

    carry, ((states, frames), (window_rs, window_dt)) = jax.lax.scan(
        snapshot, carry, None, length=n_snapshots)
    future_rs = jax.lax.scan(interval, carry, None, length=backward_qrs)[1][0]
    return states, frames, window_rs, window_dt, future_rs


@jax.jit
def _backward(frames, window_rs, future_rs, c0):
    """The backward pass from each of the starts `c0` (2, k, k)."""
    return jax.vmap(_backward_pass, in_axes=(None, None, None, 0))(frames, window_rs,
                                                                     future_rs, c0)


@single_threaded_lapack
def spiking_covariant_lyapunov_vectors(
        network: SpikingNetwork, phases=None, *, key, k: int | None = None,
        qr_every: int | None = None, warmup_spikes: int | None = None,
        frame_warmup_qrs: int = 50, n_snapshots: int = 1, qrs_per_snapshot: int = 50,
        backward_warmup_qrs: int = 50, search: str = "tree") -> SpikingCovariantVectors:
    """The k leading (default all N) covariant Lyapunov vectors of `network` by Ginelli's
    method on the exact single-spike Jacobian, QR every `qr_every` spikes (default N/10)
    (module docstring).

    Starts from `phases` (or random ones from `key`, as `spiking_lyapunov_spectrum` draws them:
    the same `key` and warm-ups give the same trajectory), warms the trajectory up for
    `warmup_spikes` (default 10 N) spikes and the frame for `frame_warmup_qrs` QR intervals, then
    takes `n_snapshots` snapshots `qrs_per_snapshot` intervals apart (the first one
    `qrs_per_snapshot` intervals into the window) and runs `backward_warmup_qrs` intervals more,
    from whose end the backward iteration starts. Both warm-ups must be long against
    1/(gap between neighbouring exponents) for the vectors of interest; `convergence` reports
    how far each vector is from its limit. Memory: the R's (k×k) of every interval after the
    frame warm-up and the S frames (N×k).
    """
    n = network.n
    k, qr_every, warmup_spikes = _frame_settings(n, k, qr_every, warmup_spikes)
    for name, value in [("n_snapshots", n_snapshots), ("qrs_per_snapshot", qrs_per_snapshot)]:
        check_real(name, value, positive=True, integer=True)
    for name, value in [("frame_warmup_qrs", frame_warmup_qrs),
                        ("backward_warmup_qrs", backward_warmup_qrs)]:
        check_real(name, value, integer=True)
        if value < 1:
            raise ConfigError(f"{name} = {value} is too short: the covariant vectors need at "
                              "least one QR interval of forward (frame) and backward warm-up, "
                              "and many more to converge (several times 1/(λ_i − λ_{i+1}))")
    check_choice("search", search, SEARCHES)
    phase_key, frame_key = jax.random.split(key)
    if phases is None:
        phases = random_phases(phase_key, network)
    state = initial_state(network, phases, search=search)
    frame = jnp.linalg.qr(jax.random.normal(frame_key, (n, int(k))))[0]
    states, frames, window_rs, window_dt, future_rs = _forward(
        network, state, frame, int(qr_every), int(warmup_spikes), int(frame_warmup_qrs),
        int(n_snapshots), int(qrs_per_snapshot), int(backward_warmup_qrs), search)
    c_keys = jax.random.split(jax.random.fold_in(frame_key, 2))
    c0 = jnp.stack([_initial_c(c_key, int(k), frame.dtype) for c_key in c_keys])
    vectors, log_shrink = _backward(frames, window_rs, future_rs, c0)
    log_r = _log_diagonals(window_rs)  # (S, m, k)
    if not (bool(jnp.all(jnp.isfinite(log_r))) and bool(jnp.all(jnp.isfinite(vectors)))):
        raise FloatingPointError("the spiking covariant vectors produced NaN/inf (check the "
                                 "drive and couplings)")
    spread = max(float(jnp.max(jnp.ptp(log_r, axis=-1))),
                 float(jnp.max(jnp.ptp(_log_diagonals(future_rs), axis=-1))))
    _warn_if_spread(spread, frame.dtype, stacklevel=4, shorten="qr_every")  # the caller
    durations = jnp.sum(window_dt, axis=1)  # (S,)
    total = jnp.sum(durations)
    exponents = jnp.sum(log_r, axis=(0, 1)) / total
    blocks = jnp.sum(log_r, axis=1) / durations[:, None]
    stderr = (jnp.std(blocks, 0, ddof=1) / math.sqrt(n_snapshots) if n_snapshots > 1
              else jnp.full_like(exponents, jnp.nan))
    # sine of the angle: the norm of the part of one vector orthogonal to the other
    overlap = jnp.sum(vectors[0] * vectors[1], axis=1, keepdims=True)
    convergence = jnp.linalg.norm(vectors[1] - overlap * vectors[0], axis=1)
    spikes = n_snapshots * qrs_per_snapshot * qr_every
    return SpikingCovariantVectors(
        jnp.cumsum(durations), states, vectors[0], exponents, stderr,
        -jnp.sum(log_shrink[0], axis=0) / total, participation_ratio(vectors[0]), convergence,
        spikes / total, int(qr_every), int(qrs_per_snapshot))
