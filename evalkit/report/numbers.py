"""The numbers a report states, read from the long indicator table (no text, no HTML).

Headline figures with last year's value, the change, the rank among the
districts and the target; ranks leave out the districts whose data failed
validation (they are shown, marked, but never ranked).
"""

from __future__ import annotations

import math

import pandas as pd

from evalkit import labels as tx

__all__ = ["HEADLINE", "plain", "value_of", "rank", "target_for", "headline", "district_values", "ranked"]

HEADLINE = (
    "dispute_rate", "dispute_resolution_rate", "dispute_resolved_30d", "volunteer_registration_rate",
    "volunteer_active_rate", "volunteer_hours_per_resident", "cadre_college_share", "cadre_mean_age",
    "satisfaction_index", "satisfaction_overall_top2", "community_workers_per_10k",
)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Rows without a category (the indicator itself, not a breakdown).

    Examples
    --------
    >>> plain(pd.DataFrame({"category": [None, "college"], "value": [1, 2]}))["value"].tolist()
    [1]
    """
    if "category" in df.columns:
        return df.loc[df["category"].isna() | (df["category"] == "")]
    return df


def ranked(indicator: str) -> bool:
    """Whether an indicator is ranked: it has a direction (higher or lower is better).

    Examples
    --------
    >>> ranked("dispute_resolution_rate"), ranked("dispute_rate")
    (True, False)
    """
    return tx.direction(indicator) in ("higher_better", "lower_better")


def value_of(table: pd.DataFrame, indicator: str, level: str, unit_id: str, period: str) -> float:
    """The unit's value (NaN when absent or suppressed).

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": ["x"], "level": ["district"], "unit_id": ["甲"], "period": ["2024"],
    ...                   "category": [None], "value": [1.5], "suppressed": [False]})
    >>> value_of(t, "x", "district", "甲", "2024"), value_of(t, "x", "district", "甲", "2023")
    (1.5, nan)
    """
    r = plain(table.loc[(table["indicator"] == indicator) & (table["level"] == level)
                        & (table["unit_id"] == unit_id) & (table["period"] == period)])
    if r.empty or bool(r["suppressed"].fillna(False).astype(bool).iloc[0]):
        return math.nan
    return float(r["value"].iloc[0])


def district_values(table: pd.DataFrame, indicator: str, period: str, exclude=()) -> pd.Series:
    """The districts' values (unit_id -> value), without missing values and ``exclude``.

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": "x", "level": "district", "unit_id": ["甲", "乙"], "period": "2024",
    ...                   "category": None, "value": [1.0, 2.0], "suppressed": False})
    >>> district_values(t, "x", "2024", exclude=["乙"]).to_dict()
    {'甲': 1.0}
    """
    d = plain(table.loc[(table["indicator"] == indicator) & (table["level"] == "district")
                        & (table["period"] == period)])
    d = d.loc[~d["suppressed"].fillna(False).astype(bool)].dropna(subset=["value"])
    d = d.loc[~d["unit_id"].isin(list(exclude))]
    return d.set_index("unit_id")["value"].astype(float)


def rank(table: pd.DataFrame, indicator: str, period: str, unit_id: str | None, exclude=()) -> tuple[int | None, int]:
    """(rank of ``unit_id`` among the districts, number ranked); 1 is the best.

    Ties share the better rank.  Districts in ``exclude`` (data failed validation) are not
    ranked and do not count; an unranked unit gets None.

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": "dispute_resolution_rate", "level": "district", "unit_id": ["甲", "乙", "丙"],
    ...                   "period": "2024", "category": None, "value": [0.8, 0.9, 0.7], "suppressed": False})
    >>> rank(t, "dispute_resolution_rate", "2024", "甲"), rank(t, "dispute_resolution_rate", "2024", "甲", exclude=["乙"])
    ((2, 3), (1, 2))
    """
    v = district_values(table, indicator, period, exclude)
    if unit_id not in v.index:
        return None, len(v)
    r = v.rank(ascending=tx.direction(indicator) == "lower_better", method="min")
    return int(r[unit_id]), len(v)


def target_for(targets: pd.DataFrame | None, indicator: str, level: str, unit_id: str, year: int) -> float:
    """The target (考核目标) that applies: the most specific row of ``targets`` (NaN when none).

    A row applies when each of its level, unit_id and year is empty or equal; the row
    with most of them set wins.

    Examples
    --------
    >>> tg = pd.DataFrame({"indicator": ["x", "x"], "level": [None, "district"], "unit_id": [None, "甲"],
    ...                    "year": [None, 2024], "target": [1.0, 2.0]})
    >>> target_for(tg, "x", "district", "甲", 2024), target_for(tg, "x", "district", "乙", 2024)
    (2.0, 1.0)
    """
    if targets is None:
        return math.nan
    t = targets.loc[targets["indicator"] == indicator]
    for col, val in (("level", level), ("unit_id", unit_id)):
        if col in t.columns:
            t = t.loc[t[col].isna() | (t[col].astype(str) == str(val))]
    if "year" in t.columns:  # a year read as 2024.0 is 2024
        t = t.loc[t["year"].isna() | (pd.to_numeric(t["year"], errors="coerce") == int(year))]
    if t.empty:
        return math.nan
    spec = t[[c for c in ("level", "unit_id", "year") if c in t.columns]].notna().sum(axis=1)
    return float(t.loc[spec.idxmax(), "target"])


def headline(rd) -> pd.DataFrame:
    """Headline figures of the report's unit: value, last year, change, rank, target, benchmark.

    Parameters
    ----------
    rd : evalkit.report.data.ReportData

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, name, unit, value, last, change, rank, of, target, met,
        benchmark, benchmark_scope`` (numbers raw).  An indicator with neither this
        year's nor last year's value is left out; ``rank`` is None for the city and for
        descriptive indicators.

    Examples
    --------
    >>> from evalkit.report.data import ReportData
    >>> t = pd.DataFrame({"indicator": "dispute_resolution_rate", "level": "district", "unit_id": ["甲", "乙"],
    ...                   "period": "2024", "category": None, "value": [0.8, 0.9], "suppressed": False})
    >>> headline(ReportData(table=t, district="甲", year=2024))[["indicator", "value", "rank", "of"]]
                     indicator  value  rank  of
    0  dispute_resolution_rate    0.8     2   2
    """
    from evalkit.report.data import targets

    table, lang = rd.table, rd.lang
    uid, lvl = rd.unit
    tg = targets(rd.ds)
    rows = []
    present = set(table["indicator"].unique())
    for ind in [i for i in HEADLINE if i in present]:
        v = value_of(table, ind, lvl, uid, rd.period)
        last = value_of(table, ind, lvl, uid, str(rd.year - 1))
        if math.isnan(v) and math.isnan(last):
            continue
        rk, of = rank(table, ind, rd.period, uid, rd.invalid) if lvl == "district" and ranked(ind) else (None, 0)
        tgt = target_for(tg, ind, lvl, uid, rd.year)
        met = None
        if not math.isnan(tgt) and not math.isnan(v):
            met = bool(v <= tgt) if tx.direction(ind) == "lower_better" else bool(v >= tgt)
        b = tx.benchmark(ind)
        rows.append(dict(indicator=ind, name=tx.name(ind, lang), unit=tx.unit(ind), value=v, last=last,
                         change=(v - last) if not (math.isnan(v) or math.isnan(last)) else math.nan,
                         rank=rk, of=of, target=tgt, met=met,
                         benchmark=None if b is None else float(b["value"]),
                         benchmark_scope=None if b is None else b.get(f"scope_{lang}")))
    return pd.DataFrame(rows, columns=["indicator", "name", "unit", "value", "last", "change", "rank", "of",
                                       "target", "met", "benchmark", "benchmark_scope"])
