"""Reading and checking datasets: :func:`load`, :class:`Dataset`, validation.

    ds = evalkit.load("data/sample")
    ds = evalkit.load("data/province", districts=["硚口区"])
    report = ds.validate()

The loader lives in :mod:`evalkit.io._load`; this package exports it lazily,
so that importing a light submodule (:mod:`evalkit.io.direct`, which runs
DuckDB checks before pandas is imported) does not import pandas.

Modules, bottom to top (each imports only those before it): ``engine`` (the SQL
connection and dialect), ``problems`` (Problem, ValidationReport), ``rules`` (the
contract's rules as SQL), ``validate``, ``dataset``, the readers (``read``,
``_parse``, ``_arrow``, ``privacy``), ``_load``, ``direct``; ``templates`` uses
only ``rules``.  ``validate`` is a submodule: ``evalkit.io.validate.validate(ds)`` or
``ds.validate()``.
"""

from __future__ import annotations

from evalkit._lazy import lazy_exports

__all__ = ["load", "read_meta", "Dataset", "ValidationReport", "Problem"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "load": "evalkit.io._load",
    "read_meta": "evalkit.io._load",
    "Dataset": "evalkit.io.dataset",
    "ValidationReport": "evalkit.io.problems",
    "Problem": "evalkit.io.problems",
})
