"""Two-time mean-field theory of discrete-time random networks vs the continuous DMFT and vs
simulation (`jaxchaos._theory._discrete_dmft`).

Figures (in --out, default results/discrete_dmft/):
- `continuum_limit.png`: λ/δ of the leaky Euler map x ← (1-δ)x + δgWφ(x) vs δ for g = 2, 3,
  converging to `scs_dmft(g).lyapunov`, and the error |λ/δ - λ_SCS| vs δ (log-log, slope 1).
- `euler_vs_simulation.png`: theory λ_max per step vs `lyapunov_spectrum(k=1)` of `EulerMap`
  networks (N = 600) for a few δ and g.
- `cessac_leak.png`: λ_max of Cessac's network (f = tanh(u), J = 2) vs the leak γ, theory vs
  simulated `CessacNetwork`s; the γ = 0 white-noise value from `cessac_mean_field`.
Also writes `numbers.json`.

    .venv/bin/python experiments/discrete_dmft.py [--out DIR] [--quick]
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_key_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402
from jaxchaos._theory._discrete_dmft import cessac_dmft, euler_map_dmft  # noqa: E402
from jaxchaos._theory._dmft import scs_dmft  # noqa: E402

jax.config.update("jax_enable_x64", True)


def simulated_exponent(system, steps, key):
    spec = jc.lyapunov_spectrum(system, k=1, t_ons=1.0, t_warmup=500.0, t_frame_warmup=200.0,
                                t_sim=float(steps), n_blocks=10, key=key)
    return float(spec.exponents[0]), float(spec.stderr[0])


def continuum_limit(gains, deltas, lags):
    rows = {}
    for g in gains:
        lam = float(scs_dmft(g).lyapunov)
        rates = [float(euler_map_dmft(g, dt, lags=lags).lyapunov_rate) for dt in deltas]
        rows[g] = {"scs": lam, "deltas": list(deltas), "rates": rates}
    return rows


def euler_vs_simulation(cases, n, steps, lags, key):
    out = []
    for (g, dt), k in zip(cases, jax.random.split(key, len(cases)), strict=True):
        theory = float(euler_map_dmft(g, dt, lags=lags).lyapunov)
        net = jc.EulerMap(jc.SCSNetwork.random(k, n, g), dt)
        sim, err = simulated_exponent(net, steps, k)
        out.append({"gain": g, "dt": dt, "theory": theory, "sim": sim, "stderr": err})
    return out


def cessac_vs_leak(leaks, sim_leaks, n, steps, lags, key, coupling=2.0, slope=1.0):
    # Var(s u) stays below ~40 here: 400 trapezoid points give ~1e-12 (see _gaussian).
    theory = [float(cessac_dmft(slope, coupling_std=coupling, leak=g, lags=lags,
                                points=400).lyapunov) for g in leaks]
    white = float(jc.cessac_mean_field(slope, coupling_std=coupling).lyapunov)
    sims = []
    for g, k in zip(sim_leaks, jax.random.split(key, len(sim_leaks)), strict=True):
        net = jc.CessacNetwork.random(k, n, slope, coupling_std=coupling, leak=g)
        sims.append((g, *simulated_exponent(net, steps, k)))
    return {"leaks": list(leaks), "theory": theory, "white_noise": white,
            "sim": [{"leak": g, "sim": s, "stderr": e} for g, s, e in sims]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/discrete_dmft")
    parser.add_argument("--quick", action="store_true", help="smoke run (small, short)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    key = jax.random.key(0)
    if args.quick:
        # The continuum limit is theory only (a minute): the full grid, so that the quick run
        # draws the same key figure (docs/figures) as the full one.
        deltas, gains, euler_lags = (0.5, 0.2, 0.1, 0.05, 0.025), (2.0, 3.0), 3200
        cases, n, steps = [(2.0, 0.5)], 200, 1000
        leaks, sim_leaks, cessac_lags = (0.0, 0.5), (0.5,), 200
    else:
        deltas, gains, euler_lags = (0.5, 0.2, 0.1, 0.05, 0.025), (2.0, 3.0), 3200
        cases = [(g, dt) for dt in (0.5, 0.2) for g in (1.5, 2.0, 3.0)]
        n, steps = 600, 10000
        leaks = tuple(np.round(np.linspace(0.0, 0.8, 9), 3))
        sim_leaks, cessac_lags = (0.0, 0.2, 0.4, 0.6, 0.8), 400

    limit = continuum_limit(gains, deltas, euler_lags)
    euler = euler_vs_simulation(cases, n, steps, euler_lags, jax.random.fold_in(key, 1))
    cessac = cessac_vs_leak(leaks, sim_leaks, n, steps, cessac_lags, jax.random.fold_in(key, 2))

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for g, row in limit.items():
        d = np.asarray(row["deltas"])
        (line,) = axes[0].plot(d, row["rates"], "o-", label=f"g = {g:g}: λ/δ (discrete DMFT)")
        axes[0].axhline(row["scs"], color=line.get_color(), ls="--", label=f"SCS DMFT, g = {g:g}")
        axes[1].loglog(d, np.abs(np.asarray(row["rates"]) - row["scs"]), "o-", label=f"g = {g:g}")
    d = np.asarray(deltas)
    axes[1].loglog(d, 0.01 * d, "k:", label="∝ δ")
    axes[0].set(xlabel="δ", ylabel="λ_max per unit time", title="leaky Euler map → flow")
    axes[1].set(xlabel="δ", ylabel="|λ/δ - λ_SCS|", title="convergence order")
    axes[1].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "continuum_limit.png", dpi=120)
    save_key_figure(fig, "discrete_dmft_continuum_limit",
                    f"experiments/discrete_dmft.py{' --quick' if args.quick else ''}: theory "
                    f"only, g = {', '.join(f'{g:g}' for g in gains)}; "
                    f"δ = {', '.join(f'{x:g}' for x in deltas)}")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4))
    for dt, marker in ((0.5, "o"), (0.2, "s")):
        rows = [r for r in euler if r["dt"] == dt]
        if not rows:
            continue
        ax.errorbar([r["theory"] for r in rows], [r["sim"] for r in rows],
                    yerr=[r["stderr"] for r in rows], fmt=marker, label=f"δ = {dt:g}")
    lim = [min(r["theory"] for r in euler) - 0.02, max(r["theory"] for r in euler) + 0.02]
    ax.plot(lim, lim, "k--", lw=1)
    ax.set(xlabel="theory λ_max (per step)", ylabel=f"simulation, N = {n}",
           title="EulerMap: g = " + ", ".join(sorted({f"{r['gain']:g}" for r in euler})))
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "euler_vs_simulation.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(cessac["leaks"], cessac["theory"], "-", label="two-time DMFT")
    ax.errorbar([r["leak"] for r in cessac["sim"]], [r["sim"] for r in cessac["sim"]],
                yerr=[r["stderr"] for r in cessac["sim"]], fmt="o", label=f"simulation, N = {n}")
    ax.plot([0.0], [cessac["white_noise"]], "k*", ms=10, label="γ = 0 white-noise theory")
    ax.set(xlabel="leak γ", ylabel="λ_max per step", title="Cessac network, J = 2, f = tanh(u)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "cessac_leak.png", dpi=120)
    plt.close(fig)

    numbers = {"continuum_limit": {str(g): v for g, v in limit.items()}, "euler": euler,
               "cessac": cessac, "n": n, "steps": steps, "seconds": time.time() - start}
    (out / "numbers.json").write_text(json.dumps(numbers, indent=2))
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
