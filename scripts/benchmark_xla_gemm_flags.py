"""XLA's float64 GEMM on the CPU under different XLA_FLAGS, against NumPy's (OpenBLAS) in the
same process: C = A @ B for square N×N matrices at `precision="highest"`.

Each flag setting runs in its own child process (XLA reads XLA_FLAGS once, at start-up); the
child times `--repeats` calls of a jitted loop of `--products` dependent products (each rescaled
so that nothing overflows) and the same loop in NumPy, interleaved, best of each, and reports
the rates and which kernel XLA compiled the dot to (a YNNPACK or XNNPACK fusion, a oneDNN
call, or XLA's own Eigen dot), read from the compiled HLO. On a shared machine only the ratio
XLA/NumPy inside one child is meaningful, and only roughly across children.

Run: `.venv/bin/python scripts/benchmark_xla_gemm_flags.py [--sizes 1024,2048] [--repeats 5]`.
"""
import argparse
import json
import os
import subprocess
import sys

SETTINGS = {
    "default": "",
    "no ynn (Eigen dot)": "--xla_cpu_experimental_ynn_fusion_type=",
    "xnn dot": "--xla_cpu_experimental_ynn_fusion_type= --xla_cpu_use_xnnpack=true "
               "--xla_cpu_experimental_xnn_fusion_type=LIBRARY_FUSION_TYPE_DOT",
    "onednn dot": "--xla_cpu_experimental_ynn_fusion_type= --xla_cpu_use_onednn=true "
                  "--xla_cpu_experimental_onednn_fusion_type=LIBRARY_FUSION_TYPE_DOT",
    "no thunk runtime": "--xla_cpu_use_thunk_runtime=false",
    "single-thread eigen": "--xla_cpu_multi_thread_eigen=false",
}


def measure_size(n, repeats, products):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from _timing import best_times, matmul_loop, numpy_gemm_call

    a = np.random.default_rng(0).standard_normal((n, n)) / np.sqrt(n)
    b0 = np.random.default_rng(1).standard_normal((n, n))
    compiled = jax.jit(matmul_loop(products)).lower(a, b0).compile()
    hlo = compiled.as_text()
    kernel = ("ynn" if "ynn_fusion" in hlo else "xnn" if "xnn_fusion" in hlo
              else "onednn" if "onednn" in hlo.lower() else "eigen")
    wa, wb = jnp.asarray(a), jnp.asarray(b0)
    calls = {"xla": lambda: compiled(wa, wb), "numpy": numpy_gemm_call(a, b0, products)}
    best = best_times(calls, repeats, pause=0.1)
    flops = 2 * n**3 * products
    return {"kernel": kernel, "xla_gflops": flops / best["xla"] / 1e9,
            "numpy_gflops": flops / best["numpy"] / 1e9,
            "xla_over_numpy": best["numpy"] / best["xla"]}


def child(sizes, repeats, products):
    import jax

    jax.config.update("jax_enable_x64", True)
    print(json.dumps({n: measure_size(n, repeats, products) for n in sizes}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,2048")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--products", type=int, default=4)
    parser.add_argument("--settings", default=",".join(SETTINGS),
                        help="comma-separated names of SETTINGS")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        child(sizes, args.repeats, args.products)
        return
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; float64 "
          f"N×N @ N×N, best of {args.repeats} calls of {args.products} products")
    print(f"{'setting':<22} {'N':>5} {'kernel':>7} {'XLA GF/s':>9} {'NumPy GF/s':>10} "
          f"{'XLA/NumPy':>9}")
    results = {}
    for name in args.settings.split(","):
        env = {**os.environ, "XLA_FLAGS": SETTINGS[name]}
        run = subprocess.run([sys.executable, __file__, "--child", "--sizes", args.sizes,
                              "--repeats", str(args.repeats), "--products", str(args.products)],
                             env=env, capture_output=True, text=True)
        if run.returncode:
            print(f"{name:<22} failed: {run.stderr.strip().splitlines()[-1][:120]}")
            results[name] = {"error": run.stderr[-2000:]}
            continue
        results[name] = json.loads(run.stdout.strip().splitlines()[-1])
        for n, r in results[name].items():
            print(f"{name:<22} {n:>5} {r['kernel']:>7} {r['xla_gflops']:>9.1f} "
                  f"{r['numpy_gflops']:>10.1f} {r['xla_over_numpy']:>9.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": SETTINGS, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
