"""The Callaway–Sant'Anna design: the (g, t) cells, their base periods and control cohorts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from evalkit.exceptions import DataError
from evalkit.stats.did._panel import Panel

__all__ = ["CSDesign", "Control", "build_design"]

Control = Literal["never", "notyet"]


@dataclass(frozen=True)
class CSDesign:
    """The cells of a Callaway–Sant'Anna estimate and the matrix every estimate reuses.

    Attributes
    ----------
    cells
        K × 3 array, one row per cell: cohort g, period t, base period b
        (base period "varying": t − 1 before g, the last period before g from g on).
    levels
        The sorted first-treated values a unit can have (0 = never treated),
        the columns of ``controls``.
    controls
        K × len(levels) booleans: whether units of a first-treated level serve
        as controls of cell k (never treated; with ``"notyet"`` also those first
        treated after max(t, b), other than g).
    Z
        n × (T + K) matrix: the outcomes Y (T periods) followed by the change
        :math:`Y_{it} - Y_{ib}` of each cell; every estimate (and every
        permutation of the first-treated years) is a weighted sum of its columns.
    n_periods
        T, the number of periods (where the changes start in ``Z``).

    Examples
    --------
    >>> import numpy as np
    >>> p = Panel(units=np.arange(4), times=np.array([1, 2, 3]), Y=np.zeros((4, 3)),
    ...           G=np.array([2.0, 3.0, 0.0, 0.0]), w=np.ones(4), cluster=np.arange(4))
    >>> _, d = build_design(p, "never")
    >>> d.cells.astype(int).tolist()
    [[2, 2, 1], [2, 3, 1], [3, 2, 1], [3, 3, 2]]
    >>> d.post.tolist(), d.treated(p.G)[:, 0].tolist()
    ([True, True, False, True], [True, False, False, False])
    """

    cells: np.ndarray
    levels: np.ndarray
    controls: np.ndarray
    Z: np.ndarray
    n_periods: int

    @property
    def group(self) -> np.ndarray:
        """Cohort (first-treated period) of each cell."""
        return self.cells[:, 0]

    @property
    def time(self) -> np.ndarray:
        """Period of each cell."""
        return self.cells[:, 1]

    @property
    def base(self) -> np.ndarray:
        """Base period of each cell."""
        return self.cells[:, 2]

    @property
    def post(self) -> np.ndarray:
        """Whether a cell is after its cohort's start (t ≥ g)."""
        return self.time >= self.group

    @property
    def cohorts(self) -> np.ndarray:
        """The cohorts with cells, as integers."""
        return np.unique(self.group).astype(int)

    @property
    def changes(self) -> np.ndarray:
        """n × K: each unit's change between the cell's period and its base period."""
        return self.Z[:, self.n_periods:]

    def treated(self, G: np.ndarray) -> np.ndarray:
        """n × K: whether a unit with first-treated period ``G`` is in the cell's cohort."""
        return G[:, None] == self.group[None, :]

    def control_units(self, G: np.ndarray) -> np.ndarray:
        """n × K: whether a unit with first-treated period ``G`` is a control of the cell."""
        return self.controls[:, np.searchsorted(self.levels, G)].T

    def involved(self, G: np.ndarray) -> np.ndarray:
        """n × K: whether a unit's outcomes enter the cell (as treated or as control)."""
        return self.treated(G) | self.control_units(G)


def build_design(panel: Panel, control: Control) -> tuple[Panel, CSDesign]:
    """The panel estimated on and the design of its cells.

    The panel returned is ``panel`` itself, or a copy without the periods from
    the last cohort on (``control="notyet"`` without never-treated units, as R
    ``did``: the last cohort then serves only as a control); ``panel`` is never changed.
    """
    times = panel.times
    G = panel.G
    cohorts = np.unique(G[G > 0])
    if control == "never" and not (G == 0).any():
        raise DataError("没有从未试点的对照单位；可改用 control=\"notyet\"（尚未试点的单位作对照）。",
                        "There are no never-treated control units; use control=\"notyet\" "
                        "(not-yet-treated units as controls).")
    if control == "notyet" and not (G == 0).any():
        gmax = cohorts.max()
        if len(cohorts) < 2:
            raise DataError("所有单位在同一年开始试点，没有从未或尚未试点的对照单位。",
                            "All units start treatment in the same period; there are no never- or "
                            "not-yet-treated controls.")
        keep_t = times < gmax
        panel = replace(panel, Y=panel.Y[:, keep_t], times=times[keep_t], trimmed_from=int(gmax))
        times = panel.times
        cohorts = cohorts[cohorts < gmax]
    rows = []
    for g in cohorts:
        pre = times[times < g]
        if len(pre) == 0:
            continue
        for j in range(1, len(times)):
            t = times[j]
            rows.append((g, t, times[j - 1] if t < g else pre[-1]))
    if not rows:
        raise DataError("窗口内没有试点前的年份，无法比较。",
                        "The window has no pre-period for any cohort; nothing can be compared.")
    cells = np.array(rows, dtype=float)
    levels = np.unique(np.concatenate([[0.0], cohorts, G]))
    ctrl = np.zeros((len(rows), len(levels)), bool)
    for k, (g, t, b) in enumerate(rows):
        ctrl[k] = (levels == 0) if control == "never" else (levels == 0) | ((levels > max(t, b)) & (levels != g))
    tidx = {t: j for j, t in enumerate(times)}
    D = np.column_stack([panel.Y[:, tidx[t]] - panel.Y[:, tidx[b]] for _, t, b in rows])
    return panel, CSDesign(cells=cells, levels=levels, controls=ctrl, Z=np.column_stack([panel.Y, D]),
                           n_periods=panel.Y.shape[1])


def cohort_sums(Gp: np.ndarray, w: np.ndarray, Z: np.ndarray, levels: np.ndarray, chunk: int):
    """For each first-treated level c: W[p, c] = Σ w·1[G_p = c] and S[c, p, :] = Σ w·1[G_p = c]·Z.

    ``Gp`` holds one assignment of first-treated periods per row (the observed
    one, or permutations of it).
    """
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


def att_from_sums(W, S, design: CSDesign, tcol: int):
    """ATT(g,t) for every assignment (rows) and cell (columns) from cohort sums: (att, W_T, W_C).

    The cells' changes are the columns of ``S`` from ``tcol`` on.
    """
    gidx = np.searchsorted(design.levels, design.group)
    K = design.cells.shape[0]
    ST = S[gidx, :, np.arange(K) + tcol].T             # P × K: Σ_{treated} w Δ
    WT = W[:, gidx]
    SC = np.einsum("kc,cpk->pk", design.controls.astype(float), S[:, :, tcol:tcol + K])
    WC = W @ design.controls.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ST / WT - SC / WC, WT, WC
