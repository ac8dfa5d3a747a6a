"""The `train-rnn` job: RNNs trained with and without gradient flossing, batched over seeds
(the trainer is `jaxchaos._learning._training`).

A run trains `seeds` networks at once (`vmap`), each with its own initialization and data, by a
schedule of steps of two kinds, each with its own optax Adam state:

- task steps: Adam on the task's mean squared error (batch `training.batch`);
- flossing steps: Adam on the flossing loss Σ_{i≤k} (λ_i - target)², averaged over
  `flossing.batch` input sequences of the task (h_0 = 0, a fresh random frame per sequence).

Each kind may clip its gradients to a global norm first (`training.clip`, `flossing.clip`). The
flossing gradient is noisy (finite-time exponents of random input sequences) and spikes where a
step Jacobian is nearly singular; clipping keeps Adam from being thrown off by the spikes.

Protocols: "baseline" (task steps only), "preflossing" (`floss_steps` flossing steps, then the task
steps), "interleaved" (as preflossing, plus `floss_block` flossing steps after each of the task
steps listed in `floss_at`). Every `log_every` steps the measures are taken on a fixed evaluation
batch: task loss and accuracy, the norm of the task-loss gradient, the leading finite-time
exponents (per step, over the task's horizon; `training.logged_exponents` of them, by default the
k flossed) and the log singular values of the long-term Jacobian ∂h_T/∂h_0 (on `jacobian_batch`
sequences). A run folder holds `run.json` (config, progress), `checkpoint.npz` (the batched
training state) and `log.npz` (the measures), written at every log point; `train(folder)`
resumes from them and gives the same result as an uninterrupted run. A NaN/inf loss or gradient
stops the run with a `DivergenceError` naming the step and the seeds, and the record's status
"diverged"; the last checkpoint is kept.

Config (TOML), every key with its default in the `_SCHEMA` tables of `_training_config`:

```toml
job = "train-rnn"          # read by `jaxchaos run`; not part of the resolved config
name = "flossing_copy"
[network]   # cell = "tanh" | "leaky" | "gru" | "lstm"; recurrent weights ~ N(0, gain²/n);
            # n units (the LSTM's state (h, c) has 2n dimensions)
cell = "tanh"
n = 32
gain = 2.5
[task]      # kind = "copy" | "xor" | "recall"; length: sequence length (not for recall)
kind = "copy"
delay = 10
length = 40
[flossing]  # k leading exponents; QR every qr_every steps; checkpoint_every: QR intervals
k = 8
[training]
protocol = "preflossing"
steps = 1000
floss_steps = 300
seeds = 16
[output]
root = "runs"
precision = "float32"
```
"""

import math
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from .._core._errors import DivergenceError
from .._learning._rnn import RNN
from .._learning._training import Trainer, init_states, measure_all, run_steps
from ._runfolder import UNDEFINED, open_run, write_npz
from ._training_config import flossing_from, resolve_training_config, sizes, task_from

LOG = "log.npz"
RESULTS = "results.npz"

def schedule(training: dict) -> list[tuple[str, int]]:
    """The protocol as segments `(mode, steps)`, mode "floss" or "task"."""
    segments = []
    if training["protocol"] != "baseline" and training["floss_steps"]:
        segments.append(("floss", training["floss_steps"]))
    done = 0
    for at in sorted(set(training["floss_at"])):
        segments += [("task", at - done), ("floss", training["floss_block"])]
        done = at
    segments.append(("task", training["steps"] - done))
    return segments


def make_trainer(config: dict) -> Trainer:
    """The `Trainer` a resolved config describes."""
    fl, tr = config["flossing"], config["training"]
    clip, floss_clip = (None if c is None else float(c) for c in (tr["clip"], fl["clip"]))
    return Trainer(task_from(config), flossing_from(config),
                   flossing_from(config, tr["logged_exponents"]), float(tr["learning_rate"]),
                   float(fl["learning_rate"]), clip, floss_clip, tr["batch"], fl["batch"],
                   tr["eval_batch"], tr["jacobian_batch"])


def _seed_keys(config: dict):
    tr = config["training"]
    return jnp.stack([jax.random.key(tr["first_seed"] + i) for i in range(tr["seeds"])])


def init_models(config: dict):
    """The initial networks of all seeds, stacked (leading axis: seed)."""
    net, task = config["network"], task_from(config)
    options = {"input_scale": net["input_scale"]}
    if net["cell"] == "leaky":
        options["delta"] = net["delta"]

    def one(key):
        return RNN.init(jax.random.fold_in(key, 0), net["cell"], net["n"], task.n_in,
                        task.n_out, net["gain"], **options)

    return eqx.filter_vmap(one)(_seed_keys(config))


def _split_by_mode(segments, start, stop):
    """The runs of constant mode between overall steps `start` and `stop`."""
    runs, offset = [], 0
    for mode, n in segments:
        lo, hi = max(start, offset), min(stop, offset + n)
        if lo < hi:
            runs.append((mode, hi - lo))
        offset += n
    return runs


def _log_arrays(logs: dict) -> dict:
    return {k: np.asarray(v) for k, v in logs.items()}


def train(folder, *, progress: bool = True, stop_after: int | None = None) -> Path:
    """Run (or resume) the training run in `folder` to the end of its schedule.

    Per log interval the states and the logs are committed together (`Run.commit`); `log.npz`
    is a copy of the committed logs. `stop_after` stops after that many log intervals in this
    call, as an interrupt would."""
    folder = Path(folder)
    with open_run(folder, "train-rnn", resolve_training_config, sizes) as run:
        if run.finished:
            return folder
        config = run.config
        trainer = make_trainer(config)
        segments = schedule(config["training"])
        total = sum(n for _, n in segments)
        log_every = config["training"]["log_every"]
        keys = _seed_keys(config)
        data_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(keys)
        eval_keys = jax.vmap(lambda k: jax.random.fold_in(k, 2))(keys)
        states = init_states(trainer, init_models(config), data_keys)
        states, saved = run.restore(states)
        done = run.progress and int(saved["step"][-1])
        if done:
            logs = {k: list(v) for k, v in saved.items()}
        else:
            logs = {"step": [], "task_steps": [], "train_loss": [], "train_grad_norm": []}
            _append(logs, 0, 0, jax.device_get(measure_all(trainer, states, eval_keys)),
                    UNDEFINED, UNDEFINED, len(keys))
        run.save(status="running")
        started, intervals = time.perf_counter(), 0
        with tqdm(total=total, initial=done, desc=config["name"], unit="step",
                  disable=not progress) as bar:
            while done < total:
                if stop_after is not None and intervals >= stop_after:
                    break
                stop = min(done + log_every, total)
                task_losses, task_norms = [], []
                at = done
                for mode, n in _split_by_mode(segments, done, stop):
                    states, (losses, norms) = run_steps(trainer, states, mode, n)
                    _check_finite(mode, at, np.asarray(losses), np.asarray(norms),
                                  config["training"]["first_seed"], done)
                    at += n
                    if mode == "task":
                        task_losses.append(np.asarray(losses))
                        task_norms.append(np.asarray(norms))
                done, intervals = stop, intervals + 1
                task_done = sum(n for mode, n in _split_by_mode(segments, 0, done)
                                if mode == "task")
                _append(logs, done, task_done,
                        jax.device_get(measure_all(trainer, states, eval_keys)),
                        _chunk_mean(task_losses), _chunk_mean(task_norms), len(keys))
                run.commit(run.progress + 1, states, _log_arrays(logs), steps_done=done)
                write_npz(folder / LOG, _log_arrays(logs))
                bar.update(stop - bar.n)
                bar.set_postfix(acc=f"{np.mean(logs['accuracy'][-1]):.3f}")
        wall = run.record.get("wall_seconds", 0.0) + time.perf_counter() - started
        if done < total:
            run.save(status="interrupted", wall_seconds=wall)
            return folder
        write_npz(folder / LOG, _log_arrays(logs))
        write_npz(folder / RESULTS, summarize(config, _log_arrays(logs)))
        run.finish(wall_seconds=wall)
    return folder


def _check_finite(mode: str, start: int, losses, norms, first_seed: int, saved: int):
    """Raise `DivergenceError` naming the first step (overall count) and the seeds where a
    step's loss or gradient norm (arrays (seeds, steps), from step `start` on) is NaN or inf;
    `saved`: the step of the last checkpoint."""
    bad = ~(np.isfinite(losses) & np.isfinite(norms))
    if bad.any():
        step = int(np.argmax(bad.any(axis=0)))
        seeds = [first_seed + int(i) for i in np.flatnonzero(bad[:, step])]
        raise DivergenceError(
            f"{mode} step {start + step + 1}: the loss or its gradient is NaN/inf for seed(s) "
            f"{seeds} (loss {losses[seeds[0] - first_seed, step]}, gradient norm "
            f"{norms[seeds[0] - first_seed, step]}); the run folder keeps the checkpoint of "
            f"step {saved}")


def _chunk_mean(per_step: list):
    """Mean over a log interval's task steps of per-step values (seeds, n); `UNDEFINED` if the
    interval had no task steps."""
    return np.mean(np.concatenate(per_step, axis=1), axis=1) if per_step else UNDEFINED


def _append(logs, step, task_steps, measures, train_loss, train_grad_norm, seeds):
    logs["step"].append(step)
    logs["task_steps"].append(task_steps)
    logs["train_loss"].append(np.broadcast_to(train_loss, (seeds,)))
    logs["train_grad_norm"].append(np.broadcast_to(train_grad_norm, (seeds,)))
    for name, value in measures.items():
        logs.setdefault(name, []).append(np.asarray(value))


def summarize(config: dict, logs: dict) -> dict:
    """The logs (leading axis: log point, then seed) and, per seed, `success` (final accuracy ≥
    threshold), `time_to_solve` (task steps at the first log point at or above the threshold;
    `UNDEFINED` (-1) if never), with `success_rate` and the condition numbers log10(σ_1/σ_k)
    (k flossed) and log10(σ_1/σ_N) of the long-term Jacobian. `train_loss` and
    `train_grad_norm` are `UNDEFINED` at log points after an interval without task steps."""
    threshold = config["training"]["accuracy_threshold"]
    solved = logs["accuracy"] >= threshold
    first = np.argmax(solved, axis=0)
    time_to_solve = np.where(solved.any(axis=0), logs["task_steps"][first], UNDEFINED)
    log_sv = logs["log_singular_values"]
    k = config["flossing"]["k"]
    return {
        **logs,
        "success": solved[-1],
        "success_rate": np.mean(solved[-1]),
        "time_to_solve": time_to_solve,
        "log10_condition_k": (log_sv[..., 0] - log_sv[..., k - 1]) / math.log(10),
        "log10_condition": (log_sv[..., 0] - log_sv[..., -1]) / math.log(10),
    }
