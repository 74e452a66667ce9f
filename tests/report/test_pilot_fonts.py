"""Pilot section wiring, load-problem text, number formats and the once-per-batch font (no kernel)."""

import io
import math
from pathlib import Path

import pandas as pd
import pytest

from evalkit import labels as text
from evalkit.report import blocks as B
from evalkit.report import findings as F
from evalkit.report import pilot as P
from evalkit.report import webfont
from evalkit.report.data import ReportData, data_years, problem_text
from evalkit.report.htmlpage import block_html

SAMPLE = Path(__file__).parents[2] / "data" / "sample"


def _rd(table, pilot, district, lang="zh"):
    return ReportData(table=table, district=district, year=2024, lang=lang, meta={}, pilot=pilot)


def _table_html(rd):
    return "".join(block_html(b) for b in P.pilot_table(rd))


def test_pilot_own_district_and_fallback_to_city(long_table, pilot_table):
    own, why = P.pilot_result(_rd(long_table, pilot_table, "南山区"))
    assert why is None and set(own["unit_id"]) == {"南山区"}
    city, why = P.pilot_result(_rd(long_table, pilot_table, "福田区"))
    assert set(city["level"]) == {"city"} and why == "区内试点社区太少"
    _, why_en = P.pilot_result(_rd(long_table, pilot_table, "福田区", "en"))
    assert why_en == "Too few piloted communities in the district"
    # a district with neither rows nor an error row also falls back, with a generic reason
    _, why = P.pilot_result(_rd(long_table, pilot_table, "罗湖区"))
    assert why


def test_pilot_paragraph_table_and_finding(long_table, pilot_table):
    rd = _rd(long_table, pilot_table, "南山区")
    assert P.pilot_explain(rd) == "城市段落"  # the precomputed paragraph in the report's language
    assert P.pilot_explain(_rd(long_table, pilot_table, "南山区", "en")) == "city paragraph"
    h = _table_html(rd)
    assert "纠纷" in h and "dispute_rate" not in h           # the outcome by its catalog name, not its id
    assert "-1.00 至 3.00" in h and "0.400" in h
    f = " ".join(F.findings(rd))
    assert "不显著" in f                                        # p = 0.4
    # the city comparison (p = 0.01) is significant; a district that falls back gets no pilot finding
    f_city = " ".join(F.findings(_rd(long_table, pilot_table, None)))
    assert "统计显著" in f_city and "低 2.0" in f_city
    assert "试点对比" not in " ".join(F.findings(_rd(long_table, pilot_table, "福田区")))


def test_few_pilots_finding_names_the_randomisation_p_value(long_table, pilot_table):
    """An interval that excludes 0 with a randomisation p > 0.05 must not read as plain 'not significant'."""
    few = pilot_table.copy()
    is_att = (few["indicator"] == "pilot_att") & (few["unit_id"] == "南山区")
    few.loc[is_att, ["value", "ci_low", "ci_high", "p_value", "few_units", "n_piloted"]] = [-5.0, -8.2, -1.8, 0.12,
                                                                                        True, 4]
    f = " ".join(F.findings(_rd(long_table, few, "南山区")))
    assert "随机化推断" in f and "p = 0.120" in f and "不显著" in f and "95% 置信区间 -8.20 至 -1.80" in f
    f_en = " ".join(F.findings(_rd(long_table, few, "南山区", "en")))
    assert "randomisation inference: p = 0.120" in f_en
    # the interval excludes 0 while p > 0.05: the sentence says the two disagree
    assert "不含 0" in f and "结论不一致" in f
    assert "excludes 0" in f_en and "disagree" in f_en
    # agreeing interval and p-value: no such clause
    few.loc[is_att, ["ci_low", "ci_high"]] = [-9.0, 1.0]
    f = " ".join(F.findings(_rd(long_table, few, "南山区")))
    assert "不显著" in f and "结论不一致" not in f


def test_pilot_finding_without_an_interval_says_why(long_table, pilot_table):
    """A comparison whose interval cannot be estimated reads as such, not as '— 至 —'."""
    t = pilot_table.copy()
    is_att = (t["indicator"] == "pilot_att") & (t["unit_id"] == "南山区")
    t.loc[is_att, ["ci_low", "ci_high"]] = float("nan")
    for lang, want in (("zh", "区间无法估计"), ("en", "no interval")):
        f = " ".join(F.findings(_rd(long_table, t, "南山区", lang)))
        assert want in f and "—" not in f


def test_no_pilot_says_so(long_table):
    rd = _rd(long_table, None, "南山区")
    assert text.t("no_pilot_data", "zh") in _table_html(rd)
    assert [type(b) for b in P.section(rd)] == [B.Paragraph]


def test_a_city_comparison_that_could_not_be_estimated_says_why(long_table):
    """No silent 'no pilot data': the reason compare() gave is shown."""
    err = pd.DataFrame([dict(indicator="pilot_error", level="city", unit_id="all", unit_name="全市", district="all",
                             period="2020-2024", category="dispute_rate", note="对照社区太少。\nToo few comparison units.")])
    b = P.section(_rd(long_table, err, None))
    assert len(b) == 1 and "对照社区太少" in b[0].text


def test_few_piloted_units_hide_the_twfe_interval_and_say_why(long_table, pilot_table):
    """Regression (issue 11): a TWFE interval on 3 piloted units stood beside an empty Welch interval."""
    few = pilot_table.copy()
    own = few["unit_id"] == "南山区"
    few.loc[own, ["few_units", "n_piloted"]] = [True, 3]
    few.loc[own & (few["indicator"] == "pilot_att"), ["ci_low", "ci_high"]] = float("nan")
    blocks = P.pilot_table(_rd(long_table, few, "南山区"))
    t = blocks[0]
    did = next(r for r in t.rows if r[0].text.startswith("双向固定效应"))
    assert did[t.header.index("95% 置信区间")].text == "—"
    notes = " ".join(b.text for b in blocks[1:])
    assert "只有 3 个" in notes and "不列出" in notes and "只有一个社区" in notes
    # with 10 or more piloted units the interval is shown
    t = P.pilot_table(_rd(long_table, pilot_table, "南山区"))[0]
    did = next(r for r in t.rows if r[0].text.startswith("双向固定效应"))
    assert did[t.header.index("95% 置信区间")].text != "—"


def test_problem_text_is_a_sentence_not_a_repr():
    from evalkit.io.validate import Problem

    p = Problem(severity="warning", table="survey_responses", row=None, column="Q01", value=None,
                rule="survey.answer_scale", message_zh="题目 Q01 有 3 个答案不在量表内。",
                message_en="Item Q01: 3 answers outside the scale.", count=3)
    zh = problem_text(p, "zh")
    assert zh == "居民满意度调查：题目 Q01 有 3 个答案不在量表内。"     # the table's Chinese name, then the message
    assert problem_text(p, "en") == "survey responses: Item Q01: 3 answers outside the scale."


@pytest.mark.parametrize("v,unit,expected", [
    (0.01783, "hours_per_resident", "0.018"), (0.11, "ratio", "0.11"), (3.851, "per_1000_households", "3.85"),
    (16.04, "per_10000_residents", "16.0"), (1234.5, "households_per_worker", "1,234"), (0.8, "share", "80.0%"),
    (math.nan, "share", "—"),
])
def test_fmt_value_precision(v, unit, expected):
    assert text.fmt_value(v, unit) == expected


def test_every_catalog_unit_has_a_label():
    from evalkit.families.catalog import catalog

    from evalkit.vocabulary import UNITS

    missing = sorted({u for u in catalog()["unit"] if u not in UNITS})
    assert missing == []


@pytest.fixture(scope="module")
def base_font(tmp_path_factory):
    return webfont.reduce_font("东城区社区治理", tmp_path_factory.mktemp("font") / "base.otf")


@pytest.mark.slow
def test_reduced_font_gives_the_same_glyphs(base_font):
    """Subsetting the once-per-batch reduced font gives the glyph outlines of the full font."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    page_text = "东城区 社区治理评估报告 纠纷发生率（每千户）23.8%"
    base = base_font
    assert base.stat().st_size < 3_000_000                       # the full OTF is ~8 MB
    a, _ = webfont.subset_font(page_text, flavor=None, path=base)
    b, _ = webfont.subset_font(page_text, flavor=None, path=webfont._full_font())
    fa, fb = TTFont(io.BytesIO(a)), TTFont(io.BytesIO(b))
    assert fa.getBestCmap() == fb.getBestCmap()
    ga, gb = fa.getGlyphSet(), fb.getGlyphSet()
    for ch in "东治纠%":
        pa, pb = RecordingPen(), RecordingPen()
        ga[fa.getBestCmap()[ord(ch)]].draw(pa)
        gb[fb.getBestCmap()[ord(ch)]].draw(pb)
        assert pa.value == pb.value, ch


@pytest.mark.slow
def test_base_font_used_only_when_it_covers_the_page(base_font):
    assert webfont.base_covers(base_font, "社区治理 abc 评估")  # common hanzi are in the base
    assert not webfont.base_covers(base_font, "㵘")             # not foreseen, not in GB 2312: full font
    css = webfont.font_face_css("<p>㵘</p>", base=base_font)     # falls back to the full font, still has it
    import base64
    import re

    from fontTools.ttLib import TTFont

    data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", css).group(1))
    assert ord("㵘") in TTFont(io.BytesIO(data)).getBestCmap()


@pytest.mark.skipif(not (SAMPLE / "dataset.json").exists(), reason="data/sample missing")
@pytest.mark.slow
def test_compute_pilot_once_for_city_and_districts():
    """compute_pilot holds exactly what evalkit.pilot.compare gives, per district or a reason."""
    import evalkit
    from evalkit.pilot import compare

    ds = evalkit.load(SAMPLE)
    p = P.compute_pilot(ds, year=2024)
    years = data_years(ds, 2024)
    ref = compare(ds, outcome="dispute_rate", start=years[0], end=2024, level="city").table
    got = p.loc[(p["level"] == "city") & (p["indicator"] == "pilot_att"), "value"].iloc[0]
    assert got == ref.loc[ref["indicator"] == "pilot_att", "value"].iloc[0]   # same call, same value
    for d in sorted(ds["communities"]["district"].unique()):
        rows = p.loc[(p["level"] == "district") & (p["unit_id"] == d)]
        assert (rows["indicator"] == "pilot_att").any() or (rows["indicator"] == "pilot_error").any(), d
        if (rows["indicator"] == "pilot_att").any():
            assert set(rows.loc[rows["indicator"] == "pilot_text", "category"]) == {"zh", "en"}
