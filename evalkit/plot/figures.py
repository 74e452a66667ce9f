"""Report figures drawn from the long indicator table.

Every function takes the long table (columns of
:data:`evalkit.families._frame.COLUMNS`) first, column roles and choices
keyword-only, and returns the matplotlib ``Axes`` it drew on.  Names,
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
           "volunteer_activity", "yearly_trend", "select"]

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

    Suppressed rows are dropped unless ``keep_suppressed``.
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


def dispute_trend(data: pd.DataFrame, *, unit_id: str, level: str = "district",
                  indicator: str = "dispute_rate", pilot_starts=(), lang: str = "zh", ax=None):
    """Monthly dispute rate of one unit with its 12-month moving average.

    Parameters
    ----------
    data
        The long indicator table; rows with a monthly ``period`` (``2024-03``) are used.
    unit_id, level
        The unit drawn (a district name at level ``district``, ``all`` for the city).
    pilot_starts
        Dates (anything ``pd.to_datetime`` reads) drawn as dashed vertical lines.
    lang
        "zh" or "en".

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The trend line is the centred 12-month moving average
    :math:`\\bar r_t = \\frac{1}{12}\\sum_{k=-6}^{5} r_{t+k}`, which removes the
    month-of-year pattern; the fitted incidence-rate ratio (``dispute_trend_irr``)
    is added to the legend when the table holds it.

    References
    ----------
    Cleveland, R. B. et al. (1990). STL: a seasonal-trend decomposition procedure
    based on loess. *Journal of Official Statistics* 6(1), 3–73 (moving averages
    as trend estimates).
    """
    own_figure = ax is None
    ax = _ax(ax)
    rows = select(data, indicator=indicator, level=level, unit_id=unit_id)
    rows = rows.loc[rows["period"].astype(str).str.match(_MONTH.pattern)]
    rows = rows.sort_values("period")
    x = pd.to_datetime(rows["period"].astype(str) + "-01")
    y = rows["value"].to_numpy(float)
    ax.plot(x, y, color=_COLORS[0], lw=1, alpha=0.6, marker=".", ms=3, label=_t("observed", lang))
    if len(y) >= 12:
        ma = pd.Series(y).rolling(12, center=True, min_periods=12).mean().to_numpy()
        ax.plot(x, ma, color=_COLORS[1], lw=2.2, label=_t("trend", lang))
    irr = select(data, indicator="dispute_trend_irr", level=level, unit_id=unit_id)
    irr = irr.loc[irr["value"].notna()].sort_values("period")   # a 'no data' row has no ratio to show
    if len(irr):
        r = irr.iloc[-1]
        ax.plot([], [], " ", label=f"IRR = {r['value']:.2f} ({r['ci_low']:.2f}–{r['ci_high']:.2f})")
    first = True
    for s in pilot_starts:
        d = pd.to_datetime(s)
        if pd.isna(d) or (len(x) and (d < x.min() or d > x.max())):
            continue
        ax.axvline(d, color=_COLORS[3], ls="--", lw=1, label=_t("pilot_start", lang) if first else None)
        first = False
    from evalkit.labels import name

    from evalkit.labels import unit, unit_label

    _title(ax, f"{name(indicator, lang)} · {_t('observed', lang)}")
    ax.set_ylabel(_wrap(unit_label(unit(indicator), lang)))
    ax.set_xlabel(_t("month", lang))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if len(y) and own_figure:
        # a figure legend "outside" is laid out by constrained layout; an Axes legend
        # anchored below the axes made it squeeze the y label off the left edge
        ax.figure.legend(*ax.get_legend_handles_labels(), frameon=False, fontsize=8,
                         loc="outside lower center", ncol=4)
    elif len(y):
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
    indicator, level, district, period, category
        Which rows: one indicator at one level (within ``district`` when given).
    highlight
        A ``unit_id`` drawn in a contrasting colour (the report's own district).
    max_units
        At most this many bars: beyond it the highest and the lowest ``max_units // 2``
        are drawn, and a gap row says how many units in the middle are left out
        (the workbook has them all).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Shares are drawn as percents (100 × value); the interval is the table's
    ``[ci_low, ci_high]``.

    References
    ----------
    Cleveland, W. S. & McGill, R. (1984). Graphical perception. *JASA* 79(387),
    531–554 (sorted bars / dot charts for comparison).
    """
    from evalkit.labels import name, unit, unit_label

    rows = select(data, indicator=indicator, level=level, district=district, period=period,
                  category=category).dropna(subset=["value"])
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
    labels = rows["unit_name"].astype(str).where(rows["unit_name"].notna(), rows["unit_id"].astype(str))
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
    span = float(np.nanmax(hi)) if len(hi) and np.isfinite(hi).any() else 1.0
    for yv, v, h in zip(pos, vals, hi):
        txt = f"{v:.1f}" if abs(v) >= 10 or k == 100 else (f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}")
        ax.text((h if np.isfinite(h) else v) + span * 0.01, yv, txt, va="center", fontsize=7.5, color="#333333")
    ax.set_xlim(0, span * 1.12 if span > 0 else 1)
    if len(rows):
        ax.set_ylim(-0.6, n_slots - 0.4)
    u = unit(indicator)
    ax.set_xlabel(unit_label(u, lang) if u != "share" else _t("share", lang) + " (%)")
    _title(ax, name(indicator, lang))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def education_by_term(data: pd.DataFrame, *, unit_id: str, level: str = "district",
                      indicator: str = "cadre_education_share", lang: str = "zh", ax=None):
    """Cadre education by term: stacked shares of each education level per period.

    Parameters
    ----------
    data
        The long table; rows of ``indicator`` with category = education code.
    unit_id, level
        The unit drawn.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each bar is one period's cadres (the latest term on or before it), split by
    education level from lowest to highest; the shares of a bar sum to 100%.

    References
    ----------
    Nanshan district 2008 community election (seed 002 of the design documents).
    """
    from evalkit.contract import EDUCATION_ORDER
    from evalkit.labels import category_label, name

    ax = _ax(ax, figsize=(7.5, 3.2))
    rows = select(data, indicator=indicator, level=level, unit_id=unit_id)
    rows = rows.loc[rows["period"].astype(str).str.match(_YEAR.pattern)]
    wide = rows.pivot_table(index="period", columns="category", values="value", aggfunc="first")
    cats = [c for c in EDUCATION_ORDER if c in wide.columns] + [c for c in wide.columns if c not in EDUCATION_ORDER]
    wide = wide.reindex(columns=cats).fillna(0.0).sort_index()
    left = np.zeros(len(wide))
    pos = np.arange(len(wide))
    for i, c in enumerate(cats):
        v = wide[c].to_numpy(float) * 100
        ax.barh(pos, v, left=left, color=_COLORS[i % len(_COLORS)], height=0.6, label=category_label(c, lang, "education"))
        left += v
    ax.set_yticks(pos, [str(p) for p in wide.index])
    ax.invert_yaxis()  # earliest term on top
    ax.set_xlim(0, 100)
    ax.set_xlabel(_t("share", lang) + " (%)")
    ax.set_ylabel(_t("term_year", lang))
    _title(ax, name(indicator, lang))
    if len(cats):
        ax.legend(frameon=False, fontsize=8, ncol=min(len(cats), 6), loc="upper center",
                  bbox_to_anchor=(0.5, -0.22))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def satisfaction_dimensions(data: pd.DataFrame, *, unit_id: str, level: str = "district",
                            period: str | None = None, indicator: str = "satisfaction_dimension",
                            reference: str | None = "all", lang: str = "zh", ax=None):
    """Satisfaction by dimension with 95% intervals, beside the city when given.

    Parameters
    ----------
    unit_id, level, period
        The unit and period drawn.
    reference
        ``unit_id`` of a city-level comparison (``all``), or None.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Points are design-based means of the 0–100 dimension scores; bars their
    95% intervals (normal, Taylor-linearised standard errors).

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *J. Stat. Softw.* 9(8).
    """
    from evalkit.labels import category_label, name

    ax = _ax(ax, figsize=(7.5, 3.4))
    rows = select(data, indicator=indicator, level=level, unit_id=unit_id, period=period)
    rows = rows.dropna(subset=["value"]).sort_values(["value", "category"], kind="mergesort")
    pos = np.arange(len(rows))
    err = _errors(rows)
    ax.errorbar(rows["value"].to_numpy(float), pos, xerr=err, fmt="o", color=_COLORS[0], capsize=3,
                label=str(rows["unit_name"].iloc[0]) if len(rows) else None)
    if reference is not None and len(rows):
        ref = select(data, indicator=indicator, level="city", unit_id=reference, period=period)
        ref = ref.set_index("category").reindex(rows["category"])
        ax.scatter(ref["value"].to_numpy(float), pos + 0.22, marker="|", s=120, color=_COLORS[1],
                   label=_city_label(lang))
    ax.set_yticks(pos, [category_label(c, lang, "dimension") for c in rows["category"]])
    ax.set_xlabel(_t("score", lang))
    _title(ax, name(indicator, lang))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if len(rows):
        ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return ax


def _city_label(lang):
    return "全市" if lang == "zh" else "City"


def volunteer_activity(data: pd.DataFrame, *, unit_id: str, level: str = "district",
                       indicators=("volunteer_registration_rate", "volunteer_active_rate"),
                       lang: str = "zh", ax=None):
    """Volunteer activity over the years: one line per indicator with intervals.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Shares (active rate) are drawn as percents on the left axis; an indicator
    in another unit (registrations per 100 residents) gets the right-hand axis.

    References
    ----------
    Ministry of Civil Affairs, volunteer service registration statistics (2016).
    """
    return yearly_trend(data, indicators=list(indicators), unit_id=unit_id, level=level,
                        lang=lang, ax=ax, title=_t("fam_volunteers", lang))


def yearly_trend(data: pd.DataFrame, *, indicators, unit_id: str = "all", level: str = "city",
                 lang: str = "zh", title: str | None = None, ax=None):
    """Yearly values of one or more indicators for one unit, with 95% intervals.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Shares are drawn as percents (100 × value); bands are ``[ci_low, ci_high]``.

    References
    ----------
    Tufte, E. R. (2001). *The Visual Display of Quantitative Information*, 2nd ed.
    """
    from evalkit.labels import name

    from evalkit.labels import unit, unit_label

    ax = _ax(ax, figsize=(7.5, 3.2))
    inds = [indicators] if isinstance(indicators, str) else list(indicators)
    units = list(dict.fromkeys(unit(i) for i in inds))
    axes = {units[0]: ax} if units else {}
    if len(units) > 1:  # a second unit gets the right-hand axis; never two units on one scale
        axes[units[1]] = ax.twinx()
        axes[units[1]].spines[["top"]].set_visible(False)
    drawn = []
    for i, ind in enumerate(inds):
        a = axes.get(unit(ind))
        if a is None:  # a third unit: left out rather than drawn on a wrong scale
            continue
        rows = select(data, indicator=ind, level=level, unit_id=unit_id)
        rows = rows.loc[rows["period"].astype(str).str.match(_YEAR.pattern)]
        if "category" in rows.columns:
            rows = rows.loc[rows["category"].isna() | (rows["category"] == "")]
        rows = rows.sort_values("period")
        if rows.empty:
            continue
        k = _scale(ind)
        x = rows["period"].astype(int).to_numpy()
        line, = a.plot(x, rows["value"].to_numpy(float) * k, marker="o", color=_COLORS[i % len(_COLORS)],
                       label=name(ind, lang))
        drawn.append(line)
        if "ci_low" in rows.columns and rows["ci_low"].notna().any():
            a.fill_between(x, rows["ci_low"].to_numpy(float) * k, rows["ci_high"].to_numpy(float) * k,
                           color=_COLORS[i % len(_COLORS)], alpha=0.15, lw=0)
    for u, a in axes.items():
        a.set_ylabel(_t("share", lang) + " (%)" if u == "share" else unit_label(u, lang))
        a.set_ylim(bottom=0)
    ax.set_xlabel(_t("year", lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    _title(ax, title if title is not None else " · ".join(name(i, lang) for i in inds))
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.spines[["top"] + ([] if len(axes) > 1 else ["right"])].set_visible(False)
    if drawn:
        ax.legend(drawn, [ln.get_label() for ln in drawn], frameon=False, fontsize=8, loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncol=min(len(drawn), 3))
    return ax
