"""Lyapunov spectra: exact identities of the tangent method (the sum of the exponents is the mean
log-determinant of the step Jacobian), linear systems with known exponents, Lorenz-63 and Hénon
against published values, leading-k vs full spectra, maps, sweeps vs single runs, the
two-trajectory estimate, summaries (history, stderr, KS entropy, Kaplan–Yorke) and bad input.

Every reference is computed independently (numpy trajectories and Jacobians, closed forms), and
every tolerance says where its size comes from."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._lyapunov._spectrum import summarize_blocks

# ---------------------------------------------------------------------------------------------
# User-written systems (the AbstractFlow / AbstractMap interface) and numpy references.


class Lorenz(jc.AbstractFlow):
    """Lorenz-63; its divergence is the constant -(σ + 1 + β)."""

    sigma: float = 10.0
    rho: float = 28.0
    beta: float = 8.0 / 3.0
    noise: None = None

    @property
    def n(self):
        return 3

    def vector_field(self, t, x, args):
        u, v, w = x[0], x[1], x[2]
        return jnp.stack([self.sigma * (v - u), u * (self.rho - w) - v, u * v - self.beta * w])


class Henon(jc.AbstractMap):
    """Hénon map; det of its Jacobian is -b at every point."""

    a: float = 1.4
    b: float = 0.3
    noise: None = None

    @property
    def n(self):
        return 2

    def map(self, t, x, args):
        return jnp.stack([1.0 - self.a * x[0] ** 2 + x[1], self.b * x[0]])


class LinearMap(jc.AbstractMap):
    a: jax.Array
    noise: None = None

    @property
    def n(self):
        return self.a.shape[0]

    def map(self, t, x, args):
        return self.a @ x


class LinearFlow(jc.AbstractFlow):
    a: jax.Array
    noise: None = None

    @property
    def n(self):
        return self.a.shape[0]

    def vector_field(self, t, x, args):
        return self.a @ x


def _scs_euler_trajectory(weights, gain, x0, dt, n_steps):
    """x_0 ... x_n of forward Euler on the SCS network, in numpy."""
    xs = [np.asarray(x0, dtype=float)]
    for _ in range(n_steps):
        x = xs[-1]
        xs.append(x + dt * (-x + gain * weights @ np.tanh(x)))
    return np.array(xs)


def _scs_euler_jacobian(weights, gain, x, dt):
    """I + dt (-I + g W diag φ'(x)): the derivative of one Euler step."""
    n = len(x)
    return np.eye(n) + dt * (-np.eye(n) + gain * weights * (1.0 - np.tanh(x) ** 2)[None, :])


def _cessac_numpy(net):
    w = np.asarray(net.weights)
    n = w.shape[0]
    s, leak = float(net.slope), float(net.leak)
    coupling = float(net.coupling_std) * w + float(net.coupling_mean) / n * np.ones((n, n))
    theta = np.asarray(net.thresholds)

    def step(u):
        return leak * u + coupling @ np.tanh(s * u) - theta

    def jacobian(u):
        return leak * np.eye(n) + coupling * (s * (1.0 - np.tanh(s * u) ** 2))[None, :]

    return step, jacobian


def _simpson_mean(f, dt):
    """Time average of samples f_0..f_m (m even, spacing dt) by Simpson's rule: O(dt⁴)."""
    m = len(f) - 1
    assert m % 2 == 0
    return (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()) * dt / 3 / (m * dt)


# ---------------------------------------------------------------------------------------------
# 1. The sum of all exponents = mean log|det(step Jacobian)| per unit time (exact for the scheme).

N_SMALL = 20
GAIN = 2.0
WINDOW = {"t_warmup": 5.0, "t_frame_warmup": 5.0, "t_sim": 20.0, "n_blocks": 4}


def _small_scs(zero_diagonal=True):
    connectivity = jc.Connectivity(zero_diagonal=zero_diagonal)
    net = jc.SCSNetwork.random(jax.random.key(0), N_SMALL, GAIN, connectivity=connectivity)
    return net, net.initial_state(jax.random.key(1))


def test_step_with_tangent_is_the_step_jacobian(getkey):
    net, x0 = _small_scs()
    frame = jax.random.normal(getkey(), (N_SMALL, 4))
    w = np.asarray(net.weights)
    # Euler flow step: the derivative of the step actually taken.
    integrator = jc.Integrator(dt=0.1, solver="euler")
    state, out = jc.step_with_tangent(integrator, net, integrator.init(net, x0), frame)
    jac = _scs_euler_jacobian(w, GAIN, np.asarray(x0), 0.1)
    # One step: round-off of an N=20 matvec (~1e-16 · |J| · |frame|) only.
    np.testing.assert_allclose(out, jac @ np.asarray(frame), rtol=0, atol=1e-13)
    np.testing.assert_allclose(state.x, _scs_euler_trajectory(w, GAIN, x0, 0.1, 1)[1],
                               rtol=0, atol=1e-13)
    assert int(state.step) == 1
    # A map's analytic jvp (Cessac, with mean coupling and thresholds), single vector and frame.
    cessac = jc.CessacNetwork.random(getkey(), N_SMALL, 2.0, leak=0.3, coupling_mean=1.0,
                                     threshold_std=0.2)
    integrator = jc.Integrator()
    step, jacobian = _cessac_numpy(cessac)
    for tangent in (frame, frame[:, 0]):
        state, out = jc.step_with_tangent(integrator, cessac, integrator.init(cessac, x0), tangent)
        np.testing.assert_allclose(out, jacobian(np.asarray(x0)) @ np.asarray(tangent),
                                   rtol=0, atol=1e-13)  # round-off of one step
        np.testing.assert_allclose(state.x, step(np.asarray(x0)), rtol=0, atol=1e-13)


def test_sum_identity_euler_scs(getkey):
    """Σλ_i = (1/T) Σ_steps log|det(I + dt(-I + gW diag φ'(x_n)))| over the accumulation window
    (the warm-ups are on the trajectory but not in the average)."""
    net, x0 = _small_scs()
    dt = 0.1
    spec = jc.lyapunov_spectrum(net, x0, dt=dt, solver="euler", t_ons=0.5, key=getkey(),
                                **WINDOW)
    start = round((WINDOW["t_warmup"] + WINDOW["t_frame_warmup"]) / dt)
    n_acc = round(WINDOW["t_sim"] / dt)
    w = np.asarray(net.weights)
    xs = _scs_euler_trajectory(w, GAIN, x0, dt, start + n_acc)
    # numpy and XLA round differently (~1e-16); over t = 30 on this non-chaotic orbit the
    # trajectories stay within ~1e-14 (measured 0 vs jc.simulate, ~1e-15 vs numpy).
    np.testing.assert_allclose(spec.state.x, xs[-1], rtol=0, atol=1e-10)
    logdets = [np.linalg.slogdet(_scs_euler_jacobian(w, GAIN, x, dt))[1]
               for x in xs[start:start + n_acc]]
    reference = np.sum(logdets) / (n_acc * dt)
    # Σ log|R_ii| = log|det Π J_n| exactly up to round-off: measured 3e-16 relative.
    np.testing.assert_allclose(np.sum(spec.exponents), reference, rtol=1e-10)
    assert abs(reference + N_SMALL) > 0.5  # Euler's sum is not the flow's -N: a real check


def test_sum_identity_cessac_map(getkey):
    """Same identity for a map with an analytic jvp (mean coupling, thresholds, leak)."""
    net = jc.CessacNetwork.random(getkey(), N_SMALL, 2.0, leak=0.3, coupling_mean=1.0,
                                  threshold_std=0.2)
    x0 = net.initial_state(getkey())
    spec = jc.lyapunov_spectrum(net, x0, t_ons=2, t_warmup=50, t_frame_warmup=50, t_sim=200,
                                n_blocks=4, key=getkey())
    step, jacobian = _cessac_numpy(net)
    u, logdets = np.asarray(x0), []
    for n in range(300):
        if n >= 100:
            logdets.append(np.linalg.slogdet(jacobian(u))[1])
        u = step(u)
    np.testing.assert_allclose(spec.state.x, u, rtol=0, atol=1e-10)  # numpy vs XLA round-off
    # Exact up to round-off of 200 log-determinants: 1e-10 relative is ample.
    np.testing.assert_allclose(np.sum(spec.exponents), np.mean(logdets), rtol=1e-10)


@pytest.mark.parametrize("solver", ["rk4", "tsit5"])
def test_mean_exponent_is_minus_one(getkey, solver):
    """Zero diagonal: tr D = -N, so mean λ = -1 up to the scheme's O(dt⁴) error in log det."""
    net, x0 = _small_scs()
    spec = jc.lyapunov_spectrum(net, x0, dt=0.05, solver=solver, t_ons=0.5, key=getkey(),
                                **WINDOW)
    # Measured at dt = 0.05: rk4 1.8e-7 (O(dt⁴): 3.2e-6 at dt = 0.1), tsit5 1e-10.
    assert abs(np.mean(spec.exponents) + 1.0) < 2e-6


def test_mean_exponent_rk4_converges_at_fourth_order(getkey):
    net, x0 = _small_scs()
    key = getkey()
    errors = [abs(np.mean(jc.lyapunov_spectrum(net, x0, dt=dt, solver="rk4", t_ons=0.5, key=key,
                                                **WINDOW).exponents) + 1.0)
              for dt in (0.1, 0.05)]
    # Halving dt divides an O(dt⁴) error by 16 (measured 17.3); order 3 or 5 would give 8 or 32.
    assert 12 < errors[0] / errors[1] < 24


@pytest.mark.parametrize("solver", ["rk4", "tsit5"])
def test_mean_exponent_with_self_coupling(getkey, solver):
    """With W_ii ≠ 0: mean λ = -1 + (g/N) mean_t Σ_i W_ii φ'(x_i(t)), averaged along the same
    trajectory over the accumulation window."""
    net, x0 = _small_scs(zero_diagonal=False)
    dt = 0.05
    spec = jc.lyapunov_spectrum(net, x0, dt=dt, solver=solver, t_ons=0.5, key=getkey(),
                                **WINDOW)
    t_end = WINDOW["t_warmup"] + WINDOW["t_frame_warmup"] + WINDOW["t_sim"]
    sim = jc.simulate(net, x0, t1=t_end, dt=dt, solver=solver)
    xs = np.concatenate([np.asarray(x0)[None], np.asarray(sim.records["trajectory"])])
    np.testing.assert_allclose(spec.state.x, xs[-1], rtol=0, atol=1e-12)  # same trajectory
    start = round((WINDOW["t_warmup"] + WINDOW["t_frame_warmup"]) / dt)
    window = xs[start:]
    diag = np.diag(np.asarray(net.weights))
    trace_term = GAIN * np.sum(diag * (1.0 - np.tanh(window) ** 2), axis=1) / N_SMALL
    reference = -1.0 + _simpson_mean(trace_term, dt)
    assert abs(reference + 1.0) > 0.01  # the self-coupling term is visible (0.029)
    # Scheme O(dt⁴) + Simpson O(dt⁴): measured rk4 1.8e-7, tsit5 3.5e-10 at dt = 0.05.
    assert abs(np.mean(spec.exponents) - reference) < 2e-6


# ---------------------------------------------------------------------------------------------
# 2. The k leading exponents are the first k of the full spectrum.


@pytest.mark.parametrize("k", [1, 3])
def test_leading_k_equals_full(k):
    net, x0 = _small_scs()
    # Long frame warm-up: the initial frames differ (drawn with shapes (N, k) and (N, N)), and the
    # leading-k subspaces converge like exp(-(λ_k - λ_{k+1}) t); λ_3 - λ_4 ≈ 0.25 here, so after
    # t = 300 they agree to round-off (measured 3e-15 for k = 3; 1.5e-10 at t = 200).
    kw = {"dt": 0.1, "t_ons": 0.5, "t_warmup": 10.0, "t_frame_warmup": 300.0, "t_sim": 20.0,
          "n_blocks": 4, "key": jax.random.key(2)}
    full = jc.lyapunov_spectrum(net, x0, **kw)
    lead = jc.lyapunov_spectrum(net, x0, k=k, **kw)
    assert lead.exponents.shape == (k,) and full.exponents.shape == (N_SMALL,)
    np.testing.assert_array_equal(lead.state.x, full.state.x)  # one trajectory, same arithmetic
    np.testing.assert_allclose(lead.exponents, full.exponents[:k], rtol=0, atol=1e-10)
    np.testing.assert_allclose(lead.block_exponents, full.block_exponents[:, :k], rtol=0,
                               atol=1e-9)  # per block: 1/4 of the time (measured 1.3e-14)
    # The frames span the same subspace: equal orthogonal projectors (measured 1.3e-15).
    q_lead, q_full = np.asarray(lead.frame), np.asarray(full.frame)[:, :k]
    np.testing.assert_allclose(q_lead @ q_lead.T, q_full @ q_full.T, rtol=0, atol=1e-8)


def test_qr_interval_does_not_change_the_exponents():
    """QR of a product = product of the QRs: accumulating log|R_ii| every 0.5 or every 2.5 time
    units gives the same sums in exact arithmetic (what makes a long t_ons a free speed-up for
    k ≪ N, as long as the frame stays well conditioned)."""
    net, x0 = _small_scs()
    kw = {"dt": 0.1, "k": 5, "t_warmup": 10.0, "t_frame_warmup": 5.0, "t_sim": 20.0,
          "n_blocks": 4, "key": jax.random.key(2)}
    short = jc.lyapunov_spectrum(net, x0, t_ons=0.5, **kw)
    long = jc.lyapunov_spectrum(net, x0, t_ons=2.5, **kw)
    # Same trajectory and the same initial frame, warmed up over the same time: only the
    # grouping of the QRs differs (round-off, measured 4e-15 on block sums of order 1).
    np.testing.assert_array_equal(short.state.x, long.state.x)
    np.testing.assert_allclose(long.block_exponents, short.block_exponents, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 3. Lorenz-63 and Hénon against published values (Sprott, "Chaos and Time-Series Analysis").

LORENZ_PUBLISHED = np.array([0.9056, 0.0, -14.5723])
LORENZ_TRACE = -(10.0 + 1.0 + 8.0 / 3.0)


@pytest.fixture(scope="module")
def lorenz_spectrum():
    return jc.lyapunov_spectrum(Lorenz(), jnp.array([1.0, 1.0, 20.0]), dt=0.01, solver="tsit5",
                                t_ons=0.1, t_warmup=20.0, t_frame_warmup=20.0, t_sim=1000.0,
                                n_blocks=20, key=jax.random.key(0))


def test_lorenz_exponents(lorenz_spectrum):
    lam, err = np.asarray(lorenz_spectrum.exponents), np.asarray(lorenz_spectrum.stderr)
    # Measured over t = 1000: λ = (0.8985, 1.5e-4, -14.565), stderr (0.006, 0.003, 0.005);
    # each tolerance is ≥ 3 stderr and well below the O(1) errors of a broken method.
    assert abs(lam[0] - LORENZ_PUBLISHED[0]) < 0.03
    assert abs(lam[1]) < 0.01  # the flow direction: an autonomous flow's zero exponent
    assert abs(lam[2] - LORENZ_PUBLISHED[2]) < 0.1
    assert np.all(err < 0.015)
    # Constant divergence: Σλ = -(σ + 1 + β) up to tsit5's O(dt⁵)-per-unit-time error in log det
    # (measured 7e-8 at dt = 0.01).
    assert abs(np.sum(lam) - LORENZ_TRACE) < 1e-6
    # Kaplan–Yorke 2 + (λ1 + λ2)/|λ3| = 2.0621 (Sprott); the λ1 tolerance moves it by ≤ 0.002
    # (measured 2.0617).
    assert abs(jc.kaplan_yorke_dimension(lam) - 2.0621) < 0.003


def test_lorenz_sum_rk4(getkey):
    # The trace is constant, so even a short window gives Σλ = -13.667 + O(dt⁴): RK4's error
    # in log det of one step is ~(dt·|D|)⁵/5! per step: 1.0e-4 per unit time measured at dt = 0.01.
    spec = jc.lyapunov_spectrum(Lorenz(), jnp.array([1.0, 1.0, 20.0]), dt=0.01, solver="rk4",
                                t_ons=0.1, t_warmup=20.0, t_frame_warmup=1.0, t_sim=50.0,
                                n_blocks=5, key=getkey())
    assert abs(np.sum(spec.exponents) - LORENZ_TRACE) < 3e-4


def test_henon_exponents():
    spec = jc.lyapunov_spectrum(Henon(), jnp.array([0.0, 0.0]), t_ons=1, t_warmup=100,
                                t_frame_warmup=100, t_sim=100_000, n_blocks=20,
                                key=jax.random.key(0))
    # 10⁵ steps: stderr 1.3e-3, measured error 9e-4 for both exponents.
    np.testing.assert_allclose(spec.exponents, [0.41922, -1.62319], rtol=0, atol=0.01)
    # det DF = -b at every point, so Σλ = log b per step exactly (measured 2e-16 relative).
    np.testing.assert_allclose(np.sum(spec.exponents), math.log(0.3), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# 4. Linear systems with known exponents (x0 = 0: a fixed point, so the state never overflows).

LINEAR_EIGENVALUES = np.array([1.3, -0.9, 0.6, 0.25, -0.1])


def _linear_matrices():
    rng = np.random.default_rng(0)
    n = len(LINEAR_EIGENVALUES)
    rotation = np.linalg.qr(rng.normal(size=(n, n)))[0]
    return {
        "diagonal": np.diag(LINEAR_EIGENVALUES),
        "upper_triangular": np.triu(rng.normal(size=(n, n)), 1) + np.diag(LINEAR_EIGENVALUES),
        "symmetric": rotation @ np.diag(LINEAR_EIGENVALUES) @ rotation.T,
    }


@pytest.mark.parametrize("kind", ["diagonal", "upper_triangular", "symmetric"])
def test_linear_map_exponents(kind):
    a = _linear_matrices()[kind]
    spec = jc.lyapunov_spectrum(LinearMap(jnp.asarray(a)), jnp.zeros(5), t_ons=1, t_warmup=0,
                                t_frame_warmup=200, t_sim=200, n_blocks=4, key=jax.random.key(0))
    expected = np.sort(np.log(np.abs(LINEAR_EIGENVALUES)))[::-1]
    # The frame converges to the Schur basis like (|λ_{i+1}/λ_i|)^t ≤ 0.69^200 ~ 1e-32; then
    # |R_ii| = |λ_i| up to round-off (measured 9e-16).
    np.testing.assert_allclose(spec.exponents, expected, rtol=0, atol=1e-12)


def test_linear_flow_rk4_exponents():
    mu = np.array([0.5, 0.2, -0.3, -1.0, -2.0])
    rotation = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))[0]
    a = rotation @ np.diag(mu) @ rotation.T
    dt = 0.1
    spec = jc.lyapunov_spectrum(LinearFlow(jnp.asarray(a)), jnp.zeros(5), dt=dt, solver="rk4",
                                t_ons=0.5, t_warmup=0.0, t_frame_warmup=50.0, t_sim=50.0,
                                n_blocks=4, key=jax.random.key(0))
    z = dt * mu
    step_eigenvalues = 1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24  # of the RK4 step matrix
    exact = np.sort(np.log(np.abs(step_eigenvalues)) / dt)[::-1]
    # Exact for the scheme; frame converges like e^{-0.3·50}·...; measured 3e-15.
    np.testing.assert_allclose(spec.exponents, exact, rtol=0, atol=1e-12)
    # ... and λ_i = μ_i up to RK4's (dt μ)⁵/5!/dt = 2.7e-5 for μ = -2.
    np.testing.assert_allclose(spec.exponents, mu, rtol=0, atol=5e-5)


# ---------------------------------------------------------------------------------------------
# 6. Maps: the Euler map of a flow, Cessac's network.


def test_euler_map_is_the_euler_flow(getkey):
    net, x0 = _small_scs()
    key = getkey()
    for delta in (0.1, 0.05):
        flow = jc.lyapunov_spectrum(net, x0, dt=delta, solver="euler", t_ons=5 * delta,
                                    key=key, **WINDOW)
        steps = {name: round(WINDOW[name] / delta)
                 for name in ("t_warmup", "t_frame_warmup", "t_sim")}
        mapped = jc.lyapunov_spectrum(jc.EulerMap(net, delta), x0, t_ons=5, n_blocks=4,
                                      key=key, **steps)
        # Same steps (the map's analytic jvp vs diffrax's Euler step differentiated) and the
        # same frame; only round-off differs on a non-chaotic orbit: measured 1.2e-14.
        np.testing.assert_allclose(mapped.exponents / delta, flow.exponents, rtol=0, atol=1e-11)


def test_euler_map_tends_to_the_flow_at_a_fixed_point():
    """Cheap δ → 0 check: SCS with symmetric W at the fixed point x = 0 has Jacobian
    A = -I + gW (φ'(0) = 1) with real eigenvalues a_i; the Euler map's exponents per unit time
    are log|1 + δ a_i|/δ = a_i - δ a_i²/2 + O(δ²)."""
    w_eigenvalues = np.linspace(1.5, -1.5, 8)
    rotation = np.linalg.qr(np.random.default_rng(2).normal(size=(8, 8)))[0]
    w = rotation @ np.diag(w_eigenvalues) @ rotation.T
    net = jc.SCSNetwork(jnp.asarray(w), 0.5)
    a = -1.0 + 0.5 * w_eigenvalues  # descending
    errors = []
    for delta in (0.02, 0.01):
        spec = jc.lyapunov_spectrum(jc.EulerMap(net, delta), jnp.zeros(8), t_ons=1, t_warmup=0,
                                    t_frame_warmup=round(150 / delta),
                                    t_sim=round(20 / delta), n_blocks=4, key=jax.random.key(0))
        exact = np.log(np.abs(1 + delta * a)) / delta
        # Gaps of 0.21 per unit time: after t = 150 the frame is the eigenbasis to e^{-32};
        # then exact up to round-off (measured 2e-14).
        np.testing.assert_allclose(spec.exponents / delta, exact, rtol=0, atol=1e-11)
        errors.append(np.max(np.abs(spec.exponents / delta - a)))
    # First order in δ: halving δ halves the distance to the flow's exponents (measured 2.02).
    assert 1.8 < errors[0] / errors[1] < 2.2


def test_cessac_uncoupled_exponents_are_log_leak(getkey):
    net = jc.CessacNetwork.random(getkey(), N_SMALL, 2.0, leak=0.3, coupling_std=0.0,
                                  threshold_std=0.2)
    spec = jc.lyapunov_spectrum(net, t_ons=1, t_warmup=10, t_frame_warmup=10, t_sim=40,
                                n_blocks=4, key=getkey())
    # DF = γ I: every R_ii is γ up to one rounding per step (measured 2e-16).
    np.testing.assert_allclose(spec.exponents, np.full(N_SMALL, math.log(0.3)), rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# 7. A sweep of spectra over seeds and gains equals single `lyapunov_spectrum` runs.

SWEEP_N, SWEEP_K, SWEEP_DT, SWEEP_T_ONS = 100, 5, 0.1, 0.5
SWEEP_TIMES = {"t_warmup": 20.0, "t_frame_warmup": 20.0, "t_sim": 60.0, "n_blocks": 4}
SWEEP_INTEGRATOR = jc.Integrator(dt=SWEEP_DT, solver="tsit5")
SWEEP_ENGINE = jc.LyapunovEngine(
    SWEEP_INTEGRATOR, SWEEP_K, round(SWEEP_T_ONS / SWEEP_DT),
    warmup_steps=round(SWEEP_TIMES["t_warmup"] / SWEEP_DT),
    frame_warmup_qrs=round(SWEEP_TIMES["t_frame_warmup"] / SWEEP_T_ONS),
    n_blocks=SWEEP_TIMES["n_blocks"],
    qrs_per_block=round(SWEEP_TIMES["t_sim"] / (SWEEP_TIMES["n_blocks"] * SWEEP_T_ONS)),
)


def _sweep_network(point):
    return jc.SCSNetwork.random(jax.random.key(point["seed"]), SWEEP_N, point["g"])


def _sweep_key(seed):
    return jax.random.fold_in(jax.random.key(seed), 1)


def _sweep_point(point):
    """What `lyapunov_spectrum` does for one point: split the key into x0 / frame / noise."""
    net = _sweep_network(point)
    key_x0, key_frame, _ = jax.random.split(_sweep_key(point["seed"]), 3)
    state = SWEEP_INTEGRATOR.init(net, net.initial_state(key_x0))
    return SWEEP_ENGINE.run(net, state, key_frame)


def test_sweep_of_spectra_equals_single_runs():
    axes = {"seed": [0, 1], "g": [0.5, 3.0]}
    # QR in concurrently running fake CPU devices can deadlock (see `qr_safe_devices`): on CPU
    # this is one device, so the grid is vmapped, not sharded (sharding: tests/test_sweep.py).
    state, _, block_sums, _ = jc.Sweep(_sweep_point, axes, devices=jc.qr_safe_devices())()
    assert block_sums.shape == (2, 2, SWEEP_TIMES["n_blocks"], SWEEP_K)
    exponents, stderr, _, times, history = summarize_blocks(block_sums, SWEEP_ENGINE.block_time)
    np.testing.assert_allclose(times[-1], SWEEP_TIMES["t_sim"])
    for i, seed in enumerate(axes["seed"]):
        for j, g in enumerate(axes["g"]):
            ref = jc.lyapunov_spectrum(_sweep_network({"seed": seed, "g": g}), k=SWEEP_K,
                                       dt=SWEEP_DT, solver="tsit5", t_ons=SWEEP_T_ONS,
                                       key=_sweep_key(seed), **SWEEP_TIMES)
            # The sweep does W @ (N, gains·k) matmuls, the single run matvecs per column: the
            # sums differ by ~1e-16. g = 0.5 decays to the fixed point (no amplification,
            # measured 3e-16); g = 3 is chaotic (λ1 ≈ 0.13), which amplifies them by
            # ~e^{0.13·100} over t = 100 (measured 5e-11 in the exponents, 2e-9 in x).
            tol = 1e-12 if g < 1 else 1e-8
            np.testing.assert_allclose(exponents[i, j], ref.exponents, rtol=0, atol=tol)
            np.testing.assert_allclose(stderr[i, j], ref.stderr, rtol=0, atol=tol)
            np.testing.assert_allclose(history[i, j], ref.history, rtol=0, atol=tol)
            np.testing.assert_allclose(state.x[i, j], ref.state.x, rtol=0, atol=100 * tol)
    # The grid points really differ (no axis silently ignored), and g = 3 is chaotic.
    assert np.abs(exponents[0, 0] - exponents[1, 0]).max() > 1e-3
    assert np.all(exponents[:, 1, :].max(axis=-1) > 0.03)
    assert np.all(exponents[:, 0, :] < -0.3)


# ---------------------------------------------------------------------------------------------
# 5. λ_max from two nearby trajectories vs the tangent method.

CHAOTIC_N, CHAOTIC_G = 100, 3.0  # N = 100 networks at g = 2 are mostly limit cycles (λ1 ≈ 0)


def _chaotic_network():
    return jc.SCSNetwork.random(jax.random.key(0), CHAOTIC_N, CHAOTIC_G)


def test_two_trajectories_agree_with_spectrum():
    net = _chaotic_network()
    key = jax.random.key(1)
    spec = jc.lyapunov_spectrum(net, dt=0.1, k=1, t_ons=1.0, t_warmup=50.0,
                                t_frame_warmup=20.0, t_sim=1000.0, n_blocks=20, key=key)
    lam = jc.largest_exponent_two_trajectories(net, dt=0.1, t_renorm=1.0, t_warmup=50.0,
                                               t_sim=1000.0, key=jax.random.key(7))
    lam1, err = float(spec.exponents[0]), float(spec.stderr[0])
    assert lam1 > 5 * err  # chaotic: λ1 = 0.109 ± 0.009
    # Independent estimates over t = 1000 (different x0): their difference has standard error
    # ≈ √2 · stderr; allow 4 of those (measured 1.1).
    assert abs(lam - lam1) < 4 * math.sqrt(2) * err


@pytest.mark.parametrize("solver", ["euler", "rk4", "tsit5", "dopri5"])
def test_two_trajectories_is_the_tangent_method_on_one_trajectory(solver):
    """With the same key both functions draw the same x0 and the same initial direction
    (`split(key, 3)[0:2]`), follow the same trajectory (same fixed-step arithmetic), and with
    `t_frame_warmup = 0` accumulate over the same window: the two-trajectory estimate is then the
    tangent method up to the finite separation (1e-8)."""
    net = _chaotic_network()
    key = jax.random.key(1)
    _, key_direction, _ = jax.random.split(key, 3)
    # Guard for the premise: the frame's first column is the normalized direction (up to sign).
    direction = jax.random.normal(key_direction, (CHAOTIC_N,))
    frame = jnp.linalg.qr(jax.random.normal(key_direction, (CHAOTIC_N, 1)))[0][:, 0]
    assert abs(abs(float(frame @ direction)) - float(jnp.linalg.norm(direction))) < 1e-12
    spec = jc.lyapunov_spectrum(net, dt=0.1, solver=solver, k=1, t_ons=1.0, t_warmup=50.0,
                                t_frame_warmup=0.0, t_sim=200.0, n_blocks=10, key=key)
    lam = jc.largest_exponent_two_trajectories(net, dt=0.1, solver=solver, t_renorm=1.0,
                                               t_warmup=50.0, t_sim=200.0, key=key)
    # The distance |x' - x| ≈ 1e-8 is computed from O(1) states: ~1e-8 relative round-off per
    # interval, plus O(separation) nonlinearity: measured 6e-7 (euler), 6e-8 (rk4).
    assert abs(lam - float(spec.exponents[0])) < 1e-5


# ---------------------------------------------------------------------------------------------
# 8. Summaries: history, standard errors, KS entropy, Kaplan–Yorke dimension.


def test_history_and_stderr(lorenz_spectrum):
    spec = lorenz_spectrum
    n_blocks = 20
    assert spec.history.shape == (n_blocks, 3) and spec.block_exponents.shape == (n_blocks, 3)
    np.testing.assert_allclose(spec.history_times, 50.0 * np.arange(1, n_blocks + 1))
    # cumsum / time vs mean of block means: the same sums in another order (1e-15 relative).
    np.testing.assert_allclose(spec.history[-1], spec.exponents, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.mean(spec.block_exponents, axis=0), spec.exponents,
                               rtol=1e-12, atol=1e-15)
    blocks = np.asarray(spec.block_exponents)
    np.testing.assert_allclose(spec.stderr, blocks.std(axis=0, ddof=1) / math.sqrt(n_blocks),
                               rtol=1e-12)
    assert np.all(np.isfinite(spec.stderr)) and np.all(np.asarray(spec.stderr) > 0)


def test_single_block_has_nan_stderr(getkey):
    spec = jc.lyapunov_spectrum(Henon(), jnp.array([0.0, 0.0]), t_ons=1, t_warmup=10,
                                t_frame_warmup=10, t_sim=100, n_blocks=1, key=getkey())
    assert np.all(np.isnan(spec.stderr))
    np.testing.assert_allclose(spec.history[-1], spec.exponents, rtol=1e-14)


HENON_ROUNDS = {"t_ons": 1, "t_warmup": 100, "t_frame_warmup": 10, "t_sim": 200, "n_blocks": 4}


def test_stopping_rule_continues_until_tolerance():
    x0, key = jnp.array([0.0, 0.0]), jax.random.key(0)
    once = jc.lyapunov_spectrum(Henon(), x0, key=key, **HENON_ROUNDS)
    assert float(jnp.max(once.stderr)) > 0.01  # one round (t = 200) is not enough ...
    spec = jc.lyapunov_spectrum(Henon(), x0, tol=0.01, key=key, **HENON_ROUNDS)
    assert float(jnp.max(spec.stderr)) <= 0.01  # ... so it went on, in whole rounds,
    rounds = spec.block_exponents.shape[0] // 4
    assert spec.block_exponents.shape == (4 * rounds, 2) and rounds > 1
    np.testing.assert_allclose(spec.history_times[-1], 200.0 * rounds)
    # ... continuing the same trajectory and frame: the first round is the single run's.
    np.testing.assert_array_equal(spec.block_exponents[:4], once.block_exponents)
    # ... and stopped at the first round that met the tolerance.
    previous = summarize_blocks(spec.block_exponents[:-4] * 50.0, 50.0)[1]
    assert float(jnp.max(previous)) > 0.01
    # Hénon's λ_1 = 0.419 (Sprott 2003), within 3 standard errors.
    assert abs(float(spec.exponents[0]) - 0.419) < 3 * float(spec.stderr[0])


def test_stopping_rule_warns_at_t_max():
    with pytest.warns(RuntimeWarning, match=r"> tol = 0.0001 at t_max = 600"):
        spec = jc.lyapunov_spectrum(Henon(), jnp.array([0.0, 0.0]), tol=1e-4, t_max=600,
                                    key=jax.random.key(0), **HENON_ROUNDS)
    np.testing.assert_allclose(spec.history_times[-1], 600.0)


def test_ks_entropy(lorenz_spectrum):
    lam = np.asarray(lorenz_spectrum.exponents)
    np.testing.assert_allclose(jc.ks_entropy(lam), np.sum(lam[lam > 0]), rtol=1e-15)
    np.testing.assert_allclose(jc.ks_entropy(jnp.array([1.0, 0.0, -2.0])), 1.0)
    # Reduces over the last axis, as for a sweep grid of spectra.
    np.testing.assert_allclose(jc.ks_entropy(jnp.array([[0.5, 0.2, -1.0], [-0.1, -0.2, -0.3]])),
                               [0.7, 0.0], rtol=1e-15)


@pytest.mark.parametrize(
    "exponents, expected",
    [
        ([1.0, 0.0, -2.0], 2.5),
        ([-2.0, 1.0, 0.0], 2.5),  # sorted first
        ([0.5, -1.0], 1.5),
        ([0.3, 0.1, -0.2, -0.4], 3.5),
        ([-0.1, -0.2, -3.0], 0.0),  # all negative
    ],
)
def test_kaplan_yorke_dimension(exponents, expected):
    assert jc.kaplan_yorke_dimension(exponents) == pytest.approx(expected, rel=1e-14)


def test_kaplan_yorke_needs_negative_partial_sum():
    with pytest.raises(jc.ConfigError, match="partial sums"):
        jc.kaplan_yorke_dimension([1.0, 0.5, -0.2])


# ---------------------------------------------------------------------------------------------
# 9. Warnings and bad input.


def test_warns_when_t_ons_too_long():
    system = LinearMap(jnp.diag(jnp.array([10.0, 0.1])))
    kw = {"t_warmup": 0, "t_frame_warmup": 20, "t_sim": 80, "n_blocks": 2,
          "key": jax.random.key(0)}
    # Directions separate by 20 · log(100) = 92 > log(1/√eps) = 18 within one QR interval.
    with pytest.warns(RuntimeWarning, match="t_ons"):
        jc.lyapunov_spectrum(system, jnp.zeros(2), t_ons=20, **kw)
    # log(100) = 4.6 per QR: no warning (pytest turns any warning into an error).
    spec = jc.lyapunov_spectrum(system, jnp.zeros(2), t_ons=1, **kw)
    np.testing.assert_allclose(spec.exponents, [math.log(10.0), math.log(0.1)], rtol=1e-13)


@pytest.mark.parametrize(
    "system, x0, overrides, match",
    [
        ("scs", None, {"k": 21}, "k"),
        ("scs", None, {"k": 0}, "k"),
        ("scs", None, {"k": 2.5}, "k"),
        ("scs", None, {"t_ons": 0.25}, "t_ons"),
        ("scs", None, {"t_sim": 21.0}, "t_sim"),  # not a multiple of 4 · 0.5
        ("scs", None, {"t_frame_warmup": 1.25}, "t_frame_warmup"),
        ("scs", None, {"key": None}, "key"),
        ("scs", None, {"dt": None}, "dt"),
        ("scs", "nan", {}, "x0"),
        ("scs", "short", {}, "x0"),
        ("henon", None, {"dt": 0.5}, "unit steps"),
        ("scs", None, {"solver": "nope"}, "solver"),
        ("neither", None, {}, "not a jaxchaos system"),
        ("scs", None, {"tol": -0.1}, "tol"),
        ("scs", None, {"tol": 0.1, "t_max": float("nan")}, "t_max"),
    ],
)
def test_bad_input(system, x0, overrides, match):
    systems = {"scs": _small_scs()[0], "henon": Henon(), "neither": object()}
    x0 = {None: None, "nan": jnp.full(N_SMALL, jnp.nan), "short": jnp.zeros(3)}[x0]
    kw = {"dt": 0.1, "t_ons": 0.5, "t_warmup": 1.0, "t_frame_warmup": 1.0, "t_sim": 20.0,
          "n_blocks": 4, "key": jax.random.key(0)}
    if system == "henon":
        kw.update(t_ons=1, t_warmup=1, t_frame_warmup=1, t_sim=4)
        kw.pop("dt")
    kw.update(overrides)
    with pytest.raises(jc.ConfigError, match=match):
        jc.lyapunov_spectrum(systems[system], x0, **kw)


@pytest.mark.parametrize(
    "system, x0, overrides, match",
    [
        ("scs", None, {"key": None}, "key"),
        ("scs", None, {"t_sim": 2.5}, "t_sim"),
        ("scs", "nan", {}, "x0"),
        ("henon", None, {"dt": 0.5}, "unit steps"),
    ],
)
def test_two_trajectories_bad_input(system, x0, overrides, match):
    """Same contract as `lyapunov_spectrum`: bad input is a ConfigError before compiling."""
    systems = {"scs": _small_scs()[0], "henon": Henon()}
    x0 = {None: None, "nan": jnp.full(N_SMALL, jnp.nan)}[x0]
    kw = {"dt": 0.1, "t_renorm": 1.0, "t_warmup": 1.0, "t_sim": 10.0, "key": jax.random.key(0)}
    if system == "henon":
        x0 = jnp.zeros(2)
    kw.update(overrides)
    with pytest.raises(jc.ConfigError, match=match):
        jc.largest_exponent_two_trajectories(systems[system], x0, **kw)
