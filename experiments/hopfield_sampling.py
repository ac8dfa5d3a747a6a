"""Sampling stored patterns with chaos: Figure 4 c–e of Chaudhuri & Handebagh (seed 002, §3.4).

A Hopfield network (P random ±1 patterns) plus a random network W_r ~ N(0, 1/N) scaled by a gain
g (PHYSICS.md §3), under two storage rules:

- `outer_product` (the primary reproduction, the seed's choice): W_s = (s/N) Ξᵀ Ξ with s = N, the
  seed's unnormalised Ξᵀ Ξ (`configs/hopfield_gains.toml` derives it). Patterns are only near the
  attractors (crosstalk O(√(P/N))), which is what Fig. 4d/e measure.
- `pseudo_inverse` (a variant, not the seed's): W_s = (s/N) Ξᵀ C⁻¹ Ξ with s = 2, every pattern an
  exact fixed point; it removes the crosstalk (`configs/hopfield_*_pseudo_inverse.toml`).

For each rule the fixed-gain config, the alternating-gain config and a spectrum run (λ_max, k = 1)
of the fixed-gain grid go through the run machinery; `--out/<rule>/` then holds

- `fig4c_activity.png`: rates φ(x) of 50 neurons at four gains (seed 0);
- `fig4d_overlaps.png`: overlaps with the patterns (top) and with an orthonormal basis of the
  complement of their span (bottom) at the same gains;
- `fig4d_projection_vs_gain.png`: the projection norms onto both subspaces vs g, with the
  regression of the pattern-span norm on g (Pearson r, slope p-value);
- `fig4e_alternating.png`: g(t), the overlaps with the patterns and with the complement, and the
  nearest pattern under the alternating gain;
- `sampling_vs_gain.png`: the rate of new samples and λ_max vs the fixed gain;

and `--out` holds `rules_compared.png` (projection norm, sampling rate and λ_max against g/s for
both rules) and `summary.json` (every number printed). `rules_compared.png` and the outer-product
`fig4e_alternating.png` are also the key figures `docs/figures/hopfield_*.png` (suffix `_quick`
for --quick).

The seed's text lost its numbers (N, P, gains, dwells); ours are in the configs. A network
state counts as a sample of pattern μ (or of its mirror -ξ^μ, a separate state: 2P states) when
|m_μ| >= `--threshold`; a new sample is a visit to a state other than the previous one.

    .venv/bin/python experiments/hopfield_sampling.py [--quick] [--out results/hopfield_sampling]

The full configs (both rules) were not rerun on the shared CPU (about twice the old 3 minutes);
`--quick` (N = 60, P = 4, 2 seeds, quarter-length runs; the outer-product strength and gains
scaled with N so that s = N and g/s are kept) took 4 minutes on 2 CPU cores shared by several
agents. Finished runs in `--out/runs` are reused.
"""

import argparse
import copy
import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import copy_key_figure, save_figure  # noqa: E402

from jaxchaos._models._hopfield import (  # noqa: E402
    linear_regression,
    nearest_pattern,
    overlaps,
    projection_norms,
    sampling_statistics,
    subspace_bases,
)
from jaxchaos._runs._runfolder import new_run_folder, read_record  # noqa: E402
from jaxchaos._runs._sweep_config import build_system, load_config, resolve_config  # noqa: E402
from jaxchaos._runs._sweep_job import RESULTS, execute  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
RULE_CONFIGS = {  # rule: (fixed gains, alternating gain); the first is the seed's
    "outer_product": ("hopfield_gains.toml", "hopfield_alternating.toml"),
    "pseudo_inverse": ("hopfield_gains_pseudo_inverse.toml",
                       "hopfield_alternating_pseudo_inverse.toml"),
}
SHOWN = (0.0, 0.5, 1.0, 2.0)  # g/s of panels c, d
TRANSIENT = 100.0  # model time left out of the statistics
QUICK_N = 60


def _check_strength(config: dict):
    """The outer-product configs reproduce the seed's unnormalised Ξᵀ Ξ: s must equal N."""
    model = config["model"]
    if model["rule"] == "outer_product" and model["strength"] != model["n"]:
        raise SystemExit(f"{config['name']}: the seed's Ξᵀ Ξ is strength = n = {model['n']}, "
                         f"got strength = {model['strength']}")


def _quick(config: dict) -> dict:
    config = copy.deepcopy(config)
    model = config["model"]
    if model["rule"] == "outer_product":  # keep s = N and g/s
        scale = QUICK_N / model["n"]
        model["strength"] *= scale
        model["gain"] *= scale
        if model["gain_schedule"] == "alternating":
            model["gain_high"] *= scale
        if "gain" in config["sweep"]:
            config["sweep"]["gain"] = [g * scale for g in config["sweep"]["gain"]]
    model.update(n=QUICK_N, patterns=4)
    config["simulation"].update(t_end=config["simulation"]["t_end"] / 4, trace_neurons=60,
                                chunks=2)
    config["sweep"]["seed"] = config["sweep"]["seed"][:2]
    return resolve_config(config)


def _run(config: dict, folder: Path) -> Path:
    """Execute (or resume, or reuse) the run of `config` in `folder`."""
    if not (folder / "run.json").exists():
        new_run_folder(config, folder)
    elif read_record(folder)["config"] != config:
        raise SystemExit(f"{folder} holds a run of another config: choose another --out")
    if read_record(folder)["status"] != "finished":
        execute(folder)
    return folder


def _spectrum_config(config: dict, quick: bool) -> dict:
    config = copy.deepcopy(config)
    config["name"] = config["name"] + "_lambda_max"
    config["simulation"].update(t_warmup=100.0, chunks=2)
    config["lyapunov"] = {"k": 1, "t_ons": 1.0, "t_frame_warmup": 20.0,
                          "t_sim": 100.0 if quick else 400.0, "n_blocks": 4}
    return resolve_config(config)


def _measures(config: dict, traces: np.ndarray, seeds) -> dict:
    """Overlaps, complement overlaps and projection norms of recorded traces (seed, ..., T, N)."""
    out = {"m": [], "complement": [], "span_norm": [], "complement_norm": [], "patterns": []}
    for i, seed in enumerate(seeds):
        patterns = build_system(config["model"], {"seed": seed}).patterns
        rates = jnp.tanh(jnp.asarray(traces[i]))
        span, complement = projection_norms(rates, patterns)
        out["m"].append(overlaps(rates, patterns))
        out["complement"].append(overlaps(rates, subspace_bases(patterns)[1]))
        out["span_norm"].append(span)
        out["complement_norm"].append(complement)
        out["patterns"].append(patterns)
    return {k: np.asarray(v) for k, v in out.items()}


def _finite_mean(values):
    """Mean of the finite values, or None (JSON null) when there are none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else None


def _p_label(p: float) -> str:
    """'= 1.2e-05', or '< 1e-300' where the p-value underflowed to 0 in float64."""
    return f"= {p:.1e}" if p > 0 else "< 1e-300"


def _heatmap(ax, values, times, label):
    extent = (times[0], times[-1], values.shape[-1] - 0.5, -0.5)
    image = ax.imshow(values.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, extent=extent,
                      interpolation="nearest")
    ax.set_ylabel(label)
    return image


def fixed_gains(config, folder, spectrum_folder, out, threshold, summary):
    with np.load(folder / RESULTS) as data:
        traces, times, gains, seeds = (data[k] for k in ("traces", "times", "axis_gain",
                                                         "axis_seed"))
    every = config["simulation"]["record_every"]
    measures = _measures(config, traces, seeds)
    p = measures["m"].shape[-1]
    after = times > TRANSIENT
    strength = float(config["model"]["strength"])
    shown = [int(np.argmin(np.abs(gains - g * strength))) for g in SHOWN]

    # Fig. 4c: activity; Fig. 4d: overlaps with the patterns and with the complement.
    fig, panels = plt.subplots(1, len(shown), figsize=(3.2 * len(shown), 3), sharey=True)
    for ax, j in zip(panels, shown, strict=True):
        _heatmap(ax, np.tanh(traces[0, j, :, :50]), times, "neuron" if j == shown[0] else "")
        ax.set_title(f"g = {gains[j]:g}")
        ax.set_xlabel("time")
    fig.suptitle("Fig. 4c: rates φ(x) of 50 neurons (seed 0)")
    fig.tight_layout()
    fig.savefig(out / "fig4c_activity.png", dpi=120)
    plt.close(fig)

    fig, panels = plt.subplots(2, len(shown), figsize=(3.2 * len(shown), 5), sharex=True)
    for col, j in enumerate(shown):
        image = _heatmap(panels[0, col], measures["m"][0, j], times, "pattern μ" if not col else "")
        _heatmap(panels[1, col], measures["complement"][0, j, :, :4 * p], times,
                 "complement direction" if not col else "")
        panels[0, col].set_title(f"g = {gains[j]:g}")
        panels[1, col].set_xlabel("time")
    fig.colorbar(image, ax=panels, shrink=0.6, label="normalized overlap")
    fig.suptitle(f"Fig. 4d: overlaps with the patterns (top) and with the first {4 * p} "
                 "complement directions (bottom)")
    fig.savefig(out / "fig4d_overlaps.png", dpi=120)
    plt.close(fig)

    # Projection norms vs gain, and their regression on the gain (all seeds and times).
    span = measures["span_norm"][..., after]  # (seed, gain, T)
    complement = measures["complement_norm"][..., after]
    x = np.broadcast_to(gains[None, :, None], span.shape).ravel()
    fits = {name: {k: float(v) for k, v in linear_regression(x, values.ravel()).items()}
            for name, values in (("span", span), ("complement", complement))}
    n, seeds_n = traces.shape[-1], len(seeds)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, values, color in (("pattern span", span, "C0"), ("complement", complement, "C1")):
        per_seed = values.mean(axis=-1)
        ax.errorbar(gains, per_seed.mean(0), per_seed.std(0, ddof=1) / np.sqrt(seeds_n),
                    marker="o", color=color, label=name)
    fit = fits["span"]
    ax.plot(gains, fit["intercept"] + fit["slope"] * gains, color="C0", ls=":", lw=1,
            label=f"fit: r = {fit['r']:.2f}, p {_p_label(fit['p_value'])}")
    ax.axhline(np.sqrt(p / n), color="gray", ls="--", lw=0.8, label="chance √(P/N)")
    ax.set_xlabel("gain g")
    ax.set_ylabel("|projection of φ(x)| / |φ(x)|")
    ax.legend(fontsize=8)
    ax.set_title(f"{config['model']['rule']}, s = {strength:g}: N = {n}, P = {p}, {seeds_n} seeds,"
                 f" t > {TRANSIENT:g}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "fig4d_projection_vs_gain.png", dpi=120)
    plt.close(fig)

    # Sampling at fixed gain, next to λ_max.
    rates, kl, max_overlap = [], [], []
    for j in range(len(gains)):
        stats = [sampling_statistics(
            np.asarray(nearest_pattern(measures["m"][i, j][after], threshold, signed=True)),
            2 * p, every) for i in range(seeds_n)]
        rates.append([s["new_sample_rate"] for s in stats])
        kl.append([s["kl_uniform"] for s in stats])
        max_overlap.append(float(np.abs(measures["m"][:, j][:, after]).max(-1).mean()))
    rates = np.asarray(rates)
    with np.load(spectrum_folder / RESULTS) as data:
        lam, lam_err = data["lambda_max"], data["stderr"][..., 0]  # (seed, gain)
    fig, left = plt.subplots(figsize=(5.5, 4))
    left.errorbar(gains, rates.mean(1), rates.std(1, ddof=1) / np.sqrt(seeds_n), marker="o",
                  color="C2")
    left.set_xlabel("gain g")
    left.set_ylabel("new samples per unit time", color="C2")
    right = left.twinx()
    right.errorbar(gains, lam.mean(0), lam.std(0, ddof=1) / np.sqrt(seeds_n), marker="s",
                   color="C3")
    right.axhline(0.0, color="C3", ls=":", lw=0.8)
    right.set_ylabel("λ_max (1/time)", color="C3")
    left.set_title(f"fixed gain: sampling rate (|m| ≥ {threshold}) and λ_max")
    fig.tight_layout()
    fig.savefig(out / "sampling_vs_gain.png", dpi=120)
    plt.close(fig)

    summary["fixed_gain"] = {
        "n": int(n), "patterns": int(p), "seeds": [int(s) for s in seeds],
        "rule": config["model"]["rule"], "strength": strength,
        "gains": gains.tolist(), "gains_over_strength": (gains / strength).tolist(),
        "span_norm": span.mean(axis=(0, 2)).tolist(),
        "complement_norm": complement.mean(axis=(0, 2)).tolist(),
        "chance_span_norm": float(np.sqrt(p / n)),
        "max_overlap": max_overlap,
        "new_sample_rate": rates.mean(1).tolist(),
        "kl_uniform": [_finite_mean(v) for v in kl],
        "lambda_max": lam.mean(0).tolist(),
        "lambda_max_stderr": np.sqrt(np.mean(lam_err**2, axis=0) / seeds_n).tolist(),
        "regression_span_on_gain": fits["span"],
        "regression_complement_on_gain": fits["complement"],
    }


def alternating(config, folder, out, threshold, summary):
    with np.load(folder / RESULTS) as data:
        traces, times, seeds = data["traces"], data["times"], data["axis_seed"]
    every = config["simulation"]["record_every"]
    measures = _measures(config, traces, seeds)
    p = measures["m"].shape[-1]
    after = times > TRANSIENT
    per_seed, gain_series = [], []
    for i, seed in enumerate(seeds):
        schedule = build_system(config["model"], {"seed": seed}).gain
        gain_series.append(np.asarray(jax.vmap(schedule)(jnp.asarray(times))))
        labels = np.asarray(nearest_pattern(measures["m"][i][after], threshold, signed=True))
        stats = sampling_statistics(labels, 2 * p, every)
        per_seed.append({k: (v.tolist() if isinstance(v, np.ndarray) else v)
                         for k, v in stats.items()})
    gain_series = np.asarray(gain_series)
    x = gain_series[:, after].ravel()
    fits = {name: {k: float(v) for k, v in
                   linear_regression(x, measures[key][:, after].ravel()).items()}
            for name, key in (("span", "span_norm"), ("complement", "complement_norm"))}

    labels = np.asarray(nearest_pattern(measures["m"][0], threshold, signed=True))
    fig, panels = plt.subplots(4, 1, figsize=(10, 8), sharex=True,
                               gridspec_kw={"height_ratios": [1, 2, 2, 1]})
    panels[0].plot(times, gain_series[0], color="k", lw=0.8)
    panels[0].set_ylabel("g(t)")
    image = _heatmap(panels[1], measures["m"][0], times, "pattern μ")
    _heatmap(panels[2], measures["complement"][0, :, :4 * p], times, "complement dir.")
    shown = np.where(labels >= 0, labels, np.nan)
    panels[3].plot(times, shown, ".", ms=2, color="C0")
    panels[3].set_ylabel("state")
    panels[3].set_yticks(range(0, 2 * p, max(1, p // 2)))
    panels[3].set_xlabel("time")
    fig.colorbar(image, ax=panels, shrink=0.5, label="normalized overlap")
    counts = per_seed[0]["counts"]
    fig.suptitle(f"Fig. 4e, {config['model']['rule']} rule, s = {config['model']['strength']:g}:"
                 f" alternating gain (seed {seeds[0]}): {sum(counts)} samples of "
                 f"{np.count_nonzero(counts)} of {2 * p} states (±ξ), "
                 f"KL to uniform {per_seed[0]['kl_uniform']:.2f} nats")
    fig.savefig(out / "fig4e_alternating.png", dpi=120)
    plt.close(fig)
    summary["alternating"] = {
        "low_gain": config["model"]["gain"], "high_gain": config["model"]["gain_high"],
        "low_dwell": config["model"]["low_dwell"], "high_dwell": config["model"]["high_dwell"],
        "per_seed": per_seed,
        "regression_span_on_gain": fits["span"],
        "regression_complement_on_gain": fits["complement"],
    }


def _rule(rule: str, quick: bool, runs: Path, out: Path, threshold: float) -> dict:
    """Run and plot one storage rule into `out`; returns its summary."""
    gains_config, alternating_config = (load_config(CONFIGS / name)
                                        for name in RULE_CONFIGS[rule])
    for config in (gains_config, alternating_config):
        _check_strength(config)
    if quick:
        gains_config, alternating_config = _quick(gains_config), _quick(alternating_config)
    for config in (gains_config, alternating_config):
        config["output"]["figures"] = False
    spectrum_config = _spectrum_config(gains_config, quick)
    gains_folder = _run(gains_config, runs / gains_config["name"])
    spectrum_folder = _run(spectrum_config, runs / spectrum_config["name"])
    alternating_folder = _run(alternating_config, runs / alternating_config["name"])
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    fixed_gains(gains_config, gains_folder, spectrum_folder, out, threshold, summary)
    alternating(alternating_config, alternating_folder, out, threshold, summary)
    return summary


def _compare_rules(summary: dict, out: Path, key: str):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharex=True)
    for rule, marker in (("outer_product", "o"), ("pseudo_inverse", "s")):
        fixed = summary[rule]["fixed_gain"]
        x = fixed["gains_over_strength"]
        label = f"{rule} (s = {fixed['strength']:g})"
        axes[0].plot(x, fixed["span_norm"], marker=marker, label=label)
        axes[1].plot(x, fixed["new_sample_rate"], marker=marker, label=label)
        axes[2].plot(x, fixed["lambda_max"], marker=marker, label=label)
    axes[0].axhline(summary["outer_product"]["fixed_gain"]["chance_span_norm"], color="gray",
                    ls="--", lw=0.8, label="chance √(P/N)")
    axes[2].axhline(0.0, color="gray", ls=":", lw=0.8)
    for ax, name in zip(axes, ("|Π_s φ| / |φ| (pattern span)", "new samples per unit time",
                               "λ_max (1/time)"), strict=True):
        ax.set(xlabel="g / s", ylabel=name)
    axes[0].legend(fontsize=8)
    fixed = summary["outer_product"]["fixed_gain"]
    fig.suptitle(f"Seed 002 Fig. 4: outer-product (seed's) vs pseudo-inverse rule, N = "
                 f"{fixed['n']}, P = {fixed['patterns']}, {len(fixed['seeds'])} seeds"
                 + (" (--quick)" if summary["quick"] else ""), fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "rules_compared.png", key=key,
                note="experiments/hopfield_sampling.py" + (" --quick" if summary["quick"] else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/hopfield_sampling")
    parser.add_argument("--quick", action="store_true", help="small, short smoke run")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="|overlap| at which the network counts as at a pattern")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"threshold": args.threshold, "quick": args.quick}
    for rule in RULE_CONFIGS:
        summary[rule] = _rule(rule, args.quick, out / "runs", out / rule, args.threshold)
    suffix = "_quick" if args.quick else ""
    _compare_rules(summary, out, f"hopfield_rules{suffix}")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    copy_key_figure(out / "outer_product" / "fig4e_alternating.png",
                    f"hopfield_fig4e_outer_product{suffix}",
                    "experiments/hopfield_sampling.py" + (" --quick" if args.quick else ""))

    for rule in RULE_CONFIGS:
        fixed = summary[rule]["fixed_gain"]
        print(f"{rule}, s = {fixed['strength']:g}, N = {fixed['n']}, P = {fixed['patterns']}")
        print(f"{'g/s':>5} {'|Π_s φ|/|φ|':>12} {'|Π_c φ|/|φ|':>12} {'max|m|':>7} "
              f"{'new/time':>9} {'λ_max':>8}")
        for row in zip(fixed["gains_over_strength"], fixed["span_norm"],
                       fixed["complement_norm"], fixed["max_overlap"],
                       fixed["new_sample_rate"], fixed["lambda_max"], strict=True):
            print("{:5.2f} {:12.3f} {:12.3f} {:7.3f} {:9.4f} {:8.3f}".format(*row))
        fit = fixed["regression_span_on_gain"]
        print(f"span norm on gain: slope {fit['slope']:.4g}, r = {fit['r']:.3f}, "
              f"p {_p_label(fit['p_value'])}")
        for seed, stats in zip(fixed["seeds"], summary[rule]["alternating"]["per_seed"],
                               strict=False):
            print(f"alternating, seed {seed}: {sum(stats['counts'])} samples, "
                  f"{stats['new_samples']} new ({stats['new_sample_rate']:.4f}/time), "
                  f"{np.count_nonzero(stats['counts'])}/{len(stats['counts'])} states, "
                  f"KL {stats['kl_uniform']:.2f}, chi2 p {stats['chi2_p']:.2g}")
    print(f"figures and summary.json in {out}")


if __name__ == "__main__":
    main()
