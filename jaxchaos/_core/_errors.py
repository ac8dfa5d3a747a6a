"""Errors jaxchaos raises, and the eager argument checks that raise them before compilation."""

import math
import sys

import numpy as np


class ConfigError(ValueError):
    """A parameter, argument or configuration entry is invalid. The message names the field."""


class AccuracyWarning(UserWarning):
    """A numerical result's own error estimate exceeds its documented tolerance; the message
    names the estimate, the tolerance and the argument that raises the resolution."""


class DivergenceError(FloatingPointError):
    """A simulation produced NaN or inf; the message says when (step, time) and for which
    parameters."""


def check_real(name: str, value, *, positive=False, nonnegative=False, integer=False, below=None):
    """Raise `ConfigError` naming `name` unless every element of `value` is finite and in range.

    Traced values (inside `jit`/`vmap`) are not checked; every public entry point checks its
    arguments eagerly before tracing.
    """
    if value is None:
        return value
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        if _is_tracer_error(err):
            return value  # traced: checked eagerly by the public entry point
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{name} must be finite, got {value!r}")
    if positive and not np.all(arr > 0):
        raise ConfigError(f"{name} must be > 0, got {value!r}")
    if nonnegative and not np.all(arr >= 0):
        raise ConfigError(f"{name} must be >= 0, got {value!r}")
    if integer and not np.all(arr == np.round(arr)):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if below is not None and not np.all(arr < below):
        raise ConfigError(f"{name} must be < {below}, got {value!r}")
    return value


def _is_tracer_error(err: Exception) -> bool:
    """Whether `err` comes from converting a traced JAX value (only possible once JAX is
    imported: config checks run without it)."""
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(
        err, (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError))


def check_choice(name: str, value: str, choices) -> str:
    """Raise `ConfigError` unless `value` is one of `choices` (and list them)."""
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choose one of {sorted(choices)}")
    return value


def check_shape(name: str, array, shape: tuple[int, ...]):
    """Raise `ConfigError` unless `array.shape == shape`."""
    if tuple(np.shape(array)) != tuple(shape):
        raise ConfigError(f"{name} must have shape {tuple(shape)}, got {tuple(np.shape(array))}")
    return array


def check_steps(name: str, span: float, step: float, step_name: str = "dt") -> int:
    """Number of `step`s in `span`; raise unless `span` is a whole multiple of `step`."""
    n = span / step
    if not math.isclose(n, round(n), rel_tol=0, abs_tol=1e-9 * max(1.0, n)):
        raise ConfigError(f"{name} = {span} must be a whole multiple of {step_name} = {step}")
    return int(round(n))
