"""A CSV row with more or fewer fields than its header is a validation error (issue 10).

An unquoted comma inside a value shifts the rest of the row; the loader used to keep
the first fields and drop the others in silence.  Both readers (pyarrow's fast path,
which refuses such a file, and the pandas reader it falls back to) must report the
table, the file, the row and the field counts, in Chinese and English.
"""

from __future__ import annotations

import evalkit
from io_helpers import write_dataset

HEADER = "case_id,community_id,reported_on,category,source,status,resolved_on,method"
ROWS = ["D1,C01,2024-01-05,property,grid,resolved,2024-01-20,mediation",
        "D2,C02,2024-02-01,neighbor,hotline,in_progress,,",
        "D3,C03,2024-03-01,family,visit,resolved,2024-03-02,grid",
        "D4,C04,2024-03-09,other,,unresolved,,"]


def _with_disputes(tmp_path, lines, name="ds"):
    d = write_dataset(tmp_path / name)
    (d / "disputes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return evalkit.load(d)


def _fields(rep):
    return [p for p in rep.errors if p.rule == "row.fields"]


def test_a_row_with_extra_fields_is_an_error(tmp_path):
    rows = list(ROWS)
    rows[1] = "D2,C02,2024-02-01,property,grid,resolved,2024-03-09,mediation,extra,more"  # the row
    rep = _with_disputes(tmp_path, [HEADER, *rows]).validate()
    assert not rep.ok
    (p,) = _fields(rep)
    assert (p.table, p.row, p.source) == ("disputes", 3, "disputes.csv")
    assert "有 10 个字段，而表头有 8 列" in p.message_zh and "10 fields but the header has 8 columns" in p.message_en
    text = rep.to_text("both")
    assert "表 disputes（矛盾纠纷台账，disputes.csv），第 3 行" in text and "table disputes (disputes.csv), row 3" in text


def test_a_row_with_too_few_fields_is_an_error(tmp_path):
    rows = list(ROWS)
    rows[2] = "D3,C03,2024-03-01,family,visit,resolved"
    rep = _with_disputes(tmp_path, [HEADER, *rows]).validate()
    (p,) = _fields(rep)
    assert p.row == 4 and "有 6 个字段，而表头有 8 列" in p.message_zh and "6 fields" in p.message_en


def test_the_fallback_reader_reports_them_too(tmp_path):
    """A blank line and a quoted newline send the file to the pandas reader (pyarrow is told
    not to take either); rows keep their numbers there, and ragged rows are still listed."""
    rows = list(ROWS)
    rows[0] = 'D1,C01,2024-01-05,property,grid,resolved,2024-01-20,"mediation"'
    rows[3] = "D4,C04,2024-03-09,other,,unresolved,,,x"
    lines = [HEADER, rows[0], "", rows[1], rows[2], rows[3]]
    ds = _with_disputes(tmp_path, lines)
    assert ds["disputes"]["_row"].tolist() == [2, 4, 5, 6]  # the blank line is row 3
    (p,) = _fields(ds.validate())
    assert p.row == 6 and "9 fields but the header has 8" in p.message_en


def test_the_fast_path_refuses_a_ragged_file_and_the_fallback_lists_it(tmp_path, monkeypatch):
    """pyarrow's reader must not take a ragged file (it would drop or pad fields itself);
    the pandas reader, forced here for a file pyarrow would otherwise read, lists the rows."""
    import pyarrow as pa

    from evalkit.io import read

    names = HEADER.split(",")
    body = pa.py_buffer(("\n".join([*ROWS[:2], ROWS[2] + ",x", ROWS[3][:-2]]) + "\n").encode())
    assert read._read_csv_arrow(body, 0, names, {}) is None
    monkeypatch.setattr(read, "_read_csv_arrow", lambda *a, **k: None)  # every CSV through pandas
    rows = list(ROWS)
    rows[2] += ",x"
    rep = _with_disputes(tmp_path, [HEADER, *rows]).validate()
    assert [(p.row, p.rule) for p in rep.errors] == [(4, "row.fields")]


def test_trailing_empty_fields_and_blank_lines_are_not_errors(tmp_path):
    rows = [r + ",," for r in ROWS]  # an export that writes separators for empty columns
    ds = _with_disputes(tmp_path, [HEADER, *rows, ""])
    assert ds.validate().ok and len(ds["disputes"]) == 4
    ds = _with_disputes(tmp_path, [HEADER + ",,", *rows], name="trailing-header")
    assert ds.validate().ok and len(ds["disputes"]) == 4


def test_many_ragged_rows_are_counted_exactly(tmp_path):
    from evalkit.io.validate import MAX_LISTED

    extra = [f"X{i},C01,2024-01-05,property,grid,resolved,2024-01-20,mediation,oops" for i in range(MAX_LISTED + 5)]
    rep = _with_disputes(tmp_path, [HEADER, *ROWS, *extra]).validate()
    got = _fields(rep)
    assert len(got) == MAX_LISTED + 1 and rep.n_errors == MAX_LISTED + 5
    assert got[-1].row is None and "另有 5 行" in got[-1].message_zh
