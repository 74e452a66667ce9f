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


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory):
    """The sample with one impossible household count (row 3 of communities.csv)."""
    out = tmp_path_factory.mktemp("bad") / "data"
    shutil.copytree(SAMPLE, out)
    p = out / "communities.csv"
    lines = p.read_text(encoding="utf-8-sig").splitlines()
    head = lines[0].split(",")
    cells = lines[2].split(",")
    cells[head.index("households")] = "-5"
    lines[2] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return out


def test_indicators_refuses_invalid_data_with_the_problem_located(bad_data):
    r = _run("indicators", bad_data, "--year", 2024, "--level", "city", "--indicator", "dispute_rate")
    assert r.returncode == 2 and r.stdout == ""
    assert "第 3 行" in r.stderr and "row 3" in r.stderr and "households" in r.stderr and "-5" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_validate_computes_anyway(bad_data):
    r = _run("indicators", bad_data, "--year", 2024, "--level", "city", "--indicator", "dispute_rate",
             "--no-validate")
    assert r.returncode == 0 and "dispute_rate" in r.stdout


def test_reports_refuses_invalid_data_before_writing_anything(bad_data, tmp_path):
    out = tmp_path / "reports"
    r = _run("reports", bad_data, "--year", 2024, "--out", out)
    assert r.returncode == 2 and "households" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_dataset_is_a_clear_error(tmp_path):
    r = _run("validate", tmp_path / "nowhere")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "nowhere" in r.stderr
