"""flax cells and pure step functions as jaxchaos cells: exponents against jaxchaos's own cell
with the same weights, against the Lyapunov engine, flossing through the adapter, pytree carries,
and errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import linen, nnx

import jaxchaos as jc
from jaxchaos import ConfigError


def _linen_simple(getkey, n=10, n_in=3, gain=2.5):
    module = linen.SimpleCell(features=n, param_dtype=jnp.float64,
                              recurrent_kernel_init=jax.nn.initializers.normal(gain / n**0.5))
    variables = module.init(getkey(), jnp.zeros(n), jnp.zeros(n_in))
    return module, variables


def _tanh_cell_of(params):
    """jaxchaos's TanhCell h ← tanh(W h + U x + b) with flax's weights: flax's Dense computes
    x @ kernel, so W = kernel_hᵀ, U = kernel_iᵀ, b = bias_i (the recurrent Dense has no bias)."""
    return jc.TanhCell(params["h"]["kernel"].T, params["i"]["kernel"].T, params["i"]["bias"])


def test_linen_simple_cell_matches_tanh_cell(getkey):
    """A linen SimpleCell and a TanhCell with the same weights are the same map, so their
    finite-time exponents (same inputs, h0, frame) agree to round-off in float64."""
    module, variables = _linen_simple(getkey)
    cell = jc.flax_cell(module, variables, n_in=3)
    ours = _tanh_cell_of(variables["params"])
    inputs = jax.random.normal(getkey(), (60, 3))
    h0 = 0.5 * jax.random.normal(getkey(), (10,))
    frame = jc.random_frame(getkey(), 10, 4)
    flossing = jc.Flossing(4, qr_every=2, checkpoint_every=5)
    got = jax.jit(flossing.exponents)(cell, inputs, h0, frame)
    want = jax.jit(flossing.exponents)(ours, inputs, h0, frame)
    assert cell.n == 10 and cell.n_in == 3
    assert float(jnp.max(got)) > 0  # chaotic at g = 2.5: a nontrivial comparison
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_nnx_simple_cell_matches_tanh_cell(getkey):
    """The same for an nnx SimpleCell (params from its Linear layers, kernel (in, out))."""
    module = nnx.SimpleCell(3, 8, dtype=jnp.float64, param_dtype=jnp.float64, rngs=nnx.Rngs(3))
    cell = jc.flax_cell(module)
    ours = jc.TanhCell(module.dense_h.kernel[...].T, module.dense_i.kernel[...].T,
                       module.dense_i.bias[...])
    inputs = jax.random.normal(getkey(), (40, 3))
    h0 = jax.random.normal(getkey(), (8,))
    frame = jc.random_frame(getkey(), 8, 8)
    flossing = jc.Flossing(8)
    np.testing.assert_allclose(flossing.exponents(cell, inputs, h0, frame),
                               flossing.exponents(ours, inputs, h0, frame),
                               rtol=1e-12, atol=1e-13)


def test_flax_gru_exponents_equal_lyapunov_spectrum_and_numpy(getkey):
    """A linen GRU (whose reset gate acts after the recurrent matmul, unlike jaxchaos's GRUCell):
    the differentiable exponents equal those of explicit Jacobians (jax.jacfwd of flax's apply)
    pushed through a NumPy QR loop, and `lyapunov_spectrum` on the driven cell runs on it."""
    n, n_in = 6, 2
    module = linen.GRUCell(features=n, param_dtype=jnp.float64)
    variables = module.init(getkey(), jnp.zeros(n), jnp.zeros(n_in))
    cell = jc.flax_cell(module, variables, n_in=n_in)
    inputs = jax.random.normal(getkey(), (30, n_in))
    h0 = jax.random.normal(getkey(), (n,))
    frame = jc.random_frame(getkey(), n, n)
    got = jc.Flossing(n).exponents(cell, inputs, h0, frame)

    def apply(h, x):
        return module.apply(variables, h, x)[0]

    h, q, logs = h0, np.asarray(frame), []
    for x in inputs:
        jacobian = np.asarray(jax.jacfwd(apply)(h, x))
        h = apply(h, x)
        q, r = np.linalg.qr(jacobian @ q)
        logs.append(np.log(np.abs(np.diag(r))))
    np.testing.assert_allclose(got, np.mean(logs, axis=0), rtol=1e-10, atol=1e-12)
    spec = jc.lyapunov_spectrum(jc.DrivenCell(cell, inputs), h0, t_ons=1.0, t_warmup=30.0,
                                t_frame_warmup=30.0, t_sim=60.0, n_blocks=2, key=getkey())
    assert spec.exponents.shape == (n,) and np.all(np.isfinite(spec.exponents))


def test_flossing_a_flax_cell_moves_its_exponent_to_target(getkey):
    """Gradients reach the flax parameters: 150 Adam steps (learning rate 3e-3) of the flossing
    loss bring λ_1 of a chaotic linen SimpleCell from > 0.1 to within 0.05 of the target 0 (a
    loss whose gradient did not reach the weights could not move it)."""
    module, variables = _linen_simple(getkey, n=16, n_in=1, gain=3.0)
    cell = jc.flax_cell(module, variables, n_in=1)
    inputs = jax.random.normal(getkey(), (100, 1))
    h0, frame = jnp.zeros(16), jc.random_frame(getkey(), 16, 1)
    flossing = jc.Flossing(1, qr_every=5, warmup_steps=20)
    optimizer = optax.adam(3e-3)
    state = optimizer.init(eqx.filter(cell, eqx.is_inexact_array))

    @eqx.filter_jit
    def update(cell, state):
        loss, grads = eqx.filter_value_and_grad(flossing.loss)(cell, inputs, h0, frame)
        updates, state = optimizer.update(grads, state)
        return eqx.apply_updates(cell, updates), state, loss

    before = float(flossing.exponents(cell, inputs, h0, frame)[0])
    for _ in range(150):
        cell, state, _ = update(cell, state)
    after = float(flossing.exponents(cell, inputs, h0, frame)[0])
    assert before > 0.1
    assert abs(after) < 0.05


def test_lstm_pytree_carry_and_function_cell(getkey):
    """An LSTM's (c, h) carry becomes one 2N state; a FunctionCell of the same pure step gives
    the same exponents as the adapter."""
    n, n_in = 4, 2
    module = linen.LSTMCell(features=n, param_dtype=jnp.float64)
    carry = module.initialize_carry(getkey(), (n_in,))
    variables = module.init(getkey(), carry, jnp.zeros(n_in))
    cell = jc.flax_cell(module, variables, n_in=n_in)
    assert cell.n == 2 * n

    def step(params, state, x):
        new = module.apply(params, (state[:n], state[n:]), x)[0]
        return jnp.concatenate(new)

    direct = jc.FunctionCell(variables, step, 2 * n, n_in)
    inputs = jax.random.normal(getkey(), (20, n_in))
    h0 = jax.random.normal(getkey(), (2 * n,))
    frame = jc.random_frame(getkey(), 2 * n, 3)
    flossing = jc.Flossing(3)
    np.testing.assert_allclose(flossing.exponents(cell, inputs, h0, frame),
                               flossing.exponents(direct, inputs, h0, frame), rtol=1e-12)


def test_errors(getkey):
    module, variables = _linen_simple(getkey)
    with pytest.raises(ConfigError, match="variables"):
        jc.flax_cell(module, n_in=3)
    with pytest.raises(ConfigError, match="n_in"):
        jc.flax_cell(module, variables)
    with pytest.raises(ConfigError, match="module"):
        jc.flax_cell(lambda h, x: h, None, n_in=3)
    with pytest.raises(ConfigError, match="n_units"):
        jc.FunctionCell({}, lambda p, h, x: h, 0, 1)
