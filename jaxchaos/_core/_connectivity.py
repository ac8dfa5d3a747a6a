"""Random connectivity of unit gain, drawn from a key.

A network's coupling is `g * W` with `W` from `Connectivity.sample`, so a sweep over the gain g
shares one matrix per seed. Conventions (N neurons, K inputs per neuron when sparse):

- dense: `W_ij = z_ij / √N`, z ~ N(0, 1), so `J = g W` has `J_ij ~ N(0, g²/N)` (SCS 1988);
- sparse: each row has exactly K non-zero entries at random columns, `W_ij = z_ij / √K`, so the
  summed input variance `Σ_j J_ij²` is g² as in the dense case;
- E/I blocks (Aljadeff et al. 2015; Kadmon & Sompolinsky 2015): the first `round(f_E N)` neurons
  are excitatory, the rest inhibitory; an entry from population b to a has standard deviation
  `block_std[a][b] / √M` and mean `block_mean[a][b] / M`, with M = N (dense) or K (sparse);
- `zero_diagonal=True` sets `W_ii = 0` (no self-coupling); then `trace(J diag φ') = 0` and the SCS
  Lyapunov exponents sum to exactly -N.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._ensembles import AbstractEnsemble
from ._errors import ConfigError, check_choice, check_real

CONNECTIVITY_KINDS = ("dense", "sparse")


class Connectivity(AbstractEnsemble):
    """How to draw the unit-gain coupling matrix W as a dense array (see the module docstring);
    the sparse, Dale's-law, balanced, partially symmetric and low-rank ensembles, stored
    sparsely, are `Ensemble` and `LowRankEnsemble`."""

    kind: str = eqx.field(static=True, default="dense")
    k: int | None = eqx.field(static=True, default=None)
    zero_diagonal: bool = eqx.field(static=True, default=True)
    excitatory_fraction: float | None = eqx.field(static=True, default=None)
    block_std: tuple = eqx.field(static=True, default=((1.0, 1.0), (1.0, 1.0)))
    block_mean: tuple = eqx.field(static=True, default=((0.0, 0.0), (0.0, 0.0)))

    def __check_init__(self):
        check_choice("connectivity kind", self.kind, CONNECTIVITY_KINDS)
        if self.kind == "sparse":
            if self.k is None:
                raise ConfigError("sparse connectivity needs k (inputs per neuron)")
            check_real("connectivity k", self.k, positive=True, integer=True)
        elif self.k is not None:
            raise ConfigError("connectivity k is only used by kind = 'sparse'")
        if self.excitatory_fraction is not None:
            check_real("excitatory_fraction", self.excitatory_fraction, nonnegative=True)
            if not 0.0 < self.excitatory_fraction < 1.0:
                raise ConfigError("excitatory_fraction must lie strictly between 0 and 1")
        for name in ("block_std", "block_mean"):
            value = getattr(self, name)
            if np.shape(value) != (2, 2):
                raise ConfigError(f"{name} must be a 2x2 nested list, got {value!r}")
            check_real(name, value, nonnegative=name == "block_std")

    def check_size(self, n: int):
        """Raise unless this connectivity can be drawn for `n` neurons."""
        available = n - 1 if self.zero_diagonal else n
        if self.kind == "sparse" and self.k > available:
            raise ConfigError(f"connectivity k = {self.k} exceeds the {available} possible inputs")

    def population(self, n: int) -> np.ndarray:
        """Population index of each neuron: 0 excitatory, 1 inhibitory (all 0 without blocks)."""
        labels = np.zeros(n, dtype=int)
        if self.excitatory_fraction is not None:
            labels[int(round(self.excitatory_fraction * n)) :] = 1
        return labels

    def sample(self, key, n: int, dtype=None) -> jax.Array:
        """Draw W, shape (n, n): row i holds the inputs of neuron i."""
        key_w, key_mask = jax.random.split(key)
        z = jax.random.normal(key_w, (n, n), dtype=dtype)
        if self.kind == "dense":
            mask, m = None, n
        else:
            scores = jax.random.uniform(key_mask, (n, n))
            if self.zero_diagonal:
                scores = jnp.where(jnp.eye(n, dtype=bool), -1.0, scores)
            threshold = jnp.sort(scores, axis=1)[:, n - self.k][:, None]
            mask, m = scores >= threshold, self.k
        if self.excitatory_fraction is None:
            w = z / np.sqrt(m)
        else:
            pop = self.population(n)
            std = np.asarray(self.block_std)[pop[:, None], pop[None, :]]
            mean = np.asarray(self.block_mean)[pop[:, None], pop[None, :]]
            w = z * (std / np.sqrt(m)) + mean / m
        if mask is not None:
            w = jnp.where(mask, w, 0.0)
        if self.zero_diagonal:
            w = w * (1.0 - jnp.eye(n, dtype=w.dtype))
        return w
