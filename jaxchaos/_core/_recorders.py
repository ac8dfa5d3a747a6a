"""What a simulation keeps, computed on the fly every record interval.

A recorder is a pure triple: `init(x0) -> carry`, `update(carry, t, x) -> (carry, output)`,
`finalize(carry, outputs) -> arrays`, where `outputs` stacks the per-record `output`s (None for
pure accumulators): one array for a recorder of one quantity (`Trajectory`: `records[name]` is
x(t) itself), a dict of named arrays for several (`Moments`, `Autocorrelation`). Accumulators
hold O(N) or O(N·max_lag) memory however long the run, so long runs of large networks need not
keep their trajectory.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._errors import ConfigError, check_real


class AbstractRecorder(eqx.Module):
    """Something computed from the state at every record time."""

    @abc.abstractmethod
    def init(self, x0):
        """The initial carry."""

    @abc.abstractmethod
    def update(self, carry, t, x):
        """Returns (new carry, per-record output or None)."""

    @abc.abstractmethod
    def finalize(self, carry, outputs):
        """The recorded array, or a dict of named arrays for a recorder of several
        quantities."""


class Trajectory(AbstractRecorder):
    """x(t) of the chosen neurons at every record time: `records[name]` is the array
    (n_records, n_neurons) itself."""

    neurons: tuple[int, ...] | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        if self.neurons is not None and any(i < 0 for i in self.neurons):
            raise ConfigError("trajectory neurons must be non-negative indices")

    def init(self, x0):
        if self.neurons is not None and max(self.neurons, default=-1) >= x0.shape[0]:
            raise ConfigError(f"trajectory neurons exceed the network size {x0.shape[0]}")
        return None

    def update(self, carry, t, x):
        return carry, (x if self.neurons is None else x[np.asarray(self.neurons)])

    def finalize(self, carry, outputs):
        return outputs


def _after(t, start):
    return t >= start - 1e-9 * jnp.maximum(1.0, jnp.abs(start))


class Moments(AbstractRecorder):
    """Per-neuron running mean and variance over time (Welford), from time `start` on.

    Returns `mean` (N,), `var` (N,) (population variance over the recorded times) and `count`.
    """

    start: float = 0.0

    def __check_init__(self):
        check_real("Moments start", self.start)

    def init(self, x0):
        zeros = jnp.zeros_like(x0)
        return jnp.zeros((), x0.dtype), zeros, zeros

    def update(self, carry, t, x):
        count, mean, m2 = carry
        on = _after(t, self.start)
        new_count = count + on
        delta = x - mean
        new_mean = mean + jnp.where(on, delta / jnp.maximum(new_count, 1), 0.0)
        new_m2 = m2 + jnp.where(on, delta * (x - new_mean), 0.0)
        return (new_count, new_mean, new_m2), None

    def finalize(self, carry, outputs):
        count, mean, m2 = carry
        return {"mean": mean, "var": m2 / jnp.maximum(count, 1), "count": count}


class Autocorrelation(AbstractRecorder):
    """Population-averaged autocorrelation at lags 0..max_lag record intervals, from `start` on:

        C(l) = (1/N) Σ_i ⟨x_i(t) x_i(t - l)⟩_t   (raw second moment; subtract the mean² if needed)

    Kept as running sums over a ring buffer of the last max_lag+1 states: O(N · max_lag) memory.
    Returns `corr` (max_lag+1,) and `pairs` (the number of time pairs at each lag).
    """

    max_lag: int = eqx.field(static=True)
    start: float = 0.0

    def __check_init__(self):
        check_real("max_lag", self.max_lag, positive=True, integer=True)
        check_real("Autocorrelation start", self.start)

    def init(self, x0):
        lags = self.max_lag + 1
        buffer = jnp.zeros((lags, x0.shape[0]), x0.dtype)
        sums = jnp.zeros(lags, x0.dtype)
        return jnp.zeros((), jnp.int32), buffer, sums, jnp.zeros_like(sums)

    def update(self, carry, t, x):
        count, buffer, sums, pairs = carry
        lags = self.max_lag + 1
        on = _after(t, self.start)
        buffer = jnp.where(on, buffer.at[count % lags].set(x), buffer)
        lag = jnp.arange(lags)
        partner_rows = (count - lag) % lags
        valid = on & (lag <= count)
        products = jnp.matmul(buffer, x, precision=jax.lax.Precision.HIGHEST)[partner_rows]
        sums = sums + jnp.where(valid, products / x.shape[0], 0.0)
        pairs = pairs + valid
        return (count + on, buffer, sums, pairs), None

    def finalize(self, carry, outputs):
        _, _, sums, pairs = carry
        return {"corr": sums / jnp.maximum(pairs, 1), "pairs": pairs}
