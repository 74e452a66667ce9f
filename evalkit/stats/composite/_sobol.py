"""Saltelli's design and Sobol' indices: the sampling plan and scipy's estimators.

The design is scipy's: a scrambled Sobol' sequence in 2d dimensions, its
first d columns matrix A and the last d matrix B (Saltelli et al. 2010,
sec. 5); run ``AB_j`` takes A's row with column j from B.  The indices are
``scipy.stats.sobol_indices`` on the model outputs (first order Saltelli
2010, total Jansen 1999), the bootstrap resamples the N rows.  Any model —
the composite pipeline or a test function — goes through the same
:func:`plan` and :func:`indices`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sstats
from scipy.stats import qmc

from evalkit.exceptions import ParameterError


@dataclass(frozen=True)
class Plan:
    """Runs of a design: ``u`` (runs, d) points in [0, 1), ``key`` (runs, d) stream keys of the
    draw factors, ``block`` ("A", "B", "AB" or "MC"), ``row`` (the design row), ``varied``
    (for AB runs, the factor taken from B; -1 otherwise)."""

    u: np.ndarray
    key: np.ndarray
    block: np.ndarray
    row: np.ndarray
    varied: np.ndarray
    n: int
    saltelli: bool


def plan(d: int, n: int, *, seed: int, sample: str) -> Plan:
    """The runs for ``d`` factors.

    ``sample="sobol"`` with d ≥ 2: Saltelli's design, n (a power of 2) base
    rows, n·(d + 2) runs in the order A, B, AB_1 … AB_d.  Otherwise n runs:
    scrambled Sobol' points (``"sobol"``, d = 1) or uniform random numbers
    (``"random"``, plain Monte Carlo).  Draw factors use key 2i for A's row
    i, 2i + 1 for B's (so AB_j shares A's draws except factor j's); a plain
    run r uses key r.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7001]))
    if sample == "sobol" and d >= 2:
        if n < 2 or n & (n - 1):
            raise ParameterError(f"Sobol' 设计的 n 须为 2 的幂（如 512、1024），收到 {n}。",
                                 f"The Sobol' design needs n a power of 2 (e.g. 512, 1024), but {n} was passed.")
        ab = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
        a, b = ab[:, :d], ab[:, d:]
        rows = np.arange(n)
        u = [a, b]
        key = [np.repeat(2 * rows[:, None], d, 1), np.repeat(2 * rows[:, None] + 1, d, 1)]
        varied = [np.full(n, -1), np.full(n, -1)]
        for j in range(d):
            uj, kj = a.copy(), key[0].copy()
            uj[:, j], kj[:, j] = b[:, j], key[1][:, j]
            u.append(uj)
            key.append(kj)
            varied.append(np.full(n, j))
        block = np.array(["A"] * n + ["B"] * n + ["AB"] * (n * d))
        return Plan(u=np.vstack(u), key=np.vstack(key), block=block, row=np.tile(rows, d + 2),
                    varied=np.concatenate(varied), n=n, saltelli=True)
    if sample == "sobol":
        u = qmc.Sobol(d=max(d, 1), scramble=True, rng=rng).random(n) if n & (n - 1) == 0 else rng.random((n, max(d, 1)))
    else:
        u = rng.random((n, max(d, 1)))
    rows = np.arange(n)
    return Plan(u=u[:, :d], key=np.repeat(rows[:, None], d, 1), block=np.array(["MC"] * n), row=rows,
                varied=np.full(n, -1), n=n, saltelli=False)


def indices(y: np.ndarray, n: int, d: int, *, n_boot: int, seed: int) -> dict:
    """First-order and total Sobol' indices of outputs ``y`` (runs in :func:`plan` order, outputs).

    Returns arrays of shape (d, outputs): ``S``, ``ST`` (scipy's
    ``sobol_indices``), and their bootstrap 5 % and 95 % quantiles
    ``S_q05, S_q95, ST_q05, ST_q95`` (``n_boot`` resamples of the n rows,
    quantile type 7).  Outputs with a missing value in any run get NaN.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    s = y.shape[1]
    f_a, f_b = y[:n].T, y[n:2 * n].T
    f_ab = y[2 * n:].reshape(d, n, s).transpose(0, 2, 1)
    missing = np.isnan(y).any(axis=0)
    f_a, f_b, f_ab = (np.where(missing[:, None] if x.ndim == 2 else missing[None, :, None], 0.0, x)
                      for x in (f_a, f_b, f_ab))
    res = sstats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=n)
    out = {"S": res.first_order.reshape(s, d).T, "ST": res.total_order.reshape(s, d).T}  # scipy gives (s, d)
    boot_s, boot_st = [], []
    if n_boot:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 7002]))
        idx = rng.integers(0, n, size=(n_boot, n))
        batch = max(1, int(4e7 // max(1, s * n * (d + 2))))
        for k in range(0, n_boot, batch):
            ib = idx[k:k + batch]
            b = len(ib)
            fa = f_a[:, ib].reshape(s * b, n)
            fb = f_b[:, ib].reshape(s * b, n)
            fab = f_ab[:, :, ib].reshape(d, s * b, n)
            r = sstats.sobol_indices(func={"f_A": fa, "f_B": fb, "f_AB": fab}, n=n)
            boot_s.append(r.first_order.reshape(s, b, d).transpose(2, 0, 1))
            boot_st.append(r.total_order.reshape(s, b, d).transpose(2, 0, 1))
        bs, bst = np.concatenate(boot_s, axis=2), np.concatenate(boot_st, axis=2)
        out["S_q05"], out["S_q95"] = np.quantile(bs, [0.05, 0.95], axis=2)
        out["ST_q05"], out["ST_q95"] = np.quantile(bst, [0.05, 0.95], axis=2)
    else:
        for k in ("S_q05", "S_q95", "ST_q05", "ST_q95"):
            out[k] = np.full((d, s), np.nan)
    for k in out:
        out[k] = np.where(missing[None, :], np.nan, out[k])
    return out
