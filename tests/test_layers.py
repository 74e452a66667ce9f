"""Data flows one way: each layer imports only from the layers below it (docs/dev/INTERFACES.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "evalkit"

# layer -> evalkit modules it must never import (directly or lazily inside functions)
FORBIDDEN = {
    "contract": ("vocabulary", "io", "stats", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report",
                 "cli"),
    "files": ("vocabulary", "io", "stats", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report",
              "cli"),
    "exceptions": ("vocabulary", "io", "stats", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report",
                   "cli"),
    "vocabulary": ("io", "stats", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "io": ("stats", "pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "stats": ("io", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "families": ("pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "pilot": ("ranking", "synthetic", "labels", "report", "cli"),
    "ranking": ("pilot", "synthetic", "labels", "plot", "report", "cli"),
    "synthetic": ("stats", "families", "pilot", "ranking", "labels", "plot", "report", "cli"),
    "labels": ("pilot", "synthetic", "plot", "report", "cli"),
    "plot": ("synthetic", "report", "cli"),
    "report": ("cli", "synthetic"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evalkit."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "evalkit":
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("evalkit."))
    return out


def _layer_files(layer: str) -> list[Path]:
    p = PKG / layer
    return sorted(p.rglob("*.py")) if p.is_dir() else [PKG / f"{layer}.py"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_from_below(layer):
    bad = {str(f.relative_to(PKG)): sorted(_imports(f) & set(FORBIDDEN[layer])) for f in _layer_files(layer)}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{layer} imports from layers above it: {bad}"
