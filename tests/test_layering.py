"""The package's layering (README, "Architecture"): a subpackage imports only itself and the
layers below it, so the library never imports the runs layer. Read from the source (AST), so a
lazy import inside a function counts too."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "jaxchaos"
# Bottom to top: each may import those before it.
LAYERS = ("_core", "_theory", "_models", "_lyapunov", "_response", "_learning", "_generative",
          "_runs")


def _imported_layers(path: Path, package: Path = PACKAGE) -> dict[str, int]:
    """{layer: line} for every jaxchaos subpackage that the module at `path` (in `package`)
    imports."""
    module_parts = path.relative_to(package.parent).with_suffix("").parts
    found = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(module_parts[: len(module_parts) - node.level])
            target = base + (node.module.split(".") if node.module else [])
            names = [alias.name for alias in node.names] if not node.module else []
        elif isinstance(node, ast.ImportFrom):
            target, names = node.module.split("."), []
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "jaxchaos" and len(parts) > 1:
                    found.setdefault(parts[1], node.lineno)
            continue
        else:
            continue
        if target[:1] != ["jaxchaos"]:
            continue
        for layer in ([target[1]] if len(target) > 1 else names):
            found.setdefault(layer, node.lineno)
    return found


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def test_every_module_lies_in_a_known_layer():
    assert {p.relative_to(PACKAGE).parts[0] for p in _modules()} == set(LAYERS)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_layers(path):
    own = LAYERS.index(path.relative_to(PACKAGE).parts[0])
    for layer, line in _imported_layers(path).items():
        assert layer in LAYERS, f"{path.name}:{line} imports jaxchaos.{layer}, not a layer"
        assert LAYERS.index(layer) <= own, (
            f"{path.relative_to(PACKAGE)}:{line} imports {layer}, a layer above "
            f"{LAYERS[own]} ({' < '.join(LAYERS)})")


def test_public_api_does_not_import_the_runs_layer():
    assert "_runs" not in _imported_layers(PACKAGE / "__init__.py")


def test_the_check_sees_an_upward_import(tmp_path):
    """The checker itself: a core module importing the runs layer is caught."""
    fake = tmp_path / "jaxchaos" / "_core" / "_bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from .._runs._jobs import JOBS\n")
    assert _imported_layers(fake, tmp_path / "jaxchaos") == {"_runs": 2}
