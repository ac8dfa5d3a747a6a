"""Run configurations: TOML files with four tables, checked against a schema before anything runs.

```toml
name = "scs_gain_sweep"            # prefix of the run folder

[model]                            # the system; every numeric key may be swept instead
kind = "scs"                       # "scs" | "hopfield" (flows) | "scs_euler_map" | "cessac" (maps)
n = 400
gain = 1.5
...

[sweep]                            # grid axes: a list, or {start, stop, num} (inclusive linspace)
seed = [0, 1, 2, 3]
gain = {start = 0.5, stop = 2.0, num = 8}

[simulation]                       # times in model time units (maps: steps)
t_end = 300.0
...

[output]
root = "runs"
precision = "float64"
```

Every key, its default and its meaning is in `SCHEMA` below; `jaxchaos show-config` prints the
embedded default. Unknown keys, wrong types and out-of-range values raise `ConfigError` naming
the key.
"""

import tomllib
from importlib import resources

import numpy as np

from .._core._errors import ConfigError, check_choice, check_real, check_steps
from ._config import NUMBER, check_name, check_type, fill_table, item_bytes, read_toml

# The library (and with it JAX) is imported only by the checks against its tables, which run
# last (`_check_library_names`), and by `build_system`: most config errors come without the wait.

MODEL_KINDS = ("scs", "scs_euler_map", "cessac", "hopfield")
# "connectivity": the dense `Connectivity` of the keys connectivity, k, excitatory_fraction,
# block_std, block_mean; "random": an `Ensemble` of the keys k, fractions, means, stds, in_degree,
# scaling, weights, dale, eta, storage; "low_rank": that `Ensemble` plus rank-R `outliers`.
ENSEMBLES = ("connectivity", "random", "low_rank")
_LEGACY_KEYS = ("connectivity", "excitatory_fraction", "block_std", "block_mean")
_ENSEMBLE_KEYS = ("fractions", "means", "stds", "in_degree", "scaling", "weights", "dale", "eta",
                  "storage")
FLOW_KINDS = ("scs", "hopfield")  # the others are maps (time counts steps)
GAIN_SCHEDULES = ("constant", "alternating")
GAIN_CYCLES = 1000  # low/high cycles drawn for an alternating gain (then it repeats)
INPUT_KINDS = ("none", "constant", "sinusoid")
PRECISIONS = ("float64", "float32")

# key: (default, allowed type(s), models that use it (None: all))
_MODEL = {
    "kind": ("scs", str, None),
    "n": (400, int, None),
    "noise": (0.0, NUMBER, None),
    "connectivity": ("dense", str, None),
    "k": (None, int, None),
    "zero_diagonal": (True, bool, None),
    "excitatory_fraction": (None, NUMBER, None),
    "block_std": ([[1.0, 1.0], [1.0, 1.0]], list, None),
    "block_mean": ([[0.0, 0.0], [0.0, 0.0]], list, None),
    "ensemble": ("connectivity", str, None),
    "fractions": ([1.0], list, None),  # population fractions α_b
    "means": ([[0.0]], list, None),  # μ_ab, P×P (row: postsynaptic a, column: presynaptic b)
    "stds": ([[1.0]], list, None),  # σ_ab, P×P
    "in_degree": ("fixed", str, None),  # or "binomial" (with k)
    "scaling": ("mean_field", str, None),  # or "balanced"
    "weights": ("gaussian", str, None),  # or "binary" (m ± s)
    "dale": (False, bool, None),  # signs by presynaptic population, Gamma magnitudes
    "eta": (0.0, NUMBER, None),  # partial symmetry Corr(W_ij, W_ji); sparse: binomial in_degree
    "storage": ("dense", str, None),  # or "sparse", "regenerated" (with k)
    "outliers": ([2.0], list, None),  # low_rank: the outlier eigenvalues λ_r
    # SCS flow and its Euler map
    "gain": (1.5, NUMBER, ("scs", "scs_euler_map", "hopfield")),
    "nonlinearity": ("tanh", str, ("scs", "scs_euler_map", "hopfield")),
    "shift": (0.0, NUMBER, ("scs", "scs_euler_map", "hopfield")),
    "input": ("none", str, ("scs", "scs_euler_map")),
    "input_value": (0.0, NUMBER, ("scs", "scs_euler_map")),
    "input_amplitude": (0.0, NUMBER, ("scs", "scs_euler_map")),
    "input_frequency": (0.0, NUMBER, ("scs", "scs_euler_map")),
    "input_correlation": ("common", str, ("scs", "scs_euler_map")),
    "delta": (0.1, NUMBER, ("scs_euler_map",)),
    # Cessac map
    "slope": (3.0, NUMBER, ("cessac",)),
    "coupling_std": (1.0, NUMBER, ("cessac",)),
    "coupling_mean": (0.0, NUMBER, ("cessac",)),
    "leak": (0.0, NUMBER, ("cessac",)),
    "threshold_mean": (0.0, NUMBER, ("cessac",)),
    "threshold_std": (0.0, NUMBER, ("cessac",)),
    # Hopfield plus random network (`gain`: the fixed gain, or the low gain when alternating)
    "patterns": (8, int, ("hopfield",)),  # number P of random ±1 patterns, 1 <= P < n
    "rule": ("pseudo_inverse", str, ("hopfield",)),  # or "outer_product"
    "strength": (2.0, NUMBER, ("hopfield",)),  # s in W_s = (s/N) Ξᵀ K Ξ
    "gain_schedule": ("constant", str, ("hopfield",)),  # or "alternating"
    "gain_high": (5.0, NUMBER, ("hopfield",)),  # alternating: the high gain
    "low_dwell": ([20.0, 40.0], list, ("hopfield",)),  # alternating: dwell ~ U(min, max)
    "high_dwell": ([10.0, 20.0], list, ("hopfield",)),
}
_SIMULATION = {
    "t_end": (300.0, NUMBER),
    "dt": (0.1, NUMBER),
    "solver": ("tsit5", str),
    "adaptive": (False, bool),
    "rtol": (1e-6, NUMBER),
    "atol": (1e-8, NUMBER),
    "record_every": (0.5, NUMBER),
    "t_warmup": (100.0, NUMBER),
    "trace_neurons": (8, int),
    "autocorrelation_window": (20.0, NUMBER),
    "chunks": (10, int),
}
# Present only in spectrum runs; these then ignore the recording keys of [simulation].
_LYAPUNOV = {
    "k": (None, int),  # number of exponents (default: all N)
    "t_ons": (1.0, NUMBER),  # time between QR re-orthonormalizations
    "t_frame_warmup": (50.0, NUMBER),
    "t_sim": (500.0, NUMBER),  # accumulation time
    "n_blocks": (10, int),  # blocks for the history and the standard errors
}
_OUTPUT = {
    "root": ("runs", str),
    "precision": ("float64", str),
    "figures": (True, bool),
}
# The connectivity is drawn once per seed from the [model] table (`connectivity_from`), so its
# keys cannot be sweep axes.
CONNECTIVITY_KEYS = ("ensemble", *_LEGACY_KEYS, *_ENSEMBLE_KEYS, "k", "zero_diagonal", "outliers")
# Model keys that may be swept (numeric, no effect on array shapes, read from the sweep point by
# `build_system`; tests/runs/test_config.py checks each one changes the system).
SWEEPABLE = tuple(
    key for key, (default, kind, _) in _MODEL.items()
    if kind is NUMBER and key not in CONNECTIVITY_KEYS
) + ("seed",)
MAX_STEPS = 2**31 - 1  # steps a run may take (the step counter is a 32-bit integer)


def default_config() -> dict:
    """The embedded default run: a gain sweep of the SCS network (`jaxchaos/default.toml`)."""
    text = resources.files("jaxchaos._runs").joinpath("default.toml").read_text()
    return resolve_config(tomllib.loads(text))


def load_config(path) -> dict:
    """Read and resolve a TOML config file."""
    return resolve_config(read_toml(path))


def _axis_values(name: str, spec) -> list:
    if isinstance(spec, dict):
        unknown = set(spec) - {"start", "stop", "num"}
        if unknown or len(spec) != 3:
            raise ConfigError(f"sweep.{name} as a table needs exactly start, stop, num")
        for key in ("start", "stop"):
            check_type(f"sweep.{name}.{key}", spec[key], NUMBER)
        check_type(f"sweep.{name}.num", spec["num"], int)
        check_real(f"sweep.{name}.num", spec["num"], positive=True)
        return [float(v) for v in np.linspace(spec["start"], spec["stop"], spec["num"])]
    if not isinstance(spec, list) or not spec:
        raise ConfigError(f"sweep.{name} must be a non-empty list or a {{start, stop, num}} table")
    for value in spec:
        check_type(f"sweep.{name} entries", value, NUMBER)
    return list(spec)


def resolve_config(raw: dict) -> dict:
    """Fill defaults and check every key; the result is what a run records and uses."""
    allowed = {"name", "model", "sweep", "simulation", "lyapunov", "output"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {unknown}; allowed: {sorted(allowed)}")
    name = check_name(raw.get("name", "run"))
    model = fill_table("model", raw.get("model", {}), _MODEL)
    simulation = fill_table("simulation", raw.get("simulation", {}), _SIMULATION)
    if model["kind"] not in FLOW_KINDS and "dt" not in raw.get("simulation", {}):
        simulation["dt"] = 1.0  # maps count steps
    output = fill_table("output", raw.get("output", {}), _OUTPUT)
    sweep_raw = raw.get("sweep", {"seed": [0]})
    if not isinstance(sweep_raw, dict):
        raise ConfigError("[sweep] must be a table")
    sweep = {}
    for axis, spec in sweep_raw.items():
        if axis in CONNECTIVITY_KEYS:
            raise ConfigError(f"sweep.{axis}: the connectivity is drawn once per seed from "
                              "[model] and cannot be swept; run one config per value")
        if axis not in SWEEPABLE:
            raise ConfigError(f"sweep.{axis} cannot be swept; sweepable keys: {sorted(SWEEPABLE)}")
        sweep[axis] = _axis_values(axis, spec)
    sweep.setdefault("seed", [0])
    config = {"name": name, "model": model, "sweep": sweep, "simulation": simulation,
              "output": output}
    if "lyapunov" in raw:
        config["lyapunov"] = fill_table("lyapunov", raw["lyapunov"], _LYAPUNOV)
    _check_values(config)
    return config


def _check_values(config: dict):
    model, sim, out, sweep = (config[k] for k in ("model", "simulation", "output", "sweep"))
    kind = check_choice("model.kind", model["kind"], MODEL_KINDS)
    for key, (default, _, used_by) in _MODEL.items():
        if used_by is not None and kind not in used_by and model[key] != default:
            raise ConfigError(f"model.{key} does not apply to model.kind = {kind!r}")
        if used_by is not None and kind not in used_by and key in sweep:
            raise ConfigError(f"sweep.{key} does not apply to model.kind = {kind!r}")
    check_real("model.n", model["n"], positive=True)
    check_choice("model.input", model["input"], INPUT_KINDS)
    check_choice("model.input_correlation", model["input_correlation"], ("common", "independent"))
    nonnegative = ("gain", "noise", "slope", "coupling_std", "threshold_std", "input_amplitude",
                   "input_frequency")
    for key in nonnegative:
        for value in sweep.get(key, [model[key]]):
            check_real(f"sweep.{key}" if key in sweep else f"model.{key}", value, nonnegative=True)
    for value in sweep.get("leak", [model["leak"]]):
        check_real("model.leak", value, nonnegative=True, below=1.0)
    for value in sweep.get("delta", [model["delta"]]):
        check_real("model.delta", value, positive=True)
    for value in sweep["seed"]:
        check_real("sweep.seed", value, nonnegative=True, integer=True)

    if kind == "hopfield":
        _check_hopfield(config)
    is_map = kind not in FLOW_KINDS
    if is_map and sim["dt"] != 1:
        raise ConfigError("simulation.dt must be 1 for a map (time counts steps)")
    for key in ("t_end", "record_every", "autocorrelation_window", "rtol", "atol"):
        check_real(f"simulation.{key}", sim[key], positive=True)
    check_real("simulation.dt", sim["dt"], positive=True)
    lya = config.get("lyapunov")
    span = sim["t_warmup"] + lya["t_frame_warmup"] + lya["t_sim"] if lya else sim["t_end"]
    if span / sim["dt"] > MAX_STEPS:
        raise ConfigError(f"simulation.dt = {sim['dt']} gives {span / sim['dt']:.3g} steps over "
                          f"the run's {span} time units; at most {MAX_STEPS}: raise "
                          "simulation.dt")
    check_real("simulation.t_warmup", sim["t_warmup"], nonnegative=True)
    check_real("simulation.chunks", sim["chunks"], positive=True)
    check_real("simulation.trace_neurons", sim["trace_neurons"], nonnegative=True)
    if sim["trace_neurons"] > model["n"]:
        raise ConfigError("simulation.trace_neurons exceeds model.n")
    if "lyapunov" in config:
        _check_lyapunov(config["lyapunov"], sim, model)
    else:
        _check_recording(sim)
    check_choice("output.precision", out["precision"], PRECISIONS)
    _check_library_names(config)


def _check_library_names(config: dict):
    """The checks against the library's tables (nonlinearities, connectivities, solvers,
    Hopfield rules) and the connectivity's own size check; these import JAX."""
    from .._core._nonlinearities import NONLINEARITIES
    from .._core._solvers import ODE_SOLVERS, SDE_SOLVERS
    from .._models._hopfield import RULES

    model, sim, sweep = config["model"], config["simulation"], config["sweep"]
    check_choice("model.nonlinearity", model["nonlinearity"], NONLINEARITIES)
    from .._core._connectivity import CONNECTIVITY_KINDS

    check_choice("model.connectivity", model["connectivity"], CONNECTIVITY_KINDS)
    _check_ensemble(model)
    try:
        connectivity_from(model).check_size(model["n"])
    except ConfigError as err:
        raise ConfigError(f"model: {err}") from None
    if model["kind"] == "hopfield":
        check_choice("model.rule", model["rule"], RULES)
    stochastic = model["noise"] != 0 or "noise" in sweep
    if model["kind"] in FLOW_KINDS:
        table = SDE_SOLVERS if stochastic else ODE_SOLVERS
        check_choice("simulation.solver (SDE)" if stochastic else "simulation.solver",
                     sim["solver"], table)


def _check_ensemble(model: dict):
    """The connectivity keys: one family at a time, choices, table shapes (via `Ensemble`)."""
    from .._core._ensembles import IN_DEGREES, SCALINGS, STORAGES, WEIGHT_KINDS

    ensemble = check_choice("model.ensemble", model["ensemble"], ENSEMBLES)
    unused = _ENSEMBLE_KEYS + ("outliers",) if ensemble == "connectivity" else _LEGACY_KEYS
    if ensemble == "random":
        unused = unused + ("outliers",)
    for key in unused:
        if model[key] != _MODEL[key][0]:
            raise ConfigError(f"model.{key} does not apply to model.ensemble = {ensemble!r}")
    for key, choices in (("in_degree", IN_DEGREES), ("scaling", SCALINGS),
                         ("weights", WEIGHT_KINDS), ("storage", STORAGES)):
        check_choice(f"model.{key}", model[key], choices)
    if ensemble != "connectivity" and model["k"] is not None and model["k"] >= model["n"]:
        raise ConfigError(f"model.k = {model['k']} must be < model.n = {model['n']}")
    for key in ("fractions", "outliers"):
        if not model[key] or any(isinstance(v, bool) or not isinstance(v, NUMBER)
                                 for v in model[key]):
            raise ConfigError(f"model.{key} must be a non-empty list of numbers")
    fractions = model["fractions"]
    if len(fractions) > 1 and not all(0 < f < 1 for f in fractions):
        raise ConfigError(f"model.fractions must lie in (0, 1), got {fractions}")
    for key in ("means", "stds"):
        table = model[key]
        if (len(table) != len(fractions) or any(not isinstance(row, list)
                                                or len(row) != len(fractions) for row in table)):
            raise ConfigError(f"model.{key} must be a {len(fractions)}x{len(fractions)} table "
                              f"(one row and column per entry of model.fractions), got {table}")


def _check_hopfield(config: dict):
    """Pattern count, rule, strength and the alternating-gain schedule of a Hopfield model."""
    model, sweep, sim = config["model"], config["sweep"], config["simulation"]
    if not 1 <= model["patterns"] < model["n"]:
        raise ConfigError(f"model.patterns = {model['patterns']} must satisfy 1 <= P < model.n "
                          f"= {model['n']}")
    check_choice("model.gain_schedule", model["gain_schedule"], GAIN_SCHEDULES)
    for key in ("strength", "gain_high"):
        for value in sweep.get(key, [model[key]]):
            check_real(f"sweep.{key}" if key in sweep else f"model.{key}", value,
                       positive=key == "strength", nonnegative=True)
    alternating = model["gain_schedule"] == "alternating"
    for key in ("gain_high", "low_dwell", "high_dwell"):
        if not alternating and (model[key] != _MODEL[key][0] or key in sweep):
            raise ConfigError(f"model.{key} applies only to model.gain_schedule = 'alternating'")
    for key in ("low_dwell", "high_dwell"):
        dwell = model[key]
        if len(dwell) != 2 or any(isinstance(v, bool) or not isinstance(v, NUMBER)
                                  for v in dwell):
            raise ConfigError(f"model.{key} must be [min, max], got {dwell!r}")
        check_real(f"model.{key}", dwell, positive=True)
        if dwell[0] > dwell[1]:
            raise ConfigError(f"model.{key} = {dwell} must have min <= max")
    lya = config.get("lyapunov")
    horizon = (sim["t_warmup"] + lya["t_frame_warmup"] + lya["t_sim"]) if lya else sim["t_end"]
    if alternating and GAIN_CYCLES * (model["low_dwell"][0] + model["high_dwell"][0]) < horizon:
        raise ConfigError(f"the {GAIN_CYCLES} gain cycles are shorter than the run ({horizon}): "
                          "lengthen model.low_dwell or model.high_dwell")


def _check_recording(sim: dict):
    """The recording keys of a simulation run: whole numbers of records, chunks and lags."""
    check_steps("simulation.record_every", sim["record_every"], sim["dt"])
    records = check_steps("simulation.t_end", sim["t_end"], sim["record_every"],
                          "simulation.record_every")
    if records % sim["chunks"]:
        raise ConfigError(
            f"simulation.chunks = {sim['chunks']} must divide the {records} records "
            "(t_end / record_every)"
        )
    if sim["t_warmup"] >= sim["t_end"]:
        raise ConfigError("simulation.t_warmup must be shorter than simulation.t_end")
    check_steps("simulation.autocorrelation_window", sim["autocorrelation_window"],
                sim["record_every"], "simulation.record_every")
    recorded = sim["t_end"] - sim["t_warmup"]
    if sim["autocorrelation_window"] > recorded:
        raise ConfigError(f"simulation.autocorrelation_window = {sim['autocorrelation_window']} "
                          f"exceeds the recorded span t_end - t_warmup = {recorded}")


def _check_lyapunov(lya: dict, sim: dict, model: dict):
    """A spectrum run: QR interval, warm-ups and blocks in whole steps, chunks of whole blocks."""
    if lya["k"] is not None:
        check_real("lyapunov.k", lya["k"], positive=True)
        if lya["k"] > model["n"]:
            raise ConfigError(f"lyapunov.k = {lya['k']} exceeds model.n = {model['n']}")
    for key in ("t_ons", "t_sim"):
        check_real(f"lyapunov.{key}", lya[key], positive=True)
    check_real("lyapunov.t_frame_warmup", lya["t_frame_warmup"], nonnegative=True)
    check_real("lyapunov.n_blocks", lya["n_blocks"], positive=True)
    if sim["adaptive"]:
        raise ConfigError("simulation.adaptive: spectra need fixed steps")
    check_steps("lyapunov.t_ons", lya["t_ons"], sim["dt"], "simulation.dt")
    check_steps("simulation.t_warmup", sim["t_warmup"], sim["dt"], "simulation.dt")
    check_steps("lyapunov.t_frame_warmup", lya["t_frame_warmup"], lya["t_ons"], "lyapunov.t_ons")
    check_steps("lyapunov.t_sim", lya["t_sim"], lya["n_blocks"] * lya["t_ons"],
                "lyapunov.n_blocks · lyapunov.t_ons")
    if lya["n_blocks"] % sim["chunks"]:
        raise ConfigError(f"simulation.chunks = {sim['chunks']} must divide "
                          f"lyapunov.n_blocks = {lya['n_blocks']}")


def connectivity_from(model: dict):
    """The ensemble a model table describes: a `Connectivity`, `Ensemble` or `LowRankEnsemble`
    (`model.ensemble`)."""
    from .._core._connectivity import Connectivity
    from .._core._ensembles import Ensemble, LowRankEnsemble

    if model["ensemble"] != "connectivity":
        ensemble = Ensemble(
            fractions=tuple(model["fractions"]),
            means=tuple(map(tuple, model["means"])),
            stds=tuple(map(tuple, model["stds"])),
            k=model["k"],
            in_degree=model["in_degree"],
            scaling=model["scaling"],
            weights=model["weights"],
            dale=model["dale"],
            eta=model["eta"],
            zero_diagonal=model["zero_diagonal"],
            storage=model["storage"],
        )
        if model["ensemble"] == "low_rank":
            return LowRankEnsemble(ensemble, tuple(model["outliers"]))
        return ensemble
    return Connectivity(
        kind=model["connectivity"],
        k=model["k"],
        zero_diagonal=model["zero_diagonal"],
        excitatory_fraction=model["excitatory_fraction"],
        block_std=tuple(map(tuple, model["block_std"])),
        block_mean=tuple(map(tuple, model["block_mean"])),
    )


def build_system(model: dict, point: dict):
    """The system of `model` at a sweep point (`point` overrides model keys; its `seed` draws the
    connectivity, thresholds, input phases, patterns and gain dwells). Traceable in the swept
    values."""
    import jax

    from .._core._inputs import ConstantInput, SinusoidalInput
    from .._core._nonlinearities import Nonlinearity
    from .._models._hopfield import AlternatingGain, HopfieldNetwork
    from .._models._rate import CessacNetwork, EulerMap, SCSNetwork

    params = {**model, **{k: v for k, v in point.items() if k != "seed"}}
    key = jax.random.key(point["seed"])
    key_w, key_input = jax.random.split(jax.random.fold_in(key, 0))
    n = model["n"]
    connectivity = connectivity_from(model)
    nonlinearity = Nonlinearity(model["nonlinearity"], params["shift"])
    if model["kind"] == "hopfield":
        gain = params["gain"]
        if model["gain_schedule"] == "alternating":
            gain = AlternatingGain.random(
                key_input, gain, params["gain_high"], low_dwell=tuple(model["low_dwell"]),
                high_dwell=tuple(model["high_dwell"]), cycles=GAIN_CYCLES,
            )
        return HopfieldNetwork.random(
            key_w, n, model["patterns"], gain, connectivity=connectivity, rule=model["rule"],
            strength=params["strength"], nonlinearity=nonlinearity, noise=params["noise"],
        )
    if model["kind"] == "cessac":
        return CessacNetwork.random(
            key_w, n, params["slope"], threshold_mean=params["threshold_mean"],
            threshold_std=params["threshold_std"], connectivity=connectivity,
            coupling_std=params["coupling_std"], coupling_mean=params["coupling_mean"],
            leak=params["leak"], noise=params["noise"],
        )
    if model["input"] == "constant":
        drive = ConstantInput(params["input_value"])
    elif model["input"] == "sinusoid" and model["input_correlation"] == "independent":
        drive = SinusoidalInput.independent(key_input, n, params["input_amplitude"],
                                            params["input_frequency"])
    elif model["input"] == "sinusoid":
        drive = SinusoidalInput(params["input_amplitude"], params["input_frequency"])
    else:
        drive = None
    flow = SCSNetwork.random(
        key_w, n, params["gain"], connectivity=connectivity,
        nonlinearity=nonlinearity, input=drive, noise=params["noise"],
    )
    return flow if model["kind"] == "scs" else EulerMap(flow, params["delta"])


def initial_state(system, point: dict):
    """x0 ~ N(0, 1) from the point's seed (independent of the connectivity's key)."""
    import jax

    return system.initial_state(jax.random.fold_in(jax.random.key(point["seed"]), 1))


def noise_key(point: dict):
    """The key of a run's noise, from its seed."""
    import jax

    return jax.random.fold_in(jax.random.key(point["seed"]), 2)


def _dense_storage(model: dict) -> bool:
    return model["ensemble"] == "connectivity" or model["storage"] == "dense" or model["k"] is None


def weight_bytes(model: dict, item: int) -> int:
    """Peak bytes of a run's coupling W (pure: `jaxchaos._core._storage`, the numbers of
    `Ensemble.stored_bytes`): dense N²·item; an operator (`model.storage` "sparse" or
    "regenerated") 3× what it holds (while drawn: the indices, the weights and their sort)."""
    from .._core._storage import stored_bytes

    n = model["n"]
    if _dense_storage(model):
        return n * n * item
    rank = len(model["outliers"]) if model["ensemble"] == "low_rank" else 0
    return 3 * stored_bytes(n, item, k=model["k"], fractions=model["fractions"],
                            in_degree=model["in_degree"], storage=model["storage"], rank=rank,
                            zero_diagonal=model["zero_diagonal"])


def sizes(config: dict) -> dict:
    """Estimated bytes a run writes to disk and its peak device memory, from the config alone
    (before any system is built), with the keys that set them (for `check_fits`).

    Simulations: on disk the traces twice (streamed, then in the results); on the device per
    grid point the weights (`weight_bytes`: N² for dense storage, O(NK) sparse, O(N)
    regenerated), the autocorrelation history and solver stages (n per lag and stage) and one
    chunk of traces. Spectra: the block sums, history and exponents on disk; the weights and
    the k-column frame with its QR on the device (and for dense W a
    Jacobian of its size)."""
    model, sim = config["model"], config["simulation"]
    n, item = model["n"], item_bytes(config)
    weights = weight_bytes(model, item)
    dense = _dense_storage(model)
    points = int(np.prod([len(values) for values in config["sweep"].values()]))
    if "lyapunov" in config:
        lya = config["lyapunov"]
        k = lya["k"] or n
        return {"disk_bytes": 4 * points * lya["n_blocks"] * k * item,
                "device_bytes": points * ((2 if dense else 1) * weights
                                          + (4 * n * k + lya["n_blocks"] * k) * item),
                "disk_keys": "lyapunov.n_blocks, lyapunov.k or the sweep's size",
                "device_keys": "model.n, model.k or model.storage, lyapunov.k or the sweep's "
                               "size"}
    records = round(sim["t_end"] / sim["record_every"])
    window = round(sim["autocorrelation_window"] / sim["record_every"]) + 1
    traces = points * records * sim["trace_neurons"] * item
    per_point = n * (window + 16) + records // sim["chunks"] * sim["trace_neurons"]
    return {"disk_bytes": 2 * traces, "device_bytes": points * (weights + per_point * item),
            "disk_keys": "simulation.trace_neurons, simulation.t_end / record_every or the "
                         "sweep's size",
            "device_keys": "model.n, model.k or model.storage, the sweep's size, "
                           "simulation.autocorrelation_window or raise simulation.chunks"}
