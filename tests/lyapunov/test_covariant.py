"""Covariant Lyapunov vectors: eigenvectors of linear maps, the flow direction of Lorenz-63 as the
zero-exponent vector, covariance under the tangent dynamics, leading-k vs all, backward vs forward
exponents, the participation ratio, and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_lyapunov import LinearMap, Lorenz

import jaxchaos as jc

LORENZ = {"dt": 0.01, "solver": "rk4", "t_ons": 0.1, "t_warmup": 10.0, "t_frame_warmup": 10.0,
          "t_window": 50.0, "t_snapshot": 5.0, "t_backward_warmup": 10.0}


@pytest.fixture(scope="module")
def lorenz_vectors():
    return jc.covariant_lyapunov_vectors(Lorenz(), key=jax.random.key(0), **LORENZ)


def test_linear_map_vectors_are_the_eigenvectors():
    eigenvalues = np.array([1.3, -0.9, 0.6, 0.25, -0.1])
    basis = np.random.default_rng(0).normal(size=(5, 5))  # generic: far from orthogonal
    a = basis @ np.diag(eigenvalues) @ np.linalg.inv(basis)
    clv = jc.covariant_lyapunov_vectors(LinearMap(jnp.asarray(a)), jnp.zeros(5), t_ons=1,
                                        t_warmup=0, t_frame_warmup=100, t_window=10,
                                        t_backward_warmup=100, key=jax.random.key(0))
    order = np.argsort(-np.abs(eigenvalues))
    eigenvectors = basis[:, order] / np.linalg.norm(basis[:, order], axis=0)
    cosines = np.abs(np.einsum("sni,ni->si", np.asarray(clv.vectors), eigenvectors))
    # Backward convergence like (|λ_{i+1}/λ_i|)^100 ≤ 0.69^100 ~ 1e-16: round-off only.
    np.testing.assert_allclose(cosines, 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(clv.exponents, np.log(np.abs(eigenvalues[order])), atol=1e-12)
    np.testing.assert_allclose(clv.backward_exponents, clv.exponents, atol=1e-12)


def test_lorenz_zero_exponent_vector_is_the_flow_direction(lorenz_vectors):
    """The flow f(x) is carried into f(x(t)) by the flow's tangent map: the CLV with λ = 0."""
    velocity = jax.vmap(lambda x: Lorenz().vector_field(0.0, x, None))(lorenz_vectors.states.x)
    velocity = velocity / jnp.linalg.norm(velocity, axis=1, keepdims=True)
    cosines = jnp.abs(jnp.sum(velocity * lorenz_vectors.vectors[:, :, 1], axis=1))
    # The RK4 step's tangent map carries f(x) to f(x') up to O(dt⁵) per step: the snapshots
    # with ≥ 15 time units of backward iteration after them are exact to 3e-12 (four keys).
    # The last had only `t_backward_warmup` = 10: its backward transient was measured
    # 6e-11 to 2e-7 over four keys and round-off-level changes of the step.
    np.testing.assert_allclose(cosines[:-1], 1.0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(cosines[-1], 1.0, rtol=0, atol=1e-5)


def test_lorenz_backward_exponents_match_forward(lorenz_vectors):
    # Both are finite-time estimates over the same 50 time units; they differ by O(1/T) terms
    # of the transients at the two ends (measured 2e-3 for λ_2, 1e-3 for λ_3 at T = 200).
    np.testing.assert_allclose(lorenz_vectors.backward_exponents, lorenz_vectors.exponents,
                               rtol=0, atol=0.05)
    np.testing.assert_allclose(lorenz_vectors.exponents, [0.906, 0.0, -14.572], atol=0.1)


def test_leading_k_vectors_equal_those_of_all(lorenz_vectors):
    leading = jc.covariant_lyapunov_vectors(Lorenz(), k=2, key=jax.random.key(0), **LORENZ)
    cosines = jnp.abs(jnp.sum(leading.vectors * lorenz_vectors.vectors[:, :, :2], axis=1))
    # The two runs start from different random frames; their forward frames agree after the
    # frame warm-up up to ~e^{-(λ1-λ2)·15} (measured 1.4e-10 at the first snapshot).
    np.testing.assert_allclose(cosines, 1.0, rtol=0, atol=1e-8)


def test_vectors_are_covariant_in_a_network():
    """V at one snapshot, carried forward by the tangent steps to the next, is V there."""
    net = jc.SCSNetwork.random(jax.random.key(0), 30, 3.0)
    clv = jc.covariant_lyapunov_vectors(net, dt=0.1, solver="rk4", t_ons=0.5, t_warmup=20.0,
                                        t_frame_warmup=20.0, t_window=6.0, t_snapshot=2.0,
                                        t_backward_warmup=20.0, key=jax.random.key(1))
    integrator = jc.Integrator(dt=0.1, solver="rk4")

    @jax.jit
    def carried(state, vectors):  # the 20 tangent steps from one snapshot to the next
        def step(_, carry):
            return jc.step_with_tangent(integrator, net, *carry)

        state, vectors = jax.lax.fori_loop(0, 20, step, (state, vectors))
        return state, vectors / jnp.linalg.norm(vectors, axis=0)

    for j in range(clv.times.shape[0] - 1):
        state, vectors = carried(jax.tree_util.tree_map(lambda leaf, j=j: leaf[j], clv.states),
                                 clv.vectors[j])
        np.testing.assert_allclose(state.x, clv.states.x[j + 1], rtol=0, atol=1e-12)
        # Exact up to round-off by construction (C_{m-1} ∝ R_m^{-1} C_m column by column).
        np.testing.assert_allclose(jnp.abs(jnp.sum(vectors * clv.vectors[j + 1], axis=0)), 1.0,
                                   rtol=0, atol=1e-10)
    np.testing.assert_allclose(jnp.linalg.norm(clv.vectors, axis=1), 1.0, atol=1e-12)


def test_participation_ratio():
    n = 8
    localized = jnp.eye(n)[:, :1]
    uniform = jnp.ones((n, 1)) / np.sqrt(n)
    half = jnp.concatenate([jnp.ones(n // 2), jnp.zeros(n // 2)])[:, None]
    vectors = jnp.concatenate([localized, uniform, 3.0 * half], axis=1)
    np.testing.assert_allclose(jc.participation_ratio(vectors), [1 / n, 1.0, 0.5], atol=1e-15)


@pytest.mark.parametrize("overrides, match", [
    ({"t_window": 7.0}, "t_window = 7.0 must be a whole multiple of t_snapshot"),
    ({"t_snapshot": 0.25}, "t_snapshot = 0.25 must be a whole multiple of t_ons"),
    ({"t_backward_warmup": -1.0}, "t_backward_warmup"),
    ({"k": 4}, "k = 4 exceeds"),
    ({"t_window": float("nan")}, "t_window"),
    ({"t_ons": "auto", "t_snapshot": None}, "give t_snapshot"),
    ({"t_ons": "fast"}, "t_ons"),
])
def test_bad_input(overrides, match):
    with pytest.raises(jc.ConfigError, match=match):
        jc.covariant_lyapunov_vectors(Lorenz(), key=jax.random.key(0), **{**LORENZ, **overrides})


def test_auto_qr_interval_gives_the_same_vectors():
    """t_ons="auto" (it chose 25 steps per QR here) against a QR every step: the same
    trajectory and the same products of step Jacobians, so the exponents, the backward
    exponents and the vectors (up to sign) agree to round-off (measured 2e-15)."""
    settings = {"dt": 0.01, "solver": "rk4", "t_warmup": 5.0, "t_frame_warmup": 2.0,
                "t_window": 10.0, "t_snapshot": 0.5, "t_backward_warmup": 10.0,
                "key": jax.random.key(3)}
    every_step = jc.covariant_lyapunov_vectors(Lorenz(), t_ons=0.01, **settings)
    auto = jc.covariant_lyapunov_vectors(Lorenz(), t_ons="auto", **settings)
    assert every_step.t_ons == 0.01 and auto.t_ons == pytest.approx(0.25)
    np.testing.assert_allclose(auto.exponents, every_step.exponents, rtol=0, atol=1e-12)
    np.testing.assert_allclose(auto.backward_exponents, every_step.backward_exponents,
                               rtol=0, atol=1e-12)
    cosines = np.abs(np.einsum("sni,sni->si", auto.vectors, every_step.vectors))
    np.testing.assert_allclose(cosines, 1.0, rtol=0, atol=1e-12)
