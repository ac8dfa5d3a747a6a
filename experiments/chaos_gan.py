"""Chaos as the noise source of a GAN, and gain-controlled sampling speed (seed 002, §3.2–3.3,
Figures 2–3; PHYSICS.md §9).

Trains a DCGAN on scikit-learn's 8×8 digits twice with the same architecture, seeds and steps:
latents from a frozen chaotic SCS network (N = 512, g = 2, seed 0, λ_max ≈ 0.08-0.09, read by a
degree-4 binary expander readout and whitened to mean 0, covariance I) and from i.i.d.
Gaussians. Then, without retraining, rescales the network's gain to g/√2 and √2·g and measures
how fast generated samples change, with λ_max at each gain (at g/√2 ≈ 1.41 this N = 512 network
is not chaotic: λ_max ≈ -0.03).

Written to `--out` (default `results/chaos_gan/`):
- `samples.png`: samples of both GANs (Figure 2 analogue);
- `sequences.png`: generated images along one latent trajectory at g/√2, g, √2·g (Figure 3);
- `speed_vs_gain.png`: change rates of latent and images, class switches per unit time and
  λ_max vs gain;
- `losses.png`, `results.json` (all numbers: Fréchet distances in classifier-feature space,
  class fractions, sampling-speed measures).

Default run: a few minutes on 2 CPU cores; `--quick` is a smoke run.

    .venv/bin/python experiments/chaos_gan.py [--quick] [--out DIR]
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

from jaxchaos._generative._evaluation import (  # noqa: E402
    cached_classifier,
    draw_latents,
    generate,
    quality,
    sampling_speed,
)
from jaxchaos._generative._gan import train_step  # noqa: E402
from jaxchaos._runs._gan_job import build, resolve_gan_config, sample_grid  # noqa: E402

GAIN = 2.0
N = 512  # at N = 256 the seed-0 network falls onto a limit cycle (λ_max ≈ 0): not chaotic
FULL = {"steps": 3000, "duration": 200.0, "batch": 8, "lyapunov_time": 200.0}
QUICK = {"steps": 60, "duration": 40.0, "batch": 2, "lyapunov_time": 20.0}


def train(source: str, steps: int, seed: int = 0):
    config = resolve_gan_config({
        "name": source, "latent": {"source": source, "n": N, "gain": GAIN},
        "training": {"steps": steps, "seed": seed}, "output": {"precision": "float32"}})
    trainer, state, images, labels = build(config)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        state, step_losses = train_step(trainer, state, images)
        losses.append([float(v) for v in step_losses])
    return trainer, state, images, labels, np.asarray(losses), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (a minute)")
    parser.add_argument("--out", default="results/chaos_gan", help="output folder")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    runs, results = {}, {"settings": settings, "gain": GAIN}
    for source in ("chaos", "gaussian"):
        runs[source] = train(source, settings["steps"])
        print(f"{source}: {settings['steps']} steps in {runs[source][-1]:.1f} s", flush=True)
    trainer, state, images, labels, _, _ = runs["chaos"]
    classifier, accuracy = cached_classifier(images, labels)
    results["classifier_test_accuracy"] = accuracy
    for source, (tr, st, *_rest, seconds) in runs.items():
        scores = quality(st.generator, st.running, tr.source, classifier, images, labels,
                         key=jax.random.key(2), batch=tr.batch)
        results[source] = {**scores, "train_seconds": seconds}
        print(f"{source}: Fréchet distance {scores['fid']:.3f} (data halves "
              f"{scores['fid_data_halves']:.3f}), class TV {scores['class_tv']:.3f}", flush=True)

    gains = [GAIN / np.sqrt(2), GAIN, GAIN * np.sqrt(2)]
    speed = sampling_speed(state.generator, state.running, trainer.source, classifier, gains,
                           key=jax.random.key(3), batch=settings["batch"],
                           duration=settings["duration"],
                           lyapunov_time=settings["lyapunov_time"])
    results["speed"] = {k: v.tolist() for k, v in speed.items() if k != "sequences"}
    for i, g in enumerate(gains):
        print(f"g = {g:.3f}: λ_max = {speed['lambda_max'][i]:.3f} ± "
              f"{speed['lambda_max_stderr'][i]:.3f}, latent rate {speed['latent_rate'][i]:.3f}, "
              f"image rate {speed['image_rate'][i]:.3f}, class switches/time "
              f"{speed['switch_rate'][i]:.3f}, classes per window "
              f"{speed['classes_per_window'][i]:.2f}", flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))

    fig, axes = plt.subplots(1, 2, figsize=(8, 4.3))
    for ax, (source, (tr, st, *_)) in zip(axes, runs.items(), strict=True):
        z = draw_latents(tr.source, jax.random.key(5), 64, 64)
        ax.imshow(sample_grid(generate(st.generator, st.running, z)), cmap="gray", vmin=0,
                  vmax=1)
        ax.set_title(f"{source} latent (FD {results[source]['fid']:.2f})")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=150)

    every = 4  # show every 4th record (record_every = 0.5 → Δt = 2)
    shown = speed["sequences"][:, ::every][:, :16]
    fig, axes = plt.subplots(len(gains), 1, figsize=(10, 1.2 * len(gains) + 0.4))
    for ax, g, seq in zip(axes, gains, shown, strict=True):
        strip = np.concatenate([np.pad((im[0] + 1) / 2, 1, constant_values=1) for im in seq],
                               axis=1)
        ax.imshow(strip, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"g = {g:.2f}, one image every Δt = {0.5 * every:g}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "sequences.png", dpi=150)

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    axes[0].plot(gains, speed["latent_rate"], "o-", label="latent")
    axes[0].plot(gains, speed["image_rate"], "s-", label="image")
    axes[0].set(xlabel="gain g", ylabel="change rate (1/time)")
    axes[0].legend()
    axes[1].plot(gains, speed["switch_rate"], "o-")
    axes[1].set(xlabel="gain g", ylabel="class switches per unit time")
    axes[2].errorbar(gains, speed["lambda_max"], speed["lambda_max_stderr"], fmt="o-")
    axes[2].set(xlabel="gain g", ylabel="λ_max (1/time)")
    for ax in axes:
        ax.axvline(GAIN, color="gray", lw=0.5)
    fig.tight_layout()
    fig.savefig(out / "speed_vs_gain.png", dpi=150)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for source, run in runs.items():
        losses = run[4]
        ax.plot(losses[:, 0], lw=0.5, label=f"{source}: L_D")
        ax.plot(losses[:, 1], lw=0.5, label=f"{source}: L_G")
    ax.set(xlabel="step", ylabel="loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "losses.png", dpi=150)
    print(f"figures and results.json in {out}")


if __name__ == "__main__":
    main()
