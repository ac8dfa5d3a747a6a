"""Simulation of flows (diffrax) and maps (`lax.scan`) with on-the-fly recorders.

Two layers:
- `Integrator`: how to advance a system (step size, solver, record interval). Its methods are
  pure and traceable, so they run inside `vmap`/`jit`/sweeps; the state (`SimState`) carries
  everything needed to continue a run exactly (step count, x, solver state, noise key).
- `simulate`: the eager entry point for one run. It checks its arguments before compiling and
  raises `DivergenceError` (with the time and the parameters) if the state became NaN/inf.

Fixed steps run in a `lax.scan`: for an ODE the solver's Runge–Kutta stages written out
(`explicit_step`, diffrax's tableau, no solver state), for an SDE the diffrax solver's own
`step`; either way the arithmetic of `diffrax.diffeqsolve` with a constant step size (to
round-off), without its adaptive-loop overhead. The time of step n is `t0 + n·dt` (never
accumulated), and the Brownian increment over a step is a pure function of the key and the
step's end points, so a run split into chunks equals the unsplit run.
"""

import os

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import lineax

from ._errors import ConfigError, DivergenceError, check_real, check_steps
from ._progress import ProgressBar, check_progress, chunk_lengths
from ._recorders import AbstractRecorder, Autocorrelation, Moments, Trajectory
from ._results import result_repr
from ._solvers import NEEDS_LEVY_AREA, explicit_step, make_solver
from ._system import AbstractFlow, AbstractMap, scalar_parameters


def _first_bad_step(diverged_step, step, x):
    """`step` if x is the first non-finite state seen, else the step already recorded (or -1)."""
    return jnp.where((diverged_step < 0) & ~jnp.all(jnp.isfinite(x)), step, diverged_step)


class SimState(eqx.Module):
    """Everything needed to continue a run: steps taken, state, solver state, noise key, and the
    first step at which the state stopped being finite (-1 while it is finite)."""

    __repr__ = result_repr

    step: jax.Array
    x: jax.Array
    solver_state: object
    key: jax.Array
    diverged_step: jax.Array


class StepBrownianPath(diffrax.AbstractBrownianPath):
    """Brownian increments over the fixed steps [t0 + n·dt, t0 + (n+1)·dt], drawn from
    `fold_in(key, n)`: exact for any run length (diffrax's `UnsafeBrownianPath` keys on the
    float32-rounded time, which repeats noise once t/dt exceeds ~10⁷). Only whole steps can be
    evaluated."""

    key: jax.Array
    origin: float
    dt: float
    shape: jax.ShapeDtypeStruct = eqx.field(static=True)
    levy_area: type = eqx.field(static=True, default=diffrax.BrownianIncrement)

    @property
    def t0(self):
        return -jnp.inf

    @property
    def t1(self):
        return jnp.inf

    def evaluate(self, t0, t1=None, left=True, use_levy=False):
        step = jnp.round((t0 - self.origin) / self.dt).astype(jnp.int32)
        key_w, key_h = jax.random.split(jax.random.fold_in(self.key, step))
        dt = jnp.asarray(self.dt, self.shape.dtype)
        w = jnp.sqrt(dt) * jax.random.normal(key_w, self.shape.shape, self.shape.dtype)
        if not use_levy:
            return w
        if self.levy_area is diffrax.SpaceTimeLevyArea:
            h = jnp.sqrt(dt / 12) * jax.random.normal(key_h, self.shape.shape, self.shape.dtype)
            return diffrax.SpaceTimeLevyArea(dt=dt, W=w, H=h)
        return diffrax.BrownianIncrement(dt=dt, W=w)


def _additive_noise(system):
    return lambda t, x, args: lineax.DiagonalLinearOperator(jnp.full_like(x, system.noise))


class Integrator(eqx.Module):
    """Advances a system by `steps_per_record` steps of size `dt` per record interval.

    **Arguments:**
    - `dt`: step size (flows; the initial step when `adaptive`). Maps always take unit steps.
    - `steps_per_record`: steps between two recorder updates.
    - `solver`: a diffrax solver name (`_solvers.ODE_SOLVERS` / `SDE_SOLVERS`); ignored for maps.
    - `adaptive`: adaptive steps (PID controller, `rtol`/`atol`) between record times.
    - `t0`: time of step 0. `t_end`: the last time an adaptive SDE may reach (Brownian tree span).
    """

    dt: float = eqx.field(static=True, default=1.0)
    steps_per_record: int = eqx.field(static=True, default=1)
    solver: str = eqx.field(static=True, default="tsit5")
    adaptive: bool = eqx.field(static=True, default=False)
    rtol: float = eqx.field(static=True, default=1e-6)
    atol: float = eqx.field(static=True, default=1e-8)
    t0: float = eqx.field(static=True, default=0.0)
    t_end: float | None = eqx.field(static=True, default=None)
    max_steps_per_record: int = eqx.field(static=True, default=100_000)

    def __check_init__(self):
        check_real("dt", self.dt, positive=True)
        check_real("steps_per_record", self.steps_per_record, positive=True, integer=True)
        check_real("rtol", self.rtol, positive=True)
        check_real("atol", self.atol, positive=True)
        check_real("t0", self.t0)

    def check_system(self, system):
        """Raise a `ConfigError` if this integrator cannot advance `system`."""
        if isinstance(system, AbstractMap):
            if self.dt != 1.0 or self.adaptive:
                raise ConfigError("maps take unit steps: use dt = 1 and adaptive = false")
        elif isinstance(system, AbstractFlow):
            stochastic = system.noise is not None
            make_solver(self.solver, stochastic=stochastic, adaptive=self.adaptive)
            if stochastic and self.adaptive and self.t_end is None:
                raise ConfigError("an adaptive SDE needs t_end (the span of its Brownian tree)")
        else:
            raise ConfigError(f"not a jaxchaos system: {type(system).__name__}")

    def time(self, step):
        """Time of step number `step`."""
        return self.t0 + step * self.dt

    def _brownian(self, system, key, x):
        levy = diffrax.SpaceTimeLevyArea if self.solver in NEEDS_LEVY_AREA else None
        kwargs = {} if levy is None else {"levy_area": levy}
        shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
        if self.adaptive:
            tol = self.dt / 2**8
            return diffrax.VirtualBrownianTree(self.t0, self.t_end, tol, shape, key, **kwargs)
        return StepBrownianPath(key, self.t0, self.dt, shape, **kwargs)

    def terms(self, system, key, x):
        """The diffrax terms of a flow: drift, plus additive noise driven by `key`."""
        drift = diffrax.ODETerm(system.vector_field)
        if system.noise is None:
            return drift
        diffusion = diffrax.ControlTerm(_additive_noise(system), self._brownian(system, key, x))
        return diffrax.MultiTerm(drift, diffusion)

    def init(self, system, x0, key=None) -> SimState:
        """The state at step 0. `key` drives the noise (required when the system is noisy)."""
        if system.noise is not None and key is None:
            raise ConfigError("a noisy system needs a key for its noise")
        key = jax.random.key(0) if key is None else key
        zero = jnp.zeros((), jnp.int32)
        return self.moved(system, SimState(zero, x0, None, key, zero - 1), x0)

    def moved(self, system, state: SimState, x) -> SimState:
        """`state` with the state vector replaced by `x`, the solver restarted from it (solvers
        that reuse their last stage would otherwise start from the old x). Only fixed-step SDE
        solvers keep a solver state; ODE steps are functions of x alone (`ode_step`)."""
        solver_state = None
        if isinstance(system, AbstractFlow) and not self.adaptive and system.noise is not None:
            solver = make_solver(self.solver, stochastic=system.noise is not None, adaptive=False)
            t = self.time(state.step)
            terms = self.terms(system, state.key, x)
            solver_state = solver.init(terms, t, self.time(state.step + 1), x, None)
        return SimState(state.step, x, solver_state, state.key, state.diverged_step)

    def advance(self, system, state: SimState) -> SimState:
        """Advance by one record interval."""
        if isinstance(system, AbstractMap):
            return self._advance_map(system, state)
        if self.adaptive:
            return self._advance_adaptive(system, state)
        return self._advance_fixed(system, state)


    def ode_step(self, system, step, x):
        """Step number `step` of a noiseless flow from state `x` (`explicit_step`)."""
        return explicit_step(self.solver, lambda t, y: system.vector_field(t, y, None),
                             self.time(step), self.time(step + 1), x)

    def _advance_fixed(self, system, state):
        if system.noise is None:
            def one_ode_step(carry, _):
                step, x, diverged = carry
                x = self.ode_step(system, step, x)
                return (step + 1, x, _first_bad_step(diverged, step + 1, x)), None

            carry = (state.step, state.x, state.diverged_step)
            (step, x, diverged), _ = jax.lax.scan(one_ode_step, carry, None,
                                                  length=self.steps_per_record)
            return SimState(step, x, None, state.key, diverged)

        solver = make_solver(self.solver, stochastic=system.noise is not None, adaptive=False)
        terms = self.terms(system, state.key, state.x)

        def one_step(carry, _):
            step, x, solver_state, diverged = carry
            t = self.time(step)
            x, _, _, solver_state, _ = solver.step(
                terms, t, self.time(step + 1), x, None, solver_state, made_jump=False
            )
            diverged = _first_bad_step(diverged, step + 1, x)
            return (step + 1, x, solver_state, diverged), None

        carry = (state.step, state.x, state.solver_state, state.diverged_step)
        carry, _ = jax.lax.scan(one_step, carry, None, length=self.steps_per_record)
        return SimState(carry[0], carry[1], carry[2], state.key, carry[3])

    def _advance_adaptive(self, system, state):
        solver = make_solver(self.solver, stochastic=system.noise is not None, adaptive=True)
        end = state.step + self.steps_per_record
        solution = diffrax.diffeqsolve(
            self.terms(system, state.key, state.x),
            solver,
            self.time(state.step),
            self.time(end),
            self.dt,
            state.x,
            saveat=diffrax.SaveAt(t1=True),
            stepsize_controller=diffrax.PIDController(rtol=self.rtol, atol=self.atol),
            max_steps=self.max_steps_per_record,
            throw=False,
        )
        x = solution.ys[-1]
        failed = solution.result != diffrax.RESULTS.successful
        x = jnp.where(failed, jnp.nan, x)
        return SimState(end, x, None, state.key, _first_bad_step(state.diverged_step, end, x))

    def map_step(self, system, key, step, x):
        """One step of a map, `F(t, x) + σ B` with B drawn from `fold_in(key, step)`."""
        return self.kicked(system, key, step, system.map(self.time(step), x, None))

    def kicked(self, system, key, step, x_next):
        """`x_next + σ B` with the map's kick B of step `step` (`x_next` unchanged without
        noise): the stochastic part of `map_step`, for callers that compute F themselves."""
        if system.noise is None:
            return x_next
        kick = jax.random.normal(jax.random.fold_in(key, step), x_next.shape, x_next.dtype)
        return x_next + system.noise * kick

    def _advance_map(self, system, state):
        def one_step(carry, _):
            step, x, diverged = carry
            x = self.map_step(system, state.key, step, x)
            diverged = _first_bad_step(diverged, step + 1, x)
            return (step + 1, x, diverged), None

        carry = (state.step, state.x, state.diverged_step)
        (step, x, diverged), _ = jax.lax.scan(one_step, carry, None, length=self.steps_per_record)
        return SimState(step, x, None, state.key, diverged)

    def run(self, system, state: SimState, recorders: dict, carries: dict, n_records: int):
        """Advance `n_records` record intervals, updating every recorder after each.

        Returns `(state, carries, outputs)`; `outputs[name]` stacks that recorder's per-record
        outputs along a leading axis of length `n_records`.
        """

        def one_record(carry, _):
            state, carries = carry
            state = self.advance(system, state)
            t = self.time(state.step)
            new_carries, outputs = {}, {}
            for name, recorder in recorders.items():
                new_carries[name], outputs[name] = recorder.update(carries[name], t, state.x)
            return (state, new_carries), outputs

        (state, carries), outputs = jax.lax.scan(
            one_record, (state, carries), None, length=n_records
        )
        return state, carries, outputs


def init_recorders(recorders: dict, x0) -> dict:
    """Initial carries of a dict of recorders."""
    for name, recorder in recorders.items():
        if not isinstance(recorder, AbstractRecorder):
            raise ConfigError(f"recorder {name!r} is not an AbstractRecorder")
    return {name: recorder.init(x0) for name, recorder in recorders.items()}


def finalize_recorders(recorders: dict, carries: dict, outputs: dict) -> dict:
    """`{name: recorder.finalize(...)}` for a dict of recorders."""
    return {name: r.finalize(carries[name], outputs[name]) for name, r in recorders.items()}


def raise_if_diverged(state: SimState, integrator: Integrator, describe: str):
    """Raise `DivergenceError` naming the first non-finite step and time, and `describe`."""
    step = int(state.diverged_step)
    if step >= 0:
        t = integrator.time(step)
        raise DivergenceError(
            f"simulation diverged (NaN/inf in the state) at step {step}, t = {t:.6g}, "
            f"for {describe}. Lower the gain or the step size, or use a bounded nonlinearity."
        )


class Simulation(eqx.Module):
    """Result of `simulate`: the final `state` (to continue from) and the recorded arrays."""

    __repr__ = result_repr

    state: SimState
    records: dict


@eqx.filter_jit
def _run_compiled(integrator, system, state, recorders, carries, n_records):
    return integrator.run(system, state, recorders, carries, n_records)


def device_memory_bytes() -> int:
    """Memory of the first device: its allocator limit on GPUs, the host's RAM on CPUs."""
    stats = jax.devices()[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"])
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _check_output_fits(recorders: dict, carries: dict, x0, n_records: int):
    """`ConfigError` before compiling if the recorders' per-record outputs over `n_records`
    records exceed the device's memory."""
    per_record = 0
    for name, recorder in recorders.items():
        out = jax.eval_shape(lambda c, r=recorder: r.update(c, jnp.zeros((), x0.dtype), x0)[1],
                             carries[name])
        per_record += sum(a.size * a.dtype.itemsize for a in jax.tree_util.tree_leaves(out))
    total, limit = n_records * per_record, device_memory_bytes()
    if total > limit:
        raise ConfigError(f"the recorded outputs would take {total / 2**30:.3g} GiB, the device "
                          f"has {limit / 2**30:.3g} GiB: raise record_every, shorten t1 or "
                          "record fewer neurons (Trajectory(neurons))")


def simulate(system, x0=None, *, t1, dt=None, record_every=None, recorders=None, key=None,
             solver="tsit5", adaptive=False, rtol=1e-6, atol=1e-8, t0=0.0,
             progress=False) -> Simulation:
    """Simulate `system` from `x0` (random from `key` if None) over `[t0, t1]`.

    **Arguments:**
    - `system`: an `AbstractFlow` or `AbstractMap` (maps: `dt` is 1 and times are step indices).
    - `dt`: step size of a flow (required for flows; the first step when `adaptive`).
    - `record_every`: time between recorder updates (a whole multiple of dt; default dt).
    - `recorders`: dict name → `AbstractRecorder`; default `{"trajectory": Trajectory()}`.
    - `key`: PRNG key for the initial state (if `x0` is None) and the noise.
    - `solver`, `adaptive`, `rtol`, `atol`: see `Integrator`.
    - `progress`: show a progress bar over the records (the run goes in up to 100 equal chunks,
      with the same results).

    Raises `ConfigError` for bad arguments (before compiling) and `DivergenceError` if the state
    becomes NaN/inf. Records are taken at `t0 + record_every, t0 + 2·record_every, ..., t1`.
    """
    is_map = isinstance(system, AbstractMap)
    dt = 1.0 if (is_map and dt is None) else dt
    if dt is None:
        raise ConfigError("dt is required to simulate a flow")
    check_real("dt", dt, positive=True)
    check_real("t1", t1)
    record_every = dt if record_every is None else record_every
    check_real("record_every", record_every, positive=True)
    steps_per_record = check_steps("record_every", record_every, dt)
    n_records = check_steps("t1 - t0", t1 - t0, record_every, "record_every")
    if n_records < 1:
        raise ConfigError(f"t1 = {t1} must lie at least one record interval after t0 = {t0}")
    key_x0, key_noise = (None, None) if key is None else jax.random.split(key)
    if x0 is None:
        if key is None:
            raise ConfigError("give x0 or a key to draw it from")
        x0 = system.initial_state(key_x0)
    if jnp.shape(x0) != (system.n,):
        raise ConfigError(f"x0 must have shape ({system.n},), got {jnp.shape(x0)}")
    check_real("x0", x0)
    integrator = Integrator(dt=float(dt), steps_per_record=steps_per_record, solver=solver,
                            adaptive=adaptive, rtol=rtol, atol=atol, t0=float(t0),
                            t_end=float(t1))
    integrator.check_system(system)
    recorders = {"trajectory": Trajectory()} if recorders is None else dict(recorders)
    for name, recorder in recorders.items():
        if isinstance(recorder, Moments | Autocorrelation) and recorder.start > t1:
            raise ConfigError(f"recorders[{name!r}].start = {recorder.start} lies after t1 = "
                              f"{t1}: nothing would be recorded")
    x0 = jnp.asarray(x0)
    carries = init_recorders(recorders, x0)
    _check_output_fits(recorders, carries, x0, n_records)
    state = integrator.init(system, x0, key_noise)
    if check_progress(progress):
        parts = []
        with ProgressBar(True, n_records, "simulate", "record") as bar:
            for length in chunk_lengths(n_records):
                state, carries, part = _run_compiled(integrator, system, state, recorders,
                                                     carries, length)
                parts.append(part)
                bar.update(length)
        outputs = jax.tree.map(lambda *chunks: jnp.concatenate(chunks), *parts)
    else:
        state, carries, outputs = _run_compiled(integrator, system, state, recorders, carries,
                                                n_records)
    params = {k: float(v) for k, v in scalar_parameters(system).items()}
    raise_if_diverged(state, integrator, ", ".join(f"{k} = {v:.6g}" for k, v in params.items()))
    return Simulation(state, finalize_recorders(recorders, carries, outputs))

