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

Weak scaling (`--weak-scaling 1,2 --seeds-per-process S [--n N]`): for each P, P processes on P
cores (each pinned to one core, one XLA and one OpenBLAS thread) sweep S·P seeds × the gains, so
the work per process and the cores per process stay fixed; the sweep is compiled by a first call
and timed on a second, and grid points per second, with the efficiency rate(P) / (P · rate(1)),
are printed.
"""

import argparse
import functools
import json
import os
import socket
import subprocess
import sys
import time

SEEDS, GAINS, N = [0, 1, 2, 3], [0.5, 1.5, 3.0], 16


def grid_point(point, n=N):
    import jax

    import jaxchaos as jc

    net = jc.SCSNetwork.random(jax.random.key(point["seed"]), n, point["gain"])
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

    seeds = SEEDS if args.seeds_per_process is None else list(
        range(args.seeds_per_process * args.processes))
    sweep = jc.Sweep(functools.partial(grid_point, n=args.n), {"seed": seeds, "gain": GAINS},
                     shard_axis="seed")
    start = time.perf_counter()
    out = jax.block_until_ready(sweep())
    compiled = time.perf_counter()
    if args.seeds_per_process is not None:  # timed again, compiled
        out = jax.block_until_ready(sweep())
    seconds = time.perf_counter() - compiled
    if args.processes > 1:
        out = multihost_utils.process_allgather(out, tiled=True)
    if args.process_id == 0 and args.seeds_per_process is not None:
        print(json.dumps({"processes": args.processes, "n": args.n,
                          "points": len(seeds) * len(GAINS),
                          "first_call_s": compiled - start, "seconds": seconds}), flush=True)
    if args.process_id == 0 and args.out:
        np.savez(args.out, **{name: np.asarray(value) for name, value in out.items()},
                 devices=len(jax.devices()))
    if args.processes > 1:
        jax.distributed.shutdown()


def launch(args, port=None) -> list[str]:
    """Start P local processes of this script, one CPU device each, on a free loopback port;
    with `--seeds-per-process`, process i runs on core i alone. Returns process 0's output."""
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    env = dict(os.environ)
    flags = [flag for flag in env.get("XLA_FLAGS", "").split()
             if not flag.startswith("--xla_force_host_platform_device_count")]
    if args.seeds_per_process is not None:
        flags += ["--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1"]
        env["OPENBLAS_NUM_THREADS"] = "1"
    env["XLA_FLAGS"] = " ".join(flags)
    common = [sys.executable, __file__, "--processes", str(args.processes),
              "--coordinator", f"127.0.0.1:{port}"] + (["--out", args.out] if args.out else [])
    if args.n != N:
        common += ["--n", str(args.n)]
    if args.seeds_per_process is not None:
        if args.processes > len(os.sched_getaffinity(0)):
            sys.exit(f"--weak-scaling: {args.processes} processes need as many cores "
                     f"({len(os.sched_getaffinity(0))} here)")
        common += ["--seeds-per-process", str(args.seeds_per_process)]
    cores = sorted(os.sched_getaffinity(0))
    procs = []
    for i in range(args.processes):
        pin = (["taskset", "-c", str(cores[i])] if args.seeds_per_process is not None else [])
        procs.append(subprocess.Popen(pin + common + ["--process-id", str(i)], env=env,
                                      stdout=subprocess.PIPE if i == 0 else None, text=True))
    output = procs[0].communicate(timeout=args.timeout)[0] or ""
    codes = [p.wait(timeout=args.timeout) for p in procs]
    if any(codes):
        sys.exit(f"processes exited with {codes}")
    print(output, end="")
    return output.splitlines()


def weak_scaling(args):
    """Grid points per second vs processes at a fixed number of seeds per process."""
    rows = []
    for processes in [int(p) for p in args.weak_scaling.split(",")]:
        args.processes = processes
        lines = launch(args, args.port)
        rows.append(json.loads([line for line in lines if line.startswith("{")][-1]))
    base = rows[0]["points"] / rows[0]["seconds"] / rows[0]["processes"]
    print("| processes | grid points | first call (s) | timed call (s) | points/s | efficiency |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        rate = row["points"] / row["seconds"]
        print(f"| {row['processes']} | {row['points']} | {row['first_call_s']:.1f} | "
              f"{row['seconds']:.2f} | {rate:.2f} | {rate / (row['processes'] * base):.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--process-id", type=int, help="run as this process (else launch all)")
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--port", type=int, help="loopback port when launching (default: free)")
    parser.add_argument("--out", help="npz written by process 0")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--n", type=int, default=N, help=f"neurons per network (default {N})")
    parser.add_argument("--seeds-per-process", type=int,
                        help="S seeds per process, timed (default: the test's 4 seeds in all)")
    parser.add_argument("--weak-scaling", metavar="P1,P2,...",
                        help="time P1, P2, ... processes at --seeds-per-process each")
    args = parser.parse_args()
    if args.weak_scaling:
        if args.seeds_per_process is None:
            parser.error("--weak-scaling needs --seeds-per-process")
        weak_scaling(args)
    elif args.process_id is None:
        launch(args, args.port)
    else:
        worker(args)


if __name__ == "__main__":
    main()
