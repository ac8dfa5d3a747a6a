"""Mean-field theory vs simulation: SCS DMFT against large-N networks, the deep-net q-map against
finite-width nets, and balanced binary E/I networks against their mean-field rates.

Figures (in --out):
- `autocorrelation.png`: Δ(τ) from `scs_dmft` vs the population autocorrelation of simulated
  SCS networks (`simulate` with the `Autocorrelation` recorder), for several gains, and Δ0(g).
- `lyapunov.png`: λ_max(g) from the DMFT vs `lyapunov_spectrum(..., k=1)` of finite networks.
- `q_map.png`: the length q^l of a deep tanh net (finite width, one draw) vs the iterated q-map.
- `balanced_rates.png`: time-averaged E and I rates of simulated balanced binary networks
  (`BalancedBinaryNetwork`, `binary_rates`) vs the external rate m0 and vs K, against
  `balanced_rates` (finite K, Gaussian inputs), the same mean field with exact input counts
  (`count_balanced_rates`) and the K → ∞ balance solution `balanced_rates_limit`.
Also writes `numbers.json` with the compared values (`--only` runs some parts and updates the
entries of an existing `numbers.json`).

    .venv/bin/python experiments/dmft_vs_simulation.py [--out DIR] [--quick]
        [--only {autocorrelation,lyapunov,q_map,balanced} ...]
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import equinox as eqx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_key_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402
from jaxchaos._models._binary import (  # noqa: E402
    BalancedBinaryNetwork,
    binary_rates,
    count_balanced_rates,
)
from jaxchaos._theory._dmft import scs_dmft  # noqa: E402
from jaxchaos._theory._meanfield import balanced_rates, balanced_rates_limit, q_map  # noqa: E402

jax.config.update("jax_enable_x64", True)


def autocorrelation(n, gains, t_warm, t_run, key):
    record, max_lag = 0.25, 120
    rows = []
    for g, k in zip(gains, jax.random.split(key, len(gains)), strict=True):
        net = jc.SCSNetwork.random(k, n, g)
        sim = jc.simulate(net, t1=t_warm + t_run, dt=0.05, record_every=record, key=k,
                          recorders={"ac": jc.Autocorrelation(max_lag, start=t_warm)})
        rows.append(np.asarray(sim.records["ac"]["corr"]))
    return np.arange(max_lag + 1) * record, rows


def lyapunov_curve(n, gains, t_sim, key):
    out = []
    for g, k in zip(gains, jax.random.split(key, len(gains)), strict=True):
        net = jc.SCSNetwork.random(k, n, g)
        spec = jc.lyapunov_spectrum(net, k=1, dt=0.05, t_ons=1.0, t_warmup=100.0,
                                    t_frame_warmup=50.0, t_sim=t_sim, n_blocks=10, key=k)
        out.append((float(spec.exponents[0]), float(spec.stderr[0])))
    return np.array(out)


def deep_net_lengths(width, depth, sigma_w, sigma_b, key):
    """q^l = mean_i (h_i^l)² of one input through one random tanh net, l = 1..depth."""
    keys = jax.random.split(key, 2 * depth + 1)
    x = jax.random.normal(keys[0], (width,))
    x = x * jnp.sqrt(4.0 / jnp.mean(x**2))  # q^0 = 4
    h, lengths = x, []
    for layer in range(depth):
        w = sigma_w / jnp.sqrt(width) * jax.random.normal(keys[2 * layer + 1], (width, width))
        b = sigma_b * jax.random.normal(keys[2 * layer + 2], (width,))
        h = w @ (jnp.tanh(h) if layer else h) + b
        lengths.append(float(jnp.mean(h**2)))
    return np.array(lengths)


def autocorrelation_part(out, quick, key):
    n_ac, t_run = (800, 300.0) if quick else (1500, 600.0)
    ac_gains = [1.5, 2.0, 3.0]
    theory = scs_dmft(jnp.asarray(ac_gains))
    lags, sims = autocorrelation(n_ac, ac_gains, 100.0, t_run, key)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    numbers = []
    for i, g in enumerate(ac_gains):
        tau, delta = np.asarray(theory.tau[i]), np.asarray(theory.delta[i])
        line, = left.plot(tau, delta, label=f"DMFT g = {g}")
        left.plot(lags, sims[i], "o", ms=3, color=line.get_color(), label=f"N = {n_ac}")
        numbers.append({"gain": g, "delta0_dmft": float(theory.delta0[i]),
                        "delta0_sim": float(sims[i][0])})
    left.set_xlim(0, lags[-1])
    left.set_xlabel("τ")
    left.set_ylabel("Δ(τ)")
    left.legend(fontsize=7)
    g_curve = np.linspace(1.02, 3.0, 40)
    right.plot(g_curve, np.asarray(scs_dmft(jnp.asarray(g_curve)).delta0), label="DMFT")
    right.plot(ac_gains, [s[0] for s in sims], "o", label=f"simulation N = {n_ac}")
    right.set_xlabel("g")
    right.set_ylabel("Δ0 = ⟨x²⟩")
    right.legend()
    fig.tight_layout()
    fig.savefig(out / "autocorrelation.png", dpi=120)
    save_key_figure(fig, "dmft_autocorrelation",
                    f"experiments/dmft_vs_simulation.py{' --quick' if quick else ''}: N = {n_ac}, "
                    f"one network per gain, t = {t_run:g} after a warm-up of 100")
    return numbers


def lyapunov_part(out, quick, key):
    n_ly, t_ly = (150, 100.0) if quick else (400, 400.0)
    ly_gains = [1.2, 1.5, 2.0, 2.5, 3.0] if not quick else [1.5, 3.0]
    g_curve = np.linspace(1.02, 3.0, 40)
    lam_theory = np.asarray(scs_dmft(jnp.asarray(g_curve)).lyapunov)
    lam_sim = lyapunov_curve(n_ly, ly_gains, t_ly, jax.random.fold_in(key, 1))
    fig, ax = plt.subplots(figsize=(5, 3.8))
    ax.plot(g_curve, lam_theory, label="DMFT")
    ax.errorbar(ly_gains, lam_sim[:, 0], yerr=lam_sim[:, 1], fmt="o",
                label=f"lyapunov_spectrum, N = {n_ly}")
    ax.set_xlabel("g")
    ax.set_ylabel("λ_max")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "lyapunov.png", dpi=120)
    return [{"gain": g, "dmft": float(scs_dmft(g).lyapunov), "sim": s, "stderr": e}
            for g, (s, e) in zip(ly_gains, lam_sim.tolist(), strict=True)]


def q_map_part(out, quick, key):
    width, depth = (300, 15) if quick else (1000, 30)
    fig, ax = plt.subplots(figsize=(5, 3.8))
    numbers = []
    for sw, sb in ((1.5, 0.3), (2.5, 0.5), (0.8, 0.1)):
        sim = deep_net_lengths(width, depth, sw, sb, jax.random.fold_in(key, 2))
        q, theory_q = 4.0 * sw**2 + sb**2, []  # layer 1 sees the raw input (variance 4)
        for _ in range(depth):
            theory_q.append(float(q))
            q = q_map(q, sw, sb)
        line, = ax.plot(range(1, depth + 1), theory_q, label=f"q-map σ_w={sw}, σ_b={sb}")
        ax.plot(range(1, depth + 1), sim, "o", ms=3, color=line.get_color())
        numbers.append({"sigma_w": sw, "sigma_b": sb, "q_theory": theory_q[-1],
                        "q_sim": float(sim[-1])})
    ax.set_xlabel("layer l")
    ax.set_ylabel("q^l")
    ax.set_title(f"width {width} (dots) vs theory (lines)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "q_map.png", dpi=120)
    return numbers


def _theories(net, m0, k=None, sizes=None):
    """(balanced_rates, count mean field, K → ∞ limit) for the parameters of `net` at external
    rate m0 and `k` (default: net's); the count mean field for populations of `sizes` (default
    net's; "poisson": N → ∞). NaN → None."""
    k = net.k if k is None else k
    sizes = (net.n_e, net.n_i) if sizes is None else None if sizes == "poisson" else sizes
    params = (net.couplings, net.drives, m0)
    values = (balanced_rates(*params, k, net.thresholds),
              count_balanced_rates(*params, k, net.thresholds, sizes=sizes),
              balanced_rates_limit(*params)[0])
    return [[None if not np.isfinite(v) else float(v) for v in np.asarray(x)] for x in values]


def _nan(values):
    return np.array([[np.nan if v is None else v for v in t] for t in values])


def _simulated(net, m0, key, seeds, t_warmup, t_run):
    """Mean and sd over `seeds` dynamics seeds of the time-averaged (m_E, m_I) at m0."""
    net = eqx.tree_at(lambda x: x.m0, net, jnp.asarray(m0, net.m0.dtype))
    rates = np.array([binary_rates(net, k, t_warmup=t_warmup, t_run=t_run, dt=0.01)
                      for k in jax.random.split(key, seeds)])
    return rates.mean(axis=0), rates.std(axis=0, ddof=1)


def balanced_part(out, quick, key):
    """Balanced binary E/I networks (defaults: J_E = 2, J_I = 1.8, E = 1, I = 0.8,
    θ = (1, 0.7), τ = (1, 0.9), dt = 0.01) vs m0 at fixed K, and vs K at m0 = 0.1. No K is a
    perfect square (for these parameters that puts the threshold on the input lattice)."""
    n, k, t_warmup, t_run, seeds = (4000, 200.0, 5.0, 10.0, 2) if quick else (
        10000, 500.0, 5.0, 20.0, 2)
    ks = [150.0, 300.0, 600.0] if quick else [150.0, 190.0, 200.0, 300.0, 600.0, 1000.0]
    m0_sim = [0.05, 0.1, 0.2, 0.3] if quick else [0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3]
    net = BalancedBinaryNetwork(jax.random.fold_in(key, 3), n, n, k)
    numbers = {"n_e": n, "n_i": n, "dt": 0.01, "t_warmup": t_warmup, "t_run": t_run,
               "seeds": seeds, "couplings": np.asarray(net.couplings).tolist(),
               "drives": np.asarray(net.drives).tolist(),
               "thresholds": np.asarray(net.thresholds).tolist(), "tau": list(net.tau),
               "note": "sim: mean over seeds (new dynamics, one network per K); "
                       "count_mean_field: exact input counts for these N_E, N_I",
               "vs_m0": {"k": k, "points": []}, "vs_k": {"m0": 0.1, "points": []}}
    for i, m0 in enumerate(m0_sim):
        mean, sd = _simulated(net, m0, jax.random.fold_in(key, 100 + i), seeds, t_warmup, t_run)
        gauss, count, limit = _theories(net, m0)
        numbers["vs_m0"]["points"].append({
            "m0": m0, "sim": mean.tolist(), "sim_sd": sd.tolist(), "balanced_rates": gauss,
            "count_mean_field": count, "limit": limit})
        print(numbers["vs_m0"]["points"][-1], flush=True)
    for i, kk in enumerate(ks):
        net_k = BalancedBinaryNetwork(jax.random.fold_in(key, 200 + i), n, n, kk)
        mean, sd = _simulated(net_k, 0.1, jax.random.fold_in(key, 300 + i), seeds, t_warmup,
                              t_run)
        gauss, count, limit = _theories(net_k, 0.1)
        numbers["vs_k"]["points"].append({
            "k": kk, "sim": mean.tolist(), "sim_sd": sd.tolist(), "balanced_rates": gauss,
            "count_mean_field": count, "limit": limit})
        print(numbers["vs_k"]["points"][-1], flush=True)

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    m0_curve = np.linspace(0.04, 0.32, 57)
    curves = np.stack([_nan(_theories(net, m0)) for m0 in m0_curve])  # (m0, theory, pop)
    pts = numbers["vs_m0"]["points"]
    for pop, (name, color) in enumerate((("E", "C3"), ("I", "C0"))):
        left.plot(m0_curve, curves[:, 0, pop], "-", color=color,
                  label=f"m_{name} balanced_rates (Gaussian)")
        left.plot(m0_curve, curves[:, 1, pop], "--", color=color,
                  label=f"m_{name} mean field, exact counts")
        left.errorbar([p["m0"] for p in pts], [p["sim"][pop] for p in pts],
                      yerr=[p["sim_sd"][pop] for p in pts], fmt="o", ms=4, color=color,
                      label=f"m_{name} simulation")
    left.plot(m0_curve, curves[:, 2, 0], ":", color="k", label="K → ∞ (m_E = m_I = m0)")
    left.set_xlabel("external rate m0")
    left.set_ylabel("population rate")
    left.set_title(f"N_E = N_I = {n}, K = {k:g}")
    left.legend(fontsize=7)
    # Theory vs K at every integer K (the count mean field jumps where the threshold crosses
    # the input lattice); N → ∞ (Poisson counts) for the curve, the points' own N in the JSON.
    k_curve = np.unique(np.round(np.geomspace(100, 3000, 400)))
    theory_k = np.stack([_nan(_theories(net, 0.1, kk, "poisson")) for kk in k_curve])
    pts = numbers["vs_k"]["points"]
    for pop, (name, color) in enumerate((("E", "C3"), ("I", "C0"))):
        right.plot(1 / np.sqrt(k_curve), theory_k[:, 0, pop], "-", color=color,
                   label=f"m_{name} balanced_rates")
        right.plot(1 / np.sqrt(k_curve), theory_k[:, 1, pop], "-", lw=0.6, alpha=0.6,
                   color=color, label=f"m_{name} mean field, exact counts (N → ∞)")
        right.errorbar([1 / np.sqrt(p["k"]) for p in pts], [p["sim"][pop] for p in pts],
                       yerr=[p["sim_sd"][pop] for p in pts], fmt="o", ms=4, color=color,
                       label=f"m_{name} simulation, N_E = N_I = {n}")
    right.plot([0.0], [0.1], "k*", ms=10, label="K → ∞")
    right.set_xlim(0, None)
    right.set_xlabel("1/√K")
    right.set_ylabel("population rate")
    right.set_title("m0 = 0.1")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "balanced_rates.png", dpi=120)
    return numbers


PARTS = {"autocorrelation": autocorrelation_part, "lyapunov": lyapunov_part,
         "q_map": q_map_part, "balanced": balanced_part}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/dmft_vs_simulation")
    parser.add_argument("--quick", action="store_true", help="small networks, short runs")
    parser.add_argument("--only", nargs="+", choices=sorted(PARTS), default=list(PARTS),
                        help="run only these parts (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key = jax.random.key(0)
    path = out / "numbers.json"
    numbers = json.loads(path.read_text()) if path.exists() else {}
    for name in args.only:
        numbers[name] = PARTS[name](out, args.quick, key)
        path.write_text(json.dumps(numbers, indent=2))
    print(json.dumps({name: numbers[name] for name in args.only}, indent=2))


if __name__ == "__main__":
    main()
