"""Validation: every rule of the contract has a failing example whose problem
(table, row, column, value, rule, Chinese and English message) is asserted."""

from __future__ import annotations

import pandas as pd
import pytest

import evalkit
from evalkit.io import validate as vmod
from evalkit.io.validate import MAX_LISTED, Problem, ValidationReport

from io_helpers import write_dataset


def _report(tmp_path, tables, drop=()):
    d = write_dataset(tmp_path / "ds", tables=tables, drop=drop)
    return evalkit.load(d).validate()


def _one(rep, rule, table=None, column=None):
    hits = [p for p in rep.problems if p.rule == rule and (table is None or p.table == table)
            and (column is None or p.column == column)]
    assert hits, f"no {rule} problem in:\n{rep.to_text()}"
    return hits


def _set(tables, table, column, row_index, value):
    df = tables[table]
    df[column] = df[column].astype(object)
    df.loc[row_index, column] = value


# (table, column, row index in the fixture, bad value, rule, zh fragment, en fragment)
CELL_CASES = [
    ("communities", "community_name", 1, "", "value.required", "必填项为空", "a value is required"),
    ("communities", "households", 0, "很多", "type.int", "应为整数", "expected an integer"),
    ("communities", "households", 2, "12.5", "type.int", "应为整数", "expected an integer"),
    ("communities", "households", 1, 0, "range", "应大于 0", "expected > 0"),
    ("communities", "population", 3, -5, "range", "应大于 0", "expected > 0"),
    ("communities", "pilot", 0, "maybe", "type.bool", "应为是/否", "expected a boolean"),
    ("communities", "community_type", 2, "别墅区", "code.unknown", "商品房小区(commodity_housing)",
     "expected one of the codes: commodity_housing"),
    ("community_years", "year", 1, 1990, "range", "应在 2000 到 2100 之间", "expected between 2000 and 2100"),
    ("community_years", "grid_workers", 0, -1, "range", "应不小于 0", "expected >= 0"),
    ("disputes", "reported_on", 2, "2024-13-45", "type.date", "应为日期", "expected a date"),
    ("disputes", "reported_on", 3, "", "value.required", "必填项为空", "a value is required"),
    ("disputes", "category", 1, "吵架", "code.unknown", "物业纠纷(property)", "expected one of the codes"),
    ("disputes", "status", 1, "done", "code.unknown", "已化解(resolved)", "expected one of the codes"),
    ("volunteers", "birth_year", 2, 1800, "range", "应在 1900 到 2020 之间", "expected between 1900 and 2020"),
    ("volunteers", "gender", 0, "X", "code.unknown", "男(male)", "expected one of the codes: male, female"),
    ("volunteer_hours", "hours", 1, 25, "range", "应大于 0 且不超过 24", "expected > 0 and <= 24"),
    ("volunteer_hours", "hours", 2, 0, "range", "应大于 0 且不超过 24", "expected > 0 and <= 24"),
    ("volunteer_hours", "hours", 0, "两小时", "type.number", "应为数字", "expected a number"),
    ("cadres", "birth_year", 3, 2015, "range", "应在 1930 到 2010 之间", "expected between 1930 and 2010"),
    ("cadres", "education", 0, "幼儿园", "code.unknown", "小学及以下(primary)", "expected one of the codes"),
    ("cadres", "party_member", 2, "", "value.required", "必填项为空", "a value is required"),
    ("survey_responses", "weight", 0, 0, "range", "应大于 0", "expected > 0"),
    ("survey_items", "dimension", 0, "心情", "code.unknown", "党组织(party_org)", "expected one of the codes"),
]


@pytest.mark.parametrize("table,column,i,value,rule,zh,en", CELL_CASES,
                         ids=[f"{c[0]}.{c[1]}.{c[4]}" for c in CELL_CASES])
def test_cell_rules(tmp_path, tables, table, column, i, value, rule, zh, en):
    _set(tables, table, column, i, value)
    rep = _report(tmp_path, tables)
    assert not rep.ok
    probs = _one(rep, rule, table, column)
    p = probs[0]
    assert p.severity == "error"
    assert p.row == i + 2  # header = row 1
    assert zh in p.message_zh and en in p.message_en
    if value != "":
        assert p.value == str(value)
    text = rep.to_text("both")
    assert f"第 {i + 2} 行" in text and f"row {i + 2}" in text and column in text
    # only this problem (a rule that needs the value may add a consequential one)
    assert all(q.table == table for q in rep.errors)


def test_communities_table_missing(tmp_path, tables):
    rep = _report(tmp_path, tables, drop=("communities",))
    p = _one(rep, "table.missing", "communities")[0]
    assert "社区名册" in p.message_zh and "required table communities" in p.message_en


def test_required_column_missing(tmp_path, tables):
    tables["disputes"] = tables["disputes"].drop(columns=["status"])
    rep = _report(tmp_path, tables)
    p = _one(rep, "column.missing", "disputes", "status")[0]
    assert p.row is None and "办理状态" in p.message_zh and "required column status" in p.message_en


@pytest.mark.parametrize("table,cols,i,j", [
    ("disputes", ["case_id"], 0, 2),
    ("cadres", ["person_id", "term_year"], 1, 3),
    ("survey_responses", ["respondent_id", "wave"], 0, 1),
    ("community_years", ["community_id", "year"], 1, 2),
    ("communities", ["community_id"], 0, 3),
])
def test_unique_keys(tmp_path, tables, table, cols, i, j):
    df = tables[table]
    for c in cols:
        df[c] = df[c].astype(object)
        df.loc[j, c] = df.loc[i, c]
    rep = _report(tmp_path, tables)
    p = _one(rep, "key.duplicate", table)[0]
    assert p.row == j + 2
    assert "应唯一" in p.message_zh and "must be unique" in p.message_en
    assert " + ".join(cols) in p.message_en


@pytest.mark.parametrize("table,column,i,ref", [
    ("disputes", "community_id", 1, "communities"),
    ("volunteers", "community_id", 0, "communities"),
    ("volunteer_hours", "volunteer_id", 3, "volunteers"),
    ("cadres", "community_id", 2, "communities"),
    ("survey_responses", "community_id", 3, "communities"),
    ("community_years", "community_id", 0, "communities"),
])
def test_foreign_keys(tmp_path, tables, table, column, i, ref):
    _set(tables, table, column, i, "X99")
    rep = _report(tmp_path, tables)
    p = _one(rep, "fk.missing", table, column)[0]
    assert p.row == i + 2 and p.value == "X99"
    assert ref in p.message_zh and f"not found in {ref}." in p.message_en


def test_hours_without_volunteers_table(tmp_path, tables):
    rep = _report(tmp_path, tables, drop=("volunteers",))
    p = _one(rep, "table.orphan", "volunteer_hours", "volunteer_id")[0]
    assert "志愿者名册" in p.message_zh and "volunteers is missing" in p.message_en


def test_resolved_before_reported(tmp_path, tables):
    _set(tables, "disputes", "resolved_on", 0, "2024-01-01")  # reported 2024-01-05
    rep = _report(tmp_path, tables)
    p = _one(rep, "date.order", "disputes", "resolved_on")[0]
    assert p.row == 2 and p.value == "2024-01-01"
    # the other column as the file heads it (reported_on), with its Chinese name
    assert "不能早于 reported_on（登记日期）" in p.message_zh and "on or after reported_on" in p.message_en


def test_left_before_registered(tmp_path, tables):
    _set(tables, "volunteers", "left_on", 1, "2020-01-01")  # registered 2021-06-01
    rep = _report(tmp_path, tables)
    p = _one(rep, "date.order", "volunteers", "left_on")[0]
    assert p.row == 3 and "on or after registered_on" in p.message_en and "注册日期" in p.message_zh


def test_resolved_needs_resolved_on(tmp_path, tables):
    _set(tables, "disputes", "resolved_on", 2, "")
    rep = _report(tmp_path, tables)
    p = _one(rep, "disputes.resolved_on", "disputes", "resolved_on")[0]
    assert p.row == 4 and "已化解" in p.message_zh and "status is resolved" in p.message_en


def test_pilot_start_consistency(tmp_path, tables):
    _set(tables, "communities", "pilot_start", 0, "")            # pilot true, no start
    _set(tables, "communities", "pilot_start", 1, "2022-01-01")  # pilot false, a start
    rep = _report(tmp_path, tables)
    probs = _one(rep, "communities.pilot_start", "communities", "pilot_start")
    by_row = {p.row: p for p in probs}
    assert "required when pilot is true" in by_row[2].message_en and "必须填写" in by_row[2].message_zh
    assert "expected empty" in by_row[3].message_en and "应为空" in by_row[3].message_zh
    assert by_row[3].value == "2022-01-01"
    # an unreadable pilot flag is one error (type.bool), not also 'expected empty when false'
    _set(tables, "communities", "pilot", 1, "试点")
    rep = _report(tmp_path / "unreadable", tables)
    assert [p.row for p in _one(rep, "type.bool", "communities", "pilot")] == [3]
    assert 3 not in {p.row for p in rep.problems if p.rule == "communities.pilot_start"}


@pytest.mark.parametrize("dims,n", [(["party_org", "environment", "services"], 0),
                                    (["overall", "environment", "overall"], 2)])
def test_exactly_one_overall_item(tmp_path, tables, dims, n):
    tables["survey_items"]["dimension"] = dims
    rep = _report(tmp_path, tables)
    p = _one(rep, "items.overall", "survey_items")[0]
    assert f"实际有 {n} 道" in p.message_zh and f"found {n}" in p.message_en


def test_item_column_missing_from_responses(tmp_path, tables):
    tables["survey_responses"] = tables["survey_responses"].drop(columns=["q2"])
    rep = _report(tmp_path, tables)
    p = _one(rep, "items.column", "survey_responses", "q2")[0]
    assert p.severity == "error" and "q2" in p.message_zh and "not a column of survey_responses" in p.message_en


def test_item_scale_order(tmp_path, tables):
    _set(tables, "survey_items", "scale_max", 1, 1)
    rep = _report(tmp_path, tables)
    p = _one(rep, "items.scale", "survey_items", "scale_max")[0]
    assert p.row == 3 and "greater than scale_min" in p.message_en


def test_responses_without_codebook(tmp_path, tables):
    rep = _report(tmp_path, tables, drop=("survey_items",))
    p = _one(rep, "table.missing", "survey_items")[0]
    assert "问卷题目" in p.message_zh and "codebook" in p.message_en


def test_fpc_is_whole_and_constant_within_stratum_and_wave(tmp_path, tables):
    """The estimator needs one fpc per stratum of a wave, for every respondent (it raised
    'the fpc must be the same ...' naming an internal column; validate passed)."""
    r = tables["survey_responses"]
    r["fpc"] = [40.0, 40.0, 60.0, 60.0]
    rep = _report(tmp_path / "ok", tables)
    assert not [p for p in rep.problems if p.rule.startswith("survey.fpc")]
    r["fpc"] = [40.0, 40.0, 60.0, 999.0]
    r.loc[len(r)] = ["S5", "C03", 2024, 1.0, "B", "C03", 3, 3, 3, 60.0]  # B: 60 twice, 999 once
    hit = _one(_report(tmp_path / "stratum", tables), "survey.fpc_stratum", "survey_responses", "fpc")
    assert [(p.row, p.value) for p in hit] == [(5, "999")]  # header = row 1: S4 is row 5
    r["fpc"] = [40.0, None, 60.0, 60.0, 60.0]
    hit = _one(_report(tmp_path / "missing", tables), "survey.fpc_missing", "survey_responses", "fpc")
    assert [p.row for p in hit] == [3]
    # another wave may have its own fpc, or none at all
    r["fpc"] = [40.0, 40.0, 60.0, 60.0, None]
    r["wave"] = [2024, 2024, 2024, 2024, 2023]
    rep = _report(tmp_path / "waves", tables)
    assert not [p for p in rep.problems if p.rule.startswith("survey.fpc")]


def test_unknown_target_indicator_is_a_warning(tmp_path, tables):
    """The catalog lives above io: the caller gives the ids (the CLI gives the catalog's)."""
    d = write_dataset(tmp_path / "ds", tables=tables)
    pd.DataFrame({"indicator": ["dispute_rate", "no_such_indicator"], "target": [0.9, 1]}).to_csv(
        d / "targets.csv", index=False)
    ds = evalkit.load(d)
    assert not [p for p in ds.validate().problems if p.rule == "targets.indicator"]  # no ids: not checked
    rep = vmod.validate(ds, indicators=["dispute_rate"])
    assert rep.ok
    p = _one(rep, "targets.indicator", "targets", "indicator")[0]
    assert p.severity == "warning" and p.row == 3 and p.value == "no_such_indicator"
    assert "指标目录" in p.message_zh and "catalog" in p.message_en


def test_all_problems_at_once_and_capped_listing(tmp_path, tables):
    n = MAX_LISTED + 7
    h = pd.DataFrame({"record_id": [f"R{i}" for i in range(n)], "volunteer_id": "V1",
                      "served_on": "2024-01-01", "hours": 30, "service_type": "elderly"})
    tables["volunteer_hours"] = h
    _set(tables, "disputes", "category", 0, "吵架")
    rep = _report(tmp_path, tables)
    rng = [p for p in rep.errors if p.rule == "range"]
    listed = [p for p in rng if p.row is not None]
    summary = [p for p in rng if p.row is None]
    assert len(listed) == MAX_LISTED and [p.row for p in listed] == list(range(2, 2 + MAX_LISTED))
    assert len(summary) == 1 and summary[0].count == 7 and "另有 7 行" in summary[0].message_zh
    assert "7 more row(s)" in summary[0].message_en
    assert rep.n_errors == n + 1  # exact: n hours rows + the category
    assert any(p.rule == "code.unknown" for p in rep.errors)
    f = rep.to_frame()
    assert list(f.columns) == ["severity", "table", "row", "column", "value", "rule",
                               "message_zh", "message_en", "count", "header", "source"]
    assert f["count"].sum() == rep.n_errors + rep.n_warnings


def test_report_text_languages():
    p = Problem("error", "disputes", 5, "status", "done", "code.unknown", "应为代码", "expected a code")
    rep = ValidationReport([p, Problem("warning", "disputes", None, None, None, "column.unknown", "忽略", "ignored")])
    zh, en, both = rep.to_text("zh"), rep.to_text("en"), rep.to_text("both")
    assert "1 条错误，1 条警告" in zh and "表 disputes（矛盾纠纷台账），第 5 行，列 status" in zh
    assert "expected" not in zh
    assert "1 error(s), 1 warning(s)" in en and "table disputes, row 5, column status: value 'done'" in en
    assert "应为代码" not in en
    assert zh.splitlines()[1] in both and en.splitlines()[1] in both
    assert not rep.ok and len(rep.errors) == 1 and len(rep.warnings) == 1
    from evalkit.exceptions import ParameterError

    with pytest.raises(ParameterError):
        rep.to_text("fr")


def test_cli_validate_end_to_end(tmp_path, tables, capsys):
    from evalkit.cli import main

    good = write_dataset(tmp_path / "good", tables=tables)
    assert main(["validate", str(good)]) == 0
    assert "校验通过" in capsys.readouterr().out

    tables["disputes"]["extra"] = 1  # a warning only
    warn = write_dataset(tmp_path / "warn", tables=tables)
    assert main(["validate", str(warn), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 1 warning(s)" in out and "extra" in out

    _set(tables, "volunteer_hours", "hours", 1, 25)
    bad = write_dataset(tmp_path / "bad", tables=tables)
    assert main(["validate", str(bad), "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert "表 volunteer_hours（志愿服务记录，volunteer_hours.csv），第 3 行，列 hours（服务时长）" in out

    (bad / "cadres.csv").write_text("foo\n1\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cadres.csv" in err and "Traceback" not in err
