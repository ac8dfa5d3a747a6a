"""Chaos as the noise source of a GAN, and gain-controlled sampling speed (seed 002, §3.2–3.3,
Figures 2–3; PHYSICS.md §9).

The seed's claim is about graded chaos: rescaling the trained network's gain from g = 2 to g/√2
or √2·g changes how fast samples change, with λ_max > 0 at every gain (mean field: λ_max(1.41) ≈
0.035). A finite network need not be chaotic at g/√2 (N = 512, seed 0: a limit cycle, λ_max ≈
-0.03), so this experiment first measures λ_max (`lyapunov_spectrum`, k = 1) of the chosen
network at every gain of the figure and stops with an error if any is not clearly positive
(λ_max - 2·stderr ≤ 0), before training anything. N = 2048 (`N`) is chaotic at all three gains
(README: λ_max per gain and N, next to the DMFT value).

Then trains a DCGAN on scikit-learn's 8×8 digits three times with the same architecture, seeds and
steps, latents from (1) the frozen chaotic network read by a degree-4 binary expander readout and
whitened to mean 0, covariance I (jaxchaos's default); (2) the same readout un-whitened,
z = R φ(x), as the seed writes it (a variant); (3) i.i.d. Gaussians. Without retraining, it
rescales the network's gain and measures how fast generated samples change, λ_max next to each.

Written to `--out` (default `results/chaos_gan/`):
- `lambda_vs_gain.png`: λ_max of the latent network at each gain (measured and DMFT);
- `samples.png`: samples of the three GANs (Figure 2 analogue);
- `sequences.png`: generated images along one latent trajectory at g/√2, g, √2·g (Figure 3);
- `speed_vs_gain.png`: change rates of latent and images, class switches per unit time and
  λ_max vs gain, for both chaotic readouts;
- `losses.png`, `results.json` (all numbers: Fréchet distances in classifier-feature space,
  class fractions, sampling-speed measures, λ_max per gain).
`lambda_vs_gain.png` and `speed_vs_gain.png` are also the key figures `docs/figures/gan_*.png`.

At N = 2048 each training step advances 64 trajectories of 2048 neurons: the full run took
about 40 min on 2 shared CPU cores (18 min per chaotic GAN; README), minutes on a GPU. On a
CPU, `--lyapunov-only` runs just the chaos gate (about a minute per gain on 2 shared cores);
`--quick` is a smoke run of everything (steps, batches and calibration cut; still several CPU
minutes at N = 2048). With a user image folder (`[data] source = "folder"`
in `configs/chaos_gan.toml`), `jaxchaos run` trains the same GAN unchanged on any device.

    .venv/bin/python experiments/chaos_gan.py [--quick | --lyapunov-only] [--out DIR]
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_figure  # noqa: E402

from jaxchaos._generative._evaluation import (  # noqa: E402
    cached_classifier,
    draw_latents,
    generate,
    quality,
    sampling_speed,
)
from jaxchaos._generative._gan import gan_step  # noqa: E402
from jaxchaos._generative._latent import chaos_latent  # noqa: E402
from jaxchaos._lyapunov._spectrum import lyapunov_spectrum  # noqa: E402
from jaxchaos._runs._gan_job import build, resolve_gan_config, sample_grid  # noqa: E402
from jaxchaos._runs._runfolder import precision_set  # noqa: E402
from jaxchaos._theory._dmft import scs_dmft  # noqa: E402

GAIN = 2.0
GAINS = (GAIN / np.sqrt(2), GAIN, GAIN * np.sqrt(2))  # the seed's g/√2, g, √2·g
N = 2048  # chaotic at all three gains (seed 0); N = 512 is a limit cycle at g/√2
LATENT_SEED = 0
FULL = {"steps": 3000, "duration": 200.0, "batch": 8, "lyapunov_time": 200.0,
        "training_batch": 64}
QUICK = {"steps": 30, "duration": 40.0, "batch": 2, "lyapunov_time": 100.0, "training_batch": 8}
# latent source name -> the [latent] keys of its GAN
SOURCES = {"chaos": {"source": "chaos"},
           "chaos_unwhitened": {"source": "chaos", "standardize": False},
           "gaussian": {"source": "gaussian"}}


def dmft_lambda(gains) -> list[float]:
    """The DMFT λ_max at each gain, in float64 (the GAN itself runs in float32, where the
    DMFT reaches only ~1e-4 and says so)."""
    with precision_set("float64"):
        return [float(scs_dmft(g).lyapunov) for g in gains]


def chaos_gate(lyapunov_time: float) -> dict:
    """λ_max (k = 1) of the latent network (the W that `chaos_latent` draws for LATENT_SEED) at
    every gain of the figure, next to the DMFT value; SystemExit if any is not clearly > 0."""
    source = chaos_latent(jax.random.key(LATENT_SEED), n=N, gain=GAIN, standardize=False,
                          check_chaos=False)
    lam, err = [], []
    for gain in GAINS:
        src = source.with_gain(gain)
        spectrum = lyapunov_spectrum(src.network, k=1, dt=src.integrator.dt,
                                     solver=src.integrator.solver, t_sim=lyapunov_time,
                                     t_warmup=200.0, t_frame_warmup=20.0, n_blocks=8,
                                     key=jax.random.key(3))
        lam.append(float(spectrum.exponents[0]))
        err.append(float(spectrum.stderr[0]))
        print(f"N = {N}, g = {gain:.3f}: λ_max = {lam[-1]:.4f} ± {err[-1]:.4f}", flush=True)
    theory = dmft_lambda(GAINS)
    gate = {"n": N, "gains": list(GAINS), "lambda_max": lam, "lambda_max_stderr": err,
            "lambda_max_dmft": theory, "lyapunov_time": lyapunov_time}
    bad = [f"g = {g:.3f}: {x:.4f} ± {e:.4f}" for g, x, e in zip(GAINS, lam, err, strict=True)
           if x - 2 * e <= 0]
    if bad:
        raise SystemExit(f"the N = {N} latent network is not clearly chaotic at every gain of "
                         f"the figure ({'; '.join(bad)}): raise N")
    return gate


def lambda_figure(gate: dict, out: Path, note: str):
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    ax.errorbar(gate["gains"], gate["lambda_max"], 2 * np.asarray(gate["lambda_max_stderr"]),
                fmt="o", label=f"N = {gate['n']}, seed {LATENT_SEED} (±2 s.e.)")
    grid = np.linspace(1.05, 3.0, 40)
    ax.plot(grid, dmft_lambda(grid), lw=1, label="DMFT (N → ∞)")
    ax.axhline(0.0, color="gray", lw=0.6)
    ax.set(xlabel="gain g", ylabel="λ_max (1/time)",
           title="GAN latent network at g/√2, g, √2·g")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "lambda_vs_gain.png", key="gan_lambda_vs_gain", note=note)


def train(name: str, steps: int, batch: int, seed: int = 0):
    config = resolve_gan_config({
        "name": name, "latent": {**SOURCES[name], "n": N, "gain": GAIN, "seed": LATENT_SEED},
        "training": {"steps": steps, "seed": seed, "batch": batch},
        "output": {"precision": "float32"}})
    trainer, state, images, labels = build(config)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        state, step_losses = gan_step(trainer, state, images)
        losses.append([float(v) for v in step_losses])
    return trainer, state, images, labels, np.asarray(losses), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--lyapunov-only", action="store_true",
                        help="only the chaos gate: λ_max at every gain")
    parser.add_argument("--out", default="results/chaos_gan", help="output folder")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    results = {"settings": settings, "gain": GAIN, "n": N}
    results["chaos_gate"] = chaos_gate(FULL["lyapunov_time"])
    lambda_figure(results["chaos_gate"], out,
                  f"experiments/chaos_gan.py: N = {N}, t = {FULL['lyapunov_time']:g} per gain")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if args.lyapunov_only:
        return

    runs = {}
    for name in SOURCES:
        runs[name] = train(name, settings["steps"], settings["training_batch"])
        print(f"{name}: {settings['steps']} steps in {runs[name][-1]:.1f} s", flush=True)
    _, _, images, labels, _, _ = runs["chaos"]
    classifier, accuracy = cached_classifier(images, labels)
    results["classifier_test_accuracy"] = accuracy
    for name, (tr, st, *_rest, seconds) in runs.items():
        scores = quality(st.generator, st.running, tr.source, classifier, images, labels,
                         key=jax.random.key(2), batch=tr.batch)
        results[name] = {**scores, "train_seconds": seconds}
        print(f"{name}: Fréchet distance {scores['fid']:.3f} (data halves "
              f"{scores['fid_data_halves']:.3f}), class TV {scores['class_tv']:.3f}", flush=True)

    speeds = {}
    for name in ("chaos", "chaos_unwhitened"):
        trainer, state = runs[name][0], runs[name][1]
        speed = sampling_speed(state.generator, state.running, trainer.source, classifier,
                               list(GAINS), key=jax.random.key(3), batch=settings["batch"],
                               duration=settings["duration"],
                               lyapunov_time=settings["lyapunov_time"])
        speeds[name] = speed
        results[f"speed_{name}"] = {k: v.tolist() for k, v in speed.items() if k != "sequences"}
        for i, g in enumerate(GAINS):
            print(f"{name}, g = {g:.3f}: λ_max = {speed['lambda_max'][i]:.3f} ± "
                  f"{speed['lambda_max_stderr'][i]:.3f}, latent rate "
                  f"{speed['latent_rate'][i]:.3f}, image rate {speed['image_rate'][i]:.3f}, "
                  f"class switches/time {speed['switch_rate'][i]:.3f}, classes per window "
                  f"{speed['classes_per_window'][i]:.2f}", flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))

    fig, axes = plt.subplots(1, len(runs), figsize=(4 * len(runs), 4.3))
    for ax, (name, (tr, st, *_)) in zip(axes, runs.items(), strict=True):
        z = draw_latents(tr.source, jax.random.key(5), 64, 64)
        ax.imshow(sample_grid(generate(st.generator, st.running, z)), cmap="gray", vmin=0,
                  vmax=1)
        ax.set_title(f"{name} latent (FD {results[name]['fid']:.2f})")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=150)

    every = 4  # show every 4th record (record_every = 0.5 → Δt = 2)
    shown = speeds["chaos"]["sequences"][:, ::every][:, :16]
    fig, axes = plt.subplots(len(GAINS), 1, figsize=(10, 1.2 * len(GAINS) + 0.4))
    for ax, g, seq in zip(axes, GAINS, shown, strict=True):
        strip = np.concatenate([np.pad((im[0] + 1) / 2, 1, constant_values=1) for im in seq],
                               axis=1)
        ax.imshow(strip, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"g = {g:.2f}, one image every Δt = {0.5 * every:g}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "sequences.png", dpi=150)

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for name, marker in (("chaos", "o"), ("chaos_unwhitened", "s")):
        speed = speeds[name]
        axes[0].plot(GAINS, speed["latent_rate"], marker + "-", label=f"{name}: latent")
        axes[0].plot(GAINS, speed["image_rate"], marker + "--", label=f"{name}: image")
        axes[1].plot(GAINS, speed["switch_rate"], marker + "-", label=name)
    gate = results["chaos_gate"]
    axes[2].errorbar(GAINS, gate["lambda_max"], 2 * np.asarray(gate["lambda_max_stderr"]),
                     fmt="o-", label=f"N = {N}")
    axes[2].plot(GAINS, gate["lambda_max_dmft"], "k:", label="DMFT")
    axes[0].set(xlabel="gain g", ylabel="change rate (1/time)")
    axes[1].set(xlabel="gain g", ylabel="class switches per unit time")
    axes[2].set(xlabel="gain g", ylabel="λ_max (1/time)")
    for ax in axes:
        ax.axvline(GAIN, color="gray", lw=0.5)
        ax.legend(fontsize=7)
    fig.suptitle(f"Sampling speed and λ_max vs gain, N = {N}"
                 + (" (--quick)" if args.quick else ""), fontsize=10)
    fig.tight_layout()
    suffix = "_quick" if args.quick else ""
    save_figure(fig, out / "speed_vs_gain.png", key=f"gan_speed_vs_gain{suffix}",
                note=f"experiments/chaos_gan.py{' --quick' if args.quick else ''}: N = {N}")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, run in runs.items():
        losses = run[4]
        ax.plot(losses[:, 0], lw=0.5, label=f"{name}: L_D")
        ax.plot(losses[:, 1], lw=0.5, label=f"{name}: L_G")
    ax.set(xlabel="step", ylabel="loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "losses.png", dpi=150)
    print(f"figures and results.json in {out}")


if __name__ == "__main__":
    main()
