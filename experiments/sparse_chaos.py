"""Sparse chaos vs spike-onset rapidness (seed 003: Engelken, Monteforte & Wolf 2024).

Full Lyapunov spectra of inhibitory balanced networks of rapid theta neurons (`RapidThetaNeuron`,
r = 1 is the theta neuron) and of LIF neurons, by the exact single-spike Jacobian. For each r:
λ_max (per unit time τ), the KS entropy in bits per spike, the Kaplan–Yorke dimension density
D/N and the fraction of positive exponents. Figures, written to `--out` (default `docs/figures`):

- `sparse_chaos[_quick].png`: the four quantities vs r (LIF as a dashed line), and the spectra
  λ_i vs i/N;
- `sparse_chaos_localization[_quick].png`: localization and local exponents. Left: the
  participation ratio PR/N, averaged over the QR snapshots, of the leading Gram–Schmidt vector
  orthogonal to the time shift (= the leading covariant vector with its time-shift component
  projected out) and of the leading covariant vector itself (which keeps a component along the
  all-ones time shift, large when λ_max is near 0), vs r at two sizes N and 4N (same K; k = 2
  with the zero mode, so large N is cheap). Right: the local (finite-time)
  λ_max over QR intervals of ~1 τ vs time at r = 1 and r = 30;
- the numbers go to `sparse_chaos[_quick].json` and are printed as Markdown tables.

`--localization-sizes 200,800,... --seeds S` runs only the localization scaling: the
participation ratio (in neurons) of the leading Gram–Schmidt and covariant vectors for S seeds
(connectivity and initial condition) per (N, r), r in `--rapidness` (default 1, 2, 10, 30), at
the fixed K, mean ± standard error over seeds, and the exponent a of PR ∝ N^a per r (a ≈ 1
extensive, a ≈ 0 localized), checked against the README's conclusion
(`check_localization_claim`); figure `sparse_chaos_localization_scaling[_quick].png`, numbers in
`sparse_chaos_localization_scaling[_quick].json`.

`--clv-sizes 200` runs only the covariant Lyapunov vectors beyond the first
(`spiking_covariant_lyapunov_vectors`, all k = N of them, one network per r in
`--clv-rapidness`, default 1 and 10): the participation ratio PR/N of every vector vs its index
i/N, averaged over 50 snapshots, with the PR/N of CLV 1 and the means over the unstable vectors
(before the time-shift vector) and the stable ones; QR every N/2 spikes, `--clv-qrs` (default
2000) intervals of frame and of backward warm-up; figure `spiking_clv_localization[_quick].png`,
numbers in `spiking_clv_localization[_quick].json`.

Each network's result is kept in `results/sparse_chaos[_quick]/` (one JSON per network,
`_cache.cached`): an interrupted run continues with the networks not yet done.

    .venv/bin/python experiments/sparse_chaos.py [--quick] [--out DIR]
    .venv/bin/python experiments/sparse_chaos.py --localization-sizes 200,800,3200,12800,51200

`--quick` (N = 100, K = 10, about a minute on 2 shared CPU cores) is what the README table shows;
the default (N = 200, K = 20) takes a few minutes.
"""

import argparse
import json
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _cache import cached  # noqa: E402
from _figures import save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

jax.config.update("jax_enable_x64", True)

K = 20  # in-degree of the default networks and of the localization scaling
RAPIDNESS = [1.0, 2.0, 4.0, 10.0, 30.0, 100.0]
BURST_R = 30.0  # local exponents over time: a rapidness with few unstable directions


def network(n, k, r, seed=0):
    return jc.SpikingNetwork.random(seed, n, k, neuron=jc.RapidThetaNeuron(rapidness=r),
                                    coupling=1.0, rate=0.1)


def localization(n, k, r, key, qrs_per_block, seed=0):
    """Leading covariant vector and local exponents: k = 2 (zero mode + leading), QR every N/10
    spikes (~1 τ at ν̄τ = 0.1); `seed` draws the connectivity."""
    sp = jc.spiking_lyapunov_spectrum(network(n, k, r, seed), key=key, k=2, n_blocks=10,
                                      qrs_per_block=qrs_per_block)
    local = np.asarray(sp.local_exponents)
    times = np.asarray(sp.local_times)
    dt = np.diff(np.concatenate([[0.0], times]))
    growth = np.maximum(local, 0.0) * dt
    top = np.sort(growth)[::-1][: max(1, local.size // 10)]
    return {"lambda_max": float(sp.exponents[0]), "lambda_max_err": float(sp.stderr[0]),
            "pr": float(np.mean(sp.participation)),
            "pr_std": float(np.std(sp.participation)),
            "pr_backward": float(np.mean(sp.backward_participation)),
            "local_positive_fraction": float(np.mean(local > 0)),
            "local_mean": float(np.sum(local * dt) / times[-1]),
            "local_std": float(np.std(local)),
            "top10_share": float(top.sum() / max(growth.sum(), 1e-300)),
            "local_times": times.tolist(), "local_exponents": local.tolist()}


def measure(network, key, qrs_per_block):
    sp = jc.spiking_lyapunov_spectrum(network, key=key, n_blocks=10,
                                      qrs_per_block=qrs_per_block)
    lam = np.asarray(sp.exponents)
    try:
        dimension = sp.dimension()
    except jc.ConfigError:
        dimension = float(lam.size)
    return {"lambda_max": float(lam[0]), "lambda_max_err": float(sp.stderr[0]),
            "entropy_bits_per_spike": sp.entropy_bits_per_spike(),
            "dimension_density": dimension / lam.size,
            "fraction_positive": sp.fraction_positive(),
            "rate": float(sp.spike_rate) / lam.size, "spectrum": lam.tolist()}


def compact(loc, n):
    """The JSON record: the local-exponent series only where the figure plots them (N, r = 1
    and BURST_R), to 4 decimals."""
    out = {}
    for name, m in loc.items():
        m = dict(m)
        if name not in (f"N={n},r=1", f"N={n},r={BURST_R:g}"):
            del m["local_times"], m["local_exponents"]
        else:
            m["local_times"] = [round(x, 4) for x in m["local_times"]]
            m["local_exponents"] = [round(x, 4) for x in m["local_exponents"]]
        out[name] = m
    return out

SCALING_RAPIDNESS = [1.0, 2.0, 10.0, 30.0]


def power_law(sizes, values):
    """Least-squares exponent a of values ∝ sizes^a (all seeds' points, log–log) and its standard
    error."""
    x, y = np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float))
    design = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma2 = residual @ residual / max(1, x.size - 2)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return float(coef[0]), float(np.sqrt(cov[0, 0]))


def localization_scaling(sizes, seeds, rapidness, k, qrs_per_block, results_dir, out, suffix,
                         top_rapidness=None, k_tag=""):
    """PR (in neurons) of the leading Gram–Schmidt and covariant vectors vs N at fixed K for
    several seeds (connectivity and initial condition) per (N, r), and the exponent a of
    PR ∝ N^a per r: a ≈ 1 extensive, a ≈ 0 localized. The largest size is run only for the r
    in `top_rapidness` (default all)."""
    sizes_of = {r: [size for size in sizes if size < sizes[-1] or top_rapidness is None
                    or r in top_rapidness] for r in rapidness}
    settings = {"k": k, "qrs_per_block": qrs_per_block}
    load_start = os.getloadavg()
    start = time.perf_counter()
    runs = {}
    for size in sizes:  # ascending: an interrupted run keeps whole small sizes
        for r in [r for r in rapidness if size in sizes_of[r]]:
            for seed in range(seeds):
                def compute(size=size, r=r, seed=seed):
                    t0 = time.perf_counter()
                    m = localization(size, k, r, jax.random.key(seed), qrs_per_block, seed)
                    del m["local_times"], m["local_exponents"]
                    return {**m, "seconds": time.perf_counter() - t0,
                            "load": os.getloadavg()[0]}
                name = f"scaling_n{size}_r{r:g}_seed{seed}{k_tag}"
                m = cached(results_dir / f"{name}.json",
                           {"n": size, "r": r, "seed": seed, **settings}, compute)
                runs[(size, r, seed)] = m
                print(f"N = {size}, r = {r:g}, seed {seed}: PR = {m['pr_backward'] * size:.1f}"
                      f" (covariant {m['pr'] * size:.1f}), λ_max = {m['lambda_max']:.3f},"
                      f" {m['seconds']:.0f} s ({time.perf_counter() - start:.0f} s)", flush=True)
    load_end = os.getloadavg()

    def stats(size, r, field):
        values = np.array([runs[(size, r, s)][field] for s in range(seeds)])
        values = values * size if field.startswith("pr") else values
        return values.mean(), values.std(ddof=1) / np.sqrt(seeds) if seeds > 1 else np.nan

    table, fits = {}, {}
    for r in rapidness:
        for field in ("pr_backward", "pr"):
            pts = [(size, runs[(size, r, s)][field] * size) for size in sizes_of[r]
                   for s in range(seeds)]
            fits[(r, field)] = power_law(*zip(*pts, strict=True))
            last = [(size, runs[(size, r, s)][field] * size) for size in sizes_of[r][-2:]
                    for s in range(seeds)]
            fits[(r, field, "last")] = power_law(*zip(*last, strict=True))
        for size in sizes_of[r]:
            table[(size, r)] = {f: stats(size, r, f) for f in ("pr_backward", "pr", "lambda_max")}
    cost = sum(m["seconds"] for m in runs.values())

    print(f"\nPR (neurons) of the leading Gram–Schmidt vector ⊥ time shift, K = {k}, mean ± "
          f"standard error over {seeds} seeds, and the exponent a of PR ∝ N^a\n")
    print("| r | " + " | ".join(f"N = {size}" for size in sizes)
          + " | a, Gram–Schmidt | a, covariant | a (GS), two largest N |")
    print("|---" * (len(sizes) + 4) + "|")
    for r in rapidness:
        cells = [f"{table[(size, r)]['pr_backward'][0]:.1f} ± "
                 f"{table[(size, r)]['pr_backward'][1]:.1f}" if size in sizes_of[r] else "–"
                 for size in sizes]
        a, b, c = fits[(r, "pr_backward")], fits[(r, "pr")], fits[(r, "pr_backward", "last")]
        print(f"| {r:g} | " + " | ".join(cells) + f" | {a[0]:.3f} ± {a[1]:.3f} "
              f"| {b[0]:.3f} ± {b[1]:.3f} | {c[0]:.3f} ± {c[1]:.3f} |")
    loads = [m["load"] for m in runs.values()]

    print(f"\nLeading vector vs N, K = {k}, {seeds} seeds per point (mean ± standard error over "
          "seeds; PR in neurons, averaged over the QR snapshots)\n")
    print("| r | N | λ_max (1/τ) | PR, Gram–Schmidt ⊥ time shift | PR, covariant | PR/N (GS) |")
    print("|---|---|---|---|---|---|")
    for r in rapidness:
        for size in sizes_of[r]:
            t = table[(size, r)]
            print(f"| {r:g} | {size} | {t['lambda_max'][0]:.3f} ± {t['lambda_max'][1]:.3f} "
                  f"| {t['pr_backward'][0]:.1f} ± {t['pr_backward'][1]:.1f} "
                  f"| {t['pr'][0]:.1f} ± {t['pr'][1]:.1f} | {t['pr_backward'][0] / size:.4f} |")
    print("\nExponent a of PR ∝ N^a (least squares over all seeds and sizes of that r; last: "
          "from its two largest N only)\n")
    print("| r | N | a, Gram–Schmidt | a, covariant | a (GS), two largest N |")
    print("|---|---|---|---|---|")
    for r in rapidness:
        a, b, c = fits[(r, "pr_backward")], fits[(r, "pr")], fits[(r, "pr_backward", "last")]
        print(f"| {r:g} | {sizes_of[r][0]}…{sizes_of[r][-1]} | {a[0]:.3f} ± {a[1]:.3f} "
              f"| {b[0]:.3f} ± {b[1]:.3f} | {c[0]:.3f} ± {c[1]:.3f} |")
    print(f"\ncost: {cost:.0f} s of computation for {len(runs)} networks (this run "
          f"{time.perf_counter() - start:.0f} s); 1-min load average {min(loads):.1f}–"
          f"{max(loads):.1f} while computing (now {load_start[0]:.1f} → {load_end[0]:.1f})")
    suffix += k_tag  # outputs of another K under their own names
    (out / f"sparse_chaos_localization_scaling{suffix}.json").write_text(json.dumps({
        "k": k, "sizes": sizes, "seeds": seeds, "rapidness": rapidness,
        "runs": [{"n": size, "r": r, "seed": s, **runs[(size, r, s)]}
                 for (size, r, s) in runs],
        "exponents": {f"r={r:g}": {"gram_schmidt": fits[(r, "pr_backward")],
                                   "covariant": fits[(r, "pr")],
                                   "gram_schmidt_last": fits[(r, "pr_backward", "last")]}
                      for r in rapidness}}, indent=1))
    if not k_tag:  # at larger K the exponents grow (README); the claim is the default K's
        check_localization_claim(sizes, rapidness, table, fits)
    else:
        print(f"K = {k}: the K = {K} claim is not checked (the exponents grow with K)")

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for r, color in zip(rapidness, plt.cm.viridis(np.linspace(0, 0.9, len(rapidness))),
                        strict=True):
        grid = np.array(sizes_of[r], float)
        mean, err = zip(*[table[(size, r)]["pr_backward"] for size in sizes_of[r]], strict=True)
        a = fits[(r, "pr_backward")][0]
        axes[0].errorbar(grid, mean, err, fmt="o-", color=color, capsize=2,
                         label=f"r = {r:g} (a = {a:.2f})")
        cmean, cerr = zip(*[table[(size, r)]["pr"] for size in sizes_of[r]], strict=True)
        axes[0].errorbar(grid, cmean, cerr, fmt="s", mfc="none", color=color, alpha=0.6,
                         capsize=2)
        axes[1].errorbar(grid, np.array(mean) / grid, np.array(err) / grid, fmt="o-",
                         color=color, capsize=2, label=f"r = {r:g}")
    grid = np.array(sizes, float)
    ref = np.array(table[(sizes[0], rapidness[0])]["pr_backward"][0])
    axes[0].plot(grid, ref * grid / grid[0], ":", color="gray", label="∝ N (extensive)")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("N")
    axes[0].set_ylabel("PR of the leading vector (neurons)")
    axes[0].legend(fontsize=7)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("N")
    axes[1].set_ylabel("PR / N (Gram–Schmidt ⊥ time shift)")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"Localization of the leading Lyapunov vector vs N, K = {k}, {seeds} seeds "
                 "(filled: Gram–Schmidt ⊥ time shift, open: covariant)")
    fig.tight_layout()
    save_figure(fig, out / f"sparse_chaos_localization_scaling{suffix}.png",
                key=f"sparse_chaos_localization_scaling{suffix}",
                note=f"experiments/sparse_chaos.py --localization-sizes "
                     f"{','.join(map(str, sizes))} --seeds {seeds}"
                     + (f" --k {k}" if k_tag else "")
                     + (f" --top-size-rapidness {','.join(f'{r:g}' for r in top_rapidness)}"
                        if top_rapidness else "") + f": K = {k}, k = 2, "
                     f"QR every N/10 spikes, {10 * qrs_per_block} intervals")


CLV_RAPIDNESS = [1.0, 10.0]
CLV_SNAPSHOTS, CLV_BATCHES = 50, 5  # snapshots 4 QR intervals apart; batch means for errors


def covariant_set(n, k, r, qrs, seed=0):
    """All N covariant Lyapunov vectors (`spiking_covariant_lyapunov_vectors`, k = N) of one
    network: QR every N/2 spikes (≈ 5 τ at ν̄τ = 0.1), `qrs` intervals of frame and of backward
    warm-up, `CLV_SNAPSHOTS` snapshots 4 intervals apart. Per vector: the exponent over the
    window, PR/N averaged over the snapshots and over each of `CLV_BATCHES` consecutive batches
    of them (for standard errors), the median over the snapshots of the convergence estimate
    (sine between two backward starts); the index of the time-shift vector (largest overlap
    with the all-ones direction) and its largest sine to it over the snapshots (the forward
    frame's convergence there)."""
    net = network(n, k, r, seed)
    t0 = time.perf_counter()
    clv = jc.spiking_covariant_lyapunov_vectors(
        net, key=jax.random.key(seed), qr_every=n // 2, frame_warmup_qrs=qrs,
        n_snapshots=CLV_SNAPSHOTS, qrs_per_snapshot=4, backward_warmup_qrs=qrs)
    vectors = np.asarray(clv.vectors)
    ones = np.ones(n) / np.sqrt(n)
    sines = np.linalg.norm(vectors - np.einsum("sni,n->si", vectors, ones)[:, None, :]
                           * ones[:, None], axis=1)
    shift = int(np.bincount(np.argmin(sines, axis=1)).argmax())
    pr = np.asarray(clv.participation)
    return {"exponents": np.asarray(clv.exponents).round(6).tolist(),
            "stderr": np.asarray(clv.stderr).round(6).tolist(),
            "backward_exponents": np.asarray(clv.backward_exponents).round(6).tolist(),
            "pr": pr.mean(0).round(6).tolist(),
            "pr_batches": pr.reshape(CLV_BATCHES, -1, n).mean(1).round(6).tolist(),
            "convergence": np.median(np.asarray(clv.convergence), 0).tolist(),
            "time_shift_index": shift, "time_shift_sine": float(sines[:, shift].max()),
            "rate": float(clv.spike_rate) / n, "seconds": time.perf_counter() - t0,
            "load": os.getloadavg()[0]}


def clv_summary(m):
    """PR/N of CLV 1, mean PR/N over the unstable vectors (before the time shift) and over the
    stable ones (after it), each (mean, standard error from the batch means over snapshots),
    and the fraction of vectors converged to a sine < 1e-3."""
    batches, shift = np.asarray(m["pr_batches"]), m["time_shift_index"]

    def stat(values):  # values per batch
        return values.mean(), values.std(ddof=1) / np.sqrt(values.size)

    return {"pr1": stat(batches[:, 0]),
            "unstable": stat(batches[:, :shift].mean(1)) if shift else (np.nan, np.nan),
            "stable": stat(batches[:, shift + 1:].mean(1)), "n_unstable": shift,
            "converged": float(np.mean(np.asarray(m["convergence"]) < 1e-3))}


def clv_localization(sizes, rapidness, k, qrs, results_dir, out, suffix):
    """Participation ratio of every covariant vector vs its index i/N (key figure
    `spiking_clv_localization[_quick].png`, numbers in `spiking_clv_localization[_quick].json`),
    one network per (N, r), each cached."""
    start = time.perf_counter()
    runs = {}
    for size in sizes:
        for r in rapidness:
            runs[(size, r)] = m = cached(
                results_dir / f"clv_n{size}_r{r:g}.json",
                {"n": size, "r": r, "k": k, "qrs": qrs, "qr_every": size // 2,
                 "snapshots": CLV_SNAPSHOTS, "qrs_per_snapshot": 4},
                lambda size=size, r=r: covariant_set(size, k, r, qrs))
            c = clv_summary(m)
            print(f"N = {size}, r = {r:g}: {m['seconds']:.0f} s (load {m['load']:.1f}), "
                  f"time shift at index {m['time_shift_index']} (sine {m['time_shift_sine']:.1e})"
                  f", converged fraction {c['converged']:.3f} ({time.perf_counter() - start:.0f}"
                  " s)", flush=True)
    print(f"\nCovariant Lyapunov vectors, K = {k}: PR/N averaged over {CLV_SNAPSHOTS} snapshots "
          f"(± standard error from {CLV_BATCHES} batch means); unstable = the vectors before the "
          "time shift, stable = after it\n")
    print("| N | r | λ_1 (1/τ) | unstable vectors | PR/N of CLV 1 | mean PR/N, unstable "
          "| mean PR/N, stable | converged (sine < 1e-3) | time-shift sine | cost (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (size, r), m in runs.items():
        c = clv_summary(m)
        print(f"| {size} | {r:g} | {m['exponents'][0]:.3f} | {c['n_unstable']} "
              f"| {c['pr1'][0]:.4f} ± {c['pr1'][1]:.4f} | {c['unstable'][0]:.4f} ± "
              f"{c['unstable'][1]:.4f} | {c['stable'][0]:.4f} ± {c['stable'][1]:.4f} "
              f"| {c['converged']:.3f} | {m['time_shift_sine']:.0e} | {m['seconds']:.0f} |")
    (out / f"spiking_clv_localization{suffix}.json").write_text(json.dumps(
        {"k": k, "qrs": qrs, "runs": [{"n": size, "r": r, **m} for (size, r), m in runs.items()]}))

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    styles = {size: style for size, style in zip(sizes, ["-", "--", ":"], strict=False)}
    colors = {r: color for r, color in zip(rapidness, ["C0", "C3", "C2", "C1"], strict=False)}
    for (size, r), m in runs.items():
        index = np.arange(1, size + 1) / size
        shift = m["time_shift_index"]
        axes[0].semilogy(index, m["pr"], styles[size], color=colors[r], lw=0.9,
                         label=f"r = {r:g}, N = {size}")
        axes[0].axvline((shift + 1) / size, color=colors[r], lw=0.5, ls=styles[size],
                        alpha=0.6)
        axes[1].plot(index, m["exponents"], styles[size], color=colors[r], lw=0.9,
                     label=f"r = {r:g}, N = {size}")
    axes[0].set_xlabel("i / N")
    axes[0].set_ylabel("PR / N of covariant vector i")
    axes[0].legend(fontsize=7)
    axes[1].axhline(0, color="gray", lw=0.5)
    axes[1].set_xlabel("i / N")
    axes[1].set_ylabel("λ_i (1/τ) over the window")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"Localization of the covariant Lyapunov vectors, K = {k} "
                 "(vertical lines: the time-shift vector)")
    fig.tight_layout()
    save_figure(fig, out / f"spiking_clv_localization{suffix}.png",
                key=f"spiking_clv_localization{suffix}",
                note=f"experiments/sparse_chaos.py --clv-sizes {','.join(map(str, sizes))}"
                     f"{' --quick' if suffix else ''}: K = {k}, one seed, k = N, QR every N/2 "
                     f"spikes, {qrs} intervals of frame and backward warm-up, {CLV_SNAPSHOTS} "
                     "snapshots")


def check_localization_claim(sizes, rapidness, table, fits):
    """The conclusion the README states for K = 20, checked on the data (stops with an error if
    they contradict it): for r ≥ 10 the leading vector is localized (exponent a < 0.1 of PR ∝ N^a,
    Gram–Schmidt vector), no r gives an extensive vector (a < 0.5 everywhere, far from the seed's
    a ≈ 1 at small r), and at r = 1 PR grows with N (a > 0.15, above every r ≥ 10 by more than
    3 combined standard errors). Checks whose r values were not run are skipped."""
    problems = []
    large = [r for r in rapidness if r >= 10]
    for r in large:
        a, err = fits[(r, "pr_backward")]
        if not a < 0.1:
            problems.append(f"r = {r:g}: a = {a:.3f} ± {err:.3f} is not < 0.1 (not localized)")
    for r in rapidness:
        a, err = fits[(r, "pr_backward")]
        if not a < 0.5:
            problems.append(f"r = {r:g}: a = {a:.3f} ± {err:.3f} is not < 0.5 (the README says "
                            "no r is extensive)")
    if 1.0 in rapidness:
        a1, e1 = fits[(1.0, "pr_backward")]
        if not a1 > 0.15:
            problems.append(f"r = 1: a = {a1:.3f} ± {e1:.3f} is not > 0.15 (PR does not grow)")
        for r in large:
            a, err = fits[(r, "pr_backward")]
            if not a1 - a > 3 * np.hypot(e1, err):
                problems.append(f"r = 1 vs {r:g}: a = {a1:.3f} ± {e1:.3f} vs {a:.3f} ± {err:.3f}"
                                " not separated by 3 standard errors")
    if problems:
        raise SystemExit("the data contradict the README's conclusion:\n  "
                         + "\n  ".join(problems))
    print(f"\nclaim checked (N = {sizes[0]}…{sizes[-1]}): localized for r ≥ 10 (a < 0.1), no r "
          "extensive (a < 0.5), PR growing at r = 1 (a > 0.15, above r ≥ 10 by > 3 SE)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("docs/figures"))
    parser.add_argument("--only-localization", action="store_true",
                        help="skip the full spectra (only the second figure)")
    parser.add_argument("--localization-sizes", type=lambda s: sorted(map(int, s.split(","))),
                        help="only the PR of the leading vector vs N at these sizes "
                             "(comma-separated), several seeds per point, and its exponent")
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds per (N, r) with --localization-sizes")
    parser.add_argument("--rapidness", type=lambda s: [float(x) for x in s.split(",")],
                        default=SCALING_RAPIDNESS, help="r values with --localization-sizes")
    parser.add_argument("--top-size-rapidness", type=lambda s: [float(x) for x in s.split(",")],
                        help="with --localization-sizes: run the largest size only for these r")
    parser.add_argument("--k", type=int, default=None,
                        help=f"with --localization-sizes: in-degree K (default {K}; other K are "
                             "cached and written under their own names)")
    parser.add_argument("--clv-sizes", type=lambda s: sorted(map(int, s.split(","))),
                        help="only the participation ratio of all covariant vectors vs i/N at "
                             "these sizes (comma-separated), r in --clv-rapidness")
    parser.add_argument("--clv-rapidness", type=lambda s: [float(x) for x in s.split(",")],
                        default=CLV_RAPIDNESS, help="r values with --clv-sizes")
    parser.add_argument("--clv-qrs", type=int, default=2000,
                        help="QR intervals (N/2 spikes each) of frame and of backward warm-up "
                             "with --clv-sizes")
    args = parser.parse_args()
    if args.k is not None and (args.localization_sizes is None or args.k < 1):
        parser.error("--k needs --localization-sizes and a positive in-degree")
    n, k = (100, 10) if args.quick else (200, K)
    qrs_per_block = 30 if args.quick else 50
    suffix = "_quick" if args.quick else ""
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    results_dir = Path(f"results/sparse_chaos{suffix}")
    settings = {"k": k, "qrs_per_block": qrs_per_block, "key": 0}
    if args.clv_sizes is not None:
        clv_localization(args.clv_sizes, args.clv_rapidness, k, args.clv_qrs, results_dir, out,
                         suffix)
        return
    if args.localization_sizes is not None:
        if len(args.localization_sizes) < 2 or args.seeds < 2:
            parser.error("--localization-sizes needs at least two sizes and --seeds >= 2")
        k, k_tag = (k, "") if args.k is None else (args.k, f"_k{args.k}")
        localization_scaling(args.localization_sizes, args.seeds, args.rapidness, k,
                             qrs_per_block, results_dir, out, suffix, args.top_size_rapidness,
                             k_tag)
        return
    key = jax.random.key(0)
    start = time.perf_counter()
    loc = {}
    for size in (n, 4 * n):
        for r in RAPIDNESS:
            loc[f"N={size},r={r:g}"] = cached(
                results_dir / f"localization_n{size}_r{r:g}.json", {"n": size, "r": r, **settings},
                lambda size=size, r=r: localization(size, k, r, key, qrs_per_block))
            m = loc[f"N={size},r={r:g}"]
            print(f"N = {size}, r = {r:g}: PR/N = {m['pr']:.3f} (backward {m['pr_backward']:.3f})"
                  f" λ_max = {m['lambda_max']:.3f} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    (out / f"sparse_chaos_localization{suffix}.json").write_text(json.dumps(
        {"n": n, "k": k, "results": compact(loc, n)}))
    print(f"\nLeading vector, K = {k}: PR/N averaged over the snapshots (Gram–Schmidt vector "
          "orthogonal to the time shift; covariant vector with its time-shift component)\n")
    print(f"| r | λ_max, N = {n} / {4 * n} | PR/N, N = {n} | PR/N, N = {4 * n} "
          f"| PR, N = {n} → {4 * n} | covariant PR/N, N = {n} / {4 * n} |")
    print("|---|---|---|---|---|---|")
    for r in RAPIDNESS:
        a, b = loc[f"N={n},r={r:g}"], loc[f"N={4 * n},r={r:g}"]
        print(f"| {r:g} | {a['lambda_max']:.3f} / {b['lambda_max']:.3f} "
              f"| {a['pr_backward']:.3f} | {b['pr_backward']:.3f} "
              f"| {a['pr_backward'] * n:.1f} → {b['pr_backward'] * 4 * n:.1f} "
              f"| {a['pr']:.3f} / {b['pr']:.3f} |")
    print(f"\nLocal λ_max over QR intervals (N = {n}):\n")
    print("| r | λ_max | mean of local | std of local | fraction of intervals > 0 "
          "| share of the growth in the top 10% of intervals |")
    print("|---|---|---|---|---|---|")
    for r in RAPIDNESS:
        m = loc[f"N={n},r={r:g}"]
        print(f"| {r:g} | {m['lambda_max']:.3f} | {m['local_mean']:.3f} | {m['local_std']:.3f}"
              f" | {m['local_positive_fraction']:.2f} | {m['top10_share']:.2f} |")

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for size, style in ((n, "o-"), (4 * n, "s-")):
        axes[0].loglog(RAPIDNESS, [loc[f"N={size},r={r:g}"]["pr_backward"] for r in RAPIDNESS],
                       style, label=f"Gram–Schmidt ⊥ time shift, N = {size}")
        axes[0].loglog(RAPIDNESS, [loc[f"N={size},r={r:g}"]["pr"] for r in RAPIDNESS], style,
                       mfc="none", alpha=0.5, label=f"covariant, N = {size}")
    axes[0].set_xlabel("rapidness r")
    axes[0].set_ylabel("PR / N of the leading vector")
    axes[0].legend(fontsize=7)
    for r, color in ((1.0, "C0"), (BURST_R, "C3")):
        m = loc[f"N={n},r={r:g}"]
        axes[1].plot(m["local_times"], m["local_exponents"], lw=0.7, color=color,
                     label=f"r = {r:g} (λ_max = {m['lambda_max']:.2f})")
    axes[1].axhline(0, color="gray", lw=0.5)
    axes[1].set_xlabel("time (τ)")
    axes[1].set_ylabel("local λ_max (1/τ), QR intervals")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"Leading covariant vector and local exponents, K = {k}")
    fig.tight_layout()
    save_figure(fig, out / f"sparse_chaos_localization{suffix}.png",
                key=f"sparse_chaos_localization{suffix}",
                note=f"experiments/sparse_chaos.py{' --quick' if args.quick else ''}: N = {n}, "
                     f"{4 * n}, K = {k}, one seed, k = 2, QR every N/10 spikes")
    if args.only_localization:
        return

    results = {}
    for r in RAPIDNESS:
        results[f"r={r:g}"] = cached(
            results_dir / f"spectrum_n{n}_r{r:g}.json", {"n": n, "r": r, **settings},
            lambda r=r: measure(network(n, k, r), key, qrs_per_block))
        print(f"r = {r:g}: λ_max = {results[f'r={r:g}']['lambda_max']:.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    lif = jc.SpikingNetwork.random(0, n, k, neuron="lif", coupling=2.0, rate=0.3)
    results["lif"] = cached(results_dir / f"spectrum_n{n}_lif.json",
                            {"n": n, "neuron": "lif", "coupling": 2.0, "rate": 0.3, **settings},
                            lambda: measure(lif, key, qrs_per_block))
    (out / f"sparse_chaos{suffix}.json").write_text(json.dumps(
        {"n": n, "k": k, "results": results}, indent=1))

    print(f"\nN = {n}, K = {k}, J0 = 1, ν̄τ = 0.1 (LIF: J0 = 2, ν̄τ = 0.3)\n")
    print("| neuron | λ_max (1/τ) | H (bits/spike) | D/N | positive fraction | rate ν (1/τ) |")
    print("|---|---|---|---|---|---|")
    for name, m in results.items():
        print(f"| {name} | {m['lambda_max']:.3f} ± {m['lambda_max_err']:.3f} | "
              f"{m['entropy_bits_per_spike']:.3f} | {m['dimension_density']:.3f} | "
              f"{m['fraction_positive']:.3f} | {m['rate']:.3f} |")

    fig, axes = plt.subplots(1, 5, figsize=(19, 3.6))
    theta = [results[f"r={r:g}"] for r in RAPIDNESS]
    panels = [("lambda_max", "λ_max (1/τ)"), ("entropy_bits_per_spike", "H (bits/spike)"),
              ("dimension_density", "D / N"), ("fraction_positive", "fraction λ_i > 0")]
    for ax, (field, label) in zip(axes, panels, strict=False):
        ax.semilogx(RAPIDNESS, [m[field] for m in theta], "o-", label="rapid theta")
        ax.axhline(results["lif"][field], ls="--", color="gray", label="LIF")
        ax.set_xlabel("rapidness r")
        ax.set_ylabel(label)
    axes[0].legend()
    colors = plt.cm.viridis(np.linspace(0, 1, len(RAPIDNESS)))
    for r, m, c in zip(RAPIDNESS, theta, colors, strict=True):
        axes[4].plot(np.arange(1, n + 1) / n, m["spectrum"], color=c, label=f"r = {r:g}")
    axes[4].plot(np.arange(1, n + 1) / n, results["lif"]["spectrum"], "--", color="gray",
                 label="LIF")
    axes[4].set_xlabel("i / N")
    axes[4].set_ylabel("λ_i (1/τ)")
    axes[4].legend(fontsize=7)
    fig.suptitle(f"Sparse chaos: inhibitory networks, N = {n}, K = {k} (full spectra)")
    fig.tight_layout()
    save_figure(fig, out / f"sparse_chaos{suffix}.png", key=f"sparse_chaos{suffix}",
                note=f"experiments/sparse_chaos.py{' --quick' if args.quick else ''}: N = {n}, "
                     f"K = {k}, one seed, full spectra, QR every N/10 spikes")
    print(f"\nwrote {out / f'sparse_chaos{suffix}.png'} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
