"""Deliberation (议事协商): meetings, units present, monthly 议事日, items carried out, funds.

From the ``deliberations`` ledger (one row per item of a meeting; the meeting's
columns repeat on its rows).  Definitions in docs/INDICATORS.md ("Deliberation")
and LEDGERS.md.  A meeting is the pair (community_id, meeting_id): its rows are
collapsed to one before meetings are counted, so a meeting with five items is
one meeting, and two communities' meetings that happen to share a number are
two.  Items are the rows themselves; sums (items, funds) run over them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.contract import ISSUE_CATEGORIES, MEETING_TYPES
from evalkit.families import _aggregate as agg
from evalkit.families._coverage import Coverage, catalog_entry, grid, rollup
from evalkit.families._units import all_blank, count_rows, share_rows, skeleton, sum_rows, with_total

FAMILY = "deliberation"
TABLES = ("deliberations", "communities")
NEEDS: dict[str, tuple[str, ...]] = {}
NO_WINDOW: frozenset[str] = frozenset()
#: Meeting types that make a month count for ``meeting_month_coverage`` (monthly 议事日).
MONTHLY_TYPES = ("deliberation", "joint")


def _e(id, name_zh, name_en, def_zh, def_en, unit, direction, interval, category=None,
       benchmark=None, total=False):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit, direction=direction,
                         interval=interval, category=category, benchmark=benchmark, total=total)


CATALOG = [
    _e("meeting_count", "议事协商会议次数", "Deliberation meetings held",
       "期内召开的会议数（按会议编号去重；另有按月数值）",
       "Distinct meetings held in the period (also monthly)", "count", "descriptive", "none",
       category="meeting_type", total=True),
    _e("meeting_unit_share", "有驻区单位参加的会议占比", "Meetings with units present",
       "期内参会单位数 ≥ 1 的会议 / 期内记录了参会单位数的会议",
       "Meetings held in the period with units_present ≥ 1 / meetings with units_present recorded",
       "share", "higher_better", "wilson"),
    _e("meeting_month_coverage", "月度议事覆盖率", "Months with a deliberation meeting",
       "期内（台账覆盖范围内的整月）至少召开一次议事协商会或联席会议的月数 / 月数；上级汇总社区-月",
       "Whole months of the period within the ledger's coverage with ≥ 1 deliberation or joint "
       "meeting / those months; higher levels sum community-months",
       "share", "higher_better", "none",
       benchmark={"value": 1.0, "scope_zh": "每月一次“小区议事日”（连云港，每月10日）",
                  "scope_en": "a monthly residents' deliberation day (Lianyungang, the 10th of each month)",
                  "source": "source case 004, Lianyungang (《中国社区报》2024-07-30)"}),
    _e("deliberation_implementation_rate", "议题落实率", "Agreed items carried out",
       "期内会议达成共识且在期末前落实的议题 / 期内会议达成共识的议题",
       "Agreed items of meetings held in the period with implemented_on by its end / agreed items",
       "share", "higher_better", "wilson", category="issue_category", total=True),
    _e("deliberation_funds", "协调资金", "Funds coordinated",
       "期内会议各议题协调资金之和（元）", "Sum of the funds of the items of meetings held in the period",
       "yuan", "descriptive", "none"),
]
MEETINGS = ("meeting_count", "meeting_unit_share")
ITEMS = ("deliberation_implementation_rate", "deliberation_funds")


def _data(ds, columns):
    return agg.table(ds, "deliberations", columns)


def _meetings_sql(where: str = "TRUE") -> str:
    """One row per meeting (community_id, meeting_id): its date, type and units present."""
    return f"""
        SELECT community_id, meeting_id, MIN(held_on) AS held_on, MIN(meeting_type) AS meeting_type,
               MAX(units_present) AS units
        FROM d WHERE {where} GROUP BY community_id, meeting_id
    """


def _by_type(ds, start, end) -> pd.DataFrame:
    """Meetings held in [start, end] per community and type: all, with units, units recorded."""
    return agg.query(
        f"""
        WITH m AS ({_meetings_sql()})
        SELECT community_id, meeting_type AS category, COUNT(*) AS meetings,
               SUM(CASE WHEN units >= 1 THEN 1 ELSE 0 END) AS with_units,
               SUM(CASE WHEN units IS NOT NULL THEN 1 ELSE 0 END) AS recorded
        FROM m WHERE held_on >= ? AND held_on <= ? GROUP BY community_id, meeting_type
        """, [start.to_pydatetime(), end.to_pydatetime()],
        d=_data(ds, ["community_id", "meeting_id", "held_on", "meeting_type", "units_present"]),
    ).astype({"community_id": "str", "category": "str", "meetings": "float64",
              "with_units": "float64", "recorded": "float64"})


def _monthly(ds, as_of: pd.Timestamp) -> pd.DataFrame:
    """Meetings per community and calendar month up to the as-of date (cached): all, and of
    the types of :data:`MONTHLY_TYPES`."""
    types = ", ".join(f"'{t}'" for t in MONTHLY_TYPES)

    def run():
        return agg.query(
            f"""
            WITH m AS ({_meetings_sql()})
            SELECT community_id, CAST(year(held_on) AS INTEGER) AS y, CAST(month(held_on) AS INTEGER) AS m,
                   COUNT(*) AS meetings,
                   SUM(CASE WHEN meeting_type IN ({types}) THEN 1 ELSE 0 END) AS monthly
            FROM m WHERE held_on <= ? GROUP BY 1, 2, 3
            """, [as_of.to_pydatetime()],
            d=_data(ds, ["community_id", "meeting_id", "held_on", "meeting_type", "units_present"]),
        ).astype({"community_id": "str", "y": "int64", "m": "int64", "meetings": "float64",
                  "monthly": "float64"})
    return agg.cached(f"deliberation.monthly.{as_of}", agg.identity(ds, "deliberations"), run)


def _items(ds, start, end) -> pd.DataFrame:
    """Items of meetings held in [start, end] per community and issue category."""
    return agg.query(
        """
        SELECT community_id, category, COUNT(*) AS items,
               SUM(CASE WHEN outcome = 'agreed' THEN 1 ELSE 0 END) AS agreed,
               SUM(CASE WHEN outcome = 'agreed' AND implemented_on <= ? THEN 1 ELSE 0 END) AS implemented,
               SUM(funds) AS funds
        FROM d WHERE held_on >= ? AND held_on <= ? GROUP BY community_id, category
        """, [end.to_pydatetime(), start.to_pydatetime(), end.to_pydatetime()],
        d=_data(ds, ["community_id", "category", "outcome", "implemented_on", "funds", "held_on"]),
    ).astype({"community_id": "str", "category": "str", "items": "float64", "agreed": "float64",
              "implemented": "float64", "funds": "float64"})


def _by_category(ctx, frame, codes, sums):
    """Per-community category sums rolled up to every level, with the total row."""
    f = grid(ctx.ds, category=codes).merge(frame.loc[frame["category"].isin(codes)],
                                           on=["community_id", "category"], how="left")
    f[list(sums)] = f[list(sums)].fillna(0.0)
    f["period"] = ctx.period.label
    rc = rollup(ctx.ds, ctx.levels, f, keys=["period", "category"], sums=list(sums))
    return with_total(rc, sums)


def compute(ctx) -> pd.DataFrame:
    """Every deliberation indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    cov = Coverage.of(ds, "deliberations", "held_on", ("held_on", "implemented_on"), ctx.as_of)
    ok, end, note = per.state(cov)
    out = []
    if any(ctx.wants(i) for i in MEETINGS):
        r = _by_category(ctx, _by_type(ds, per.start, end), tuple(MEETING_TYPES),
                         ("meetings", "with_units", "recorded"))
        if ctx.wants("meeting_count"):
            out.append(count_rows("meeting_count", r, r["meetings"], ok, note, interval=False))
            if not per.is_window:
                out.append(_monthly_counts(ctx, cov))
        if ctx.wants("meeting_unit_share"):
            t = r.loc[r["category"].isna()]
            out.append(share_rows("meeting_unit_share", t, t["with_units"], t["recorded"], ok, note))
    if ctx.wants("meeting_month_coverage"):
        out.append(_month_coverage(ctx, cov, ok, end, note))
    if any(ctx.wants(i) for i in ITEMS):
        r = _by_category(ctx, _items(ds, per.start, end), tuple(ISSUE_CATEGORIES),
                         ("items", "agreed", "implemented", "funds"))
        if ctx.wants("deliberation_implementation_rate"):
            out.append(share_rows("deliberation_implementation_rate", r, r["implemented"], r["agreed"],
                                  ok, note))
        if ctx.wants("deliberation_funds"):
            t = r.loc[r["category"].isna()]
            out.append(sum_rows("deliberation_funds", t, t["funds"], t["items"], ok, note,
                                source=(ds, "deliberations", "funds")))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _monthly_counts(ctx, cov):
    """meeting_count of each month of the year (period ``2024-03``): a month without a
    meeting is 0, a month outside the ledger's coverage ``no data``."""
    year = ctx.year
    m = _monthly(ctx.ds, cov.as_of if cov.as_of is not None else ctx.period.end)
    m = m.loc[m["y"] == year, ["community_id", "m", "meetings"]]
    f = grid(ctx.ds, m=range(1, 13)).merge(m, on=["community_id", "m"], how="left").fillna({"meetings": 0.0})
    f["period"] = f["m"].map(lambda x: f"{year}-{x:02d}")
    r = rollup(ctx.ds, ctx.levels, f, keys=["period"], sums=["meetings"])
    parts = []
    for mo in range(1, 13):
        start = pd.Timestamp(year, mo, 1)
        ok, _end, note = cov.state(start, start + pd.offsets.MonthEnd(0))
        sel = r.loc[r["period"] == f"{year}-{mo:02d}"]
        parts.append(count_rows("meeting_count", sel, sel["meetings"], ok, note, interval=False))
    return pd.concat(parts, ignore_index=True)


def _month_coverage(ctx, cov, ok, end, note):
    """meeting_month_coverage: community-months with a monthly-type meeting / community-months."""
    per = ctx.period
    sk = skeleton(ctx, per.label)
    if not ok:
        return all_blank(sk, ["meeting_month_coverage"])
    months = per.months(cov.first, end)
    ym = pd.DataFrame({"y": months.year.astype("int64"), "m": months.month.astype("int64")})
    m = _monthly(ctx.ds, cov.as_of)
    m = m.loc[m["monthly"] > 0].merge(ym, on=["y", "m"])
    hit = m.groupby("community_id", as_index=False).size().rename(columns={"size": "hit"})
    f = grid(ctx.ds).merge(hit, on="community_id", how="left").fillna({"hit": 0.0})
    f["months"] = float(len(ym))
    f["period"] = per.label
    r = rollup(ctx.ds, ctx.levels, f, keys=["period"], sums=["hit", "months"])
    o = share_rows("meeting_month_coverage", r, r["hit"], r["months"], ok, note, interval=False)
    if len(ym) == 0:
        o["note"] = np.where(o["note"].isna() | (o["note"] == "no data"), "no whole month", o["note"])
    return o
