"""Input correlations and the suppression of chaos in balanced rate networks (Engelken, Ingrosso,
Khajeh, Goedeke & Abbott, PLoS Comput Biol 18:e1010590, 2022; seed 003).

Network: dx/dt = -x + J relu(x) + √N I0 + I1 sin(2πft + θ_i), J_ij ~ N(-J0/√N, g²/N), g = 2,
f = 0.2, I0 = J0 = 1 (the paper's values); θ_i = 0 (common input) or uniform per neuron
(independent input). Measures:

- λ_1 vs I1 for both inputs: simulation (`lyapunov_spectrum`, Heun, dt = 0.05) at N_sim, and
  the sampling mean-field theory (`sampling_dmft` with J̄ = -J0√N, I_0 = √N I0) at the same N;
- the critical amplitude I1_c (λ_1 = 0, linear interpolation on the amplitude grid) vs N from
  the mean-field theory (common: grows with N, since the balanced feedback cancels it;
  independent: about constant).

Written to `--out` (default `results/balanced_input/`): `lyapunov_vs_amplitude.png`,
`critical_amplitude.png`, `results.json`. `--quick`: N_sim = 500, short runs (~5 min on 2
shared CPU cores); default N_sim = 2000 (the paper's 5000 does not fit a CPU budget).

    .venv/bin/python experiments/balanced_input.py [--quick] [--out DIR]
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

jax.config.update("jax_enable_x64", True)
import jaxchaos as jc  # noqa: E402

GAIN, FREQ, I0, J0 = 2.0, 0.2, 1.0, 1.0
FULL = {"n_sim": 2000, "t_sim": 400.0, "samples": 2000, "mf_sizes": [250, 1000, 4000, 16000],
        "amplitudes": {"common": [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
                       "independent": [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0]},
        "mf_amplitudes": {"common": [0.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                          "independent": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}}
QUICK = {"n_sim": 500, "t_sim": 200.0, "samples": 800, "mf_sizes": [250, 1000, 4000],
         "amplitudes": {"common": [0.0, 2.0, 4.0, 8.0, 16.0],
                        "independent": [0.0, 1.0, 2.0, 3.0, 4.0]},
         "mf_amplitudes": {"common": [0.0, 8.0, 16.0, 32.0, 64.0, 128.0],
                           "independent": [0.0, 2.0, 3.0, 4.0, 5.0, 6.0]}}


def make_input(kind, n, amplitude):
    if kind == "common":
        return jc.SinusoidalInput(amplitude, FREQ)
    return jc.SinusoidalInput.independent(jax.random.PRNGKey(7), n, amplitude, FREQ)


def simulated_lambda(kind, n, amplitude, t_sim):
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(1), n, gain=GAIN, j0=J0, i0=I0,
                                        input=make_input(kind, n, amplitude))
    spectrum = jc.lyapunov_spectrum(net, k=1, dt=0.05, solver="heun", t_ons=1.0,
                                    t_warmup=50.0, t_frame_warmup=20.0, t_sim=t_sim,
                                    key=jax.random.PRNGKey(0))
    return float(spectrum.exponents[0]), float(spectrum.stderr[0])


def mean_field_lambda(kind, n, amplitude, samples):
    result = jc.sampling_dmft(GAIN, key=jax.random.PRNGKey(0), t_max=40.0, dt=0.1,
                              samples=samples, iterations=10, nonlinearity="relu",
                              mean_coupling=-J0 * np.sqrt(n), drive=I0 * np.sqrt(n),
                              input=jc.SinusoidalInput(amplitude, FREQ),
                              independent=(kind == "independent"), lyapunov_start=10.0)
    return float(result.lyapunov)


def critical(amplitudes, lambdas):
    """First zero crossing of λ(I1) by linear interpolation (NaN if none on the grid)."""
    for a0, a1, l0, l1 in zip(amplitudes, amplitudes[1:], lambdas, lambdas[1:], strict=False):
        if l0 > 0 >= l1:
            return a0 + (a1 - a0) * l0 / (l0 - l1)
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="results/balanced_input")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    kinds = ("common", "independent")
    results = {"config": cfg, "simulation": {}, "mean_field": {}, "critical": {}}
    for kind in kinds:
        amps = cfg["amplitudes"][kind]
        sim = [simulated_lambda(kind, cfg["n_sim"], a, cfg["t_sim"]) for a in amps]
        mf = [mean_field_lambda(kind, cfg["n_sim"], a, cfg["samples"]) for a in amps]
        results["simulation"][kind] = sim
        results["mean_field"][kind] = mf
        print(kind, "sim", [round(s[0], 4) for s in sim], "mf", [round(m, 4) for m in mf],
              f"{time.perf_counter() - start:.0f}s", flush=True)
    for kind in kinds:
        results["critical"][kind] = {}
        for n in cfg["mf_sizes"]:
            amps = cfg["mf_amplitudes"][kind]
            lams = [mean_field_lambda(kind, n, a, cfg["samples"]) for a in amps]
            results["critical"][kind][n] = {"lambdas": lams, "I1_c": critical(amps, lams)}
            print(kind, n, "I1_c", results["critical"][kind][n]["I1_c"],
                  f"{time.perf_counter() - start:.0f}s", flush=True)
    for kind in kinds:
        sim = np.asarray(results["simulation"][kind])[:, 0]
        results["critical"][kind]["simulation"] = critical(cfg["amplitudes"][kind], list(sim))
    results["seconds"] = time.perf_counter() - start
    (out / "results.json").write_text(json.dumps(results, indent=1))

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for kind, color in zip(kinds, ("C0", "C3"), strict=True):
        sim = np.asarray(results["simulation"][kind])
        amps = cfg["amplitudes"][kind]
        ax.errorbar(amps, sim[:, 0], yerr=sim[:, 1], fmt="o", color=color,
                    label=f"{kind}: simulation N={cfg['n_sim']}")
        ax.plot(amps, results["mean_field"][kind], "-", color=color,
                label=f"{kind}: sampling DMFT")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xscale="symlog", xlabel="input amplitude $I_1$", ylabel=r"$\lambda_1$ (1/τ)",
           title=f"balanced ReLU network, g={GAIN}, f={FREQ}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "lyapunov_vs_amplitude.png", dpi=130)

    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for kind, color in zip(kinds, ("C0", "C3"), strict=True):
        sizes = cfg["mf_sizes"]
        ax.plot(sizes, [results["critical"][kind][n]["I1_c"] for n in sizes], "o-",
                color=color, label=kind)
    ax.set(xscale="log", yscale="log", xlabel="N",
           ylabel="critical amplitude $I_1^c$ (mean field)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "critical_amplitude.png", dpi=130)
    print(f"done in {results['seconds']:.0f}s -> {out}")


if __name__ == "__main__":
    main()
