"""Every ```python block of README.md and of the documentation pages (docs/**/*.md) runs.

The blocks of one file run in order in one namespace, as cells of a notebook: a later block may
use names an earlier one defined. They run in a temporary working directory with matplotlib's
non-interactive backend. A block opts out only with a visible marker on the line before its
fence, `<!-- not-tested: reason -->` (a reason is required), for code that cannot run here
(several hosts, a GPU); a marker without a reason, or one before anything but a python block,
fails the test. Warnings are errors, as in the rest of the suite: an example that warns is
broken too.
"""

import os
import re
import time
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).parents[1]
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*not-tested:(.*?)-->\s*$")


def documented_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def python_blocks(text: str, name: str) -> list[tuple[int, str]]:
    """(first line number, source) of every ```python block not marked `not-tested`."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        marker = MARKER.match(lines[i].strip())
        if marker:
            if not marker.group(1).strip():
                raise AssertionError(f"{name}:{i + 1}: a not-tested marker needs a reason")
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if nxt.strip() != "```python":
                raise AssertionError(f"{name}:{i + 1}: a not-tested marker must be on the line "
                                     "just before a ```python fence")
        fence = FENCE.match(lines[i])
        if fence:
            language, start, i = fence.group(1), i + 1, i + 1
            while i < len(lines) and not lines[i].startswith("```"):
                i += 1
            skipped = start >= 2 and MARKER.match(lines[start - 2].strip())
            if language == "python" and not skipped:
                blocks.append((start + 1, "\n".join(lines[start:i])))
        i += 1
    return blocks


def test_marker_rules():
    """The parser finds blocks, honours a marked opt-out and rejects a marker without reason."""
    text = "a\n```python\nx = 1\n```\n<!-- not-tested: needs a GPU -->\n```python\ny\n```\n"
    assert python_blocks(text, "t") == [(3, "x = 1")]
    with pytest.raises(AssertionError, match="needs a reason"):
        python_blocks("<!-- not-tested: -->\n```python\nx\n```\n", "t")
    with pytest.raises(AssertionError, match="just before"):
        python_blocks("<!-- not-tested: why -->\n\n```python\nx\n```\n", "t")


@pytest.mark.parametrize("path", documented_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run(path, tmp_path, monkeypatch):
    name = str(path.relative_to(ROOT))
    blocks = python_blocks(path.read_text(), name)
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs_example__"}
    timings = []
    for line, source in blocks:
        start = time.perf_counter()
        try:
            exec(compile(source, f"{name}:{line}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"the example at {name}:{line} fails: {error!r}") from error
        timings.append(f"{name}:{line} {time.perf_counter() - start:.1f} s")
    if os.environ.get("JAXCHAOS_EXAMPLE_TIMES"):
        print("\n".join(timings))
