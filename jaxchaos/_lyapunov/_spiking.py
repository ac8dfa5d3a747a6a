"""Exact Lyapunov spectra of pulse-coupled phase networks (`_models._spiking`).

Between spikes every phase moves at the same speed ω, so the flow's Jacobian is the identity. When
neuron j* spikes, a target i at phase φ_i⁻ jumps to g(φ_i⁻); comparing a perturbed trajectory at
equal times (j*'s spike, and so the kick, arrive δφ_j*/ω earlier) gives the single-spike Jacobian

    δφ_i ← g'(φ_i⁻) δφ_i + (1 − g'(φ_i⁻)) δφ_j*   for the K targets i of j*,
    δφ_i ← δφ_i                                   for every other neuron (j* included).

So each spike changes only K rows of the tangent frame Q (N×k): O(Kk) per spike. Two exact
identities follow: the all-ones vector (a shift of time) is mapped to itself, so a full spectrum
has one exponent equal to 0; and the Jacobian is triangular after moving j* first, with
determinant Π_{i∈post} g'(φ_i⁻), so

    Σ_i λ_i = (1/T) Σ_spikes Σ_{i∈post(j*)} ln g'(φ_i⁻)      (the sum rule).

Every `qr_every` spikes Q, R = qr(Q) and ln|R_ii| is accumulated; exponents are per unit time
(divide by the population spike rate N ν̄ for per spike). The trajectory is warmed up, then the
frame, then `n_blocks` blocks are accumulated: block estimates are finite-time (local) exponents,
their spread gives standard errors, their running sums the history. The KS entropy (Pesin) is
reported per unit time and in bits per spike, with the Kaplan–Yorke dimension and the fraction of
positive exponents.

**Local exponents and the leading covariant vector.** Over each QR interval m (duration Δt_m),
ln|R_ll|/Δt_m of the leading column l other than the zero mode (l = 1 with `zero_mode`, else 0)
is the local (finite-time) exponent; their time-weighted mean is that column's exponent exactly.
Alongside the frame one more tangent vector v is carried by the same single-spike Jacobians and
only normalised at each QR (never orthogonalised): a generic vector converges forward in time to
the most expanding direction, which is the leading covariant Lyapunov vector (the first
covariant vector equals the first Gram–Schmidt vector without the zero-mode column; here it may
hold a component along the all-ones time shift, which its growth keeps). Its growth rate
(1/T) Σ ln‖v‖ equals λ_max (a check), and its participation ratio
PR/N = (Σ v_i²)²/(N Σ v_i⁴) (1: spread over all neurons, 1/N: one neuron) measures localization.
For a stable network (λ_max = 0, the zero mode) v converges to the all-ones vector, PR/N → 1.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError, check_choice, check_real
from .._core._results import result_repr
from .._core._threads import single_threaded_lapack
from .._models._spiking import (
    SEARCHES,
    EventState,
    SpikingNetwork,
    _next_spike_time,
    initial_state,
    random_phases,
    recenter,
    spike_step,
    with_psi,
)
from ._covariant import participation_ratio
from ._spectrum import kaplan_yorke_dimension, ks_entropy


class SpikingSpectrum(eqx.Module):
    """Result of `spiking_lyapunov_spectrum`.

    - `exponents` (k,): λ_1 ≥ … ≥ λ_k per unit time (units of 1/τ); `per_spike` = λ / (N ν̄);
    - `stderr` (k,): standard errors from the block estimates;
    - `block_exponents` (n_blocks, k): finite-time exponents of each block; `block_times`;
    - `history_times`, `history` (n_blocks, k): running estimates;
    - `sum_rule`: (1/T) Σ_spikes Σ_post ln g' on the same trajectory (equals Σλ for k = N);
    - `spike_rate`: population spikes per unit time N ν̄; `spikes`: spikes accumulated;
    - `state`, `frame`: final event-loop state and orthonormal frame;
    - `local_times`, `local_exponents` (M,) with M = n_blocks·qrs_per_block: end time of each
      QR interval (from the start of the accumulation) and the local exponent of the leading
      non-zero-mode column over it (module docstring);
    - `participation`, `backward_participation` (M,): PR/N of the leading covariant vector and of
      the leading non-zero-mode Gram–Schmidt (backward) vector at the end of each interval;
    - `covariant_vector` (N,): the final unit leading covariant vector;
      `covariant_growth`: its growth rate (1/T) Σ ln‖v‖ (equals λ_max).
    """

    __repr__ = result_repr

    exponents: jax.Array
    per_spike: jax.Array
    stderr: jax.Array
    block_exponents: jax.Array
    block_times: jax.Array
    history_times: jax.Array
    history: jax.Array
    sum_rule: jax.Array
    spike_rate: jax.Array
    spikes: jax.Array
    state: EventState
    frame: jax.Array
    local_times: jax.Array
    local_exponents: jax.Array
    participation: jax.Array
    backward_participation: jax.Array
    covariant_vector: jax.Array
    covariant_growth: jax.Array

    def entropy(self) -> float:
        """KS entropy rate H = Σ_{λ>0} λ per unit time (a lower bound if k < N)."""
        return float(ks_entropy(self.exponents))

    def entropy_bits_per_spike(self) -> float:
        """H / (N ν̄ ln 2): bits of entropy produced per network spike."""
        return self.entropy() / (float(self.spike_rate) * math.log(2.0))

    def dimension(self) -> float:
        """Kaplan–Yorke dimension (needs k past the point where the partial sums turn negative)."""
        return float(kaplan_yorke_dimension(self.exponents))

    def fraction_positive(self) -> float:
        """Fraction of the k exponents above 3 standard errors (unstable directions)."""
        lam, err = np.asarray(self.exponents), np.asarray(self.stderr)
        return float(np.mean(lam > 3.0 * np.nan_to_num(err)))


def _spikes(network, state, frame, spikes, search):
    """`spikes` events with the frame carried by the exact single-spike Jacobians (no QR):
    (state, frame, elapsed time, Σ ln g')."""
    start = state.time

    def body(carry, _):
        state, frame = carry
        state, frame, (_, _, _, log_dg) = spike_step(network, state, search=search, frame=frame)
        return (state, frame), log_dg

    (state, frame), log_dg = jax.lax.scan(body, (state, frame), None, length=spikes)
    return state, frame, state.time - start, jnp.sum(log_dg)


def _interval(network, state, frame, qr_every, search, zero_mode):
    """`qr_every` spikes with the frame (N, k + 1: the last column is the covariant vector),
    then QR of the first k columns and normalisation of the last: (state, frame, ln|R_ii|,
    ln‖v‖, elapsed time, Σ ln g'). With `zero_mode` column 0 is reset to the all-ones
    direction before the QR: the dynamics keeps it, but its round-off would grow at rate λ_max
    and after ~37/λ_max the column would drift to the leading vector."""
    state, frame, elapsed, log_dg = _spikes(network, state, frame, qr_every, search)
    if zero_mode:
        frame = frame.at[:, 0].set(1.0 / math.sqrt(frame.shape[0]))
    q, r = jnp.linalg.qr(frame[:, :-1])
    v = frame[:, -1]
    norm = jnp.linalg.norm(v)
    frame = jnp.concatenate([q, (v / norm)[:, None]], axis=1)
    return (recenter(state), frame, jnp.log(jnp.abs(jnp.diagonal(r))), jnp.log(norm),
            elapsed, log_dg)


def _warm_up(network, state, spikes, search, recenter_every):
    chunk = max(1, min(spikes, recenter_every))

    def one_chunk(state, _):
        def body(state, _):
            return spike_step(network, state, search=search)[0], None

        return recenter(jax.lax.scan(body, state, None, length=chunk)[0]), None

    return jax.lax.scan(one_chunk, state, None, length=-(-spikes // chunk))[0] if spikes else state


@eqx.filter_jit
def _spectrum_compiled(network, state, frame, qr_every, warmup_spikes, frame_warmup_qrs,
                       n_blocks, qrs_per_block, search, lead, zero_mode):
    state = _warm_up(network, state, warmup_spikes, search, max(network.n, 256))

    def frame_step(carry, _):
        state, frame = carry
        state, frame, *_ = _interval(network, state, frame, qr_every, search, zero_mode)
        return (state, frame), None

    (state, frame), _ = jax.lax.scan(frame_step, (state, frame), None, length=frame_warmup_qrs)

    def block(carry, _):
        def one(carry, _):
            state, frame, logs, time, log_dg, log_v = carry
            state, frame, lr, lv, dt, ldg = _interval(network, state, frame, qr_every, search,
                                                      zero_mode)
            local = (lr[lead], dt, participation_ratio(frame[:, -1], axis=0),
                     participation_ratio(frame[:, lead], axis=0))
            return (state, frame, logs + lr, time + dt, log_dg + ldg, log_v + lv), local

        state, frame = carry
        zero = jnp.zeros((), frame.dtype)
        init = (state, frame, jnp.zeros(frame.shape[1] - 1, frame.dtype), zero, zero, zero)
        (state, frame, logs, time, log_dg, log_v), local = jax.lax.scan(
            one, init, None, length=qrs_per_block)
        return (state, frame), ((logs, time, log_dg, log_v), local)

    (state, frame), (sums, local) = jax.lax.scan(block, (state, frame), None, length=n_blocks)
    return state, frame, sums, jax.tree_util.tree_map(lambda x: x.reshape(-1), local)


@single_threaded_lapack
def _frame_settings(n, k, qr_every, warmup_spikes):
    """The frame's size k (default N), QR interval in spikes (default N/10) and warm-up in
    spikes (default 10 N), checked."""
    k = n if k is None else k
    check_real("k", k, positive=True, integer=True)
    if k > n:
        raise ConfigError(f"k = {k} must be <= the number of neurons n = {n}")
    qr_every = max(1, n // 10) if qr_every is None else qr_every
    warmup_spikes = 10 * n if warmup_spikes is None else warmup_spikes
    check_real("qr_every", qr_every, positive=True, integer=True)
    check_real("warmup_spikes", warmup_spikes, nonnegative=True, integer=True)
    return k, qr_every, warmup_spikes


def spiking_lyapunov_spectrum(network: SpikingNetwork, phases=None, *, key, k: int | None = None,
                              qr_every: int | None = None, warmup_spikes: int | None = None,
                              frame_warmup_qrs: int = 50, n_blocks: int = 10,
                              qrs_per_block: int = 50, search: str = "tree",
                          zero_mode: bool = True) -> SpikingSpectrum:
    """The k leading (default all N) Lyapunov exponents of `network` by the exact
    single-spike Jacobian with QR every `qr_every` spikes (default N/10) (module docstring).

    Starts from `phases` (or random ones from `key`), warms the trajectory up for
    `warmup_spikes` (default 10 N) spikes and the frame for `frame_warmup_qrs` QR intervals,
    then accumulates `n_blocks` blocks of `qrs_per_block` intervals. `key` also draws the
    initial frame. With `zero_mode` the frame's first column is the all-ones direction (the
    time shift), which the dynamics keeps exactly: its exponent is 0 to round-off and the other
    columns give the leading k − 1 exponents of the rest; the output is sorted descending.
    Local exponents and the participation ratio of the leading covariant vector are recorded
    at every QR (module docstring; k = 2 with the zero mode is enough for them).
    """
    n = network.n
    k, qr_every, warmup_spikes = _frame_settings(n, k, qr_every, warmup_spikes)
    for name, value in [("n_blocks", n_blocks), ("qrs_per_block", qrs_per_block)]:
        check_real(name, value, positive=True, integer=True)
    check_real("frame_warmup_qrs", frame_warmup_qrs, nonnegative=True, integer=True)
    check_choice("search", search, SEARCHES)
    phase_key, frame_key = jax.random.split(key)
    if phases is None:
        phases = random_phases(phase_key, network)
    state = initial_state(network, phases, search=search)
    frame = jax.random.normal(frame_key, (n, int(k)))
    if zero_mode:
        frame = frame.at[:, 0].set(1.0)
    frame = jnp.linalg.qr(frame)[0]
    vector = jax.random.normal(jax.random.fold_in(frame_key, 1), (n, 1))
    frame = jnp.concatenate([frame, vector / jnp.linalg.norm(vector)], axis=1)
    lead = 1 if zero_mode and k > 1 else 0
    state, frame, (logs, times, log_dg, log_v), (local_logs, local_dt, pr, pr_back) = (
        _spectrum_compiled(network, state, frame, int(qr_every), int(warmup_spikes),
                           int(frame_warmup_qrs), int(n_blocks), int(qrs_per_block), search,
                           lead, bool(zero_mode)))
    frame, vector = frame[:, :-1], frame[:, -1]
    if not bool(jnp.all(jnp.isfinite(logs))):
        raise FloatingPointError("the spiking spectrum produced NaN/inf (check the drive and "
                                 "couplings)")
    if zero_mode:  # sort by the exponents (the zero mode is column 0 of the frame)
        order = jnp.argsort(-jnp.sum(logs, 0))
        logs, frame = logs[:, order], frame[:, order]
    total = jnp.sum(times)
    exponents = jnp.sum(logs, 0) / total
    block_exponents = logs / times[:, None]
    stderr = (jnp.std(block_exponents, 0, ddof=1) / math.sqrt(n_blocks) if n_blocks > 1
              else jnp.full_like(exponents, jnp.nan))
    history_times = jnp.cumsum(times)
    history = jnp.cumsum(logs, 0) / history_times[:, None]
    spikes = n_blocks * qrs_per_block * qr_every
    spike_rate = spikes / total
    return SpikingSpectrum(exponents, exponents / spike_rate, stderr, block_exponents, times,
                           history_times, history, jnp.sum(log_dg) / total, spike_rate,
                           jnp.asarray(spikes), state, frame, jnp.cumsum(local_dt),
                           local_logs / local_dt, pr, pr_back, vector, jnp.sum(log_v) / total)


def _advance(network, state, t_target, search):
    """Every spike up to `t_target` (a while loop), then the state expressed at t_target."""

    state = jax.lax.while_loop(lambda s: _next_spike_time(network, s, search) <= t_target,
                               lambda s: spike_step(network, s, search=search)[0], state)
    phases = state.phases(network, t_target)
    state = eqx.tree_at(lambda s: (s.offset, s.time), state,
                        (jnp.zeros_like(state.offset), jnp.asarray(t_target, state.time.dtype)))
    return with_psi(state, jnp.concatenate([phases, state.psi[-1:]]))


def _circular_difference(a, b, period):
    d = jnp.mod(a - b + period / 2, period) - period / 2
    return d - jnp.mean(d)  # drop the neutral time-shift direction


@eqx.filter_jit
def _two_trajectory_compiled(network, state, direction, separation, interval, n_renorms,
                             search):
    period = network.neuron.period

    def with_phases(state, phases):
        psi = jnp.concatenate([phases, state.psi[-1:]])
        return with_psi(state, psi)

    other = with_phases(state, state.phases(network) + separation * direction)

    def body(carry, _):
        a, b = carry
        t = a.time + interval
        a, b = _advance(network, a, t, search), _advance(network, b, t, search)
        d = _circular_difference(b.psi[:-1], a.psi[:-1], period)
        distance = jnp.linalg.norm(d)
        b = with_phases(b, a.psi[:-1] + separation * d / distance)
        a = with_phases(a, a.psi[:-1])
        return (a, b), jnp.log(distance / separation)

    (state, _), logs = jax.lax.scan(body, (state, other), None, length=n_renorms)
    return state, logs


def spiking_two_trajectory_exponent(network: SpikingNetwork, phases=None, *, key,
                                    separation: float = 1e-9, interval: float | None = None,
                                    n_renorms: int = 200, transient_renorms: int = 20,
                                    warmup_spikes: int | None = None, search: str = "tree"):
    """λ_max by two nearby trajectories compared at equal times (an independent check of the
    tangent dynamics): every `interval` (default two free periods, 2P/ω) the phase difference —
    on the circle of period P, with its mean (the neutral time shift) removed — is measured and
    rescaled to `separation`. Returns (λ_max, standard error) per unit time from the
    renormalizations after `transient_renorms`; the error comes from 10 batch means (the
    growth rates of consecutive intervals are correlated)."""
    for name, value in [("separation", separation), ("n_renorms", n_renorms)]:
        check_real(name, value, positive=True)
    check_real("transient_renorms", transient_renorms, nonnegative=True, integer=True)
    if transient_renorms >= n_renorms:
        raise ConfigError("transient_renorms must be < n_renorms")
    n = network.n
    interval = float(2.0 * network.neuron.period / network.omega) if interval is None else interval
    check_real("interval", interval, positive=True)
    phase_key, direction_key = jax.random.split(key)
    if phases is None:
        phases = random_phases(phase_key, network)
    state = initial_state(network, phases, search=search)
    state = _warm_up(network, state, 10 * n if warmup_spikes is None else warmup_spikes, search,
                     max(n, 256))
    direction = jax.random.normal(direction_key, (n,))
    direction = direction - jnp.mean(direction)
    direction = direction / jnp.linalg.norm(direction)
    _, logs = _two_trajectory_compiled(network, state, direction, separation, interval,
                                       int(n_renorms), search)
    rates = np.asarray(logs)[transient_renorms:] / interval
    batches = np.array([b.mean() for b in np.array_split(rates, 10)])
    return float(rates.mean()), float(batches.std(ddof=1) / math.sqrt(batches.size))
