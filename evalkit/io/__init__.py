"""Reading and checking datasets: :func:`load`, :class:`Dataset`, validation.

    ds = evalkit.load("data/sample")
    ds = evalkit.load("data/province", districts=["硚口区"])
    report = ds.validate()

The loader lives in :mod:`evalkit.io._load`; this package exports it lazily,
so that importing a light submodule (:mod:`evalkit.io.direct`, which runs
DuckDB checks before pandas is imported) does not import pandas.
"""

from __future__ import annotations

import importlib

__all__ = ["load", "Dataset", "ValidationReport", "Problem"]

_LAZY = {
    "load": "evalkit.io._load",
    "Dataset": "evalkit.io.dataset",
    "ValidationReport": "evalkit.io.validate",
    "Problem": "evalkit.io.validate",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit.io' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
