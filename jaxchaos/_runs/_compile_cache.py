"""JAX's persistent compilation cache for command-line runs, and where a run's time went.

Compiled programs are kept in a user cache folder, `$JAXCHAOS_CACHE_DIR` if set, else
`$XDG_CACHE_HOME/jaxchaos/jax` (default `~/.cache/jaxchaos/jax`); `JAXCHAOS_CACHE_DIR=off` (or
`--compilation-cache off`) turns the cache off. A second run of the same config then loads its
programs instead of compiling them. Every program is cached, however fast it compiled (JAX's
default skips programs compiling in under a second, most of a short run's compilations).

`CompileTimer` sums the time JAX spends tracing, lowering and compiling (or loading from the
cache), from JAX's monitoring events, so the CLI can report compile time against run time.
"""

import os
from pathlib import Path

import jax

ENV = "JAXCHAOS_CACHE_DIR"
_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                   "/jax/core/compile/jaxpr_to_mlir_module_duration",
                   "/jax/core/compile/backend_compile_duration")


def cache_folder(option: str | None = None) -> Path | None:
    """The cache folder: `option` (a path or "off") if given, else `$JAXCHAOS_CACHE_DIR`, else
    the user cache folder; None when turned off."""
    choice = option if option is not None else os.environ.get(ENV)
    if choice is not None:
        return None if choice.strip().lower() in ("", "off", "none", "0") else Path(choice)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jaxchaos" / "jax"


def enable_compilation_cache(folder: Path | None) -> Path | None:
    """Point JAX's persistent compilation cache at `folder` (None: leave it off). Call before
    anything compiles."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder


_TOTALS = {"seconds": 0.0, "compilations": 0, "cache_hits": 0}
_LISTENING = []


def _on_duration(event, seconds, **kwargs):
    if event in _COMPILE_EVENTS:
        _TOTALS["seconds"] += seconds
        _TOTALS["compilations"] += event == _COMPILE_EVENTS[-1]


def _on_event(event, **kwargs):
    _TOTALS["cache_hits"] += event == "/jax/compilation_cache/cache_hits"


class CompileTimer:
    """Seconds spent compiling (tracing, lowering, XLA compilation or loading from the cache),
    XLA compilations and cache hits since this timer was made (JAX's listeners are registered
    once per process)."""

    def __init__(self):
        if not _LISTENING:
            jax.monitoring.register_event_duration_secs_listener(_on_duration)
            jax.monitoring.register_event_listener(_on_event)
            _LISTENING.append(True)
        self._start = dict(_TOTALS)

    def __getattr__(self, name):
        if name in _TOTALS:
            return _TOTALS[name] - self._start[name]
        raise AttributeError(name)

    def summary(self, total_seconds: float, folder: Path | None) -> str:
        cache = (f"{self.cache_hits} of {self.compilations} loaded from {folder}"
                 if folder is not None else "compilation cache off")
        return (f"{total_seconds:.1f} s: {self.seconds:.1f} s compiling ({cache}), "
                f"{max(total_seconds - self.seconds, 0.0):.1f} s running")
