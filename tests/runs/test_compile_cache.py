"""The persistent compilation cache of CLI runs: where it goes, how it is turned off, and that a
second run of the same config loads its programs instead of compiling them (two processes, as a
user runs them)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from jaxchaos._runs._compile_cache import cache_folder

ROOT = Path(__file__).parents[2]
CONFIG = """name = "cached"
[model]
kind = "scs"
n = 40
[sweep]
gain = [0.5, 2.0]
[simulation]
t_end = 10.0
dt = 0.1
record_every = 0.5
t_warmup = 2.0
autocorrelation_window = 2.0
chunks = 2
[output]
figures = false
"""


def test_cache_folder_choice(monkeypatch, tmp_path):
    monkeypatch.delenv("JAXCHAOS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "jaxchaos" / "jax"
    monkeypatch.setenv("JAXCHAOS_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_folder() == tmp_path / "elsewhere"
    assert cache_folder("off") is None and cache_folder(str(tmp_path / "x")) == tmp_path / "x"
    monkeypatch.setenv("JAXCHAOS_CACHE_DIR", "off")
    assert cache_folder() is None


def _run(tmp_path, out, cache):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAXCHAOS_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-m", "jaxchaos", "run", str(tmp_path / "c.toml"), "--out",
         str(tmp_path / out), "--no-progress"], env=env, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if "compiling" in x)
    seconds, hits, total = map(float, re.search(
        r"([\d.]+) s compiling \((\d+) of (\d+) loaded", line).groups())
    return seconds, int(hits), int(total)


def test_second_run_loads_compiled_programs(tmp_path):
    """The first run fills the cache (no hits); the second compiles nothing: every XLA program
    it needs is loaded from the cache."""
    (tmp_path / "c.toml").write_text(CONFIG)
    cache = tmp_path / "cache"
    first = _run(tmp_path, "r1", cache)
    assert first[1] == 0 and first[2] > 0 and any(cache.iterdir())
    second = _run(tmp_path, "r2", cache)
    assert second[2] > 0 and second[1] == second[2], (first, second)
