"""Every note, unit and code the families write has Chinese and English text; numbers have one notation.

The notes are gathered three ways, so a family that starts writing a new
note nobody translated fails here: (1) the note constants of the family and
statistics modules, (2) the string literals the families pass as notes, read
from their source, (3) the notes of real runs on the sample data, edited so
that every kind of coverage note occurs.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import math
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit import vocabulary as vc
from lang_check import assert_lang

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
NOTE_MODULES = ("evalkit.families._coverage", "evalkit.families.cadres", "evalkit.families.satisfaction",
                "evalkit.stats.survey", "evalkit.stats.trend", "evalkit.stats.survival")


def _assert_renders(note: str) -> None:
    zh, en = vc.note_label(note, "zh"), vc.note_label(note, "en")
    assert zh and en, note
    assert_lang(zh, "zh")
    assert_lang(en, "en")


def _constants() -> list[str]:
    out = []
    for mod in map(importlib.import_module, NOTE_MODULES):
        for name, v in vars(mod).items():
            if re.fullmatch(r"NOTE_\w+|NO_DATA|NO_PREVIOUS|ONE_PSU", name):
                out += [v] if isinstance(v, str) else list(v.values())
    return out


def test_note_constants_render():
    notes = _constants()
    assert {"no data", "no previous term", "not estimable (one PSU)", "beyond follow-up"} <= set(notes)
    for note in notes:
        if note == "not estimable":  # the stem of the three trend notes, never written alone
            continue
        _assert_renders(note)


def _literal_notes() -> set[str]:
    """String literals the families pass as notes: blank(.., .., "x"), note="x", x == "..." of a note."""
    out = set()
    for path in (ROOT / "evalkit" / "families").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = getattr(node.func, "id", getattr(node.func, "attr", ""))
                args = [k.value for k in node.keywords if k.arg == "note"]
                if fn == "blank":
                    args += node.args[2:]
                elif fn in ("with_note", "cover"):
                    args += node.args[1:]
                out |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return out


def test_note_literals_of_the_families_render():
    notes = _literal_notes()
    assert "rate 0 in the year before" in notes        # the scan finds what it is for
    for note in notes:
        _assert_renders(note)


def _edited(ds, **tables):
    return dataclasses.replace(ds, tables={**ds.tables, **tables})


@pytest.fixture(scope="module")
def sample_notes() -> set[str]:
    ds = ek.load(SAMPLE)
    d = ds["disputes"]
    late = _edited(ds, disputes=d.loc[d["reported_on"] >= "2020-07-01"])            # ledger from 07-01
    c1 = (d["community_id"] == "C0001") & (d["reported_on"].dt.year == 2023)
    gap = _edited(ds, disputes=d.loc[~c1])                                           # rate 0 the year before
    runs = [(ds, 2019, None), (ds, 2024, "2024-10-24"), (late, 2020, None), (late, 2021, None), (gap, 2024, None)]
    notes: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for data, year, as_of in runs:
            t = ek.indicators(data, year=year, level=("community", "city"), as_of=as_of)
            notes |= set(t["note"].dropna())
    return notes


def test_every_note_of_sample_runs_renders(sample_notes):
    shapes = {re.sub(r"\d", "#", n) for n in sample_notes}
    # the runs cover every kind of note the families write about coverage and comparisons
    for want in ("no data", "no previous term", "through ##-##", "from ##-##", "#### from ##-##",
                 "rate # in the year before", "beyond follow-up"):
        assert want in shapes, (want, sorted(shapes)[:20])
    assert any(s.startswith("poisson (Pearson") for s in shapes)
    for note in sample_notes:
        _assert_renders(note)


def test_an_unknown_note_fails_and_one_line_adds_it(monkeypatch):
    with pytest.raises(LookupError, match="NOTES"):
        vc.note_label("through 10-24; new ledger closed early", "zh")
    monkeypatch.setitem(vc.NOTES, "new ledger closed early", ("台账提前关闭", "new ledger closed early"))
    vc._patterns.cache_clear()
    try:
        assert vc.note_label("through 10-24; new ledger closed early", "zh") == "截至 10 月 24 日；台账提前关闭"
        # a period of another shape before a note (a future ledger's partial period)
        assert vc.note_label("2017-04-01..2017-07-31 from 04-01", "zh") == "2017-04-01..2017-07-31：自 4 月 1 日起"
    finally:
        monkeypatch.undo()
        vc._patterns.cache_clear()


@pytest.mark.parametrize("note, zh, en", [
    ("no data", "无数据", "no data"),
    ("from 07-01; 2020 from 07-01", "自 7 月 1 日起；2020 年自 7 月 1 日起", "from 07-01; 2020 from 07-01"),
    ("from 07-01, through 10-24", "自 7 月 1 日起，截至 10 月 24 日", "from 07-01, through 10-24"),
    ("rate 0 in the year before", "上年发生率为 0", "rate 0 in the year before"),
    ("not estimable (did not converge)", "无法估计（模型未收敛）", "not estimable (did not converge)"),
    ("negative binomial (alpha 1e-10)", "负二项模型（离散参数 α = 1e-10）", "negative binomial model (α = 1e-10)"),
    (None, "", ""), (pd.NA, "", ""), (float("nan"), "", ""),
])
def test_note_label(note, zh, en):
    assert vc.note_label(note, "zh") == zh and vc.note_label(note, "en") == en


def test_every_catalog_code_and_contract_table_has_both_languages():
    from evalkit.contract import LEVELS, TABLES
    from evalkit.families.catalog import catalog

    cat = catalog()
    for u in cat["unit"]:
        vc.unit_label(u, "zh"), vc.unit_label(u, "en")
    for d in cat["direction"]:
        assert_lang(vc.direction_label(d, "zh"), "zh")
    for i in cat["interval"]:
        assert_lang(vc.interval_label(i, "zh"), "zh")
        assert_lang(vc.interval_label(i, "en"), "en")
    for name in TABLES:
        assert re.search(r"[\u4e00-\u9fff]", vc.table_label(name, "zh"))
        assert_lang(vc.table_label(name, "en"), "en")
    assert [vc.level_label(x, "zh") for x in LEVELS] == ["社区", "街道", "区县", "全市"]
    with pytest.raises(LookupError):
        vc.unit_label("furlongs")


@pytest.mark.parametrize("p, text, cell", [
    (6.134e-08, "p < 0.001", "< 0.001"), (0.000999, "p < 0.001", "< 0.001"), (0.001, "p = 0.001", "0.001"),
    (0.2591, "p = 0.259", "0.259"), (1.0, "p = 1.000", "1.000"), (math.nan, "p = —", "—"), (None, "p = —", "—"),
])
def test_p_values_have_one_notation(p, text, cell):
    assert vc.fmt_p(p) == text and vc.fmt_p(p, label=False) == cell
    assert "e-" not in text and "= <" not in text


def test_a_missing_interval_is_one_dash():
    for lo, hi in ((math.nan, math.nan), (None, 2.0), (1.0, pd.NA)):
        assert vc.fmt_interval(lo, hi, "share") == "—"
        assert vc.fmt_interval(lo, hi, "ratio", "en") == "—"


def test_no_scientific_notation_and_no_negative_zero():
    assert vc.fmt_value(6.134e-08, "ratio") == "0.000"
    assert vc.fmt_value(-0.0001, "per_1000_households", digits=1) == "0.0"
    assert vc.fmt_value(1234567.0, "ratio") == "1,234,567"


def test_t_writes_p_values_itself():
    from evalkit.labels import t

    s = t("pilot_pretrend_caveat", "zh", p=6.134e-08, verdict="")
    assert "p < 0.001" in s and "p = <" not in s
    with pytest.raises(TypeError):
        t("pilot_pretrend_caveat", "zh", p="<0.001", verdict="")


def test_a_catalog_failure_is_not_hidden_behind_indicator_ids(monkeypatch):
    """labels cached a failing catalog as {} and every name became its id (issue 10)."""
    import evalkit.families.catalog as fc
    from evalkit import labels

    def broken():
        raise RuntimeError("a bug in a family's CATALOG")

    monkeypatch.setattr(fc, "catalog", broken)
    labels._catalog_entries.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="CATALOG"):
            labels.name("dispute_rate")
    finally:
        monkeypatch.undo()
        labels._catalog_entries.cache_clear()
    assert labels.name("dispute_rate") == "纠纷发生率（每千户）"
    assert labels.name("my_panel_column") == "my_panel_column"   # the documented fallback for non-catalog ids
