"""Event-study figure of a pilot comparison (试点对比事件研究图)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, check_choice

__all__ = ["event_study"]

_TEXT = {
    "zh": dict(x="相对试点开始的年份", y="效应估计（95% 置信区间）", pre="试点前", post="试点后",
               title="事件研究：{o}"),
    "en": dict(x="Years relative to pilot start", y="Estimated effect (95% CI)", pre="before pilot",
               post="after pilot", title="Event study: {o}"),
}


def _fonts() -> None:
    try:
        from evalkit.plot import fonts
    except ImportError:  # pragma: no cover - fonts module absent
        return
    fn = getattr(fonts, "use_cjk_font", None) or getattr(fonts, "setup", None)
    if fn is not None:
        try:
            fn()
        except Exception:  # noqa: BLE001 - a missing font must not stop the figure
            pass


def event_study(result: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Plot the ``pilot_event`` rows of a pilot comparison: effect by year relative to the pilot start.

    Parameters
    ----------
    result
        Output of :func:`evalkit.pilot.compare` / :func:`~evalkit.pilot.compare_panel`
        (rows of one unit; other indicators are ignored).
    lang
        ``"zh"`` or ``"en"`` labels.
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
    """
    check_choice("lang", lang, ["zh", "en"])
    ev = result[result["indicator"] == "pilot_event"]
    if ev.empty:
        raise DataError("结果中没有事件研究（pilot_event）行。", "The result has no pilot_event rows.")
    if ev["unit_id"].nunique() > 1:
        first = sorted(ev["unit_id"].unique())[0]
        ev = ev[ev["unit_id"] == first]
    import matplotlib.pyplot as plt

    _fonts()
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
    ax.set_title(t["title"].format(o=ev["category"].iloc[0]))
    ax.set_xticks(e)
    ax.legend(frameon=False)
    return ax
