"""One OpenBLAS thread for the LAPACK calls that XLA makes on the CPU.

On the CPU jaxlib runs LAPACK (the QRs of Lyapunov spectra, Cholesky, eigendecompositions)
through SciPy's bundled OpenBLAS, called from XLA's own worker threads; OpenBLAS then starts
threads of its own on the cores XLA already uses. On the 2-core development machine that made
a Lyapunov spectrum (N = 1024, k = 64, QR every 10 steps, OpenBLAS's default of one thread per
core) 2x slower: 2.95 ms per step against 1.5 ms with one OpenBLAS thread.

`xla_lapack_single_threaded()` sets that library, and only it, to one thread while jaxchaos
runs a compiled loop, and restores it afterwards. NumPy's own OpenBLAS is a separate library
(`numpy.libs`) and keeps its threads. Where SciPy's LAPACK is not a bundled OpenBLAS (a conda
or system build), nothing is changed.
"""

import contextlib
import functools


@functools.cache
def _scipy_openblas() -> tuple:
    """threadpoolctl controllers of the OpenBLAS bundled with SciPy (`scipy.libs`)."""
    import scipy.linalg.cython_lapack  # noqa: F401 - loads the library jaxlib's LAPACK calls
    from threadpoolctl import ThreadpoolController

    return tuple(c for c in ThreadpoolController().lib_controllers
                 if c.internal_api == "openblas" and "scipy.libs" in c.filepath)


@contextlib.contextmanager
def xla_lapack_single_threaded():
    """Within the block, SciPy's OpenBLAS (jaxlib's LAPACK on the CPU) runs one thread."""
    import jax

    controllers = _scipy_openblas() if jax.default_backend() == "cpu" else ()
    before = [c.num_threads for c in controllers]
    for c in controllers:
        c.set_num_threads(1)
    try:
        yield
    finally:
        for c, threads in zip(controllers, before, strict=True):
            c.set_num_threads(threads)


def single_threaded_lapack(function):
    """`function` run inside `xla_lapack_single_threaded()`."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with xla_lapack_single_threaded():
            return function(*args, **kwargs)

    return wrapped
