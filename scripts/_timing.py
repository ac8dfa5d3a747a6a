"""Timing helpers shared by the benchmark scripts (run them as `python scripts/NAME.py`)."""

import time

import jax
import jax.numpy as jnp


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


def matmul_call(weights, y0, steps):
    """`steps` dependent products y ← c·(W @ y) at full precision in one compiled loop (c keeps y
    finite): the device's rate for this product shape, without dispatch overhead."""

    @jax.jit
    def products(w, y):
        def body(_, y):
            z = jnp.matmul(w, y, precision="highest")
            return z * jax.lax.rsqrt(jnp.mean(z * z))

        return jax.lax.fori_loop(0, steps, body, y)

    return lambda: products(weights, y0)
