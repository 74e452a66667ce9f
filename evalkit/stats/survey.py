"""Design-based survey estimation, as R's ``survey`` package computes it.

Means, totals and shares with Taylor-linearisation standard errors for
stratified, clustered, unequally weighted samples, for every domain of
``by`` in one vectorised pass.  Results were checked against R ``survey``
4.x published test output (``tests/testoutput/api.Rout.saved``,
``tests/lonely.psu.Rout.save``, ``tests/deff.Rout.save``) and against
samplics 0.6.1 ``TaylorEstimator``; see ``tests/stats/test_survey.py``.

Public functions: :func:`svymean`, :func:`svytotal`, :func:`svyprop`.
"""

from __future__ import annotations

from typing import Literal, Sequence, get_args

import numpy as np
import pandas as pd
from scipy import sparse, special

from evalkit.exceptions import DataError, EstimationError, ParameterError, check_choice, check_level
from evalkit.stats._grouping import as_list, check_columns, check_frame, first_row, numeric

__all__ = ["svymean", "svytotal", "svyprop"]

LonelyPSU = Literal["adjust", "certainty", "remove", "average", "fail"]
CIMethod = Literal["normal", "logit"]

OUTPUT_COLUMNS = ("variable", "value", "se", "ci_low", "ci_high", "deff", "n", "note")

NOTE_NO_DATA = "no data"
NOTE_ONE_PSU = "not estimable (one PSU)"
NOTE_LONELY = {
    "adjust": "lonely PSU adjusted",
    "certainty": "lonely PSU taken as certainty",
    "remove": "lonely PSU removed",
    "average": "lonely PSU averaged",
}
NOTE_LOGIT_EDGE = "logit interval undefined (share 0 or 1)"
NOTE_DEFF_UNDEFINED = "deff undefined (weights sum to n or less)"


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


def svymean(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    weights: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | Sequence[str] | None = None,
    lonely_psu: LonelyPSU = "adjust",
    ci: CIMethod = "normal",
    level: float = 0.95,
    deff: bool | Literal["replace"] = True,
) -> pd.DataFrame:
    r"""Design-weighted mean of one or more variables, overall or by domain.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    y : str or list of str
        Numeric (or boolean) column(s) to average.  A missing value excludes
        the respondent from that variable's estimate but never drops its PSU.
    weights : str, optional
        Sampling weights (> 0).  Default: every weight 1.
    strata : str, optional
        Stratum of each respondent.  Default: one stratum.
    psu : str, optional
        Primary sampling unit (cluster), nested in strata: the same label in
        two strata is two PSUs.  Default: each respondent is its own PSU.
    fpc : str, optional
        Finite population correction, constant within a stratum: the number
        of PSUs in the stratum's population (as R's ``fpc=`` with counts), or,
        if every value is at most 1, the sampling fraction.  Default: PSUs
        drawn with replacement (no correction).
    by : str or list of str, optional
        Domain column(s).  Every domain is estimated over the whole design by
        zeroing (R's ``svyby``), never by re-estimating a subset alone.  Rows
        with a missing ``by`` value belong to no domain but stay in the design.
    lonely_psu : {"adjust", "certainty", "remove", "average", "fail"}
        What to do with a stratum that has a single PSU, as R's
        ``options(survey.lonely.psu=)``: "adjust" centres it on the grand
        mean of PSU totals; "certainty" and "remove" give it no variance
        (R treats both the same); "average" scales the variance up by
        (strata)/(strata with more than one PSU); "fail" raises
        :class:`~evalkit.exceptions.EstimationError`.
    ci : {"normal", "logit"}
        "normal": value ± z·se (R ``confint`` for ``svymean``).  "logit": R's
        ``svyciprop(method="logit")`` for 0/1 variables (see Notes).
    level : float
        Confidence level of the interval, in (0, 1).
    deff : bool or "replace"
        Design effect against simple random sampling without replacement of
        the same size (``True``, R's ``deff=TRUE``), with replacement
        (``"replace"``), or not computed (``False``: column of NaN).

    Returns
    -------
    DataFrame
        One row per domain × variable, columns ``[*by, variable, value, se,
        ci_low, ci_high, deff, n, note]``: ``n`` is the number of respondents
        of the domain with a non-missing value (unweighted); ``note`` is
        empty or says "no data", "not estimable (one PSU)" (se, interval and
        deff are then NaN, never 0) or how a lonely PSU was handled.

    Notes
    -----
    For domain :math:`d`, with :math:`\delta_i = 1` when respondent *i* is in
    the domain and has a value, :math:`\hat W_d = \sum_i w_i\delta_i` and
    :math:`\bar y_d = \sum_i w_i \delta_i y_i / \hat W_d`.  The mean is a
    ratio estimator, linearised as
    :math:`z_i = w_i \delta_i (y_i - \bar y_d) / \hat W_d`.  With PSU totals
    :math:`z_{hj} = \sum_{i \in (h,j)} z_i` and :math:`n_h` PSUs in stratum
    :math:`h` (all PSUs of the design, so PSUs without domain members count
    as zeros),

    .. math::

        \widehat V = \sum_h (1 - f_h) \frac{n_h}{n_h - 1}
                     \sum_j (z_{hj} - \bar z_h)^2,
        \qquad f_h = n_h / N_h ,

    with :math:`f_h = 0` when no ``fpc`` is given.  A stratum with
    :math:`n_h = 1` (and :math:`N_h > 1`) contributes, under "adjust",
    :math:`(1 - f_h)(z_{h1} - \tilde z)^2` with :math:`\tilde z` the sum of
    all :math:`z` divided by the number of PSUs in the strata the domain
    touches (R's implementation).  These are R ``survey`` 4.x semantics,
    including ``svyby`` domains and ``na.rm=TRUE``: strata are "touched" by a
    domain when they hold a respondent of the domain with a value.

    ``deff`` is :math:`\widehat V / V_{srs}` with
    :math:`V_{srs} = s^2 (\hat W_d - n_d)/(\hat W_d n_d)` and
    :math:`s^2 = \frac{n_d}{n_d-1}\sum_i w_i\delta_i(y_i-\bar y_d)^2/\hat W_d`
    (R ``svymean(deff=TRUE)``).  When :math:`\hat W_d \le n_d` (weights not
    scaled to a population, e.g. no weights) the without-replacement deff is
    undefined: NaN with a note (R gives NA or Inf); use ``deff="replace"``.

    The logit interval is R's ``svyciprop(method="logit")``: the
    intercept-only quasi-binomial ``svyglm`` has coefficient
    :math:`\mathrm{logit}(\hat p)` and standard error
    :math:`\mathrm{se}/(\hat p(1-\hat p))`, and ``confint(..., ddf=degf)``
    uses a *t* quantile with ``degf`` = PSUs − strata (those the domain
    touches, R ``degf`` of the subset design); the ends are back-transformed
    with the inverse logit.  With ``degf`` ≤ 0 the interval is NaN, as in R.

    Checked against R ``survey`` 4.5's published output on the api data
    (stratified, one- and two-stage cluster designs, ``svyby`` domains, lonely
    PSUs, deff; to the printed digits) and against samplics 0.6.1
    ``TaylorEstimator`` at 1e-6 (tests/stats/test_survey.py).

    References
    ----------
    Lumley T (2004). Analysis of complex survey samples. *Journal of
    Statistical Software* 9(8). Lumley T (2010). *Complex Surveys: A Guide
    to Analysis Using R*. Wiley. R package ``survey`` 4.5, functions
    ``svymean``, ``svyby``, ``svyciprop``, ``svyrecvar``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2],
    ...                    "s": ["a", "a", "b", "b"]})
    >>> out = svymean(df, y="y", weights="w", strata="s")
    >>> round(float(out["value"].iloc[0]), 4)
    2.8333
    """
    return _estimate(data, "mean", y=y, weights=weights, strata=strata, psu=psu, fpc=fpc,
                     by=by, lonely_psu=lonely_psu, ci=ci, level=level, deff=deff)


def svytotal(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    weights: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | Sequence[str] | None = None,
    lonely_psu: LonelyPSU = "adjust",
    ci: Literal["normal"] = "normal",
    level: float = 0.95,
    deff: bool | Literal["replace"] = True,
) -> pd.DataFrame:
    r"""Design-weighted (Horvitz–Thompson) total, overall or by domain.

    Parameters are those of :func:`svymean`; ``ci`` can only be "normal".

    Returns
    -------
    DataFrame
        Columns ``[*by, variable, value, se, ci_low, ci_high, deff, n, note]``
        as in :func:`svymean`.

    Notes
    -----
    :math:`\hat T_d = \sum_i w_i \delta_i y_i`, linearised as
    :math:`z_i = w_i \delta_i y_i`, with the variance formula of
    :func:`svymean`.  ``deff`` (R ``svytotal(deff=TRUE)``) is
    :math:`\widehat V / (s^2 \hat W_d^2 (\hat W_d - n_d)/(\hat W_d n_d))`.
    Checked against R ``survey`` 4.5's published ``svytotal`` output on the
    api data and samplics 0.6.1 (tests/stats/test_survey.py).

    References
    ----------
    Horvitz DG, Thompson DJ (1952). A generalization of sampling without
    replacement from a finite universe. *JASA* 47:663–685.  R package
    ``survey`` 4.5, ``svytotal``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [10.0, 10, 20, 20]})
    >>> float(svytotal(df, y="y", weights="w")["value"].iloc[0])
    170.0
    """
    check_choice("ci", ci, ["normal"])
    return _estimate(data, "total", y=y, weights=weights, strata=strata, psu=psu, fpc=fpc,
                     by=by, lonely_psu=lonely_psu, ci=ci, level=level, deff=deff)


def svyprop(
    data: pd.DataFrame,
    *,
    y: str | Sequence[str],
    weights: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | Sequence[str] | None = None,
    lonely_psu: LonelyPSU = "adjust",
    ci: CIMethod = "logit",
    level: float = 0.95,
    deff: bool | Literal["replace"] = True,
) -> pd.DataFrame:
    """Design-weighted share of a 0/1 variable with a logit interval.

    :func:`svymean` with ``ci="logit"`` by default (R's
    ``svyciprop(method="logit")``); ``y`` must hold only 0, 1 (or booleans)
    and missing values.

    Returns
    -------
    DataFrame
        As :func:`svymean`.

    Notes
    -----
    See :func:`svymean` for the variance and the interval.  The logit interval
    was checked against samplics 0.6.1 ``TaylorEstimator(PopParam.prop)`` on the
    api data, overall and by domain (tests/stats/test_survey.py).

    References
    ----------
    R package ``survey`` 4.5, ``svyciprop``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ok": [1, 0, 1, 1]})
    >>> float(svyprop(df, y="ok")["value"].iloc[0])
    0.75
    """
    return _estimate(data, "mean", y=y, weights=weights, strata=strata, psu=psu, fpc=fpc,
                     by=by, lonely_psu=lonely_psu, ci=ci, level=level, deff=deff,
                     binary=True)


# --------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------


def _codes(data: pd.DataFrame, col: str, role_zh: str, role_en_: str) -> np.ndarray:
    codes, _ = pd.factorize(data[col], use_na_sentinel=True)
    bad = codes < 0
    if bad.any():
        raise DataError(
            f"{role_zh}列有 {int(bad.sum())} 个缺失值；每个受访者都必须有{role_zh}。",
            f"the {role_en_} column has {int(bad.sum())} missing value(s); every respondent needs one.",
            row=first_row(data, bad), column=col,
        )
    return codes.astype(np.int64)


class _Design:
    """Integer codes of a survey design: strata, PSUs (nested), fpc."""

    def __init__(self, data: pd.DataFrame, *, weights, strata, psu, fpc, lonely_psu):
        n = len(data)
        self.n = n
        if weights is None:
            w = np.ones(n)
        else:
            w = numeric(data, weights, role=("权重", "weight"))
            bad = ~np.isfinite(w) | (w <= 0)
            if bad.any():
                raise DataError(
                    f"权重列有 {int(bad.sum())} 个缺失、非正或无穷的值；权重必须大于 0。",
                    f"the weight column has {int(bad.sum())} missing, non-positive or infinite "
                    "value(s); weights must be greater than 0.",
                    row=first_row(data, bad), column=weights,
                )
        self.w = w
        h = np.zeros(n, np.int64) if strata is None else _codes(data, strata, "分层", "stratum")
        H = int(h.max()) + 1 if n else 0
        if strata is None:
            self.stratum_labels = np.array(["(all)"], dtype=object)
        else:
            self.stratum_labels = np.asarray(pd.factorize(data[strata])[1], dtype=object)
        if psu is None:
            g = np.arange(n, dtype=np.int64)
        else:
            p = _codes(data, psu, "初级抽样单元（PSU）", "PSU")
            g = pd.factorize(h * (int(p.max()) + 1) + p)[0].astype(np.int64)
        G = int(g.max()) + 1 if n else 0
        h_of_g = np.zeros(G, np.int64)
        h_of_g[g] = h
        n_h = np.bincount(h_of_g, minlength=H).astype(np.float64)

        # population PSU counts per stratum
        N_h = np.full(H, np.inf)
        if fpc is not None:
            f = numeric(data, fpc, role=("总体单元数（fpc）", "fpc"))
            bad = ~np.isfinite(f) | (f <= 0)
            if bad.any():
                raise DataError(
                    f"总体单元数（fpc）列有 {int(bad.sum())} 个缺失或非正的值。",
                    f"the fpc column has {int(bad.sum())} missing or non-positive value(s).",
                    row=first_row(data, bad), column=fpc,
                )
            fmin = np.full(H, np.inf)
            fmax = np.full(H, -np.inf)
            np.minimum.at(fmin, h, f)
            np.maximum.at(fmax, h, f)
            if np.any(fmax - fmin > 1e-9 * np.maximum(1.0, np.abs(fmax))):
                raise DataError(
                    "总体单元数（fpc）在同一分层内必须相同。",
                    "the fpc must be the same for every respondent of a stratum.",
                    column=fpc,
                )
            if np.all(fmax <= 1.0):  # sampling fractions, as R
                N_h = n_h / fmax
            else:
                N_h = fmax
                if np.any(N_h < n_h - 1e-9):
                    k = int(np.flatnonzero(N_h < n_h - 1e-9)[0])
                    raise DataError(
                        f"分层 {self.stratum_labels[k]} 的总体单元数（fpc={N_h[k]:g}）小于样本中的 PSU 数"
                        f"（{int(n_h[k])}）；fpc 应为该分层总体中的 PSU 个数。",
                        f"stratum {self.stratum_labels[k]}: the fpc ({N_h[k]:g}) is smaller than the "
                        f"number of sampled PSUs ({int(n_h[k])}); fpc must be the population count "
                        "of PSUs in the stratum.",
                        column=fpc,
                    )
        with np.errstate(divide="ignore", invalid="ignore"):
            one_minus_f = np.where(np.isfinite(N_h), 1.0 - n_h / N_h, 1.0)
        one_minus_f[one_minus_f < 1e-7] = 0.0  # census / self-representing stratum
        self.h, self.g, self.H, self.G = h, g, H, G
        self.h_of_g, self.n_h, self.N_h, self.one_minus_f = h_of_g, n_h, N_h, one_minus_f
        self.singleton = (n_h == 1) & (N_h > 1)
        self.lonely_psu = lonely_psu


def _domains(data: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame | None]:
    if not by:
        return np.zeros(len(data), np.int64), None
    gb = data.groupby(by, sort=True, dropna=True, observed=True)
    ng = gb.ngroup().to_numpy(dtype="float64", na_value=np.nan)
    d = np.where(np.isnan(ng), -1, ng).astype(np.int64)
    labels = gb.size().index.to_frame(index=False)
    for c in by:  # keep the input dtypes of the by columns
        try:
            labels[c] = labels[c].astype(data[c].dtype)
        except (TypeError, ValueError):
            pass
    return d, labels


def _indicator(codes: np.ndarray, ncodes: int, ncols: int) -> sparse.csr_matrix:
    """Sparse (ncodes × ncols) 0/1 matrix with a 1 at (codes[i], i)."""
    return sparse.csr_matrix(
        (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(ncodes, ncols))


# --------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------


def _estimate(data, stat, *, y, weights, strata, psu, fpc, by, lonely_psu, ci, level, deff,
              binary=False) -> pd.DataFrame:
    func = "svytotal" if stat == "total" else "svyprop" if binary else "svymean"
    check_frame(data, func)
    check_choice("lonely_psu", lonely_psu, get_args(LonelyPSU))
    check_choice("ci", ci, get_args(CIMethod))
    check_choice("deff", deff, [True, False, "replace"])
    level = check_level(level)
    ys = as_list(y, "y")
    bys = as_list(by, "by")
    if not ys:
        raise ParameterError("参数 `y` 至少要给出一个列名。", "`y` must name at least one column.")
    if len(set(ys)) != len(ys):
        raise ParameterError(f"参数 `y` 中有重复的列名：{ys}。", f"`y` names a column twice: {ys}.")
    clash = [c for c in bys if c in OUTPUT_COLUMNS]
    if clash:
        raise ParameterError(
            f"`by` 列名不能与输出列同名：{clash}；请先重命名。",
            f"`by` columns cannot share a name with an output column: {clash}; rename them first.",
        )
    for name, cols in (("weights", weights), ("strata", strata), ("psu", psu), ("fpc", fpc)):
        if cols is not None and not isinstance(cols, str):
            raise ParameterError(f"参数 `{name}` 必须是一个列名，但传入的是 {cols!r}。",
                                 f"The value for `{name}` must be one column name, but {cols!r} was passed.")
    check_columns(data, [*ys, *bys, weights, strata, psu, fpc], func)
    if len(data) == 0:
        raise EstimationError("数据没有任何行，无法估计。", "The data have no rows; nothing to estimate.")

    design = _Design(data, weights=weights, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu)
    Y = np.column_stack([numeric(data, c, role=("分析变量", "analysis variable")) for c in ys])
    if binary or ci == "logit":
        ok = np.isnan(Y) | (Y >= 0) & (Y <= 1)
        if not ok.all():
            col = ys[int(np.flatnonzero(~ok.all(axis=0))[0])]
            raise DataError(
                "logit 区间只适用于取值 0/1 的变量（比例），该列有 0–1 以外的值。",
                "the logit interval is for 0/1 variables (shares); this column has values outside 0–1.",
                row=first_row(data, ~ok.all(axis=1)), column=col,
            )
    d, labels = _domains(data, bys)
    D = 1 if labels is None else len(labels)
    res = _linearized(design, Y, d, D, stat=stat, deff=deff)
    return _assemble(res, ys, labels, ci=ci, level=float(level), stat=stat)


def _linearized(design: _Design, Y: np.ndarray, d: np.ndarray, D: int, *, stat: str, deff) -> dict:
    """Estimates, variances and counts for every domain × variable (D × K arrays)."""
    K = Y.shape[1]
    sel = np.flatnonzero(d >= 0)
    w = design.w[sel]
    Ys = Y[sel]
    ds = d[sel]
    g = design.g[sel]
    M = ~np.isnan(Ys)
    Y0 = np.where(M, Ys, 0.0)
    Mf = M.astype(np.float64)
    wM = w[:, None] * Mf

    Ad = _indicator(ds, D, len(sel))
    W = np.asarray(Ad @ wM)                        # Σ w δ            (D × K)
    T = np.asarray(Ad @ (w[:, None] * Y0))         # Σ w δ y
    n = np.asarray(Ad @ Mf)                        # respondents with a value
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = T / W
    centred = np.where(M, Ys - mean[ds], 0.0)
    if stat == "mean":
        value = mean
        with np.errstate(divide="ignore", invalid="ignore"):
            z = wM * centred / W[ds]
        z = np.where(M, z, 0.0)
    else:
        value = np.where(n > 0, T, np.nan)
        z = w[:, None] * Y0

    # PSU × domain cells present in the data
    pkey = g * D + ds
    pkeys, q = np.unique(pkey, return_inverse=True)
    Q = len(pkeys)
    Aq = _indicator(q, Q, len(sel))
    Zq = np.asarray(Aq @ z)                        # PSU totals of z  (Q × K)
    valid_q = np.asarray(Aq @ Mf) > 0              # PSU has a respondent with a value
    pair_g = pkeys // D
    pair_d = pkeys % D
    pair_h = design.h_of_g[pair_g]

    # stratum × domain cells
    ckeys, c = np.unique(pair_h * D + pair_d, return_inverse=True)
    C = len(ckeys)
    cell_h = ckeys // D
    cell_d = ckeys % D
    Ac = _indicator(c, C, Q)
    S = np.asarray(Ac @ Zq)                        # stratum totals (C × K)
    npairs = np.bincount(c, minlength=C).astype(np.float64)[:, None]
    vpsu = np.asarray(Ac @ valid_q.astype(np.float64))   # PSUs with a value per cell
    present = vpsu > 0
    nh = design.n_h[cell_h][:, None]
    fac = design.one_minus_f[cell_h][:, None]
    single = design.singleton[cell_h][:, None] & np.ones((1, K), bool)
    lonely_present = single & present

    method = design.lonely_psu
    if method == "fail" and lonely_present.any():
        k = int(cell_h[np.flatnonzero(lonely_present.any(axis=1))[0]])
        lab = design.stratum_labels[k]
        raise EstimationError(
            f"分层 {lab} 只有一个初级抽样单元（PSU），无法估计方差。请合并分层，"
            "或设置 lonely_psu=\"adjust\"（按 R survey 的 survey.lonely.psu=\"adjust\" 处理）。",
            f"Stratum {lab} has only one primary sampling unit (PSU), so its variance cannot be "
            "estimated. Merge strata, or set lonely_psu=\"adjust\" (as R survey's "
            "survey.lonely.psu=\"adjust\").",
        )

    # strata with at least two PSUs: centred on their own mean (absent PSUs are zeros)
    with np.errstate(divide="ignore", invalid="ignore"):
        zbar = S / nh
        dev = Zq - zbar[c]
        ssq = np.asarray(Ac @ (dev * dev)) + (nh - npairs) * zbar * zbar
        scale = np.where(nh > 1, fac * nh / (nh - 1), 0.0)
    var_c = np.where(single, 0.0, scale * ssq)

    Acd = _indicator(cell_d, D, C)
    if method == "adjust" and lonely_present.any():
        # R: recentre lonely strata on Σ z / (PSUs of the strata the domain touches)
        psus_touched = np.asarray(Acd @ (present * nh))             # D × K
        ztot = np.asarray(Acd @ S)
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = ztot / psus_touched
        adj = fac * (S - centre[cell_d]) ** 2
        var_c = np.where(lonely_present, adj, var_c)
    var = np.asarray(Acd @ np.where(present, var_c, 0.0))
    strata_touched = np.asarray(Acd @ present.astype(np.float64))
    lonely_touched = np.asarray(Acd @ lonely_present.astype(np.float64))
    if method == "average":
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = strata_touched / (strata_touched - lonely_touched)
        var = np.where(lonely_touched > 0, var * ratio, var)
    n_psu = np.asarray(Acd @ vpsu)
    degf = n_psu - strata_touched

    # design effect (R svymean/svytotal deff=TRUE)
    deff_v = np.full((D, K), np.nan)
    deff_undefined = np.zeros((D, K), bool)
    if deff:
        ssw = np.asarray(Ad @ (wM * centred * centred))
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = ssw / W * n / (n - 1)
            if deff == "replace":
                vsrs = s2 / n
            else:
                vsrs = s2 * (W - n) / (W * n)
                deff_undefined = (W <= n * (1 + 1e-12)) & (n > 1)
                vsrs = np.where(deff_undefined, np.nan, vsrs)
            if stat == "total":
                vsrs = vsrs * W * W
            deff_v = np.where(n > 1, var / vsrs, np.nan)

    return {"value": value, "var": var, "n": n, "n_psu": n_psu, "degf": degf,
            "deff": deff_v, "lonely": lonely_touched > 0, "deff_undefined": deff_undefined,
            "method": method}


def _assemble(res: dict, ys: list[str], labels, *, ci: str, level: float, stat: str) -> pd.DataFrame:
    value, var, n = res["value"], res["var"], res["n"]
    no_data = n == 0
    one_psu = ~no_data & (res["n_psu"] <= 1)
    value = np.where(no_data, np.nan, value)
    se = np.sqrt(np.maximum(var, 0.0))
    se = np.where(no_data | one_psu, np.nan, se)
    deff_v = np.where(no_data | one_psu, np.nan, res["deff"])

    alpha = 1.0 - level
    edge = np.zeros_like(no_data)
    if ci == "normal":
        q = special.ndtri(1 - alpha / 2)
        lo, hi = value - q * se, value + q * se
    else:
        degf = res["degf"]
        with np.errstate(divide="ignore", invalid="ignore"):
            qt = np.where(degf > 0, special.stdtrit(np.where(degf > 0, degf, 1), 1 - alpha / 2), np.nan)
            p = value
            edge = ~no_data & ((p <= 0) | (p >= 1))
            eta = np.log(p / (1 - p))
            half = qt * se / (p * (1 - p))
            lo = 1.0 / (1.0 + np.exp(-(eta - half)))
            hi = 1.0 / (1.0 + np.exp(-(eta + half)))
        lo = np.where(edge, np.nan, lo)
        hi = np.where(edge, np.nan, hi)

    D, K = value.shape
    notes = np.full((D, K), "", dtype=object)

    def add(mask, text):
        joined = np.where(notes == "", text, notes + ("; " + text))
        notes[...] = np.where(mask, joined, notes)

    add(no_data, NOTE_NO_DATA)
    add(one_psu, NOTE_ONE_PSU)
    if res["method"] in NOTE_LONELY:
        add(res["lonely"] & ~no_data & ~one_psu, NOTE_LONELY[res["method"]])
    add(edge & ~one_psu, NOTE_LOGIT_EDGE)
    add(res["deff_undefined"] & ~no_data & ~one_psu, NOTE_DEFF_UNDEFINED)

    out = pd.DataFrame({
        "variable": pd.array(np.tile(np.asarray(ys, dtype=object), D), dtype="str"),
        "value": value.ravel(),
        "se": se.ravel(),
        "ci_low": lo.ravel(),
        "ci_high": hi.ravel(),
        "deff": deff_v.ravel(),
        "n": pd.array(n.ravel().round().astype(np.int64), dtype="Int64"),
        "note": pd.array(notes.ravel(), dtype="str"),
    })
    if labels is not None:
        keys = labels.loc[labels.index.repeat(K)].reset_index(drop=True)
        out = pd.concat([keys, out], axis=1)
    return out
