"""A Hopfield network plus a random network under a gain that may vary in time (PHYSICS.md §3;
Chaudhuri & Handebagh, seed 002, §3.4 and Fig. 4): chaos from the random part drives the network
from one stored pattern to another.

    dx/dt = -x + (W_s + g(t) W_r) φ(x)   [+ σ dW/dt],

with P stored patterns ξ^μ ∈ {±1}^N (the rows of Ξ, shape (P, N)) and

- outer-product rule (Hopfield 1982): `W_s = (s/N) Σ_μ ξ^μ ξ^μᵀ = (s/N) Ξᵀ Ξ`;
- pseudo-inverse rule (Kanter & Sompolinsky 1987): `W_s = (s/N) Ξᵀ C⁻¹ Ξ`, `C = Ξ Ξᵀ / N`, i.e.
  s times the orthogonal projector onto the pattern span, so `W_s ξ^μ = s ξ^μ` exactly;
- `W_r` of unit gain from `Connectivity` (dense: `W_r,ij ~ N(0, 1/N)`, zero diagonal).

The structured strength s: seed 002 stores the unnormalised Ξᵀ Ξ, which is s = N (the primary
reproduction, configs/hopfield_gains.toml). Then |x| ≈ N at a pattern, and with y = x/s the
network is dy/dt = -y + (ΞᵀΞ/N + (g/s) W_r) φ(s y): near-binary, controlled by g/s alone.
PHYSICS.md writes s = 1, but with φ = tanh (slope 1 at 0) and s = 1 the pseudo-inverse patterns
are not stored at all (a = tanh a has only a = 0) and the outer-product ones only marginally;
the default s = 2 (with the pseudo-inverse rule, a documented variant) stores them softly.
For an odd φ (tanh, erf) and the pseudo-inverse rule, x* = a ξ^μ with `a = s φ(a)` is an exact
fixed point of the g = 0 dynamics: φ(x*) = φ(a) ξ^μ, so W_s φ(x*) = s φ(a) ξ^μ = x*, and the
overlap of φ(x*) with ξ^μ is exactly 1.
A root a > 0 exists iff s φ'(0) > 1 (s > 1 for tanh and erf); at it s φ'(a) < 1, so the Jacobian
`-I + s φ'(a) Π` (Π the projector) has eigenvalues -1 + s φ'(a) on the pattern span and -1 on its
complement: each pattern (and its mirror -ξ^μ) is a stable fixed point. Under the outer-product
rule the fixed points are near, not at, a ξ^μ (crosstalk between patterns, O(√(P/N))).

The structured product is applied in low-rank form, `(s/N) Ξᵀ (K (Ξ φ))` with K = C⁻¹ or I, at
O(NP) cost; the N×N structured matrix is formed only on request (`structured_weights`).

Measures on recorded trajectories (pure functions): normalized overlaps, orthonormal bases of the
pattern span and its complement (SVD), projection norms, the nearest pattern, visits with their
dwell times and transitions, sampling statistics, and the linear regression of a quantity on the
gain with the slope's p-value.
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betainc, gammaincc

from .._core._connectivity import Connectivity
from .._core._errors import ConfigError, check_choice, check_real
from .._core._nonlinearities import Nonlinearity
from .._core._operator import AbstractOperator, as_operator
from .._core._system import AbstractFlow
from ._rate import _HIGHEST, _coupling, _noise_or_none

RULES = ("pseudo_inverse", "outer_product")
ODD_NONLINEARITIES = ("tanh", "erf", "erf_standard")


def _concrete(value):
    """`value` as a NumPy array, or None when it is traced (inside jit/vmap)."""
    try:
        return np.asarray(value)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


# --------------------------------------------------------------------------- gain schedules


class AbstractGain(eqx.Module):
    """A gain schedule g(t) (a scalar function of time) scaling the random part W_r."""

    @abc.abstractmethod
    def __call__(self, t):
        """g(t), a scalar."""


class ConstantGain(AbstractGain):
    """g(t) = value."""

    value: jax.Array

    def __init__(self, value):
        self.value = jnp.asarray(check_real("gain", value, nonnegative=True))

    def __call__(self, t):
        return self.value


class AlternatingGain(AbstractGain):
    """g(t) = `low` for a dwell, then `high` for a dwell, and so on, from low at t = 0.

    `switch_times` (2C,) are the increasing ends of the dwells `[end of low 1, end of high 1, end
    of low 2, ...]`; the sequence of C cycles repeats with period `switch_times[-1]`. At a switch
    time the new value applies. A switch inside a solver step makes that step first-order accurate.
    """

    low: jax.Array
    high: jax.Array
    switch_times: jax.Array

    def __init__(self, low, high, switch_times):
        self.low = jnp.asarray(check_real("low gain", low, nonnegative=True))
        self.high = jnp.asarray(check_real("high gain", high, nonnegative=True))
        times = _concrete(switch_times)
        if times is not None:
            if times.ndim != 1 or times.size < 2 or times.size % 2:
                raise ConfigError("switch_times must be a 1-D array of 2·cycles dwell ends")
            check_real("switch_times", times, positive=True)
            if np.any(np.diff(times) <= 0):
                raise ConfigError("switch_times must increase strictly")
        self.switch_times = jnp.asarray(switch_times)

    @classmethod
    def random(cls, key, low, high, *, low_dwell=(20.0, 40.0), high_dwell=(5.0, 10.0),
               cycles: int = 200) -> "AlternatingGain":
        """Dwells drawn from `key`: low ~ U(low_dwell), high ~ U(high_dwell), for `cycles`
        cycles (then the sequence repeats: choose `cycles` so that it outlasts the run)."""
        check_real("cycles", cycles, positive=True, integer=True)
        for name, (lo, hi) in (("low_dwell", low_dwell), ("high_dwell", high_dwell)):
            check_real(name, (lo, hi), positive=True)
            if _concrete(lo) is not None and _concrete(hi) is not None and lo > hi:
                raise ConfigError(f"{name} must be (min, max) with min <= max, got {(lo, hi)}")
        u = jax.random.uniform(key, (int(cycles), 2))
        dwells = jnp.stack([low_dwell[0] + (low_dwell[1] - low_dwell[0]) * u[:, 0],
                            high_dwell[0] + (high_dwell[1] - high_dwell[0]) * u[:, 1]], axis=1)
        return cls(low, high, jnp.cumsum(dwells.reshape(-1)))

    @property
    def period(self):
        """Duration of the C cycles after which the schedule repeats."""
        return self.switch_times[-1]

    def __call__(self, t):
        phase = jnp.searchsorted(self.switch_times, jnp.mod(t, self.period), side="right")
        return jnp.where(phase % 2 == 0, self.low, self.high)


class FunctionGain(AbstractGain):
    """g(t) = fn(t) for any JAX-traceable scalar function of time."""

    fn: Callable = eqx.field(static=True)

    def __call__(self, t):
        return self.fn(t)


def _as_gain(gain) -> AbstractGain:
    if isinstance(gain, AbstractGain):
        return gain
    if callable(gain):
        return FunctionGain(gain)
    return ConstantGain(gain)


# --------------------------------------------------------------------------- the model


def random_patterns(key, p: int, n: int, dtype=None) -> jax.Array:
    """P independent patterns with iid entries ±1 (probability 1/2 each), shape (P, N)."""
    return jnp.where(jax.random.bernoulli(key, 0.5, (p, n)), 1.0, -1.0).astype(
        dtype or jnp.result_type(float)
    )


def _check_patterns(patterns, n: int, rule: str):
    """Shape (P, N) with 1 <= P < N, entries ±1, and (pseudo-inverse) linear independence."""
    shape = jnp.shape(patterns)
    if len(shape) != 2 or shape[1] != n:
        raise ConfigError(f"patterns must have shape (P, N) = (P, {n}), got {shape}")
    p = shape[0]
    if not 1 <= p < n:
        raise ConfigError(f"the network stores 1 <= P < N patterns; got P = {p} for N = {n} "
                          "(the complement of the pattern span would be empty)")
    values = _concrete(patterns)
    if values is None:
        return
    if not np.all(np.abs(values) == 1):
        raise ConfigError("patterns must have entries +1 or -1 only")
    if rule == "pseudo_inverse" and np.linalg.matrix_rank(values) < p:
        raise ConfigError("the pseudo-inverse rule needs linearly independent patterns "
                          "(no repeated or mirrored patterns)")


class HopfieldNetwork(AbstractFlow):
    """Hopfield network plus random network (module docstring),

        dx/dt = -x + (W_s + g(t) W_r) φ(x)   [+ σ dW/dt],

    `W_s = (s/N) Ξᵀ K Ξ` with K = C⁻¹ (`rule="pseudo_inverse"`) or I (`"outer_product"`).
    Jacobian: `-I + (W_s + g(t) W_r) diag φ'(x)`.

    **Arguments:**
    - `patterns`: (P, N) entries ±1, 1 <= P < N (linearly independent for the pseudo-inverse).
    - `random_weights`: W_r of unit gain, an (N, N) array or any `AbstractOperator`.
    - `gain`: a number (fixed gain), an `AbstractGain`, or a function of time.
    - `rule`, `strength` (s > 0), `nonlinearity`, `noise` (σ; None or 0: an ODE).
    """

    patterns: jax.Array
    coupling: jax.Array
    random_weights: jax.Array | AbstractOperator
    gain: AbstractGain
    strength: jax.Array
    nonlinearity: Nonlinearity
    noise: jax.Array | None
    rule: str = eqx.field(static=True)

    def __init__(self, patterns, random_weights, gain, *, rule="pseudo_inverse", strength=2.0,
                 nonlinearity="tanh", noise=None):
        self.random_weights = _coupling(random_weights)
        self.rule = check_choice("rule", rule, RULES)
        _check_patterns(patterns, self.random_weights.shape[0], rule)
        self.patterns = jnp.asarray(patterns, self.random_weights.dtype)
        p, n = self.patterns.shape
        if rule == "pseudo_inverse":
            overlap_matrix = jnp.matmul(self.patterns, self.patterns.T, precision=_HIGHEST) / n
            self.coupling = jnp.linalg.inv(overlap_matrix)
        else:
            self.coupling = jnp.eye(p, dtype=self.patterns.dtype)
        self.gain = _as_gain(gain)
        self.strength = jnp.asarray(check_real("strength", strength, positive=True))
        self.nonlinearity = (
            nonlinearity if isinstance(nonlinearity, Nonlinearity) else Nonlinearity(nonlinearity)
        )
        self.noise = _noise_or_none(noise)

    @classmethod
    def random(cls, key, n: int, patterns, gain, *, connectivity=None,
               **kwargs) -> "HopfieldNetwork":
        """W_r drawn from `key` by `connectivity` (dense, zero diagonal by default); `patterns`
        is a (P, N) array or a number P of random ±1 patterns drawn from `key`."""
        check_real("n", n, positive=True, integer=True)
        connectivity = Connectivity() if connectivity is None else connectivity
        connectivity.check_size(n)
        key_w, key_p = jax.random.split(key)
        if isinstance(patterns, (int, np.integer)) and not isinstance(patterns, bool):
            if not 1 <= patterns < n:
                raise ConfigError(f"the network stores 1 <= P < N patterns; got P = {patterns} "
                                  f"for N = {n}")
            patterns = random_patterns(key_p, int(patterns), int(n))
        return cls(patterns, connectivity.sample(key_w, int(n)), gain, **kwargs)

    @property
    def n(self) -> int:
        return self.random_weights.shape[0]

    def _structured(self, v):
        """W_s v for v of shape (n,) or (n, k), in low-rank form."""
        scale = self.strength / self.n
        inner = jnp.matmul(self.coupling, jnp.matmul(self.patterns, v, precision=_HIGHEST),
                           precision=_HIGHEST)
        return scale * jnp.matmul(self.patterns.T, inner, precision=_HIGHEST)

    @property
    def structured_weights(self) -> jax.Array:
        """W_s as an N×N matrix (for inspection; the dynamics never form it)."""
        return self._structured(jnp.eye(self.n, dtype=self.patterns.dtype))

    def vector_field(self, t, x, args):
        rates = self.nonlinearity(x)
        random_part = as_operator(self.random_weights) @ rates
        return -x + self._structured(rates) + self.gain(t) * random_part

    def jvp(self, t, x, v, args):
        slopes = self.nonlinearity.derivative(x)
        scaled = slopes * v if v.ndim == 1 else slopes[:, None] * v
        random_part = as_operator(self.random_weights).tangent_product(slopes, v)
        return -v + self._structured(scaled) + self.gain(t) * random_part

    def pattern_amplitude(self):
        """The root a > 0 of a = s φ(a) (0 when s φ'(0) <= 1), by Newton's method from a = s.

        For the pseudo-inverse rule, x* = a ξ^μ is an exact fixed point at g = 0 (module
        docstring). Needs an odd φ (tanh or erf)."""
        if self.nonlinearity.name not in ODD_NONLINEARITIES:
            raise ConfigError(f"pattern fixed points a·ξ need an odd φ {ODD_NONLINEARITIES}, "
                              f"not {self.nonlinearity.name!r}")
        return _pattern_amplitude(self.nonlinearity, self.strength)

    def pattern_state(self, index: int, sign: float = 1.0):
        """x* = sign · a · ξ^index (`pattern_amplitude`): the stored fixed point of that pattern."""
        return sign * self.pattern_amplitude() * self.patterns[index]


@eqx.filter_jit
def _pattern_amplitude(phi: Nonlinearity, s):
    """The root a > 0 of a = s φ(a) for an odd φ, or 0 when s φ'(0) <= 1."""

    def newton(_, a):
        # f(a) = a - s φ(a) is convex for a > 0 and f(s) > 0: Newton descends monotonically.
        return a - (a - s * phi(a)) / (1.0 - s * phi.derivative(a))

    a = jax.lax.fori_loop(0, 60, newton, s)
    return jnp.where(s * phi.derivative(jnp.zeros_like(s)) > 1.0, a, 0.0)


# --------------------------------------------------------------------------- measures


def overlaps(rates, vectors):
    """Normalized overlaps `m_k = ⟨r, v_k⟩ / (|r| |v_k|)` of rates r = φ(x) (..., N) with the rows
    of `vectors` (K, N): shape (..., K), in [-1, 1]; 0 where r = 0. With `vectors` the patterns
    this is m_μ(t) of PHYSICS.md §3; with `subspace_bases(...)[1]` the overlaps with the
    complement."""
    dots = jnp.matmul(rates, vectors.T, precision=_HIGHEST)
    norms = jnp.linalg.norm(rates, axis=-1, keepdims=True) * jnp.linalg.norm(vectors, axis=-1)
    return jnp.where(norms > 0, dots / jnp.where(norms > 0, norms, 1.0), 0.0)


def subspace_bases(patterns):
    """Orthonormal bases (as rows) of the pattern span, (P, N), and of its complement, (N-P, N),
    from the SVD `Ξ = U S Vᵀ`: the first P rows of Vᵀ span the patterns, the rest the complement.
    Assumes P linearly independent patterns."""
    p = patterns.shape[0]
    vt = jnp.linalg.svd(patterns, full_matrices=True)[2]
    return vt[:p], vt[p:]


def projection_norms(rates, patterns):
    """`(|Π_s r| / |r|, |Π_c r| / |r|)` for rates r (..., N): the norms of the projections onto the
    pattern span and onto its complement, relative to |r| (their squares sum to 1; both 0 where
    r = 0). Equal to the norms of the overlap vectors with the two orthonormal bases."""
    span, complement = subspace_bases(patterns)
    return (jnp.linalg.norm(overlaps(rates, span), axis=-1),
            jnp.linalg.norm(overlaps(rates, complement), axis=-1))


def nearest_pattern(pattern_overlaps, threshold=0.9, *, signed=False):
    """Label of the pattern the network is near at each time, from overlaps (..., P): the μ with
    the largest |m_μ| when that is >= `threshold`, else -1. `signed=True` tells a pattern from
    its mirror: label μ when m_μ > 0 and P + μ when m_μ < 0 (2P states)."""
    p = pattern_overlaps.shape[-1]
    best = jnp.argmax(jnp.abs(pattern_overlaps), axis=-1)
    value = jnp.take_along_axis(pattern_overlaps, best[..., None], axis=-1)[..., 0]
    label = jnp.where(signed & (value < 0), best + p, best)
    return jnp.where(jnp.abs(value) >= threshold, label, -1)


def visits(labels, record_every: float) -> dict:
    """The visits in a label sequence (from `nearest_pattern`, one label per record time, -1 for
    none): maximal runs of one label >= 0. NumPy, outside jit. Returns arrays over visits:

    - `pattern`: the label; `start`: index of the first record; `dwell`: duration (records ×
      `record_every`); `censored`: the run touches the first or last record (dwell is a lower
      bound);
    - `transitions` (K, K): counts of consecutive visits i → j (an excursion below the threshold
      may separate them; i = j counts a return to the same pattern), K = max label + 1.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ConfigError(f"labels must be 1-D (one per record), got shape {labels.shape}")
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], edges]).astype(int)
    ends = np.concatenate([edges, [labels.size]]).astype(int)
    keep = labels[starts] >= 0
    starts, ends = starts[keep], ends[keep]
    pattern = labels[starts]
    k = int(labels.max()) + 1 if labels.size else 0
    transitions = np.zeros((k, k), dtype=int)
    np.add.at(transitions, (pattern[:-1], pattern[1:]), 1)
    return {
        "pattern": pattern,
        "start": starts,
        "dwell": (ends - starts) * record_every,
        "censored": (starts == 0) | (ends == labels.size),
        "transitions": transitions,
    }


def sampling_statistics(labels, n_states: int, record_every: float) -> dict:
    """How well a label sequence samples `n_states` states (P, or 2P for signed labels).

    Each visit is one sample. NumPy, outside jit. Returns:
    - `counts` (n_states,): visits per state; `occupancy` (n_states,): fraction of the recorded
      time spent near each state;
    - `kl_uniform`: KL(visit distribution ‖ uniform) = log K - H in nats (0: uniform; NaN
      without visits); `chi2`, `chi2_p`: Pearson's χ² of the counts against uniform and its
      p-value (K - 1 degrees of freedom; samples assumed independent);
    - `new_samples`: visits to a state other than the previous visit's; `new_sample_rate`:
      that number per unit of recorded time; `visit_rate`: visits per unit time;
    - `mean_dwell`: mean dwell time of the uncensored visits (NaN if none).
    """
    labels = np.asarray(labels)
    if labels.size and labels.max() >= n_states:
        raise ConfigError(f"label {labels.max()} is out of range for {n_states} states")
    found = visits(labels, record_every)
    counts = np.bincount(found["pattern"], minlength=n_states)[:n_states]
    occupancy = np.bincount(labels[labels >= 0], minlength=n_states)[:n_states] / labels.size
    total = counts.sum()
    duration = labels.size * record_every
    if total:
        prob = counts / total
        nonzero = prob > 0
        kl = float(np.log(n_states) + np.sum(prob[nonzero] * np.log(prob[nonzero])))
        expected = total / n_states
        chi2 = float(np.sum((counts - expected) ** 2) / expected)
        chi2_p = float(gammaincc((n_states - 1) / 2, chi2 / 2)) if n_states > 1 else 1.0
    else:
        kl = chi2 = chi2_p = float("nan")
    new = int(np.sum(found["pattern"][1:] != found["pattern"][:-1]))
    complete = found["dwell"][~found["censored"]]
    return {
        "counts": counts,
        "occupancy": occupancy,
        "kl_uniform": kl,
        "chi2": chi2,
        "chi2_p": chi2_p,
        "new_samples": new,
        "new_sample_rate": new / duration,
        "visit_rate": int(total) / duration,
        "mean_dwell": float(complete.mean()) if complete.size else float("nan"),
    }


def linear_regression(x, y) -> dict:
    """Least-squares line y = slope·x + intercept over paired samples (1-D), with Pearson's r
    and the two-sided p-value of the t-test of slope = 0 (n - 2 degrees of freedom),
    `p = I_{ν/(ν+t²)}(ν/2, 1/2)`, `t = r √(ν / (1 - r²))`: the quantities of SciPy's
    `linregress`. The test assumes independent samples; successive samples of a trajectory are
    correlated, so it overstates the significance."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    n = x.shape[0]
    dx, dy = x - jnp.mean(x), y - jnp.mean(y)
    sxx, syy, sxy = jnp.sum(dx * dx), jnp.sum(dy * dy), jnp.sum(dx * dy)
    slope = sxy / sxx
    r = jnp.clip(sxy / jnp.sqrt(sxx * syy), -1.0, 1.0)
    dof = n - 2
    t_squared = dof * r**2 / jnp.maximum(1.0 - r**2, jnp.finfo(x.dtype).tiny)
    p_value = betainc(0.5 * dof, 0.5, dof / (dof + t_squared))
    stderr = jnp.sqrt((1.0 - r**2) * syy / sxx / dof)
    return {"slope": slope, "intercept": jnp.mean(y) - slope * jnp.mean(x), "r": r,
            "p_value": p_value, "stderr": stderr}
