"""Sparse chaos vs spike-onset rapidness (seed 003: Engelken, Monteforte & Wolf 2024).

Full Lyapunov spectra of inhibitory balanced networks of rapid theta neurons (`RapidThetaNeuron`,
r = 1 is the theta neuron) and of LIF neurons, by the exact single-spike Jacobian. For each r:
λ_max (per unit time τ), the KS entropy in bits per spike, the Kaplan–Yorke dimension density
D/N and the fraction of positive exponents. Figures, written to `--out` (default `docs/figures`):

- `sparse_chaos[_quick].png`: the four quantities vs r (LIF as a dashed line), and the spectra
  λ_i vs i/N;
- the numbers go to `sparse_chaos[_quick].json` and are printed as a Markdown table.

    .venv/bin/python experiments/sparse_chaos.py [--quick] [--out DIR]

`--quick` (N = 100, K = 10, about a minute on 2 shared CPU cores) is what the README table shows;
the default (N = 200, K = 20) takes a few minutes.
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

import jaxchaos as jc  # noqa: E402

jax.config.update("jax_enable_x64", True)

RAPIDNESS = [1.0, 2.0, 4.0, 10.0, 30.0, 100.0]


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="docs/figures")
    args = parser.parse_args()
    n, k = (100, 10) if args.quick else (200, 20)
    qrs_per_block = 30 if args.quick else 50
    suffix = "_quick" if args.quick else ""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key = jax.random.key(0)
    results = {}
    start = time.perf_counter()
    for r in RAPIDNESS:
        net = jc.SpikingNetwork.random(0, n, k, neuron=jc.RapidThetaNeuron(rapidness=r),
                                       coupling=1.0, rate=0.1)
        results[f"r={r:g}"] = measure(net, key, qrs_per_block)
        print(f"r = {r:g}: λ_max = {results[f'r={r:g}']['lambda_max']:.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    lif = jc.SpikingNetwork.random(0, n, k, neuron="lif", coupling=2.0, rate=0.3)
    results["lif"] = measure(lif, key, qrs_per_block)
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
    fig.savefig(out / f"sparse_chaos{suffix}.png", dpi=110)
    print(f"\nwrote {out / f'sparse_chaos{suffix}.png'} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
