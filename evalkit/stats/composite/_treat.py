"""COINr's default outlier treatment, vectorised over many columns at once.

Each column (one indicator in one replicate) is treated as COINr's
``Treat.numeric`` with its default specification: the column fails when
|skewness| ≥ 2 and kurtosis ≥ 3.5 (e1071 type 2); a failing column is
winsorised on the side of its skew, the extreme value(s) set to the next one
(ties together), re-checking after each step, until it passes or ``winmax``
points have moved; if it still fails, ``log_CT`` is applied to the original
values instead.  Every column runs the same loop; only failing columns enter
it, so the work is proportional to the columns that need treatment.
"""

from __future__ import annotations

import numpy as np

SKEW_THRESH = 2.0
KURT_THRESH = 3.5
#: transform codes in the info arrays
NONE, WINSORISE, LOG_CT = 0, 1, 2
TRANSFORMS = ("none", "winsorise", "log_CT")


def moments(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and kurtosis of each row of ``c`` (NaN ignored), as e1071 type 2.

    NaN where a row has fewer than 3 (skewness) or 4 (kurtosis) values, or no spread.
    """
    present = ~np.isnan(c)
    complete = bool(present.all())
    n = np.full(c.shape[0], float(c.shape[1])) if complete else present.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c.sum(axis=1) if complete else np.where(present, c, 0.0).sum(axis=1)) / n
        d = c - mean[:, None]
        if not complete:
            d[~present] = 0.0
        d2 = d * d
        m2 = d2.sum(axis=1)
        m3 = np.einsum("ij,ij->i", d2, d)
        m4 = np.einsum("ij,ij->i", d2, d2)
        sk = np.sqrt(n) * m3 / m2 ** 1.5
        sk = sk * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * m4 / m2 ** 2
        kt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    sk[n < 3] = np.nan
    kt[n < 4] = np.nan
    return sk, kt


def check(sk: np.ndarray, kt: np.ndarray, skew_thresh: float = SKEW_THRESH,
          kurt_thresh: float = KURT_THRESH) -> np.ndarray:
    """COINr's ``check_SkewKurt`` in R's three-valued logic: 1 pass, 0 fail, -1 NA.

    Passes when ``|skew| < skew_thresh`` OR ``kurtosis < kurt_thresh``; a
    missing statistic counts as NA (``NA | TRUE`` is TRUE, ``NA | FALSE`` NA).
    """
    with np.errstate(invalid="ignore"):
        a = np.where(np.isnan(sk), -1, (np.abs(sk) < skew_thresh).astype(int))
        b = np.where(np.isnan(kt), -1, (kt < kurt_thresh).astype(int))
    return np.where((a == 1) | (b == 1), 1, np.where((a == 0) & (b == 0), 0, -1))


def _step(w: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Winsorise one point (and its ties) of each row: the maximum where ``high``, else the minimum.

    Returns the mask of the points moved.  The new value is the next distinct one
    (R's ``max(x[-imax])``; ``-Inf``/``Inf`` when nothing else is left, as in R).
    """
    flip = w if high.all() else np.where(high[:, None], w, -w)
    ext = np.fmax.reduce(flip, axis=1)  # NaN ignored, as R's max(na.rm = TRUE)
    moved = flip == ext[:, None]
    nxt = np.fmax.reduce(np.where(moved, -np.inf, flip), axis=1)  # -Inf when nothing else is left
    new = np.where(high, nxt, -nxt)
    w[moved] = np.broadcast_to(new[:, None], w.shape)[moved]
    return moved


def treat_columns(c: np.ndarray, winmax: int | None, skew_thresh: float = SKEW_THRESH,
                  kurt_thresh: float = KURT_THRESH) -> tuple[np.ndarray, dict]:
    """Treat every row of ``c`` (a column of values over units) as COINr does.

    Returns the treated rows and a dict of per-row arrays: ``skew``, ``kurtosis``
    (before), ``winsorised`` (points moved in the result: 0 unless winsorised),
    ``transform`` (0 none, 1 winsorise, 2 log_CT), ``skew_after``,
    ``kurtosis_after`` and ``untreatable`` (a check returned NA: COINr returns
    the column untreated with a warning).
    """
    out = c.copy()
    sk0, kt0 = moments(c)
    state0 = check(sk0, kt0, skew_thresh, kurt_thresh)
    nrow = c.shape[0]
    transform = np.zeros(nrow, dtype=np.int8)
    nwin_out = np.zeros(nrow, dtype=np.int64)
    sk_after, kt_after = sk0.copy(), kt0.copy()
    untreatable = state0 < 0

    fail = np.flatnonzero(state0 == 0)
    if len(fail):
        w = c[fail].copy()
        sk, kt = sk0[fail].copy(), kt0[fail].copy()
        nwin = np.zeros(len(fail), dtype=np.int64)
        state = np.zeros(len(fail), dtype=np.int64)
        limit = np.inf if winmax is None else winmax
        # the rows still being winsorised, compacted: every step works on whole arrays
        act = np.flatnonzero(nwin < limit)
        wa, ska = w[act], sk[act]
        imax = np.zeros(wa.shape, dtype=bool)
        imin = np.zeros(wa.shape, dtype=bool)
        while len(act):
            bad = np.isnan(ska)  # R: if (NA >= 0) is an error -> the column stays untreated
            high = ska >= 0
            moved = _step(wa, high)
            np.copyto(imax, moved, where=high[:, None])  # R keeps the last imax and imin sets
            np.copyto(imin, moved, where=~high[:, None])
            n_a = imax.sum(axis=1) + imin.sum(axis=1)
            ska, kta = moments(wa)
            st = np.where(bad, -1, check(ska, kta, skew_thresh, kurt_thresh))
            go = (st == 0) & (n_a < limit)
            done = ~go
            rows = act[done]
            w[rows], sk[rows], kt[rows], nwin[rows], state[rows] = wa[done], ska[done], kta[done], n_a[done], st[done]
            if done.any():
                act, wa, ska, imax, imin = act[go], wa[go], ska[go], imax[go], imin[go]
        ok = state == 1
        rows = fail[ok]
        out[rows] = w[ok]
        transform[rows] = WINSORISE
        nwin_out[rows] = nwin[ok]
        sk_after[rows], kt_after[rows] = sk[ok], kt[ok]
        untreatable[fail[state < 0]] = True
        still = fail[state == 0]
        if len(still):
            x = c[still]
            with np.errstate(invalid="ignore", divide="ignore"):
                mn = np.nanmin(x, axis=1)[:, None]
                mx = np.nanmax(x, axis=1)[:, None]
                logged = np.log(x - mn + 0.01 * (mx - mn))
            s2, k2 = moments(logged)
            st2 = check(s2, k2, skew_thresh, kurt_thresh)
            good = st2 >= 0
            rows = still[good]
            out[rows] = logged[good]
            transform[rows] = LOG_CT
            sk_after[rows], kt_after[rows] = s2[good], k2[good]
            untreatable[still[~good]] = True
    return out, {"skew": sk0, "kurtosis": kt0, "winsorised": nwin_out, "transform": transform,
                 "skew_after": sk_after, "kurtosis_after": kt_after, "untreatable": untreatable}


def treat(x: np.ndarray, winmax: int | None) -> tuple[np.ndarray, dict]:
    """Treat an array of shape (replicates, units, indicators) column by column.

    Info arrays come back with shape (replicates, indicators).
    """
    r, u, i = x.shape
    cols = np.moveaxis(x, 2, 1).reshape(r * i, u)
    out, info = treat_columns(cols, winmax)
    out = np.moveaxis(out.reshape(r, i, u), 1, 2)
    return np.ascontiguousarray(out), {k: v.reshape(r, i) for k, v in info.items()}
