"""Per-unit building blocks shared by the families.

* records stacked once per level asked (:func:`stacked`), the text key of a unit
  (:func:`unit_key`) and the empty frame of every unit (:func:`skeleton`), for the
  statistics computed per unit (survival curves, trend models);
* distinct counts recounted at each level (:func:`distinct`): an organisation funded
  in two communities of a district is one organisation of that district, never two;
* the output rows of a count, a rate per households or residents, a share and a sum
  from a rolled-up frame (:func:`count_rows`, :func:`per_rows`, :func:`share_rows`,
  :func:`sum_rows`), with their intervals and coverage notes, and the total row of a
  breakdown by category (:func:`with_total`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.families import _aggregate as agg
from evalkit.families._coverage import (
    blank, cover, garwood, grid, level_map, ratio, rollup, rows, undefined, wilson,
)

UNIT_COLUMNS = ["level", "unit_id", "unit_name", "district"]


# --- units ------------------------------------------------------------------------


def stacked(ctx, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one row per community record) with level/unit columns, once per level asked."""
    return level_map(ctx.ds, ctx.levels).merge(frame, on="community_id", how="inner")


def unit_key(frame: pd.DataFrame) -> pd.Series:
    """One text key per (level, unit_id): the ``by`` column of the per-unit statistics."""
    return frame["level"] + "\x1f" + frame["unit_id"]


def skeleton(ctx, period: str, **keys) -> pd.DataFrame:
    """One row per unit of every level asked (and per value of ``keys``), for ``period``,
    with its ``unit_key``."""
    sk = rollup(ctx.ds, ctx.levels, grid(ctx.ds, period=[period], **keys), keys=["period", *keys])
    sk["unit_key"] = unit_key(sk)
    return sk.drop(columns=[c for c in ("_size",) if c in sk.columns])


def all_blank(sk: pd.DataFrame, wanted, note: str | None = None) -> pd.DataFrame:
    """Rows of every indicator of ``wanted`` on ``sk``, all empty with note ``no data`` (or ``note``)."""
    parts = [blank(rows(i, sk), np.ones(len(sk), bool), *(() if note is None else (note,))) for i in wanted]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def distinct(ctx, data, column: str, where: str = "TRUE", params: list | None = None,
             *, period: str) -> pd.DataFrame:
    """Distinct values of ``column`` per unit of every level asked, recounted at each level.

    Parameters
    ----------
    data
        The records (:func:`evalkit.families._aggregate.table`), with ``community_id``
        and ``column``; the SQL condition ``where`` refers to them as ``t``
        (``t.year = ?``) with positional ``params``.
    period
        The ``period`` of the rows.

    Returns
    -------
    DataFrame
        :func:`skeleton` of ``period`` with column ``k``: the number of distinct
        non-missing values among the unit's records (0 for a unit without any).

    Notes
    -----
    ``COUNT(DISTINCT t.column)`` grouped by unit after joining the records to the
    community -> unit map of each level: a value occurring in two communities of
    a unit counts once there, so a unit's count is at most the sum of its
    communities' counts (LEDGERS.md: distinct counts are recounted, never summed).
    """
    lm = level_map(ctx.ds, ctx.levels)[["community_id", "level", "unit_id"]]
    res = agg.query(
        f"""
        SELECT m.level, m.unit_id, COUNT(DISTINCT t.{column}) AS k
        FROM t JOIN m ON t.community_id = m.community_id
        WHERE {where}
        GROUP BY m.level, m.unit_id
        """, params or [], t=data, m=lm,
    ).astype({"level": "str", "unit_id": "str", "k": "float64"})
    sk = skeleton(ctx, period)
    out = sk.merge(res, on=["level", "unit_id"], how="left")
    out["k"] = out["k"].fillna(0.0)
    return out


def with_total(rc: pd.DataFrame, sums, keys=("period",)) -> pd.DataFrame:
    """``rc`` (rolled up by unit, ``keys`` and ``category``) with one more row per unit:
    the sums over every category, with an empty category (the total row)."""
    by = UNIT_COLUMNS + list(keys)
    tot = rc.groupby(by, sort=False, as_index=False, dropna=False)[list(sums)].sum(min_count=1)
    tot["category"] = pd.Series(pd.NA, index=tot.index, dtype="str")
    return pd.concat([tot, rc[by + ["category", *sums]]], ignore_index=True)


def present(ds, table: str, column: str) -> bool:
    """Whether the source of ``table`` had ``column`` (a Dataset built in code: every column)."""
    cols = ds.source_columns.get(table)
    return cols is None or column in cols


# --- rows ---------------------------------------------------------------------------


def count_rows(ind: str, r: pd.DataFrame, k, ok: bool, note, *, interval: bool = True) -> pd.DataFrame:
    """A count per unit: value = n = ``k``; exact Poisson (Garwood) interval when ``interval``."""
    k = np.asarray(k, dtype="float64")
    cols = dict(value=k, n=k)
    if interval:
        cols["ci_low"], cols["ci_high"] = garwood(k)
    return cover(rows(ind, r, **cols), ok, note)


def per_rows(ind: str, r: pd.DataFrame, k, den, mult: float, ok: bool, note,
             *, interval: bool = True) -> pd.DataFrame:
    """A rate ``mult`` × k / den (per 1,000 households ...): Garwood interval of k scaled
    the same way; empty (``no data``) where the denominator is 0 or missing."""
    k = np.asarray(k, dtype="float64")
    den = np.asarray(den, dtype="float64")
    cols = dict(value=mult * ratio(k, den), n=k, numerator=k, denominator=den)
    if interval:
        lo, hi = garwood(k)
        cols["ci_low"], cols["ci_high"] = mult * ratio(lo, den), mult * ratio(hi, den)
    return undefined(cover(rows(ind, r, **cols), ok, note), ok, den)


def share_rows(ind: str, r: pd.DataFrame, k, n, ok: bool, note, *, interval: bool = True) -> pd.DataFrame:
    """A share k / n with its Wilson interval; empty (``no data``) where n is 0 or missing."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    cols = dict(value=ratio(k, n), n=n, numerator=k, denominator=n)
    if interval:
        cols["ci_low"], cols["ci_high"] = wilson(k, n)
    return undefined(cover(rows(ind, r, **cols), ok, note), ok, n)


def sum_rows(ind: str, r: pd.DataFrame, total, n, ok: bool, note, *, source=None) -> pd.DataFrame:
    """A sum (yuan, needs found): value = ``total``, n = the records it adds up.

    ``source = (ds, table, column)``: the column summed; when the table's source lacks it,
    every row is empty with the note ``not recorded`` (an empty cell adds 0; a missing
    column is not a sum of zeros).
    """
    if source is not None and not present(*source):
        return all_blank(r, [ind], "not recorded")
    return cover(rows(ind, r, value=np.asarray(total, dtype="float64"), n=n), ok, note)
