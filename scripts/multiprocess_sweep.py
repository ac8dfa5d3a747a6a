"""A multi-process sweep with `jax.distributed`: P processes on this machine (a loopback
coordinator, CPU collectives over gloo) run one sharded `jc.sweep` of the SCS network over seeds ×
gains — the variance of x and the two leading Lyapunov exponents (`lyapunov_spectrum` traced
inside the sweep) — and gather the result to every process with `process_allgather`. Process 0
writes it to `--out` (npz). With `--processes 1` it is the plain single-process sweep, so the two
can be compared (`tests/core/test_multiprocess_sweep.py`: equal to the bit).

Several hosts work alike: start this file once per host with `--process-id`, `--processes` and a
`--coordinator` host:port that every host can reach (under SLURM: `srun python
scripts/multiprocess_sweep.py --processes $SLURM_NTASKS --process-id $SLURM_PROCID --coordinator
$(scontrol show hostnames | head -1):29500`); without `--process-id` this script starts the P
local processes itself.

Run: `.venv/bin/python scripts/multiprocess_sweep.py --processes 2 --out result.npz [--port 29500]`.
"""

import argparse
import os
import socket
import subprocess
import sys

SEEDS, GAINS, N = [0, 1, 2, 3], [0.5, 1.5, 3.0], 16


def grid_point(point):
    import jax

    import jaxchaos as jc

    net = jc.SCSNetwork.random(jax.random.key(point["seed"]), N, point["gain"])
    integrator = jc.Integrator(dt=0.1)
    state = integrator.init(net, net.initial_state(jax.random.key(1)))
    moments = jc.Moments(start=0.0)
    _, carries, _ = integrator.run(net, state, {"m": moments}, {"m": moments.init(state.x)}, 20)
    spectrum = jc.lyapunov_spectrum(net, k=2, dt=0.1, solver="rk4", t_ons=0.5, t_warmup=5.0,
                                    t_frame_warmup=5.0, t_sim=20.0, n_blocks=4,
                                    key=jax.random.key(point["seed"]))
    return {"variance": moments.finalize(carries["m"], None)["var"].mean(),
            "exponents": spectrum.exponents}


def worker(args):
    import jax

    jax.config.update("jax_enable_x64", True)
    if args.processes > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=args.coordinator,
                                   num_processes=args.processes, process_id=args.process_id)
    import numpy as np
    from jax.experimental import multihost_utils

    import jaxchaos as jc

    out = jc.sweep(grid_point, {"seed": SEEDS, "gain": GAINS}, shard_axis="seed")
    if args.processes > 1:
        out = multihost_utils.process_allgather(out, tiled=True)
    if args.process_id == 0 and args.out:
        np.savez(args.out, **{name: np.asarray(value) for name, value in out.items()},
                 devices=len(jax.devices()))
    if args.processes > 1:
        jax.distributed.shutdown()


def launch(args):
    """Start P local processes of this script, one CPU device each, on a free loopback port."""
    if args.port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            args.port = s.getsockname()[1]
    env = dict(os.environ)
    env["XLA_FLAGS"] = " ".join(flag for flag in env.get("XLA_FLAGS", "").split()
                                if not flag.startswith("--xla_force_host_platform_device_count"))
    common = [sys.executable, __file__, "--processes", str(args.processes),
              "--coordinator", f"127.0.0.1:{args.port}"] + (["--out", args.out] if args.out else [])
    procs = [subprocess.Popen(common + ["--process-id", str(i)], env=env)
             for i in range(args.processes)]
    codes = [p.wait(timeout=args.timeout) for p in procs]
    if any(codes):
        sys.exit(f"processes exited with {codes}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--process-id", type=int, help="run as this process (else launch all)")
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--port", type=int, help="loopback port when launching (default: free)")
    parser.add_argument("--out", help="npz written by process 0")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    if args.process_id is None:
        launch(args)
    else:
        worker(args)


if __name__ == "__main__":
    main()
