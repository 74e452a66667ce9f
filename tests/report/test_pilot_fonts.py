"""Pilot section wiring, load-problem text, number formats and the once-per-batch font (no kernel)."""

import io
import math
from pathlib import Path

import pandas as pd
import pytest

from evalkit import labels as text
from evalkit.report import export, sections

SAMPLE = Path(__file__).parents[2] / "data" / "sample"


def _pilot_rows(unit_id, level, att, lo, hi, p, pre_p=0.5):
    base = dict(level=level, unit_id=unit_id, unit_name=unit_id, district=unit_id if level != "city" else "all",
                category="dispute_rate", period="2020-2024", n=12, few_units=False)
    return [dict(base, indicator="pilot_att", value=att, ci_low=lo, ci_high=hi, p_value=p),
            dict(base, indicator="pilot_did", value=att * 1.1, ci_low=lo, ci_high=hi, p_value=p),
            dict(base, indicator="pilot_pretrend", value=2.0, p_value=pre_p),
            dict(base, indicator="pilot_event", period="-1", value=0.1, ci_low=-1.0, ci_high=1.2),
            dict(base, indicator="pilot_event", period="0", value=att, ci_low=lo, ci_high=hi),
            dict(base, indicator="pilot_text", category="zh", note="城市段落"),
            dict(base, indicator="pilot_text", category="en", note="city paragraph")]


@pytest.fixture()
def pilot_table():
    rows = _pilot_rows("all", "city", -2.0, -3.5, -0.5, 0.01)
    rows += _pilot_rows("南山区", "district", 1.0, -1.0, 3.0, 0.4)
    rows.append(dict(indicator="pilot_error", level="district", unit_id="福田区", unit_name="福田区",
                     district="福田区", period="2020-2024", category="dispute_rate",
                     note="区内试点社区太少。\nToo few piloted communities in the district."))
    return pd.DataFrame(rows)


def _rd(table, pilot, district, lang="zh"):
    return sections.ReportData(table=table, district=district, year=2024, lang=lang, meta={}, pilot=pilot)


def test_pilot_own_district_and_fallback_to_city(long_table, pilot_table):
    own, why = sections.pilot_result(_rd(long_table, pilot_table, "南山区"))
    assert why is None and set(own["unit_id"]) == {"南山区"}
    city, why = sections.pilot_result(_rd(long_table, pilot_table, "福田区"))
    assert set(city["level"]) == {"city"} and why == "区内试点社区太少"
    _, why_en = sections.pilot_result(_rd(long_table, pilot_table, "福田区", "en"))
    assert why_en == "Too few piloted communities in the district"
    # a district with neither rows nor an error row also falls back, with a generic reason
    _, why = sections.pilot_result(_rd(long_table, pilot_table, "罗湖区"))
    assert why


def test_pilot_paragraph_table_and_finding(long_table, pilot_table):
    rd = _rd(long_table, pilot_table, "南山区")
    assert sections.pilot_explain(rd) == "城市段落"  # the precomputed paragraph in the report's language
    assert sections.pilot_explain(_rd(long_table, pilot_table, "南山区", "en")) == "city paragraph"
    h = sections.pilot_html(rd).data
    assert "纠纷" in h and "dispute_rate" not in h           # the outcome by its catalog name, not its id
    assert "-1.00 – 3.00" in h and "0.400" in h
    f = " ".join(sections.findings(rd))
    assert "不显著" in f                                        # p = 0.4
    # the city comparison (p = 0.01) is significant; a district that falls back gets no pilot finding
    f_city = " ".join(sections.findings(_rd(long_table, pilot_table, None)))
    assert "统计显著" in f_city and "低 2.0" in f_city
    assert "试点对比" not in " ".join(sections.findings(_rd(long_table, pilot_table, "福田区")))


def test_few_pilots_finding_names_the_randomisation_p_value(long_table, pilot_table):
    """An interval that excludes 0 with a randomisation p > 0.05 must not read as plain 'not significant'."""
    few = pilot_table.copy()
    is_att = (few["indicator"] == "pilot_att") & (few["unit_id"] == "南山区")
    few.loc[is_att, ["value", "ci_low", "ci_high", "p_value", "few_units"]] = [-5.0, -8.2, -1.8, 0.12, True]
    f = " ".join(sections.findings(_rd(long_table, few, "南山区")))
    assert "随机化推断" in f and "p = 0.120" in f and "不显著" in f and "95% 置信区间 -8.20 至 -1.80" in f
    f_en = " ".join(sections.findings(_rd(long_table, few, "南山区", "en")))
    assert "randomisation inference: p = 0.120" in f_en
    # the interval excludes 0 while p > 0.05: the sentence says the two disagree
    assert "不含 0" in f and "结论不一致" in f
    assert "excludes 0" in f_en and "disagree" in f_en
    # agreeing interval and p-value: no such clause
    few.loc[is_att, ["ci_low", "ci_high"]] = [-9.0, 1.0]
    f = " ".join(sections.findings(_rd(long_table, few, "南山区")))
    assert "不显著" in f and "结论不一致" not in f


def test_pilot_finding_without_an_interval_says_why(long_table, pilot_table):
    """A comparison whose interval cannot be estimated reads as such, not as '— 至 —'."""
    t = pilot_table.copy()
    is_att = (t["indicator"] == "pilot_att") & (t["unit_id"] == "南山区")
    t.loc[is_att, ["ci_low", "ci_high"]] = float("nan")
    for lang, want in (("zh", "区间无法估计"), ("en", "no interval")):
        f = " ".join(sections.findings(_rd(long_table, t, "南山区", lang)))
        assert want in f and "—" not in f


def test_no_pilot_says_so(long_table):
    rd = _rd(long_table, pd.DataFrame(), "南山区")
    assert text.t("no_pilot", "zh") in sections.pilot_html(rd).data


def test_problem_text_is_a_sentence_not_a_repr():
    from evalkit.io.validate import Problem

    p = Problem(severity="warning", table="survey_responses", row=None, column="Q01", value=None,
                rule="survey.answer_scale", message_zh="题目 Q01 有 3 个答案不在量表内。",
                message_en="Item Q01: 3 answers outside the scale.", count=3)
    zh = sections._problem_text(p, "zh")
    assert zh == "居民满意度调查：题目 Q01 有 3 个答案不在量表内。"     # the table's Chinese name, then the message
    assert sections._problem_text(p, "en") == "survey_responses: Item Q01: 3 answers outside the scale."


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
    return export.reduce_font("东城区社区治理", tmp_path_factory.mktemp("font") / "base.otf")


@pytest.mark.slow
def test_reduced_font_gives_the_same_glyphs(base_font):
    """Subsetting the once-per-batch reduced font gives the glyph outlines of the full font."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    page_text = "东城区 社区治理评估报告 纠纷发生率（每千户）23.8%"
    base = base_font
    assert base.stat().st_size < 3_000_000                       # the full OTF is ~8 MB
    a, _ = export.subset_font(page_text, flavor=None, path=base)
    b, _ = export.subset_font(page_text, flavor=None, path=export._full_font())
    fa, fb = TTFont(io.BytesIO(a)), TTFont(io.BytesIO(b))
    assert fa.getBestCmap() == fb.getBestCmap()
    ga, gb = fa.getGlyphSet(), fb.getGlyphSet()
    for ch in "东治纠%":
        pa, pb = RecordingPen(), RecordingPen()
        ga[fa.getBestCmap()[ord(ch)]].draw(pa)
        gb[fb.getBestCmap()[ord(ch)]].draw(pb)
        assert pa.value == pb.value, ch


@pytest.mark.slow
def test_base_font_used_only_when_it_covers_the_page(base_font, monkeypatch):
    monkeypatch.setenv(export.FONT_BASE_ENV, str(base_font))
    assert export.base_font_for("社区治理 abc 评估") == base_font  # common hanzi are in the base
    assert export.base_font_for("㵘") is None                     # not foreseen, not in GB 2312: full font
    monkeypatch.delenv(export.FONT_BASE_ENV)
    assert export.base_font_for("社区") is None


@pytest.mark.skipif(not (SAMPLE / "dataset.json").exists(), reason="data/sample missing")
@pytest.mark.slow
def test_compute_pilot_once_for_city_and_districts():
    """compute_pilot holds exactly what evalkit.pilot.compare gives, per district or a reason."""
    import evalkit
    from evalkit.pilot import compare

    ds = evalkit.load(SAMPLE)
    p = sections.compute_pilot(ds, year=2024)
    years = sections.data_years(ds, 2024)
    ref = compare(ds, outcome="dispute_rate", start=years[0], end=2024, level="city").table
    got = p.loc[(p["level"] == "city") & (p["indicator"] == "pilot_att"), "value"].iloc[0]
    assert got == ref.loc[ref["indicator"] == "pilot_att", "value"].iloc[0]   # same call, same value
    for d in sorted(ds["communities"]["district"].unique()):
        rows = p.loc[(p["level"] == "district") & (p["unit_id"] == d)]
        assert (rows["indicator"] == "pilot_att").any() or (rows["indicator"] == "pilot_error").any(), d
        if (rows["indicator"] == "pilot_att").any():
            assert set(rows.loc[rows["indicator"] == "pilot_text", "category"]) == {"zh", "en"}
