"""`jax.distributed` on this machine: two processes (loopback coordinator, gloo CPU collectives)
run one sharded sweep — a simulation statistic and Lyapunov exponents traced inside it — and the
gathered grid equals the single-process sweep to the bit (each grid point runs the same
arithmetic on one CPU device either way)."""

import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).parents[2] / "scripts" / "multiprocess_sweep.py"


def _run(processes, out):
    subprocess.run([sys.executable, str(SCRIPT), "--processes", str(processes), "--out",
                    str(out), "--timeout", "240"], check=True, timeout=300)
    return np.load(out)


def test_two_processes_gather_the_single_process_result(tmp_path):
    one = _run(1, tmp_path / "one.npz")
    two = _run(2, tmp_path / "two.npz")
    assert int(one["devices"]) == 1 and int(two["devices"]) == 2
    assert two["variance"].shape == (4, 3) and two["exponents"].shape == (4, 3, 2)
    np.testing.assert_array_equal(two["variance"], one["variance"])
    np.testing.assert_array_equal(two["exponents"], one["exponents"])
    # Not a degenerate grid: the gains differ, and g = 3 is more variable than g = 0.5.
    assert np.all(one["variance"][:, 2] > one["variance"][:, 0])
