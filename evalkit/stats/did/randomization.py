"""Randomisation inference: permutation p-values for TWFE and the Callaway–Sant'Anna estimates."""

from __future__ import annotations

from typing import get_args

import numpy as np

from evalkit.exceptions import check_choice, check_count
from evalkit.stats.did._design import Control, att_from_sums, cohort_sums
from evalkit.stats.did._panel import Panel
from evalkit.stats.did.aggregate import AggKind, aggregate_points
from evalkit.stats.did.staggered import CSResult, callaway_santanna

__all__ = ["randomization_inference"]


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
        ``"twfe"``: p-value of the TWFE coefficient (on ``panel``'s whole
        window); ``"twfe_beta"``: that coefficient; ``"att_gt"``: array of
        p-values per cell; for each kind in simple/group/dynamic/calendar a
        dict with ``"keys"``, ``"p"`` (per key) and ``"overall"``; ``"draws"``.

    Notes
    -----
    Each draw permutes the vector of first-treated years (cohort sizes are
    kept).  For every statistic θ,
    :math:`p = (1 + \\#\\{|\\theta^*| \\ge |\\theta|\\})/(B + 1)`.
    All statistics are linear in per-cohort sums of unit-level changes, so a
    batch of draws is a few matrix products.  With few treated clusters,
    cluster-robust and wild-bootstrap inference over-reject
    (MacKinnon & Webb 2017); randomisation inference is exact under the
    sharp null of no effect when assignment is exchangeable.  Checked against
    a plain loop that re-estimates :func:`twfe_did` and :func:`aggregate` on
    each permuted assignment (tests/pilot/test_pilot_did_reference.py).

    References
    ----------
    Fisher, R. A. (1935). The Design of Experiments.
    MacKinnon, J. G. & Webb, M. D. (2017). Journal of Applied Econometrics 32(2), 233–254.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats.did import prepare_panel, randomization_inference
    >>> df = pd.DataFrame({"unit": list("aabbccddeeff"), "year": [2023, 2024] * 6,
    ...                    "y": [1.0, 3.0, 2.0, 5.0, 1.0, 1.5, 2.0, 2.5, 1.0, 1.4, 3.0, 3.6],
    ...                    "first": [2024] * 4 + [0] * 8})
    >>> ri = randomization_inference(prepare_panel(df, outcome="y", unit="unit", time="year",
    ...                                            first_treated="first"), draws=99, seed=1)
    >>> round(ri["twfe_beta"], 6), ri["twfe"], ri["group"]["overall"]
    (2.0, 0.12, 0.12)
    """
    check_choice("control", control, get_args(Control))
    draws = check_count("draws", draws)
    if cs is None:
        cs = callaway_santanna(panel, control=control)
    design = cs.design
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
    tcol = design.n_periods
    Zall = np.column_stack([ytil, design.Z[:, tcol:]])
    chunk = max(1, int(4e6 // max(n, 1)))
    W, S = cohort_sums(Gp, w, Zall, design.levels, chunk)
    T = Y.shape[1]
    beta = _twfe_beta_batch(W, S[:, :, :T], design.levels, panel.times, wsum)
    att, _, _ = att_from_sums(W, S, design, T)   # Zall: the changes follow panel's T periods
    pg = W / n                                       # P × C: mean of w·1[G=c]
    pgc = pg[:, np.searchsorted(design.levels, design.group)]

    def pval(x):
        obs = np.abs(x[0])
        sim = np.abs(x[1:])
        with np.errstate(invalid="ignore"):
            hit = (sim >= obs - 1e-12 * np.maximum(1.0, obs)).sum(0)
        p = (1 + hit) / (draws + 1)
        return np.where(np.isnan(obs), np.nan, p)

    out = {"twfe": float(pval(beta)), "att_gt": pval(att), "draws": draws, "twfe_beta": float(beta[0])}
    for kind in get_args(AggKind):
        keys, th, ov = aggregate_points(kind, att, pgc, design, cs.panel.times)
        out[kind] = {"keys": keys, "p": pval(th) if th.shape[1] else np.empty(0), "overall": float(pval(ov))}
    return out
