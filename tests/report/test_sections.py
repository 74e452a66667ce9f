"""The report's sections as blocks, its numbers and sentences, on fabricated tables (no kernel)."""

import math

import matplotlib
import pandas as pd
import pytest

from evalkit.report import blocks as B
from evalkit.report import findings as F
from evalkit.report import numbers as N
from evalkit.report import sections as S
from evalkit.report.data import ReportData, Span
from evalkit.vocabulary import table_label
from evalkit.report.htmlpage import block_html

matplotlib.use("Agg")
HOSTILE = "<script>alert(1)</script>"


def _rd(table, district="南山区", lang="zh", ds=None, **kw):
    return ReportData(table=table, district=district, year=2024, lang=lang,
                      meta=kw.pop("meta", {"synthetic": True, "source": HOSTILE}), ds=ds, **kw)


def _html(blocks):
    return "".join(block_html(b) for b in blocks)


def _of(blocks, kind):
    return [b for b in blocks if isinstance(b, kind)]


def test_headline_rank_change_against_hand_computation(long_table):
    hl = N.headline(_rd(long_table)).set_index("indicator")
    d = long_table.query("indicator == 'satisfaction_index' and level == 'district' and period == '2024'")
    v = d.set_index("unit_id")["value"]
    assert hl.loc["satisfaction_index", "rank"] == int((v > v["南山区"]).sum() + 1)   # higher is better
    last = long_table.query("indicator == 'satisfaction_index' and level == 'district' "
                            "and period == '2023' and unit_id == '南山区'")["value"].iloc[0]
    assert hl.loc["satisfaction_index", "last"] == pytest.approx(last)
    assert hl.loc["satisfaction_index", "of"] == 3


def test_a_district_that_failed_validation_is_not_ranked(long_table):
    """Ranks leave the invalid district out: 'of' counts the others, and it gets no rank of its own."""
    ind = "dispute_resolution_rate"  # higher is better
    v = long_table.query(f"indicator == '{ind}' and level == 'district' and period == '2024'") \
        .set_index("unit_id")["value"]
    best = v.idxmax()
    others = [u for u in v.index if u != best]
    rd = _rd(long_table, district=others[0], invalid=(best,))
    hl = N.headline(rd).set_index("indicator")
    assert hl.loc[ind, "of"] == 2
    assert hl.loc[ind, "rank"] == int((v[others] > v[others[0]]).sum() + 1)
    assert N.rank(long_table, ind, "2024", best, exclude=[best]) == (None, 2)
    assert N.rank(long_table, ind, "2024", best) == (1, 3)
    # the city table keeps the district's values, marked, without ranks, and says why
    blocks = S.city_table(_rd(long_table, district=None, invalid=(best,)))
    t = _of(blocks, B.Table)[0]
    col = t.header.index(best + " *")
    assert all(not row[col].suffix for row in t.rows)
    assert all(row[t.header.index(others[0])].suffix for row in t.rows if row[0].text == "矛盾纠纷化解率")
    assert any(isinstance(b, B.Note) and best in b.text and "不参与排名" in b.text for b in blocks)


def test_targets_attainment(long_table):
    class DS:
        def has(self, name):
            return name == "targets"

        def __getitem__(self, name):
            return pd.DataFrame({"indicator": ["satisfaction_index", "satisfaction_index"],
                                 "level": [pd.NA, "district"], "unit_id": [pd.NA, "南山区"],
                                 "year": [pd.NA, 2024], "target": [0.0, 1000.0]})

    rd = _rd(long_table, ds=DS())
    hl = N.headline(rd).set_index("indicator")
    assert hl.loc["satisfaction_index", "target"] == 1000.0     # the most specific row wins
    assert hl.loc["satisfaction_index", "met"] is False or hl.loc["satisfaction_index", "met"] == False  # noqa: E712
    assert "未达标" in _html(S.summary(rd))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sections_escape_names(long_table, lang):
    t = long_table.copy()
    t.loc[t["unit_name"] == "桃源街道", "unit_name"] = HOSTILE
    rd = _rd(t, lang=lang)
    f = F.findings(rd)
    assert 1 <= len(f) <= 6
    h = _html(S.findings(rd) + S.cover(rd) + S.quality(rd))
    assert "<script>" not in h and "&lt;script&gt;" in h
    n_sup = int(t.loc[(t["district"] == "南山区") & (t["period"] == "2024"), "suppressed"].sum())
    assert n_sup > 0 and str(n_sup) in _html(S.quality(rd))


def test_suppressed_dimensions_are_listed_by_their_dimension_names(long_table):
    """A satisfaction dimension 'property' is 物业, not the dispute category 物业纠纷."""
    t = long_table.copy()
    m = ((t["indicator"] == "satisfaction_dimension") & (t["category"] == "property")
         & (t["district"] == "南山区") & (t["period"] == "2024"))
    t.loc[m, ["suppressed", "n"]] = [True, 4]
    q = _html(S.quality(_rd(t)))
    assert "分维度满意度 · 物业 ·" in q and "物业纠纷" not in q


@pytest.mark.parametrize("source, zh, en", [
    ("区委组织部 / District organisation department", "区委组织部", "District organisation department"),
    ({"zh": "区委组织部", "en": "District organisation department"}, "区委组织部", "District organisation department"),
    ({"zh": "区委组织部"}, "区委组织部", "区委组织部"),
    ("A / B", "A / B", "A / B"),
])
def test_cover_shows_the_source_in_the_report_language(long_table, source, zh, en):
    for lang, want in (("zh", zh), ("en", en)):
        html = _html(S.cover(_rd(long_table, lang=lang, meta={"source": source})))
        assert want in html
        other = en if lang == "zh" else zh
        if other != want:
            assert other not in html


def test_cover_shows_the_as_of_date_inferred_from_the_data(long_table):
    """Regression (issue 11): dataset.json without as_of showed 数据截止：未注明."""
    span = Span(2020, 2024, pd.Timestamp("2024-11-30"))
    c = S.cover(_rd(long_table, meta={}, span=span))[0]
    assert dict(c.lines)["数据截止"] == "2024-11-30（未注明，按数据中最晚的日期）"
    assert dict(S.cover(_rd(long_table, meta={"as_of": "2024-12-31"}, span=span))[0].lines)["数据截止"] == "2024-12-31"
    assert dict(S.cover(_rd(long_table, meta={}))[0].lines)["数据截止"] == "未注明"  # nothing to infer from


def test_findings_never_compare_equal_values_or_a_missing_year(long_table):
    """Regression (issue 11): '由上年的 100.0% 变为 100.0%，下降 0.0 个百分点'."""
    t = long_table.copy()
    for ind in t["indicator"].unique():  # every value of 2024 equal to 2023 (or missing)
        for (lvl, u), g in t.loc[t["indicator"] == ind].groupby(["level", "unit_id"]):
            last = g.loc[g["period"] == "2023", "value"]
            if len(last):
                t.loc[g.index[g["period"] == "2024"], "value"] = last.iloc[0]
    f = " ".join(F.findings(_rd(t)))
    assert "变为" not in f and "0.0 个百分点" not in f
    t.loc[t["period"] == "2024", "value"] = math.nan  # a year without data
    f = " ".join(F.findings(_rd(t)))
    assert "变为" not in f and "nan" not in f


def test_a_family_without_data_says_so_in_one_sentence_and_draws_nothing(long_table):
    """Regression (issue 11): a section without data showed empty charts."""
    t = long_table.loc[~long_table["indicator"].str.startswith("volunteer")]
    blocks = S.family(_rd(t), "volunteers")
    assert [type(b) for b in blocks] == [B.Heading, B.Paragraph]
    assert "没有志愿服务数据" in blocks[1].text
    # rows of other years only: no data this year either
    t2 = long_table.loc[~(long_table["indicator"].str.startswith("cadre") & (long_table["period"] == "2024"))]
    assert [type(b) for b in S.family(_rd(t2), "cadres")] == [B.Heading, B.Paragraph]
    # the disputes section of the same table still draws its charts
    assert _of(S.family(_rd(t), "disputes"), B.Figure)


def test_every_chart_of_a_report_shows_data(long_table, pilot_table):
    rd = _rd(long_table, pilot=pilot_table)
    blocks = S.streets(rd) + S.families(rd) + S.pilot(rd)
    figs = _of(blocks, B.Figure)
    assert len(figs) >= 10 and all(f.png.startswith(b"\x89PNG") and f.caption for f in figs)


def test_cadre_education_is_drawn_by_term_not_by_report_year(long_table):
    """Regression (issue 11): the 届次 axis showed the report years (2023, 2024) for a roster
    whose terms were 2021 and 2024."""
    import matplotlib.pyplot as plt

    import evalkit.plot as ep

    drawn = {}
    real = ep.education_by_term

    def spy(rows, **kw):
        drawn["periods"] = sorted(rows["period"].unique())
        return real(rows, **kw)

    ep.education_by_term = spy
    try:
        rd = _rd(long_table, terms={"2023": "2021", "2024": "2024"})
        S.family(rd, "cadres")
        assert drawn["periods"] == ["2021", "2024"]
        rd = _rd(long_table, terms={"2023": "2021", "2024": "2021"})  # one term current in both years
        S.family(rd, "cadres")
        assert drawn["periods"] == ["2021"]
    finally:
        ep.education_by_term = real
        plt.close("all")


def test_missing_tables_are_named_in_the_report_language(long_table):
    """Regression (issue 11): the appendix listed cadres, survey_responses in a Chinese report."""
    rd = _rd(long_table, missing_tables=["cadres", "survey_responses"])
    p = _of(S.quality(rd), B.Paragraph)[0].text
    assert "社区干部名册、居民满意度调查" in p and "cadres" not in p
    assert table_label("cadres", "en") in _of(S.quality(_rd(long_table, lang="en", missing_tables=["cadres"])),
                                              B.Paragraph)[0].text


def test_city_table_is_districts_by_indicators_with_the_city(long_table):
    blocks = S.city_table(_rd(long_table, district=None))
    t = _of(blocks, B.Table)[0]
    assert t.header[1:] == ("南山区", "福田区", "罗湖区", "全市")
    assert all(row[-1].style == "strong" for row in t.rows)
    assert len(t.rows) == len(set(long_table["indicator"]) & set(N.HEADLINE))


def test_methods_and_quality_are_appendices(long_table):
    from evalkit.report.notebook import Document

    doc = Document("zh")
    shown = doc.number(S.summary(_rd(long_table)) + S.quality(_rd(long_table)) + S.methods(_rd(long_table)))
    heads = [b.full_text for b in shown if isinstance(b, B.Heading)]
    assert heads == ["一、主要指标", "附录一 数据质量", "附录二 方法说明"]
    assert [b.label for b in shown if isinstance(b, B.Table)] == ["表1", "表2"]


def test_the_city_summary_shows_each_chart_once(long_table):
    """Regression: the city summary drew the districts-compared bars of its Ranks section again in
    the family sections (the same picture twice)."""
    rd = _rd(long_table, district=None)
    figs = _of(S.city_ranks(rd) + S.city_trends(rd), B.Figure)
    assert len(figs) >= 6 and len({f.png for f in figs}) == len(figs)
    only = long_table.loc[long_table["indicator"].isin(["dispute_rate", "dispute_resolution_rate"])
                          & long_table["period"].str.fullmatch(r"\d{4}")]
    rd = _rd(only, district=None)
    blocks = S.family(rd, "disputes", shown=["dispute_rate", "dispute_resolution_rate"])
    assert [type(b) for b in blocks] == [B.Heading, B.Paragraph] and "见上文" in blocks[1].text
