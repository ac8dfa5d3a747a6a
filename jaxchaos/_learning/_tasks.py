"""Tasks with long time horizons for RNN training, the delay d a parameter.

Each task draws a batch `(inputs (B, T, n_in), targets (B, T, n_out), mask (T,))` from a key;
the loss is the mean squared error over the steps where `mask` is true and the accuracy the
fraction of those steps where the output has the target's sign (targets are ±1, chance 1/2).
The output y_t is read after the network has seen x_t (see `RNN`).

- `DelayedCopy(delay, length)`: x_t = ±1 at random; y_t = x_{t-d} for t ≥ d.
- `DelayedXOR(delay, length)`: x_t = ±1 at random; y_t = XOR(x_t, x_{t-d}) in ±1 coding
  (true = +1), i.e. y_t = -x_t x_{t-d}, for t ≥ d: the network must hold a bit for d steps and
  combine it nonlinearly with the present input.
- `DelayedRecall(delay)`: a single cue x_0 = ±1, then d silent steps (T = d + 1); only the last
  output counts, y_d = x_0. The gradient must cross the whole horizon.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError


def _check_int(name, value, least):
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ConfigError(f"{name} must be an integer >= {least}, got {value!r}")


def _bits(key, shape, dtype):
    """Random ±1 entries (default float dtype unless `dtype` is given)."""
    bits = jnp.where(jax.random.bernoulli(key, 0.5, shape), 1.0, -1.0)
    return bits if dtype is None else bits.astype(dtype)


class AbstractTask(eqx.Module):
    """A sequence task: `sample(key, batch)`, `loss` and `accuracy` of the network's outputs."""

    delay: eqx.AbstractVar[int]

    @property
    @abc.abstractmethod
    def length(self) -> int:
        """Sequence length T."""

    n_in = 1
    n_out = 1

    @abc.abstractmethod
    def sample(self, key, batch: int, dtype=None):
        """`(inputs (B, T, n_in), targets (B, T, n_out), mask (T,))`."""

    @staticmethod
    def loss(outputs, targets, mask):
        """Mean squared error over the masked steps (and the batch and output dimensions)."""
        weights = mask[None, :, None] / (jnp.sum(mask) * outputs.shape[0] * outputs.shape[2])
        return jnp.sum(weights * (outputs - targets) ** 2)

    @staticmethod
    def accuracy(outputs, targets, mask):
        """Fraction of the masked outputs with the target's sign."""
        correct = jnp.sign(outputs) == jnp.sign(targets)
        weights = mask[None, :, None] / (jnp.sum(mask) * outputs.shape[0] * outputs.shape[2])
        return jnp.sum(weights * correct)


class DelayedCopy(AbstractTask):
    """y_t = x_{t-d} for t ≥ d, with x_t = ±1 at random, over T = `length` steps."""

    delay: int = eqx.field(static=True)
    steps: int = eqx.field(static=True)

    def __init__(self, delay: int, length: int):
        _check_int("delay", delay, 0)
        _check_int("length", length, delay + 1)
        self.delay, self.steps = delay, length

    @property
    def length(self) -> int:
        return self.steps

    def sample(self, key, batch, dtype=None):
        x = _bits(key, (batch, self.steps, 1), dtype)
        y = jnp.roll(x, self.delay, axis=1)
        return x, y, jnp.arange(self.steps) >= self.delay


class DelayedXOR(AbstractTask):
    """y_t = XOR(x_t, x_{t-d}) = -x_t x_{t-d} (±1 coding) for t ≥ d, over T = `length` steps."""

    delay: int = eqx.field(static=True)
    steps: int = eqx.field(static=True)

    def __init__(self, delay: int, length: int):
        _check_int("delay", delay, 1)
        _check_int("length", length, delay + 1)
        self.delay, self.steps = delay, length

    @property
    def length(self) -> int:
        return self.steps

    def sample(self, key, batch, dtype=None):
        x = _bits(key, (batch, self.steps, 1), dtype)
        y = -x * jnp.roll(x, self.delay, axis=1)
        return x, y, jnp.arange(self.steps) >= self.delay


class DelayedRecall(AbstractTask):
    """A cue x_0 = ±1, then d zero inputs; the last output must be y_d = x_0 (T = d + 1)."""

    delay: int = eqx.field(static=True)

    def __init__(self, delay: int):
        _check_int("delay", delay, 1)
        self.delay = delay

    @property
    def length(self) -> int:
        return self.delay + 1

    def sample(self, key, batch, dtype=None):
        cue = _bits(key, (batch, 1, 1), dtype)
        x = jnp.concatenate([cue, jnp.zeros((batch, self.delay, 1), cue.dtype)], axis=1)
        y = jnp.broadcast_to(cue, x.shape)
        return x, y, jnp.arange(self.length) == self.delay


TASKS = {"copy": DelayedCopy, "xor": DelayedXOR, "recall": DelayedRecall}
