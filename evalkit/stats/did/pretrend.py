"""The pre-trend test: are all pre-period ATT(g,t) zero?"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
from scipy import special as _sp

from evalkit.exceptions import check_choice, check_count
from evalkit.stats.did._inference import if_vcov
from evalkit.stats.did.staggered import CSResult

__all__ = ["pretrend_test", "PretrendMethod"]

PretrendMethod = Literal["asymptotic", "randomization"]


def pretrend_test(result: CSResult, *, method: PretrendMethod = "asymptotic",
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
    W and its χ² p-value were checked against moderndid 0.2 on mpdta
    (W = 7.7912, p = 0.16812); the permutation statistics against
    re-estimating on each permuted assignment (tests/pilot/test_pilot_pretrend.py).

    References
    ----------
    Roth, J. (2022). Pretest with caution. AER: Insights 4(3), 305–322.
    Wu, J. & Ding, P. (2021). Randomization tests for weak null hypotheses in
    randomized experiments. JASA 116(536), 1898–1913.
    Callaway, B. & Sant'Anna, P. H. C. (2021). Journal of Econometrics 225(2), 200–230.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats.did import callaway_santanna, pretrend_test
    >>> df = pd.DataFrame({"unit": list("aaabbbcccddd"), "year": [2022, 2023, 2024] * 4,
    ...                    "y": [1.0, 1.2, 3.0, 2.0, 2.1, 5.0, 1.0, 1.4, 1.5, 2.0, 2.2, 2.5],
    ...                    "first": [2024] * 6 + [0] * 6})
    >>> r = callaway_santanna(df, outcome="y", unit="unit", time="year", first_treated="first")
    >>> t = pretrend_test(r)
    >>> t["df"], round(t["statistic"], 4), round(t["p_value"], 4)
    (1, 3.6, 0.0578)
    """
    check_choice("method", method, get_args(PretrendMethod))
    if method == "randomization":
        draws = check_count("draws", draws)
    gt = result.gt
    pre = np.flatnonzero(~gt["post"].to_numpy() & gt["se"].notna().to_numpy())
    out = dict(statistic=np.nan, df=len(pre), p_value=np.nan, n_cells=len(pre), method=method,
               p_asymptotic=np.nan)
    if method == "randomization":
        out["draws"] = 0
    if len(pre) == 0:
        return out
    a = gt["att"].to_numpy()[pre]
    V = if_vcov(result.psi[:, pre], result.panel.cluster)
    if np.linalg.matrix_rank(V) < len(pre):
        return out
    W = float(a @ np.linalg.solve(V, a))
    pa = float(_sp.chdtrc(len(pre), W))
    out.update(statistic=W, p_value=pa, p_asymptotic=pa)
    if method == "randomization":
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
    p, design = result.panel, result.design
    levels, ctrl = design.levels, design.controls
    times, G, w = p.times, p.G, p.w
    n = len(G)
    tidx = {t: j for j, t in enumerate(times)}
    Y = np.array(p.Y, dtype=float, copy=True)
    if impute:
        att = result.gt["att"].to_numpy()
        for k in np.flatnonzero(design.post & np.isfinite(att)):
            Y[G == design.group[k], tidx[design.time[k]]] -= att[k]
    cells = design.cells[pre]
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
