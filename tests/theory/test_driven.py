"""The input-locked state of the driven SCS network (`locked_state`, `critical_input_amplitude`)
against an independent NumPy implementation (the one experiments/chaos_suppression.py used
before the theory moved into the library: Gauss–Hermite quadrature, SciPy root finding), exact
limits, and the non-monotonic A_c(f) of Rajan, Abbott & Sompolinsky (2010)."""

import warnings

import jax
import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq

import jaxchaos as jc
from jaxchaos import ConfigError

# a low resolution for the tests that need many solutions (E0 to ~1e-5)
LOW = {"grid": 32, "phases": 16, "points": 32, "tolerance": 1e-2}


# ------------------------------------------------------------ the NumPy reference


def reference_locked_state(gain, amplitude, frequency, *, grid, phases, hermite, tol=1e-11,
                           max_iterations=600, history=6):
    """(E0, Δ0): Gauss–Hermite in the two Gaussian variables, the whole period on the grid,
    Anderson mixing with NumPy's lstsq, E0 from NumPy's eigvalsh (same equations as
    jaxchaos._theory._driven, independent numerics)."""
    period = 1.0 / frequency
    tau = np.arange(grid) * period / grid
    omega_n = 2 * np.pi * frequency * np.fft.fftfreq(grid, d=1.0 / grid)
    omega = 2 * np.pi * frequency
    a = amplitude / np.sqrt(1 + omega**2)
    theta = (np.arange(phases) + 0.5) * 2 * np.pi / phases
    z, wz = hermegauss(hermite)
    wz = wz / wz.sum()
    weights = (wz[:, None] * wz[None, :])[:, :, None, None] / phases
    h0 = a * np.sin(theta)[:, None]
    ht = a * np.sin(theta[:, None] + omega * tau[None, :])
    z1, z2 = z[:, None, None, None], z[None, :, None, None]

    def expect(d, fun):
        s0 = np.sqrt(max(d[0], 0.0))
        c = np.clip(d / d[0], -1.0, 1.0) if d[0] > 0 else np.zeros_like(d)
        x0 = h0[None, None] + s0 * z1
        xt = ht[None, None] + s0 * (c * z1 + np.sqrt(1 - c**2) * z2)
        return np.sum(weights * fun(x0) * fun(xt), axis=(0, 1, 2))

    def update(d):
        rates = np.fft.fft(expect(d, np.tanh))
        return np.real(np.fft.ifft(gain**2 * rates / (1 + omega_n**2)))

    d, xs, rs = np.ones(grid), [], []
    for _ in range(max_iterations):
        residual = update(d) - d
        if np.max(np.abs(residual)) < tol:
            break
        xs, rs = (xs + [d.copy()])[-history:], (rs + [residual])[-history:]
        step = 0.5 * residual
        if len(xs) > 1:
            d_r = np.diff(np.array(rs), axis=0).T
            d_x = np.diff(np.array(xs), axis=0).T
            gamma = np.linalg.lstsq(d_r, residual, rcond=None)[0]
            step = step - (d_x + 0.5 * d_r) @ gamma
        d = d + step
    else:
        raise RuntimeError("reference iteration did not converge")
    kernel = expect(d, lambda x: 1 / np.cosh(x) ** 2)
    second = np.real(np.fft.ifft(-(omega_n**2)[:, None] * np.fft.fft(np.eye(grid), axis=0),
                                 axis=0))
    hamiltonian = -second - gain**2 * np.diag(kernel)
    return np.linalg.eigvalsh(0.5 * (hamiltonian + hamiltonian.T))[0], d[0]


def reference_static_critical_amplitude(gain, *, hermite=80, phases=96):
    """f = 0: x = a sin θ + √Δ z, Δ = g²⟨tanh²(x)⟩; the a where g²⟨sech⁴(x)⟩ = 1 (brentq)."""
    z, wz = hermegauss(hermite)
    wz = wz / wz.sum()
    theta = (np.arange(phases) + 0.5) * 2 * np.pi / phases

    def mean(fun, a, delta):
        x = a * np.sin(theta)[:, None] + np.sqrt(delta) * z[None, :]
        return float(np.sum(wz * fun(x)) / phases)

    def excess(a):
        delta = brentq(lambda d: gain**2 * mean(lambda x: np.tanh(x) ** 2, a, d) - d,
                       1e-6, 10 * gain**2, xtol=1e-14)
        return gain**2 * mean(lambda x: np.cosh(x) ** -4, a, delta) - 1.0

    return brentq(excess, 0.0, 3.0, xtol=1e-12)


# ------------------------------------------------------------ against the reference


@pytest.mark.parametrize(("amplitude", "frequency"), [(0.45, 0.03), (3.3, 0.5)])
def test_locked_state_matches_numpy_reference(amplitude, frequency):
    """The reference with 40 Gauss–Hermite nodes, 32 phases and 64 grid points is converged to
    ~2e-8 in E0 here (measured against 80 nodes, 64 phases, 256 points); the library with
    its default resolution to ~1e-9 (its own estimate). With 20 nodes, as the experiment once
    used, the reference is 1.2e-4 off at (0.45, 0.03): the tolerance 1e-7 would catch that."""
    e0, delta0 = reference_locked_state(1.5, amplitude, frequency, grid=64, phases=32,
                                        hermite=40)
    state = jc.locked_state(1.5, amplitude, frequency)
    assert abs(float(state.ground_energy) - e0) < 1e-7
    assert abs(float(state.delta0) - delta0) < 1e-7
    assert float(state.ground_energy_error) < 1e-6
    assert bool(state.stable) == (e0 > -1)


def test_static_critical_amplitude_matches_numpy_reference():
    """f = 0: the library's bisection + trapezoid rule against brentq + Gauss–Hermite (80
    nodes: converged to ~1e-10 at √Δ ≈ 0.9); the README's 0.595."""
    reference = reference_static_critical_amplitude(1.5)
    result = jc.critical_input_amplitude(1.5, 0.0)
    assert abs(float(result.amplitude) - reference) < 1e-7
    assert round(float(result.amplitude), 3) == 0.595
    assert float(result.ground_energy) == pytest.approx(-1.0, abs=1e-9)


def test_default_resolution_reaches_its_accuracy_at_larger_gain():
    """g = 3 (strong recurrence: D has fine structure in τ): the defaults must not warn and must
    agree with twice the grid to 1e-6. The grid rule 6 √(P g) used first (40 points here) was
    5.6e-5 off."""
    state = jc.locked_state(3.0, 2.0, 0.1)  # warnings are errors in the test suite
    grid, phases, points = jc.locked_resolution(3.0, 2.0, 0.1)
    finer = jc.locked_state(3.0, 2.0, 0.1, grid=2 * grid, phases=phases, points=points)
    assert abs(float(state.ground_energy - finer.ground_energy)) < 1e-6
    assert float(state.ground_energy_error) < 1e-6


# ------------------------------------------------------------ exact limits


@pytest.mark.parametrize("frequency", [0.0, 0.05])
def test_below_onset_without_input_is_the_quiet_fixed_point(frequency):
    """g < 1, A = 0: η = 0 (D ≡ 0), x = 0, K ≡ 1, so H = -d² - g² and E0 = -g² exactly,
    λ = g - 1; the critical amplitude is 0 (nothing to suppress)."""
    state = jc.locked_state(0.5, 0.0, frequency, **LOW)
    assert float(state.delta0) < 1e-10
    assert float(state.ground_energy) == pytest.approx(-0.25, abs=1e-9)
    assert float(state.lyapunov) == pytest.approx(-0.5, abs=1e-9)
    assert bool(state.stable)
    assert float(jc.critical_input_amplitude(0.5, frequency, **LOW).amplitude) == 0.0


def test_without_input_the_periodic_theory_is_the_static_one():
    """A = 0, g > 1: the iteration keeps D constant, D = g²⟨tanh²(√D z)⟩ (the static solution)
    and K is constant, so E0 = -g²⟨sech⁴⟩ at every f: the periodic and static codes agree to
    their quadrature's accuracy. Both unstable (E0 < -1: chaos without input)."""
    static = jc.locked_state(1.5, 0.0, 0.0)
    for frequency in (0.02, 0.3):
        periodic = jc.locked_state(1.5, 0.0, frequency, grid=32)
        assert float(periodic.delta0) == pytest.approx(float(static.delta0), abs=1e-9)
        assert float(periodic.ground_energy) == pytest.approx(float(static.ground_energy),
                                                              abs=1e-9)
        np.testing.assert_allclose(periodic.delta, static.delta0, atol=1e-9)
    assert float(static.ground_energy) < -1 and not bool(static.stable)


def test_small_frequency_approaches_the_static_theory():
    """f → 0: D(0) → g² C(0) and E0 → -g² K(0) of the static theory at the same A. The
    deviations shrink with f (measured over f = 0.01 ... 0.0003 at A = 0.6: ∝ f^0.6 for E0,
    ∝ f^1.4 for Δ0)."""
    amplitude = 0.6
    static = jc.locked_state(1.5, amplitude, 0.0)
    gaps = []
    for frequency in (0.01, 0.001):
        # one compiled size for both (E0 to ~1e-4 at f = 0.001, far below the gaps tested)
        state = jc.locked_state(1.5, amplitude, frequency, grid=128, phases=16, points=32,
                                tolerance=1e-2)
        gaps.append((abs(float(state.ground_energy - static.ground_energy)),
                     abs(float(state.delta0 - static.delta0))))
    (e_far, d_far), (e_near, d_near) = gaps
    assert e_near < 0.5 * e_far and d_near < 0.5 * d_far
    assert e_near < 0.02 and d_near < 1e-3


# ------------------------------------------------------------ A_c(f)


def test_critical_amplitude_is_non_monotonic_in_frequency():
    """RAS 2010: A_c(f) falls from the static value to a minimum near f ≈ 0.02-0.03 and rises
    steeply at high f (the neuron's low-pass filter): at g = 1.5 0.595 (f = 0), 0.474, 0.436,
    0.512 (f = 0.01, 0.03, 0.05) and 3.31 (f = 0.5), at a low resolution (E0 to ~1e-5)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jc.AccuracyWarning)
        values = {f: float(jc.critical_input_amplitude(1.5, f, **LOW).amplitude)
                  for f in (0.0, 0.01, 0.03, 0.05, 0.5)}
    assert values[0.0] > values[0.01] > values[0.03] < values[0.05] < values[0.5]
    assert values[0.03] == pytest.approx(0.436, abs=2e-3)
    assert values[0.5] == pytest.approx(3.31, abs=1e-2)


def test_locked_state_is_stable_exactly_above_the_critical_amplitude():
    result = jc.critical_input_amplitude(1.5, 0.1, **LOW)
    a_c = float(result.amplitude)
    assert not bool(jc.locked_state(1.5, 0.98 * a_c, 0.1, **LOW).stable)
    assert bool(jc.locked_state(1.5, 1.02 * a_c, 0.1, **LOW).stable)


# ------------------------------------------------------------ jit, grad, errors


def test_jit_and_derivatives():
    """Under jit the same E0; ∂E0/∂g, ∂E0/∂A and ∂E0/∂f (implicit function theorem through the
    self-consistency, eigvalsh's derivative) match central differences to 1e-5 relative
    (measured: 2e-8)."""
    def e0(gain, amplitude, frequency):
        return jc.locked_state(gain, amplitude, frequency, **LOW).ground_energy

    point = (1.5, 0.7, 0.05)
    eager = float(e0(*point))
    assert float(jax.jit(e0)(*point)) == pytest.approx(eager, abs=1e-12)
    gradient = jax.grad(e0, argnums=(0, 1, 2))(*point)
    for i, h in enumerate((1e-4, 1e-4, 1e-5)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        difference = (float(e0(*up)) - float(e0(*down))) / (2 * h)
        assert float(gradient[i]) == pytest.approx(difference, rel=1e-5)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"gain": 0.0}, "gain"), ({"gain": -1.0}, "gain"), ({"gain": float("nan")}, "gain"),
    ({"amplitude": -0.1}, "amplitude"), ({"amplitude": float("nan")}, "amplitude"),
    ({"frequency": -0.01}, "frequency"), ({"frequency": float("inf")}, "frequency"),
    ({"grid": 33}, "grid"), ({"tolerance": 0.0}, "tolerance"),
])
def test_bad_input_names_the_parameter(kwargs, name):
    arguments = {"gain": 1.5, "amplitude": 0.5, "frequency": 0.1, **kwargs}
    with pytest.raises(ConfigError, match=name):
        jc.locked_state(**arguments)
    if "amplitude" not in kwargs:
        arguments.pop("amplitude")
        with pytest.raises(ConfigError, match=name):
            jc.critical_input_amplitude(**arguments)


def test_low_resolution_warns():
    with pytest.warns(jc.AccuracyWarning, match="points"):
        jc.locked_state(1.5, 0.45, 0.03, grid=16, phases=8, points=12)
