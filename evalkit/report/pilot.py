"""Every use the reports make of the pilot comparison (试点对比), in one module.

The batch computes the comparison once (:func:`compute_pilot`, for the city
and each district, with the plain-language paragraphs); a report picks the
rows it shows (:func:`pilot_result`), states a finding (:func:`finding`) and
displays its section (:func:`section`).  The rows are
:meth:`evalkit.pilot.PilotResult.to_frame` rows, so each carries the facts of its
comparison (``few_units``, ``n_piloted`` ...) as columns; they are read in
:func:`_few_units` and :func:`pilot_rows` only, never searched for in a note.
"""

from __future__ import annotations

import pandas as pd

from evalkit import labels as tx
from evalkit.report import blocks as B

__all__ = ["compute_pilot", "pilot_result", "pilot_rows", "pilot_explain", "pilot_table", "finding", "section"]

_SHOWN = {"pilot_att": 0, "pilot_did": 1, "pilot_pretrend": 2}


def _error_row(level: str, unit: str, period: str, outcome: str, err) -> dict:
    return {"indicator": "pilot_error", "level": level, "unit_id": unit, "unit_name": unit, "district": unit,
            "period": period, "category": outcome, "note": f"{err.zh}\n{err.en}"}


def compute_pilot(ds, *, year: int, outcome: str = "dispute_rate", districts=None, seed: int = 20241,
                  draws: int = 999) -> pd.DataFrame:
    """The pilot comparison for the city and each district, once, as one long table.

    Parameters
    ----------
    ds
        The loaded Dataset (every district).
    year
        Last year of the window; the first is the first year of the data
        (:func:`evalkit.report.data.data_years`).
    outcome
        The outcome indicator (community-level yearly values).
    districts
        Districts to compare within (default: every district of the register).

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`evalkit.pilot.compare` at level ``city`` and ``district``
        with their facts (:meth:`evalkit.pilot.PilotResult.to_frame`), and
        the plain-language paragraphs (``indicator = "pilot_text"``, ``category`` the
        language).  A unit whose comparison cannot be estimated gets one row
        ``indicator = "pilot_error"`` whose ``note`` holds the reason (zh, then en after
        a newline).  Empty when the data have no piloted community or a single year.

    Notes
    -----
    Computed once per batch and passed to every notebook (``pilot_path``), so no
    report fits a model.  See :func:`evalkit.pilot.compare` for the estimators
    (Callaway–Sant'Anna ATT, TWFE DiD, pre-trend Wald test).

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
    multiple time periods. *Journal of Econometrics* 225(2), 200–230.

    Examples
    --------
    >>> from evalkit.io import load
    >>> p = compute_pilot(load("data/sample"), year=2024, draws=99)  # doctest: +SKIP
    >>> sorted(set(p["level"]))  # doctest: +SKIP
    ['city', 'district']
    """
    from evalkit.exceptions import EvalkitError
    from evalkit.families._frame import finalize
    from evalkit.pilot import compare, first_piloted_year
    from evalkit.report.data import data_years

    com = ds["communities"]
    piloted = first_piloted_year(com["pilot"] if "pilot" in com else pd.Series(False, index=com.index),
                                 com["pilot_start"] if "pilot_start" in com else pd.Series(pd.NaT, index=com.index))
    years = data_years(ds, year)
    start, end = years[0], years[-1]
    if not (piloted.fillna(0) > 0).any() or start >= end:
        return pd.DataFrame()  # no pilot data, or a single year: there is nothing to compare

    def with_text(res):
        # the rows with their facts, and the plain-language paragraphs, precomputed so
        # that no report imports the estimators
        frame = res.to_frame()
        r0 = frame.iloc[0]
        rows = [{"indicator": "pilot_text", "level": r0["level"], "unit_id": r0["unit_id"],
                 "unit_name": r0["unit_name"], "district": r0["district"], "period": r0["period"],
                 "category": lang, "note": res.explain(lang)} for lang in ("zh", "en")]
        return pd.concat([frame, finalize(pd.DataFrame(rows))], ignore_index=True)

    period = f"{start}-{end}"
    parts = []
    # compare() refuses a comparison it cannot estimate (too few piloted or comparison
    # communities) with an EvalkitError: the reason is kept and shown, never dropped
    try:
        parts.append(with_text(compare(ds, outcome=outcome, start=start, end=end, level="city", seed=seed,
                                       draws=draws)))
    except EvalkitError as err:
        parts.append(finalize(pd.DataFrame([_error_row("city", "all", period, outcome, err)])))
    if districts is None:
        districts = sorted(com["district"].dropna().astype(str).unique())
    for d in districts:
        try:
            parts.append(with_text(compare(ds, outcome=outcome, start=start, end=end, level="district",
                                           district=d, seed=seed, draws=draws)))
        except EvalkitError as err:
            parts.append(finalize(pd.DataFrame([_error_row("district", d, period, outcome, err)])))
    # not finalize()d as a whole: that would drop the fact columns
    return pd.concat(parts, ignore_index=True)


def _example(few: int | None = None):
    """A tiny ReportData with a city pilot comparison, for the examples."""
    from evalkit.report.data import ReportData

    base = dict(level="city", unit_id="all", unit_name="全市", district="all", category="dispute_rate",
                period="2020-2024", n=40, few_units=bool(few), n_piloted=few or 12)
    rows = [dict(base, indicator="pilot_att", value=-2.0, ci_low=-3.5, ci_high=-0.5, p_value=0.01),
            dict(base, indicator="pilot_did", value=-2.2, ci_low=-3.6, ci_high=-0.8, p_value=0.01),
            dict(base, indicator="pilot_pretrend", value=2.0, p_value=0.5),
            dict(base, indicator="pilot_event", period="-1", value=0.1, ci_low=-1.0, ci_high=1.2),
            dict(base, indicator="pilot_event", period="0", value=-2.0, ci_low=-3.5, ci_high=-0.5),
            dict(base, indicator="pilot_text", category="zh", note="试点社区的纠纷发生率平均低 2.0。")]
    return ReportData(table=pd.DataFrame(), district=None, year=2024, pilot=pd.DataFrame(rows))


def _reason(rows: pd.DataFrame, lang: str) -> str:
    err = rows.loc[rows["indicator"] == "pilot_error", "note"]
    if not len(err):
        return ""
    zh, _, en = str(err.iloc[0]).partition("\n")
    return (zh if lang == "zh" else (en or zh)).rstrip("。.")


def pilot_result(rd) -> tuple[pd.DataFrame, str | None]:
    """The pilot comparison the report shows, and why the district's own is missing.

    Returns
    -------
    (DataFrame, str or None)
        The rows of one unit (the district's own comparison when it could be
        estimated, else the city's), and None or the reason (in ``rd.lang``) the
        district's own comparison could not be estimated.  Empty rows when there is
        no comparison at all.

    Examples
    --------
    >>> from evalkit.report.data import ReportData
    >>> pilot_result(ReportData(table=pd.DataFrame(), district="甲", year=2024))
    (Empty DataFrame
    Columns: []
    Index: [], None)
    """
    p = rd.pilot
    if p is None or len(p) == 0:
        return pd.DataFrame(), None
    city = p.loc[p["level"] == "city"]
    if not rd.district:
        return city, None
    own = p.loc[(p["level"] == "district") & (p["unit_id"] == rd.district)]
    if (own["indicator"] == "pilot_att").any():
        return own, None
    why = _reason(own, rd.lang)
    return city, why or ("试点数据不足" if rd.lang == "zh" else "too few pilot data")


def _estimated(p: pd.DataFrame) -> bool:
    return len(p) > 0 and (p["indicator"] == "pilot_att").any()


def pilot_rows(rd) -> pd.DataFrame:
    """The headline pilot rows (ATT, DiD, pre-trend) the report shows, in that order.

    Examples
    --------
    >>> pilot_rows(_example())["indicator"].tolist()
    ['pilot_att', 'pilot_did', 'pilot_pretrend']
    """
    p, _ = pilot_result(rd)
    if not _estimated(p):
        return pd.DataFrame()
    p = p.loc[p["indicator"].isin(_SHOWN)]
    return p.assign(_o=p["indicator"].map(_SHOWN)).sort_values("_o").drop(columns="_o")


def _few_units(row) -> int | None:
    """The number of piloted units when it is below :data:`evalkit.pilot.FEW_UNITS`, else None.

    Read from the row's facts (the ``few_units`` and ``n_piloted`` columns of
    :meth:`evalkit.pilot.PilotResult.to_frame`).
    """
    few = row.get("few_units")
    if few is None or pd.isna(few) or not bool(few):
        return None
    return int(row["n_piloted"])


def pilot_explain(rd) -> str:
    """The plain-language paragraph (precomputed by the batch) in ``rd.lang``; "" when none.

    Examples
    --------
    >>> pilot_explain(_example())
    '试点社区的纠纷发生率平均低 2.0。'
    """
    p, _ = pilot_result(rd)
    if not _estimated(p):
        return ""
    pre = p.loc[(p["indicator"] == "pilot_text") & (p["category"] == rd.lang), "note"]
    if len(pre):
        return str(pre.iloc[0])
    from evalkit.pilot import PilotResult  # a comparison computed outside the batch

    return PilotResult.from_frame(p).explain(rd.lang)


def pilot_table(rd) -> list:
    """The estimates table (ATT, DiD, pre-trend test) and the notes its intervals need.

    With fewer than 10 piloted units the TWFE interval (cluster-robust with that few
    clusters) is not shown, and the table says why; an ATT without an interval says why.

    Examples
    --------
    >>> table, note = pilot_table(_example(few=3))
    >>> [r[4].text for r in table.rows], note.text[:12]
    (['-3.50 至 -0.50', '—', '—'], '试点社区只有 3 个：双')
    """
    lang = rd.lang
    p = pilot_rows(rd)
    if p.empty:
        return [B.Paragraph(tx.t("no_pilot_data", lang))]
    body, notes = [], []
    for r in p.to_dict("records"):
        label = tx.t(f"{r['indicator']}_label", lang)
        outcome = tx.name(str(r["category"]), lang)
        few = _few_units(r)
        if r["indicator"] == "pilot_pretrend":
            est = tx.MISSING if pd.isna(r["value"]) else f"χ² = {tx.fmt_value(r['value'], 'ratio', lang, digits=2)}"
            ci = tx.MISSING
        elif r["indicator"] == "pilot_did" and few is not None:
            est, ci = tx.fmt_value(r["value"], "ratio", lang, digits=2), tx.MISSING
            notes.append(tx.t("pilot_twfe_hidden", lang, n=few))
        else:
            est = tx.fmt_value(r["value"], "ratio", lang, digits=2)
            ci = tx.fmt_interval(r["ci_low"], r["ci_high"], "ratio", lang, digits=2)
            if ci == tx.MISSING and r["indicator"] == "pilot_att":
                notes.append(tx.t("ci_none", lang) + ("。" if lang == "zh" else "."))
        body.append((label, outcome, str(r["period"]), est, ci, tx.fmt_p(r["p_value"], label=False),
                     tx.MISSING if pd.isna(r["n"]) else str(int(r["n"]))))
    header = [tx.t(k, lang) for k in ("col_method", "col_outcome", "col_window", "col_estimate", "col_interval",
                                      "col_p", "col_n")]
    table = B.Table(header, body, caption=tx.t("pilot_table_caption", lang),
                    kinds=("text", "text", "text", "number", "number", "number", "number"))
    return [table] + [B.Note(n) for n in notes]


def finding(rd) -> str | None:
    """The findings' sentence on the pilot comparison (None when the report has none of its own).

    Examples
    --------
    >>> finding(_example())
    '试点对比：试点社区的纠纷发生率（每千户）比对照社区平均低 2.00（95% 置信区间 -3.50 至 -0.50），在 5% 水平上统计显著。'
    """
    from evalkit.families._frame import interval_disagrees

    lang = rd.lang
    if pilot_result(rd)[1] is not None:  # the district's own could not be estimated
        return None
    p = pilot_rows(rd)
    att = p.loc[p["indicator"] == "pilot_att"] if len(p) else p
    if not len(att) or pd.isna(att["value"].iloc[0]):
        return None
    r = att.iloc[0]
    u = tx.unit(str(r["category"]))
    nm = tx.name(str(r["category"]), lang)
    sig = pd.notna(r["p_value"]) and r["p_value"] < 0.05
    v = float(r["value"])

    def fv(x):
        return tx.fmt_diff(x, u, lang)

    interval = (tx.t("ci_text", lang, lo=fv(r["ci_low"]), hi=fv(r["ci_high"]))
                if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]) else tx.t("ci_none", lang))
    if _few_units(r) is not None:
        text = tx.t("f_pilot_few", lang, name=nm, value=fv(v), interval=interval, p=r["p_value"],
                    verdict=tx.t("verdict_sig" if sig else "verdict_ns", lang))
        if interval_disagrees(r):
            inc = "includes" if r["ci_low"] <= 0 <= r["ci_high"] else "excludes"
            text += (" " if lang == "en" else "") + tx.t("pilot_clash", lang, inc=tx.t(inc, lang))
        return text
    if sig:
        return tx.t("f_pilot_sig", lang, name=nm, value=fv(abs(v)), dir=tx.t("lower" if v < 0 else "higher", lang),
                    interval=interval)
    return tx.t("f_pilot_ns", lang, name=nm, value=fv(v), interval=interval)


def section(rd) -> list:
    """The pilot section's blocks: scope, plain-language paragraph, table, event study, pre-trend caveat.

    When the district's own comparison cannot be estimated (too few piloted or
    comparison communities) a sentence says so and the city's is shown; when the
    city's cannot be estimated either, a sentence says why.

    Examples
    --------
    >>> [type(b).__name__ for b in section(_example())]
    ['Paragraph', 'Note', 'Table', 'Figure', 'Note']
    """
    from evalkit.report.blocks import figure

    lang = rd.lang
    p, why = pilot_result(rd)
    if not _estimated(p):
        reason = _reason(p, lang) if len(p) else ""
        return [B.Paragraph(tx.t("no_pilot_reason", lang, why=reason) if reason else tx.t("no_pilot_data", lang))]
    out = []
    if why:
        out.append(B.Note(tx.t("no_pilot_district", lang, why=why)))
    else:
        out.append(B.Paragraph(tx.t("pilot_scope_district" if rd.district else "pilot_scope_city", lang)))
    text = pilot_explain(rd)
    if text:
        out.append(B.Note(text, "explain"))
    out += pilot_table(rd)
    ev = p.loc[p["indicator"] == "pilot_event"]
    if len(ev) and ev["value"].notna().any():
        from evalkit.plot.event import event_study

        out.append(figure(event_study(ev, lang=lang)))  # titled with the outcome's name in ``lang``
    pt = p.loc[p["indicator"] == "pilot_pretrend"]
    if len(pt):
        pv = pt["p_value"].iloc[0]
        verdict = "pretrend_untested" if pd.isna(pv) else ("pretrend_ok" if pv >= 0.05 else "pretrend_bad")
        out.append(B.Note(tx.t("pilot_pretrend_caveat", lang, p=pv, verdict=tx.t(verdict, lang))))
    return out
