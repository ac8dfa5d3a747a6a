"""Training RNNs on long-horizon tasks with and without gradient flossing, batched over seeds.

A `Trainer` holds the step and measurement functions of one network; the batched helpers below
vmap them over seeds. Steps are of two kinds, each with its own optax Adam state:

- task steps: Adam on the task's mean squared error (batch `batch`);
- flossing steps: Adam on the flossing loss Σ_{i≤k} (λ_i - target)², averaged over `floss_batch`
  input sequences of the task (h_0 = 0, a fresh random frame per sequence).

Each kind may clip its gradients to a global norm first (`clip`, `floss_clip`). The flossing
gradient is noisy (finite-time exponents of random input sequences) and spikes where a step
Jacobian is nearly singular; clipping keeps Adam from being thrown off by the spikes.

The measures, taken on a fixed evaluation batch: task loss and accuracy, the norm of the task-loss
gradient, the leading finite-time exponents (per step, over the task's horizon; `logged.k` of
them) and the log singular values of the long-term Jacobian ∂h_T/∂h_0 (on `jacobian_batch`
sequences). The protocols, configs and resumable runs that use them are the `train-rnn` job
(`jaxchaos._runs._training_job`).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from ._flossing import Flossing, jacobian_log_singular_values, random_frame
from ._rnn import RNN
from ._tasks import AbstractTask


def _norm(tree):
    """Euclidean norm of all array leaves of a pytree (a gradient)."""
    leaves = jax.tree.leaves(eqx.filter(tree, eqx.is_inexact_array))
    return jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in leaves))


class TrainState(eqx.Module):
    """One network's training state: the model, the Adam states of both losses, its data key."""

    model: RNN
    task_opt: optax.OptState
    floss_opt: optax.OptState
    key: jax.Array


class Trainer(eqx.Module):
    """The step and measurement functions of a training run (see the module docstring); all
    methods act on one network and are vmapped over seeds by the helpers below."""

    task: AbstractTask
    flossing: Flossing
    logged: Flossing  # the flossing settings with k = training.logged_exponents
    learning_rate: float = eqx.field(static=True)
    floss_learning_rate: float = eqx.field(static=True)
    clip: float | None = eqx.field(static=True)
    floss_clip: float | None = eqx.field(static=True)
    batch: int = eqx.field(static=True)
    floss_batch: int = eqx.field(static=True)
    eval_batch: int = eqx.field(static=True)
    jacobian_batch: int = eqx.field(static=True)

    def optimizer(self, mode: str) -> optax.GradientTransformation:
        """Adam for "task" or "floss" steps, after global-norm clipping of the gradient when that
        mode's clip is set. Built from the static settings, so equal settings share compiled
        code."""
        if mode == "floss":
            learning_rate, clip = self.floss_learning_rate, self.floss_clip
        else:
            learning_rate, clip = self.learning_rate, self.clip
        if clip is None:
            return optax.adam(learning_rate)
        return optax.chain(optax.clip_by_global_norm(clip), optax.adam(learning_rate))

    def init(self, model: RNN, key) -> TrainState:
        params = eqx.filter(model, eqx.is_inexact_array)
        return TrainState(model, self.optimizer("task").init(params),
                          self.optimizer("floss").init(params), key)

    @staticmethod
    def _frames(key, model, batch, k, dtype):
        keys = jax.random.split(key, batch)
        return jax.vmap(lambda key: random_frame(key, model.cell.n, k, dtype))(keys)

    def task_loss(self, model: RNN, inputs, targets, mask):
        return self.task.loss(jax.vmap(model)(inputs), targets, mask)

    def floss_loss(self, model: RNN, inputs, frames):
        """The flossing loss averaged over a batch of input sequences (h_0 = 0)."""
        h0 = jnp.zeros(model.cell.n, inputs.dtype)
        losses = jax.vmap(lambda x, q: self.flossing.loss(model.cell, x, h0, q))(inputs, frames)
        return jnp.mean(losses)

    def step(self, state: TrainState, mode: str):
        """One Adam step on the task ("task") or the flossing ("floss") loss: `(state, (loss,
        gradient norm))`."""
        model = state.model
        dtype = model.readout.weights.dtype
        key, key_data, key_frame = jax.random.split(state.key, 3)
        if mode == "task":
            inputs, targets, mask = self.task.sample(key_data, self.batch, dtype)
            loss, grads = eqx.filter_value_and_grad(self.task_loss)(model, inputs, targets, mask)
            opt_state = state.task_opt
        else:
            inputs = self.task.sample(key_data, self.floss_batch, dtype)[0]
            frames = self._frames(key_frame, model, self.floss_batch, self.flossing.k, dtype)
            loss, grads = eqx.filter_value_and_grad(self.floss_loss)(model, inputs, frames)
            opt_state = state.floss_opt
        updates, opt_state = self.optimizer(mode).update(grads, opt_state,
                                                         eqx.filter(model, eqx.is_inexact_array))
        model = eqx.apply_updates(model, updates)
        if mode == "task":
            state = TrainState(model, opt_state, state.floss_opt, key)
        else:
            state = TrainState(model, state.task_opt, opt_state, key)
        return state, (loss, _norm(grads))

    def steps(self, state: TrainState, mode: str, n: int):
        """`n` steps of one kind: the state and the per-step (loss, gradient norm)."""
        return jax.lax.scan(lambda s, _: self.step(s, mode), state, None, length=n)

    def _eval_batch(self, model: RNN, key):
        dtype = model.readout.weights.dtype
        key_data, key_frame = jax.random.split(key)
        return key_frame, *self.task.sample(key_data, self.eval_batch, dtype)

    def measure(self, model: RNN, key) -> dict:
        """The logged measures on the evaluation batch drawn from `key` (see module docstring),
        except the long-term Jacobian's spectrum (`jacobian_spectrum`)."""
        key_frame, inputs, targets, mask = self._eval_batch(model, key)
        loss, grads = eqx.filter_value_and_grad(self.task_loss)(model, inputs, targets, mask)
        accuracy = self.task.accuracy(jax.vmap(model)(inputs), targets, mask)
        h0 = jnp.zeros(model.cell.n, inputs.dtype)
        frames = self._frames(key_frame, model, self.eval_batch, self.logged.k, inputs.dtype)
        exponents = jax.vmap(lambda x, q: self.logged.exponents(model.cell, x, h0, q))(
            inputs, frames)
        return {"loss": loss, "accuracy": accuracy, "grad_norm": _norm(grads),
                "exponents": jnp.mean(exponents, axis=0)}

    def jacobian_spectrum(self, model: RNN, key):
        """Mean log singular values of ∂h_T/∂h_0 over the first `jacobian_batch` sequences of
        the evaluation batch drawn from `key`."""
        _, inputs, _, _ = self._eval_batch(model, key)
        h0 = jnp.zeros(model.cell.n, inputs.dtype)
        log_sv = jax.vmap(lambda x: jacobian_log_singular_values(model.cell, x, h0))(
            inputs[: self.jacobian_batch])
        return jnp.mean(log_sv, axis=0)


@eqx.filter_jit
def init_states(trainer, models, keys):
    return eqx.filter_vmap(trainer.init)(models, keys)


@eqx.filter_jit
def run_steps(trainer, states, mode, n):
    return eqx.filter_vmap(lambda s: trainer.steps(s, mode, n))(states)


@eqx.filter_jit
def _measures(trainer, models, keys):
    return eqx.filter_vmap(trainer.measure)(models, keys)


@eqx.filter_jit
def _jacobian_spectra(trainer, models, keys):
    return eqx.filter_vmap(trainer.jacobian_spectrum)(models, keys)


def measure_all(trainer, states, keys):
    """Every logged measure, per seed. The batched SVD of the Jacobian spectra runs only after
    the batched QRs of the exponents have finished: on a CPU each LAPACK kernel splits its batch
    over XLA's intra-op threads and blocks one of them until the parts are done, so two kernels
    at once deadlock a 2-thread pool (seen on 2 cores, jaxlib 0.10)."""
    measures = jax.block_until_ready(_measures(trainer, states.model, keys))
    return {**measures, "log_singular_values": _jacobian_spectra(trainer, states.model, keys)}
