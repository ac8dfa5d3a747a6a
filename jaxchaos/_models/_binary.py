"""Simulation of the balanced binary E/I network (van Vreeswijk & Sompolinsky 1996/1998),
PHYSICS.md §5, in exactly the conventions of `balanced_rates` (its mean-field theory).

Model. Populations k ∈ {E, I} of N_E, N_I binary neurons σ ∈ {0, 1}. Neuron i of population k
has the input

    u_i = Σ_l (J_kl/√K) n_il + √K E_k m0 - θ_k,     σ_i ← Θ(u_i) = [u_i > 0] when updated,

with n_il the number of active neurons of population l among the presynaptic partners of i in l.
The couplings `J_kl` ([[J_EE, J_EI], [J_IE, J_II]], J_kE ≥ 0 ≥ J_kI), the drives `E_k`, the
external rate `m0` and the thresholds `θ_k` are those of `balanced_rates(couplings, drives, m0, k,
thresholds)`; the external input is the constant √K E_k m0 (no external noise, as in vVS and in
the variance α_k = Σ_l J_kl² m_l of the theory).

Connectivity. Erdős–Rényi: neuron i receives a connection from each neuron j of population l
independently with probability K/N_l (K/(N_l - 1) over j ≠ i within its own population, no
autapses), so it has on average K inputs from each population and a Binomial in-degree. This is
vVS's random sparse network, for which the input variance over neurons and time is exactly
α_k = Σ_l J_kl² m_l (1 - K m_l/N_l) → Σ_l J_kl² m_l for K ≪ N, the α of `balanced_rates` (a
fixed in-degree of exactly K would give Σ_l J_kl² m_l (1 - m_l) instead). The partners are
drawn in O(NK) by geometric gaps between successive connected indices and stored per
population as padded index arrays of shape (N, W_l), W_l = K + 8√K + 8 (the Binomial in-degree
exceeds W_l with probability < 1e-14 per row); padding entries point at index N_l, a slot that
is always inactive. Memory is O(NK), never N².

Dynamics. In continuous time every neuron of population k is updated at the events of its own
Poisson clock of rate 1/τ_k (Glauber-like asynchronous dynamics; vVS's τ_k dm/dt = -m + Θ(u)).
`simulate_binary` approximates this in steps of length dt: at each step n_k = round(N_k dt/τ_k)
neurons of population k, drawn uniformly with replacement, are updated simultaneously from the
state at the start of the step. Each neuron is then updated Binomial(n_k, 1/N_k) ≈ Poisson(dt/τ_k)
times per step, and the process tends to the continuous-time one as dt → 0 (the n_k updates of
one step see each other's old states: an O(dt) error; the balanced state reacts on the time
scale τ/√K, so take dt ≪ τ/√K; at K = 200, dt = 0.01 and dt = 0.002 give the same rates within
the seed-to-seed spread). The realised time constants are N_k dt/n_k (the rounding of n_k);
stationary rates do not depend on them.

Stationary rates and theory. `balanced_rates` (finite K) differs from the K → ∞ limit
`balanced_rates_limit` by O(1/√K). It treats the input as Gaussian; the input is a sum of ~K
discrete terms, whose non-Gaussian shape shifts the O(1) input needed for a given rate, and the
√K-amplified balance turns that into an O(1/K) shift of the rates, which `count_balanced_rates`
(the same mean field with Poisson/Binomial input counts) keeps. Measured (defaults, m0 = 0.1,
K = 200): simulation with N_E = N_I = 16000 (0.0319, 0.0627), count mean field (0.0320, 0.0628),
`balanced_rates` (0.0422, 0.0705), limit (0.1, 0.1); at N = 4000 the simulation is 0.0013 lower
(O(K/N) correlations between inputs). With commensurate parameters (for the defaults: √K
rational, e.g. K a perfect square) the threshold lies on the lattice of possible inputs, u = 0
has finite probability, Θ(0) = 0 matters, and the rates jump as K varies (K = 100: (0.010,
0.046); K = 120: (0.044, 0.070)); `count_balanced_rates` evaluates u exactly as the simulator
does and follows these jumps, `balanced_rates` cannot.
"""

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erfc, gammaln

from .._core._errors import ConfigError, check_real, check_shape, check_steps
from .._core._operator import SparseOperator
from .._core._results import result_repr
from .._theory._meanfield import (
    DEFAULT_THRESHOLDS,
    _check_balanced,
    balanced_rates,
    balanced_rates_limit,
)

# The values used in the `balanced_rates` tests: J_E = 2, J_I = 1.8, E = 1, I = 0.8 (vVS 1998's
# normalisation J_EE = J_IE = 1), for which the K → ∞ rates are m_E = m_I = m0.
DEFAULT_COUPLINGS = ((1.0, -2.0), (1.0, -1.8))
DEFAULT_DRIVES = (1.0, 0.8)


def _width(k: float, n_pre: int) -> int:
    """Columns of a padded index array: K + 8√K + 8, at most N_l."""
    return int(min(n_pre, math.ceil(k + 8.0 * math.sqrt(k) + 8.0)))


def _partners(uniform, n_e: int, n_pre: int, k: float, same_rows) -> jax.Array:
    """Partners in a population of size n_pre for all N rows, shape (N, W), from uniforms of that
    shape. Rows in `same_rows` (a boolean (N,) mask: targets in the same population, whose
    index there is row - offset) skip themselves: their n_pre - 1 candidates are each a partner
    with probability K/(n_pre - 1), other rows' n_pre candidates with probability K/n_pre. The
    gaps between successive partners are geometric, so the inclusions are exactly Bernoulli;
    sorted, padded with n_pre."""
    rows = jnp.arange(uniform.shape[0], dtype=jnp.int32)
    candidates = jnp.where(same_rows, n_pre - 1, n_pre)
    log_q = jnp.log1p(-k / candidates.astype(uniform.dtype))  # -inf when every one connects
    gaps = jnp.floor(jnp.log1p(-uniform) / log_q[:, None]) + 1  # Geometric(p) on {1, 2, ...}
    gaps = jnp.minimum(gaps, n_pre + 1).astype(jnp.int32)
    pos = jnp.cumsum(gaps, axis=1, dtype=jnp.int32) - 1
    valid = pos < candidates[:, None]
    self_index = jnp.where(rows < n_e, rows, rows - n_e)[:, None]
    pos = pos + (same_rows[:, None] & (pos >= self_index))  # candidate c >= i is neuron c + 1
    return jnp.where(valid, pos, n_pre)


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _connectivity(key, n_e: int, n_i: int, k: float):
    """(pre_e, pre_i): the E and I partners of all N neurons, E targets first."""
    width_e, width_i = _width(k, n_e), _width(k, n_i)
    uniform = jax.random.uniform(key, (n_e + n_i, width_e + width_i))
    target_e = jnp.arange(n_e + n_i) < n_e
    return (_partners(uniform[:, :width_e], n_e, n_e, k, target_e),
            _partners(uniform[:, width_e:], n_e, n_i, k, ~target_e))


class BalancedBinaryNetwork(eqx.Module):
    """A balanced binary E/I network drawn from a key (see the module docstring for the model,
    connectivity and conventions; neurons 0..N_E-1 are excitatory, N_E..N-1 inhibitory).

    **Arguments:**

    - `key`: PRNG key for the connectivity.
    - `n_e`, `n_i`: population sizes N_E, N_I.
    - `k`: mean number K of inputs from each population (1 ≤ K ≤ N_l - 1; K ≪ N for the
      mean-field theory). The weights are J_kl/√K and the external input √K E_k m0.
    - `couplings`: [[J_EE, J_EI], [J_IE, J_II]], J_kE ≥ 0 ≥ J_kI.
    - `drives`: (E_E, E_I) ≥ 0, the external drives.
    - `m0`: external rate ≥ 0.
    - `thresholds`: (θ_E, θ_I).
    - `tau`: update time constants (τ_E, τ_I) > 0 (time unit: τ_E = 1 by default). vVS's balanced
      state is stable only for τ_I/τ_E below a critical value; 0.9 is stable for the defaults.

    `couplings`, `drives`, `m0`, `thresholds` are array leaves (vmap over them, or change them
    with `eqx.tree_at`, without recompiling); `pre_e`, `pre_i` are the padded presynaptic index
    arrays (N, W_E) and (N, W_I).
    """

    couplings: jax.Array
    drives: jax.Array
    m0: jax.Array
    thresholds: jax.Array
    pre_e: jax.Array
    pre_i: jax.Array
    n_e: int = eqx.field(static=True)
    n_i: int = eqx.field(static=True)
    k: float = eqx.field(static=True)
    tau: tuple[float, float] = eqx.field(static=True)

    def __init__(self, key, n_e: int, n_i: int, k: float, *, couplings=DEFAULT_COUPLINGS,
                 drives=DEFAULT_DRIVES, m0=0.1, thresholds=DEFAULT_THRESHOLDS, tau=(1.0, 0.9)):
        for name, value in (("n_e", n_e), ("n_i", n_i)):
            check_real(name, value, positive=True, integer=True)
            if value < 2:
                raise ConfigError(f"{name} must be >= 2 (a neuron needs partners), got {value!r}")
        check_real("k", k, positive=True)
        n_e, n_i, k = int(n_e), int(n_i), float(k)
        if k < 1:
            raise ConfigError(f"k must be >= 1 (mean inputs per population), got {k!r}")
        for name, n in (("excitatory", n_e), ("inhibitory", n_i)):
            if k > n - 1:
                raise ConfigError(f"k = {k:g} exceeds the {n - 1} possible {name} inputs of a "
                                  f"neuron (N - 1, no autapses); sparse networks need K << N")
        dtype = jnp.result_type(float)
        check_shape("couplings", couplings, (2, 2))
        check_real("couplings", couplings)
        c = np.asarray(couplings, float)
        if np.any(c[:, 0] < 0) or np.any(c[:, 1] > 0):
            raise ConfigError("couplings must be [[J_EE, J_EI], [J_IE, J_II]] with excitatory "
                              f"J_kE >= 0 and inhibitory J_kI <= 0, got {couplings!r}")
        check_shape("drives", drives, (2,))
        check_real("drives", drives, nonnegative=True)
        check_real("m0", m0, nonnegative=True)
        check_shape("m0", m0, ())
        check_shape("thresholds", thresholds, (2,))
        check_real("thresholds", thresholds)
        check_shape("tau", tau, (2,))
        check_real("tau", tau, positive=True)
        self.couplings = jnp.asarray(couplings, dtype)
        self.drives = jnp.asarray(drives, dtype)
        self.m0 = jnp.asarray(m0, dtype)
        self.thresholds = jnp.asarray(thresholds, dtype)
        self.n_e, self.n_i, self.k = n_e, n_i, k
        self.tau = (float(tau[0]), float(tau[1]))
        self.pre_e, self.pre_i = _connectivity(key, n_e, n_i, k)

    @property
    def n(self) -> int:
        return self.n_e + self.n_i

    def in_degrees(self) -> jax.Array:
        """Numbers of E and I inputs of every neuron, shape (N, 2)."""
        return jnp.stack([jnp.sum(self.pre_e < self.n_e, axis=1),
                          jnp.sum(self.pre_i < self.n_i, axis=1)], axis=1)

    def fields(self, state_e, state_i, rows=None) -> jax.Array:
        """Inputs u_i = Σ_l (J_kl/√K) n_il + √K E_k m0 - θ_k of the neurons `rows` (global
        indices; all N by default), given the boolean states of the E and I populations."""
        rows = jnp.arange(self.n) if rows is None else rows
        pop = (rows >= self.n_e).astype(jnp.int32)
        n_act_e = jnp.append(state_e, False)[self.pre_e[rows]].sum(axis=1, dtype=jnp.int32)
        n_act_i = jnp.append(state_i, False)[self.pre_i[rows]].sum(axis=1, dtype=jnp.int32)
        j, sqrt_k = self.couplings[pop], math.sqrt(self.k)
        return ((j[:, 0] * n_act_e + j[:, 1] * n_act_i) / sqrt_k
                + sqrt_k * self.drives[pop] * self.m0 - self.thresholds[pop])

    def coupling(self) -> SparseOperator:
        """The recurrent coupling as an operator (rows layout): W_ij = J_kl/√K for each partner j
        (of population l) of neuron i (of population k), so `fields` = W σ + √K E_k m0 − θ_k.
        `fields` itself counts active partners in integers, so that exact ties u = 0 are decided
        as `count_balanced_rates` decides them."""
        pop = (jnp.arange(self.n) >= self.n_e).astype(jnp.int32)
        sqrt_k = math.sqrt(self.k)
        valid_e, valid_i = self.pre_e < self.n_e, self.pre_i < self.n_i
        indices = jnp.concatenate([jnp.where(valid_e, self.pre_e, 0),
                                   jnp.where(valid_i, self.pre_i + self.n_e, 0)], axis=1)
        weights = jnp.concatenate([
            jnp.where(valid_e, self.couplings[pop, 0][:, None] / sqrt_k, 0.0),
            jnp.where(valid_i, self.couplings[pop, 1][:, None] / sqrt_k, 0.0)], axis=1)
        return SparseOperator(indices.T, weights.T, (self.n, self.n))

    def mean_field_rates(self) -> jax.Array:
        """`balanced_rates` for this network: the finite-K mean-field (m_E, m_I)."""
        return balanced_rates(self.couplings, self.drives, self.m0, self.k, self.thresholds)

    def count_mean_field_rates(self) -> jax.Array:
        """The same mean field without the Gaussian approximation of `balanced_rates`: the
        numbers of active inputs are Binomial over this network's candidate partners
        (`count_balanced_rates` with `sizes=(n_e, n_i)`)."""
        return count_balanced_rates(self.couplings, self.drives, self.m0, self.k,
                                    self.thresholds, sizes=(self.n_e, self.n_i))

    def limit_rates(self) -> jax.Array:
        """`balanced_rates_limit` for this network: the K → ∞ rates -J⁻¹ E m0 (not clipped;
        outside (0, 1) when no balanced state exists)."""
        return balanced_rates_limit(self.couplings, self.drives, self.m0)[0]


def count_balanced_rates(couplings, drives, m0, k, thresholds=DEFAULT_THRESHOLDS, sizes=None):
    """Mean-field rates (m_E, m_I) of the balanced binary network with exact input-count
    statistics instead of the Gaussian inputs of `balanced_rates` (same arguments and
    conventions; `k` a Python number):

        m_k = P(Σ_l (J_kl/√K) n_l + √K E_k m0 - θ_k > 0),

    n_E, n_I independent counts of active inputs: Poisson(K m_l) (`sizes=None`, N → ∞), or for
    `sizes=(N_E, N_I)` the Erdős–Rényi network of `BalancedBinaryNetwork`, Binomial(C_kl,
    K m_l/C_kl) with C_kl = N_l candidates (N_l - 1 within the population). The input is a sum
    of ~K discrete terms, so this keeps the O(1/K) non-Gaussian corrections to the rates that
    `balanced_rates` drops (e.g. (-0.010, -0.008) at K = 200 for the defaults of
    `BalancedBinaryNetwork`); it still neglects correlations between a neuron's inputs
    (O(K/N)). 40 Newton steps from `balanced_rates` (O(1/K) away; the K → ∞ rates where that
    fails); NaN if they did not converge."""
    couplings, drives = _check_balanced(couplings, drives)
    check_real("m0", m0, nonnegative=True)
    check_real("k", k, positive=True)
    check_real("thresholds", thresholds)
    check_shape("thresholds", thresholds, (2,))
    if sizes is None:
        candidates = None
    else:
        check_shape("sizes", sizes, (2,))
        check_real("sizes", sizes, positive=True, integer=True)
        n_e, n_i = (int(x) for x in sizes)
        if k > min(n_e, n_i) - 1:
            raise ConfigError(f"k = {k} exceeds the possible inputs of networks of sizes {sizes}")
        candidates = jnp.asarray([[n_e - 1, n_i], [n_e, n_i - 1]], couplings.dtype)
    dtype = couplings.dtype
    args = (couplings, drives, jnp.asarray(m0, dtype), jnp.asarray(thresholds, dtype))
    # Counts 0..G-1 with G ≥ K + 12√K + 30 (the pmfs beyond are < 1e-30), rounded up to a
    # power of two so that K of the same order share one compilation (K itself is traced).
    grid = max(256, 2 ** math.ceil(math.log2(k + 12.0 * math.sqrt(k) + 30.0)))
    return _count_rates(args, jnp.asarray(k, dtype), grid, candidates)


def _count_pmf(n, mean, trials):
    """P(n active inputs) with the given mean: Binomial(trials, mean/trials), or Poisson."""
    mean = jnp.maximum(mean, 1e-300)
    if trials is None:
        return jnp.exp(n * jnp.log(mean) - mean - gammaln(n + 1.0))
    p = jnp.minimum(mean / trials, 1.0 - 1e-16)
    log_pmf = (gammaln(trials + 1.0) - gammaln(n + 1.0) - gammaln(jnp.maximum(trials - n, 0) + 1.0)
               + n * jnp.log(p) + (trials - n) * jnp.log1p(-p))
    return jnp.where(n <= trials, jnp.exp(log_pmf), 0.0)


def _newton(residual, m, steps):
    def step(_, m):  # m in (0, 1)
        return jnp.clip(m - jnp.linalg.solve(jax.jacfwd(residual)(m), residual(m)), 1e-12,
                        1.0 - 1e-12)

    return jax.lax.fori_loop(0, steps, step, m)


@functools.partial(jax.jit, static_argnums=(2,))
def _count_rates(args, k, grid: int, candidates):
    j, e, m0, theta = args
    sqrt_k = jnp.sqrt(k)

    def gaussian(m):  # `balanced_rates`: the start, O(1/K) from the answer
        u = sqrt_k * (e * m0 + j @ m) - theta
        return 0.5 * erfc(-u / jnp.sqrt(2.0 * (j**2) @ m)) - m

    limit = jnp.clip(-jnp.linalg.solve(j, e * m0), 0.01, 0.99)
    start = _newton(gaussian, limit, 30)
    start = jnp.where(jnp.all(jnp.isfinite(start)), start, limit)
    counts = jnp.arange(grid, dtype=start.dtype)
    # For each n_E, the number of n_I ≥ 0 with u > 0 (u decreases in n_I as J_kI ≤ 0): first
    # from J_kE n_E + J_kI n_I > √K (θ_k - √K E_k m0), then corrected at the boundary with u
    # computed exactly as in `BalancedBinaryNetwork.fields` (the same rounding decides exact
    # ties u = 0, which have finite probability for commensurate parameters, e.g. √K rational
    # with the defaults). P(u > 0) = Σ_nE P(n_E) P(n_I < that number).
    limits = []
    for a in range(2):

        def u(n_e, n_i, a=a):
            return ((j[a, 0] * n_e + j[a, 1] * n_i) / sqrt_k + sqrt_k * e[a] * m0 - theta[a])

        c = sqrt_k * (theta[a] - sqrt_k * e[a] * m0)
        x = (j[a, 0] * counts - c) / jnp.where(j[a, 1] < 0, -j[a, 1], 1.0)
        n_ok = jnp.where(j[a, 1] < 0, jnp.ceil(x), jnp.where(x > 0, counts.size, 0))
        n_ok = jnp.clip(n_ok, 0, counts.size)
        n_ok = n_ok - ((n_ok > 0) & (u(counts, n_ok - 1) <= 0))
        n_ok = n_ok + ((n_ok < counts.size) & (u(counts, n_ok) > 0))
        limits.append(n_ok.astype(jnp.int32))

    def residual(m):
        out = []
        for a in range(2):
            trials = (None, None) if candidates is None else (candidates[a, 0], candidates[a, 1])
            p_e = _count_pmf(counts, k * m[0], trials[0])
            p_i = _count_pmf(counts, k * m[1], trials[1])
            cdf_i = jnp.concatenate([jnp.zeros(1, m.dtype), jnp.cumsum(p_i)])  # P(n_I < n)
            out.append(p_e @ cdf_i[limits[a]])
        return jnp.stack(out) - m

    m = _newton(residual, start, 40)
    return jnp.where(jnp.max(jnp.abs(residual(m))) < 1e-9, m, jnp.nan)


class BinaryTrajectory(eqx.Module):
    """A run of `simulate_binary`: `times` (steps,) at the end of each step, population `rates`
    (steps, 2) = (m_E, m_I) after each step, and the final boolean states `state_e`, `state_i`
    (pass them back as `state=` to continue). With `watch=i` (exact mode): `inputs` (steps, 4),
    neuron i's excitatory Σ J_kE n_E/√K, inhibitory Σ J_kI n_I/√K, external √K E_k m0 and net
    input u_i (the three minus θ_k) at each record time, and `watched` (steps,) its state."""

    __repr__ = result_repr

    times: jax.Array
    rates: jax.Array
    state_e: jax.Array
    state_i: jax.Array
    inputs: jax.Array | None = None
    watched: jax.Array | None = None


def _updates_per_step(net: BalancedBinaryNetwork, dt: float) -> tuple[int, int]:
    counts = []
    for name, n, tau in (("E", net.n_e, net.tau[0]), ("I", net.n_i, net.tau[1])):
        if dt > tau:
            raise ConfigError(f"dt = {dt} exceeds tau_{name} = {tau}: each step must update "
                              "a small fraction of the neurons (dt << tau)")
        count = round(n * dt / tau)
        if count < 1:
            raise ConfigError(f"dt = {dt} updates no {name} neuron per step (N dt/tau = "
                              f"{n * dt / tau:.3g} < 0.5); take dt >= {tau / (2 * n):.3g}")
        counts.append(count)
    return counts[0], counts[1]


@eqx.filter_jit
def _simulate(net, key, state, initial_rates, n_steps: int, counts: tuple[int, int]):
    count_e, count_i = counts
    dtype = net.couplings.dtype
    key_init, key_run = jax.random.split(key)
    if state is None:
        state = _initial(net, key_init, initial_rates)
    # One uniform draw per update picks the neuron: few PRNG call sites keep compilation short.
    sizes = jnp.repeat(jnp.array([net.n_e, net.n_i]), jnp.array([count_e, count_i]),
                       total_repeat_length=count_e + count_i)
    offsets = jnp.where(jnp.arange(count_e + count_i) < count_e, 0, net.n_e)

    def one_step(carry, step_key):
        s_e, s_i = carry
        local = jnp.minimum(jax.random.uniform(step_key, sizes.shape, dtype) * sizes, sizes - 1)
        rows = local.astype(jnp.int32) + offsets
        active = net.fields(s_e, s_i, rows) > 0
        s_e = s_e.at[rows[:count_e]].set(active[:count_e])
        s_i = s_i.at[rows[count_e:] - net.n_e].set(active[count_e:])
        return (s_e, s_i), jnp.stack([jnp.mean(s_e, dtype=dtype), jnp.mean(s_i, dtype=dtype)])

    (state_e, state_i), rates = jax.lax.scan(one_step, state, jax.random.split(key_run, n_steps))
    return rates, state_e, state_i


def _initial(net, key, initial_rates):
    p = jnp.repeat(initial_rates, jnp.array([net.n_e, net.n_i]), total_repeat_length=net.n)
    active = jax.random.uniform(key, (net.n,), net.couplings.dtype) < p
    return active[: net.n_e], active[net.n_e :]


def _input_parts(net, s_e, s_i, i):
    """(excitatory, inhibitory, external, net) input of global neuron i."""
    pop = jnp.asarray(i >= net.n_e, jnp.int32)
    n_act_e = jnp.append(s_e, False)[net.pre_e[i]].sum(dtype=jnp.int32)
    n_act_i = jnp.append(s_i, False)[net.pre_i[i]].sum(dtype=jnp.int32)
    sqrt_k = math.sqrt(net.k)
    exc = net.couplings[pop, 0] * n_act_e / sqrt_k
    inh = net.couplings[pop, 1] * n_act_i / sqrt_k
    ext = sqrt_k * net.drives[pop] * net.m0
    return jnp.stack([exc, inh, ext, exc + inh + ext - net.thresholds[pop]])


@eqx.filter_jit
def _simulate_exact(net, key, state, initial_rates, n_records: int, dt: float, watch):
    """Gillespie: events at total rate R = N_E/τ_E + N_I/τ_I; each event picks population k
    with probability (N_k/τ_k)/R and one of its neurons uniformly, and sets σ_i = Θ(u_i) from
    the current state."""
    dtype = net.couplings.dtype
    key_init, key_run = jax.random.split(key)
    if state is None:
        state = _initial(net, key_init, initial_rates)
    rate_e, rate_i = net.n_e / net.tau[0], net.n_i / net.tau[1]
    total = rate_e + rate_i

    def event(carry):
        s_e, s_i, t, count, _ = carry
        u = jax.random.uniform(jax.random.fold_in(key_run, count), (3,), dtype)
        t_next = t - jnp.log1p(-u[0]) / total
        is_e = u[1] * total < rate_e
        local = jnp.where(is_e, jnp.minimum(u[2] * net.n_e, net.n_e - 1),
                          jnp.minimum(u[2] * net.n_i, net.n_i - 1)).astype(jnp.int32)
        row = jnp.where(is_e, local, local + net.n_e)
        return s_e, s_i, t_next, count + 1, row

    def apply(carry):
        s_e, s_i, t, count, row = carry
        active = net.fields(s_e, s_i, row[None])[0] > 0
        s_e = jnp.where(row < net.n_e, s_e.at[row].set(active), s_e)
        s_i = jnp.where(row >= net.n_e, s_i.at[row - net.n_e].set(active), s_i)
        return event((s_e, s_i, t, count, row))

    def one_record(carry, record_index):
        t_record = dt * (record_index + 1)
        carry = jax.lax.while_loop(lambda c: c[2] <= t_record, apply, carry)
        s_e, s_i = carry[0], carry[1]
        rates = jnp.stack([jnp.mean(s_e, dtype=dtype), jnp.mean(s_i, dtype=dtype)])
        if watch is None:
            return carry, (rates, None, None)
        watched = jnp.where(watch < net.n_e, s_e[jnp.minimum(watch, net.n_e - 1)],
                            s_i[jnp.maximum(watch - net.n_e, 0)])
        return carry, (rates, _input_parts(net, s_e, s_i, watch), watched)

    start = event((state[0], state[1], jnp.zeros((), dtype), jnp.zeros((), jnp.int32),
                   jnp.zeros((), jnp.int32)))
    carry, (rates, inputs, watched) = jax.lax.scan(one_record, start, jnp.arange(n_records))
    return rates, carry[0], carry[1], inputs, watched, carry[3]


@eqx.filter_jit
def _simulate_sweeps(net, key, state, initial_rates, n_sweeps: int, watch):
    """Seed 000's schedule: every unit of time, all N neurons are updated one after the other in
    one fixed random order (drawn once from `key`), each seeing all earlier updates."""
    dtype = net.couplings.dtype
    key_init, key_order = jax.random.split(key)
    if state is None:
        state = _initial(net, key_init, initial_rates)
    order = jax.random.permutation(key_order, net.n).astype(jnp.int32)

    def update(position, s):
        s_e, s_i = s
        row = order[position]
        active = net.fields(s_e, s_i, row[None])[0] > 0
        s_e = jnp.where(row < net.n_e, s_e.at[row].set(active), s_e)
        s_i = jnp.where(row >= net.n_e, s_i.at[row - net.n_e].set(active), s_i)
        return s_e, s_i

    def one_sweep(s, _):
        s_e, s_i = jax.lax.fori_loop(0, net.n, update, s)
        rates = jnp.stack([jnp.mean(s_e, dtype=dtype), jnp.mean(s_i, dtype=dtype)])
        if watch is None:
            return (s_e, s_i), (rates, None, None)
        watched = jnp.where(watch < net.n_e, s_e[min(watch, net.n_e - 1)],
                            s_i[max(watch - net.n_e, 0)])
        return (s_e, s_i), (rates, _input_parts(net, s_e, s_i, watch), watched)

    (s_e, s_i), (rates, inputs, watched) = jax.lax.scan(one_sweep, state, None, length=n_sweeps)
    return rates, s_e, s_i, inputs, watched


def simulate_binary(net: BalancedBinaryNetwork, key, *, t1: float, dt: float = 0.01,
                    initial_rates=None, state=None, mode: str = "batched",
                    watch: int | None = None) -> BinaryTrajectory:
    """Asynchronous dynamics of `net` for a time `t1`, rates recorded every `dt`.

    `mode="batched"` (module docstring): steps of length dt, n_k = round(N_k dt/τ_k) random
    neurons of population k updated per step from the state at its start; bias O(dt) (the
    n_k updates do not see each other), so dt ≪ τ/√K. `mode="exact"`: one neuron per event,
    events of population k at the times of a Poisson clock of rate N_k/τ_k (each neuron has its
    own exponential clock of rate 1/τ_k), each update seeing all earlier ones. `mode="sweep"`
    (seed 000's schedule; needs τ_E = τ_I = dt): every dt, all neurons updated one after the
    other in one fixed random order. `watch=i` (exact and sweep modes) also records neuron i's
    input components and state (`BinaryTrajectory`).

    Starts from `state` = (state_e, state_i) if given, else from independent neurons active
    with probabilities `initial_rates` (default: the K → ∞ rates, clipped to [0.01, 0.99]).
    `key` drives the initial state and the update times. Traceable in `key` and the array
    leaves of `net` (vmap over seeds or m0); `t1`, `dt` are Python floats."""
    if not isinstance(net, BalancedBinaryNetwork):
        raise ConfigError(f"net must be a BalancedBinaryNetwork, got {type(net).__name__}")
    check_real("dt", dt, positive=True)
    check_real("t1", t1, positive=True)
    n_steps = check_steps("t1", t1, dt)
    if mode not in ("batched", "exact", "sweep"):
        raise ConfigError(f"mode must be 'batched', 'exact' or 'sweep', got {mode!r}")
    if mode == "sweep" and not (net.tau[0] == net.tau[1] == float(dt)):
        raise ConfigError(f"mode='sweep' updates every neuron once per dt: it needs tau_E = "
                          f"tau_I = dt, got tau = {net.tau} and dt = {dt}")
    if watch is not None:
        if mode == "batched":
            raise ConfigError("watch needs mode='exact' or mode='sweep'")
        check_real("watch", watch, nonnegative=True, integer=True)
        if watch >= net.n:
            raise ConfigError(f"watch = {watch} is not a neuron index (N = {net.n})")
        watch = int(watch)
    if state is not None:
        state = tuple(jnp.asarray(s, bool) for s in state)
        check_shape("state[0]", state[0], (net.n_e,))
        check_shape("state[1]", state[1], (net.n_i,))
    if initial_rates is not None:
        check_shape("initial_rates", initial_rates, (2,))
        check_real("initial_rates", initial_rates, nonnegative=True, below=1.0 + 1e-12)
        initial_rates = jnp.asarray(initial_rates, net.couplings.dtype)
    if state is None and initial_rates is None:  # eagerly: a singular J raises here
        initial_rates = jnp.clip(net.limit_rates(), 0.01, 0.99)
    if mode in ("exact", "sweep"):
        if mode == "exact":
            rates, state_e, state_i, inputs, watched, _ = _simulate_exact(
                net, key, state, initial_rates, n_steps, float(dt), watch)
        else:
            rates, state_e, state_i, inputs, watched = _simulate_sweeps(
                net, key, state, initial_rates, n_steps, watch)
        times = dt * jnp.arange(1, n_steps + 1, dtype=rates.dtype)
        return BinaryTrajectory(times, rates, state_e, state_i, inputs, watched)
    counts = _updates_per_step(net, float(dt))
    rates, state_e, state_i = _simulate(net, key, state, initial_rates, n_steps, counts)
    times = dt * jnp.arange(1, n_steps + 1, dtype=rates.dtype)
    return BinaryTrajectory(times, rates, state_e, state_i)


def binary_rates(net: BalancedBinaryNetwork, key, *, t_warmup: float = 5.0, t_run: float = 50.0,
                 dt: float = 0.01, initial_rates=None) -> jax.Array:
    """Time-averaged population rates (m_E, m_I) of `net` over [t_warmup, t_warmup + t_run]
    (`simulate_binary` from `initial_rates`), to compare with `net.mean_field_rates()`.
    vmappable over `key` (seeds of the dynamics) and the array leaves of `net`."""
    check_real("t_warmup", t_warmup, nonnegative=True)
    check_real("t_run", t_run, positive=True)
    check_real("dt", dt, positive=True)
    n_warm = check_steps("t_warmup", t_warmup, dt) if t_warmup > 0 else 0
    check_steps("t_run", t_run, dt)
    run = simulate_binary(net, key, t1=t_warmup + t_run, dt=dt, initial_rates=initial_rates)
    return jnp.mean(run.rates[n_warm:], axis=0)


@eqx.filter_jit
def _damage(net, key, state, flipped, n_steps: int, counts: tuple[int, int]):
    count_e, count_i = counts
    sizes = jnp.repeat(jnp.array([net.n_e, net.n_i]), jnp.array([count_e, count_i]),
                       total_repeat_length=count_e + count_i)
    offsets = jnp.where(jnp.arange(count_e + count_i) < count_e, 0, net.n_e)
    dtype = net.couplings.dtype

    def update(s, rows):
        s_e, s_i = s
        active = net.fields(s_e, s_i, rows) > 0
        return (s_e.at[rows[:count_e]].set(active[:count_e]),
                s_i.at[rows[count_e:] - net.n_e].set(active[count_e:]))

    def one_step(carry, step_key):
        a, b = carry
        local = jnp.minimum(jax.random.uniform(step_key, sizes.shape, dtype) * sizes, sizes - 1)
        rows = local.astype(jnp.int32) + offsets  # the same updates in both copies
        a, b = update(a, rows), update(b, rows)
        distance = jnp.sum(a[0] != b[0]) + jnp.sum(a[1] != b[1])
        return (a, b), distance

    _, distances = jax.lax.scan(one_step, (state, flipped), jax.random.split(key, n_steps))
    return distances


def damage_spreading(net: BalancedBinaryNetwork, key, *, t1: float, dt: float = 0.01,
                     state, flip: int | None = 0) -> jax.Array:
    """Chaos by damage spreading: two copies of `net`, started from `state` = (state_e,
    state_i) and from the same state with neuron `flip` (a global index; None: no flip, an
    identical copy) flipped, run with the same update sequence (`simulate_binary`'s batched
    steps from `key`). Returns the Hamming distance (number of neurons in different states)
    after each step, shape (t1/dt,). In the chaotic balanced state one flip spreads to a
    finite fraction of the network; without recurrent instability it heals. Start from a
    state on the attractor (the final state of a `simulate_binary` run)."""
    if not isinstance(net, BalancedBinaryNetwork):
        raise ConfigError(f"net must be a BalancedBinaryNetwork, got {type(net).__name__}")
    check_real("dt", dt, positive=True)
    check_real("t1", t1, positive=True)
    n_steps = check_steps("t1", t1, dt)
    counts = _updates_per_step(net, float(dt))
    state = tuple(jnp.asarray(s, bool) for s in state)
    check_shape("state[0]", state[0], (net.n_e,))
    check_shape("state[1]", state[1], (net.n_i,))
    flipped = state
    if flip is not None:
        check_real("flip", flip, nonnegative=True, integer=True)
        if flip >= net.n:
            raise ConfigError(f"flip = {flip} is not a neuron index (N = {net.n})")
        if flip < net.n_e:
            flipped = (state[0].at[flip].set(~state[0][flip]), state[1])
        else:
            flipped = (state[0], state[1].at[flip - net.n_e].set(~state[1][flip - net.n_e]))
    return _damage(net, key, state, flipped, n_steps, counts)
