"""Where the time of one spike goes in the exact event loop (`jc.run_spikes`, tree search), vs N.

1. Ablations at N = 10⁴, 10⁵ (stored targets) and 10⁵, 10⁶ (regenerated), K = 100, theta
   neurons: µs per spike of the full step and of the same step without the tree update (the
   spiker drawn from the count instead), without the connectivity read (targets hashed from j),
   and without the phase-transition curve (a constant kick). The dynamics of an ablated loop
   differ, the work per spike does not (the loops run a fixed number of spikes). Last, targets
   hashed from j against the K neurons after j on a ring ("local targets"): the same operations
   (the tree update recomputes K + 1 nodes per level either way), only the locality of the
   memory accesses differs, so their difference is the cost of cache misses, and the growth of
   the local variant with N is that of the operation count (the tree's levels, ⌈log16 N⌉).
2. Memory-access microbenchmarks on an array of N + 1 float64, the size of ψ: K + 1 random
   reads, and K + 1 random reads and writes, per step (in a compiled loop).
3. `--before REV`: the event loop of the git revision REV (its `_models/_spiking.py`, loaded
   next to the current one) against the current one on the same networks and initial phases,
   in one run: µs per spike, the ratio, and whether the spikes are bit-for-bit the same.

    .venv/bin/python scripts/profile_spiking.py [--spikes 3000] [--sizes 1e4,1e5,1e5r,1e6r]
        [--before e284f6c]

(`r`: regenerated connectivity.) Best of 3 interleaved repeats after a warm-up call, in CPU time
of this process (`time.process_time`: on cores shared with other jobs, wall time also counts the
time the process waits for a core). From N ≈ 33 000 on, XLA splits the loop's ψ-sized fusions
into tasks for a second thread, which doubles the CPU time (README, "why the cost grew faster
than log N"): run under `taskset -c 0` to measure the loop itself.
"""

import argparse
import functools
import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import jaxchaos as jc
from jaxchaos._models import _spiking as S

jax.config.update("jax_enable_x64", True)
K = 100


def _hash(i, n, count):
    """`count` pseudo-random indices below n from the integer i (cheap, in the loop)."""
    x = jnp.arange(count, dtype=jnp.uint32) * jnp.uint32(2654435761) + (
        jnp.asarray(i).astype(jnp.uint32) * jnp.uint32(40503))
    x = x ^ (x >> 13)
    x = x * jnp.uint32(0x5BD1E995)
    x = x ^ (x >> 15)
    return (x % jnp.uint32(n)).astype(jnp.int32)


def ablated_step(network, state, parts):
    """`spike_step` (tree search, no t_end) with the pieces not in `parts` replaced."""
    n, neuron = network.n, network.neuron
    j = state.spiker if "tree" in parts else _hash(state.spikes, n, 1)[0]
    offset = jnp.maximum(state.offset, neuron.threshold - state.psi[j])
    time_ = state.time + (offset - state.offset) / network.omega
    if "column" in parts:
        targets, kicks = network.connectivity.column(j)
    elif "local" in parts:  # the K neurons after j (a ring): the same work, cache-friendly
        targets, kicks = (j + 1 + jnp.arange(K, dtype=jnp.int32)) % n, jnp.full(K, -0.1)
    else:
        targets, kicks = _hash(j, n, K), jnp.full(K, -0.1)
    valid = kicks != 0
    targets = jnp.where(valid, targets, n).astype(jnp.int32)
    before = state.psi[targets] + offset
    if "transition" in parts:
        g = neuron.transition(jnp.where(valid, before, neuron.reset), kicks, network.drive)[0]
    else:
        g = before - 0.01
    changed = jnp.concatenate([j[None], targets])
    values = jnp.concatenate([(neuron.reset - offset)[None],
                              jnp.where(valid, g - offset, -jnp.inf)])
    psi = state.psi.at[changed].set(values, unique_indices=True)
    tree, peaks, spiker = state.tree, state.peaks, state.spiker
    if "tree" in parts:
        tree, peaks = S._update_tree(tree, peaks, psi, changed)
        spiker = tree[-1, 0]
    return S.EventState(psi, offset, time_, tree, peaks, state.spikes + 1, spiker)


@eqx.filter_jit
def ablated_loop(network, state, spikes, parts):
    def body(carry):
        st, count, times = carry
        st = ablated_step(network, st, parts)
        return st, count + 1, times.at[count].set(st.time)

    init = (state, jnp.zeros((), jnp.int32), jnp.zeros(spikes))
    return jax.lax.while_loop(lambda c: c[1] < spikes, body, init)[2]


@eqx.filter_jit
def memory_loop(psi, steps, write):
    def body(i, carry):
        psi, acc = carry
        idx = _hash(i, psi.shape[0], K + 1)
        if write:
            return psi.at[idx].set(psi[idx] * 0.999, unique_indices=True), acc
        return psi, acc + jnp.sum(psi[idx])

    return jax.lax.fori_loop(0, steps, body, (psi, jnp.zeros(())))


def best(calls, repeats=3):
    for call in calls.values():
        jax.block_until_ready(call())
    out = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.process_time()
            jax.block_until_ready(call())
            out[name] = min(out[name], time.process_time() - start)
    return out


def network(label):
    regenerate = label.endswith("r")
    n = int(float(label.rstrip("r")))
    net = jc.SpikingNetwork.random(0, n, K, neuron="theta", coupling=1.0, rate=0.1,
                                   regenerate=regenerate)
    return n, regenerate, net, jc.random_phases(jax.random.key(0), net)


VARIANTS = {"full": ("tree", "column", "transition"), "no tree": ("column", "transition"),
            "no connectivity read": ("tree", "transition"),
            "no transition": ("tree", "column"),
            "local targets, no connectivity read": ("tree", "transition", "local")}


def part_ablations(sizes, spikes):
    print(f"1./2. µs per spike (K = {K}, {spikes} spikes; memory: K + 1 random accesses to "
          "N + 1 float64)")
    print("| N | " + " | ".join(VARIANTS) + " | random reads | random reads + writes |")
    print("|---" * (len(VARIANTS) + 3) + "|")
    for label in sizes:
        n, regenerate, net, phases = network(label)
        state = S.initial_state(net, phases)
        calls = {v: functools.partial(ablated_loop, net, state, spikes, p) for v, p in
                 VARIANTS.items()}
        psi = jnp.asarray(np.random.default_rng(0).random(n + 1))
        calls["reads"] = functools.partial(memory_loop, psi, spikes, False)
        calls["writes"] = functools.partial(memory_loop, psi, spikes, True)
        times = best(calls)
        cells = [f"{1e6 * t / spikes:.1f}" for t in times.values()]
        name = f"{n:.0e}" + (" (regenerated)" if regenerate else "")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def load_revision(rev):
    source = subprocess.run(["git", "show", f"{rev}:jaxchaos/_models/_spiking.py"],
                            capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "_spiking_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("jaxchaos._models._spiking_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def part_before(sizes, spikes, rev):
    old = load_revision(rev)
    print(f"3. event loop of {rev} vs now (µs per spike, {spikes} spikes)")
    print(f"| N | {rev} | now | speed-up | same spikes |")
    print("|---|---|---|---|---|")
    for label in sizes:
        n, regenerate, net, phases = network(label)
        # the old loop on the slot-major SparseOperator it was written for
        old_net = (jc.SpikingNetwork(net.neuron, net.connectivity.as_sparse(), net.drive)
                   if isinstance(net.connectivity, jc.OutDegreeTable) else net)
        args = (jnp.asarray(1e12), spikes, "tree", max(n, 256))
        runs = {"old": functools.partial(old._run_spikes_until, old_net,
                                         old.initial_state(old_net, phases), *args),
                "new": functools.partial(S._run_spikes_until, net, S.initial_state(net, phases),
                                         *args)}
        a, b = runs["old"](), runs["new"]()
        same = all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in
                   [(a.times, b.times), (a.neurons, b.neurons), (a.state.psi, b.state.psi)])
        times = best(runs)
        name = f"{n:.0e}" + (" (regenerated)" if regenerate else "")
        print(f"| {name} | {1e6 * times['old'] / spikes:.1f} | {1e6 * times['new'] / spikes:.1f}"
              f" | {times['old'] / times['new']:.2f}x | {same} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spikes", type=int, default=3000)
    parser.add_argument("--sizes", default="1e4,1e5,1e5r,1e6r")
    parser.add_argument("--before", default=None, help="git revision to compare against")
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    print(f"devices: {jax.devices()}; float64")
    if args.before:
        part_before(sizes, args.spikes, args.before)
    else:
        part_ablations(sizes, args.spikes)


if __name__ == "__main__":
    main()
