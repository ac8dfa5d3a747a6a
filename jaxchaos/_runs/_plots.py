"""Figures of a finished run (matplotlib; never imported by the numerical core)."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ._sweep_config import FLOW_KINDS  # noqa: E402
from ._sweep_job import MAY_BE_UNDEFINED, UNDEFINED  # noqa: E402


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


class _Grid:
    """A run's results with the seed axis first and the plotted parameter (the first other swept
    axis) second; further axes are shown at their first value."""

    def __init__(self, folder: Path):
        self.record = json.loads((folder / "run.json").read_text())
        self.data = np.load(folder / "results.npz")
        axes = list(self.record["config"]["sweep"])
        swept = [name for name in axes if name != "seed"]
        self.param = swept[0] if swept else None
        self.values = self.data[f"axis_{self.param}"] if self.param else np.array([np.nan])
        self._order = [axes.index("seed")] + [axes.index(name) for name in swept]
        self._take = tuple(slice(None) if i < 2 else 0 for i in range(len(self._order)))

    def __call__(self, name):
        """A result in plotting order; `UNDEFINED` entries as NaN (left out of means)."""
        array = self.data[name]
        if name in MAY_BE_UNDEFINED:
            array = np.where(array == UNDEFINED, np.nan, array)
        order = self._order + list(range(len(self._order), array.ndim))
        out = np.transpose(array, order)[self._take]
        return out if self.param else out[:, None]


def plot_run(folder) -> list[Path]:
    """Write the figures of a finished run into `figures/`; returns the paths written.

    Simulation runs: `traces.png` and, when a parameter other than the seed is swept,
    `summary.png` (variance and autocorrelation time vs that parameter) and
    `autocorrelation.png`. Spectrum runs: see `_plot_spectra`."""
    folder = Path(folder)
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    grid = _Grid(folder)
    if "lyapunov" in grid.record["config"]:
        return _plot_spectra(grid, figures)
    record, data, param, values = grid.record, grid.data, grid.param, grid.values
    written = []
    traces, times = grid("traces"), data["times"]
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


def _plot_vs_parameter(grid: _Grid, path: Path, panels: tuple) -> Path:
    """Mean ± s.e.m. over seeds of each (result name, label) in `panels` vs the parameter."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, (name, label) in zip(axes[0], panels, strict=True):
        mean, sem = _mean_sem(grid(name))
        ax.errorbar(grid.values, mean, yerr=sem, marker="o", capsize=3)
        ax.set_xlabel(grid.param)
        ax.set_ylabel(label)
        if grid.param == "gain":
            ax.axvline(1.0, color="gray", ls="--", lw=0.8)
    n_seeds = grid("lambda_max").shape[0]
    fig.suptitle(f"{grid.record['config']['name']}: mean ± s.e.m. over {n_seeds} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_spectra(grid: _Grid, figures: Path) -> list[Path]:
    """`spectra.png` (λ_i vs i/N per parameter value, seed 0), `convergence.png` (running
    estimates of the leading exponents), and with a swept parameter `summary.png` (λ_max, KS
    entropy and Kaplan–Yorke D/N vs the parameter)."""
    n = grid.record["config"]["model"]["n"]
    unit = "1/time" if grid.record["config"]["model"]["kind"] in FLOW_KINDS else "1/step"
    exponents, history = grid("exponents"), grid("history")
    fig, ax = plt.subplots(figsize=(6, 4))
    for index, value in enumerate(grid.values):
        label = f"{grid.param} = {value:.3g}" if grid.param else None
        ax.plot((1 + np.arange(exponents.shape[-1])) / n, exponents[0, index], label=label)
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_xlabel("i / N")
    ax.set_ylabel(f"λ_i [{unit}]")
    if grid.param:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures / "spectra.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    times = grid.data["history_times"]
    last = len(grid.values) - 1
    for i in range(min(3, history.shape[-1])):
        ax.plot(times, history[0, last, :, i], marker=".", label=f"λ_{i + 1}")
    ax.set_xlabel("accumulation time")
    ax.set_ylabel(f"running estimate [{unit}]")
    title = f"{grid.param} = {grid.values[last]:.3g}, seed 0" if grid.param else "seed 0"
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(figures / "convergence.png", dpi=120)
    plt.close(fig)
    written = [figures / "spectra.png", figures / "convergence.png"]
    if grid.param:
        panels = (("lambda_max", f"λ_max [{unit}]"), ("ks_entropy", f"KS entropy [{unit}]"),
                  ("dimension_density", "Kaplan–Yorke D / N"))
        written.append(_plot_vs_parameter(grid, figures / "summary.png", panels))
    return written
