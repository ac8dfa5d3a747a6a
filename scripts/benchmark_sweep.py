"""Throughput of a gain sweep of the SCS rate network, dx/dt = -x + g W tanh(x), against references.

For each size N (`--sizes`) and B gains (`--gains`) of one seed, one coupling matrix W is drawn
and shared by every gain: `jaxchaos.Sweep(fn, {"g": gains})` vmaps `fn`, which builds
`SCSNetwork(W, g)` around the closed-over W and takes a fixed number of forward-Euler steps with
`Integrator(solver="euler")` (no recorders), so every step is one (N, N) @ (N, B) product. Measured
in the same run, interleaved, best of `--repeats` calls after a warm-up call (compilation
excluded), each ended by `block_until_ready`:

- sweep: the shared-W `Sweep` above;
- matmul: Y ← c·(W @ Y) with Y of shape (N, B), the same dtype and `precision="highest"`, inside
  a `lax.fori_loop` (dispatch not counted; each product depends on the previous one, and c, a
  normalising scalar, keeps Y finite), i.e. the hardware's rate for this product shape;
- numpy: the same Euler steps in NumPy, `X += dt*(-X + g*(W @ np.tanh(X)))`, X of shape (N, B);
- per-gain loop: B separate jitted runs of a single network (matrix-vector products).

Reported: neuron updates per second (N·B·steps / s) and the FLOP rate, counting 2·N²·B FLOPs per
Euler step (the matrix product only), with the ratios sweep/matmul, sweep/numpy and sweep/loop.
On a CPU only these ratios are meaningful (the machine is small and shared); take absolute
numbers from a GPU only.

Run: `.venv/bin/python scripts/benchmark_sweep.py [--sizes 256,1024,4096] [--gains 64]
[--dtype float64|float32] [--repeats 7] [--json PATH]`.
"""

import argparse
import json

import jax
import jax.numpy as jnp
import numpy as np
from _timing import best_times, matmul_call

import jaxchaos

DT = 0.1
GAIN_RANGE = (0.5, 3.0)
FLOPS_PER_STEP = "2*N^2*B (the W @ tanh(X) product only)"
GOAL = 0.5  # the sweep should reach this fraction of the matmul rate for N >= 1024, B >= 64


def _steps(n: int) -> int:
    """Euler steps per timed call: about 2²⁷ / N² (the same FLOPs for every N), at least 8."""
    return max(8, 2**27 // n**2)


def _loop_steps(n: int) -> int:
    """Fewer steps for the per-gain loop, whose matrix-vector products are slow."""
    return max(1, _steps(n) // 8)


def sweep_call(weights, gains, x0, steps):
    integrator = jaxchaos.Integrator(dt=DT, steps_per_record=steps, solver="euler")

    def run(point, x):
        system = jaxchaos.SCSNetwork(weights, point["g"])
        state, _, _ = integrator.run(system, integrator.init(system, x), {}, {}, 1)
        return state.x, state.diverged_step

    sweep = jaxchaos.Sweep(run, {"g": gains})
    return lambda: sweep(x0)


def numpy_call(weights, gains, x0, steps):
    w, g, x_init = np.asarray(weights), np.asarray(gains)[None, :], np.asarray(x0).T.copy()

    def euler():
        x = x_init.copy()
        for _ in range(steps):
            x += DT * (-x + g * (w @ np.tanh(x)))
        return x

    return euler


def per_gain_call(weights, gains, x0, steps):
    integrator = jaxchaos.Integrator(dt=DT, steps_per_record=steps, solver="euler")

    @jax.jit
    def run_one(w, g, x):
        system = jaxchaos.SCSNetwork(w, g)
        state, _, _ = integrator.run(system, integrator.init(system, x), {}, {}, 1)
        return state.x, state.diverged_step

    points = list(zip(gains, x0, strict=True))
    return lambda: [run_one(weights, g, x) for g, x in points]


def measure(n: int, n_gains: int, dtype, repeats: int) -> dict:
    key_w, key_x = jax.random.split(jax.random.key(0))
    weights = jaxchaos.Connectivity().sample(key_w, n, dtype=dtype)
    gains = jnp.linspace(*GAIN_RANGE, n_gains, dtype=dtype)
    x0 = jax.random.normal(key_x, (n_gains, n), dtype)
    steps, loop_steps = _steps(n), _loop_steps(n)
    times = best_times(
        {
            "sweep": sweep_call(weights, gains, x0, steps),
            "matmul": matmul_call(weights, x0.T, steps),
            "numpy": numpy_call(weights, gains, x0, steps),
            "per_gain_loop": per_gain_call(weights, gains, x0, loop_steps),
        },
        repeats,
    )
    step_counts = {"sweep": steps, "matmul": steps, "numpy": steps, "per_gain_loop": loop_steps}
    flops = {k: 2 * n**2 * n_gains * s / times[k] for k, s in step_counts.items()}
    return {
        "n": n,
        "steps": step_counts,
        "seconds": times,
        "seconds_per_step": {k: times[k] / s for k, s in step_counts.items()},
        "flop_rate": flops,
        "neuron_updates_per_s": n * n_gains * steps / times["sweep"],
        "sweep_over_matmul": flops["sweep"] / flops["matmul"],
        "sweep_over_numpy": flops["sweep"] / flops["numpy"],
        "sweep_over_per_gain_loop": flops["sweep"] / flops["per_gain_loop"],
    }


def print_report(meta: dict, rows: list):
    print(
        f"device: {meta['device_kind']} ({meta['platform']}), jax {meta['jax']}, "
        f"numpy {meta['numpy']}, dtype {meta['dtype']}, B = {meta['gains']} gains, one seed"
    )
    print(f"FLOPs counted per Euler step: {meta['flops_per_step']}; best of {meta['repeats']}")
    print("(on a CPU only the ratios are meaningful; absolute numbers from a GPU only)\n")
    print("time per Euler step of all B gains [ms]")
    print(
        f"{'N':>6} {'steps':>6} {'sweep':>9} {'matmul':>9} {'numpy':>9} {'loop':>9} "
        f"{'loop steps':>11}"
    )
    for r in rows:
        ms = {k: 1e3 * v for k, v in r["seconds_per_step"].items()}
        print(
            f"{r['n']:>6} {r['steps']['sweep']:>6} {ms['sweep']:>9.3f} {ms['matmul']:>9.3f} "
            f"{ms['numpy']:>9.3f} {ms['per_gain_loop']:>9.3f} {r['steps']['per_gain_loop']:>11}"
        )
    print("\nrates [GFLOP/s] and ratios")
    print(
        f"{'N':>6} {'Mupd/s':>9} {'sweep':>8} {'matmul':>8} {'numpy':>8} {'loop':>8} "
        f"{'sweep/matmul':>13} {'sweep/numpy':>12} {'sweep/loop':>11}"
    )
    for r in rows:
        gf = {k: v / 1e9 for k, v in r["flop_rate"].items()}
        print(
            f"{r['n']:>6} {r['neuron_updates_per_s'] / 1e6:>9.1f} {gf['sweep']:>8.1f} "
            f"{gf['matmul']:>8.1f} {gf['numpy']:>8.1f} {gf['per_gain_loop']:>8.1f} "
            f"{r['sweep_over_matmul']:>13.2f} {r['sweep_over_numpy']:>12.2f} "
            f"{r['sweep_over_per_gain_loop']:>11.2f}"
        )
    judged = [r for r in rows if r["n"] >= 1024] if meta["gains"] >= 64 else []
    if judged:
        missed = [r["n"] for r in judged if r["sweep_over_matmul"] < GOAL]
        verdict = f"missed at N = {missed}" if missed else "met"
        print(f"\ngoal sweep/matmul >= {GOAL} for N >= 1024 and B >= 64: {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,1024,4096", help="comma-separated network sizes N")
    parser.add_argument("--gains", type=int, default=64, help="number of gains B")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per method (best)")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    args = parser.parse_args()
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.dtype(args.dtype)
    device = jax.devices()[0]
    meta = {
        "device_kind": device.device_kind,
        "platform": device.platform,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "dtype": args.dtype,
        "gains": args.gains,
        "repeats": args.repeats,
        "flops_per_step": FLOPS_PER_STEP,
    }
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [measure(n, args.gains, dtype, args.repeats) for n in sizes]
    print_report(meta, rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=2)


if __name__ == "__main__":
    main()
