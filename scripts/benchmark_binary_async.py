"""Updates per second of the balanced binary network's exact asynchronous mode
(`simulate_binary(mode="exact")`: one neuron per event) against a plain NumPy event loop doing
the same events (exponential clock, population choice, the neuron's field from its padded
partner lists), and of the batched mode, in one run. NEST is not installed here, so the NumPy
loop is the reference. Ratios only; the CPU was shared.

    .venv/bin/python scripts/benchmark_binary_async.py
"""

import math
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
from jaxchaos._models._binary import BalancedBinaryNetwork, simulate_binary  # noqa: E402


def numpy_events(net, n_events, rng):
    pre_e, pre_i = np.asarray(net.pre_e), np.asarray(net.pre_i)
    j, e = np.asarray(net.couplings), np.asarray(net.drives)
    theta, m0, sqrt_k = np.asarray(net.thresholds), float(net.m0), math.sqrt(net.k)
    s_e = np.append(rng.random(net.n_e) < 0.1, False)
    s_i = np.append(rng.random(net.n_i) < 0.1, False)
    rate_e, rate_i = net.n_e / net.tau[0], net.n_i / net.tau[1]
    total, t = rate_e + rate_i, 0.0
    for _ in range(n_events):
        u = rng.random(3)
        t -= math.log1p(-u[0]) / total
        is_e = u[1] * total < rate_e
        row = int(u[2] * net.n_e) if is_e else net.n_e + int(u[2] * net.n_i)
        pop = 0 if is_e else 1
        field = ((j[pop, 0] * s_e[pre_e[row]].sum() + j[pop, 1] * s_i[pre_i[row]].sum())
                 / sqrt_k + sqrt_k * e[pop] * m0 - theta[pop])
        if is_e:
            s_e[row] = field > 0
        else:
            s_i[row - net.n_e] = field > 0
    return t


def main():
    print(f"{'N':>6} {'K':>4} {'jax exact upd/s':>15} {'numpy upd/s':>12} {'jax/numpy':>9} "
          f"{'batched upd/s':>13}")
    for n, k in ((2000, 100), (8000, 400)):
        net = BalancedBinaryNetwork(jax.random.PRNGKey(0), n, n, k)
        events_per_time = n / net.tau[0] + n / net.tau[1]
        t1 = 5.0
        key = jax.random.PRNGKey(1)
        jax.block_until_ready(simulate_binary(net, key, t1=t1, dt=0.1, mode="exact").rates)
        start = time.perf_counter()
        jax.block_until_ready(simulate_binary(net, jax.random.PRNGKey(2), t1=t1, dt=0.1,
                                              mode="exact").rates)
        jax_rate = events_per_time * t1 / (time.perf_counter() - start)
        n_np = 20000
        start = time.perf_counter()
        numpy_events(net, n_np, np.random.default_rng(0))
        numpy_rate = n_np / (time.perf_counter() - start)
        jax.block_until_ready(simulate_binary(net, key, t1=t1, dt=0.01).rates)
        start = time.perf_counter()
        jax.block_until_ready(simulate_binary(net, jax.random.PRNGKey(2), t1=t1, dt=0.01).rates)
        batched_rate = events_per_time * t1 / (time.perf_counter() - start)
        print(f"{2 * n:6d} {k:4d} {jax_rate:15.3g} {numpy_rate:12.3g} "
              f"{jax_rate / numpy_rate:9.2f} {batched_rate:13.3g}", flush=True)


if __name__ == "__main__":
    main()
