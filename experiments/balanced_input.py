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

`--critical-vs-n` (instead): the critical amplitude I1_c vs N measured in simulations. For each
N (500, 1000, 2000, 3000; `--sizes` picks some) and network seed (4 networks each; the
independent input's phases drawn per network), λ_1 on one amplitude grid for every N (common
4 … 64, independent 1 … 6, the same at every N; extended upwards while λ_1 > 0 at its end;
t_sim = 100), then 5 amplitudes inside the bracket of the first zero crossing (two successive
grid points ≤ 0; t_sim = 200) and a weighted straight-line fit of λ_1(I1) there: I1_c per
network, mean ± s.e. over networks. All amplitudes of one network (both inputs) run as one
vmapped batch. Next to it the sampling DMFT's I1_c at the same N and at 16000 (bisection, M =
2000, 2 keys). Every (N, network, round) and (N, kind, key) is a JSON file in `critical_vs_n/`
(resumable: rerun the same command after an interrupt; recomputed when its parameters or the
jaxchaos sources change, `experiments/_cache.py`); `--part simulation` /
`--part theory` run one half. Writes `critical_vs_n.json`, `critical_vs_n.png` (also λ_1 at
I1 = 0 vs N) and stops with an error if the log-log slopes (N ≥ 1000) contradict the claim
(common ∝ √N, independent constant).

    .venv/bin/python experiments/balanced_input.py [--quick | --convergence [--part P]
        | --critical-vs-n [--sizes 500,1000] [--part simulation|theory]] [--out DIR]
"""

import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)
from _cache import cached  # noqa: E402
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


# the slopes are fitted from N = 1000 on: at N ≤ 500 the networks are in a finite-size regime
# before these runs were made (λ_1(0) 38% below the DMFT at N = 500, not chaotic at N = 250)
CRITICAL = {"sizes": [500, 1000, 2000, 3000], "networks": {500: 4, 1000: 4, 2000: 4, 3000: 4},
            "fit_from": 1000,
            "dt": 0.05, "t_bracket": 100.0, "t_refine": 200.0, "refine_points": 5,
            # the same absolute grids at every N (no scaling assumed); extended if no crossing
            "grid": {"common": [4.0, 8.0, 14.0, 24.0, 40.0, 64.0],
                     "independent": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]},
            "mf_sizes": [500, 1000, 2000, 4000, 16000], "mf_keys": 2, "mf_samples": 2000,
            "mf_bisections": 5, "mf_bracket": {"common": (1.0, 256.0), "independent": (0.5, 8.0)},
            # DMFT λ_max on the simulation's grid at one N: the gap at I1 = 0, a shift or a factor?
            "mf_curve": {"sizes": [1000, 2000], "common": [0.0, 8.0, 14.0, 24.0],
                         "independent": [1.0, 2.0, 3.0, 4.0]}}
KINDS = ("common", "independent")


def batched_lambdas(net, amplitudes, phases, t_sim, dt):
    """λ_1 and its block standard error of `net` driven by I1 sin(2πft + θ) for each row
    (amplitude, phases): one vmapped `lyapunov_spectrum`, so the coupling matrix is read once
    per step for the whole batch (J @ X instead of J @ x)."""
    def one(net, amplitude, phase):
        driven = jc.BalancedRateNetwork(net.weights, net.drive,
                                        input=jc.SinusoidalInput(amplitude, FREQ, phase))
        spectrum = jc.lyapunov_spectrum(driven, k=1, dt=dt, solver="heun", t_ons=1.0,
                                        t_warmup=50.0, t_frame_warmup=20.0, t_sim=t_sim,
                                        key=jax.random.PRNGKey(0))
        return spectrum.exponents[0], spectrum.stderr[0]

    lam, err = jax.jit(jax.vmap(one, in_axes=(None, 0, 0)))(net, jnp.asarray(amplitudes),
                                                           jnp.asarray(phases))
    return np.asarray(lam).tolist(), np.asarray(err).tolist()


def first_crossing(amplitudes, lambdas):
    """Index i of the bracket [a_(i-1), a_i] of the first zero crossing of a noisy λ(I1) on an
    increasing grid: the first i with λ_i ≤ 0 and λ_(i+1) ≤ 0 (or i last), so that one point
    below zero by noise does not end the search; None if λ > 0 at the last point or already
    ≤ 0 at the first."""
    lam = list(lambdas) + [-1.0]
    for i in range(len(amplitudes)):
        if lam[i] <= 0 and lam[i + 1] <= 0:
            return i if i > 0 else None
    return None


def fit_crossing(amplitudes, lambdas, errors):
    """Zero of the weighted straight line through (I1, λ_1 ± s.e.): I1_c and its error (delta
    method, from the fit's covariance); NaN if the line does not decrease."""
    a, lam, w = np.asarray(amplitudes), np.asarray(lambdas), 1.0 / np.asarray(errors)
    (slope, icept), cov = np.polyfit(a, lam, 1, w=w, cov="unscaled")
    if slope >= 0:
        return float("nan"), float("nan"), float(slope)
    root = -icept / slope
    grad = np.array([icept / slope**2, -1.0 / slope])   # d root / d (slope, icept)
    return float(root), float(np.sqrt(grad @ cov @ grad)), float(slope)


def round_path(folder, n, seed, name):
    return folder / f"sim_N{n}_net{seed}_{name}.json"


def stored(path):
    """The value of a result `cached` has written (read after the run that computed it)."""
    return json.loads(path.read_text())["value"]


def critical_network(folder, n, seed, log):
    """I1_c of network `seed` at size n, common and independent input: a bracketing round on the
    grid (t_bracket; the grid is extended upwards while λ_1 > 0 at its end), then a refining
    round of `refine_points` amplitudes inside the bracket (t_refine), and a weighted linear fit
    of λ_1(I1) over the bracket's points of both rounds (where λ_1 stays flat at ≈ 0 across
    the bracket and the line does not decrease: the first zero crossing of all points, linearly
    interpolated). Each round's λ_1 for both input kinds is a file `round_path` (resumable:
    `experiments/_cache.py`; recomputed if its parameters or the jaxchaos sources changed)."""
    cfg = CRITICAL
    net = jc.BalancedRateNetwork.random(jax.random.PRNGKey(seed), n, gain=GAIN, j0=J0, i0=I0)
    phases = {"common": np.zeros(n), "independent": np.asarray(jax.random.uniform(
        jax.random.PRNGKey(1000 + seed), (n,), maxval=2 * np.pi))}

    def run_round(name, amps, t_sim):
        """λ_1 at amps[kind] for both kinds in one batch (cached: `round_path`)."""
        def compute():
            rows = [(kind, a) for kind in amps for a in amps[kind]]
            lam, err = batched_lambdas(net, [a for _, a in rows],
                                       np.stack([phases[kind] for kind, _ in rows]), t_sim,
                                       cfg["dt"])
            found = {}
            for kind in amps:
                pick = [i for i, (k, _) in enumerate(rows) if k == kind]
                found[kind] = {"n": n, "network": seed, "kind": kind, "round": name,
                               "t_sim": t_sim, "amplitudes": [rows[i][1] for i in pick],
                               "lambda": [lam[i] for i in pick],
                               "stderr": [err[i] for i in pick]}
            log("N", n, "network", seed, name,
                {k: np.round(v["lambda"], 3).tolist() for k, v in found.items()})
            return found

        key = {"n": n, "network": seed, "round": name, "amplitudes": amps, "t_sim": t_sim,
               "dt": cfg["dt"], "gain": GAIN, "j0": J0, "i0": I0, "frequency": FREQ}
        return cached(round_path(folder, n, seed, name), key, compute)

    grid = {"common": [0.0] + cfg["grid"]["common"], "independent": cfg["grid"]["independent"]}
    rounds = [run_round("bracket", grid, cfg["t_bracket"])]
    points = {kind: (list(rounds[0][kind]["amplitudes"]), list(rounds[0][kind]["lambda"]),
                     list(rounds[0][kind]["stderr"])) for kind in KINDS}
    result = {"lambda0": (points["common"][1][0], points["common"][2][0])}
    for extension in range(1, 3):   # while λ_1 > 0 at the grid's end: two more points, ×1.6
        open_kinds = [k for k in KINDS if first_crossing(points[k][0], points[k][1]) is None
                      and points[k][1][-1] > 0]
        if not open_kinds:
            break
        more = {k: [points[k][0][-1] * 1.6, points[k][0][-1] * 2.56] for k in open_kinds}
        extra = run_round(f"extend{extension}", more, cfg["t_bracket"])
        for k in open_kinds:
            for i in range(3):
                points[k][i].extend(extra[k][("amplitudes", "lambda", "stderr")[i]])
    brackets = {}
    for kind in KINDS:
        i = first_crossing(points[kind][0], points[kind][1])
        if i is not None:
            brackets[kind] = (points[kind][0][i - 1], points[kind][0][i])
    refine = {kind: np.linspace(*brackets[kind], cfg["refine_points"] + 2)[1:-1].tolist()
              for kind in brackets}
    fine = run_round("refine", refine, cfg["t_refine"]) if refine else {}
    for kind in KINDS:
        if kind not in brackets:
            result[kind] = {"I1_c": float("nan"), "error": float("nan"), "bracket": None}
            log("N", n, "network", seed, kind, "no crossing bracketed")
            continue
        lo, hi = brackets[kind]
        inside = [i for i, a in enumerate(points[kind][0]) if lo <= a <= hi]
        amps, lams, errs = ([points[kind][j][i] for i in inside] + fine[kind][name]
                            for j, name in enumerate(("amplitudes", "lambda", "stderr")))
        root, err, slope = fit_crossing(amps, lams, errs)
        method = "fit"
        if not np.isfinite(root):   # λ_1 flat at ≈ 0 across the bracket: the first crossing
            merged = sorted(zip(points[kind][0] + fine[kind]["amplitudes"],
                                points[kind][1] + fine[kind]["lambda"], strict=True))
            root, method = critical(*zip(*merged, strict=True)), "interpolation"
        result[kind] = {"I1_c": root, "error": err, "slope": slope, "bracket": [lo, hi],
                        "method": method}
    log("N", n, "network", seed, "I1_c", {k: round(result[k]["I1_c"], 3) for k in KINDS})
    return result


def critical_mean_field(folder, n, kind, key, log):
    """I1_c of the sampling DMFT at size n (J̄ = -J0√N, I_0 = √N I0): bisection of λ_max(I1)
    (geometric for common input, whose bracket spans decades) and linear interpolation in the
    final bracket. Cached as `mf_N<n>_<kind>_key<key>.json` (resumable, `experiments/_cache.py`)."""
    cfg = CRITICAL

    def compute():
        (lo, hi), l_lo, l_hi = cfg["mf_bracket"][kind], None, None
        for _ in range(cfg["mf_bisections"]):
            mid = np.sqrt(lo * hi) if kind == "common" else 0.5 * (lo + hi)
            lam = mean_field_lambda(kind, n, mid, cfg["mf_samples"], key=key, t_max=60.0)
            if lam > 0:
                lo, l_lo = mid, lam
            else:
                hi, l_hi = mid, lam
        if l_lo is None:   # the bracket never moved on this side: its end
            l_lo = mean_field_lambda(kind, n, lo, cfg["mf_samples"], key=key, t_max=60.0)
        if l_hi is None:
            l_hi = mean_field_lambda(kind, n, hi, cfg["mf_samples"], key=key, t_max=60.0)
        root = lo + (hi - lo) * l_lo / (l_lo - l_hi) if l_lo > 0 >= l_hi else float("nan")
        log("mean field N", n, kind, "key", key, "I1_c", round(root, 3))
        return {"n": n, "kind": kind, "key": key, "bracket": [lo, hi], "lambdas": [l_lo, l_hi],
                "I1_c": root}

    settings = {"n": n, "kind": kind, "key": key, "gain": GAIN, "j0": J0, "i0": I0,
                "frequency": FREQ, **{name: cfg[name] for name in
                                      ("mf_samples", "mf_bisections", "mf_bracket")}}
    return cached(folder / f"mf_N{n}_{kind}_key{key}.json", settings, compute)


def mean_field_point(folder, n, kind, amplitude, key, log):
    """The sampling DMFT's λ_max at one amplitude (cached, `experiments/_cache.py`)."""
    def compute():
        lam = mean_field_lambda(kind, n, amplitude, CRITICAL["mf_samples"], key=key, t_max=60.0)
        log("mean field curve N", n, kind, amplitude, key, round(lam, 4))
        return lam

    settings = {"n": n, "kind": kind, "amplitude": amplitude, "key": key, "gain": GAIN,
                "j0": J0, "i0": I0, "frequency": FREQ, "samples": CRITICAL["mf_samples"]}
    return cached(folder / f"mf_curve_N{n}_{kind}_I{amplitude:g}_key{key}.json", settings,
                  compute)


def loglog_slope(sizes, values, errors):
    """Weighted least-squares slope of log I1_c vs log N and its standard error (weights: the
    relative errors of the values)."""
    x, y = np.log(sizes), np.log(values)
    rel = np.asarray(errors) / np.asarray(values)
    (slope, _), cov = np.polyfit(x, y, 1, w=1.0 / rel, cov="unscaled")
    return float(slope), float(np.sqrt(cov[0, 0]))


def critical_vs_n(out: Path, part: str = "all", sizes=None):
    """I1_c vs N, simulation (several networks per N) and sampling DMFT; every (N, network,
    input kind, round) is a file in `out/critical_vs_n/`, so an interrupted run resumes where it
    stopped. Then the table (`critical_vs_n.json`), the figure and the check of the claim."""
    cfg, start = CRITICAL, time.perf_counter()
    folder = out / "critical_vs_n"
    folder.mkdir(parents=True, exist_ok=True)
    sizes = cfg["sizes"] if sizes is None else sizes

    def log(*what):
        print(*what, f"{time.perf_counter() - start:.0f}s", flush=True)

    sim = {}
    if part in ("all", "simulation"):
        for n in sizes:
            sim[n] = [critical_network(folder, n, seed, log)
                      for seed in range(1, cfg["networks"][n] + 1)]
    mf = {}
    if part in ("all", "theory"):
        for n in cfg["mf_sizes"]:
            mf[n] = {kind: [critical_mean_field(folder, n, kind, key, log)["I1_c"]
                            for key in range(cfg["mf_keys"])] for kind in KINDS}
        curve = cfg["mf_curve"]
        for n, kind in ((n, kind) for n in curve["sizes"][::-1] for kind in KINDS):
            for a in curve[kind]:
                for key in range(cfg["mf_keys"]):
                    mean_field_point(folder, n, kind, a, key, log)
    if part != "all":
        return
    table = {"config": cfg, "simulation": {}, "mean_field": {}, "lambda0": {}}
    for n in sizes:
        lam0 = [r["lambda0"][0] for r in sim[n]]
        table["lambda0"][n] = {"values": lam0, "mean": float(np.mean(lam0)),
                               "sem": float(np.std(lam0, ddof=1) / np.sqrt(len(lam0)))}
        table["simulation"][n] = {}
        for kind in KINDS:
            values = [r[kind]["I1_c"] for r in sim[n]]
            ok = [v for v in values if np.isfinite(v)]
            table["simulation"][n][kind] = {
                "networks": values, "fit_errors": [r[kind]["error"] for r in sim[n]],
                "mean": float(np.mean(ok)) if ok else float("nan"),
                "sem": float(np.std(ok, ddof=1) / np.sqrt(len(ok))) if len(ok) > 1
                else float("nan"), "count": len(ok)}
    for n in cfg["mf_sizes"]:
        table["mean_field"][n] = {kind: {"keys": mf[n][kind], "mean": float(np.mean(mf[n][kind])),
                                         "spread": float(np.std(mf[n][kind], ddof=1))}
                                  for kind in KINDS}
    curve, table["lambda_gap"] = cfg["mf_curve"], {}
    for n, kind in ((n, kind) for n in curve["sizes"] for kind in KINDS):
        # simulated λ_1 (bracket round, mean over networks) vs the DMFT's λ_max at the same N
        grid = ([0.0] if kind == "common" else []) + cfg["grid"][kind]
        for a in curve[kind]:
            runs = [stored(round_path(folder, n, s, "bracket"))[kind]
                    for s in range(1, cfg["networks"][n] + 1)]
            lam_sim = [r["lambda"][grid.index(a)] for r in runs]
            lam_mf = [stored(folder / f"mf_curve_N{n}_{kind}_I{a:g}_key{key}.json")
                      for key in range(cfg["mf_keys"])]
            table["lambda_gap"][f"N={n} {kind} I1={a:g}"] = {
                "simulation": float(np.mean(lam_sim)),
                "simulation_sem": float(np.std(lam_sim, ddof=1) / np.sqrt(len(lam_sim))),
                "mean_field": float(np.mean(lam_mf)),
                "difference": float(np.mean(lam_sim) - np.mean(lam_mf)),
                "ratio": float(np.mean(lam_sim) / np.mean(lam_mf))}
    for name, v in table["lambda_gap"].items():
        print(f"{name}: simulation {v['simulation']:.4f} ± {v['simulation_sem']:.4f}, DMFT "
              f"{v['mean_field']:.4f}, difference {v['difference']:.4f}, ratio {v['ratio']:.2f}")
    slopes, fitted = {}, [n for n in sizes if n >= cfg["fit_from"]]
    for kind in KINDS:
        rows = [table["simulation"][n][kind] for n in fitted]
        slopes[kind] = loglog_slope(fitted, [r["mean"] for r in rows], [r["sem"] for r in rows])
        mf_rows = [table["mean_field"][n][kind]["mean"] for n in cfg["mf_sizes"]]
        slopes[f"{kind} mean field"] = (float(np.polyfit(np.log(cfg["mf_sizes"]),
                                                         np.log(mf_rows), 1)[0]), None)
    table["loglog_slopes"] = slopes
    table["seconds"] = time.perf_counter() - start
    (out / "critical_vs_n.json").write_text(json.dumps(table, indent=1))
    for n in sizes:
        print("N", n, {k: f"{table['simulation'][n][k]['mean']:.3f} ± "
                          f"{table['simulation'][n][k]['sem']:.3f} "
                          f"({table['simulation'][n][k]['count']})" for k in KINDS},
              "lambda0", f"{table['lambda0'][n]['mean']:.4f} ± {table['lambda0'][n]['sem']:.4f}")
    for n in cfg["mf_sizes"]:
        print("mean field N", n, {k: round(table["mean_field"][n][k]["mean"], 3) for k in KINDS})
    print("log-log slopes", slopes)

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8.4, 3.4))
    for kind, color in zip(KINDS, ("C0", "C3"), strict=True):
        rows = [table["simulation"][n][kind] for n in sizes]
        ax.errorbar(sizes, [r["mean"] for r in rows], yerr=[r["sem"] for r in rows], fmt="o",
                    color=color, capsize=3, label=f"{kind}: simulation")
        ax.plot(cfg["mf_sizes"], [table["mean_field"][n][kind]["mean"] for n in cfg["mf_sizes"]],
                "--", color=color, lw=1, label=f"{kind}: sampling DMFT")
    first = table["simulation"][fitted[0]]["common"]["mean"]
    guide = np.array([sizes[0], cfg["mf_sizes"][-1]])
    ax.plot(guide, first * np.sqrt(guide / fitted[0]), ":", color="0.4", label=r"$\propto\sqrt{N}$")
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel="critical amplitude $I_1^c$",
           title="chaos suppressed ($\\lambda_1 = 0$)")
    ax.legend(fontsize=6.5)
    bx.errorbar(sizes, [table["lambda0"][n]["mean"] for n in sizes],
                yerr=[table["lambda0"][n]["sem"] for n in sizes], fmt="o", color="C0", capsize=3,
                label="simulation (mean ± s.e., networks)")
    bx.plot(curve["sizes"], [table["lambda_gap"][f"N={n} common I1=0"]["mean_field"]
                             for n in curve["sizes"]], "s--", color="C3", lw=1,
            label="sampling DMFT at N")
    bx.set(xscale="log", xlabel="N", ylabel=r"$\lambda_1$ at $I_1 = 0$", ylim=(0, None))
    bx.legend(fontsize=6.5)
    fig.tight_layout()
    counts = ", ".join(f"{cfg['networks'][n]}" for n in sizes)
    save_figure(fig, out / "critical_vs_n.png", key="balanced_input_critical_vs_n",
                note=f"experiments/balanced_input.py --critical-vs-n: N = {sizes}, networks "
                     f"{counts}; t_sim = {cfg['t_bracket']:g}/{cfg['t_refine']:g}; DMFT "
                     f"M = {cfg['mf_samples']}, {cfg['mf_keys']} keys; 2 shared CPU cores")
    check_claim(slopes)
    print(f"done in {table['seconds']:.0f}s -> {out}")


def check_claim(slopes):
    """The claim, stated before the data and checked against them: I1_c ∝ N^a with a ≈ 1/2 for
    common input (grows, cancelled by the feedback) and a ≈ 0 for independent input. Raises if
    the measured slopes contradict it (a slope is 'about' its value when within 3 standard
    errors or 0.15 of it)."""
    for kind, expected in (("common", 0.5), ("independent", 0.0)):
        a, err = slopes[kind]
        if not abs(a - expected) <= max(3 * err, 0.15):
            raise RuntimeError(f"{kind} input: I1_c ∝ N^{a:.3f} ± {err:.3f}, not N^{expected}: "
                               "the data contradict the claim")
    print("claim holds:", {k: f"N^{slopes[k][0]:.2f} ± {slopes[k][1]:.2f}" for k in KINDS})


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
                      critical_vs_n={"action": "store_true",
                                     "help": "I1_c vs N, simulation and DMFT (resumable)"},
                      sizes={"default": None, "help": "with --critical-vs-n: comma-separated N"},
                      part={"choices": ["all", "sizes", "long", "scs", "open_loop", "ei",
                                        "simulation", "theory"],
                            "default": "all",
                            "help": "with --convergence: sizes (the λ_1-vs-N table and the "
                                    "short checks, ~20 min), long (the long checks, ~10 min) "
                                    "scs (the unbalanced SCS control, ~8 min) or open_loop "
                                    "(mean feedback replaced by its average, ~5 min), ei (E/I "
                                    "networks vs the two-population DMFT, ~8 min)"})
    out = args.out
    if args.critical_vs_n:
        return critical_vs_n(out, args.part if args.part != "all" else "all",
                             [int(n) for n in args.sizes.split(",")] if args.sizes else None)
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
