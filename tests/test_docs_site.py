"""The documentation site (mkdocs.yml, docs/) builds with `mkdocs build --strict`, so a broken
reference, a missing page or a docstring mkdocstrings cannot render fails the suite, and every
public name of `jaxchaos` is documented on one of its pages."""

import os
import re
import subprocess
import sys
from pathlib import Path

import jaxchaos as jc

ROOT = Path(__file__).parents[1]


def test_site_builds_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir",
         str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "site" / "api" / "lyapunov" / "index.html").read_text()
    assert "t_frame_warmup" in page  # the docstrings were rendered, not only the prose


def test_every_public_name_is_documented():
    documented = set()
    for page in (ROOT / "docs").glob("**/*.md"):
        documented |= set(re.findall(r"^::: jaxchaos\.(\w+)\s*$", page.read_text(), re.M))
    public = {name for name in dir(jc) if not name.startswith("_")} - {"version"}
    public = {name for name in public if getattr(getattr(jc, name), "__module__", "")
              .startswith("jaxchaos")}
    missing = sorted(public - documented)
    assert not missing, f"add `::: jaxchaos.NAME` to a page of docs/api/ for: {missing}"
    assert not documented - public, f"documented but not public: {documented - public}"
