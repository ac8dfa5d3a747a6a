"""Cells from outside jaxchaos: any pure step `h_{t+1} = f(params, h_t, x_t)`, and flax cells.

`FunctionCell` makes a jaxchaos `AbstractCell` of a pure function and its parameter pytree, so
that `Flossing` (differentiable finite-time exponents, the flossing loss) and, through
`DrivenCell`, `lyapunov_spectrum` apply to it; the step Jacobian is taken by forward-mode AD
(`jax.linearize`), and gradients of a loss reach every inexact array leaf of `params`.

`flax_cell` adapts a flax recurrent cell (linen or nnx: `SimpleCell`, `GRUCell`, `LSTMCell`,
`MGUCell`, or any module called as `cell(carry, x) -> (new_carry, output)`) to a `FunctionCell`.
A carry that is a pytree (the LSTM's `(c, h)`) is flattened into one state vector of the
concatenated leaves, so the exponents are those of the full state. flax is an optional
dependency (`pip install jaxchaos[flax]`), imported only when `flax_cell` is called.

flax's `Dense`/`Linear` use JAX's default matmul precision, which on GPUs is TF32 for float32:
for exponents on a GPU in float32, run under `jax.default_matmul_precision("highest")` or use
float64 parameters (`param_dtype=jnp.float64` with `jax_enable_x64`).
"""

import math
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, check_real
from ._rnn import AbstractCell


class FunctionCell(AbstractCell):
    """The cell `h_{t+1} = step(params, h_t, x_t)` for a state h of shape (N,) and an input x of
    shape (n_in,). `params` is trained (its inexact array leaves); `step` must be pure."""

    params: Any
    step: Callable = eqx.field(static=True)
    n_units: int = eqx.field(static=True)
    n_inputs: int = eqx.field(static=True)

    def __check_init__(self):
        check_real("n_units", self.n_units, positive=True, integer=True)
        check_real("n_inputs", self.n_inputs, positive=True, integer=True)
        if not callable(self.step):
            raise ConfigError(f"step must be a function step(params, h, x), got {self.step!r}")

    @property
    def n(self) -> int:
        return self.n_units

    @property
    def n_in(self) -> int:
        return self.n_inputs

    def __call__(self, h, x):
        return self.step(self.params, h, x)


class _CarryLayout(eqx.Module):
    """Flattens a carry pytree into one vector and back, keeping the vector's dtype (unlike
    `ravel_pytree`, whose unravel casts to the template's dtypes)."""

    treedef: Any = eqx.field(static=True)
    shapes: tuple = eqx.field(static=True)

    @classmethod
    def of(cls, carry) -> "_CarryLayout":
        leaves, treedef = jax.tree.flatten(carry)
        return cls(treedef, tuple(tuple(jnp.shape(leaf)) for leaf in leaves))

    @property
    def size(self) -> int:
        return sum(math.prod(shape) for shape in self.shapes)

    def ravel(self, carry):
        leaves = jax.tree.leaves(carry)
        return leaves[0] if len(leaves) == 1 else jnp.concatenate([jnp.ravel(x) for x in leaves])

    def unravel(self, h):
        if len(self.shapes) == 1:
            return jax.tree.unflatten(self.treedef, [h.reshape(self.shapes[0])])
        leaves, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            leaves.append(h[start:start + size].reshape(shape))
            start += size
        return jax.tree.unflatten(self.treedef, leaves)


def _import_flax():
    try:
        from flax import linen, nnx
    except ImportError:
        raise ImportError("flax_cell needs flax: pip install 'jaxchaos[flax]'") from None
    return linen, nnx


def flax_cell(module, variables=None, *, n_in: int | None = None) -> FunctionCell:
    """A `FunctionCell` of a flax recurrent cell, `h_{t+1} = new_carry(cell(h_t, x_t))`.

    - linen: `flax_cell(module, variables, n_in=...)` with `variables = module.init(...)`; the
      trained parameters are `variables`.
    - nnx: `flax_cell(module)` (`n_in` defaults to `module.in_features`); the trained parameters
      are the module's state (`nnx.split`), and `nnx.merge(graphdef, cell.params)` rebuilds the
      module from a trained cell.

    The carry layout (shape, or the leaves of a pytree carry) comes from the cell's
    `initialize_carry` for one unbatched input of size `n_in`.
    """
    linen, nnx = _import_flax()
    if isinstance(module, linen.Module):
        if variables is None:
            raise ConfigError("variables: a linen cell needs its variables (module.init(...))")
        if n_in is None:
            raise ConfigError("n_in: give the input size of the linen cell")
        layout = _CarryLayout.of(module.initialize_carry(jax.random.key(0), (n_in,)))

        def step(params, h, x):
            return layout.ravel(module.apply(params, layout.unravel(h), x)[0])

        params = variables
    elif isinstance(module, nnx.Module):
        if variables is not None:
            raise ConfigError("variables: an nnx cell holds its own parameters; pass none")
        n_in = getattr(module, "in_features", None) if n_in is None else n_in
        if n_in is None:
            raise ConfigError("n_in: give the input size of the nnx cell")
        layout = _CarryLayout.of(module.initialize_carry((n_in,), nnx.Rngs(0)))
        graphdef, params = nnx.split(module)

        def step(params, h, x):
            return layout.ravel(nnx.merge(graphdef, params)(layout.unravel(h), x)[0])

    else:
        raise ConfigError(f"module must be a flax linen or nnx cell, got {type(module).__name__}")
    check_real("n_in", n_in, positive=True, integer=True)
    return FunctionCell(params, step, layout.size, int(n_in))
