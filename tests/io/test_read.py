"""Loader: formats, encodings, title rows, Chinese headers and labels, dtypes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.contract import TABLES as CONTRACT
from evalkit.exceptions import MissingTableError, ReadError
from evalkit.io.read import detect_encoding

from io_helpers import TABLES, tree_hash, write_dataset

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

EXPECTED_DTYPES = {"text": "str", "code": "str", "int": "Int64", "number": "float64",
                   "date": "datetime64[s]", "bool": "boolean"}


def _check_dtypes(ds):
    for name, df in ds.tables.items():
        for col in CONTRACT[name].columns:
            assert str(df[col.name].dtype) == EXPECTED_DTYPES[col.type], (name, col.name, df[col.name].dtype)
        assert str(df["_row"].dtype) == "Int64"


def _zh(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rename canonical headers to their Chinese aliases."""
    t = CONTRACT[table]
    return df.rename(columns={c.name: c.zh for c in t.columns})


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_format_loads_valid_with_contract_dtypes(tmp_path, fmt):
    d = write_dataset(tmp_path / "ds", fmt)
    ds = evalkit.load(d)
    assert set(ds.tables) == set(TABLES)
    _check_dtypes(ds)
    rep = ds.validate()
    assert rep.ok, rep.to_text()
    assert rep.problems == []
    c = ds["communities"]
    assert c["households"].tolist() == [1750, 2991, 1200, 800]
    assert c["pilot"].tolist() == [True, False, True, False]
    assert c["pilot_start"].iloc[0] == pd.Timestamp("2021-01-01")
    assert pd.isna(c["pilot_start"].iloc[1])
    assert ds["volunteer_hours"]["hours"].tolist() == [2.5, 3.0, 1.0, 24.0]
    assert ds.item_ids == ["q1", "q2", "q_overall"]
    assert ds["survey_responses"]["q1"].dtype == "float64"
    assert ds["communities"]["_row"].tolist() == [2, 3, 4, 5]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_detected_from_bytes(tmp_path, encoding):
    df = _zh(TABLES["communities"], "communities")
    d = tmp_path / "ds"
    d.mkdir()
    # a file ending that says nothing about the encoding
    df.to_csv(d / "社区名册.csv", index=False, encoding=encoding)
    ds = evalkit.load(d)
    assert ds["communities"]["community_name"].tolist() == TABLES["communities"]["community_name"].tolist()
    assert ds["communities"]["district"].iloc[0] == "硚口区"


def test_detect_encoding():
    s = "社区名称,硚口区"
    assert detect_encoding(s.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + s.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(s.encode("gbk")) == "gb18030"
    # a character outside GBK (four-byte GB18030)
    assert detect_encoding("𠀀社区".encode("gb18030")) == "gb18030"


def test_xlsx_title_rows_chinese_headers_and_labels(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["2024年矛盾纠纷台账"])
    ws.append(["填报单位：某街道办事处"])
    ws.append(["案件编号", "社区编码", "受理日期", "纠纷类型", "来源", "办理状态", "化解日期", "化解方式", "备注"])
    import datetime as dt

    ws.append(["D1", "C01", dt.datetime(2024, 1, 5), "物业纠纷", "网格员上报", "已化解", "2024/1/20", "人民调解", "x"])
    ws.append(["D2", "C02", "2024年2月1日", "邻里", "12345热线", "调处中", None, None, None])
    ws.append([None] * 9)  # blank row inside the table
    ws.append(["D3", "C03", 45352, "family", "visit", "resolved", "2024-03-05", "grid", None])
    d = tmp_path / "ds"
    write_dataset(d, drop=("disputes",))
    wb.save(d / "矛盾纠纷台账.xlsx")
    ds = evalkit.load(d)
    t = ds["disputes"]
    assert t["case_id"].tolist() == ["D1", "D2", "D3"]
    assert t["_row"].tolist() == [4, 5, 7]  # title rows counted, header = row 3
    assert t["category"].tolist() == ["property", "neighbor", "family"]
    assert t["source"].tolist() == ["grid", "hotline", "visit"]
    assert t["status"].tolist() == ["resolved", "in_progress", "resolved"]
    assert t["reported_on"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-01"),
                                         pd.Timestamp("2024-03-01")]  # Excel serial 45352
    assert t["resolved_on"].iloc[0] == pd.Timestamp("2024-01-20")
    assert "备注" not in t.columns
    unknown = [w for w in ds.warnings if w.rule == "column.unknown"]
    assert unknown and unknown[0].table == "disputes" and "备注" in unknown[0].message_zh
    assert ds.validate().ok


def _disputes_sheet(ws, above=()):
    import datetime as dt

    for row in above:
        ws.append(list(row))
    ws.append(["案件编号", "社区编码", "受理日期", "纠纷类型", "来源", "办理状态", "化解日期", "化解方式"])
    ws.append(["D1", "C01", dt.datetime(2024, 1, 5), "物业纠纷", "网格员上报", "已化解", "2024/1/20", "人民调解"])
    ws.append(["D2", "C02", "2024年2月1日", "邻里", "12345热线", "调处中", None, None])


@pytest.mark.parametrize("layout", ["instructions_first", "hidden_first", "unit_line_above_header"])
def test_the_table_is_found_in_a_workbook_as_offices_send_it(tmp_path, layout):
    """A one-table workbook whose first sheet is the 说明 sheet (naming column headers in
    its text) or a hidden drop-down list, and a sheet with a filled-in unit line above the
    header (区 | 东城区 | 街道 | 锦绣街道, two known headers): the data are read as they are."""
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    if layout == "instructions_first":
        first.title = "说明"
        first.append(["填表说明"])
        first.append(["列名", "含义"])
        first.append(["社区编码", "community_id"])
        first.append(["案件编号", "case_id"])
        _disputes_sheet(wb.create_sheet("Sheet1"))
    elif layout == "hidden_first":
        first.title = "下拉选项"
        first.append(["纠纷类型", "办理状态"])
        first.append(["物业纠纷", "已化解"])
        first.sheet_state = "hidden"
        _disputes_sheet(wb.create_sheet("2024年"))
    else:
        _disputes_sheet(first, above=[("2024年矛盾纠纷台账",),
                                      ("区", "东城区", "街道", "锦绣街道", "填报日期", "2024-12-31")])
    d = tmp_path / "ds"
    write_dataset(d, drop=("disputes",))
    wb.save(d / "矛盾纠纷台账.xlsx")
    ds = evalkit.load(d)
    t = ds["disputes"]
    assert t["case_id"].tolist() == ["D1", "D2"]
    assert t["status"].tolist() == ["resolved", "in_progress"]
    assert not [p for p in ds.validate().problems if p.table == "disputes" and p.severity == "error"]


def test_xls_file(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("volunteers")
    ws.write(0, 0, "志愿者名册 2024")
    head = ["志愿者编号", "社区编码", "注册日期", "注销日期", "出生年份", "性别", "是否党员"]
    for j, h in enumerate(head):
        ws.write(1, j, h)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    import datetime as dt

    rows = [["V1", "C01", dt.date(2020, 5, 1), None, 1960, "女", "是"],
            ["V2", "C02", "2021/6/1", "2023-01-01", 1985, "男", "否"]]
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r):
            if isinstance(v, dt.date):
                ws.write(i, j, v, date_style)
            elif v is not None:
                ws.write(i, j, v)
    d = tmp_path / "ds"
    write_dataset(d, drop=("volunteers", "volunteer_hours"))
    wb.save(str(d / "volunteers.xls"))
    ds = evalkit.load(d)
    v = ds["volunteers"]
    assert v["registered_on"].tolist() == [pd.Timestamp("2020-05-01"), pd.Timestamp("2021-06-01")]
    assert v["birth_year"].tolist() == [1960, 1985]
    assert v["gender"].tolist() == ["female", "male"]
    assert v["party_member"].tolist() == [True, False]
    assert v["_row"].tolist() == [3, 4]
    assert ds.validate().ok


def test_dataset_workbook_one_sheet_per_table(tmp_path):
    d = tmp_path / "ds"
    d.mkdir()
    with pd.ExcelWriter(d / "dataset.xlsx") as xw:
        for name, df in TABLES.items():
            sheet = CONTRACT[name].zh if name != "communities" else "communities"
            df.to_excel(xw, sheet_name=sheet, index=False)
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="说明", index=False)
    ds = evalkit.load(d)
    assert set(ds.tables) == set(TABLES)
    assert "dataset.xlsx" in ds.sources["disputes"]
    assert ds.validate().ok


def test_dates_and_booleans_in_every_form(tmp_path, tables):
    c = tables["communities"]
    c["pilot"] = ["是", "N", "Y", "否"]
    c["pilot_start"] = ["2021/1/1", "", "2022年7月1日", ""]
    tables["volunteers"]["party_member"] = ["TRUE", "0", "y"]
    tables["volunteers"]["registered_on"] = ["2020-05-01", "44348", "2022年1月1日"]
    d = write_dataset(tmp_path / "ds", tables=tables)
    ds = evalkit.load(d)
    assert ds["communities"]["pilot"].tolist() == [True, False, True, False]
    assert ds["communities"]["pilot_start"].dropna().tolist() == [pd.Timestamp("2021-01-01"),
                                                                   pd.Timestamp("2022-07-01")]
    assert ds["volunteers"]["party_member"].tolist() == [True, False, True]
    # 44348 is the Excel serial of 2021-06-01
    assert ds["volunteers"]["registered_on"].tolist() == [
        pd.Timestamp("2020-05-01"), pd.Timestamp("2021-06-01"), pd.Timestamp("2022-01-01")]
    assert ds.validate().ok


def test_defaults_fill_missing_optional_values(tmp_path, tables):
    tables["survey_responses"] = tables["survey_responses"].drop(columns=["weight"])
    tables["survey_items"] = tables["survey_items"].drop(columns=["scale_min", "scale_max", "reverse"])
    d = write_dataset(tmp_path / "ds", tables=tables)
    ds = evalkit.load(d)
    assert ds["survey_responses"]["weight"].tolist() == [1.0] * 4
    assert ds["survey_items"]["scale_max"].tolist() == [5, 5, 5]
    assert ds["survey_items"]["reverse"].tolist() == [False] * 3
    assert ds["volunteers"]["party_member"].tolist() == [True, False, False]  # empty -> default false
    assert ds.source_columns["survey_responses"].count("weight") == 0


def test_out_of_scale_answers_become_missing_with_count(tmp_path, tables):
    tables["survey_responses"]["q1"] = [5, 9, 9, 2]
    tables["survey_responses"]["q2"] = ["4", "不清楚", "2", "1"]
    d = write_dataset(tmp_path / "ds", tables=tables)
    ds = evalkit.load(d)
    q1 = ds["survey_responses"]["q1"]
    assert q1.isna().tolist() == [False, True, True, False]
    assert ds["survey_responses"]["q2"].isna().sum() == 1
    # near-identical warnings are one line (issue 11: the sample's 14 items gave 14 lines),
    # naming the items with their counts and the answers found outside the scale
    w = [p for p in ds.warnings if p.rule == "survey.answer_scale"]
    assert len(w) == 1 and w[0].count == 3 and w[0].column is None
    assert "2 道题共 3 个答案不在量表 [1, 5] 内" in w[0].message_zh and "q1 2 个、q2 1 个" in w[0].message_zh
    assert "answer 9: 2" in w[0].message_en and "answer 不清楚: 1" in w[0].message_en and "q1 2, q2 1" in w[0].message_en
    rep = ds.validate()
    assert rep.ok and [p.rule for p in rep.warnings] == ["survey.answer_scale"]
    # one item: the item's own line
    tables["survey_responses"]["q2"] = ["4", "3", "2", "1"]
    ds = evalkit.load(write_dataset(tmp_path / "one", tables=tables))
    w = [p for p in ds.warnings if p.rule == "survey.answer_scale"]
    assert [(p.column, p.count) for p in w] == [("q1", 2)] and "题目 q1 有 2 个答案" in w[0].message_zh


def test_dataset_json_meta(tmp_path, valid_dir):
    (valid_dir / "dataset.json").write_text(json.dumps({"name": "示例", "synthetic": True}), encoding="utf-8")
    ds = evalkit.load(valid_dir)
    assert ds.meta["name"] == "示例" and ds.synthetic


def test_targets_table(tmp_path, valid_dir):
    pd.DataFrame({"指标": ["dispute_rate"], "层级": ["区县"], "单位": [""], "年份": [2024],
                  "目标值": [0.9]}).to_csv(valid_dir / "考核目标.csv", index=False)
    ds = evalkit.load(valid_dir)
    t = ds["targets"]
    assert t["level"].tolist() == ["district"] and t["target"].tolist() == [0.9]


def test_absent_optional_table(tmp_path):
    d = write_dataset(tmp_path / "ds", drop=("cadres",))
    ds = evalkit.load(d)
    assert not ds.has("cadres")
    with pytest.raises(MissingTableError) as e:
        ds["cadres"]
    assert "社区干部名册" in str(e.value) and "no table cadres" in str(e.value)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_districts_filter(tmp_path, fmt):
    d = write_dataset(tmp_path / "ds", fmt)
    ds = evalkit.load(d, districts=["南山区"])
    assert ds["communities"]["community_id"].tolist() == ["C03", "C04"]
    assert ds["disputes"]["case_id"].tolist() == ["D3", "D4"]
    assert ds["volunteers"]["volunteer_id"].tolist() == ["V3"]
    assert ds["volunteer_hours"]["record_id"].tolist() == ["R4"]
    assert ds["volunteer_hours"]["_row"].tolist() == [5]  # row number in the file kept
    assert ds["survey_items"].shape[0] == 3  # not filtered
    assert len(ds["community_years"]) == 0
    assert ds.districts == ["南山区"]
    assert ds.validate().ok


def test_districts_unknown(tmp_path, valid_dir):
    from evalkit.exceptions import ParameterError

    with pytest.raises(ParameterError):
        evalkit.load(valid_dir, districts=["不存在区"])


def test_parquet_filter_reads_only_matching_row_groups(tmp_path):
    """A district's slice of a multi-row-group file is read group by group."""
    from evalkit.io.read import Source, read_parquet_raw

    n = 40_000
    df = pd.DataFrame({"community_id": np.repeat([f"C{i:02d}" for i in range(40)], n // 40),
                       "case_id": [f"D{i}" for i in range(n)]})
    p = tmp_path / "disputes.parquet"
    df.to_parquet(p, index=False, row_group_size=1000)
    out = read_parquet_raw(Source("disputes", p), ["case_id", "community_id"], "community_id", {"C07"})
    assert len(out) == 1000
    assert out["_row"].iloc[0] == 7 * 1000 + 2 and out["case_id"].iloc[0] == "D7000"


def test_raw_files_are_never_modified(tmp_path):
    for fmt in ("csv", "xlsx", "parquet"):
        d = write_dataset(tmp_path / fmt, fmt)
        before = tree_hash(d)
        ds = evalkit.load(d)
        ds.validate()
        evalkit.load(d, districts=["硚口区"])
        assert tree_hash(d) == before
        assert sorted(p.name for p in d.iterdir()) == sorted(before)


# --- unreadable files -------------------------------------------------------


def test_missing_folder():
    with pytest.raises(ReadError) as e:
        evalkit.load("/nonexistent/dataset")
    assert "找不到数据集" in e.value.zh and "not found" in e.value.en


def test_corrupt_xlsx_is_read_error(tmp_path, valid_dir):
    (valid_dir / "disputes.csv").unlink()
    (valid_dir / "disputes.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(ReadError) as e:
        evalkit.load(valid_dir)
    assert "disputes.xlsx" in e.value.zh and "disputes.xlsx" in e.value.en
    assert "损坏" in e.value.zh and "corrupt" in e.value.en


def test_corrupt_parquet_is_read_error(tmp_path, valid_dir):
    (valid_dir / "cadres.csv").unlink()
    (valid_dir / "cadres.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ReadError) as e:
        evalkit.load(valid_dir)
    assert "cadres.parquet" in str(e.value)


def test_no_header_row_is_read_error(tmp_path, valid_dir):
    (valid_dir / "disputes.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ReadError) as e:
        evalkit.load(valid_dir)
    assert e.value.table == "disputes"
    assert "找不到表头" in e.value.zh and "no header row" in e.value.en and "disputes.csv" in e.value.en


def test_two_sources_for_one_table(tmp_path, valid_dir):
    TABLES["cadres"].to_csv(valid_dir / "社区干部名册.csv", index=False)
    with pytest.raises(ReadError) as e:
        evalkit.load(valid_dir)
    assert "two sources" in e.value.en and "两个来源" in e.value.zh


def test_unknown_file_is_a_warning(tmp_path, valid_dir):
    (valid_dir / "notes.csv").write_text("x\n1\n", encoding="utf-8")
    ds = evalkit.load(valid_dir)
    assert any(w.rule == "file.ignored" and w.value == "notes.csv" for w in ds.warnings)


@pytest.mark.parametrize("blank", [False, True])
def test_csv_title_rows_and_row_numbers(tmp_path, blank):
    d = write_dataset(tmp_path / "ds", drop=("disputes",))
    body = _zh(TABLES["disputes"], "disputes").to_csv(index=False).splitlines()
    if blank:  # a blank line inside the data (slow path keeps the numbering)
        body.insert(3, "")
    text = "2024年矛盾纠纷台账,,,\n\n" + "\n".join(body) + "\n"
    (d / "矛盾纠纷台账.csv").write_bytes(text.encode("gbk"))
    ds = evalkit.load(d)
    t = ds["disputes"]
    assert t["case_id"].tolist() == ["D1", "D2", "D3", "D4"]
    assert t["_row"].tolist() == ([4, 5, 7, 8] if blank else [4, 5, 6, 7])
    assert ds.validate().ok


def test_dataset_json_with_bom_reaches_reports(tmp_path):
    """Notepad saves dataset.json with a BOM: the loader and the reports read it alike (one reader)."""
    import json
    import shutil

    from evalkit.io import load, read_meta
    from evalkit.report import data

    folder = tmp_path / "d"
    shutil.copytree(SAMPLE, folder)
    meta = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    (folder / "dataset.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    assert read_meta(folder) == meta == load(folder, tables=()).meta
    rd = data.prepare(str(folder), district=None, year=2024)
    assert rd.synthetic is True and rd.meta == meta
