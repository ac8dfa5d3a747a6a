"""Inhibitory δ-pulse LIF network: jaxchaos (exact, event-based) vs Brian2 (clock-driven).

jaxchaos and Brian2 live in different environments, so the script has two halves joined by an
.npz file:

1. (jaxchaos's environment, the default mode) build an inhibitory LIF network with
   `jc.SpikingNetwork.random` (N neurons, fixed out-degree K, weights −J0/√K, balance drive
   I = τ√K J0 ν̄), draw the initial phases, and write to `<out>/brian2_network.npz` its exact
   connectivity (presynaptic, postsynaptic, weight of every synapse), the drive, τ and the initial
   voltages V0 = V(φ0); then run it exactly with `jc.run_spikes` (a second initial condition too,
   as the finite-time baseline of the per-neuron rates).
2. (`--brian NPZ`, Brian2's environment; imports only numpy and brian2) the same network in
   Brian2: `NeuronGroup` with dv/dt = (−v + I)/τ (integrated exactly, method "exact"),
   threshold v > 1, reset v = 0, `Synapses` with on_pre v += w on the exported connectivity,
   the same V0, clock-driven at each time step dt; writes the spike times and neurons.

With `--brian-python PYTHON` (a Python that has brian2, e.g. /tmp/brian-venv/bin/python) the
default mode runs part 2 through a subprocess for every dt and compares: population rate and
mean CV after a transient; the rms over neurons of the per-neuron rate difference against the
exact run (and, as the floor set by the finite window, between exact runs from different
initial conditions, `--ics`, which also give the spread of the exact population rate and CV);
the fraction of exact spikes that Brian2 reproduces (same neuron within max(2 dt, 0.01 τ)) in
the first 1 τ, the first 10 τ and the last 10 τ; and the wall time of each simulation
(compiled code, excluding jaxchaos's compilation and Brian2's code generation: both are timed
on a second stretch of simulated time after a first one that compiles).

    /work/main/.venv/bin/python experiments/brian2_comparison.py \
        --brian-python /tmp/brian-venv/bin/python [--quick] [--out DIR]

Brian2 is needed only here: `python3 -m venv /tmp/brian-venv && /tmp/brian-venv/bin/pip install
brian2 numpy`. `--target numpy` runs Brian2 without compiling (slower) if Cython fails.
Writes `brian2_comparison[_quick].json` and the figure `brian2_comparison[_quick].png` to `--out`
(default `docs/figures`) and prints the Markdown table of the README.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

T_WARM = 10.0  # τ: transient, also the stretch on which both simulators compile


# ------------------------------------------------------------------------------ Brian2 half

def run_brian(npz: str, dt: float, out: str, target: str) -> None:
    """Part 2: the exported network in Brian2 at time step `dt` (units of τ); writes `out`."""
    import brian2 as b2

    b2.prefs.codegen.target = target
    b2.prefs.logging.console_log_level = "WARNING"
    data = np.load(npz)
    ms = b2.ms
    tau = float(data["tau"]) * ms  # τ = 1 ms of Brian2 time: every time below in units of τ
    b2.defaultclock.dt = dt * ms
    n = int(data["n"])
    group = b2.NeuronGroup(n, "dv/dt = (-v + I) / tau : 1\nI : 1",
                           threshold="v > 1", reset="v = 0", method="exact",
                           namespace={"tau": tau})
    group.I = float(data["drive"])
    group.v = data["v0"]
    syn = b2.Synapses(group, group, "w : 1", on_pre="v_post += w")
    syn.connect(i=data["pre"], j=data["post"])
    syn.w = data["weight"]
    mon = b2.SpikeMonitor(group)
    net = b2.Network(group, syn, mon)
    t_warm, t_measure = float(data["t_warm"]), float(data["t_measure"])
    start = time.perf_counter()
    net.run(t_warm * ms)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    net.run(t_measure * ms)
    wall = time.perf_counter() - start
    np.savez(out, times=np.asarray(mon.t / ms), neurons=np.asarray(mon.i), dt=dt,
             wall=wall, wall_first=warm, target=target, version=b2.__version__)


# ---------------------------------------------------------------------------- jaxchaos half

def statistics(times, neurons, n, t_warm, t_measure):
    """Per-neuron rates and CVs over (t_warm, t_warm + t_measure]."""
    import jaxchaos as jc

    keep = (times > t_warm) & (times <= t_warm + t_measure)
    return jc.spike_statistics(times[keep] - t_warm, neurons[keep], n, t_measure)


def run_exact(net, phases, t_warm, t_measure, budget):
    """Exact run to t_warm (compiles), then on to t_warm + t_measure (timed)."""
    import jax

    import jaxchaos as jc

    first = jc.run_spikes(net, phases, t_end=t_warm, max_spikes=budget)
    jax.block_until_ready(first.state)
    start = time.perf_counter()
    second = jc.run_spikes(net, state=first.state, t_end=t_warm + t_measure, max_spikes=budget)
    jax.block_until_ready(second.times)
    wall = time.perf_counter() - start
    t1, n1 = first.spikes()
    t2, n2 = second.spikes()
    return np.concatenate([t1, t2]), np.concatenate([n1, n2]), wall


def matched_fraction(ref_t, ref_n, t, n, tol, window):
    """Fraction of reference spikes in `window` with a spike of the same neuron within `tol`."""
    lo, hi = window
    sel = (ref_t > lo) & (ref_t <= hi)
    ref_t, ref_n = ref_t[sel], ref_n[sel]
    if ref_t.size == 0:
        return float("nan")
    order = np.lexsort((t, n))
    t, n = t[order], n[order]
    key = n * 1e6 + t  # neurons apart by far more than any time (t < 1e6 τ)
    ref_key = ref_n * 1e6 + ref_t
    pos = np.searchsorted(key, ref_key)
    best = np.full(ref_t.shape, np.inf)
    for p in (pos - 1, pos):
        ok = (p >= 0) & (p < key.size)
        pc = np.clip(p, 0, max(key.size - 1, 0))
        same = ok & (n[pc] == ref_n) if key.size else np.zeros_like(ok)
        best = np.where(same, np.minimum(best, np.abs(t[pc] - ref_t)), best)
    return float(np.mean(best <= tol))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brian", metavar="NPZ", help="part 2 only (Brian2's environment)")
    parser.add_argument("--dt", type=float, help="with --brian: the time step (τ)")
    parser.add_argument("--brian-out", help="with --brian: output .npz")
    parser.add_argument("--brian-python", help="a Python with brian2: run part 2 for every dt")
    parser.add_argument("--target", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--coupling", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--t", type=float, default=200.0, help="measured time (τ)")
    parser.add_argument("--dts", default="0.1,0.03,0.01,0.003,0.001,0.0001")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ics", type=int, default=4, help="exact runs from this many initial "
                        "conditions (the first is the one given to Brian2)")
    parser.add_argument("--out", default="docs/figures")
    args = parser.parse_args()
    if args.brian:
        run_brian(args.brian, args.dt, args.brian_out, args.target)
        return
    compare(args)


def compare(args):
    import jax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from _figures import save_figure

    import jaxchaos as jc

    jax.config.update("jax_enable_x64", True)
    if args.quick:
        args.t, args.dts = 30.0, "0.1,0.01"
    suffix = "_quick" if args.quick else ""
    dts = [float(x) for x in args.dts.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n, t_measure = args.n, args.t
    net = jc.SpikingNetwork.random(args.seed, n, args.k, neuron="lif", coupling=args.coupling,
                                   rate=args.rate)
    neuron, drive = net.neuron, float(net.drive)
    op = net.connectivity
    idx, w = np.asarray(op.indices), np.asarray(op.weights)  # (slots, N): column = presynaptic
    pre = np.broadcast_to(np.arange(n), idx.shape)
    real = w != 0
    phases = jc.random_phases(jax.random.key(args.seed + 1), net)
    v0 = np.asarray(neuron.voltage(phases, drive))
    npz = out / f"brian2_network{suffix}.npz"
    np.savez(npz, n=n, pre=pre[real].astype(np.int32), post=idx[real].astype(np.int32),
             weight=w[real], drive=drive, tau=float(neuron.tau), v0=v0, t_warm=T_WARM,
             t_measure=t_measure)
    budget = int(2.0 * n * float(neuron.free_rate(drive)) * (T_WARM + t_measure)) + 1000
    t_ex, n_ex, wall_ex = run_exact(net, phases, T_WARM, t_measure, budget)
    stats_ex = statistics(t_ex, n_ex, n, T_WARM, t_measure)
    others = []  # other initial conditions: the spread of the exact statistics over trajectories
    for m in range(args.ics - 1):
        ph = jc.random_phases(jax.random.key(args.seed + 2 + m), net)
        t_o, n_o, _ = run_exact(net, ph, T_WARM, t_measure, budget)
        others.append(statistics(t_o, n_o, n, T_WARM, t_measure))
    floor = float(np.mean([np.sqrt(np.mean((o["rates"] - stats_ex["rates"]) ** 2))
                           for o in others])) if others else float("nan")
    pop = [float(stats_ex["population_rate"])] + [float(o["population_rate"]) for o in others]
    cvs = [float(np.nanmean(stats_ex["cv"]))] + [float(np.nanmean(o["cv"])) for o in others]
    spikes_ex = int(((t_ex > T_WARM) & (t_ex <= T_WARM + t_measure)).sum())
    exact = {"rate": pop[0], "cv": cvs[0], "wall": wall_ex, "spikes": spikes_ex,
             "rates_ics": pop, "cvs_ics": cvs, "rate_std_ics": float(np.std(pop, ddof=1)),
             "cv_std_ics": float(np.std(cvs, ddof=1)), "rms_other_ics": floor}
    print(f"N = {n}, K = {args.k}, J0 = {args.coupling:g}, target ν̄τ = {args.rate:g}, "
          f"I = {drive:g}; {T_WARM:g} τ + {t_measure:g} τ measured", flush=True)
    print(f"exact: rate {pop[0]:.5f}, CV {cvs[0]:.4f}, {spikes_ex} spikes in {wall_ex:.2f} s; "
          f"over {args.ics} initial conditions: rate {np.mean(pop):.5f} ± "
          f"{exact['rate_std_ics']:.5f} (std), CV {np.mean(cvs):.4f} ± {exact['cv_std_ics']:.4f}, "
          f"per-neuron rate rms vs the first {floor:.4f}", flush=True)
    rows = []
    if args.brian_python:
        env = dict(os.environ, PYTHONPATH="")  # Brian2's own environment, not jaxchaos's
        for dt in dts:
            res = out / f"brian2_spikes{suffix}.npz"
            cmd = [args.brian_python, __file__, "--brian", str(npz), "--dt", repr(dt),
                   "--brian-out", str(res), "--target", args.target]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, env=env)
            total = time.perf_counter() - start
            data = np.load(res)
            t_b, n_b = data["times"], data["neurons"].astype(np.int64)
            res.unlink()
            st = statistics(t_b, n_b, n, T_WARM, t_measure)
            tol = max(2 * dt, 0.01)
            row = {"dt": dt, "rate": float(st["population_rate"]),
                   "cv": float(np.nanmean(st["cv"])),
                   "rms": float(np.sqrt(np.mean((st["rates"] - stats_ex["rates"]) ** 2))),
                   "rates": np.round(st["rates"], 5).tolist(),
                   "matched_1": matched_fraction(t_ex, n_ex, t_b, n_b, tol, (0.0, 1.0)),
                   "matched_first": matched_fraction(t_ex, n_ex, t_b, n_b, tol, (0.0, 10.0)),
                   "matched_last": matched_fraction(t_ex, n_ex, t_b, n_b, tol,
                                                    (T_WARM + t_measure - 10.0,
                                                     T_WARM + t_measure)),
                   "wall": float(data["wall"]), "wall_first": float(data["wall_first"]),
                   "process": total, "target": str(data["target"]),
                   "brian2": str(data["version"])}
            rows.append(row)
            print(f"Brian2 dt = {dt:g} τ: rate {row['rate']:.5f} "
                  f"({100 * (row['rate'] / exact['rate'] - 1):+.3f}%), CV {row['cv']:.4f}, "
                  f"per-neuron rms {row['rms']:.4f}, spikes matched within {tol:g} τ: first "
                  f"10 τ {row['matched_first']:.3f}, last 10 τ {row['matched_last']:.3f}; "
                  f"{row['wall']:.2f} s ({row['wall'] / wall_ex:.1f}x exact; first {T_WARM:g} τ "
                  f"with code generation {row['wall_first']:.1f} s)", flush=True)
    load = os.getloadavg()
    result = {"n": n, "k": args.k, "coupling": args.coupling, "target": args.rate,
              "drive": drive, "t_warm": T_WARM, "t_measure": t_measure, "exact": exact,
              "exact_rates": np.round(stats_ex["rates"], 5).tolist(), "brian2": rows,
              "loadavg": list(load)}
    (out / f"brian2_comparison{suffix}.json").write_text(json.dumps(result))
    npz.unlink()

    print(f"\nload average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}\n")
    print("| simulator | dt (τ) | rate ντ | vs exact | mean CV | per-neuron rate rms (1/τ) | "
          "spikes matched, first 1 τ / 10 τ / last 10 τ | wall time (s) | vs exact |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| jaxchaos, exact | — | {exact['rate']:.5f} (± {exact['rate_std_ics']:.5f} over "
          f"initial conditions) | — | {exact['cv']:.3f} (± {exact['cv_std_ics']:.3f}) | "
          f"{floor:.4f} (other initial conditions) | — | {wall_ex:.2f} | 1 |")
    for row in rows:
        print(f"| Brian2 ({row['target']}) | {row['dt']:g} | {row['rate']:.5f} | "
              f"{100 * (row['rate'] / exact['rate'] - 1):+.3f}% | {row['cv']:.3f} | "
              f"{row['rms']:.4f} | {row['matched_1']:.2f} / {row['matched_first']:.2f} / "
              f"{row['matched_last']:.2f} | "
              f"{row['wall']:.2f} | {row['wall'] / wall_ex:.1f}x |")

    if rows:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        d = np.array([r["dt"] for r in rows])
        err = np.array([abs(r["rate"] / exact["rate"] - 1) for r in rows])
        axes[0].loglog(d, np.maximum(err, 1e-6), "o-", label="|population rate error|")
        axes[0].loglog(d, [r["rms"] / exact["rate"] for r in rows], "s-",
                       label="per-neuron rms / rate")
        axes[0].axhline(floor / exact["rate"], color="k", ls="--", lw=0.8,
                        label="exact, other initial conditions")
        axes[0].set_xlabel("Brian2 time step dt (τ)")
        axes[0].set_ylabel("relative to jaxchaos exact")
        axes[0].legend(fontsize=7)
        finest = rows[-1]
        axes[1].plot(stats_ex["rates"], finest["rates"], ".", ms=2, alpha=0.5)
        top = max(stats_ex["rates"].max(), max(finest["rates"]))
        axes[1].plot([0, top], [0, top], "k--", lw=0.8)
        axes[1].set_xlabel("rate, jaxchaos exact (1/τ)")
        axes[1].set_ylabel(f"rate, Brian2 dt = {finest['dt']:g} τ (1/τ)")
        fig.suptitle(f"Inhibitory LIF, N = {n}, K = {args.k}, J0 = {args.coupling:g}, "
                     f"I = {drive:g}: Brian2 vs exact")
        fig.tight_layout()
        save_figure(fig, out / f"brian2_comparison{suffix}.png", key=f"brian2_comparison{suffix}",
                    note=f"experiments/brian2_comparison.py{' --quick' if args.quick else ''}: "
                         f"one network, {t_measure:g} τ after {T_WARM:g} τ")


if __name__ == "__main__":
    sys.exit(main())
