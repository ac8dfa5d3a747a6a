"""Hopfield plus random network: exact pattern fixed points, retrieval, the fall of the pattern
overlaps with the gain, subspace bases, gain schedules, the analytic JVP, argument checks, the
measures against SciPy, and the "hopfield" config kind end to end."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import jaxchaos as jc
from jaxchaos._models._hopfield import (
    AlternatingGain,
    ConstantGain,
    FunctionGain,
    HopfieldNetwork,
    linear_regression,
    nearest_pattern,
    overlaps,
    projection_norms,
    random_patterns,
    sampling_statistics,
    subspace_bases,
    visits,
)
from jaxchaos._runs._runfolder import new_run_folder
from jaxchaos._runs._sweep_config import build_system, resolve_config
from jaxchaos._runs._sweep_job import execute

# Float64 (conftest): analytic identities hold to rounding, ~1e-15 relative; 1e-12 leaves room
# for O(N) sums.
TIGHT = 1e-12


def _network(key, n=60, p=5, gain=0.0, **kwargs):
    return HopfieldNetwork.random(key, n, p, gain, **kwargs)


# --------------------------------------------------------------------------- fixed points


def test_pattern_is_an_exact_fixed_point_under_the_pseudo_inverse_rule(getkey):
    net = _network(getkey(), strength=2.0)
    a = float(net.pattern_amplitude())
    assert a == pytest.approx(2.0 * math.tanh(a), abs=TIGHT)
    assert a == pytest.approx(1.9150080481, abs=1e-9)  # root of a = 2 tanh a
    np.testing.assert_allclose(net.structured_weights @ net.patterns.T, 2.0 * net.patterns.T,
                               rtol=0, atol=TIGHT)
    states = a * jnp.concatenate([net.patterns, -net.patterns])
    fields = jax.jit(jax.vmap(lambda x: net.vector_field(0.0, x, None)))(states)
    np.testing.assert_allclose(fields, 0.0, rtol=0, atol=TIGHT)
    np.testing.assert_allclose(net.pattern_state(3, -1.0), states[8], rtol=0, atol=0)
    m = overlaps(net.nonlinearity(states), net.patterns)
    np.testing.assert_allclose(np.diagonal(m[:5]), 1.0, rtol=0, atol=TIGHT)
    np.testing.assert_allclose(np.diagonal(m[5:]), -1.0, rtol=0, atol=TIGHT)
    # The outer-product rule only approximately stores them: crosstalk O(sqrt(P/N)) ~ 0.3.
    outer = _network(getkey(), rule="outer_product")
    residual = outer.vector_field(0.0, outer.pattern_state(0), None)
    assert float(jnp.max(jnp.abs(residual))) > 0.05


def test_outer_product_with_strength_n_is_the_seeds_unnormalised_matrix(getkey):
    """Seed 002 stores W_s = Ξᵀ Ξ (unnormalised): in W_s = (s/N) Ξᵀ Ξ that is s = N, exactly
    (±1 entries: integer arithmetic in float64). With y = x/s the dynamics is
    dy/dt = -y + (ΞᵀΞ/N + (g/s) W_r) tanh(s y): checked on the vector field at random states,
    which is what makes g/s the seed's control parameter (configs/hopfield_gains.toml)."""
    n, p, g = 40, 3, 30.0
    net = HopfieldNetwork.random(getkey(), n, p, g, rule="outer_product", strength=float(n))
    xi = np.asarray(net.patterns)
    np.testing.assert_array_equal(np.asarray(net.structured_weights), xi.T @ xi)
    y = np.asarray(jax.random.normal(getkey(), (n,)))
    w_r = np.asarray(net.random_weights)
    expected = -y + (xi.T @ xi / n + (g / n) * w_r) @ np.tanh(n * y)
    field = np.asarray(net.vector_field(0.0, jnp.asarray(n * y), None)) / n
    np.testing.assert_allclose(field, expected, rtol=1e-12, atol=1e-12)
    # At g = 0 the stored patterns sit at |x| ≈ N (saturated): x = N ξ^μ plus crosstalk, whose
    # entries are sums of (P - 1) terms ±(ξ^ν·ξ^μ), each O(√N).
    quiet = HopfieldNetwork(net.patterns, net.random_weights, 0.0, rule="outer_product",
                            strength=float(n))
    x = jc.simulate(quiet, n * net.patterns[0] + 0.0, t1=20.0, dt=0.05).state.x
    np.testing.assert_array_equal(np.sign(np.asarray(x)), xi[0])
    assert float(jnp.min(jnp.abs(x))) > 0.3 * n


def test_weak_structure_has_no_pattern_fixed_point(getkey):
    # a = s tanh(a) has a root a > 0 only for s > 1.
    assert float(_network(getkey(), strength=0.9).pattern_amplitude()) == 0.0


def test_settles_into_the_nearest_pattern_from_a_corrupted_one(getkey):
    net = _network(getkey(), n=80, p=4)
    flips = jax.random.bernoulli(getkey(), 0.15, (4, 80))
    for mu in range(4):
        corrupted = jnp.where(flips[mu], -1.0, 1.0) * net.pattern_state(mu)
        assert float(overlaps(net.nonlinearity(corrupted), net.patterns)[mu]) < 0.85
        final = jc.simulate(net, corrupted, t1=40.0, dt=0.1, record_every=40.0)
        x = final.records["trajectory"][-1]
        # The slowest decay rate at the fixed point is 1 - s φ'(a) ≈ 0.83: e^{-0.83·40} ~ 4e-15.
        np.testing.assert_allclose(x, net.pattern_state(mu), rtol=0, atol=1e-10)


def test_lyapunov_exponent_at_a_stored_pattern(getkey):
    # At x* = a ξ the Jacobian is -I + s φ'(a) Π: λ_max = -1 + s (1 - (a/s)²) on the span.
    net = _network(getkey(), n=40, p=3)
    a = float(net.pattern_amplitude())
    expected = -1.0 + 2.0 * (1.0 - (a / 2.0) ** 2)
    spectrum = jc.lyapunov_spectrum(net, net.pattern_state(1), k=1, dt=0.1, solver="rk4",
                                    t_warmup=0.0, t_frame_warmup=40.0, t_sim=40.0, n_blocks=2,
                                    key=getkey())
    # The frame turns into the span at the rate of the gap to the next exponent (-1), 0.17 per
    # unit time: after the frame warm-up its complement part is ~e^{-0.17·40} ~ 1e-3 in norm,
    # which biases λ by ~1e-6 per unit time. RK4 at dt = 0.1 adds O(dt⁴ λ⁵) ~ 1e-6.
    assert float(spectrum.exponents[0]) == pytest.approx(expected, abs=1e-4)


# --------------------------------------------------------------------------- gain dependence


def test_pattern_overlaps_fall_as_the_gain_rises():
    n, p, gains = 100, 5, np.array([0.0, 1.5, 3.0, 8.0])

    def run(point):
        key = jax.random.fold_in(jax.random.key(7), point["seed"])
        net = HopfieldNetwork.random(key, n, p, point["gain"])
        x0 = jax.random.normal(jax.random.fold_in(key, 1), (n,))
        integrator = jc.Integrator(dt=0.1, steps_per_record=10, solver="rk4")
        recorders = {"x": jc.Trajectory()}
        from jaxchaos._core._simulate import init_recorders

        _, _, out = integrator.run(net, integrator.init(net, x0), recorders,
                                   init_recorders(recorders, x0), 200)
        span, complement = projection_norms(net.nonlinearity(out["x"]), net.patterns)
        return span[50:], complement[50:]

    span, complement = jc.sweep(run, {"seed": np.arange(4), "gain": gains})
    span, complement = np.asarray(span), np.asarray(complement)
    np.testing.assert_allclose(span**2 + complement**2, 1.0, rtol=0, atol=1e-12)
    per_seed = span.mean(axis=-1)  # (seed, gain): time averages over t in (50, 200]
    mean = per_seed.mean(axis=0)
    sem = per_seed.std(axis=0, ddof=1) / 2
    # Measured: 1.00, 0.76, 0.47, 0.27 (standard errors <= 0.022 over seeds). Required: each
    # step down by more than 3 standard errors of the difference plus 0.05.
    assert np.all(np.diff(mean) < -3 * np.sqrt(sem[1:] ** 2 + sem[:-1] ** 2) - 0.05)
    assert mean[0] > 0.99
    # Deep in chaos the activity is nearly isotropic: chance is sqrt(P/N) ≈ 0.22.
    assert mean[-1] < 1.5 * math.sqrt(p / n)
    fit = linear_regression(np.repeat(gains, span.shape[-1])[None].repeat(4, 0).ravel(),
                            span.ravel())
    assert float(fit["slope"]) < 0 and float(fit["r"]) < -0.8 and float(fit["p_value"]) < 1e-12


# --------------------------------------------------------------------------- subspaces


def test_complement_basis_is_orthonormal_and_orthogonal_to_the_patterns(getkey):
    patterns = random_patterns(getkey(), 6, 50)
    span, complement = subspace_bases(patterns)
    assert span.shape == (6, 50) and complement.shape == (44, 50)
    np.testing.assert_allclose(complement @ complement.T, np.eye(44), rtol=0, atol=TIGHT)
    np.testing.assert_allclose(complement @ patterns.T, 0.0, rtol=0, atol=TIGHT)
    np.testing.assert_allclose(span @ span.T, np.eye(6), rtol=0, atol=TIGHT)
    # The span basis reproduces every pattern.
    np.testing.assert_allclose((patterns @ span.T) @ span, patterns, rtol=0, atol=TIGHT)
    rates = jnp.tanh(jax.random.normal(getkey(), (7, 50)))
    s, c = projection_norms(rates, patterns)
    np.testing.assert_allclose(s**2 + c**2, 1.0, rtol=0, atol=TIGHT)
    np.testing.assert_allclose(s[0], np.linalg.norm(span @ rates[0]) / np.linalg.norm(rates[0]),
                               rtol=TIGHT)
    # A pattern lies entirely in the span: overlap norm 1 and no complement part.
    s, c = projection_norms(patterns[2], patterns)
    assert float(s) == pytest.approx(1.0, abs=TIGHT) and float(c) == pytest.approx(0, abs=1e-7)


def test_overlaps_are_normalized_dot_products():
    rates = jnp.array([[3.0, 0.0, 4.0], [0.0, 0.0, 0.0]])
    vectors = jnp.array([[1.0, 1.0, 1.0], [-2.0, 0.0, 0.0]])
    m = overlaps(rates, vectors)
    np.testing.assert_allclose(m[0], [7 / (5 * math.sqrt(3)), -3 / 5], rtol=TIGHT)
    np.testing.assert_allclose(m[1], 0.0)  # silent network: no overlap, no NaN


# --------------------------------------------------------------------------- schedules


def test_alternating_gain_dwells_are_drawn_in_range_and_reproducible(getkey):
    key = getkey()
    gain = AlternatingGain.random(key, 0.5, 4.0, low_dwell=(20.0, 40.0), high_dwell=(5.0, 10.0),
                                  cycles=50)
    dwells = np.diff(np.concatenate([[0.0], np.asarray(gain.switch_times)])).reshape(50, 2)
    assert np.all((dwells[:, 0] >= 20) & (dwells[:, 0] <= 40))
    assert np.all((dwells[:, 1] >= 5) & (dwells[:, 1] <= 10))
    assert dwells[:, 0].std() > 3 and dwells[:, 1].std() > 0.8  # really random (U: 5.8, 1.4)
    same = AlternatingGain.random(key, 0.5, 4.0, low_dwell=(20.0, 40.0), high_dwell=(5.0, 10.0),
                                  cycles=50)
    np.testing.assert_array_equal(same.switch_times, gain.switch_times)
    other = AlternatingGain.random(getkey(), 0.5, 4.0, cycles=50)
    assert not np.allclose(other.switch_times[:4], gain.switch_times[:4])
    ends = np.asarray(gain.switch_times)
    midpoints = (np.concatenate([[0.0], ends[:-1]]) + ends) / 2
    values = jax.vmap(gain)(jnp.asarray(midpoints))
    np.testing.assert_array_equal(values, np.tile([0.5, 4.0], 50))
    assert float(gain(0.0)) == 0.5 and float(gain(ends[0])) == 4.0  # new value at a switch
    # After the C cycles the sequence repeats.
    assert float(gain(gain.period + midpoints[1])) == 4.0
    assert float(gain(gain.period + midpoints[2])) == 0.5


def test_the_network_follows_its_schedule(getkey):
    n = 30
    key_w, key_x = getkey(), getkey()
    schedules = [ConstantGain(1.3), AlternatingGain(0.2, 3.0, jnp.array([1.0, 2.5])),
                 FunctionGain(lambda t: 1.0 + jnp.sin(t) ** 2), (lambda t: 0.5 * t)]
    x = jax.random.normal(key_x, (n,))
    for schedule in schedules:
        net = HopfieldNetwork.random(key_w, n, 3, schedule)
        for t in (0.3, 1.7, 2.9):
            g = schedule(t)
            expected = -x + (net.structured_weights + g * net.random_weights) @ jnp.tanh(x)
            np.testing.assert_allclose(net.vector_field(t, x, None), expected, rtol=0,
                                       atol=TIGHT)
    assert float(AlternatingGain(0.2, 3.0, jnp.array([1.0, 2.5]))(1.7)) == 3.0


@pytest.mark.parametrize("rule", ["pseudo_inverse", "outer_product"])
def test_analytic_jvp_matches_autodiff(getkey, rule):
    net = HopfieldNetwork.random(getkey(), 40, 4, AlternatingGain(0.5, 2.5, jnp.array([1.0, 2.0])),
                                 rule=rule, nonlinearity="erf")
    x = 2.0 * jax.random.normal(getkey(), (40,))
    v, frame = jax.random.normal(getkey(), (40,)), jax.random.normal(getkey(), (40, 3))
    for t in (0.5, 1.5):  # low and high gain
        field = lambda y, t=t: net.vector_field(t, y, None)  # noqa: E731
        np.testing.assert_allclose(net.jvp(t, x, v, None), jax.jvp(field, (x,), (v,))[1],
                                   rtol=0, atol=TIGHT)
        auto = jax.vmap(lambda col, f=field: jax.jvp(f, (x,), (col,))[1], 1, 1)(frame)
        np.testing.assert_allclose(net.jvp(t, x, frame, None), auto, rtol=0, atol=TIGHT)


def test_vmaps_over_gains_seeds_and_pattern_sets(getkey):
    n, x = 30, jax.random.normal(getkey(), (30,))

    def field(point):
        net = HopfieldNetwork.random(jax.random.key(point["seed"]), n, 3, point["gain"])
        return net.vector_field(0.0, x, None)

    out = jc.sweep(field, {"seed": np.array([0, 1]), "gain": np.array([0.5, 2.0])})
    for i, seed in enumerate([0, 1]):
        for j, g in enumerate([0.5, 2.0]):
            single = HopfieldNetwork.random(jax.random.key(seed), n, 3, g)
            np.testing.assert_allclose(out[i, j], single.vector_field(0.0, x, None), rtol=0,
                                       atol=TIGHT)
    pattern_sets = random_patterns(getkey(), 6, n).reshape(2, 3, n)
    weights = jc.Connectivity().sample(getkey(), n)
    batched = jax.vmap(lambda p: HopfieldNetwork(p, weights, 1.0).vector_field(0.0, x, None))
    for b in range(2):
        single = HopfieldNetwork(pattern_sets[b], weights, 1.0).vector_field(0.0, x, None)
        np.testing.assert_allclose(batched(pattern_sets)[b], single, rtol=0, atol=TIGHT)


# --------------------------------------------------------------------------- argument checks


@pytest.mark.parametrize(
    ("patterns", "match"),
    [
        (np.ones((12, 10)), "1 <= P < N"),
        (np.ones((10, 10)), "1 <= P < N"),
        (np.ones(10), "shape"),
        (np.ones((3, 9)), "shape"),
        (np.full((3, 10), 0.5), r"\+1 or -1"),
        (np.zeros((3, 10)), r"\+1 or -1"),
        (np.array([[1.0] * 10, [-1.0] * 10]), "linearly independent"),
    ],
)
def test_bad_patterns_raise_before_compiling(patterns, match):
    weights = np.zeros((10, 10))
    with pytest.raises(jc.ConfigError, match=match):
        HopfieldNetwork(patterns, weights, 1.0)


def test_bad_arguments_raise(getkey):
    with pytest.raises(jc.ConfigError, match="P = 11"):
        HopfieldNetwork.random(getkey(), 10, 11, 1.0)
    with pytest.raises(jc.ConfigError, match="rule"):
        _network(getkey(), rule="hebb")
    with pytest.raises(jc.ConfigError, match="strength"):
        _network(getkey(), strength=0.0)
    with pytest.raises(jc.ConfigError, match="gain"):
        _network(getkey(), gain=-1.0)
    with pytest.raises(jc.ConfigError, match="low_dwell"):
        AlternatingGain.random(getkey(), 0.0, 1.0, low_dwell=(5.0, 2.0))
    with pytest.raises(jc.ConfigError, match="increase"):
        AlternatingGain(0.0, 1.0, jnp.array([2.0, 1.0]))
    with pytest.raises(jc.ConfigError, match="odd"):
        _network(getkey(), nonlinearity="relu").pattern_amplitude()
    # A pattern and its mirror span one direction: the outer-product rule accepts them.
    pattern = random_patterns(getkey(), 1, 10)
    HopfieldNetwork(jnp.concatenate([pattern, -pattern]), np.zeros((10, 10)), 1.0,
                    rule="outer_product")


# --------------------------------------------------------------------------- measures


def test_linear_regression_matches_scipy(getkey):
    x = jax.random.uniform(getkey(), (200,), maxval=5.0)
    y = 0.8 - 0.05 * x + 0.3 * jax.random.normal(getkey(), (200,))
    ours = linear_regression(x, y)
    ref = scipy.stats.linregress(np.asarray(x), np.asarray(y))
    for name, value in (("slope", ref.slope), ("intercept", ref.intercept), ("r", ref.rvalue),
                        ("p_value", ref.pvalue), ("stderr", ref.stderr)):
        assert float(ours[name]) == pytest.approx(value, rel=1e-9), name
    noise = jax.random.normal(getkey(), (20,))  # no relation: p of order 1
    ref = scipy.stats.linregress(np.asarray(x[:20]), np.asarray(noise))
    assert float(linear_regression(x[:20], noise)["p_value"]) == pytest.approx(ref.pvalue,
                                                                                rel=1e-9)


def test_nearest_pattern_visits_and_sampling_statistics():
    m = jnp.array([[0.95, 0.1], [0.2, -0.92], [0.3, 0.4], [0.1, -0.97], [0.99, 0.0]])
    np.testing.assert_array_equal(nearest_pattern(m, 0.9), [0, 1, -1, 1, 0])
    np.testing.assert_array_equal(nearest_pattern(m, 0.9, signed=True), [0, 3, -1, 3, 0])
    labels = np.array([-1, 0, 0, 0, -1, -1, 1, 1, 1, 1, 1, 1, -1, 1, 1, 2, 2, 2, 2, 0])
    found = visits(labels, 0.5)
    np.testing.assert_array_equal(found["pattern"], [0, 1, 1, 2, 0])
    np.testing.assert_array_equal(found["start"], [1, 6, 13, 15, 19])
    np.testing.assert_allclose(found["dwell"], [1.5, 3.0, 1.0, 2.0, 0.5])
    np.testing.assert_array_equal(found["censored"], [False, False, False, False, True])
    expected = np.zeros((3, 3), int)
    expected[0, 1] = expected[1, 1] = expected[1, 2] = expected[2, 0] = 1
    np.testing.assert_array_equal(found["transitions"], expected)
    stats = sampling_statistics(labels, 4, 0.5)
    np.testing.assert_array_equal(stats["counts"], [2, 2, 1, 0])
    np.testing.assert_allclose(stats["occupancy"], [4 / 20, 8 / 20, 4 / 20, 0.0])
    assert stats["new_samples"] == 3 and stats["new_sample_rate"] == pytest.approx(3 / 10)
    assert stats["visit_rate"] == pytest.approx(5 / 10)
    assert stats["mean_dwell"] == pytest.approx(7.5 / 4)
    q = np.array([2, 2, 1, 0]) / 5
    kl = float(np.sum(q[q > 0] * np.log(q[q > 0] * 4)))
    assert stats["kl_uniform"] == pytest.approx(kl, rel=1e-12)
    ref = scipy.stats.chisquare([2, 2, 1, 0])
    assert stats["chi2"] == pytest.approx(ref.statistic, rel=1e-12)
    assert stats["chi2_p"] == pytest.approx(ref.pvalue, rel=1e-9)
    empty = sampling_statistics(np.full(10, -1), 3, 1.0)
    with pytest.raises(jc.ConfigError, match="out of range"):
        sampling_statistics(labels, 2, 0.5)
    assert math.isnan(empty["kl_uniform"]) and empty["new_sample_rate"] == 0.0


# --------------------------------------------------------------------------- config kind


def _hopfield_config(**model):
    return resolve_config({
        "name": "tiny_hopfield",
        "model": {"kind": "hopfield", "n": 30, "patterns": 3, **model},
        "sweep": {"seed": [0, 1]},
        "simulation": {"t_end": 40.0, "dt": 0.1, "record_every": 1.0, "t_warmup": 10.0,
                       "autocorrelation_window": 5.0, "chunks": 2, "trace_neurons": 30},
        "output": {"figures": False},
    })


def test_config_kind_runs_end_to_end(tmp_path):
    config = _hopfield_config(gain=0.0, gain_schedule="alternating", gain_high=4.0,
                              low_dwell=[10.0, 15.0], high_dwell=[3.0, 5.0])
    folder = execute(new_run_folder(config, tmp_path / "run"), progress=False)
    system = build_system(config["model"], {"seed": 1})
    assert isinstance(system.gain, AlternatingGain) and system.patterns.shape == (3, 30)
    assert float(system.gain(1.0)) == 0.0
    assert float(system.gain(system.gain.switch_times[0])) == 4.0
    with np.load(folder / "results.npz") as data:
        traces = data["traces"]
    assert traces.shape == (2, 40, 30) and np.all(np.isfinite(traces))
    # At the end of the first low-gain dwell (t >= 10) the network sits near a stored pattern.
    first_switch = int(np.floor(float(system.gain.switch_times[0])))
    m = overlaps(jnp.tanh(traces[1, first_switch - 1]), system.patterns)
    assert float(jnp.max(jnp.abs(m))) > 0.95


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ({"patterns": 30}, "model.patterns"),
        ({"rule": "hebb"}, "model.rule"),
        ({"strength": 0.0}, "model.strength"),
        ({"gain_schedule": "sine"}, "model.gain_schedule"),
        ({"gain_high": 3.0}, "model.gain_high"),
        ({"gain_schedule": "alternating", "low_dwell": [5.0, 2.0]}, "model.low_dwell"),
        ({"gain_schedule": "alternating", "high_dwell": [1.0]}, "model.high_dwell"),
        ({"gain_schedule": "alternating", "low_dwell": [0.01, 0.01],
          "high_dwell": [0.01, 0.01]}, "gain cycles"),
        ({"input": "constant"}, "model.input"),
    ],
)
def test_bad_hopfield_config_names_the_field(model, field):
    with pytest.raises(jc.ConfigError, match=field):
        _hopfield_config(**model)
