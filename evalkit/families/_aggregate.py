"""The aggregate stage: record-level sums with DuckDB.

Families hand their tables and one SQL query to :func:`query`; the data engine
(:mod:`evalkit.io.engine`, DuckDB) reads them in place and returns a small pandas
frame (one row per community, period and category).  A table is what
:func:`table` gives: the Dataset's pandas frame (read through Arrow), or -- for a
large table left in its canonical Parquet file (:mod:`evalkit.io.direct`) -- a
projection of that file (an engine :class:`~evalkit.io.engine.View`), which the
engine scans directly.  The queries use the SQL subset that Spark SQL also
accepts where possible; nothing here holds a connection.

Results that several indicators or years share are cached per table object
(:func:`cached`), so ``outcome_panel`` over ten years aggregates the ledger once.
"""

from __future__ import annotations

import weakref

from evalkit.io.engine import DUCKDB, View

_CACHE: dict[tuple, tuple] = {}


def table(ds, name: str, columns):
    """Table ``name`` of ``ds`` restricted to ``columns``, as :func:`query` reads it."""
    ft = ds.files.get(name)
    if ft is not None:
        return View(ft.select(columns))
    return ds[name][list(columns)]


def identity(ds, name: str):
    """The object that stands for table ``name`` in :func:`cached` (its file or its frame)."""
    return ds.files.get(name) or ds[name]


def extremes(ds, name: str, columns) -> dict:
    """``{column: (min, max)}`` of date columns of a table, as Timestamps (None when empty)."""
    import pandas as pd

    def ts(v):
        return None if v is None or pd.isna(v) else pd.Timestamp(v).as_unit("s")

    def run():
        if name in ds.files:
            cols = ", ".join(f'min("{c}"), max("{c}")' for c in columns)
            row = DUCKDB.rows(f"SELECT {cols} FROM ({ds.files[name].select(columns)})")[0]
            return {c: (ts(row[2 * i]), ts(row[2 * i + 1])) for i, c in enumerate(columns)}
        df = ds[name]
        return {c: (ts(df[c].min()), ts(df[c].max())) for c in columns}

    columns = tuple(columns)
    return cached(f"extremes.{columns}", identity(ds, name), run)


def query(sql: str, params: list | dict | None = None, **frames):
    """Run ``sql`` with each keyword table (a frame, or :func:`table`'s file projection)
    visible under that name.

    Returns a pandas DataFrame.  The names are dropped afterwards.
    """
    return DUCKDB.frame(sql, params, **frames)


def cached(key: str, frame, fn):
    """``fn()`` computed once per (``key``, table object ``frame``).

    The entry lives as long as ``frame`` does (weak reference), so a new
    Dataset never sees another one's sums.
    """
    k = (key, id(frame))
    hit = _CACHE.get(k)
    if hit is not None and hit[0]() is frame:
        return hit[1]
    value = fn()
    try:
        ref = weakref.ref(frame, lambda _r, k=k: _CACHE.pop(k, None))
    except TypeError:  # pragma: no cover - not weak-referenceable
        return value
    _CACHE[k] = (ref, value)
    return value


def store(key: str, frame, value) -> None:
    """Replace the :func:`cached` entry of (``key``, ``frame``) by ``value``."""
    k = (key, id(frame))
    try:
        ref = weakref.ref(frame, lambda _r, k=k: _CACHE.pop(k, None))
    except TypeError:  # pragma: no cover - not weak-referenceable
        return
    _CACHE[k] = (ref, value)
