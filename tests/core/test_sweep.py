"""Sweeps: the vmapped, sharded grid equals the Python loop over single runs; padding, sharding
over the two fake CPU devices (conftest), continuing from returned states, argument checks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

N = 20
N_RECORDS = 4
INTEGRATOR = jc.Integrator(dt=0.1, steps_per_record=5, solver="tsit5")

# The sweep batches the gains of one seed into a matrix-matrix product W @ Φ; the single run does
# a matrix-vector product. Their summation orders differ (~1e-16), and chaos (λ_max ≲ 0.5 at
# g ≤ 2.5) amplifies that by ≲ e^{0.5·2} over t = 2 (and by ≲ e² over t = 4): 1e-10 is ample but
# would catch any real difference (wrong gain, seed or state: O(1)).
LOOP_TOL = 1e-10


def _network(point):
    return jc.SCSNetwork.random(jax.random.key(point["seed"]), N, point["g"])


def _advance(net, state, n_records=N_RECORDS):
    state, _, outputs = INTEGRATOR.run(net, state, {"x": jc.Trajectory()}, {"x": None}, n_records)
    return state, outputs["x"]


def _start(point, n_records=N_RECORDS):
    """A fresh chaotic run at one grid point: x0 drawn from the seed."""
    net = _network(point)
    x0 = net.initial_state(jax.random.fold_in(jax.random.key(point["seed"]), 1))
    return _advance(net, INTEGRATOR.init(net, x0), n_records)


def _continue(point, state):
    return _advance(_network(point), state)


def _start_long(point):
    return _start(point, 2 * N_RECORDS)


_single = jax.jit(_start)
_single_three = jax.jit(lambda point: _start(point, 3 * N_RECORDS))


def _loop(axes):
    """The reference: one jitted single run per grid point, stacked in grid order."""
    seeds, gains = axes["seed"], axes["g"]
    rows = [[np.asarray(_single({"seed": s, "g": g})[1]) for g in gains] for s in seeds]
    return np.array(rows)


AXES = {"seed": [0, 1, 2, 3], "g": [1.5, 2.5]}
ODD_AXES = {"seed": [4, 5, 6], "g": [1.2, 1.8, 2.5]}  # no length divisible by 2 devices


@pytest.fixture(scope="module")
def sharded():
    sweep = jc.Sweep(_start, AXES)
    return sweep, sweep()


def test_two_fake_devices():
    assert len(jax.devices()) == 2  # conftest's XLA_FLAGS took effect


def test_grid_order_and_shape():
    # Cheap check of the Cartesian-product layout: out[i, j] = f(a_i, b_j).
    out = jc.sweep(lambda p: 10 * p["a"] + p["b"], {"a": [1.0, 2.0, 3.0], "b": [0.0, 0.5]})
    np.testing.assert_array_equal(out, [[10.0, 10.5], [20.0, 20.5], [30.0, 30.5]])


def test_sweep_equals_loop(sharded):
    sweep, (state, x) = sharded
    assert sweep.grid_shape == (4, 2) and len(sweep.devices) == 2
    assert x.shape == (4, 2, N_RECORDS, N)
    reference = _loop(AXES)
    np.testing.assert_allclose(x, reference, rtol=0, atol=LOOP_TOL)
    # The grid points really differ (no axis silently ignored).
    assert np.abs(reference[0, 0] - reference[1, 0]).max() > 0.1
    assert np.abs(reference[0, 0] - reference[0, 1]).max() > 0.1
    np.testing.assert_array_equal(state.step, np.full((4, 2), N_RECORDS * 5))


def test_sharded_equals_single_device(sharded):
    _, (_, x) = sharded
    single = jc.Sweep(_start, AXES, devices=[jax.devices()[0]])
    assert single.padded_length == 4
    _, x_single = single()
    # Same program per grid point; XLA may order the batched matmul differently per shard size.
    np.testing.assert_allclose(x, x_single, rtol=0, atol=LOOP_TOL)


@pytest.mark.parametrize("shard_axis", [None, "g"])
def test_padding_keeps_shape_and_values(shard_axis):
    sweep = jc.Sweep(_start, ODD_AXES, shard_axis=shard_axis)
    assert sweep.padded_length == 4  # 3 values padded to a multiple of the 2 devices
    state, x = sweep()
    assert x.shape == (3, 3, N_RECORDS, N)
    assert state.x.shape == (3, 3, N)
    np.testing.assert_allclose(x, _loop(ODD_AXES), rtol=0, atol=LOOP_TOL)


def test_padded_toy_grid():
    out = jc.sweep(lambda p: 10 * p["a"] + p["b"], {"a": [1.0, 2.0, 3.0], "b": [0.0, 0.5, 0.7]},
                   shard_axis="b")
    np.testing.assert_allclose(out, 10 * np.array([1.0, 2.0, 3.0])[:, None] + [0.0, 0.5, 0.7])


@pytest.mark.parametrize("axes", [AXES, ODD_AXES], ids=["even", "padded"])
def test_states_round_trip(axes):
    state, x_first = jc.Sweep(_start, axes)()
    continued = jc.Sweep(_continue, axes)
    state2, x_second = continued(state)
    _, x_long = jc.Sweep(_start_long, axes)()
    # One run of 2n records equals n + n records continued from the returned state. Same batched
    # program on both sides: rounding at most (observed bitwise).
    np.testing.assert_allclose(np.concatenate([x_first, x_second], axis=2), x_long,
                               rtol=0, atol=1e-13)
    np.testing.assert_array_equal(state2.step, np.full(continued.grid_shape, 2 * N_RECORDS * 5))
    # Continuing twice more still matches the grid-point-wise single runs.
    _, x_third = continued(state2)
    reference = np.array([[np.asarray(_single_three({"seed": s, "g": g})[1][2 * N_RECORDS:])
                           for g in axes["g"]] for s in axes["seed"]])
    np.testing.assert_allclose(x_third, reference, rtol=0, atol=1e-9)  # t = 6: chaos ≲ e³


def test_compiles_once():
    traces = []

    def fn(point, offset):
        traces.append(1)  # runs only while tracing
        return point["a"] + offset

    sweep = jc.Sweep(fn, {"a": [1.0, 2.0]})
    first = sweep(jnp.zeros(2))
    second = sweep(jnp.ones(2))
    np.testing.assert_array_equal(first, [1.0, 2.0])
    np.testing.assert_array_equal(second, [2.0, 3.0])
    assert len(traces) == 1


@pytest.mark.parametrize(
    "axes, field",
    [
        ({}, "axis"),
        ({"g": []}, "g"),
        ({"g": [[1.0, 2.0]]}, "g"),
        ({"g": [1.0, float("nan")]}, "g"),
        ({"g": ["a", "b"]}, "g"),
    ],
)
def test_bad_axes(axes, field):
    with pytest.raises(jc.ConfigError, match=field):
        jc.Sweep(lambda p: p, axes)


def test_bad_shard_axis_and_args():
    with pytest.raises(jc.ConfigError, match="shard_axis"):
        jc.Sweep(lambda p: p["g"], {"g": [1.0, 2.0]}, shard_axis="seed")
    sweep = jc.Sweep(lambda p, a: p["g"] * a, {"g": [1.0, 2.0]})
    with pytest.raises(jc.ConfigError, match="grid"):
        sweep(jnp.ones(3))  # leading dimension 3, grid (2,)
