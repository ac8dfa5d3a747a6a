"""Sparse connectivity: products against SciPy's CSR and the memory bandwidth, and large sparse
SCS networks with their Lyapunov exponents.

Cases (each in its own process, so that its peak memory is its own):

- `products`: one fixed in-degree matrix (N = `--n`, K = `--k`, float64) stored as a
  `SparseOperator` and as a `scipy.sparse.csr_matrix` with the same entries; timed (best of
  `--repeats`, compilation excluded): W v and W Q for a frame Q of 16 columns, jitted, against
  SciPy's `W @ v`, `W @ Q`, and a plain copy of an array as large as the operator's indices and
  weights (`np.copyto` into a buffer written once before, so the timed copies do not page-fault;
  its rate, bytes copied per second, is the bandwidth limit), a read-only pass over the same
  bytes (a jitted sum) and a jitted `a + 1` that overwrites its donated input (XLA's own
  streaming rate, on as many threads as it uses for the products). Reported: time ratios to
  SciPy, each rate in GB/s, and the fraction of each reference's rate at which each product
  reads the operator's indices and weights (the vector it gathers from stays in cache; the
  frame product also reads 16 values
  per entry, not counted). The results agree with SciPy's to round-off (printed).
- `network`: the SCS network's leaky Euler map x ← (1−δ)x + δ g W tanh(x) (δ = 0.1, g = 2) on a
  sparse i.i.d. ensemble (N = `--big-n`, K = `--big-k`) in float32 or float64: drawing time,
  `--steps` steps simulated, then λ_max (per unit time, `lyapunov_spectrum` with k = 1, QR
  every 10 steps, `--frame-warmup` steps of frame warm-up, then over `--steps` further
  steps) next to the mean-field value of the same map (`euler_map_dmft(2, 0.1).lyapunov_rate`),
  peak resident memory.
- `spectrum`: the same at N = `--spec-n`, K = `--spec-k` with the 16 leading exponents.

The machine's cores are shared with other jobs: only ratios measured in one run mean much.
Run: `.venv/bin/python scripts/benchmark_connectivity.py [--cases products,network,spectrum]
[--steps 1000] [--json PATH]`; the defaults are the issue's sizes (N = 10⁶, K = 100; N = 10⁵,
K = 1000, 16 exponents), which take long on two CPU cores: use `--steps` to shorten.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

DELTA, GAIN = 0.1, 2.0


def _best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _mean_field_rate():
    """λ_max per unit time of the same leaky Euler map in the N → ∞ limit (`euler_map_dmft`)."""
    import jax

    import jaxchaos as jc

    with jax.enable_x64(True):
        return float(jc.euler_map_dmft(GAIN, DELTA).lyapunov_rate)


def products(args):
    import jax
    import scipy.sparse

    jax.config.update("jax_enable_x64", True)
    import jaxchaos as jc

    n, k = args.n, args.k
    op = jc.Ensemble(k=k, storage="sparse").sample(jax.random.key(0), n)
    idx, w = np.asarray(op.indices), np.asarray(op.weights)
    csr = scipy.sparse.csr_matrix((w.T.ravel(), idx.T.ravel(), np.arange(0, n * k + 1, k)),
                                  shape=(n, n))
    rng = np.random.default_rng(1)
    v, q = rng.standard_normal(n), rng.standard_normal((n, 16))
    matvec, matmat = jax.jit(lambda o, x: o @ x), jax.jit(lambda o, x: o @ x)
    vj, qj = jax.numpy.asarray(v), jax.numpy.asarray(q)
    source = np.ones(op.nbytes // 4, np.float32)
    target = np.zeros_like(source)  # touched once here, so the copies do not page-fault
    block = jax.numpy.asarray(source)
    read = jax.jit(jax.numpy.sum)
    increment = jax.jit(lambda a: a + 1.0, donate_argnums=0)  # in place: no fresh pages
    buffer = [jax.numpy.asarray(source)]

    def in_place():
        buffer[0] = increment(buffer[0])
        buffer[0].block_until_ready()
    out = {"n": n, "k": k, "operator_bytes": op.nbytes,
           "matvec_error": float(np.abs(np.asarray(matvec(op, vj)) - csr @ v).max()),
           "matmat_error": float(np.abs(np.asarray(matmat(op, qj)) - csr @ q).max())}
    times = {
        "jax_matvec": _best(lambda: matvec(op, vj).block_until_ready(), args.repeats),
        "scipy_matvec": _best(lambda: csr @ v, args.repeats),
        "jax_matmat16": _best(lambda: matmat(op, qj).block_until_ready(), args.repeats),
        "scipy_matmat16": _best(lambda: csr @ q, args.repeats),
        "copy": _best(lambda: np.copyto(target, source), args.repeats),
        "read": _best(lambda: read(block).block_until_ready(), args.repeats),
        "jax_in_place": _best(in_place, args.repeats),
    }
    out.update(times)
    out["copy_gb_per_s"] = op.nbytes / times["copy"] / 1e9
    out["read_gb_per_s"] = op.nbytes / times["read"] / 1e9
    out["jax_in_place_gb_per_s"] = op.nbytes / times["jax_in_place"] / 1e9
    for name in ("jax_matvec", "scipy_matvec", "jax_matmat16", "scipy_matmat16"):
        out[f"{name}_gb_per_s"] = op.nbytes / times[name] / 1e9
        out[f"{name}_bandwidth_fraction"] = times["copy"] / times[name]
        out[f"{name}_read_fraction"] = times["read"] / times[name]
        out[f"{name}_in_place_fraction"] = times["jax_in_place"] / times[name]
    out["matvec_vs_scipy"] = times["scipy_matvec"] / times["jax_matvec"]
    out["matmat16_vs_scipy"] = times["scipy_matmat16"] / times["jax_matmat16"]
    out["peak_gib"] = _peak_gib()
    return out


def network(args, n, k, exponents, dtype):
    import equinox as eqx
    import jax

    jax.config.update("jax_enable_x64", dtype == "float64")
    import jaxchaos as jc

    start = time.perf_counter()
    op = jc.Ensemble(k=k, storage="sparse").sample(jax.random.key(0), n)
    op.weights.block_until_ready()
    draw = time.perf_counter() - start
    net = jc.EulerMap(jc.SCSNetwork(op, GAIN), DELTA)
    x0 = net.initial_state(jax.random.key(1))
    run = eqx.filter_jit(lambda net, x, steps: jax.lax.fori_loop(
        0, steps, lambda i, y: net.map(i, y, None), x))
    run(net, x0, 1).block_until_ready()  # compile (the step count is traced) and warm up
    start = time.perf_counter()
    x = run(net, x0, args.steps).block_until_ready()
    simulate = time.perf_counter() - start
    qr_every = 10
    steps = max(qr_every, args.steps - args.steps % qr_every)
    start = time.perf_counter()
    frame_warmup = max(qr_every, args.frame_warmup - args.frame_warmup % qr_every)
    spec = jc.lyapunov_spectrum(net, x, k=exponents, t_ons=qr_every, t_warmup=0,
                                t_frame_warmup=frame_warmup, t_sim=steps, n_blocks=1,
                                key=jax.random.key(2))
    spec.exponents.block_until_ready()
    lyapunov = time.perf_counter() - start
    return {"n": n, "k": k, "dtype": dtype, "steps": args.steps, "draw_s": draw,
            "simulate_s": simulate, "step_ms": 1e3 * simulate / args.steps,
            "lyapunov_steps": steps + frame_warmup, "frame_warmup_steps": frame_warmup,
            "lyapunov_s": lyapunov,
            "exponents_per_unit_time": (np.asarray(spec.exponents) / DELTA).tolist(),
            "mean_field_lambda_per_unit_time": _mean_field_rate(),
            "operator_gib": op.nbytes / 2**30, "peak_gib": _peak_gib(),
            "finite": bool(np.all(np.isfinite(np.asarray(x))))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="products,network,spectrum")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--big-n", type=int, default=1_000_000)
    parser.add_argument("--big-k", type=int, default=100)
    parser.add_argument("--spec-n", type=int, default=100_000)
    parser.add_argument("--spec-k", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--frame-warmup", type=int, default=100,
                        help="steps of tangent-frame warm-up before the exponents are averaged")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--json")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case in a child process
    args = parser.parse_args()
    if args.case:
        name, _, dtype = args.case.partition(":")
        if name == "products":
            result = products(args)
        elif name == "network":
            result = network(args, args.big_n, args.big_k, 1, dtype)
        else:
            result = network(args, args.spec_n, args.spec_k, 16, dtype)
        print(json.dumps(result))
        return
    results = []
    for case in args.cases.split(","):
        dtypes = [""] if case == "products" else args.dtypes.split(",")
        if case == "spectrum":
            dtypes = ["float64"]
        for dtype in dtypes:
            child = [sys.executable, __file__, *sys.argv[1:], "--case", f"{case}:{dtype}"]
            done = subprocess.run(child, capture_output=True, text=True)
            if done.returncode:
                print(f"{case} {dtype}: failed\n{done.stderr[-2000:]}")
                continue
            result = {"case": case, **json.loads(done.stdout.strip().splitlines()[-1])}
            results.append(result)
            print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
