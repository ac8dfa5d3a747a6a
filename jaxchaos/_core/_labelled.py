"""Sweep results as labelled arrays: `load_results(path)` reads a run's `results.npz` (or any
`.npz` in that layout) into an `xarray.Dataset` with named sweep axes, so that
`ds["variance"].sel(gain=2.0)` works.

The layout: one `axis_<name>` array per sweep axis, in grid order; every result array's leading
dimensions are the grid's. A trailing dimension takes the name of a 1-D array of the file with
that length that is not itself on the grid (`lags`, `times`, `history_times`, ...), else
`<array>_dim<i>` (also when two such arrays have the same length). An array whose leading
shape happens to equal the grid's is read as a result on the grid. xarray is optional
(`pip install "jaxchaos[xarray]"`).
"""

from pathlib import Path

import numpy as np

from ._errors import ConfigError


def load_results(path):
    """An `xarray.Dataset` of the results in `path` (a run folder or an `.npz` file)."""
    try:
        import xarray
    except ImportError:
        raise ImportError("load_results needs xarray: pip install 'jaxchaos[xarray]'") from None
    path = Path(path)
    path = path / "results.npz" if path.is_dir() else path
    if not path.exists():
        raise ConfigError(f"path: no results file at {path}")
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    axes = {key.removeprefix("axis_"): value for key, value in arrays.items()
            if key.startswith("axis_")}
    if not axes:
        raise ConfigError(f"path: {path} has no axis_<name> arrays (not a sweep's results)")
    grid = tuple(len(values) for values in axes.values())
    results = {key: value for key, value in arrays.items() if not key.startswith("axis_")}
    on_grid = {key: value for key, value in results.items()
               if value.shape[:len(grid)] == grid}
    others = {key: value for key, value in results.items() if key not in on_grid}
    lengths = [len(value) for value in others.values() if value.ndim == 1]
    names = {len(value): key for key, value in others.items()
             if value.ndim == 1 and lengths.count(len(value)) == 1}  # unambiguous lengths only
    variables = {}
    for key, value in on_grid.items():
        trailing = [names.get(size, f"{key}_dim{i}")
                    for i, size in enumerate(value.shape[len(grid):])]
        variables[key] = (list(axes) + trailing, value)
    for key, value in others.items():
        if key not in names.values():
            variables[key] = ([f"{key}_dim{i}" for i in range(value.ndim)], value)
    coords = {**axes, **{key: others[key] for key in names.values()}}
    return xarray.Dataset(variables, coords=coords)
