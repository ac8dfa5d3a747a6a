"""Benchmark of the exact event-based spiking simulator (`jc.run_spikes`), ratios in one run.

1. Spikes per second of one inhibitory theta network (N = 10⁴, K = 100) with the tournament tree
   and with argmax search, against an event-driven NumPy implementation of the same algorithm
   (global phase offset, argmax over N, vectorised update of the K targets); the NumPy run must
   produce the same spike sequence.
2. A batch of B = 16 networks (different seeds) in one run, `batch_mode="map"` (the networks
   one after the other in one compiled call, unmasked) and `"vmap"` (masked, vectorised),
   against 16 single runs.
3. Wall time per spike vs N at fixed K = 100 (tree and argmax; without `--quick` also
   N = 10⁵ and 10⁶ with regenerated connectivity, O(N) memory). The initial tree is built
   outside the timed call.
4. Spectrum cost: the share of QR in a full spectrum (N = 200, K = 20, QR every 20 spikes).

    .venv/bin/python scripts/benchmark_spiking.py [--quick] [--parts 1234]

Each part times compiled runs after a warm-up call (best of a few repeats).
"""

import argparse
import time

import jax
import numpy as np
from _timing import best_times

import jaxchaos as jc
from jaxchaos._models._spiking import initial_state

jax.config.update("jax_enable_x64", True)


def numpy_event_loop(targets, kicks, phases, drive, omega, n_spikes):
    """Event-driven theta network in NumPy: the same algorithm as `run_spikes(search="argmax")`
    (targets (N, K), kicks (N, K))."""
    psi, offset, t = phases.copy(), 0.0, 0.0
    threshold, reset = np.pi, -np.pi
    neurons = np.empty(n_spikes, np.int64)
    root = np.sqrt(drive)
    for s in range(n_spikes):
        j = int(np.argmax(psi))
        new_offset = max(offset, threshold - psi[j])
        t += (new_offset - offset) / omega
        offset = new_offset
        tg = targets[j]
        half = (psi[tg] + offset) / 2
        sin, cos = np.sin(half), np.cos(half)
        g = 2 * np.arctan2(sin + kicks[j] / root * cos, cos)
        psi[j] = reset - offset
        psi[tg] = g - offset
        neurons[s] = j
    return neurons, t


def spikes_call(net, phases, spikes, search):
    """A timed run of `spikes` spikes from a state built once (the tree is not timed)."""
    state = initial_state(net, phases, search=search)
    return lambda: jc.run_spikes(net, state=state, t_end=1e12, max_spikes=spikes,
                                 search=search, check=False).times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parts", default="1234", help="which parts to run, e.g. 3")
    args = parser.parse_args()
    spikes = 5_000 if args.quick else 20_000
    print(f"devices: {jax.devices()}; float64; {spikes} spikes per run")

    k = 100
    if "1" in args.parts:
        part_numpy(spikes, k)
    if "2" in args.parts:
        part_batch(spikes, k)
    if "3" in args.parts:
        part_scaling(spikes, k, args.quick)
    if "4" in args.parts:
        part_qr()


def part_numpy(spikes, k):
    # 1. one network vs NumPy
    n = 10_000
    net = jc.SpikingNetwork.random(0, n, k, neuron="theta", coupling=1.0, rate=0.1)
    phases = jc.random_phases(jax.random.key(0), net)
    times = best_times({"tree": spikes_call(net, phases, spikes, "tree"),
                        "argmax": spikes_call(net, phases, spikes, "argmax")}, repeats=3)
    idx = np.asarray(net.connectivity.targets)  # (N, K): row j = the targets of j
    kick = np.asarray(net.connectivity.kicks)
    numpy_spikes = spikes // 5
    start = time.perf_counter()
    neurons, _ = numpy_event_loop(idx, kick, np.asarray(phases), float(net.drive),
                                  float(net.omega), numpy_spikes)
    numpy_time = (time.perf_counter() - start) / numpy_spikes * spikes
    ref = jc.run_spikes(net, phases, t_end=1e12, max_spikes=numpy_spikes, check=False)
    same = np.array_equal(np.asarray(ref.neurons), neurons)
    print(f"\n1. one network, N = {n}, K = {k} (theta): spikes/s  tree {spikes / times['tree']:.3g}"
          f"  argmax {spikes / times['argmax']:.3g}  NumPy {spikes / numpy_time:.3g}"
          f"  (tree/NumPy = {numpy_time / times['tree']:.1f}x,"
          f" argmax/NumPy = {numpy_time / times['argmax']:.1f}x; same spikes: {same})")


def part_batch(spikes, k):
    # 2. batch of B networks vs B single runs
    b, nb = 16, 1000
    nets = [jc.SpikingNetwork.random(s, nb, k, neuron="theta", coupling=1.0, rate=0.1)
            for s in range(b)]
    batch = jc.stack_networks(nets)
    ph = jax.random.uniform(jax.random.key(1), (b, nb), minval=-np.pi, maxval=np.pi)
    per = spikes // 4

    def loop():
        return [jc.run_spikes(nt, ph[i], t_end=1e12, max_spikes=per, check=False).times
                for i, nt in enumerate(nets)]

    def batched(mode):
        return lambda: jc.run_spikes(batch, ph, t_end=1e12, max_spikes=per, batched=True,
                                     batch_mode=mode, check=False).times

    times = best_times({"map": batched("map"), "vmap": batched("vmap"), "loop": loop},
                       repeats=5)
    print(f"2. B = {b} networks of N = {nb}, {per} spikes each: spikes/s map "
          f"{b * per / times['map']:.3g}, vmap {b * per / times['vmap']:.3g}, loop "
          f"{b * per / times['loop']:.3g} (map/loop = {times['loop'] / times['map']:.2f}x, "
          f"vmap/loop = {times['loop'] / times['vmap']:.2f}x)", flush=True)


def part_scaling(spikes, k, quick):
    # 3. time per spike vs N at fixed K
    print(f"3. time per spike vs N, K = {k} (µs/spike):")
    print("| N | tree | argmax |")
    print("|---|---|---|")
    sizes = [(1_000, False), (10_000, False), (100_000, False)]
    if not quick:  # the regenerated operator at 10⁵ too, to compare like with like at 10⁶
        sizes += [(100_000, True), (1_000_000, True)]
    for n, regenerate in sizes:
        net = jc.SpikingNetwork.random(0, n, k, neuron="theta", coupling=1.0, rate=0.1,
                                       regenerate=regenerate)
        phases = jc.random_phases(jax.random.key(0), net)
        count = spikes if n <= 10_000 else spikes // 4  # keep each size under a minute
        calls = {"tree": spikes_call(net, phases, count, "tree")}
        if n <= 100_000 and not regenerate:
            calls["argmax"] = spikes_call(net, phases, count, "argmax")
        times = best_times(calls, repeats=2)
        cells = [f"{1e6 * times[c] / count:.1f}" if c in times else "–"
                 for c in ("tree", "argmax")]
        label = f"{n}" + (" (regenerated)" if regenerate else "")
        print(f"| {label} | {cells[0]} | {cells[1]} |", flush=True)


def part_qr():
    # 4. QR share of a full spectrum
    net = jc.SpikingNetwork.random(0, 200, 20, neuron="theta", coupling=1.0, rate=0.1)
    timings = {}
    for qr_every in (20, 2000):
        blocks = 2000 // qr_every
        kw = dict(key=jax.random.key(0), qr_every=qr_every, warmup_spikes=0,
                  frame_warmup_qrs=0, n_blocks=2, qrs_per_block=blocks)
        jc.spiking_lyapunov_spectrum(net, **kw)
        start = time.perf_counter()
        jax.block_until_ready(jc.spiking_lyapunov_spectrum(net, **kw).exponents)
        timings[qr_every] = time.perf_counter() - start
    share = 1 - timings[2000] / timings[20]
    print(f"4. full spectrum N = 200 (k = 200), 4000 spikes: QR every 20 spikes "
          f"{timings[20]:.2f} s, every 2000 {timings[2000]:.2f} s: QR share ≈ {share:.0%}")


if __name__ == "__main__":
    main()
