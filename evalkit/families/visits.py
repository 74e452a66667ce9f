"""Household visits (入户走访): visits made, households reached, needs found.

From the ``visits`` ledger (one row per visit, 人次).  Definitions in
docs/INDICATORS.md ("Visits") and LEDGERS.md.  Households reached are distinct
``household_id`` values visited in the home or at the door, recounted at each
level (a household visited by two communities' workers is one household of
their district); a coverage above 1 -- more households reached than the
register holds -- is shown as it is, with the note ``above 1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.contract import VISIT_MODES
from evalkit.families import _aggregate as agg
from evalkit.families._coverage import Coverage, catalog_entry, cover, grid, ratio, rollup, rows, sizes, undefined
from evalkit.families._units import count_rows, distinct, sum_rows, with_total

FAMILY = "visits"
TABLES = ("visits", "communities")
NEEDS: dict[str, tuple[str, ...]] = {}
NO_WINDOW: frozenset[str] = frozenset()
#: Modes in which a visit reaches the household itself.
REACHING = ("in_home", "doorstep")
ABOVE_ONE = "above 1"


def _e(id, name_zh, name_en, def_zh, def_en, unit, direction, category=None, total=False):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit, direction=direction,
                         interval="none", category=category, total=total)


CATALOG = [
    _e("visit_count", "入户走访人次", "Household visits",
       "期内走访人次（合计及按走访方式）", "Visits in the period (in all and by mode)",
       "count", "descriptive", category="visit_mode", total=True),
    _e("visit_household_coverage", "走访户覆盖率", "Households reached",
       "期内入户或敲门走访到的不同户数 / 户数（大于 1 时标注，不截断）",
       "Distinct households visited in the home or at the door in the period / households "
       "(values above 1 are flagged, not capped)", "share", "higher_better"),
    _e("visit_needs_found", "走访发现需求数", "Needs found on visits",
       "期内走访发现的需求数之和", "Sum of needs_found of the visits in the period", "count", "descriptive"),
]


def _data(ds, columns):
    return agg.table(ds, "visits", columns)


def _by_mode(ds, start, end) -> pd.DataFrame:
    """Visits and needs found in [start, end] per community and mode."""
    return agg.query(
        """
        SELECT community_id, COALESCE(mode, 'in_home') AS category, COUNT(*) AS visits,
               SUM(COALESCE(needs_found, 0)) AS needs
        FROM v WHERE visited_on >= ? AND visited_on <= ? GROUP BY 1, 2
        """, [start.to_pydatetime(), end.to_pydatetime()],
        v=_data(ds, ["community_id", "mode", "needs_found", "visited_on"]),
    ).astype({"community_id": "str", "category": "str", "visits": "float64", "needs": "float64"})


def compute(ctx) -> pd.DataFrame:
    """Every visits indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    cov = Coverage.of(ds, "visits", "visited_on", ("visited_on",), ctx.as_of)
    ok, end, note = per.state(cov)
    out = []
    if ctx.wants("visit_count") or ctx.wants("visit_needs_found"):
        codes = tuple(VISIT_MODES)
        c = _by_mode(ds, per.start, end)
        f = grid(ds, category=codes).merge(c.loc[c["category"].isin(codes)], on=["community_id", "category"],
                                           how="left").fillna({"visits": 0.0, "needs": 0.0})
        f["period"] = per.label
        rc = with_total(rollup(ds, ctx.levels, f, keys=["period", "category"], sums=["visits", "needs"]),
                        ["visits", "needs"])
        if ctx.wants("visit_count"):
            out.append(count_rows("visit_count", rc, rc["visits"], ok, note, interval=False))
        if ctx.wants("visit_needs_found"):
            t = rc.loc[rc["category"].isna()]
            out.append(sum_rows("visit_needs_found", t, t["needs"], t["visits"], ok, note,
                                source=(ds, "visits", "needs_found")))
    if ctx.wants("visit_household_coverage"):
        out.append(_coverage(ctx, ok, end, note))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _coverage(ctx, ok, end, note):
    per = ctx.period
    modes = ", ".join(f"'{m}'" for m in REACHING)
    d = distinct(ctx, _data(ctx.ds, ["community_id", "household_id", "mode", "visited_on"]), "household_id",
                 f"COALESCE(t.mode, 'in_home') IN ({modes}) AND t.visited_on >= ? AND t.visited_on <= ?",
                 [per.start.to_pydatetime(), end.to_pydatetime()], period=per.label)
    hh = sizes(ctx.ds, [per.size_year(end)])[["community_id", "households"]].assign(period=per.label)
    h = rollup(ctx.ds, ctx.levels, hh, keys=["period"], sums=["households"])
    d = d.merge(h[["level", "unit_id", "households"]], on=["level", "unit_id"], how="left")
    k, n = d["k"].to_numpy(), d["households"].to_numpy()
    above = ABOVE_ONE if not note else f"{ABOVE_ONE}; {note}"
    flag = np.where(np.asarray(ratio(k, n) > 1, dtype=bool), above, None)
    o = rows("visit_household_coverage", d, value=ratio(k, n), n=k, numerator=k, denominator=n, note=flag)
    return undefined(cover(o, ok, note), ok, n)
