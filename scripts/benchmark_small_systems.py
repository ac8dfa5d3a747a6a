"""Lyapunov spectra of a small system, Lorenz-63 (σ = 10, ρ = 28, β = 8/3; all 3 exponents, RK4,
dt = 0.01, QR every 10 steps), per step, in one run:

- engine dense / engine jvp: `LyapunovEngine.accumulate` (jitted) with the step's Jacobian formed
  by `jax.jacfwd` and multiplied into the frame (`tangent="dense"`) or the frame's columns
  pushed through `jax.linearize` of the step (`"jvp"`, the default);
- scan: a hand-written `lax.scan` of the same scheme (RK4 written out, its Jacobian by
  `jax.jacfwd`, `jnp.linalg.qr` every 10 steps): what a careful JAX user writes;
- numpy: a NumPy loop of the same scheme (the exact RK4 step Jacobian from the stage Jacobians);
- batch: B spectra at once (`jax.vmap` of the engine over B initial conditions), time per
  spectrum-step, against the NumPy loop's per-step time (the NumPy loop over B spectra costs B
  times one).

Compilation is excluded from the per-step times and reported separately (first call minus a
later one). Best of `--repeats` interleaved calls (`_timing.best_times`). The exponents of every
variant are printed: the JAX ones agree to round-off amplified by chaos.

Run: `.venv/bin/python scripts/benchmark_small_systems.py [--steps 20000] [--batch 1000]
[--repeats 3] [--dtype float64|float32]` (about a minute on 2 CPU cores).
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from _timing import best_times

import jaxchaos as jc

DT, QR_EVERY, SIGMA, RHO, BETA = 0.01, 10, 10.0, 28.0, 8.0 / 3.0


class Lorenz(jc.AbstractFlow):
    noise: None = None

    @property
    def n(self):
        return 3

    def vector_field(self, t, x, args):
        return _lorenz(x)


def _lorenz(x):
    u, v, w = x[0], x[1], x[2]
    return jnp.stack([SIGMA * (v - u), u * (RHO - w) - v, u * v - BETA * w])


def _rk4(x):
    k1 = _lorenz(x)
    k2 = _lorenz(x + DT / 2 * k1)
    k3 = _lorenz(x + DT / 2 * k2)
    k4 = _lorenz(x + DT * k3)
    return x + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def engine_call(tangent, intervals, x0, dtype, batch=None):
    integrator = jc.Integrator(dt=DT, solver="rk4")
    engine = jc.LyapunovEngine(integrator, 3, QR_EVERY, 0, 0, 1, intervals, tangent=tangent)
    system = Lorenz()

    def one(x):
        state = integrator.init(system, x)
        return engine.accumulate(system, state, jnp.eye(3, dtype=dtype), 1)[2][0]

    fn = jax.jit(one if batch is None else jax.vmap(one))
    return lambda: fn(x0)


def scan_call(intervals, x0, dtype):
    @jax.jit
    def run(x):
        def interval(carry, _):
            def step(carry, _):
                x, q = carry
                jacobian, x_next = jax.jacfwd(lambda y: (lambda o: (o, o))(_rk4(y)),
                                              has_aux=True)(x)
                return (x_next, jnp.matmul(jacobian, q, precision="highest")), None

            (x, q), _ = jax.lax.scan(step, carry, None, length=QR_EVERY)
            q, r = jnp.linalg.qr(q)
            return (x, q), jnp.log(jnp.abs(jnp.diagonal(r)))

        _, logs = jax.lax.scan(interval, (x, jnp.eye(3, dtype=dtype)), None, length=intervals)
        return jnp.sum(logs, axis=0)

    return lambda: run(x0)


def numpy_spectrum(x, intervals):
    def f(x):
        return np.array([SIGMA * (x[1] - x[0]), x[0] * (RHO - x[2]) - x[1],
                         x[0] * x[1] - BETA * x[2]])

    def df(x):
        return np.array([[-SIGMA, SIGMA, 0.0], [RHO - x[2], -1.0, -x[0]], [x[1], x[0], -BETA]])

    eye, q, sums = np.eye(3), np.eye(3), np.zeros(3)
    for _ in range(intervals):
        for _ in range(QR_EVERY):
            k1 = f(x)
            j1 = df(x)
            y2 = x + DT / 2 * k1
            k2, j2 = f(y2), df(y2) @ (eye + DT / 2 * j1)
            y3 = x + DT / 2 * k2
            k3, j3 = f(y3), df(y3) @ (eye + DT / 2 * j2)
            y4 = x + DT * k3
            k4, j4 = f(y4), df(y4) @ (eye + DT * j3)
            x = x + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            q = (eye + DT / 6 * (j1 + 2 * j2 + 2 * j3 + j4)) @ q
        q, r = np.linalg.qr(q)
        sums += np.log(np.abs(np.diag(r)))
    return sums


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.dtype(args.dtype)
    intervals = args.steps // QR_EVERY
    steps = intervals * QR_EVERY
    x0 = jnp.array([1.0, 1.0, 20.0], dtype)
    xs = x0 + 0.1 * jax.random.normal(jax.random.key(0), (args.batch, 3), dtype)

    calls = {"engine dense": engine_call("dense", intervals, x0, dtype),
             "engine jvp": engine_call("jvp", intervals, x0, dtype),
             "scan": scan_call(intervals, x0, dtype),
             "batch": engine_call("jvp", intervals // 10, xs, dtype, batch=args.batch)}
    compile_s = {}
    for name, call in calls.items():
        start = time.perf_counter()
        jax.block_until_ready(call())
        compile_s[name] = time.perf_counter() - start
    best = best_times(calls, args.repeats)
    for name in calls:
        compile_s[name] -= best[name]
    numpy_intervals = max(intervals // 20, 1)
    start = time.perf_counter()
    numpy_sums = numpy_spectrum(np.asarray(x0, float), numpy_intervals)
    numpy_step = (time.perf_counter() - start) / (numpy_intervals * QR_EVERY)

    per_step = {name: best[name] / steps for name in calls}
    per_step["batch"] = best["batch"] / (steps // 10 * args.batch)
    print(f"Lorenz-63, RK4 dt = {DT}, QR every {QR_EVERY}, {args.dtype}, {steps} steps, "
          f"devices: {jax.devices()}")
    print(f"{'variant':>14} {'µs/step':>10} {'compile s':>10} {'vs scan':>8} {'vs numpy':>9}")
    for name, t in per_step.items():
        print(f"{name:>14} {1e6 * t:10.3f} {compile_s[name]:10.2f} "
              f"{per_step['scan'] / t:8.2f} {numpy_step / t:9.1f}")
    print(f"{'numpy':>14} {1e6 * numpy_step:10.3f}")
    lam = {name: np.asarray(calls[name]()) / (steps * DT) for name in ("engine dense",
                                                                        "engine jvp", "scan")}
    for name, value in lam.items():
        print(f"exponents {name:>12}: {np.array2string(value, precision=6)}")
    print(f"numpy over the first {numpy_intervals * QR_EVERY} steps: "
          f"{np.array2string(numpy_sums / (numpy_intervals * QR_EVERY * DT), precision=6)}")
    print("('vs scan': speed relative to a hand-written lax.scan, goal ≥ 1/1.3 = 0.77; batch"
          " 'vs numpy' goal ≥ 100)")


if __name__ == "__main__":
    main()
