"""External inputs I(t) to a rate network: constant, sinusoidal (common or independent), or any
function of time. Each is called as `input(t)` and returns a scalar or an (N,) array."""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

from ._errors import check_real


class AbstractInput(eqx.Module):
    """External input I(t), added to every neuron's drive."""

    @abc.abstractmethod
    def __call__(self, t):
        """I(t): a scalar (common to all neurons) or an (N,) array."""


class ConstantInput(AbstractInput):
    """I_i(t) = value (a scalar for all neurons, or one value per neuron)."""

    value: jax.Array

    def __init__(self, value=0.0):
        self.value = jnp.asarray(check_real("input value", value))

    def __call__(self, t):
        return self.value


class SinusoidalInput(AbstractInput):
    """I_i(t) = amplitude · sin(2π · frequency · t + phase_i).

    Equal phases give an input common to all neurons; phases drawn independently per neuron
    (Rajan, Abbott & Sompolinsky 2010) give independent inputs with the same power spectrum.
    """

    amplitude: jax.Array
    frequency: jax.Array
    phase: jax.Array

    def __init__(self, amplitude, frequency, phase=0.0):
        self.amplitude = jnp.asarray(check_real("input amplitude", amplitude, nonnegative=True))
        self.frequency = jnp.asarray(check_real("input frequency", frequency, nonnegative=True))
        self.phase = jnp.asarray(check_real("input phase", phase))

    @classmethod
    def independent(cls, key, n: int, amplitude, frequency):
        """Phases uniform on [0, 2π), independently per neuron."""
        return cls(amplitude, frequency, jax.random.uniform(key, (n,), maxval=2 * jnp.pi))

    def __call__(self, t):
        return self.amplitude * jnp.sin(2 * jnp.pi * self.frequency * t + self.phase)


class FunctionInput(AbstractInput):
    """I(t) = fn(t) for any JAX-traceable function of time."""

    fn: Callable = eqx.field(static=True)

    def __call__(self, t):
        return self.fn(t)
