"""Party members (党员队伍): the floating-member sweep, transfers in, 双报到, owners' committees.

From the ``party_members`` roster (one row per member known to the community's
organisation).  Definitions in docs/INDICATORS.md ("Party") and LEDGERS.md.
Only counts and rates reach the output, never a member's row.  The roster at a
date is every member not left by then (``left_on`` empty or later).  Coverage
runs from the month of the roster's first date (found, lost, transferred in,
reported or left) to the as-of date (the latest such date when not given).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.families import _aggregate as agg
from evalkit.families._coverage import Coverage, catalog_entry, grid, rollup
from evalkit.families._units import count_rows, share_rows

FAMILY = "party"
TABLES = ("party_members", "communities")
NEEDS = {"party_reporting_active_share": ("volunteers", "volunteer_hours")}
#: A yearly community fact (community_years.owners_committee_members) is its denominator.
NO_WINDOW = frozenset({"party_owners_committee_share"})
DATES = ("found_on", "lost_since", "transferred_in_on", "reported_on", "left_on")
ABOVE_ONE = "numerator above denominator"


def _e(id, name_zh, name_en, def_zh, def_en, unit, direction, interval, benchmark=None):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit, direction=direction,
                         interval=interval, benchmark=benchmark)


CATALOG = [
    _e("party_floating_found_share", "流入党员查找率", "Floating Party members found",
       "期内查找到的流入党员 / 期末花名册上的流入党员（未转出，不论是否找到）",
       "Floating-in members with found_on in the period / floating-in members on the roster at its "
       "end (not left by then, found or not)", "share", "higher_better", "wilson"),
    _e("party_transfer_in_count", "组织关系转入人数", "Party members transferred in",
       "期内组织关系转入的党员数", "Members with transferred_in_on in the period", "count",
       "higher_better", "none"),
    _e("party_reporting_active_share", "在职党员双报到活跃率", "Reporting members active as volunteers",
       "期末前报到且期初前未转出的在职党员中，期内有志愿服务记录的比例（经志愿者编号关联）",
       "Reporting members (reported by the period's end, not left before its start) with a "
       "volunteer_hours record in the period through volunteer_id / those members",
       "share", "higher_better", "wilson",
       benchmark={"value": 0.95, "scope_zh": "在职党员到社区报到并参加服务（地方考核规则）",
                  "scope_en": "reporting members taking part in community service (a local rule)",
                  "source": "a local assessment rule (LEDGERS.md)"}),
    _e("party_owners_committee_share", "业委会委员中党员比例", "Party members on owners' committees",
       "期末花名册上标记为业委会成员的党员 / 社区年度数据中的业委会委员数",
       "Members flagged owners_committee on the roster at the period's end / "
       "community_years.owners_committee_members", "share", "higher_better", "wilson",
       benchmark={"value": 0.60, "scope_zh": "深圳市南山区新成立和换届业委会中党员、公职人员比例（60%以上）",
                  "scope_en": "Party members and public servants on new owners' committees, Nanshan (60%+)",
                  "source": "source case 002, Nanshan district, Shenzhen (2008)"}),
]


def _coverage(ds, as_of) -> Coverage:
    ext = agg.extremes(ds, "party_members", DATES)
    firsts = [v[0] for v in ext.values() if v[0] is not None]
    lasts = [v[1] for v in ext.values() if v[1] is not None]
    if not firsts:
        return Coverage(None, as_of)
    return Coverage(min(firsts), as_of if as_of is not None else max(lasts))


def _roster(ds, start, end) -> pd.DataFrame:
    """Per community: floating-in members on the roster at ``end`` and those found in
    [start, end], transfers in, owners' committee members on the roster."""
    return agg.query(
        """
        SELECT community_id,
               SUM(CASE WHEN relation = 'floating_in' AND (left_on IS NULL OR left_on > $e) THEN 1 ELSE 0 END)
                   AS floating,
               SUM(CASE WHEN relation = 'floating_in' AND (left_on IS NULL OR left_on > $e)
                        AND found_on >= $s AND found_on <= $e THEN 1 ELSE 0 END) AS found,
               SUM(CASE WHEN transferred_in_on >= $s AND transferred_in_on <= $e THEN 1 ELSE 0 END) AS transfers,
               SUM(CASE WHEN owners_committee AND (left_on IS NULL OR left_on > $e) THEN 1 ELSE 0 END) AS oc
        FROM p GROUP BY community_id
        """, {"s": start.to_pydatetime(), "e": end.to_pydatetime()},
        p=agg.table(ds, "party_members", ["community_id", "relation", "found_on", "transferred_in_on",
                                          "left_on", "owners_committee"]),
    ).astype({"community_id": "str", "floating": "float64", "found": "float64", "transfers": "float64",
              "oc": "float64"})


def _reporting(ds, start, end) -> pd.DataFrame:
    """Per community: reporting members (reported by ``end``, not left before ``start``) and
    those with a service record in [start, end] through their volunteer_id."""
    return agg.query(
        """
        WITH act AS (SELECT DISTINCT volunteer_id FROM h WHERE served_on >= $s AND served_on <= $e)
        SELECT p.community_id, COUNT(*) AS reporting,
               SUM(CASE WHEN act.volunteer_id IS NOT NULL THEN 1 ELSE 0 END) AS active
        FROM p LEFT JOIN act ON p.volunteer_id = act.volunteer_id
        WHERE p.relation = 'reporting' AND p.reported_on <= $e AND (p.left_on IS NULL OR p.left_on >= $s)
        GROUP BY p.community_id
        """, {"s": start.to_pydatetime(), "e": end.to_pydatetime()},
        p=agg.table(ds, "party_members", ["community_id", "relation", "reported_on", "left_on", "volunteer_id"]),
        h=agg.table(ds, "volunteer_hours", ["volunteer_id", "served_on"]),
    ).astype({"community_id": "str", "reporting": "float64", "active": "float64"})


def _committee_members(ds, year: int) -> pd.DataFrame:
    """community_years.owners_committee_members of ``year`` (communities without it absent)."""
    cy = ds["community_years"] if ds.has("community_years") else None
    if cy is None or "owners_committee_members" not in cy.columns:
        return pd.DataFrame({"community_id": pd.Series(dtype="str"), "oc_members": pd.Series(dtype="float64")})
    cy = cy.loc[(cy["year"] == year) & cy["owners_committee_members"].notna(),
                ["community_id", "owners_committee_members"]]
    return pd.DataFrame({"community_id": cy["community_id"].astype("str").to_numpy(),
                         "oc_members": cy["owners_committee_members"].astype("float64").to_numpy()})


def compute(ctx) -> pd.DataFrame:
    """Every party indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    cov = _coverage(ds, ctx.as_of)
    ok, end, note = per.state(cov)
    f = grid(ds).merge(_roster(ds, per.start, end), on="community_id", how="left")
    f[["floating", "found", "transfers", "oc"]] = f[["floating", "found", "transfers", "oc"]].fillna(0.0)
    sums = ["floating", "found", "transfers"]
    want_rep = ctx.wants("party_reporting_active_share") and ds.has("volunteer_hours")
    if want_rep:
        f = f.merge(_reporting(ds, per.start, end), on="community_id", how="left")
        f[["reporting", "active"]] = f[["reporting", "active"]].fillna(0.0)
        sums += ["reporting", "active"]
    if ctx.wants("party_owners_committee_share"):
        f = f.merge(_committee_members(ds, ctx.year), on="community_id", how="left")
        f["oc_flagged"] = f["oc"].where(f["oc_members"].notna())  # communities with the figure only
        sums += ["oc_flagged", "oc_members"]
    f["period"] = per.label
    r = rollup(ds, ctx.levels, f, keys=["period"], sums=sums)
    out = []
    if ctx.wants("party_floating_found_share"):
        out.append(share_rows("party_floating_found_share", r, r["found"], r["floating"], ok, note))
    if ctx.wants("party_transfer_in_count"):
        out.append(count_rows("party_transfer_in_count", r, r["transfers"], ok, note, interval=False))
    if want_rep:
        out.append(share_rows("party_reporting_active_share", r, r["active"], r["reporting"], ok, note))
    if ctx.wants("party_owners_committee_share"):
        k, n = r["oc_flagged"].to_numpy(), r["oc_members"].to_numpy()
        o = share_rows("party_owners_committee_share", r, k, n, ok, note)
        if ok:  # more flagged members than committee seats: shown, flagged, without an interval
            above = np.asarray(k > n, dtype=bool)
            o.loc[above, ["ci_low", "ci_high"]] = np.nan
            o.loc[above, "note"] = ABOVE_ONE
        out.append(o)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
