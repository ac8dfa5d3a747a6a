"""Time per self-consistency iteration of the sampling DMFT (`sampling_dmft`, SCS network, tanh,
no mean feedback) against a plain NumPy implementation of the same iteration (Cholesky of g²C,
η = z Lᵀ, exact integration of dx/dt = -x + η for piecewise-linear η, C = φᵀφ/M), and against a
same-size matmul (the (M, T) x (T, T) product that dominates), for several samples M and grid
sizes T, all measured in one run. Ratios only; absolute times depend on the (shared) machine.

    .venv/bin/python scripts/benchmark_sampling_dmft.py [--quick]
"""

import argparse
import math
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jaxchaos as jc  # noqa: E402

GAIN, DT = 2.0, 0.1


def numpy_iteration(corr, rng, samples):
    t_count = corr.shape[0]
    decay = math.exp(-DT)
    b = 1.0 - (1.0 - decay) / DT
    a = (1.0 - decay) - b
    cov = GAIN**2 * corr
    chol = np.linalg.cholesky(cov + 1e-10 * np.max(np.diag(cov)) * np.eye(t_count))
    eta = rng.standard_normal((samples, t_count)) @ chol.T
    xs = np.empty((t_count, samples))
    xs[0] = rng.standard_normal(samples)
    for n in range(t_count - 1):
        xs[n + 1] = decay * xs[n] + a * eta[:, n] + b * eta[:, n + 1]
    rates = np.tanh(xs)
    return rates @ rates.T / samples


def best_of(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    grid = [(500, 201), (2000, 201), (2000, 401)] if args.quick else \
        [(500, 201), (2000, 201), (8000, 201), (2000, 401), (2000, 801)]
    iterations = 4
    print(f"{'M':>6} {'T':>5} {'jax s/it':>9} {'numpy s/it':>10} {'numpy/jax':>9} "
          f"{'matmul s':>9} {'jax/matmul':>10}")
    for samples, t_count in grid:
        t_max = DT * (t_count - 1)

        def run(iterations, samples=samples, t_max=t_max):
            out = jc.sampling_dmft(GAIN, key=jax.random.PRNGKey(1), t_max=t_max, dt=DT,
                                   samples=samples, iterations=iterations)
            jax.block_until_ready(out)

        run(iterations), run(2 * iterations)  # compile both
        # Per iteration: the difference of 2n and n iterations (the final statistics cancel).
        jax_time = (best_of(lambda run=run: run(2 * iterations))
                    - best_of(lambda run=run: run(iterations))) / iterations
        times = DT * np.arange(t_count)
        corr = np.exp(-np.abs(times[:, None] - times[None, :]))
        rng = np.random.default_rng(0)
        numpy_time = best_of(lambda corr=corr, rng=rng, samples=samples:
                             numpy_iteration(corr, rng, samples))
        z = np.random.default_rng(1).standard_normal((samples, t_count))
        matmul = best_of(lambda z=z, corr=corr: z @ corr)
        print(f"{samples:6d} {t_count:5d} {jax_time:9.4f} {numpy_time:10.4f} "
              f"{numpy_time / jax_time:9.2f} {matmul:9.4f} {jax_time / matmul:10.1f}",
              flush=True)


if __name__ == "__main__":
    main()
