"""Differentiable finite-time Lyapunov exponents of a driven RNN, and gradient flossing
(Engelken, NeurIPS 2023; PHYSICS.md §8).

The cell `h_{t+1} = F(h_t, x_t)` is driven by an input sequence x_0..x_{T-1}. An orthonormal frame
Q (N×k) is carried by the exact step Jacobian, `Q ← ∂F/∂h · Q` (`AbstractCell.step_and_jvp`),
and every `qr_every` steps re-orthonormalized, `Q, R = qr(Q)`. The finite-time exponents, per
step, are

    λ_i = (1/(T - T_w)) Σ_{intervals after the first T_w steps} log|R_ii|,

which is the engine of `_lyapunov/_spectrum.py` written to be differentiated: reverse-mode AD
goes through the trajectory, the tangent steps and the QRs (`jnp.linalg.qr` has a derivative for
a full-rank N×k frame, k ≤ N; log|R_ii| has derivative dR_ii/R_ii whatever the sign of R_ii).
The scan is split into chunks of `checkpoint_every` QR intervals under `jax.checkpoint`: the
backward pass stores the carry at chunk boundaries and recomputes each chunk, so memory grows as
T/chunk + chunk instead of T.

Flossing minimizes `Σ_{i≤k} (λ_i - target)²` (target 0 in the paper), alone or added to a task
loss, pushing the k leading exponents of the forward dynamics to the target.
"""

import equinox as eqx
import jax
import jax.numpy as jnp

from .._core._errors import ConfigError, check_real
from .._core._system import AbstractMap
from ._rnn import AbstractCell


def random_frame(key, n: int, k: int, dtype=None):
    """A random orthonormal N×k frame: the Q of a Gaussian matrix's QR."""
    return jnp.linalg.qr(jax.random.normal(key, (n, k), dtype))[0]


def _log_abs_diagonal(r):
    # The floor only keeps a collapsed direction (R_ii = 0 exactly) from giving -inf and NaN
    # gradients; it is far below any growth factor a finite exponent produces.
    return jnp.log(jnp.maximum(jnp.abs(jnp.diagonal(r)), jnp.finfo(r.dtype).tiny))


class Flossing(eqx.Module):
    """Settings of the differentiable exponents and the flossing loss.

    - `k`: number of leading exponents (1 ≤ k ≤ N);
    - `qr_every`: steps between QR re-orthonormalizations;
    - `checkpoint_every`: QR intervals per `jax.checkpoint`ed chunk (None: no checkpointing);
    - `warmup_steps`: steps at the start (a multiple of `qr_every`) that align the frame and are
      left out of the average;
    - `target`: the value the loss pushes each exponent to (per step).

    The horizon T of the inputs must be a multiple of `qr_every`, and the number of QR intervals a
    multiple of `checkpoint_every`; both are checked when traced, before anything compiles.
    """

    k: int = eqx.field(static=True)
    qr_every: int = eqx.field(static=True, default=1)
    checkpoint_every: int | None = eqx.field(static=True, default=None)
    warmup_steps: int = eqx.field(static=True, default=0)
    target: float = eqx.field(static=True, default=0.0)

    def __check_init__(self):
        for name, least in (("k", 1), ("qr_every", 1), ("warmup_steps", 0),
                            ("checkpoint_every", 1)):
            value = getattr(self, name)
            if name == "checkpoint_every" and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ConfigError(f"{name} must be an integer >= {least}, got {value!r}")
        check_real("target", self.target)
        if self.warmup_steps % self.qr_every:
            raise ConfigError(f"warmup_steps = {self.warmup_steps} must be a multiple of "
                              f"qr_every = {self.qr_every}")

    def check(self, n: int, horizon: int):
        """Raise `ConfigError` unless these settings fit a network of N units and T steps."""
        if self.k > n:
            raise ConfigError(f"k = {self.k} exceeds the number of units N = {n}")
        if horizon % self.qr_every:
            raise ConfigError(f"the horizon T = {horizon} must be a multiple of "
                              f"qr_every = {self.qr_every}")
        if horizon <= self.warmup_steps:
            raise ConfigError(f"the horizon T = {horizon} must exceed "
                              f"warmup_steps = {self.warmup_steps}")
        intervals = horizon // self.qr_every
        if self.checkpoint_every is not None and intervals % self.checkpoint_every:
            raise ConfigError(f"checkpoint_every = {self.checkpoint_every} must divide the "
                              f"{intervals} QR intervals (T / qr_every)")

    def interval_logs(self, cell: AbstractCell, inputs, h0, frame):
        """log|R_ii| of every QR interval, shape (T/qr_every, k), with the final state and frame:
        `(logs, h_T, Q_T)`. `inputs` (T, n_in), `h0` (N,), `frame` (N, k) orthonormal."""
        horizon = inputs.shape[0]
        self.check(cell.n, horizon)
        if frame.shape != (cell.n, self.k):
            raise ConfigError(f"frame must have shape ({cell.n}, {self.k}), got {frame.shape}")
        intervals = horizon // self.qr_every
        per_chunk = intervals if self.checkpoint_every is None else self.checkpoint_every
        xs = inputs.reshape(intervals // per_chunk, per_chunk, self.qr_every, *inputs.shape[1:])

        def interval(cell, carry, xs):
            def step(carry, x):
                h, q = carry
                return cell.step_and_jvp(h, x, q), None

            h, q = jax.lax.scan(step, carry, xs)[0]
            q, r = jnp.linalg.qr(q)
            return (h, q), _log_abs_diagonal(r)

        def chunk(cell, carry, xs):
            return jax.lax.scan(lambda c, x: interval(cell, c, x), carry, xs)

        if self.checkpoint_every is not None:
            chunk = eqx.filter_checkpoint(chunk)
        (h, q), logs = jax.lax.scan(lambda c, x: chunk(cell, c, x), (h0, frame), xs)
        return logs.reshape(intervals, self.k), h, q

    def exponents(self, cell: AbstractCell, inputs, h0, frame):
        """The k leading finite-time exponents (per step), λ_1 ≥ ... ≥ λ_k up to finite-time
        fluctuations (the order is that of the frame's columns)."""
        logs = self.interval_logs(cell, inputs, h0, frame)[0]
        skip = self.warmup_steps // self.qr_every
        return jnp.sum(logs[skip:], axis=0) / (inputs.shape[0] - self.warmup_steps)

    def loss(self, cell: AbstractCell, inputs, h0, frame):
        """The flossing loss Σ_{i≤k} (λ_i - target)²."""
        return jnp.sum((self.exponents(cell, inputs, h0, frame) - self.target) ** 2)


def jacobian_log_singular_values(cell: AbstractCell, inputs, h0):
    """log σ_i (descending, shape (N,)) of the long-term Jacobian ∂h_T/∂h_0 = J_{T-1}···J_0 of
    the cell driven by `inputs` (T, n_in) from `h0`.

    The product is formed directly (N×N, for small N), divided by its largest entry after every
    step with the log of the scale kept, so it neither overflows nor underflows; the condition
    number is `exp(log σ_1 - log σ_N)`. Singular values below about eps·σ_1 are round-off: the
    log condition number saturates near log(1/eps) (36 in float64, 16 in float32).
    """

    def step(carry, x):
        h, product, log_scale = carry
        h, product = cell.step_and_jvp(h, x, product)
        scale = jnp.max(jnp.abs(product))
        return (h, product / scale, log_scale + jnp.log(scale)), None

    eye = jnp.eye(cell.n, dtype=h0.dtype)
    (_, product, log_scale), _ = jax.lax.scan(step, (h0, eye, jnp.zeros((), h0.dtype)), inputs)
    return jnp.log(jnp.linalg.svd(product, compute_uv=False)) + log_scale


class DrivenCell(AbstractMap):
    """A cell driven by a fixed input sequence as a jaxchaos map, `h_{n+1} = F(h_n, x_{n mod T})`
    (the inputs repeat with period T), so that `lyapunov_spectrum` applies to a (trained) RNN."""

    cell: AbstractCell
    inputs: jax.Array  # (T, n_in)
    noise: None = None

    @property
    def n(self) -> int:
        return self.cell.n

    def _input(self, t):
        return self.inputs[jnp.round(t).astype(jnp.int32) % self.inputs.shape[0]]

    def map(self, t, x, args):
        return self.cell(x, self._input(t))

    def jvp(self, t, x, v, args):
        return self.cell.step_and_jvp(x, self._input(t), v)[1]
