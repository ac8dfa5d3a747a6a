"""A DCGAN-style GAN (Radford et al. 2015) in equinox, trained with optax Adam on the standard
(non-saturating) GAN loss, with a pluggable latent source (`_latent`).

Images are (batch, channels, S, S) in [-1, 1], S = b·2^u with 4 ≤ b ≤ 7, u ≥ 1 (8, 16, 28, 32,
64, ...). Generator: a transposed convolution from the 1×1 latent to b×b, then u transposed
convolutions (kernel 4, stride 2, padding 1) that double the size and halve the channels, batch
norm and ReLU after all but the last, tanh output. Discriminator: the mirror image with strided
convolutions and leaky ReLU (slope 0.2), batch norm after all but the first, and a final
convolution over the b×b map to one logit.

Batch norm (`BatchNorm`): per channel, `y = γ (x - μ)/√(σ² + ε) + β`, with μ and σ² the mean and
biased variance over the batch and spatial axes of the current batch (training mode), or given
statistics (evaluation mode). The trainer keeps running statistics of the generator,
`r ← (1 - m) r + m · batch stat` (m = 0.1), in `GANState.running`; sampling uses them, so a sample
does not depend on the rest of its batch. The discriminator is only used in training mode.

Losses, with D the logit: `L_D = E_data softplus(-D(x)) + E_z softplus(D(G(z)))` and
`L_G = E_z softplus(-D(G(z)))`. One step: draw a data batch and a latent batch (the latent
stream advances), update D on (real, G(z)), then G on the same z against the updated D.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from .._core._errors import ConfigError, check_real
from ._spec import image_layout

BN_MOMENTUM = 0.1
LEAK = 0.2


class BatchNorm(eqx.Module):
    """Per-channel batch norm over axes (0, 2, 3) of (B, C, H, W); see the module docstring."""

    weight: jax.Array
    bias: jax.Array
    eps: float = eqx.field(static=True, default=1e-5)

    def __init__(self, channels: int, dtype=None):
        self.weight = jnp.ones(channels, dtype)
        self.bias = jnp.zeros(channels, dtype)

    def __call__(self, x, stats=None):
        """Returns `(y, (μ, σ²))`: batch statistics if `stats` is None, else `stats` used."""
        if stats is None:
            mean, var = jnp.mean(x, axis=(0, 2, 3)), jnp.var(x, axis=(0, 2, 3))
        else:
            mean, var = stats
        inv = jax.lax.rsqrt(var + self.eps) * self.weight
        y = (x - mean[:, None, None]) * inv[:, None, None] + self.bias[:, None, None]
        return y, (mean, var)


def _batched(layer, x):
    return jax.vmap(layer)(x)


class Generator(eqx.Module):
    """z (B, L) → images (B, C, S, S) in [-1, 1]; `width` channels before the last layer."""

    layers: tuple
    norms: tuple
    latent_dim: int = eqx.field(static=True)

    def __init__(self, key, latent_dim: int, image_size: int = 8, channels: int = 1,
                 width: int = 64, dtype=None):
        base, ups = image_layout(image_size)
        for name, value in (("latent_dim", latent_dim), ("channels", channels),
                            ("width", width)):
            check_real(name, value, positive=True, integer=True)
        sizes = [width * 2 ** (ups - 1 - i) for i in range(ups)] + [channels]
        keys = jax.random.split(key, ups + 1)
        first = eqx.nn.ConvTranspose2d(latent_dim, sizes[0], base, key=keys[0], dtype=dtype)
        rest = [eqx.nn.ConvTranspose2d(sizes[i], sizes[i + 1], 4, stride=2, padding=1,
                                       key=keys[i + 1], dtype=dtype) for i in range(ups)]
        self.layers = (first, *rest)
        self.norms = tuple(BatchNorm(c, dtype) for c in sizes[:-1])
        self.latent_dim = int(latent_dim)

    def __call__(self, z, stats=None):
        """Returns `(images, batch_stats)`; `stats` (from `GANState.running`) selects evaluation
        mode (the statistics used are returned)."""
        x = z[:, :, None, None]
        used = []
        for i, layer in enumerate(self.layers):
            x = _batched(layer, x)
            if i < len(self.norms):
                x, s = self.norms[i](x, None if stats is None else stats[i])
                used.append(s)
                x = jax.nn.relu(x)
        return jnp.tanh(x), tuple(used)


class Discriminator(eqx.Module):
    """images (B, C, S, S) → logits (B,), batch norm in training mode."""

    layers: tuple
    norms: tuple

    def __init__(self, key, image_size: int = 8, channels: int = 1, width: int = 64,
                 dtype=None):
        base, ups = image_layout(image_size)
        sizes = [channels] + [width * 2**i for i in range(ups)]
        keys = jax.random.split(key, ups + 1)
        convs = [eqx.nn.Conv2d(sizes[i], sizes[i + 1], 4, stride=2, padding=1, key=keys[i],
                               dtype=dtype) for i in range(ups)]
        last = eqx.nn.Conv2d(sizes[-1], 1, base, key=keys[-1], dtype=dtype)
        self.layers = (*convs, last)
        self.norms = tuple(BatchNorm(c, dtype) for c in sizes[2:])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, S, S): the images this discriminator takes (S = b·2^u, b the last kernel)."""
        size = self.layers[-1].kernel_size[0] * 2 ** (len(self.layers) - 1)
        return self.layers[0].in_channels, size, size

    def __call__(self, images):
        x = images
        for i, layer in enumerate(self.layers[:-1]):
            x = _batched(layer, x)
            if i > 0:
                x, _ = self.norms[i - 1](x)
            x = jax.nn.leaky_relu(x, LEAK)
        return _batched(self.layers[-1], x).reshape(-1)


def discriminator_loss(discriminator, real, fake):
    """L_D = mean softplus(-D(real)) + mean softplus(D(fake))."""
    return (jnp.mean(jax.nn.softplus(-discriminator(real)))
            + jnp.mean(jax.nn.softplus(discriminator(fake))))


def generator_loss(generator, discriminator, z):
    """Non-saturating L_G = mean softplus(-D(G(z))); aux: the generator's batch statistics."""
    fake, stats = generator(z)
    return jnp.mean(jax.nn.softplus(-discriminator(fake))), stats


class GANState(eqx.Module):
    """Everything a training run carries: both networks, their Adam states, the generator's
    running batch-norm statistics, the latent stream's state, the PRNG key and the step."""

    generator: Generator
    discriminator: Discriminator
    g_opt: optax.OptState
    d_opt: optax.OptState
    running: tuple
    latent: object
    key: jax.Array
    step: jax.Array

    def sample(self, z):
        """Images for latents z (B, L) from this state's generator (`gan_sample`)."""
        return gan_sample(self.generator, self.running, z)


class GANTrainer(eqx.Module):
    """The training step of a GAN with latent source `source` (`ChaosLatent`/`GaussianLatent`):
    Adam(learning_rate, β1, β2) for both networks, `batch` images and latents per step."""

    source: eqx.Module
    batch: int = eqx.field(static=True, default=64)
    learning_rate: float = eqx.field(static=True, default=2e-4)
    beta1: float = eqx.field(static=True, default=0.5)
    beta2: float = eqx.field(static=True, default=0.999)

    def __check_init__(self):
        check_real("batch", self.batch, positive=True, integer=True)
        check_real("learning_rate", self.learning_rate, positive=True)
        for name in ("beta1", "beta2"):
            check_real(name, getattr(self, name), nonnegative=True, below=1.0)

    @property
    def optimizer(self):
        return optax.adam(self.learning_rate, b1=self.beta1, b2=self.beta2)

    def init(self, key, generator: Generator, discriminator: Discriminator) -> GANState:
        """Fresh Adam states, running stats (μ = 0, σ² = 1) and a warmed-up latent stream."""
        if generator.latent_dim != self.source.dim:
            raise ConfigError(f"the generator takes {generator.latent_dim} latents, the source "
                              f"gives {self.source.dim}")
        key_latent, key = jax.random.split(key)
        params = (eqx.filter(generator, eqx.is_inexact_array),
                  eqx.filter(discriminator, eqx.is_inexact_array))
        running = tuple((jnp.zeros_like(n.weight), jnp.ones_like(n.weight))
                        for n in generator.norms)
        return GANState(generator, discriminator, self.optimizer.init(params[0]),
                        self.optimizer.init(params[1]), running,
                        self.source.init(key_latent, self.batch), key,
                        jnp.zeros((), jnp.int32))

    def step(self, state: GANState, data):
        """One D update and one G update; `data` (M, C, S, S). Returns `(state, (L_D, L_G))`,
        the losses before the updates."""
        expected = state.discriminator.image_shape
        if data.ndim != 4 or tuple(data.shape[1:]) != expected or not data.shape[0]:
            raise ConfigError(f"data must be images (M, C, S, S) with (C, S, S) = {expected} "
                              f"for this GAN, got shape {tuple(data.shape)}")
        key, key_batch = jax.random.split(state.key)
        real = data[jax.random.randint(key_batch, (self.batch,), 0, data.shape[0])]
        latent, z = self.source.next(state.latent)
        fake = jax.lax.stop_gradient(state.generator(z)[0])
        d_loss, d_grads = eqx.filter_value_and_grad(discriminator_loss)(
            state.discriminator, real, fake)
        discriminator, d_opt = self._update(state.discriminator, d_grads, state.d_opt)
        (g_loss, stats), g_grads = eqx.filter_value_and_grad(generator_loss, has_aux=True)(
            state.generator, discriminator, z)
        generator, g_opt = self._update(state.generator, g_grads, state.g_opt)
        running = jax.tree_util.tree_map(lambda r, s: (1 - BN_MOMENTUM) * r + BN_MOMENTUM * s,
                                         state.running, stats)
        new = GANState(generator, discriminator, g_opt, d_opt, running, latent, key,
                       state.step + 1)
        return new, (d_loss, g_loss)

    def _update(self, model, grads, opt_state):
        updates, opt_state = self.optimizer.update(
            grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state


@eqx.filter_jit
def gan_step(trainer: GANTrainer, state: GANState, data):
    """One training step, compiled: `trainer.step(state, data)` (one discriminator update on
    `trainer.batch` images drawn from `data` (M, C, S, S) and as many generated ones, then one
    generator update, L_G non-saturating), returning `(state, (L_D, L_G))` with the losses
    before the updates. A training loop:

        state = trainer.init(key, generator, discriminator)
        for _ in range(steps):
            state, (d_loss, g_loss) = jc.gan_step(trainer, state, images)

    Run steps from a Python loop: on XLA CPU a `lax.scan` over these convolutions runs about 2x
    slower per step (scripts/benchmark_gan.py)."""
    return trainer.step(state, data)


def gan_sample(generator: Generator, running, z):
    """The sampler: images G(z) (B, C, S, S) in [-1, 1] for latents z (B, L), in evaluation
    mode (batch norm with the `running` statistics of `GANState.running`, so each image depends
    on its own latent only). `state.sample(z)` is the same for a `GANState`; latents come from
    the source, e.g. `trainer.source.next(latent_state)`."""
    return generator(z, running)[0]


def _keys_to_data(tree):
    return jax.tree_util.tree_map(
        lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _is_key(x):
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def save_checkpoint(path, state: GANState):
    """Write `state` with `eqx.tree_serialise_leaves` (PRNG keys as their raw data)."""
    eqx.tree_serialise_leaves(path, _keys_to_data(state))


def load_checkpoint(path, like: GANState) -> GANState:
    """Read a checkpoint written by `save_checkpoint` into the structure of `like`."""
    loaded = eqx.tree_deserialise_leaves(path, _keys_to_data(like))
    return jax.tree_util.tree_map(
        lambda x, ref: jax.random.wrap_key_data(x, impl=jax.random.key_impl(ref))
        if _is_key(ref) else x, loaded, like)
