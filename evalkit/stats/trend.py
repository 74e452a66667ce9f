"""Trends of monthly series by group: seasonal Mann–Kendall and count GLMs.

* :func:`seasonal_mann_kendall` -- Hirsch, Slack & Smith (1982) test with
  the seasonal Sen slope on real time.
* :func:`trend_glm` -- log-linear trend of counts with an exposure offset
  and season effects; Poisson, or NB2 with ML dispersion when the Poisson
  fit is overdispersed.  All groups are fitted in one batched IRLS
  (``evalkit.stats._irls``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import special

from evalkit.exceptions import DataError, check_choice, check_count, check_level
from evalkit.stats import _irls
from evalkit.stats._grouping import (
    as_list, check_columns, check_frame, group_codes, numeric, with_keys,
)

__all__ = ["seasonal_mann_kendall", "trend_glm"]

Family = Literal["auto", "poisson", "nb2"]

NOTE_FEW = "too few observations"
NOTE_NOT_ESTIMABLE = "not estimable"

#: cap on the elements of one pairwise block (cells x m x m) in the MK test
_BLOCK = 4_000_000


def _season_codes(data, season, func):
    s = data[season]
    if s.isna().any():
        raise DataError(
            f"{func}: 列 `{season}` 有缺失值。",
            f"{func}: column `{season}` has missing values.",
            column=str(season),
        )
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), len(uniques)


# --- seasonal Mann–Kendall ---------------------------------------------------------

def seasonal_mann_kendall(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    season: str,
    by: str | Sequence[str] | None = None,
    period: int = 12,
) -> pd.DataFrame:
    """Seasonal Mann–Kendall trend test and seasonal Sen slope, by group.

    Parameters
    ----------
    data : DataFrame
        One row per group x observation (e.g. community x month).
    value : str
        The series (e.g. the monthly dispute rate).  Missing values are
        skipped, season by season.
    time : str
        Real time of each observation, in the unit the slope is wanted per
        (e.g. years: ``year + (month - 0.5) / 12``).  Orders the observations
        within a season.
    season : str
        Season of each observation (e.g. month 1..12).
    by : str or list of str, optional
        Grouping column(s); one output row per group.
    period : int
        Number of seasons in a cycle (12 for months); the data may not hold
        more distinct seasons.

    Returns
    -------
    DataFrame
        Columns ``[*by, s, var_s, z, p_value, slope, tau, n, note]``: the
        statistic S, its tie-corrected variance, the continuity-corrected z,
        the two-sided p-value, the seasonal Sen slope (value units per unit
        of ``time``), Kendall's tau-a (S over the number of within-season
        pairs), ``n`` observations used, and ``note`` = ``"too few
        observations"`` when no season has two observations (then z, p and
        slope are NaN).

    Notes
    -----
    For each season :math:`g` with :math:`n_g` observations ordered in time,
    :math:`S_g = \\sum_{i<j} \\operatorname{sign}(x_j - x_i)` and

    .. math:: \\mathrm{Var}(S_g) = \\frac{n_g(n_g-1)(2n_g+5)
              - \\sum_u t_u(t_u-1)(2t_u+5)}{18}

    with :math:`t_u` the sizes of the groups of tied values.
    :math:`S = \\sum_g S_g`, :math:`\\mathrm{Var}(S) = \\sum_g
    \\mathrm{Var}(S_g)` (seasons independent),
    :math:`z = (S - \\operatorname{sign}(S)) / \\sqrt{\\mathrm{Var}(S)}`,
    :math:`p = 2(1 - \\Phi(|z|))`.  The slope is the median of all
    within-season pairwise slopes :math:`(x_j - x_i)/(t_j - t_i)` pooled
    over seasons (Hirsch et al. 1982).

    Checked against pymannkendall 1.4.3 ``seasonal_test(x, period)`` on 20
    series with ties and gaps, to 1e-10 (tests/stats/test_trend.py): the same numbers on the
    series laid out one cycle per row: its ``slope`` is per cycle step
    (per year for monthly data), equal to ours when ``time`` is in years;
    its ``Tau`` is this tau-a.  All groups are computed together from
    pairwise sign matrices of the seasons' observations.

    References
    ----------
    Hirsch, R. M., Slack, J. R., & Smith, R. A. (1982). Techniques of trend
    analysis for monthly water quality data. Water Resources Research,
    18(1), 107-121.

    Sen, P. K. (1968). Estimates of the regression coefficient based on
    Kendall's tau. JASA, 63(324), 1379-1389.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> m = np.arange(36)
    >>> df = pd.DataFrame({"rate": 2.0 + 0.5 * (m // 12) + np.sin(np.pi * m / 6),
    ...                    "t": 2020 + (m + 0.5) / 12, "month": m % 12 + 1})
    >>> r = seasonal_mann_kendall(df, value="rate", time="t", season="month")
    >>> int(r["s"].iloc[0]), round(float(r["slope"].iloc[0]), 6)
    (36, 0.5)
    """
    func = "seasonal_mann_kendall"
    check_frame(data, func)
    by_ = as_list(by)
    check_columns(data, [value, time, season, *by_], func)
    period = check_count("period", period)
    x = numeric(data, value, func)
    t = numeric(data, time, func)
    codes, keys = group_codes(data, by_)
    G = len(keys)
    sc, P = _season_codes(data, season, func)
    if P > period:
        raise DataError(
            f"{func}: 列 `{season}` 有 {P} 个不同的季节，多于 `period` = {period}。",
            f"{func}: column `{season}` holds {P} distinct seasons, more than `period` = {period}.",
            column=str(season),
        )
    if np.isnan(t).any():
        raise DataError(
            f"{func}: 列 `{time}` 有缺失值。",
            f"{func}: column `{time}` has missing values.",
            column=str(time),
        )
    keep = ~np.isnan(x)
    x, t, g, sc = x[keep], t[keep], codes[keep], sc[keep]
    n_obs = np.bincount(g, minlength=G)
    cell = g * P + sc
    order = np.lexsort((t, cell))
    x, t, g, cell = x[order], t[order], g[order], cell[order]
    if len(cell) > 1:
        dup = (cell[1:] == cell[:-1]) & (t[1:] == t[:-1])
        if dup.any():
            raise DataError(
                f"{func}: 同一组、同一季节有两个相同时间 `{time}` 的观测。",
                f"{func}: two observations of one group and season share the same `{time}`.",
                column=str(time),
            )
    ucell, cstart, ccount = np.unique(cell, return_index=True, return_counts=True)
    C = len(ucell)
    cgroup = ucell // P
    # tie correction and pair counts per cell
    nc = ccount.astype(np.float64)
    var_c = nc * (nc - 1) * (2 * nc + 5) / 18
    ties = pd.DataFrame({"c": np.repeat(np.arange(C), ccount), "x": x}).groupby(
        ["c", "x"], sort=False).size()
    tu = ties.to_numpy(dtype=np.float64)
    tie_c = np.bincount(ties.index.get_level_values(0).to_numpy(),
                        weights=tu * (tu - 1) * (2 * tu + 5), minlength=C) / 18
    var_c -= tie_c
    pairs_c = nc * (nc - 1) / 2
    # padded (C, m) layout, pairwise blocks
    m = int(ccount.max()) if C else 0
    pos = np.arange(len(x)) - np.repeat(cstart, ccount)
    Xp = np.full((C, max(m, 1)), np.nan)
    Tp = np.full((C, max(m, 1)), np.nan)
    cidx = np.repeat(np.arange(C), ccount)
    Xp[cidx, pos] = x
    Tp[cidx, pos] = t
    s_c = np.zeros(C)
    slopes, slope_g = [], []
    iu, ju = np.triu_indices(max(m, 1), k=1)
    step = max(1, _BLOCK // max(1, len(iu)))
    for lo in range(0, C, step):
        hi = min(C, lo + step)
        dx = Xp[lo:hi, ju] - Xp[lo:hi, iu]          # (c, pairs) x_j - x_i, j > i
        dt = Tp[lo:hi, ju] - Tp[lo:hi, iu]
        ok = ~np.isnan(dx)
        s_c[lo:hi] = np.where(ok, np.sign(dx), 0.0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = dx / dt
        slopes.append(sl[ok])
        slope_g.append(np.broadcast_to(cgroup[lo:hi, None], ok.shape)[ok])
    S = np.bincount(cgroup, weights=s_c, minlength=G)
    V = np.bincount(cgroup, weights=var_c, minlength=G)
    D = np.bincount(cgroup, weights=pairs_c, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(S > 0, S - 1, np.where(S < 0, S + 1, 0.0)) / np.sqrt(V)
        tau = S / D
    p = 2 * special.ndtr(-np.abs(z))
    slope = _group_median(np.concatenate(slopes) if slopes else np.empty(0),
                          np.concatenate(slope_g) if slope_g else np.empty(0, np.int64), G)
    few = ~(V > 0)
    z[few], p[few], tau[D == 0] = np.nan, np.nan, np.nan
    slope[D == 0] = np.nan
    note = pd.array(np.where(few, NOTE_FEW, ""), dtype="str")
    return with_keys(keys, {
        "s": S, "var_s": V, "z": z, "p_value": p, "slope": slope, "tau": tau,
        "n": n_obs.astype(np.int64), "note": note,
    })


def _group_median(v, g, G):
    """Median of ``v`` within each group code of ``g`` (NaN for an empty group)."""
    out = np.full(G, np.nan)
    if len(v) == 0:
        return out
    order = np.lexsort((v, g))
    v, g = v[order], g[order]
    ug, start, cnt = np.unique(g, return_index=True, return_counts=True)
    lo = v[start + (cnt - 1) // 2]
    hi = v[start + cnt // 2]
    out[ug] = (lo + hi) / 2
    return out


# --- trend GLM ------------------------------------------------------------------

def trend_glm(
    data: pd.DataFrame,
    *,
    count: str,
    exposure: str,
    time: str,
    season: str | None,
    by: str | Sequence[str] | None = None,
    family: Family = "auto",
    dispersion_threshold: float = 1.5,
    level: float = 0.95,
) -> pd.DataFrame:
    """Log-linear trend of counts (incidence-rate ratio per unit time), by group.

    Parameters
    ----------
    data : DataFrame
        One row per group x period (e.g. community x month).
    count : str
        Counts (non-negative integers).
    exposure : str
        Exposure (> 0), entering as the offset log(exposure) (e.g. households).
    time : str
        Continuous time in the unit the ratio is wanted per (e.g. years since
        the window's start: months / 12).
    season : str or None
        Season of each row (month of year); its effects are fitted as one
        level per season.  None: no season effects.
    by : str or list of str, optional
        Grouping column(s); one output row per group.
    family : {"auto", "poisson", "nb2"}
        ``"auto"`` fits Poisson and refits a group as NB2 when its Pearson
        chi2/df exceeds ``dispersion_threshold``.
    dispersion_threshold : float
        The Pearson chi2/df above which ``"auto"`` switches to NB2 (1.5).
    level : float
        Confidence level of the interval (0.95).

    Returns
    -------
    DataFrame
        Columns ``[*by, value, se, ci_low, ci_high, p_value, beta, se_beta,
        model, alpha, pearson_chi2_df, n, note]``: ``value`` = exp(beta), the
        rate ratio per unit of ``time``; ``se`` = value x se_beta (delta
        method); interval exp(beta -/+ z se_beta); two-sided Wald p-value of
        beta; ``model`` "poisson" or "negative binomial"; ``alpha`` the NB2
        dispersion (NaN for Poisson); ``pearson_chi2_df`` of the Poisson fit;
        ``n`` rows used; ``note`` names the model and its dispersion (``"poisson (Pearson chi2/df 0.91)"``,
        ``"negative binomial (alpha 0.12)"``) or says why there is no
        estimate (``"not estimable (no events)"``, ``"... (too few
        observations)"``, ``"... (did not converge)"``).

    Notes
    -----
    Model: :math:`\\log E[y_{t}] = \\log e_{t} + \\gamma_{s(t)} + \\beta\\, t`.
    Poisson: fitted by IRLS; se from the inverse Fisher information (as
    statsmodels ``GLM(family=Poisson(), offset=...)``).  Pearson
    :math:`\\chi^2/df = \\sum (y-\\hat\\mu)^2/\\hat\\mu \\,/\\, (n - p)`, with p
    the intercept, the observed seasons and the slope.  NB2:
    :math:`\\mathrm{Var}(y) = \\mu + \\alpha\\mu^2` with :math:`\\alpha` by
    maximum likelihood jointly with the coefficients, as statsmodels
    ``NegativeBinomial(y, X, offset=..., loglike_method="nb2")``; se from
    the inverse observed information of :math:`(\\beta, \\alpha)`.

    Rows with a missing count, exposure or time are dropped.  A season whose
    counts are all zero in a group has its effect at minus infinity in the
    MLE; its rows then carry no information on :math:`\\beta` and are left
    out of that group's fit (the limit of what statsmodels converges to).

    Every group is fitted at once: the design matrices are stacked into a
    (groups x periods x parameters) array and each iteration solves all
    groups' weighted normal equations in one batched call
    (:mod:`evalkit.stats._irls`).  Checked against statsmodels 0.15 GLM
    Poisson and discrete NegativeBinomial (nb2) per group.

    References
    ----------
    McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models (2nd
    ed.). Chapman & Hall.

    Cameron, A. C., & Trivedi, P. K. (2013). Regression Analysis of Count
    Data (2nd ed.), chapter 3 (NB2).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> m = np.arange(60)
    >>> df = pd.DataFrame({"cases": rng.poisson(20 * 0.9 ** (m / 12)),
    ...                    "households": 1000, "t": m / 12, "month": m % 12 + 1})
    >>> r = trend_glm(df, count="cases", exposure="households", time="t", season="month")
    >>> r["model"].iloc[0], bool(0.8 < r["value"].iloc[0] < 1.0)
    ('poisson', True)
    """
    func = "trend_glm"
    check_frame(data, func)
    by_ = as_list(by)
    cols = [count, exposure, time, *( [season] if season is not None else []), *by_]
    check_columns(data, cols, func)
    check_choice("family", family, get_args(Family))
    level = check_level(level)
    y = numeric(data, count, func)
    e = numeric(data, exposure, func)
    t = numeric(data, time, func)
    codes, keys = group_codes(data, by_)
    G = len(keys)
    if season is not None:
        sc, P = _season_codes(data, season, func)
    else:
        sc, P = np.zeros(len(data), dtype=np.int64), 1
    keep = ~(np.isnan(y) | np.isnan(e) | np.isnan(t))
    if (y[keep] < 0).any() or (y[keep] != np.round(y[keep])).any():
        raise DataError(
            f"{func}: 列 `{count}` 必须是非负整数（计数）。",
            f"{func}: column `{count}` must hold non-negative integers (counts).",
            column=str(count),
        )
    if (e[keep] <= 0).any():
        raise DataError(
            f"{func}: 列 `{exposure}` 必须大于 0。",
            f"{func}: column `{exposure}` must be greater than 0.",
            column=str(exposure),
        )
    y, e, t, g, sc = y[keep], e[keep], t[keep], codes[keep], sc[keep]
    n_obs = np.bincount(g, minlength=G)

    # --- padded (G, T) layout ---
    order = np.lexsort((t, g))
    y, e, t, g, sc = y[order], e[order], t[order], g[order], sc[order]
    gstart = np.searchsorted(g, np.arange(G))
    pos = np.arange(len(g)) - gstart[g]
    T = max(int(n_obs.max()) if G else 0, 1)
    p = P + 1
    Y = np.zeros((G, T))
    OFF = np.zeros((G, T))
    TT = np.zeros((G, T))
    SC = np.zeros((G, T), dtype=np.int64)
    M = np.zeros((G, T))
    Y[g, pos], OFF[g, pos], TT[g, pos], SC[g, pos], M[g, pos] = y, np.log(e), t, sc, 1.0
    # seasons present, and seasons with events, per group
    seas_n = np.zeros((G, P))
    seas_y = np.zeros((G, P))
    np.add.at(seas_n, (g, sc), 1.0)
    np.add.at(seas_y, (g, sc), y)
    present = seas_n > 0
    live = seas_y > 0
    # rows of all-zero seasons carry no information on beta (see Notes)
    W = M * live[np.arange(G)[:, None], SC]
    # centre time within group for conditioning (beta unchanged)
    tbar = (TT * W).sum(1) / np.maximum(W.sum(1), 1)
    TC = (TT - tbar[:, None]) * W
    X = np.zeros((G, T, p))
    X[np.arange(G)[:, None], np.arange(T)[None, :], SC] = W
    X[:, :, P] = TC
    active = np.concatenate([live, np.ones((G, 1), dtype=bool)], axis=1)
    # identifiability: events, degrees of freedom, rank of the design used
    n_used = W.sum(1)
    p_used = active.sum(1)
    df_resid = n_obs - (present.sum(1) + 1)
    no_events = seas_y.sum(1) == 0
    XtX = np.einsum("gtp,gtq->gpq", X, X)
    XtX[:, np.arange(p), np.arange(p)] += ~active
    full_rank = np.linalg.matrix_rank(XtX) == p
    ok = ~no_events & (n_used > p_used) & (df_resid > 0) & full_rank

    value = np.full(G, np.nan)
    beta = np.full(G, np.nan)
    se_beta = np.full(G, np.nan)
    alpha = np.full(G, np.nan)
    chi2df = np.full(G, np.nan)
    model = np.full(G, "", dtype=object)
    note = np.full(G, "", dtype=object)
    note[no_events] = f"{NOTE_NOT_ESTIMABLE} (no events)"
    note[~no_events & ~ok] = f"{NOTE_NOT_ESTIMABLE} (too few observations)"

    idx = np.flatnonzero(ok)
    if len(idx):
        Xs, Ys, Os, Ws, As = X[idx], Y[idx], OFF[idx], W[idx], active[idx]
        b, cov, mu, conv = _irls.poisson_irls(Xs, Ys, Os, Ws, As)
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson = np.where(Ws > 0, (Ys - mu) ** 2 / np.where(Ws > 0, mu, 1.0), 0.0).sum(1)
        cdf = pearson / df_resid[idx]
        chi2df[idx] = cdf
        beta[idx] = b[:, P]
        se_beta[idx] = np.sqrt(cov[:, P, P])
        model[idx] = "poisson"
        bad = ~conv
        if family == "nb2":
            nb = np.ones(len(idx), dtype=bool)
        elif family == "poisson":
            nb = np.zeros(len(idx), dtype=bool)
        else:
            nb = cdf > dispersion_threshold
        nb &= conv
        if nb.any():
            j = np.flatnonzero(nb)
            mu_j, y_j, w_j = mu[j], Ys[j], Ws[j]
            # statsmodels' start: moment estimate from the Poisson fit, at least 0.05
            with np.errstate(divide="ignore", invalid="ignore"):
                mom = np.where(w_j > 0, ((y_j - mu_j) ** 2 / mu_j - 1) / mu_j, 0.0).sum(1)
            a0 = np.maximum(0.05, mom / df_resid[idx][j])
            bn, an, covn, _, convn, _ = _irls.nb2_ml(Xs[j], y_j, Os[j], w_j, As[j], b[j], a0)
            beta[idx[j]] = bn[:, P]
            se_beta[idx[j]] = np.sqrt(covn[:, P, P])
            alpha[idx[j]] = an
            model[idx[j]] = "negative binomial"
            bad[j] |= ~convn
        gi = idx[bad]
        beta[gi] = se_beta[gi] = alpha[gi] = chi2df[gi] = np.nan
        note[gi] = f"{NOTE_NOT_ESTIMABLE} (did not converge)"
        model[gi] = ""
    z = -special.ndtri((1 - level) / 2)
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.exp(beta)
        se = value * se_beta
        lo = np.exp(beta - z * se_beta)
        hi = np.exp(beta + z * se_beta)
        pv = 2 * special.ndtr(-np.abs(beta / se_beta))
    good = model != ""
    isp = good & (model == "poisson")
    if isp.any():  # the note names the model and the dispersion (docs/INDICATORS.md)
        note[isp] = [f"poisson (Pearson chi2/df {c:.3g})" for c in chi2df[isp]]
    isnb = good & (model == "negative binomial")
    if isnb.any():
        note[isnb] = [f"negative binomial (alpha {a:.3g})" for a in alpha[isnb]]
    return with_keys(keys, {
        "value": value, "se": se, "ci_low": lo, "ci_high": hi, "p_value": pv,
        "beta": beta, "se_beta": se_beta,
        "model": pd.array(np.where(good, model, ""), dtype="str"),
        "alpha": alpha, "pearson_chi2_df": chi2df,
        "n": n_obs.astype(np.int64), "note": pd.array(note.astype(str), dtype="str"),
    })
