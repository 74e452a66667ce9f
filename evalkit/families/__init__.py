"""Indicator families: turn a Dataset into the long indicator table.

Public functions: :func:`indicators`, :func:`outcome_panel` and
:func:`tables_needed`.  Each family
module (disputes, volunteers, cadres, satisfaction, organisation) defines
``FAMILY``, ``TABLES``, ``CATALOG`` and ``compute(ctx)``; see
docs/dev/INTERFACES.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

__all__ = ["indicators", "outcome_panel", "tables_needed"]

#: Tables every family may read: the register, and the yearly households and
#: population that override it (rate denominators).
_ALWAYS = ("communities", "community_years")


def _as_tuple(x) -> tuple | None:
    if x is None:
        return None
    if isinstance(x, str):
        return (x,)
    return tuple(x)


def _parse_as_of(as_of):
    import pandas as pd

    from evalkit.exceptions import ParameterError

    from evalkit.families._period import to_date

    if as_of is None:
        return None
    ts = to_date(as_of)
    if pd.isna(ts):
        raise ParameterError(
            f"参数 `as_of` 必须是日期（YYYY-MM-DD），但传入的是 {as_of!r}。",
            f"The value for `as_of` must be a date (YYYY-MM-DD), but {as_of!r} was passed.",
        )
    return ts.normalize().as_unit("s")


def _resolve(families, indicators):
    """(family modules, families to run in report order, indicator ids asked or None).

    Raises ParameterError for an unknown family or indicator.
    """
    from evalkit.exceptions import check_choice
    from evalkit.families.catalog import FAMILIES, family_modules

    mods = family_modules()
    fams = _as_tuple(families)
    if fams is None:
        fams = tuple(mods)
    for f in fams:
        check_choice("families", f, list(mods))
    ids = _as_tuple(indicators)
    if ids is not None:
        owner = {e["id"]: name for name, m in mods.items() for e in m.CATALOG}
        for i in ids:
            check_choice("indicators", i, list(owner))
        fams = tuple(f for f in fams if any(owner[i] == f for i in ids))
    return mods, tuple(f for f in FAMILIES if f in fams), ids


def _plan(ds, families, indicators, strict_tables: bool, window: bool = False):
    """(family modules to run, wanted ids or None, warnings) after checking every argument.

    With ``window`` the indicators that cannot use a window (:mod:`._period`) are left
    out with a note: a family with none left is not run, and ``wanted`` lists the rest.
    """
    from evalkit.families._period import window_exclusions

    mods, fams, ids = _resolve(families, indicators)
    asked_by_name = _as_tuple(families) is not None
    wanted = frozenset(ids) if ids is not None else None
    run, notes = [], []
    if window:
        from evalkit.vocabulary import family_label

        left_zh, left_en = [], []  # families left out whole, else indicators
        keep = set()
        for f in fams:
            asked = [e for e in mods[f].CATALOG if wanted is None or e["id"] in wanted]
            out = window_exclusions(mods[f])
            keep.update(e["id"] for e in asked if e["id"] not in out)
            gone = [e for e in asked if e["id"] in out]
            if gone and len(gone) == len(asked) and len(asked) > 1:
                left_zh.append(f"{family_label(f)}指标族")
                left_en.append(f"the {family_label(f, 'en')} family")
            else:
                left_zh += [f"{e['name_zh']}（{e['id']}）" for e in gone]
                left_en += [e["id"] for e in gone]
        wanted = frozenset(keep)
        fams = tuple(f for f in fams if any(e["id"] in wanted for e in mods[f].CATALOG))
        if left_zh:
            notes.append((f"以下指标不能用于自定义期间（趋势、同比变化、留存、干部届次、社区年度数据、调查轮次均按年计算），"
                          f"已略去：{'、'.join(left_zh)}。",
                          f"These indicators cannot use a window (trends, year-on-year changes, retention, "
                          f"cadre terms, yearly community facts and survey waves are yearly) and are left "
                          f"out: {', '.join(left_en)}."))
    for f in fams:
        mod = mods[f]
        missing = [t for t in mod.TABLES if not ds.has(t)]
        if missing:
            if asked_by_name or (strict_tables and wanted is not None):
                ds[missing[0]]  # raises MissingTableError naming the table
            from evalkit.vocabulary import family_label, table_label

            notes.append((f"数据集中没有{'、'.join(table_label(t) for t in missing)}，"
                          f"已略去“{family_label(f)}”指标族。",
                          f"The dataset has no {', '.join(table_label(t, 'en') for t in missing)}: "
                          f"the {family_label(f, 'en')} family is left out."))
            continue
        run.append(mod)
    return run, wanted, notes


def tables_needed(families=None, indicators=None) -> set[str]:
    """The tables that :func:`indicators` reads for these families / indicators.

    Parameters
    ----------
    families
        Family names (default: every family), as for :func:`indicators`.
    indicators
        Indicator ids (default: all of the families), as for :func:`indicators`.

    Returns
    -------
    set of str
        Table names to pass as ``evalkit.io.load(path, tables=...)``: each
        family's ``TABLES``, the extra tables of its ``NEEDS`` for the wanted
        indicators, the tables their foreign keys point at (a request's visit
        and dispute case), and always ``communities`` and ``community_years``.

    Raises
    ------
    ParameterError
        An unknown family or indicator (the same message as :func:`indicators`).

    Notes
    -----
    Loading only these tables gives the same indicator values as loading
    the whole dataset: a family never reads a table outside this set.

    References
    ----------
    docs/dev/INTERFACES.md (family modules: ``TABLES``, ``NEEDS``).
    """
    from evalkit.contract import TABLES

    mods, fams, ids = _resolve(families, indicators)
    out = set(_ALWAYS)
    for f in fams:
        mod = mods[f]
        out.update(mod.TABLES)
        for ind, tables in getattr(mod, "NEEDS", {}).items():
            if ids is None or ind in ids:
                out.update(tables)
    # the tables their foreign keys point at (validation checks every link of a table read)
    todo = list(out)
    while todo:
        for fk in TABLES[todo.pop()].foreign_keys:
            if fk.table not in out:
                out.add(fk.table)
                todo.append(fk.table)
    return out


def indicators(ds, *, year: int | None = None, period=None, level: str | Sequence[str] = "community",
               families=None, roles=None, min_n: int = 10, as_of=None, indicators=None):
    """Compute the governance indicators of ``year`` (or of a window) as the long output table.

    Parameters
    ----------
    ds
        A :class:`evalkit.io.dataset.Dataset`.
    year
        The calendar year (survey wave) the indicators describe.
    period
        Instead of ``year``: an explicit window ``(start, end)`` of dates, both
        inclusive (a half year, a campaign, "since the founding").  Its rows have
        period ``start..end``; it ends at min(end, as-of date).  Indicators that
        cannot use a window (trends, year-on-year changes, retention, cadre terms,
        yearly community facts, survey waves) are left out with a warning.
    level
        ``"community"``, ``"street"``, ``"district"``, ``"city"`` or a sequence of them.
    families
        Family names to compute (default: every family whose tables are present).
        A family asked for by name whose table is missing raises MissingTableError;
        otherwise the family is left out with a warning.
    roles
        Cadre roles for the cadre indicators (default: every role but grid_worker and
        part_time_member).
    min_n
        Fewest respondents for a survey-based estimate; below it the row is suppressed.
    as_of
        The data's as-of date (default: each table's latest date).
    indicators
        Indicator ids to compute (default: all of the families).

    Returns
    -------
    DataFrame with the columns of :data:`evalkit.families._frame.COLUMNS`, sorted by
    indicator, level, unit_id, period, category.  ``df.attrs["warnings"]`` lists
    the warnings (zh and en).

    Raises
    ------
    ParameterError
        Neither or both of ``year`` and ``period``; an unknown level, family,
        role or indicator; a bad date.

    Notes
    -----
    Units above community are computed from the records (numerators and
    denominators summed; distinct counts -- organisations, households, teams --
    recounted at each level), never by averaging community rates.  Coverage: a
    period before the month of a table's first record or after the as-of
    date is empty with note ``no data``; a year cut by the as-of date has
    note ``through MM-DD``, a year the table begins in after January
    ``from MM-DD``; a change or retention rate against such a part year
    names it (``2020 from 07-01``).

    References
    ----------
    docs/INDICATORS.md (every definition and formula).

    Examples
    --------
    A community of 100 households whose visitors called twice at one household:

    >>> import pandas as pd
    >>> from evalkit.io.dataset import Dataset
    >>> com = pd.DataFrame({"community_id": ["C1"], "community_name": ["一社区"], "district": ["东区"],
    ...                     "street": ["和平街道"], "households": [100], "population": [300]})
    >>> vis = pd.DataFrame({"visit_id": ["V1", "V2"], "community_id": ["C1", "C1"],
    ...                     "visited_on": pd.to_datetime(["2024-03-01", "2024-05-01"]),
    ...                     "household_id": ["H1", "H1"], "mode": ["in_home", "doorstep"],
    ...                     "needs_found": [1, 0]})
    >>> ds = Dataset(path=".", tables={"communities": com, "visits": vis})
    >>> t = indicators(ds, period=("2024-01-01", "2024-06-30"), families=["visits"],
    ...                indicators=["visit_count", "visit_household_coverage"])
    >>> t.loc[t["category"].isna(), ["indicator", "period", "value"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'indicator': 'visit_count', 'period': '2024-01-01..2024-06-30', 'value': 2.0},
     {'indicator': 'visit_household_coverage', 'period': '2024-01-01..2024-06-30', 'value': 0.01}]
    """
    import pandas as pd

    from evalkit.contract import CADRE_ROLES, LEVELS
    from evalkit.exceptions import ParameterError, check_choice
    from evalkit.families._frame import Context, empty, finalize
    from evalkit.families._period import Period, parse_period

    from evalkit.io.dataset import require_dataset

    require_dataset(ds)
    levels = _as_tuple(level) or ("community",)
    for lev in levels:
        check_choice("level", lev, list(LEVELS))
    levels = tuple(dict.fromkeys(levels))
    if (year is None) == (period is None):
        raise ParameterError("请给出年份 `year` 或期间 `period`（起止日期）之一，二者不能同时给出。",
                             "Give either `year` or `period` (a start and end date), not both and not neither.")
    if period is not None:
        per = parse_period(period)
    else:
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise ParameterError(f"参数 `year` 必须是整数年份，但传入的是 {year!r}。",
                                 f"The value for `year` must be a whole year, but {year!r} was passed.") from None
        per = Period.calendar(year)
    roles = _as_tuple(roles)
    if roles is not None:
        for r in roles:
            check_choice("roles", r, list(CADRE_ROLES))
    if not isinstance(min_n, int) or min_n < 1:
        raise ParameterError(f"参数 `min_n` 必须是正整数，但传入的是 {min_n!r}。",
                             f"The value for `min_n` must be a positive integer, but {min_n!r} was passed.")
    ts = _parse_as_of(as_of)
    run, wanted, notes = _plan(ds, families, indicators, strict_tables=False, window=per.is_window)
    ctx = Context(ds=ds, year=per.year, levels=levels, min_n=min_n, as_of=ts, roles=roles,
                  indicators=wanted, period=per)
    for zh, en in notes:
        warnings.warn(f"{zh}\n{en}", UserWarning, stacklevel=2)
        ctx.warnings.append(f"{zh} / {en}")
    parts = []
    for mod in run:
        for ind, tables in getattr(mod, "NEEDS", {}).items():
            missing = [t for t in tables if not ds.has(t)]
            if missing and ctx.wants(ind):
                if ind in (_as_tuple(indicators) or ()):  # asked for by id: an error naming the table
                    ds[missing[0]]
                from evalkit.vocabulary import table_label

                e = next(x for x in mod.CATALOG if x["id"] == ind)
                zh = f"数据集中没有{'、'.join(table_label(t) for t in missing)}，已略去指标“{e['name_zh']}”（{ind}）。"
                en = (f"The dataset has no {', '.join(table_label(t, 'en') for t in missing)}: "
                      f"indicator {e['name_en']} ({ind}) is left out.")
                warnings.warn(f"{zh}\n{en}", UserWarning, stacklevel=2)
                ctx.warnings.append(f"{zh} / {en}")
        df = mod.compute(ctx)
        if df is not None and len(df):
            parts.append(df)
    out = finalize(pd.concat(parts, ignore_index=True)) if parts else empty()
    if wanted is not None:
        out = out.loc[out["indicator"].isin(wanted)].reset_index(drop=True)
    if len(out) and out["value"].isna().all() and out["note"].eq("no data").all():
        zh = f"{per.label} 的全部指标均无数据：该期间可能早于数据开始或晚于截止日期。"
        en = (f"Every indicator is 'no data' for {per.label}: the period may lie before the data begin "
              "or after the as-of date.")
        warnings.warn(f"{zh}\n{en}", UserWarning, stacklevel=2)
        ctx.warnings.append(f"{zh} / {en}")
    out.attrs["warnings"] = list(ctx.warnings)
    return out


def outcome_panel(ds, indicator: str, years, *, as_of=None):
    """Community-level yearly values of one indicator, for the pilot comparison.

    Parameters
    ----------
    ds
        A Dataset.
    indicator
        A community-level yearly indicator (e.g. ``dispute_rate``,
        ``volunteer_active_rate``, ``satisfaction_index``, ``request_closure_rate``,
        ``meeting_count``).  An indicator with a category breakdown is usable when it
        has a total row (catalog ``total``): its total is the outcome.
    years
        The years wanted.

    Returns
    -------
    DataFrame[community_id (str), year (int64), value (float64)], one row per
    community and year (value NaN where undefined or out of coverage).

    Raises
    ------
    ParameterError
        An unknown indicator, or a breakdown without a total row (``dispute_share``).

    Notes
    -----
    The record-level aggregation is cached per table, so the ledger is read once
    for all the years.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.io.dataset import Dataset
    >>> com = pd.DataFrame({"community_id": ["C1"], "community_name": ["一社区"], "district": ["东区"],
    ...                     "street": ["和平街道"], "households": [100], "population": [300]})
    >>> vis = pd.DataFrame({"visit_id": ["V1", "V2", "V3"], "community_id": ["C1"] * 3,
    ...                     "visited_on": pd.to_datetime(["2023-03-01", "2024-03-01", "2024-05-01"]),
    ...                     "household_id": ["H1", "H1", "H2"], "mode": ["in_home"] * 3, "needs_found": [0, 1, 0]})
    >>> ds = Dataset(path=".", tables={"communities": com, "visits": vis})
    >>> outcome_panel(ds, "visit_count", [2023, 2024])     # the total row of a breakdown by mode
      community_id  year  value
    0           C1  2023    1.0
    1           C1  2024    2.0
    """
    import pandas as pd

    from evalkit.exceptions import ParameterError
    from evalkit.families.catalog import entry

    e = entry(indicator)
    if e["category"] and not e.get("total"):
        raise ParameterError(
            f"指标 {indicator} 按类别细分且没有合计行，不能作为试点对比的结果变量。",
            f"Indicator {indicator} is a breakdown by category without a total row and cannot be a "
            "pilot outcome.",
        )
    parts = []
    for y in sorted({int(y) for y in years}):
        t = indicators(ds, year=y, level="community", families=[e["family"]], as_of=as_of,
                       indicators=[indicator])
        t = t.loc[(t["period"] == str(y)) & t["category"].isna(), ["unit_id", "value"]]
        parts.append(pd.DataFrame({"community_id": t["unit_id"].to_numpy(), "year": y,
                                   "value": t["value"].to_numpy()}))
    out = pd.concat(parts, ignore_index=True)
    out = out.astype({"community_id": "str", "year": "int64", "value": "float64"})
    return out.sort_values(["community_id", "year"], kind="mergesort").reset_index(drop=True)
