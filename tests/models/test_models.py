"""Models: nonlinearities, connectivity statistics, analytic JVPs, inputs and argument checks."""

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._nonlinearities import NONLINEARITIES, sech2

# Float64 throughout (conftest): analytic and AD derivatives agree to rounding, ~1e-15 relative;
# 1e-12 leaves three orders of magnitude for accumulation over O(N) sums.
TIGHT = 1e-12


# --------------------------------------------------------------------------- nonlinearities


def _nonlinearity(name):
    return jc.Nonlinearity(name, shift=0.7) if name == "shifted_tanh" else jc.Nonlinearity(name)


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_derivative_matches_autodiff(name):
    phi = _nonlinearity(name)
    # Away from the kinks of relu / rectified_tanh at 0, where φ' is one-sided by convention.
    x = jnp.concatenate([jnp.linspace(-4.0, -0.01, 50), jnp.linspace(0.01, 4.0, 50)])
    expected = jax.vmap(jax.grad(phi))(x)
    np.testing.assert_allclose(phi.derivative(x), expected, rtol=0, atol=TIGHT)


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_antiderivative_is_zero_at_zero_and_differentiates_to_phi(name):
    phi = _nonlinearity(name)
    x = jnp.concatenate([jnp.linspace(-4.0, -0.01, 50), jnp.linspace(0.01, 4.0, 50)])
    assert float(phi.antiderivative(jnp.array(0.0))) == 0.0
    np.testing.assert_allclose(jax.vmap(jax.grad(phi.antiderivative))(x), phi(x), rtol=0,
                               atol=TIGHT)


@pytest.mark.parametrize("name", ["relu", "rectified_tanh"])
def test_kink_uses_right_derivative_zero(name):
    # The documented convention: φ'(0) = 0 at the kink.
    assert float(jc.Nonlinearity(name).derivative(jnp.array(0.0))) == 0.0


def test_erf_has_unit_slope_at_zero_and_matches_formula():
    phi = jc.Nonlinearity("erf")
    assert float(jax.grad(phi)(0.0)) == pytest.approx(1.0, abs=TIGHT)
    assert float(phi.derivative(jnp.array(0.0))) == 1.0
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(
        phi(jnp.asarray(x)), [math.erf(math.sqrt(math.pi) * v / 2) for v in x], rtol=0, atol=TIGHT
    )


def test_shifted_tanh_keeps_zero_at_zero():
    s = 0.7
    phi = jc.Nonlinearity("shifted_tanh", shift=s)
    assert float(phi(jnp.array(0.0))) == 0.0
    assert float(phi.derivative(jnp.array(0.0))) == pytest.approx(1 - math.tanh(s) ** 2, abs=TIGHT)
    # A bounded, monotone function: φ(±∞) = ±1 - tanh(s).
    assert float(phi(jnp.array(50.0))) == pytest.approx(1 - math.tanh(s), abs=TIGHT)


def test_tanh_slope_survives_saturation():
    """sech²(x) where 1 - tanh²(x) rounds to 0: float32 at x = 10, 20, 40 keeps the exact value
    4e^{-2x} (to float32 rounding), and its derivative stays finite far beyond overflow."""
    x = jnp.array([10.0, 20.0, 40.0, -40.0], jnp.float32)
    assert np.all(np.asarray(1 - jnp.tanh(x) ** 2) == 0)
    np.testing.assert_allclose(sech2(x), 4 * np.exp(-2 * np.abs(np.float64(x))), rtol=1e-6)
    assert np.isfinite(float(jax.grad(sech2)(jnp.float32(200.0))))
    assert float(sech2(jnp.float32(0.0))) == 1.0


def test_nonlinearity_values():
    x = jnp.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_array_equal(jc.Nonlinearity("relu")(x), [0.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(
        jc.Nonlinearity("rectified_tanh")(x), [0.0, 0.0, np.tanh(0.5), np.tanh(2.0)], atol=TIGHT
    )
    np.testing.assert_allclose(jc.Nonlinearity("tanh")(x), np.tanh(x), atol=TIGHT)


# ------------------------------------------------------------------------------ connectivity
# Statistical tolerances: 5 standard errors of the estimator. The keys are fixed, so these tests
# are deterministic; 5σ makes a false failure for a correct sampler (on a new key) < 1e-6.


def _off_diagonal(w):
    n = w.shape[0]
    return np.asarray(w)[~np.eye(n, dtype=bool)]


def test_dense_statistics(getkey):
    n = 400
    w = np.asarray(jc.Connectivity().sample(getkey(), n))
    assert w.shape == (n, n)
    assert np.all(np.diag(w) == 0.0)
    entries = _off_diagonal(w)
    m = entries.size
    # Mean: entries ~ N(0, 1/N), so the sample mean has standard error sqrt(1/(N m)).
    assert abs(entries.mean()) < 5 * math.sqrt(1 / (n * m))
    # Variance · N: relative standard error of a Gaussian sample variance is sqrt(2/m).
    assert abs(entries.var() * n - 1) < 5 * math.sqrt(2 / m)
    # Gaussian: the kurtosis is 3 (standard error sqrt(24/m)).
    kurtosis = np.mean(entries**4) / np.mean(entries**2) ** 2
    assert abs(kurtosis - 3) < 5 * math.sqrt(24 / m)


def test_dense_with_self_coupling(getkey):
    n = 300
    w = np.asarray(jc.Connectivity(zero_diagonal=False).sample(getkey(), n))
    diag = np.diag(w)
    assert np.all(diag != 0.0)
    # n diagonal entries ~ N(0, 1/N): variance · N within 5 standard errors sqrt(2/n).
    assert abs(np.mean(diag**2) * n - 1) < 5 * math.sqrt(2 / n)


def test_sparse_structure_and_normalisation(getkey):
    n, k = 300, 20
    w = np.asarray(jc.Connectivity(kind="sparse", k=k).sample(getkey(), n))
    nonzero = w != 0
    np.testing.assert_array_equal(nonzero.sum(axis=1), np.full(n, k))  # exactly k per row
    assert not np.any(np.diag(nonzero))
    row_power = (w**2).sum(axis=1)  # each row: chi²_k / k, mean 1 and std sqrt(2/k)
    assert abs(row_power.mean() - 1) < 5 * math.sqrt(2 / (k * n))
    assert np.all(np.abs(row_power - 1) < 6 * math.sqrt(2 / k))
    # The nonzero entries are N(0, 1/k): mean within 5 standard errors.
    values = w[nonzero]
    assert abs(values.mean()) < 5 * math.sqrt(1 / (k * values.size))
    # Inputs are spread over columns: every column gets some (expected k each; P(0) ~ e^-20).
    assert np.all(nonzero.sum(axis=0) > 0)


def test_sparse_with_all_inputs_and_self_coupling(getkey):
    # k = N is allowed without the zero diagonal: every entry is then nonzero.
    n = 12
    w = np.asarray(jc.Connectivity(kind="sparse", k=n, zero_diagonal=False).sample(getkey(), n))
    assert np.all(w != 0)
    # k = N - 1 with zero diagonal: all off-diagonal entries nonzero.
    w = np.asarray(jc.Connectivity(kind="sparse", k=n - 1).sample(getkey(), n))
    np.testing.assert_array_equal(w != 0, ~np.eye(n, dtype=bool))


def test_excitatory_inhibitory_blocks(getkey):
    n, f_e = 500, 0.8
    block_std = ((1.0, 2.0), (0.5, 1.5))
    block_mean = ((1.0, -2.0), (0.5, -1.0))
    conn = jc.Connectivity(excitatory_fraction=f_e, block_std=block_std, block_mean=block_mean)
    pop = conn.population(n)
    n_e = int(round(f_e * n))
    np.testing.assert_array_equal(pop, [0] * n_e + [1] * (n - n_e))
    w = np.asarray(conn.sample(getkey(), n))
    offdiag = ~np.eye(n, dtype=bool)
    for a in (0, 1):
        for b in (0, 1):
            block = w[(pop[:, None] == a) & (pop[None, :] == b) & offdiag]
            std, mean = block_std[a][b] / math.sqrt(n), block_mean[a][b] / n
            m = block.size
            # Mean: standard error std/sqrt(m); std: relative standard error sqrt(1/(2m)).
            assert abs(block.mean() - mean) < 5 * std / math.sqrt(m), (a, b)
            assert abs(block.std() / std - 1) < 5 * math.sqrt(1 / (2 * m)), (a, b)
    assert np.all(np.diag(w) == 0)


def test_sparse_blocks_scale_with_k(getkey):
    n, k = 400, 40
    conn = jc.Connectivity(kind="sparse", k=k, excitatory_fraction=0.5,
                           block_mean=((3.0, -3.0), (3.0, -3.0)))
    w = np.asarray(conn.sample(getkey(), n))
    pop = conn.population(n)
    excitatory_inputs = w[:, pop == 0][w[:, pop == 0] != 0]
    m = excitatory_inputs.size
    # Nonzero entries from E: mean 3/k, std 1/sqrt(k); 5 standard errors.
    assert abs(excitatory_inputs.mean() - 3 / k) < 5 / math.sqrt(k * m)
    np.testing.assert_array_equal((w != 0).sum(axis=1), np.full(n, k))


def test_same_key_same_matrix(getkey):
    key = getkey()
    a = jc.SCSNetwork.random(key, 20, 1.5).weights
    b = jc.SCSNetwork.random(key, 20, 1.5).weights
    c = jc.SCSNetwork.random(getkey(), 20, 1.5).weights
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# ------------------------------------------------------------------------------ analytic JVPs


def _check_jvp(system, fn, x, key):
    """system.jvp at x equals the dense Jacobian jacfwd(fn)(x) applied to a vector and a frame."""
    jacobian = jax.jacfwd(fn)(x)
    k_vec, k_frame = jax.random.split(key)
    v = jax.random.normal(k_vec, x.shape)
    frame = jax.random.normal(k_frame, (x.shape[0], 4))
    t = 0.37
    np.testing.assert_allclose(system.jvp(t, x, v, None), jacobian @ v, rtol=0, atol=TIGHT)
    out = system.jvp(t, x, frame, None)
    assert out.shape == frame.shape
    np.testing.assert_allclose(out, jacobian @ frame, rtol=0, atol=TIGHT)


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_scs_jvp_matches_jacfwd(getkey, name):
    n = 30
    net = jc.SCSNetwork.random(getkey(), n, 1.7, nonlinearity=_nonlinearity(name),
                               input=jc.SinusoidalInput(0.3, 0.2))
    x = jax.random.normal(getkey(), (n,))  # no exact zeros: away from the relu kink
    _check_jvp(net, lambda y: net.vector_field(0.37, y, None), x, getkey())


def test_euler_map_jvp_matches_jacfwd(getkey):
    n, dt = 25, 0.1
    flow = jc.SCSNetwork.random(getkey(), n, 2.0, nonlinearity="erf")
    euler = jc.EulerMap(flow, dt)
    x = jax.random.normal(getkey(), (n,))
    _check_jvp(euler, lambda y: euler.map(0.37, y, None), x, getkey())
    # The map itself is one Euler step of the flow.
    np.testing.assert_allclose(
        euler.map(3, x, None), x + dt * flow.vector_field(3 * dt, x, None), rtol=0, atol=TIGHT
    )


def test_cessac_jvp_matches_jacfwd(getkey):
    n = 25
    net = jc.CessacNetwork.random(getkey(), n, 1.3, threshold_mean=0.2, threshold_std=0.3,
                                  coupling_std=1.5, coupling_mean=0.8, leak=0.4)
    x = jax.random.normal(getkey(), (n,))
    _check_jvp(net, lambda y: net.map(0, y, None), x, getkey())


def test_cessac_map_formula(getkey):
    # u(t+1) = γu + J_std W tanh(g u) + (J̄/N) Σ_j tanh(g u_j) - θ, against numpy.
    n, g, gamma, j_std, j_mean = 15, 1.3, 0.4, 1.5, 0.8
    theta = np.asarray(jax.random.normal(getkey(), (n,)))
    w = np.asarray(jax.random.normal(getkey(), (n, n))) / math.sqrt(n)
    net = jc.CessacNetwork(w, g, coupling_std=j_std, coupling_mean=j_mean, leak=gamma,
                           thresholds=theta)
    u = np.asarray(jax.random.normal(getkey(), (n,)))
    rates = np.tanh(g * u)
    expected = gamma * u + j_std * w @ rates + j_mean * rates.mean() - theta
    np.testing.assert_allclose(net.map(0, jnp.asarray(u), None), expected, rtol=0, atol=TIGHT)


def test_default_jvp_of_abstract_flow(getkey):
    # A user-defined flow without an analytic jvp falls back to forward-mode AD.
    class Cubic(jc.AbstractFlow):
        noise: None = None

        @property
        def n(self):
            return 3

        def vector_field(self, t, x, args):
            return -(x**3) + jnp.roll(x, 1)

    system = Cubic()
    x = jnp.array([0.3, -1.2, 0.8])
    _check_jvp(system, lambda y: system.vector_field(0.0, y, None), x, getkey())


# ----------------------------------------------------------------------------------- inputs


def test_constant_input(getkey):
    assert float(jc.ConstantInput(0.4)(1.3)) == 0.4
    values = jnp.arange(5.0)
    np.testing.assert_array_equal(jc.ConstantInput(values)(7.0), values)
    # The input enters the vector field additively: f(t, 0) = I(t) when φ(0) = 0.
    w = jc.Connectivity().sample(getkey(), 5)
    net = jc.SCSNetwork(w, 1.5, input=jc.ConstantInput(values))
    np.testing.assert_array_equal(net.vector_field(0.0, jnp.zeros(5), None), values)


def test_sinusoidal_common_and_independent(getkey):
    amp, freq, n = 0.5, 0.25, 200
    common = jc.SinusoidalInput(amp, freq, phase=0.3)
    t = 1.7
    expected = amp * math.sin(2 * math.pi * freq * t + 0.3)
    assert float(common(t)) == pytest.approx(expected, abs=TIGHT)
    net = jc.SCSNetwork(jc.Connectivity().sample(getkey(), n), 1.5, input=common)
    drive = np.asarray(net.vector_field(t, jnp.zeros(n), None))
    assert np.all(drive == drive[0])  # one value for every neuron

    independent = jc.SinusoidalInput.independent(getkey(), n, amp, freq)
    phases = np.asarray(independent.phase)
    assert phases.shape == (n,)
    assert np.all((phases >= 0) & (phases < 2 * math.pi))
    # Uniform phases: mean 2π·1/2 within 5 standard errors (std of U(0, 2π) is 2π/√12).
    assert abs(phases.mean() - math.pi) < 5 * 2 * math.pi / math.sqrt(12 * n)
    values = np.asarray(independent(t))
    np.testing.assert_allclose(values, amp * np.sin(2 * np.pi * freq * t + phases), atol=TIGHT)
    assert np.all(np.abs(values) <= amp) and values.std() > 0.2 * amp
    # Same power for every neuron: over 40 equally spaced samples of one period (1/freq = 4) the
    # mean of sin² is exactly 1/2 whatever the phase (discrete orthogonality), up to rounding.
    samples = np.stack([np.asarray(independent(s)) for s in 0.1 * np.arange(40)])
    np.testing.assert_allclose(np.mean(samples**2, axis=0), amp**2 / 2, rtol=1e-10)


def test_function_input(getkey):
    n = 4
    inp = jc.FunctionInput(lambda t: jnp.cos(t) * jnp.arange(n))
    np.testing.assert_allclose(inp(0.5), np.cos(0.5) * np.arange(n), atol=TIGHT)
    net = jc.SCSNetwork(jc.Connectivity().sample(getkey(), n), 0.0, input=inp)
    np.testing.assert_allclose(
        net.vector_field(0.5, jnp.ones(n), None), -1 + np.cos(0.5) * np.arange(n), atol=TIGHT
    )
    # Traceable: works under jit.
    np.testing.assert_allclose(jax.jit(inp)(0.5), inp(0.5), atol=TIGHT)


def test_constant_input_drives_relaxation(getkey):
    # g = 0: dx/dt = -x + c, x(0) = 0 → x(t) = c (1 - e^{-t}). RK4 at dt = 0.01 has global error
    # ~ dt⁴ ~ 1e-8 relative; 1e-9 absolute is comfortably above the observed ~1e-11.
    n, c = 3, jnp.array([0.5, -1.0, 2.0])
    net = jc.SCSNetwork(jc.Connectivity().sample(getkey(), n), 0.0, input=jc.ConstantInput(c))
    sim = jc.simulate(net, jnp.zeros(n), t1=2.0, dt=0.01, record_every=0.5, solver="rk4")
    times = 0.5 * np.arange(1, 5)
    expected = np.asarray(c)[None, :] * (1 - np.exp(-times))[:, None]
    np.testing.assert_allclose(sim.records["trajectory"], expected, rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------- argument checks


def _raises_naming(field, fn, *args, **kwargs):
    """fn(...) raises ConfigError whose message names `field` as a word."""
    with pytest.raises(jc.ConfigError) as info:
        fn(*args, **kwargs)
    assert re.search(rf"(?<![A-Za-z_]){re.escape(field)}(?![A-Za-z_])", str(info.value)), (
        f"{field!r} not named in: {info.value}"
    )


def test_bad_nonlinearity(getkey):
    _raises_naming("nonlinearity", jc.Nonlinearity, "sigmoid")
    _raises_naming("nonlinearity", jc.SCSNetwork.random, getkey(), 10, 1.5, nonlinearity="sigm")


def test_shift_without_shifted_tanh_is_a_config_error():
    # A shift given to a nonlinearity that ignores it is a configuration error like the others.
    _raises_naming("shift", jc.Nonlinearity, "tanh", shift=0.5)


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_bad_network_size(getkey, n):
    _raises_naming("n", jc.SCSNetwork.random, getkey(), n, 1.5)
    _raises_naming("n", jc.CessacNetwork.random, getkey(), n, 1.5)


@pytest.mark.parametrize("gain", [float("nan"), -0.5, float("inf")])
def test_bad_gain(getkey, gain):
    _raises_naming("gain", jc.SCSNetwork.random, getkey(), 10, gain)
    _raises_naming("slope", jc.CessacNetwork.random, getkey(), 10, gain)


def test_bad_noise(getkey):
    _raises_naming("noise", jc.SCSNetwork.random, getkey(), 10, 1.5, noise=-0.1)
    _raises_naming("noise", jc.SCSNetwork.random, getkey(), 10, 1.5, noise=float("nan"))
    _raises_naming("noise", jc.CessacNetwork.random, getkey(), 10, 1.5, noise=-1.0)


@pytest.mark.parametrize("leak", [1.0, 1.5, -0.1])
def test_bad_leak(getkey, leak):
    _raises_naming("leak", jc.CessacNetwork.random, getkey(), 10, 1.5, leak=leak)


def test_bad_weights():
    _raises_naming("weights", jc.SCSNetwork, np.zeros((3, 4)), 1.5)
    _raises_naming("weights", jc.SCSNetwork, np.zeros(3), 1.5)
    _raises_naming("weights", jc.CessacNetwork, np.zeros((4, 3)), 1.5)


def test_bad_connectivity(getkey):
    _raises_naming("k", jc.SCSNetwork.random, getkey(), 10, 1.5,
                   connectivity=jc.Connectivity(kind="sparse", k=10))  # only 9 inputs possible
    _raises_naming("k", jc.CessacNetwork.random, getkey(), 10, 1.5,
                   connectivity=jc.Connectivity(kind="sparse", k=11, zero_diagonal=False))
    _raises_naming("k", jc.Connectivity, kind="sparse")
    _raises_naming("k", jc.Connectivity, kind="sparse", k=0)
    _raises_naming("kind", jc.Connectivity, kind="banded")
    _raises_naming("excitatory_fraction", jc.Connectivity, excitatory_fraction=1.0)
    _raises_naming("block_std", jc.Connectivity, excitatory_fraction=0.5,
                   block_std=((1.0, -1.0), (1.0, 1.0)))


def test_bad_inputs(getkey):
    _raises_naming("input", jc.SCSNetwork.random, getkey(), 10, 1.5, input=lambda t: t)
    _raises_naming("amplitude", jc.SinusoidalInput, -1.0, 0.1)
    _raises_naming("frequency", jc.SinusoidalInput, 1.0, float("nan"))
    _raises_naming("value", jc.ConstantInput, float("inf"))
