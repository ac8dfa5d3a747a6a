"""Parameter sweeps: a function evaluated on a grid of named scalars as one compiled program.

`Sweep(fn, axes)` nests one `vmap` per named axis and shards one axis across devices with
`shard_map` (no communication: grid points are independent). A quantity that depends only on
some axes is not batched over the others, so a coupling matrix drawn from the seed is shared by
every gain of that seed, and the gain axis turns each matrix-vector product into one
matrix-matrix product (`W @ Φ`, Φ of shape (N, n_gains)): the fast path of the hardware.

Several hosts: start the same program on every host and call `jax.distributed.initialize()`
first (coordinator address, process count and id as arguments, or read from SLURM/Open MPI);
`jax.devices()` then lists the devices of all hosts and the same `Sweep` shards the grid over
all of them. Its outputs are then global arrays of which each host holds its own shards;
`jax.experimental.multihost_utils.process_allgather(out)` gives every host the whole grid.
(The multi-host path follows JAX's documented multi-controller model; the test suite covers the
single-host, multi-device case with fake CPU devices.)
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

from ._errors import ConfigError, check_real

_MESH_AXIS = "grid"


class Sweep:
    """Evaluate `fn(point, *args)` on the product grid of `axes`, compiled once.

    **Arguments:**
    - `fn`: `fn(point, *args) -> pytree`; `point` maps each axis name to a scalar.
    - `axes`: dict name → 1-D values (the grid is their Cartesian product, in this order).
    - `devices`: devices to shard over (default: all of `jax.devices()`).
    - `shard_axis`: the axis name to split across devices (default: the first whose length the
      device count divides, else the longest, padded by repeating its last value).

    Calling the sweep with `*args` (pytrees whose leaves have leading dimensions equal to the grid
    shape, such as the states returned by a previous call) returns a pytree whose leaves have
    leading dimensions `grid_shape = tuple(len(v) for v in axes.values())`.
    """

    def __init__(self, fn: Callable, axes: dict, *, devices=None, shard_axis: str | None = None):
        if not axes:
            raise ConfigError("a sweep needs at least one axis")
        self.names = tuple(axes)
        self.values = []
        for name, values in axes.items():
            array = np.asarray(values)
            if array.ndim != 1 or array.size == 0:
                raise ConfigError(f"sweep axis {name!r} must be a non-empty 1-D list of values")
            check_real(f"sweep axis {name!r}", array)
            self.values.append(array)
        self.grid_shape = tuple(len(v) for v in self.values)
        self.devices = list(jax.devices() if devices is None else devices)
        self.shard_index = self._choose_shard_axis(shard_axis)
        length = self.grid_shape[self.shard_index]
        self.padded_length = -(-length // len(self.devices)) * len(self.devices)
        self._fn = fn
        self._compiled = {}

    def _choose_shard_axis(self, shard_axis):
        if shard_axis is not None:
            if shard_axis not in self.names:
                raise ConfigError(f"shard_axis {shard_axis!r} is not one of {list(self.names)}")
            return self.names.index(shard_axis)
        n_dev = len(self.devices)
        for index, length in enumerate(self.grid_shape):
            if length % n_dev == 0:
                return index
        return int(np.argmax(self.grid_shape))

    def _pad(self, array, axis):
        extra = self.padded_length - array.shape[axis]
        if extra == 0:
            return array
        edge = jnp.take(array, jnp.array([array.shape[axis] - 1]), axis=axis)
        return jnp.concatenate([array, jnp.repeat(edge, extra, axis=axis)], axis=axis)

    def _build(self, n_args):
        names, shard = self.names, self.shard_index

        def at_point(*values_and_args):
            values, args = values_and_args[: len(names)], values_and_args[len(names) :]
            return self._fn(dict(zip(names, values, strict=True)), *args)

        mapped = at_point
        for depth in reversed(range(len(names))):
            in_axes = tuple(0 if i == depth else None for i in range(len(names)))
            mapped = jax.vmap(mapped, in_axes=in_axes + (0,) * n_args)

        # Values enter as separate 1-D arrays: the grid is formed by the nested vmaps. Batched
        # arguments carry every grid axis; outputs do too.
        grid_spec = PartitionSpec(*([None] * shard + [_MESH_AXIS]))
        value_specs = tuple(
            PartitionSpec(_MESH_AXIS) if i == shard else PartitionSpec() for i in range(len(names))
        )
        mesh = Mesh(np.asarray(self.devices), (_MESH_AXIS,))
        sharded = jax.shard_map(
            mapped,
            mesh=mesh,
            in_specs=value_specs + (grid_spec,) * n_args,
            out_specs=grid_spec,
            check_vma=False,
        )
        return jax.jit(sharded)

    def __call__(self, *args):
        n_args = len(args)
        if n_args not in self._compiled:
            self._compiled[n_args] = self._build(n_args)
        for leaf in jax.tree_util.tree_leaves(args):
            if tuple(jnp.shape(leaf)[: len(self.grid_shape)]) != self.grid_shape:
                raise ConfigError(
                    f"sweep arguments must have leading grid dimensions {self.grid_shape}, "
                    f"got an array of shape {jnp.shape(leaf)}"
                )
        shard = self.shard_index
        values = [jnp.asarray(v) for v in self.values]
        values[shard] = self._pad(values[shard], 0)
        args = jax.tree_util.tree_map(lambda a: self._pad(jnp.asarray(a), shard), args)
        out = self._compiled[n_args](*values, *args)
        length = self.grid_shape[shard]
        return jax.tree_util.tree_map(
            lambda a: jax.lax.slice_in_dim(a, 0, length, axis=shard), out
        )


def sweep(fn: Callable, axes: dict, *args, devices=None, shard_axis=None):
    """One-shot `Sweep(fn, axes, devices=..., shard_axis=...)(*args)`."""
    return Sweep(fn, axes, devices=devices, shard_axis=shard_axis)(*args)
