"""Direct scans (evalkit.io.direct): canonical Parquet ledgers aggregated from the files.

The reference is the loader: whenever open_direct returns a Dataset, every
indicator must equal the one computed from ``load`` (exactly, frame for frame),
and whenever the loader would change a value or validation would report an
error, open_direct must return None (then the caller loads the usual way).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.families import indicators, outcome_panel, tables_needed
from evalkit.io import load
from evalkit.io.direct import DEFERRABLE, FileTable, open_direct

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pq_dir(tmp_path_factory):
    """``evalkit synth --scale demo --format parquet``: canonical Parquet files."""
    from evalkit import synthetic

    return synthetic.synth(tmp_path_factory.mktemp("direct") / "demo", scale="demo", seed=20241, fmt="parquet")


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _same_indicators(direct_ds, loaded_ds, **kw):
    a = _quiet(indicators, direct_ds, **kw)
    b = _quiet(indicators, loaded_ds, **kw)
    pd.testing.assert_frame_equal(a, b)
    return a


def test_direct_dataset_keeps_the_ledgers_on_disk(pq_dir):
    ds = open_direct(pq_dir, tables_needed())
    assert ds is not None
    assert set(ds.files) == set(DEFERRABLE)
    assert not set(DEFERRABLE) & set(ds.tables)  # nothing of them was loaded
    assert all(ds.has(t) and t in ds for t in DEFERRABLE)
    assert "file" in repr(ds)


@pytest.mark.parametrize("validate", [True, False])
def test_every_indicator_equals_the_loader(pq_dir, validate):
    ds = open_direct(pq_dir, tables_needed(), validate=validate)
    assert ds is not None
    ref = load(pq_dir)
    out = _same_indicators(ds, ref, year=2024, level=["community", "street", "district", "city"])
    assert set(out["indicator"]) >= {"dispute_rate", "dispute_resolved_30d", "dispute_trend_irr",
                                     "volunteer_active_rate", "volunteer_hours_share"}
    # an as-of date inside the year, another year, cadre roles
    _same_indicators(ds, ref, year=2024, as_of="2024-06-30", level=["community", "city"])
    _same_indicators(ds, ref, year=2021, level="district", roles=["secretary", "director"])
    _same_indicators(ds, ref, year=2015, level="city")  # before the data: all 'no data'


def test_outcome_panel_equals_the_loader(pq_dir):
    ds = open_direct(pq_dir, tables_needed(None, ["dispute_rate", "volunteer_active_rate"]))
    ref = load(pq_dir)
    for ind in ("dispute_rate", "volunteer_active_rate"):
        pd.testing.assert_frame_equal(_quiet(outcome_panel, ds, ind, range(2019, 2025)),
                                      _quiet(outcome_panel, ref, ind, range(2019, 2025)))


def test_a_deferred_table_loads_on_first_use(pq_dir):
    ds = open_direct(pq_dir, tables_needed())
    ref = load(pq_dir)
    pd.testing.assert_frame_equal(ds["volunteer_hours"], ref["volunteer_hours"])
    assert list(ds.tables) == [t for t in ref.tables if t in ds.tables]  # contract order kept
    # validate() reads every table: the same report as the loaded dataset's
    assert ds.validate().to_frame().equals(ref.validate().to_frame())


def test_select_refuses_a_column_not_checked(pq_dir):
    ft = FileTable("disputes", str(pq_dir / "disputes.parquet"), ("case_id", "community_id"),
                   checked=frozenset({"community_id"}))
    assert "community_id" in ft.select(["community_id"])
    with pytest.raises(ValueError, match="case_id"):
        ft.select(["case_id"])


def test_nothing_to_defer_or_not_a_folder(pq_dir, tmp_path):
    assert open_direct(pq_dir, tables_needed(["cadres"])) is None
    assert open_direct(tmp_path / "absent", tables_needed()) is None
    csv_dir = ROOT / "data" / "sample"
    assert open_direct(csv_dir, tables_needed()) is None  # CSV: the loader reads it


# --- corrupted copies ---------------------------------------------------------------


def _edit(src: Path, dst: Path, table: str, fn) -> Path:
    shutil.copytree(src, dst)
    t = pq.read_table(dst / f"{table}.parquet")
    pq.write_table(fn(t), dst / f"{table}.parquet")
    return dst


def _set(column, i, value, typ=None):
    """Set row ``i`` of ``column`` to ``value``."""
    def fn(t):
        vals = t.column(column).to_pylist()
        vals[i] = value
        return t.set_column(t.column_names.index(column), column,
                            pa.array(vals, typ or t.schema.field(column).type))
    return fn


def _swap_type(column, typ):
    def fn(t):
        arr = t.column(column)
        return t.set_column(t.column_names.index(column), column,
                            pa.array([None if v is None else str(v) for v in arr.to_pylist()], typ)
                            if typ == pa.string() else arr.cast(typ))
    return fn


def _rename(old, new):
    return lambda t: t.rename_columns([new if c == old else c for c in t.column_names])


def _days(column, i, days):
    """Set row ``i`` of a date column to ``days`` since 1970-01-01 (any year date32 holds)."""
    def fn(t):
        v = t.column(column).cast(pa.int32()).to_pylist()
        v[i] = days
        return t.set_column(t.column_names.index(column), column, pa.array(v, pa.int32()).cast(pa.date32()))
    return fn


def _unused_category(column, value):
    """Write ``column`` as a pandas Categorical with one more category that no row uses."""
    def fn(t):
        df = t.to_pandas()
        cats = sorted(df[column].dropna().unique().tolist()) + [value]
        df[column] = pd.Categorical(df[column], categories=cats)
        return pa.Table.from_pandas(df, preserve_index=False)
    return fn


def _dupe_first_key(key):
    def fn(t):
        vals = t.column(key).to_pylist()
        vals[1] = vals[0]
        return t.set_column(t.column_names.index(key), key, pa.array(vals, pa.string()))
    return fn


# (table, edit, falls back with validation, falls back without validation).  A case id is
# checked without validation too: requests.case_id points at it (a hashed id would break the link).
CASES = {
    "id with a leading space": ("volunteers", _set("volunteer_id", 0, " V-x"), True, True),
    "case id with a full-width trailing space": ("disputes", _set("case_id", 3, "D-1\u3000"), True, True),
    "community id with a trailing tab": ("disputes", _set("community_id", 2, "C0001\t"), True, True),
    "Chinese code label": ("disputes", _set("status", 0, "已化解"), True, True),
    "empty code": ("disputes", _set("category", 5, ""), True, True),
    "code with spaces": ("volunteer_hours", _set("service_type", 0, " elderly"), True, True),
    "duplicate case id": ("disputes", _dupe_first_key("case_id"), True, False),
    "unknown community": ("volunteers", _set("community_id", 1, "C9999"), True, True),
    "hours of an unknown volunteer": ("volunteer_hours", _set("volunteer_id", 7, "V-none"), True, True),
    "resolved before reported": ("disputes", _set("resolved_on", 0, pd.Timestamp("1990-01-01").date()), True, False),
    "hours missing (NaN)": ("volunteer_hours", _set("hours", 4, float("nan")), True, True),
    "hours out of range": ("volunteer_hours", _set("hours", 4, 30.0), True, False),
    "required date missing": ("volunteers", _set("registered_on", 2, None), True, False),
    "mobile number as volunteer id": ("volunteers", _set("volunteer_id", 0, "13812345678"), True, True),
    "ID-card number as record id": ("volunteer_hours", _set("record_id", 0, "11010519491231002X"), True, False),
    "grouped mobile number as case id": ("disputes", _set("case_id", 0, "139-1234-5678"), True, True),
    "full-width mobile number as case id": ("disputes", _set("case_id", 1, "\uff11\uff13\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"), True, True),
    "date stored as text": ("disputes", _swap_type("reported_on", pa.string()), True, True),
    "date stored as timestamp": ("volunteers", _swap_type("registered_on", pa.timestamp("s")), True, True),
    "Chinese header": ("disputes", _rename("reported_on", "登记日期"), True, True),
    "unknown column": ("volunteer_hours", lambda t: t.append_column("note", pa.array(["x"] * t.num_rows)), True, True),
    "birth year out of range": ("volunteers", _set("birth_year", 0, 1850), True, False),
    # U+001C-U+001F: whitespace to Arrow's trim and str.strip, in no Unicode Z category
    "case id with a trailing information separator": ("disputes", _set("case_id", 3, "D-1\x1c"), True, True),
    "date after year 9999": ("volunteer_hours", _days("served_on", 0, 6_673_118), True, True),
    "date before year 1": ("disputes", _days("reported_on", 0, -720_000), True, True),
    # harmless: the loader changes nothing and validation passes
    "missing party flag (default)": ("volunteers", _set("party_member", 0, None), False, False),
    "optional column absent": ("disputes", lambda t: t.drop_columns(["method", "source"]), False, False),
    "id with digits only": ("disputes", _set("case_id", 0, "20240000012345"), False, False),
    # a dictionary entry no row uses is not data: neither path sees a mobile number
    "unused category that looks like a mobile number": (
        "disputes", _unused_category("community_id", "13812345678"), False, False),
}


@pytest.fixture(scope="module")
def corrupted(pq_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("corrupt")
    return {name: _edit(pq_dir, base / f"c{i}", table, fn)
            for i, (name, (table, fn, _v, _nv)) in enumerate(CASES.items())}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("validate", [True, False])
def test_direct_falls_back_exactly_when_the_loader_differs(corrupted, name, validate):
    path = corrupted[name]
    table, _fn, falls_validated, falls_unvalidated = CASES[name]
    ds = open_direct(path, tables_needed(), validate=validate)
    expect_none = falls_validated if validate else falls_unvalidated
    assert (ds is None) == expect_none
    ref = _quiet(load, path)
    if validate and ds is not None:
        assert ref.validate().ok
    if not validate and falls_validated and not falls_unvalidated:
        # a rule is broken, or the loader changes the table's own key (no indicator reads it)
        from evalkit.contract import TABLES

        key = TABLES[table].key[0]
        raw = pq.read_table(path / f"{table}.parquet").column(key).to_pylist()
        assert not ref.validate().ok or ref[table][key].tolist() != raw
    if ds is not None:  # the invariant: whatever the direct Dataset computes, the loader does too
        _same_indicators(ds, ref, year=2024, level=["community", "city"])


def test_an_invalid_small_table_falls_back_and_stops_the_checks(pq_dir, tmp_path):
    """The small tables are loaded while DuckDB checks the ledgers; when one of them fails
    validation the result is None at once and the check thread is stopped."""
    from evalkit.io.direct import DirectOpen

    path = _edit(pq_dir, tmp_path / "bad-cadres", "cadres", _set("birth_year", 0, 1850, pa.int64()))
    d = DirectOpen(path, validate=True)
    d.want(tables_needed())
    assert _quiet(d.result) is None
    assert not d._thread.is_alive()
    # without validation the same data reads directly (the loader changes nothing)
    ds = open_direct(path, tables_needed(), validate=False)
    from evalkit.io.direct import DEFERRABLE

    assert ds is not None and set(ds.files) == set(DEFERRABLE)


def test_a_table_loaded_on_first_use_keeps_what_its_load_found(corrupted):
    """Without validation a record id is not checked (no indicator reads it); when the
    table is loaded on first use, the loader hashes the ID-card number there, and the
    Dataset keeps that load's warning and its list of hashed columns."""
    path = corrupted["ID-card number as record id"]
    ds = open_direct(path, tables_needed(), validate=False)
    assert ds is not None and not any(w.table == "volunteer_hours" for w in ds.warnings)
    ds["volunteer_hours"]
    ref = _quiet(load, path)
    mine = [(w.rule, w.column, w.count) for w in ds.warnings if w.table == "volunteer_hours"]
    assert mine and mine == [(w.rule, w.column, w.count) for w in ref.warnings if w.table == "volunteer_hours"]
    assert ds.personal_columns.get("volunteer_hours") == ref.personal_columns["volunteer_hours"]


def test_cli_output_is_identical_with_and_without_direct_scans(pq_dir, tmp_path):
    outs = {}
    for direct in ("1", "0"):
        out = tmp_path / f"out{direct}.csv"
        env = {**os.environ, "EVALKIT_DIRECT": direct}
        r = subprocess.run([sys.executable, "-m", "evalkit", "indicators", str(pq_dir), "--year", "2024",
                            "--level", "community", "--level", "district", "--out", str(out)],
                           capture_output=True, text=True, env=env, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        outs[direct] = out.read_bytes()
    assert outs["1"] == outs["0"]


def test_cli_reports_the_errors_of_a_dataset_that_fails_the_checks(corrupted):
    r = subprocess.run([sys.executable, "-m", "evalkit", "indicators", str(corrupted["hours out of range"]),
                        "--year", "2024", "--family", "volunteers"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode != 0
    assert "volunteer_hours" in r.stderr and "hours" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_pandas_before_the_checks_start():
    """The checks run while pandas is imported: the module must not import it."""
    r = subprocess.run([sys.executable, "-c", "import sys, evalkit.io.direct; print('pandas' in sys.modules)"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "False", r.stderr


def test_nan_is_found_despite_parquet_statistics(tmp_path):
    """Parquet statistics leave NaN out and DuckDB folds isnan() on them (DuckDB 1.x-2.0):
    the check must still find a NaN in the middle of a large row group."""
    from evalkit.io.direct import FileTable, _table_queries, _count

    x = np.random.default_rng(1).uniform(0.5, 8, 300_000)
    x[150_000] = np.nan
    n = len(x)
    t = pa.table({"record_id": [f"H{i:07d}" for i in range(n)], "volunteer_id": ["V1"] * n,
                  "served_on": pa.array([pd.Timestamp("2024-01-01").date()] * n, pa.date32()), "hours": x})
    pq.write_table(t, tmp_path / "volunteer_hours.parquet", row_group_size=100_000)
    pq.write_table(pa.table({"volunteer_id": ["V1"]}), tmp_path / "volunteers.parquet")
    ft = FileTable("volunteer_hours", str(tmp_path / "volunteer_hours.parquet"),
                   ("record_id", "volunteer_id", "served_on", "hours"))
    files = {"volunteer_hours": ft,
             "volunteers": FileTable("volunteers", str(tmp_path / "volunteers.parquet"), ("volunteer_id",))}
    for validate in (True, False):
        assert sum(_count(q) for q in _table_queries(ft, files, validate)) == 1


def test_interpreter_exit_while_checks_run_is_clean(pq_dir):
    """A run that needs no large table exits at once; the thread is stopped, not killed in DuckDB."""
    code = ("from evalkit.io.direct import DirectOpen; "
            f"d = DirectOpen({str(pq_dir)!r}); d.want(['cadres']); print(d.result())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip() == "None", r.stderr
    assert "terminate" not in r.stderr


def test_a_bug_in_the_checks_fails_loudly(pq_dir, monkeypatch):
    """Only what the data cause (an unreadable file, an interrupt) means "use the loader";
    SQL that DuckDB cannot parse is a bug and is raised, not hidden behind the slow path."""
    import duckdb

    from evalkit.io import direct

    monkeypatch.setattr(direct, "_table_queries", lambda *a, **k: ["SELECT count(*) FROM WHERE"])
    with pytest.raises(duckdb.ParserException):
        open_direct(pq_dir, tables_needed())
