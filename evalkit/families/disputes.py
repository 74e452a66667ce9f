"""Disputes (矛盾纠纷): counts, rates, shares, resolution and trends from the dispute ledger.

Every indicator is defined in docs/INDICATORS.md ("Disputes").  The ledger
is aggregated once with DuckDB (per community and month, and per community
and category for the year asked); rates, intervals and models are computed
on those small frames.  Higher levels sum the records' counts and
households, never community rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.contract import DISPUTE_CATEGORIES
from evalkit.families import _aggregate as agg
from evalkit.families._coverage import (
    Coverage, blank, catalog_entry, cover, garwood, grid, ratio, rollup, rows, sizes, undefined, wilson,
    with_note, with_year,
)
from evalkit.families._units import all_blank, skeleton, stacked, unit_key

FAMILY = "disputes"
TABLES = ("disputes", "communities")
NEEDS: dict[str, tuple[str, ...]] = {}
#: Indicators that need calendar years (left out of a window, see evalkit.families._period).
NO_WINDOW = frozenset({"dispute_rate_change", "dispute_trend_irr", "dispute_trend_mk"})

#: Trend window: at most this many years, ending in December of the year asked.
MAX_WINDOW_YEARS = 10
#: Horizon (days) of dispute_resolved_30d.
HORIZON_DAYS = 30


def _e(id, name_zh, name_en, def_zh, def_en, unit, interval, category=None, direction="descriptive",
       total=False):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit,
                         direction=direction, interval=interval, category=category, total=total)


CATALOG = [
    _e("dispute_count", "矛盾纠纷受理数", "Disputes reported",
       "期内登记的矛盾纠纷案件数", "Cases with reported_on in the period", "count", "garwood"),
    _e("dispute_rate", "纠纷发生率（每千户）", "Dispute rate",
       "1000 × 期内案件数 / 户数（另有按月数值）",
       "1000 × cases reported in the period / households (also monthly)",
       "per_1000_households", "garwood"),
    _e("dispute_rate_change", "纠纷发生率变化", "Change in dispute rate",
       "本年纠纷发生率 / 上年纠纷发生率 − 1（合计及分纠纷类型）",
       "Dispute rate of the year / that of the year before − 1 (in all, and per dispute category)",
       "ratio", "exact conditional (Clopper–Pearson)", category="dispute_category", total=True),
    _e("dispute_share", "纠纷类型构成", "Dispute share by category",
       "某类纠纷案件数 / 全部案件数", "Cases of the category / all cases", "share", "wilson",
       category="dispute_category"),
    _e("dispute_resolution_rate", "矛盾纠纷化解率", "Dispute resolution rate",
       "期内登记且在期末（及截止日）前化解的案件 / 期内登记案件",
       "Cases reported in the period and resolved by its end (and the as-of date) / cases reported",
       "share", "wilson", direction="higher_better"),
    _e("dispute_resolved_30d", "30日内化解比例", "Resolved within 30 days",
       "30 天化解累积发生率（Aalen–Johansen；上交与未化解为竞争结局，调处中在截止日删失）",
       "Cumulative incidence of resolution at day 30 (Aalen–Johansen; escalated and unresolved "
       "are competing outcomes, in-progress cases censored at the as-of date)",
       "share", "aalen-johansen (delta method)", direction="higher_better"),
    _e("dispute_median_days", "化解天数中位数", "Median days to resolution",
       "化解累积发生率达到 0.5 的最小天数", "Smallest day at which the cumulative incidence of "
       "resolution reaches 0.5", "days", "none", direction="lower_better"),
    _e("dispute_escalation_rate", "矛盾上交率", "Dispute escalation rate",
       "上交转办案件数 / 期内登记案件数", "Cases escalated / cases reported", "share", "wilson"),
    _e("dispute_trend_irr", "纠纷发生率年变化（率比）", "Dispute trend (rate ratio per year)",
       "月度案件数的泊松或负二项回归（户数对数为偏移、月份效应、连续时间），exp(β)",
       "exp(β) of a Poisson or NB2 GLM of monthly counts with log(households) offset, "
       "month-of-year effects and time in years", "ratio", "model (Wald, log scale)"),
    _e("dispute_trend_mk", "纠纷发生率趋势（季节性 Mann–Kendall）", "Dispute trend (seasonal Mann–Kendall)",
       "月度纠纷发生率的季节性 Sen 斜率（每年），p 值来自季节性 Mann–Kendall 检验",
       "Seasonal Sen slope of the monthly dispute rate (per year); p from the seasonal "
       "Mann–Kendall test", "per_1000_households_per_year", "none"),
]
CATEGORIES = tuple(DISPUTE_CATEGORIES)


# --- aggregate ------------------------------------------------------------------


def _monthly(ds, as_of: pd.Timestamp) -> pd.DataFrame:
    """Cases per community and calendar month, every year up to the as-of date (cached)."""
    def run():
        return agg.query(
            """
            SELECT community_id, CAST(year(reported_on) AS INTEGER) AS y,
                   CAST(month(reported_on) AS INTEGER) AS m, COUNT(*) AS cases
            FROM d WHERE reported_on <= ? GROUP BY 1, 2, 3
            """, [as_of.to_pydatetime()], d=agg.table(ds, "disputes", ["community_id", "reported_on"]),
        ).astype({"community_id": "str", "y": "int64", "m": "int64", "cases": "float64"})
    return agg.cached(f"disputes.monthly.{as_of}", agg.identity(ds, "disputes"), run)


def _yearly_by_category(ds, start, end) -> pd.DataFrame:
    """Cases, resolved-by-end and escalated cases per community and category in [start, end]."""
    return agg.query(
        """
        SELECT community_id, category, COUNT(*) AS cases,
               SUM(CASE WHEN status = 'resolved' AND resolved_on <= ? THEN 1 ELSE 0 END) AS resolved,
               SUM(CASE WHEN status = 'escalated' THEN 1 ELSE 0 END) AS escalated
        FROM d WHERE reported_on >= ? AND reported_on <= ? GROUP BY 1, 2
        """,
        [end.to_pydatetime(), start.to_pydatetime(), end.to_pydatetime()],
        d=agg.table(ds, "disputes", ["community_id", "category", "status", "resolved_on", "reported_on"]),
    ).astype({"community_id": "str", "category": "str", "cases": "float64",
              "resolved": "float64", "escalated": "float64"})


def _times(ds, start, end, as_of) -> pd.DataFrame:
    """Per case of [start, end]: days to its outcome and the outcome.

    event 1 = resolved (by the as-of date), 2 = escalated or unresolved (competing;
    at resolved_on when the ledger gives one, else day 0), 0 = censored at the as-of date.
    """
    a = as_of.to_pydatetime()
    return agg.query(
        """
        SELECT community_id,
          CAST(CASE WHEN status = 'resolved' AND resolved_on <= ? THEN date_diff('day', reported_on, resolved_on)
               WHEN status IN ('escalated', 'unresolved')
                    THEN COALESCE(date_diff('day', reported_on, resolved_on), 0)
               ELSE date_diff('day', reported_on, CAST(? AS TIMESTAMP)) END AS DOUBLE) AS days,
          CASE WHEN status = 'resolved' AND resolved_on <= ? THEN 1
               WHEN status IN ('escalated', 'unresolved') THEN 2 ELSE 0 END AS event
        FROM d WHERE reported_on >= ? AND reported_on <= ?
        """,
        [a, a, a, start.to_pydatetime(), end.to_pydatetime()],
        d=agg.table(ds, "disputes", ["community_id", "status", "resolved_on", "reported_on"]),
    ).astype({"community_id": "str", "days": "float64", "event": "int64"})


# --- compute --------------------------------------------------------------------


def compute(ctx) -> pd.DataFrame:
    """Every disputes indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    cov = Coverage.of(ds, "disputes", "reported_on", ("reported_on", "resolved_on"), ctx.as_of)
    as_of = cov.as_of if cov.as_of is not None else per.end
    parts = []
    if any(ctx.wants(i) for i in ("dispute_count", "dispute_rate", "dispute_rate_change")):
        parts.append(_rates(ctx, cov, _monthly(ds, as_of)))
    if any(ctx.wants(i) for i in ("dispute_share", "dispute_resolution_rate", "dispute_escalation_rate")):
        parts.append(_ledger_shares(ctx, cov))
    if ctx.wants("dispute_resolved_30d") or ctx.wants("dispute_median_days"):
        parts.append(_resolution_times(ctx, cov))
    if ctx.wants("dispute_trend_irr") or ctx.wants("dispute_trend_mk"):
        parts.append(_trends(ctx, cov, _monthly(ds, as_of)))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def year_cases(ctx, cov, monthly, year):
    """Rolled-up cases and households of ``year`` (+ coverage state)."""
    ok, _end, note = cov.year(year)
    m = monthly.loc[monthly["y"] == year].groupby("community_id", as_index=False)["cases"].sum()
    f = grid(ctx.ds).merge(m, on="community_id", how="left").fillna({"cases": 0.0})
    f = f.merge(sizes(ctx.ds, [year])[["community_id", "households"]], on="community_id")
    f["period"] = str(year)
    r = rollup(ctx.ds, ctx.levels, f, keys=["period"], sums=["cases", "households"])
    return r, ok, note


def _window_cases(ctx, cov):
    """:func:`year_cases` of a window (cases counted from the records by day)."""
    per = ctx.period
    ok, end, note = per.state(cov)
    c = _yearly_by_category(ctx.ds, per.start, end).groupby("community_id", as_index=False)["cases"].sum()
    f = grid(ctx.ds).merge(c, on="community_id", how="left").fillna({"cases": 0.0})
    f = f.merge(sizes(ctx.ds, [per.size_year(end)])[["community_id", "households"]], on="community_id")
    f["period"] = per.label
    return rollup(ctx.ds, ctx.levels, f, keys=["period"], sums=["cases", "households"]), ok, note


def _rates(ctx, cov, monthly):
    year = ctx.year
    r, ok, note = _window_cases(ctx, cov) if ctx.period.is_window else year_cases(ctx, cov, monthly, year)
    k, hh = r["cases"].to_numpy(), r["households"].to_numpy()
    lo, hi = garwood(k)
    out = []
    if ctx.wants("dispute_count"):
        o = rows("dispute_count", r, value=k, ci_low=lo, ci_high=hi, n=k)
        out.append(cover(o, ok, note))
    if ctx.wants("dispute_rate"):
        o = rows("dispute_rate", r, value=1000 * ratio(k, hh), ci_low=1000 * ratio(lo, hh),
                 ci_high=1000 * ratio(hi, hh), n=k, numerator=k, denominator=hh)
        out.append(cover(o, ok, note))
        if not ctx.period.is_window:
            out.append(_monthly_rates(ctx, cov, monthly))
    if ctx.wants("dispute_rate_change"):
        out.append(_rate_change(ctx, cov, r, ok, note, monthly))
    return pd.concat(out, ignore_index=True)


def _rate_change(ctx, cov, r, ok, note, monthly):
    """dispute_rate_change: in all (from :func:`year_cases`) and per dispute category."""
    year = ctx.year
    r0, ok0, note0 = year_cases(ctx, cov, monthly, year - 1)
    c1, c0 = (_category_cases(ctx, cov, y) for y in (year, year - 1))
    c = c1.merge(c0[["level", "unit_id", "category", "cases", "households"]],
                 on=["level", "unit_id", "category"], suffixes=("", "_0"))
    both = pd.concat([r.assign(category=pd.Series(pd.NA, index=r.index, dtype="str"),
                               cases_0=r0["cases"].to_numpy(), households_0=r0["households"].to_numpy()),
                      c], ignore_index=True)
    k, hh, k0, hh0 = (both[x].to_numpy(dtype="float64") for x in ("cases", "households", "cases_0", "households_0"))
    rate1, rate0 = ratio(k, hh), ratio(k0, hh0)
    lo, hi = _rate_ratio_ci(k, hh, k0, hh0)
    o = rows("dispute_rate_change", both, value=ratio(rate1, rate0) - 1, ci_low=lo - 1, ci_high=hi - 1,
             n=k + k0)
    o = cover(o, ok and ok0, with_year(note, year - 1, note0))
    if ok and ok0:
        o = blank(o, ~(rate0 > 0), "rate 0 in the year before")
    return o


def _category_cases(ctx, cov, year):
    """Cases per unit and dispute category in ``year`` (to the as-of date), with households."""
    ok, end, _note = cov.year(year)
    c = _yearly_by_category(ctx.ds, pd.Timestamp(year, 1, 1), end if ok else pd.Timestamp(year, 12, 31))
    f = grid(ctx.ds, category=CATEGORIES).merge(c[["community_id", "category", "cases"]],
                                                  on=["community_id", "category"], how="left")
    f = f.fillna({"cases": 0.0}).merge(sizes(ctx.ds, [year])[["community_id", "households"]], on="community_id")
    f["period"] = str(ctx.year)
    return rollup(ctx.ds, ctx.levels, f, keys=["period", "category"], sums=["cases", "households"])


def _rate_ratio_ci(k1, e1, k0, e0, level=0.95):
    """Exact conditional interval of the rate ratio (k1/e1)/(k0/e0).

    Notes
    -----
    Given k1 + k0, k1 is binomial with p = RR·e1 / (RR·e1 + e0); the
    Clopper–Pearson interval (pL, pU) of p maps to RR = p/(1−p) · e0/e1.
    """
    from scipy.special import betaincinv  # = scipy.stats.beta.ppf, without importing scipy.stats

    k1, k0 = np.asarray(k1, float), np.asarray(k0, float)
    n = k1 + k0
    a = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        pl = np.where(k1 > 0, betaincinv(np.maximum(k1, 1), k0 + 1, a / 2), 0.0)
        pu = np.where(k0 > 0, betaincinv(k1 + 1, np.maximum(k0, 1), 1 - a / 2), 1.0)
        f = ratio(e0, e1)
        lo = pl / (1 - pl) * f
        hi = np.where(pu < 1, pu / (1 - pu) * f, np.inf)
    bad = ~(n > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _monthly_rates(ctx, cov, monthly):
    year = ctx.year
    hh = sizes(ctx.ds, [year])[["community_id", "households"]]
    m = monthly.loc[monthly["y"] == year, ["community_id", "m", "cases"]]
    f = grid(ctx.ds, m=range(1, 13)).merge(m, on=["community_id", "m"], how="left").fillna({"cases": 0.0})
    f = f.merge(hh, on="community_id")
    f["period"] = f["m"].map(lambda x: f"{year}-{x:02d}")
    r = rollup(ctx.ds, ctx.levels, f, keys=["period"], sums=["cases", "households"])
    k, h = r["cases"].to_numpy(), r["households"].to_numpy()
    lo, hi = garwood(k)
    o = rows("dispute_rate", r, value=1000 * ratio(k, h), ci_low=1000 * ratio(lo, h),
             ci_high=1000 * ratio(hi, h), n=k, numerator=k, denominator=h)
    o["note"] = pd.Series(pd.NA, index=o.index, dtype="str")
    for mo in range(1, 13):
        start = pd.Timestamp(year, mo, 1)
        ok, _end, note = cov.state(start, start + pd.offsets.MonthEnd(0))
        sel = (o["period"] == f"{year}-{mo:02d}").to_numpy()
        if not ok:
            o = blank(o, sel)
        elif note:
            o.loc[sel, "note"] = note
    return o


def _ledger_shares(ctx, cov):
    per = ctx.period
    ok, end, note = per.state(cov)
    c = _yearly_by_category(ctx.ds, per.start, end)
    c = c.loc[c["category"].isin(CATEGORIES)]
    f = grid(ctx.ds, category=CATEGORIES).merge(c, on=["community_id", "category"], how="left")
    f = f.fillna({"cases": 0.0, "resolved": 0.0, "escalated": 0.0})
    f["period"] = per.label
    rc = rollup(ctx.ds, ctx.levels, f, keys=["period", "category"], sums=["cases", "resolved", "escalated"])
    keys = ["level", "unit_id", "unit_name", "district", "period"]
    tot = rc.groupby(keys, sort=False, as_index=False)[["cases", "resolved", "escalated"]].sum()
    out = []
    if ctx.wants("dispute_share"):
        t = rc.merge(tot[keys + ["cases"]].rename(columns={"cases": "total"}), on=keys)
        lo, hi = wilson(t["cases"], t["total"])
        o = rows("dispute_share", t, value=ratio(t["cases"], t["total"]), ci_low=lo, ci_high=hi,
                 n=t["total"], numerator=t["cases"], denominator=t["total"])
        out.append(undefined(cover(o, ok, note), ok, t["total"]))
    for ind, col in (("dispute_resolution_rate", "resolved"), ("dispute_escalation_rate", "escalated")):
        if ctx.wants(ind):
            lo, hi = wilson(tot[col], tot["cases"])
            o = rows(ind, tot, value=ratio(tot[col], tot["cases"]), ci_low=lo, ci_high=hi,
                     n=tot["cases"], numerator=tot[col], denominator=tot["cases"])
            out.append(undefined(cover(o, ok, note), ok, tot["cases"]))
    return pd.concat(out, ignore_index=True)


def _resolution_times(ctx, cov):
    per = ctx.period
    ok, end, note = per.state(cov)
    wanted = [i for i in ("dispute_resolved_30d", "dispute_median_days") if ctx.wants(i)]
    sk = skeleton(ctx, per.label)
    if not ok:
        return all_blank(sk, wanted)
    from evalkit.stats.survival import cumulative_incidence

    t = _times(ctx.ds, per.start, end, cov.as_of)
    st = stacked(ctx, t)
    st["unit_key"] = unit_key(st)
    with np.errstate(all="ignore"):  # log(-log) limits of a curve at 0 or 1 are handled downstream
        res = cumulative_incidence(st, time="days", cause="event", by="unit_key",
                                   event=1, at=HORIZON_DAYS)
    r = sk.merge(res, on="unit_key", how="left")
    n = r["n"].fillna(0).to_numpy()
    out = []
    if ctx.wants("dispute_resolved_30d"):
        o = rows("dispute_resolved_30d", r, value=r["value"], se=r["se"],
                 ci_low=r["ci_low"], ci_high=r["ci_high"], n=n,
                 note=r["note"].where(r["note"] == "beyond follow-up"))
        out.append(undefined(with_note(o, note), True, n))
    if ctx.wants("dispute_median_days"):
        o = rows("dispute_median_days", r, value=r["median"], n=n)
        o = with_note(o, None)
        o = blank(o, (n > 0) & r["median"].isna().to_numpy(), "never reaches 0.5")
        out.append(undefined(with_note(o, note), True, n))
    return pd.concat(out, ignore_index=True)


def trend_window(cov, year):
    """(first year, last year) of the trend window, or None when it has under two years."""
    if cov.first is None:
        return None
    first_complete = cov.first.year + (0 if cov.first.month == 1 else 1)
    start = max(first_complete, year - MAX_WINDOW_YEARS + 1)
    if year - start + 1 < 2 or pd.Timestamp(year, 1, 1) > cov.as_of:
        return None
    return start, year


def _trends(ctx, cov, monthly):
    year = ctx.year
    wanted = [i for i in ("dispute_trend_irr", "dispute_trend_mk") if ctx.wants(i)]
    win = trend_window(cov, year)
    period = f"{win[0]}-{win[1]}" if win else str(year)
    sk = skeleton(ctx, period)
    if win is None:
        return all_blank(sk, wanted)
    from evalkit.stats import trend

    y0, y1 = win
    # months inside coverage only: a month cut by the as-of date is left out
    last = min(pd.Timestamp(y1, 12, 31), cov.as_of)
    if last < pd.Timestamp(y1, 12, 31):  # keep whole months only
        last = (last + pd.Timedelta(days=1)).replace(day=1) - pd.Timedelta(days=1)
    months = pd.period_range(f"{y0}-01", last.strftime("%Y-%m"), freq="M")
    ym = pd.DataFrame({"y": months.year.astype("int64"), "m": months.month.astype("int64")})
    f = grid(ctx.ds).merge(ym, how="cross")
    f = f.merge(monthly, on=["community_id", "y", "m"], how="left").fillna({"cases": 0.0})
    hh = sizes(ctx.ds, range(y0, y1 + 1)).rename(columns={"year": "y"})[["community_id", "y", "households"]]
    f = f.merge(hh, on=["community_id", "y"])
    f["t"] = ((f["y"] - y0) * 12 + (f["m"] - 1)) / 12.0
    st = stacked(ctx, f)
    g = st.groupby(["level", "unit_id", "t", "m"], sort=False, as_index=False)[["cases", "households"]].sum()
    g["unit_key"] = unit_key(g)
    note = None if last >= pd.Timestamp(y1, 12, 31) else f"through {last:%m-%d}"
    out = []
    if ctx.wants("dispute_trend_irr"):
        res = trend.trend_glm(g, count="cases", exposure="households", time="t", season="m",
                              by="unit_key")
        r = sk.merge(res, on="unit_key", how="left")
        o = rows("dispute_trend_irr", r, value=r["value"], se=r["se"], ci_low=r["ci_low"],
                 ci_high=r["ci_high"], p_value=r["p_value"], n=r["n"], note=r["note"])
        if note:
            o["note"] = o["note"].astype("str").fillna("").str.cat([f"; {note}"] * len(o)).str.lstrip("; ")
        out.append(o)
    if ctx.wants("dispute_trend_mk"):
        g["rate"] = 1000 * ratio(g["cases"], g["households"])
        res = trend.seasonal_mann_kendall(g, value="rate", time="t", season="m", by="unit_key")
        r = sk.merge(res, on="unit_key", how="left")
        o = rows("dispute_trend_mk", r, value=r["slope"], p_value=r["p_value"], n=r["n"])
        out.append(with_note(o, note))
    return pd.concat(out, ignore_index=True)
