"""Figures of the composite index: rank intervals and what drives a score.

``rank_intervals`` is COINr's ``plot_uncertainty``: units in order of their
nominal rank, each with its 5–95 % rank interval from
:func:`evalkit.index` (``rank_low``–``rank_high``) and a dot at its rank.
``score_drivers`` shows one unit's indicators as bars of their weighted
normalised values (:func:`evalkit.ranking.contributions`), which add up to
its score.  Nothing is estimated here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.plot import fonts

__all__ = ["rank_intervals", "score_drivers"]

_DOT = "#1f5fa8"
_LINE = "#9aa5b1"
_HIGHLIGHT = "#c8363a"
_GROUP_COLORS = ["#1f5fa8", "#e07b24", "#2e9d57", "#c8363a", "#7d5ab5", "#8c6d3f", "#d460a8", "#6f7780"]


def _fig(ax, figsize):
    import matplotlib.pyplot as plt

    fonts.setup()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _text(zh: str, en: str, lang: str) -> str:
    from evalkit.labels import check_lang

    return zh if check_lang(lang) == "zh" else en


def _group_name(group: str, lang: str) -> str:
    from evalkit.families.catalog import FAMILY_ZH

    if lang == "zh":
        return FAMILY_ZH.get(group, group)
    return group.capitalize() if group in FAMILY_ZH else group


def rank_intervals(data: pd.DataFrame, *, category: str | None = None, highlight=(), max_units: int | None = None,
                   lang: str = "zh", ax=None):
    """Units by nominal rank with their 5–95 % rank intervals (COINr's ``plot_uncertainty``).

    Parameters
    ----------
    data : DataFrame
        Output of :func:`evalkit.index` computed with ``uncertainty > 0``.
    category : str, optional
        A group (``index_family`` rows); default the overall ``index``.
    highlight : list of str
        unit_ids drawn in red (e.g. the district's own streets).
    max_units : int, optional
        Only the best ``max_units`` units.
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Rank 1 is at the top; a vertical line spans ``rank_low``–``rank_high``,
    the 5 % and 95 % quantiles of the unit's rank over the replicates, and
    the dot is the nominal rank.  Units whose lines overlap cannot be told
    apart by the data.

    Examples
    --------
    >>> df = pd.DataFrame({"indicator": "index", "unit_id": ["a", "b", "c"], "unit_name": ["甲", "乙", "丙"],
    ...                    "rank": [1, 2, 3], "rank_low": [1, 1, 2], "rank_high": [2, 3, 3]})
    >>> ax = rank_intervals(df)
    >>> len(ax.collections) > 0
    True
    """
    rows = data[data["indicator"] == ("index" if category is None else "index_family")]
    if category is not None:
        rows = rows[rows["category"] == category]
    rows = rows.dropna(subset=["rank"]).sort_values("rank", kind="mergesort")
    if not len(rows):
        from evalkit.exceptions import ParameterError

        what = "index" if category is None else f"index_family / {category}"
        raise ParameterError(f"没有可画的排名（{what}）：请用 evalkit.index 的结果。",
                             f"There are no ranks to draw ({what}): pass the output of evalkit.index.")
    if max_units:
        rows = rows.head(max_units)
    n = len(rows)
    ax = _fig(ax, (min(max(4.5, 0.28 * n + 1.5), 11.0), 3.8))
    x = np.arange(n)
    rank = rows["rank"].to_numpy(dtype=float)
    lo = rows["rank_low"].to_numpy(dtype=float, na_value=np.nan)
    hi = rows["rank_high"].to_numpy(dtype=float, na_value=np.nan)
    hl = rows["unit_id"].isin(list(highlight)).to_numpy()
    colors = np.where(hl, _HIGHLIGHT, _LINE)
    ax.vlines(x, lo, hi, colors=colors, lw=2.2 if n <= 60 else 1.0)
    ax.scatter(x, rank, s=18 if n <= 60 else 6, color=np.where(hl, _HIGHLIGHT, _DOT), zorder=3)
    ax.set_ylim(max(np.nanmax(hi) if n else 1, 1) + 0.5, 0.5)
    if n <= 60:
        names = rows["unit_name"].astype(str)
        if names.duplicated().any() and "district" in rows.columns:
            names = rows["district"].astype(str) + names
        ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
    else:
        ax.set_xticks([])
    what = _text("综合指数", "composite index", lang) if category is None else _group_name(category, lang)
    ax.set_title(_text(f"{what}排名与 5–95% 排名区间", f"Rank of the {what} with its 5–95% interval", lang),
                 loc="left", fontsize=11, **fonts.bold())
    ax.set_ylabel(_text("名次", "rank", lang))
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def score_drivers(contrib: pd.DataFrame, *, unit_id: str, lang: str = "zh", ax=None):
    """What drives one unit's score: its indicators' weighted normalised values as bars.

    Parameters
    ----------
    contrib : DataFrame
        Output of :func:`evalkit.ranking.contributions`.
    unit_id : str
        The unit drawn.
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each bar is the indicator's contribution (its normalised value times its
    effective weight for the unit); the grey bar behind it is what the
    indicator would add at the best normalised value of any unit, so the
    gap between the two shows where the unit falls behind.  Bars are coloured
    by group; with arithmetic means they add up to the score.

    Examples
    --------
    >>> c = pd.DataFrame({"unit_id": "a", "unit_name": "甲", "indicator": ["satisfaction_index",
    ...                   "volunteer_active_rate"], "group": ["satisfaction", "volunteers"],
    ...                   "normalised": [80.0, 40.0], "weight": [0.5, 0.5], "contribution": [40.0, 20.0]})
    >>> ax = score_drivers(c, unit_id="a")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['志愿者活跃率', '居民满意度指数']
    """
    from evalkit.exceptions import ParameterError
    from evalkit.labels import name

    rows = contrib[contrib["unit_id"] == unit_id]
    if not len(rows):
        raise ParameterError(f"没有单位 {unit_id} 的指标贡献。", f"There are no contributions of the unit {unit_id}.")
    rows = rows.sort_values("contribution", kind="mergesort")
    groups = list(dict.fromkeys(contrib["group"]))
    color = {g: _GROUP_COLORS[k % len(_GROUP_COLORS)] for k, g in enumerate(groups)}
    ax = _fig(ax, (6.5, max(2.2, 0.32 * len(rows) + 1.0)))
    y = np.arange(len(rows))
    labels = [name(i.split(":", 1)[0], lang) + (f" · {i.split(':', 1)[1]}" if ":" in i else "") for i in rows["indicator"]]
    # behind each bar, in grey, what the indicator would add at the best value any unit has
    best = contrib.groupby("indicator")["normalised"].max()
    possible = rows["weight"].to_numpy(dtype=float) * rows["indicator"].map(best).to_numpy(dtype=float)
    ax.barh(y, possible, color="#e3e6ea", height=0.65,
            label=_text("最好单位的水平", "at the best unit's value", lang))
    ax.barh(y, rows["contribution"].to_numpy(dtype=float), color=[color[g] for g in rows["group"]], height=0.65)
    ax.set_yticks(y, labels, fontsize=8)
    for g in groups:
        if g in set(rows["group"]):
            ax.barh([np.nan], [np.nan], color=color[g], label=_group_name(g, lang))
    total = rows["contribution"].sum()
    unit = str(rows["unit_name"].iloc[0])
    ax.set_title(_text(f"{unit}：各指标对综合得分的贡献（合计 {total:.1f}）",
                       f"{unit}: what each indicator adds to the score (total {total:.1f})", lang),
                 loc="left", fontsize=11, **fonts.bold())
    ax.set_xlabel(_text("贡献（标准化值 × 权重）", "contribution (normalised value × weight)", lang))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
