"""Pulse-coupled spiking networks, simulated exactly event by event (no time grid).

**Phase representation.** Every neuron model here has a closed-form free solution, so its state
can be written as a phase φ that grows at one constant speed ω between input spikes and spikes
when it reaches φ_th; it is then reset to φ_th − P (P the phase period). A δ-pulse of size c in
voltage units moves the phase of a receiving neuron to the phase-transition curve
g(φ) = Φ(V(φ) + c), V(φ) the voltage at phase φ and Φ its inverse. With τ dV/dt = F(V) + I,
dφ/dt = ω gives V'(φ) = (F(V) + I)/(τω), so for every model

    g'(φ) = (F(V(φ)) + I) / (F(V(φ) + c) + I)     (voltage speed before / after the kick).

- `LIFNeuron`: τ dV/dt = −V + I, threshold 1, reset 0, I > 1. P = 1, φ ∈ (−∞, 1],
  T = τ ln(I/(I−1)) the free period, ω = 1/T, V(φ) = I(1 − e^{−φT/τ}),
  g(φ) = −(τ/T) ln(e^{−φT/τ} − c/I), g'(φ) = e^{−φT/τ}/(e^{−φT/τ} − c/I). A kick with V + c ≥ 1
  puts the phase at threshold (the neuron fires at once; g' = 0 there).
- `ThetaNeuron` (quadratic integrate-and-fire): τ dV/dt = V² + I, V = tan(θ/2), i.e.
  τ dθ/dt = (1 − cos θ) + (1 + cos θ) I, spike at θ = π (V = +∞), reset to −π, I > 0. Phase φ = θ
  of the free solution: V = √I tan(φ/2), ω = 2√I/τ, P = 2π. With a = c/√I,
  g(φ) = 2 atan2(sin(φ/2) + a cos(φ/2), cos(φ/2)), g'(φ) = 1/(1 + a sin φ + a² cos²(φ/2)).
- `RapidThetaNeuron(rapidness=r)`: τ dV/dt = F(V) + I with F(V) = V² for V < 0 and r²V² for V ≥ 0
  (C¹ at V = 0; the spike onset above V = 0 is r times faster). r = 1 is the theta neuron; for
  r → ∞ the upswing takes no time, so the neuron fires when V crosses 0, like an integrate-and-fire
  neuron with threshold 0 (this is jaxchaos's parametrisation of the rapid theta family; it has the
  limits the sparse-chaos paper names). Free period T = (πτ/(2√I))(1 + 1/r),
  ω = 2π/T = 4r√I/((r+1)τ). Phase φ ∈ (−π, π] splits at φ_c = π(r−1)/(r+1): below, V = √I tan(α/2)
  with α = −π + (φ+π)(r+1)/(2r); above, rV = √I tan(β/2) with β = (φ−φ_c)(r+1)/2. g and g' follow
  in closed form by half-angle atan2 (no overflow near the spike; `RapidThetaNeuron.transition`).

**Networks.** N neurons, each with the same drive I and neuron model; a spike of neuron j kicks its
K targets (fixed out-degree, no self-connections, no repeated targets) by W_ij: −J0/√K from
inhibitory and +J_E/√K from excitatory neurons (the first ⌊f_E N⌋ are excitatory). The drive is
set by the balance condition for a target rate ν̄: I = τ√K ν̄ ((1 − f_E) J0 − f_E J_E)
(= τ√K J0 ν̄ for inhibitory networks); the realised rate is an output. Connectivity is any
operator of `_core._operator` with `column(j)` (a stored `OutDegreeTable`, whose rows are the
neurons' target lists, any `SparseOperator`, or a `RegeneratedOperator`).

**Exact event-driven integration.** Phases are stored as ψ_i = φ_i − Δ with one global offset Δ:
between spikes only Δ moves, so a spike costs O(K): the next spiker j* is the neuron with the
largest ψ, the time to its spike is (φ_th − ψ_j* − Δ)/ω, Δ jumps to φ_th − ψ_j*, ψ_j* is reset and
only the targets' ψ change. The largest ψ is kept in a tournament tree (`search="tree"`:
O(K log N) per spike; 16 children per node, stored as one contiguous row, each node holding its
winner's index and ψ, so a spike reads ψ only at the leaves of its K + 1 changed neurons) or found
by an argmax over N (`search="argmax"`: O(N), parallel on accelerators); both pick the smallest
index among equal maxima. Δ is re-centred (ψ ← ψ + Δ, Δ ← 0, the tree rebuilt) every
`recenter_every` spikes so that φ = ψ + Δ keeps float64 precision. One network runs in while
loops up to a time `t_end` within a spike budget; a batch runs either as a `lax.map` of those
loops (CPU default) or vmapped over a `lax.scan` of the budget with the steps after t_end masked
(accelerators), so networks with different rates run together; if the budget ends before t_end
the run is reported as an overrun (`SpikeRun.overrun`, `check_overrun`), never silently
truncated.
"""

import abc
import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError, check_choice, check_real
from .._core._operator import (
    AbstractOperator,
    OutDegreeTable,
    RegeneratedOperator,
)
from .._core._results import result_repr

SEARCHES = ("tree", "argmax")


class AbstractPhaseNeuron(eqx.Module):
    """A neuron with closed-form phase dynamics (module docstring): phase speed `omega(I)`,
    threshold `threshold`, period `period` (reset = threshold − period), phase-transition curve
    `transition(φ, c, I) -> (g(φ), g'(φ))`, and the voltage ↔ phase maps."""

    tau: eqx.AbstractVar[float]

    @property
    @abc.abstractmethod
    def threshold(self) -> float:
        """Phase at which the neuron spikes."""

    @property
    @abc.abstractmethod
    def period(self) -> float:
        """Phase period P: the reset phase is threshold − P."""

    @abc.abstractmethod
    def rheobase(self) -> float:
        """The drive above which the free neuron fires periodically."""

    @abc.abstractmethod
    def omega(self, drive):
        """Phase speed ω of the free neuron at drive I."""

    @abc.abstractmethod
    def transition(self, phase, kick, drive):
        """(g(φ), g'(φ)) after a δ-pulse of size `kick` (voltage units)."""

    @abc.abstractmethod
    def voltage(self, phase, drive):
        """V(φ)."""

    @abc.abstractmethod
    def phase(self, voltage, drive):
        """Φ(V), the inverse of `voltage`."""

    @property
    def reset(self) -> float:
        return self.threshold - self.period

    def free_rate(self, drive):
        """Firing rate of the free neuron, ω/P."""
        return self.omega(drive) / self.period


class LIFNeuron(AbstractPhaseNeuron):
    """Leaky integrate-and-fire, τ dV/dt = −V + I, threshold 1, reset 0 (module docstring)."""

    tau: float = 1.0

    threshold = 1.0
    period = 1.0

    def rheobase(self):
        return 1.0

    def _log_ratio(self, drive):
        return jnp.log(drive / (drive - 1.0))  # T/τ

    def omega(self, drive):
        return 1.0 / (self.tau * self._log_ratio(drive))

    def transition(self, phase, kick, drive):
        lr = self._log_ratio(drive)
        decay = jnp.exp(-phase * lr)  # 1 − V/I
        shifted = decay - kick / drive  # 1 − (V + c)/I
        at_threshold = (drive - 1.0) / drive
        fires = shifted <= at_threshold
        g = jnp.where(fires, 1.0, -jnp.log(jnp.where(fires, 1.0, shifted)) / lr)
        dg = jnp.where(fires, 0.0, decay / jnp.where(fires, 1.0, shifted))
        return g, dg

    def voltage(self, phase, drive):
        return drive * (1.0 - jnp.exp(-phase * self._log_ratio(drive)))

    def phase(self, voltage, drive):
        return -jnp.log(1.0 - voltage / drive) / self._log_ratio(drive)


class RapidThetaNeuron(AbstractPhaseNeuron):
    """Rapid theta neuron, τ dV/dt = F(V) + I, F = V² (V < 0), r²V² (V ≥ 0), spike at V = ∞
    (module docstring). `rapidness` r ≥ 1 may be a traced array (vmapped over)."""

    rapidness: jax.Array = eqx.field(default=1.0, converter=jnp.asarray)
    tau: float = 1.0

    threshold = math.pi
    period = 2.0 * math.pi

    def rheobase(self):
        return 0.0

    def omega(self, drive):
        r = self.rapidness
        return 4.0 * r * jnp.sqrt(drive) / ((r + 1.0) * self.tau)

    def _split(self):
        r = self.rapidness
        return math.pi * (r - 1.0) / (r + 1.0)

    def _half_angle(self, phase):
        """(num, den, lower) with V/√I = num/den, den ≥ 0, on the branch `lower` (V < 0)."""
        r = self.rapidness
        lower = phase < self._split()
        h = jnp.where(lower, (-jnp.pi + (phase + jnp.pi) * (r + 1.0) / (2.0 * r)) / 2.0,
                      (phase - self._split()) * (r + 1.0) / 4.0)
        return jnp.sin(h), jnp.where(lower, 1.0, r) * jnp.cos(h), lower

    def _phase_of(self, num, den):
        """Phase of V/√I = num/den (den ≥ 0)."""
        r = self.rapidness
        below = num < 0
        alpha = 2.0 * jnp.arctan2(num, den)
        beta = 2.0 * jnp.arctan2(r * num, den)
        return jnp.where(below, -jnp.pi + (alpha + jnp.pi) * 2.0 * r / (r + 1.0),
                         self._split() + 2.0 * beta / (r + 1.0))

    def transition(self, phase, kick, drive):
        r = self.rapidness
        num, den, lower = self._half_angle(phase)
        x = num + kick / jnp.sqrt(drive) * den
        before = jnp.where(lower, 1.0, r * r)  # (F(V)/I + 1) den²
        after = den * den + jnp.where(x < 0, 1.0, r * r) * x * x
        return self._phase_of(x, den), before / after

    def voltage(self, phase, drive):
        num, den, _ = self._half_angle(phase)
        return jnp.sqrt(drive) * num / den

    def phase(self, voltage, drive):
        return self._phase_of(voltage / jnp.sqrt(drive), jnp.ones_like(voltage))


class ThetaNeuron(AbstractPhaseNeuron):
    """Theta / quadratic integrate-and-fire neuron, τ dV/dt = V² + I, V = tan(θ/2)
    (module docstring). Written on its own (not as r = 1) so tests can hold the two together."""

    tau: float = 1.0

    threshold = math.pi
    period = 2.0 * math.pi

    def rheobase(self):
        return 0.0

    def omega(self, drive):
        return 2.0 * jnp.sqrt(drive) / self.tau

    def transition(self, phase, kick, drive):
        a = kick / jnp.sqrt(drive)
        s, c = jnp.sin(phase / 2.0), jnp.cos(phase / 2.0)
        g = 2.0 * jnp.arctan2(s + a * c, c)
        dg = 1.0 / (1.0 + a * jnp.sin(phase) + a * a * c * c)
        return g, dg

    def voltage(self, phase, drive):
        return jnp.sqrt(drive) * jnp.tan(phase / 2.0)

    def phase(self, voltage, drive):
        return 2.0 * jnp.arctan(voltage / jnp.sqrt(drive))


NEURONS = {"lif": LIFNeuron, "theta": ThetaNeuron, "rapid_theta": RapidThetaNeuron}


class SpikingNetwork(eqx.Module):
    """N pulse-coupled phase neurons (module docstring). `connectivity` has shape (N, N), entry
    (i, j) the kick that a spike of j gives i (voltage units); only `column(j)` is used. `drive`
    is the constant input I of every neuron. Parameters may be arrays of a vmapped batch."""

    neuron: AbstractPhaseNeuron
    connectivity: AbstractOperator
    drive: jax.Array

    @property
    def n(self) -> int:
        return self.connectivity.shape[0]

    @property
    def omega(self):
        return self.neuron.omega(self.drive)

    @staticmethod
    def random(seed: int, n: int, k: int, *, neuron: AbstractPhaseNeuron | str = "theta",
               coupling: float = 1.0, rate: float = 1.0, excitatory_fraction: float = 0.0,
               excitatory_coupling: float = 0.0, slots: int | None = None,
               regenerate: bool = False) -> "SpikingNetwork":
        """A random network: each neuron kicks K distinct other neurons (fixed out-degree), by
        −J0/√K (`coupling` J0 > 0) if inhibitory and +J_E/√K if excitatory (the first
        ⌊f_E N⌋ neurons), with the balance drive for the target `rate` ν̄ (`balanced_drive`).
        The targets are stored as an `OutDegreeTable` (row j: the targets of j, contiguous);
        `slots` ≥ K pads the target lists (to stack networks of different K); `regenerate` keeps
        only a key and redraws each neuron's targets when it spikes (O(N) memory; repeated draws
        of one target are dropped, K²/(2N) per neuron on average)."""
        neuron = NEURONS[check_choice("neuron", neuron, NEURONS)]() if isinstance(
            neuron, str) else neuron
        n, k = _check_size(n, k)
        check_real("coupling", coupling, positive=True)
        check_real("excitatory_fraction", excitatory_fraction, nonnegative=True, below=1.0)
        check_real("excitatory_coupling", excitatory_coupling, nonnegative=True)
        slots = k if slots is None else int(slots)
        if slots < k:
            raise ConfigError(f"slots = {slots} must be >= k = {k}")
        drive = balanced_drive(neuron, k, coupling, rate, excitatory_fraction,
                               excitatory_coupling)
        n_exc = int(excitatory_fraction * n)
        scale = 1.0 / math.sqrt(k)
        if regenerate:
            draw = _RegeneratedTargets(n, k, n_exc, -coupling * scale,
                                       excitatory_coupling * scale, slots)
            op = RegeneratedOperator(jax.random.key(seed), draw, (n, n), slots)
        else:
            targets = random_targets(np.random.default_rng(seed), n, k)
            weights = np.where(np.arange(n) < n_exc, excitatory_coupling * scale,
                               -coupling * scale)
            idx = np.zeros((n, slots), np.int32)
            w = np.zeros((n, slots))
            idx[:, :k] = targets
            w[:, :k] = weights[:, None]
            op = OutDegreeTable(idx, w)
        return SpikingNetwork(neuron, op, jnp.asarray(drive, float))


class _RegeneratedTargets(eqx.Module):
    """`draw(key_j, j)` for `RegeneratedOperator`: K targets ≠ j drawn with replacement, repeats
    dropped (weight 0), padded to `slots`."""

    n: int = eqx.field(static=True)
    k: int = eqx.field(static=True)
    n_exc: int = eqx.field(static=True)
    inhibitory: float = eqx.field(static=True)
    excitatory: float = eqx.field(static=True)
    slots: int = eqx.field(static=True)

    def __call__(self, key, j):
        t = jax.random.randint(key, (self.k,), 0, self.n - 1)
        t = jnp.sort(t + (t >= j))
        first = jnp.concatenate([jnp.ones(1, bool), t[1:] != t[:-1]])
        w = jnp.where(j < self.n_exc, self.excitatory, self.inhibitory) * first
        pad = self.slots - self.k
        return (jnp.concatenate([t, jnp.zeros(pad, t.dtype)]),
                jnp.concatenate([w, jnp.zeros(pad, w.dtype)]))


def _check_size(n, k):
    check_real("n", n, positive=True, integer=True)
    check_real("k", k, positive=True, integer=True)
    n, k = int(n), int(k)
    if k >= n:
        raise ConfigError(f"k = {k} must be < n = {n} (K distinct targets other than oneself)")
    return n, k


def random_targets(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """(n, k) targets: row j holds K distinct neurons other than j, uniformly drawn."""
    if k > n // 4:  # dense: a random permutation per row
        order = np.argsort(rng.random((n, n - 1)), axis=1)[:, :k]
    else:  # sparse: draw 2K with replacement, keep the first K distinct (redraw rare rows)
        order = np.empty((n, k), np.int64)
        todo = np.arange(n)
        while todo.size:
            draws = rng.integers(0, n - 1, (todo.size, 2 * k))
            srt = np.argsort(draws, axis=1, kind="stable")
            sorted_draws = np.take_along_axis(draws, srt, 1)
            repeat_sorted = np.zeros_like(draws, bool)
            repeat_sorted[:, 1:] = sorted_draws[:, 1:] == sorted_draws[:, :-1]
            repeat = np.empty_like(repeat_sorted)
            np.put_along_axis(repeat, srt, repeat_sorted, 1)
            keep = ~repeat
            enough = keep.sum(1) >= k
            rank = np.cumsum(keep, 1)
            chosen = keep & (rank <= k)
            rows = todo[enough]
            order[rows] = draws[enough][chosen[enough]].reshape(-1, k)
            todo = todo[~enough]
    sources = np.arange(n)[:, None]
    return (order + (order >= sources)).astype(np.int32)  # skip oneself


def balanced_drive(neuron: AbstractPhaseNeuron, k, coupling, rate, excitatory_fraction=0.0,
                   excitatory_coupling=0.0) -> float:
    """Drive I = τ√K ν̄ ((1 − f_E) J0 − f_E J_E) that balances the mean recurrent input at the
    target rate ν̄; `ConfigError` if no drive can reach ν̄ (net excitation, a drive below the
    neuron's rheobase, or a free firing rate — the rate without any inhibition — below ν̄)."""
    check_real("rate", rate, positive=True)
    net = (1.0 - excitatory_fraction) * coupling - excitatory_fraction * excitatory_coupling
    if net <= 0:
        raise ConfigError(f"rate = {rate} cannot be reached: the network is not inhibition-"
                          f"dominated ((1 - f_E) J0 - f_E J_E = {net:g} <= 0)")
    drive = neuron.tau * math.sqrt(k) * rate * net
    if drive <= neuron.rheobase():
        raise ConfigError(f"rate = {rate} cannot be reached: its balance drive I = {drive:g} "
                          f"is below the rheobase {neuron.rheobase():g} (raise coupling or k)")
    free = float(neuron.free_rate(drive))
    if free <= rate:
        raise ConfigError(f"rate = {rate} cannot be reached: the balance drive I = {drive:g} "
                          f"makes a free neuron fire at {free:g} only (lower rate or raise "
                          "coupling)")
    return drive


# ----------------------------------------------------------------------------------- event loop

class EventState(eqx.Module):
    """State of the event loop: ψ (N+1,) with φ = ψ + Δ (entry N is a dummy at −∞ that padded
    targets point to), the offset Δ, the time t of the last event, the tournament tree
    (`tree`: the index of the largest ψ below each node, `peaks`: that ψ; `_build_tree`; empty
    for argmax search), the spike count and the next spiker (the tree's root, kept apart so
    that the step never reads the tree before updating it: a read of the old tree made XLA
    copy the whole tree every spike)."""

    psi: jax.Array
    offset: jax.Array
    time: jax.Array
    tree: jax.Array
    peaks: jax.Array
    spikes: jax.Array
    spiker: jax.Array

    def phases(self, network: SpikingNetwork, time=None) -> jax.Array:
        """φ (N,) at `time` (default: the last event)."""
        ahead = 0.0 if time is None else network.omega * (time - self.time)
        return self.psi[:-1] + self.offset + ahead


_ARITY = 16  # children per tree node: a node's children are one contiguous row


def _tree_levels(n1: int) -> list[tuple[int, int]]:
    """(nodes, first row) of each tree level above the leaves ψ (N+1,), bottom up; level l's
    node m is entry (first row + m // d, m % d) of the (rows, d) tables; the root is (-1, 0)."""
    levels, nodes, row = [], n1, 0
    while True:
        nodes = -(-nodes // _ARITY)
        levels.append((nodes, row))
        row += -(-nodes // _ARITY)
        if nodes == 1:
            return levels


def _build_tree(psi):
    """Tournament tree over ψ (N+1,), d = `_ARITY` children per node: (winners, peaks) of shape
    (rows, d), each node holding the index of the largest ψ below it (ties: the smallest index,
    so the root is `argmax(ψ)`) and that ψ; padding holds the dummy N and −∞."""
    dummy = psi.shape[0] - 1
    values, index = psi, jnp.arange(psi.shape[0], dtype=jnp.int32)
    winners, peaks = [], []
    for nodes, _ in _tree_levels(psi.shape[0]):
        pad = nodes * _ARITY - values.shape[0]
        values = jnp.concatenate([values, jnp.full(pad, -jnp.inf, values.dtype)])
        index = jnp.concatenate([index, jnp.full(pad, dummy, jnp.int32)])
        best = jnp.argmax(values.reshape(nodes, _ARITY), axis=1)
        values = jnp.take_along_axis(values.reshape(nodes, _ARITY), best[:, None], 1)[:, 0]
        index = jnp.take_along_axis(index.reshape(nodes, _ARITY), best[:, None], 1)[:, 0]
        rows = -(-nodes // _ARITY)
        winners.append(jnp.concatenate(
            [index, jnp.full(rows * _ARITY - nodes, dummy, jnp.int32)]).reshape(rows, _ARITY))
        peaks.append(jnp.concatenate(
            [values, jnp.full(rows * _ARITY - nodes, -jnp.inf, values.dtype)]
        ).reshape(rows, _ARITY))
    return jnp.concatenate(winners), jnp.concatenate(peaks)


def _update_tree(winners, peaks, psi, changed):
    """Recompute the nodes above the leaves `changed`, level by level: one contiguous row of
    d children per node, O(len(changed) log_d N)."""
    dummy = psi.shape[0] - 1
    nodes = changed.astype(jnp.int32) // _ARITY
    kids = jnp.minimum(nodes[:, None] * _ARITY + jnp.arange(_ARITY, dtype=jnp.int32), dummy)
    values, index = psi[kids], kids
    previous = None
    for level, (_, row) in enumerate(_tree_levels(psi.shape[0])):
        if level:
            nodes = nodes // _ARITY
            values, index = peaks[previous + nodes], winners[previous + nodes]
        best = jnp.argmax(values, axis=1)[:, None]  # the first of equal maxima
        rows, cols = row + nodes // _ARITY, nodes % _ARITY
        peaks = peaks.at[rows, cols].set(jnp.take_along_axis(values, best, 1)[:, 0])
        winners = winners.at[rows, cols].set(jnp.take_along_axis(index, best, 1)[:, 0])
        previous = row
    return winners, peaks


def initial_state(network: SpikingNetwork, phases, *, search: str = "tree") -> EventState:
    """Event-loop state at time 0 with phases φ (N,)."""
    phases = jnp.asarray(phases, float)
    psi = jnp.concatenate([phases, jnp.full((1,), -jnp.inf, phases.dtype)])
    tree, peaks = (_build_tree(psi) if search == "tree" else
                   (jnp.zeros((0, _ARITY), jnp.int32), jnp.zeros((0, _ARITY), psi.dtype)))
    zero = jnp.zeros((), phases.dtype)
    spiker = tree[-1, 0] if search == "tree" else jnp.argmax(psi).astype(jnp.int32)
    return EventState(psi, zero, zero, tree, peaks, jnp.zeros((), jnp.int32), spiker)


def random_phases(key, network: SpikingNetwork, batch_shape=()) -> jax.Array:
    """Phases drawn uniformly over one period below threshold."""
    neuron = network.neuron
    return neuron.reset + neuron.period * jax.random.uniform(key, batch_shape + (network.n,))


def _next_spiker(state: EventState, search: str):
    return state.spiker if search == "tree" else jnp.argmax(state.psi).astype(jnp.int32)


def spike_step(network: SpikingNetwork, state: EventState, *, t_end=None, search="tree",
               frame=None):
    """One event: the next spike; with `t_end`, only if it comes before t_end (else nothing
    changes: the masked step of batched runs).

    Returns (state, frame, (time, neuron, active, Σ_post ln g')). With `frame` (N, k), the
    tangent vectors are carried by the exact single-spike Jacobian: only the target rows change,
    Q[i] ← g'(φ_i⁻) Q[i] + (1 − g'(φ_i⁻)) Q[j*] (non-targets and j* keep their rows).
    """
    n = network.n
    neuron = network.neuron
    j = _next_spiker(state, search)
    offset = jnp.maximum(state.offset, neuron.threshold - state.psi[j])
    time = state.time + (offset - state.offset) / network.omega
    active = jnp.asarray(True) if t_end is None else time <= t_end
    targets, kicks = network.connectivity.column(j)
    valid = active & (kicks != 0)
    targets = jnp.where(valid, targets, n).astype(jnp.int32)
    before = state.psi[targets] + offset
    g, dg = neuron.transition(jnp.where(valid, before, neuron.reset), kicks, network.drive)
    dg = jnp.where(valid, dg, 1.0)
    changed = jnp.concatenate([jnp.where(active, j, n)[None], targets])
    values = jnp.concatenate([jnp.where(active, neuron.reset - offset, -jnp.inf)[None],
                              jnp.where(valid, g - offset, -jnp.inf)])
    psi = state.psi.at[changed].set(values, unique_indices=True)
    tree, peaks = state.tree, state.peaks
    if search == "tree":
        tree, peaks = _update_tree(tree, peaks, psi, changed)
    if frame is not None:
        rows = frame.at[targets].get(mode="fill", fill_value=0.0)
        mixed = dg[:, None] * rows + (1.0 - dg)[:, None] * frame[j][None, :]
        frame = frame.at[targets].set(mixed, mode="drop")
    spiker = tree[-1, 0] if search == "tree" else state.spiker
    if t_end is None:
        new = EventState(psi, offset, time, tree, peaks, state.spikes + 1, spiker)
    else:
        new = EventState(psi, jnp.where(active, offset, state.offset),
                         jnp.where(active, time, state.time), tree, peaks,
                         state.spikes + active.astype(jnp.int32), spiker)
    return new, frame, (time, j, active, jnp.sum(jnp.log(dg)))


def recenter(state: EventState) -> EventState:
    """ψ ← ψ + Δ, Δ ← 0, and the tree rebuilt (O(N), every N spikes by default): the rounding
    of ψ + Δ keeps the order of ψ but can make two values equal, and the rebuilt tree breaks
    such a tie by the smallest index, like argmax."""
    psi = state.psi + state.offset
    return with_psi(eqx.tree_at(lambda s: s.offset, state, jnp.zeros_like(state.offset)), psi)


def with_psi(state: EventState, psi) -> EventState:
    """The state with ψ replaced (N+1,) and its tree rebuilt (its peaks are copies of ψ)."""
    if state.tree.shape[0] == 0:  # argmax search: no tree
        return eqx.tree_at(lambda s: s.psi, state, psi)
    tree, peaks = _build_tree(psi)
    return eqx.tree_at(lambda s: (s.psi, s.tree, s.peaks, s.spiker), state,
                       (psi, tree, peaks, tree[-1, 0]))


class SpikeRun(eqx.Module):
    """Result of `run_spikes`: the spike record (`times`, `neurons`, `valid` of shape
    (budget,), invalid entries after t_end), the final `state`, the phases at `t_end`
    (`final_phases`), `t_end`, and `overrun` (True: the budget ended before t_end)."""

    __repr__ = result_repr

    times: jax.Array
    neurons: jax.Array
    valid: jax.Array
    state: EventState
    final_phases: jax.Array
    t_end: jax.Array
    overrun: jax.Array

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """The (times, neurons) of the valid spikes of one (unbatched) run."""
        valid = np.asarray(self.valid)
        return np.asarray(self.times)[valid], np.asarray(self.neurons)[valid]


def _run_spikes(network, state, t_end, budget, search, recenter_every):
    """Exactly `budget` masked steps (steps after t_end change nothing), re-centring every
    `recenter_every` spikes: the batched path (vmap needs a fixed number of steps)."""
    chunk = max(1, min(budget, recenter_every))

    def body(state, _):
        state, _, (time, j, active, _) = spike_step(network, state, t_end=t_end, search=search)
        return state, (time, j, active)

    def one_chunk(state, length):
        state, record = jax.lax.scan(body, state, None, length=length)
        return recenter(state), record

    state, record = jax.lax.scan(lambda st, _: one_chunk(st, chunk), state, None,
                                 length=budget // chunk)
    records = [jax.tree_util.tree_map(lambda x: x.reshape(-1), record)]
    if budget % chunk:
        state, rest = one_chunk(state, budget % chunk)
        records.append(rest)
    times, neurons, valid = (jnp.concatenate(parts) for parts in zip(*records, strict=True))
    return SpikeRun(times, neurons, valid, state, state.phases(network, t_end),
                    jnp.asarray(t_end, float), _next_spike_time(network, state, search) <= t_end)


def _next_spike_time(network, state, search):
    gap = network.neuron.threshold - state.psi[_next_spiker(state, search)] - state.offset
    return state.time + jnp.maximum(gap, 0.0) / network.omega


def _until(network, state, t_end, budget, search, recenter_every):
    """One network: while loops (re-centring every `recenter_every` spikes) that stop at t_end
    or at the budget, so no step is masked."""
    limit_time = lambda st: _next_spike_time(network, st, search) <= t_end  # noqa: E731

    def chunk(carry):
        stop = jnp.minimum(carry[1] + recenter_every, budget)

        def body(carry):
            st, count, times, neurons = carry
            st, _, (time, j, _, _) = spike_step(network, st, search=search)
            return st, count + 1, times.at[count].set(time), neurons.at[count].set(j)

        st, count, times, neurons = jax.lax.while_loop(
            lambda c: (c[1] < stop) & limit_time(c[0]), body, carry)
        return recenter(st), count, times, neurons

    init = (state, jnp.zeros((), jnp.int32), jnp.full(budget, jnp.inf, state.time.dtype),
            jnp.zeros(budget, jnp.int32))
    state, count, times, neurons = jax.lax.while_loop(
        lambda c: (c[1] < budget) & limit_time(c[0]), chunk, init)
    return SpikeRun(times, neurons, jnp.arange(budget) < count, state,
                    state.phases(network, t_end), jnp.asarray(t_end, float), limit_time(state))


_run_spikes_until = eqx.filter_jit(_until)


@eqx.filter_jit
def _run_spikes_batched(network, state, t_end, budget, search, recenter_every):
    """vmap: `budget` masked steps of every network at once (parallel on accelerators)."""
    return jax.vmap(lambda net, st: _run_spikes(net, st, t_end, budget, search, recenter_every)
                    )(network, state)


@eqx.filter_jit
def _run_spikes_mapped(network, state, t_end, budget, search, recenter_every):
    """`lax.map`: the networks one after the other, each by the unmasked single-network loops
    of `_until` that stop at its own t_end, in one compiled call."""
    return jax.lax.map(lambda args: _until(*args, t_end, budget, search, recenter_every),
                       (network, state))


BATCH_MODES = ("auto", "map", "vmap")


def run_spikes(network: SpikingNetwork, phases=None, *, t_end: float, max_spikes: int,
               key=None, state: EventState | None = None, search: str = "tree",
               recenter_every: int | None = None, batched: bool = False,
               batch_mode: str = "auto", check: bool = True) -> SpikeRun:
    """Simulate exactly, event by event, from `phases` (N,) (or uniform random ones from `key`,
    or a previous `state`) until `t_end`, within a budget of `max_spikes` spikes.

    `batched=True`: `network` (a stacked pytree, `stack_networks`) and `phases` carry a leading
    batch axis. `batch_mode="vmap"` runs all networks in one vmapped loop of `max_spikes` steps,
    masking those that have reached t_end (parallel on accelerators); `"map"` runs them one
    after the other in one compiled `lax.map`, each by the unmasked single-network loop up to
    its own t_end (on a CPU, where vmap has no parallelism to offer, this is faster: the
    vmapped scatters and gathers of the batch cost more per network than the single ones);
    `"auto"`: map on CPU, vmap otherwise. With `check`, a budget that ends before t_end raises
    `ConfigError` naming `max_spikes`.
    """
    check_choice("search", search, SEARCHES)
    check_choice("batch_mode", batch_mode, BATCH_MODES)
    check_real("t_end", t_end, positive=True)
    check_real("max_spikes", max_spikes, positive=True, integer=True)
    recenter_every = int(recenter_every or max(network.n, 256))
    check_real("recenter_every", recenter_every, positive=True, integer=True)
    if state is None:
        if phases is None:
            if key is None:
                raise ConfigError("give phases, key or state")
            phases = random_phases(key, _first(network) if batched else network,
                                   (_batch_size(network),) if batched else ())
        init = functools.partial(initial_state, search=search)
        state = jax.vmap(init)(network, phases) if batched else init(network, phases)
    if batch_mode == "auto":
        batch_mode = "map" if jax.default_backend() == "cpu" else "vmap"
    run = ({"map": _run_spikes_mapped, "vmap": _run_spikes_batched}[batch_mode] if batched
           else _run_spikes_until)
    out = run(network, state, jnp.asarray(t_end, float), int(max_spikes), search,
              recenter_every)
    if check:
        check_overrun(out)
    return out


def check_overrun(run: SpikeRun):
    """`ConfigError` naming `max_spikes` if any network ran out of its spike budget."""
    over = np.asarray(run.overrun)
    if over.any():
        where = "" if over.ndim == 0 else f" (batch entries {np.flatnonzero(over).tolist()})"
        reached = np.asarray(run.state.time).max(initial=0.0)
        raise ConfigError(f"max_spikes = {run.times.shape[-1]} is too small: the spike budget "
                          f"ended at t = {reached:g} before t_end = "
                          f"{float(np.max(run.t_end)):g}{where}")


def _batch_size(network):
    return jax.tree_util.tree_leaves(network)[0].shape[0]


def _first(network):
    return jax.tree_util.tree_map(lambda x: x[0], network)


def stack_networks(networks) -> SpikingNetwork:
    """Stack networks of one size and neuron model (different seeds, couplings, rapidness, K —
    build them with a common `slots`) into one batched pytree for `run_spikes(batched=True)`."""
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *networks)


def spike_statistics(times, neurons, n: int, t_end: float) -> dict:
    """Per-neuron rates (spikes / t_end) and CVs of the interspike intervals (NaN with fewer
    than 3 spikes), and the population rate, from the spikes of one network
    (`SpikeRun.spikes()`)."""
    times, neurons = np.asarray(times), np.asarray(neurons)
    counts = np.bincount(neurons, minlength=n)
    order = np.lexsort((times, neurons))
    times, neurons = times[order], neurons[order]
    isi = np.diff(times)
    same = neurons[1:] == neurons[:-1]
    isi, owner = isi[same], neurons[1:][same]
    n_isi = np.bincount(owner, minlength=n)
    mean = np.bincount(owner, isi, minlength=n) / np.maximum(n_isi, 1)
    var = np.bincount(owner, (isi - mean[owner]) ** 2, minlength=n) / np.maximum(n_isi - 1, 1)
    cv = np.where(n_isi >= 2, np.sqrt(var) / np.where(mean > 0, mean, 1.0), np.nan)
    return {"rates": counts / t_end, "cv": cv, "population_rate": counts.sum() / (n * t_end)}
