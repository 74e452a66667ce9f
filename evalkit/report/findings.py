"""The main findings: plain-language sentences generated from the numbers.

A sentence is written only when it says something: a change between two
values that differ as shown (never "from 100.0% to 100.0%, down 0.0
points"), a year with data on both sides, a rank among at least two ranked
districts, a best and worst street that differ.
"""

from __future__ import annotations

import pandas as pd

from evalkit import labels as tx
from evalkit.report.numbers import headline, plain, ranked

__all__ = ["findings"]


def _changes(hl: pd.DataFrame, lang: str, n: int = 2) -> list[str]:
    """The ``n`` largest relative changes on last year, among values that differ as shown."""
    ch = hl.dropna(subset=["value", "last"])
    ch = ch.loc[ch["last"] != 0]
    shown = [tx.fmt_value(r.value, r.unit, lang) != tx.fmt_value(r.last, r.unit, lang)
             and tx.fmt_change(r.value, r.last, r.unit, lang).lstrip("+-") not in ("0.0%", "0.0 个百分点", "0.0 pts")
             for r in ch.itertuples()]
    ch = ch.loc[shown]
    if ch.empty:
        return []
    ch = ch.assign(rel=(ch["value"] / ch["last"] - 1).abs())
    out = []
    for r in ch.sort_values(["rel", "indicator"], ascending=[False, True]).head(n).itertuples():
        out.append(tx.t("f_up", lang, name=r.name, last=tx.fmt_value(r.last, r.unit, lang),
                        value=tx.fmt_value(r.value, r.unit, lang), dir=tx.t("rise" if r.value > r.last else "fall", lang),
                        pct=tx.fmt_change(r.value, r.last, r.unit, lang).lstrip("+-")))
    return out


def _best_rank(hl: pd.DataFrame, lang: str) -> list[str]:
    rk = hl.dropna(subset=["rank"])
    rk = rk.loc[[ranked(i) and of >= 2 for i, of in zip(rk["indicator"], rk["of"])]]
    if rk.empty:
        return []
    r = rk.sort_values(["rank", "indicator"]).iloc[0]
    return [tx.t("f_rank", lang, name=r["name"], rank=int(r["rank"]), of=int(r["of"]))]


def _streets(rd, hl: pd.DataFrame) -> list[str]:
    lang, t = rd.lang, rd.table
    st = plain(t.loc[(t["level"] == "street") & (t["district"] == rd.district) & (t["period"] == rd.period)])
    for ind in [i for i in hl["indicator"] if ranked(i)][:1]:
        s = st.loc[(st["indicator"] == ind) & ~st["suppressed"].fillna(False).astype(bool)].dropna(subset=["value"])
        if len(s) < 2:
            return []
        s = s.sort_values(["value", "unit_id"], ascending=tx.direction(ind) == "lower_better")
        u = tx.unit(ind)
        best, worst = tx.fmt_value(s["value"].iloc[0], u, lang), tx.fmt_value(s["value"].iloc[-1], u, lang)
        if best == worst:
            return []
        return [tx.t("f_best_worst", lang, name=tx.name(ind, lang), best=s["unit_name"].iloc[0], bv=best,
                     worst=s["unit_name"].iloc[-1], wv=worst)]
    return []


def findings(rd, hl: pd.DataFrame | None = None, *, max_sentences: int = 6) -> list[str]:
    """Plain-language findings generated from the numbers.

    The two largest relative changes on last year, the district's best rank, the
    best and worst street on the first headline indicator, target attainment, and
    the pilot comparison when the report has one.

    Parameters
    ----------
    rd : evalkit.report.data.ReportData
    hl
        :func:`evalkit.report.numbers.headline` of ``rd`` (computed when None).
    max_sentences
        At most this many.

    Returns
    -------
    list of str
        The sentences; one saying there are too few figures when none applies.

    Examples
    --------
    >>> from evalkit.report.data import ReportData
    >>> t = pd.DataFrame({"indicator": "dispute_resolution_rate", "level": "district", "unit_id": "甲",
    ...                   "district": "甲", "period": ["2023", "2024"], "category": None, "value": [1.0, 1.0],
    ...                   "suppressed": False})
    >>> findings(ReportData(table=t, district="甲", year=2024))  # equal values: no change to report
    ['本年数据不足，未能生成文字结论。']
    >>> t.loc[1, "value"] = 0.9
    >>> findings(ReportData(table=t, district="甲", year=2024))
    ['矛盾纠纷化解率由上年的 100.0% 变为 90.0%，下降 10.0 个百分点。']
    """
    from evalkit.report import pilot

    lang = rd.lang
    hl = headline(rd) if hl is None else hl
    out = _changes(hl, lang)
    if rd.district:
        out += _best_rank(hl, lang) + _streets(rd, hl)
    met = hl.dropna(subset=["met"])
    if len(met):
        out.append(tx.t("f_target", lang, met=int(met["met"].astype(bool).sum()), total=len(met)))
    p = pilot.finding(rd)
    if p:
        out.append(p)
    return out[:max_sentences] if out else [tx.t("f_none", lang)]
