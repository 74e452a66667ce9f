"""The Arrow fast paths of the loader give the same results as the general parsers.

Reference: the pandas parsers of ``evalkit.io._parse`` (``parse_column``) and
``evalkit.io.privacy.looks_personal`` — the loader's original, string-based
implementation, which test_read.py / test_privacy.py check against the
contract.  The fast paths must agree with them exactly (tolerance: none).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import evalkit
from evalkit.contract import TABLES
from evalkit.exceptions import ParameterError
from evalkit.io import privacy
from evalkit.io._arrow import looks_personal_arrow, parse_arrow
from evalkit.io._parse import parse_column
from io_helpers import write_dataset

ID_CARD = "11010519491231002X"  # the GB 11643 example number (valid check digit)
MOBILE = "13912345678"


def _same(a: pd.Series, b: pd.Series):
    pd.testing.assert_series_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                   check_names=False, check_exact=True)


# --- one column: every kind of value, as text, dictionary and native ---------------

TEXT_CASES = {
    ("disputes", "status"): [" Resolved", "已化解", "resolved", "", None, "nonsense", "ESCALATED ", "升级"],
    ("communities", "pilot"): ["是", "否", "TRUE", "n", " 1 ", "", None, "maybe"],
    ("disputes", "case_id"): [" D1 ", "D2", "", None, "\u3000D3", "D2"],
    ("communities", "households"): ["1,750", "12", " 7 ", "", None, "3.5", "abc", "2，000"],
    ("survey_responses", "weight"): ["1.5", "nan", "", None, "inf", "x", "2"],
    ("disputes", "reported_on"): ["2024-01-05", "2024/1/6", "2024年1月7日", "45292", "bad", "", None,
                                  "2024-01-08 10:30:00"],
}


@pytest.mark.parametrize("key", list(TEXT_CASES), ids=lambda k: ".".join(k))
@pytest.mark.parametrize("encoding", ["plain", "dictionary"])
def test_text_columns_parse_like_the_pandas_parsers(key, encoding):
    table, name = key
    column = TABLES[table].column(name)
    values = TEXT_CASES[key]
    arr = pa.array(values, pa.string())
    if encoding == "dictionary":
        arr = arr.dictionary_encode()
    col = pa.chunked_array([arr[:3], arr[3:]])  # two chunks, as from two row groups
    got, bad = parse_arrow(col, column)
    ref, ref_bad = parse_column(pd.Series(values, dtype="str"), column)
    _same(got, ref)
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(bad, ref_bad.to_numpy())


def test_two_chunks_with_different_dictionaries():
    column = TABLES["disputes"].column("status")
    a = pa.array(["resolved", "已化解"]).dictionary_encode()
    b = pa.array(["escalated", "bogus", None]).dictionary_encode()
    got, bad = parse_arrow(pa.chunked_array([a, b]), column)
    assert got.iloc[:3].tolist() == ["resolved", "resolved", "escalated"] and got.iloc[3:].isna().all()
    assert bad.tolist() == [False, False, False, True, False]


@pytest.mark.parametrize("arr,key", [
    (pa.array([3, None, 10**6], pa.int64()), ("communities", "households")),
    (pa.array([3, None, 7], pa.int32()), ("survey_responses", "weight")),
    (pa.array([1.5, None, float("nan")], pa.float64()), ("survey_responses", "weight")),
    (pa.array([True, None, False]), ("communities", "pilot")),
    (pa.array([19000, None, 20000], pa.date32()), ("disputes", "reported_on")),
    (pa.array([0, None, 86_400_000 * 3 + 5_000], pa.timestamp("ms")), ("disputes", "reported_on")),
    (pa.array([1.0, 2.5, None], pa.float64()), ("communities", "households")),  # float in an int field
])
def test_native_columns_parse_like_the_pandas_parsers(arr, key):
    table, name = key
    column = TABLES[table].column(name)
    got, bad = parse_arrow(pa.chunked_array([arr]), column)
    ref, ref_bad = parse_column(pa.chunked_array([arr]).to_pandas(date_as_object=False), column)
    _same(got, ref)
    np.testing.assert_array_equal(bad, ref_bad.to_numpy())


# --- personal-data scan -------------------------------------------------------------

@pytest.mark.parametrize("values", [
    ["A1", "B2"],
    ["13800000000123"],
    ["+86 13912345678"],
    [ID_CARD.lower()],
    ["11010519491231002x"],
    ["123456789012345678"],
    ["x"] * 3000 + [MOBILE],
    ["H0000000001"] * 10,              # 11 characters, not a number
    ["  " + MOBILE + " "],             # stripped before the test
    ["１３９１２３４５６７８"],            # full-width digits (Python's \\d matches them)
    [None, "", "C01"],
])
@pytest.mark.parametrize("encoding", ["plain", "dictionary"])
def test_privacy_scan_matches_the_reference(values, encoding):
    arr = pa.array(values, pa.string())
    if encoding == "dictionary":
        arr = arr.dictionary_encode()
    assert looks_personal_arrow(pa.chunked_array([arr])) is privacy.looks_personal(pd.Series(values, dtype="str"))


def test_privacy_scan_numbers_and_deep_rows():
    assert looks_personal_arrow(pa.chunked_array([pa.array([13912345678, 1], pa.int64())]))
    assert not looks_personal_arrow(pa.chunked_array([pa.array([12345, 1], pa.int64())]))
    assert looks_personal_arrow(pa.chunked_array([pa.array([13912345678.0, None])]))
    # one phone number deep inside a large identifier column is still found (no sampling)
    ids = [f"H{i:010d}" for i in range(200_000)]
    ids[150_000] = MOBILE
    assert looks_personal_arrow(pa.chunked_array([pa.array(ids[:100_000]), pa.array(ids[100_000:])]))


def test_personal_values_in_typed_parquet_are_hashed(tmp_path):
    from io_helpers import TABLES as T

    tables = {k: v.copy() for k, v in T.items()}
    tables["volunteers"]["volunteer_id"] = [MOBILE, "V2", "V3"]
    tables["volunteer_hours"]["volunteer_id"] = [MOBILE, MOBILE, "V2", "V3"]
    d = write_dataset(tmp_path / "ds", "parquet", tables=tables)
    ds = evalkit.load(d)
    v = ds["volunteers"]["volunteer_id"]
    assert MOBILE not in set(v) and v.iloc[0].startswith("h")
    assert ds["volunteer_hours"]["volunteer_id"].iloc[0] == v.iloc[0]  # links hold
    assert ds.personal_columns["volunteers"] == ["volunteer_id"]


# --- whole datasets -----------------------------------------------------------------

def _typed_parquet(ds, folder):
    """Write a loaded dataset back as natively typed Parquet (date32, int64, bool ...)."""
    folder.mkdir()
    for name, df in ds.tables.items():
        df = df.drop(columns="_row")
        tbl = pa.Table.from_pandas(df, preserve_index=False)
        for i, f in enumerate(tbl.schema):
            if pa.types.is_timestamp(f.type):
                tbl = tbl.set_column(i, f.name, tbl.column(i).cast(pa.date32()))
        import pyarrow.parquet as pq

        pq.write_table(tbl, folder / f"{name}.parquet", row_group_size=2)
    return folder


def test_typed_parquet_loads_like_text_csv(tmp_path):
    csv_ds = evalkit.load(write_dataset(tmp_path / "csv", "csv"))
    pq_ds = evalkit.load(_typed_parquet(csv_ds, tmp_path / "pq"))
    assert set(pq_ds.tables) == set(csv_ds.tables)
    for name, df in csv_ds.tables.items():
        pd.testing.assert_frame_equal(pq_ds[name], df, check_exact=True, obj=name)
    assert pq_ds.parse_failures.keys() == csv_ds.parse_failures.keys()


def test_csv_values_pyarrow_rejects_go_to_the_text_parsers(tmp_path):
    from io_helpers import TABLES as T

    tables = {k: v.copy() for k, v in T.items()}
    tables["communities"]["households"] = ["1,750", "2991", "x", "800"]
    tables["disputes"]["reported_on"] = ["2024/01/05", "2024-02-01", "bad", "2024-03-09"]
    tables["survey_responses"]["weight"] = ["nan"] + [""] * (len(tables["survey_responses"]) - 1)
    d = write_dataset(tmp_path / "ds", "csv", tables=tables)
    ds = evalkit.load(d)
    assert ds["communities"]["households"].tolist()[:2] == [1750, 2991]
    assert pd.isna(ds["communities"]["households"].iloc[2])
    assert ds["disputes"]["reported_on"].iloc[0] == pd.Timestamp("2024-01-05")
    f = ds.parse_failures
    assert set(f["communities"]["rule"]) == {"type.int"} and f["communities"]["_row"].tolist() == [4]
    assert f["disputes"].loc[f["disputes"]["column"] == "reported_on", "value"].tolist() == ["bad"]
    assert f["survey_responses"]["value"].tolist() == ["nan"]


def test_csv_blank_line_keeps_row_numbers(tmp_path):
    d = write_dataset(tmp_path / "ds", "csv")
    p = d / "disputes.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join(lines[:2] + [""] + lines[2:]) + "\n", encoding="utf-8")
    ds = evalkit.load(d)
    assert ds["disputes"]["case_id"].tolist() == ["D1", "D2", "D3", "D4"]
    assert ds["disputes"]["_row"].tolist() == [2, 4, 5, 6]


# --- load(tables=...) -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_only_some_tables(tmp_path, fmt):
    d = write_dataset(tmp_path / "ds", fmt)
    full = evalkit.load(d)
    ds = evalkit.load(d, tables=["disputes"])
    assert set(ds.tables) == {"communities", "disputes"}
    pd.testing.assert_frame_equal(ds["disputes"], full["disputes"])
    ds = evalkit.load(d, tables="survey_responses")
    assert set(ds.tables) == {"communities", "survey_responses", "survey_items"}
    assert ds.item_ids == full.item_ids
    ds = evalkit.load(d, tables=["volunteer_hours"], districts=["南山区"])
    assert set(ds.tables) == {"communities", "volunteers", "volunteer_hours"}
    assert ds["volunteer_hours"]["record_id"].tolist() == ["R4"]
    with pytest.raises(ParameterError):
        evalkit.load(d, tables=["no_such_table"])


def test_load_city_scale_column_has_no_warnings(tmp_path):
    """3 x 10^5 rows of typed Parquet load without RuntimeWarnings and with contract dtypes."""
    n = 300_000
    df = pd.DataFrame({"record_id": [f"H{i:010d}" for i in range(n)],
                       "volunteer_id": np.array([f"V{i:05d}" for i in range(1000)])[np.arange(n) % 1000],
                       "served_on": pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(n) % 366, "D"),
                       "hours": np.full(n, 1.5),
                       "service_type": np.array(["elderly", "环境保护", "other"])[np.arange(n) % 3]})
    d = tmp_path / "ds"
    d.mkdir()
    write_dataset(d, "csv", tables={"communities": __import__("io_helpers").TABLES["communities"]})
    tbl = pa.Table.from_pandas(df, preserve_index=False)
    tbl = tbl.set_column(2, "served_on", tbl.column(2).cast(pa.date32()))
    import pyarrow.parquet as pq

    pq.write_table(tbl, d / "volunteer_hours.parquet", row_group_size=50_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ds = evalkit.load(d, tables=["volunteer_hours"])
    h = ds["volunteer_hours"]
    assert str(h["served_on"].dtype) == "datetime64[s]" and h["hours"].dtype == "float64"
    assert h["service_type"].iloc[:3].tolist() == ["elderly", "environment", "other"]
    assert h["_row"].iloc[-1] == n + 1
