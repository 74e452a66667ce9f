"""Organisation (组织与网格): Party members, grids, community workers, service space, 大党委.

Definitions in docs/INDICATORS.md ("Organisation") and LEDGERS.md.  Party, grid,
service-space, social-organisation and 大党委 figures come from community_years
(the row of the year asked); community workers and part-time members from the
cadre roster (each community's latest term on or before the year).  A community
without a figure is empty with note ``no data``; higher levels sum the figures
of the communities that have them.  Every indicator here is a yearly community
fact: none is computed for a window (``WINDOW_FAMILY``).
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
NEEDS = {"community_workers_per_10k": ("cadres",), "part_time_members_per_big_committee": ("cadres",)}
#: Yearly community facts and cadre terms: nothing here is computed for a window.
WINDOW_FAMILY = False
WORKER_ROLES = ("secretary", "deputy_secretary", "committee", "director", "staff")
#: Square metres of community service space per 100 households (national minimum).
SERVICE_AREA_TARGET = 30.0


def _e(id, name_zh, name_en, def_zh, def_en, unit, interval, direction, benchmark=None):
    return catalog_entry(FAMILY, id, name_zh, name_en, def_zh, def_en, unit=unit,
                         direction=direction, interval=interval, benchmark=benchmark)


_PLAN_2021 = "《“十四五”城乡社区服务体系建设规划》(国办发〔2021〕56号，2022年1月印发)"


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
    _e("households_per_grid_staff", "三级网格人员人均服务户数", "Households per grid staff (three tiers)",
       "户数 / (一级网格员 + 二级网格员 + 三级网格员)；三级人数均有记录的社区",
       "Households / (first-tier grid workers + second-tier + third-tier), communities recording all three",
       "households_per_worker", "none", "lower_better"),
    _e("service_area_per_100_households", "每百户综合服务设施面积", "Service space per 100 households",
       "100 × 综合服务设施面积之和 / 户数之和（有面积记录的社区）",
       "100 × Σ service_area_m2 / Σ households (communities with the area recorded)",
       "m2_per_100_households", "none", "higher_better",
       benchmark={"value": SERVICE_AREA_TARGET, "scope_zh": "每百户居民拥有社区综合服务设施面积不低于30平方米",
                  "scope_en": "community service space per 100 households, national minimum",
                  "source": _PLAN_2021}),
    _e("service_area_compliance_share", "服务设施面积达标社区占比", "Communities meeting the service-space target",
       "每百户服务设施面积达到目标（30平方米，或考核目标表中的值）的社区 / 有面积记录的社区",
       "Communities with service_area_per_100_households ≥ the target (30, or a targets row) / "
       "communities with the area recorded", "share", "none", "higher_better"),
    _e("social_orgs_per_community", "社区平均社会组织数", "Social organisations per community",
       "社区社会组织数之和 / 填报的社区数", "Σ social_orgs / communities reporting", "count", "none",
       "higher_better",
       benchmark={"value": 10.0, "scope_zh": "城市社区平均不少于10个（农村不少于5个）",
                  "scope_en": "at least 10 per urban community (5 per rural community)",
                  "source": "民政部《关于大力培育发展社区社会组织的意见》(民发〔2017〕191号)"}),
    _e("part_time_members_per_big_committee", "大党委平均兼职委员数", "Part-time members per big Party committee",
       "最近一届（不晚于当年）兼职委员人数 / 建立大党委的社区数",
       "Part-time members (part_time_member cadres) of the latest terms / communities with a "
       "big Party committee (大党委)", "ratio", "none", "descriptive"),
]


def _workers(cad: pd.DataFrame, year: int) -> pd.DataFrame:
    """Cadres of the worker roles, and part-time members, in each community's latest term on
    or before ``year``."""
    roles = ", ".join(f"'{r}'" for r in WORKER_ROLES)
    return agg.query(
        f"""
        WITH t AS (SELECT community_id, MAX(term_year) AS term FROM c WHERE term_year <= ? GROUP BY 1)
        SELECT c.community_id, SUM(CASE WHEN c.role IN ({roles}) THEN 1 ELSE 0 END) AS workers,
               SUM(CASE WHEN c.role = 'part_time_member' THEN 1 ELSE 0 END) AS part_time
        FROM c JOIN t ON c.community_id = t.community_id AND c.term_year = t.term
        GROUP BY 1
        """, [year], c=cad[["community_id", "term_year", "role"]],
    ).astype({"community_id": "str", "workers": "float64", "part_time": "float64"})


def service_area_targets(ds, year: int) -> pd.Series:
    """The service-space target of each community (m² per 100 households) for ``year``.

    :data:`SERVICE_AREA_TARGET` unless the ``targets`` table has a row for
    ``service_area_per_100_households`` at the community level (or with no level);
    the most specific row wins: one naming the community before one for every
    unit, one for the year before one for every year.

    Examples
    --------
    >>> from evalkit.io.dataset import Dataset
    >>> import pandas as pd
    >>> ds = Dataset(path=".", tables={"communities": pd.DataFrame({"community_id": ["C1", "C2"]})})
    >>> service_area_targets(ds, 2024).tolist()
    [30.0, 30.0]
    """
    ids = ds["communities"]["community_id"].astype("str").to_numpy()
    out = pd.Series(SERVICE_AREA_TARGET, index=ids, dtype="float64")
    if not ds.has("targets"):
        return out
    t = ds["targets"]
    t = t.loc[(t["indicator"] == "service_area_per_100_households").fillna(False).to_numpy(bool)
              & (t["level"].isna() | (t["level"] == "community")).to_numpy(bool)
              & (t["year"].isna() | (t["year"] == year)).fillna(False).to_numpy(bool)
              & t["target"].notna().to_numpy(bool)]
    if t.empty:
        return out
    score = 2 * t["unit_id"].notna().astype(int) + t["year"].notna().astype(int)
    t = t.assign(score=score.to_numpy()).sort_values("score", kind="mergesort")
    general = t.loc[t["unit_id"].isna()]
    if len(general):
        out[:] = float(general["target"].iloc[-1])
    named = t.loc[t["unit_id"].notna()].drop_duplicates("unit_id", keep="last")
    hit = named.loc[named["unit_id"].isin(ids)]
    out.loc[hit["unit_id"].astype("str").to_numpy()] = hit["target"].astype("float64").to_numpy()
    return out


_FACTS = ("party_members_registered", "party_members_floating", "grid_workers", "grid_tier2", "grid_tier3",
          "big_party_committee", "service_area_m2", "social_orgs")


def _facts(ds, year) -> pd.DataFrame:
    """The community_years figures of ``year`` as float64 (booleans 1/0), one row per community."""
    cy = ds["community_years"]
    cy = cy.loc[cy["year"] == year]
    f = pd.DataFrame({"community_id": cy["community_id"].astype("str").to_numpy()})
    for c in _FACTS:
        v = cy[c] if c in cy.columns else pd.Series(pd.NA, index=cy.index, dtype="Float64")
        f[c] = v.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return grid(ds).merge(f, on="community_id", how="left")


def compute(ctx) -> pd.DataFrame:
    """Every organisation indicator that ``ctx`` wants, at every level of ``ctx.levels``."""
    ds, year = ctx.ds, ctx.year
    f = _facts(ds, year)
    f = f.merge(sizes(ds, [year])[["community_id", "households", "population"]], on="community_id")
    f["period"] = str(year)
    both = f["party_members_registered"].notna() & f["party_members_floating"].notna()
    f["floating"] = f["party_members_floating"].where(both)
    f["members"] = (f["party_members_registered"] + f["party_members_floating"]).where(both)
    f["gw"] = f["grid_workers"]
    f["gw_households"] = f["households"].where(f["gw"].notna())
    staff = f["grid_workers"] + f["grid_tier2"] + f["grid_tier3"]  # NaN unless all three are known
    f["staff"] = staff
    f["staff_households"] = f["households"].where(staff.notna())
    area = f["service_area_m2"]
    f["area"] = area
    f["area_households"] = f["households"].where(area.notna())
    per100 = 100 * ratio(area, f["households"])
    f["area_ok"] = np.where(area.notna(), (per100 >= service_area_targets(ds, year).reindex(
        f["community_id"]).to_numpy() - 1e-9).astype(float), np.nan)
    f["area_n"] = area.notna().astype(float).where(area.notna())
    f["orgs"] = f["social_orgs"]
    f["orgs_n"] = f["social_orgs"].notna().astype(float).where(f["social_orgs"].notna())
    f["big"] = f["big_party_committee"]
    cad = ds.has("cadres") and (ctx.wants("community_workers_per_10k")
                                or ctx.wants("part_time_members_per_big_committee"))
    if cad:
        f = f.merge(_workers(ds["cadres"], year), on="community_id", how="left")
    else:
        f["workers"] = f["part_time"] = np.nan
    f["w_population"] = f["population"].where(f["workers"].notna())
    # part-time members of the communities with a 大党委 (the 389 of Qiaokou's 127)
    f["pt"] = f["part_time"].fillna(0.0).where(f["big"] == 1) if cad else np.nan
    sums = ["floating", "members", "gw", "gw_households", "workers", "w_population", "staff",
            "staff_households", "area", "area_households", "area_ok", "area_n", "orgs", "orgs_n", "big", "pt"]
    r = rollup(ds, ctx.levels, f, keys=["period"], sums=sums)
    out = []
    if ctx.wants("party_floating_share"):
        k, n = r["floating"].to_numpy(), r["members"].to_numpy()
        lo, hi = wilson(k, n)
        o = rows("party_floating_share", r, value=ratio(k, n), ci_low=lo, ci_high=hi, n=n,
                 numerator=k, denominator=n)
        out.append(blank(o, ~(n > 0), NO_DATA))
    for ind, num, den in (("households_per_grid_worker", "gw_households", "gw"),
                          ("households_per_grid_staff", "staff_households", "staff")):
        if ctx.wants(ind):
            hh, gw = r[num].to_numpy(), r[den].to_numpy()
            o = rows(ind, r, value=ratio(hh, gw), n=gw, numerator=hh, denominator=gw)
            out.append(blank(o, ~(gw > 0), NO_DATA))
    if ctx.wants("community_workers_per_10k") and ds.has("cadres"):
        k, pop = r["workers"].to_numpy(), r["w_population"].to_numpy()
        lo, hi = garwood(k)
        o = rows("community_workers_per_10k", r, value=1e4 * ratio(k, pop), ci_low=1e4 * ratio(lo, pop),
                 ci_high=1e4 * ratio(hi, pop), n=k, numerator=k, denominator=pop)
        out.append(blank(o, np.isnan(k), NO_DATA))
    ratios = (("service_area_per_100_households", "area", "area_households", 100.0, "area_n"),
              ("service_area_compliance_share", "area_ok", "area_n", 1.0, "area_n"),
              ("social_orgs_per_community", "orgs", "orgs_n", 1.0, "orgs_n"),
              ("part_time_members_per_big_committee", "pt", "big", 1.0, "units_big"))
    r["units_big"] = r["big"]
    for ind, num, den, mult, n in ratios:
        if ctx.wants(ind) and (ind != "part_time_members_per_big_committee" or ds.has("cadres")):
            k, m = r[num].to_numpy(), r[den].to_numpy()
            o = rows(ind, r, value=mult * ratio(k, m), n=r[n], numerator=k, denominator=m)
            out.append(blank(o, ~(m > 0), NO_DATA))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
