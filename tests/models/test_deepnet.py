"""Deep random feed-forward nets: exact geometry of known curves, exact tangents through the
layers, the finite-width length/correlation maps and Jacobian gains against mean-field
references (numpy quadrature, written here independently), sweeps over (σ_w, σ_b), bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import ellipe

import jaxchaos as jc
from jaxchaos._models._deepnet import (
    DeepNetwork,
    great_circle,
    jacobian_gain,
    manifold_geometry,
    propagate_inputs,
)

Z = np.linspace(-12.0, 12.0, 2401)
DZ = Z[1] - Z[0]
WEIGHT = np.exp(-Z**2 / 2) / math.sqrt(2 * math.pi) * DZ  # trapezoid rule for ∫Dz (ends ~0)


def _q_map(q, sigma_w, sigma_b, phi=np.tanh):
    return sigma_w**2 * np.sum(WEIGHT * phi(math.sqrt(q) * Z) ** 2) + sigma_b**2


def _c_map(c, q, sigma_w, sigma_b):
    z1, z2 = Z[:, None], Z[None, :]
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(1 - c**2) * z2)
    pair = np.sum(WEIGHT[:, None] * WEIGHT[None, :] * np.tanh(u1) * np.tanh(u2))
    return (sigma_w**2 * pair + sigma_b**2) / q


def test_great_circle_geometry_at_the_input():
    n, q0 = 50, 2.0
    net = DeepNetwork(jax.random.key(0), 1.0, 0.0, n, 1)
    geometry = manifold_geometry(net, *great_circle(jax.random.key(1), n, q0, 16))
    radius = math.sqrt(n * q0)
    # A circle: |v| = r and κ = 1/r at every angle; the trapezoid rule is exact for constants.
    np.testing.assert_allclose(geometry.length[0], 2 * math.pi * radius, rtol=1e-13)
    np.testing.assert_allclose(geometry.curvature[0], 1 / radius, rtol=1e-12)
    np.testing.assert_allclose(geometry.grassmannian_length[0], 2 * math.pi, rtol=1e-12)


def test_curvature_of_an_ellipse():
    """Known curve: (A cos θ, B sin θ) embedded in R^N, κ = AB / (A² sin²θ + B² cos²θ)^{3/2}."""
    n, big, small, points = 6, 3.0, 1.0, 64
    theta = 2 * np.pi * np.arange(points) / points
    h = np.zeros((points, n))
    v, a = np.zeros_like(h), np.zeros_like(h)
    h[:, 0], h[:, 1] = big * np.cos(theta), small * np.sin(theta)
    v[:, 0], v[:, 1] = -big * np.sin(theta), small * np.cos(theta)
    a[:, 0], a[:, 1] = -h[:, 0], -h[:, 1]
    net = DeepNetwork(jax.random.key(0), 1.0, 0.0, n, 1)
    geometry = manifold_geometry(net, jnp.asarray(h), jnp.asarray(v), jnp.asarray(a))
    expected = big * small / (big**2 * np.sin(theta) ** 2 + small**2 * np.cos(theta) ** 2) ** 1.5
    np.testing.assert_allclose(geometry.curvature[0], expected, rtol=1e-12)
    # Perimeter 4A·E(1 - B²/A²); the periodic trapezoid rule converges geometrically (64 points:
    # below 1e-10 for this aspect ratio). The tangent turns once: Grassmannian length 2π.
    perimeter = 4 * big * ellipe(1 - small**2 / big**2)
    np.testing.assert_allclose(geometry.length[0], perimeter, rtol=1e-10)
    np.testing.assert_allclose(geometry.grassmannian_length[0], 2 * math.pi, rtol=1e-8)


def test_tangents_are_the_derivatives_of_the_propagated_curve():
    n, depth = 16, 3
    net = DeepNetwork(jax.random.key(0), 2.0, 0.5, n, depth)
    key = jax.random.key(1)

    def curve_at_depth(theta):  # an independent path: θ -> h^0(θ) -> plain loop over layers
        basis = great_circle(key, n, 1.5, 4)
        h = jnp.cos(theta) * basis[0][0] + jnp.sin(theta) * basis[1][0]
        for layer in range(1, depth + 1):
            h = net.layer(layer, h)
        return h

    points = 4
    thetas = 2 * jnp.pi * jnp.arange(points) / points
    h, v, a = great_circle(key, n, 1.5, points)

    def observe(_, h, v, a):
        return h, v, a

    hs, vs, as_ = net.scan(h, observe, v, a)
    first = jax.vmap(jax.jacfwd(curve_at_depth))(thetas)
    second = jax.vmap(jax.jacfwd(jax.jacfwd(curve_at_depth)))(thetas)
    np.testing.assert_allclose(hs[-1], jax.vmap(curve_at_depth)(thetas), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(vs[-1], first, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(as_[-1], second, rtol=1e-10, atol=1e-10)


def test_first_layer_is_affine_in_the_input():
    """h^1 = σ_w Ŵ^1 x^0 + σ_b b̂^1 (no φ on the input), h^2 = σ_w Ŵ^2 φ(h^1) + σ_b b̂^2, against
    the drawn parameters; the Jacobian gain of layer 1 is σ_w² times the mean squared column
    norm of Ŵ^1, whatever the input (a φ applied to x^0 would put φ'(x^0)² in it)."""
    n, sigma_w, sigma_b = 12, 1.7, 0.4
    net = DeepNetwork(jax.random.key(0), sigma_w, sigma_b, n, 2)
    x0 = 3.0 * jax.random.normal(jax.random.key(1), (n,))
    w1, b1 = net.layer_parameters(1)
    w2, b2 = net.layer_parameters(2)
    h1 = sigma_w * np.asarray(w1) @ np.asarray(x0) + sigma_b * np.asarray(b1)
    h2 = sigma_w * np.asarray(w2) @ np.tanh(h1) + sigma_b * np.asarray(b2)
    hs = net.scan(x0, lambda _, h: h)
    np.testing.assert_allclose(hs[0], x0, rtol=0, atol=0)
    np.testing.assert_allclose(hs[1], h1, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(hs[2], h2, rtol=1e-13, atol=1e-13)
    gain = jacobian_gain(net, x0)
    expected = sigma_w**2 * np.sum(np.asarray(w1) ** 2) / n
    np.testing.assert_allclose(gain[0], expected, rtol=1e-13)


def test_curvature_growth_matches_mean_field():
    """Measured length and length-weighted mean curvature of a great circle started at q*
    against `great_circle_mean_field` (χ1, χ2 recursion), ordered and chaotic, N = 1000, 6
    layers. At this width the per-layer relative fluctuation of κ and of the length is
    O(1/√N) per step and accumulates over the layers: measured deviations are 1-3 % at N = 500
    and 2000 (several seeds tried when writing this test), so 6 % is about 2-3 s.d. The
    Grassmannian length must grow by > 5× in the chaotic net and stay within 2× of 2π in the
    ordered one (the theory's own values: 9× and 1.3×)."""
    n, depth, sigma_b = 1000, 6, 0.3
    for sigma_w in (1.0, 2.5):
        mf = jc.deep_mean_field(sigma_w, sigma_b)
        q0 = (float(mf.q_star) - sigma_b**2) / sigma_w**2
        theory = jc.great_circle_mean_field(sigma_w, sigma_b, q0, depth)
        net = DeepNetwork(jax.random.key(0), sigma_w, sigma_b, n, depth)
        geometry = manifold_geometry(net, *great_circle(jax.random.key(1), n, q0, 96))
        np.testing.assert_allclose(geometry.mean_curvature * math.sqrt(n), theory.curvature,
                                   rtol=0.06)
        np.testing.assert_allclose(geometry.length / math.sqrt(n), theory.length, rtol=0.06)
        growth = float(geometry.grassmannian_length[-1] / (2 * math.pi))
        assert growth > 5 if sigma_w == 2.5 else growth < 2


@pytest.fixture(scope="module")
def wide_propagation():
    n, depth, sigma_w, sigma_b = 2000, 10, 1.8, 0.4
    net = DeepNetwork(jax.random.key(0), sigma_w, sigma_b, n, depth)
    h0 = jax.random.normal(jax.random.key(1), (6, n)) * math.sqrt(0.5)
    h0 = h0.at[1].set(0.9 * h0[0] + math.sqrt(1 - 0.81) * h0[1])  # a correlated pair
    q, c = jax.jit(propagate_inputs)(net, h0)
    chi = jax.jit(jacobian_gain)(net, h0)
    return net, h0, np.asarray(q), np.asarray(c), np.asarray(chi)


def test_length_map_matches_mean_field(wide_propagation):
    net, h0, q, _, _ = wide_propagation
    expected = [float(np.mean(q[0]))]
    expected.append(1.8**2 * expected[0] + 0.4**2)  # the input enters layer 1 linearly
    for _ in range(net.depth - 1):
        expected.append(_q_map(expected[-1], 1.8, 0.4))
    # q^l of one input fluctuates by O(q √(2/N)) ≈ 3% per layer sample at N = 2000, and the mean
    # over 6 inputs (correlated through the shared weights) by about as much: 6% is 2-3 s.d.
    np.testing.assert_allclose(q.mean(axis=1), expected, rtol=0.06)


def test_correlation_map_matches_mean_field(wide_propagation):
    """One step of the c-map at a time: c^{l+1} measured against c-map(c^l measured) at q*, from
    layer 3 on (q^l within 1 % of q*). Each step adds a fluctuation O((1 - c²)/√N) ≈ 0.01 at
    N = 2000, so 0.03 is 3 s.d.; iterating the map instead would accumulate the steps' errors."""
    net, _, q, c, _ = wide_propagation
    q_star = 0.5
    for _ in range(40):
        q_star = _q_map(q_star, 1.8, 0.4)
    pair = c[:, 0, 1]
    predicted = [_c_map(pair[layer], q_star, 1.8, 0.4) for layer in range(3, net.depth)]
    np.testing.assert_allclose(pair[4:], predicted, rtol=0, atol=0.03)
    assert c[-1, 0, 1] < 0.9 * c[0, 0, 1]  # chaotic phase: the pair decorrelates


def test_jacobian_gain_is_chi1(wide_propagation):
    net, _, q, _, chi = wide_propagation
    q_star = float(np.mean(q[-4:]))
    chi1 = 1.8**2 * np.sum(WEIGHT / np.cosh(math.sqrt(q_star) * Z) ** 4)
    # Mean over the last 4 layers and 6 inputs: each entry has relative s.d. ~ √(2/N)·2.
    np.testing.assert_allclose(chi[-4:].mean(), chi1, rtol=0.04)
    assert chi1 > 1  # σ_w = 1.8, σ_b = 0.4 is on the chaotic side


def test_relu_length_map_is_half_sigma_w_squared():
    """ReLU: ∫Dz relu(√q z)² = q/2, so E[q^l] = σ_w² q^{l-1}/2 + σ_b² exactly (l ≥ 2; the
    linear first layer gives σ_w² q^0 + σ_b²)."""
    n = 4000
    net = DeepNetwork(jax.random.key(2), 1.2, 0.3, n, 6, jc.Nonlinearity("relu"))
    h0 = jax.random.normal(jax.random.key(3), (4, n))
    q, _ = propagate_inputs(net, h0)
    expected = [1.0, 1.2**2 + 0.3**2]
    for _ in range(5):
        expected.append(1.2**2 * expected[-1] / 2 + 0.3**2)
    # One net: q^l of ReLU units has relative s.d. √(5/N) ≈ 3.5 % per layer (E[relu(h)⁴] =
    # 3q²/2), partly carried on through the contracting map: 8 % is about 2 s.d.
    np.testing.assert_allclose(np.mean(q, axis=1), expected, rtol=0.08)


def test_ordered_phase_contracts_the_manifold():
    n = 300
    ordered = DeepNetwork(jax.random.key(0), 0.8, 0.1, n, 15)
    chaotic = DeepNetwork(jax.random.key(0), 3.0, 0.1, n, 15)
    curve = great_circle(jax.random.key(1), n, 1.0, 64)
    lengths = {name: manifold_geometry(net, *curve).length
               for name, net in (("ordered", ordered), ("chaotic", chaotic))}
    # The length changes by about √χ1 per layer: χ1 ≈ 0.6 here (0.78^15 ≈ 0.02; measured
    # 0.012) and ≈ 2.2 in the chaotic net (1.5^15 ≈ 400, less once the curve fills the sphere).
    assert lengths["ordered"][-1] < 0.05 * lengths["ordered"][0]  # converges to a point
    assert lengths["chaotic"][-1] > 30 * lengths["chaotic"][0]  # grows exponentially


def test_sweep_over_sigmas_equals_single_networks():
    n, h0 = 64, jax.random.normal(jax.random.key(5), (3, 64))

    def point(p):
        net = DeepNetwork(jax.random.key(0), p["sigma_w"], p["sigma_b"], n, 5)
        return propagate_inputs(net, h0)[0]

    axes = {"sigma_w": [0.5, 1.5, 2.5], "sigma_b": [0.0, 0.5]}
    grid = jc.sweep(point, axes)
    for i, sigma_w in enumerate(axes["sigma_w"]):
        for j, sigma_b in enumerate(axes["sigma_b"]):
            single = propagate_inputs(DeepNetwork(jax.random.key(0), sigma_w, sigma_b, n, 5), h0)[0]
            np.testing.assert_allclose(grid[i, j], single, rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"sigma_w": -1.0}, "sigma_w"),
    ({"sigma_b": float("nan")}, "sigma_b"),
    ({"width": 0}, "width"),
    ({"depth": 2.5}, "depth"),
])
def test_bad_network(kwargs, match):
    args = {"key": jax.random.key(0), "sigma_w": 1.0, "sigma_b": 0.1, "width": 8, "depth": 3,
            **kwargs}
    with pytest.raises(jc.ConfigError, match=match):
        DeepNetwork(**args)


def test_bad_inputs():
    net = DeepNetwork(jax.random.key(0), 1.0, 0.1, 8, 3)
    with pytest.raises(jc.ConfigError, match="width = 8"):
        propagate_inputs(net, jnp.zeros((2, 7)))
    with pytest.raises(jc.ConfigError, match="q0"):
        great_circle(jax.random.key(0), 8, -1.0, 16)


def test_deep_net_job_runs_from_a_config(tmp_path):
    """`jaxchaos run` on a `job = "deep-net"` config draws every figure into the run folder."""
    import json

    from jaxchaos._runs._cli import main
    from jaxchaos._runs._deepnet_job import FIGURES
    from jaxchaos._runs._runfolder import read_record

    path = tmp_path / "deep.toml"
    path.write_text('job = "deep-net"\nname = "tiny"\n'
                    "[network]\nwidth = 48\ndepth = 4\n"
                    "[figures]\ngrid_sigma_w = 2\ngrid_sigma_b = 2\ncircle_points = 16\n"
                    "depth_scale_sigma_w = [1.2, 2.0]\n")
    folder = tmp_path / "run"
    assert main(["run", str(path), "--out", str(folder), "--no-progress"]) == 0
    record = read_record(folder)
    assert record["job"] == "deep-net" and record["status"] == "finished"
    assert sorted(p.stem for p in (folder / "figures").glob("*.png")) == sorted(FIGURES)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["sigma_w_critical"] == pytest.approx(float(jc.critical_sigma_w(0.3)))


def test_deep_net_job_resumes_with_the_figures_not_drawn(tmp_path, monkeypatch):
    """An interrupt during a figure leaves the record "interrupted" with the figures drawn so
    far; `jaxchaos resume` draws only the others."""
    from jaxchaos._runs import _deepnet_job
    from jaxchaos._runs._jobs import execute_run, start_run
    from jaxchaos._runs._runfolder import read_record

    calls = []

    def figure(name, interrupt=False):
        def draw(p, out, summary):
            calls.append(name)
            if interrupt and calls.count(name) == 1:
                raise KeyboardInterrupt
            summary[name] = p["width"]
        return draw

    monkeypatch.setattr(_deepnet_job, "FIGURES", {"a": figure("a"), "b": figure("b", True),
                                                  "c": figure("c")})
    path = tmp_path / "deep.toml"
    path.write_text('job = "deep-net"\n[network]\nwidth = 48\n')
    folder = start_run(path, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        execute_run(folder, progress=False)
    record = read_record(folder)
    assert record["status"] == "interrupted" and record["figures_done"] == ["a"]
    execute_run(folder, progress=False)
    assert calls == ["a", "b", "b", "c"]
    assert read_record(folder)["status"] == "finished"
    assert execute_run(folder, progress=False) == folder and len(calls) == 4
