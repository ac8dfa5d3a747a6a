"""Seed 000, Figs. 1 and 3 and the potential of §2.2, drawn as the seed defines them.

The seed writes the SCS network as dh/dt = -h + Σ_j J_ij φ(h_j) with φ(h) = tanh(g h), J_ij ~
N(0, J²/N), J = 1: the gain sits inside φ. jaxchaos integrates x = g h, dx/dt = -x + g Σ_j J_ij
tanh(x_j) (`SCSNetwork`, gain g), so the seed's membrane potential is h = x/g and its firing rate
φ(h) = tanh(x); the potentials of the mean-field theory convert as Δ_x = g² Δ_h.

- `fig1_fig3_traces.png`: h_i(t) (left) and φ(h_i(t)) (right) of a few of N = 100 neurons, below
  (g = 0.8: the activity decays to the fixed point h = 0) and above (g = 3: chaos) the transition
  (seed Fig. 1 is the chaotic row; Fig. 3 contrasts the rates on both sides of g = 1). Each row
  also states λ_max of that network (`lyapunov_spectrum`, k = 1); the script stops with an error
  if the chaotic row is not clearly chaotic (λ_max - 2·stderr ≤ 0). The seed does not give its
  gain; at N = 100 a network at g = 2 is often not chaotic (key 0: λ_max = 0.003 ± 0.007, keys
  1-5: -0.049 … 0.028, four of six within 2 stderr of 0 or below: limit cycles and tori), while
  at g = 3 keys 0 and 1 give 0.111 ± 0.014 and 0.136 ± 0.012.
- `potential.png`: the potential V(Δ; Δ0) = -Δ²/2 + g² E[Φ(u)Φ(v)] (Δ'' = -∂V/∂Δ, `scs_potential`,
  in the x variable) in its three regimes: g < 1, an inverted well (the only bounded solution is
  Δ = 0); g > 1 with Δ0 below the self-consistent value, a single well (periodic Δ(τ)); g > 1 at
  the self-consistent Δ0 (`scs_delta0`), a double well whose top the particle reaches in infinite
  time (the chaotic, monotonically decaying Δ(τ)).

Both figures are also the key figures `docs/figures/seed000_*.png`. About 30 s on 2 shared CPU
cores.

    .venv/bin/python experiments/seed000_figures.py [--out results/seed000]
"""

import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import parse_args, save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

N = 100
GAINS = (0.8, 3.0)  # below and above the transition (N = 100 at g = 2 is often not chaotic)
SHOWN_NEURONS = 5
T_END = 100.0


def traces(out: Path, summary: dict):
    fig, axes = plt.subplots(len(GAINS), 2, figsize=(10, 5.5), sharex=True)
    key = jax.random.key(0)
    for row, gain in enumerate(GAINS):
        net = jc.SCSNetwork.random(key, N, gain)
        x0 = jax.random.normal(jax.random.key(1), (N,))
        run = jc.simulate(net, x0, t1=T_END, dt=0.05, record_every=0.1)
        x = np.concatenate([np.asarray(x0)[None], np.asarray(run.records["trajectory"])])
        times = 0.1 * np.arange(x.shape[0])
        spectrum = jc.lyapunov_spectrum(net, x0, k=1, t_sim=400.0, dt=0.05, key=jax.random.key(2))
        lam = float(np.asarray(spectrum.exponents)[0])
        lam_err = float(np.asarray(spectrum.stderr)[0])
        h = x / gain  # the seed's membrane potential (φ(h) = tanh(g h) = tanh(x))
        for i in range(SHOWN_NEURONS):
            axes[row, 0].plot(times, h[:, i], lw=0.8)
            axes[row, 1].plot(times, np.tanh(x[:, i]), lw=0.8)
        axes[row, 0].set_ylabel(f"g = {gain:g}\nmembrane potential h")
        axes[row, 1].set_ylabel("firing rate φ(h) = tanh(g h)")
        axes[row, 1].set_title(f"λ_max = {lam:.3f} ± {lam_err:.3f}", fontsize=9)
        summary[f"lambda_max_g_{gain:g}"] = [lam, lam_err]
        if gain > 1 and lam - 2 * lam_err <= 0:
            raise SystemExit(f"the N = {N} network at g = {gain:g} is not clearly chaotic "
                             f"(λ_max = {lam:.4f} ± {lam_err:.4f}): pick another key or gain")
        summary[f"final_rms_h_g_{gain:g}"] = float(np.sqrt(np.mean(h[-1] ** 2)))
    for ax in axes[-1]:
        ax.set_xlabel("time (units of τ)")
    fig.suptitle(f"Seed 000 Figs. 1 and 3: {SHOWN_NEURONS} of N = {N} neurons, J = 1, "
                 "both sides of g = 1", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "fig1_fig3_traces.png", "seed000_fig1_fig3_traces",
                f"N = {N}, g = {GAINS}, network key 0, x0 key 1, dt = 0.05")


def potential(out: Path, summary: dict):
    chaotic_gain = GAINS[1]
    delta0_star = float(jc.scs_delta0(chaotic_gain))
    regimes = (
        (GAINS[0], 1.0, "g < 1: inverted well"),
        (chaotic_gain, 0.3 * delta0_star, "g > 1, Δ0 < Δ0*: single well (periodic)"),
        (chaotic_gain, delta0_star, "g > 1, Δ0 = Δ0*: double well (chaos)"),
    )
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    summary["delta0_star"] = delta0_star
    for ax, (gain, delta0, title) in zip(axes, regimes, strict=True):
        delta = jnp.linspace(-delta0, delta0, 201)
        v = np.asarray(jc.scs_potential(delta, delta0, gain))
        v0 = float(jc.scs_potential(0.0, delta0, gain))
        ax.plot(np.asarray(delta), v - v0)
        ax.axhline(0.0, color="gray", lw=0.6)
        ax.plot([delta0], [v[-1] - v0], "o", color="C3", label="start: Δ = Δ0, Δ' = 0")
        ax.set(xlabel="Δ", title=f"{title}\ng = {gain:g}, Δ0 = {delta0:.3g}")
        summary[f"potential_{title.split(':')[0]}"] = {
            "gain": gain, "delta0": delta0,
            "V(delta0) - V(0)": float(v[-1] - v0),
            "curvature_at_0": float(jax.grad(jax.grad(
                lambda d, d0=delta0, g=gain: jc.scs_potential(d, d0, g)))(0.0)),
        }
    axes[0].set_ylabel("V(Δ; Δ0) - V(0; Δ0)")
    axes[0].legend(fontsize=8)
    fig.suptitle("Seed 000 §2.2: the potential of Δ'' = -∂V/∂Δ in its three regimes "
                 "(Δ = ⟨x(t)x(t+τ)⟩, x = g h)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "potential.png", "seed000_potential", "scs_potential, scs_delta0")


def main():
    out = parse_args(__doc__, "results/seed000").out
    summary = {"n": N, "gains": list(GAINS)}
    traces(out, summary)
    potential(out, summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
