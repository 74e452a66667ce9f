"""Event-study figure of a pilot comparison (试点对比事件研究图)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, ParameterError, check_choice

__all__ = ["event_study"]

_TEXT = {
    "zh": dict(x="相对试点开始的年份", y="效应估计（95% 置信区间）", pre="试点前", post="试点后",
               title="事件研究：{o}"),
    "en": dict(x="Years relative to pilot start", y="Estimated effect (95% CI)", pre="before pilot",
               post="after pilot", title="Event study: {o}"),
}


def event_study(result, *, lang: str = "zh", unit_id: str | None = None, ax=None):
    """Plot the ``pilot_event`` rows of a pilot comparison: effect by year relative to the pilot start.

    Parameters
    ----------
    result
        A :class:`evalkit.pilot.PilotResult` (from :func:`evalkit.compare` /
        :func:`evalkit.compare_panel`), or its ``table`` (other indicators are ignored).
    lang
        ``"zh"`` or ``"en"``: the labels, and the title names the outcome
        indicator in that language (from the catalog; a panel's own column by
        its name).
    unit_id
        The unit to plot when the result holds several (one comparison per district).
    ax
        Matplotlib Axes to draw on (a new figure when None).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Points are the Callaway–Sant'Anna "dynamic" aggregation with 95%
    intervals; pre-pilot years (e < 0) in grey, post-pilot years in colour; a
    dashed line at zero and a dotted line between e = −1 and e = 0.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Journal of Econometrics 225(2), 200–230.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"indicator": "pilot_event", "unit_id": "all", "category": "dispute_rate",
    ...                      "period": ["-1", "0", "1"], "value": [0.1, -2.0, -2.5],
    ...                      "ci_low": [-0.8, -3.1, -3.9], "ci_high": [1.0, -0.9, -1.1]})
    >>> ax = event_study(rows, lang="en")
    >>> ax.get_title(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('Event study: Dispute rate', ['before pilot', 'after pilot'])
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from evalkit.pilot import PilotResult

    check_choice("lang", lang, ["zh", "en"])
    table = result.table if isinstance(result, PilotResult) else result
    ev = table[table["indicator"] == "pilot_event"]
    if ev.empty:
        raise DataError("结果中没有事件研究（pilot_event）行。", "The result has no pilot_event rows.")
    units = sorted(ev["unit_id"].astype(str).unique())
    if unit_id is not None:
        check_choice("unit_id", unit_id, units)
        ev = ev[ev["unit_id"] == unit_id]
    elif len(units) > 1:
        raise ParameterError(f"结果含 {len(units)} 个单位的事件研究，请用 unit_id 选一个：{', '.join(units)}。",
                             f"The result holds the event studies of {len(units)} units; choose one with "
                             f"unit_id: {', '.join(units)}.")
    import matplotlib.pyplot as plt

    from evalkit import labels
    from evalkit.plot import fonts

    fonts.setup()
    e = pd.to_numeric(ev["period"], errors="coerce").to_numpy()
    order = np.argsort(e)
    e = e[order]
    v = ev["value"].to_numpy(float)[order]
    lo = ev["ci_low"].to_numpy(float)[order]
    hi = ev["ci_high"].to_numpy(float)[order]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    t = _TEXT[lang]
    for mask, color, lab in ((e < 0, "0.5", t["pre"]), (e >= 0, "C0", t["post"])):
        if mask.any():
            ax.errorbar(e[mask], v[mask], yerr=[v[mask] - lo[mask], hi[mask] - v[mask]], fmt="o",
                        color=color, capsize=3, label=lab)
    ax.axhline(0, color="k", lw=0.8, ls="--")
    ax.axvline(-0.5, color="k", lw=0.8, ls=":")
    ax.set_xlabel(t["x"])
    ax.set_ylabel(t["y"])
    ax.set_title(t["title"].format(o=labels.name(str(ev["category"].iloc[0]), lang)), **fonts.bold())
    ax.set_xticks(e)
    ax.legend(frameon=False)
    return ax
