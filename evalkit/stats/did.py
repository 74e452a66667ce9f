"""Difference in differences: two-way fixed effects, Callaway–Sant'Anna, inference.

Plain functions on tidy DataFrames, usable without a Dataset:

* :func:`twfe_did` — two-way (unit and time) fixed-effects regression of an
  outcome on a treatment dummy, with CR1 cluster-robust standard errors as
  fixest / reghdfe compute them.
* :func:`did_2x2` — the textbook two-group, two-period comparison with both
  the two-sample standard error of the change and the two-way FE CR1 one.
* :func:`callaway_santanna` — group-time average treatment effects
  ATT(g,t) of Callaway & Sant'Anna (2021) without covariates, base period
  "varying", with their influence functions (:class:`CSResult`).
* :func:`aggregate` — the "simple", "group", "dynamic" and "calendar"
  aggregations of R ``did::aggte`` with analytic standard errors.
* :func:`pretrend_test` — Wald test that all pre-period ATT(g,t) are zero, with
  R ``did``'s χ² p-value or (small-sample valid) a randomisation p-value.
* :func:`randomization_inference` — permutation p-values for the TWFE
  coefficient and the Callaway–Sant'Anna aggregates, reassigning the observed
  first-treated years across units.

The panel functions work on a balanced panel (as R ``did`` does by default):
units missing the outcome in any period of the window are dropped, and the
result says how many.

References
----------
Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. Journal of Econometrics 225(2), 200–230.
Card, D. & Krueger, A. B. (1994). Minimum wages and employment. American
Economic Review 84(4), 772–793.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
cluster-robust inference. Journal of Human Resources 50(2), 317–372.
Roth, J. (2022). Pretest with caution: event-study estimates after testing
for parallel trends. American Economic Review: Insights 4(3), 305–322.
Wu, J. & Ding, P. (2021). Randomization tests for weak null hypotheses in
randomized experiments. Journal of the American Statistical Association 116(536), 1898–1913.
MacKinnon, J. G. & Webb, M. D. (2017). Wild bootstrap inference for wildly
different cluster sizes. Journal of Applied Econometrics 32(2), 233–254.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special as _sp

from evalkit.exceptions import DataError, EstimationError, ParameterError, check_choice

__all__ = [
    "twfe_did", "did_2x2", "callaway_santanna", "aggregate", "pretrend_test",
    "randomization_inference", "CSResult", "prepare_panel", "Panel",
]

Control = Literal["never", "notyet"]
AggKind = Literal["simple", "group", "dynamic", "calendar"]
_TINY_SE = np.sqrt(np.finfo(float).eps) * 10  # R did: se below this is NA


# --------------------------------------------------------------------------- input checks


def _check_columns(data: pd.DataFrame, cols: dict[str, str | None]) -> None:
    missing = [f"{role}={c!r}" for role, c in cols.items() if c is not None and c not in data.columns]
    if missing:
        raise DataError(
            f"面板数据缺少列：{', '.join(missing)}。现有列：{list(map(str, data.columns))}。",
            f"The panel lacks the column(s) {', '.join(missing)}. Columns present: "
            f"{list(map(str, data.columns))}.",
        )


def _numeric(data: pd.DataFrame, col: str, unit: str | None, what_zh: str, what_en: str,
             integer: bool = False) -> np.ndarray:
    """Column as float64; a non-numeric value raises DataError naming column and unit."""
    s = data[col]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        bad = np.zeros(len(x), bool)
    else:
        x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        bad = np.isnan(x) & s.notna().to_numpy() & (s.astype("str").str.strip() != "").to_numpy()
    if integer:
        bad |= ~np.isnan(x) & (np.round(x) != x)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = f"{s.iloc[i]!s:.40}"   # the first offending value, so the user can find it
        who_zh = f"（单位 {data[unit].iloc[i]}，值“{raw}”）" if unit is not None else f"（值“{raw}”）"
        who_en = f" (unit {data[unit].iloc[i]}, value '{raw}')" if unit is not None else f" (value '{raw}')"
        raise DataError(
            f"{what_zh}必须是{'整数' if integer else '数值'}，但有 {int(bad.sum())} 个值不是{who_zh}。",
            f"The {what_en} must be {'whole numbers' if integer else 'numeric'}, but "
            f"{int(bad.sum())} value(s) are not{who_en}.",
            column=col,
        )
    return x


# --------------------------------------------------------------------------- two-way FE


def _demean_2way(v: np.ndarray, u: np.ndarray, t: np.ndarray, w: np.ndarray,
                 tol: float = 1e-14, maxit: int = 10_000) -> np.ndarray:
    """Residuals of weighted projection of the columns of ``v`` on unit and time dummies.

    Alternating projections (method of alternating projections, as fixest /
    reghdfe); exact after one sweep on a balanced panel.
    """
    v = np.array(v, dtype=float, copy=True)
    nu, nt = u.max() + 1, t.max() + 1
    wu = np.bincount(u, weights=w, minlength=nu)
    wt = np.bincount(t, weights=w, minlength=nt)
    scale = max(1.0, float(np.abs(v).max()))
    for _ in range(maxit):
        delta = 0.0
        for idx, wsum, m in ((u, wu, nu), (t, wt, nt)):
            means = np.stack([np.bincount(idx, weights=w * v[:, j], minlength=m) for j in range(v.shape[1])],
                             axis=1) / wsum[:, None]
            step = means[idx]
            v -= step
            delta = max(delta, float(np.abs(step).max()))
        if delta <= tol * scale:
            return v
    raise EstimationError(  # pragma: no cover - needs a pathological panel
        "双向固定效应的去均值计算未收敛。",
        "The two-way fixed-effects demeaning did not converge.",
    )


def _twfe_core(y, d, u, t, w, cl, level):
    """β, CR1 se, t-based CI and p of the TWFE regression y ~ d | u + t."""
    resid = _demean_2way(np.column_stack([y, d]), u, t, w)
    yt, xt = resid[:, 0], resid[:, 1]
    sxx = float(np.sum(w * xt * xt))
    if not sxx > 1e-12 * max(1.0, float(np.sum(w * d * d))):
        raise EstimationError(
            "处理变量在去除单位与年份固定效应后没有变化，无法估计双重差分。",
            "The treatment dummy has no variation left after removing unit and year fixed "
            "effects; the difference in differences cannot be estimated.",
        )
    beta = float(np.sum(w * xt * yt) / sxx)
    e = yt - beta * xt
    n = len(y)
    cl_codes, cl_inv = np.unique(cl, return_inverse=True)
    g = len(cl_codes)
    score = np.bincount(cl_inv, weights=w * xt * e, minlength=g)
    # K: the slope plus the fixed effects not nested in the cluster (fixest "nested").
    # Levels of non-nested fixed effects, less one reference per extra fixed effect.
    kf = [_k_fe(u, cl_inv), _k_fe(t, cl_inv)]
    k = 1 + sum(kf) - max(0, sum(1 for x in kf if x) - 1)
    adj = g / (g - 1) * (n - 1) / (n - k) if g > 1 else np.nan
    se = float(np.sqrt(adj * np.sum(score ** 2)) / sxx)
    df = g - 1
    q = _sp.stdtrit(df, 0.5 + level / 2) if df > 0 else np.nan
    tstat = beta / se if se > 0 else np.nan
    p = float(2 * _sp.stdtr(df, -abs(tstat))) if df > 0 and np.isfinite(tstat) else np.nan
    return dict(value=beta, se=se, ci_low=beta - q * se, ci_high=beta + q * se, t=tstat, df=df,
                p_value=p, n=n, n_clusters=g)


def _k_fe(fe: np.ndarray, cl: np.ndarray) -> int:
    """Levels of a fixed effect that count in K: 0 when it is nested in the cluster."""
    pairs = np.unique(np.column_stack([fe, cl]), axis=0)
    nested = len(np.unique(pairs[:, 0])) == len(pairs)  # each level in one cluster
    return 0 if nested else len(np.unique(fe))


def twfe_did(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treated: str,
             cluster: str | None = None, weights: str | None = None,
             level: float = 0.95) -> pd.DataFrame:
    """Two-way fixed-effects difference in differences with CR1 cluster standard errors.

    Parameters
    ----------
    data
        Long panel, one row per unit and period.
    outcome, unit, time, treated
        Columns: the outcome, the unit id, the period, and the 0/1 treatment
        dummy (1 for a treated unit in a treated period).
    cluster
        Cluster column (default: ``unit``).
    weights
        Optional column of observation weights (weighted least squares).
    level
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row: ``term`` (= treated), ``value``, ``se``, ``ci_low``,
        ``ci_high``, ``t``, ``df``, ``p_value``, ``n`` (rows), ``n_clusters``.
        Rows with a missing outcome or treatment are left out.

    Notes
    -----
    With :math:`\\tilde y, \\tilde d` the residuals of the projection on
    unit and time dummies (alternating projections),
    :math:`\\hat\\beta = \\sum w\\tilde d\\tilde y / \\sum w\\tilde d^2` and

    .. math:: \\widehat V = \\frac{G}{G-1}\\frac{N-1}{N-K}
              \\frac{\\sum_g (\\sum_{i\\in g} w_i\\tilde d_i e_i)^2}{(\\sum w\\tilde d^2)^2},

    where K counts the slope and the fixed effects *not* nested in the
    clusters (fixest ``ssc(fixef.K="nested")``, reghdfe). The interval and
    p-value use the t distribution with G − 1 degrees of freedom. Checked
    against pyfixest 0.60 ``feols("y ~ d | unit + year", vcov={"CRV1": "unit"})``.

    References
    ----------
    Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. Journal of Human Resources 50(2), 317–372.
    """
    _check_columns(data, {"outcome": outcome, "unit": unit, "time": time, "treated": treated,
                          "cluster": cluster, "weights": weights})
    y = _numeric(data, outcome, unit, "结果变量", "outcome")
    d = _numeric(data, treated, unit, "处理变量", "treatment dummy")
    w = _numeric(data, weights, unit, "权重", "weights") if weights else np.ones(len(data))
    keep = ~np.isnan(y) & ~np.isnan(d) & ~np.isnan(w) & data[unit].notna().to_numpy() \
        & data[time].notna().to_numpy()
    if cluster:
        keep &= data[cluster].notna().to_numpy()
    sub = data.loc[keep]
    u = pd.factorize(sub[unit])[0]
    t = pd.factorize(sub[time])[0]
    cl = pd.factorize(sub[cluster if cluster else unit])[0]
    res = _twfe_core(y[keep], d[keep], u, t, w[keep], cl, level)
    return pd.DataFrame([{"term": treated, **res}])


def did_2x2(data: pd.DataFrame, *, outcome: str, unit: str, time: str, group: str,
            level: float = 0.95) -> pd.DataFrame:
    """Two groups, two periods: the difference in differences with two standard errors.

    Parameters
    ----------
    data
        Long data with two periods; units observed (non-missing outcome) in
        both periods form the balanced sample used.
    outcome, unit, time
        Columns: outcome, unit id, period (two distinct values; the larger is "after").
    group
        Column, 1 for the treated group, 0 for the comparison group (constant within a unit).
    level
        Confidence level.

    Returns
    -------
    DataFrame
        Two rows, ``method`` = ``"two_sample"`` and ``"twfe_cr1"``, with
        ``value`` (the same in both), ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``n`` (units), ``n_treated``, ``n_control``.

    Notes
    -----
    With :math:`\\Delta_i` the change of unit i, the estimate is
    :math:`\\bar\\Delta_T - \\bar\\Delta_C`.  ``two_sample``:
    :math:`se = \\sqrt{s_T^2/n_T + s_C^2/n_C}` (unequal variances, normal
    interval), the standard error Card & Krueger (1994, Table 3) report.
    ``twfe_cr1``: the regression of :func:`twfe_did` on the stacked balanced
    panel, CR1 clusters by unit, t with G − 1 df.

    References
    ----------
    Card, D. & Krueger, A. B. (1994). Minimum wages and employment: a case
    study of the fast-food industry in New Jersey and Pennsylvania. American
    Economic Review 84(4), 772–793, Table 3.
    """
    _check_columns(data, {"outcome": outcome, "unit": unit, "time": time, "group": group})
    y = _numeric(data, outcome, unit, "结果变量", "outcome")
    grp = _numeric(data, group, unit, "分组变量", "group indicator")
    df = pd.DataFrame({"u": data[unit].to_numpy(), "t": data[time].to_numpy(), "y": y, "g": grp})
    df = df[df["y"].notna() & df["u"].notna()]
    times = np.sort(df["t"].dropna().unique())
    if len(times) != 2:
        raise ParameterError(
            f"did_2x2 需要恰好两个时期，但列 {time} 有 {len(times)} 个。",
            f"did_2x2 needs exactly two periods, but column {time} has {len(times)}.",
        )
    wide = df.pivot_table(index="u", columns="t", values="y", aggfunc="first")
    gu = df.groupby("u")["g"].agg(["min", "max"])
    if (gu["min"] != gu["max"]).any():
        bad = gu.index[(gu["min"] != gu["max"]).to_numpy()][0]
        raise DataError(f"单位 {bad} 的分组在两个时期不同。", f"Unit {bad} changes group between periods.",
                        column=group)
    wide = wide.dropna()
    g = gu.loc[wide.index, "min"].to_numpy()
    delta = (wide[times[1]] - wide[times[0]]).to_numpy()
    dt, dc = delta[g == 1], delta[g == 0]
    if len(dt) < 2 or len(dc) < 2:
        raise EstimationError("每组至少需要两个在两期均有观测的单位。",
                              "Each group needs at least two units observed in both periods.")
    est = dt.mean() - dc.mean()
    se2 = float(np.sqrt(dt.var(ddof=1) / len(dt) + dc.var(ddof=1) / len(dc)))
    z = _sp.ndtri(0.5 + level / 2)
    rows = [dict(method="two_sample", value=est, se=se2, ci_low=est - z * se2, ci_high=est + z * se2,
                 p_value=float(2 * _sp.ndtr(-abs(est / se2))))]
    n = len(delta)
    u2 = np.tile(np.arange(n), 2)
    t2 = np.repeat([0, 1], n)
    y2 = np.concatenate([wide[times[0]].to_numpy(), wide[times[1]].to_numpy()])
    d2 = np.concatenate([np.zeros(n), g.astype(float)])
    r = _twfe_core(y2, d2, u2, t2, np.ones(2 * n), u2, level)
    rows.append(dict(method="twfe_cr1", value=r["value"], se=r["se"], ci_low=r["ci_low"],
                     ci_high=r["ci_high"], p_value=r["p_value"]))
    out = pd.DataFrame(rows)
    out["n"], out["n_treated"], out["n_control"] = n, len(dt), len(dc)
    return out


# --------------------------------------------------------------------------- panel preparation


@dataclass
class Panel:
    """A balanced wide panel ready for the estimators.

    ``Y`` is units × periods; ``G`` the first-treated period of each unit
    (0 = never within the window); ``w`` unit weights normalised to mean 1;
    ``cluster`` integer cluster codes per unit.
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
    notes: list[str] = field(default_factory=list)


def prepare_panel(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str,
                  cluster: str | None = None, weights: str | None = None,
                  start: int | None = None, end: int | None = None) -> Panel:
    """Check a long panel and turn it into a balanced wide :class:`Panel`.

    ``first_treated`` empty or 0 means never treated; a unit first treated
    after the last period is never treated within the window; units treated
    in or before the first period are dropped (no pre-period), as R ``did``
    does.  Units without the outcome in every period are dropped.
    """
    _check_columns(data, {"outcome": outcome, "unit": unit, "time": time,
                          "first_treated": first_treated, "cluster": cluster, "weights": weights})
    if len(data) == 0:
        raise DataError("面板数据没有任何行。", "The panel has no rows.")
    if data[unit].isna().any():
        raise DataError("单位列有空值。", "The unit column has empty values.", column=unit)
    tt = _numeric(data, time, unit, "时间列", "time column", integer=True)
    if np.isnan(tt).any():
        raise DataError("时间列有空值。", "The time column has empty values.", column=time)
    y = _numeric(data, outcome, unit, "结果变量", "outcome")
    ft = _numeric(data, first_treated, unit, "首次试点年份", "first-treated year", integer=True)
    ft = np.where(np.isnan(ft), 0.0, ft)
    w = _numeric(data, weights, unit, "权重", "weights") if weights else np.ones(len(data))
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
    if start is not None:
        df = df[df["t"] >= start]
    if end is not None:
        df = df[df["t"] <= end]
    if start is not None and end is not None and start >= end:
        raise ParameterError(f"起始年 {start} 必须早于结束年 {end}。",
                             f"The first year {start} must come before the last year {end}.")
    if df.empty:
        raise DataError("所选年份范围内没有数据。", "There are no data in the chosen years.", column=time)
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
        raise DataError("去掉缺失年份和窗口开始前已试点的单位后，没有剩下任何单位。",
                        "No unit is left after dropping units with missing years and units "
                        "treated before the window begins.", column=outcome)
    panel.w = panel.w / panel.w.mean()
    if not (panel.G > 0).any():
        raise DataError("窗口内没有在首年之后开始试点的单位：缺少试点前的年份（没有前期）。",
                        "No unit starts treatment after the first period of the window: there is no "
                        "pre-period to compare with.", column=first_treated)
    return panel


# --------------------------------------------------------------------------- Callaway–Sant'Anna


@dataclass
class CSResult:
    """ATT(g,t) with influence functions (output of :func:`callaway_santanna`).

    Attributes
    ----------
    gt
        DataFrame: ``group``, ``time``, ``base``, ``att``, ``se``, ``ci_low``,
        ``ci_high``, ``p_value``, ``n_treated``, ``n_control``, ``post`` (t ≥ g).
    psi
        Influence functions, units × cells (R ``did``'s ``inffunc``, scaled so
        that var = Σψ² / n²).
    panel
        The :class:`Panel` used.
    control
        ``"never"`` or ``"notyet"``.
    cohorts
        The cohorts (first-treated periods) with ATT(g,t) cells.
    """

    gt: pd.DataFrame
    psi: np.ndarray
    panel: Panel
    control: str
    cohorts: np.ndarray
    level: float = 0.95
    ci: str = "normal"
    cells: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.psi.shape[0]


def _cells(times: np.ndarray, cohorts: np.ndarray, G: np.ndarray, control: str):
    """Cell design: (g, t, base) and the control cohorts of each cell.

    Base period "varying": t-1 (previous period) before treatment, the last
    period before g from t = g on.  Not-yet controls: never treated, or first
    treated after max(t, base), other than g.
    """
    rows = []
    for g in cohorts:
        pre = times[times < g]
        if len(pre) == 0:
            continue
        for j in range(1, len(times)):
            t = times[j]
            b = times[j - 1] if t < g else pre[-1]
            rows.append((g, t, b))
    if not rows:
        return None
    gt = np.array(rows, dtype=float)
    levels = np.unique(np.concatenate([[0.0], cohorts, G]))
    ctrl = np.zeros((len(rows), len(levels)), bool)
    for k, (g, t, b) in enumerate(rows):
        if control == "never":
            ctrl[k] = levels == 0
        else:
            ctrl[k] = (levels == 0) | ((levels > max(t, b)) & (levels != g))
    return gt, levels, ctrl


def _cohort_sums(Gp: np.ndarray, w: np.ndarray, Z: np.ndarray, levels: np.ndarray, chunk: int):
    """For each cohort level c: W[p,c] = Σ w·1[G_p=c] and S[c,p,:] = Σ w·1[G_p=c]·Z."""
    P = Gp.shape[0]
    W = np.empty((P, len(levels)))
    S = np.empty((len(levels), P, Z.shape[1]))
    for lo in range(0, P, chunk):
        blk = Gp[lo:lo + chunk]
        for ci, c in enumerate(levels):
            ind = (blk == c) * w  # P_blk × n
            W[lo:lo + chunk, ci] = ind.sum(axis=1)
            S[ci, lo:lo + chunk] = ind @ Z
    return W, S


def _att_from_sums(W, S, gt, levels, ctrl, tcol):
    """ATT(g,t) for every permutation (rows) and cell (columns) from cohort sums."""
    gidx = np.searchsorted(levels, gt[:, 0])
    K = gt.shape[0]
    kk = np.arange(K)
    ST = S[gidx, :, kk + tcol].T                  # P × K: Σ_{treated} w Δ
    WT = W[:, gidx]
    SC = np.einsum("kc,cpk->pk", ctrl.astype(float), S[:, :, tcol:tcol + K])
    WC = W @ ctrl.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ST / WT - SC / WC, WT, WC


def callaway_santanna(data: pd.DataFrame | Panel, *, outcome: str | None = None, unit: str | None = None,
                      time: str | None = None, first_treated: str | None = None,
                      control: Control = "never", cluster: str | None = None,
                      weights: str | None = None, start: int | None = None, end: int | None = None,
                      level: float = 0.95, ci: Literal["normal", "welch"] = "normal") -> CSResult:
    """Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021).

    Parameters
    ----------
    data
        Long panel (one row per unit and period) or a prepared :class:`Panel`.
    outcome, unit, time, first_treated
        Columns; ``first_treated`` empty or 0 = never treated.
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
        Confidence level (pointwise intervals).
    ci
        ``"normal"`` (R ``did``'s analytic intervals) or ``"welch"``: the
        small-sample Welch–Satterthwaite t interval by cohort (:func:`_welch`),
        for cohorts of a few units.  :func:`aggregate` follows the choice.

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
    before its bootstrap.  Matches R ``did`` / moderndid 0.2
    ``att_gt(..., base_period="varying", boot=False)``.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
    multiple time periods. Journal of Econometrics 225(2), 200–230.
    """
    check_choice("control", control, ["never", "notyet"])
    check_choice("ci", ci, ["normal", "welch"])
    if isinstance(data, Panel):
        panel = data
    else:
        if None in (outcome, unit, time, first_treated):
            raise ParameterError("需要给出 outcome、unit、time 和 first_treated 列。",
                                 "outcome, unit, time and first_treated columns are required.")
        panel = prepare_panel(data, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                              cluster=cluster, weights=weights, start=start, end=end)
    panel, times, gt, levels, ctrl, Z, tcol = _design(panel, control)
    Gp = panel.G[None, :]
    W, S = _cohort_sums(Gp, panel.w, Z, levels, chunk=1)
    att, WT, WC = _att_from_sums(W, S, gt, levels, ctrl, tcol)
    att, WT, WC = att[0], WT[0], WC[0]
    n = len(panel.G)
    D = Z[:, tcol:]
    treat = panel.G[:, None] == gt[None, :, 0]
    gi = np.searchsorted(levels, panel.G)
    cont = ctrl[:, gi].T                           # n × K
    mt = np.where(treat, D, 0.0).T @ panel.w / WT  # weighted means
    mc = np.where(cont, D, 0.0).T @ panel.w / WC
    wcol = panel.w[:, None]
    psi = n * wcol * (treat * (D - mt) / WT - cont * (D - mc) / WC)
    involved = treat | cont
    se, df = (_welch(psi, panel.cluster, panel.G, involved) if ci == "welch"
              else (_se(psi, panel.cluster), None))
    lo, hi, pv = _interval(att, se, df, level)
    nt = (treat).sum(axis=0)
    nc = cont.sum(axis=0)
    if (nc == 0).all():
        raise DataError("没有可用的对照单位（从未试点或尚未试点的单位）。",
                        "There are no control units (never treated or not yet treated).")
    gtdf = pd.DataFrame({"group": gt[:, 0].astype(int), "time": gt[:, 1].astype(int),
                         "base": gt[:, 2].astype(int), "att": att, "se": se,
                         "ci_low": lo, "ci_high": hi, "p_value": pv,
                         "n_treated": nt, "n_control": nc, "post": gt[:, 1] >= gt[:, 0]})
    if df is not None:
        gtdf["df"] = df
    res = CSResult(gt=gtdf, psi=psi, panel=panel, control=control,
                   cohorts=np.unique(gt[:, 0]).astype(int), level=level, ci=ci,
                   cells=dict(gt=gt, levels=levels, ctrl=ctrl, tcol=tcol, Z=Z, involved=involved))
    return res


def _design(panel: Panel, control: str):
    """The panel estimated on, its periods, cells and the stacked matrix Z = [Y, Δ for each
    cell] used by every estimate.

    The panel returned is ``panel`` itself, or a copy without the periods from the last
    cohort on (``notyet`` without never-treated units); ``panel`` is never changed.
    """
    times = panel.times
    G = panel.G
    cohorts = np.unique(G[G > 0])
    if control == "never" and not (G == 0).any():
        raise DataError("没有从未试点的对照单位；可改用 control=\"notyet\"（尚未试点的单位作对照）。",
                        "There are no never-treated control units; use control=\"notyet\" "
                        "(not-yet-treated units as controls).")
    if control == "notyet" and not (G == 0).any():
        # As R did: without never-treated units, drop periods from the last cohort on
        # and estimate no ATT for the last cohort (it serves only as a control).
        gmax = cohorts.max()
        if len(cohorts) < 2:
            raise DataError("所有单位在同一年开始试点，没有从未或尚未试点的对照单位。",
                            "All units start treatment in the same period; there are no never- or "
                            "not-yet-treated controls.")
        keep_t = times < gmax
        panel = replace(panel, Y=panel.Y[:, keep_t], times=times[keep_t],
                        notes=[*panel.notes, f"no never-treated units: periods from {int(gmax)} dropped"])
        times = panel.times
        cohorts = cohorts[cohorts < gmax]
    built = _cells(times, cohorts, G, control)
    if built is None:
        raise DataError("窗口内没有试点前的年份，无法比较。",
                        "The window has no pre-period for any cohort; nothing can be compared.")
    gt, levels, ctrl = built
    tidx = {t: j for j, t in enumerate(times)}
    D = np.column_stack([panel.Y[:, tidx[t]] - panel.Y[:, tidx[b]] for _, t, b in gt])
    Z = np.column_stack([panel.Y, D])
    return panel, times, gt, levels, ctrl, Z, panel.Y.shape[1]


def _se(psi: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """sqrt(Σ_c (Σ_{i∈c} ψ_i)²) / n for each column; NaN when ~0 (as R did)."""
    n = psi.shape[0]
    psi = np.atleast_2d(psi.T).T
    if len(np.unique(cluster)) < n:
        agg = np.zeros((cluster.max() + 1, psi.shape[1]))
        np.add.at(agg, cluster, psi)
    else:
        agg = psi
    se = np.sqrt((agg ** 2).sum(axis=0)) / n
    se[~(se > _TINY_SE)] = np.nan
    return se


def _welch(psi: np.ndarray, cluster: np.ndarray, group: np.ndarray,
           involved: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Welch–Satterthwaite standard errors and degrees of freedom, column by column.

    Parameters
    ----------
    psi
        Influence functions, units × estimates (var = Σ_c (Σ_{i∈c} ψ_i)² / n²).
    cluster
        Cluster index of each unit.
    group
        Group of each unit (its cohort; 0 = never treated); a cluster takes the
        group of its first unit.
    involved
        Units × estimates: whether the unit's outcomes enter the estimate (as
        treated or control).  Per estimate, :math:`m_k` counts only the clusters
        of group k with an involved unit (a cohort-specific aggregate of the
        piloted group rests on that cohort's clusters alone), and a group
        involved with a single cluster makes the estimate's interval NaN -- its
        influence function is 0 there, so its variance would silently count as
        zero.  Without it, every cluster of the group counts.

    Returns
    -------
    (se, df)
        With :math:`V_k = \sum_{c \in k} (\sum_{i \in c}\psi_i)^2 / n^2` the part of
        the variance from the :math:`m_k` clusters of group k:
        :math:`se^2 = \sum_k \frac{m_k}{m_k - 1} V_k` and
        :math:`df = se^4 / \sum_k (\frac{m_k}{m_k-1} V_k)^2 / (m_k - 1)`
        over the groups with :math:`V_k > 0`.  NaN where a contributing group
        has a single cluster (its variance cannot be estimated).

    Notes
    -----
    For one cohort against never-treated controls, without weights, this is
    exactly Welch's two-sample t interval for the mean change of the treated
    minus that of the controls (``scipy.stats.ttest_ind(equal_var=False)``);
    the plain influence-function standard error is the same with
    :math:`m_k/(m_k-1)` replaced by 1 and the normal quantile.  With 6–8
    units in a cohort the normal interval covers 87–91% in simulation; this
    one about 95%.

    References
    ----------
    Welch, B. L. (1947). The generalization of Student's problem when several
    different population variances are involved. Biometrika 34, 28–35.
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of
    variance components. Biometrics Bulletin 2, 110–114.
    """
    n = psi.shape[0]
    psi = np.atleast_2d(psi.T).T
    nc = int(cluster.max()) + 1
    agg = np.zeros((nc, psi.shape[1]))
    np.add.at(agg, cluster, psi)
    first = np.full(nc, -1)
    order = np.arange(len(cluster))[::-1]
    first[cluster[order]] = order  # the first unit of each cluster
    cgroup = np.asarray(group)[first]
    k = psi.shape[1]
    if involved is not None:  # cluster × estimate: a unit of the cluster enters the estimate
        cinv = np.zeros((nc, k), dtype=bool)
        np.logical_or.at(cinv, cluster, np.atleast_2d(np.asarray(involved, bool).T).T)
    var = np.zeros(k)
    den = np.zeros(k)
    bad = np.zeros(k, dtype=bool)
    for g in np.unique(cgroup):
        sel = cgroup == g
        vk = (agg[sel] ** 2).sum(axis=0) / n ** 2
        used = vk > _TINY_SE ** 2
        if involved is not None:
            m = cinv[sel].sum(axis=0)
            used = used | (m > 0)
        else:
            m = np.full(k, int(sel.sum()))
        bad |= used & (m < 2)
        ok = used & (m >= 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            vk = np.where(ok, vk * m / (m - 1), 0.0)
            var += vk
            den += np.where(ok, vk ** 2 / (m - 1), 0.0)
    se = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = var ** 2 / den
    se[bad | ~(se > _TINY_SE)] = np.nan
    df[np.isnan(se)] = np.nan
    return se, df


def _interval(est, se, df, level: float):
    """(low, high, p): normal when ``df`` is None, else Student t with ``df`` (per value)."""
    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if df is None:
            q = _sp.ndtri(0.5 + level / 2)
            p = 2 * _sp.ndtr(-np.abs(est / se))
        else:
            q = _sp.stdtrit(df, 0.5 + level / 2)
            p = 2 * _sp.stdtr(df, -np.abs(est / se))
    return est - q * se, est + q * se, p


def _vcov(psi: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    n = psi.shape[0]
    agg = np.zeros((cluster.max() + 1, psi.shape[1]))
    np.add.at(agg, cluster, psi)
    return agg.T @ agg / n ** 2


# --------------------------------------------------------------------------- aggregation


def _agg_weights(kind: str, gt: np.ndarray, cohorts: np.ndarray, times: np.ndarray):
    """The aggregation as (keys, list of (cell indices, within-key weight basis))."""
    g, t = gt[:, 0], gt[:, 1]
    if kind == "simple":
        return [None], [np.flatnonzero(t >= g)]
    if kind == "group":
        keys = [c for c in cohorts if ((g == c) & (t >= c)).any()]
        return keys, [np.flatnonzero((g == c) & (t >= c)) for c in keys]
    if kind == "dynamic":
        e = t - g
        keys = np.unique(e)
        return list(keys), [np.flatnonzero(e == k) for k in keys]
    if kind == "calendar":
        keys = [s for s in times if s >= cohorts.min() and ((t == s) & (g <= s)).any()]
        return keys, [np.flatnonzero((t == s) & (g <= s)) for s in keys]
    raise AssertionError(kind)  # pragma: no cover


def _agg_point(kind: str, att: np.ndarray, pgc: np.ndarray, gt: np.ndarray, cohorts, times):
    """Aggregated estimates for a batch: att P × K, pgc P × K (pg of each cell's cohort).

    Returns (keys, θ_key P × m, overall P).
    """
    keys, sets = _agg_weights(kind, gt, cohorts, times)
    if kind == "simple":
        k = sets[0]
        ov = (att[:, k] * pgc[:, k]).sum(1) / pgc[:, k].sum(1)
        return [], np.empty((att.shape[0], 0)), ov
    if kind == "group":
        th = np.column_stack([att[:, k].mean(1) for k in sets])
        pg = np.column_stack([pgc[:, k[0]] for k in sets])
        return keys, th, (th * pg).sum(1) / pg.sum(1)
    th = np.column_stack([(att[:, k] * pgc[:, k]).sum(1) / pgc[:, k].sum(1) for k in sets])
    if kind == "dynamic":
        pos = np.asarray(keys) >= 0
        return keys, th, th[:, pos].mean(1)
    return keys, th, th.mean(1)


def _wif(cells: np.ndarray, pgc: np.ndarray, w: np.ndarray, G: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Influence function of estimating the weights P(G=g) (R did's ``wif``), n × len(cells)."""
    pk = pgc[cells]
    s = pk.sum()
    A = w[:, None] * (G[:, None] == gt[cells, 0][None, :]) - pk[None, :]
    return A / s - np.outer(A.sum(1), pk / s ** 2)


def _agg_if(kind: str, res: CSResult):
    """Estimates and influence functions of an aggregation: (keys, θ, IF n×m, overall, IF_overall)."""
    gt = res.cells["gt"]
    p = res.panel
    att = res.gt["att"].to_numpy()
    psi = res.psi
    levels = np.unique(np.concatenate([[0.0], p.G]))
    pg_level = np.array([np.mean(p.w * (p.G == c)) for c in levels])
    pgc = pg_level[np.searchsorted(levels, gt[:, 0])]
    keys, sets = _agg_weights(kind, gt, res.cohorts, p.times)
    if kind == "simple":
        k = sets[0]
        wk = pgc[k] / pgc[k].sum()
        ov = float(att[k] @ wk)
        iff = psi[:, k] @ wk + _wif(k, pgc, p.w, p.G, gt) @ att[k]
        return [], np.empty(0), np.empty((len(p.G), 0)), ov, iff
    th, ifs = [], []
    for k in sets:
        wk = pgc[k] / pgc[k].sum()
        th.append(float(att[k] @ wk))
        f = psi[:, k] @ wk
        if kind != "group":
            f = f + _wif(k, pgc, p.w, p.G, gt) @ att[k]
        ifs.append(f)
    th = np.array(th)
    IF = np.column_stack(ifs)
    if kind == "group":
        pgg = np.array([pgc[k[0]] for k in sets])
        wg = pgg / pgg.sum()
        ov = float(th @ wg)
        A = p.w[:, None] * (p.G[:, None] == np.asarray(keys)[None, :]) - pgg[None, :]
        wif = A / pgg.sum() - np.outer(A.sum(1), pgg / pgg.sum() ** 2)
        iff = IF @ wg + wif @ th
    elif kind == "dynamic":
        pos = np.asarray(keys) >= 0
        ov = float(th[pos].mean())
        iff = IF[:, pos].mean(1)
    else:
        ov = float(th.mean())
        iff = IF.mean(1)
    return keys, th, IF, ov, iff


def aggregate(result: CSResult, kind: AggKind = "group") -> pd.DataFrame:
    """Aggregate ATT(g,t) as R ``did::aggte`` does.

    Parameters
    ----------
    result
        Output of :func:`callaway_santanna`.
    kind
        ``"simple"`` (post-period cells weighted by cohort size), ``"group"``
        (θ^O_sel: each cohort's mean post effect, weighted by cohort size),
        ``"dynamic"`` (event time e = t − g; overall = mean over e ≥ 0) or
        ``"calendar"`` (by period; overall = mean over periods).

    Returns
    -------
    DataFrame
        ``kind``, ``key`` (cohort, event time or period; NaN for the overall
        row), ``value``, ``se``, ``ci_low``, ``ci_high``, ``p_value``.

    Notes
    -----
    With :math:`p_g = \\overline{w 1[G=g]}` each aggregate is
    :math:`\\theta = \\sum_k a_k ATT_k` with weights :math:`a_k` from the
    :math:`p_g`; its influence function is :math:`\\sum_k a_k\\psi_k` plus
    the estimation effect of the weights (R ``did``'s ``wif``) for the
    simple, dynamic, calendar and overall group aggregations.  Standard
    errors are analytic (:math:`\\sqrt{\\sum_c(\\sum_{i\\in c} IF_i)^2}/n`),
    intervals pointwise normal -- or, when the result was estimated with
    ``ci="welch"``, Welch–Satterthwaite t (:func:`_welch`) with two variance
    groups, the treated units of all cohorts and the never-treated ones (then
    a ``df`` column too, and p from the same t).  As with the normal interval,
    a cohort of a single unit adds nothing to the variance: its influence
    function is zero.

    References
    ----------
    Callaway & Sant'Anna (2021), section 3; R package ``did``, ``aggte``.
    """
    check_choice("kind", kind, ["simple", "group", "dynamic", "calendar"])
    keys, th, IF, ov, iff = _agg_if(kind, result)
    vals = np.concatenate([th, [ov]])
    allif = np.column_stack([IF, iff])
    if result.ci == "welch":
        inv = result.cells["involved"].astype(float)
        sets = _agg_weights(kind, result.cells["gt"], result.cohorts, result.panel.times)[1]
        cols = [inv[:, k].any(axis=1) for k in sets] if kind != "simple" else []
        post = result.cells["gt"][:, 1] >= result.cells["gt"][:, 0]
        overall = inv[:, post].any(axis=1) if kind != "dynamic" else \
            inv[:, [j for k, e in zip(sets, keys) if e >= 0 for j in k]].any(axis=1)
        involved = np.column_stack([*cols, overall]) if cols else overall[:, None]
        # two variance groups, piloted and never piloted: an aggregate spans cohorts, some of
        # which may have a single unit (whose own variance no influence function carries)
        se, df = _welch(allif, result.panel.cluster, (result.panel.G > 0).astype(int), involved)
    else:
        se, df = _se(allif, result.panel.cluster), None
    lo, hi, p = _interval(vals, se, df, result.level)
    out = pd.DataFrame({"kind": kind, "key": np.array(list(keys) + [np.nan], dtype=float),
                        "value": vals, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p})
    if df is not None:
        out["df"] = df
    return out


def pretrend_test(result: CSResult, *, method: Literal["asymptotic", "randomization"] = "asymptotic",
                  draws: int = 999, seed: int = 20241, impute: bool = True) -> dict:
    """Test that every pre-period ATT(g,t) is zero (parallel pre-trends).

    Parameters
    ----------
    result
        Output of :func:`callaway_santanna`.
    method
        ``"asymptotic"``: the Wald statistic referred to χ²_q, as R ``did``
        reports it.  ``"randomization"``: the same studentised Wald statistic
        referred to its randomisation distribution over reassignments of the
        first-treated years across units (small-sample valid; see Notes).
    draws, seed
        Number of reassignments and the seed of ``numpy.random.default_rng``
        (``"randomization"`` only).
    impute
        ``"randomization"`` only: remove the estimated post-period effects
        ATT(g,t) from the treated units' post-period outcomes before
        reassigning, so that real effects do not leak into the pre-period
        cells of reassigned units (which would make the test conservative).

    Returns
    -------
    dict
        ``statistic`` (the Wald statistic W), ``df`` (= q, the number of
        pre-period cells), ``p_value``, ``n_cells``, ``method``,
        ``p_asymptotic`` (the χ²_q p-value) and, for ``"randomization"``,
        ``draws`` (valid reassignments used).  Statistic and p-values are NaN
        when there is no pre-period cell or the covariance is singular.

    Notes
    -----
    :math:`W = \\hat a' \\hat V^{-1} \\hat a`, with :math:`\\hat a` the q
    pre-period ATT(g,t) and :math:`\\hat V` their joint influence-function
    covariance (R ``did``'s pre-test).  Asymptotically :math:`W \\sim \\chi^2_q`;
    but :math:`\\hat V` rests on the few units of each cohort, is biased
    down (divisor :math:`n_g`, not :math:`n_g - 1`) and noisy, so with cohorts
    of 4–8 units the χ² test rejects a true null two to three times too often
    (docs/PILOT.md).  The randomisation p-value is

    .. math:: p = \\frac{1 + \\#\\{b: W^*_b \\ge W\\}}{1 + B},

    where :math:`W^*_b` is the studentised statistic (its own :math:`\\hat a^*`
    and :math:`\\hat V^*`) after permuting the vector of first-treated years
    (cohort sizes kept).  It is exact when the assignment is exchangeable and
    pre-period outcomes do not depend on it; studentising keeps it valid
    asymptotically under the weaker null of equal pre-trend means
    (Wu & Ding 2021).  Passing either test is weak evidence: pre-tests have
    low power and conditioning on them distorts later inference (Roth 2022).

    References
    ----------
    Roth, J. (2022). Pretest with caution. AER: Insights 4(3), 305–322.
    Wu, J. & Ding, P. (2021). Randomization tests for weak null hypotheses in
    randomized experiments. JASA 116(536), 1898–1913.
    Callaway, B. & Sant'Anna, P. H. C. (2021). Journal of Econometrics 225(2), 200–230.
    """
    check_choice("method", method, ["asymptotic", "randomization"])
    gt = result.gt
    pre = np.flatnonzero(~gt["post"].to_numpy() & gt["se"].notna().to_numpy())
    out = dict(statistic=np.nan, df=len(pre), p_value=np.nan, n_cells=len(pre), method=method,
               p_asymptotic=np.nan)
    if method == "randomization":
        out["draws"] = 0
    if len(pre) == 0:
        return out
    a = gt["att"].to_numpy()[pre]
    V = _vcov(result.psi[:, pre], result.panel.cluster)
    if np.linalg.matrix_rank(V) < len(pre):
        return out
    W = float(a @ np.linalg.solve(V, a))
    pa = float(_sp.chdtrc(len(pre), W))
    out.update(statistic=W, p_value=pa, p_asymptotic=pa)
    if method == "randomization":
        if draws < 1:
            raise ParameterError("draws 必须为正整数。", "draws must be a positive integer.")
        Wp = _pretrend_perm(result, pre, draws=draws, seed=seed, impute=impute)
        ok = np.isfinite(Wp)
        hit = int((Wp[ok] >= W - 1e-9 * max(1.0, abs(W))).sum())
        out.update(p_value=(1 + hit) / (1 + int(ok.sum())), draws=int(ok.sum()))
    return out


def _pretrend_perm(result: CSResult, pre: np.ndarray, *, draws: int, seed: int, impute: bool,
                   perms: np.ndarray | None = None) -> np.ndarray:
    """Studentised Wald statistics of the pre-period cells under permuted first-treated years.

    Vectorised over batches of draws: per draw the cell means, influence
    functions, cluster sums and a batched solve.  ``perms`` (draws × n) may
    be given instead of drawing them (tests).
    """
    p = result.panel
    gt, levels, ctrl = result.cells["gt"], result.cells["levels"], result.cells["ctrl"]
    times, G, w = p.times, p.G, p.w
    n = len(G)
    tidx = {t: j for j, t in enumerate(times)}
    Y = np.array(p.Y, dtype=float, copy=True)
    if impute:
        att = result.gt["att"].to_numpy()
        for k in np.flatnonzero(result.gt["post"].to_numpy() & np.isfinite(att)):
            g, t = gt[k, 0], gt[k, 1]
            Y[G == g, tidx[t]] -= att[k]
    cells = gt[pre]
    D = np.column_stack([Y[:, tidx[t]] - Y[:, tidx[b]] for _, t, b in cells])     # n × q
    q = len(pre)
    gidx = np.searchsorted(levels, cells[:, 0])
    if perms is None:
        rng = np.random.default_rng(seed)
        perms = np.stack([rng.permutation(G) for _ in range(draws)])
    cl = p.cluster
    n_cl = int(cl.max()) + 1
    by_unit = n_cl == n
    out = np.full(perms.shape[0], np.nan)
    chunk = max(1, int(2e6 // max(n * q, 1)))
    for lo in range(0, perms.shape[0], chunk):
        blk = perms[lo:lo + chunk]
        code = np.searchsorted(levels, blk)                  # P × n cohort level index
        psi = np.empty((blk.shape[0], n, q))
        a = np.empty((blk.shape[0], q))
        for j in range(q):
            T = (code == gidx[j]) * w
            C = ctrl[pre[j]][code] * w
            WT, WC = T.sum(1), C.sum(1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mT = T @ D[:, j] / WT
                mC = C @ D[:, j] / WC
                psi[:, :, j] = n * (T * (D[None, :, j] - mT[:, None]) / WT[:, None]
                                    - C * (D[None, :, j] - mC[:, None]) / WC[:, None])
            a[:, j] = mT - mC
        if not by_unit:
            agg = np.zeros((blk.shape[0], n_cl, q))
            np.add.at(agg, (slice(None), cl), psi)
            psi = agg
        V = np.einsum("pik,pil->pkl", psi, psi) / n ** 2
        good = np.isfinite(a).all(1) & np.isfinite(V).all((1, 2))
        good &= np.linalg.matrix_rank(np.where(good[:, None, None], V, 0.0)) == q
        if good.any():
            sol = np.linalg.solve(V[good], a[good][:, :, None])[:, :, 0]
            out[lo:lo + len(blk)][good] = np.einsum("pk,pk->p", a[good], sol)
    return out


# --------------------------------------------------------------------------- randomisation inference


def _twfe_beta_batch(W, S_y, levels, times, wsum):
    """TWFE β for each permutation from cohort weight sums (balanced panel, unit weights).

    ``S_y[c, p, t]`` = Σ_i w_i 1[G_p(i)=c] ỹ_it with ỹ the weighted two-way residual of y.
    """
    A = ((levels[:, None] > 0) & (times[None, :] >= levels[:, None])).astype(float)  # C × T
    T = len(times)
    num = np.einsum("ct,cpt->p", A, S_y)
    xbar_i = A.mean(1)                              # unit mean of the dummy, per cohort
    xw_t = W @ A / wsum                             # P × T weighted period means
    xw = (W @ xbar_i) / wsum                        # P
    ss = (W @ A.sum(1)) - T * (W @ (xbar_i ** 2)) - wsum * (xw_t ** 2).sum(1) + wsum * T * xw ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / ss


def randomization_inference(panel: Panel, *, control: Control = "never", draws: int = 999,
                            seed: int = 20241, cs: CSResult | None = None) -> dict:
    """Permutation p-values reassigning the observed first-treated years across units.

    Parameters
    ----------
    panel
        A :class:`Panel` (balanced).
    control
        Control group of the Callaway–Sant'Anna estimates.
    draws
        Number of permutations (at least 999 recommended).
    seed
        Seed of ``numpy.random.default_rng``.
    cs
        The estimate on the observed assignment (computed if None).

    Returns
    -------
    dict
        ``"twfe"``: p-value of the TWFE coefficient; ``"att_gt"``: array of
        p-values per cell; for each kind in simple/group/dynamic/calendar a
        dict with ``"keys"``, ``"p"`` (per key) and ``"overall"``;
        ``"draws"``.

    Notes
    -----
    Each draw permutes the vector of first-treated years (cohort sizes are
    kept).  For every statistic θ,
    :math:`p = (1 + \\#\\{|\\theta^*| \\ge |\\theta|\\})/(B + 1)`.
    All statistics are linear in per-cohort sums of unit-level changes, so a
    batch of draws is a few matrix products.  With few treated clusters,
    cluster-robust and wild-bootstrap inference over-reject
    (MacKinnon & Webb 2017); randomisation inference is exact under the
    sharp null of no effect when assignment is exchangeable.

    References
    ----------
    Fisher, R. A. (1935). The Design of Experiments.
    MacKinnon, J. G. & Webb, M. D. (2017). Journal of Applied Econometrics 32(2), 233–254.
    """
    if draws < 1:
        raise ParameterError("draws 必须为正整数。", "draws must be a positive integer.")
    if cs is None:
        cs = callaway_santanna(panel, control=control)
    gt, levels, ctrl, Z, tcol = (cs.cells["gt"], cs.cells["levels"], cs.cells["ctrl"], cs.cells["Z"],
                                 cs.cells["tcol"])
    # cs.panel has the same units as ``panel`` but may lack the periods from the last cohort
    # on (``notyet`` without never-treated units): the TWFE coefficient is the one on
    # ``panel``'s whole window, the Callaway–Sant'Anna statistics those of cs.panel
    n = len(panel.G)
    rng = np.random.default_rng(seed)
    Gp = np.vstack([panel.G, np.stack([rng.permutation(panel.G) for _ in range(draws)])])
    # Weighted two-way residual of y (exact on a balanced panel with unit weights).
    Y = panel.Y
    w = panel.w
    wsum = w.sum()
    ytil = Y - Y.mean(1, keepdims=True) - (w @ Y / wsum)[None, :] + (w @ Y.mean(1)) / wsum
    Zall = np.column_stack([ytil, Z[:, tcol:]])
    chunk = max(1, int(4e6 // max(n, 1)))
    W, S = _cohort_sums(Gp, w, Zall, levels, chunk)
    T = Y.shape[1]
    beta = _twfe_beta_batch(W, S[:, :, :T], levels, panel.times, wsum)
    att, _, _ = _att_from_sums(W, S, gt, levels, ctrl, T)
    pg = W / n                                       # P × C: mean of w·1[G=c]
    pgc = pg[:, np.searchsorted(levels, gt[:, 0])]

    def pval(x):
        obs = np.abs(x[0])
        sim = np.abs(x[1:])
        with np.errstate(invalid="ignore"):
            hit = (sim >= obs - 1e-12 * np.maximum(1.0, obs)).sum(0)
        p = (1 + hit) / (draws + 1)
        return np.where(np.isnan(obs), np.nan, p)

    out = {"twfe": float(pval(beta)), "att_gt": pval(att), "draws": draws, "twfe_beta": float(beta[0])}
    for kind in ("simple", "group", "dynamic", "calendar"):
        keys, th, ov = _agg_point(kind, att, pgc, gt, cs.cohorts, cs.panel.times)
        out[kind] = {"keys": keys, "p": pval(th) if th.shape[1] else np.empty(0), "overall": float(pval(ov))}
    return out
