"""Resident requests and 12345 orders (民情诉求与12345工单): volume, closure, timeliness, 三率.

From the ``requests`` ledger, one table for every channel (12345 orders dispatched
to the community, grid reports, needs found on visits, 巷理事 lists, walk-ins).
Definitions in docs/INDICATORS.md ("Requests") and LEDGERS.md.  Every indicator
counts all rows except the four ``hotline_*`` ones, which count assessed hotline
rows only (``assessed`` false: a duplicate, invalid or exempt order).  A request's
response is timely when ``responded_in_time`` says so; when that flag is empty,
when it was responded to on the day received or the next (``responded_on`` ≤
``received_on`` + 1 day, and by the as-of date).
"""

from __future__ import annotations

import pandas as pd

from evalkit.contract import REQUEST_CHANNELS
from evalkit.families import _aggregate as agg
from evalkit.families._coverage import (
    Coverage, blank, catalog_entry, grid, rollup, rows, sizes, undefined, with_note,
)
from evalkit.families._units import (
    all_blank, count_rows, per_rows, share_rows, skeleton, stacked, unit_key, with_total,
)

FAMILY = "requests"
TABLES = ("requests", "communities")
NEEDS: dict[str, tuple[str, ...]] = {}
NO_WINDOW: frozenset[str] = frozenset()
#: Days after received_on by which a hotline order counts as responded to in time.
RESPONSE_DAYS = 1

_BEIJING = "北京市12345市民服务热线 2020 年度数据报告 / Beijing 12345 hotline, 2020 annual report"


def _e(id, name_zh, name_en, def_zh, def_en, unit, direction, interval, category=None,
       benchmark=None, total=False):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit, direction=direction,
                         interval=interval, category=category, benchmark=benchmark, total=total)


def _bench(value, zh, en, source):
    return {"value": value, "scope_zh": zh, "scope_en": en, "source": source}


CATALOG = [
    _e("request_count", "诉求受理数", "Requests received",
       "期内受理的诉求与工单数（合计及按来源渠道）", "Requests received in the period (in all and by channel)",
       "count", "descriptive", "garwood", category="channel", total=True),
    _e("request_rate", "诉求发生率（每千户）", "Requests per 1,000 households",
       "1000 × 期内受理诉求数 / 户数", "1000 × requests received in the period / households",
       "per_1000_households", "descriptive", "garwood"),
    _e("request_closure_rate", "诉求办结率", "Request closure rate",
       "期内受理且在期末前办结的诉求 / 期内受理的诉求",
       "Requests received in the period with closed_on by its end / requests received in the period",
       "share", "higher_better", "wilson"),
    _e("request_ontime_rate", "诉求按期办结率", "Requests closed by their due date",
       "期内受理、办理时限在期末前且在时限内办结的诉求 / 期内受理且办理时限在期末前的诉求",
       "Requests received in the period with due_on by its end and closed_on ≤ due_on / those with "
       "due_on by the period's end", "share", "higher_better", "wilson"),
    _e("request_median_days", "诉求办结天数中位数", "Median days to close a request",
       "受理到办结天数的中位数（Kaplan–Meier；期末未办结的诉求在期末删失）",
       "Median days from received_on to closed_on (Kaplan–Meier; requests open at the period's end "
       "censored there)", "days", "lower_better", "none"),
    _e("hotline_response_rate", "12345工单响应率", "12345 orders responded to in time",
       "纳入考核的12345工单中按时响应的比例（有“是否按时响应”时以其为准，否则响应日期不晚于受理次日）",
       "Assessed hotline orders received in the period responded to in time (responded_in_time when "
       "given, else responded_on ≤ received_on + 1 day) / assessed hotline orders",
       "share", "higher_better", "wilson",
       benchmark=_bench(0.997, "北京市接诉即办企业热线响应率（2019–2021）",
                        "Beijing enterprise hotline response rate (2019–2021)",
                        "北京市政务服务管理局接诉即办数据 / Beijing government service bureau")),
    _e("hotline_resolution_rate", "12345工单解决率", "12345 orders resolved",
       "纳入考核的12345工单中“已解决” / “已解决”与“未解决”之和",
       "Assessed hotline orders received in the period resolved / those resolved or unresolved",
       "share", "higher_better", "wilson",
       benchmark=_bench(0.943, "北京市12345热线解决率（2020年）", "Beijing 12345 hotline, 2020", _BEIJING)),
    _e("hotline_satisfaction_rate", "12345工单满意率", "12345 orders rated satisfied",
       "纳入考核的12345工单中“满意”与“基本满意” / 满意、基本满意与不满意之和",
       "Assessed hotline orders received in the period rated satisfied or fairly satisfied / those "
       "rated satisfied, fairly satisfied or dissatisfied", "share", "higher_better", "wilson",
       benchmark=_bench(0.941, "北京市12345热线满意率（2020年）", "Beijing 12345 hotline, 2020", _BEIJING)),
    _e("hotline_satisfaction_strict", "12345工单满意率（仅“满意”）", "12345 orders rated satisfied (strict)",
       "纳入考核的12345工单中“满意” / 满意、基本满意与不满意之和",
       "Assessed hotline orders rated satisfied / those rated satisfied, fairly satisfied or dissatisfied",
       "share", "higher_better", "wilson"),
]
HOTLINE = ("hotline_response_rate", "hotline_resolution_rate", "hotline_satisfaction_rate",
           "hotline_satisfaction_strict")
SUMS = ("received", "closed", "due", "ontime", "h_n", "h_resp", "h_res", "h_res_n", "h_sat", "h_fair", "h_sat_n")


def _data(ds, columns):
    return agg.table(ds, "requests", columns)


def _per_channel(ds, start, end, as_of) -> pd.DataFrame:
    """Per community and channel, requests received in [start, end] and the counts of every
    indicator but the median (the hotline counts of assessed hotline rows)."""
    hot = "channel = 'hotline' AND COALESCE(assessed, TRUE)"
    timely = (f"CASE WHEN responded_in_time IS NOT NULL THEN responded_in_time "
              f"ELSE responded_on <= received_on + INTERVAL {RESPONSE_DAYS} DAY AND responded_on <= $a END")
    return agg.query(
        f"""
        SELECT community_id, channel AS category, COUNT(*) AS received,
               SUM(CASE WHEN closed_on <= $e THEN 1 ELSE 0 END) AS closed,
               SUM(CASE WHEN due_on <= $e THEN 1 ELSE 0 END) AS due,
               SUM(CASE WHEN due_on <= $e AND closed_on <= due_on THEN 1 ELSE 0 END) AS ontime,
               SUM(CASE WHEN {hot} THEN 1 ELSE 0 END) AS h_n,
               SUM(CASE WHEN {hot} AND ({timely}) THEN 1 ELSE 0 END) AS h_resp,
               SUM(CASE WHEN {hot} AND resolution = 'resolved' THEN 1 ELSE 0 END) AS h_res,
               SUM(CASE WHEN {hot} AND resolution IN ('resolved', 'unresolved') THEN 1 ELSE 0 END) AS h_res_n,
               SUM(CASE WHEN {hot} AND satisfaction = 'satisfied' THEN 1 ELSE 0 END) AS h_sat,
               SUM(CASE WHEN {hot} AND satisfaction = 'fairly' THEN 1 ELSE 0 END) AS h_fair,
               SUM(CASE WHEN {hot} AND satisfaction IN ('satisfied', 'fairly', 'dissatisfied')
                        THEN 1 ELSE 0 END) AS h_sat_n
        FROM r WHERE received_on >= $s AND received_on <= $e
        GROUP BY community_id, channel
        """, {"s": start.to_pydatetime(), "e": end.to_pydatetime(), "a": as_of.to_pydatetime()},
        r=_data(ds, ["community_id", "channel", "received_on", "due_on", "closed_on", "responded_on",
                     "responded_in_time", "resolution", "satisfaction", "assessed"]),
    ).astype({"community_id": "str", "category": "str", **dict.fromkeys(SUMS, "float64")})


def _times(ds, start, end) -> pd.DataFrame:
    """Per request received in [start, end]: days to closure (event 1) or to the end (0)."""
    t = agg.query(
        "SELECT community_id, received_on, closed_on FROM r WHERE received_on >= ? AND received_on <= ?",
        [start.to_pydatetime(), end.to_pydatetime()],
        r=_data(ds, ["community_id", "received_on", "closed_on"]),
    )
    rec = pd.to_datetime(t["received_on"])
    closed = pd.to_datetime(t["closed_on"])
    event = (closed <= end).to_numpy()
    stop = closed.where(event, end)
    return pd.DataFrame({"community_id": t["community_id"].astype("str").to_numpy(),
                         "days": (stop - rec).dt.days.astype("float64").to_numpy(),
                         "event": event.astype("int64")})


def compute(ctx) -> pd.DataFrame:
    """Every requests indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    cov = Coverage.of(ds, "requests", "received_on", ("received_on", "responded_on", "closed_on"), ctx.as_of)
    ok, end, note = per.state(cov)
    out = []
    if any(ctx.wants(e["id"]) for e in CATALOG if e["id"] != "request_median_days"):
        as_of = cov.as_of if cov.as_of is not None else end
        c = _per_channel(ds, per.start, end, as_of)
        codes = tuple(REQUEST_CHANNELS)
        f = grid(ds, category=codes).merge(c, on=["community_id", "category"], how="left")
        f[list(SUMS)] = f[list(SUMS)].fillna(0.0)
        f["period"] = per.label
        rc = with_total(rollup(ds, ctx.levels, f, keys=["period", "category"], sums=list(SUMS)), SUMS)
        if ctx.wants("request_count"):
            out.append(count_rows("request_count", rc, rc["received"], ok, note))
        t = rc.loc[rc["category"].isna()].reset_index(drop=True)
        if ctx.wants("request_rate"):
            hh = sizes(ds, [per.size_year(end)])[["community_id", "households"]].assign(period=per.label)
            h = rollup(ds, ctx.levels, hh, keys=["period"], sums=["households"])
            t = t.merge(h[["level", "unit_id", "households"]], on=["level", "unit_id"], how="left")
            out.append(per_rows("request_rate", t, t["received"], t["households"], 1000.0, ok, note))
        for ind, k, n in (("request_closure_rate", "closed", "received"), ("request_ontime_rate", "ontime", "due"),
                          ("hotline_response_rate", "h_resp", "h_n"), ("hotline_resolution_rate", "h_res", "h_res_n"),
                          ("hotline_satisfaction_strict", "h_sat", "h_sat_n")):
            if ctx.wants(ind):
                out.append(share_rows(ind, t, t[k], t[n], ok, note))
        if ctx.wants("hotline_satisfaction_rate"):
            out.append(share_rows("hotline_satisfaction_rate", t, t["h_sat"] + t["h_fair"], t["h_sat_n"], ok, note))
    if ctx.wants("request_median_days"):
        out.append(_median_days(ctx, ok, end, note))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _median_days(ctx, ok, end, note):
    """request_median_days: the Kaplan–Meier median of days to closure, per unit."""
    per = ctx.period
    sk = skeleton(ctx, per.label)
    if not ok:
        return all_blank(sk, ["request_median_days"])
    from evalkit.stats.survival import kaplan_meier

    st = stacked(ctx, _times(ctx.ds, per.start, end))
    st["unit_key"] = unit_key(st)
    res = kaplan_meier(st, time="days", event="event", by="unit_key")
    r = sk.merge(res[["unit_key", "n", "median"]], on="unit_key", how="left")
    n = r["n"].fillna(0).to_numpy()
    o = with_note(rows("request_median_days", r, value=r["median"], n=n), None)
    o = blank(o, (n > 0) & r["median"].isna().to_numpy(), "never reaches 0.5")
    return undefined(with_note(o, note), True, n)
