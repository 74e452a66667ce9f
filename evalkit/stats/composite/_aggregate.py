"""Aggregation methods of COINr, one parent at a time, vectorised over replicates and units.

Weighted means use the weights of the children present, rescaled to sum to
one (COINr's ``a_amean`` and friends with ``na.rm``); a parent with no child
present is missing, and with ``min_coverage`` (COINr's ``dat_thresh``) so is
a parent whose share of children present is below it.
"""

from __future__ import annotations

import numpy as np

METHODS = ("amean", "gmean", "hmean", "genmean", "median", "copeland")


def _weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median along the last axis, missing values ignored.

    The smallest value whose cumulative weight (of the present values, in
    increasing order) reaches half the total; when it is exactly half, the
    mean of that value and the next one — with equal weights, the ordinary
    median.
    """
    w = np.broadcast_to(w, x.shape)
    order = np.argsort(np.where(np.isnan(x), np.inf, x), axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    ws = np.where(np.isnan(xs), 0.0, np.take_along_axis(w, order, axis=-1))
    cum = np.cumsum(ws, axis=-1)
    tot = cum[..., -1:]
    half = tot / 2
    with np.errstate(invalid="ignore"):
        k = np.argmax(cum >= half * (1 - 1e-12), axis=-1)[..., None]
    val = np.take_along_axis(xs, k, axis=-1)[..., 0]
    exact = np.isclose(np.take_along_axis(cum, k, axis=-1)[..., 0], half[..., 0], rtol=1e-12, atol=0)
    k2 = np.minimum(k + 1, x.shape[-1] - 1)
    nxt = np.take_along_axis(xs, k2, axis=-1)[..., 0]
    nxt = np.where(np.isnan(nxt), val, nxt)
    out = np.where(exact, (val + nxt) / 2, val)
    return np.where(tot[..., 0] > 0, out, np.nan)


def _copeland(x: np.ndarray, w: np.ndarray, active: np.ndarray) -> np.ndarray:
    """COINr's ``a_copeland`` for each replicate: x (R, U, c), w (R, c), active (R, U).

    Outranking score of unit a over b: the weights (normalised to sum 1 over
    all children) of the children where a is higher, plus half those where they
    tie; COINr computes the upper triangle and sets the lower one to 1 minus
    it.  Scores above 0.5 count +1, below -1; the Copeland score is the row sum.
    Units not active in a replicate (screened out) take no part.
    """
    r_, u_, _ = x.shape
    out = np.full((r_, u_), np.nan)
    for r in range(r_):
        idx = np.flatnonzero(active[r])
        xr = x[r, idx]
        wr = w[r] / w[r].sum()
        with np.errstate(invalid="ignore"):
            gt = (xr[:, None, :] > xr[None, :, :]).astype(float) @ wr
            eq = (xr[:, None, :] == xr[None, :, :]).astype(float) @ wr
        s = gt + eq / 2
        upper = np.triu(s, 1)
        orm = upper + np.tril(1 - upper.T, -1)
        sign = np.where(orm > 0.5, 1.0, np.where(orm < 0.5, -1.0, 0.0))
        np.fill_diagonal(sign, 0.0)
        out[r, idx] = sign.sum(axis=1)
    return out


def aggregate_parent(x: np.ndarray, w: np.ndarray, method: str, params: dict | None,
                     min_coverage: float | None, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One parent from its children.

    ``x`` (R, U, c) children values, ``w`` (R, c) their weights, ``active``
    (R, U) the units still in each replicate.  Returns the parent's values
    (R, U) and ``bad`` (R, c): children with values the method cannot take
    (≤ 0 for the geometric mean, harmonic mean and a negative-power mean),
    which the caller turns into an error (nominal build) or a failed replicate.
    """
    params = dict(params or {})
    present = ~np.isnan(x)
    cnt = present.sum(axis=-1)
    bad = np.zeros(x.shape[::2], dtype=bool)
    wb = w[:, None, :]
    wp = np.where(present, wb, 0.0)
    wsum = wp.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "amean":
            val = np.where(present, x * wb, 0.0).sum(axis=-1) / wsum
        elif method == "gmean":
            bad = (present & (x <= 0)).any(axis=1)
            val = np.exp(np.where(present, wb * np.log(x), 0.0).sum(axis=-1) / wsum)
        elif method == "hmean":
            bad = (present & (x <= 0)).any(axis=1)
            val = wsum / np.where(present, wb / x, 0.0).sum(axis=-1)
        elif method == "genmean":
            p = float(params.get("p", 2.0))
            if p == 0:
                from evalkit.exceptions import ParameterError

                raise ParameterError("genmean 的参数 p 不能为 0（p → 0 即几何平均，请用 gmean）。",
                                     "The parameter p of genmean cannot be 0 (its limit is the geometric mean: "
                                     "use gmean).")
            if p < 0:
                bad = (present & (x <= 0)).any(axis=1)
            val = (np.where(present, wb * x ** p, 0.0).sum(axis=-1) / wsum) ** (1 / p)
        elif method == "median":
            val = _weighted_median(x, wb)
        elif method == "copeland":
            return _copeland(x, w, active), bad
        else:  # pragma: no cover - checked by the caller
            raise AssertionError(method)
    val = np.where(cnt == 0, np.nan, val)
    if min_coverage is not None:
        val = np.where(cnt / x.shape[-1] < min_coverage, np.nan, val)
    return np.where(active, val, np.nan), bad
