"""Opt-in progress bars for long library calls (`progress=True`).

A bar is a `tqdm.auto` bar: a text bar in a terminal, a widget in a Jupyter notebook. Long calls
advance it in one of two ways:

- host loops: the call runs its compiled program in equal chunks (`chunk_lengths`: the same
  chunk length compiles once) and advances the bar after each; the chunks do the same arithmetic
  in the same order as one call, so the results are the same;
- inside a compiled program: `tick(bar_id, amount)` is a `jax.debug.callback` that advances the
  bar registered under the traced integer `bar_id` (as diffrax's progress meters do), so the
  compiled program does not depend on which bar it reports to.
"""

import itertools
import math

import jax
import numpy as np
from tqdm.auto import tqdm

from ._errors import ConfigError

_BARS: dict[int, tqdm] = {}
_IDS = itertools.count()


def check_progress(progress) -> bool:
    if not isinstance(progress, bool):
        raise ConfigError(f"progress must be True or False, got {progress!r}")
    return progress


class ProgressBar:
    """A tqdm bar of `total` units when `enabled`, else nothing; a context manager.
    `bar_id` identifies it to `tick` from compiled code."""

    def __init__(self, enabled: bool, total: float, desc: str, unit: str = "it"):
        self.bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True) if enabled else None
        self.bar_id = next(_IDS)
        if self.bar is not None:
            _BARS[self.bar_id] = self.bar

    def update(self, amount=1):
        if self.bar is not None:
            self.bar.update(amount)

    def add_to_total(self, amount):
        if self.bar is not None:
            self.bar.total += amount
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            _BARS.pop(self.bar_id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _advance(bar_id, amount):
    bar = _BARS.get(int(np.ravel(bar_id)[0]))  # under vmap every batch member reports the same
    if bar is not None:
        bar.update(int(np.ravel(amount)[0]))


def tick(bar_id, amount=1):
    """Advance the bar `bar_id` (a traced int32 scalar) by `amount` from inside compiled code."""
    jax.debug.callback(_advance, bar_id, np.int32(amount))


def chunk_lengths(total: int, max_chunks: int = 100) -> list[int]:
    """Split `total` steps into at most `max_chunks` + 1 chunks: equal ones and a remainder."""
    size = max(1, math.ceil(total / max_chunks))
    lengths = [size] * (total // size)
    return lengths + ([total % size] if total % size else [])
