"""Timing helpers shared by the benchmark scripts (run them as `python scripts/NAME.py`)."""

import time

import jax
import jax.numpy as jnp
import numpy as np


def best_times(calls: dict, repeats: int, pause: float = 0.0) -> dict:
    """Best wall time of each call after a warm-up call; the calls are interleaved so that load
    hits them alike. Each call starts `pause` s after the previous one (OpenBLAS worker threads
    spin for a while after a call and would otherwise slow the next one down)."""
    for call in calls.values():
        jax.block_until_ready(call())
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, call in calls.items():
            time.sleep(pause)
            start = time.perf_counter()
            jax.block_until_ready(call())
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def matmul_loop(steps):
    """`f(w, y)`: `steps` dependent products y ← c·(W @ y) at full precision in one loop (c
    keeps y finite), to be jitted: the device's rate for this product shape, without dispatch
    overhead."""

    def products(w, y):
        def body(_, y):
            z = jnp.matmul(w, y, precision="highest")
            return z * jax.lax.rsqrt(jnp.mean(z * z))

        return jax.lax.fori_loop(0, steps, body, y)

    return products


def matmul_call(weights, y0, steps):
    """A call of the jitted `matmul_loop(steps)` on `(weights, y0)`."""
    products = jax.jit(matmul_loop(steps))
    return lambda: products(weights, y0)


def numpy_gemm_call(weights, y0, steps):
    """The same dependent products as `matmul_call` in NumPy (OpenBLAS)."""
    w, y_init = np.asarray(weights), np.asarray(y0)

    def products():
        y = y_init
        for _ in range(steps):
            z = w @ y
            y = z * (1.0 / np.sqrt(np.mean(z * z)))
        return y

    return products
