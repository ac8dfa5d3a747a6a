"""The fused tangent step (`tangent="fused"`; the default "auto" on accelerators for maps and
forward-Euler flows): the trajectory's W φ(x) and the frame's W (φ'(x) ⊙ Q) as one product
W @ [φ' ⊙ Q, φ(x)]. It must be the same step and the same derivative as the unfused path
("jvp": `jax.linearize` of the diffrax Euler step, or a map's `map` and `jvp`), to round-off."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc

N, K = 24, 5


def _net(gain=3.0, seed=0, n=N, **kwargs):
    return jc.SCSNetwork.random(jax.random.key(seed), n, gain, **kwargs)


def _frame(k=K):
    return jnp.linalg.qr(jax.random.normal(jax.random.key(2), (N, k)))[0]


def _systems():
    net = _net()
    cessac = jc.CessacNetwork.random(jax.random.key(3), N, 2.0, leak=0.3, coupling_mean=0.5,
                                     threshold_std=0.2)
    return {"flow": (net, jc.Integrator(dt=0.1, solver="euler")),
            "euler_map": (jc.EulerMap(net, 0.1), jc.Integrator()),
            "cessac": (cessac, jc.Integrator())}


@pytest.mark.parametrize("name", ["flow", "euler_map", "cessac"])
@pytest.mark.parametrize("k", [None, 1, K])
def test_fused_step_equals_the_unfused_step(name, k):
    """One step from the same state: x and the frame (a vector when k is None) agree to a few
    ulps (the same products summed in the same order up to XLA's blocking: 1e-14 on O(1)
    values)."""
    system, integrator = _systems()[name]
    state = integrator.init(system, system.initial_state(jax.random.key(1)))
    frame = _frame(1)[:, 0] if k is None else _frame(k)
    fused = jc.step_with_tangent(integrator, system, state, frame, "fused")
    plain = jc.step_with_tangent(integrator, system, state, frame, "jvp")
    np.testing.assert_allclose(fused[0].x, plain[0].x, rtol=0, atol=1e-14)
    np.testing.assert_allclose(fused[1], plain[1], rtol=0, atol=1e-14)
    assert fused[1].shape == frame.shape
    # the trajectory is exactly the integrator's own step
    np.testing.assert_allclose(fused[0].x, integrator.advance(system, state).x, rtol=0,
                               atol=1e-14)


def test_fused_spectrum_equals_the_unfused_spectrum():
    """`lyapunov_spectrum` with the fused and the unfused Euler tangent: the same exponents and
    block estimates to round-off amplified by chaos (λ_1 ≈ 0.08 for this N = 48 network at
    g = 4: e^{0.08·70} · 1e-15 ≈ 3e-13 over the warm-ups and t = 50; 1e-10 allowed)."""
    times = {"dt": 0.1, "solver": "euler", "t_ons": 1.0, "t_warmup": 10.0,
             "t_frame_warmup": 10.0, "t_sim": 50.0, "n_blocks": 5, "key": jax.random.key(4)}
    net = _net(4.0, seed=1, n=48)
    fused = jc.lyapunov_spectrum(net, k=K, tangent="fused", **times)
    plain = jc.lyapunov_spectrum(net, k=K, tangent="jvp", **times)
    auto = jc.lyapunov_spectrum(net, k=K, **times)
    np.testing.assert_allclose(fused.block_exponents, plain.block_exponents, rtol=0, atol=1e-10)
    # "auto" is the fused step on accelerators, the unfused one on the CPU
    expected = plain if jax.default_backend() == "cpu" else fused
    np.testing.assert_array_equal(auto.exponents, expected.exponents)
    assert float(fused.exponents[0]) > 0.03  # chaotic: the comparison is not trivial


def test_fused_step_under_vmap_over_gains_equals_the_loop():
    """A gain batch shares W: the fused product is then W @ (B, N, k+1); it equals the single
    runs to round-off."""
    integrator = jc.Integrator(dt=0.1, solver="euler")
    engine = jc.LyapunovEngine(integrator, K, 5, 20, 2, 2, 4)
    net = _net()
    state = integrator.init(net, net.initial_state(jax.random.key(1)))

    def run(gain):
        return engine.run(dataclasses.replace(net, gain=gain), state, jax.random.key(2))[2]

    gains = jnp.array([1.5, 3.0])
    batched = jax.jit(jax.vmap(run))(gains)
    for i, gain in enumerate(gains):
        np.testing.assert_allclose(batched[i], run(gain), rtol=0, atol=1e-11)


def test_product_and_tangent_of_every_operator_equals_the_dense_products():
    key_d, key_s, key_v = jax.random.split(jax.random.key(5), 3)
    w = jax.random.normal(key_d, (N, N))
    indices = jax.random.randint(key_s, (6, N), 0, N)
    sparse = jc.SparseOperator(indices, jax.random.normal(key_v, (6, N)), (N, N), "rows")
    r, d = jnp.tanh(jnp.arange(N) / N), 1 + jnp.arange(N) / N
    q = _frame()
    for op in (jc.DenseOperator(w), sparse):
        dense = np.asarray(op.to_dense())
        wr, wq = op.product_and_tangent(r, d, q)
        np.testing.assert_allclose(wr, dense @ r, rtol=0, atol=1e-12)
        np.testing.assert_allclose(wq, dense @ (d[:, None] * q), rtol=0, atol=1e-12)
        wr1, wv = op.product_and_tangent(r, d, q[:, 0])
        np.testing.assert_allclose(wv, dense @ (d * q[:, 0]), rtol=0, atol=1e-12)
        assert wv.shape == (N,)


def test_fused_tangent_needs_euler_or_a_map():
    times = {"dt": 0.1, "t_ons": 1.0, "t_warmup": 1.0, "t_frame_warmup": 1.0, "t_sim": 2.0,
             "n_blocks": 2, "key": jax.random.key(0)}
    with pytest.raises(jc.ConfigError, match="fused"):
        jc.lyapunov_spectrum(_net(), k=2, solver="rk4", tangent="fused", **times)
    with pytest.raises(jc.ConfigError, match="fused"):
        jc.lyapunov_spectrum(_net(noise=0.1), k=2, solver="euler", tangent="fused", **times)
    with pytest.raises(jc.ConfigError, match="tangent"):
        jc.lyapunov_spectrum(_net(), k=2, solver="euler", tangent="fast", **times)
    # "auto" falls back to jvp where fusing does not apply
    spec = jc.lyapunov_spectrum(_net(noise=0.1), k=2, solver="euler", **times)
    assert np.all(np.isfinite(spec.exponents))


def test_auto_is_fused_on_accelerators_and_unfused_on_the_cpu(monkeypatch):
    """"auto" resolves by the default backend: the fused step off the CPU (faked here), the
    unfused one on it (where the fused step measured no faster)."""
    system, integrator = _systems()["flow"]
    state = integrator.init(system, system.initial_state(jax.random.key(1)))
    frame = _frame()

    def step(tangent):
        return jax.make_jaxpr(lambda s, f: jc.step_with_tangent(integrator, system, s, f,
                                                                 tangent))(state, frame)

    def has_concatenate(jaxpr):
        return "concatenate" in str(jaxpr)

    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    assert not has_concatenate(step("auto")) and has_concatenate(step("fused"))
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert has_concatenate(step("auto"))
