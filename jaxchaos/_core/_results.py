"""How results print: their numbers, not only shapes (`f64[]`).

`result_repr` is the `__repr__` of every result class (simulations and their states, spectra,
mean-field solutions, response kernels, spike runs, ...): `Name(field=value, ...)` with the
values of small arrays, and shape, dtype, first and last elements of large ones (dicts and
tuples of them item by item). Inside `jit` (traced fields) it falls back to equinox's printing.
"""

import dataclasses

import equinox as eqx
import jax
import numpy as np

_SHOWN = 8  # arrays with up to this many elements print in full


def _value(value) -> str:
    if isinstance(value, jax.Array) and jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
        return f"key{list(value.shape)}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)) and value:
        return f"({', '.join(_value(v) for v in value)}{',' if len(value) == 1 else ''})"
    if isinstance(value, (jax.Array, np.ndarray)):
        array = np.asarray(value)
        if array.ndim == 0:
            return f"{array.item():.10g}" if array.dtype.kind in "fc" else str(array.item())
        if array.size <= _SHOWN:
            return np.array2string(array, precision=6, separator=", ")
        flat = array.ravel()
        return (f"{array.dtype}{list(array.shape)}[{flat[0]:.6g}, {flat[1]:.6g}, ..., "
                f"{flat[-1]:.6g}]")
    if isinstance(value, eqx.Module):
        return type(value).__name__ + "(...)"
    return repr(value)


def result_repr(result) -> str:
    leaves = jax.tree.leaves(result)
    if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        return eqx.tree_pformat(result)
    fields = ", ".join(f"{field.name}={_value(getattr(result, field.name))}"
                       for field in dataclasses.fields(result))
    return f"{type(result).__name__}({fields})"
