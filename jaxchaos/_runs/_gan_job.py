"""GAN training runs from a TOML config with `job = "train-gan"`: `jaxchaos run CONFIG`,
`jaxchaos resume DIR`.

```toml
job = "train-gan"
name = "chaos_gan"
[latent]        # source = "chaos" | "gaussian"; the chaos keys are ignored for "gaussian"
source = "chaos"
dim = 32        # latent units L
n = 512         # neurons N of the frozen SCS network, W_ij ~ N(0, g²/N)
gain = 2.0      # g > 1
degree = 4      # neurons read by each latent unit
[data]          # source = "digits" | "folder" | "npz" (path for the last two)
source = "digits"
image_size = 8
[training]
steps = 3000
```

Every key with its default is in `_gan_config._SCHEMA`. The run folder holds `run.json`
(config, progress), `checkpoint.npz` (the whole `GANState` and the losses,
`_runfolder.Run.commit`), `log.npz` (losses per step),
`samples/step_XXXXXX.png` (a fixed latent batch through the generator every `sample_every`) and,
at the end, `results.json` (the `quality` measures). Checkpoints are written every
`checkpoint_every` steps; `jaxchaos resume` continues from the last one and reproduces the
uninterrupted run exactly (every random draw comes from the state's key or the latent state).
"""

import time
from pathlib import Path

import jax
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import DivergenceError
from .._generative._data import load_dataset
from .._generative._evaluation import cached_classifier, draw_latents, generate, quality
from .._generative._gan import Discriminator, GANTrainer, Generator, gan_step
from .._generative._latent import GaussianLatent, chaos_latent
from ._gan_config import resolve_gan_config, sizes
from ._runfolder import finite_json, open_run, write_npz, write_text

LOG = "log.npz"
RESULTS = "results.json"
def make_source(latent: dict):
    """The latent source a `[latent]` table describes (the chaotic one is built from its seed)."""
    if latent["source"] == "gaussian":
        return GaussianLatent(latent["dim"])
    return chaos_latent(
        jax.random.key(latent["seed"]), n=latent["n"], gain=latent["gain"], dim=latent["dim"],
        degree=latent["degree"], dt=latent["dt"], solver=latent["solver"],
        interval=latent["interval"], warmup=latent["warmup"],
        standardize=latent["standardize"])


def build(config: dict):
    """`(trainer, initial GANState, data images, labels)` for a resolved config."""
    data = config["data"]
    images, labels = load_dataset(data["source"], data["path"], data["image_size"])
    images = images.astype(jax.dtypes.canonicalize_dtype(float))  # float64 when enabled
    tr = config["training"]
    trainer = GANTrainer(make_source(config["latent"]), batch=tr["batch"],
                         learning_rate=tr["learning_rate"], beta1=tr["beta1"],
                         beta2=tr["beta2"])
    key_g, key_d, key_state = jax.random.split(jax.random.key(tr["seed"]), 3)
    width, size = config["model"]["width"], data["image_size"]
    generator = Generator(key_g, config["latent"]["dim"], size, width=width)
    discriminator = Discriminator(key_d, size, width=width)
    return trainer, trainer.init(key_state, generator, discriminator), images, labels


def sample_grid(images) -> np.ndarray:
    """A square-ish montage of images (n, 1, S, S) in [-1, 1] as a 2-D array in [0, 1], with a
    one-pixel border."""
    n, _, s, _ = images.shape
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    grid = np.ones((rows * (s + 1) + 1, cols * (s + 1) + 1))
    for i, image in enumerate(np.asarray(images)):
        r, c = divmod(i, cols)
        grid[1 + r * (s + 1): 1 + r * (s + 1) + s, 1 + c * (s + 1): 1 + c * (s + 1) + s] = (
            (image[0] + 1) / 2)
    return grid


def save_grid(path, images):
    """Write `sample_grid(images)` as a grayscale PNG."""
    import matplotlib.image

    path.parent.mkdir(parents=True, exist_ok=True)
    matplotlib.image.imsave(path, np.clip(sample_grid(images), 0, 1), cmap="gray", vmin=0,
                            vmax=1)


def train_gan(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run (or resume) the GAN run in `folder`. Every `checkpoint_every` steps the state and the
    losses are committed together (`Run.commit`); `log.npz` is a copy of the committed losses.
    `stop_after` stops at the first commit after that many steps in this call, leaving a
    resumable run as an interrupt would (for tests)."""
    folder = Path(folder)
    with open_run(folder, "train-gan", resolve_gan_config, sizes) as run:
        if run.finished:
            return folder
        config = run.config
        trainer, state, images, labels = build(config)
        tr = config["training"]
        state, saved = run.restore(state)
        losses = [tuple(row) for row in saved.get("losses", np.zeros((0, 2)))]
        done = len(losses)
        fixed_z = draw_latents(trainer.source, jax.random.key(tr["seed"] + 1), 64)
        run.save(status="running")
        started, total, start = time.perf_counter(), tr["steps"], done
        with tqdm(total=total, initial=done, desc=config["name"], unit="step",
                  disable=not progress) as bar:
            while done < total:
                state, step_losses = gan_step(trainer, state, images)
                step_losses = tuple(float(v) for v in step_losses)
                if not all(np.isfinite(step_losses)):
                    raise DivergenceError(
                        f"GAN step {done + 1}: the losses (L_D, L_G) = {step_losses} are not "
                        f"finite; the run folder keeps the checkpoint of step {run.progress}")
                losses.append(step_losses)
                done += 1
                if done % tr["sample_every"] == 0 or done == total:
                    save_grid(folder / "samples" / f"step_{done:06d}.png",
                              generate(state.generator, state.running, fixed_z))
                if done % tr["checkpoint_every"] == 0 or done == total:
                    log = np.asarray(losses).reshape(-1, 2)
                    run.commit(done, state, {"losses": log}, steps_done=done)
                    write_npz(folder / LOG, {"losses": log})
                if done % tr["log_every"] == 0 or done == total:
                    recent = np.asarray(losses[-tr["log_every"]:])
                    bar.set_postfix(d_loss=f"{recent[:, 0].mean():.3f}",
                                    g_loss=f"{recent[:, 1].mean():.3f}")
                bar.update(1)
                if (stop_after is not None and done - start >= stop_after
                        and done % tr["checkpoint_every"] == 0):
                    break
        wall = run.record.get("wall_seconds", 0.0) + time.perf_counter() - started
        if done < total:
            run.save(status="interrupted", wall_seconds=wall)
            return folder
        write_npz(folder / LOG, {"losses": np.asarray(losses).reshape(-1, 2)})
        if tr["quality"] and labels is not None:
            classifier, accuracy = cached_classifier(images, labels,
                                                     cache_dir=config["output"]["cache"])
            scores = quality(state.generator, state.running, trainer.source, classifier, images,
                             labels, key=jax.random.key(tr["seed"] + 2), batch=tr["batch"])
            scores["classifier_test_accuracy"] = accuracy
            write_text(folder / RESULTS, finite_json(RESULTS, scores))
        run.finish(wall_seconds=wall)
    return folder
