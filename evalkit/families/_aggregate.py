"""The aggregate stage: record-level sums with DuckDB.

Families hand their tables (pandas frames of the Dataset) and one SQL query
to :func:`query`; DuckDB reads the frames in place through Arrow and returns
a small pandas frame (one row per community, period and category).  The
queries use the SQL subset that Spark SQL also accepts where possible.

Results that several indicators or years share are cached per table object
(:func:`cached`), so ``outcome_panel`` over ten years aggregates the ledger once.
"""

from __future__ import annotations

import threading
import weakref

_LOCAL = threading.local()
_CACHE: dict[tuple, tuple] = {}


def connection():
    """A DuckDB connection for this thread (created once, in memory)."""
    con = getattr(_LOCAL, "con", None)
    if con is None:
        import duckdb

        con = duckdb.connect(":memory:")
        _LOCAL.con = con
    return con


def query(sql: str, params: list | dict | None = None, **frames):
    """Run ``sql`` with each keyword frame registered as a view of that name.

    Returns a pandas DataFrame.  The views are unregistered afterwards.
    """
    con = connection()
    for name, df in frames.items():
        con.register(name, df)
    try:
        return con.execute(sql, params or []).df()
    finally:
        for name in frames:
            con.unregister(name)


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
