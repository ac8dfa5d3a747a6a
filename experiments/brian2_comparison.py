"""Inhibitory δ-pulse LIF network: jaxchaos (exact, event-based) vs Brian2 (clock-driven).

jaxchaos and Brian2 live in different environments, so the script has two halves joined by an
.npz file:

1. (jaxchaos's environment, the default mode) build an inhibitory LIF network with
   `jc.SpikingNetwork.random` (N neurons, fixed out-degree K, weights −J0/√K, balance drive
   I = τ√K J0 ν̄), draw the initial phases, and write to `<out>/brian2_network.npz` its exact
   connectivity (presynaptic, postsynaptic, weight of every synapse), the drive, τ and the initial
   voltages V0 = V(φ0) of each initial condition; then run it exactly with `jc.run_spikes`.
2. (`--brian NPZ`, Brian2's environment; imports only numpy and brian2) the same network in
   Brian2: `NeuronGroup` with dv/dt = (−v + I)/τ (integrated exactly, method "exact"),
   threshold v > 1, reset v = 0, `Synapses` with on_pre v += w on the exported connectivity,
   the same V0, clock-driven at one time step dt; writes the spike times and neurons.

Both simulators run the same `--ics` initial conditions (6 by default; the spread of the exact
statistics over them is the statistical error of the comparison). With `--brian-python PYTHON`
(a Python that has brian2, e.g. /tmp/brian-venv/bin/python) the default mode runs part 2
through a subprocess for every dt and compares, averaged over the initial conditions: the
population rate and mean CV after a transient (differences with standard errors); the rms over
neurons of the per-neuron rate difference against the exact run from the same initial
condition (the floor set by the finite window: the same rms between exact runs from different
initial conditions); the fraction of exact spikes that Brian2 reproduces (same neuron within
max(2 dt, 0.01 τ)) in the first 1 τ, the first 10 τ and the last 10 τ; and the wall time of
each simulation (compiled code, excluding jaxchaos's compilation and Brian2's code generation:
both are timed on a second stretch of simulated time after a first one that compiles).

    /work/main/.venv/bin/python experiments/brian2_comparison.py \
        --brian-python /tmp/brian-venv/bin/python [--quick] [--out DIR]

Brian2 is needed only here: `python3 -m venv /tmp/brian-venv && /tmp/brian-venv/bin/pip install
brian2 "numpy<2.4"` (Brian2 2.9.0 fails to import with NumPy 2.4, which removed
`ndarray.ptp`; measured with Brian2 2.9.0, NumPy 2.3.5, Cython 3). `--target numpy` runs
Brian2 without compiling (slower) if Cython fails.
Writes `brian2_comparison[_quick][_TAG].json` and the figure `brian2_comparison[_quick][_TAG].png`
to `--out` (default `docs/figures`) and prints the Markdown table of the README.
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
    """Part 2: the exported network in Brian2 at time step `dt` (units of τ), from each row of
    initial voltages in turn; writes `out`."""
    import brian2 as b2

    b2.prefs.codegen.target = target
    b2.prefs.logging.console_log_level = "WARNING"
    data = np.load(npz)
    ms = b2.ms
    tau = float(data["tau"]) * ms  # τ = 1 ms of Brian2 time: every time below in units of τ
    b2.defaultclock.dt = dt * ms
    n = int(data["n"])
    t_warm, t_measure = float(data["t_warm"]), float(data["t_measure"])
    res = {"dt": dt, "target": target, "version": b2.__version__}
    walls, firsts = [], []
    for m, v0 in enumerate(data["v0"]):
        group = b2.NeuronGroup(n, "dv/dt = (-v + I) / tau : 1\nI : 1",
                               threshold="v > 1", reset="v = 0", method="exact",
                               namespace={"tau": tau})
        group.I = float(data["drive"])
        group.v = v0
        syn = b2.Synapses(group, group, "w : 1", on_pre="v_post += w")
        syn.connect(i=data["pre"], j=data["post"])
        syn.w = data["weight"]
        mon = b2.SpikeMonitor(group)
        net = b2.Network(group, syn, mon)
        start = time.perf_counter()
        net.run(t_warm * ms)
        firsts.append(time.perf_counter() - start)
        start = time.perf_counter()
        net.run(t_measure * ms)
        walls.append(time.perf_counter() - start)
        res[f"times_{m}"] = np.asarray(mon.t / ms)
        res[f"neurons_{m}"] = np.asarray(mon.i)
    np.savez(out, wall=walls, wall_first=firsts, **res)


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
    parser.add_argument("--ics", type=int, default=6, help="initial conditions (each simulator "
                        "runs every one)")
    parser.add_argument("--out", default="docs/figures")
    parser.add_argument("--tag", default="", help="appended to the output names")
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
        args.t, args.dts, args.ics = 30.0, "0.1,0.01", 2
    suffix = ("_quick" if args.quick else "") + (f"_{args.tag}" if args.tag else "")
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
    phases = [jc.random_phases(jax.random.key(args.seed + 1 + m), net) for m in range(args.ics)]
    v0 = np.stack([np.asarray(neuron.voltage(ph, drive)) for ph in phases])
    npz = out / f"brian2_network{suffix}.npz"
    np.savez(npz, n=n, pre=pre[real].astype(np.int32), post=idx[real].astype(np.int32),
             weight=w[real], drive=drive, tau=float(neuron.tau), v0=v0, t_warm=T_WARM,
             t_measure=t_measure)
    budget = int(2.0 * n * float(neuron.free_rate(drive)) * (T_WARM + t_measure)) + 1000
    ex = [run_exact(net, ph, T_WARM, t_measure, budget) for ph in phases]
    st_ex = [statistics(t, i, n, T_WARM, t_measure) for t, i, _ in ex]
    pop = np.array([s["population_rate"] for s in st_ex])
    cvs = np.array([np.nanmean(s["cv"]) for s in st_ex])
    m_ics = args.ics
    floor = float(np.mean([np.sqrt(np.mean((st_ex[a]["rates"] - st_ex[b]["rates"]) ** 2))
                           for a in range(m_ics) for b in range(a)])) if m_ics > 1 else np.nan
    wall_ex = float(np.mean([wl for *_, wl in ex]))
    spikes_ex = float(np.mean([((t > T_WARM) & (t <= T_WARM + t_measure)).sum() for t, *_ in ex]))
    se = 1.0 / np.sqrt(m_ics)
    exact = {"rate": float(pop.mean()), "rate_se": float(pop.std(ddof=1) * se),
             "cv": float(cvs.mean()), "cv_se": float(cvs.std(ddof=1) * se),
             "rates_ics": pop.tolist(), "cvs_ics": cvs.tolist(), "wall": wall_ex,
             "spikes": spikes_ex, "rms_between_ics": floor}
    print(f"N = {n}, K = {args.k}, J0 = {args.coupling:g}, target ν̄τ = {args.rate:g}, "
          f"I = {drive:g}; {T_WARM:g} τ + {t_measure:g} τ measured, {m_ics} initial conditions",
          flush=True)
    print(f"exact: rate {exact['rate']:.5f} ± {exact['rate_se']:.5f} (standard error over "
          f"initial conditions), CV {exact['cv']:.4f} ± {exact['cv_se']:.4f}, "
          f"{spikes_ex:.0f} spikes in {wall_ex:.2f} s per run; per-neuron rate rms between "
          f"initial conditions {floor:.4f}", flush=True)
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
            data = dict(np.load(res))
            res.unlink()
            tol = max(2 * dt, 0.01)
            end = T_WARM + t_measure
            b_pop, b_cv, rms, match = [], [], [], []
            for m in range(m_ics):
                t_b, n_b = data[f"times_{m}"], data[f"neurons_{m}"].astype(np.int64)
                st = statistics(t_b, n_b, n, T_WARM, t_measure)
                b_pop.append(st["population_rate"])
                b_cv.append(np.nanmean(st["cv"]))
                rms.append(np.sqrt(np.mean((st["rates"] - st_ex[m]["rates"]) ** 2)))
                t_e, n_e, _ = ex[m]
                match.append([matched_fraction(t_e, n_e, t_b, n_b, tol, win)
                              for win in ((0.0, 1.0), (0.0, 10.0), (end - 10.0, end))])
                if m == 0:
                    rates0 = np.round(st["rates"], 5).tolist()
            b_pop, b_cv = np.array(b_pop), np.array(b_cv)
            d_rate, d_cv = b_pop / pop - 1.0, b_cv - cvs
            match = np.mean(match, axis=0)
            row = {"dt": dt, "rate": float(b_pop.mean()), "rates_ics": b_pop.tolist(),
                   "rel_rate_diff": float(d_rate.mean()),
                   "rel_rate_diff_se": float(d_rate.std(ddof=1) * se) if m_ics > 1 else np.nan,
                   "cv": float(b_cv.mean()), "cvs_ics": b_cv.tolist(),
                   "cv_diff": float(d_cv.mean()),
                   "cv_diff_se": float(d_cv.std(ddof=1) * se) if m_ics > 1 else np.nan,
                   "rms": float(np.mean(rms)), "rates_ic0": rates0,
                   "matched_1": float(match[0]), "matched_first": float(match[1]),
                   "matched_last": float(match[2]), "tolerance": tol,
                   "wall": float(np.mean(data["wall"])),
                   "wall_first": float(np.mean(data["wall_first"])),
                   "process": total, "target": str(data["target"]),
                   "brian2": str(data["version"])}
            rows.append(row)
            print(f"Brian2 dt = {dt:g} τ: rate {row['rate']:.5f} "
                  f"({100 * row['rel_rate_diff']:+.3f} ± {100 * row['rel_rate_diff_se']:.3f}%), "
                  f"CV {row['cv']:.4f} ({row['cv_diff']:+.4f} ± {row['cv_diff_se']:.4f}), "
                  f"per-neuron rms {row['rms']:.4f}, spikes matched within {tol:g} τ: first "
                  f"1 τ {match[0]:.3f}, first 10 τ {match[1]:.3f}, last 10 τ {match[2]:.3f}; "
                  f"{row['wall']:.2f} s per run ({row['wall'] / wall_ex:.1f}x exact; first "
                  f"{T_WARM:g} τ with code generation {row['wall_first']:.1f} s)", flush=True)
    load = os.getloadavg()
    result = {"n": n, "k": args.k, "coupling": args.coupling, "target": args.rate,
              "drive": drive, "t_warm": T_WARM, "t_measure": t_measure, "ics": m_ics,
              "exact": exact, "exact_rates_ic0": np.round(st_ex[0]["rates"], 5).tolist(),
              "brian2": rows, "loadavg": list(load)}
    (out / f"brian2_comparison{suffix}.json").write_text(json.dumps(result))
    npz.unlink()

    print(f"\nload average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}\n")
    print(f"| simulator | dt (τ) | rate ντ (mean of {m_ics}) | vs exact | mean CV | vs exact | "
          "per-neuron rate rms vs exact (1/τ) | spikes matched, first 1 τ / 10 τ / last 10 τ | "
          f"wall time per {t_measure:g} τ (s) | vs exact |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| jaxchaos, exact | — | {exact['rate']:.5f} ± {exact['rate_se']:.5f} | — | "
          f"{exact['cv']:.3f} ± {exact['cv_se']:.3f} | — | {floor:.4f} (between initial "
          f"conditions) | — | {wall_ex:.2f} | 1 |")
    for row in rows:
        print(f"| Brian2 | {row['dt']:g} | {row['rate']:.5f} | "
              f"{100 * row['rel_rate_diff']:+.3f} ± {100 * row['rel_rate_diff_se']:.3f}% | "
              f"{row['cv']:.3f} | {row['cv_diff']:+.3f} ± {row['cv_diff_se']:.3f} | "
              f"{row['rms']:.4f} | {row['matched_1']:.2f} / {row['matched_first']:.2f} / "
              f"{row['matched_last']:.2f} | {row['wall']:.2f} | {row['wall'] / wall_ex:.1f}x |")

    if rows:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        d = np.array([r["dt"] for r in rows])
        err = np.array([abs(r["rel_rate_diff"]) for r in rows])
        axes[0].errorbar(d, np.maximum(err, 1e-6), [r["rel_rate_diff_se"] for r in rows],
                         fmt="o-", label="|population rate − exact| / exact")
        axes[0].plot(d, [r["rms"] / exact["rate"] for r in rows], "s-",
                     label="per-neuron rate rms / rate")
        axes[0].axhline(floor / exact["rate"], color="k", ls="--", lw=0.8,
                        label="per-neuron rms, exact vs exact")
        axes[0].axhline(exact["rate_se"] / exact["rate"], color="gray", ls=":", lw=0.8,
                        label="standard error of the exact rate")
        axes[0].set_xscale("log")
        axes[0].set_yscale("log")
        axes[0].set_xlabel("Brian2 time step dt (τ)")
        axes[0].set_ylabel("relative to jaxchaos exact")
        axes[0].legend(fontsize=6)
        finest = rows[-1]
        axes[1].plot(st_ex[0]["rates"], finest["rates_ic0"], ".", ms=2, alpha=0.5)
        top = max(st_ex[0]["rates"].max(), max(finest["rates_ic0"]))
        axes[1].plot([0, top], [0, top], "k--", lw=0.8)
        axes[1].set_xlabel("rate, jaxchaos exact (1/τ)")
        axes[1].set_ylabel(f"rate, Brian2 dt = {finest['dt']:g} τ (1/τ)")
        fig.suptitle(f"Inhibitory LIF, N = {n}, K = {args.k}, J0 = {args.coupling:g}, "
                     f"I = {drive:g}: Brian2 vs exact")
        fig.tight_layout()
        save_figure(fig, out / f"brian2_comparison{suffix}.png", key=f"brian2_comparison{suffix}",
                    note=f"experiments/brian2_comparison.py{' --quick' if args.quick else ''}"
                         f" --coupling {args.coupling:g} --rate {args.rate:g}: "
                         f"one network, {m_ics} initial conditions, {t_measure:g} τ after "
                         f"{T_WARM:g} τ")

if __name__ == "__main__":
    sys.exit(main())
