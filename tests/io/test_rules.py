"""One definition per rule: the contract's rule objects generate the SQL of both paths.

A ledger like the new ones of LEDGERS.md is declared here with one line per rule
(date order, "only when", "required when", agreement within a meeting, a
non-negative amount, a key and a foreign key).  The loader path must report each
planted error with its row, and the direct path's queries -- generated from the same
objects -- must count offending rows on the same file exactly when the loader path
reports an error.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import evalkit
from evalkit import contract
from evalkit.contract import (Column as C, ForeignKey, OnlyWhen, Order, RequiredWhen, SameWithin, Table, When)
from evalkit.io import rules as R
from evalkit.io.direct import FileTable, _count, _table_queries
from io_helpers import write_dataset

MEETINGS = Table(  # (its names must not be those of a real table: "meetings" stands in for one)
    "meetings", "测试会议表",
    (
        C("item_id", "text", "议题编号", required=True),
        C("meeting_id", "text", "会议编号", required=True),
        C("community_id", "text", "社区编码", required=True),
        C("held_on", "date", "会议日期", required=True),
        C("units_present", "int", "参会单位数", minimum=0),
        C("outcome", "code", "协商结果", required=True,
          codes={"agreed": ("达成共识",), "not_agreed": ("未达成共识",), "deferred": ("暂缓",)}),
        C("implemented_on", "date", "落实日期"),
        C("funds", "number", "协调资金(元)", minimum=0),
        C("relation", "code", "党员类别", codes={"registered": ("在册党员",), "reporting": ("双报到",)}),
        C("reported_on", "date", "报到日期"),
    ),
    key=("item_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
    rules=(
        Order("implemented_on", "held_on"),
        OnlyWhen("implemented_on", When("outcome", "agreed")),
        RequiredWhen("reported_on", When("relation", "reporting")),
        SameWithin(("meeting_id",), ("community_id", "held_on", "units_present")),
    ),
)

CLEAN = pd.DataFrame({
    "item_id": ["I1", "I2", "I3", "I4", "I5"],
    "meeting_id": ["M1", "M1", "M1", "M2", "M3"],
    "community_id": ["C01", "C01", "C01", "C02", "C01"],
    "held_on": ["2024-01-05", "2024-01-05", "2024-01-05", "2024-03-01", "2024-04-01"],
    "units_present": [3, 3, 3, None, 1],
    "outcome": ["agreed", "agreed", "not_agreed", "agreed", "deferred"],
    "implemented_on": ["2024-02-01", "2024-02-01", None, "2024-03-02", None],
    "funds": [1000.0, 0.0, None, 250.5, None],
    "relation": [None, None, None, None, "reporting"],
    "reported_on": [None, None, None, None, "2024-04-02"],
})

# (row index, column, value) -> (rule id, column reported); rows are numbered header = 1
PLANTED = {
    (1, "units_present", 4): ("group.inconsistent", "units_present"),          # row 3: M1 says 3 twice
    (2, "implemented_on", "2024-02-01"): ("meetings.implemented_on", "implemented_on"),  # not agreed
    (3, "implemented_on", "2024-02-01"): ("date.order", "implemented_on"),     # before held_on
    (3, "funds", -5.0): ("range", "funds"),
    (4, "reported_on", None): ("meetings.reported_on", "reported_on"),         # reporting, no date
}


@pytest.fixture
def meetings(monkeypatch):
    monkeypatch.setitem(contract.TABLES, "meetings", MEETINGS)
    return MEETINGS


def _planted():
    df = CLEAN.copy().astype(object)
    for (i, col, v) in PLANTED:
        df.loc[i, col] = v
    return df


def test_the_rules_are_one_line_each(meetings):
    ids = [r.rule_id("meetings") for r in meetings.rules]
    assert ids == ["date.order", "meetings.implemented_on", "meetings.reported_on", "group.inconsistent"]
    kinds = {type(r).__name__ for r in meetings.checks()}
    assert {"Required", "Type", "Code", "Range", "Unique", "Reference"} <= kinds


def test_the_loader_path_reports_each_planted_error(meetings, tmp_path):
    d = write_dataset(tmp_path / "ds")
    _planted().to_csv(d / "meetings.csv", index=False)
    rep = evalkit.load(d).validate()
    got = {(p.row, p.rule, p.column) for p in rep.errors}
    want = {(i + 2, rule, col) for (i, _c, _v), (rule, col) in PLANTED.items()}
    assert got == want, rep.to_text("en")
    by_rule = {p.rule: p for p in rep.errors}
    assert by_rule["meetings.implemented_on"].message_en == "expected empty unless outcome is agreed"
    assert by_rule["meetings.implemented_on"].message_zh == "只有outcome（协商结果）为“达成共识”时才填写，这一行应为空"
    assert by_rule["meetings.reported_on"].message_en == "required when relation is reporting"
    assert by_rule["group.inconsistent"].message_en == (
        "expected the same units_present as the other rows of its meeting_id")
    assert by_rule["group.inconsistent"].value == "4"


def _parquet(df: pd.DataFrame, path):
    """The table as a canonical Parquet file (DATE, BIGINT, DOUBLE, VARCHAR)."""
    t = pa.table({
        **{c: pa.array(df[c].tolist(), pa.string()) for c in ("item_id", "meeting_id", "community_id", "outcome",
                                                              "relation")},
        **{c: pa.array([None if v is None else pd.Timestamp(v).date() for v in df[c]], pa.date32())
           for c in ("held_on", "implemented_on", "reported_on")},
        "units_present": pa.array([None if pd.isna(v) else int(v) for v in df["units_present"]], pa.int64()),
        "funds": pa.array([None if pd.isna(v) else float(v) for v in df["funds"]], pa.float64()),
    })
    pq.write_table(t, path)
    return FileTable("meetings", str(path), tuple(t.column_names))


def test_the_direct_path_runs_the_same_rules_on_the_file(meetings, tmp_path):
    clean = _parquet(CLEAN.astype(object).where(CLEAN.notna(), None), tmp_path / "clean.parquet")
    assert sum(_count(q) for q in _table_queries(clean, {"meetings": clean})) == 0
    for key, (rule_id, _col) in PLANTED.items():  # each planted error alone is found
        df = CLEAN.copy().astype(object).where(CLEAN.notna(), None)
        df.loc[key[0], key[1]] = key[2]
        ft = _parquet(df, tmp_path / f"{rule_id}-{key[0]}.parquet")
        assert sum(_count(q) for q in _table_queries(ft, {"meetings": ft})) > 0, rule_id


def test_a_rule_checks_only_when_its_columns_are_there(meetings):
    only_when, required_when = meetings.rules[1], meetings.rules[2]
    rel = R.Relation("meetings", "t", frozenset({"item_id", "outcome"}))
    assert not rel.applies(only_when)  # implemented_on absent: nothing can be filled in
    assert not rel.applies(required_when)  # relation absent: no row is a reporting member
    # relation present without reported_on: every reporting member lacks the date
    assert R.Relation("meetings", "t", frozenset({"relation"})).applies(required_when)
