"""What every job's config shares: reading TOML, and filling and type-checking tables against a
schema. Each job's own schema and value checks live beside its executor (`_sweep_config`,
`_training_job`, `_gan_job`, `_deepnet_job`).

Imports neither JAX nor NumPy, so that a config error is reported at once.
"""

import copy
import tomllib
from pathlib import Path

from .._core._errors import ConfigError

NUMBER = (int, float)  # a numeric config value (booleans are refused by `check_type`)


def read_toml(path) -> dict:
    """The raw table of a TOML file; `ConfigError` if it is missing or not valid TOML."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None


def check_type(where: str, value, kind):
    """`ConfigError` naming `where` unless `value` is of `kind` (a type or a tuple of types);
    booleans and numbers are kept apart."""
    # bool is an int in Python: keep true/false out of numeric fields and vice versa.
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if kind is not bool and isinstance(value, bool):
        raise ConfigError(f"{where} must not be a boolean, got {value!r}")
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"{where} must be of type {names}, got {value!r}")


def fill_table(section: str, raw: dict, schema: dict) -> dict:
    """The table `[section]` with defaults filled from `schema` ({key: (default, type, ...)});
    unknown keys and wrong types raise `ConfigError`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"[{section}] must be a table")
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        raise ConfigError(f"unknown key(s) in [{section}]: {unknown}; allowed: {sorted(schema)}")
    out = {}
    for key, spec in schema.items():
        default, kind = spec[0], spec[1]
        value = raw.get(key, copy.deepcopy(default))
        if value is not None:
            check_type(f"{section}.{key}", value, kind)
        out[key] = value
    return out


def check_name(name) -> str:
    """A run name: a plain folder-name prefix (no path separators, not hidden)."""
    check_type("name", name, str)
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ConfigError(f"name must be a plain folder-name prefix, got {name!r}")
    return name


def resolve_tables(raw: dict, schema: dict, default_name: str) -> dict:
    """`name` plus one filled table per section of `schema` ({section: {key: (default, type)}});
    unknown top-level keys, unknown keys in a table and wrong types raise `ConfigError`."""
    allowed = {"name", *schema}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {unknown}; allowed: {sorted(allowed)}")
    config = {"name": check_name(raw.get("name", default_name))}
    for section, table in schema.items():
        config[section] = fill_table(section, raw.get(section, {}), table)
    return config


def item_bytes(config: dict) -> int:
    """Bytes of one float in a resolved config's `output.precision` (for size estimates)."""
    return 4 if config["output"]["precision"] == "float32" else 8
