"""Throughput of a (σ_w, σ_b) grid sweep of deep random nets against references.

For each width N (`--widths`), a grid of G = `--grid`² points (σ_w, σ_b) of one seed propagates
M = `--inputs` inputs through L = `--depth` layers: `jaxchaos.sweep` vmaps `propagate_inputs`
over the grid, and since every point draws the same unit-variance layer weights from the same
key, each layer is one (G·M, N) @ (N, N) product plus one draw of N² normals. Measured in the
same run, interleaved, best of `--repeats` calls after a warm-up call (compilation excluded):

- sweep: the grid sweep above (`propagate_inputs`: q and c of every layer included);
- matmul: Y ← c·(Y @ W) with Y of shape (G·M, N) for L products (`precision="highest"`, dispatch
  not counted), the hardware's rate for this product shape;
- numpy: a loop over the grid points, each propagating its M inputs through the L layers with the
  layer weights drawn once and held (`H = s_w φ(H) @ W.T + s_b b`), the way a user would write it
  (the draws are not timed).

Reported: the rate counting 2·G·M·N² FLOPs per layer, and the ratios sweep/matmul and
sweep/numpy. On a CPU only the ratios are meaningful.

Run: `.venv/bin/python scripts/benchmark_deepnet.py [--widths 256,1024,2048] [--grid 8]
[--inputs 8] [--depth 16] [--dtype float64|float32] [--repeats 5]`.
"""

import argparse
import math

import jax
import jax.numpy as jnp
import numpy as np
from _timing import best_times, matmul_call

import jaxchaos
from jaxchaos._models._deepnet import DeepNetwork, propagate_inputs


def sweep_call(width, depth, sigmas_w, sigmas_b, h0):
    key = jax.random.key(0)

    def point(p):
        return propagate_inputs(DeepNetwork(key, p["sigma_w"], p["sigma_b"], width, depth), h0)

    sweep = jaxchaos.Sweep(point, {"sigma_w": sigmas_w, "sigma_b": sigmas_b})
    return lambda: sweep()


def numpy_call(width, depth, sigmas_w, sigmas_b, h0, dtype):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((width, width)).astype(dtype) / math.sqrt(width)
               for _ in range(depth)]
    biases = [rng.standard_normal(width).astype(dtype) for _ in range(depth)]
    h_init = np.asarray(h0)

    def loop():
        out = []
        for s_w in sigmas_w:
            for s_b in sigmas_b:
                h = h_init
                qs = []
                for w, b in zip(weights, biases, strict=True):
                    h = s_w * (np.tanh(h) @ w.T) + s_b * b
                    gram = h @ h.T / width
                    qs.append(np.diagonal(gram))
                out.append(qs)
        return out

    return loop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="256,1024,2048")
    parser.add_argument("--grid", type=int, default=8, help="points per σ axis")
    parser.add_argument("--inputs", type=int, default=8)
    parser.add_argument("--depth", type=int, default=16)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.dtype(args.dtype)
    sigmas_w = np.linspace(0.5, 3.0, args.grid)
    sigmas_b = np.linspace(0.0, 1.0, args.grid)
    device = jax.devices()[0]
    print(f"device: {device.device_kind} ({device.platform}), jax {jax.__version__}, "
          f"dtype {args.dtype}, grid {args.grid}x{args.grid}, {args.inputs} inputs, "
          f"depth {args.depth}; best of {args.repeats}; FLOPs: 2*G*M*N^2 per layer")
    print(f"{'N':>6} {'sweep GF/s':>11} {'matmul GF/s':>12} {'numpy GF/s':>11} "
          f"{'sweep/matmul':>13} {'sweep/numpy':>12}")
    rows = args.grid**2 * args.inputs
    for width in (int(w) for w in args.widths.split(",")):
        h0 = jax.random.normal(jax.random.key(1), (args.inputs, width), dtype)
        weights = jax.random.normal(jax.random.key(2), (width, width), dtype)
        y0 = jax.random.normal(jax.random.key(3), (width, rows), dtype)
        calls = {
            "sweep": sweep_call(width, args.depth, sigmas_w, sigmas_b, h0),
            "matmul": matmul_call(weights, y0, args.depth),
            "numpy": numpy_call(width, args.depth, sigmas_w, sigmas_b, h0, args.dtype),
        }
        times = best_times(calls, args.repeats, pause=0.2)
        flops = 2.0 * rows * width**2 * args.depth
        rate = {name: flops / t / 1e9 for name, t in times.items()}
        print(f"{width:>6} {rate['sweep']:>11.1f} {rate['matmul']:>12.1f} {rate['numpy']:>11.1f} "
              f"{rate['sweep'] / rate['matmul']:>13.2f} {rate['sweep'] / rate['numpy']:>12.2f}")


if __name__ == "__main__":
    main()
