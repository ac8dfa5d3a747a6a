"""Exact event-driven spiking networks: phase-transition curves, event-driven = clock-driven,
tree = argmax search, sweep = loop, and errors for bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxchaos as jc
from jaxchaos._core._errors import ConfigError

NEURONS = [jc.LIFNeuron(), jc.ThetaNeuron(), jc.RapidThetaNeuron(rapidness=1.0),
           jc.RapidThetaNeuron(rapidness=3.0), jc.RapidThetaNeuron(rapidness=20.0)]


@pytest.mark.parametrize("neuron", NEURONS, ids=lambda n: f"{type(n).__name__}")
def test_transition_is_the_voltage_kick(neuron):
    """g(φ) = Φ(V(φ) + c) and g'(φ) = (F(V)+I)/(F(V+c)+I) = dg/dφ by autodiff, for kicks of both
    signs (round-off tolerances: every expression is a few elementary functions away)."""
    drive = 1.7
    lo, hi = neuron.reset + 0.05 * neuron.period, neuron.threshold - 0.05 * neuron.period
    phases = jnp.linspace(lo, hi, 41)
    for kick in (-0.3, 0.2):
        g, dg = neuron.transition(phases, kick, drive)
        v = neuron.voltage(phases, drive)
        if isinstance(neuron, jc.LIFNeuron):
            g_ref = jnp.where(v + kick >= 1.0, 1.0, neuron.phase(v + kick, drive))
        else:
            g_ref = neuron.phase(v + kick, drive)
        np.testing.assert_allclose(g, g_ref, rtol=1e-11, atol=1e-11)
        autodiff = jax.vmap(jax.grad(lambda p, c=kick: neuron.transition(p, c, drive)[0]))(phases)
        np.testing.assert_allclose(dg, autodiff, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(neuron.phase(v, drive), phases, rtol=1e-11, atol=1e-11)


def test_rapid_theta_at_r1_is_the_theta_neuron():
    """Two independent formulas for the same neuron agree to round-off."""
    phases = jnp.linspace(-3.1, 3.1, 61)
    theta, rapid = jc.ThetaNeuron(), jc.RapidThetaNeuron(rapidness=1.0)
    for a, b in zip(theta.transition(phases, -0.4, 0.8), rapid.transition(phases, -0.4, 0.8),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    assert float(theta.omega(0.8)) == pytest.approx(float(rapid.omega(0.8)), rel=1e-15)


def _clock_driven(network, v0, t_end, dt):
    """Reference written here: voltages stepped on a fine clock (exact-exponential LIF step;
    RK4 on θ for the theta neuron), threshold crossings located by linear interpolation, the
    kicks applied at the crossing step. Returns spike times, ids, final voltages."""
    w = np.asarray(network.connectivity.to_dense())
    drive = float(network.drive)
    theta_model = isinstance(network.neuron, jc.ThetaNeuron)
    x = 2 * np.arctan(v0) if theta_model else v0.copy()  # θ (V = tan θ/2) or V
    times, ids = [], []
    decay = math.exp(-dt)

    def f(th):
        return (1 - np.cos(th)) + (1 + np.cos(th)) * drive

    for step in range(int(round(t_end / dt))):
        if theta_model:
            k1 = f(x)
            k2 = f(x + dt / 2 * k1)
            k3 = f(x + dt / 2 * k2)
            k4 = f(x + dt * k3)
            new = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            fired = np.flatnonzero(new >= np.pi)
            frac = (np.pi - x[fired]) / (new[fired] - x[fired])
            new[fired] -= 2 * np.pi
        else:
            new = drive + (x - drive) * decay
            fired = np.flatnonzero(new >= 1.0)
            frac = (1.0 - x[fired]) / (new[fired] - x[fired])
            new[fired] = 0.0
        for j, fr in sorted(zip(fired, frac, strict=True), key=lambda p: p[1]):
            times.append((step + fr) * dt)
            ids.append(j)
            if theta_model:
                new = 2 * np.arctan(np.tan(new / 2) + w[:, j])
            else:
                new = new + w[:, j]
        x = new
    volts = np.tan(x / 2) if theta_model else x
    return np.array(times), np.array(ids), volts


@pytest.mark.parametrize("neuron,coupling,dt", [("lif", 5.0, 1e-4), ("theta", 2.0, 2e-4)])
def test_event_driven_equals_clock_driven(neuron, coupling, dt):
    """Spike times and ids of the exact event loop equal a fine-clock integration of the
    voltages, and the final phases map to the same voltages. Errors of the reference are O(dt)
    (LIF: the kicks land at the end of the crossing step) or O(dt^4) between spikes plus O(dt)
    kick timing (theta); tolerance 50 dt."""
    net = jc.SpikingNetwork.random(3, 24, 4, neuron=neuron, coupling=coupling, rate=0.2)
    phases = np.asarray(jc.random_phases(jax.random.key(0), net))
    t_end = 8.0
    run = jc.run_spikes(net, phases, t_end=t_end, max_spikes=400)
    valid = np.asarray(run.valid)
    times, ids = np.asarray(run.times)[valid], np.asarray(run.neurons)[valid]
    v0 = np.asarray(net.neuron.voltage(jnp.asarray(phases), net.drive))
    ref_times, ref_ids, ref_v = _clock_driven(net, v0, t_end, dt)
    assert times.size > 25 and times.size == ref_times.size
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(times, ref_times, atol=50 * dt)
    volts = np.asarray(net.neuron.voltage(run.final_phases, net.drive))
    assert np.all(np.abs(volts - ref_v) <= 50 * dt * (1 + np.abs(ref_v) ** 2))


def test_tree_argmax_and_recentering_agree():
    """The tournament tree picks the same spiker as argmax (ties: lowest index for both), and
    re-centring the offset every 7 spikes changes times only at round-off."""
    net = jc.SpikingNetwork.random(1, 300, 15, neuron=jc.RapidThetaNeuron(rapidness=5.0),
                                   coupling=1.0, rate=0.1)
    key = jax.random.key(2)
    tree = jc.run_spikes(net, key=key, t_end=40.0, max_spikes=3000)
    arg = jc.run_spikes(net, key=key, t_end=40.0, max_spikes=3000, search="argmax")
    often = jc.run_spikes(net, key=key, t_end=40.0, max_spikes=3000, recenter_every=7)
    np.testing.assert_array_equal(tree.neurons, arg.neurons)
    np.testing.assert_array_equal(tree.times, arg.times)
    np.testing.assert_array_equal(tree.neurons[:500], often.neurons[:500])
    np.testing.assert_allclose(tree.times[:500], often.times[:500], rtol=1e-12, atol=1e-12)
    stats = jc.spike_statistics(*tree.spikes(), net.n, 40.0)
    assert 0.05 < stats["population_rate"] < 0.15 and np.nanmean(stats["cv"]) > 0


@pytest.mark.parametrize("batch_mode", ["vmap", "map"])
def test_sweep_equals_loop(batch_mode):
    """A batch over seeds, couplings, rapidness and K (padded slots) gives the spikes of
    one-network runs: the same neurons in the same order, and times equal to 1e-9 for the
    vmapped batch (runs masked after t_end; the networks are chaotic, so the round-off of
    differently fused vmapped arithmetic grows to ~1e-11 by t = 30), bit for bit for the
    mapped one (the same single-network loop). A budget too small for one entry names it."""
    specs = [(0, 10, 1.0, 1.0), (1, 10, 1.5, 3.0), (2, 6, 1.0, 10.0)]
    nets = [jc.SpikingNetwork.random(s, 60, k, neuron=jc.RapidThetaNeuron(rapidness=r),
                                     coupling=j0, rate=0.1, slots=10) for s, k, j0, r in specs]
    phases = jax.random.uniform(jax.random.key(0), (3, 60), minval=-np.pi, maxval=np.pi)
    batch = jc.run_spikes(jc.stack_networks(nets), phases, t_end=30.0, max_spikes=600,
                          batched=True, batch_mode=batch_mode)
    rtol = 1e-9 if batch_mode == "vmap" else 0.0
    for b, net in enumerate(nets):
        one = jc.run_spikes(net, phases[b], t_end=30.0, max_spikes=600)
        valid = np.asarray(one.valid)
        np.testing.assert_array_equal(np.asarray(batch.valid[b]), valid)
        np.testing.assert_array_equal(np.asarray(batch.neurons[b])[valid],
                                      np.asarray(one.neurons)[valid])
        np.testing.assert_allclose(np.asarray(batch.times[b])[valid],
                                   np.asarray(one.times)[valid], rtol=rtol)
        np.testing.assert_allclose(np.asarray(batch.final_phases[b]),
                                   np.asarray(one.final_phases), rtol=rtol, atol=rtol)
    counts = np.asarray(batch.valid).sum(1)
    with pytest.raises(ConfigError, match=r"max_spikes = .* \(batch entries \[\d"):
        jc.run_spikes(jc.stack_networks(nets), phases, t_end=30.0,
                      max_spikes=int((counts.min() + counts.max()) // 2), batched=True,
                      batch_mode=batch_mode)


def test_regenerated_targets_are_distinct_and_not_self():
    """The regenerated (O(N) memory) connectivity draws K targets ≠ j; repeats get weight 0."""
    net = jc.SpikingNetwork.random(0, 50, 8, coupling=1.0, rate=0.1, regenerate=True)
    targets, weights = jax.vmap(net.connectivity.column)(jnp.arange(50))
    for j, (t, w) in enumerate(zip(np.asarray(targets), np.asarray(weights), strict=True)):
        kept = t[w != 0]
        assert j not in kept and len(set(kept.tolist())) == kept.size and kept.size >= 5
    run = jc.run_spikes(net, key=jax.random.key(0), t_end=20.0, max_spikes=400)
    assert int(run.state.spikes) > 20


def test_stored_targets_are_distinct_and_not_self():
    rng = np.random.default_rng(0)
    for n, k in [(100, 5), (20, 19), (1000, 40)]:
        t = jc.random_targets(rng, n, k)
        assert t.shape == (n, k)
        assert all(len(set(row)) == k for row in t.tolist())
        assert not np.any(t == np.arange(n)[:, None])


def test_tree_is_argmax_with_ties():
    """The 16-ary tournament tree (node = index and ψ of the largest ψ below it) gives argmax's
    choice, the smallest index among equal maxima, after builds and after path updates, on ψ
    with many exact ties, sizes below, at and above powers of 16 (one, two and three levels)."""
    from jaxchaos._models._spiking import _build_tree, _update_tree

    rng = np.random.default_rng(0)
    for n in (5, 16, 17, 255, 256, 300, 4100):
        psi = np.append(rng.integers(0, 6, n).astype(float), -np.inf)  # many ties
        tree, peaks = _build_tree(jnp.asarray(psi))
        assert int(tree[-1, 0]) == np.argmax(psi)
        update = jax.jit(_update_tree)
        for _ in range(30):
            changed = rng.choice(n + 1, size=min(n, 7), replace=False)
            psi[changed[changed < n]] = rng.integers(0, 7, (changed < n).sum())
            tree, peaks = update(tree, peaks, jnp.asarray(psi), jnp.asarray(changed))
            assert int(tree[-1, 0]) == np.argmax(psi)
            assert peaks[-1, 0] == psi.max()
        fresh = _build_tree(jnp.asarray(psi))
        np.testing.assert_array_equal(tree, fresh[0])
        np.testing.assert_array_equal(peaks, fresh[1])


def test_out_degree_table_is_its_sparse_operator():
    """`SpikingNetwork.random` stores the targets row by row (`OutDegreeTable`); its columns,
    products and dense matrix are those of the slot-major `SparseOperator`, and a network on
    that SparseOperator spikes bit-for-bit like the one on the table."""
    net = jc.SpikingNetwork.random(3, 200, 12, coupling=1.0, rate=0.1, slots=14)
    table = net.connectivity
    assert isinstance(table, jc.OutDegreeTable) and table.targets.shape == (200, 14)
    sparse = table.as_sparse()
    for j in (0, 57, 199):
        for a, b in zip(table.column(j), sparse.column(j), strict=True):
            np.testing.assert_array_equal(a, b)
    v = jax.random.normal(jax.random.key(0), (200,))
    np.testing.assert_array_equal(table.matvec(v), sparse.matvec(v))
    np.testing.assert_array_equal(table.to_dense(), sparse.to_dense())
    assert table.to_dense().shape == (200, 200) and table.nbytes == sparse.nbytes
    other = jc.SpikingNetwork(net.neuron, sparse, net.drive)
    a = jc.run_spikes(net, key=jax.random.key(1), t_end=20.0, max_spikes=1000)
    b = jc.run_spikes(other, key=jax.random.key(1), t_end=20.0, max_spikes=1000)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.neurons, b.neurons)
    with pytest.raises(ConfigError, match="targets"):
        jc.OutDegreeTable(np.zeros((3, 2), int), np.zeros((3, 3)))


def test_bad_input_names_the_parameter():
    with pytest.raises(ConfigError, match="k = 10 must be < n"):
        jc.SpikingNetwork.random(0, 10, 10)
    with pytest.raises(ConfigError, match="coupling"):
        jc.SpikingNetwork.random(0, 100, 10, coupling=-1.0)
    with pytest.raises(ConfigError, match="rate = 5.0 cannot be reached"):
        jc.SpikingNetwork.random(0, 100, 10, neuron="theta", coupling=1.0, rate=5.0)
    with pytest.raises(ConfigError, match="rate = 0.1 cannot be reached"):
        jc.SpikingNetwork.random(0, 100, 10, neuron="lif", coupling=1.0, rate=0.1)
    with pytest.raises(ConfigError, match="neuron"):
        jc.SpikingNetwork.random(0, 100, 10, neuron="hodgkin")
    net = jc.SpikingNetwork.random(0, 100, 10, coupling=1.0, rate=0.1)
    with pytest.raises(ConfigError, match="max_spikes = 50 is too small"):
        jc.run_spikes(net, key=jax.random.key(0), t_end=100.0, max_spikes=50)


@pytest.mark.parametrize("batch_mode", [None, "map"])
def test_event_loop_never_copies_the_tree(batch_mode):
    """Performance guard: the compiled event loop updates ψ and the tournament tree in place.
    A read of the old tree after its update (the root, for the next spiker) made XLA copy the
    whole tree every spike, an O(N) cost that dominated at N ≥ 10⁵. The per-spike loop (the
    innermost while body) must not copy ψ or the tree; the re-centring between chunks of N
    spikes may (O(N) every N spikes)."""
    import re

    from jaxchaos._models._spiking import _run_spikes_mapped, _until, initial_state

    net = jc.SpikingNetwork.random(0, 300, 10, coupling=1.0, rate=0.1)
    state = initial_state(net, jc.random_phases(jax.random.key(0), net))
    t_end = jnp.asarray(10.0)
    if batch_mode is None:
        compiled = jax.jit(_until, static_argnums=(3, 4, 5)).lower(net, state, t_end, 500,
                                                                   "tree", 300)
    else:
        stack = jc.stack_networks([net, net])
        states = jax.tree_util.tree_map(lambda x: jnp.stack([x, x]), state)
        compiled = jax.jit(_run_spikes_mapped.__wrapped__, static_argnums=(3, 4, 5)).lower(
            stack, states, t_end, 500, "tree", 300)
    computations, name = {}, None
    for line in compiled.compile().as_text().splitlines():
        if line and not line.startswith((" ", "}")):
            name = line.split()[1] if line.startswith("ENTRY") else line.split()[0]
        computations.setdefault(name, []).append(line)
    bodies = re.findall(r"body=(%[\w.-]+)", "\n".join(sum(computations.values(), [])))
    innermost = [b for b in bodies if not any(" while(" in x for x in computations[b])]
    assert innermost  # the per-spike loop
    rows = state.tree.shape[0]
    arrays = rf"((s32|f64)\[{rows},16\]|f64\[301\])"  # the tree, its peaks, ψ
    copies = [x.strip()[:80] for b in innermost for x in computations[b]
              if re.search(rf"= {arrays}\{{[0-9,]*\}} copy\(", x)]
    assert copies == []
