"""Organisation (组织与网格): floating Party members, grid workers, community workers.

Definitions in docs/INDICATORS.md ("Organisation").  Party and grid figures
come from community_years (the row of the year asked); community workers
from the cadre roster (each community's latest term on or before the year).
A community without the figures is empty with note ``no data``; higher
levels sum the figures of the communities that have them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.families import _aggregate as agg
from evalkit.families._coverage import (
    NO_DATA, blank, catalog_entry, garwood, grid, ratio, rollup, rows, sizes, wilson,
)

FAMILY = "organisation"
TABLES = ("communities", "community_years")
#: Indicators that need a table beyond TABLES (left out with a warning when it is missing).
NEEDS = {"community_workers_per_10k": ("cadres",)}
WORKER_ROLES = ("secretary", "deputy_secretary", "committee", "director", "staff")


def _e(id, name_zh, name_en, def_zh, def_en, unit, interval, direction, benchmark=None):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit,
                         direction=direction, interval=interval, benchmark=benchmark)


CATALOG = [
    _e("party_floating_share", "流动党员比例", "Floating Party member share",
       "流动党员数 / (在册党员数 + 流动党员数)",
       "Floating Party members / (registered + floating)", "share", "wilson", "descriptive"),
    _e("households_per_grid_worker", "网格员人均服务户数", "Households per grid worker",
       "户数 / 网格员数", "Households / grid workers", "households_per_worker", "none", "lower_better"),
    _e("community_workers_per_10k", "每万名居民社区工作者数", "Community workers per 10,000 residents",
       "最近一届（不晚于当年）除网格员外的社区干部人数 × 10000 / 常住人口",
       "10,000 × cadres of every role except grid_worker in the latest term / population",
       "per_10000_residents", "garwood", "higher_better",
       benchmark={"value": 18.0, "scope_zh": "城市社区，全国下限", "scope_en": "urban communities, national minimum",
                  "source": "《“十四五”城乡社区服务体系建设规划》(2021)"}),
]


def _workers(cad: pd.DataFrame, year: int) -> pd.DataFrame:
    """Cadres of the worker roles in each community's latest term on or before ``year``."""
    roles = ", ".join(f"'{r}'" for r in WORKER_ROLES)
    return agg.query(
        f"""
        WITH t AS (SELECT community_id, MAX(term_year) AS term FROM c WHERE term_year <= ? GROUP BY 1)
        SELECT c.community_id, SUM(CASE WHEN c.role IN ({roles}) THEN 1 ELSE 0 END) AS workers
        FROM c JOIN t ON c.community_id = t.community_id AND c.term_year = t.term
        GROUP BY 1
        """, [year], c=cad[["community_id", "term_year", "role"]],
    ).astype({"community_id": "str", "workers": "float64"})


def compute(ctx) -> pd.DataFrame:
    """Every organisation indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, year = ctx.ds, ctx.year
    cy = ds["community_years"]
    cy = cy.loc[cy["year"] == year,
                ["community_id", "party_members_registered", "party_members_floating", "grid_workers"]]
    f = grid(ds).merge(cy.astype({"party_members_registered": "float64", "party_members_floating": "float64",
                                  "grid_workers": "float64", "community_id": "str"}),
                       on="community_id", how="left")
    f = f.merge(sizes(ds, [year])[["community_id", "households", "population"]], on="community_id")
    f["period"] = str(year)
    both = f["party_members_registered"].notna() & f["party_members_floating"].notna()
    f["floating"] = f["party_members_floating"].where(both)
    f["members"] = (f["party_members_registered"] + f["party_members_floating"]).where(both)
    f["gw"] = f["grid_workers"]
    f["gw_households"] = f["households"].where(f["gw"].notna())
    if ds.has("cadres") and ctx.wants("community_workers_per_10k"):
        w = _workers(ds["cadres"], year)
        f = f.merge(w, on="community_id", how="left")
    else:
        f["workers"] = np.nan
    f["w_population"] = f["population"].where(f["workers"].notna())
    r = rollup(ds, ctx.levels, f, keys=["period"],
               sums=["floating", "members", "gw", "gw_households", "workers", "w_population"])
    out = []
    if ctx.wants("party_floating_share"):
        k, n = r["floating"].to_numpy(), r["members"].to_numpy()
        lo, hi = wilson(k, n)
        o = rows("party_floating_share", r, value=ratio(k, n), ci_low=lo, ci_high=hi, n=n,
                 numerator=k, denominator=n)
        out.append(blank(o, ~(n > 0), NO_DATA))
    if ctx.wants("households_per_grid_worker"):
        hh, gw = r["gw_households"].to_numpy(), r["gw"].to_numpy()
        o = rows("households_per_grid_worker", r, value=ratio(hh, gw), n=gw, numerator=hh, denominator=gw)
        out.append(blank(o, ~(gw > 0), NO_DATA))
    if ctx.wants("community_workers_per_10k") and ds.has("cadres"):
        k, pop = r["workers"].to_numpy(), r["w_population"].to_numpy()
        lo, hi = garwood(k)
        o = rows("community_workers_per_10k", r, value=1e4 * ratio(k, pop), ci_low=1e4 * ratio(lo, pop),
                 ci_high=1e4 * ratio(hi, pop), n=k, numerator=k, denominator=pop)
        out.append(blank(o, np.isnan(k), NO_DATA))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
