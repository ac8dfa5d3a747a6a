"""Figures of a finished run (matplotlib; never imported by the numerical core)."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _mean_sem(values):
    """Mean and standard error over axis 0, ignoring NaNs (NaN where no value is defined)."""
    mean, sem = np.full(values.shape[1:], np.nan), np.full(values.shape[1:], np.nan)
    for index in np.ndindex(mean.shape):
        column = values[(slice(None), *index)]
        column = column[np.isfinite(column)]
        if column.size:
            mean[index] = column.mean()
            sem[index] = column.std(ddof=1) / np.sqrt(column.size) if column.size > 1 else 0.0
    return mean, sem


def plot_run(folder) -> list[Path]:
    """Write `figures/traces.png` and, when a parameter other than the seed is swept,
    `figures/summary.png` (variance and autocorrelation time vs that parameter) and
    `figures/autocorrelation.png`. Returns the paths written."""
    folder = Path(folder)
    record = json.loads((folder / "run.json").read_text())
    axes = list(record["config"]["sweep"])
    data = np.load(folder / "results.npz")
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    swept = [name for name in axes if name != "seed"]
    # Put the seed axis first and the plotted parameter second; other axes at their first value.
    order = [axes.index("seed")] + [axes.index(name) for name in swept]
    take = tuple(slice(None) if i < 2 else 0 for i in range(len(order)))

    def grid(name):
        return np.transpose(data[name], order + list(range(len(axes), data[name].ndim)))[take]

    written = []
    traces, times = grid("traces"), data["times"]
    param = swept[0] if swept else None
    values = data[f"axis_{param}"] if param else np.array([np.nan])
    if traces.ndim == 3:  # no swept parameter: add one
        traces = traces[:, None]
    shown = sorted(set(np.linspace(0, len(values) - 1, min(4, len(values))).round().astype(int)))
    fig, panels = plt.subplots(len(shown), 1, figsize=(8, 1.9 * len(shown)), sharex=True,
                               squeeze=False)
    for panel, index in zip(panels[:, 0], shown, strict=True):
        panel.plot(times, traces[0, index], lw=0.8)
        panel.set_ylabel("x")
        panel.set_title(f"{param} = {values[index]:.3g}" if param else "", fontsize=9)
    panels[-1, 0].set_xlabel("time")
    fig.suptitle(f"{record['config']['name']}: sample traces (seed {data['axis_seed'][0]})")
    fig.tight_layout()
    fig.savefig(figures / "traces.png", dpi=120)
    plt.close(fig)
    written.append(figures / "traces.png")
    if not param:
        return written

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for panel, name, label in ((left, "variance", "variance of x (neurons, time)"),
                               (right, "decay_time", "autocorrelation time (1/e)")):
        mean, sem = _mean_sem(grid(name))
        panel.errorbar(values, mean, yerr=sem, marker="o", capsize=3)
        panel.set_xlabel(param)
        panel.set_ylabel(label)
        if param == "gain":
            panel.axvline(1.0, color="gray", ls="--", lw=0.8)
    n_seeds = grid("variance").shape[0]
    fig.suptitle(f"{record['config']['name']}: mean ± s.e.m. over {n_seeds} seeds")
    fig.tight_layout()
    fig.savefig(figures / "summary.png", dpi=120)
    plt.close(fig)
    written.append(figures / "summary.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    autocov = grid("autocovariance").mean(axis=0)
    for index, value in enumerate(values):
        if autocov[index, 0] > 1e-12:
            curve = autocov[index] / autocov[index, 0]
            ax.plot(data["lags"], curve, label=f"{param} = {value:.3g}")
    ax.axhline(np.exp(-1), color="gray", ls=":", lw=0.8)
    ax.set_xlabel("lag τ")
    ax.set_ylabel("C(τ) / C(0)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures / "autocorrelation.png", dpi=120)
    plt.close(fig)
    written.append(figures / "autocorrelation.png")
    return written
