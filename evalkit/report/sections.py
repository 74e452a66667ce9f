"""The sections of a district report and the city summary, as blocks (:mod:`evalkit.report.blocks`).

Each function takes the gathered :class:`~evalkit.report.data.ReportData`
and returns the list of blocks its section shows; the notebooks display
them through :class:`evalkit.report.notebook.Document`, which numbers them.
A chart is drawn only when its rows exist (a section without data says so
in one sentence); the family of an indicator comes from the catalog.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd

from evalkit import labels as tx
from evalkit.report import blocks as B
from evalkit.report.data import ReportData
from evalkit.vocabulary import table_label
from evalkit.report.numbers import HEADLINE, headline, plain, rank, ranked

__all__ = ["FAMILIES", "headline", "cover", "validation_note", "summary", "findings", "streets", "families", "family",
           "pilot", "quality", "methods", "city_table", "city_ranks", "city_trends"]

#: The families in report order (the catalog's).
FAMILIES = ("disputes", "volunteers", "cadres", "satisfaction", "organisation")
_NOUN = {"disputes": ("矛盾纠纷", "dispute"), "volunteers": ("志愿服务", "volunteer"), "cadres": ("社区干部", "cadre"),
         "satisfaction": ("满意度调查", "survey"), "organisation": ("组织与网格", "organisation")}


@cache
def _family_of() -> dict[str, str]:
    from evalkit.families.catalog import entries

    return {e["id"]: e["family"] for e in entries()}


def _example(district: str | None = "甲区") -> ReportData:
    """A tiny ReportData for the examples: two districts, one street each, two years."""
    rows = []
    for d, v in (("甲区", 0.8), ("乙区", 0.9)):
        for lvl, uid, name in (("district", d, d), ("street", f"{d}/一街道", "一街道"), ("street", f"{d}/二街道", "二街道")):
            for y, dv in (("2023", 0.0), ("2024", 0.05)):
                rows.append(dict(indicator="dispute_resolution_rate", level=lvl, unit_id=uid, unit_name=name,
                                 district=d, period=y, category=None, value=v + dv + (0.01 if "二" in uid else 0),
                                 ci_low=v - 0.1, ci_high=v + 0.1, n=50, suppressed=False, note=None))
    rows += [dict(r, level="city", unit_id="all", unit_name="全市", district="all") for r in rows[:2]]
    return ReportData(table=pd.DataFrame(rows), district=district, year=2024, meta={"synthetic": True})


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def cover(rd: ReportData) -> list:
    """The cover: title, data source, as-of date (stated, or inferred from the data), synthetic mark.

    Examples
    --------
    >>> rd = ReportData(table=pd.DataFrame(), district="东城区", year=2024, meta={"as_of": "2024-12-31"})
    >>> cover(rd)[0].lines
    (('数据来源', '未注明'), ('数据截止', '2024-12-31'))
    """
    lang = rd.lang
    title = (tx.t("title", lang, district=rd.district, year=rd.year) if rd.district
             else tx.t("city_title", lang, year=rd.year))
    src = tx.localised(rd.meta.get("source") or rd.meta.get("name"), lang) or tx.t("unknown", lang)
    asof = rd.meta.get("as_of")
    if not asof and rd.span is not None and rd.span.as_of is not None:
        asof = tx.t("as_of_inferred", lang, date=f"{rd.span.as_of:%Y-%m-%d}")
    lines = ((tx.t("source", lang), str(src)), (tx.t("as_of", lang), str(asof or tx.t("unknown", lang))))
    return [B.Cover(title, lines, synthetic=rd.synthetic, mark=tx.t("synthetic_mark", lang))]


def validation_note(rd: ReportData) -> list:
    """The city summary's notice naming the districts whose data failed validation (none: no block).

    Examples
    --------
    >>> validation_note(ReportData(table=pd.DataFrame(), district=None, year=2024, invalid=("乙区",)))[0].tone
    'warning'
    """
    if rd.district or not rd.invalid:
        return []
    return [B.Note(tx.t("city_invalid_note", rd.lang, districts=_sep(rd.lang).join(rd.invalid)), "warning")]


def _headline_table(rd: ReportData, hl: pd.DataFrame) -> B.Table:
    lang = rd.lang
    has_t, has_b = hl["target"].notna().any(), hl["benchmark"].notna().any()
    header = [tx.t(k, lang) for k in ("col_indicator", "col_value", "col_last", "col_change")]
    kinds = ["text", "number", "number", "number"]
    if rd.district:
        header.append(tx.t("col_rank", lang))
        kinds.append("text")
    if has_t:
        header += [tx.t("col_target", lang), tx.t("col_attain", lang)]
        kinds += ["number", "text"]
    if has_b:
        header.append(tx.t("col_benchmark", lang))
        kinds.append("text")
    rows = []
    for r in hl.itertuples():
        row = [r.name, tx.fmt_value(r.value, r.unit, lang), tx.fmt_value(r.last, r.unit, lang),
               tx.fmt_change(r.value, r.last, r.unit, lang)]
        if rd.district:
            row.append(tx.t("rank_of", lang, rank=int(r.rank), of=int(r.of)) if pd.notna(r.rank) and r.rank else "—")
        if has_t:
            if r.met is None:
                row += ["—", "—"]
            else:
                gap = tx.fmt_value(abs(r.value - r.target), r.unit, lang)
                row += [tx.fmt_value(r.target, r.unit, lang),
                        B.Cell(tx.t("met" if r.met else "not_met", lang), "met" if r.met else "not_met",
                               "" if r.met else tx.t("by", lang, gap=gap))]
        if has_b:
            scope = r.benchmark_scope
            row.append("—" if r.benchmark is None or pd.isna(r.benchmark) else
                       tx.fmt_value(r.benchmark, r.unit, lang) + ((f"（{scope}）" if lang == "zh" else f" ({scope})")
                                                                 if scope else ""))
        rows.append(row)
    return B.Table(header, rows, caption=tx.t("cap_headline", lang), kinds=kinds)


def summary(rd: ReportData, hl: pd.DataFrame | None = None) -> list:
    """一、主要指标: the headline table (value, last year, change, rank, target, benchmark).

    Examples
    --------
    >>> heading, table = summary(_example())
    >>> heading.text, table.header[:4], table.rows[0][1].text
    ('主要指标', ('指标', '本年', '上年', '变化'), '85.0%')
    """
    hl = headline(rd) if hl is None else hl
    body = [B.Paragraph(tx.t("f_none", rd.lang))] if hl.empty else [_headline_table(rd, hl)]
    return [B.Heading(tx.t("h_summary", rd.lang))] + body


def findings(rd: ReportData, hl: pd.DataFrame | None = None) -> list:
    """二、主要发现: the sentences of :func:`evalkit.report.findings.findings`.

    Examples
    --------
    >>> findings(_example())[1].items[0]
    '矛盾纠纷化解率由上年的 80.0% 变为 85.0%，上升 5.0 个百分点。'
    """
    from evalkit.report.findings import findings as sentences

    return [B.Heading(tx.t("h_findings", rd.lang)), B.Items(tuple(sentences(rd, hl)))]


def _select(rd, **kw) -> pd.DataFrame:
    from evalkit.plot.figures import select

    return select(rd.table, **kw).dropna(subset=["value"])


def _yearly(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.loc[rows["period"].astype(str).str.fullmatch(r"\d{4}")]


def _bars(rd: ReportData, indicator: str, level: str, **kw) -> list:
    """Units compared on one indicator, when any unit has a value (else nothing)."""
    import evalkit.plot as ep

    if _select(rd, indicator=indicator, level=level, period=rd.period, **kw).empty:
        return []
    return [B.figure(ep.unit_bars(rd.table, indicator=indicator, level=level, period=rd.period, lang=rd.lang,
                                  **kw))]


def streets(rd: ReportData, *, max_plots: int = 3) -> list:
    """三、街道比较: the district's streets on the first headline indicators they have.

    Examples
    --------
    >>> [type(b).__name__ for b in streets(_example())]
    ['Heading', 'Figure']
    """
    t = rd.table
    st = plain(t.loc[(t["level"] == "street") & (t["district"] == rd.district) & (t["period"] == rd.period)])
    st = st.dropna(subset=["value"])
    inds = [i for i in HEADLINE if i in set(st["indicator"])][:max_plots]
    out = [B.Heading(tx.t("h_streets", rd.lang))]
    for ind in inds:
        out += _bars(rd, ind, "street", district=rd.district)
    if len(out) == 1:
        out.append(B.Paragraph(tx.t("no_street_data", rd.lang)))
    return out


def _education(rd: ReportData, unit: str, level: str) -> list:
    """Cadre education by term: one bar per term in the roster (not per report year)."""
    import evalkit.plot as ep

    rows = _yearly(_select(rd, indicator="cadre_education_share", level=level, unit_id=unit))
    if rd.terms:
        rows = rows.loc[rows["period"].isin(list(rd.terms))]
        rows = rows.assign(term=rows["period"].map(rd.terms))
        last = rows.groupby("term")["period"].transform("max")  # a term's latest year: its full roster
        rows = rows.loc[rows["period"] == last].assign(period=lambda d: d["term"]).drop(columns="term")
    else:  # no roster at hand: only the report year's (current) term, whose election year is unknown
        rows = rows.loc[rows["period"] == rd.period]
    if rows.empty:
        return []
    return [B.figure(ep.education_by_term(rows, unit_id=unit, level=level, lang=rd.lang))]


def _charts(rd: ReportData, fam: str, have: set[str], skip: frozenset = frozenset()) -> list:
    """The family's charts; units-compared bars already shown elsewhere in the report (``have``
    without them) are not drawn again."""
    import evalkit.plot as ep

    lang, (unit, level) = rd.lang, rd.unit
    comm = dict(level="community", district=rd.district) if rd.district else dict(level="district")
    have_bars = have - skip
    out: list = []
    if fam == "disputes":
        monthly = _select(rd, indicator="dispute_rate", level=level, unit_id=unit)
        if monthly["period"].astype(str).str.fullmatch(r"\d{4}-\d{2}").any():
            from evalkit.report.data import pilot_starts

            out.append(B.figure(ep.dispute_trend(rd.table, unit_id=unit, level=level, lang=lang,
                                                 pilot_starts=pilot_starts(rd.ds, rd.district))))
        for ind in ("dispute_rate", "dispute_resolution_rate"):
            if ind in have_bars:
                out += _bars(rd, ind, **comm)
    elif fam == "volunteers":
        inds = ["volunteer_registration_rate", "volunteer_active_rate"]
        if not _yearly(plain(_select(rd, indicator=inds, level=level, unit_id=unit))).empty:
            out.append(B.figure(ep.volunteer_activity(rd.table, unit_id=unit, level=level, lang=lang)))
        if "volunteer_registration_rate" in have_bars:
            out += _bars(rd, "volunteer_registration_rate", **comm)
    elif fam == "cadres":
        if "cadre_education_share" in have:
            out += _education(rd, unit, level)
        if "cadre_college_share" in have_bars:
            out += _bars(rd, "cadre_college_share", **comm)
    elif fam == "satisfaction":
        if "satisfaction_dimension" in have and not _select(rd, indicator="satisfaction_dimension", level=level,
                                                            unit_id=unit, period=rd.period).empty:
            out.append(B.figure(ep.satisfaction_dimensions(rd.table, unit_id=unit, level=level, period=rd.period,
                                                           lang=lang, reference="all" if rd.district else None)))
        if "satisfaction_index" in have_bars:
            out += _bars(rd, "satisfaction_index", **comm)
    else:
        for ind in sorted(have_bars):
            if len(out) == 3:
                break
            out += _bars(rd, ind, **comm)
    return out


def family(rd: ReportData, fam: str, *, shown=()) -> list:
    """One family's subsection: its heading, then its charts or one sentence saying there are no data.

    Only rows of the report year count: a family with rows in other years only has no
    data this year.  ``shown``: indicators whose units-compared chart the report already
    shows (the city summary's ranks), not drawn twice.

    Examples
    --------
    >>> [type(b).__name__ for b in family(_example(), "cadres")]
    ['Heading', 'Paragraph']
    """
    t = rd.table
    fam_of = t["indicator"].map(_family_of())
    m = (fam_of == fam) & (t["period"].astype(str).str.startswith(rd.period)) & t["value"].notna()
    if rd.district:
        m &= (t["district"] == rd.district).fillna(False)
    have = set(t.loc[m, "indicator"])
    charts = _charts(rd, fam, have, skip=frozenset(shown)) if have else []
    if not charts and have & set(shown):
        charts = [B.Paragraph(tx.t("family_shown_above", rd.lang))]
    if not charts:
        noun = _NOUN[fam][0 if rd.lang == "zh" else 1]
        key = "no_family_data" if rd.district else "no_family_data_city"
        charts = [B.Paragraph(tx.t(key, rd.lang, what=noun, year=rd.year))]
    return [B.Heading(tx.t(f"fam_{fam}", rd.lang), level=2)] + charts


def families(rd: ReportData) -> list:
    """四、分领域分析: every family's subsection.

    Examples
    --------
    >>> [b.text for b in families(_example()) if type(b).__name__ == "Heading"][:3]
    ['分领域分析', '矛盾纠纷', '志愿服务']
    """
    out = [B.Heading(tx.t("h_families", rd.lang))]
    for fam in FAMILIES:
        out += family(rd, fam)
    return out


def pilot(rd: ReportData) -> list:
    """五、试点对比 (city: 四、): see :func:`evalkit.report.pilot.section`.

    Examples
    --------
    >>> pilot(_example())[1].text
    '本次未做试点对比：数据中没有试点社区，或只有一年的数据。'
    """
    from evalkit.report import pilot as P

    return [B.Heading(tx.t("h_pilot", rd.lang))] + P.section(rd)


def quality(rd: ReportData) -> list:
    """附录一 数据质量: missing tables (by name), load-time warnings, suppressed cells.

    Examples
    --------
    >>> rd = _example()
    >>> rd.missing_tables = ["cadres"]
    >>> quality(rd)[1].text
    '数据集中缺少以下表，相关章节已省略：社区干部名册。'
    """
    lang, out = rd.lang, [B.Heading(tx.t("h_quality", rd.lang), appendix=True)]
    if rd.missing_tables:
        names = _sep(lang).join(table_label(n, lang) for n in rd.missing_tables)
        out.append(B.Paragraph(tx.t("missing_tables", lang, tables=names)))
    if rd.warnings:
        out += [B.Paragraph(tx.t("warnings_head", lang, n=len(rd.warnings))), B.Items(tuple(rd.warnings[:50]))]
    elif rd.ds is not None:
        out.append(B.Paragraph(tx.t("no_warnings", lang)))
    t = rd.table
    sup = t["suppressed"].fillna(False).astype(bool) & (t["period"].astype(str) == rd.period).fillna(False)
    if rd.district:
        sup &= (t["district"] == rd.district).fillna(False)
    n_sup = int(sup.sum())
    if n_sup == 0:
        out.append(B.Paragraph(tx.t("suppressed_none", lang, min_n=rd.min_n)))
        return out
    out.append(B.Paragraph(tx.t("suppressed", lang, min_n=rd.min_n, n=n_sup)))
    items = []
    for r in t.loc[sup].sort_values(["indicator", "level", "unit_id"]).head(40).itertuples():
        kind = tx.entry(r.indicator).get("category")  # e.g. "dimension": 物业, not 物业纠纷
        cat = "" if pd.isna(r.category) else " · " + tx.category_label(r.category, lang, kind)
        n = "—" if pd.isna(r.n) else str(int(r.n))
        items.append(f"{tx.name(r.indicator, lang)}{cat} · {r.unit_name} · {r.period} · n = {n}")
    return out + [B.Paragraph(tx.t("suppressed_list", lang)), B.Items(tuple(items))]


def methods(rd: ReportData) -> list:
    """附录二 方法说明: the methods paragraph and the definitions of the indicators shown.

    Examples
    --------
    >>> methods(_example())[-1].rows[0][0].text
    '矛盾纠纷化解率'
    """
    lang = rd.lang
    rows = []
    for i in sorted(set(rd.table["indicator"].dropna())):
        e = tx.entry(i)
        rows.append((tx.name(i, lang), str(e.get(f"definition_{lang}") or ""), tx.unit_label(tx.unit(i), lang)))
    header = [tx.t(k, lang) for k in ("col_indicator", "col_definition", "col_unit")]
    return [B.Heading(tx.t("h_methods", lang), appendix=True), B.Paragraph(tx.t("methods", lang, min_n=rd.min_n)),
            B.Table(header, rows, caption=tx.t("cap_definitions", lang), style="defs")]


# --- the city summary --------------------------------------------------------------------


def city_table(rd: ReportData) -> list:
    """一、各区比较: the headline indicators (rows) of every district and the city (columns), with ranks.

    Districts whose data failed validation keep their column, marked, without ranks;
    the note under the table says so.  (Indicators as rows keep the headers short: a
    printed page has room for the districts, not for eleven indicator names.)

    Examples
    --------
    >>> t = city_table(_example(None))[1]
    >>> t.header, [c.text + c.suffix for c in t.rows[0][1:]]
    (('指标', '乙区', '甲区', '全市'), ['95.0%(1/2)', '85.0%(2/2)', '85.0%'])
    """
    lang, t = rd.lang, rd.table
    d = plain(t.loc[(t["level"] == "district") & (t["period"] == rd.period) & t["indicator"].isin(HEADLINE)])
    d = d.loc[~d["suppressed"].fillna(False).astype(bool)].dropna(subset=["value"])
    out = [B.Heading(tx.t("h_city_table", lang))]
    if d.empty:
        return out + [B.Paragraph(tx.t("f_none", lang))]
    inds = [i for i in HEADLINE if i in set(d["indicator"])]
    dists = sorted(set(d["unit_id"]))
    vals = {(r.indicator, r.unit_id): r.value for r in d.itertuples()}
    c = plain(t.loc[(t["level"] == "city") & (t["period"] == rd.period) & t["indicator"].isin(inds)])
    city = dict(zip(c["indicator"], c["value"]))
    bad = set(rd.invalid)
    header = [tx.t("col_indicator", lang)] + [u + (" *" if u in bad else "") for u in dists] + [tx.t("city_row", lang)]
    rows = []
    for i in inds:
        u_ = tx.unit(i)
        row = [tx.name(i, lang)]
        for u in dists:
            v = vals.get((i, u), math.nan)
            rk, of = rank(t, i, rd.period, u, rd.invalid) if ranked(i) and u not in bad else (None, 0)
            row.append(B.Cell(tx.fmt_value(v, u_, lang), suffix=f"({rk}/{of})" if rk else ""))
        row.append(B.Cell(tx.fmt_value(city.get(i, math.nan), u_, lang), "strong"))
        rows.append(row)
    table = B.Table(header, rows, caption=tx.t("cap_city_table", lang, year=rd.year), style="wide",
                    kinds=("text",) + ("number",) * (len(dists) + 1))
    notes = [B.Note(tx.t("rank_note", lang))]
    shown_bad = [u for u in dists if u in bad]
    if shown_bad:
        notes.append(B.Note(tx.t("rank_invalid_note", lang, districts=_sep(lang).join(shown_bad))))
    return out + [table] + notes


def _rank_indicators(rd: ReportData, max_plots: int = 4) -> list[str]:
    t = rd.table
    have = set(plain(t.loc[(t["level"] == "district") & (t["period"] == rd.period)]).dropna(subset=["value"])["indicator"])
    return [i for i in HEADLINE if i in have][:max_plots]


def city_ranks(rd: ReportData, *, max_plots: int = 4) -> list:
    """二、各区排名: the districts compared on the first headline indicators they have.

    Examples
    --------
    >>> [type(b).__name__ for b in city_ranks(_example(None))]
    ['Heading', 'Figure']
    """
    out = [B.Heading(tx.t("h_city_ranks", rd.lang))]
    for ind in _rank_indicators(rd, max_plots):
        out += _bars(rd, ind, "district")
    if len(out) == 1:
        out.append(B.Paragraph(tx.t("f_none", rd.lang)))
    return out


def city_trends(rd: ReportData) -> list:
    """三、全市趋势: the city's yearly trends of the headline indicators (one chart per unit of
    measure, drawn only with two or more years), then every family's subsection (without the
    districts-compared charts :func:`city_ranks` shows).

    Examples
    --------
    >>> [type(b).__name__ for b in city_trends(_example(None))][:3]
    ['Heading', 'Figure', 'Heading']
    """
    import evalkit.plot as ep

    t = rd.table
    c = _yearly(plain(t.loc[(t["level"] == "city")])).dropna(subset=["value"])
    by_unit: dict[str, list[str]] = {}
    for i in HEADLINE:
        if c.loc[c["indicator"] == i, "period"].nunique() >= 2:
            by_unit.setdefault(tx.unit(i), []).append(i)
    out = [B.Heading(tx.t("h_city_trends", rd.lang))]
    for _, group in sorted(by_unit.items()):
        out.append(B.figure(ep.yearly_trend(t, indicators=group[:4], unit_id="all", level="city", lang=rd.lang)))
    shown = _rank_indicators(rd)
    for fam in FAMILIES:
        out += family(rd, fam, shown=shown)
    return out

