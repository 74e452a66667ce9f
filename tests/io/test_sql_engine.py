"""The engine module: one owner of the DuckDB connection, fork-safe, a small interface."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.io import engine
from evalkit.io.engine import DUCKDB, View

ROOT = Path(__file__).resolve().parents[2]


def test_tables_of_every_kind_are_bound_by_name_and_dropped_after(tmp_path):
    pq.write_table(pa.table({"x": [1, 2, 3]}), tmp_path / "t.parquet")
    frame = pd.DataFrame({"x": [2, 3, 4]})
    arrow = pa.table({"x": [3, 4, 5]})
    view = View(f"SELECT x FROM {DUCKDB.dialect.parquet(tmp_path / 't.parquet')}")
    got = DUCKDB.frame("SELECT count(*) AS n FROM p JOIN f USING (x) JOIN a USING (x)", p=view, f=frame, a=arrow)
    assert got["n"].tolist() == [1]  # only x = 3 is in all three
    assert DUCKDB.rows("SELECT x FROM a WHERE x > ? ORDER BY x", [3], a=arrow) == [(4,), (5,)]
    assert DUCKDB.arrow("SELECT sum(x) AS s FROM f", f=frame).column("s").to_pylist() == [9]
    names = {r[0] for r in DUCKDB.rows("SELECT table_name FROM duckdb_tables() UNION ALL "
                                       "SELECT view_name FROM duckdb_views() WHERE NOT internal")}
    assert not names & {"p", "f", "a"}  # nothing left bound


def test_the_engine_and_the_rules_import_no_numpy_pandas_or_pyarrow():
    """The direct scans import them before their check thread starts (the CLI imports
    pandas meanwhile): numpy alone would delay the checks by 0.1 s."""
    r = subprocess.run([sys.executable, "-c", "import sys, evalkit.io.direct; "
                        "print([m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules])"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stderr


def test_forking_after_duckdb_was_used_is_safe():
    """The report batch forks workers after validation used DuckDB. An inherited DuckDB
    connection hangs the child when used or destroyed, so connections are closed before a
    fork and reopened on both sides."""
    import multiprocessing as mp

    assert engine.connection().execute("SELECT count(*) FROM range(1000000)").fetchall()[0][0] == 1_000_000
    with mp.get_context("fork").Pool(1) as pool:
        answer = pool.apply(_child_query)
    assert answer == 1_000_000
    assert engine.connection().execute("SELECT 42").fetchall()[0][0] == 42  # the parent reconnects


def _child_query():
    return DUCKDB.count("SELECT count(*) FROM range(1000000)")
