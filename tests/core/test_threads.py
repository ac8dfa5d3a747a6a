"""`xla_lapack_single_threaded`: SciPy's bundled OpenBLAS (jaxlib's LAPACK on the CPU) runs one
thread inside the block and gets its thread count back after it; NumPy's OpenBLAS is left alone."""

from pathlib import Path

import numpy as np
import scipy
from threadpoolctl import ThreadpoolController

import jaxchaos as jc
from jaxchaos._core._threads import _scipy_openblas, single_threaded_lapack

BUNDLED = (Path(scipy.__file__).parent.parent / "scipy.libs").is_dir()


def _numpy_blas_threads():
    np.ones((2, 2)) @ np.ones((2, 2))
    return [c.num_threads for c in ThreadpoolController().lib_controllers
            if "numpy.libs" in c.filepath]


def test_scipy_openblas_is_one_thread_inside_and_restored_after():
    controllers = _scipy_openblas()
    assert bool(controllers) == BUNDLED  # found wherever SciPy bundles its OpenBLAS
    original = [c.num_threads for c in controllers]
    try:
        for c in controllers:  # two threads, so that one inside is a change (the suite sets 1)
            c.set_num_threads(2)
        numpy_before = _numpy_blas_threads()
        inside = single_threaded_lapack(lambda: ([c.num_threads for c in controllers],
                                                 _numpy_blas_threads()))()
        assert inside == ([1] * len(controllers), numpy_before)
        assert [c.num_threads for c in controllers] == [2] * len(controllers)
    finally:
        for c, threads in zip(controllers, original, strict=True):
            c.set_num_threads(threads)


def test_restored_after_an_error():
    controllers = _scipy_openblas()
    before = [c.num_threads for c in controllers]

    @single_threaded_lapack
    def failing():
        raise jc.ConfigError("bad input")

    try:
        failing()
    except jc.ConfigError:
        pass
    assert [c.num_threads for c in controllers] == before
