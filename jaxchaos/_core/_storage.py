"""Bytes a drawn connectivity holds, from the ensemble's parameters alone.

Pure Python and NumPy (no JAX): the run configs' size estimates (`jaxchaos._runs.*_config.sizes`)
call it before anything is built, and `Ensemble.stored_bytes` / `LowRankEnsemble.stored_bytes`
return the same numbers. The padded widths are those `Ensemble` draws (`_ensembles.py`).
"""

import math

import numpy as np

INDEX_BYTES = 4  # SparseOperator and RegeneratedOperator indices are int32
KEY_BYTES = 8  # a threefry key's data (2 uint32)
REGENERATED_CHUNK = 4096  # presynaptic neurons redrawn at once by RegeneratedOperator


def population_sizes(n: int, fractions) -> np.ndarray:
    """N_b = the rounded cumulative shares of n (the last population takes the rounding rest)."""
    bounds = np.round(np.cumsum(fractions)[:-1] * n).astype(int)
    return np.diff(np.concatenate([[0], bounds, [n]]))


def sparse_slots(n: int, k: int, fractions=(1.0,), in_degree="fixed",
                 zero_diagonal=True) -> int:
    """Padded in-degree of the rows layout: Σ_b of K_b = round(K α_b) (`"fixed"`) or, for
    Binomial in-degrees, of the padded width min(candidates, ⌈K_b + 8√K_b + 8⌉)."""
    sizes = population_sizes(n, fractions)
    degrees = np.round(k * np.asarray(fractions, float)).astype(int)
    if in_degree == "fixed":
        return int(degrees.sum())
    total = 0
    for b, mean in enumerate(degrees):
        cands = [int(sizes[b]) - (1 if zero_diagonal and a == b else 0) for a in range(len(sizes))]
        total += max(min(c, math.ceil(mean + 8 * math.sqrt(mean) + 8)) for c in cands)
    return total


def stored_bytes(n: int, itemsize: int, *, k=None, fractions=(1.0,), in_degree="fixed",
                 storage="dense", rank=0, zero_diagonal=True) -> int:
    """Bytes W holds for n neurons with `itemsize`-byte weights:

    - dense: N²·itemsize;
    - sparse (rows layout): N·slots·(itemsize + 4), slots = K, or its padded Binomial width;
    - regenerated: O(N): the key, the N-vector a product accumulates into and one chunk of
      4096 redrawn columns (targets and weights), which exists only during a product;
    - a rank-R part (`LowRankEnsemble`) adds its two N×R factors.
    """
    n, itemsize = int(n), int(itemsize)
    if storage == "dense" or k is None:
        held = n * n * itemsize
    else:
        if storage == "sparse":
            slots = sparse_slots(n, int(k), fractions, in_degree, zero_diagonal)
            held = n * slots * (itemsize + INDEX_BYTES)
        else:  # a fixed out-degree of Σ_a round(K α_a) per presynaptic neuron
            slots = sparse_slots(n, int(k), fractions, "fixed")
            chunk = min(REGENERATED_CHUNK, n)
            held = KEY_BYTES + n * itemsize + chunk * slots * (itemsize + INDEX_BYTES)
    return held + 2 * n * int(rank) * itemsize
