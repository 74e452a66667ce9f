"""Callaway–Sant'Anna group-time average treatment effects ATT(g,t)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, ParameterError, check_choice, check_level
from evalkit.stats.did._design import Control, CSDesign, att_from_sums, build_design, cohort_sums
from evalkit.stats.did._inference import if_se, interval, welch
from evalkit.stats.did._panel import Panel, prepare_panel

__all__ = ["CSResult", "callaway_santanna"]

Interval = Literal["normal", "welch"]


@dataclass
class CSResult:
    """ATT(g,t) with influence functions (output of :func:`callaway_santanna`).

    Attributes
    ----------
    gt
        DataFrame, one row per cell: ``group``, ``time``, ``base``, ``att``,
        ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n_treated``,
        ``n_control``, ``post`` (t ≥ g), and ``df`` with ``ci="welch"``.
    psi
        Influence functions, units × cells (R ``did``'s ``inffunc``, scaled so
        that var = Σψ² / n²).
    panel
        The :class:`Panel` estimated on (without the trimmed periods, see
        :attr:`Panel.trimmed_from`).
    control
        ``"never"`` or ``"notyet"``.
    design
        The :class:`CSDesign`: cells, control cohorts and the matrix of changes.
    level
        Confidence level of the intervals.
    ci
        ``"normal"`` or ``"welch"``; :func:`aggregate` follows it.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats.did import callaway_santanna
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "year": [2023, 2024] * 4,
    ...                    "y": [1.0, 3.0, 2.0, 5.0, 1.0, 1.5, 2.0, 2.5], "first": [2024] * 4 + [0] * 4})
    >>> r = callaway_santanna(df, outcome="y", unit="unit", time="year", first_treated="first")
    >>> r.n, r.cohorts.tolist(), r.design.cells.astype(int).tolist()
    (4, [2024], [[2024, 2024, 2023]])
    """

    gt: pd.DataFrame
    psi: np.ndarray
    panel: Panel
    control: Control
    design: CSDesign
    level: float = 0.95
    ci: Interval = "normal"

    @property
    def n(self) -> int:
        """Number of units."""
        return self.psi.shape[0]

    @property
    def cohorts(self) -> np.ndarray:
        """The cohorts (first-treated periods) with ATT(g,t) cells."""
        return self.design.cohorts


def callaway_santanna(data: pd.DataFrame | Panel, *, outcome: str | None = None, unit: str | None = None,
                      time: str | None = None, first_treated: str | None = None,
                      control: Control = "never", cluster: str | None = None,
                      weights: str | None = None, start: int | None = None, end: int | None = None,
                      level: float = 0.95, ci: Interval = "normal") -> CSResult:
    """Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021).

    Parameters
    ----------
    data
        Long panel (one row per unit and period) or a prepared :class:`Panel`.
    outcome, unit, time, first_treated
        Columns (long panel only); ``first_treated`` empty or 0 = never treated.
    control
        ``"never"`` (never-treated units) or ``"notyet"`` (never treated or not
        yet treated at t and at the base period).
    cluster
        Cluster column for the standard errors (default: the unit).
    weights
        Unit weights (constant within a unit).
    start, end
        Keep only periods in [start, end].
    level
        Confidence level (pointwise intervals), in (0, 1).
    ci
        ``"normal"`` (R ``did``'s analytic intervals) or ``"welch"``: the
        small-sample Welch–Satterthwaite t interval by cohort, for cohorts of a
        few units.  :func:`aggregate` follows the choice.

    Returns
    -------
    CSResult
        ``gt`` holds one row per cell with ``att``, ``se``, interval and
        ``p_value`` (and ``df`` with ``ci="welch"``); ``psi`` the influence functions.

    Notes
    -----
    Unconditional (no covariates) estimator with base period "varying": for
    cohort g and period t with base b (b = t − 1 before g, b = g − 1 from g on),

    .. math:: \\widehat{ATT}(g,t) = \\bar\\Delta^{w}_{g} - \\bar\\Delta^{w}_{C(g,t)},
              \\quad \\Delta_i = Y_{it} - Y_{ib},

    where C is the never-treated units, or (``notyet``) units never treated
    or first treated after max(t, b).  The influence function of unit i is
    :math:`\\psi_i = n w_i [1_g(\\Delta_i - \\bar\\Delta_g)/W_g - 1_C(\\Delta_i - \\bar\\Delta_C)/W_C]`
    and :math:`se = \\sqrt{\\sum_c (\\sum_{i\\in c}\\psi_i)^2}/n` (clusters c;
    each unit its own cluster by default), as R ``did::att_gt`` computes
    before its bootstrap.  Checked against the published R ``did`` results on
    mpdta (to 1e-4) and moderndid 0.2 ``att_gt(..., base_period="varying",
    boot=False)`` (to 1e-6), both control groups (tests/pilot/test_pilot_did_reference.py);
    the Welch interval against ``scipy.stats.ttest_ind(equal_var=False)``.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
    multiple time periods. Journal of Econometrics 225(2), 200–230.

    Examples
    --------
    Two piloted units (changes 2 and 3) against two never-piloted ones (0.5 and 0.5):

    >>> import pandas as pd
    >>> from evalkit.stats.did import callaway_santanna
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "year": [2023, 2024] * 4,
    ...                    "y": [1.0, 3.0, 2.0, 5.0, 1.0, 1.5, 2.0, 2.5], "first": [2024] * 4 + [0] * 4})
    >>> r = callaway_santanna(df, outcome="y", unit="unit", time="year", first_treated="first")
    >>> r.gt[["group", "time", "att", "se", "n_treated", "n_control"]].round(4)
       group  time  att      se  n_treated  n_control
    0   2024  2024  2.0  0.3536          2          2
    """
    check_choice("control", control, get_args(Control))
    check_choice("ci", ci, get_args(Interval))
    level = check_level(level)
    if isinstance(data, Panel):
        panel = data
    else:
        if None in (outcome, unit, time, first_treated):
            raise ParameterError("需要给出 outcome、unit、time 和 first_treated 列。",
                                 "outcome, unit, time and first_treated columns are required.")
        panel = prepare_panel(data, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                              cluster=cluster, weights=weights, start=start, end=end)
    panel, design = build_design(panel, control)
    W, S = cohort_sums(panel.G[None, :], panel.w, design.Z, design.levels, chunk=1)
    att, WT, WC = att_from_sums(W, S, design, design.n_periods)
    att, WT, WC = att[0], WT[0], WC[0]
    n = len(panel.G)
    D = design.changes
    treat = design.treated(panel.G)
    cont = design.control_units(panel.G)
    mt = np.where(treat, D, 0.0).T @ panel.w / WT  # weighted means
    mc = np.where(cont, D, 0.0).T @ panel.w / WC
    wcol = panel.w[:, None]
    psi = n * wcol * (treat * (D - mt) / WT - cont * (D - mc) / WC)
    se, df = (welch(psi, panel.cluster, panel.G, treat | cont) if ci == "welch"
              else (if_se(psi, panel.cluster), None))
    lo, hi, pv = interval(att, se, df, level)
    nc = cont.sum(axis=0)
    if (nc == 0).all():
        raise DataError("没有可用的对照单位（从未试点或尚未试点的单位）。",
                        "There are no control units (never treated or not yet treated).")
    gtdf = pd.DataFrame({"group": design.group.astype(int), "time": design.time.astype(int),
                         "base": design.base.astype(int), "att": att, "se": se,
                         "ci_low": lo, "ci_high": hi, "p_value": pv,
                         "n_treated": treat.sum(axis=0), "n_control": nc, "post": design.post})
    if df is not None:
        gtdf["df"] = df
    return CSResult(gt=gtdf, psi=psi, panel=panel, control=control, design=design, level=level, ci=ci)
