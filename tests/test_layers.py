"""Data flows one way: each layer imports only from the layers below it (docs/dev/INTERFACES.md).

Every import counts: at module level, inside a function, under ``if TYPE_CHECKING:``,
relative (``from .x import y``) and ``importlib.import_module("evalkit.x")`` with a
literal name -- ``ast.walk`` visits them all.
"""

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
    "io": ("stats", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "stats": ("io", "families", "pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "families": ("pilot", "ranking", "synthetic", "labels", "plot", "report", "cli"),
    "pilot": ("ranking", "synthetic", "labels", "report", "cli"),
    "ranking": ("pilot", "synthetic", "labels", "plot", "report", "cli"),
    "synthetic": ("stats", "families", "pilot", "ranking", "labels", "plot", "report", "cli"),
    "labels": ("pilot", "synthetic", "plot", "report", "cli"),
    "plot": ("synthetic", "report", "cli"),
    "report": ("cli", "synthetic"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported(path: Path, me: str | None = None) -> set[str]:
    """Every evalkit module (dotted name) that ``path`` (module ``me``) imports, however and wherever."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = me or _module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "evalkit" or mod.startswith("evalkit."):
                out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)  # `from evalkit.io import dataset`
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("evalkit."))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("evalkit.")):
            out.add(node.args[0].value)
    return out


def _layers_of(names: set[str]) -> set[str]:
    return {n.split(".")[1] for n in names if n.count(".") >= 1}


def _layer_files(layer: str) -> list[Path]:
    p = PKG / layer
    return sorted(p.rglob("*.py")) if p.is_dir() else [PKG / f"{layer}.py"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_from_below(layer):
    bad = {str(f.relative_to(PKG)): sorted(_layers_of(_imported(f)) & set(FORBIDDEN[layer]))
           for f in _layer_files(layer)}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{layer} imports from layers above it: {bad}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_io_modules_import_each_other_without_a_cycle():
    """The loader, Dataset, validation and direct scans used to import each other in a
    circle (through imports inside functions and under TYPE_CHECKING).  The package's
    ``__init__`` is left out: importing any submodule imports it first, and it imports
    nothing of its own (lazy exports)."""
    files = [f for f in _layer_files("io") if f.name != "__init__.py"]
    mods = {_module_name(f) for f in files}
    graph = {_module_name(f): {m for m in _imported(f) if m in mods} for f in files}
    assert _cycle(graph) is None, f"import cycle in evalkit.io: {' -> '.join(_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_imports_inside_functions_and_type_checking_count(tmp_path):
    src = tmp_path / "probe.py"
    src.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from evalkit.families import x\n"
                   "def f():\n    from ..report import batch\n    import importlib\n"
                   "    importlib.import_module('evalkit.plot')\n", encoding="utf-8")
    assert _layers_of(_imported(src, "evalkit.io.probe")) == {"families", "report", "plot"}
