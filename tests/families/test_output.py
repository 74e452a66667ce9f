"""Output writers: CSV format details, byte-identical reruns, Parquet, XLSX sheets, summary, CLI."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from evalkit.exceptions import ParameterError
from evalkit.families import indicators
from evalkit.families.output import HEADERS_ZH, csv_bytes, summary_text, write_table

from fam_helpers import small_dataset

MINE = ["disputes", "volunteers", "organisation"]


@pytest.fixture(scope="module")
def table():
    return indicators(small_dataset(), year=2024, level=["community", "city"], families=MINE)


def test_csv_format(table, tmp_path):
    p = write_table(table, tmp_path / "t.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                    # UTF-8 BOM for Excel
    assert b"\r" not in raw                                  # \n line ends
    text = raw.decode("utf-8-sig")
    lines = text.split("\n")
    assert lines[0].split(",")[:3] == ["indicator", "level", "unit_id"]
    assert lines[-1] == "" and len(lines) == len(table) + 2
    assert ",false," in text and "True" not in text and "nan" not in text.lower().replace("no data", "")
    back = pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False, dtype=str)
    # floats carry at most 10 significant digits
    for col in ("value", "ci_low", "ci_high"):
        for s in back[col]:
            if s:
                digits = s.lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0")
                assert len(digits) <= 10, s
    # the city's rate 1000 * 8 / 1050 = 7.619047619047619 -> 7.619047619
    row = back[(back["indicator"] == "dispute_rate") & (back["level"] == "city") & (back["period"] == "2024")]
    assert row["value"].item() == "7.619047619"
    # a missing value is an empty field
    row = back[(back["indicator"] == "dispute_resolution_rate") & (back["unit_id"] == "C4")]
    assert row["value"].item() == "" and row["note"].item() == "no data"


def test_reruns_are_byte_identical(tmp_path):
    for ext in ("csv", "parquet"):
        a = write_table(indicators(small_dataset(), year=2024, families=MINE), tmp_path / f"a.{ext}")
        b = write_table(indicators(small_dataset(), year=2024, families=MINE), tmp_path / f"b.{ext}")
        assert a.read_bytes() == b.read_bytes(), ext


def test_parquet_round_trip(table, tmp_path):
    p = write_table(table, tmp_path / "t.parquet")
    back = pd.read_parquet(p)
    assert list(back.columns) == list(table.columns)
    pd.testing.assert_series_equal(back["value"], table["value"])
    assert back["suppressed"].dtype == bool


def test_xlsx_sheets_and_chinese_headers(table, tmp_path):
    from openpyxl import load_workbook

    p = write_table(table, tmp_path / "t.xlsx")
    wb = load_workbook(p, read_only=True)
    assert wb.sheetnames == ["矛盾纠纷", "志愿服务", "组织与网格", "指标目录"]
    ws = wb["矛盾纠纷"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == (HEADERS_ZH["indicator"], HEADERS_ZH["indicator_name"], HEADERS_ZH["level"])
    n_disputes = int(table["indicator"].str.startswith("dispute").sum())
    assert len(rows) == n_disputes + 1
    head = rows[0]
    r = [x for x in rows[1:] if x[0] == "dispute_rate" and x[head.index("层级")] == "全市"
         and x[head.index("期间")] == "2024"][0]
    assert r[head.index("数值")] == pytest.approx(1000 * 8 / 1050)
    assert r[1] == "纠纷发生率（每千户）"
    cat = list(wb["指标目录"].iter_rows(values_only=True))
    assert cat[0][0] == "指标编号" and any(x[0] == "dispute_rate" for x in cat[1:])


def test_unknown_ending_is_a_parameter_error(table, tmp_path):
    with pytest.raises(ParameterError):
        write_table(table, tmp_path / "t.txt")


def test_summary_text(table):
    s = summary_text(table, "zh")
    assert "纠纷发生率（每千户）" in s and "全市" in s and "（无数据）" in s and "no data" not in s
    assert "2024-03" not in s                                 # monthly rows left out
    e = summary_text(table, "en")
    assert "Dispute rate" in e and "(no data)" in e and "City" in e
    big = summary_text(table, "zh", max_units=2)
    assert "中位数" in big


def test_csv_bytes_bool_and_na():
    df = pd.DataFrame({"a": [1.0, float("nan")], "b": [True, False], "c": ["x", None]})
    assert csv_bytes(df) == "\ufeffa,b,c\n1,true,x\n,false,\n".encode()


def test_cli_indicators_and_catalog(demo_ds, demo_dir, tmp_path, capsys):
    from evalkit.cli import main

    data = demo_dir
    out = tmp_path / "t.csv"
    assert main(["indicators", str(data), "--year", "2024", "--family", "disputes",
                 "--level", "city", "--out", str(out)]) == 0
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert set(t["level"]) == {"city"} and t["indicator"].str.startswith("dispute").all()
    assert main(["indicators", str(data), "--year", "2024", "--indicator", "dispute_rate",
                 "--level", "district"]) == 0
    assert "dispute_rate" in capsys.readouterr().out
    assert main(["catalog", "--lang", "en"]) == 0
    assert "community_workers_per_10k" in capsys.readouterr().out
    assert main(["indicators", str(data), "--year", "2024", "--indicator", "nope"]) == 2


def test_csv_writer_equals_pandas_to_csv(demo_ds):
    """csv_bytes builds the cells itself; pandas' writer (same options) is the reference."""
    full = indicators(demo_ds, year=2024, level=["community", "street", "district", "city"])
    assert csv_bytes(full) == _csv_bytes_pandas(full)
    tricky = pd.DataFrame({
        "a": pd.array(["x,y", 'q"q', "line\nbreak", None, "东风社区"], dtype="str"),
        "b": [1.0, float("nan"), -0.0, 1e-12, 123456789012.5],
        "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "s": [True, False, True, False, True],
        "o": pd.array([True, None, False, True, None], dtype="boolean"),
    })
    assert csv_bytes(tricky) == _csv_bytes_pandas(tricky)


def test_event_times_sort_as_numbers():
    from evalkit.families._frame import finalize

    df = pd.DataFrame({"indicator": ["pilot_event"] * 5 + ["dispute_rate"] * 3, "level": "city", "unit_id": "all",
                       "period": ["1", "-1", "10", "-2", "0", "2024-02", "2024", "2024-01"], "value": range(8)})
    out = finalize(df)
    assert out.loc[out["indicator"] == "pilot_event", "period"].tolist() == ["-2", "-1", "0", "1", "10"]
    assert out.loc[out["indicator"] == "dispute_rate", "period"].tolist() == ["2024", "2024-01", "2024-02"]


def test_xlsx_text_is_never_a_formula_or_link(table, tmp_path):
    """A unit name like '=HYPERLINK(...)' stays text in Excel (no formula injection)."""
    import openpyxl

    t = table.copy()
    t["unit_name"] = t["unit_name"].astype("object")
    t.loc[t.index[0], "unit_name"] = '=HYPERLINK("http://x.invalid","点我")'
    t.loc[t.index[1], "unit_name"] = "http://x.invalid"
    t["unit_name"] = t["unit_name"].astype("str")
    p = write_table(t, tmp_path / "t.xlsx")
    cells = [c for ws in openpyxl.load_workbook(p) for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "x.invalid" in c.value]
    assert len(cells) == 2 and all(c.data_type == "s" and c.hyperlink is None for c in cells)


def _csv_bytes_pandas(df) -> bytes:
    """The reference for csv_bytes: pandas' own writer with the same options."""
    out = df.copy()
    for c in out.columns:
        dt = out[c].dtype
        if dt == bool or str(dt) == "boolean":
            out[c] = out[c].map({True: "true", False: "false"}).astype("object")
    buf = io.StringIO()
    out.to_csv(buf, index=False, na_rep="", float_format="%.10g", lineterminator="\n")
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def test_cli_summary_prints_each_missing_table_warning_once(tmp_path):
    """They were printed twice: by the warnings on stderr and again in the summary on stdout."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    for t in ("communities", "disputes"):
        shutil.copy(sample / f"{t}.csv", tmp_path / f"{t}.csv")
    r = subprocess.run([sys.executable, "-m", "evalkit", "indicators", str(tmp_path), "--year", "2024",
                        "--level", "city"], capture_output=True, text=True, check=True)
    both = r.stdout + r.stderr
    assert both.count("社区干部名册") == 1 and both.count("The dataset has no cadre roster") == 1


def test_xlsx_of_rows_outside_the_catalog_keeps_their_notes_and_takes_a_sheet_name(tmp_path):
    """`compare --out x.xlsx` writes pilot rows: free-text notes, no catalog entry (it raised LookupError)."""
    import openpyxl

    rows = pd.DataFrame({"indicator": ["pilot_att", "dispute_rate"], "level": ["city", "city"],
                         "unit_id": ["all", "all"], "unit_name": ["全市", "全市"], "period": ["2020-2024", "2024"],
                         "category": ["dispute_rate", None], "value": [-1.2, 25.4],
                         "note": ["Callaway-Sant'Anna, group aggregation; control: never piloted", "through 10-24"]})
    p = write_table(rows, tmp_path / "c.xlsx", sheet="试点对比")
    wb = openpyxl.load_workbook(p, read_only=True)
    assert wb.sheetnames == ["试点对比", "指标目录"]
    got = {r[0]: r for r in wb["试点对比"].iter_rows(min_row=2, values_only=True)}
    head = next(wb["试点对比"].iter_rows(values_only=True))
    assert got["pilot_att"][head.index("备注")] == rows["note"][0]
    assert got["dispute_rate"][head.index("备注")] == "截至 10 月 24 日"
    p = write_table(rows, tmp_path / "d.xlsx")
    assert openpyxl.load_workbook(p, read_only=True).sheetnames == ["矛盾纠纷", "其他指标", "指标目录"]
