"""The command line refuses data with errors (unless told not to) and never shows a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _run(*args):
    return subprocess.run([sys.executable, "-m", "evalkit", *map(str, args)], capture_output=True, text=True)


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Overwrite one cell of a CSV; ``row`` as numbered in the file (header = row 1)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[row - 1].split(",")
    cells[lines[0].split(",").index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory):
    """The sample with one impossible household count (row 3 of communities.csv)."""
    out = tmp_path_factory.mktemp("bad") / "data"
    shutil.copytree(SAMPLE, out)
    _set_cell(out / "communities.csv", 3, "households", "-5")
    return out


def test_indicators_refuses_invalid_data_with_the_problem_located(bad_data):
    r = _run("indicators", bad_data, "--year", 2024, "--level", "city", "--indicator", "dispute_rate")
    assert r.returncode == 2 and r.stdout == ""
    assert "第 3 行" in r.stderr and "row 3" in r.stderr and "households" in r.stderr and "-5" in r.stderr
    assert "Traceback" not in r.stderr


def test_compare_refuses_invalid_data_with_the_problem_located(bad_data):
    """Like indicators and reports: the located validation error, not a puzzling one later."""
    r = _run("compare", bad_data, "--outcome", "dispute_rate", "--from", 2020, "--to", 2024)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "row 3" in r.stderr and "households" in r.stderr


def test_no_validate_computes_anyway(bad_data):
    r = _run("indicators", bad_data, "--year", 2024, "--level", "city", "--indicator", "dispute_rate",
             "--no-validate")
    assert r.returncode == 0 and "dispute_rate" in r.stdout


def test_reports_refuses_invalid_data_before_writing_anything(bad_data, tmp_path):
    """An error no district owns (a dispute of an unknown community) stops the whole batch.

    (An error in one district's rows alone -- like ``bad_data``'s household count -- only
    leaves that district out: tests/report/test_invalid_district.py.)
    """
    data = tmp_path / "data"
    shutil.copytree(bad_data, data)
    _set_cell(data / "disputes.csv", 2, "community_id", "C9999")
    out = tmp_path / "reports"
    r = _run("reports", data, "--year", 2024, "--out", out)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "fk.missing" in r.stderr and "households" in r.stderr  # every error is listed
    assert not out.exists()


def test_missing_dataset_is_a_clear_error(tmp_path):
    r = _run("validate", tmp_path / "nowhere")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "nowhere" in r.stderr


def test_an_output_path_that_cannot_be_written_is_a_clear_error(tmp_path):
    """An --out that is a folder (or a reports --out that is a file) gives one bilingual
    line, not an OSError traceback; nothing half-written is left beside it."""
    folder = tmp_path / "d.csv"
    folder.mkdir()
    r = _run("indicators", SAMPLE, "--year", 2024, "--level", "city", "--indicator", "dispute_count",
             "--out", folder)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "无法读写" in r.stderr and "Cannot read or write" in r.stderr and "d.csv" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]  # no temporary file left
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = _run("reports", SAMPLE, "--year", 2024, "--district", "东城区", "--out", afile)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "afile" in r.stderr
    assert afile.read_text() == "x"


def test_warnings_are_plain_bilingual_lines_without_source_code(tmp_path):
    """A dataset with only the register: the left-out families are announced as
    '警告 warning: …' lines, once each, never as Python's 'file.py:N: UserWarning' + code line
    (regression: acceptance test by a clerk with a small dataset)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE / "communities.csv", data / "communities.csv")
    r = _run("indicators", data, "--year", 2024, "--level", "city")
    assert r.returncode == 0, r.stderr
    assert "UserWarning" not in r.stderr and ".py:" not in r.stderr
    assert "警告 warning:" in r.stderr and "cadres" in r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("警告 warning:")]
    assert len(lines) == len(set(lines)) >= 1


@pytest.mark.slow
def test_reports_gives_each_warning_once(tmp_path):
    """Every year of the table used to repeat the 'family left out' warnings (one set per
    year, from forked workers); the report year alone gives them now."""
    data = tmp_path / "data"
    data.mkdir()
    for t in ("communities", "disputes"):
        shutil.copy(SAMPLE / f"{t}.csv", data / f"{t}.csv")
    r = _run("reports", data, "--year", 2024, "--district", "东城区", "--out", tmp_path / "rep")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("警告 warning:")]
    assert lines and len(lines) == len(set(lines)), lines
    assert "UserWarning" not in r.stderr


def test_catalog_out_writes_xlsx_like_indicators_out(tmp_path):
    """`catalog --out cat.xlsx` is a real workbook with Chinese headers (it used to be CSV text under an
    Excel name, then refused); an ending it cannot write is refused and leaves no file."""
    import openpyxl

    r = _run("catalog", "--out", tmp_path / "cat.xlsx")
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(tmp_path / "cat.xlsx")["指标目录"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["指标编号", "指标族", "名称"]
    rows = {row[0]: dict(zip(head, row)) for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["dispute_rate"]["单位"] == "每千户"
    r = _run("catalog", "--out", tmp_path / "cat.txt")
    assert r.returncode == 2 and "Traceback" not in r.stderr and ".xlsx" in r.stderr
    assert not (tmp_path / "cat.txt").exists()
    assert _run("catalog", "--out", tmp_path / "cat.json").returncode == 0
    assert (tmp_path / "cat.json").read_text(encoding="utf-8").lstrip().startswith("[")


@pytest.mark.parametrize("argv", [
    ["--indicator", "dispute_count", "dispute_rate"],
    ["--indicator", "dispute_count", "--indicator", "dispute_rate"],
])
def test_multi_value_flags_take_several_values_or_repeat(argv, tmp_path):
    """`--indicator a b` (as the README shows `ID ...`) and `--indicator a --indicator b` agree."""
    from evalkit.cli import main

    out = tmp_path / "t.csv"
    assert main(["indicators", str(SAMPLE), "--year", "2024", *argv, "--out", str(out)]) == 0
    import pandas as pd

    assert set(pd.read_csv(out)["indicator"]) == {"dispute_count", "dispute_rate"}


# --- validate: messages in the user's terms (issue 11) --------------------------------


def _chinese_copy(tmp_path: Path) -> Path:
    """The sample's communities and disputes with Chinese headers, as a clerk fills the templates."""
    from evalkit.contract import TABLES

    data = tmp_path / "zh"
    data.mkdir()
    for t in ("communities", "disputes"):
        text = (SAMPLE / f"{t}.csv").read_text(encoding="utf-8-sig").splitlines()
        head = text[0].split(",")
        text[0] = ",".join(TABLES[t].column(h).zh for h in head)
        (data / f"{TABLES[t].zh}.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    return data


def test_validate_names_the_users_header_and_file_sorted_by_table_then_row(tmp_path):
    data = _chinese_copy(tmp_path)
    d = data / "矛盾纠纷台账.csv"
    _set_cell(d, 9, "办理状态", "已办结")
    _set_cell(d, 4, "登记日期", "2024-13-45")
    _set_cell(data / "社区名册.csv", 5, "户数", "-1")
    r = _run("validate", data, "--lang", "zh")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "校验结果：3 条错误，0 条警告。"
    # sorted by table (the register first), then row; the column as the file heads it
    assert "社区名册.csv），第 5 行，列 户数：" in lines[1]
    assert "矛盾纠纷台账.csv），第 4 行，列 登记日期：" in lines[2]
    assert "矛盾纠纷台账.csv），第 9 行，列 办理状态：值“已办结”" in lines[3]
    assert not any("status" in l or "reported_on" in l for l in lines)  # no canonical name in Chinese
    en = _run("validate", data, "--lang", "en").stdout
    assert "table disputes (矛盾纠纷台账.csv), row 9, column 办理状态 [status]: value '已办结'" in en


def test_validate_checks_targets_against_the_catalog(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    with open(data / "targets.csv", "a", encoding="utf-8") as f:
        f.write("no_such_indicator,city,,2024,1\n")
    r = _run("validate", data, "--lang", "en")
    assert r.returncode == 0 and "not an indicator id of the catalog" in r.stdout and "no_such_indicator" in r.stdout


def test_missing_table_warnings_print_once(tmp_path):
    """They went to stderr (a Python warning) and again to stdout (the summary's notes)."""
    data = tmp_path / "data"
    data.mkdir()
    for t in ("communities", "disputes"):
        shutil.copy(SAMPLE / f"{t}.csv", data / f"{t}.csv")
    r = _run("indicators", data, "--year", 2024, "--level", "city")
    assert r.returncode == 0, r.stderr
    assert "cadres" in r.stderr and "cadres" not in r.stdout
