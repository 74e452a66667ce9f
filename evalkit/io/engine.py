"""The data engine: the one place that owns the SQL connection and its dialect.

Validation (:mod:`evalkit.io.rules`), the direct scans of large Parquet ledgers
(:mod:`evalkit.io.direct`) and the indicator families' aggregate stage
(:mod:`evalkit.families._aggregate`) hand SQL text and named tables to an
:class:`Engine`; none of them holds a connection.  An engine answers one small
interface:

``frame(sql, params=None, **tables)``
    run ``sql`` with each keyword table visible under its name and return a
    (small) pandas DataFrame;
``arrow(...)``, ``rows(...)``, ``count(...)``
    the same result as an Arrow table, a list of tuples, or one integer
    (``rows`` and ``count`` never import pandas).

A table is a pandas DataFrame, a :class:`pyarrow.Table`, or a :class:`View`
(SQL text -- e.g. a projection of a Parquet file, see :meth:`Dialect.parquet`).
:data:`DUCKDB` (the embedded default) is the only engine today; a Spark engine
would implement the same methods over ``spark.sql`` and temp views, with its own
:class:`Dialect` (identifier quoting, reading Parquet, hashing).

DuckDB connections are per thread and in memory.  DuckDB is not fork-safe: a
connection inherited by a forked child can neither be used nor even be destroyed
there (that hangs).  So every connection is closed just before this process forks
(the report batch forks its workers after validating), and each side opens a new
one on next use; never hold on to a connection object across calls.

This module imports neither pandas nor pyarrow at import time.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DUCKDB", "Dialect", "Engine", "View", "connection"]

_LOCAL = threading.local()
#: [forks so far] (connections of an earlier generation are closed) and every open connection.
_FORKS = [0]
_CONNECTIONS: list = []


def connection():
    """The DuckDB connection of this thread (created once, in memory).

    Examples
    --------
    >>> connection().execute("SELECT 40 + 2").fetchall()
    [(42,)]
    """
    con, gen = getattr(_LOCAL, "con", (None, None))
    if con is None or gen != _FORKS[0]:
        import duckdb

        con = duckdb.connect(":memory:")
        _LOCAL.con = (con, _FORKS[0])
        _CONNECTIONS.append(con)
    return con


def _before_fork() -> None:
    if _CONNECTIONS:
        import duckdb

        for con in _CONNECTIONS:
            try:
                con.close()
            except duckdb.Error:  # already closed
                pass
    _CONNECTIONS.clear()
    _FORKS[0] += 1


os.register_at_fork(before=_before_fork)


@dataclass(frozen=True)
class View:
    """A table given as SQL text (``SELECT ...``), bound as a temporary view."""

    sql: str


@dataclass(frozen=True)
class Dialect:
    """The few spellings that differ between SQL engines.

    Examples
    --------
    >>> DUCKDB.dialect.ident("order")
    '"order"'
    >>> DUCKDB.dialect.lit("it's")
    "'it''s'"
    >>> DUCKDB.dialect.parquet("/data/x.parquet")
    "read_parquet('/data/x.parquet')"
    """

    name: str
    quote: str = '"'
    parquet_fn: str = "read_parquet({path})"
    #: a 64-bit hash of one or more columns (a cheap uniqueness probe)
    hash_fn: str = "hash({cols})"

    def ident(self, name: str) -> str:
        """A quoted identifier."""
        q = self.quote
        return q + str(name).replace(q, q + q) + q

    def lit(self, value) -> str:
        """A SQL literal of a string, number, boolean or None."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    def parquet(self, path) -> str:
        """The table expression reading a Parquet file."""
        return self.parquet_fn.format(path=self.lit(str(path)))

    def hash(self, columns) -> str:
        return self.hash_fn.format(cols=", ".join(columns))


class Engine:
    """The embedded DuckDB engine (see the module docstring for the interface).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"x": [1, 2, 3]})
    >>> DUCKDB.count("SELECT count(*) FROM t WHERE x > ?", [1], t=t)
    2
    >>> DUCKDB.frame("SELECT count(*) AS n, max(x) AS top FROM t", t=t)
       n  top
    0  3    3
    >>> DUCKDB.rows("SELECT x FROM v ORDER BY x", v=View("SELECT 7 AS x"))
    [(7,)]
    """

    dialect = Dialect("duckdb")

    @contextmanager
    def bound(self, tables: dict):
        """Make each table visible under its name for the duration of the block."""
        con = connection()
        views = []
        try:
            for name, t in tables.items():
                if isinstance(t, View):
                    con.execute(f"CREATE OR REPLACE TEMP VIEW {self.dialect.ident(name)} AS {t.sql}")
                    views.append(name)
                else:
                    con.register(name, t)
            yield con
        finally:
            for name in tables:
                if name in views:
                    con.execute(f"DROP VIEW IF EXISTS {self.dialect.ident(name)}")
                else:
                    con.unregister(name)

    def frame(self, sql: str, params=None, **tables):
        """The result as a pandas DataFrame."""
        with self.bound(tables) as con:
            return con.execute(sql, params or []).df()

    def arrow(self, sql: str, params=None, **tables):
        """The result as a :class:`pyarrow.Table`."""
        with self.bound(tables) as con:
            rel = con.sql(sql, params=params) if params else con.sql(sql)
            # (a relation, not an execute() result: no extra copy; DuckDB 2.0 renamed arrow())
            return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()

    def rows(self, sql: str, params=None, **tables) -> list[tuple]:
        """The result as a list of tuples (pandas is not imported)."""
        with self.bound(tables) as con:
            return con.execute(sql, params or []).fetchall()

    def count(self, sql: str, params=None, **tables) -> int:
        """The first value of the first row as an int (0 when NULL)."""
        return int(self.rows(sql, params, **tables)[0][0] or 0)


#: The default engine.
DUCKDB = Engine()
