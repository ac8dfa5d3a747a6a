"""The public `lyapunov_spectrum` under jit, vmap and `jc.sweep`: equal to the loop over its
points, a given starting frame, and what a traced call reports instead of raising."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

N, K = 20, 4
TIMES = {"dt": 0.1, "solver": "rk4", "t_ons": 0.5, "t_warmup": 5.0, "t_frame_warmup": 5.0,
         "t_sim": 20.0, "n_blocks": 4}


def _spectrum(seed, gain, **kwargs):
    net = jc.SCSNetwork.random(jax.random.key(seed), N, gain)
    return jc.lyapunov_spectrum(net, k=K, key=jax.random.fold_in(jax.random.key(seed), 1),
                                **TIMES, **kwargs)


# Batched and single runs differ by ~1e-16 per product (W @ (N, gains·k) against matvecs); at
# g = 3 (λ_1 ≈ 0.13) chaos amplifies that by ~e^{0.13·30} ≈ 50 over t = 30; 1e-11 leaves room.
TOL = 1e-11


def test_vmap_over_gains_and_seeds_equals_the_loop():
    seeds, gains = jnp.array([0, 1]), jnp.array([0.5, 3.0])
    batched = jax.jit(jax.vmap(jax.vmap(_spectrum, (None, 0)), (0, None)))(seeds, gains)
    assert batched.exponents.shape == (2, 2, K) and batched.history.shape == (2, 2, 4, K)
    for i, seed in enumerate(seeds.tolist()):
        for j, gain in enumerate(gains.tolist()):
            ref = _spectrum(seed, gain)
            for name in ("exponents", "stderr", "block_exponents", "history", "frame"):
                np.testing.assert_allclose(getattr(batched, name)[i, j], getattr(ref, name),
                                           rtol=0, atol=TOL, err_msg=name)
            np.testing.assert_allclose(batched.max_spread[i, j], ref.max_spread, atol=TOL)
            assert int(batched.diverged_step[i, j]) == int(ref.diverged_step) == -1
    # The points really differ (no axis silently ignored); seed 0 at g = 3 is chaotic.
    assert float(batched.exponents[0, 1, 0]) > 0.03 and np.all(batched.exponents[:, 0] < -0.3)
    assert np.abs(batched.exponents[0, 1] - batched.exponents[1, 1]).max() > 1e-3


def test_sweep_calls_the_public_function():
    """`jc.sweep` over seed and gain of a function that calls `lyapunov_spectrum`: no engine, step
    counts or key splits by hand."""

    def point(p):
        spec = _spectrum(p["seed"], p["gain"])
        return spec.exponents, spec.stderr

    exponents, stderr = jc.sweep(point, {"seed": [0, 1], "gain": [0.5, 3.0]},
                                 devices=jc.qr_safe_devices())
    for i, seed in enumerate([0, 1]):
        for j, gain in enumerate([0.5, 3.0]):
            ref = _spectrum(seed, gain)
            np.testing.assert_allclose(exponents[i, j], ref.exponents, rtol=0, atol=TOL)
            np.testing.assert_allclose(stderr[i, j], ref.stderr, rtol=0, atol=TOL)


def test_starting_frame():
    """The random frame is the QR of a normal matrix drawn from the second of three keys split
    from `key`: passing it as `frame` gives the same run to round-off; another frame gives other
    finite-time numbers, and continuing from (state, frame) equals one longer run."""
    key = jax.random.fold_in(jax.random.key(0), 1)
    frame = jnp.linalg.qr(jax.random.normal(jax.random.split(key, 3)[1], (N, K)))[0]
    drawn, given = _spectrum(0, 3.0), _spectrum(0, 3.0, frame=frame)
    np.testing.assert_allclose(given.block_exponents, drawn.block_exponents, rtol=0, atol=1e-13)
    other = _spectrum(0, 3.0, frame=jnp.eye(N, K))
    assert np.abs(other.block_exponents[0] - drawn.block_exponents[0]).max() > 1e-4
    net = jc.SCSNetwork.random(jax.random.key(0), N, 3.0)
    times = dict(TIMES, t_warmup=0.0, t_frame_warmup=0.0)
    more = jc.lyapunov_spectrum(net, drawn.state.x, k=K, key=key, frame=drawn.frame, **times)
    longer = jc.lyapunov_spectrum(net, k=K, key=key, **dict(TIMES, t_sim=40.0, n_blocks=8))
    np.testing.assert_allclose(more.block_exponents, longer.block_exponents[4:], rtol=0,
                               atol=1e-12)


def test_summarize_blocks_is_the_spectrum():
    spec = _spectrum(1, 3.0)
    block_time = TIMES["t_sim"] / TIMES["n_blocks"]
    summary = jc.summarize_blocks(spec.block_exponents * block_time, block_time)
    for value, name in zip(summary, ("exponents", "stderr", "block_exponents", "history_times",
                                     "history"), strict=True):
        np.testing.assert_allclose(value, getattr(spec, name), rtol=1e-14, err_msg=name)
    assert float(spec.max_spread) < jc.spread_limit(jnp.float64)


class _Blowup(jc.AbstractMap):
    """x ← a x: overflows to inf after a few steps when a = 1e200."""

    a: jax.Array
    noise: None = None

    @property
    def n(self):
        return 2

    def map(self, t, x, args):
        return self.a * x


def test_traced_call_reports_divergence_instead_of_raising():
    times = {"t_warmup": 0, "t_frame_warmup": 0, "t_sim": 8, "n_blocks": 2}

    def spectrum(a):
        return jc.lyapunov_spectrum(_Blowup(a), jnp.ones(2), key=jax.random.key(0), **times)

    specs = jax.vmap(spectrum)(jnp.array([0.5, 1e200]))
    np.testing.assert_allclose(specs.exponents[0], np.log(0.5), rtol=1e-13)
    assert int(specs.diverged_step[0]) == -1
    assert int(specs.diverged_step[1]) == 2 and np.all(np.isnan(specs.exponents[1]))
    with pytest.raises(jc.DivergenceError, match="step 2"):
        spectrum(1e200)
    with pytest.raises(jc.ConfigError, match="tol"):
        jax.jit(lambda a: jc.lyapunov_spectrum(_Blowup(a), jnp.ones(2), key=jax.random.key(0),
                                               tol=0.1, **times))(0.5)
    with pytest.raises(jc.ConfigError, match="frame must have shape"):
        jc.lyapunov_spectrum(_Blowup(0.5), jnp.ones(2), key=jax.random.key(0),
                             frame=jnp.eye(3, 2), **times)


class _Lorenz(jc.AbstractFlow):
    noise: None = None

    @property
    def n(self):
        return 3

    def vector_field(self, t, x, args):
        return jnp.stack([10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1],
                          x[0] * x[1] - 8.0 / 3.0 * x[2]])


@pytest.mark.parametrize("solver", ["rk4", "tsit5"])
def test_dense_and_jvp_tangents_are_the_same_derivative(solver):
    """The step Jacobian formed by `jax.jacfwd` times the frame, and the frame pushed through the
    linearized step: the same block sums to round-off amplified by chaos (Lorenz λ_1 ≈ 0.9 over
    t = 10 here: e^9 · 1e-16 ≈ 1e-12; 1e-10 allowed), for Lorenz and an N = 20 network."""
    integrator = jc.Integrator(dt=0.01, solver=solver)
    engine = jc.LyapunovEngine(integrator, 3, 10, 0, 10, 2, 50)
    state = integrator.init(_Lorenz(), jnp.array([1.0, 1.0, 20.0]))
    sums = {tangent: dataclasses.replace(engine, tangent=tangent).run(
        _Lorenz(), state, jax.random.key(0))[2] for tangent in ("dense", "jvp")}
    np.testing.assert_allclose(sums["dense"], sums["jvp"], rtol=0, atol=1e-10)
    assert engine.tangent == "auto"
    net = jc.SCSNetwork.random(jax.random.key(0), N, 3.0)
    integrator = jc.Integrator(dt=0.1, solver=solver)
    state = integrator.init(net, net.initial_state(jax.random.key(1)))
    frame = jnp.linalg.qr(jax.random.normal(jax.random.key(2), (N, K)))[0]
    steps = [jc.step_with_tangent(integrator, net, state, frame, tangent)
             for tangent in ("dense", "jvp")]
    np.testing.assert_allclose(steps[0][0].x, steps[1][0].x, rtol=0, atol=1e-15)
    np.testing.assert_allclose(steps[0][1], steps[1][1], rtol=0, atol=1e-14)


def test_cholesky_qr2_is_the_qr_and_falls_back_when_ill_conditioned():
    """A well-conditioned frame (κ ≈ 1e3): Q orthonormal to 1e-14, Q R = A, |R| equal to
    Householder's to 1e-12 relative. κ ≈ 1e12 (beyond 1/√eps): the fallback gives exactly
    Householder's result."""
    a = jax.random.normal(jax.random.key(0), (40, 8)) * jnp.logspace(0, 3, 8)
    q, r = jc.cholesky_qr2(a)
    np.testing.assert_allclose(q.T @ q, np.eye(8), atol=1e-14)
    np.testing.assert_allclose(q @ r, a, rtol=0, atol=1e-12 * float(jnp.abs(a).max()))
    np.testing.assert_allclose(jnp.abs(r), jnp.abs(jnp.linalg.qr(a)[1]), rtol=1e-12,
                               atol=1e-12 * float(jnp.abs(r).max()))
    assert np.all(np.diagonal(r) > 0)
    bad = a * jnp.logspace(0, 12, 8)
    for got, expected in zip(jc.cholesky_qr2(bad), jnp.linalg.qr(bad), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_cholesky_qr2_gives_the_same_exponents():
    """All 20 exponents of the network (g = 3) with either QR: equal to round-off amplified by
    chaos over t = 30 (1e-11, as above)."""
    specs = [_spectrum(0, 3.0, qr=qr).block_exponents for qr in ("householder", "cholesky2")]
    np.testing.assert_allclose(specs[1], specs[0], rtol=0, atol=TOL)
    with pytest.raises(jc.ConfigError, match="unknown qr"):
        _spectrum(0, 3.0, qr="gram-schmidt")
