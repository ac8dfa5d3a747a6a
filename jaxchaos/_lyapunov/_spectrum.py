"""Lyapunov exponents by tangent dynamics with QR re-orthonormalization (Benettin et al. 1980;
Shimada & Nagashima 1979).

An orthonormal frame Q (N×k) is carried along the trajectory by the derivative of each discrete
step actually taken — `jax.linearize` of the diffrax solver step for flows, the map's `jvp` for
maps — so the tangent map is exact for the scheme and its log-determinant identities hold to
round-off. Every `steps_per_qr` steps `Q, R = qr(Q)` and `log|R_ii|` is accumulated:

    λ_i = (1/T) Σ_intervals log|R_ii|,

in units of 1/time for flows (T in model time) and 1/step for maps. The trajectory is warmed up
first (`t_warmup`), then the frame (`t_frame_warmup`), before accumulating over `t_sim`, split into
`n_blocks` blocks: the running estimate after each block is the convergence history, and the spread
of the block estimates gives standard errors and finite-time exponent distributions.
"""

import dataclasses
import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, DivergenceError, check_choice, check_real, check_steps
from .._core._progress import ProgressBar, check_progress
from .._core._results import result_repr
from .._core._simulate import Integrator, SimState
from .._core._solvers import make_solver
from .._core._system import AbstractFlow, AbstractMap
from .._core._threads import single_threaded_lapack


def qr_safe_devices() -> list:
    """The devices to shard spectrum sweeps over: all of them, except several CPU devices (fake
    ones, `--xla_force_host_platform_device_count`), where only the first is used. Each CPU
    LAPACK kernel splits its batch over XLA's shared intra-op threads and blocks one of them
    until the parts are done, so batched QRs in concurrently executing device programs can
    starve the pool and deadlock (jaxlib 0.10, 2 cores); one CPU device already uses every
    core, so nothing is lost."""
    devices = jax.devices()
    return devices[:1] if devices[0].platform == "cpu" else devices


TANGENTS = ("auto", "jvp", "dense", "fused")


def fused_tangent_applies(integrator: Integrator, system) -> bool:
    """Whether `tangent="fused"` applies: a map, or a noiseless flow stepped by forward Euler."""
    if isinstance(system, AbstractMap):
        return True
    return integrator.solver == "euler" and system.noise is None and not integrator.adaptive


def check_tangent(tangent, integrator: Integrator, system) -> None:
    """A `ConfigError` for an unknown `tangent`, or "fused" where it does not apply."""
    check_choice("tangent", tangent, TANGENTS)
    if tangent == "fused" and not fused_tangent_applies(integrator, system):
        raise ConfigError('tangent="fused" needs a map or a noiseless flow with solver="euler" '
                          f'(fixed steps), got solver={integrator.solver!r}'
                          f'{" with noise" if system.noise is not None else ""}')


def step_with_tangent(integrator: Integrator, system, state: SimState, frame, tangent="auto"):
    """One step of `integrator` and its exact derivative applied to `frame` (N,) or (N, k).

    `tangent`:
    - `"fused"`: the step and its derivative from one call of the system's
      `map_and_jvp` (maps) or `vector_field_and_jvp` (a noiseless flow stepped by forward
      Euler, `x + δ f(x)`, the derivative `v + δ Df(x) v`); for the SCS network and its maps the
      trajectory's `W φ(x)` and the frame's `W (φ'(x) ⊙ Q)` are then one (N, k+1) product that
      reads W once. Other flows: `ConfigError`.
    - `"jvp"`: a map's `map` and `jvp`; for flows, the k columns pushed through
      `jax.linearize` of the step (`Integrator.ode_step`; with noise, the diffrax SDE step).
    - `"dense"` (flows; a map applies its own `jvp`): the N×N step Jacobian by forward mode
      (`jax.jacfwd`, one batched pass with the step itself) times the frame. For Lorenz-63 it
      was not faster than jvp on the CPU (`scripts/benchmark_small_systems.py`).
    - `"auto"` (default): `"fused"` where it applies (`fused_tangent_applies`) on an
      accelerator (the default backend is not the CPU), else `"jvp"`. On XLA CPU the fused
      step was not faster (0.9–1.0 of the unfused one at N = 1024, k = 64 and 1024:
      `scripts/benchmark_lyapunov.py`): there the matrix-vector product costs ~3 % of the
      frame's GEMM and runs beside it.
    All are the same derivative of the same step (equal to round-off)."""
    check_tangent(tangent, integrator, system)
    fused = fused_tangent_applies(integrator, system) and (tangent == "fused"
                       or (tangent == "auto" and jax.default_backend() != "cpu"))
    t, t_next = integrator.time(state.step), integrator.time(state.step + 1)
    if isinstance(system, AbstractMap):
        if fused:
            x, frame = system.map_and_jvp(t, state.x, frame, None)
            x = integrator.kicked(system, state.key, state.step, x)
        else:
            x = integrator.map_step(system, state.key, state.step, state.x)
            frame = system.jvp(t, state.x, frame, None)
    elif fused:
        # diffrax's Euler step is y + f(t, y) (t_next - t): the same arithmetic.
        drift, tangent_drift = system.vector_field_and_jvp(t, state.x, frame, None)
        x = state.x + drift * (t_next - t)
        frame = frame + tangent_drift * (t_next - t)
    else:
        if system.noise is None:
            def one_step(y):
                return integrator.ode_step(system, state.step, y)
        else:
            solver = make_solver(integrator.solver, stochastic=True, adaptive=False)
            terms = integrator.terms(system, state.key, state.x)

            def one_step(y):
                # A fresh solver state makes the step a function of y alone, so its derivative
                # is exact.
                solver_state = solver.init(terms, t, t_next, y, None)
                return solver.step(terms, t, t_next, y, None, solver_state, made_jump=False)[0]

        if tangent == "dense":
            jacobian, x = jax.jacfwd(lambda y: (lambda out: (out, out))(one_step(y)),
                                     has_aux=True)(state.x)
            frame = jnp.matmul(jacobian, frame, precision=jax.lax.Precision.HIGHEST)
        else:
            x, linear = jax.linearize(one_step, state.x)
            frame = linear(frame) if frame.ndim == 1 else jax.vmap(linear, 1, 1)(frame)
    finite = jnp.all(jnp.isfinite(x))
    diverged = jnp.where((state.diverged_step < 0) & ~finite, state.step + 1,
                         state.diverged_step)
    return SimState(state.step + 1, x, state.solver_state, state.key, diverged), frame


QR_METHODS = ("householder", "cholesky2")


def cholesky_qr2(frame):
    """`Q, R` of an N×k frame (k ≤ N) by Cholesky-QR2: twice `G = AᵀA`, `R_j = chol(G)ᵀ`,
    `A ← A R_j⁻¹`, then `R = R_2 R_1` (diagonal > 0). Its work is GEMMs (AᵀA and a triangular
    solve), which accelerators run near peak, instead of Householder's sequence of
    matrix-vector updates. It is as accurate as Householder QR while the frame's condition
    number stays below ~1/√eps (Yamamoto et al. 2015); when the first pass finds it larger (the
    spread of log R_1,ii above log(1/√eps) less log 100, a lower bound on log κ) or the Cholesky
    fails, Householder's `jnp.linalg.qr` is used instead (under vmap both are computed)."""

    def one_pass(a):
        gram = jnp.matmul(a.T, a, precision=jax.lax.Precision.HIGHEST)
        r = jnp.linalg.cholesky(gram).T
        q = jax.scipy.linalg.solve_triangular(r, a.T, trans="T", lower=False).T
        return q, r

    q1, r1 = one_pass(frame)
    q, r2 = one_pass(q1)
    r = jnp.matmul(r2, r1, precision=jax.lax.Precision.HIGHEST)
    log_diag = jnp.log(jnp.abs(jnp.diagonal(r1)))
    well_conditioned = ((jnp.max(log_diag) - jnp.min(log_diag)
                         < spread_limit(frame.dtype) - math.log(100.0))
                        & jnp.all(jnp.isfinite(r)) & jnp.all(jnp.isfinite(q)))
    return jax.lax.cond(well_conditioned, lambda: (q, r), lambda: tuple(jnp.linalg.qr(frame)))


def reorthonormalize(frame, method: str = "householder"):
    """`Q, R = qr(frame)` by `method`: "householder" (`jnp.linalg.qr`) or "cholesky2"
    (`cholesky_qr2`). The exponents use log|R_ii| only, which both give alike."""
    if method == "cholesky2":
        return cholesky_qr2(frame)
    return jnp.linalg.qr(frame)


class LyapunovEngine(eqx.Module):
    """Settings of a spectrum computation; `run` is pure and traceable (vmap/sweep-able).

    Times are in steps of `integrator`: `qr_every` steps per QR, `warmup_steps` for the
    trajectory, `frame_warmup_qrs` QR intervals for the frame, and `n_blocks` blocks of
    `qrs_per_block` QR intervals each. `tangent`: how the frame follows a step ("auto",
    "fused", "jvp" or "dense"; see `step_with_tangent`); `qr`: the re-orthonormalization,
    "householder" or "cholesky2" (`reorthonormalize`).
    """

    integrator: Integrator
    k: int = eqx.field(static=True)
    qr_every: int = eqx.field(static=True)
    warmup_steps: int = eqx.field(static=True)
    frame_warmup_qrs: int = eqx.field(static=True)
    n_blocks: int = eqx.field(static=True)
    qrs_per_block: int = eqx.field(static=True)
    tangent: str = eqx.field(static=True, default="auto")
    qr: str = eqx.field(static=True, default="householder")

    def _advance(self, system, state, n_steps):
        def body(state, _):
            return self.integrator.advance(system, state), None

        return jax.lax.scan(body, state, None, length=n_steps)[0]

    def qr_interval(self, system, carry):
        """`qr_every` tangent steps of `carry = (state, frame)`, then `frame, r = qr(frame)`.
        Returns `((state, frame), r)`: the frame's growth over the interval is `r` (k×k, upper
        triangular), `log|r_ii|` the local growth rates times the interval."""
        state, frame = carry

        def body(carry, _):
            return step_with_tangent(self.integrator, system, *carry, self.tangent), None

        (state, frame), _ = jax.lax.scan(body, (state, frame), None, length=self.qr_every)
        frame, r = reorthonormalize(frame, self.qr)
        return (state, frame), r

    def _qr_intervals(self, system, carry, n):
        def body(carry, _):
            carry, r = self.qr_interval(system, carry)
            logs = jnp.log(jnp.abs(jnp.diagonal(r)))
            spread = jnp.max(logs) - jnp.min(logs)
            return carry, (logs, spread)

        return jax.lax.scan(body, carry, None, length=n)

    def warm_up(self, system, state: SimState, frame_key, frame=None):
        """Warm up the trajectory, then the frame: `frame` (N, k) if given (orthonormalized by a
        QR), else a random orthonormal frame drawn from `frame_key`. Returns `(state, frame)`."""
        state = self._advance(system, state, self.warmup_steps)
        if frame is None:
            frame = jax.random.normal(frame_key, (system.n, self.k), state.x.dtype)
        frame = jnp.linalg.qr(jnp.asarray(frame, state.x.dtype))[0]
        return self._qr_intervals(system, (state, frame), self.frame_warmup_qrs)[0]

    def accumulate(self, system, state: SimState, frame, n_blocks: int):
        """`n_blocks` blocks. Returns `(state, frame, block_sums, max_spread)`: `block_sums[b, i]`
        is Σ log|R_ii| over block b, and `max_spread` the largest `max_i log|R_ii| -
        min_i log|R_ii|` in one QR interval (how far the frame's directions separated)."""

        def block(carry, _):
            carry, (logs, spread) = self._qr_intervals(system, carry, self.qrs_per_block)
            return carry, (jnp.sum(logs, axis=0), jnp.max(spread))

        (state, frame), (block_sums, spreads) = jax.lax.scan(block, (state, frame), None,
                                                             length=n_blocks)
        return state, frame, block_sums, jnp.max(spreads)

    def run(self, system, state: SimState, frame_key):
        """`warm_up`, then `accumulate` all `n_blocks` blocks."""
        state, frame = self.warm_up(system, state, frame_key)
        return self.accumulate(system, state, frame, self.n_blocks)

    @property
    def block_time(self) -> float:
        """Model time (flows) or steps (maps) of one block."""
        return self.qrs_per_block * self.qr_every * self.integrator.dt


class LyapunovSpectrum(eqx.Module):
    """Result of `lyapunov_spectrum`.

    - `exponents` (k,): λ_1 ≥ ... ≥ λ_k (per unit time; per step for maps);
    - `stderr` (k,): standard error from the `n_blocks` block estimates (assumes blocks longer
      than the correlation time of the local growth rates);
    - `block_exponents` (n_blocks, k): the exponent estimates of each block: finite-time
      exponents over a block's duration;
    - `history_times`, `history` (n_blocks, k): running estimates at the end of each block;
    - `state`, `frame`: the final state and orthonormal frame (pass both back as `x0 =
      state.x` and `frame=` with `t_warmup = t_frame_warmup = 0` to continue);
    - `max_spread`: the largest `max_i log|R_ii| - min_i log|R_ii|` in one QR interval;
    - `diverged_step`: the step at which the trajectory became NaN/inf, -1 if it did not (only
      a traced call can return a diverged result: its exponents are then NaN);
    - `t_ons`: the time between QRs of the accumulation (the one chosen by `t_ons="auto"`).

    A map's exponents are per step; `per_unit_time(step)` converts them for a map whose step
    stands for a time `step` (an `EulerMap` of step δ: `spec.per_unit_time(euler_map.dt)`).
    """

    __repr__ = result_repr

    def per_unit_time(self, step) -> "LyapunovSpectrum":
        """This spectrum with a step counted as time `step` > 0: the exponents, standard
        errors, block and running estimates divided by `step` (λ per unit time = λ per step / δ
        for an `EulerMap` of step δ, which tends to the flow's exponents as δ → 0) and the
        history times multiplied by it. For a map's spectrum (per step); a flow's is already
        per unit time."""
        check_real("step", step, positive=True)
        return eqx.tree_at(
            lambda s: (s.exponents, s.stderr, s.block_exponents, s.history_times, s.history),
            self, (self.exponents / step, self.stderr / step, self.block_exponents / step,
                   self.history_times * step, self.history / step))

    exponents: jax.Array
    stderr: jax.Array
    block_exponents: jax.Array
    history_times: jax.Array
    history: jax.Array
    state: SimState
    frame: jax.Array
    max_spread: jax.Array
    diverged_step: jax.Array
    t_ons: float | None = eqx.field(static=True, default=None)


def summarize_blocks(block_sums, block_time):
    """Exponents, standard errors, per-block estimates, history times and running history from
    block sums of shape (..., n_blocks, k) (leading axes: e.g. a sweep grid), as returned by
    `LyapunovEngine.accumulate`: `(exponents, stderr, block_exponents, history_times, history)`
    with exponents = mean of the block estimates block_sums / block_time."""
    block_exponents = block_sums / block_time
    n_blocks = block_sums.shape[-2]
    exponents = jnp.mean(block_exponents, axis=-2)
    if n_blocks > 1:
        stderr = jnp.std(block_exponents, axis=-2, ddof=1) / math.sqrt(n_blocks)
    else:
        stderr = jnp.full_like(exponents, jnp.nan)
    times = block_time * (1 + jnp.arange(n_blocks))
    history = jnp.cumsum(block_sums, axis=-2) / times[:, None]
    return exponents, stderr, block_exponents, times, history


@eqx.filter_jit
def _warm_up_compiled(engine, system, state, frame_key, frame):
    return engine.warm_up(system, state, frame_key, frame)


@eqx.filter_jit
def _accumulate_compiled(engine, system, state, frame, n_blocks):
    return engine.accumulate(system, state, frame, n_blocks)


def _accumulate_with_progress(engine, system, state, frame, bar: ProgressBar):
    """`engine.accumulate` of all `n_blocks` blocks: in one call, or, with a progress bar, one
    block per call (the same steps in the same order)."""
    if bar.bar is None:
        return _accumulate_compiled(engine, system, state, frame, engine.n_blocks)
    sums, spreads = [], []
    for _ in range(engine.n_blocks):
        state, frame, block_sums, spread = _accumulate_compiled(engine, system, state, frame, 1)
        sums.append(block_sums)
        spreads.append(spread)
        bar.update()
    return state, frame, jnp.concatenate(sums), jnp.max(jnp.stack(spreads))


def spread_limit(dtype) -> float:
    """The largest safe `max_spread` of a spectrum, log(1/√eps) of `dtype`: directions that
    separate by more than 1/√eps between QRs lose orthogonality information."""
    return 0.5 * math.log(1.0 / float(jnp.finfo(dtype).eps))


def _unit_steps_for_maps(system, dt) -> float:
    """The step size: 1 for maps (where `dt` must be unset or 1), the checked `dt` for flows."""
    if isinstance(system, AbstractMap):
        if dt not in (None, 1, 1.0):
            raise ConfigError("maps take unit steps: leave dt unset")
        return 1.0
    if not isinstance(system, AbstractFlow):
        raise ConfigError(f"not a jaxchaos system: {type(system).__name__}")
    if dt is None:
        raise ConfigError("dt is required for a flow")
    check_real("dt", dt, positive=True)
    return float(dt)


def _initial_state(integrator: Integrator, system, x0, key):
    """Split `key` into (x0, tangent, noise) keys, draw or check x0, and return the initial
    `SimState` with the tangent key (initial frame or separation direction)."""
    if key is None:
        raise ConfigError("a key is required (initial tangent, and x0 or noise where needed)")
    key_x0, key_tangent, key_noise = jax.random.split(key, 3)
    x0 = system.initial_state(key_x0) if x0 is None else jnp.asarray(x0)
    if x0.shape != (system.n,):
        raise ConfigError(f"x0 must have shape ({system.n},), got {x0.shape}")
    check_real("x0", x0)
    integrator.check_system(system)
    state = integrator.init(system, x0, key_noise if system.noise is not None else None)
    return state, key_tangent


try:
    _TRACER = jax.core.Tracer
except AttributeError:  # should a later JAX drop it from jax.core
    from jax._src.core import Tracer as _TRACER


def _is_traced(*trees) -> bool:
    """Whether any array in `trees` is a tracer (the call runs inside jit/vmap/grad)."""
    return any(isinstance(leaf, _TRACER) for leaf in jax.tree.leaves(trees))


AUTO_MIN_PILOT_STEPS = 20  # t_ons="auto": the fewest frame warm-up steps that measure growth


def auto_spread_target(dtype, qr: str = "householder") -> float:
    """The largest spread of log|R_ii| (and of any |log R_ii|) per QR interval that
    `t_ons="auto"` allows: half of `spread_limit(dtype)` (the frame's condition number stays
    below eps^(-1/4), 1e4 in float64, 55 in float32), and for "cholesky2" also 1 below the
    spread at which it falls back to Householder."""
    target = 0.5 * spread_limit(dtype)
    if qr == "cholesky2":
        target = min(target, spread_limit(dtype) - math.log(100.0) - 1.0)
    return target


@eqx.filter_jit
def _pilot_compiled(engine, system, state, frame_key, frame):
    """The warm-up of `engine` (QR every step), returning also the largest growth per step of
    the second half of the frame warm-up: max over its steps of max(spread of log|R_ii|,
    max_i |log R_ii|)."""
    state = engine._advance(system, state, engine.warmup_steps)
    if frame is None:
        frame = jax.random.normal(frame_key, (system.n, engine.k), state.x.dtype)
    frame = jnp.linalg.qr(jnp.asarray(frame, state.x.dtype))[0]
    (state, frame), (logs, spreads) = engine._qr_intervals(system, (state, frame),
                                                           engine.frame_warmup_qrs)
    half = engine.frame_warmup_qrs // 2
    growth = jnp.maximum(spreads[half:], jnp.max(jnp.abs(logs[half:]), axis=1))
    return state, frame, jnp.max(growth)


def choose_qr_interval(growth_per_step: float, target: float, steps_per_block: int) -> int:
    """`t_ons="auto"`: the steps per QR, the largest divisor of `steps_per_block` with
    `steps · growth_per_step <= target` (at least 1). Over n steps the log|R_ii| of one QR are
    the sums of the per-step ones (the diagonal of a product of triangular matrices), so their
    spread is at most n times the largest spread per step."""
    limit = math.inf if growth_per_step <= 0 else target / growth_per_step
    divisors = [d for d in range(1, steps_per_block + 1) if steps_per_block % d == 0]
    return max(d for d in divisors if d == 1 or d <= limit)


def _warmed_up_frame(system, x0, key, *, k, dt, solver, t_ons, t_warmup, t_frame_warmup,
                     n_blocks, block_span, frame=None, traced=False, qr="householder",
                     tangent="auto"):
    """Check the arguments shared by `lyapunov_spectrum` and `covariant_lyapunov_vectors`, build
    the engine, and warm up the trajectory and the frame (`frame`, or a random one). `block_span
    = (name, span)`: the time `span` (argument `name`) holds `n_blocks` blocks. `traced`: the
    divergence check is left to the caller. `t_ons="auto"` (concrete arguments only): the frame
    warm-up runs with a QR every step and measures the growth per step, then the interval is
    chosen (`choose_qr_interval`). Returns `(engine, state, frame)`."""
    dt = _unit_steps_for_maps(system, dt)
    k = system.n if k is None else k
    check_real("k", k, positive=True, integer=True)
    if k > system.n:
        raise ConfigError(f"k = {k} exceeds the state dimension {system.n}")
    auto = isinstance(t_ons, str)
    if auto:
        check_choice("t_ons", t_ons, ("auto",))
        if traced:
            raise ConfigError('t_ons="auto" measures the growth rates: it needs concrete '
                              "arguments and cannot run under jit/vmap; give t_ons a time")
        t_ons = dt  # the pilot: a QR every step during the frame warm-up
    check_real("t_ons", t_ons, positive=True)
    for name, value in (("t_warmup", t_warmup), ("t_frame_warmup", t_frame_warmup)):
        check_real(name, value, nonnegative=True)
    qr_every = check_steps("t_ons", t_ons, dt)
    warmup_steps = check_steps("t_warmup", t_warmup, dt)
    frame_warmup_qrs = check_steps("t_frame_warmup", t_frame_warmup, t_ons, "t_ons")
    if auto and frame_warmup_qrs < AUTO_MIN_PILOT_STEPS:
        raise ConfigError(f't_ons="auto" measures growth during the frame warm-up: '
                          f"t_frame_warmup must hold at least {AUTO_MIN_PILOT_STEPS} steps, got "
                          f"{frame_warmup_qrs}")
    per = "t_ons" if n_blocks == 1 else "n_blocks · t_ons"
    qrs_per_block = check_steps(*block_span, n_blocks * t_ons, per)
    if frame is not None and jnp.shape(frame) != (system.n, k):
        raise ConfigError(f"frame must have shape ({system.n}, {k}) (N, k), got "
                          f"{jnp.shape(frame)}")
    integrator = Integrator(dt=float(dt), solver=solver)
    state, key_frame = _initial_state(integrator, system, x0, key)
    check_choice("qr", qr, QR_METHODS)
    check_tangent(tangent, integrator, system)
    engine = LyapunovEngine(integrator, int(k), qr_every, warmup_steps, frame_warmup_qrs,
                            int(n_blocks), qrs_per_block, qr=qr, tangent=tangent)
    if auto:
        state, frame, growth = _pilot_compiled(engine, system, state, key_frame, frame)
        _raise_if_diverged(engine, state)
        every = choose_qr_interval(float(growth), auto_spread_target(state.x.dtype, qr),
                                   qrs_per_block)
        return (dataclasses.replace(engine, qr_every=every, qrs_per_block=qrs_per_block // every),
                state, frame)
    state, frame = _warm_up_compiled(engine, system, state, key_frame, frame)
    if not traced:
        _raise_if_diverged(engine, state)
    return engine, state, frame


def _raise_if_diverged(engine, state):
    if int(state.diverged_step) >= 0:
        step = int(state.diverged_step)
        raise DivergenceError(f"trajectory diverged (NaN/inf) at step {step}, "
                              f"t = {engine.integrator.time(step):.6g}")


def _warn_if_spread(spread, dtype, stacklevel=3, shorten="t_ons"):
    if float(spread) > spread_limit(dtype):
        warnings.warn(
            f"the frame's directions separated by e^{float(spread):.1f} within one QR interval "
            f"(more than 1/sqrt(eps)): the trailing exponents are unreliable; shorten {shorten}",
            RuntimeWarning, stacklevel=stacklevel,
        )


@single_threaded_lapack
def lyapunov_spectrum(system, x0=None, *, k=None, dt=None, solver="tsit5", t_ons=1.0,
                      t_warmup=100.0, t_frame_warmup=100.0, t_sim=1000.0, n_blocks=20,
                      tol=None, t_max=None, key=None, frame=None, qr="householder",
                      tangent="auto", progress=False) -> LyapunovSpectrum:
    """The k leading Lyapunov exponents of `system` (all N when `k` is None).

    **Arguments:**
    - `system`: an `AbstractFlow` (integrated with fixed steps `dt` by `solver`) or an
      `AbstractMap` (unit steps; leave `dt` unset; exponents per step, or per unit time by
      `LyapunovSpectrum.per_unit_time(δ)` for a map whose step is a time δ, e.g. `EulerMap`).
    - `k`: number of exponents, 1 ≤ k ≤ N.
    - `t_ons`: time between QR re-orthonormalizations (a multiple of dt), or "auto": the frame
      warm-up (at least 20 steps) runs with a QR every step and measures the largest growth per
      step g (the spread max_i log|R_ii| − min_i log|R_ii|, or a largest |log R_ii|, over its
      second half); the accumulation then uses the longest interval of n steps, n dividing a
      block, with n·g ≤ `auto_spread_target` (half of log(1/√eps): the frame's directions
      separate by at most eps^(-1/4) between QRs). Concrete arguments only; the chosen time is
      `LyapunovSpectrum.t_ons`.
    - `t_warmup`, `t_frame_warmup`, `t_sim`: trajectory warm-up, frame warm-up (multiples of
      t_ons) and accumulation time (a multiple of `n_blocks`·t_ons).
    - `tol`, `t_max`: stopping rule. With `tol` set, accumulation goes on in further rounds of
      `n_blocks` blocks of the same length until every exponent's standard error is ≤ `tol`, or
      the accumulation time would exceed `t_max` (default 10·t_sim; then a warning).
    - `key`: split into three keys that draw x0 (if None), the initial frame (if `frame` is
      None) and the noise.
    - `frame`: the starting frame (N, k), orthonormalized by a QR, instead of a random one.
    - `qr`: "householder" or "cholesky2" (GEMM-rich, for accelerators; `cholesky_qr2`).
    - `tangent`: how the frame follows a step (`step_with_tangent`): "auto" (default: on an
      accelerator "fused" for maps and noiseless forward-Euler flows, whose trajectory and
      frame products are one matrix product; else "jvp"), "jvp", "dense" or "fused"; all give
      the same exponents.
    - `progress`: show a progress bar over the accumulation blocks (one compiled call per
      block, the same results); the warm-up runs before the bar starts. Not under jit/vmap.

    Warns when the frame's directions separate by more than 1/√eps within one QR interval
    (the frame's condition number before a QR exceeds 1/√eps; then shorten `t_ons`). Raises
    `DivergenceError` if the trajectory becomes NaN/inf.

    Traceable: under `jax.jit`/`jax.vmap`/`jc.sweep` the array arguments (the system's fields
    such as the gain, `x0`, `key`, `frame`) may be traced, and a vmapped call equals the loop
    over its points (to round-off amplified by chaos). Times, `k`, `dt` and `solver` stay
    static. A traced call cannot raise or warn at run time and has no stopping rule (`tol`):
    it returns NaN exponents with `diverged_step >= 0` if the trajectory diverged, and
    `max_spread` for the caller to compare with `spread_limit(dtype)`.
    """
    check_real("t_sim", t_sim, positive=True)
    check_real("n_blocks", n_blocks, positive=True, integer=True)
    check_progress(progress)
    traced = _is_traced(system, x0, key, frame)
    if tol is not None:
        if traced:
            raise ConfigError("tol (the stopping rule) needs concrete arguments: it cannot run "
                              "under jit/vmap; set t_sim instead")
        check_real("tol", tol, positive=True)
        t_max = 10.0 * t_sim if t_max is None else t_max
        check_real("t_max", t_max, positive=True)
    engine, state, frame = _warmed_up_frame(
        system, x0, key, k=k, dt=dt, solver=solver, t_ons=t_ons, t_warmup=t_warmup,
        t_frame_warmup=t_frame_warmup, n_blocks=n_blocks,
        block_span=("t_sim", t_sim), frame=frame, traced=traced, qr=qr, tangent=tangent,
    )
    if traced:
        state, frame, block_sums, spread = _accumulate_compiled(engine, system, state, frame,
                                                                engine.n_blocks)
        block_sums = jnp.where(state.diverged_step >= 0, jnp.nan, block_sums)
        return LyapunovSpectrum(*summarize_blocks(block_sums, engine.block_time), state, frame,
                                spread, state.diverged_step, engine.qr_every * engine.integrator.dt)
    rounds, spread = [], 0.0
    with ProgressBar(progress, n_blocks, "lyapunov_spectrum", "block") as bar:
        while True:
            state, frame, block_sums, round_spread = _accumulate_with_progress(
                engine, system, state, frame, bar)
            _raise_if_diverged(engine, state)
            rounds.append(block_sums)
            spread = max(spread, float(round_spread))
            if tol is None:
                break
            stderr = summarize_blocks(jnp.concatenate(rounds), engine.block_time)[1]
            if float(jnp.max(stderr)) <= tol:
                break
            if (len(rounds) + 1) * t_sim > t_max * (1 + 1e-12):
                warnings.warn(f"standard errors {float(jnp.max(stderr)):.3g} > tol = {tol:g} "
                              f"at t_max = {t_max:g}", RuntimeWarning, stacklevel=2)
                break
            bar.add_to_total(n_blocks)
    _warn_if_spread(spread, frame.dtype)
    return LyapunovSpectrum(*summarize_blocks(jnp.concatenate(rounds), engine.block_time), state,
                            frame, jnp.asarray(spread), state.diverged_step,
                            engine.qr_every * engine.integrator.dt)


def largest_exponent_two_trajectories(system, x0=None, *, dt=None, solver="tsit5",
                                      separation=1e-8, t_renorm=1.0, t_warmup=100.0,
                                      t_sim=1000.0, key=None) -> float:
    """λ_max from two nearby trajectories, an independent check of the tangent method: every
    `t_renorm` the distance d between them is measured, log(d/separation) accumulated, and the
    second trajectory pulled back to distance `separation` along the same direction. Both see the
    same noise. Returns λ_max per unit time (per step for maps)."""
    dt = _unit_steps_for_maps(system, dt)
    check_real("separation", separation, positive=True)
    renorm_steps = check_steps("t_renorm", t_renorm, dt)
    warmups = check_steps("t_warmup", t_warmup, t_renorm, "t_renorm")
    n_renorms = check_steps("t_sim", t_sim, t_renorm, "t_renorm")
    integrator = Integrator(dt=float(dt), steps_per_record=renorm_steps, solver=solver)
    state, key_direction = _initial_state(integrator, system, x0, key)
    lam, diverged = _two_trajectories(integrator, system, state, key_direction, separation,
                                      warmups, n_renorms)
    if int(diverged) >= 0:
        raise DivergenceError(f"trajectory diverged (NaN/inf) at step {int(diverged)}")
    return float(lam) / t_renorm


@eqx.filter_jit
def _two_trajectories(integrator, system, state, key, separation, warmups, n_renorms):
    """Mean log growth of a separation per renormalization interval, and the divergence step."""
    state = jax.lax.scan(lambda s, _: (integrator.advance(system, s), None), state, None,
                         length=warmups)[0]
    direction = jax.random.normal(key, state.x.shape, state.x.dtype)
    other = integrator.moved(system, state,
                             state.x + separation * direction / jnp.linalg.norm(direction))

    def body(carry, _):
        state, other = carry
        state, other = integrator.advance(system, state), integrator.advance(system, other)
        distance = jnp.linalg.norm(other.x - state.x)
        other = integrator.moved(system, other,
                                 state.x + (other.x - state.x) * (separation / distance))
        return (state, other), jnp.log(distance / separation)

    (state, _), logs = jax.lax.scan(body, (state, other), None, length=n_renorms)
    return jnp.mean(logs), state.diverged_step


def ks_entropy(exponents) -> jax.Array:
    """Kolmogorov–Sinai entropy rate by Pesin's identity, H = Σ_{λ_i > 0} λ_i, over the last
    axis (a JAX array, like `kaplan_yorke_dimension`; traceable under `jit`/`vmap`)."""
    exponents = jnp.asarray(exponents)
    return jnp.sum(jnp.where(exponents > 0, exponents, 0.0), axis=-1)


KY_UNDEFINED = -1.0  # the Kaplan–Yorke dimension of a spectrum whose partial sums stay >= 0


def kaplan_yorke_dimension(exponents) -> jax.Array:
    """Kaplan–Yorke dimension D = j + Σ_{i≤j} λ_i / |λ_{j+1}|, j the largest index with
    Σ_{i≤j} λ_i ≥ 0 (exponents sorted descending), over the last axis: a JAX array, like
    `ks_entropy`, traceable under `jit`/`vmap`. 0 if λ_1 < 0. If the partial sums never turn
    negative (compute more exponents) it raises `ConfigError` when called on concrete values, and
    returns `KY_UNDEFINED` (-1) for traced ones, which cannot raise."""
    check_real("exponents", exponents)
    lam = jnp.flip(jnp.sort(jnp.asarray(exponents, dtype=float), axis=-1), axis=-1)
    size = lam.shape[-1] if lam.ndim else 0
    if not size:
        raise ConfigError("the Kaplan–Yorke dimension needs at least one exponent, got none")
    partial = jnp.cumsum(lam, axis=-1)
    # j: the leading partial sums that are >= 0 (a prefix, since the increments decrease)
    j = jnp.sum(jnp.cumprod(partial >= 0, axis=-1), axis=-1)
    inside = jnp.clip(j, 1, size - 1)[..., None]
    last = jnp.take_along_axis(partial, inside - 1, axis=-1)[..., 0]
    following = jnp.take_along_axis(lam, inside, axis=-1)[..., 0]
    dimension = jnp.where(j == 0, 0.0, jnp.where(j == size, KY_UNDEFINED,
                                                  j + last / jnp.abs(following)))
    try:
        undefined = bool(jnp.any(j == size))
    except jax.errors.ConcretizationTypeError:
        undefined = False  # traced: the sentinel marks it
    if undefined:
        raise ConfigError("the partial sums of the exponents never turn negative: "
                          "compute more exponents (larger k) for the Kaplan–Yorke dimension")
    return dimension
