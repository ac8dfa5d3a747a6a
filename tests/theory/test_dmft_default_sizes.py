"""Default sizes of the discrete-time mean-field solver lie on a coarse ladder, so that sweeps
over δ and g compile a few times instead of once per value (each size is a static shape)."""

import numpy as np

from jaxchaos._theory._discrete_dmft import _default_lags, _default_points, _on_ladder


def test_ladder_rounds_up_by_at_most_a_fourth_root_of_two():
    needed = np.linspace(1.0, 5000.0, 4001)
    sizes = np.array([_on_ladder(x, 16) for x in needed])
    assert np.all(sizes >= needed) and np.all(sizes % 2 == 0)
    above = sizes[needed > 16] / needed[needed > 16]
    assert above.max() < 2 ** 0.25 + 2 / 16  # the ladder step, plus rounding up to even
    assert np.all(sizes[needed <= 16] == 16)
    assert len(np.unique(sizes)) <= 4 * np.log2(5000 / 16) + 2


def test_a_gain_and_step_sweep_shares_compilations():
    """euler_map_dmft(g, δ) on 37 gains in [1, 10] × 46 steps in [0.05, 0.5] with default sizes:
    before the ladder 32 trapezoid sizes and 46 numbers of lags (one compilation per δ), now 8
    and 14 (measured, CPU: a new δ in the same rung reuses the compilation, ~2 s instead of
    ~30 s)."""
    gains, deltas = np.linspace(1.0, 10.0, 37), np.linspace(0.05, 0.5, 46)
    points = {_default_points(1 - d, d * g, 1.0, 0.0) for g in gains for d in deltas}
    lags = {_default_lags(1 - d, 80.0) for d in deltas}
    assert len(points) <= 8 and len(lags) <= 14
    assert min(points) >= 240 and max(points) <= 1200
    # Never fewer points than the accuracy rule, ~70 per unit of the standard-deviation bound.
    for g in gains:
        assert _default_points(0.9, 0.1 * g, 1.0, 0.0) >= min(1200, 70 * g)
