"""What a user sees in JupyterLab and a console (issue 11): compact HTML and short text,
never a wall of Problem(...) reprs; and why a report batch is refused (issue 11)."""

from __future__ import annotations

import evalkit
from evalkit.exceptions import ValidationError
from evalkit.io.validate import check_batch
from io_helpers import write_dataset


def _bad(tmp_path, tables):
    for i in range(3):
        tables["volunteer_hours"].loc[i, "hours"] = 30
    tables["disputes"]["status"] = tables["disputes"]["status"].astype(object)
    tables["disputes"].loc[1, "status"] = "done"
    return evalkit.load(write_dataset(tmp_path / "ds", tables=tables))


def test_dataset_shows_tables_rows_and_files(tmp_path, tables):
    ds = evalkit.load(write_dataset(tmp_path / "ds", tables=tables))
    text = repr(ds)
    assert "\n" not in text and "communities: 4 rows" in text and "volunteer_hours: 4 rows" in text
    page = ds._repr_html_()
    assert page.count("<tr>") == 1 + len(ds.tables)  # header + one row per table
    assert "<td>社区名册</td>" in page and "communities.csv" in page


def test_report_shows_problems_by_table_and_rule_then_the_first_ones(tmp_path, tables):
    rep = _bad(tmp_path, tables).validate()
    text = repr(rep)
    assert text == "ValidationReport: 4 error(s) in 4 row(s), 0 warning(s) (see .to_text(), .to_frame())"
    page = rep._repr_html_()
    assert "Problem(" not in page
    assert "<td>volunteer_hours</td><td>range</td><td>3</td><td>3</td>" in page
    assert "<td>disputes</td><td>code.unknown</td><td>1</td><td>1</td>" in page
    assert page.index("disputes") < page.index("volunteer_hours")  # the contract's order
    assert "服务时长" in page  # the column as the user's language shows it
    summary = rep.by_table()
    assert summary["rows"].sum() == rep.n_errors == 4


def test_a_refused_batch_says_why_with_the_counts_of_validate(tmp_path, tables):
    tables["survey_items"]["dimension"] = ["party_org", "environment", "services"]  # no overall item
    ds = _bad(tmp_path, tables)
    rep = ds.validate()
    check = check_batch(rep, ds)
    assert check.refused and set(check.invalid) == {"硚口区"}  # hours of V1/V2, case D2: 硚口区
    zh, en = check.reason("zh"), check.reason("en")
    assert "表 survey_items（问卷题目）中的 1 条错误不属于任何区县，所以没有生成任何报告" in zh
    assert "The 1 error(s) in table survey_items belong to no district, so no report was built" in en
    err = check.error()
    assert isinstance(err, ValidationError)
    text = str(err)
    # one header, with the counts `evalkit validate` prints, then the reason
    assert text.count("校验结果") == 1 and text.splitlines()[0] == rep.summary("zh") == "校验结果：5 条错误，0 条警告。"
    assert text.splitlines()[1] == zh


def test_a_batch_with_one_bad_district_goes_on(tmp_path, tables):
    ds = _bad(tmp_path, tables)
    check = check_batch(ds.validate(), ds)
    assert not check.refused and list(check.invalid) == ["硚口区"]
    assert check.reason("en") == "These districts have errors and get no report: 硚口区 (4); the others are built."
    only = check_batch(ds.validate(), ds, districts=["硚口区"])
    assert only.refused and "Every district asked for has errors (硚口区 (4))" in only.reason("en")
