"""Cost of gradient flossing: a flossing step's time against a task step's time, and the memory
of the flossing gradient vs horizon with and without checkpointing.

Network: a tanh RNN (`TanhCell`, g = 2) of `--n` units, one input; a batch of `--batch` delayed-copy
sequences of `--horizon` steps (h_0 = 0).

- time: one Adam step, jitted, on the task loss (forward + backprop through time) and on the
  flossing loss Σ_{i≤k} λ_i² (the k leading finite-time exponents through the tangent dynamics and
  QRs every `--qr-every` steps, backprop through all of it) for each k in `--ks`; same batch and
  horizon, measured in the same run, interleaved, best of `--repeats` calls after a warm-up call
  (see `_timing.best_times`). Reported: milliseconds per step and the overhead ratio
  flossing/task.
- memory: for each horizon in `--horizons`, the compiled gradient of the flossing loss (k =
  `--memory-k`, one sequence) without checkpointing and with chunks of about √(T/qr_every) QR
  intervals
  under `jax.checkpoint`; from XLA's compiled memory analysis
  (`jax.jit(f).lower(...).compile().memory_analysis()`: the temporary buffers of the program,
  i.e. its peak working memory beyond arguments and outputs; nothing is run). If the backend
  gives no analysis the column reads n/a.

Run: `.venv/bin/python scripts/benchmark_flossing.py [--n 64] [--batch 16] [--horizon 100]
[--ks 1,8,32] [--qr-every 1] [--horizons 64,256,1024,4096] [--repeats 5] [--json PATH]`.
The default takes about a minute on 2 CPU cores.
"""

import argparse
import json
import math
import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from _timing import best_times

from jaxchaos._learning._flossing import Flossing, random_frame
from jaxchaos._learning._rnn import RNN
from jaxchaos._learning._tasks import DelayedCopy

GAIN = 2.0
PAUSE = 0.2


def step_call(loss, model, optimizer, args):
    """A jitted Adam step on `loss(model, *args)`, as a zero-argument call."""
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))

    @eqx.filter_jit
    def step(model, opt_state):
        grads = eqx.filter_grad(loss)(model, *args)
        updates, opt_state = optimizer.update(grads, opt_state,
                                              eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state

    return lambda: step(model, opt_state)


def timings(args) -> dict:
    key_model, key_data, key_frame = jax.random.split(jax.random.key(0), 3)
    model = RNN.init(key_model, "tanh", args.n, 1, 1, GAIN)
    task = DelayedCopy(min(10, args.horizon - 1), args.horizon)
    inputs, targets, mask = task.sample(key_data, args.batch)
    optimizer = optax.adam(1e-3)

    def task_loss(model, inputs, targets, mask):
        return task.loss(jax.vmap(model)(inputs), targets, mask)

    calls = {"task": step_call(task_loss, model, optimizer, (inputs, targets, mask))}
    h0 = jnp.zeros(args.n)
    for k in args.ks:
        flossing = Flossing(k, args.qr_every)
        frames = jax.vmap(lambda q, k=k: random_frame(q, args.n, k))(
            jax.random.split(key_frame, args.batch))

        def floss_loss(model, inputs, frames, flossing=flossing):
            losses = jax.vmap(lambda x, q: flossing.loss(model.cell, x, h0, q))(inputs, frames)
            return jnp.mean(losses)

        calls[f"floss k={k}"] = step_call(floss_loss, model, optimizer, (inputs, frames))
    best = best_times(calls, args.repeats, PAUSE)
    return {name: {"ms": 1e3 * t, "ratio": t / best["task"]} for name, t in best.items()}


def memory(args) -> dict:
    cell = RNN.init(jax.random.key(0), "tanh", args.n, 1, 1, GAIN).cell
    frame = random_frame(jax.random.key(1), args.n, args.memory_k)
    out = {}
    for horizon in args.horizons:
        intervals = horizon // args.qr_every
        chunk = min((d for d in range(1, intervals + 1) if intervals % d == 0),
                    key=lambda d: abs(d - math.sqrt(intervals)))  # the divisor nearest √
        inputs = jax.random.choice(jax.random.key(2), jnp.array([-1.0, 1.0]), (horizon, 1))
        row = {"chunk": chunk}
        for name, every in (("plain", None), ("checkpointed", chunk)):
            flossing = Flossing(args.memory_k, args.qr_every, checkpoint_every=every)
            grad = jax.jit(jax.grad(flossing.loss))
            stats = grad.lower(cell, inputs, jnp.zeros(args.n), frame).compile().memory_analysis()
            row[name] = None if stats is None else stats.temp_size_in_bytes
        out[horizon] = row
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--horizon", type=int, default=100)
    parser.add_argument("--ks", default="1,8,32")
    parser.add_argument("--qr-every", type=int, default=1)
    parser.add_argument("--horizons", default="64,256,1024,4096")
    parser.add_argument("--memory-k", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    args.ks = [int(k) for k in args.ks.split(",")]
    args.horizons = [int(t) for t in args.horizons.split(",")]
    device = jax.devices()[0]
    print(f"device: {device.device_kind} ({device.platform}), dtype float32, N = {args.n}, "
          f"batch = {args.batch}, T = {args.horizon}, QR every {args.qr_every} step(s)")
    times = timings(args)
    print(f"{'step':<14}{'ms/step':>10}{'ratio to task':>16}")
    for name, row in times.items():
        print(f"{name:<14}{row['ms']:>10.2f}{row['ratio']:>16.2f}")
    mem = memory(args)
    print(f"\nflossing-gradient temporaries (k = {args.memory_k}, one sequence), MiB:")
    print(f"{'T':>6}{'chunk':>7}{'plain':>12}{'checkpointed':>14}{'ratio':>8}")
    for horizon, row in mem.items():
        plain, ckpt = row["plain"], row["checkpointed"]
        if plain is None or ckpt is None:
            print(f"{horizon:>6}{row['chunk']:>7}{'n/a':>12}{'n/a':>14}")
            continue
        print(f"{horizon:>6}{row['chunk']:>7}{plain / 2**20:>12.2f}{ckpt / 2**20:>14.2f}"
              f"{plain / max(ckpt, 1):>8.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "device": str(device), "times": times,
                       "memory_bytes": mem}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
