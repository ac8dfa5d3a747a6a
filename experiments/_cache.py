"""Per-unit results of an experiment, kept on disk so that an interrupted run continues where it
stopped: `cached(path, key, compute)`.

A stored value is reused only while its `key` (the parameters it depends on) and the jaxchaos
sources that computed it are unchanged: `key` is stored with a fingerprint of every file of the
package (`source_fingerprint`), so a fix in the library recomputes every number it could change
instead of silently keeping the old ones.
"""

import functools
import hashlib
import json
from pathlib import Path

import jaxchaos

PACKAGE = Path(jaxchaos.__file__).parent


@functools.cache
def source_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the jaxchaos package's Python sources, paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached(path: Path, key: dict, compute):
    """`compute()` (JSON-serialisable), stored in `path` with `key` and the source fingerprint,
    written atomically; reused when both are unchanged."""
    stored_key = {**key, "jaxchaos_sources": source_fingerprint()}
    if path.exists():
        stored = json.loads(path.read_text())
        if stored["key"] == json.loads(json.dumps(stored_key)):
            return stored["value"]
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps({"key": stored_key, "value": value}))
    partial.replace(path)
    return value
