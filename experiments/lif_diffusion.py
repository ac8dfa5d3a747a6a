"""Rates and CVs of inhibitory δ-pulse LIF networks vs the diffusion approximation.

Exact event-based simulations (`jc.run_spikes`) of inhibitory LIF networks (K inputs of −J0/√K,
balance drive I = τ√K J0 ν̄ for a target ν̄) against the self-consistent Siegert rate and CV of
the diffusion approximation (`jc.lif_balanced_diffusion`, `docs/spiking.md`): with the mean
in-degree K (homogeneous) and with each neuron's own in-degree (fixed out-degree makes the
in-degrees binomial). Simulated: population rate, mean CV of the interspike intervals over the
neurons with ≥ 3 spikes, after a transient of 20 τ, one seed per row.

    .venv/bin/python experiments/lif_diffusion.py [--quick] [--out DIR]

`--quick`: N = 1000 only and shorter runs (200 τ instead of 1000 τ; N = 10⁴ runs 100 τ).
Writes `lif_diffusion[_quick].json` and the figure
`lif_diffusion[_quick].png` (per-neuron rates vs the in-degree theory; CV histogram) to `--out`
(default `docs/figures`), and prints the Markdown table of the README.
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

jax.config.update("jax_enable_x64", True)

K = 100
CASES = [(1.0, 0.2), (2.0, 0.1), (2.0, 0.3), (4.0, 0.1)]  # (J0, target ν̄τ)
T_WARM = 20.0


def in_degrees(net):
    op = net.connectivity
    idx, w = np.asarray(op.indices), np.asarray(op.weights)
    return np.bincount(idx[w != 0], minlength=net.n)


def run_network(n, coupling, rate, t_measure, seed=0):
    """The inhibitory LIF network of size n (K inputs of −J0/√K, balance drive for the target
    rate) run exactly for T_WARM + t_measure: the network and its spikes after T_WARM."""
    net = jc.SpikingNetwork.random(seed, n, K, neuron="lif", coupling=coupling, rate=rate)
    t_end = T_WARM + t_measure
    budget = int(2.0 * n * float(net.neuron.free_rate(net.drive)) * t_end) + 1000
    run = jc.run_spikes(net, key=jax.random.key(seed), t_end=t_end, max_spikes=budget)
    times, neurons = (np.asarray(x) for x in run.spikes())
    keep = times > T_WARM
    return net, times[keep], neurons[keep]


def simulate(n, coupling, rate, t_measure, seed=0):
    net, times, neurons = run_network(n, coupling, rate, t_measure, seed)
    stats = jc.spike_statistics(times - T_WARM, neurons, n, t_measure)
    cv = stats["cv"]
    return net, stats, {"rate": float(stats["population_rate"]),
                        "cv": float(np.nanmean(cv)), "cv_neurons": int(np.isfinite(cv).sum()),
                        "silent": float(np.mean(stats["rates"] == 0)),
                        "spikes": int(times.size)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="docs/figures")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [1000, 10_000]
    # CVs need long windows: a window of a few mean ISIs cuts the long intervals off
    windows = {1000: 200.0 if args.quick else 1000.0, 10_000: 100.0}
    suffix = "_quick" if args.quick else ""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows, shown = [], None
    for n in sizes:
        for coupling, rate in CASES:
            t_measure = windows[n]
            net, stats, sim = simulate(n, coupling, rate, t_measure)
            drive = float(net.drive)
            hom = jc.lif_balanced_diffusion(drive, K, coupling)
            het = jc.lif_balanced_diffusion(drive, K, coupling, in_degrees=in_degrees(net))
            rows.append({"n": n, "k": K, "coupling": coupling, "target": rate, "drive": drive,
                         "sim": sim, "theory": {k: v for k, v in hom.items()},
                         "theory_in_degrees": het["rate"],
                         "theory_in_degrees_cv": float(np.mean(het["cvs"])), "t": t_measure})
            if n == sizes[0] and (coupling, rate) == (2.0, 0.1):  # the longest window
                shown = (n, coupling, rate, stats, het["rates"], hom["cv"], t_measure)
            print(f"N = {n}, J0 = {coupling:g}, ν̄ = {rate:g}: rate {sim['rate']:.4f} vs "
                  f"{hom['rate']:.4f} (in-degrees {het['rate']:.4f}), CV {sim['cv']:.3f} vs "
                  f"{hom['cv']:.3f} ({time.perf_counter() - start:.0f} s)", flush=True)
    (out / f"lif_diffusion{suffix}.json").write_text(json.dumps(rows, indent=1))

    print(f"\nInhibitory LIF, K = {K}, δ-pulses −J0/√K, T τ after {T_WARM:g} τ\n")
    print("| N | T | J0 | target ν̄τ | I | μ, σ (theory) | rate ντ: simulated | diffusion | "
          "diffusion, own in-degrees | mean CV: simulated | diffusion | own in-degrees |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        th, sim = row["theory"], row["sim"]
        print(f"| {row['n']} | {row['t']:g} | {row['coupling']:g} | {row['target']:g} | "
              f"{row['drive']:g} | {th['mu']:.3f}, {th['sigma']:.3f} | {sim['rate']:.4f} | "
              f"{th['rate']:.4f} | {row['theory_in_degrees']:.4f} | {sim['cv']:.3f} | "
              f"{th['cv']:.3f} | {row['theory_in_degrees_cv']:.3f} |")

    n, coupling, rate, stats, theory_rates, theory_cv, t_measure = shown
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    axes[0].plot(theory_rates, stats["rates"], ".", ms=2, alpha=0.4)
    top = max(theory_rates.max(), stats["rates"].max())
    axes[0].plot([0, top], [0, top], "k--", lw=0.8)
    axes[0].set_xlabel("diffusion approximation, own in-degree (1/τ)")
    axes[0].set_ylabel("simulated rate (1/τ)")
    cv = stats["cv"][np.isfinite(stats["cv"])]
    axes[1].hist(cv, bins=40, density=True, alpha=0.7)
    axes[1].axvline(theory_cv, color="k", ls="--", label="diffusion (K inputs)")
    axes[1].set_xlabel("CV of the interspike intervals")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"Inhibitory LIF network, N = {n}, K = {K}, J0 = {coupling:g}, "
                 f"target ν̄τ = {rate:g}")
    fig.tight_layout()
    save_figure(fig, out / f"lif_diffusion{suffix}.png", key=f"lif_diffusion{suffix}",
                note=f"experiments/lif_diffusion.py{' --quick' if args.quick else ''}: one seed, "
                     f"{t_measure:g} τ after {T_WARM:g} τ")
    print(f"\ndone in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
