"""The `train-gan` job: resume equals the uninterrupted run; config-time errors; the images
the trainer accepts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxchaos import ConfigError
from jaxchaos._generative._gan import Discriminator, GANTrainer, Generator
from jaxchaos._generative._latent import GaussianLatent
from jaxchaos._runs._gan_job import resolve_gan_config, train_gan
from jaxchaos._runs._runfolder import new_run_folder


def tiny_gan_config(tmp_path, steps=4):
    """N = 30 keeps it fast; such a small network is not chaotic (a warning, filtered)."""
    return resolve_gan_config({
        "name": "t", "latent": {"n": 30, "dim": 6, "degree": 2, "warmup": 10.0},
        "model": {"width": 8},
        "training": {"steps": steps, "batch": 8, "sample_every": 2, "checkpoint_every": 2,
                     "log_every": 2, "quality": False},
        "output": {"root": str(tmp_path), "precision": "float64"}})


@pytest.mark.filterwarnings("ignore:latent network at g=.* is not chaotic:UserWarning")
def test_resumed_run_equals_uninterrupted_run(tmp_path):
    config = tiny_gan_config(tmp_path)
    whole = train_gan(new_run_folder(config, tmp_path / "whole", job="train-gan"), progress=False)
    split = new_run_folder(config, tmp_path / "split", job="train-gan")
    train_gan(split, progress=False, stop_after=2)
    assert np.load(split / "log.npz")["losses"].shape == (2, 2)
    train_gan(split, progress=False)
    for name in ("checkpoint.npz", "log.npz"):
        with np.load(whole / name) as a, np.load(split / name) as b:
            assert a.files == b.files
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}: {key}")
    assert (split / "samples" / "step_000004.png").is_file()


def _gan_error(tmp_path, **tables):
    with pytest.raises(ConfigError) as info:
        resolve_gan_config(tables)
    return str(info.value)


# Issue 14 item 9: every GAN/data error at config time, naming the key (grows with new keys).
@pytest.mark.parametrize(
    ("tables", "field"),
    [
        ({"data": {"source": "folder", "path": "/nonexistent/images"}}, "data.path"),
        ({"data": {"source": "npz", "path": "."}}, "data.path"),
        ({"data": {"source": "npz"}}, "data.path"),
        ({"data": {"source": "mnist"}}, "data.source"),
        ({"data": {"path": "x.npz"}}, "data.path"),
        ({"latent": {"gain": float("nan")}}, "latent.gain"),
        ({"latent": {"gain": float("inf")}}, "latent.gain"),
        ({"latent": {"gain": 1.0}}, "latent.gain"),
        ({"latent": {"interval": 0.25, "dt": 0.1}}, "latent.interval"),
        ({"latent": {"warmup": 0.05}}, "latent.warmup"),
        ({"latent": {"solver": "rk45"}}, "latent.solver"),
        ({"training": {"beta1": 1.0}}, "training.beta1"),
        ({"training": {"stepz": 3}}, "stepz"),
        ({"data": {"image_size": 36}}, "data.image_size"),
        ({"model": {"width": 0}}, "model.width"),
    ],
)
def test_bad_gan_config_names_the_field(tmp_path, tables, field):
    assert field in _gan_error(tmp_path, **tables)


@pytest.mark.parametrize("shape", [(10, 1, 16, 16), (10, 3, 8, 8), (10, 8, 8), (0, 1, 8, 8)])
def test_gan_step_refuses_images_of_the_wrong_shape(shape):
    """16×16 images into an 8×8 GAN (the discriminator would average 25 logits per image), RGB
    or channel-less arrays: a `ConfigError` naming the expected shape."""
    trainer = GANTrainer(GaussianLatent(4), batch=2)
    key = jax.random.key(0)
    state = trainer.init(key, Generator(key, 4, 8, width=4), Discriminator(key, 8, width=4))
    with pytest.raises(ConfigError, match=r"\(C, S, S\) = \(1, 8, 8\)"):
        trainer.step(state, jnp.zeros(shape))
