"""Reading and checking datasets: :func:`load`, :class:`Dataset`, validation.

    ds = evalkit.load("data/sample")
    ds = evalkit.load("data/province", districts=["硚口区"])
    report = ds.validate()

The loader lives in :mod:`evalkit.io._load`; this package exports it lazily,
so that importing a light submodule (:mod:`evalkit.io.direct`, which runs
DuckDB checks before pandas is imported) does not import pandas.
"""

from __future__ import annotations

from evalkit._lazy import lazy_exports

__all__ = ["load", "read_meta", "Dataset", "ValidationReport", "Problem"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "load": "evalkit.io._load",
    "read_meta": "evalkit.io._load",
    "Dataset": "evalkit.io.dataset",
    "ValidationReport": "evalkit.io.validate",
    "Problem": "evalkit.io.validate",
})
