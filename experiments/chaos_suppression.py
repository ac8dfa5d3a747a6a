"""Suppression of chaos by a sinusoidal input, measured by λ_max (Rajan, Abbott & Sompolinsky
2010, PRE 82:011903): dx/dt = -x + g W tanh(x) + A sin(2π f t + θ_i), independent uniform
phases θ_i, g = 1.5, time in units of τ.

Runs `configs/experiments/chaos_suppression.toml`:

- `[network]` n, gain, seeds (one network W and one set of phases θ_i per seed);
- `[input]` frequencies f and `filtered_amplitudes` a: the amplitudes are A = a √(1 + (2πf)²),
  so that a is the amplitude after the neuron's low-pass filter and one grid of a brackets the
  critical amplitude at every frequency;
- `[lyapunov]` the `lyapunov_spectrum` settings (k = 1);
- `[mean_field]` frequencies of the mean-field A_c(f) (`jc.critical_input_amplitude`, with
  its automatic resolution and error estimate).

Simulation: for each seed one compiled call vmaps `lyapunov_spectrum` over all (f, A) points
with W shared (a matrix-matrix product per step). A_c per seed is where the least-squares
non-increasing fit to λ_max(A) crosses 0 (linear interpolation), on the networks chaotic without
input; its error bar is the standard error over those networks.

Mean-field theory (the RAS 2010 route; the library's `jc.locked_state` and
`jc.critical_input_amplitude`, whose docstrings derive it): below A_c the network is locked to
the input, each x_i(t) periodic; with uniform phases x(t) = h(t) + η(t), h the low-pass-filtered
input, η a Gaussian periodic field with D_n = g² C_n / (1 + (2πnf)²). A perturbation obeys a
Schrödinger problem with the periodic potential -g² K(τ), K = ⟨φ'φ'⟩; the locked state is stable
iff its ground energy E0 > -1, and A_c(f) solves E0(A, f) = -1. f = 0 is the static criterion
g²⟨φ'(x)²⟩ = 1 with a quenched input a sin θ.

`[sampling_check]`: `sampling_dmft` (the sampled mean-field theory of the chaotic state,
independent phases) at one frequency on both sides of the mean-field A_c, and its own
resolution (dt/2, 2M) at one amplitude.

Written to `--out` (default `results/chaos_suppression`): `simulation_seed<s>.json`,
`mean_field.json`, `sampling_check.json`, `sampling_resolution.json` (each reused while the
config entries it depends on and the jaxchaos sources are unchanged: `_cache.cached`),
`suppression.png` (λ_max vs A per f; A_c vs f, simulation and theory), `critical_frequency.png`,
`summary.json`. Key figures:
`docs/figures/chaos_suppression.png` and `docs/figures/chaos_suppression_frequency.png`. The
script fails (SystemExit) if the data contradict the README's claims (`check_claims`).

    .venv/bin/python experiments/chaos_suppression.py [--out results/chaos_suppression]
        [--mean-field-only] [--seeds SEED ...] [--simulate-only]

`--mean-field-only`: compute (or read from the cache) and print the mean-field A_c(f) only,
without the simulations (about 2 min). `--seeds`: the networks to use instead of the config's
`[network] seeds`; each network's λ_max grid is cached on its own (`simulation_seed<s>.json`,
keyed by n, gain, seed, `[input]`, `[lyapunov]` and the jaxchaos sources), so a longer list
simulates only the new seeds and reuses the others: e.g. `--seeds 10 11 12 13 --simulate-only`
adds four networks to the cache (on a GPU, say), and a later `--seeds 0 1 ... 13` uses all 14.
`--simulate-only`: simulate and cache the seeds, print λ_max without input, and stop (no
figures, no claim checks). A change in the jaxchaos sources invalidates every cached file.
"""

import json
import time
import tomllib
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _cache import cached  # noqa: E402
from _figures import parse_args, save_figure  # noqa: E402

import jaxchaos as jc  # noqa: E402
from jaxchaos import ConfigError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "experiments" / "chaos_suppression.toml"


def load(path=CONFIG) -> dict:
    config = tomllib.loads(Path(path).read_text())
    expected = {"network": ("n", "gain", "seeds"),
                          "input": ("frequencies", "filtered_amplitudes"),
                          "lyapunov": ("dt", "solver", "t_ons", "t_warmup", "t_frame_warmup",
                                       "t_sim", "n_blocks"),
                          "mean_field": ("frequencies",),
                          "sampling_check": ("frequency", "amplitudes", "samples",
                                             "iterations", "t_max", "dt",
                                             "lyapunov_start",
                                             "resolution_amplitude")}
    unknown = sorted(set(config) - set(expected) - {"name"})
    unknown += sorted(f"{section}.{key}" for section, keys in expected.items()
                      for key in set(config.get(section, {})) - set(keys))
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown} (a typo would be ignored)")
    for section, keys in expected.items():
        for key in keys:
            if key not in config.get(section, {}):
                raise ConfigError(f"{path}: missing {section}.{key}")
    amplitudes = config["input"]["filtered_amplitudes"]
    if amplitudes[0] != 0 or list(amplitudes) != sorted(amplitudes):
        raise ConfigError("input.filtered_amplitudes must be increasing and start at 0 "
                          "(λ_max without input)")
    if min(config["input"]["frequencies"]) <= 0:
        raise ConfigError("input.frequencies must be positive")
    return config


def amplitude_grid(config) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies (F,), amplitudes (F, A)): A = a √(1 + (2πf)²)."""
    f = np.asarray(config["input"]["frequencies"], float)
    a = np.asarray(config["input"]["filtered_amplitudes"], float)
    return f, a[None, :] * np.sqrt(1 + (2 * np.pi * f[:, None]) ** 2)


def simulate_seed(config, seed: int):
    """λ_max and its block standard error on the (f, A) grid for the network of `seed`."""
    net_cfg, lya = config["network"], config["lyapunov"]
    frequencies, amplitudes = amplitude_grid(config)
    key_w, key_phase, key_x, key_frame = jax.random.split(jax.random.key(seed), 4)
    n = net_cfg["n"]
    weights = jc.SCSNetwork.random(key_w, n, net_cfg["gain"]).weights
    phases = jax.random.uniform(key_phase, (n,), maxval=2 * jnp.pi)
    x0 = jax.random.normal(key_x, (n,))

    def point(amplitude, frequency):
        net = jc.SCSNetwork(weights, net_cfg["gain"],
                            input=jc.SinusoidalInput(amplitude, frequency, phases))
        spectrum = jc.lyapunov_spectrum(
            net, x0, k=1, dt=lya["dt"], solver=lya["solver"], t_ons=lya["t_ons"],
            t_warmup=lya["t_warmup"], t_frame_warmup=lya["t_frame_warmup"],
            t_sim=lya["t_sim"], n_blocks=lya["n_blocks"], key=key_frame)
        return spectrum.exponents[0], spectrum.stderr[0], spectrum.diverged_step

    shape = amplitudes.shape
    flat_f = np.broadcast_to(frequencies[:, None], shape).ravel()
    lam, err, diverged = jax.jit(jax.vmap(point))(jnp.asarray(amplitudes.ravel()),
                                                  jnp.asarray(flat_f))
    if np.any(np.asarray(diverged) >= 0):
        raise SystemExit(f"seed {seed}: a trajectory diverged")
    return np.asarray(lam).reshape(shape), np.asarray(err).reshape(shape)


def decreasing_fit(values):
    """The least-squares non-increasing fit to `values` (pool-adjacent-violators)."""
    blocks = []  # [mean, count]
    for v in values:
        blocks.append([float(v), 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            (m1, c1), (m2, c2) = blocks.pop(-2), blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    return np.concatenate([[m] * c for m, c in blocks])


def critical_amplitude(amplitudes, lam, monotone=True):
    """Where λ_max(A) crosses below 0, linearly interpolated; NaN if it never does on the grid,
    0 if the network is not chaotic without input. `monotone`: the crossing of the
    least-squares non-increasing fit to λ_max(A) (`decreasing_fit`), so that one noisy point
    near 0 does not decide A_c; else the first crossing of the raw values."""
    lam = decreasing_fit(lam) if monotone else np.asarray(lam)
    if lam[0] <= 0:
        return 0.0
    below = np.nonzero(lam <= 0)[0]
    if not below.size:
        return float("nan")
    j = below[0]
    a0, a1, l0, l1 = amplitudes[j - 1], amplitudes[j], lam[j - 1], lam[j]
    return float(a0 + (a1 - a0) * l0 / (l0 - l1))


# ---------------------------------------------------------------- driver

def run_simulation(config, out: Path):
    lams, errs = [], []
    for seed in config["network"]["seeds"]:
        key = {"n": config["network"]["n"], "gain": config["network"]["gain"], "seed": seed,
               "input": config["input"], "lyapunov": config["lyapunov"]}

        def compute(seed=seed):
            start = time.perf_counter()
            lam, err = simulate_seed(config, seed)
            print(f"seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
            return {"lambda_max": lam.tolist(), "stderr": err.tolist()}

        value = cached(out / f"simulation_seed{seed}.json", key, compute)
        lams.append(value["lambda_max"])
        errs.append(value["stderr"])
    return np.asarray(lams), np.asarray(errs)  # (seed, f, A)


def run_mean_field(config, out: Path):
    """A_c(f) of the locked-state theory (`jc.critical_input_amplitude`, its automatic
    resolution) at the `[mean_field]` frequencies and at f = 0 (the static theory)."""
    mf = config["mean_field"]
    gain = config["network"]["gain"]

    def compute():
        start = time.perf_counter()
        results = [jc.critical_input_amplitude(gain, f) for f in mf["frequencies"]]
        static = jc.critical_input_amplitude(gain, 0.0)
        print(f"mean field: {time.perf_counter() - start:.0f} s", flush=True)
        return {"frequencies": mf["frequencies"],
                "critical_amplitude": [float(r.amplitude) for r in results],
                "critical_amplitude_error": [float(r.amplitude_error) for r in results],
                "static_critical_amplitude": float(static.amplitude)}

    return cached(out / "mean_field.json", {"gain": gain, **mf}, compute)


def run_sampling_check(config, out: Path):
    """λ_max from `sampling_dmft` (the mean-field theory of the chaotic state, sampled) at the
    `[sampling_check]` frequency and amplitudes, and where it crosses 0."""
    check, gain = config["sampling_check"], config["network"]["gain"]

    def compute():
        start = time.perf_counter()
        lam = [float(jc.sampling_dmft(
            gain, key=jax.random.key(0), t_max=check["t_max"], dt=check["dt"],
            samples=check["samples"], iterations=check["iterations"],
            input=jc.SinusoidalInput(a, check["frequency"]), independent=True,
            lyapunov_start=check["lyapunov_start"]).lyapunov) for a in check["amplitudes"]]
        print(f"sampling DMFT check: {time.perf_counter() - start:.0f} s", flush=True)
        return {"frequency": check["frequency"], "amplitudes": check["amplitudes"],
                "lambda_max": lam,
                "critical_amplitude": critical_amplitude(np.asarray(check["amplitudes"]),
                                                         np.asarray(lam), monotone=False)}

    base = {k: v for k, v in check.items() if k != "resolution_amplitude"}
    result = cached(out / "sampling_check.json", {"gain": gain, **base}, compute)

    def resolution():
        lam = {}
        for label, dt, samples in (("dt/2", check["dt"] / 2, check["samples"]),
                                   ("2M", check["dt"], 2 * check["samples"])):
            lam[label] = float(jc.sampling_dmft(
                gain, key=jax.random.key(0), t_max=check["t_max"], dt=dt, samples=samples,
                iterations=check["iterations"], independent=True,
                input=jc.SinusoidalInput(check["resolution_amplitude"], check["frequency"]),
                lyapunov_start=check["lyapunov_start"]).lyapunov)
        return lam

    result = dict(result)
    result["resolution"] = {"amplitude": check["resolution_amplitude"],
                            **cached(out / "sampling_resolution.json", {"gain": gain, **check},
                                     resolution)}
    return result


def critical_table(frequencies, amplitudes, lam):
    """A_c per seed and frequency (seed, f), its mean and standard error over seeds (f,)."""
    per_seed = np.array([[critical_amplitude(amplitudes[i], lam[s, i])
                          for i in range(len(frequencies))] for s in range(lam.shape[0])])
    mean = per_seed.mean(axis=0)
    sem = per_seed.std(axis=0, ddof=1) / np.sqrt(per_seed.shape[0])
    return per_seed, mean, sem


def non_monotonic(per_seed):
    """Whether A_c(f) dips at an interior frequency below both end frequencies, measured on
    the same networks (paired over seeds): the dip's depth towards each end, mean over seeds,
    exceeds twice its standard error. Returns (verdict, index of the lowest interior
    frequency, depths (2,), their standard errors (2,))."""
    mean = per_seed.mean(axis=0)
    j = 1 + int(np.argmin(mean[1:-1]))
    depth = np.stack([per_seed[:, end] - per_seed[:, j] for end in (0, -1)])  # (2, seed)
    d_mean = depth.mean(axis=1)
    d_sem = depth.std(axis=1, ddof=1) / np.sqrt(depth.shape[1])
    return bool(np.all(d_mean > 2 * d_sem)), j, d_mean, d_sem


def check_claims(lam, chaotic, frequencies, per_seed, mean, sem, mf):
    """Fail loudly if the data contradict what the README states: at least 5 networks are
    chaotic without input, A_c is finite at every frequency shown for every one of them
    (λ_max < 0 is reached on the grid), the verdict on non-monotonicity agrees with
    CLAIM_NON_MONOTONIC, and the simulated A_c stays below the mean-field one; the
    mean-field A_c(f) has an interior minimum and rises toward the static (f → 0) value at its
    lowest frequencies."""
    problems = []
    if chaotic.sum() < 5:
        problems.append(f"fewer than 5 networks chaotic without input: λ_max(A=0) = "
                        f"{lam[:, 0, 0]}")
    if not np.all(np.isfinite(per_seed)):
        problems.append(f"λ_max never crosses 0 on the amplitude grid: A_c = {per_seed}")
    verdict, j, depth, depth_sem = non_monotonic(per_seed)
    if verdict != CLAIM_NON_MONOTONIC:
        problems.append(f"simulated A_c(f) = {mean} ± {sem}, dip at f = {frequencies[j]:g} "
                        f"below the ends by {depth} ± {depth_sem}: non-monotonic = {verdict}, "
                        f"the README claims {CLAIM_NON_MONOTONIC}")
    theory = np.asarray(mf["critical_amplitude"])
    at_sim = np.interp(np.log(frequencies), np.log(mf["frequencies"]), theory)
    if np.any(mean >= at_sim):
        problems.append(f"simulated A_c {mean} not below the mean-field {at_sim}")
    k = int(np.argmin(theory))
    if not 0 < k < len(theory) - 1 or theory[0] - theory[k] < 0.05 * theory[k]:
        problems.append(f"mean-field A_c(f) = {theory} has no interior minimum 5 % deep")
    if not theory[1] < theory[0] < mf["static_critical_amplitude"]:
        problems.append(f"mean-field A_c does not rise toward the static limit "
                        f"{mf['static_critical_amplitude']:.4f} as f → 0: {theory[:2]}")
    if problems:
        raise SystemExit("chaos_suppression: the data contradict the claims:\n- "
                         + "\n- ".join(problems))


# what the README states about the simulated A_c(f) (checked by check_claims)
CLAIM_NON_MONOTONIC = True


def main():
    args = parse_args(__doc__, "results/chaos_suppression",
                      mean_field_only={"action": "store_true",
                                       "help": "only the mean-field A_c(f), no simulation"},
                      seeds={"type": int, "nargs": "+", "metavar": "SEED",
                             "help": "network seeds instead of the config's [network] seeds "
                                     "(those already simulated are read from the cache)"},
                      simulate_only={"action": "store_true",
                                     "help": "only simulate (and cache) the seeds, no figures"})
    out = args.out
    config = load()
    if args.seeds:
        if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
            raise ConfigError(f"--seeds must be distinct non-negative integers: {args.seeds}")
        config["network"]["seeds"] = args.seeds
    if args.mean_field_only:
        print_mean_field(run_mean_field(config, out))
        return
    if args.simulate_only:
        lam, err = run_simulation(config, out)
        print("λ_max without input per seed", config["network"]["seeds"], ":",
              np.round(lam[:, 0, 0], 4), "± (block s.e.)", np.round(err[:, 0, 0], 4))
        return
    frequencies, amplitudes = amplitude_grid(config)
    lam, err = run_simulation(config, out)
    mf = run_mean_field(config, out)
    mf["sampling_check"] = run_sampling_check(config, out)
    # A_c is measured on the networks that are chaotic without input (λ_max(A = 0) > 0): at
    # N = 500, g = 1.5 is close enough to the onset that a network can be on a limit cycle or
    # torus, and then there is no chaos for the input to suppress
    chaotic = lam[:, 0, 0] > 0
    per_seed, mean, sem = critical_table(frequencies, amplitudes, lam[chaotic])
    n, gain, seeds = (config["network"][k] for k in ("n", "gain", "seeds"))
    note = (f"configs/experiments/chaos_suppression.toml: N = {n}, g = {gain:g}, "
            f"{int(np.sum(chaotic))} of {len(seeds)} networks chaotic without input (seeds "
            f"{min(seeds)}–{max(seeds)}), t_sim = {config['lyapunov']['t_sim']:g}")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(frequencies)))
    for i, (f, c) in enumerate(zip(frequencies, colors, strict=True)):
        used = lam[chaotic, i]
        spread = used.std(axis=0, ddof=1) / np.sqrt(used.shape[0])
        axes[0].errorbar(amplitudes[i], used.mean(axis=0), 2 * spread, color=c,
                         marker="o", ms=3, label=f"f = {f:g}")
    axes[0].axhline(0.0, color="gray", lw=0.6)
    axes[0].set(xlabel="input amplitude A", ylabel="λ_max (1/τ), mean ± 2 s.e. over seeds")
    axes[0].legend(fontsize=7)
    plot_critical(axes[1], frequencies, mean, sem, mf, n)
    fig.suptitle(f"Chaos suppression by independent-phase sinusoids, g = {gain:g}, N = {n} "
                 "(Rajan, Abbott & Sompolinsky 2010)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "suppression.png", "chaos_suppression", note)

    fig, ax = plt.subplots(figsize=(6, 4))
    plot_critical(ax, frequencies, mean, sem, mf, n)
    ax.set_title(f"Critical amplitude vs frequency, g = {gain:g}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "critical_frequency.png", "chaos_suppression_frequency", note)

    verdict, j, depth, depth_sem = non_monotonic(per_seed)
    summary = {"frequencies": frequencies.tolist(), "amplitudes": amplitudes.tolist(),
               "lambda_max": lam.tolist(), "stderr": err.tolist(),
               "chaotic_seeds": np.asarray(seeds)[chaotic].tolist(),
               "critical_amplitude_per_seed": per_seed.tolist(),
               "critical_amplitude": mean.tolist(), "critical_amplitude_sem": sem.tolist(),
               "non_monotonic": verdict, "dip_frequency": float(frequencies[j]),
               "dip_depth": depth.tolist(), "dip_depth_sem": depth_sem.tolist(),
               "mean_field": mf}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print("λ_max without input per seed:", np.round(lam[:, 0, 0], 4),
          "± (block s.e.)", np.round(err[:, 0, 0], 4), "; A_c from seeds",
          np.asarray(seeds)[chaotic].tolist())
    for i, f in enumerate(frequencies):
        print(f"f = {f:g}: A_c = {mean[i]:.3f} ± {sem[i]:.3f} "
              f"(seeds {np.round(per_seed[:, i], 3)})")
    print_mean_field(mf)
    check = mf["sampling_check"]
    print(f"sampling DMFT at f = {check['frequency']:g}: λ_max = "
          f"{np.round(check['lambda_max'], 4)} at A = {check['amplitudes']}: "
          f"A_c = {check['critical_amplitude']:.3f}")
    res = check["resolution"]
    locked = jc.locked_state(gain, res["amplitude"], check["frequency"])
    print(f"  at A = {res['amplitude']:g}: λ_max = {res['dt/2']:.4f} with dt/2, "
          f"{res['2M']:.4f} with 2M; locked state: {float(locked.lyapunov):.4f}")
    print(f"simulation: non-monotonic = {verdict} (lowest interior f = {frequencies[j]:g}, "
          f"below the lowest and highest f by {np.round(depth, 3)} ± {np.round(depth_sem, 3)}, "
          "paired over seeds)")
    check_claims(lam, chaotic, frequencies, per_seed, mean, sem, mf)


def print_mean_field(mf):
    for f, a_c, error in zip(mf["frequencies"], mf["critical_amplitude"],
                             mf["critical_amplitude_error"], strict=True):
        print(f"mean field f = {f:g}: A_c = {a_c:.4f} (error estimate {error:.0e})")
    print(f"mean field f → 0 (static): A_c = {mf['static_critical_amplitude']:.4f}")


def plot_critical(ax, frequencies, mean, sem, mf, n):
    ax.errorbar(frequencies, mean, 2 * sem, marker="o", capsize=3,
                label=f"simulation N = {n} (mean ± 2 s.e. over seeds)")
    ax.plot(mf["frequencies"], mf["critical_amplitude"], "k-", marker=".",
            label="mean field (locked state's stability)")
    check = mf["sampling_check"]
    ax.plot([check["frequency"]], [check["critical_amplitude"]], "k^", ms=7, mfc="none",
            label="sampling DMFT (chaotic state's λ_max = 0)")
    ax.axhline(mf["static_critical_amplitude"], color="gray", ls="--", lw=0.8,
               label="mean field, f → 0 (static input)")
    ax.set(xscale="log", yscale="log", xlabel="input frequency f (1/τ)",
           ylabel="critical amplitude A_c (λ_max = 0)")
    ticks = [0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.legend(fontsize=7)


if __name__ == "__main__":
    main()
