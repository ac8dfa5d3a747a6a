"""Sample quality and sampling speed of a trained GAN (the same measures for any latent source).

- `FeatureClassifier`: an MLP on flattened images, S² → 128 → 64 → classes (ReLU); its 64
  penultimate activations are the feature space. `cached_classifier` trains it on a labelled data
  set (Adam, full batch, 80/20 train/test split) and caches it under `cache_dir` (default
  `$JAXCHAOS_CACHE`, else `~/.cache/jaxchaos`), keyed by a hash of the data and the architecture.
- `frechet_distance`: `d² = |μ₁ - μ₂|² + Tr(Σ₁ + Σ₂ - 2 (Σ₁^½ Σ₂ Σ₁^½)^½)` between Gaussians
  fitted (unbiased covariances) to two feature sets: the FID recipe (Heusel et al. 2017) with
  this classifier in place of Inception. It is biased upward at finite sample size, so compare
  scores computed from equal numbers of samples (`quality` uses as many samples as data).
- `sampling_speed`: how fast generated samples change along one latent trajectory, per gain.
"""

import hashlib
import json
import os
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._core._errors import ConfigError, check_real
from .._lyapunov._spectrum import lyapunov_spectrum
from ._gan import gan_sample

CLASSIFIER_VERSION = "mlp-128-64-v1"
FEATURES = 64


class FeatureClassifier(eqx.Module):
    """MLP classifier; `features(x)` the 64 penultimate activations of images x (B, 1, S, S)."""

    hidden: eqx.nn.Linear
    feature: eqx.nn.Linear
    head: eqx.nn.Linear

    def __init__(self, key, pixels: int, classes: int):
        k1, k2, k3 = jax.random.split(key, 3)
        self.hidden = eqx.nn.Linear(pixels, 128, key=k1, dtype=jnp.float32)
        self.feature = eqx.nn.Linear(128, FEATURES, key=k2, dtype=jnp.float32)
        self.head = eqx.nn.Linear(FEATURES, classes, key=k3, dtype=jnp.float32)

    def features(self, images):
        x = jnp.asarray(images, jnp.float32).reshape(images.shape[0], -1)
        x = jax.nn.relu(jax.vmap(self.hidden)(x))
        return jax.nn.relu(jax.vmap(self.feature)(x))

    def __call__(self, images):
        """Class logits (B, classes)."""
        return jax.vmap(self.head)(self.features(images))


@eqx.filter_jit
def _fit(model, images, labels, steps: int):
    optimizer = optax.adam(1e-3)

    def loss(model):
        logits = model(images)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    def one(carry, _):
        model, opt = carry
        grads = eqx.filter_grad(loss)(model)
        updates, opt = optimizer.update(grads, opt, eqx.filter(model, eqx.is_inexact_array))
        return (eqx.apply_updates(model, updates), opt), None

    opt = optimizer.init(eqx.filter(model, eqx.is_inexact_array))
    (model, _), _ = jax.lax.scan(one, (model, opt), None, length=steps)
    return model


def train_classifier(images, labels, *, key, steps: int = 1000):
    """Train a `FeatureClassifier`; returns `(model, test accuracy)` on a held-out 20%."""
    labels = np.asarray(labels)
    order = np.asarray(jax.random.permutation(jax.random.fold_in(key, 1), len(labels)))
    n_test = len(labels) // 5
    test, train = order[:n_test], order[n_test:]
    images = jnp.asarray(images, jnp.float32)
    model = FeatureClassifier(key, int(np.prod(images.shape[1:])), int(labels.max()) + 1)
    model = _fit(model, images[train], jnp.asarray(labels[train]), steps)
    accuracy = float(np.mean(np.argmax(np.asarray(model(images[test])), 1) == labels[test]))
    return model, accuracy


def _cache_dir(cache_dir) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(os.environ.get("JAXCHAOS_CACHE", Path.home() / ".cache" / "jaxchaos"))


def cached_classifier(images, labels, *, cache_dir=None, steps: int = 1000):
    """The classifier for this labelled data set: loaded from the cache if trained before,
    else trained (seed 0) and saved. Returns `(model, test accuracy)`."""
    if labels is None:
        raise ConfigError("the quality measures need labelled data (digits, or an .npz with "
                          "'labels')")
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int32)
    digest = hashlib.sha256()
    for part in (CLASSIFIER_VERSION.encode(), str(images.shape).encode(), images.tobytes(),
                 labels.tobytes(), str(steps).encode()):
        digest.update(part)
    path = _cache_dir(cache_dir) / f"classifier-{digest.hexdigest()[:16]}.eqx"
    info = path.with_suffix(".json")
    skeleton = FeatureClassifier(jax.random.key(0), int(np.prod(images.shape[1:])),
                                 int(labels.max()) + 1)
    if path.is_file() and info.is_file():
        return eqx.tree_deserialise_leaves(path, skeleton), json.loads(info.read_text())[
            "accuracy"]
    model, accuracy = train_classifier(images, labels, key=jax.random.key(0), steps=steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    eqx.tree_serialise_leaves(tmp, model)
    os.replace(tmp, path)
    info.write_text(json.dumps({"accuracy": accuracy, "images": list(images.shape)}))
    return model, accuracy


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussian fits of two feature sets (n, d) (module docstring)."""
    a, b = (np.asarray(f, np.float64) for f in (features_a, features_b))
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    evals, evecs = np.linalg.eigh(cov_a)
    root_a = (evecs * np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    middle = root_a @ cov_b @ root_a
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


@eqx.filter_jit
def _next_compiled(source, state):
    return source.next(state)


def draw_latents(source, key, n: int, batch: int = 64):
    """n latents from `batch` streams of `source`, read one interval apart: (n, dim)."""
    state = source.init(key, batch)
    draws = []
    for _ in range(-(-n // batch)):
        state, z = _next_compiled(source, state)
        draws.append(np.asarray(z))
    return np.concatenate(draws)[:n]


@eqx.filter_jit
def _generate(generator, running, z):
    return gan_sample(generator, running, z)


def generate(generator, running, z, batch: int = 512):
    """Images for latents z (n, dim) in evaluation mode, in batches: (n, C, S, S)."""
    return np.concatenate([np.asarray(_generate(generator, running, jnp.asarray(z[i:i + batch])))
                           for i in range(0, len(z), batch)])


def class_distribution(classifier, images, classes: int):
    """Fraction of images the classifier assigns to each class: (classes,)."""
    predicted = np.argmax(np.asarray(classifier(jnp.asarray(images))), axis=1)
    return np.bincount(predicted, minlength=classes)[:classes] / len(predicted)


def quality(generator, running, source, classifier, images, labels, *, key, batch: int = 64):
    """Quality of the samples of a trained GAN, as many samples as data images:

    - `fid`: Fréchet distance between classifier features of samples and data;
    - `fid_data_halves`: the same between two random halves of the data (a noise floor at half
      the sample size);
    - `class_fractions` (classes,) among samples, `data_class_fractions`, and their total
      variation distance `class_tv`.
    """
    n, classes = len(images), int(np.max(labels)) + 1
    fake = generate(generator, running, draw_latents(source, key, n, batch))
    real_features = np.asarray(classifier.features(jnp.asarray(images)))
    fake_features = np.asarray(classifier.features(jnp.asarray(fake)))
    order = np.random.default_rng(0).permutation(n)
    halves = real_features[order[: n // 2]], real_features[order[n // 2:]]
    fractions = class_distribution(classifier, fake, classes)
    data_fractions = np.bincount(labels, minlength=classes) / n
    return {
        "fid": frechet_distance(real_features, fake_features),
        "fid_data_halves": frechet_distance(*halves),
        "class_fractions": fractions.tolist(),
        "data_class_fractions": data_fractions.tolist(),
        "class_tv": float(0.5 * np.sum(np.abs(fractions - data_fractions))),
    }


def correlation_time(series, step: float) -> float:
    """First lag (in time units, linear interpolation) at which the normalized autocovariance
    ρ(l) = C(l)/C(0) falls below 1/e; `series` (T, ...) with time first, C averaged over the
    other axes (each series centered on its own time mean). NaN if it never does within T/2."""
    x = np.asarray(series, np.float64).reshape(series.shape[0], -1)
    x = x - x.mean(0)
    t = x.shape[0]
    spectrum = np.fft.rfft(x, n=2 * t, axis=0)
    acov = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[: t // 2].sum(1) / (t - np.arange(t // 2))
    if not acov[0] > 0:
        return float("nan")
    rho = acov / acov[0]
    below = np.nonzero(rho < np.exp(-1))[0]
    if not below.size:
        return float("nan")
    lag = below[0]
    frac = (rho[lag - 1] - np.exp(-1)) / (rho[lag - 1] - rho[lag])
    return float((lag - 1 + frac) * step)


def change_rate(series, step: float) -> float:
    """How fast a series changes relative to its spread: `√(⟨|x(t+δ) - x(t)|²⟩ / ⟨|x - x̄|²⟩) / δ`
    (1/time; x̄ each series' time mean, δ = `step`). For a smooth stationary process and small δ
    this is √(2 · (-ρ''(0))), ρ the normalized autocovariance: unlike the 1/e time it stays
    meaningful when ρ(l) oscillates."""
    x = np.asarray(series, np.float64).reshape(series.shape[0], -1)
    spread = np.mean((x - x.mean(0)) ** 2)
    return float(np.sqrt(np.mean((x[1:] - x[:-1]) ** 2) / spread) / step)


@eqx.filter_jit
def _latent_trajectory(source, key, batch: int, records: int):
    def one(state, _):
        state, z = source.next(state)
        return state, z

    return jax.lax.scan(one, source.init(key, batch), None, length=records)[1]


def sampling_speed(generator, running, source, classifier, gains, *, key, batch: int = 8,
                   duration: float = 200.0, record_every: float = 0.5, window: float = 10.0,
                   lyapunov_time: float = 200.0):
    """How fast samples change along latent trajectories of `source` rescaled to each gain (W, R,
    the standardization μ, T and the GAN untouched). Per gain, from `batch` trajectories read
    every `record_every` over `duration` after the source's warm-up (same key, so the same
    initial conditions):

    - `latent_time`, `image_time`: correlation times (`correlation_time`) of z(t) and of G(z(t));
    - `latent_rate`, `image_rate`: their change rates (`change_rate`);
    - `switch_rate`: changes of the predicted class per unit time;
    - `classes_per_window`: mean number of distinct predicted classes in windows of `window`;
    - `latent_std`: standard deviation of z over time, units and trajectories;
    - `lambda_max`, `lambda_max_stderr`: the network's largest Lyapunov exponent (per unit
      time; `lyapunov_spectrum`, k = 1, over `lyapunov_time`);
    - `sequences` (gains, T, C, S, S): the images of the first trajectory.
    """
    check_real("gains", gains, positive=True)
    for name, value in (("duration", duration), ("record_every", record_every),
                        ("window", window), ("lyapunov_time", lyapunov_time)):
        check_real(name, value, positive=True)
    records = int(round(duration / record_every))
    per_window = int(round(window / record_every))
    if per_window < 1 or per_window > records:
        raise ConfigError("window must lie between record_every and duration")
    out = {k: [] for k in ("latent_time", "image_time", "latent_rate", "image_rate",
                           "switch_rate", "classes_per_window",
                           "latent_std", "lambda_max", "lambda_max_stderr", "sequences")}
    for gain in gains:
        src = source.with_gain(gain).with_interval(record_every)
        z = np.asarray(_latent_trajectory(src, key, batch, records))  # (T, B, L)
        images = generate(generator, running, z.reshape(records * batch, -1))
        images = images.reshape(records, batch, *images.shape[1:])
        predicted = np.argmax(np.asarray(classifier(jnp.asarray(
            images.reshape(-1, *images.shape[2:])))), 1).reshape(records, batch)
        windows = predicted[: records // per_window * per_window].reshape(
            -1, per_window, batch)
        distinct = [len(np.unique(windows[w, :, b])) for w in range(windows.shape[0])
                    for b in range(batch)]
        spectrum = lyapunov_spectrum(src.network, k=1, dt=src.integrator.dt,
                                     solver=src.integrator.solver, t_sim=lyapunov_time,
                                     t_warmup=100.0, t_frame_warmup=50.0, n_blocks=10,
                                     key=jax.random.fold_in(key, 1))
        out["latent_time"].append(correlation_time(z, record_every))
        out["image_time"].append(correlation_time(images, record_every))
        out["latent_rate"].append(change_rate(z, record_every))
        out["image_rate"].append(change_rate(images, record_every))
        out["switch_rate"].append(float(np.mean(predicted[1:] != predicted[:-1]) / record_every))
        out["classes_per_window"].append(float(np.mean(distinct)))
        out["latent_std"].append(float(np.std(z)))
        out["lambda_max"].append(float(spectrum.exponents[0]))
        out["lambda_max_stderr"].append(float(spectrum.stderr[0]))
        out["sequences"].append(images[:, 0])
    return {"gains": np.asarray(gains, float), **{k: np.asarray(v) for k, v in out.items()}}
