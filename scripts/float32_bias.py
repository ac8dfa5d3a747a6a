"""Bias of float32 Lyapunov spectra (every product at precision="highest") against float64 on
the same networks: the SCS rate network dx/dt = -x + gW tanh(x), forward Euler dt = 0.1, full
spectra (k = N) with a QR every `--t-ons`.

For each of `--seeds` networks, W (N(0, 1/N), zero diagonal), x0 and the starting frame are
drawn in float64 by NumPy and rounded to float32, so both precisions integrate the same system
from the same start. The trajectories then decorrelate (chaos amplifies round-off), so a single
network's difference is a statistical fluctuation of the size of the block standard errors; a
systematic bias of float32 shows as a mean difference over networks that is large against its
standard error across networks. Reported per network and as mean ± standard error over networks:
λ_max, D_KY/N, h_KS/N and the r.m.s. difference of the whole spectrum, with the block standard
error of λ_max for scale.

Run: `.venv/bin/python scripts/float32_bias.py [--n 128] [--gain 3] [--seeds 6] [--t-sim 200]
[--json PATH]` (about 3 minutes at the defaults on the shared 2-core CPU).
"""
import argparse
import json
import time

import jax
import numpy as np

import jaxchaos as jc
from jaxchaos._runs._runfolder import precision_set

jax.config.update("jax_default_matmul_precision", "highest")


def drawn(seed: int, n: int):
    """W, x0 and a frame in float64 (NumPy), for both precisions."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, n)) / np.sqrt(n)
    np.fill_diagonal(w, 0.0)
    return w, rng.standard_normal(n), rng.standard_normal((n, n))


def spectrum(arrays, gain: float, precision: str, args) -> dict:
    w, x0, frame = arrays
    with precision_set(precision):
        dtype = jax.numpy.dtype(precision)
        net = jc.SCSNetwork(jax.numpy.asarray(w, dtype), np.asarray(gain, dtype))
        res = jc.lyapunov_spectrum(
            net, jax.numpy.asarray(x0, dtype), dt=0.1, solver="euler", t_ons=args.t_ons,
            t_warmup=args.t_warmup, t_frame_warmup=args.t_warmup, t_sim=args.t_sim,
            n_blocks=10, frame=jax.numpy.asarray(frame, dtype), key=jax.random.key(1))
        assert res.exponents.dtype == dtype
        lam = np.asarray(res.exponents, float)
        return {"exponents": lam, "stderr": np.asarray(res.stderr, float),
                "dky_n": float(jc.kaplan_yorke_dimension(lam)) / len(lam),
                "hks_n": float(jc.ks_entropy(lam)) / len(lam),
                "max_spread": float(res.max_spread)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--gain", type=float, default=3.0)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--t-sim", type=float, default=200.0)
    parser.add_argument("--t-warmup", type=float, default=50.0)
    parser.add_argument("--t-ons", type=float, default=1.0)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    start, rows = time.perf_counter(), []
    for seed in range(args.seeds):
        arrays = drawn(seed, args.n)
        s64, s32 = (spectrum(arrays, args.gain, p, args) for p in ("float64", "float32"))
        rows.append({
            "seed": seed,
            "lambda_max_64": s64["exponents"][0], "lambda_max_32": s32["exponents"][0],
            "lambda_max_stderr_64": s64["stderr"][0],
            "d_lambda_max": s32["exponents"][0] - s64["exponents"][0],
            "dky_n_64": s64["dky_n"], "d_dky_n": s32["dky_n"] - s64["dky_n"],
            "d_hks_n": s32["hks_n"] - s64["hks_n"],
            "rms_d_lambda": float(np.sqrt(np.mean((s32["exponents"] - s64["exponents"]) ** 2))),
            "d_mean_lambda": float(np.mean(s32["exponents"]) - np.mean(s64["exponents"])),
            "max_spread_32": s32["max_spread"],
        })
        print(f"seed {seed} done at {time.perf_counter() - start:.0f} s", flush=True)
    print(f"\nSCS g = {args.gain:g}, N = {args.n}, full spectra, Euler dt = 0.1, QR every "
          f"{args.t_ons:g}, t_sim = {args.t_sim:g} after {args.t_warmup:g} + {args.t_warmup:g} of "
          f"warm-up; float32 with products at 'highest' minus float64, same W, x0 and frame")
    print(f"{'seed':>4} {'λmax64':>8} {'±se':>6} {'Δλmax':>8} {'D/N 64':>7} {'ΔD/N':>8} "
          f"{'Δh/N':>9} {'rms Δλ':>7} {'Δmean λ':>9}")
    for r in rows:
        print(f"{r['seed']:>4} {r['lambda_max_64']:>8.4f} {r['lambda_max_stderr_64']:>6.4f} "
              f"{r['d_lambda_max']:>+8.4f} {r['dky_n_64']:>7.4f} {r['d_dky_n']:>+8.4f} "
              f"{r['d_hks_n']:>+9.5f} {r['rms_d_lambda']:>7.4f} {r['d_mean_lambda']:>+9.1e}")
    summary = {}
    for name in ("d_lambda_max", "d_dky_n", "d_hks_n", "rms_d_lambda", "d_mean_lambda"):
        values = np.array([r[name] for r in rows])
        sem = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
        summary[name] = {"mean": float(values.mean()), "sem": float(sem)}
        print(f"mean {name} over {len(values)} networks: {values.mean():+.2g} ± {sem:.2g}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "rows": rows, "summary": summary}, f, indent=2,
                      default=float)


if __name__ == "__main__":
    main()
