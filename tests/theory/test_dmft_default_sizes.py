"""Default sizes of the mean-field solvers lie on a coarse ladder, so that sweeps over δ and g
compile a few times instead of once per value (each size is a static shape), while never falling
below the accuracy rule."""

import numpy as np

from jaxchaos._theory._discrete_dmft import _default_lags, _default_resolution
from jaxchaos._theory._dmft import on_ladder, scs_resolution


def test_ladder_rounds_up_by_at_most_a_fourth_root_of_two():
    needed = np.linspace(1.0, 5000.0, 4001)
    sizes = np.array([on_ladder(x, 16) for x in needed])
    assert np.all(sizes >= needed) and np.all(sizes % 2 == 0)
    above = sizes[needed > 16] / needed[needed > 16]
    assert above.max() < 2 ** 0.25 + 2 / 16  # the ladder step, plus rounding up to even
    assert np.all(sizes[needed <= 16] == 16)
    assert len(np.unique(sizes)) <= 4 * np.log2(5000 / 16) + 2


def test_a_gain_and_step_sweep_shares_compilations():
    """euler_map_dmft(g, δ) on 37 gains in [1, 10] × 46 steps in [0.05, 0.5] with default sizes:
    the variance bound is g² for every δ, so sizes depend on g only: 8 rungs of each ladder
    (20g and 70g from 64 and 240), interleaved into 15 (chebyshev, points) pairs."""
    gains, deltas = np.linspace(1.0, 10.0, 37), np.linspace(0.05, 0.5, 46)
    sizes = {_default_resolution(1 - d, d * g, 1.0, 0.0) for g in gains for d in deltas}
    lags = {_default_lags(1 - d, 80.0) for d in deltas}
    assert len(sizes) <= 16 and len(lags) <= 14
    # Never fewer nodes than the accuracy rule: ~20 Chebyshev nodes and ~70 points per unit of g.
    for g in gains:
        chebyshev, points = _default_resolution(0.9, 0.1 * g, 1.0, 0.0)
        assert chebyshev >= 20 * g and points >= 70 * g
        assert chebyshev >= 64 and points >= 240


def test_scs_resolution_grows_with_the_largest_gain():
    small, large = scs_resolution(2.0), scs_resolution([0.5, 20.0])
    assert small == (1024, 64, 240)
    cells, chebyshev, points = large
    assert cells >= 205 * 20 and chebyshev >= 8 * 20 and points >= 70 * 20
