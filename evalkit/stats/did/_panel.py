"""The balanced wide panel every estimator of :mod:`evalkit.stats.did` works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, ParameterError
from evalkit.stats._grouping import check_columns, check_frame, numeric

__all__ = ["Panel", "prepare_panel"]


@dataclass
class Panel:
    """A balanced wide panel ready for the estimators (output of :func:`prepare_panel`).

    Attributes
    ----------
    units
        Unit ids, one per row of ``Y``.
    times
        The periods, sorted, one per column of ``Y``.
    Y
        Outcomes, units × periods.
    G
        First-treated period of each unit; 0 = never treated within the window.
    w
        Unit weights, normalised to mean 1.
    cluster
        Integer cluster code of each unit (0 … C − 1).
    dropped_incomplete
        Units left out because they lack the outcome in a period of the window.
    dropped_early
        Units left out because they were first treated in or before the first period.
    recoded_late
        Units first treated after the last period, counted as never treated.
    trimmed_from
        The first period left out by the estimator (``control="notyet"`` without
        never-treated units drops the periods from the last cohort on), else None.

    Examples
    --------
    >>> import numpy as np
    >>> p = Panel(units=np.array(["a", "b"]), times=np.array([2023, 2024]),
    ...           Y=np.array([[1.0, 2.0], [1.0, 1.5]]), G=np.array([2024.0, 0.0]),
    ...           w=np.ones(2), cluster=np.array([0, 1]))
    >>> p.Y.shape, int((p.G > 0).sum())
    ((2, 2), 1)
    """

    units: np.ndarray
    times: np.ndarray
    Y: np.ndarray
    G: np.ndarray
    w: np.ndarray
    cluster: np.ndarray
    dropped_incomplete: int = 0
    dropped_early: int = 0
    recoded_late: int = 0
    trimmed_from: int | None = None


def prepare_panel(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str,
                  cluster: str | None = None, weights: str | None = None,
                  start: int | None = None, end: int | None = None) -> Panel:
    """Check a long panel and turn it into a balanced wide :class:`Panel`.

    Parameters
    ----------
    data
        Long panel, one row per unit and period.
    outcome, unit, time, first_treated
        Columns: the outcome (numeric), the unit id, the period (whole numbers)
        and the first treated period (empty or 0 = never treated; constant
        within a unit).
    cluster
        Cluster column (constant within a unit; default: each unit its own cluster).
    weights
        Unit weights (positive, constant within a unit).
    start, end
        Keep only periods in [start, end].

    Returns
    -------
    Panel
        Balanced: units without the outcome in every period of the window are
        left out, as R ``did`` does; units first treated in or before the first
        period are left out (no pre-period); units first treated after the last
        period count as never treated.  The counts are in the Panel's fields.

    Raises
    ------
    DataError
        Naming the column, unit and value: a missing column, a non-numeric
        outcome, a first-treated period, weight or cluster that changes within a
        unit, a duplicate row, a period of the window without any outcome (with
        the periods the data cover), no unit left, no treated unit with a pre-period.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": list("aabbcc"), "year": [2023, 2024] * 3,
    ...                    "y": [1.0, 3.0, 2.0, None, 1.0, 1.5], "first": [2024, 2024, 2024, 2024, 0, 0]})
    >>> p = prepare_panel(df, outcome="y", unit="unit", time="year", first_treated="first")
    >>> p.units.tolist(), p.dropped_incomplete
    (['a', 'c'], 1)
    """
    check_frame(data, "prepare_panel")
    check_columns(data, [outcome, unit, time, first_treated, cluster, weights])
    if len(data) == 0:
        raise DataError("面板数据没有任何行。", "The panel has no rows.")
    if data[unit].isna().any():
        raise DataError("单位列有空值。", "The unit column has empty values.", column=unit)
    tt = numeric(data, time, role=("时间列", "time column"), unit=unit, integer=True)
    if np.isnan(tt).any():
        raise DataError("时间列有空值。", "The time column has empty values.", column=time)
    y = numeric(data, outcome, role=("结果变量", "outcome"), unit=unit)
    ft = numeric(data, first_treated, role=("首次试点年份", "first-treated year"), unit=unit, integer=True)
    ft = np.where(np.isnan(ft), 0.0, ft)
    w = numeric(data, weights, role=("权重", "weights"), unit=unit) if weights else np.ones(len(data))
    if weights and (np.isnan(w) | (w <= 0)).any():
        raise DataError("权重必须为正数且不能为空。", "Weights must be positive and not empty.", column=weights)
    df = pd.DataFrame({"u": data[unit].to_numpy(), "t": tt.astype(np.int64), "y": y, "g": ft, "w": w})
    df["c"] = data[cluster].to_numpy() if cluster else df["u"]
    if cluster and df["c"].isna().any():
        # pd.factorize would code a missing cluster -1, which numpy indexing reads as the last cluster
        miss = df.loc[df["c"].isna(), "u"]
        raise DataError(f"聚类列有空值：单位 {miss.iloc[0]} 等 {miss.nunique()} 个单位没有聚类。每个单位都需要聚类值。",
                        f"The cluster column has empty values: {miss.nunique()} unit(s), e.g. {miss.iloc[0]}, "
                        "have no cluster. Every unit needs one.", column=cluster)
    check_years(start, end)
    _check_window(df, start, end, outcome)
    if start is not None:
        df = df[df["t"] >= start]
    if end is not None:
        df = df[df["t"] <= end]
    dup = df.duplicated(["u", "t"])
    if dup.any():
        # one column at a time: a row of the mixed frame would upcast the ids to float (8001.0)
        u0, t0 = df["u"].to_numpy()[dup.to_numpy()][0], df["t"].to_numpy()[dup.to_numpy()][0]
        raise DataError(f"单位 {u0} 在 {t0} 年有重复的行。",
                        f"Unit {u0} has more than one row for period {t0}.", column=time)
    for col, zh, en in (("g", "首次试点年份", "first-treated year"), ("w", "权重", "weight"),
                        ("c", "聚类", "cluster")):
        nun = df.groupby("u", sort=False)[col].nunique(dropna=False)
        if (nun > 1).any():
            bad = nun.index[(nun > 1).to_numpy()][0]
            colname = {"g": first_treated, "w": weights, "c": cluster}[col]
            raise DataError(f"单位 {bad} 的{zh}在不同年份不一致，它必须对每个单位固定不变。",
                            f"The {en} of unit {bad} changes over time; it must be constant within a unit.",
                            column=colname)
    times = np.sort(df["t"].unique())
    if len(times) < 2:
        raise DataError("面板至少需要两个年份。", "The panel needs at least two periods.", column=time)
    wide = df.pivot(index="u", columns="t", values="y").reindex(columns=times)
    complete = wide.notna().all(axis=1).to_numpy()
    info = df.groupby("u", sort=False)[["g", "w", "c"]].first().reindex(wide.index)
    G = info["g"].to_numpy(dtype=float, copy=True)
    late = (G > times[-1])
    G[late] = 0.0
    early = (G > 0) & (G <= times[0])
    keep = complete & ~early
    panel = Panel(
        units=wide.index.to_numpy()[keep], times=times, Y=wide.to_numpy(dtype=float)[keep],
        G=G[keep], w=info["w"].to_numpy(dtype=float)[keep],
        cluster=pd.factorize(info["c"].to_numpy()[keep])[0],
        dropped_incomplete=int((~complete & ~early).sum()), dropped_early=int(early.sum()),
        recoded_late=int(late.sum()),
    )
    if panel.Y.shape[0] == 0:
        raise DataError(f"去掉缺少某年数据的 {panel.dropped_incomplete} 个单位和窗口开始前（{int(times[0])} 年或更早）"
                        f"已试点的 {panel.dropped_early} 个单位后，没有剩下任何单位。",
                        f"No unit is left after dropping {panel.dropped_incomplete} unit(s) missing a period and "
                        f"{panel.dropped_early} unit(s) treated in or before the first period ({int(times[0])}).",
                        column=outcome)
    panel.w = panel.w / panel.w.mean()
    if not (panel.G > 0).any():
        raise DataError("窗口内没有在首年之后开始试点的单位：缺少试点前的年份（没有前期）。",
                        "No unit starts treatment after the first period of the window: there is no "
                        "pre-period to compare with.", column=first_treated)
    return panel


def check_years(start, end) -> None:
    """Raise ParameterError unless ``start`` comes before ``end`` (either may be None).

    Examples
    --------
    >>> check_years(2020, 2024)
    >>> check_years(2024, 2024)
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 起始年 2024 必须早于结束年 2024。
    The first year 2024 must come before the last year 2024.
    """
    if start is not None and end is not None and start >= end:
        raise ParameterError(f"起始年 {start} 必须早于结束年 {end}。",
                             f"The first year {start} must come before the last year {end}.")


def _check_window(df: pd.DataFrame, start, end, outcome: str) -> None:
    """Refuse a window with a period that has no outcome at all, naming the periods the data cover."""
    have = np.unique(df.loc[df["y"].notna(), "t"].to_numpy())
    if len(have) == 0:
        raise DataError("结果变量没有任何数值。", "The outcome has no values at all.", column=outcome)
    periods = set(df["t"].unique().tolist()) | {int(x) for x in (start, end) if x is not None}
    lo = int(start) if start is not None else min(periods)
    hi = int(end) if end is not None else max(periods)
    empty = sorted(t for t in periods if lo <= t <= hi and t not in set(have.tolist()))
    if empty:
        cover = f"{int(have[0])}–{int(have[-1])}" if len(have) > 1 else f"{int(have[0])}"
        shown = "、".join(map(str, empty[:5])) + ("……" if len(empty) > 5 else "")
        shown_en = ", ".join(map(str, empty[:5])) + (", ..." if len(empty) > 5 else "")
        raise DataError(f"所选窗口 {lo}–{hi} 中，{shown} 年没有任何结果数据：数据覆盖 {cover} 年"
                        f"（从 {int(have[0])} 年开始）。请把窗口放在这些年份之内。",
                        f"In the window {lo}–{hi}, period(s) {shown_en} have no outcome data at all: the data "
                        f"cover {cover} (they start in {int(have[0])}). Choose a window within those periods.",
                        column=outcome)
