"""LIF neuron driven by finite δ-kicks (`lif_shot_noise_neuron`): the deterministic limit, the
diffusion limit of many small kicks, a clock-driven reference written here, renewal input,
the self-consistent rate, errors."""

import math

import jax
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError


@pytest.mark.parametrize("rate", [0.0, 0.3])
def test_without_kicks_the_neuron_is_the_deterministic_oscillator(rate):
    """J0 = 0 (or no input): every interval is τ ln(I/(I − 1)) to round-off, so the rate is
    1/(τ ln(I/(I − 1))) and the CV 0; below threshold (I ≤ 1) the neuron never fires."""
    drive, tau = 3.0, 2.0
    period = tau * math.log(drive / (drive - 1.0))
    out = jc.lif_shot_noise_neuron(jax.random.key(0), drive, 100, 0.0 if rate else 1.0,
                                   rate=rate, n_neurons=3, n_spikes=10, t_end=100.0,
                                   tau=tau)
    np.testing.assert_allclose(out["isis"], period, rtol=1e-12)
    assert out["isis"].size == 27
    assert out["rate"] == pytest.approx(1.0 / period, rel=1e-12)
    assert out["cv"] < 1e-10
    below = jc.lif_shot_noise_neuron(jax.random.key(0), 1.0, 100, 1.0, rate=0.1, n_neurons=4,
                                     t_end=50.0)
    assert below["rate"] == 0.0 and below["isis"].size == 0


def test_many_small_kicks_approach_the_diffusion_formulas():
    """K = 1000 Poisson trains at ν = 1/τ with kicks −J0/√K chosen so that μ = I − √K J0 ν τ =
    0.8 and σ = J0 √(ν τ) = 0.5: kick/σ = 1/√(K ν τ) ≈ 0.03. 2000 neurons × 11 intervals (a
    fixed count: unbiased, the output being a renewal process). Rate and CV equal the Siegert
    and Brunel–Hakim values within 4 Monte Carlo standard errors plus 1.5% for the finite
    kicks (measured: −0.7% in the rate, −0.5% in the CV; at K = 100 the same run gives −2.4%
    and 0.0%, at K = 4000 +0.5% and −1.3%)."""
    mu, sigma, k, nu = 0.8, 0.5, 1000, 1.0
    coupling = sigma / math.sqrt(nu)
    drive = mu + math.sqrt(k) * coupling * nu
    out = jc.lif_shot_noise_neuron(jax.random.key(1), drive, k, coupling, rate=nu,
                                   n_neurons=2000, n_spikes=12, t_warm=2.0, t_end=200.0)
    n = out["isis"].size
    assert n == 2000 * 11
    rate, cv = jc.lif_diffusion_rate(mu, sigma), jc.lif_diffusion_cv(mu, sigma)
    assert out["rate"] == pytest.approx(rate, rel=4 * cv / math.sqrt(n) + 0.015)
    assert out["cv"] == pytest.approx(cv, rel=4 / math.sqrt(2 * n) + 0.015)


def test_event_driven_equals_a_clock_driven_reference():
    """Large kicks (K = 100, J0 = 2: −0.2 each, I = 2, ν = 0.093: the balanced network's
    diffusion rate), where the shot noise matters: a clock-driven simulation written here (exact
    decay over dt = 2·10⁻³, a Poisson number of kicks per step, threshold checked on the grid,
    which delays each spike by < dt) gives the same rate within 4 combined standard errors plus
    1% for the grid; both are far below the diffusion rate (0.093 → 0.049)."""
    drive, k, coupling, nu = 2.0, 100, 2.0, 0.0931
    out = jc.lif_shot_noise_neuron(jax.random.key(2), drive, k, coupling, rate=nu,
                                   n_neurons=1000, t_end=130.0, t_warm=10.0)
    rng = np.random.default_rng(0)
    paths, dt, t_end, t_warm = 1000, 2e-3, 130.0, 10.0
    v, spikes, decay = np.zeros(paths), 0, math.exp(-dt)
    kick = -coupling / math.sqrt(k)
    for step in range(1, int(round(t_end / dt)) + 1):
        v = drive + (v - drive) * decay
        fired = v >= 1.0
        if step * dt > t_warm:
            spikes += fired.sum()
        v[fired] = 0.0
        v += kick * rng.poisson(k * nu * dt, paths)
    clock = spikes / (paths * (t_end - t_warm))
    error = math.hypot(math.sqrt(out["rate"] / (1000 * 120.0)),
                       math.sqrt(clock / (paths * 120.0)))  # CV < 1: Poisson counts bound it
    assert out["rate"] == pytest.approx(clock, abs=4 * error + 0.01 * clock)
    assert out["rate"] < 0.6 * jc.lif_diffusion_rate(drive - math.sqrt(k) * coupling * nu,
                                                     coupling * math.sqrt(nu))


def test_renewal_input():
    """Renewal trains with exponential intervals are Poisson trains: same rate and CV within
    Monte Carlo error. Per-source samples: each train draws from one source; the input rate is
    the mean of the sources' rates. More regular inputs (gamma intervals of shape 4, CV 0.5)
    give a more regular output than Poisson inputs of the same rate (measured 0.66 vs 0.80).
    Periodic inputs can lock the neuron below threshold: a spike count it never reaches
    raises an error at the cap t_end."""
    drive, k, coupling, nu = 2.0, 100, 1.0, 0.14
    common = {"n_neurons": 500, "n_spikes": 30, "t_warm": 5.0, "t_end": 2000.0}
    poisson = jc.lif_shot_noise_neuron(jax.random.key(3), drive, k, coupling, rate=nu, **common)
    isis = np.random.default_rng(1).exponential(1.0 / nu, 200_000)
    renewal = jc.lif_shot_noise_neuron(jax.random.key(4), drive, k, coupling, input_isis=isis,
                                       **common)
    n = poisson["isis"].size
    assert renewal["input_rate"] == pytest.approx(nu, rel=0.01)
    assert renewal["rate"] == pytest.approx(poisson["rate"], rel=4 * math.sqrt(2 / n) + 0.005)
    assert renewal["cv"] == pytest.approx(poisson["cv"], rel=4 * math.sqrt(1 / n) + 0.005)
    gamma = jc.lif_shot_noise_neuron(jax.random.key(5), drive, k, coupling,
                                     input_isis=np.random.default_rng(2).gamma(
                                         4.0, 0.25 / nu, 200_000), **common)
    assert gamma["cv"] < poisson["cv"] - 0.1
    with pytest.raises(ConfigError, match="t_end"):
        jc.lif_shot_noise_neuron(jax.random.key(5), drive, k, coupling, n_neurons=20,
                                 n_spikes=3, t_end=50.0, input_isis=np.full(3, 1.0 / nu))
    two = jc.lif_shot_noise_neuron(jax.random.key(6), drive, k, coupling, n_neurons=2,
                                   t_end=5.0, input_isis=[np.full(2, 5.0), np.full(3, 10.0)])
    assert two["input_rate"] == pytest.approx(0.15)


def test_self_consistent_rate_with_finite_kicks():
    """Inhibitory network point K = 100, J0 = 2, I = 2: with Poisson input (iteration 0) and
    with renewal input (iteration 1) the solved input rate reproduces itself at the output
    within the Monte Carlo error of 4000 intervals (3%), and it lies below the diffusion
    approximation's 0.0931 (finite inhibitory kicks lower the rate: measured 0.086)."""
    runs = jc.lif_renewal_self_consistent(jax.random.key(7), 2.0, 100, 2.0, iterations=1,
                                          n_neurons=200, n_spikes=21, t_warm=10.0,
                                          t_end=2000.0)
    assert len(runs) == 2
    for run in runs:
        assert run["rate"] == pytest.approx(run["input_rate"], rel=0.03)
        assert run["input_rate"] < 0.97 * jc.lif_balanced_diffusion(2.0, 100, 2.0)["rate"]
        assert 0.5 < run["cv"] < 1.2


@pytest.mark.parametrize("kwargs, name", [
    ({"rate": 0.1, "input_isis": [1.0]}, "either rate"),
    ({}, "either rate"),
    ({"rate": -0.1}, "rate"),
    ({"rate": 0.1, "coupling": -1.0}, "coupling"),
    ({"rate": 0.1, "k": 10.5}, "k"),
    ({"rate": 0.1, "t_warm": 20.0}, "t_warm"),
    ({"rate": 0.1, "n_spikes": 100}, "t_end"),
    ({"rate": 0.1, "n_spikes": 10, "drive": 0.9}, "drive"),
    ({"rate": 0.1, "n_spikes": 1}, "n_spikes"),
    ({"rate": 0.1, "n_spikes": 10, "max_spikes": 10}, "max_spikes"),
    ({"input_isis": [1.0, -1.0]}, "input_isis"),
    ({"input_isis": [[1.0], []]}, "input_isis"),
    ({"rate": 0.1, "max_spikes": 2}, "max_spikes"),
])
def test_bad_input(kwargs, name):
    args = {"drive": 2.0, "k": 100, "coupling": 1.0, "t_end": 10.0, "n_neurons": 2, **kwargs}
    with pytest.raises(ConfigError, match=name):
        jc.lif_shot_noise_neuron(jax.random.key(0), **args)


@pytest.mark.parametrize("kwargs, name", [
    ({"drive": 1.0}, "drive"),
    ({"iterations": -1}, "iterations"),
    ({"rate": 0.0}, "rate"),
    ({"rtol": 0.0}, "rtol"),
])
def test_bad_self_consistent_input(kwargs, name):
    args = {"drive": 2.0, "k": 100, "coupling": 1.0, "t_end": 10.0, "n_neurons": 2, **kwargs}
    with pytest.raises(ConfigError, match=name):
        jc.lif_renewal_self_consistent(jax.random.key(0), **args)
