"""Latent sources of a GAN generator: a frozen chaotic network, and i.i.d. Gaussian noise.

The chaotic source (PHYSICS.md §9; seed 002, §3.2–3.3): an SCS network
`dx/dt = -x + g W φ(x)` with g > 1 runs freely, and a frozen sparse binary readout R (L × N) maps
its rates, and a frozen affine map standardizes the result to the latent

    z(t) = T (R φ(x(t)) - μ).

R is the adjacency matrix of a random bipartite graph with near-regular degrees
(`expander_readout`): latent unit a reads exactly d neurons, neuron i feeds ⌊Ld/N⌋ or ⌈Ld/N⌉
latent units (so never more than ⌈Ld/N⌉). Such random biregular graphs are expanders with high
probability.

Standardization: with `standardize`, μ and C are the mean and covariance of y = R φ(x) over a
calibration run at the construction gain (time and trajectories pooled) and T = C^(-1/2) (symmetric
"ZCA" whitening, which keeps z_a closest to y_a), so z has mean 0 and covariance I at that gain,
like the Gaussian baseline N(0, I). Without it μ = 0 and T = I. A scalar scale 1/√(d q), q = ⟨φ²⟩,
is not enough: a finite chaotic network has strong collective fluctuations, and at N = 512, g = 2
(seed 0) the latents y_a are correlated (|corr| rms 0.28, up to 0.7) and their covariance has
eigenvalues from 0.1 to 9.5 (participation ratio 7 of 32). The generator's first layer is linear,
so T changes only the conditioning of training, not what the GAN can express; but it matters:
Fréchet distance after 3000 steps 37-46 with the scalar scale, 18-29 whitened, 11-19 with the
Gaussian latent (experiments/chaos_gan.py settings, a few training seeds; single runs are noisy).
μ and T are frozen with W and R: rescaling the gain afterwards (`with_gain`) changes the latent
variance just as it changes the network's activity. `standardize=False` is the seed's own
readout, z = R φ(x), un-whitened (a variant in experiments/chaos_gan.py).

Rescaled gains need a larger N than the construction gain: seed 002's Fig. 3 reads the network at
g/√2 ≈ 1.41, where the mean-field λ_max is only ≈ 0.035. Measured for the seed-0 network of
`chaos_latent` (float32, k = 1, 400 time units): N = 512 is on a limit cycle there (λ_max ≈
-0.03), N = 2048 is chaotic (0.038 ± 0.005; 0.104 ± 0.003 at g = 2). experiments/chaos_gan.py
measures λ_max at each gain first and stops if any is not clearly positive.

Latents are read every `interval` time units of one trajectory, after `warmup`, from a batch of
trajectories started at x_i(0) ~ N(0, 1) (vmap over initial conditions); the network is advanced
by the library's fixed-step `Integrator`.

Chaos check: g > 1 makes the N → ∞ network chaotic, but a finite network can instead settle on a
fixed point or a limit cycle (likely for N of a few hundred; e.g. N = 256, seed 0, g = 2 in
float32; W's draw depends on the precision), and its latent then covers a point or a closed curve.
`chaos_latent` runs one calibration batch after warm-up (the same run that calibrates μ and T)
with a companion trajectory per member at distance δ, pulled back every interval
(`largest_exponent_two_trajectories`, batched), and warns (`UserWarning`) if the cheap λ_max
estimate over the run's second half (chaotic transients of a few hundred time units precede limit
cycles) is not clearly positive (mean - 2·stderr over the batch ≤ `LAMBDA_MIN`; the finite-N
value at g = 2 is ≈ 0.08-0.09, DMFT ≈ 0.11) or if the rates barely move in time (time variance /
⟨φ²⟩ < `FLUCTUATION_MIN`: a fixed point). The defaults (N = 512,
g = 2) are chaotic with overwhelming probability; `check_chaos=False` skips the check.
"""

import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._core._errors import ConfigError, check_real, check_steps
from .._core._simulate import Integrator, SimState
from .._models._rate import SCSNetwork

_HIGHEST = jax.lax.Precision.HIGHEST
QUIET = 1e-8  # ⟨φ²⟩ below which the network counts as silent (no chaos to read out)
LAMBDA_MIN = 0.01  # λ_max (1/time) the chaos check requires (mean - 2 stderr over trajectories)
FLUCTUATION_MIN = 1e-3  # time variance of the rates / ⟨φ²⟩ below which the network sits still
SEPARATION = 1e-4  # companion distance per √N of the chaos check (safe in float32)


def expander_readout(key, dim: int, n: int, degree: int) -> jax.Array:
    """A random binary readout R of shape (dim, n): row a has exactly `degree` ones (distinct
    neurons), column i has ⌊dim·degree/n⌋ or ⌈dim·degree/n⌉ ones.

    Built as a configuration model: the dim·degree edge slots are dealt to neurons as evenly as
    possible (the neurons that get one extra are drawn at random), shuffled, cut into rows of
    `degree`, and rows that read a neuron twice are repaired by swaps with other rows that keep
    every degree. Deterministic given `key`.
    """
    for name, value in (("readout dim", dim), ("n", n), ("readout degree", degree)):
        check_real(name, value, positive=True, integer=True)
    dim, n, degree = int(dim), int(n), int(degree)
    if degree > n:
        raise ConfigError(f"readout degree = {degree} exceeds the number of neurons n = {n}")
    rng = np.random.default_rng(np.asarray(jax.random.bits(key, (4,), jnp.uint32)))
    base, extra = divmod(dim * degree, n)
    neuron_degree = np.full(n, base)
    neuron_degree[rng.permutation(n)[:extra]] += 1
    slots = rng.permutation(np.repeat(np.arange(n), neuron_degree)).reshape(dim, degree)
    for _ in range(100 * dim * degree):
        bad = [a for a in range(dim) if len(set(slots[a])) < degree]
        if not bad:
            break
        row = bad[rng.integers(len(bad))]
        _, first = np.unique(slots[row], return_index=True)
        j = rng.choice(np.setdiff1d(np.arange(degree), first))  # a repeated slot of this row
        v = slots[row, j]
        # Swap with a slot (b, k) whose neuron `row` lacks: `row` loses a repeat; row b gains
        # one if it reads v already and loses one if slots[b, k] is repeated in b. Take swaps
        # that lower the number of repeats if any, else neutral ones (a random walk).
        repeated = np.sum(slots[:, :, None] == slots[:, None, :], axis=2) > 1
        change = np.any(slots == v, axis=1)[:, None].astype(int) - repeated
        usable = ~np.isin(slots, slots[row])
        better = np.argwhere(usable & (change <= 0))
        candidates = better if len(better) else np.argwhere(usable)
        b, k = candidates[rng.integers(len(candidates))]
        slots[row, j], slots[b, k] = slots[b, k], v
    if any(len(set(r)) < degree for r in slots):
        raise ConfigError(f"could not build a readout with degree {degree} from {n} neurons")
    readout = np.zeros((dim, n))
    np.put_along_axis(readout, slots, 1.0, axis=1)
    return jnp.asarray(readout)


class ChaosLatent(eqx.Module):
    """A frozen chaotic SCS network read out by a frozen binary matrix R and standardized by a
    frozen affine map: `z = T (R φ(x) - μ)` (`shift` μ (dim,), `transform` T (dim, dim)).

    The state of a batch of latent streams is a batched `SimState`: `init(key, batch)` draws
    x(0) ~ N(0, I) per trajectory and warms up; `next(state)` advances every trajectory by
    `interval` and returns `(state, z)` with z of shape (batch, dim).
    """

    network: SCSNetwork
    readout: jax.Array
    shift: jax.Array
    transform: jax.Array
    integrator: Integrator
    warmup_steps: int = eqx.field(static=True)
    # The calibration run's estimate of the network's largest exponent (per unit time; the mean
    # over the calibration trajectories) and its standard error; None if it did not run.
    lambda_max: float | None = eqx.field(static=True, default=None)
    lambda_max_stderr: float | None = eqx.field(static=True, default=None)

    @property
    def dim(self) -> int:
        return self.readout.shape[0]

    @property
    def interval(self) -> float:
        """Time between consecutive latents of one trajectory."""
        return self.integrator.dt * self.integrator.steps_per_record

    def latent(self, x):
        """z = T (R φ(x) - μ) for one state x (N,)."""
        rates = self.network.nonlinearity(x)
        y = jnp.matmul(self.readout, rates, precision=_HIGHEST)
        return jnp.matmul(self.transform, y - self.shift, precision=_HIGHEST)

    def with_gain(self, gain) -> "ChaosLatent":
        """The same W, R, μ and T with the recurrent gain set to `gain` (no retraining)."""
        check_real("gain", gain, positive=True)
        return eqx.tree_at(lambda s: s.network.gain, self,
                           jnp.asarray(gain, self.network.gain.dtype))

    def with_interval(self, interval) -> "ChaosLatent":
        """The same source read every `interval` time units (a multiple of dt)."""
        check_real("interval", interval, positive=True)
        steps = check_steps("interval", interval, self.integrator.dt)
        integrator = Integrator(dt=self.integrator.dt, steps_per_record=steps,
                                solver=self.integrator.solver)
        return eqx.tree_at(lambda s: s.integrator, self, integrator)

    def init(self, key, batch: int) -> SimState:
        """`batch` trajectories from x(0) ~ N(0, I), each warmed up for `warmup_steps` steps."""
        x0 = jax.vmap(self.network.initial_state)(jax.random.split(key, batch))
        state = jax.vmap(lambda x: self.integrator.init(self.network, x))(x0)
        if self.warmup_steps == 0:
            return state
        warmup = Integrator(dt=self.integrator.dt, steps_per_record=self.warmup_steps,
                            solver=self.integrator.solver)
        return jax.vmap(lambda s: warmup.advance(self.network, s))(state)

    def next(self, state: SimState):
        """Advance every trajectory by one interval: `(state, z)`, z (batch, dim)."""
        state = jax.vmap(lambda s: self.integrator.advance(self.network, s))(state)
        return state, jax.vmap(self.latent)(state.x)


class GaussianLatent(eqx.Module):
    """The baseline: z ~ N(0, I_dim) i.i.d. at every draw. The state is one PRNG key per stream."""

    dim: int = eqx.field(static=True)

    def init(self, key, batch: int):
        return jax.random.split(key, batch)

    def next(self, state):
        def one(key):
            key, draw = jax.random.split(key)
            return key, jax.random.normal(draw, (self.dim,))

        return jax.vmap(one)(state)


def chaos_latent(key, *, n: int = 512, gain=2.0, dim: int = 32, degree: int = 4,
                 dt: float = 0.1, solver: str = "rk4", interval: float = 1.0,
                 warmup: float = 50.0, standardize: bool = True, calibration_time: float = 400.0,
                 calibration_batch: int = 16, check_chaos: bool = True) -> ChaosLatent:
    """Build a `ChaosLatent`: W ~ N(0, 1/N) (zero diagonal) at gain g > 1, a readout from
    `expander_readout`, and the standardization μ, T (see the module docstring), calibrated on
    `calibration_batch` trajectories over `calibration_time` after `warmup`.

    **Arguments:** `n` neurons, `gain` g, `dim` latent units L, `degree` d neurons per latent,
    `dt`/`solver` of the fixed-step integrator, `interval` between latents, `warmup` time,
    `check_chaos`: warn (`UserWarning`) if the calibration run is not chaotic (module docstring).
    The calibration's λ_max estimate (per unit time) is kept as `lambda_max` (with
    `lambda_max_stderr`) on the returned source (None without calibration).
    The defaults (N = 512, g = 2, L = 32, d = 4) are the chaos GAN's (configs/chaos_gan.toml);
    N = 256 is too small: seed 0 at g = 2 falls onto a non-chaotic attractor.
    """
    check_real("gain", gain, positive=True)
    if gain <= 1.0:
        raise ConfigError(f"the chaotic latent needs gain > 1 (chaos), got {gain}")
    for name, value in (("dt", dt), ("interval", interval), ("calibration_time",
                                                               calibration_time)):
        check_real(name, value, positive=True)
    check_real("warmup", warmup, nonnegative=True)
    check_real("calibration_batch", calibration_batch, positive=True, integer=True)
    steps = check_steps("interval", interval, dt)
    warmup_steps = check_steps("warmup", warmup, dt)
    calibration_records = check_steps("calibration_time", calibration_time, interval, "interval")
    key_w, key_r, key_cal = jax.random.split(key, 3)
    network = SCSNetwork.random(key_w, n, gain)
    integrator = Integrator(dt=float(dt), steps_per_record=steps, solver=solver)
    integrator.check_system(network)
    readout = expander_readout(key_r, dim, n, degree)
    dtype = network.gain.dtype
    source = ChaosLatent(network, readout, jnp.zeros(dim, dtype), jnp.eye(dim, dtype=dtype),
                         integrator, warmup_steps)
    if not (standardize or check_chaos):
        return source
    q, fluctuation, lambdas, y_sum, yy_sum, count = (np.asarray(v, np.float64) for v in (
        _calibration_run(source, key_cal, int(calibration_batch), calibration_records,
                         SEPARATION * math.sqrt(n))))
    q = float(q)
    if not q > QUIET:
        raise ConfigError(f"the network is silent at gain {gain} (⟨φ²⟩ = {q:.3g}): no chaos")
    lam = float(np.mean(lambdas))
    stderr = float(np.std(lambdas, ddof=1) / math.sqrt(len(lambdas))) if len(lambdas) > 1 else 0.0
    source = ChaosLatent(network, readout, source.shift, source.transform, integrator,
                         warmup_steps, lam, stderr)
    if check_chaos:
        _warn_if_not_chaotic(gain, n, float(fluctuation) / q, lam, stderr)
    if not standardize:
        return source
    mean = y_sum / count
    covariance = yy_sum / count - np.outer(mean, mean)
    values, vectors = np.linalg.eigh((covariance + covariance.T) / 2)
    values = np.maximum(values, 1e-6 * max(float(values[-1]), QUIET))  # a floor for rank loss
    transform = (vectors / np.sqrt(values)) @ vectors.T
    return eqx.tree_at(lambda s: (s.shift, s.transform), source,
                       (jnp.asarray(mean, dtype), jnp.asarray(transform, dtype)))


def _warn_if_not_chaotic(gain, n, fluctuation, lam, stderr):
    """The chaos check of the module docstring on the calibration run's numbers."""
    if lam - 2 * stderr > LAMBDA_MIN and fluctuation >= FLUCTUATION_MIN:
        return
    why = (f"its rates barely move in time (time variance / ⟨φ²⟩ = {fluctuation:.2g}: a fixed "
           f"point)" if fluctuation < FLUCTUATION_MIN else
           "it settled on a regular attractor (limit cycle or fixed point)")
    warnings.warn(
        f"latent network at g={float(gain):g} (N = {n}) is not chaotic (λ_max ≈ {lam:.3f} ± "
        f"{stderr:.3f}): {why}; its latents cover a low-dimensional set. Pick another seed or a "
        f"larger N", UserWarning, stacklevel=3)


@eqx.filter_jit
def _calibration_run(source, key, batch, records, separation):
    """One run of `batch` trajectories after warm-up over `records` intervals. Returns
    q = ⟨φ(x_i)²⟩ (over neurons, times and trajectories), the time variance of φ(x_i) (per
    neuron and trajectory, then averaged) and per trajectory a λ_max estimate: the mean log
    growth per unit time, over the second half of the run, of the distance to a companion
    trajectory started at distance `separation` and pulled back to it along the separation
    every interval (`largest_exponent_two_trajectories`, batched); then Σ y and Σ y yᵀ of the
    readout y = R φ(x) over times and trajectories, and their number. The λ estimate uses only
    the second half of the run:
    finite networks can be chaotic for a few hundred time units before they settle on a limit
    cycle (N = 256, seed 0, g = 2, float32: λ ≈ 0.03 over t ∈ [50, 300], ≈ 0 from t ≈ 300 on)."""
    advance = jax.vmap(lambda s: source.integrator.advance(source.network, s))
    moved = jax.vmap(lambda s, x: source.integrator.moved(source.network, s, x))
    state = source.init(key, batch)
    direction = jax.random.normal(jax.random.fold_in(key, 1), state.x.shape, state.x.dtype)
    direction = direction / jnp.linalg.norm(direction, axis=1, keepdims=True)
    other = moved(state, state.x + separation * direction)

    def one(carry, _):
        state, other, sums, squares, y_sum, yy_sum = carry
        state, other = advance(state), advance(other)
        difference = other.x - state.x
        distance = jnp.linalg.norm(difference, axis=1)
        other = moved(other, state.x + difference * (separation / distance)[:, None])
        rates = source.network.nonlinearity(state.x)
        y = jnp.matmul(rates, source.readout.T, precision=_HIGHEST)  # (batch, dim)
        carry = (state, other, sums + rates, squares + rates**2, y_sum + jnp.sum(y, 0),
                 yy_sum + jnp.matmul(y.T, y, precision=_HIGHEST))
        return carry, jnp.log(distance / separation)

    zeros = jnp.zeros_like(state.x)
    dim = source.dim
    carry = (state, other, zeros, zeros, jnp.zeros(dim, zeros.dtype),
             jnp.zeros((dim, dim), zeros.dtype))
    (_, _, sums, squares, y_sum, yy_sum), logs = jax.lax.scan(one, carry, None, length=records)
    means, seconds = sums / records, squares / records  # per trajectory and neuron
    q = jnp.mean(seconds)
    fluctuation = jnp.mean(seconds - means**2)
    return (q, fluctuation, jnp.mean(logs[records // 2:], 0) / source.interval, y_sum, yy_sum,
            records * batch)
