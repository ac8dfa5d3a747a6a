"""Speed of the response kernels and of the Krylov–Schur eigenvalues (`jaxchaos._response`).

1. Tangent response kernel of a noisy Cessac network, u ← γu + J tanh(g u) − θ + σB (N = `--n`,
   γ = 0.5, g = 2, σ = 0.3), from `--trajectories` trajectories (default 10⁴), each warmed up
   `--warmup` steps and then carrying an N×k frame (k = `--sources`) for `--lags` steps:
   `jc.tangent_response`, one vmapped, compiled call (compilation excluded: best of `--repeats`
   after a warm-up call) against the same estimator in NumPy:
   - numpy loop: one trajectory at a time (state and frame, `u ← γu + J tanh(gu) − θ + σB`,
     `V ← γV + J (s ⊙ V)`), timed on `--numpy-trajectories` trajectories and scaled per trajectory;
   - numpy batched: all trajectories at once as (M, N) @ (N, N) products, the strongest NumPy form.
   Both NumPy means are compared with the JAX kernel (same model, different random numbers: the
   batched one in units of the standard error of a difference of two such means).
2. Leading eigenvalues (k = 6) of the Jacobian at a fixed point at N = `--eig-n` (default 2000):
   `jc.leading_eigenvalues` (JVP products, Krylov–Schur) against `numpy.linalg.eigvals` of the
   explicit Jacobian (its formation not counted), and the largest distance between the two.

On the shared 2-core CPU only the ratios mean anything. Run:
`.venv/bin/python scripts/benchmark_response.py [--quick] [--json PATH]`.
"""

import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxchaos as jc

jax.config.update("jax_enable_x64", True)


def numpy_kernel(weights, thresholds, slope, leak, noise, n_traj, warmup, lags, sources, rng,
                 batched):
    """The tangent estimator in NumPy: mean over trajectories of the frame at each lag."""
    n = weights.shape[0]
    directions = np.eye(n)[:, :sources]
    if batched:
        u = rng.standard_normal((n_traj, n))
        for _ in range(warmup):
            u = leak * u + np.tanh(slope * u) @ weights.T - thresholds \
                + noise * rng.standard_normal(u.shape)
        v = np.broadcast_to(directions, (n_traj, n, sources)).copy()
        out = [directions]
        for _ in range(lags):
            s = slope * (1 - np.tanh(slope * u) ** 2)
            v = leak * v + weights @ (s[:, :, None] * v)        # (N, N) @ (M, N, k)
            u = leak * u + np.tanh(slope * u) @ weights.T - thresholds \
                + noise * rng.standard_normal(u.shape)
            out.append(v.mean(0))
        return np.stack(out)
    total = np.zeros((lags + 1, n, sources))
    for _ in range(n_traj):
        u = rng.standard_normal(n)
        for _ in range(warmup):
            u = leak * u + weights @ np.tanh(slope * u) - thresholds \
                + noise * rng.standard_normal(n)
        v = directions.copy()
        total[0] += v
        for t in range(lags):
            s = slope * (1 - np.tanh(slope * u) ** 2)
            v = leak * v + weights @ (s[:, None] * v)
            u = leak * u + weights @ np.tanh(slope * u) - thresholds \
                + noise * rng.standard_normal(n)
            total[t + 1] += v
    return total / n_traj


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--trajectories", type=int, default=10_000)
    parser.add_argument("--numpy-trajectories", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--lags", type=int, default=20)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--eig-n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.quick:
        args.trajectories, args.numpy_trajectories, args.eig_n = 1000, 20, 800
    results = {"threads": os.environ.get("OPENBLAS_NUM_THREADS"), "devices": str(jax.devices())}

    net = jc.CessacNetwork.random(jax.random.key(0), args.n, 2.0, leak=0.5, noise=0.3,
                                  threshold_std=0.3)
    directions = jnp.eye(args.n)[:, :args.sources]

    def jax_call():
        return jc.tangent_response(net, jax.random.key(1), n_lags=args.lags,
                                   n_trajectories=args.trajectories, t_warmup=args.warmup,
                                   directions=directions)

    response = jax_call()
    kernel, stderr = np.asarray(response.kernel), np.asarray(response.stderr)
    best = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        jax.block_until_ready(jax_call())
        best = min(best, time.perf_counter() - start)
    weights = np.asarray(net.weights) * float(net.coupling_std)
    params = (weights, np.asarray(net.thresholds), 2.0, 0.5, 0.3)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    loop = numpy_kernel(*params, args.numpy_trajectories, args.warmup, args.lags, args.sources,
                        rng, batched=False)
    t_loop = (time.perf_counter() - start) * args.trajectories / args.numpy_trajectories
    start = time.perf_counter()
    batched = numpy_kernel(*params, args.trajectories, args.warmup, args.lags, args.sources,
                           rng, batched=True)
    t_batched = time.perf_counter() - start
    results["kernel"] = {
        "n": args.n, "trajectories": args.trajectories, "lags": args.lags,
        "jax seconds": best, "numpy loop seconds (scaled)": t_loop,
        "numpy batched seconds": t_batched,
        "speed-up over numpy loop": t_loop / best, "speed-up over numpy batched": t_batched / best,
        "max |jax - numpy batched| / (sqrt(2) jax s.e.), lags >= 1": float(
            (np.abs(kernel - batched)[1:] / (np.sqrt(2) * stderr[1:])).max()),
        "max |jax - numpy loop| (few trajectories)": float(np.abs(kernel - loop).max()),
    }

    big = jc.CessacNetwork.random(jax.random.key(2), args.eig_n, 1.2, leak=0.2,
                                  threshold_mean=0.1, threshold_std=0.5)
    fp = jc.fixed_point(big, jnp.zeros(args.eig_n))
    jc.leading_eigenvalues(big, fp.x, k=6)   # compile the product
    start = time.perf_counter()
    eig = jc.leading_eigenvalues(big, fp.x, k=6)
    t_krylov = time.perf_counter() - start
    jac = np.asarray(jax.jacfwd(lambda u: big.map(0, u, None))(fp.x))
    start = time.perf_counter()
    dense = np.linalg.eigvals(jac)
    t_dense = time.perf_counter() - start
    results["eigenvalues"] = {
        "n": args.eig_n, "krylov seconds": t_krylov, "dense eig seconds": t_dense,
        "speed-up": t_dense / t_krylov, "jacobian products": eig.n_products,
        "restarts": eig.n_restarts, "converged": eig.converged,
        "max distance to dense": float(np.abs(eig.values[:, None] - dense[None]).min(1).max()),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
