"""The `train-rnn` job's config: its schema and checks, in pure Python (a config error never
waits for JAX; only the last checks, against the library's task and flossing objects, import it),
and the run's size estimate (`sizes`). The job itself is `_training_job`."""

import math

from .._core._errors import ConfigError, check_choice, check_real
from ._config import NUMBER, check_type, item_bytes, resolve_tables

PROTOCOLS = ("baseline", "preflossing", "interleaved")
CELL_KINDS = ("tanh", "leaky", "gru", "lstm")  # the keys of `_learning._rnn.CELLS`
TASK_KINDS = ("copy", "xor", "recall")  # the keys of `_learning._tasks.TASKS`

_SCHEMA = {
    "network": {
        "cell": ("tanh", str),
        "n": (32, int),
        "gain": (2.5, NUMBER),
        "input_scale": (1.0, NUMBER),
        "delta": (None, NUMBER),  # leaky cell only (default 0.1)
    },
    "task": {
        "kind": ("copy", str),
        "delay": (10, int),
        "length": (None, int),  # copy/xor (default 4 · delay); recall has T = delay + 1
    },
    "flossing": {
        "k": (8, int),
        "qr_every": (1, int),
        "checkpoint_every": (None, int),  # QR intervals per checkpointed chunk; unset: none
        "warmup_steps": (0, int),
        "target": (0.0, NUMBER),
        "batch": (8, int),
        "learning_rate": (1e-3, NUMBER),
        "clip": (None, NUMBER),  # global-norm clipping of flossing gradients; unset: none
    },
    "training": {
        "protocol": ("preflossing", str),
        "steps": (1000, int),  # task steps
        "floss_steps": (300, int),  # flossing steps before training (not for baseline)
        "floss_at": ([], list),  # interleaved: task steps after which a flossing block runs
        "floss_block": (100, int),
        "learning_rate": (1e-3, NUMBER),
        "clip": (None, NUMBER),  # global-norm clipping of task gradients; unset: none
        "batch": (32, int),
        "eval_batch": (64, int),
        "jacobian_batch": (4, int),
        "logged_exponents": (None, int),  # leading exponents measured; unset: flossing.k
        "log_every": (50, int),
        "seeds": (16, int),
        "first_seed": (0, int),
        "accuracy_threshold": (0.95, NUMBER),
    },
    "output": {
        "root": ("runs", str),
        "precision": ("float32", str),
    },
}


def resolve_training_config(raw: dict) -> dict:
    """Fill defaults and check every key of a training config; raises `ConfigError`."""
    config = resolve_tables(raw, _SCHEMA, "flossing")
    net, task, fl, tr = (config[k] for k in ("network", "task", "flossing", "training"))
    check_choice("network.cell", net["cell"], CELL_KINDS)
    if net["delta"] is not None and net["cell"] != "leaky":
        raise ConfigError("network.delta applies to cell = 'leaky' only")
    if net["cell"] == "leaky" and net["delta"] is None:
        net["delta"] = 0.1
    check_choice("task.kind", task["kind"], TASK_KINDS)
    if task["kind"] == "recall":
        if task["length"] is not None:
            raise ConfigError("task.length does not apply to kind = 'recall' (T = delay + 1)")
    elif task["length"] is None:
        task["length"] = 4 * task["delay"]
    check_choice("training.protocol", tr["protocol"], PROTOCOLS)
    check_choice("output.precision", config["output"]["precision"], ("float32", "float64"))
    for key in ("n", "gain", "input_scale", "delta"):
        check_real(f"network.{key}", net[key], positive=key != "gain", nonnegative=True)
    for key in ("batch", "learning_rate", "clip"):
        check_real(f"flossing.{key}", fl[key], positive=True)
    for key in ("steps", "batch", "eval_batch", "jacobian_batch", "log_every", "seeds",
                "learning_rate", "accuracy_threshold", "clip"):
        check_real(f"training.{key}", tr[key], positive=True)
    check_real("training.floss_block", tr["floss_block"], positive=True)
    for key in ("floss_steps", "first_seed"):
        check_real(f"training.{key}", tr[key], nonnegative=True)
    if tr["jacobian_batch"] > tr["eval_batch"]:
        raise ConfigError("training.jacobian_batch must not exceed training.eval_batch")
    if tr["accuracy_threshold"] > 1:
        raise ConfigError("training.accuracy_threshold must be <= 1")
    for step in tr["floss_at"]:
        check_type("training.floss_at entries", step, int)
        if not 0 < step < tr["steps"]:
            raise ConfigError(f"training.floss_at entries must lie in (0, steps), got {step}")
    if tr["protocol"] == "baseline":
        if raw.get("training", {}).get("floss_steps"):
            raise ConfigError("training.floss_steps does not apply to protocol = 'baseline'")
        tr["floss_steps"] = 0
    if tr["protocol"] != "interleaved" and tr["floss_at"]:
        raise ConfigError("training.floss_at applies to protocol = 'interleaved' only")
    if tr["protocol"] == "interleaved" and not tr["floss_at"]:
        raise ConfigError("protocol = 'interleaved' needs training.floss_at (task steps)")
    n_state = state_dimension(config)
    if fl["k"] > n_state:
        raise ConfigError(f"flossing.k = {fl['k']} exceeds the state dimension {n_state} "
                          f"(network.n = {net['n']}, cell = {net['cell']!r})")
    if tr["logged_exponents"] is None:
        tr["logged_exponents"] = fl["k"]
    if not 1 <= tr["logged_exponents"] <= n_state:
        raise ConfigError(f"training.logged_exponents must lie in [1, the state dimension "
                          f"{n_state}], got {tr['logged_exponents']}")
    # Last, the library's own checks (task sizes, flossing settings vs N and T), which import
    # JAX: they raise here, before anything compiles.
    flossing, task_obj = flossing_from(config), task_from(config)
    try:
        flossing.check(n_state, task_obj.length)
    except ConfigError as err:
        raise ConfigError(f"flossing: {err} (task.length sets T)") from None
    return config


def state_dimension(config) -> int:
    """The dimension of the cell's state, which the exponents cover: n units, 2n for the LSTM's
    (h, c) (`cell.state_dimension` in `_learning._rnn`)."""
    n = config["network"]["n"]
    return 2 * n if config["network"]["cell"] == "lstm" else n


def task_from(config):
    """The config's `AbstractTask`."""
    from .._learning._tasks import TASKS, DelayedRecall

    task = config["task"]
    if task["kind"] == "recall":
        return DelayedRecall(task["delay"])
    return TASKS[task["kind"]](task["delay"], task["length"])


def flossing_from(config, k: int | None = None):
    """The config's `Flossing` settings, for its k or another number of exponents."""
    from .._learning._flossing import Flossing

    fl = config["flossing"]
    return Flossing(fl["k"] if k is None else k, fl["qr_every"], fl["checkpoint_every"],
                    fl["warmup_steps"], float(fl["target"]))


def sizes(config: dict) -> dict:
    """Estimated bytes a run writes and its peak device memory, from a resolved config alone,
    with the keys that set them (for `check_fits`).

    Disk: the logs three times (`log.npz`, the checkpoint, the results; per log point and seed a
    few scalars, the logged exponents and N log singular values) and the checkpoint's states
    (parameters and two Adam states, five copies of the P parameters per seed). Device, per seed:
    the five copies of P, the activations kept for backpropagation (T·N per sequence of the
    largest batch; k + 1 vectors per step for the flossing batch) and the long-term Jacobians
    (N² per sequence of `jacobian_batch`), doubled for their gradients."""
    net, task, fl, tr = (config[k] for k in ("network", "task", "flossing", "training"))
    n, item = state_dimension(config), item_bytes(config)  # the LSTM's (h, c): 2 · units
    horizon = task["delay"] + 1 if task["kind"] == "recall" else task["length"]
    gates = {"gru": 3, "lstm": 4}.get(net["cell"], 1)
    params = gates * (n * n + 2 * n) + 2 * n + 1
    total = tr["floss_steps"] + tr["steps"] + len(tr["floss_at"]) * tr["floss_block"]
    logs = (math.ceil(total / tr["log_every"]) + 1) * (8 + tr["logged_exponents"] + n)
    sequences = max(tr["batch"], tr["eval_batch"], fl["batch"] * (fl["k"] + 1))
    device = 5 * params + 2 * (sequences * horizon * n + tr["jacobian_batch"] * n * n)
    return {"disk_bytes": tr["seeds"] * (3 * logs * 8 + 5 * params * item),
            "device_bytes": tr["seeds"] * device * item,
            "disk_keys": "training.seeds, network.n or raise training.log_every",
            "device_keys": "network.n, training.seeds, task.length (or delay), training.batch, "
                           "training.eval_batch or flossing.batch"}
