"""Lyapunov spectra of the SCS network across the transition to chaos (Engelken, Wolf & Abbott
2023; Ginelli et al. 2007 for the covariant vectors).

Figures, written to `--out`:
- `lambda_max_vs_gain.png`: λ_max vs g at several N (k = 1 runs at the larger sizes, the first
  exponent of the full spectra at the smaller), with λ_max = g - 1 of the stable fixed point
  x = 0 for g < 1 at N → ∞ (the circular law: the eigenvalues of gJ fill the disc of radius g)
  and the DMFT λ_max(g) for g > 1 (`scs_dmft`);
- `spectra_extensive.png`: full spectra λ_i vs i/N at two gains for every N: they collapse (the
  spectrum is extensive), with mean exactly -1 (zero diagonal);
- `entropy_dimension.png`: KS entropy per neuron H/N and Kaplan–Yorke dimension density D/N vs g;
- `convergence.png`: running estimates of the leading exponents with their standard errors;
- `clv_localization.png`: participation ratio of the covariant Lyapunov vectors vs i/N.

Spectra over gain sweeps go through the normal run machinery (one run folder per N, with
progress, checkpoints and resume: interrupt and rerun to continue); the covariant vectors are
saved to `clv_n{N}.npz` as each size finishes. Default run: about 10 minutes on 2 idle CPU cores;
`--quick` (full spectra at N = 100, 200; λ_max at N = 400, 800; one seed) takes a few minutes
and drew `docs/figures/lambda_max_vs_gain.png` and `docs/figures/spectra_collapse.png`.

    .venv/bin/python experiments/lyapunov_spectra.py [--quick] [--out DIR]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_key_figure  # noqa: E402

import jaxchaos  # noqa: E402
from jaxchaos._runs._runfolder import new_run_folder, read_record  # noqa: E402
from jaxchaos._runs._sweep_config import default_config, resolve_config  # noqa: E402
from jaxchaos._runs._sweep_job import RESULTS, UNDEFINED, execute  # noqa: E402

jax.config.update("jax_enable_x64", True)

# Full spectra on the chaotic side only (below g = 1 the k = 1 runs show the fixed point).
FULL = {"sizes": [100, 200, 300], "gains": [1.5, 2.0, 2.5, 3.0, 3.5, 4.0], "seeds": [0],
        "t_sim": 200.0}
LEADING = {"sizes": [400, 800], "gains": [0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
           "seeds": [0, 1], "t_sim": 320.0}
CLV = {"sizes": [100, 200, 400], "gain": 3.0, "t_window": 40.0, "t_snapshot": 2.0}
QUICK = {
    "full": {**FULL, "sizes": [100, 200], "gains": [1.5, 2.0, 3.0, 4.0], "seeds": [0],
             "t_sim": 80.0},
    "leading": {**LEADING, "sizes": [400, 800], "seeds": [0], "t_sim": 80.0},
    "clv": {**CLV, "sizes": [20, 40], "t_window": 8.0},
}
SPECTRUM_GAINS = (2.0, 4.0)  # gains of the extensivity panels (must be on the FULL grid)


def spectrum_run(out: Path, name: str, n: int, spec: dict, k=None, quick=False) -> dict:
    """A spectrum run over (seed, gain) through the run machinery; returns its results."""
    config = default_config()
    config["name"] = name
    config["model"]["n"] = n
    config["sweep"] = {"seed": spec["seeds"], "gain": spec["gains"]}
    config["simulation"].update(dt=0.1, solver="rk4", t_warmup=20.0 if quick else 100.0,
                                chunks=4)
    config["lyapunov"] = {"k": k, "t_ons": 1.0, "t_frame_warmup": 10.0 if quick else 50.0,
                          "t_sim": spec["t_sim"], "n_blocks": 8}
    config["output"]["figures"] = False
    folder = out / name
    if not (folder / "run.json").exists():
        new_run_folder(resolve_config(config), folder)
    if read_record(folder)["status"] != "finished":
        execute(folder)
    with np.load(folder / RESULTS) as data:
        return {key: data[key] for key in data.files}


def clv_run(out: Path, n: int, spec: dict, quick: bool) -> dict:
    """Covariant vectors at one gain; cached in `clv_n{n}.npz`."""
    path = out / f"clv_n{n}.npz"
    if not path.exists():
        print(f"covariant vectors, N = {n}")
        net = jaxchaos.SCSNetwork.random(jax.random.key(0), n, spec["gain"])
        clv = jaxchaos.covariant_lyapunov_vectors(
            net, dt=0.1, solver="rk4", t_ons=1.0, t_warmup=20.0 if quick else 100.0,
            t_frame_warmup=10.0 if quick else 50.0, t_window=spec["t_window"],
            t_snapshot=spec["t_snapshot"], t_backward_warmup=10.0 if quick else 50.0,
            key=jax.random.key(1),
        )
        np.savez(path, exponents=clv.exponents, backward_exponents=clv.backward_exponents,
                 participation=clv.participation, gain=spec["gain"])
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def plot_lambda_max(out, full, leading, note):
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for n, res in {**full, **leading}.items():
        lam = res["lambda_max"]  # (seed, gain)
        ax.errorbar(res["axis_gain"], lam.mean(axis=0), yerr=lam.std(axis=0), marker="o",
                    ms=3, capsize=2, label=f"N = {n}" + ("" if n in leading else " (full)"))
    gains = np.linspace(0.5, 1.0, 20)
    ax.plot(gains, gains - 1.0, "k--", lw=1, label="g − 1 (fixed point, N → ∞)")
    gains = np.linspace(1.02, 4.0, 60)
    ax.plot(gains, np.asarray(jaxchaos.scs_dmft(gains).lyapunov), "k", lw=1.5,
            label="DMFT (N → ∞)")
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.axvline(1.0, color="gray", ls=":", lw=0.8)
    ax.set(xlabel="gain g", ylabel="λ_max (1/τ)", title="Largest Lyapunov exponent")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "lambda_max_vs_gain.png", dpi=120)
    save_key_figure(fig, "lambda_max_vs_gain", note)


def plot_spectra(out, full, note):
    fig, axes = plt.subplots(1, len(SPECTRUM_GAINS), figsize=(10, 3.8), sharey=True)
    for ax, gain in zip(axes, SPECTRUM_GAINS, strict=True):
        for n, res in full.items():
            column = np.argmin(np.abs(res["axis_gain"] - gain))
            lam = res["exponents"][0, column]
            ax.plot((1 + np.arange(n)) / n, lam, label=f"N = {n} (mean {lam.mean():+.4f})")
        ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(xlabel="i / N", title=f"g = {res['axis_gain'][column]:g}")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("λ_i (1/τ)")
    fig.tight_layout()
    fig.savefig(out / "spectra_extensive.png", dpi=120)
    save_key_figure(fig, "spectra_collapse", note)


def _defined(values):
    """A result with its UNDEFINED (-1) entries as NaN."""
    return np.where(values == UNDEFINED, np.nan, values)


def plot_entropy_dimension(out, full):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for n, res in full.items():
        gains = res["axis_gain"]
        left.plot(gains, np.nanmean(res["ks_entropy"], axis=0) / n, marker="o", ms=3,
                  label=f"N = {n}")
        right.plot(gains, np.nanmean(_defined(res["dimension_density"]), axis=0), marker="o", ms=3,
                   label=f"N = {n}")
    left.set(xlabel="gain g", ylabel="H / N (1/τ)", title="KS entropy rate per neuron")
    right.set(xlabel="gain g", ylabel="D / N", title="Kaplan–Yorke dimension density")
    for ax in (left, right):
        ax.axvline(1.0, color="gray", ls=":", lw=0.8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "entropy_dimension.png", dpi=120)


def plot_convergence(out, n, res, n_shown=5):
    column = len(res["axis_gain"]) - 1  # the largest gain
    times, history = res["history_times"], res["history"][0, column]
    blocks = res["block_exponents"][0, column]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i in range(n_shown):
        # Standard error of the running mean after b blocks: the spread of those b blocks / √b.
        b = np.arange(1, len(times) + 1)
        spread = np.array([blocks[:j, i].std(ddof=1) if j > 1 else np.nan for j in b])
        line, = ax.plot(times, history[:, i], label=f"λ_{i + 1}")
        ax.fill_between(times, history[:, i] - spread / np.sqrt(b),
                        history[:, i] + spread / np.sqrt(b), color=line.get_color(), alpha=0.2)
    ax.set(xlabel="accumulation time (τ)", ylabel="running estimate (1/τ)",
           title=f"Convergence, N = {n}, g = {res['axis_gain'][column]:g}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "convergence.png", dpi=120)


def plot_clv(out, clvs):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for n, res in clvs.items():
        index = (1 + np.arange(n)) / n
        left.plot(index, res["participation"].mean(axis=0), label=f"N = {n}")
        right.plot(index, res["exponents"], label=f"N = {n}")
    left.set(xlabel="i / N", ylabel="participation ratio (time mean)", yscale="log",
             title=f"Covariant vectors, g = {next(iter(clvs.values()))['gain']:g}")
    right.set(xlabel="i / N", ylabel="λ_i over the window (1/τ)")
    for ax in (left, right):
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "clv_localization.png", dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/lyapunov_spectra")
    parser.add_argument("--quick", action="store_true", help="small sizes and short times")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    full_spec, leading_spec, clv_spec = (
        (QUICK["full"], QUICK["leading"], QUICK["clv"]) if args.quick else (FULL, LEADING, CLV)
    )
    full = {n: spectrum_run(out, f"full_n{n}", n, full_spec, quick=args.quick)
            for n in full_spec["sizes"]}
    leading = {n: spectrum_run(out, f"leading_n{n}", n, leading_spec, k=1, quick=args.quick)
               for n in leading_spec["sizes"]}
    clvs = {n: clv_run(out, n, clv_spec, args.quick) for n in clv_spec["sizes"]}
    made = f"experiments/lyapunov_spectra.py{' --quick' if args.quick else ''}"
    plot_lambda_max(out, full, leading,
                    f"{made}: full spectra N = {full_spec['sizes']}, k = 1 at N = "
                    f"{leading_spec['sizes']}; {len(leading_spec['seeds'])} seed(s); "
                    f"t = {leading_spec['t_sim']:g}")
    plot_spectra(out, full, f"{made}: one network per N and gain; t = {full_spec['t_sim']:g}")
    plot_entropy_dimension(out, full)
    largest = max(full)
    plot_convergence(out, largest, full[largest])
    plot_clv(out, clvs)
    for n, res in full.items():
        means = res["exponents"].mean(axis=-1)
        print(f"N = {n}: mean exponent {means.min():+.6f} .. {means.max():+.6f} (exactly -1 "
              f"for the flow; RK4 at dt = 0.1 shifts it by O(dt⁴))")
    print(f"figures in {out}")


if __name__ == "__main__":
    main()
