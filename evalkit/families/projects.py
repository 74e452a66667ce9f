"""Funded projects (公益创投项目): money granted, organisations funded, projects completed.

From the ``projects`` ledger (one row per project and community; a project in
several communities has a row per community with its share of the money).
Definitions in docs/INDICATORS.md ("Projects") and LEDGERS.md.  Projects are
recorded by funding year only, so a period holds the funding years that lie
entirely inside it: a calendar year its own, a window the whole years it spans
(none: the rows are empty with the note ``no whole funding year``).
Organisations are distinct ``org_id`` values recounted at each level: an
organisation funded in two communities of a district is one organisation there.
"""

from __future__ import annotations

import pandas as pd

from evalkit.contract import PROGRAMMES
from evalkit.families import _aggregate as agg
from evalkit.families._coverage import Coverage, catalog_entry, grid, rollup
from evalkit.families._units import all_blank, count_rows, distinct, share_rows, skeleton, sum_rows, with_total

FAMILY = "projects"
TABLES = ("projects", "communities")
NEEDS: dict[str, tuple[str, ...]] = {}
NO_WINDOW: frozenset[str] = frozenset()
NO_YEAR = "no whole funding year"

_LIANYUNGANG = "source case 004, Lianyungang (《中国社区报》2024-07-30): 120万元资助120个社区社会组织"


def _e(id, name_zh, name_en, def_zh, def_en, unit, direction, interval, category=None, total=False):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit, direction=direction,
                         interval=interval, category=category, total=total)


CATALOG = [
    _e("project_funding", "公益创投资助金额", "Project funding granted",
       "资助年度在期内的项目资助金额之和（元；合计及按资助类型）",
       "Sum of amount_granted of the projects with year in the period (in all and by programme)",
       "yuan", "descriptive", "none", category="programme", total=True),
    _e("project_orgs_funded", "获资助社会组织数", "Organisations funded",
       "这些项目的不同组织数（各层级重新去重）",
       "Distinct org_id among those projects (recounted at each level)", "count", "higher_better", "none"),
    _e("project_completion_rate", "项目结项率", "Projects completed",
       "资助年度在期内、状态为已结项的项目 / 有项目状态的项目",
       "Projects of years in the period with status completed / projects with a status",
       "share", "higher_better", "wilson"),
]


def _data(ds, columns):
    return agg.table(ds, "projects", columns)


def _years(ds, ctx) -> tuple[bool, list[int], str | None]:
    """(covered, funding years of the period, note): coverage from the first funding
    year to the as-of date (given, else the end of the last funding year)."""
    y = agg.query("SELECT MIN(year) AS lo, MAX(year) AS hi FROM p", None, p=_data(ds, ["year"]))
    lo, hi = y["lo"].iloc[0], y["hi"].iloc[0]
    if pd.isna(lo):
        return False, [], None
    cov = Coverage(pd.Timestamp(int(lo), 1, 1), ctx.as_of if ctx.as_of is not None else pd.Timestamp(int(hi), 12, 31))
    per = ctx.period
    ok, end, note = per.state(cov)
    if not ok:
        return False, [], None
    years = [per.year] if per.year is not None else per.whole_years(end)
    return True, [y for y in years if y >= int(lo)], note


def compute(ctx) -> pd.DataFrame:
    """Every projects indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, per = ctx.ds, ctx.period
    ok, years, note = _years(ds, ctx)
    wanted = [e["id"] for e in CATALOG if ctx.wants(e["id"])]
    if not ok or not years:
        sk = skeleton(ctx, per.label)
        codes = pd.DataFrame({"category": [None, *PROGRAMMES]}, dtype="str")
        parts = [all_blank(sk.merge(codes, how="cross") if i == "project_funding" else sk, [i],
                           None if not ok else NO_YEAR) for i in wanted]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    y0, y1 = min(years), max(years)
    out = []
    if ctx.wants("project_funding") or ctx.wants("project_completion_rate"):
        c = agg.query(
            """
            SELECT community_id, COALESCE(programme, 'venture') AS category, SUM(amount_granted) AS funding,
                   COUNT(*) AS projects, SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
                   SUM(CASE WHEN status IS NOT NULL THEN 1 ELSE 0 END) AS with_status
            FROM p WHERE year >= ? AND year <= ? GROUP BY 1, 2
            """, [y0, y1], p=_data(ds, ["community_id", "programme", "amount_granted", "status", "year"]),
        ).astype({"community_id": "str", "category": "str", "funding": "float64", "projects": "float64",
                  "completed": "float64", "with_status": "float64"})
        sums = ["funding", "projects", "completed", "with_status"]
        codes = tuple(PROGRAMMES)
        f = grid(ds, category=codes).merge(c, on=["community_id", "category"], how="left")
        f[sums] = f[sums].fillna(0.0)
        f["period"] = per.label
        rc = with_total(rollup(ds, ctx.levels, f, keys=["period", "category"], sums=sums), sums)
        if ctx.wants("project_funding"):
            out.append(sum_rows("project_funding", rc, rc["funding"], rc["projects"], True, note))
        if ctx.wants("project_completion_rate"):
            t = rc.loc[rc["category"].isna()]
            out.append(share_rows("project_completion_rate", t, t["completed"], t["with_status"], True, note))
    if ctx.wants("project_orgs_funded"):
        d = distinct(ctx, _data(ds, ["community_id", "org_id", "year"]), "org_id", "t.year >= ? AND t.year <= ?",
                     [y0, y1], period=per.label)
        out.append(count_rows("project_orgs_funded", d, d["k"], True, note, interval=False))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
