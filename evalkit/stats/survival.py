"""Time-to-event curves by group: Kaplan–Meier and Aalen–Johansen.

Both functions compute every group in one pass: rows are sorted by (group,
time), the distinct (group, time) pairs get their event and at-risk counts
from ``np.bincount``, and the products and sums along each group's curve are
cumulative sums restarted at each group's first time (``_segment_cumsum``).
There is no loop over groups.

Times are typically whole days (e.g. days from reporting to resolution,
≥ 0); any non-negative numbers work.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from evalkit.exceptions import DataError, ParameterError, check_count, check_level
from evalkit.stats._grouping import (
    as_list, check_columns, check_frame, group_codes, numeric, with_keys,
)

__all__ = ["kaplan_meier", "cumulative_incidence"]

#: S(t) <= 0.5 and F(t) >= 0.5 are tested with this slack, so a curve that
#: is 0.5 in exact arithmetic (2 of 4 resolved) counts as reaching it.
_HALF_TOL = 1e-12

NOTE_NEVER = "never reaches 0.5"
NOTE_BEYOND = "beyond follow-up"


# --- building blocks ----------------------------------------------------------

def _segment_cumsum(x: np.ndarray, first: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``x`` restarted at each segment.

    ``seg[i]`` is the segment of element i (segments contiguous, sorted),
    ``first[s]`` the index of segment s's first element.
    """
    cs = np.cumsum(x)
    before = cs[first] - x[first]  # total of the earlier segments
    return cs - before[seg]


def _prepare(data, time, status_col, by, func):
    """Validated arrays: group codes, times, status; keys of the groups."""
    check_frame(data, func)
    by_ = as_list(by)
    check_columns(data, [time, status_col, *by_], func)
    t = numeric(data, time, func)
    s = numeric(data, status_col, func)
    if np.isnan(t).any() or np.isnan(s).any():
        col = time if np.isnan(t).any() else status_col
        raise DataError(
            f"{func}: 列 `{col}` 有缺失值；每条记录都需要时间和状态（删失的记录状态为 0）。",
            f"{func}: column `{col}` has missing values; every record needs a time and a "
            "status (0 for a censored record).",
            column=str(col),
        )
    if (t < 0).any():
        raise DataError(
            f"{func}: 列 `{time}` 有负值；时间（天数）必须 ≥ 0。",
            f"{func}: column `{time}` has negative values; times (days) must be >= 0.",
            column=str(time),
        )
    if (s != np.round(s)).any() or (s < 0).any():
        raise DataError(
            f"{func}: 列 `{status_col}` 必须是非负整数代码（0 = 删失）。",
            f"{func}: column `{status_col}` must hold non-negative integer codes (0 = censored).",
            column=str(status_col),
        )
    codes, keys = group_codes(data, by_)
    return codes, t, s.astype(np.int64), keys


def _tables(codes, t, G):
    """Distinct (group, time) pairs in sorted order and each row's pair index."""
    utimes, trank = np.unique(t, return_inverse=True)
    R = len(utimes)
    key = codes * R + trank
    ukey, inv = np.unique(key, return_inverse=True)
    ug = ukey // R
    ur = ukey % R
    first = np.searchsorted(ug, np.arange(G), side="left")
    # at risk just before each distinct time: group size minus earlier rows
    cnt = np.bincount(inv, minlength=len(ukey)).astype(np.float64)
    ngroup = np.bincount(codes, minlength=G).astype(np.float64)
    earlier = _segment_cumsum(cnt, first, ug) - cnt
    n_risk = ngroup[ug] - earlier
    return dict(utimes=utimes, ug=ug, ur=ur, inv=inv, first=first, n=n_risk,
                ngroup=ngroup, key=ukey, R=R)


def _km(d, n, first, ug):
    """Kaplan–Meier S(t) at the distinct times and Greenwood's variance sum."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 1 - d / n
        zero = f <= 0
        logf = np.log(np.where(zero, 1.0, f))
        cz = _segment_cumsum(zero.astype(np.float64), first, ug)
        S = np.exp(_segment_cumsum(logf, first, ug))
        S[cz > 0] = 0.0
        gw = np.where(n > d, d / (n * (n - d)), np.inf)
        gsum = _segment_cumsum(np.where(np.isinf(gw), 0.0, gw), first, ug)
        gsum[cz > 0] = np.inf
    return S, gsum


def _evaluate_at(tab, G, at):
    """Index of the last distinct time <= ``at`` in each group (-1 if none)."""
    ug, key, R = tab["ug"], tab["key"], tab["R"]
    last = np.r_[tab["first"][1:], len(ug)] - 1  # last distinct time of each group
    if at is None:
        return last, last
    r_at = np.searchsorted(tab["utimes"], at, side="right") - 1  # rank of last time <= at
    if r_at < 0:
        return np.full(G, -1), last
    pos = np.searchsorted(key, np.arange(G) * R + r_at, side="right") - 1
    ok = (pos >= 0) & (ug[np.clip(pos, 0, None)] == np.arange(G))
    return np.where(ok, pos, -1), last


def _first_where(cond, ug, G, utimes_of_row):
    """Per group, the time of the first distinct time where ``cond`` holds (NaN if none)."""
    out = np.full(G, np.nan)
    idx = np.flatnonzero(cond)
    if len(idx):
        gs, firsts = np.unique(ug[idx], return_index=True)
        out[gs] = utimes_of_row[idx[firsts]]
    return out


def _loglog_ci(p, se, level):
    """Interval for a probability on the log(-log) scale, as in R's conf.type='log-log'.

    :math:`p^{\\exp(\\pm z s)}` is computed as :math:`\\exp(-\\exp(\\log(-\\log p) \\pm z s))`
    with the inner exponent capped, so a point near 0 or 1 (huge ``s``) gives
    the limit (0 or 1) instead of overflowing.
    """
    z = -special.ndtri((1 - level) / 2)  # = scipy.stats.norm.isf((1 - level) / 2)
    p = np.asarray(p, dtype="float64")
    se = np.asarray(se, dtype="float64")
    inner = (p > 0) & (p < 1) & (se > 0)
    pp = np.where(inner, p, 0.5)
    lp = np.log(pp)  # < 0 on the inner points
    with np.errstate(over="ignore", divide="ignore"):
        s = np.where(inner, se, 0.0) / (pp * -lp)  # may be +inf for a subnormal p
    loglog = np.log(-lp)
    lo = np.exp(-np.exp(np.minimum(loglog + z * s, 700.0)))
    hi = np.exp(-np.exp(np.minimum(loglog - z * s, 700.0)))
    lo = np.where(inner, lo, np.where(se == 0, p, np.nan))
    hi = np.where(inner, hi, np.where(se == 0, p, np.nan))
    return lo, hi


def _check_at(at, func):
    if at is None:
        return None
    if not isinstance(at, (int, float, np.integer, np.floating)) or not np.isfinite(at) or at < 0:
        raise ParameterError(
            f"{func}: 参数 `at` 必须是非负数（天数）或 None，但传入的是 {at!r}。",
            f"{func}: `at` must be a non-negative number (days) or None, but {at!r} was passed.",
        )
    return float(at)


# --- public functions ------------------------------------------------------------

def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    by: str | Sequence[str] | None = None,
    at: float | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Kaplan–Meier survival probability at a horizon, and the median, by group.

    Parameters
    ----------
    data : DataFrame
        One row per subject (e.g. a dispute case).
    time : str
        Column of follow-up times (days, ≥ 0): the event time, or the
        censoring time.
    event : str
        Column coded 1 (the event happened at ``time``) or 0 (censored).
    by : str or list of str, optional
        Grouping column(s); one output row per group.
    at : float, optional
        The horizon: ``value`` is S(at), inclusive (an event on day ``at``
        counts).  Default: each group's last observed time.
    level : float
        Confidence level of the interval (default 0.95).

    Returns
    -------
    DataFrame
        Columns ``[*by, n, value, se, ci_low, ci_high, median, note]``:
        ``n`` subjects, ``value`` = S(at), ``se`` Greenwood's standard error,
        the interval, ``median`` = the smallest observed time t with
        S(t) ≤ 0.5 (NaN when S stays above 0.5), ``note`` = ``"never
        reaches 0.5"`` then, ``"beyond follow-up"`` when ``at`` lies after
        the group's last time and that last time is censored (the value is
        carried forward), else empty.

    Notes
    -----
    With :math:`d_j` events among :math:`n_j` at risk at the distinct times
    :math:`t_j`,

    .. math:: \\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j), \\qquad
              \\widehat{\\mathrm{Var}}\\,\\hat S(t) = \\hat S(t)^2
              \\sum_{t_j \\le t} \\frac{d_j}{n_j (n_j - d_j)}

    (Greenwood).  Once :math:`\\hat S = 0` the Greenwood sum is infinite and
    ``se`` is NaN, as in statsmodels.  The interval is computed on the
    log(-log) scale (R ``survfit(conf.type = "log-log")``, lifelines'
    "exponential Greenwood"): :math:`\\hat S^{\\exp(\\pm z\\,
    \\mathrm{se}/(\\hat S\\,|\\log \\hat S|))}`; it is the point itself when
    se = 0 (before the first event).

    The median follows the contract (S(t) ≤ 0.5, with 1e-12 slack for
    rounding).  statsmodels' ``SurvfuncRight.quantile(0.5)`` uses the strict
    S(t) < 0.5 (as SAS), so the two differ exactly when the curve sits on
    0.5 over an interval: evalkit gives the start of that interval.

    Checked against statsmodels 0.15 ``SurvfuncRight`` (``surv_prob``,
    ``surv_prob_se``) and lifelines 0.30 ``KaplanMeierFitter`` intervals.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from
    incomplete observations. JASA, 53(282), 457-481.

    Kalbfleisch, J. D., & Prentice, R. L. (2002). The Statistical Analysis
    of Failure Time Data (2nd ed.), section 1.4 (log-log interval).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"days": [3, 5, 5, 8, 12], "done": [1, 1, 0, 1, 0]})
    >>> r = kaplan_meier(df, time="days", event="done", at=5)
    >>> round(float(r["value"].iloc[0]), 10), float(r["median"].iloc[0])
    (0.6, 8.0)
    """
    func = "kaplan_meier"
    at = _check_at(at, func)
    level = check_level(level)
    codes, t, s, keys = _prepare(data, time, event, by, func)
    if (s > 1).any():
        raise DataError(
            f"{func}: 列 `{event}` 只能是 0（删失）或 1（事件）。",
            f"{func}: column `{event}` must be 0 (censored) or 1 (event).",
            column=str(event),
        )
    G = len(keys)
    tab = _tables(codes, t, G)
    ug, first, n = tab["ug"], tab["first"], tab["n"]
    d = np.bincount(tab["inv"], weights=(s == 1).astype(np.float64), minlength=len(ug))
    S, gsum = _km(d, n, first, ug)
    with np.errstate(invalid="ignore"):
        se_all = np.where(np.isfinite(gsum), S * np.sqrt(gsum), np.nan)
    return _summary(tab, G, keys, S, se_all, S <= 0.5 + _HALF_TOL, S,
                    at=at, start=1.0, level=level)


def cumulative_incidence(
    data: pd.DataFrame,
    *,
    time: str,
    cause: str,
    by: str | Sequence[str] | None = None,
    event: int = 1,
    at: float | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Aalen–Johansen cumulative incidence of one cause with competing causes, by group.

    Parameters
    ----------
    data : DataFrame
        One row per subject (e.g. a dispute case).
    time : str
        Column of times (days, ≥ 0) to the outcome or to censoring.
    cause : str
        Column of outcome codes: 0 = censored, ``event`` = the cause of
        interest, any other positive code = a competing cause (e.g.
        1 resolved, 2 escalated, 3 unresolved, 0 still in progress).
    by : str or list of str, optional
        Grouping column(s); one output row per group.
    event : int
        The code of the cause of interest (default 1).
    at : float, optional
        The horizon: ``value`` is F(at) = P(T ≤ at, cause = event),
        inclusive (an event on day 30 counts for ``at=30``).  Default: each
        group's last observed time.
    level : float
        Confidence level of the interval (default 0.95).

    Returns
    -------
    DataFrame
        Columns ``[*by, n, value, se, ci_low, ci_high, median, note]``:
        ``n`` subjects, ``value`` = F(at), ``se`` its standard error, the
        interval, ``median`` = the smallest observed time t with F(t) ≥ 0.5
        (NaN with note ``"never reaches 0.5"`` when it does not), ``note``
        also ``"beyond follow-up"`` when ``at`` lies after the group's last
        time and that time ends censored (the value is carried forward).

    Notes
    -----
    With :math:`\\hat S(t-)` the all-cause Kaplan–Meier just before
    :math:`t_j`, :math:`d_{kj}` events of the cause and :math:`d_j` of any
    cause among :math:`n_j` at risk,

    .. math:: \\hat F_k(t) = \\sum_{t_j \\le t} \\hat S(t_j-)\\, d_{kj} / n_j .

    The variance is the delta-method one of Stata's ``stcompet`` (Marubini &
    Valsecchi 1995), exactly as statsmodels' ``CumIncidenceRight`` computes it:

    .. math:: \\sum_{t_j\\le t} [\\hat F_k(t)-\\hat F_k(t_j)]^2 \\frac{d_j}{n_j(n_j-d_j)}
        + \\sum_{t_j\\le t} \\hat S(t_j-)^2 \\frac{d_{kj}(n_j-d_{kj})}{n_j^3}
        - 2\\sum_{t_j\\le t} [\\hat F_k(t)-\\hat F_k(t_j)]\\, \\hat S(t_j-) \\frac{d_{kj}}{n_j^2}.

    At a time where every subject at risk has an event (:math:`n_j = d_j`,
    the group's last time) the first term's factor is infinite but
    :math:`\\hat F_k` no longer changes, so the term is taken as its limit 0;
    statsmodels gives NaN there.  The interval is on the log(-log) scale
    (``stcompet``'s default): :math:`\\hat F^{\\exp(\\pm z\\,\\mathrm{se}/
    (\\hat F |\\log \\hat F|))}`, the point itself when se = 0.

    Checked against statsmodels 0.15 ``CumIncidenceRight`` (``cinc``,
    ``cinc_se``) to 1e-8 and lifelines 0.30 ``AalenJohansenFitter``.

    References
    ----------
    Aalen, O. O., & Johansen, S. (1978). An empirical transition matrix for
    non-homogeneous Markov chains based on censored observations.
    Scandinavian Journal of Statistics, 5(3), 141-150.

    Marubini, E., & Valsecchi, M. G. (1995). Analysing Survival Data from
    Clinical Trials and Observational Studies. Wiley, chapter 10.

    Coviello, V., & Boggess, M. (2004). Cumulative incidence estimation in
    the presence of competing risks. Stata Journal, 4(2), 103-112.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"days": [3, 5, 5, 8, 12, 40],
    ...                    "cause": [1, 1, 2, 1, 0, 1]})
    >>> r = cumulative_incidence(df, time="days", cause="cause", at=8)
    >>> round(float(r["value"].iloc[0]), 4), float(r["median"].iloc[0])
    (0.5, 8.0)
    """
    func = "cumulative_incidence"
    at = _check_at(at, func)
    level = check_level(level)
    event = check_count("event", event)
    codes, t, s, keys = _prepare(data, time, cause, by, func)
    G = len(keys)
    tab = _tables(codes, t, G)
    ug, first, n, inv = tab["ug"], tab["first"], tab["n"], tab["inv"]
    m = len(ug)
    da = np.bincount(inv, weights=(s >= 1).astype(np.float64), minlength=m)
    dk = np.bincount(inv, weights=(s == event).astype(np.float64), minlength=m)
    S, _ = _km(da, n, first, ug)
    S_prev = np.r_[1.0, S[:-1]]
    S_prev[first[first < m]] = 1.0
    sp0 = S_prev / n
    F = _segment_cumsum(sp0 * dk, first, ug)

    def C(x):
        return _segment_cumsum(x, first, ug)

    with np.errstate(divide="ignore", invalid="ignore"):
        ra = np.where(n > da, da / (n * (n - da)), 0.0)
        v = F ** 2 * C(ra) - 2 * F * C(F * ra) + C(F ** 2 * ra)
        v += C(sp0 ** 2 * (n - dk) * dk / n)
        rb = sp0 * dk / n
        v += -2 * F * C(rb) + 2 * C(F * rb)
    se_all = np.sqrt(np.clip(v, 0, None))
    return _summary(tab, G, keys, F, se_all, F >= 0.5 - _HALF_TOL, S,
                    at=at, start=0.0, level=level)


def _summary(tab, G, keys, curve, se_all, reached, surv, *, at, start, level):
    """One output row per group from a curve over the distinct (group, time) rows.

    ``value``/``se`` are the curve at ``at`` (``start`` with se 0 before the
    group's first time; the group's last value without ``at``), the interval is
    log(-log); ``median`` is the first time where ``reached``; ``surv``
    (all-cause survival) says whether follow-up ends before ``at``.
    """
    pos, last = _evaluate_at(tab, G, at)
    has = pos >= 0
    p = np.clip(pos, 0, None)
    value = np.where(has, curve[p], start)
    se = np.where(has, se_all[p], 0.0)
    lo, hi = _loglog_ci(value, se, level)
    times_row = tab["utimes"][tab["ur"]]
    median = _first_where(reached, tab["ug"], G, times_row)
    note = _notes(median, at, times_row[last], surv[last])
    return with_keys(keys, {
        "n": tab["ngroup"].astype(np.int64), "value": value, "se": se,
        "ci_low": lo, "ci_high": hi, "median": median, "note": note,
    })


def _notes(median, at, last_time, last_surv):
    """note column: never reaches 0.5; beyond follow-up (censored tail)."""
    note = np.where(np.isnan(median), NOTE_NEVER, "")
    if at is not None:
        beyond = (at > last_time) & (last_surv > 0)
        note = np.where(beyond & (note != ""), note + "; " + NOTE_BEYOND,
                        np.where(beyond, NOTE_BEYOND, note))
    return pd.array(note, dtype="str")
