"""Suppression of chaos by a sinusoidal input, measured by λ_max (Rajan, Abbott & Sompolinsky
2010): dx/dt = -x + g W tanh(x) + A cos(2π f t + θ_i), independent phases θ_i, g = 1.5.

Runs `configs/scs_input_lyapunov.toml` (λ_max, k = 1, over a grid of amplitudes A and
frequencies f) through the run machinery into `--out/run`, then writes to `--out`:

- `suppression.png`: λ_max against A for each f (left), and the critical amplitude A_c(f), the
  first A at which λ_max falls below 0 (linear interpolation between grid points), against f
  (right): the input suppresses chaos most easily at intermediate frequencies, as Rajan et al.
  report (A_c is non-monotonic in f);
- `summary.json`: λ_max, its standard error and A_c per frequency.

The figure is also the key figure `docs/figures/chaos_suppression.png`. One network (seed 0,
N = 200): a finite-size estimate; the grid and t_sim are in the config.

    .venv/bin/python experiments/chaos_suppression.py [--out results/chaos_suppression]
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import parse_args, save_figure  # noqa: E402

from jaxchaos._runs._runfolder import new_run_folder, read_record  # noqa: E402
from jaxchaos._runs._sweep_config import load_config  # noqa: E402
from jaxchaos._runs._sweep_job import RESULTS, execute  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def critical_amplitude(amplitudes, lam):
    """The first A where λ_max(A) crosses below 0, linearly interpolated; NaN if it never does,
    0 if the network is not chaotic without input."""
    if lam[0] <= 0:
        return 0.0
    below = np.nonzero(lam <= 0)[0]
    if not below.size:
        return float("nan")
    j = below[0]
    a0, a1, l0, l1 = amplitudes[j - 1], amplitudes[j], lam[j - 1], lam[j]
    return float(a0 + (a1 - a0) * l0 / (l0 - l1))


def main():
    out = parse_args(__doc__, "results/chaos_suppression").out
    config = load_config(ROOT / "configs" / "scs_input_lyapunov.toml")
    folder = out / "run"
    if not (folder / "run.json").exists():
        new_run_folder(config, folder)
    elif read_record(folder)["config"] != config:
        raise SystemExit(f"{folder} holds a run of another config: choose another --out")
    if read_record(folder)["status"] != "finished":
        execute(folder)
    with np.load(folder / RESULTS) as data:
        lam = data["lambda_max"].mean(axis=0)  # (frequency, amplitude), mean over seeds
        err = data["stderr"][..., 0].mean(axis=0)
        frequencies, amplitudes = data["axis_input_frequency"], data["axis_input_amplitude"]
    critical = [critical_amplitude(amplitudes, row) for row in lam]

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for f, row, e in zip(frequencies, lam, err, strict=True):
        axes[0].errorbar(amplitudes, row, 2 * e, marker="o", ms=3, label=f"f = {f:g}")
    axes[0].axhline(0.0, color="gray", lw=0.6)
    axes[0].set(xlabel="input amplitude A", ylabel="λ_max (1/τ)")
    axes[0].legend(fontsize=7)
    axes[1].semilogx(frequencies, critical, "o-")
    axes[1].set(xlabel="input frequency f (1/τ)", ylabel="critical amplitude A_c (λ_max = 0)")
    n, gain = config["model"]["n"], config["model"]["gain"]
    fig.suptitle(f"Chaos suppression by independent-phase sinusoids, g = {gain:g}, N = {n} "
                 "(Rajan, Abbott & Sompolinsky 2010)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "suppression.png", "chaos_suppression",
                f"configs/scs_input_lyapunov.toml: N = {n}, g = {gain:g}, seed 0")
    summary = {"frequencies": frequencies.tolist(), "amplitudes": amplitudes.tolist(),
               "lambda_max": lam.tolist(), "stderr": err.tolist(),
               "critical_amplitude": critical}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    for f, a_c in zip(frequencies, critical, strict=True):
        print(f"f = {f:g}: A_c = {a_c:.3f}")


if __name__ == "__main__":
    main()
