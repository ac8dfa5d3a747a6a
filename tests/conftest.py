"""Test configuration: two fake CPU devices (so sharded sweeps are tested on CPU), float64, and a
`getkey` fixture that hands out fresh PRNG keys, and a `bars` fixture that records the progress
bars the library opens."""

import os

# Must happen before jax is imported anywhere: XLA reads the flag when the backend starts.
_FLAG = "--xla_force_host_platform_device_count=2"
if _FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _FLAG).strip()
# CLI runs inside the suite do not write to the user's compilation cache (tests that test the
# cache give it a folder of their own).
os.environ["JAXCHAOS_CACHE_DIR"] = "off"

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def getkey():
    """`getkey()` returns a new, distinct key each call (deterministic within a test)."""
    counter = iter(range(1 << 30))

    def _getkey():
        return jax.random.key(next(counter))

    return _getkey


class RecordingBar:
    """A stand-in for tqdm that records each bar's total and progress."""

    made = []

    def __init__(self, total, desc, unit, dynamic_ncols):
        self.total, self.desc, self.n, self.closed = total, desc, 0, False
        RecordingBar.made.append(self)

    def update(self, amount):
        self.n += amount

    def refresh(self):
        pass

    def close(self):
        self.closed = True


@pytest.fixture
def bars(monkeypatch):
    """The progress bars opened during the test (`RecordingBar`s, in order)."""
    from jaxchaos._core import _progress

    RecordingBar.made = []
    monkeypatch.setattr(_progress, "tqdm", RecordingBar)
    return RecordingBar.made
