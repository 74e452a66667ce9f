"""Volunteers (志愿服务): registration, activity, hours and retention.

Definitions in docs/INDICATORS.md ("Volunteers").  A volunteer's hours
count for the volunteer's community, wherever they were served.  The two
tables are aggregated once per year with DuckDB (one row per community, and
per community and service type); higher levels sum those counts.
"""

from __future__ import annotations

import pandas as pd

from evalkit.contract import SERVICE_TYPES
from evalkit.families import _aggregate as agg
from evalkit.families._coverage import (
    Coverage, catalog_entry, cover, garwood, grid, ratio, rollup, rows, sizes, undefined, wilson, with_year,
)
from evalkit.families._units import all_blank, count_rows, distinct, present, skeleton

FAMILY = "volunteers"
TABLES = ("volunteers", "volunteer_hours", "communities")
NEEDS: dict[str, tuple[str, ...]] = {}
#: Indicators that need calendar years (left out of a window, see evalkit.families._period).
NO_WINDOW = frozenset({"volunteer_retention"})
CATEGORIES = tuple(SERVICE_TYPES)


def _e(id, name_zh, name_en, def_zh, def_en, unit, interval, category=None,
       direction="higher_better", benchmark=None):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit,
                         direction=direction, interval=interval, category=category,
                         benchmark=benchmark)


CATALOG = [
    _e("volunteer_registration_rate", "注册志愿者比例（每百名居民）", "Registered volunteers per 100 residents",
       "期末前注册且期初前未注销的志愿者数 × 100 / 常住人口",
       "100 × volunteers registered by the period's end and not left before its start / population",
       "per_100_residents", "garwood",
       benchmark={"value": 23.0, "scope_zh": "上海市，2021 年（全国 2016 年为 2.56）",
                  "scope_en": "Shanghai, 2021 (2.56 nationally in 2016)",
                  "source": "press reports (Xinhua 2016; Shanghai Volunteer Association 2021)"}),
    _e("volunteer_active_rate", "志愿者活跃率", "Active volunteer share",
       "期内有服务记录的注册志愿者 / 注册志愿者",
       "Registered volunteers with a service record in the period / registered volunteers",
       "share", "wilson"),
    _e("volunteer_hours_per_resident", "人均志愿服务时长", "Volunteer hours per resident",
       "期内服务时长 / 常住人口", "Service hours in the period / population", "hours_per_resident", "none"),
    _e("volunteer_hours_per_active", "活跃志愿者人均服务时长", "Hours per active volunteer",
       "期内服务时长 / 活跃志愿者数", "Service hours in the period / active volunteers",
       "hours_per_volunteer", "none"),
    _e("volunteer_party_share", "活跃志愿者中党员比例", "Party members among active volunteers",
       "活跃志愿者中的党员 / 活跃志愿者", "Party members among active volunteers / active volunteers",
       "share", "wilson", direction="descriptive"),
    _e("volunteer_retention", "志愿者留存率", "Volunteer retention",
       "上年活跃且本期再次活跃的志愿者 / 上年活跃志愿者",
       "Volunteers active in the year before and active again in the period / those active the year before",
       "share", "wilson"),
    _e("volunteer_hours_share", "服务时长构成", "Hours share by service type",
       "某类服务时长 / 全部服务时长（服务类型缺失的时长只计入分母）",
       "Hours of the service type / all hours (hours without a type count in the denominator only)",
       "share", "none", category="service_type", direction="descriptive"),
    _e("volunteer_new_registrations", "新注册志愿者数", "New volunteer registrations",
       "期内注册的志愿者数", "Volunteers with registered_on in the period", "count", "garwood",
       direction="descriptive",
       benchmark={"value": 10615.0, "scope_zh": "深圳市南山区，2008年上半年新增注册义工",
                  "scope_en": "Nanshan district, Shenzhen: new registered volunteers in the first half of 2008",
                  "source": "source case 002 (今年上半年，全区新增注册义工10615名)"}),
    _e("volunteer_team_count", "志愿服务队数", "Volunteer teams",
       "期内活跃志愿者所属的不同志愿服务队数（各层级重新去重；队名按填写原样比较）",
       "Distinct teams among volunteers active in the period (recounted at each level; team names "
       "compared as written)", "count", "none", direction="descriptive"),
]


def _per_community(ds, start, end, p0, p1):
    """Registered, newly registered, active, party-active, previous-year active and retained
    volunteers per community.

    Registered in [start, end]: registered_on <= end and (left_on empty or >= start);
    new: registered_on in [start, end]; active: registered with a service record in
    [start, end]; the year before, [p0, p1], likewise.
    """
    prm = {"p0": p0.to_pydatetime(), "p1": p1.to_pydatetime(), "s": start.to_pydatetime(),
           "e": end.to_pydatetime()}
    return agg.query(
        """
        WITH a AS (
            SELECT volunteer_id,
                   MAX(CASE WHEN served_on >= $p0 AND served_on <= $p1 THEN 1 ELSE 0 END) AS act0,
                   MAX(CASE WHEN served_on >= $s AND served_on <= $e THEN 1 ELSE 0 END) AS act1
            FROM h WHERE (served_on >= $p0 AND served_on <= $p1) OR (served_on >= $s AND served_on <= $e)
            GROUP BY 1
        ), v2 AS (
            SELECT community_id, volunteer_id, COALESCE(party_member, FALSE) AS party,
                   CASE WHEN registered_on <= $p1 AND (left_on IS NULL OR left_on >= $p0) THEN 1 ELSE 0 END AS reg0,
                   CASE WHEN registered_on <= $e AND (left_on IS NULL OR left_on >= $s) THEN 1 ELSE 0 END AS reg1,
                   CASE WHEN registered_on >= $s AND registered_on <= $e THEN 1 ELSE 0 END AS new1
            FROM v
        )
        SELECT v2.community_id,
               SUM(reg1) AS registered,
               SUM(new1) AS new,
               SUM(CASE WHEN reg1 = 1 AND a.act1 = 1 THEN 1 ELSE 0 END) AS active,
               SUM(CASE WHEN reg1 = 1 AND a.act1 = 1 AND party THEN 1 ELSE 0 END) AS party_active,
               SUM(CASE WHEN reg0 = 1 AND a.act0 = 1 THEN 1 ELSE 0 END) AS active_prev,
               SUM(CASE WHEN reg0 = 1 AND a.act0 = 1 AND reg1 = 1 AND a.act1 = 1 THEN 1 ELSE 0 END)
                   AS retained
        FROM v2 LEFT JOIN a ON v2.volunteer_id = a.volunteer_id
        GROUP BY 1
        """, prm, v=agg.table(ds, "volunteers", ["community_id", "volunteer_id", "party_member", "registered_on",
                                                 "left_on"]),
        h=agg.table(ds, "volunteer_hours", ["volunteer_id", "served_on"]),
    ).astype({"community_id": "str"})


def _hours(ds, start, end):
    """Hours and records per community and service type in [start, end]."""
    return agg.query(
        """
        SELECT v.community_id, COALESCE(h.service_type, '') AS category,
               SUM(h.hours) AS hours, COUNT(*) AS records
        FROM h JOIN v ON h.volunteer_id = v.volunteer_id
        WHERE h.served_on >= ? AND h.served_on <= ?
        GROUP BY 1, 2
        """, [start.to_pydatetime(), end.to_pydatetime()],
        v=agg.table(ds, "volunteers", ["community_id", "volunteer_id"]),
        h=agg.table(ds, "volunteer_hours", ["volunteer_id", "served_on", "hours", "service_type"]),
    ).astype({"community_id": "str", "category": "str", "hours": "float64", "records": "float64"})


def compute(ctx) -> pd.DataFrame:
    """Every volunteers indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    as_of = ctx.as_of
    ext = {**agg.extremes(ds, "volunteers", ["registered_on", "left_on"]),
           **agg.extremes(ds, "volunteer_hours", ["served_on"])}
    if as_of is None:
        dates = [ext[c][1] for c in ("registered_on", "left_on", "served_on") if ext[c][1] is not None]
        as_of = max(dates) if dates else per.end
    cov_reg = Coverage.from_extremes(ext, "registered_on", (), pd.Timestamp(as_of))
    cov_act = Coverage.from_extremes(ext, "served_on", (), pd.Timestamp(as_of))
    ok_r, end, note_r = per.state(cov_reg)
    ok_a, end_h, note_a = per.state(cov_act)
    start = per.start
    year = ctx.year
    if per.is_window:  # no year before: retention is left out of a window
        ok_p, note_p, p0, p1 = False, None, start, start - pd.Timedelta(days=1)
    else:
        ok_p, _end_p, note_p = cov_act.year(year - 1)
        p0, p1 = pd.Timestamp(year - 1, 1, 1), pd.Timestamp(year - 1, 12, 31)

    c = _per_community(ds, start, min(end, end_h), p0, p1)
    hb = _hours(ds, start, end_h)
    tot_h = hb.groupby("community_id", as_index=False)[["hours", "records"]].sum()
    f = grid(ctx.ds).merge(c, on="community_id", how="left").merge(tot_h, on="community_id", how="left")
    cols = ["registered", "new", "active", "party_active", "active_prev", "retained", "hours", "records"]
    f[cols] = f[cols].astype("float64").fillna(0.0)
    f = f.merge(sizes(ds, [per.size_year(end)])[["community_id", "population"]], on="community_id")
    f["period"] = per.label
    r = rollup(ds, ctx.levels, f, keys=["period"], sums=cols + ["population"])

    out = []
    reg, act, pop, h = (r[k].to_numpy() for k in ("registered", "active", "population", "hours"))
    if ctx.wants("volunteer_registration_rate"):
        lo, hi = garwood(reg)
        o = rows("volunteer_registration_rate", r, value=100 * ratio(reg, pop), ci_low=100 * ratio(lo, pop),
                 ci_high=100 * ratio(hi, pop), n=reg, numerator=reg, denominator=pop)
        out.append(cover(o, ok_r, note_r))
    share_defs = [
        ("volunteer_active_rate", "active", "registered", ok_r and ok_a, lambda: note_a or note_r),
        ("volunteer_party_share", "party_active", "active", ok_a, lambda: note_a),
        ("volunteer_retention", "retained", "active_prev", ok_a and ok_p,
         lambda: with_year(note_a, year - 1, note_p)),
    ]
    for ind, num, den, ok, note_of in share_defs:
        if ctx.wants(ind):
            note = note_of()
            k, n = r[num].to_numpy(), r[den].to_numpy()
            lo, hi = wilson(k, n)
            o = rows(ind, r, value=ratio(k, n), ci_low=lo, ci_high=hi, n=n, numerator=k, denominator=n)
            out.append(undefined(cover(o, ok, note), ok, n))
    if ctx.wants("volunteer_hours_per_resident"):
        o = rows("volunteer_hours_per_resident", r, value=ratio(h, pop), n=r["records"],
                 numerator=h, denominator=pop)
        out.append(cover(o, ok_a, note_a))
    if ctx.wants("volunteer_hours_per_active"):
        o = rows("volunteer_hours_per_active", r, value=ratio(h, act), n=act, numerator=h, denominator=act)
        out.append(undefined(cover(o, ok_a, note_a), ok_a, act))
    if ctx.wants("volunteer_hours_share"):
        hb = hb.loc[hb["category"].isin(CATEGORIES)]
        g = grid(ds, category=CATEGORIES).merge(hb, on=["community_id", "category"], how="left")
        g = g.fillna({"hours": 0.0, "records": 0.0}).merge(
            f[["community_id", "hours", "records"]].rename(columns={"hours": "all_hours", "records": "all_records"}),
            on="community_id")
        g["period"] = per.label
        rc = rollup(ds, ctx.levels, g, keys=["period", "category"],
                    sums=["hours", "records", "all_hours", "all_records"])
        o = rows("volunteer_hours_share", rc, value=ratio(rc["hours"], rc["all_hours"]),
                 n=rc["all_records"], numerator=rc["hours"], denominator=rc["all_hours"])
        out.append(undefined(cover(o, ok_a, note_a), ok_a, rc["all_hours"]))
    if ctx.wants("volunteer_new_registrations"):
        out.append(count_rows("volunteer_new_registrations", r, r["new"], ok_r, note_r))
    if ctx.wants("volunteer_team_count"):
        out.append(_teams(ctx, ok_a, end_h, note_a))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _teams(ctx, ok, end, note):
    """volunteer_team_count: distinct teams of the volunteers active in the period, per unit."""
    per = ctx.period
    if not present(ctx.ds, "volunteers", "team"):
        return all_blank(skeleton(ctx, per.label), ["volunteer_team_count"], "not recorded")
    v = agg.table(ctx.ds, "volunteers", ["community_id", "volunteer_id", "team"])
    h = agg.table(ctx.ds, "volunteer_hours", ["volunteer_id", "served_on"])
    teams = agg.query(
        """
        SELECT DISTINCT community_id, team FROM v
        WHERE team IS NOT NULL AND volunteer_id IN (SELECT volunteer_id FROM h WHERE served_on >= ? AND served_on <= ?)
        """, [per.start.to_pydatetime(), end.to_pydatetime()], v=v, h=h,
    ).astype({"community_id": "str", "team": "str"})
    d = distinct(ctx, teams, "team", period=per.label)
    return count_rows("volunteer_team_count", d, d["k"], ok, note, interval=False)

