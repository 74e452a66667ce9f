"""Report figures drawn from the long indicator table.

Every function takes the long table of :func:`evalkit.indicators` first
(it reads the columns ``indicator, level, unit_id, unit_name, district,
period, category, value, ci_low, ci_high, suppressed``), column roles and
choices keyword-only, and returns the matplotlib ``Axes`` it drew on.
A selection that matches no row, or rows that would mix periods or
categories on one axis, is a :class:`~evalkit.exceptions.ParameterError`
naming what matched nothing -- never an empty or mixed plot.  Names,
units and labels come from the catalog and :mod:`evalkit.labels`;
fonts from :mod:`evalkit.plot.fonts`, so Chinese renders without
"Glyph ... missing from font" warnings.

Intervals drawn are the table's own ``ci_low``/``ci_high`` (95%); nothing is
estimated here.  Suppressed rows are left out of every plot.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from evalkit.plot import fonts

__all__ = ["dispute_trend", "unit_bars", "education_by_term", "satisfaction_dimensions",
           "volunteer_activity", "yearly_trend", "select", "rows_for", "example_table"]

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")
_COLORS = ["#1f5fa8", "#e07b24", "#2e9d57", "#c8363a", "#7d5ab5", "#8c6d3f", "#d460a8", "#6f7780"]


def _t(key, lang, **kw):
    from evalkit.labels import t

    return t(key, lang, **kw)


def _check(data, needed=("indicator", "level", "unit_id", "period", "value")) -> pd.DataFrame:
    from evalkit.exceptions import ParameterError

    if not isinstance(data, pd.DataFrame):
        raise ParameterError("data 必须是指标长表（DataFrame）。",
                             "data must be the long indicator table (a DataFrame).")
    miss = [c for c in needed if c not in data.columns]
    if miss:
        raise ParameterError(f"指标表缺少列：{', '.join(miss)}。",
                             f"The indicator table lacks the columns: {', '.join(miss)}.")
    return data


def select(data: pd.DataFrame, *, indicator: str | list[str], level: str | None = None,
           unit_id: str | None = None, district: str | None = None, period: str | None = None,
           category: str | None = None, keep_suppressed: bool = False) -> pd.DataFrame:
    """Rows of the long table matching every condition given (None = any).

    Suppressed rows are dropped unless ``keep_suppressed``.  An empty result is
    returned as it is; the plot functions raise instead (see :func:`rows_for`).

    Returns
    -------
    DataFrame
        The matching rows, in the columns of the long table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"indicator": "dispute_rate", "level": ["city", "district"],
    ...                   "unit_id": ["all", "东城区"], "period": "2024", "value": [25.4, 23.9],
    ...                   "suppressed": False})
    >>> select(t, indicator="dispute_rate", level="district")["unit_id"].tolist()
    ['东城区']
    """
    _check(data)
    ind = [indicator] if isinstance(indicator, str) else list(indicator)
    m = data["indicator"].isin(ind).to_numpy(dtype=bool, copy=True)
    for col, val in (("level", level), ("unit_id", unit_id), ("district", district),
                     ("period", period), ("category", category)):
        if val is not None and col in data.columns:
            m = m & (data[col] == val).fillna(False).to_numpy(dtype=bool)
    out = data.loc[m]
    if not keep_suppressed and "suppressed" in out.columns:
        out = out.loc[~out["suppressed"].fillna(False).astype(bool)]
    return out


_COND_ZH = {"indicator": "指标", "level": "层级", "unit_id": "单位", "district": "区县", "period": "期间",
            "category": "类别"}


def _some(values, k: int = 12) -> str:
    vals = sorted({str(v) for v in values if v is not None and v == v})
    return ", ".join(vals[:k]) + (f" … (+{len(vals) - k})" if len(vals) > k else "") if vals else "—"


def rows_for(data: pd.DataFrame, *, indicator: str | list[str], values: bool = True, **conditions) -> pd.DataFrame:
    """The rows a figure draws: :func:`select`, but an empty result is an error that says why.

    The conditions are applied in order (``indicator``, then ``level``,
    ``unit_id``, ``district``, ``period``, ``category`` as given; None = any); the
    first that leaves no row is named in a ParameterError with the values the
    table has there, instead of an empty plot.  Suppressed rows are left out,
    and with ``values`` rows without a value (``no data``) too.

    Returns
    -------
    DataFrame
        The rows, at least one.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"indicator": "dispute_rate", "level": ["city", "district"],
    ...                   "unit_id": ["all", "东城区"], "period": "2024", "value": [25.4, 23.9]})
    >>> len(rows_for(t, indicator="dispute_rate", level="district"))
    1
    >>> rows_for(t, indicator="dispute_rate", level="community")
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 指标表中没有符合 指标 = 'dispute_rate'、层级 = 'community' 的行；层级 可选：city, district。
    The indicator table has no rows with indicator = 'dispute_rate', level = 'community'; level has: city, district.
    """
    from evalkit.exceptions import ParameterError

    _check(data)
    m = np.ones(len(data), dtype=bool)
    said: list[tuple[str, str]] = []
    for col, val in (("indicator", indicator), *conditions.items()):
        if val is None:
            continue
        if col not in data.columns:
            raise ParameterError(f"指标表缺少列：{col}。", f"The indicator table lacks the column {col}.")
        vals = [val] if isinstance(val, str) else list(val)
        here = data[col].isin(vals).fillna(False).to_numpy(dtype=bool)
        said.append((col, " / ".join(repr(str(v)) for v in vals)))
        if not (m & here).any():
            have = _some(data.loc[m, col])
            zh = "、".join(f"{_COND_ZH.get(c, c)} = {v}" for c, v in said)
            en = ", ".join(f"{c} = {v}" for c, v in said)
            raise ParameterError(f"指标表中没有符合 {zh} 的行；{_COND_ZH.get(col, col)} 可选：{have}。",
                                 f"The indicator table has no rows with {en}; {col} has: {have}.")
        m &= here
    out = data.loc[m]
    where_zh = "、".join(f"{_COND_ZH.get(c, c)} = {v}" for c, v in said)
    where_en = ", ".join(f"{c} = {v}" for c, v in said)
    if "suppressed" in out.columns:
        out = out.loc[~out["suppressed"].fillna(False).astype(bool).to_numpy()]
        if out.empty:
            raise ParameterError(f"符合 {where_zh} 的行都因样本量不足而隐去，无可绘制。",
                                 f"Every row with {where_en} is suppressed (too few respondents): nothing to draw.")
    if values:
        out = out.loc[out["value"].notna().to_numpy()]
        if out.empty:
            raise ParameterError(f"符合 {where_zh} 的行都没有数值（无数据），无可绘制。",
                                 f"Every row with {where_en} is empty (no data): nothing to draw.")
    return out


def _level_of(data: pd.DataFrame, indicators, unit_id: str, level: str | None) -> str:
    """``level`` when given, else the one level at which ``unit_id`` has rows of ``indicators``."""
    from evalkit.exceptions import ParameterError

    if level is not None:
        return level
    have = rows_for(data, indicator=indicators, unit_id=unit_id, values=False)
    levels = list(dict.fromkeys(have["level"].dropna().astype(str)))
    if len(levels) != 1:
        raise ParameterError(f"单位 {unit_id} 在多个层级都有数据（{', '.join(levels)}），请用 level 指定一个。",
                             f"Unit {unit_id} has rows at several levels ({', '.join(levels)}): pass level.")
    return levels[0]


def _yearly_period(rows: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """Rows of one period: ``period`` when given, else the latest year (never the months beside it)."""
    from evalkit.exceptions import ParameterError

    if period is not None:
        return rows
    per = rows["period"].astype(str)
    years = per[per.str.fullmatch(_YEAR.pattern)]
    if len(years):
        return rows.loc[(per == years.max()).to_numpy()]
    if per.nunique() == 1:
        return rows
    raise ParameterError(f"这些行有多个期间（{_some(per)}），请用 period 指定一个。",
                         f"These rows have several periods ({_some(per)}): pass period.")


def _ax(ax, figsize=(7.5, 3.6), margins: dict | None = None):
    """A new Axes (constrained layout, or fixed ``margins`` in inches: cheaper to draw) or ``ax``."""
    import matplotlib.pyplot as plt

    fonts.setup()
    if ax is None:
        if margins:
            w, h = figsize
            fig, ax = plt.subplots(figsize=figsize)
            fig.subplots_adjust(left=margins["left"] / w, right=1 - margins.get("right", 0.25) / w,
                                top=1 - margins.get("top", 0.35) / h, bottom=margins.get("bottom", 0.5) / h)
        else:
            _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _wrap(label: str, width: int = 14) -> str:
    """Break a long axis label at its middle space so a short axis does not clip it."""
    if len(label) <= width or " " not in label:
        return label
    mid = len(label) // 2
    cut = min((i for i, ch in enumerate(label) if ch == " "), key=lambda i: abs(i - mid))
    return label[:cut] + "\n" + label[cut + 1:]


def _title(ax, text):
    ax.set_title(text, loc="left", fontsize=11, **fonts.bold())


def _errors(df: pd.DataFrame) -> np.ndarray | None:
    if not {"ci_low", "ci_high"} <= set(df.columns):
        return None
    v = df["value"].to_numpy(float)
    lo = df["ci_low"].to_numpy(float)
    hi = df["ci_high"].to_numpy(float)
    if np.isnan(lo).all():
        return None
    return np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)]).clip(min=0)


def _scale(indicator: str) -> float:
    from evalkit.labels import unit

    return 100.0 if unit(indicator) == "share" else 1.0


def example_table():
    """A tiny long table for trying the plots (two districts, 2023–2024, yearly and monthly rows).

    Fabricated numbers in the columns of :func:`evalkit.indicators`' output that the
    plots read (``indicator, level, unit_id, unit_name, district, period, category,
    value, ci_low, ci_high, suppressed``); the examples of this module use it.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> t = example_table()
    >>> sorted(t["indicator"].unique())[:2], sorted(t["unit_id"].unique())
    (['cadre_education_share', 'dispute_rate'], ['东城区', '西城区'])
    """
    rows = []
    for d, base in (("东城区", 20.0), ("西城区", 30.0)):
        for y in (2023, 2024):
            rows.append(("dispute_rate", "district", d, d, d, str(y), None, base + y - 2023, 2.0))
            rows.append(("volunteer_active_rate", "district", d, d, d, str(y), None, 0.3 + (y - 2023) / 20, 0.03))
            for m in range(1, 13):
                rows.append(("dispute_rate", "district", d, d, d, f"{y}-{m:02d}", None, base / 12 + m % 3, 0.5))
            for c, v in (("college", 0.6), ("senior_high", 0.3), ("junior_high", 0.1)):
                rows.append(("cadre_education_share", "district", d, d, d, str(y), c, v, 0.05))
            for c, v in (("services", 70.0), ("safety", 80.0)):
                rows.append(("satisfaction_dimension", "district", d, d, d, str(y), c, v, 3.0))
    t = pd.DataFrame(rows, columns=["indicator", "level", "unit_id", "unit_name", "district", "period",
                                    "category", "value", "half"])
    t["ci_low"], t["ci_high"] = t["value"] - t["half"], t["value"] + t["half"]
    return t.drop(columns="half").assign(suppressed=False)


def dispute_trend(data: pd.DataFrame, *, unit_id: str, level: str | None = None,
                  indicator: str = "dispute_rate", pilot_starts=(), lang: str = "zh", ax=None):
    """Monthly dispute rate of one unit with its 12-month moving average.

    Parameters
    ----------
    data
        The long indicator table; rows with a monthly ``period`` (``2024-03``) are used.
    unit_id
        The unit drawn (a community id, a district name, ``all`` for the city).
    level
        The unit's level; by default the one level at which ``unit_id`` has rows.
    pilot_starts
        Dates (anything ``pd.to_datetime`` reads) drawn as dashed vertical lines.
    lang
        "zh" or "en".

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    evalkit.exceptions.ParameterError
        No monthly row of ``indicator`` for the unit (the message names the
        condition that matched nothing).

    Notes
    -----
    The trend line is the centred 12-month moving average
    :math:`\\bar r_t = \\frac{1}{12}\\sum_{k=-6}^{5} r_{t+k}`, which removes the
    month-of-year pattern; it is drawn (and named in the legend) only when it
    has at least two points, i.e. from 13 months on.  The fitted incidence-rate
    ratio (``dispute_trend_irr``) is added to the legend when the table holds it.

    References
    ----------
    Cleveland, R. B. et al. (1990). STL: a seasonal-trend decomposition procedure
    based on loess. *Journal of Official Statistics* 6(1), 3–73 (moving averages
    as trend estimates).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = dispute_trend(example_table(), unit_id="东城区")
    >>> ax.get_legend_handles_labels()[1]
    ['逐月', '趋势']
    >>> plt.close(ax.figure)
    """
    from evalkit.labels import name, unit, unit_label

    level = _level_of(data, indicator, unit_id, level)
    rows = rows_for(data, indicator=indicator, level=level, unit_id=unit_id, values=False)
    rows = rows.loc[rows["period"].astype(str).str.fullmatch(_MONTH.pattern).to_numpy()]
    if rows["value"].notna().sum() == 0:
        from evalkit.exceptions import ParameterError

        raise ParameterError(f"单位 {unit_id}（层级 {level}）没有 {indicator} 的月度数值，无法画逐月趋势。",
                             f"Unit {unit_id} (level {level}) has no monthly values of {indicator}: "
                             "no monthly trend to draw.")
    own_figure = ax is None
    ax = _ax(ax)
    rows = rows.sort_values("period")
    x = pd.to_datetime(rows["period"].astype(str) + "-01")
    y = rows["value"].to_numpy(float)
    ax.plot(x, y, color=_COLORS[0], lw=1, alpha=0.6, marker=".", ms=3, label=_t("observed", lang))
    ma = pd.Series(y).rolling(12, center=True, min_periods=12).mean().to_numpy()
    if np.isfinite(ma).sum() >= 2:  # a single point of a moving average is no line: no dangling legend entry
        ax.plot(x, ma, color=_COLORS[1], lw=2.2, label=_t("trend", lang))
    irr = select(data, indicator="dispute_trend_irr", level=level, unit_id=unit_id)
    irr = irr.loc[irr["value"].notna()].sort_values("period")   # a 'no data' row has no ratio to show
    if len(irr):
        from evalkit.vocabulary import fmt_interval, fmt_value

        r = irr.iloc[-1]
        ci = fmt_interval(r.get("ci_low"), r.get("ci_high"), "ratio", lang, digits=2)
        ax.plot([], [], " ", label=f"IRR = {fmt_value(r['value'], 'ratio', lang, digits=2)}"
                + ("" if ci == "—" else f" ({ci})"))
    first = True
    for s in pilot_starts:
        d = pd.to_datetime(s)
        if pd.isna(d) or d < x.min() or d > x.max():
            continue
        ax.axvline(d, color=_COLORS[3], ls="--", lw=1, label=_t("pilot_start", lang) if first else None)
        first = False
    _title(ax, f"{name(indicator, lang)} · {_t('observed', lang)}")
    ax.set_ylabel(_wrap(unit_label(unit(indicator), lang)))
    ax.set_xlabel(_t("month", lang))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if own_figure:
        # a figure legend "outside" is laid out by constrained layout; an Axes legend
        # anchored below the axes made it squeeze the y label off the left edge
        ax.figure.legend(*ax.get_legend_handles_labels(), frameon=False, fontsize=8,
                         loc="outside lower center", ncol=4)
    else:
        ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4)
    return ax


def unit_bars(data: pd.DataFrame, *, indicator: str, level: str = "community",
              district: str | None = None, period: str | None = None, category: str | None = None,
              highlight: str | None = None, lang: str = "zh", max_units: int = 24, ax=None):
    """Units compared: sorted horizontal bars with their 95% intervals.

    Parameters
    ----------
    data
        The long indicator table.
    indicator, level, district, category
        Which rows: one indicator at one level (within ``district`` when given).
        An indicator broken down by category (``dispute_share``) needs ``category``.
    period
        The period drawn; by default the latest year in the rows (never the
        monthly rows beside it).
    highlight
        A ``unit_id`` drawn in a contrasting colour (the report's own district).
    max_units
        At most this many bars: beyond it the highest and the lowest ``max_units // 2``
        are drawn, and a gap row says how many units in the middle are left out
        (the workbook has them all).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    evalkit.exceptions.ParameterError
        No row matches (the message names the condition that matched nothing),
        or a unit has several rows (several categories: pass ``category``).

    Notes
    -----
    Shares are drawn as percents (100 × value); the interval is the table's
    ``[ci_low, ci_high]``.

    References
    ----------
    Cleveland, W. S. & McGill, R. (1984). Graphical perception. *JASA* 79(387),
    531–554 (sorted bars / dot charts for comparison).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = unit_bars(example_table(), indicator="dispute_rate", level="district")   # 2024, not the months
    >>> [round(float(p.get_width()), 1) for p in ax.patches]
    [21.0, 31.0]
    >>> plt.close(ax.figure)
    """
    from evalkit.exceptions import ParameterError
    from evalkit.labels import name, unit, unit_label

    rows = rows_for(data, indicator=indicator, level=level, district=district, period=period,
                    category=category, values=False)
    rows = _yearly_period(rows, period).dropna(subset=["value"])
    if rows.empty:
        raise ParameterError(f"{indicator} 在该期间没有数值（无数据），无可绘制。",
                             f"{indicator} has no values in that period (no data): nothing to draw.")
    if rows["unit_id"].duplicated().any():
        cats = _some(rows["category"]) if "category" in rows.columns else "—"
        raise ParameterError(f"{indicator} 每个单位有多行（类别：{cats}），请用 category 指定一个类别。",
                             f"{indicator} has several rows per unit (categories: {cats}): pass category.")
    rows = rows.sort_values(["value", "unit_id"], ascending=[True, True], kind="mergesort")
    omitted = 0
    if len(rows) > max_units:
        half = max(1, max_units // 2)
        omitted = len(rows) - 2 * half
        rows = pd.concat([rows.iloc[:half], rows.iloc[-half:]])
    n_slots = len(rows) + (1 if omitted else 0)
    # fixed margins (room for nine-character names): constrained layout costs ~0.3 s a figure
    ax = _ax(ax, figsize=(7.5, max(2.0, 0.26 * n_slots + 0.9)), margins={"left": 1.45, "bottom": 0.5})
    k = _scale(indicator)
    labels = rows["unit_name"].astype(str).where(rows["unit_name"].notna(), rows["unit_id"].astype(str)) \
        if "unit_name" in rows.columns else rows["unit_id"].astype(str)
    pos = np.arange(len(rows))
    if omitted:  # a gap row between the lowest and the highest
        half = len(rows) // 2
        pos = np.where(pos >= half, pos + 1, pos)
    colors = [_COLORS[1] if u == highlight else _COLORS[0] for u in rows["unit_id"]]
    err = _errors(rows)
    ax.barh(pos, rows["value"].to_numpy(float) * k, color=colors, height=0.7,
            xerr=None if err is None else err * k, error_kw={"ecolor": "#333333", "lw": 1.0, "capsize": 2.5})
    ticks, names = list(pos), labels.tolist()
    if omitted:
        ticks.append(len(rows) // 2)
        names.append(_t("omitted", lang, n=omitted))
    ax.set_yticks(ticks, names, fontsize=9)
    vals = rows["value"].to_numpy(float) * k
    hi = vals if err is None else vals + err[1] * k
    span = float(np.nanmax(hi)) if np.isfinite(hi).any() else 1.0
    from evalkit.vocabulary import fmt_value

    u = unit(indicator)
    for yv, v, h, raw in zip(pos, vals, hi, rows["value"].to_numpy(float)):
        ax.text((h if np.isfinite(h) else v) + span * 0.01, yv, fmt_value(raw, u, lang), va="center", fontsize=7.5,
                color="#333333")
    ax.set_xlim(0, span * 1.12 if span > 0 else 1)
    ax.set_ylim(-0.6, n_slots - 0.4)
    ax.set_xlabel(unit_label(u, lang) if u != "share" else _t("share", lang) + " (%)")
    _title(ax, name(indicator, lang))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def education_by_term(data: pd.DataFrame, *, unit_id: str, level: str | None = None,
                      indicator: str = "cadre_education_share", lang: str = "zh", ax=None):
    """Cadre education by term: stacked shares of each education level per period.

    Parameters
    ----------
    data
        The long table; rows of ``indicator`` with category = education code.
    unit_id, level
        The unit drawn; ``level`` by default the one level at which the unit has rows.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    evalkit.exceptions.ParameterError
        No yearly row of ``indicator`` for the unit.

    Notes
    -----
    Each bar is one period's cadres (the latest term on or before it), split by
    education level from lowest to highest; the shares of a bar sum to 100%.

    References
    ----------
    Nanshan district 2008 community election (seed 002 of the design documents).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = education_by_term(example_table(), unit_id="东城区")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['2023', '2024']
    >>> plt.close(ax.figure)
    """
    from evalkit.contract import EDUCATION_ORDER
    from evalkit.labels import category_label, name

    level = _level_of(data, indicator, unit_id, level)
    rows = rows_for(data, indicator=indicator, level=level, unit_id=unit_id)
    rows = rows.loc[rows["period"].astype(str).str.fullmatch(_YEAR.pattern).to_numpy()]
    if rows.empty:
        from evalkit.exceptions import ParameterError

        raise ParameterError(f"单位 {unit_id} 没有 {indicator} 的年度数值。",
                             f"Unit {unit_id} has no yearly values of {indicator}.")
    ax = _ax(ax, figsize=(7.5, 3.2))
    wide = rows.pivot_table(index="period", columns="category", values="value", aggfunc="first")
    cats = [c for c in EDUCATION_ORDER if c in wide.columns] + [c for c in wide.columns if c not in EDUCATION_ORDER]
    wide = wide.reindex(columns=cats).fillna(0.0).sort_index()
    left = np.zeros(len(wide))
    pos = np.arange(len(wide))
    for i, c in enumerate(cats):
        v = wide[c].to_numpy(float) * 100
        ax.barh(pos, v, left=left, color=_COLORS[i % len(_COLORS)], height=0.6,
                label=category_label(c, lang, "education"))
        left += v
    ax.set_yticks(pos, [str(p) for p in wide.index])
    ax.invert_yaxis()  # earliest term on top
    ax.set_xlim(0, 100)
    ax.set_xlabel(_t("share", lang) + " (%)")
    ax.set_ylabel(_t("term_year", lang))
    _title(ax, name(indicator, lang))
    ax.legend(frameon=False, fontsize=8, ncol=min(len(cats), 6), loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def satisfaction_dimensions(data: pd.DataFrame, *, unit_id: str, level: str | None = None,
                            period: str | None = None, indicator: str = "satisfaction_dimension",
                            reference: str | None = "all", lang: str = "zh", ax=None):
    """Satisfaction by dimension with 95% intervals, beside the city when given.

    Parameters
    ----------
    unit_id, level
        The unit drawn; ``level`` by default the one level at which the unit has rows.
    period
        The period drawn; by default the latest year.
    reference
        ``unit_id`` of a city-level comparison (``all``), or None.  Drawn (and
        named in the legend) only when the table has its values.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    evalkit.exceptions.ParameterError
        No row of ``indicator`` for the unit and period.

    Notes
    -----
    Points are design-based means of the 0–100 dimension scores; bars their
    95% intervals (normal, Taylor-linearised standard errors).

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *J. Stat. Softw.* 9(8).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = satisfaction_dimensions(example_table(), unit_id="东城区", lang="en")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_legend_handles_labels()[1]
    (['services', 'safety'], ['东城区'])
    >>> plt.close(ax.figure)
    """
    from evalkit.labels import category_label, name

    level = _level_of(data, indicator, unit_id, level)
    rows = rows_for(data, indicator=indicator, level=level, unit_id=unit_id, period=period)
    rows = _yearly_period(rows, period)
    rows = rows.sort_values(["value", "category"], kind="mergesort")
    ax = _ax(ax, figsize=(7.5, 3.4))
    pos = np.arange(len(rows))
    err = _errors(rows)
    label = str(rows["unit_name"].iloc[0]) if "unit_name" in rows.columns else str(unit_id)
    ax.errorbar(rows["value"].to_numpy(float), pos, xerr=err, fmt="o", color=_COLORS[0], capsize=3, label=label)
    if reference is not None and reference != unit_id:
        ref = select(data, indicator=indicator, level="city", unit_id=reference,
                     period=str(rows["period"].iloc[0]))
        ref = ref.drop_duplicates("category").set_index("category").reindex(rows["category"])
        if ref["value"].notna().any():
            ax.scatter(ref["value"].to_numpy(float), pos + 0.22, marker="|", s=120, color=_COLORS[1],
                       label=_city_label(lang))
    ax.set_yticks(pos, [category_label(c, lang, "dimension") for c in rows["category"]])
    ax.set_xlabel(_t("score", lang))
    _title(ax, name(indicator, lang))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return ax


def _city_label(lang):
    from evalkit.vocabulary import level_label

    return level_label("city", lang).capitalize()


def volunteer_activity(data: pd.DataFrame, *, unit_id: str, level: str | None = None,
                       indicators=("volunteer_registration_rate", "volunteer_active_rate"),
                       lang: str = "zh", ax=None):
    """Volunteer activity over the years: one line per indicator with intervals.

    Parameters
    ----------
    unit_id, level
        The unit drawn; ``level`` by default the one level at which the unit has rows.
    indicators
        The indicators drawn (at most two units of measure).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Shares (active rate) are drawn as percents on the left axis; an indicator
    in another unit (registrations per 100 residents) gets the right-hand axis.
    See :func:`yearly_trend`.

    References
    ----------
    Ministry of Civil Affairs, volunteer service registration statistics (2016).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = volunteer_activity(example_table(), unit_id="东城区", indicators=["volunteer_active_rate"])
    >>> ax.get_title(loc="left"), ax.get_legend_handles_labels()[1]
    ('志愿服务', ['志愿者活跃率'])
    >>> plt.close(ax.figure)
    """
    return yearly_trend(data, indicators=list(indicators), unit_id=unit_id, level=level,
                        lang=lang, ax=ax, title=_t("fam_volunteers", lang))


def yearly_trend(data: pd.DataFrame, *, indicators, unit_id: str = "all", level: str | None = None,
                 lang: str = "zh", title: str | None = None, ax=None):
    """Yearly values of one or more indicators for one unit, with 95% intervals.

    Parameters
    ----------
    data
        The long indicator table; rows with a yearly ``period`` (``2024``) are used.
    indicators
        One id or a list.  At most two units of measure (the second gets the
        right-hand axis); an indicator without rows for the unit is left out,
        and the legend names what is drawn.
    unit_id, level
        The unit drawn (``all``, the city, by default); ``level`` by default the
        one level at which the unit has rows.
    title
        The title; by default the names of the indicators (then a single line
        needs no legend).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    evalkit.exceptions.ParameterError
        Nothing to draw for the unit (the message names what matched nothing), or
        the indicators have more than two units of measure.

    Notes
    -----
    Shares are drawn as percents (100 × value); bands are ``[ci_low, ci_high]``
    (error bars when there is a single year).  The x axis shows the years drawn.

    References
    ----------
    Tufte, E. R. (2001). *The Visual Display of Quantitative Information*, 2nd ed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> t = example_table()
    >>> ax = yearly_trend(t.loc[t["period"] == "2024"], indicators="dispute_rate", unit_id="西城区")
    >>> [float(x) for x in ax.get_xlim()], ax.get_legend() is None
    ([2023.5, 2024.5], True)
    >>> plt.close(ax.figure)
    """
    from evalkit.exceptions import ParameterError
    from evalkit.labels import name, unit, unit_label

    inds = [indicators] if isinstance(indicators, str) else list(indicators)
    units = list(dict.fromkeys(unit(i) for i in inds))
    if len(units) > 2:
        raise ParameterError(f"一张图最多两种单位，但 {', '.join(inds)} 有 {len(units)} 种：{', '.join(units)}。",
                             f"A plot takes at most two units of measure; {', '.join(inds)} have {len(units)}: "
                             f"{', '.join(units)}.")
    level = _level_of(data, inds, unit_id, level)
    found = rows_for(data, indicator=inds, level=level, unit_id=unit_id)
    found = found.loc[found["period"].astype(str).str.fullmatch(_YEAR.pattern).to_numpy()]
    if "category" in found.columns:
        found = found.loc[(found["category"].isna() | (found["category"] == "")).to_numpy()]
    if found.empty:
        raise ParameterError(f"单位 {unit_id} 没有 {', '.join(inds)} 的年度数值，无可绘制。",
                             f"Unit {unit_id} has no yearly values of {', '.join(inds)}: nothing to draw.")
    ax = _ax(ax, figsize=(7.5, 3.2))
    axes = {units[0]: ax}
    if len(units) > 1:  # a second unit gets the right-hand axis; never two units on one scale
        axes[units[1]] = ax.twinx()
        axes[units[1]].spines[["top"]].set_visible(False)
    drawn, years = [], set()
    for i, ind in enumerate(inds):
        a = axes[unit(ind)]
        rows = found.loc[(found["indicator"] == ind).to_numpy()].sort_values("period")
        if rows.empty:
            continue
        k = _scale(ind)
        x = rows["period"].astype(int).to_numpy()
        years.update(x.tolist())
        color = _COLORS[i % len(_COLORS)]
        line, = a.plot(x, rows["value"].to_numpy(float) * k, marker="o", color=color, label=name(ind, lang))
        drawn.append(line)
        if "ci_low" in rows.columns and rows["ci_low"].notna().any():
            lo, hi = rows["ci_low"].to_numpy(float) * k, rows["ci_high"].to_numpy(float) * k
            if len(x) > 1:
                a.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0)
            else:  # a band over one year is invisible: an error bar
                v = rows["value"].to_numpy(float) * k
                a.errorbar(x, v, yerr=np.vstack([v - lo, hi - v]).clip(min=0), fmt="none", ecolor=color, capsize=3)
    for u, a in axes.items():
        a.set_ylabel(_t("share", lang) + " (%)" if u == "share" else unit_label(u, lang))
        a.set_ylim(bottom=0)
    ax.set_xlabel(_t("year", lang))
    ticks = sorted(years)
    ax.set_xticks(ticks, [str(y) for y in ticks])
    ax.set_xlim(ticks[0] - 0.5, ticks[-1] + 0.5)
    _title(ax, title if title is not None else " · ".join(ln.get_label() for ln in drawn))
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.spines[["top"] + ([] if len(axes) > 1 else ["right"])].set_visible(False)
    if len(drawn) > 1 or title is not None:  # a lone line named by the title needs no legend
        ax.legend(drawn, [ln.get_label() for ln in drawn], frameon=False, fontsize=8, loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncol=min(len(drawn), 3))
    return ax
