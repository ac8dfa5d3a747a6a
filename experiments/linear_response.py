"""Linear response of a noisy chaotic Cessac network and its route to chaos
(`jaxchaos._response`).

One figure, `linear_response.png` (in --out, default results/linear_response/; the README shows
a copy from docs/figures/):
(a) the local response R_ii(t), averaged over 10 kicked neurons, by the three estimators
    (tangent, paired finite differences, noise/Novikov) and the mean-field kernel ⟨DF⟩^t;
(b) |χ_ii(f)| against the power spectrum S_ii(f) of the same neurons (each scaled to its max);
(c) the leading Jacobian eigenvalues at a fixed point (Krylov–Schur on the JVPs) over the
    dense spectrum and the circular-law disk, just before the fixed point loses stability;
(d) the leading |λ| along the slope g on the fixed-point branch (Newton continuation), with the
    crossing of |λ| = 1 located and classified.
A second figure, `route_to_chaos.png` (results folder only):
(e) the three leading Lyapunov exponents (per step) past the Neimark–Sacker point of (d);
(f) return maps m(t+1) vs m(t) of m(t) = (1/N) Σ_j f(u_j(t)) at three slopes past it;
(g) SCS's χ²(t) = ⟨‖R(t)‖²⟩ of the leaky Euler map of the SCS network (δ = 0.1) against the
    mean-field growth e^{2λt} (`euler_map_dmft`).
Also writes `numbers.json`.

    .venv/bin/python experiments/linear_response.py [--out DIR] [--quick]
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

jax.config.update("jax_enable_x64", True)


def response(n, trajectories, kicks, lags):
    """Kernels of a noisy leaky Cessac network (γ = 0.5, g = 2, σ = 0.3, σ_θ = 0.3)."""
    net = jc.CessacNetwork.random(jax.random.key(0), n, 2.0, leak=0.5, noise=0.3,
                                  threshold_std=0.3)
    sources = np.arange(10)
    d = jnp.eye(n)[:, sources]
    kw = dict(n_lags=lags, t_warmup=300, directions=d)
    kernels = {
        "tangent": jc.tangent_response(net, jax.random.key(1), n_trajectories=trajectories, **kw),
        "finite differences": jc.finite_difference_response(
            net, jax.random.key(2), n_trajectories=trajectories, **kw),
        "noise (Novikov)": jc.noise_response(net, jax.random.key(3), n_kicks=kicks,
                                             n_trajectories=max(trajectories // 8, 8), **kw),
    }
    states = jc.stationary_states(net, jax.random.key(4), n_trajectories=trajectories,
                                  t_warmup=300)
    mean_field = np.asarray(jc.mean_field_kernel(net, states, n_lags=lags, directions=d))
    diag = {name: (np.asarray(r.kernel[:, sources, np.arange(10)]).mean(1),
                   np.sqrt((np.asarray(r.stderr[:, sources, np.arange(10)]) ** 2).mean(1) / 10))
            for name, r in kernels.items()}
    diag["mean field ⟨DF⟩^t"] = (mean_field[:, sources, np.arange(10)].mean(1), None)
    freqs = np.linspace(0, 0.5, 101)
    per_neuron = np.asarray(kernels["tangent"].kernel[:, sources, np.arange(10)])
    chi = np.abs(np.asarray(jc.susceptibility(per_neuron, freqs)[1]))       # (F, 10)
    x = jc.simulate(net, t1=float(40 * kicks), key=jax.random.key(5),
                    recorders={"x": jc.Trajectory(neurons=tuple(int(i) for i in sources))})
    spec_f, spec = jc.power_spectrum(np.asarray(x.records["x"])[500:], segment=2 * lags)
    return diag, (freqs, chi), (spec_f, spec), kernels


def route(n, gains):
    """Fixed-point branch along the slope and its leading Jacobian eigenvalues."""
    key = jax.random.key(7)
    def make(g):
        return jc.CessacNetwork.random(key, n, g, leak=0.2, threshold_mean=0.1,
                                       threshold_std=0.5)

    x, leading, residuals = jnp.zeros(n), [], []
    for g in gains:   # continuation: each Newton solve starts from the previous point
        fp = jc.fixed_point(make(g), x)
        x = fp.x
        residuals.append(float(fp.residual))
        leading.append(jc.leading_eigenvalues(make(g), x, k=6).values)
    leading = np.array(leading)
    crossings = jc.stability_crossings(gains, leading)
    g_before = gains[max(int(np.argmax(np.abs(leading).max(1) >= 1)) - 1, 0)]
    net = make(g_before)
    fp = jc.fixed_point(net, jnp.zeros(n))
    t0 = time.perf_counter()
    eig = jc.leading_eigenvalues(net, fp.x, k=10)
    t_krylov = time.perf_counter() - t0
    jac = np.asarray(jax.jacfwd(lambda u: net.map(0, u, None))(fp.x))
    t0 = time.perf_counter()
    dense = np.linalg.eigvals(jac)
    t_dense = time.perf_counter() - t0
    match = np.abs(eig.values[:, None] - dense[None, :]).min(1).max()
    disk = jc.circular_law_support(net, fp.x)
    coupling = np.asarray(net.coupling_std * net.weights + net.coupling_mean / n)
    g_as = jc.contraction_bound(coupling, leak=0.2)
    return dict(gains=gains, leading=leading, residuals=residuals, crossings=crossings,
                g_before=g_before, eig=eig, dense=dense, match=match, disk=disk, g_as=g_as,
                t_krylov=t_krylov, t_dense=t_dense)


def route_diagnostics(n, gains, steps):
    """Exponents and return maps of m(t) beyond the loss of stability of the fixed point."""
    key = jax.random.key(7)
    exponents, returns = [], {}
    for g in gains:
        net = jc.CessacNetwork.random(key, n, g, leak=0.2, threshold_mean=0.1,
                                      threshold_std=0.5)
        spec = jc.lyapunov_spectrum(net, k=3, t_ons=5.0, t_warmup=2000.0,
                                    t_frame_warmup=500.0, t_sim=float(steps), n_blocks=10,
                                    key=jax.random.key(8))
        exponents.append(np.asarray(spec.exponents))
        u = jc.simulate(net, t1=3000.0, key=jax.random.key(9)).records["trajectory"]
        returns[float(g)] = np.asarray(jnp.mean(net.nonlinearity(net.slope * u[1000:]), axis=1))
    return np.array(exponents), returns


def chi2_growth(n, gains, trajectories, lags, dt=0.1):
    """½ log χ²(t) of the SCS Euler map and its fitted rate vs mean-field theory (per time)."""
    out = {}
    for g in gains:
        net = jc.EulerMap(jc.SCSNetwork.random(jax.random.key(10), n, g), dt)
        d = jax.random.normal(jax.random.key(11), (n, 8))
        chi2 = np.asarray(jc.squared_response(net, jax.random.key(12), n_lags=lags,
                                              n_trajectories=trajectories, t_warmup=2000,
                                              directions=d))
        t = np.arange(lags + 1) * dt
        fit = t >= t[-1] / 3   # past the initial transient
        rate = np.polyfit(t[fit], 0.5 * np.log(chi2[fit]), 1)[0]
        out[float(g)] = dict(t=t, half_log=0.5 * np.log(chi2), rate=float(rate),
                             theory=float(jc.euler_map_dmft(g, dt).lyapunov_rate))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/linear_response")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    # 20 lags: the kernel has decayed to ~0.01 by then, while the tangent estimator's error
    # keeps growing with the lag (as e^{λt} in chaos), which would only add noise to χ.
    n, trajectories, kicks, lags = (60, 128, 2000, 20) if args.quick else (100, 512, 4000, 20)
    diag, (freqs, chi), (spec_f, spec), kernels = response(n, trajectories, kicks, lags)
    n_route = 150 if args.quick else 300
    r = route(n_route, np.linspace(0.2, 2.0, 19 if args.quick else 37))

    fig, ax = plt.subplots(2, 2, figsize=(10, 8))
    for (name, (mean, err)), style in zip(diag.items(), ["-", "--", "o", ":"], strict=True):
        lags_axis = np.arange(len(mean))
        if err is None or style != "o":
            ax[0, 0].plot(lags_axis, mean, style, label=name)
        else:
            ax[0, 0].errorbar(lags_axis, mean, 2 * err, fmt="o", ms=3, label=name + " ±2 s.e.")
    ax[0, 0].set(xlabel="lag t (steps)", ylabel="⟨R_ii(t)⟩ over 10 neurons",
                 title=f"(a) response kernel, N = {n}")
    ax[0, 0].legend(fontsize=8)
    # Per neuron: where |χ_ii| peaks, and the power spectrum's level there relative to its max.
    chi_peak = freqs[np.argmax(chi, axis=0)]
    level = np.array([np.interp(f, spec_f, spec[:, i]) / spec[:, i].max()
                      for i, f in enumerate(chi_peak)])
    shown = int(np.argmin(level))
    ax[0, 1].plot(freqs, chi[:, shown] / chi[:, shown].max(), label="|χ_ii(f)| (tangent)")
    ax[0, 1].plot(spec_f, spec[:, shown] / spec[:, shown].max(), label="power spectrum S_ii(f)")
    ax[0, 1].axvline(chi_peak[shown], color="0.5", lw=0.8)
    ax[0, 1].set(xlabel="f (cycles/step)", ylabel="scaled to max", yscale="log",
                 title=f"(b) neuron {shown}: susceptibility vs power spectrum")
    ax[0, 1].legend(fontsize=8)
    theta = np.linspace(0, 2 * np.pi, 200)
    center, radius = r["disk"]
    ax[1, 0].plot(r["dense"].real, r["dense"].imag, ".", color="0.7", ms=3, label="dense eig")
    ax[1, 0].plot(center + radius * np.cos(theta), radius * np.sin(theta), "k--", lw=1,
                  label="circular law")
    ax[1, 0].plot(np.cos(theta), np.sin(theta), "r:", lw=1, label="|λ| = 1")
    ax[1, 0].plot(r["eig"].values.real, r["eig"].values.imag, "x", color="C3", ms=7,
                  label="Krylov–Schur, 10 leading")
    ax[1, 0].set(aspect="equal", xlabel="Re λ", ylabel="Im λ",
                 title=f"(c) Jacobian at the fixed point, g = {r['g_before']:.2f}, "
                       f"N = {n_route}")
    ax[1, 0].legend(fontsize=7, loc="lower left")
    ax[1, 1].plot(r["gains"], np.abs(r["leading"]).max(1), "o-", ms=3,
                  label="max |λ| (Krylov–Schur)")
    ax[1, 1].axhline(1, color="r", ls=":")
    ax[1, 1].axvline(r["g_as"], color="g", ls="--", label=f"contraction bound g_as = "
                                                          f"{r['g_as']:.2f}")
    for c in r["crossings"]:
        ax[1, 1].axvline(c.parameter, color="k", lw=0.8)
        ax[1, 1].annotate(f"{c.kind}\ng = {c.parameter:.2f}", (c.parameter, 1.02), fontsize=8)
    ax[1, 1].set(xlabel="slope g", ylabel="leading |λ|",
                 title="(d) stability along the fixed-point branch")
    ax[1, 1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save_figure(fig, out / "linear_response.png", key="linear_response",
                note=f"experiments/linear_response.py{' --quick' if args.quick else ''}: "
                     f"N = {n}, {trajectories} trajectories; route N = {n_route}")

    past = np.linspace(1.6, 2.6, 6 if args.quick else 11)
    exponents, returns = route_diagnostics(n_route, past, 2000 if args.quick else 5000)
    growth = chi2_growth(100 if args.quick else 200, [1.5, 2.0, 3.0], 8 if args.quick else 16,
                         200 if args.quick else 300)
    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    for i in range(3):
        ax[0].plot(past, exponents[:, i], "o-", ms=3, label=f"λ{i + 1}")
    ax[0].axhline(0, color="k", lw=0.8)
    ax[0].set(xlabel="slope g", ylabel="exponent (per step)", title="(e) leading exponents")
    ax[0].legend(fontsize=8)
    for g in list(returns)[1::max(len(returns) // 3, 1)][:3]:
        m = returns[g]
        ax[1].plot(m[:-1], m[1:], ".", ms=1, label=f"g = {g:.2f}")
    ax[1].set(xlabel="m(t)", ylabel="m(t+1)", title="(f) return maps of m(t)")
    ax[1].legend(fontsize=8, markerscale=8)
    for g, c in growth.items():
        line = ax[2].plot(c["t"], c["half_log"], label=f"g = {g}: fit {c['rate']:.3f}, "
                                                        f"DMFT {c['theory']:.3f}")
        ax[2].plot(c["t"], c["half_log"][-1] + c["theory"] * (c["t"] - c["t"][-1]), ":",
                   color=line[0].get_color())
    ax[2].set(xlabel="t (units of τ)", ylabel="½ log χ²(t)",
              title="(g) SCS susceptibility growth vs DMFT λ")
    ax[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "route_to_chaos.png", dpi=80)

    tangent, noise = kernels["tangent"], kernels["noise (Novikov)"]
    fd = kernels["finite differences"]
    np.seterr(invalid="ignore")

    def z(a, b):   # |a − b| in combined standard errors, lags ≥ 1 (lag 0 is exact: 0/0)
        return (np.abs(a.kernel - b.kernel) / np.sqrt(a.stderr**2 + b.stderr**2))[1:]

    numbers = {
        "n": n, "quick": args.quick,
        "tangent vs fd: median, 99th percentile, max |z|": np.percentile(
            z(tangent, fd), [50, 99, 100]).tolist(),
        "tangent vs noise: median, 99th percentile, max |z|": np.percentile(
            z(tangent, noise), [50, 99, 100]).tolist(),
        "tangent s.e. at lag 1, last lag (max over entries)": [
            float(tangent.stderr[1].max()), float(tangent.stderr[-1].max())],
        "noise s.e. at lag 1, last lag (max over entries)": [
            float(noise.stderr[1].max()), float(noise.stderr[-1].max())],
        "max |tangent - mean field| (diagonal)": float(np.abs(
            diag["tangent"][0] - diag["mean field ⟨DF⟩^t"][0]).max()),
        "chi peak f per neuron": chi_peak.tolist(),
        "spectrum peak f per neuron": spec_f[np.argmax(spec, axis=0)].tolist(),
        "S(chi peak)/max S per neuron": level.tolist(),
        "S max/min per neuron": (spec.max(0) / spec.min(0)).tolist(),
        "chi max/min per neuron": (chi.max(0) / chi.min(0)).tolist(),
        "neuron shown": shown,
        "newton max residual": max(r["residuals"]),
        "crossings": [(c.parameter, str(c.eigenvalue), c.kind) for c in r["crossings"]],
        "g_as": r["g_as"], "krylov converged": r["eig"].converged,
        "krylov vs dense max distance": float(r["match"]),
        "route gains": past.tolist(),
        "route exponents (per step)": exponents.tolist(),
        "chi2 growth rate vs DMFT (per unit time)": {
            g: [v["rate"], v["theory"]] for g, v in growth.items()},
        "krylov products": r["eig"].n_products, "krylov seconds": r["t_krylov"],
        "dense eig seconds": r["t_dense"], "wall seconds": time.time() - start,
    }
    (out / "numbers.json").write_text(json.dumps(numbers, indent=2))
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
