"""The long output table every indicator family returns.

One row per indicator x level x unit x period x category; see
docs/INDICATORS.md, "The output contract".  Family modules build their rows
as a DataFrame with (a subset of) ``COLUMNS`` and hand them to
:func:`finalize`, which adds missing columns, fixes dtypes and sorts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.families._period import Period
    from evalkit.io.dataset import Dataset

COLUMNS = (
    "indicator", "level", "unit_id", "unit_name", "district", "period", "category",
    "value", "se", "ci_low", "ci_high", "deff", "n", "numerator", "denominator",
    "p_value", "suppressed", "note",
)
DTYPES = {
    "indicator": "str", "level": "str", "unit_id": "str", "unit_name": "str",
    "district": "str", "period": "str", "category": "str",
    "value": "float64", "se": "float64", "ci_low": "float64", "ci_high": "float64",
    "deff": "float64", "n": "Int64", "numerator": "float64", "denominator": "float64",
    "p_value": "float64", "suppressed": "bool", "note": "str",
}
SORT_KEYS = ["indicator", "level", "unit_id", "period", "category"]
LEVEL_RANK = {"community": 0, "street": 1, "district": 2, "city": 3}
CITY_ID = "all"
CITY_NAME = "全市"


@dataclass
class Context:
    """What every family function receives.

    ``period`` is the :class:`~evalkit.families._period.Period` asked for (a calendar
    year, or a window); ``year`` is its calendar year (None for a window).  ``levels``
    are the levels asked for; ``as_of`` is a Timestamp or None (then each table's own
    latest date); ``roles`` restricts cadre rows.
    """

    ds: "Dataset"
    year: int | None
    levels: tuple[str, ...] = ("community",)
    min_n: int = 10
    as_of: pd.Timestamp | None = None
    roles: tuple[str, ...] | None = None
    indicators: frozenset[str] | None = None  # None = all of the family
    warnings: list[str] = field(default_factory=list)
    period: "Period | None" = None

    def __post_init__(self):
        from evalkit.families._period import Period

        if self.period is None:
            self.period = Period.calendar(self.year)
        elif self.year is None:
            self.year = self.period.year

    def wants(self, indicator_id: str) -> bool:
        return self.indicators is None or indicator_id in self.indicators


def empty() -> pd.DataFrame:
    """An empty table with the contract's columns and dtypes."""
    return finalize(pd.DataFrame({c: [] for c in COLUMNS}))


def finalize(df: pd.DataFrame) -> pd.DataFrame:
    """Add missing columns, fix dtypes, sort by the contract's keys (indicator, level,
    unit_id, period, category; periods that are event times sort numerically).

    Missing ``suppressed`` is False; a suppressed row has value, se, interval,
    numerator and denominator emptied here, so no family can leak them.
    """
    df = df.copy()
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = False if c == "suppressed" else pd.NA
    df = df[list(COLUMNS)]
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    for c, t in DTYPES.items():
        if c == "suppressed":
            continue
        if t == "float64":
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        elif t == "Int64":
            df[c] = pd.to_numeric(df[c], errors="coerce").round().astype("Int64")
        else:
            df[c] = df[c].astype("str").where(df[c].notna(), pd.NA) if len(df) else df[c].astype("str")
    sup = df["suppressed"].to_numpy()
    if sup.any():
        df.loc[sup, ["value", "se", "ci_low", "ci_high", "deff", "numerator", "denominator"]] = np.nan
    # inf never reaches an output
    num = ["value", "se", "ci_low", "ci_high", "deff", "numerator", "denominator", "p_value"]
    df[num] = df[num].replace([np.inf, -np.inf], np.nan)
    df = df.sort_values(SORT_KEYS, kind="mergesort", na_position="first", key=_sort_key).reset_index(drop=True)
    return df


def _sort_key(col: pd.Series) -> pd.Series:
    """Periods that are small whole numbers (event time: ``-2``, ``0``, ``10``) sort as numbers."""
    if col.name != "period" or not len(col):
        return col
    txt = col.astype("str")
    small = txt.str.fullmatch(r"-?\d{1,3}").fillna(False).to_numpy(dtype=bool)
    if not small.any():
        return col
    num = pd.to_numeric(txt.where(small), errors="coerce")
    return txt.where(~small, (num + 5000).map(lambda v: f"e{int(v):05d}" if v == v else v))


def units(ds: "Dataset", level: str) -> pd.DataFrame:
    """Map each community to its unit at ``level``.

    Returns a frame indexed like ``communities`` with columns community_id,
    unit_id, unit_name, district.  Street ids are ``district/street`` because
    street names repeat across districts; the city is ``all`` / 全市.
    """
    com = ds["communities"]
    out = pd.DataFrame({"community_id": com["community_id"]})
    if level == "community":
        out["unit_id"] = com["community_id"]
        out["unit_name"] = com["community_name"]
        out["district"] = com["district"]
    elif level == "street":
        out["unit_id"] = com["district"] + "/" + com["street"]
        out["unit_name"] = com["street"]
        out["district"] = com["district"]
    elif level == "district":
        out["unit_id"] = com["district"]
        out["unit_name"] = com["district"]
        out["district"] = com["district"]
    elif level == "city":
        out["unit_id"] = CITY_ID
        out["unit_name"] = CITY_NAME
        out["district"] = CITY_ID
    else:  # pragma: no cover - checked by the caller
        raise ValueError(level)
    return out.reset_index(drop=True)


def interval_disagrees(row) -> bool:
    """Whether a result row's 95% interval and its p-value point different ways.

    Below 10 piloted units the p-value comes from randomisation inference and the
    interval is a Welch t interval by cohort: the p-value may be under 0.05 while the
    interval includes 0, or over it while the interval excludes 0.  (With 10 or more
    both come from the same t distribution and always agree.)  False when either is
    missing.
    """
    lo, hi, p = row["ci_low"], row["ci_high"], row["p_value"]
    if pd.isna(lo) or pd.isna(hi) or pd.isna(p):
        return False
    return bool((p < 0.05) == (lo <= 0 <= hi))
