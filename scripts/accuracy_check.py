"""Accuracy of Lyapunov spectra on the default device (an accelerator when there is one) against
float64 on the CPU: the SCS network (g = 2, Euler dt = 0.1, k leading exponents, QR every step)
from the same W, x0 and frame, computed three ways:

- cpu64: float64 on the CPU (the reference);
- dev64: float64 on the default device;
- dev32: float32 on the default device, every product at `precision="highest"` (the models'
  own matmuls are; `jax_default_matmul_precision` is set too, so nothing falls to TF32).

The trajectories decorrelate (chaos amplifies round-off), so the exponents are compared
statistically: each difference in units of the combined standard error of the block estimates,
√(se_a² + se_b²). Passes when every |Δλ_i| < 5 combined standard errors (a fixed bias of the
float32 arithmetic would show as a growing ratio with t_sim). Exit status 1 on failure.

Run: `.venv/bin/python scripts/accuracy_check.py [--n 1024] [--k 64] [--t-sim 400]`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import jax

# float32 runs in a child process without x64 (the library's float32 mode); the parent is x64.
FLOAT32_CHILD = os.environ.get("ACCURACY_CHECK_FLOAT32") is not None
jax.config.update("jax_enable_x64", not FLOAT32_CHILD)
jax.config.update("jax_default_matmul_precision", "highest")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import jaxchaos as jc  # noqa: E402


def spectrum(net, x0, frame, dtype, device, args):
    def cast(a):
        if isinstance(a, jax.Array) and jnp.issubdtype(a.dtype, jnp.floating):
            return jax.device_put(a.astype(dtype), device)
        return a

    net, x0, frame = jax.tree.map(cast, net), cast(x0), cast(frame)
    with jax.default_device(device):
        return jc.lyapunov_spectrum(net, x0, k=args.k, dt=0.1, solver="euler", t_ons=0.1,
                                    t_warmup=0.0, t_frame_warmup=args.t_sim / 4,
                                    t_sim=args.t_sim, n_blocks=10, key=jax.random.key(2),
                                    frame=frame)


def float32_child(args):
    """In the child: the float32 spectrum from the parent's W, x0 and frame, printed as JSON."""
    data = np.load(os.environ["ACCURACY_CHECK_FLOAT32"])
    net = jc.SCSNetwork(jnp.asarray(data["weights"], jnp.float32), jnp.float32(2.0))
    run = spectrum(net, jnp.asarray(data["x0"]), jnp.asarray(data["frame"]), jnp.float32,
                   jax.devices()[0], args)
    print(json.dumps({"exponents": np.asarray(run.exponents, float).tolist(),
                      "stderr": np.asarray(run.stderr, float).tolist()}))


def float32_run(net, x0, frame):
    """Run `float32_child` in a fresh process (x64 off) on the same W, x0 and frame."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "start.npz")
        np.savez(path, weights=np.asarray(net.weights), x0=np.asarray(x0),
                 frame=np.asarray(frame))
        env = dict(os.environ, ACCURACY_CHECK_FLOAT32=path)
        out = subprocess.run([sys.executable, *sys.argv], env=env, check=True,
                             capture_output=True, text=True).stdout
    values = json.loads(out.strip().splitlines()[-1])
    return type("Run", (), {k: np.asarray(v) for k, v in values.items()})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--t-sim", type=float, default=400.0)
    args = parser.parse_args()
    if FLOAT32_CHILD:
        return float32_child(args)
    cpu, device = jax.devices("cpu")[0], jax.devices()[0]
    with jax.default_device(cpu):
        net = jc.SCSNetwork.random(jax.random.key(0), args.n, jnp.asarray(2.0))
        x0 = net.initial_state(jax.random.key(1))
        # A warmed-up start, so that every run begins on the attractor.
        x0 = jc.lyapunov_spectrum(net, x0, k=1, dt=0.1, solver="euler", t_ons=0.1,
                                  t_warmup=100.0, t_frame_warmup=0.0, t_sim=0.1, n_blocks=1,
                                  key=jax.random.key(3)).state.x
        frame = jnp.linalg.qr(jax.random.normal(jax.random.key(4), (args.n, args.k)))[0]
    runs = {"cpu64": spectrum(net, x0, frame, jnp.float64, cpu, args),
            "dev64": spectrum(net, x0, frame, jnp.float64, device, args),
            "dev32": float32_run(net, x0, frame)}
    ref = runs["cpu64"]
    print(f"SCS N = {args.n}, g = 2, k = {args.k}, Euler dt = 0.1, t_sim = {args.t_sim}; "
          f"device {device.device_kind}; λ_1 (cpu64) = {float(ref.exponents[0]):.5f} ± "
          f"{float(ref.stderr[0]):.5f}")
    ok = True
    for name in ("dev64", "dev32"):
        run = runs[name]
        diff = np.asarray(run.exponents, float) - np.asarray(ref.exponents)
        sigma = np.sqrt(np.asarray(run.stderr, float) ** 2 + np.asarray(ref.stderr) ** 2)
        worst = float(np.max(np.abs(diff) / sigma))
        ok &= worst < 5.0
        print(f"{name} vs cpu64: max |Δλ| = {np.max(np.abs(diff)):.2e}, mean Δλ = "
              f"{np.mean(diff):+.2e}, Σ Δλ = {np.sum(diff):+.2e}, max |Δλ|/σ = {worst:.2f}")
    print("accuracy check:", "PASS" if ok else "FAIL (some |Δλ| ≥ 5 combined standard errors)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
