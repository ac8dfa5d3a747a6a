"""Input correlations and the suppression of chaos in balanced rate networks (Engelken, Ingrosso,
Khajeh, Goedeke & Abbott, PLoS Comput Biol 18:e1010590, 2022; seed 003).

Network: dx/dt = -x + J relu(x) + √N I0 + I1 sin(2πft + θ_i), J_ij ~ N(-J0/√N, g²/N), g = 2,
f = 0.2, I0 = J0 = 1 (the paper's values); θ_i = 0 (common input) or uniform per neuron
(independent input). Measures:

- λ_1 vs I1 for both inputs: simulation (`lyapunov_spectrum`, Heun, dt = 0.05) at N_sim, and
  the sampling mean-field theory (`sampling_dmft` with J̄ = -J0√N, I_0 = √N I0) at the same N;
- the critical amplitude I1_c (λ_1 = 0, linear interpolation on the amplitude grid) vs N from
  the mean-field theory (common: grows with N, since the balanced feedback cancels it;
  independent: about constant).

Written to `--out` (default `results/balanced_input/`): `lyapunov_vs_amplitude.png`,
`critical_amplitude.png`, `results.json`. `--quick`: N_sim = 500, short runs (~5 min on 2
shared CPU cores); default N_sim = 2000 (the paper's 5000 does not fit a CPU budget).

`--convergence` (instead): the finite-size gap at I1 = 0. λ_1 of simulated networks vs N (a few
network seeds each, mean ± standard error over seeds) next to the sampling DMFT at the same N
(J̄ = -J0√N, I_0 = √N I0: its O(1/√N) mean-input term; mean ± spread over keys), plus the
convergence checks of both: the DMFT in samples M, time step, iterations and window; the
simulation in accumulation time, time step and solver (two networks; `--part long`: four
integrators over t_sim = 1000, and the DMFT's growth rate in windows up to t = 200;
`--part scs`: the control without balance, SCS tanh networks at g = 2 vs `scs_dmft`;
`--part open_loop`: N = 1000 networks whose mean coupling is replaced by its average input,
so the population-mean input cannot fluctuate; `--part ei`: λ_1 of E/I balanced networks vs
`sampling_dmft_populations`). Writes
`convergence.json` (`convergence_<part>.json`) and `lyapunov_vs_n.png`
(~40 min in all on 2 CPU cores shared with other jobs).

    .venv/bin/python experiments/balanced_input.py [--quick | --convergence [--part P]]
        [--out DIR]
"""

import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)
from _figures import parse_args, save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402

GAIN, FREQ, I0, J0 = 2.0, 0.2, 1.0, 1.0
FULL = {"n_sim": 2000, "t_sim": 400.0, "samples": 2000, "mf_sizes": [250, 1000, 4000, 16000],
        "amplitudes": {"common": [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
                       "independent": [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0]},
        "mf_amplitudes": {"common": [0.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                          "independent": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}}
QUICK = {"n_sim": 500, "t_sim": 200.0, "samples": 800, "mf_sizes": [250, 1000, 4000],
         "amplitudes": {"common": [0.0, 2.0, 4.0, 8.0, 16.0],
                        "independent": [0.0, 1.0, 2.0, 3.0, 4.0]},
         "mf_amplitudes": {"common": [0.0, 8.0, 16.0, 32.0, 64.0, 128.0],
                           "independent": [0.0, 2.0, 3.0, 4.0, 5.0, 6.0]}}


def make_input(kind, n, amplitude):
    if kind == "common":
        return jc.SinusoidalInput(amplitude, FREQ)
    return jc.SinusoidalInput.independent(jax.random.PRNGKey(7), n, amplitude, FREQ)


def simulated_lambda(kind, n, amplitude, t_sim, seed=1, dt=0.05, solver="heun"):
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(seed), n, gain=GAIN, j0=J0, i0=I0,
                                        input=make_input(kind, n, amplitude))
    spectrum = jc.lyapunov_spectrum(net, k=1, dt=dt, solver=solver, t_ons=1.0,
                                    t_warmup=50.0, t_frame_warmup=20.0, t_sim=t_sim,
                                    key=jax.random.PRNGKey(0))
    return float(spectrum.exponents[0]), float(spectrum.stderr[0])


def mean_field_lambda(kind, n, amplitude, samples, key=0, dt=0.1, iterations=10, t_max=40.0,
                      t_lyapunov=10.0):
    result = jc.sampling_dmft(GAIN, key=jax.random.PRNGKey(key), t_max=t_max, dt=dt,
                              samples=samples, iterations=iterations, nonlinearity="relu",
                              mean_coupling=-J0 * np.sqrt(n), drive=I0 * np.sqrt(n),
                              input=jc.SinusoidalInput(amplitude, FREQ),
                              independent=(kind == "independent"), lyapunov_start=t_lyapunov)
    return float(result.lyapunov)


CONVERGENCE = {"sizes": [250, 500, 1000, 2000], "seeds": {250: 4, 500: 4, 1000: 3, 2000: 2},
               "t_sim": 300.0, "samples": 2000, "mf_keys": 3, "mf_sizes": [4000, 16000, 64000],
               "check_n": 500}


def long_checks(res, log):
    """Longer checks at N = 500: one simulated network's λ_1 over t_sim = 1000 with four
    integrators (networks 1 and 3), and the DMFT's perturbation growth over t ≤ 200 (local
    growth rates in windows: is the fitted λ_1 converged in the window?)."""
    n = CONVERGENCE["check_n"]
    for seed in (1, 3):
        for solver, dt in (("heun", 0.05), ("heun", 0.025), ("tsit5", 0.05), ("euler", 0.01)):
            lam = simulated_lambda("common", n, 0.0, 1000.0, seed=seed, dt=dt, solver=solver)
            res["checks"][f"sim network {seed} t_sim=1000 {solver} dt={dt}"] = lam
            log(seed, solver, dt, lam)
    for key in range(2):
        result = jc.sampling_dmft(GAIN, key=jax.random.PRNGKey(key), t_max=200.0, dt=0.1,
                                  samples=2000, iterations=10, nonlinearity="relu",
                                  mean_coupling=-J0 * np.sqrt(n), drive=I0 * np.sqrt(n),
                                  lyapunov_start=20.0)
        log_eps, times = np.asarray(result.log_perturbation), np.asarray(result.times)
        local = []
        for a, b in ((20, 40), (40, 60), (60, 80), (80, 120), (120, 160), (160, 200)):
            inside = (times >= a) & (times <= b)
            local.append(0.5 * float(np.polyfit(times[inside], log_eps[inside], 1)[0]))
        res["checks"][f"mf t_max=200 key {key}"] = {"fit": float(result.lyapunov),
                                                     "local_rates": local}
        log("mf t_max=200", key, float(result.lyapunov), np.round(local, 4))


def scs_control(res, log):
    """The same finite-size question without balance: λ_1 of SCS tanh networks (g = 2, zero
    mean coupling, same integrator and times) vs N, next to `scs_dmft`'s λ_max."""
    cfg = CONVERGENCE
    res["scs"] = {"dmft": float(jc.scs_dmft(GAIN).lyapunov)}
    for n in cfg["sizes"][1:]:
        lams = []
        for seed in range(1, cfg["seeds"][n] + 1):
            net = jc.SCSNetwork.random(jax.random.PRNGKey(seed), n, GAIN)
            spectrum = jc.lyapunov_spectrum(net, k=1, dt=0.05, solver="heun", t_ons=1.0,
                                            t_warmup=50.0, t_frame_warmup=20.0,
                                            t_sim=cfg["t_sim"], key=jax.random.PRNGKey(0))
            lams.append(float(spectrum.exponents[0]))
        res["scs"][n] = {"lambdas": lams, "mean": float(np.mean(lams)),
                         "sem": float(np.std(lams, ddof=1) / np.sqrt(len(lams)))}
        log("SCS N", n, np.round(lams, 4), "scs_dmft", res["scs"]["dmft"])


def open_loop(res, log, n=1000):
    """The mean feedback's role: networks with the same random part N(0, g²/N) but the mean
    coupling -J0/√N replaced by its average effect, a constant input μ̄ (the DMFT's
    time-averaged J̄ν + √N I0 at this N), so the population-mean input cannot fluctuate. λ_1 and
    ν of these open-loop networks next to the balanced ones."""
    dmft = jc.sampling_dmft(GAIN, key=jax.random.PRNGKey(0), t_max=60.0, dt=0.1, samples=2000,
                            iterations=10, nonlinearity="relu", mean_coupling=-J0 * np.sqrt(n),
                            drive=I0 * np.sqrt(n))
    mu = float(np.mean(np.asarray(dmft.mean_input)[200:]))
    ensemble = jc.Ensemble(means=((0.0,),), stds=((GAIN,),), scaling="balanced",
                           zero_diagonal=False)
    runs = []
    for seed in range(1, CONVERGENCE["seeds"][n] + 1):
        # Same key, same z: the balanced J is this W minus J0/√N. Start from the balanced
        # network's state at t = 100 (from N(0, 1) the open loop falls silent at once).
        balanced = jc.BalancedRateNetwork.random(jax.random.PRNGKey(seed), n, gain=GAIN, j0=J0,
                                                 i0=I0)
        x0 = jc.simulate(balanced, key=jax.random.PRNGKey(seed), t1=100.0, dt=0.05,
                         record_every=100.0).records["trajectory"][-1]
        net = jc.BalancedRateNetwork(ensemble.sample(jax.random.PRNGKey(seed), n), mu)
        sim = jc.simulate(net, x0, t1=100.0, dt=0.05, record_every=0.5)
        trajectory = np.asarray(sim.records["trajectory"])
        rates = np.maximum(trajectory, 0.0).mean(axis=1)
        spectrum = jc.lyapunov_spectrum(net, x0, k=1, dt=0.05, solver="heun", t_ons=1.0,
                                        t_warmup=10.0, t_frame_warmup=10.0,
                                        t_sim=CONVERGENCE["t_sim"], key=jax.random.PRNGKey(0))
        runs.append({"lambda": float(spectrum.exponents[0]), "stderr": float(spectrum.stderr[0]),
                     "rate_first_10": float(rates[:20].mean()),
                     "rate_last_50": float(rates[100:].mean())})
        log("open loop N", n, "mu", round(mu, 4), runs[-1])
    res["open_loop"] = {"n": n, "mu": mu, "runs": runs}


EI = {"fractions": (0.8, 0.2), "means": ((0.5, -10.0), (1.0, -12.0)),
      "stds": ((2.0, 2.0), (2.0, 2.0)), "drives": (1.0, 0.8)}


def ei_lambda(res, log):
    """λ_1 of E/I balanced networks (dense `Ensemble`, scaling 'balanced', the E/I test's
    parameters) vs N, next to the two-population sampling DMFT's coupled exponent."""
    ensemble = jc.Ensemble(fractions=EI["fractions"], means=EI["means"], stds=EI["stds"],
                           scaling="balanced", zero_diagonal=False)
    alpha = np.asarray(EI["fractions"])
    res["ei"] = {}
    for n, seeds in ((400, 3), (1000, 3)):
        pop = ensemble.population(n)
        lams = []
        for seed in range(1, seeds + 1):
            net = jc.BalancedRateNetwork(ensemble.sample(jax.random.PRNGKey(seed), n),
                                         np.sqrt(n) * np.asarray(EI["drives"])[pop])
            spectrum = jc.lyapunov_spectrum(net, k=1, dt=0.05, solver="heun", t_ons=1.0,
                                            t_warmup=50.0, t_frame_warmup=20.0,
                                            t_sim=CONVERGENCE["t_sim"],
                                            key=jax.random.PRNGKey(0))
            lams.append(float(spectrum.exponents[0]))
        mf = [float(jc.sampling_dmft_populations(
            np.asarray(EI["stds"]), alpha, key=jax.random.PRNGKey(key), t_max=60.0, dt=0.1,
            samples=2000, iterations=10,
            mean_couplings=np.sqrt(n) * np.asarray(EI["means"]) * alpha[None],
            drives=np.sqrt(n) * np.asarray(EI["drives"]), lyapunov_start=10.0)[0].lyapunov)
            for key in range(2)]
        res["ei"][n] = {"simulation": lams, "mean_field": mf}
        log("E/I N", n, "simulation", np.round(lams, 4), "DMFT", np.round(mf, 4))


def convergence(out: Path, part: str = "all"):
    """λ_1 at I1 = 0 vs N, simulation and sampling DMFT, and the convergence checks
    (`part`: "sizes" the λ_1-vs-N table and the short checks, "long" the long checks)."""
    cfg, start = CONVERGENCE, time.perf_counter()
    res = {"config": cfg, "simulation": {}, "mean_field": {}, "checks": {}}

    def log(*what):
        print(*what, f"{time.perf_counter() - start:.0f}s", flush=True)

    if part in ("all", "scs"):
        scs_control(res, log)
    if part in ("all", "long"):
        long_checks(res, log)
    if part in ("all", "open_loop"):
        open_loop(res, log)
    if part in ("all", "ei"):
        ei_lambda(res, log)
    if part in ("long", "scs", "open_loop", "ei"):
        res["seconds"] = time.perf_counter() - start
        (out / f"convergence_{part}.json").write_text(json.dumps(res, indent=1))
        return

    for n in cfg["sizes"] + cfg["mf_sizes"]:
        lams = [mean_field_lambda("common", n, 0.0, cfg["samples"], key=key, t_max=60.0)
                for key in range(cfg["mf_keys"])]
        res["mean_field"][n] = {"lambdas": lams, "mean": float(np.mean(lams)),
                                "spread": float(np.std(lams, ddof=1))}
        log("mean field N", n, np.round(lams, 4))
    for n in cfg["sizes"]:
        runs = [simulated_lambda("common", n, 0.0, cfg["t_sim"], seed=seed)
                for seed in range(1, cfg["seeds"][n] + 1)]
        lams = [r[0] for r in runs]
        res["simulation"][n] = {"runs": runs, "mean": float(np.mean(lams)),
                                "sem": float(np.std(lams, ddof=1) / np.sqrt(len(lams)))}
        log("simulation N", n, np.round(lams, 4))
    n = cfg["check_n"]
    checks = {  # the DMFT (M samples, dt, iterations, window), then the simulation
        "mf M=800": lambda k: mean_field_lambda("common", n, 0.0, 800, key=k, t_max=60.0),
        "mf M=4000": lambda k: mean_field_lambda("common", n, 0.0, 4000, key=k, t_max=60.0),
        "mf dt=0.05": lambda k: mean_field_lambda("common", n, 0.0, 2000, key=k, dt=0.05,
                                                  t_max=60.0),
        "mf 25 iterations": lambda k: mean_field_lambda("common", n, 0.0, 2000, key=k,
                                                        iterations=25, t_max=60.0),
        "mf t_max=120, t_lambda=30": lambda k: mean_field_lambda(
            "common", n, 0.0, 2000, key=k, t_max=120.0, t_lyapunov=30.0),
    }
    for name, fn in checks.items():
        lams = [fn(k) for k in range(cfg["mf_keys"])]
        res["checks"][name] = {"lambdas": lams, "mean": float(np.mean(lams))}
        log(name, np.round(lams, 4))
    sim_checks = {"sim t_sim=1200": dict(t_sim=1200.0), "sim Heun dt=0.025": dict(dt=0.025),
                  "sim Tsit5 dt=0.1": dict(dt=0.1, solver="tsit5")}
    for name, kw in sim_checks.items():
        kw = {"t_sim": cfg["t_sim"], **kw}
        runs = [simulated_lambda("common", n, 0.0, seed=seed, **kw) for seed in (1, 2)]
        res["checks"][name] = {"runs": runs, "mean": float(np.mean([r[0] for r in runs]))}
        log(name, runs)
    res["seconds"] = time.perf_counter() - start
    (out / "convergence.json").write_text(json.dumps(res, indent=1))

    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    sizes = cfg["sizes"]
    ax.errorbar(sizes, [res["simulation"][n]["mean"] for n in sizes],
                yerr=[res["simulation"][n]["sem"] for n in sizes], fmt="o", color="C0",
                capsize=3, label="simulation (mean ± s.e. over networks)")
    mf_sizes = sizes + cfg["mf_sizes"]
    ax.errorbar(mf_sizes, [res["mean_field"][n]["mean"] for n in mf_sizes],
                yerr=[res["mean_field"][n]["spread"] for n in mf_sizes], fmt="s-", color="C3",
                capsize=3, label="sampling DMFT at N (± spread over keys)")
    ax.set(xscale="log", xlabel="N", ylabel=r"$\lambda_1$ (1/τ)", ylim=(0, None),
           title=f"I1 = 0, g = {GAIN}, I0 = J0 = 1")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "lyapunov_vs_n.png", key="balanced_input_convergence",
                note=f"experiments/balanced_input.py --convergence, t_sim = {cfg['t_sim']:g}, "
                     f"M = {cfg['samples']}; 2 shared CPU cores")
    print(f"done in {res['seconds']:.0f}s -> {out}")


def critical(amplitudes, lambdas):
    """First zero crossing of λ(I1) by linear interpolation (NaN if none on the grid)."""
    for a0, a1, l0, l1 in zip(amplitudes, amplitudes[1:], lambdas, lambdas[1:], strict=False):
        if l0 > 0 >= l1:
            return a0 + (a1 - a0) * l0 / (l0 - l1)
    return float("nan")


def main():
    args = parse_args(__doc__, "results/balanced_input",
                      quick={"action": "store_true", "help": "N_sim = 500, short runs"},
                      convergence={"action": "store_true",
                                   "help": "λ_1 vs N at I1 = 0 and convergence checks"},
                      part={"choices": ["all", "sizes", "long", "scs", "open_loop", "ei"],
                            "default": "all",
                            "help": "with --convergence: sizes (the λ_1-vs-N table and the "
                                    "short checks, ~20 min), long (the long checks, ~10 min) "
                                    "scs (the unbalanced SCS control, ~8 min) or open_loop "
                                    "(mean feedback replaced by its average, ~5 min), ei (E/I "
                                    "networks vs the two-population DMFT, ~8 min)"})
    out = args.out
    if args.convergence:
        return convergence(out, args.part)
    cfg = QUICK if args.quick else FULL
    note = (f"experiments/balanced_input.py{' --quick' if args.quick else ''}: N_sim = "
            f"{cfg['n_sim']}, M = {cfg['samples']}; 2 shared CPU cores")
    start = time.perf_counter()
    kinds = ("common", "independent")
    results = {"config": cfg, "simulation": {}, "mean_field": {}, "critical": {}}
    for kind in kinds:
        amps = cfg["amplitudes"][kind]
        sim = [simulated_lambda(kind, cfg["n_sim"], a, cfg["t_sim"]) for a in amps]
        mf = [mean_field_lambda(kind, cfg["n_sim"], a, cfg["samples"]) for a in amps]
        results["simulation"][kind] = sim
        results["mean_field"][kind] = mf
        print(kind, "sim", [round(s[0], 4) for s in sim], "mf", [round(m, 4) for m in mf],
              f"{time.perf_counter() - start:.0f}s", flush=True)
    for kind in kinds:
        results["critical"][kind] = {}
        for n in cfg["mf_sizes"]:
            amps = cfg["mf_amplitudes"][kind]
            lams = [mean_field_lambda(kind, n, a, cfg["samples"]) for a in amps]
            results["critical"][kind][n] = {"lambdas": lams, "I1_c": critical(amps, lams)}
            print(kind, n, "I1_c", results["critical"][kind][n]["I1_c"],
                  f"{time.perf_counter() - start:.0f}s", flush=True)
    for kind in kinds:
        sim = np.asarray(results["simulation"][kind])[:, 0]
        results["critical"][kind]["simulation"] = critical(cfg["amplitudes"][kind], list(sim))
    results["seconds"] = time.perf_counter() - start
    (out / "results.json").write_text(json.dumps(results, indent=1))

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for kind, color in zip(kinds, ("C0", "C3"), strict=True):
        sim = np.asarray(results["simulation"][kind])
        amps = cfg["amplitudes"][kind]
        ax.errorbar(amps, sim[:, 0], yerr=sim[:, 1], fmt="o", color=color,
                    label=f"{kind}: simulation N={cfg['n_sim']}")
        ax.plot(amps, results["mean_field"][kind], "-", color=color,
                label=f"{kind}: sampling DMFT")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xscale="symlog", xlabel="input amplitude $I_1$", ylabel=r"$\lambda_1$ (1/τ)",
           title=f"balanced ReLU network, g={GAIN}, f={FREQ}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "lyapunov_vs_amplitude.png", key="balanced_input_lyapunov",
                note=note)

    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for kind, color in zip(kinds, ("C0", "C3"), strict=True):
        sizes = cfg["mf_sizes"]
        ax.plot(sizes, [results["critical"][kind][n]["I1_c"] for n in sizes], "o-",
                color=color, label=kind)
    ax.set(xscale="log", yscale="log", xlabel="N",
           ylabel="critical amplitude $I_1^c$ (mean field)")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, out / "critical_amplitude.png", key="balanced_input_critical", note=note)
    print(f"done in {results['seconds']:.0f}s -> {out}")


if __name__ == "__main__":
    main()
