"""Simulation: solvers against hand-written steps, physics of the g = 1 transition, SDE noise
statistics, reproducibility, exact chunking, divergence, recorders and argument checks."""

import math
import re

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
import jaxchaos._core._simulate as simulate_module
from jaxchaos._core._simulate import StepBrownianPath
from jaxchaos._core._solvers import ODE_SOLVERS, explicit_step, make_solver

# Float64: two implementations of the same arithmetic differ only by rounding (~1e-16 per step),
# amplified at most e^{λT} ≲ 10 by chaos over the short runs here; 1e-12 leaves a wide margin.
TIGHT = 1e-12

_run = eqx.filter_jit(
    lambda integrator, system, state, recorders, carries, n: integrator.run(
        system, state, recorders, carries, n
    )
)


def _trajectory(sim):
    return np.asarray(sim.records["trajectory"])


@pytest.fixture(scope="module")
def chaotic():
    """A small chaotic SCS network (g = 1.6) with a random initial state."""
    net = jc.SCSNetwork.random(jax.random.key(10), 40, 1.6)
    return net, net.initial_state(jax.random.key(11))


# ------------------------------------------------------------- solvers vs hand-written steps


def test_euler_equals_hand_written_loop(chaotic):
    net, x0 = chaotic
    dt, n_steps = 0.05, 60
    sim = jc.simulate(net, x0, t1=n_steps * dt, dt=dt, solver="euler")
    w, g = np.asarray(net.weights), float(net.gain)
    x, expected = np.asarray(x0).copy(), []
    for _ in range(n_steps):
        x = x + dt * (-x + g * w @ np.tanh(x))
        expected.append(x)
    np.testing.assert_allclose(_trajectory(sim), np.array(expected), rtol=0, atol=TIGHT)


def test_rk4_equals_hand_written_loop(getkey):
    # A time-dependent input checks the stage times t, t + dt/2, t + dt as well.
    amp, freq, g, dt, n_steps = 0.4, 0.3, 1.6, 0.05, 60
    net = jc.SCSNetwork.random(getkey(), 40, g, input=jc.SinusoidalInput(amp, freq, 0.2))
    x0 = net.initial_state(getkey())
    sim = jc.simulate(net, x0, t1=n_steps * dt, dt=dt, record_every=3 * dt, solver="rk4")
    w = np.asarray(net.weights)

    def f(t, x):
        return -x + g * w @ np.tanh(x) + amp * np.sin(2 * np.pi * freq * t + 0.2)

    x, expected = np.asarray(x0).copy(), []
    for n in range(n_steps):
        t = n * dt
        k1 = f(t, x)
        k2 = f(t + dt / 2, x + dt / 2 * k1)
        k3 = f(t + dt / 2, x + dt / 2 * k2)
        k4 = f(t + dt, x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if (n + 1) % 3 == 0:
            expected.append(x)
    np.testing.assert_allclose(_trajectory(sim), np.array(expected), rtol=0, atol=TIGHT)


def test_adaptive_tsit5_agrees_with_rk4(chaotic):
    net, x0 = chaotic

    def run(**kwargs):
        return _trajectory(jc.simulate(net, x0, t1=4.0, record_every=1.0, **kwargs))

    coarse = run(dt=0.01, solver="rk4")
    fine = run(dt=0.005, solver="rk4")
    tsit5 = run(dt=0.01, solver="tsit5", adaptive=True, rtol=1e-11, atol=1e-11)
    # Measured: rk4's global error at dt = 0.01 is ~1e-9 (|rk4(dt) - rk4(dt/2)|), 16× smaller at
    # dt/2 (4th order); tsit5 at rtol = atol = 1e-11 is accurate to ~1e-11. Bounds: 5× each.
    assert np.abs(coarse - fine).max() < 5e-9
    np.testing.assert_allclose(tsit5, coarse, rtol=0, atol=5e-9)
    np.testing.assert_allclose(tsit5, fine, rtol=0, atol=5e-10)


def test_fixed_step_scan_equals_diffeqsolve(getkey):
    net = jc.SCSNetwork.random(getkey(), 40, 1.6, input=jc.SinusoidalInput(0.3, 0.2))
    x0 = net.initial_state(getkey())
    dt, record_every, t1 = 0.1, 0.5, 5.0
    sim = jc.simulate(net, x0, t1=t1, dt=dt, record_every=record_every, solver="tsit5")
    times = record_every * np.arange(1, 11)
    reference = diffrax.diffeqsolve(
        diffrax.ODETerm(net.vector_field), diffrax.Tsit5(), 0.0, t1, dt, x0,
        saveat=diffrax.SaveAt(ts=times), stepsize_controller=diffrax.ConstantStepSize(),
    )
    # diffrax accumulates t += dt (jaxchaos uses n·dt) and interpolates at the save times: both
    # rounding-level differences.
    np.testing.assert_allclose(_trajectory(sim), reference.ys, rtol=0, atol=TIGHT)



@pytest.mark.parametrize("name", sorted(ODE_SOLVERS))
def test_explicit_step_equals_diffrax_step(name, getkey):
    """The written-out stages equal diffrax's solver step on a time-dependent network (the
    stage times c_i h matter), to round-off; and the step really moves the state."""
    net = jc.SCSNetwork.random(getkey(), 20, 2.0, input=jc.SinusoidalInput(0.7, 1.3))
    x0 = net.initial_state(getkey())
    t0, t1 = 0.35, 0.6
    solver = make_solver(name, stochastic=False, adaptive=False)
    term = diffrax.ODETerm(net.vector_field)
    state = solver.init(term, t0, t1, x0, None)
    reference = solver.step(term, t0, t1, x0, None, state, made_jump=False)[0]
    step = explicit_step(name, lambda t, y: net.vector_field(t, y, None), t0, t1, x0)
    np.testing.assert_allclose(step, reference, rtol=0, atol=TIGHT)
    assert np.abs(np.asarray(reference - x0)).max() > 1e-2

# ------------------------------------------------------------------ transition to chaos at g = 1


@pytest.fixture(scope="module")
def large_weights():
    return jc.Connectivity().sample(jax.random.key(20), 1000)


def _population_variance(weights, gain):
    net = jc.SCSNetwork(weights, gain)
    sim = jc.simulate(net, key=jax.random.key(21), t1=20.0, dt=0.1, record_every=1.0,
                      solver="tsit5")
    return _trajectory(sim).var(axis=1)  # over neurons, at t = 1, 2, ..., 20


def test_subcritical_activity_decays(large_weights):
    var = _population_variance(large_weights, 0.5)
    # For g < 1, the fixed point 0 attracts at rate ≥ 1 - g (|φ'| ≤ 1, spectral radius of gW ≈ g),
    # so the variance decays at least like e^{-2(1-g)t} = e^{-t}: ~1e-9 by t = 20 from O(1).
    # 1e-6 leaves a factor ~1000 for the transient and finite-N corrections.
    assert var[-1] < 1e-6
    # Late-time slope of log variance: -2(1-g) = -1 (measured -1.01); 10% slack for finite N.
    slope = math.log(var[-1] / var[9]) / 10
    assert slope < -0.9


def test_supercritical_activity_persists(large_weights):
    var = _population_variance(large_weights, 2.0)
    # For g = 2 the DMFT variance Δ0 is O(1) (measured ~1.7-2.1). It must stay well above 0
    # (> 0.1), and below g² = 4: x low-passes the field gWφ(x), whose variance is g²⟨φ²⟩ < g² in
    # DMFT (|tanh| < 1). The first 5 time units are transient.
    late = var[5:]
    assert late.min() > 0.1
    assert late.max() < 4.0


# ----------------------------------------------------------------------- SDE noise statistics


def _second_moment_and_lag1(sim):
    moments, corr = sim.records["moments"], sim.records["corr"]
    # Moments.var is the time variance around the temporal mean (biased low by mean²): add it
    # back to get E[x²]. The autocorrelation recorder gives the raw E[x²] directly.
    second = float(jnp.mean(moments["var"] + moments["mean"] ** 2))
    np.testing.assert_allclose(second, corr["corr"][0], rtol=1e-10)  # same sum, other order
    return second, float(corr["corr"][1])


def _standard_error(variance, ar, n_times, n_neurons):
    """Standard error of the mean of x² over n_times steps of N independent Gaussian AR(1)
    processes with coefficient `ar`: Var(x²) = 2v², autocorrelation of x² is ar^{2|k|}."""
    return variance * math.sqrt(2 * (1 + ar**2) / (1 - ar**2) / (n_times * n_neurons))


RECORDERS = {"moments": jc.Moments(), "corr": jc.Autocorrelation(max_lag=1)}


def test_euler_maruyama_stationary_variance():
    # g = 0: x_{n+1} = (1 - dt) x_n + σ √dt ξ_n, whose stationary variance is exactly
    # σ² dt / (1 - (1-dt)²) = σ²/(2 - dt) (the continuum value is σ²/2).
    n, dt, sigma, steps = 1000, 0.1, 1.0, 1000
    net = jc.SCSNetwork.random(jax.random.key(30), n, 0.0, noise=sigma)
    v = sigma**2 / (2 - dt)
    x0 = math.sqrt(v) * jax.random.normal(jax.random.key(31), (n,))  # start stationary
    sim = jc.simulate(net, x0, t1=steps * dt, dt=dt, key=jax.random.key(32), solver="euler",
                      recorders=RECORDERS)
    second, lag1 = _second_moment_and_lag1(sim)
    se = _standard_error(v, 1 - dt, steps, n)
    # 4 standard errors (~0.4%·4); the continuum value σ²/2 is ~12 standard errors away.
    assert abs(second - v) < 4 * se
    assert abs(sigma**2 / 2 - v) > 10 * se
    # Lag one record (= one step): AR(1) correlation (1 - dt)·v, same error scale.
    assert abs(lag1 - (1 - dt) * v) < 4 * se


def test_cessac_noise_stationary_variance():
    # J = 0 (coupling_std 0), θ = 0: u ← γu + σB, stationary variance σ²/(1 - γ²).
    n, gamma, sigma, steps = 1000, 0.8, 0.5, 1000
    net = jc.CessacNetwork.random(jax.random.key(40), n, 1.0, coupling_std=0.0, leak=gamma,
                                  noise=sigma)
    v = sigma**2 / (1 - gamma**2)
    x0 = math.sqrt(v) * jax.random.normal(jax.random.key(41), (n,))
    sim = jc.simulate(net, x0, t1=steps, key=jax.random.key(42), recorders=RECORDERS)
    second, lag1 = _second_moment_and_lag1(sim)
    se = _standard_error(v, gamma, steps, n)
    assert abs(second - v) < 4 * se  # 4 standard errors
    assert abs(lag1 - gamma * v) < 4 * se


def test_step_brownian_path_increments():
    # Increments keyed by the step number: reproducible, distinct from step to step even at
    # t/dt ~ 1e8 (where a float32 time key would repeat), with variance dt.
    dt, n = 0.01, 100
    path = StepBrownianPath(jax.random.key(35), 0.0, dt, jax.ShapeDtypeStruct((n,), jnp.float64))
    far = 10**8
    a = path.evaluate(far * dt, (far + 1) * dt)
    np.testing.assert_array_equal(a, path.evaluate(far * dt, (far + 1) * dt))
    assert np.all(np.asarray(a) != np.asarray(path.evaluate((far + 1) * dt, (far + 2) * dt)))
    steps = jnp.arange(1000)
    w = np.asarray(jax.vmap(lambda s: path.evaluate(s * dt, (s + 1) * dt))(steps))
    m = w.size
    # Gaussian, mean 0 and variance dt: 5 standard errors (sqrt(dt/m) and dt·sqrt(2/m)).
    assert abs(w.mean()) < 5 * math.sqrt(dt / m)
    assert abs(w.var() - dt) < 5 * dt * math.sqrt(2 / m)
    # Independent steps: lag-1 correlation within 5 standard errors 1/sqrt(m).
    assert abs(np.mean(w[1:] * w[:-1]) / dt) < 5 / math.sqrt(m)


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_same_result_different_seed_different():
    net = jc.SCSNetwork.random(jax.random.key(50), 30, 1.5, noise=0.2)

    def run(seed):
        return _trajectory(jc.simulate(net, key=jax.random.key(seed), t1=1.0, dt=0.1,
                                       solver="euler"))

    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).min(axis=1).max() > 1e-3  # every record differs


def test_noise_key_changes_noise_only(chaotic):
    # Same x0, different noise keys: the runs differ; noise 0 with a key equals the ODE.
    net, x0 = chaotic
    noisy = jc.SCSNetwork(net.weights, net.gain, noise=0.3)
    a = _trajectory(jc.simulate(noisy, x0, t1=1.0, dt=0.1, key=jax.random.key(1), solver="euler"))
    b = _trajectory(jc.simulate(noisy, x0, t1=1.0, dt=0.1, key=jax.random.key(2), solver="euler"))
    assert np.all(a[0] != b[0])
    quiet = jc.SCSNetwork(net.weights, net.gain, noise=0.0)
    assert quiet.noise is None
    c = _trajectory(jc.simulate(quiet, x0, t1=1.0, dt=0.1, key=jax.random.key(1), solver="euler"))
    d = _trajectory(jc.simulate(net, x0, t1=1.0, dt=0.1, solver="euler"))
    np.testing.assert_array_equal(c, d)


# ------------------------------------------------------------------------------ chunked runs


def _check_chunks(system, integrator, key, n=5):
    x0 = system.initial_state(jax.random.key(60))
    recorders = {"x": jc.Trajectory(), "m": jc.Moments(), "c": jc.Autocorrelation(max_lag=3)}
    carries = {name: r.init(x0) for name, r in recorders.items()}
    state = integrator.init(system, x0, key)
    s1, c1, o1 = _run(integrator, system, state, recorders, carries, n)
    s2, c2, o2 = _run(integrator, system, s1, recorders, c1, n)
    s_all, c_all, o_all = _run(integrator, system, state, recorders, carries, 2 * n)
    # Bitwise: the same steps, times (n·dt), noise (keyed by step) and solver state.
    np.testing.assert_array_equal(np.concatenate([o1["x"], o2["x"]]), o_all["x"])
    np.testing.assert_array_equal(s2.x, s_all.x)
    assert int(s2.step) == int(s_all.step) == 2 * n * integrator.steps_per_record
    for a, b in zip(jax.tree_util.tree_leaves(c2), jax.tree_util.tree_leaves(c_all), strict=True):
        np.testing.assert_array_equal(a, b)
    solver_leaves = jax.tree_util.tree_leaves(s2.solver_state)
    for a, b in zip(solver_leaves, jax.tree_util.tree_leaves(s_all.solver_state), strict=True):
        np.testing.assert_array_equal(a, b)
    # And the run actually moved (a test that cannot pass vacuously).
    assert np.abs(np.asarray(o_all["x"][-1]) - np.asarray(x0)).max() > 1e-2


def test_chunked_ode_tsit5(chaotic):
    net, _ = chaotic
    _check_chunks(net, jc.Integrator(dt=0.1, steps_per_record=3, solver="tsit5"), None)


def test_chunked_sde_euler(chaotic):
    net, _ = chaotic
    noisy = jc.SCSNetwork(net.weights, net.gain, noise=0.3)
    _check_chunks(noisy, jc.Integrator(dt=0.1, steps_per_record=3, solver="euler"),
                  jax.random.key(61))


def test_chunked_noisy_cessac():
    net = jc.CessacNetwork.random(jax.random.key(62), 40, 2.0, leak=0.3, noise=0.2)
    _check_chunks(net, jc.Integrator(steps_per_record=2), jax.random.key(63))


# ------------------------------------------------------------------------------- divergence


def test_relu_divergence_names_step_time_and_gain():
    net = jc.SCSNetwork.random(jax.random.key(70), 30, 20.0, nonlinearity="relu")
    x0 = net.initial_state(jax.random.key(71))
    with pytest.raises(jc.DivergenceError) as info:
        jc.simulate(net, x0, t1=200.0, dt=0.1, record_every=1.0, solver="euler")
    message = str(info.value)
    match = re.search(r"step (\d+), t = ([0-9.e+-]+)", message)
    assert match, message
    assert re.search(r"gain = 20\b", message), message
    # The reported step is the first non-finite one: check against the raw trajectory.
    integrator = jc.Integrator(dt=0.1, steps_per_record=1, solver="euler")
    state, _, outputs = _run(integrator, net, integrator.init(net, x0), {"x": jc.Trajectory()},
                             {"x": None}, 2000)
    finite = np.all(np.isfinite(np.asarray(outputs["x"])), axis=1)
    first_bad = int(np.argmin(finite)) + 1  # record r holds step r + 1
    assert not finite.all()
    assert int(match.group(1)) == first_bad == int(state.diverged_step)
    assert float(match.group(2)) == pytest.approx(first_bad * 0.1)


# -------------------------------------------------------------------------------- recorders


@pytest.fixture(scope="module")
def recorded(chaotic):
    net, x0 = chaotic
    start, max_lag = 1.0, 5
    recorders = {
        "trajectory": jc.Trajectory(),
        "subset": jc.Trajectory(neurons=(3, 0, 17)),
        "moments": jc.Moments(start=start),
        "corr": jc.Autocorrelation(max_lag=max_lag, start=start),
        "corr_all": jc.Autocorrelation(max_lag=max_lag),
    }
    sim = jc.simulate(net, x0, t1=4.0, dt=0.05, record_every=0.1, solver="rk4",
                      recorders=recorders)
    times = 0.1 * np.arange(1, 41)
    return sim.records, times, start, max_lag


def test_trajectory_subset(recorded):
    records, times, _, _ = recorded
    full = np.asarray(records["trajectory"])
    assert full.shape == (len(times), 40)
    subset = np.asarray(records["subset"])
    assert subset.shape == (len(times), 3)
    np.testing.assert_array_equal(subset, full[:, [3, 0, 17]])


def test_moments_match_numpy(recorded):
    records, times, start, _ = recorded
    x = np.asarray(records["trajectory"])[times >= start - 1e-9]
    moments = records["moments"]
    assert int(moments["count"]) == len(x) == 31
    # Welford vs two-pass numpy: rounding only.
    np.testing.assert_allclose(moments["mean"], x.mean(axis=0), rtol=0, atol=TIGHT)
    np.testing.assert_allclose(moments["var"], x.var(axis=0), rtol=0, atol=TIGHT)


def _numpy_autocorrelation(x, max_lag):
    return np.array([np.mean(x[lag:] * x[: len(x) - lag]) for lag in range(max_lag + 1)])


def test_autocorrelation_matches_numpy(recorded):
    records, times, start, max_lag = recorded
    full = np.asarray(records["trajectory"])
    after = full[times >= start - 1e-9]
    corr = records["corr"]
    np.testing.assert_array_equal(corr["pairs"], len(after) - np.arange(max_lag + 1))
    np.testing.assert_allclose(corr["corr"], _numpy_autocorrelation(after, max_lag), atol=TIGHT)
    # Without start: every record counts (and the estimate differs from the one with start).
    everything = records["corr_all"]
    np.testing.assert_allclose(everything["corr"], _numpy_autocorrelation(full, max_lag),
                               atol=TIGHT)
    assert np.abs(np.asarray(everything["corr"]) - np.asarray(corr["corr"])).max() > 1e-3


def test_autocorrelation_lag_beyond_run(chaotic):
    # More lags than records: lags with no pair report 0 pairs (and 0, not NaN).
    net, x0 = chaotic
    sim = jc.simulate(net, x0, t1=0.3, dt=0.1, solver="euler",
                      recorders={"c": jc.Autocorrelation(max_lag=5)})
    np.testing.assert_array_equal(sim.records["c"]["pairs"], [3, 2, 1, 0, 0, 0])
    assert np.all(np.isfinite(np.asarray(sim.records["c"]["corr"])))


# -------------------------------------------------------------------------- argument checks


@pytest.fixture
def no_compile(monkeypatch):
    """Fail if simulate gets as far as compiling: argument errors must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("simulate compiled before rejecting its arguments")

    monkeypatch.setattr(simulate_module, "_run_compiled", refuse)


def _rejects(field, *args, **kwargs):
    with pytest.raises(jc.ConfigError) as info:
        jc.simulate(*args, **kwargs)
    assert re.search(rf"(?<![A-Za-z_]){re.escape(field)}(?![A-Za-z_])", str(info.value)), (
        f"{field!r} not named in: {info.value}"
    )


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan")])
def test_bad_dt(chaotic, no_compile, dt):
    net, x0 = chaotic
    _rejects("dt", net, x0, t1=1.0, dt=dt)


def test_missing_dt(chaotic, no_compile):
    net, x0 = chaotic
    _rejects("dt", net, x0, t1=1.0)


def test_t1_not_multiple_of_record_every(chaotic, no_compile):
    net, x0 = chaotic
    _rejects("t1", net, x0, t1=1.05, dt=0.05, record_every=0.1)
    # The message must name the interval t1 is checked against (record_every, not dt).
    _rejects("record_every", net, x0, t1=1.05, dt=0.05, record_every=0.1)
    _rejects("record_every", net, x0, t1=1.0, dt=0.1, record_every=0.25)
    _rejects("t1", net, x0, t1=0.0, dt=0.1)


def test_bad_x0(chaotic, no_compile):
    net, x0 = chaotic
    _rejects("x0", net, x0[:-1], t1=1.0, dt=0.1)
    _rejects("x0", net, jnp.stack([x0, x0]), t1=1.0, dt=0.1)
    _rejects("x0", net, None, t1=1.0, dt=0.1)  # neither x0 nor a key


def test_bad_solver(chaotic, no_compile):
    net, x0 = chaotic
    _rejects("solver", net, x0, t1=1.0, dt=0.1, solver="rk45")
    noisy = jc.SCSNetwork(net.weights, net.gain, noise=0.1)
    _rejects("solver", noisy, x0, t1=1.0, dt=0.1, solver="tsit5", key=jax.random.key(0))


@pytest.mark.parametrize("solver", ["euler", "rk4"])
def test_adaptive_without_error_estimate(chaotic, no_compile, solver):
    net, x0 = chaotic
    _rejects("solver", net, x0, t1=1.0, dt=0.1, solver=solver, adaptive=True)


def test_noisy_without_key(chaotic, no_compile):
    net, x0 = chaotic
    noisy = jc.SCSNetwork(net.weights, net.gain, noise=0.1)
    _rejects("key", noisy, x0, t1=1.0, dt=0.1, solver="euler")
    cessac = jc.CessacNetwork.random(jax.random.key(0), 10, 1.0, noise=0.1)
    _rejects("key", cessac, jnp.zeros(10), t1=5)


def test_map_needs_unit_steps(no_compile):
    cessac = jc.CessacNetwork.random(jax.random.key(0), 10, 1.0)
    _rejects("dt", cessac, jnp.zeros(10), t1=5, dt=0.5)


def test_bad_integrator():
    for kwargs in ({"dt": 0.0}, {"dt": float("nan")}, {"steps_per_record": 0},
                   {"steps_per_record": 1.5}, {"rtol": -1.0}):
        with pytest.raises(jc.ConfigError):
            jc.Integrator(**kwargs)


def test_bad_recorders(chaotic, no_compile):
    net, x0 = chaotic
    _rejects("neurons", net, x0, t1=1.0, dt=0.1, recorders={"x": jc.Trajectory(neurons=(40,))})
    with pytest.raises(jc.ConfigError, match="max_lag"):
        jc.Autocorrelation(max_lag=0)
    _rejects("recorder", net, x0, t1=1.0, dt=0.1, recorders={"x": "trajectory"})
