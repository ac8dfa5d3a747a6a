"""Trainable recurrent networks as equinox modules: a cell `h_{t+1} = F(h_t, x_t)` and a linear
readout `y_t = C h_{t+1} + c` (the output at step t has seen the input x_t).

Cells (state dimension N, input dimension `n_in`; recurrent weights drawn `W_ij ~ N(0, g²/N)` at
gain g, input weights `U_ij ~ N(0, s²/n_in)` at input scale s, biases zero):

- `TanhCell`: the discrete-time vanilla RNN `h ← tanh(a)`, `a = W h + U x + b`; Jacobian
  `diag(sech² a) W`.
- `LeakyCell`: the Euler map of the SCS rate network with input,
  `h ← (1-δ) h + δ (W tanh(h) + U x + b)`; Jacobian `(1-δ) I + δ W diag(1 - tanh²h)`.
- `GRUCell`: a gated recurrent unit (Cho et al. 2014), `z = σ(W_z h + U_z x + b_z)`,
  `r = σ(W_r h + U_r x + b_r)`, `n = tanh(W_n (r ⊙ h) + U_n x + b_n)`, `h ← (1-z) ⊙ n + z ⊙ h`.
- `LSTMCell`: a long short-term memory cell with forget gate (Hochreiter & Schmidhuber 1997;
  Gers et al. 2000) of H units, `i, f, o = σ(W_{i,f,o} h + U_{i,f,o} x + b_{i,f,o})`,
  `u = tanh(W_u h + U_u x + b_u)`, `c ← f ⊙ c + i ⊙ u`, `h ← o ⊙ tanh(c)`. Its state is the
  concatenation `(h, c)` (N = 2H), so exponents and Jacobians are over the full state; the
  readout sees h only (`observed`).

Every cell has `step_and_jvp(h, x, v)`: the next state and the Jacobian `∂h_{t+1}/∂h_t` applied
to a tangent vector (N,) or a frame (N, k), the primitive of the Lyapunov exponents in
`_flossing.py`. All matrix products use `precision=HIGHEST` (no TF32 on GPUs).
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, check_choice, check_real
from .._core._nonlinearities import sech2

_HIGHEST = jax.lax.Precision.HIGHEST


def _matmul(a, b):
    return jnp.matmul(a, b, precision=_HIGHEST)


def _rows(d, v):
    """diag(d) @ v for a tangent vector v (N,) or a frame v (N, k)."""
    return d * v if v.ndim == 1 else d[:, None] * v


def _check_sizes(n, n_in, gain, input_scale):
    check_real("n", n, positive=True, integer=True)
    check_real("n_in", n_in, positive=True, integer=True)
    check_real("gain", gain, nonnegative=True)
    check_real("input_scale", input_scale, nonnegative=True)


class AbstractCell(eqx.Module):
    """One step `h_{t+1} = F(h_t, x_t)` of a recurrent network; its array fields are trained."""

    @property
    @abc.abstractmethod
    def n(self) -> int:
        """State dimension N."""

    @property
    @abc.abstractmethod
    def n_in(self) -> int:
        """Input dimension."""

    @classmethod
    def state_dimension(cls, n: int) -> int:
        """The state dimension N of the cell that `init` builds with `n` units."""
        return n

    @property
    def n_observed(self) -> int:
        """Size of `observed(h)`, what the readout sees: N unless a cell says otherwise."""
        return self.n

    def observed(self, h):
        """The part of the state h (N,) that the readout sees: all of it by default."""
        return h

    @abc.abstractmethod
    def __call__(self, h, x):
        """F(h, x): the next state."""

    def step_and_jvp(self, h, x, v):
        """`(F(h, x), ∂F/∂h · v)` for v of shape (N,) or (N, k); forward-mode AD by default."""
        h_next, tangent = jax.linearize(lambda y: self(y, x), h)
        return h_next, tangent(v) if v.ndim == 1 else jax.vmap(tangent, 1, 1)(v)


class TanhCell(AbstractCell):
    """Vanilla RNN `h_{t+1} = tanh(W h_t + U x_t + b)`."""

    recurrent: jax.Array  # W (N, N)
    input_weights: jax.Array  # U (N, n_in)
    bias: jax.Array  # b (N,)

    @classmethod
    def init(cls, key, n: int, n_in: int, gain, *, input_scale=1.0) -> "TanhCell":
        """W ~ N(0, g²/N), U ~ N(0, s²/n_in), b = 0."""
        _check_sizes(n, n_in, gain, input_scale)
        key_w, key_u = jax.random.split(key)
        return cls(gain / jnp.sqrt(n) * jax.random.normal(key_w, (n, n)),
                   input_scale / jnp.sqrt(n_in) * jax.random.normal(key_u, (n, n_in)),
                   jnp.zeros(n))

    @property
    def n(self) -> int:
        return self.recurrent.shape[0]

    @property
    def n_in(self) -> int:
        return self.input_weights.shape[1]

    def _preactivation(self, h, x):
        return _matmul(self.recurrent, h) + _matmul(self.input_weights, x) + self.bias

    def __call__(self, h, x):
        return jnp.tanh(self._preactivation(h, x))

    def step_and_jvp(self, h, x, v):
        a = self._preactivation(h, x)
        return jnp.tanh(a), _rows(sech2(a), _matmul(self.recurrent, v))


class LeakyCell(AbstractCell):
    """Leaky rate RNN, the Euler map of the SCS network with input and time step δ:
    `h_{t+1} = (1-δ) h_t + δ (W tanh(h_t) + U x_t + b)`. δ is fixed (not trained)."""

    recurrent: jax.Array  # W (N, N)
    input_weights: jax.Array  # U (N, n_in)
    bias: jax.Array  # b (N,)
    delta: float = eqx.field(static=True)

    @classmethod
    def init(cls, key, n: int, n_in: int, gain, *, delta=0.1, input_scale=1.0) -> "LeakyCell":
        """W ~ N(0, g²/N), U ~ N(0, s²/n_in), b = 0; δ in (0, 1]."""
        _check_sizes(n, n_in, gain, input_scale)
        check_real("delta", delta, positive=True)
        if delta > 1:
            raise ConfigError(f"delta must be in (0, 1], got {delta!r}")
        key_w, key_u = jax.random.split(key)
        return cls(gain / jnp.sqrt(n) * jax.random.normal(key_w, (n, n)),
                   input_scale / jnp.sqrt(n_in) * jax.random.normal(key_u, (n, n_in)),
                   jnp.zeros(n), float(delta))

    @property
    def n(self) -> int:
        return self.recurrent.shape[0]

    @property
    def n_in(self) -> int:
        return self.input_weights.shape[1]

    def __call__(self, h, x):
        drive = _matmul(self.recurrent, jnp.tanh(h)) + _matmul(self.input_weights, x) + self.bias
        return (1 - self.delta) * h + self.delta * drive

    def step_and_jvp(self, h, x, v):
        return self(h, x), (1 - self.delta) * v + self.delta * _matmul(self.recurrent,
                                                                       _rows(sech2(h), v))


class GRUCell(AbstractCell):
    """Gated recurrent unit (Cho et al. 2014); the rows of `recurrent`, `input_weights` and
    `bias` are the blocks (z, r, n) in that order. Its Jacobian-vector product is by AD."""

    recurrent: jax.Array  # (3N, N): W_z, W_r, W_n
    input_weights: jax.Array  # (3N, n_in)
    bias: jax.Array  # (3N,)

    @classmethod
    def init(cls, key, n: int, n_in: int, gain, *, input_scale=1.0) -> "GRUCell":
        """Every recurrent block ~ N(0, g²/N), input blocks ~ N(0, s²/n_in), biases 0."""
        _check_sizes(n, n_in, gain, input_scale)
        key_w, key_u = jax.random.split(key)
        return cls(gain / jnp.sqrt(n) * jax.random.normal(key_w, (3 * n, n)),
                   input_scale / jnp.sqrt(n_in) * jax.random.normal(key_u, (3 * n, n_in)),
                   jnp.zeros(3 * n))

    @property
    def n(self) -> int:
        return self.recurrent.shape[1]

    @property
    def n_in(self) -> int:
        return self.input_weights.shape[1]

    def __call__(self, h, x):
        n = self.n
        w, u, b = self.recurrent, self.input_weights, self.bias
        gates = jax.nn.sigmoid(_matmul(w[: 2 * n], h) + _matmul(u[: 2 * n], x) + b[: 2 * n])
        z, r = gates[:n], gates[n:]
        candidate = jnp.tanh(_matmul(w[2 * n:], r * h) + _matmul(u[2 * n:], x) + b[2 * n:])
        return (1 - z) * candidate + z * h


class LSTMCell(AbstractCell):
    """Long short-term memory cell with forget gate on the state `(h, c)` (2H,): the rows of
    `recurrent`, `input_weights` and `bias` are the blocks (i, f, o, u) in that order (input,
    forget and output gates, candidate). Jacobian `∂(h', c')/∂(h, c)` (2H × 2H) by AD:
    `∂c'/∂c = diag f`, `∂h'/∂c = diag(o ⊙ sech² c') diag f`, and the h columns through the
    gates' preactivations."""

    recurrent: jax.Array  # (4H, H): W_i, W_f, W_o, W_u
    input_weights: jax.Array  # (4H, n_in)
    bias: jax.Array  # (4H,)

    @classmethod
    def init(cls, key, n: int, n_in: int, gain, *, input_scale=1.0) -> "LSTMCell":
        """H = `n` units (state dimension 2n): every recurrent block ~ N(0, g²/H), input blocks
        ~ N(0, s²/n_in), biases 0 (a forget gate of ½ at h = x = 0)."""
        _check_sizes(n, n_in, gain, input_scale)
        key_w, key_u = jax.random.split(key)
        return cls(gain / jnp.sqrt(n) * jax.random.normal(key_w, (4 * n, n)),
                   input_scale / jnp.sqrt(n_in) * jax.random.normal(key_u, (4 * n, n_in)),
                   jnp.zeros(4 * n))

    @classmethod
    def state_dimension(cls, n: int) -> int:
        return 2 * n

    @property
    def units(self) -> int:
        """H, the number of units."""
        return self.recurrent.shape[1]

    @property
    def n(self) -> int:
        return 2 * self.units

    @property
    def n_in(self) -> int:
        return self.input_weights.shape[1]

    @property
    def n_observed(self) -> int:
        return self.units

    def observed(self, h):
        """h, the first H entries of the state `(h, c)`."""
        return h[: self.units]

    def __call__(self, h, x):
        units = self.units
        hidden, cell = h[:units], h[units:]
        pre = _matmul(self.recurrent, hidden) + _matmul(self.input_weights, x) + self.bias
        gates = jax.nn.sigmoid(pre[: 3 * units])
        i, f, o = gates[:units], gates[units: 2 * units], gates[2 * units:]
        cell = f * cell + i * jnp.tanh(pre[3 * units:])
        return jnp.concatenate([o * jnp.tanh(cell), cell])


CELLS = {"tanh": TanhCell, "leaky": LeakyCell, "gru": GRUCell, "lstm": LSTMCell}


class Readout(eqx.Module):
    """Linear readout `y = C h + c`, C ~ N(0, 1/N) and c = 0 at initialization."""

    weights: jax.Array  # C (n_out, N)
    bias: jax.Array  # c (n_out,)

    @classmethod
    def init(cls, key, n: int, n_out: int) -> "Readout":
        check_real("n_out", n_out, positive=True, integer=True)
        return cls(jax.random.normal(key, (n_out, n)) / jnp.sqrt(n), jnp.zeros(n_out))

    def __call__(self, h):
        return _matmul(self.weights, h) + self.bias


class RNN(eqx.Module):
    """A cell and its readout. `states(inputs)` are h_1..h_T (h_{t+1} = F(h_t, x_t)), and
    `__call__(inputs)` the outputs y_t = C observed(h_{t+1}) + c, for inputs of shape (T, n_in)
    (`observed`: the whole state, the LSTM's h)."""

    cell: AbstractCell
    readout: Readout

    @classmethod
    def init(cls, key, kind: str, n: int, n_in: int, n_out: int, gain, **cell_options) -> "RNN":
        """A `CELLS[kind]` cell at gain g (options: `input_scale`, and `delta` for "leaky"); `n`
        is the number of units (the state dimension, except the LSTM's 2n)."""
        cell_class = CELLS[check_choice("cell kind", kind, CELLS)]
        key_cell, key_out = jax.random.split(key)
        cell = cell_class.init(key_cell, n, n_in, gain, **cell_options)
        return cls(cell, Readout.init(key_out, cell.n_observed, n_out))

    def states(self, inputs, h0=None):
        """h_1, ..., h_T (T, N) from h_0 (zeros by default)."""
        h0 = jnp.zeros(self.cell.n, inputs.dtype) if h0 is None else h0

        def step(h, x):
            h = self.cell(h, x)
            return h, h

        return jax.lax.scan(step, h0, inputs)[1]

    def __call__(self, inputs, h0=None):
        return jax.vmap(lambda h: self.readout(self.cell.observed(h)))(self.states(inputs, h0))
