"""Mean-field theory vs simulation: SCS DMFT against large-N networks, and the deep-net q-map
against finite-width nets.

Figures (in --out):
- `autocorrelation.png`: Δ(τ) from `scs_dmft` vs the population autocorrelation of simulated
  SCS networks (`simulate` with the `Autocorrelation` recorder), for several gains, and Δ0(g).
- `lyapunov.png`: λ_max(g) from the DMFT vs `lyapunov_spectrum(..., k=1)` of finite networks.
- `q_map.png`: the length q^l of a deep tanh net (finite width, one draw) vs the iterated q-map.
Also writes `numbers.json` with the compared values.

    .venv/bin/python experiments/dmft_vs_simulation.py [--out DIR] [--quick]
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import jaxchaos as jc  # noqa: E402
from jaxchaos._dmft import scs_dmft  # noqa: E402
from jaxchaos._meanfield import q_map  # noqa: E402

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/dmft_vs_simulation")
    parser.add_argument("--quick", action="store_true", help="small networks, short runs")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key = jax.random.key(0)
    n_ac, n_ly, t_run, t_ly = (300, 150, 100.0, 100.0) if args.quick else (1500, 400, 600.0,
                                                                          400.0)
    ac_gains = [1.5, 2.0, 3.0]
    ly_gains = [1.2, 1.5, 2.0, 2.5, 3.0] if not args.quick else [1.5, 3.0]
    theory = scs_dmft(jnp.asarray(ac_gains))
    lags, sims = autocorrelation(n_ac, ac_gains, 100.0, t_run, key)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    numbers = {"autocorrelation": []}
    for i, g in enumerate(ac_gains):
        tau, delta = np.asarray(theory.tau[i]), np.asarray(theory.delta[i])
        line, = left.plot(tau, delta, label=f"DMFT g = {g}")
        left.plot(lags, sims[i], "o", ms=3, color=line.get_color(), label=f"N = {n_ac}")
        numbers["autocorrelation"].append({"gain": g, "delta0_dmft": float(theory.delta0[i]),
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
    numbers["lyapunov"] = [{"gain": g, "dmft": float(scs_dmft(g).lyapunov), "sim": s, "stderr": e}
                           for g, (s, e) in zip(ly_gains, lam_sim.tolist(), strict=True)]

    width, depth = (300, 15) if args.quick else (1000, 30)
    fig, ax = plt.subplots(figsize=(5, 3.8))
    numbers["q_map"] = []
    for sw, sb in ((1.5, 0.3), (2.5, 0.5), (0.8, 0.1)):
        sim = deep_net_lengths(width, depth, sw, sb, jax.random.fold_in(key, 2))
        q, theory_q = 4.0 * sw**2 + sb**2, []  # layer 1 sees the raw input (variance 4)
        for _ in range(depth):
            theory_q.append(float(q))
            q = q_map(q, sw, sb)
        line, = ax.plot(range(1, depth + 1), theory_q, label=f"q-map σ_w={sw}, σ_b={sb}")
        ax.plot(range(1, depth + 1), sim, "o", ms=3, color=line.get_color())
        numbers["q_map"].append({"sigma_w": sw, "sigma_b": sb, "q_theory": theory_q[-1],
                                 "q_sim": float(sim[-1])})
    ax.set_xlabel("layer l")
    ax.set_ylabel("q^l")
    ax.set_title(f"width {width} (dots) vs theory (lines)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "q_map.png", dpi=120)
    (out / "numbers.json").write_text(json.dumps(numbers, indent=2))
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
