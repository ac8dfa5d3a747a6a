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

    .venv/bin/python experiments/lyapunov_spectra.py [--quick] [--extensive
        [--extensive-sizes N1,N2]] [--out DIR]

`--extensive` computes instead the full spectra at g = 3 and 5 (the gains of Engelken, Wolf &
Abbott's N = 4096 results) for N = 128 … 1024 in float32 (every product at "highest"; one
network per N, drawn by NumPy so both precisions integrate the same system), the float64
spectrum at N = 128 for the float32 bias, and the δ = 1 map x ← gWφ(x) at N = 256 (g = 2, 3)
against `ginibre_product_exponents` with σ² = g²⟨φ'²⟩ of its mean field and against
`slope_product_exponents` with mean-field slopes. It draws
`docs/figures/spectra_collapse_large.png` (collapse on i/N, the point symmetry
λ_i + λ_{N+1−i} ≈ −2, the random-matrix overlay), prints the README's table and writes
`extensive_summary.json`; each spectrum is cached in `extensive/` (about 20 minutes on 2 busy
CPU cores, most of it N = 1024). `--extensive --extensive-sizes 2048` runs other sizes (and the
bias size) and prints their table without redrawing the figure.
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
from _figures import save_key_figure  # noqa: E402

import jaxchaos  # noqa: E402
from jaxchaos._runs._runfolder import new_run_folder, precision_set, read_record  # noqa: E402
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
# --extensive: full spectra at the gains of Engelken, Wolf & Abbott's N = 4096 results, in float32
# (every product at "highest") up to N = 1024; float64 at `bias_size` (same network, x0 and
# frame) measures the float32 bias; the δ = 1 map (`EulerMap(net, 1)`, x <- gWφ(x)) at `map_size`
# against the Ginibre-product spectrum (`ginibre_product_exponents`); at g = 5 its slopes
# spread the frame by more than 1/√eps in one step (saturated units), so the map stays at g ≤ 3.
EXTENSIVE = {"gains": [3.0, 5.0], "sizes": [128, 256, 512, 1024], "bias_size": 128,
             "t_warmup": 100.0, "t_frame_warmup": 40.0, "n_blocks": 8,
             "t_sim": {128: 400.0, 256: 400.0, 512: 200.0, 1024: 104.0, 2048: 48.0},
             "map_gains": [2.0, 3.0], "map_size": 256,
             "map_steps": {"warmup": 500, "frame": 500, "sim": 4000}}
QUICK["extensive"] = {**EXTENSIVE, "sizes": [64, 128], "bias_size": 64, "t_warmup": 20.0,
                      "t_frame_warmup": 10.0, "t_sim": {64: 40.0, 128: 40.0}, "map_size": 64,
                      "map_steps": {"warmup": 100, "frame": 100, "sim": 400}}


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


def _drawn_network(n: int, gain: float, dtype):
    """The seed-n network (W_ij ~ N(0, 1/N), zero diagonal), x0 ~ N(0, 1) and a random frame,
    drawn in float64 by NumPy and rounded to `dtype`: the same system in both precisions."""
    rng = np.random.default_rng(n)
    w = rng.standard_normal((n, n)) / np.sqrt(n)
    np.fill_diagonal(w, 0.0)
    x0, frame = rng.standard_normal(n), rng.standard_normal((n, n))
    net = jaxchaos.SCSNetwork(jax.numpy.asarray(w, dtype), np.asarray(gain, dtype))
    net = jax.tree.map(lambda a: a.astype(dtype) if isinstance(a, jax.Array) else a, net)
    return net, jax.numpy.asarray(x0, dtype), jax.numpy.asarray(frame, dtype)


def extensive_spectrum(out: Path, n: int, gain: float, precision: str, spec: dict) -> dict:
    """Full RK4 spectrum (dt = 0.1, QR every 1) of the seed-n network, cached in
    `extensive/{precision}_g{gain}_n{n}.npz`."""
    path = out / "extensive" / f"{precision}_g{gain:g}_n{n}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"full spectrum, {precision}, g = {gain:g}, N = {n}", flush=True)
        with precision_set(precision):
            net, x0, frame = _drawn_network(n, gain, jax.numpy.dtype(precision))
            start = time.perf_counter()
            res = jaxchaos.lyapunov_spectrum(
                net, x0, dt=0.1, solver="rk4", t_ons=1.0, t_warmup=spec["t_warmup"],
                t_frame_warmup=spec["t_frame_warmup"], t_sim=spec["t_sim"][n],
                n_blocks=spec["n_blocks"], frame=frame, key=jax.random.key(1))
            lam = np.asarray(res.exponents, float)
            seconds = time.perf_counter() - start
        np.savez(path, exponents=lam, stderr=np.asarray(res.stderr, float), seconds=seconds,
                 t_sim=spec["t_sim"][n], max_spread=float(res.max_spread))
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def map_spectrum(out: Path, gain: float, spec: dict) -> dict:
    """Full spectrum (per step) of the δ = 1 map x <- gWφ(x) and the mean-field slope variance
    ⟨φ'²⟩ = E[φ'(x)²], x ~ N(0, Δ0) of `euler_map_dmft` (φ = tanh, φ' = sech²); cached in
    `extensive/map_g{gain}.npz`."""
    path = out / "extensive" / f"map_g{gain:g}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        n, steps = spec["map_size"], spec["map_steps"]
        print(f"δ = 1 map spectrum, g = {gain:g}, N = {n}", flush=True)
        with precision_set("float64"):
            net, x0, frame = _drawn_network(n, gain, jax.numpy.float64)
            res = jaxchaos.lyapunov_spectrum(
                jaxchaos.EulerMap(net, 1.0), x0, t_ons=1.0, t_warmup=steps["warmup"],
                t_frame_warmup=steps["frame"], t_sim=steps["sim"], n_blocks=8, frame=frame,
                key=jax.random.key(1))
            delta0 = float(jaxchaos.euler_map_dmft(gain, 1.0).delta0)
            slope_sq = float(jaxchaos.expectation(
                lambda x: jax.numpy.cosh(x) ** -4, delta0))
        np.savez(path, exponents=np.asarray(res.exponents, float),
                 stderr=np.asarray(res.stderr, float), slope_sq=slope_sq, n=n)
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def extensive_runs(out: Path, spec: dict) -> tuple[dict, dict, dict]:
    """float32 spectra {(gain, n)}, float64 spectra {(gain, bias_size)} and map spectra {gain}."""
    single = {(g, n): extensive_spectrum(out, n, g, "float32", spec)
              for n in spec["sizes"] for g in spec["gains"]}
    double = {(g, spec["bias_size"]): extensive_spectrum(out, spec["bias_size"], g, "float64", spec)
              for g in spec["gains"]}
    maps = {g: map_spectrum(out, g, spec) for g in spec["map_gains"]}
    return single, double, maps


def _summary(lam: np.ndarray) -> dict:
    """λ_max, D_KY/N, h_KS/N and the point symmetry of one spectrum: the pair sums
    λ_i + λ_{N+1-i} have mean exactly 2·mean(λ) = -2 (zero diagonal); their largest deviation
    from -2 and r.m.s. deviation, also relative to the spectrum's half-width (λ_1 - λ_N)/2."""
    n, pairs = lam.size, lam + lam[::-1]
    half_width = 0.5 * (lam[0] - lam[-1])
    return {"lambda_max": float(lam[0]),
            "dimension_density": float(jaxchaos.kaplan_yorke_dimension(lam)) / n,
            "entropy_density": float(jaxchaos.ks_entropy(lam)) / n,
            "mean": float(lam.mean()),
            "pair_max_dev": float(np.max(np.abs(pairs + 2.0))),
            "pair_rms_dev": float(np.sqrt(np.mean((pairs + 2.0) ** 2))),
            "pair_rms_rel": float(np.sqrt(np.mean((pairs + 2.0) ** 2)) / half_width)}


def _map_theories(gain: float, res: dict, samples: int = 200):
    """The δ = 1 map's random-matrix spectra: Ginibre at σ² = g²⟨φ'²⟩, and the product with
    mean-field slopes φ'(x), x ~ N(0, Δ0) (`slope_product_exponents`)."""
    n = int(res["n"])
    with precision_set("float64"):
        delta0 = float(jaxchaos.euler_map_dmft(gain, 1.0).delta0)
    x = np.sqrt(delta0) * np.random.default_rng(5).standard_normal((samples, n))
    return (jaxchaos.ginibre_product_exponents(n, gain * np.sqrt(float(res["slope_sq"]))),
            jaxchaos.slope_product_exponents(gain, np.cosh(x) ** -2))


def extensive_report(out: Path, spec: dict, single: dict, double: dict, maps: dict) -> dict:
    """The numbers of `--extensive` (printed as the README's table and saved as JSON)."""
    rows = {f"g{g:g}_n{n}": {**_summary(res["exponents"]), "seconds": float(res["seconds"]),
                             "t_sim": float(res["t_sim"]),
                             "stderr_max": float(res["stderr"][0])}
            for (g, n), res in single.items()}
    bias = {}
    for (g, n), res64 in double.items():
        lam32, lam64 = single[(g, n)]["exponents"], res64["exponents"]
        a, b = _summary(lam32), _summary(lam64)
        bias[f"g{g:g}_n{n}"] = {
            "max_abs_diff": float(np.max(np.abs(lam32 - lam64))),
            "max_diff_over_stderr": float(np.max(np.abs(lam32 - lam64) / np.hypot(
                single[(g, n)]["stderr"], res64["stderr"]))),
            **{f"diff_{key}": a[key] - b[key] for key in
               ("lambda_max", "dimension_density", "entropy_density")}}
    ginibre = {}
    for g, res in maps.items():
        lam, n = res["exponents"], int(res["n"])
        row = {"lambda_max": float(lam[0]), "sum": float(lam.sum())}
        for name, theory in zip(("scalar", "slopes"), _map_theories(g, res), strict=True):
            row.update({f"{name}_lambda_max": float(theory[0]),
                        f"{name}_rms_dev": float(np.sqrt(np.mean((lam - theory) ** 2))),
                        f"{name}_rms_dev_upper_half": float(np.sqrt(np.mean(
                            (lam - theory)[: n // 2] ** 2))),
                        f"{name}_sum": float(theory.sum())})
        ginibre[f"g{g:g}"] = row
    report = {"spectra": rows, "float32_minus_float64": bias, "ginibre_map": ginibre}
    (out / "extensive_summary.json").write_text(json.dumps(report, indent=2))
    print(r"| g | N | λ_max | D_KY/N | h_KS/N | max / rms \|λ_i + λ_{N+1−i} + 2\| | t | s |")
    print("|---|---|---|---|---|---|---|---|")
    for (g, n) in sorted(single):
        r = rows[f"g{g:g}_n{n}"]
        print(f"| {g:g} | {n} | {r['lambda_max']:.3f} ± {r['stderr_max']:.3f} | "
              f"{r['dimension_density']:.3f} | {r['entropy_density']:.4f} | "
              f"{r['pair_max_dev']:.3f} / {r['pair_rms_dev']:.3f} | {r['t_sim']:g} | "
              f"{r['seconds']:.0f} |")
    with precision_set("float64"):
        dmft = {g: float(jaxchaos.scs_dmft(g).lyapunov) for g in spec["gains"]}
    report["dmft_lambda_max"] = dmft
    (out / "extensive_summary.json").write_text(json.dumps(report, indent=2))
    for g, lam in dmft.items():
        print(f"| {g:g} | ∞ (DMFT) | {lam:.3f} | | | | | |")
    for key, b in bias.items():
        print(f"float32 - float64 at {key}: " + ", ".join(f"{k} {v:+.2g}" for k, v in b.items()))
    for key, gi in ginibre.items():
        print(f"δ = 1 map at {key}: " + ", ".join(f"{k} {v:+.4f}" for k, v in gi.items()))
    return report


def plot_extensive(out: Path, spec: dict, single: dict, double: dict, maps: dict, note: str):
    """Collapse on i/N at both gains (float64 dashed), the point symmetry, the Ginibre overlay."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for ax, g in zip(axes[0], spec["gains"], strict=True):
        for n in spec["sizes"]:
            lam = single[(g, n)]["exponents"]
            ax.plot((1 + np.arange(n)) / n, lam, lw=1.2, label=f"N = {n}")
        n = spec["bias_size"]
        ax.plot((1 + np.arange(n)) / n, double[(g, n)]["exponents"], "k--", lw=0.8,
                label=f"N = {n}, float64")
        ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(xlabel="i / N", ylabel="λ_i (1/τ)", title=f"SCS, g = {g:g}: collapse on i/N")
        ax.legend(fontsize=7)
    ax = axes[1, 0]
    for g in spec["gains"]:
        for n in spec["sizes"][-2:]:
            lam = single[(g, n)]["exponents"]
            ax.plot((1 + np.arange(n // 2)) / n, (lam + lam[::-1])[: n // 2], lw=1,
                    label=f"g = {g:g}, N = {n}")
    ax.axhline(-2.0, color="k", lw=0.8, ls="--", label="−2")
    ax.set(xlabel="i / N", ylabel="λ_i + λ_{N+1−i} (1/τ)", title="Point symmetry")
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    for g, res in maps.items():
        lam, n = res["exponents"], int(res["n"])
        index = (1 + np.arange(n)) / n
        scalar, slopes = _map_theories(g, res)
        line, = ax.plot(index, lam, lw=1.5, label=f"δ = 1 map, g = {g:g}, N = {n}")
        ax.plot(index, scalar, ":", color=line.get_color(), lw=1,
                label="Ginibre product, σ² = g²⟨φ'²⟩")
        ax.plot(index, slopes, "--", color=line.get_color(), lw=1,
                label="Ginibre × mean-field slopes")
    ax.set(xlabel="i / N", ylabel="λ_i (per step)", title="x ← gWφ(x) vs random-matrix product")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "spectra_extensive_large.png", dpi=120)
    save_key_figure(fig, "spectra_collapse_large", note)


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
    parser.add_argument("--extensive", action="store_true",
                        help="only the full spectra at g = 3, 5 up to N = 1024 (EXTENSIVE)")
    parser.add_argument("--extensive-sizes", metavar="N1,N2",
                        help="with --extensive: these N (each with a t_sim in EXTENSIVE; the "
                             "float64 bias size is added) instead of the default sizes; prints "
                             "the table and writes no figure")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.extensive:
        spec = QUICK["extensive"] if args.quick else EXTENSIVE
        if args.extensive_sizes:
            sizes = sorted({int(n) for n in args.extensive_sizes.split(",")}
                           | {spec["bias_size"]})
            if unknown := [n for n in sizes if n not in spec["t_sim"]]:
                parser.error(f"--extensive-sizes: no t_sim for N = {unknown}; known: "
                             f"{sorted(spec['t_sim'])}")
            spec = {**spec, "sizes": sizes}
        single, double, maps = extensive_runs(out, spec)
        extensive_report(out, spec, single, double, maps)
        if args.extensive_sizes:
            return
        plot_extensive(out, spec, single, double, maps,
                       f"lyapunov_spectra.py --extensive{' --quick' * args.quick}: one network "
                       f"per N, g; float32; RK4 dt 0.1; t = "
                       f"{'/'.join(f'{t:g}' for t in spec['t_sim'].values())}; "
                       f"map {spec['map_steps']['sim']} steps")
        return
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
