"""Seed 002, Fig. 1: the chaotic SCS network in phase space at several gains, and its sensitivity
to a small uniform perturbation of the initial condition.

dx/dt = -x + g W tanh(x), W_ij ~ N(0, 1/N), zero diagonal (`SCSNetwork`). The seed's text lost N,
its gains and the perturbation's range; ours are the constants below.

- `phase_space.png`: x(t) projected on its first two principal components (PCA of the trajectory
  after a warm-up) at g = 1.5, 2, 3, each with λ_max (`lyapunov_spectrum`, k = 1): the attractor
  spreads and the motion becomes more irregular as g, and λ_max, grow.
- `sensitivity.png`: at g = 2, one neuron of a trajectory and of a copy whose initial condition
  was perturbed by independent uniform noise in [-ε, ε] per neuron (ε = 1e-3, as the seed's
  "uniform perturbation"), and their distance |x_a - x_b| against time on a log scale, next to the
  slope λ_max: the copies separate exponentially at λ_max until the distance saturates at the
  attractor's size.

The script stops with an error if any gain has λ_max - 2·stderr ≤ 0 (not chaotic at this N).
Both figures are also the key figures `docs/figures/seed002_*.png`. About 3 minutes on 2 shared
CPU cores.

    .venv/bin/python experiments/seed002_fig1.py [--out results/seed002_fig1]
"""

import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import parse_args, save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

N = 500
GAINS = (1.5, 2.0, 3.0)
SENSITIVITY_GAIN = 2.0
EPSILON = 1e-3  # perturbation: independent U(-ε, ε) per neuron
DT, RECORD, WARMUP, T_END = 0.05, 0.1, 100.0, 200.0


def _lambda_max(net, x0):
    spectrum = jc.lyapunov_spectrum(net, x0, k=1, dt=DT, t_sim=400.0, key=jax.random.key(2))
    lam, err = float(spectrum.exponents[0]), float(spectrum.stderr[0])
    if lam - 2 * err <= 0:
        raise SystemExit(f"N = {N}, g = {float(net.gain):g} is not clearly chaotic "
                         f"(λ_max = {lam:.4f} ± {err:.4f}): pick another key or a larger N")
    return lam, err


def _trajectory(net, x0, t_end):
    run = jc.simulate(net, x0, t1=t_end, dt=DT, record_every=RECORD)
    x = np.asarray(run.records["trajectory"])
    return np.concatenate([np.asarray(x0)[None], x])


def phase_space(out: Path, summary: dict):
    fig, axes = plt.subplots(1, len(GAINS), figsize=(4 * len(GAINS), 3.8))
    x0 = jax.random.normal(jax.random.key(1), (N,))
    for ax, gain in zip(axes, GAINS, strict=True):
        net = jc.SCSNetwork.random(jax.random.key(0), N, gain)
        x = _trajectory(net, x0, WARMUP + T_END)[int(round(WARMUP / RECORD)):]
        centred = x - x.mean(axis=0)
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        pcs = centred @ vt[:2].T
        explained = singular**2 / np.sum(singular**2)
        lam, err = _lambda_max(net, x0)
        ax.plot(pcs[:, 0], pcs[:, 1], lw=0.5)
        ax.set(xlabel=f"PC 1 ({100 * explained[0]:.0f} %)",
               ylabel=f"PC 2 ({100 * explained[1]:.0f} %)",
               title=f"g = {gain:g}: λ_max = {lam:.3f} ± {err:.3f}")
        summary[f"g_{gain:g}"] = {"lambda_max": lam, "stderr": err,
                                  "explained_variance_pc1_pc2": explained[:2].tolist()}
    fig.suptitle(f"Seed 002 Fig. 1: x(t) on its first two principal components, N = {N}, "
                 f"t ∈ [{WARMUP:g}, {WARMUP + T_END:g}]", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "phase_space.png", "seed002_phase_space",
                f"N = {N}, g = {GAINS}, network key 0, x0 key 1, dt = {DT:g}")


def sensitivity(out: Path, summary: dict):
    net = jc.SCSNetwork.random(jax.random.key(0), N, SENSITIVITY_GAIN)
    start = _trajectory(net, jax.random.normal(jax.random.key(1), (N,)), WARMUP)[-1]
    kick = jax.random.uniform(jax.random.key(4), (N,), minval=-EPSILON, maxval=EPSILON)
    a = _trajectory(net, start, T_END)
    b = _trajectory(net, start + np.asarray(kick), T_END)
    times = RECORD * np.arange(a.shape[0])
    distance = np.linalg.norm(a - b, axis=1)
    lam, err = _lambda_max(net, start)
    # Growth rate fitted where the distance is between 10× its start and 1/10 of its plateau.
    plateau = float(np.median(distance[times > 0.75 * T_END]))
    window = (distance > 10 * distance[0]) & (distance < 0.1 * plateau)
    window &= np.cumprod(distance < 0.1 * plateau).astype(bool)
    fitted = float(np.polyfit(times[window], np.log(distance[window]), 1)[0]) \
        if window.sum() >= 5 else float("nan")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    axes[0].plot(times, a[:, 0], lw=0.8, label="x_1, reference")
    axes[0].plot(times, b[:, 0], lw=0.8, ls="--", label=f"x_1, perturbed (U(±{EPSILON:g}))")
    axes[0].set(xlabel="time since the perturbation", ylabel="x_1")
    axes[0].legend(fontsize=8)
    axes[1].semilogy(times, distance, lw=0.8, label="|x_a - x_b|")
    axes[1].semilogy(times, distance[0] * np.exp(lam * times), "k:",
                     label=f"∝ exp(λ_max t), λ_max = {lam:.3f}")
    axes[1].set(xlabel="time since the perturbation", ylabel="distance",
                ylim=(0.5 * distance[0], 3 * distance.max()))
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Seed 002 Fig. 1: sensitive dependence on initial conditions, g = "
                 f"{SENSITIVITY_GAIN:g}, N = {N}; fitted growth rate {fitted:.3f}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "sensitivity.png", "seed002_sensitivity",
                f"N = {N}, g = {SENSITIVITY_GAIN:g}, ε = {EPSILON:g}, dt = {DT:g}")
    summary["sensitivity"] = {"gain": SENSITIVITY_GAIN, "epsilon": EPSILON,
                              "initial_distance": float(distance[0]), "plateau": plateau,
                              "fitted_growth_rate": fitted, "lambda_max": lam,
                              "lambda_max_stderr": err}


def main():
    out = parse_args(__doc__, "results/seed002_fig1").out
    summary = {"n": N}
    phase_space(out, summary)
    sensitivity(out, summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
