"""The whole pipeline as array operations over a replicates axis.

Shapes: ``raw`` is (R, U, I) — replicates, units, indicators; ``weights``
(R, N) over every node of the tree.  One call runs R replicates that share
the method choices (:class:`Options`); data and weights may differ per
replicate.  The nominal build is the same call with R = 1, keeping the
stages.  Nothing here loops over replicates except the Copeland method.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evalkit.stats.composite import _aggregate, _normalise, _treat
from evalkit.stats.composite._tree import Tree


@dataclass(frozen=True)
class Options:
    """The method choices of one pipeline run (see :func:`evalkit.stats.composite.build`)."""

    denominate: bool = False
    impute: str | None = None
    screen: float | None = None
    treat: str | None = None
    winmax: int | None = 5
    normalise: str = "minmax"
    normalise_params: dict = field(default_factory=dict)
    aggregate: tuple = ()  # ((method, params), ...) for levels 2 .. max
    min_coverage: float | None = None


@dataclass
class Inputs:
    """What stays fixed across replicates.

    ``tree`` is the index as given (its indicators are the columns of ``raw``);
    ``agg_tree`` the tree that is normalised and aggregated, without the
    indicators left out (constant ones), whose columns in ``raw`` are
    ``keep``.  ``denominators`` (U, I) holds 1 where an indicator has none;
    ``groups`` (U,) integer codes, -1 missing; ``bands`` (I, 2), NaN rows
    where an indicator has no target band.
    """

    tree: Tree
    units: list
    agg_tree: Tree | None = None
    keep: np.ndarray | None = None
    denominators: np.ndarray | None = None
    groups: np.ndarray | None = None
    bands: np.ndarray | None = None

    def __post_init__(self):
        if self.agg_tree is None:
            self.agg_tree = self.tree
            self.keep = np.arange(self.tree.n_ind)


@dataclass
class Result:
    values: np.ndarray  # (R, U, N): normalised indicators then aggregates
    active: np.ndarray  # (R, U): units not screened out
    failed: np.ndarray  # (R,)
    reasons: list = field(default_factory=list)  # (replicate, message) of failures
    stages: dict = field(default_factory=dict)
    treatment: dict | None = None


def impute(x: np.ndarray, method: str, groups: np.ndarray | None) -> np.ndarray:
    """Fill missing values with the unit-axis mean or median, overall or within groups.

    COINr's ``i_mean``/``i_median``/``i_mean_grp``/``i_median_grp``: units whose
    group is missing are left as they are; an indicator with no value (in the
    group) stays missing.
    """
    out = x.copy()
    median = method.startswith("median")
    if method.endswith("_group"):
        sets = [groups == g for g in np.unique(groups[groups >= 0])]
    else:
        sets = [np.ones(x.shape[1], dtype=bool)]
    for rows in sets:
        part = x[:, rows, :]
        present = ~np.isnan(part)
        with np.errstate(invalid="ignore", divide="ignore"):
            if not median:
                fill = np.where(present, part, 0.0).sum(axis=1) / present.sum(axis=1)
            else:
                fill = _nanmedian(part)
        out[:, rows, :] = np.where(present, part, fill[:, None, :])
    return out


def _nanmedian(part: np.ndarray) -> np.ndarray:
    """Median down axis 1 ignoring NaN, NaN for an all-missing column (no warning)."""
    s = np.sort(part, axis=1)  # NaN last
    n = (~np.isnan(part)).sum(axis=1)
    lo = np.take_along_axis(s, np.maximum((n - 1) // 2, 0)[:, None, :], axis=1)[:, 0, :]
    hi = np.take_along_axis(s, np.maximum(n // 2, 0)[:, None, :], axis=1)[:, 0, :]
    return np.where(n > 0, (lo + hi) / 2, np.nan)


def prepare(raw: np.ndarray, inputs: Inputs, opts: Options, *, keep: bool = False):
    """Denominate, band, impute, screen and treat ``raw`` (R, U, I).

    Returns ``(x, active, stages, treatment)``: the data entering
    normalisation, the units left after screening (R, U), the kept stages
    and the treatment details (or None).
    """
    stages = {}
    x = raw
    if keep:
        stages["Raw"] = x
    if opts.denominate and inputs.denominators is not None:
        x = x / inputs.denominators
        if keep:
            stages["Denominated"] = x
    if inputs.bands is not None:
        lo, hi = inputs.bands[:, 0], inputs.bands[:, 1]
        with np.errstate(invalid="ignore"):
            dist = np.maximum(np.maximum(lo - x, x - hi), 0.0)
        x = np.where(~np.isnan(lo) & ~np.isnan(x), dist, x)
        if keep:
            stages["Banded"] = x
    if opts.impute is not None:
        x = impute(x, opts.impute, inputs.groups)
        if keep:
            stages["Imputed"] = x
    r_, u_, i_ = x.shape
    active = np.ones((r_, u_), dtype=bool)
    if opts.screen is not None:
        active = (~np.isnan(x)).sum(axis=2) / i_ >= opts.screen
        x = np.where(active[:, :, None], x, np.nan)
        if keep:
            stages["Screened"] = x
    info = None
    if opts.treat is not None:
        x, info = _treat.treat(x, opts.winmax)
        if keep:
            stages["Treated"] = x
    return x, active, stages, info


def finish(x: np.ndarray, tree: Tree, opts: Options, weights: np.ndarray, active: np.ndarray, *,
           keep: bool = False, stages: dict | None = None) -> Result:
    """Normalise ``x`` (R, U, I of ``tree``'s indicators) and aggregate with node ``weights``."""
    stages = {} if stages is None else stages
    norm = _normalise.normalise(x, opts.normalise, opts.normalise_params, tree.direction, tree.indicators)
    if keep:
        stages["Normalised"] = norm
    r_, u_ = active.shape
    n = len(tree.codes)
    values = np.full((r_, u_, n), np.nan)
    values[:, :, : tree.n_ind] = norm
    failed = np.zeros(r_, dtype=bool)
    reasons = []
    w = np.broadcast_to(weights, (r_, n)) if weights.ndim == 1 else weights
    for k in range(2, tree.max_level + 1):
        method, params = opts.aggregate[k - 2]
        for p in tree.parents_at(k):
            ch = tree.children(p)
            val, bad = _aggregate.aggregate_parent(values[:, :, ch], w[:, ch], method, params,
                                                   opts.min_coverage, active)
            values[:, :, p] = val
            for rep in np.flatnonzero(bad.any(axis=1) & ~failed):
                reasons.append((int(rep), method, [tree.codes[c] for c in ch[bad[rep]]]))
            failed |= bad.any(axis=1)
    values[failed] = np.nan
    return Result(values=values, active=active, failed=failed, reasons=reasons, stages=stages)


def run(raw: np.ndarray, inputs: Inputs, opts: Options, weights: np.ndarray) -> Result:
    """The whole pipeline on ``raw`` (R, U, I) with ``weights`` (R, N) over ``inputs.agg_tree``'s nodes."""
    x, active, _, _ = prepare(raw, inputs, opts)
    return finish(x[:, :, inputs.keep], inputs.agg_tree, opts, weights, active)
