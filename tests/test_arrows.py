"""Arrows point one way: ``core`` reaches connectors and mappings only through the registry, by name, so a
connector is its own modules plus a registry line, and core never loads a transport it does not use."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "crossdock" / "core"


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Every import outside an ``if TYPE_CHECKING:`` block, with its line."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_core_imports_no_connector_at_run_time() -> None:
    wrong = [
        f"{path.relative_to(CORE.parent.parent)}:{line}: {module}"
        for path in sorted(CORE.rglob("*.py"))
        for line, module in _runtime_imports(ast.parse(path.read_text(), str(path)))
        if module.startswith("crossdock.connectors")
    ]
    assert wrong == []


def test_every_connector_type_has_its_config_model() -> None:
    from crossdock.core import registry

    for side, builders, models in (
        ("source", registry.SOURCES, registry.SOURCE_CONFIGS),
        ("sink", registry.SINKS, registry.SINK_CONFIGS),
    ):
        assert set(builders) <= set(models), side
        for kind, model in zip(models, registry.config_models(side), strict=True):
            assert model.model_fields["type"].annotation.__args__ == (kind,)
