"""Shared helpers of the indicator families.

* coverage and as-of rules (which periods a table covers, the ``from MM-DD`` and
  ``through MM-DD`` notes),
* households and population per community and year,
* the roll-up of per-community sums to streets, districts and the city,
* exact Poisson (Garwood) and Wilson intervals,
* building the output rows.

Everything here works on small aggregated frames (one row per community,
period and category), vectorised with pandas/numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.families._frame import LEVEL_RANK, units

NO_DATA = "no data"
Z95 = 1.959963984540054


# --- catalog -------------------------------------------------------------------


def catalog_entry(family: str, id: str, name_zh: str, name_en: str, definition_zh: str,
                  definition_en: str, *, unit: str, direction: str, interval: str,
                  category: str | None = None, survey: bool = False, benchmark: dict | None = None,
                  total: bool = False) -> dict:
    """One indicator of a family's ``CATALOG`` (the fields of docs/dev/INTERFACES.md).

    ``total``: an indicator with a ``category`` breakdown also has a total row (empty
    category) beside the category rows.
    """
    return {"id": id, "family": family, "name_zh": name_zh, "name_en": name_en,
            "definition_zh": definition_zh, "definition_en": definition_en, "unit": unit,
            "direction": direction, "interval": interval, "category": category,
            "survey": survey, "benchmark": benchmark, "total": bool(total)}


# --- intervals ----------------------------------------------------------------


def garwood(k, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) confidence interval of a Poisson count.

    Parameters
    ----------
    k
        Observed counts (array-like, non-negative; NaN gives NaN).
    level
        Confidence level.

    Returns
    -------
    (low, high) arrays of the interval for the Poisson mean.

    Notes
    -----
    low = χ²_{α/2}(2k) / 2 (0 when k = 0), high = χ²_{1−α/2}(2k + 2) / 2.
    Scale both by the same factor as the count to get a rate's interval.

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution.
    Biometrika 28, 437–442.
    """
    from scipy.special import gammaincinv  # chi2.ppf(q, 2k) / 2 = gammaincinv(k, q); scipy.stats is slow to import

    k = np.asarray(k, dtype="float64")
    a = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, gammaincinv(np.where(k > 0, k, 1.0), a / 2), 0.0)
        high = gammaincinv(k + 1, 1 - a / 2)
    low = np.where(np.isnan(k), np.nan, low)
    return low, high


def wilson(k, n, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion k / n (vectorised).

    Returns NaN where n is 0 or missing.

    Notes
    -----
    With p = k/n and z the normal quantile:
    centre = (p + z²/2n) / (1 + z²/n), half = z √(p(1−p)/n + z²/4n²) / (1 + z²/n).
    Identical to statsmodels ``proportion_confint(method="wilson")``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22, 209–212.
    """
    from scipy.special import ndtri

    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    z = ndtri(1 - (1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low, high = centre - half, centre + half
    bad = ~(n > 0)
    low = np.where(bad, np.nan, np.where(k <= 0, 0.0, np.clip(low, 0, 1)))
    high = np.where(bad, np.nan, np.where(k >= n, 1.0, np.clip(high, 0, 1)))
    return low, high


# --- coverage -----------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """What a table covers: its first record date and the as-of date.

    ``first`` is None for an empty table (then nothing is covered).
    """

    first: pd.Timestamp | None
    as_of: pd.Timestamp | None

    @classmethod
    def of(cls, ds, table: str, first_col: str, date_cols: tuple[str, ...],
           as_of: pd.Timestamp | None) -> "Coverage":
        """Coverage of a table: first date of ``first_col``; as-of = ``as_of`` or the latest date
        of any of ``date_cols``."""
        from evalkit.families import _aggregate as agg

        return cls.from_extremes(agg.extremes(ds, table, dict.fromkeys((first_col, *date_cols))),
                                 first_col, date_cols, as_of)

    @classmethod
    def from_extremes(cls, ext: dict, first_col: str, date_cols: tuple[str, ...],
                      as_of: pd.Timestamp | None) -> "Coverage":
        """:meth:`of` from ``{column: (min, max)}`` already at hand (:func:`_aggregate.extremes`)."""
        first = ext[first_col][0]
        if first is None:
            return cls(None, as_of)
        if as_of is None:
            as_of = max(ext[c][1] for c in date_cols if ext[c][1] is not None)
        return cls(pd.Timestamp(first), pd.Timestamp(as_of))

    def state(self, start: pd.Timestamp, end: pd.Timestamp, *,
              fmt: str = "%m-%d") -> tuple[bool, pd.Timestamp | None, str | None]:
        """(covered, effective end, note) of the period [start, end] (both days inclusive).

        Coverage begins with the month of the first record (the monthly rows before it are
        ``no data``) and ends on the as-of date.  A period that begins before that month
        is noted ``from MM-DD`` (its first covered day), one that ends after the as-of
        date ``through MM-DD``; both notes when both apply.  ``fmt`` formats those dates
        (a window's notes give full dates, see :mod:`evalkit.families._period`).
        """
        if self.first is None or end < self.first.normalize() or start > self.as_of:
            return False, None, NO_DATA
        notes = []
        begin = self.first.normalize().replace(day=1)
        if start < begin:
            notes.append(f"from {begin.strftime(fmt)}")
        if end > self.as_of:
            end = self.as_of
            notes.append(f"through {self.as_of.strftime(fmt)}")
        return True, end, ", ".join(notes) or None

    def year(self, year: int) -> tuple[bool, pd.Timestamp | None, str | None]:
        """:meth:`state` of a calendar year."""
        return self.state(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31))


def year_bounds(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)


# --- community sizes ----------------------------------------------------------


def _memo(ds, key: str, fn, *also):
    """``fn()`` computed once per communities table (and the tables ``also``).

    The entry is keyed on the communities frame (it lives as long as that
    frame does) and remembers the ``also`` frames it was computed from: a hit
    counts only when they are the very same objects.
    """
    import weakref

    from evalkit.families import _aggregate as agg

    com = ds["communities"]
    current = tuple(ds[t] if ds.has(t) else None for t in also)
    refs, value = agg.cached(f"coverage.{key}", com, lambda: (None, None))
    if refs is not None and len(refs) == len(current) and all(
            (r is None and c is None) or (r is not None and r() is c) for r, c in zip(refs, current)):
        return value
    value = fn()
    new = (tuple(None if c is None else weakref.ref(c) for c in current), value)
    agg.store(f"coverage.{key}", com, new)
    return value


def sizes(ds, years) -> pd.DataFrame:
    """Households and population of every community for each of ``years``.

    Returns columns community_id, year, households, population (float64).
    A community_years row with a value overrides the register's value.
    Computed once per dataset and years (a copy is returned).
    """
    years = tuple(int(y) for y in years)
    return _memo(ds, f"sizes.{years}", lambda: _sizes(ds, years), "community_years").copy()


def _sizes(ds, years) -> pd.DataFrame:
    com = ds["communities"]
    years = [int(y) for y in years]
    base = pd.DataFrame({
        "community_id": np.repeat(com["community_id"].to_numpy(), len(years)),
        "year": np.tile(np.asarray(years, dtype="int64"), len(com)),
        "households": np.repeat(com["households"].astype("float64").to_numpy(), len(years)),
        "population": np.repeat(com["population"].astype("float64").to_numpy(), len(years)),
    })
    base["community_id"] = base["community_id"].astype("str")
    if ds.has("community_years"):
        cy = ds["community_years"]
        cy = cy.loc[cy["year"].isin(years), ["community_id", "year", "households", "population"]]
        if len(cy):
            cy = cy.astype({"year": "int64", "households": "float64", "population": "float64"})
            m = base.merge(cy, on=["community_id", "year"], how="left", suffixes=("", "_y"))
            for c in ("households", "population"):
                m[c] = m[f"{c}_y"].where(m[f"{c}_y"].notna(), m[c])
            base = m[["community_id", "year", "households", "population"]]
    return base


# --- levels -------------------------------------------------------------------


def level_map(ds, levels) -> pd.DataFrame:
    """community_id → (level, unit_id, unit_name, district) for every level asked, stacked."""
    levels = tuple(sorted(set(levels), key=LEVEL_RANK.get))
    return _memo(ds, f"levels.{levels}", lambda: _level_map(ds, levels)).copy()


def _level_map(ds, levels) -> pd.DataFrame:
    parts = []
    for lev in sorted(set(levels), key=LEVEL_RANK.get):
        u = units(ds, lev)
        u.insert(1, "level", lev)
        parts.append(u)
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"community_id": "str", "level": "str", "unit_id": "str",
                       "unit_name": "str", "district": "str"})


def grid(ds, **keys) -> pd.DataFrame:
    """Every community crossed with every combination of ``keys`` (name → values)."""
    out = pd.DataFrame({"community_id": ds["communities"]["community_id"].astype("str").to_numpy()})
    for name, values in keys.items():
        out = out.merge(pd.DataFrame({name: list(values)}), how="cross")
    return out


def rollup(ds, levels, frame: pd.DataFrame, *, keys=(), sums=()) -> pd.DataFrame:
    """Sum per-community columns up to each level asked (from the records, never averages).

    Parameters
    ----------
    frame
        One row per community (and ``keys``), holding the additive columns ``sums``.
        Communities missing from ``frame`` count as no records: frame should
        come from :func:`grid` so that every community of the register appears.
    keys
        Extra grouping columns kept (period, category).
    sums
        Columns summed; a unit whose communities are all NaN stays NaN.

    Returns
    -------
    DataFrame with level, unit_id, unit_name, district, *keys, *sums and
    ``units`` (communities with a non-missing first sum column).
    """
    keys, sums = list(keys), list(sums)
    lm, unit_cols = _unit_index(ds, levels)
    m = lm.merge(frame, on="community_id", how="left")
    # group on an integer unit index (cheaper than four text columns); the
    # index follows first appearance, so the row order is the same
    gk = ["_u", *keys]
    g = m.groupby(gk, sort=False, dropna=False, observed=True)
    out = g[sums].sum(min_count=1) if sums else g.size().to_frame("_size")
    if sums:
        out["units"] = g[sums[0]].count()
    out = out.reset_index()
    u = unit_cols.take(out["_u"].to_numpy()).reset_index(drop=True)
    return pd.concat([u, out.drop(columns="_u")], axis=1)


def _unit_index(ds, levels):
    """(community_id → unit index ``_u``, the unit columns by index), cached per dataset."""
    def make():
        lm = level_map(ds, levels)
        keys = ["level", "unit_id", "unit_name", "district"]
        codes = lm.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
        first = pd.Series(np.arange(len(lm))).groupby(codes, sort=True).first().to_numpy()
        units_ = lm[keys].iloc[first].reset_index(drop=True)
        return pd.DataFrame({"community_id": lm["community_id"].to_numpy(), "_u": codes}), units_
    levels = tuple(sorted(set(levels), key=LEVEL_RANK.get))
    return _memo(ds, f"units.{levels}", make)


def unit_frame(ds, level: str) -> tuple[pd.DataFrame, pd.Series]:
    """Units of ``level`` (sorted by unit_id, one row each) and community -> unit position.

    Returns
    -------
    frame
        Columns unit_id, unit_name, district; row *i* is unit position *i*.
    position
        Integer position in ``frame`` of each community's unit, indexed by community_id.
    """
    u = units(ds, level)
    frame = u.drop_duplicates("unit_id")[["unit_id", "unit_name", "district"]]
    frame = frame.sort_values("unit_id").reset_index(drop=True)
    pos = pd.Series(np.arange(len(frame)), index=frame["unit_id"].to_numpy())
    position = pd.Series(pos.reindex(u["unit_id"].to_numpy()).to_numpy(),
                         index=u["community_id"].to_numpy())
    return frame, position


# --- rows ---------------------------------------------------------------------


def assemble(level: str, frame: pd.DataFrame, period: str, blocks: list[dict], *,
             numeric, flags=()) -> pd.DataFrame:
    """One DataFrame of every block of a level (built once, not per indicator).

    Parameters
    ----------
    frame
        The units of the level, as :func:`unit_frame` gives them.
    blocks
        One dict per indicator (and category): ``indicator``, ``category``,
        ``note`` (one per unit) and the columns ``numeric`` (arrays of one
        value per unit, or a scalar; absent: NaN) and ``flags`` (booleans).
    """
    k, u = len(blocks), len(frame)
    out = {
        "indicator": np.repeat([b["indicator"] for b in blocks], u),
        "level": level,
        "unit_id": np.tile(frame["unit_id"].to_numpy(dtype=object), k),
        "unit_name": np.tile(frame["unit_name"].to_numpy(dtype=object), k),
        "district": np.tile(frame["district"].to_numpy(dtype=object), k),
        "period": period,
        "category": np.repeat(np.array([b["category"] for b in blocks], dtype=object), u),
    }
    for c in numeric:
        out[c] = np.concatenate([np.broadcast_to(np.asarray(b.get(c, np.nan), dtype="float64"), (u,))
                                 for b in blocks])
    for c in flags:
        out[c] = np.concatenate([np.asarray(b[c], dtype=bool) for b in blocks])
    out["note"] = np.concatenate([np.asarray(b["note"], dtype=object) for b in blocks])
    return pd.DataFrame(out)




def rows(indicator: str, df: pd.DataFrame, **cols) -> pd.DataFrame:
    """Output rows of ``indicator`` from a rolled-up frame plus computed columns."""
    base = ["level", "unit_id", "unit_name", "district"]
    out = df[[c for c in base + ["period", "category"] if c in df.columns]].copy()
    out.insert(0, "indicator", indicator)
    for k, v in cols.items():
        out[k] = v.to_numpy() if isinstance(v, pd.Series) else v
    return out


def blank(out: pd.DataFrame, mask, note: str = NO_DATA) -> pd.DataFrame:
    """Empty the estimate columns of rows where ``mask`` and set their note."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        for c in ("value", "se", "ci_low", "ci_high", "numerator", "denominator", "p_value"):
            if c in out.columns:
                out[c] = out[c].astype("float64")
                out.loc[mask, c] = np.nan
        if "note" not in out.columns:
            out["note"] = pd.Series(pd.NA, index=out.index, dtype="str")
        out["note"] = out["note"].astype("str")
        out.loc[mask, "note"] = note
    return out


def with_note(out: pd.DataFrame, note: str | None) -> pd.DataFrame:
    """Set ``note`` on every row that has none."""
    if note:
        if "note" not in out.columns:
            out["note"] = note
        else:
            out["note"] = out["note"].astype("str").fillna(note)
    return out


def ratio(num, den):
    """num / den with NaN where den is 0 or missing."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def with_year(note: str | None, year: int, other: str | None) -> str | None:
    """``note`` and, when the other year of a comparison is partly covered, that year's note
    (``from 07-01; 2020 from 07-01``): a change against a part year is not a yearly change."""
    parts = [note, f"{year} {other}" if other and other != NO_DATA else None]
    return "; ".join(p for p in parts if p) or None


def cover(out: pd.DataFrame, ok: bool, note: str | None) -> pd.DataFrame:
    """Rows of a period: all empty with note ``no data`` when the period is not
    covered (``ok`` false), else ``note`` (e.g. ``through MM-DD``) on rows without one."""
    return blank(out, np.ones(len(out), bool)) if not ok else with_note(out, note)


def undefined(out: pd.DataFrame, ok: bool, den) -> pd.DataFrame:
    """Inside coverage (``ok``), rows whose denominator ``den`` is 0 or missing: empty, ``no data``."""
    if ok:
        out = blank(out, ~(np.asarray(den, float) > 0), NO_DATA)
    return out
