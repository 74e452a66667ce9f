"""The composite governance index (综合评价) of evalkit's own indicators, with rank intervals.

:func:`index` turns the long indicator table (``evalkit.indicators(...)``)
into index rows of the same long table: ``index`` (the overall score) and
``index_family`` (one per group, ``category`` = the group), with ``rank``,
``rank_in_parent``, ``rank_low``/``rank_high`` and ``coverage``.  The method
is :mod:`evalkit.stats.composite` (COINr's); this module chooses the
indicators and their directions from the catalog, builds the tree and
carries each value's own interval into the scores and ranks.

The module is called ``ranking`` so that importing it never shadows the
function ``evalkit.index`` on the package (docs/dev/INTERFACES.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.exceptions import ParameterError
from evalkit.families._frame import COLUMNS, SORT_KEYS, finalize
from evalkit.ranking._inputs import TOP, IndexInputs, prepare
from evalkit.ranking.spec import read_spec
from evalkit.ranking.text import blocks, ranking_text

__all__ = ["index", "index_inputs", "contributions", "read_spec", "ranking_text", "blocks", "IndexInputs", "EXTRA_COLUMNS"]

#: columns of the index rows beyond the output contract
EXTRA_COLUMNS = ("rank", "rank_in_parent", "rank_low", "rank_high", "coverage")


def index_inputs(table: pd.DataFrame, *, year: int, level: str, spec=None) -> IndexInputs:
    """The inputs :func:`index` gives ``evalkit.stats.composite``: for a sensitivity analysis of your own.

    Parameters
    ----------
    table : DataFrame
        The long indicator table.
    year : int
        The year (period ``"2024"``, or a window ending in it).
    level : {"community", "street", "district"}
        One level; its own rows only.
    spec : str, Path, dict or None
        The index spec (:func:`evalkit.ranking.spec.read_spec`).

    Returns
    -------
    IndexInputs
        ``data``, ``meta`` and ``build`` for :func:`evalkit.stats.composite.build`,
        ``data_error`` and ``factors`` for :func:`evalkit.stats.composite.sensitivity`.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [dict(indicator=i, level="district", unit_id=u, unit_name=u, district=u,
    ...              period="2024", value=v)
    ...         for i, vals in {"satisfaction_index": [60, 70, 80],
    ...                         "volunteer_active_rate": [0.3, 0.5, 0.4]}.items()
    ...         for u, v in zip(["东区", "西区", "南区"], vals)]
    >>> inp = index_inputs(pd.DataFrame(rows), year=2024, level="district")
    >>> inp.meta[["iCode", "Level", "Parent"]]
                       iCode  Level        Parent
    0  volunteer_active_rate      1    volunteers
    1     satisfaction_index      1  satisfaction
    2             volunteers      2         index
    3           satisfaction      2         index
    4                  index      3           NaN
    """
    return prepare(table, year=year, level=level, spec=read_spec(spec))


def index(
    table: pd.DataFrame,
    *,
    year: int,
    level: str,
    spec=None,
    uncertainty: int = 0,
    seed: int = 0,
    parent=None,
    jobs: int | None = None,
) -> pd.DataFrame:
    """The composite index of one level and year, as rows of the long output table.

    Parameters
    ----------
    table : DataFrame
        The long indicator table (``evalkit.indicators(...)``; docs/INDICATORS.md).
    year : int
        The year: rows of period ``"<year>"`` (and windows ending in it, for
        indicators a spec picks).
    level : {"community", "street", "district"}
        The units ranked; computed from that level's own rows (its own
        normalisation bounds), never from community scores.
    spec : str, Path, dict or None
        Indicators, tree, weights, directions, targets, methods and
        uncertainty factors (docs/INDEX.md).  Default: every indicator of
        the table whose catalog direction is higher_better or lower_better
        (descriptive ones and target bands without a band are left out),
        grouped by family, equal weights, COINr's treatment, min–max 0–100,
        arithmetic means.
    uncertainty : int
        Replicates for the intervals (0: none).  Each replicate redraws every
        value from its own interval (catalog interval method: normal for
        design-based means, logit for survey shares, Wilson for ledger
        shares, Garwood for counts and rates, t for means of registers) and
        the spec's method factors, then reruns the whole pipeline.
    seed : int
        Seed of the replicates (same seed, same result).
    parent : mapping or Series, optional
        unit_id → parent unit for ``rank_in_parent`` (e.g. a community's
        street).  Default: the unit's district (for districts: the city).
    jobs : int, optional
        Worker processes for the replicates (default: the CPUs).

    Returns
    -------
    DataFrame
        The output contract's columns, one row per unit for ``index`` and
        per unit and group for ``index_family`` (``category`` = the group):
        ``value`` the score (0–100 with the default min–max), ``se`` the
        replicates' standard deviation, ``ci_low``/``ci_high`` their 2.5 and
        97.5 % quantiles, ``n`` indicators present; then ``rank`` (1 = best,
        ties share the best rank), ``rank_in_parent``, ``rank_low`` /
        ``rank_high`` (5 and 95 % quantiles of the replicates' ranks, rounded
        outwards and widened to include ``rank``) and ``coverage`` (share of
        the unit's indicators present).  Suppressed and ``no data`` values
        are missing, never zero; a unit without any indicator has an empty
        score and note ``no data``.  Intervals are empty with
        ``uncertainty=0``.

    Notes
    -----
    A lower_better indicator enters with direction −1; a target band
    [lo, hi] as the distance max(lo − x, 0, x − hi), direction −1.  Scores
    are :math:`\\sum_g w_g \\sum_{i \\in g} w_i y_i` over the indicators
    present (weights rescaled over them), :math:`y` the treated, normalised
    values.

    References
    ----------
    OECD/JRC (2008). Handbook on Constructing Composite Indicators.
    Becker, W. et al. (2022). COINr: An R package for developing composite
    indicators. JOSS 7(78), 4567.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [dict(indicator=i, level="district", unit_id=u, unit_name=u, district=u,
    ...              period="2024", value=v, se=s)
    ...         for i, vals, s in [("satisfaction_index", [60, 70, 80, 65], 2.0),
    ...                            ("households_per_grid_worker", [500, 700, 600, 800], None)]
    ...         for u, v in zip(["东区", "西区", "南区", "北区"], vals)]
    >>> out = index(pd.DataFrame(rows), year=2024, level="district", uncertainty=200, jobs=1)
    >>> top = out[out["indicator"] == "index"].sort_values("rank")
    >>> top[["unit_id", "value", "rank", "rank_low", "rank_high"]]
      unit_id  value  rank  rank_low  rank_high
    2      南区   83.3     1         1          1
    0      东区   50.0     2         2          3
    3      西区   41.7     3         2          3
    1      北区   12.5     4         4          4
    """
    s = read_spec(spec)
    inp = prepare(table, year=year, level=level, spec=s, error=bool(uncertainty))
    from evalkit.stats.composite import build, sensitivity

    comp = build(inp.data, inp.meta, **inp.build)
    sens = None
    if uncertainty:
        if int(uncertainty) != uncertainty or uncertainty < 2:
            raise ParameterError(f"参数 `uncertainty` 须为 0 或不小于 2 的整数，收到 {uncertainty!r}。",
                                 f"`uncertainty` must be 0 or a whole number of at least 2, but {uncertainty!r} "
                                 "was passed.")
        sens = sensitivity(comp, factors=inp.factors, data_error=inp.data_error, n=int(uncertainty), seed=seed,
                           sample="random", jobs=jobs)
    return _rows(comp, sens, inp, year=year, level=level, parent=parent)


def contributions(table: pd.DataFrame, *, year: int, level: str, spec=None) -> pd.DataFrame:
    """What drives each unit's index score: its indicators' weighted normalised values.

    Parameters
    ----------
    table, year, level, spec
        As for :func:`index`.

    Returns
    -------
    DataFrame
        One row per unit and indicator present: ``unit_id, unit_name, indicator``
        (``id`` or ``id:category``), ``group``, ``normalised`` (the treated,
        normalised value), ``weight`` (its effective weight for this unit) and
        ``contribution`` (their product; with arithmetic means the
        contributions of a unit sum to its ``index`` score).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [dict(indicator=i, level="district", unit_id=u, unit_name=u, district=u,
    ...              period="2024", value=v)
    ...         for i, vals in {"satisfaction_index": [60, 70, 80],
    ...                         "volunteer_active_rate": [0.3, 0.5, 0.4]}.items()
    ...         for u, v in zip(["东区", "西区", "南区"], vals)]
    >>> c = contributions(pd.DataFrame(rows), year=2024, level="district")
    >>> c[c["unit_id"] == "南区"][["indicator", "normalised", "weight", "contribution"]]
                   indicator  normalised  weight  contribution
    4  volunteer_active_rate        50.0     0.5          25.0
    5     satisfaction_index       100.0     0.5          50.0
    """
    from evalkit.stats.composite import build
    from evalkit.stats.composite import contributions as _contributions

    inp = prepare(table, year=year, level=level, spec=read_spec(spec))
    comp = build(inp.data, inp.meta, **inp.build)
    c = _contributions(comp)
    norm = comp.stages["Aggregated"][c.columns]
    weight = _contributions_weights(comp)
    group = {i: g for g, ids in inp.groups.items() for i in ids}
    names = dict(zip(inp.units["unit_id"], inp.units["unit_name"]))
    out = pd.DataFrame({
        "unit_id": np.repeat(c.index.to_numpy(), c.shape[1]),
        "indicator": np.tile(c.columns.to_numpy(), len(c)),
        "normalised": norm.to_numpy().ravel(), "contribution": c.to_numpy().ravel(),
        "weight": weight.to_numpy().ravel(),
    })
    out = out.loc[out["normalised"].notna().to_numpy()].reset_index(drop=True)
    out.insert(1, "unit_name", out["unit_id"].map(names))
    out.insert(3, "group", out["indicator"].map(group))
    return out[["unit_id", "unit_name", "indicator", "group", "normalised", "weight", "contribution"]]


def _contributions_weights(comp) -> pd.DataFrame:
    """Each unit's effective weights: the contributions of a value of 1 wherever one is present."""
    from dataclasses import replace

    from evalkit.stats.composite import contributions as _contributions

    agg = comp.stages["Aggregated"]
    ones = agg.where(agg.isna(), 1.0)
    return _contributions(replace(comp, stages={**comp.stages, "Aggregated": ones}))


def _parents(inp: IndexInputs, level: str, parent) -> np.ndarray:
    ids = inp.units["unit_id"]
    if parent is not None:
        mapped = ids.map(pd.Series(parent) if not isinstance(parent, pd.Series) else parent)
        if mapped.isna().any():
            raise ParameterError(f"参数 `parent` 没有给出单位 {ids[mapped.isna()].iloc[0]} 的上级。",
                                 f"`parent` gives no parent for the unit {ids[mapped.isna()].iloc[0]}.")
        return mapped.astype(str).to_numpy()
    if level == "district":
        return np.full(len(ids), "all")
    return inp.units["district"].astype(str).to_numpy()


def _rank_within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    s = pd.Series(values)
    return s.groupby(groups).rank(method="min", ascending=False).to_numpy()


def _rows(comp, sens, inp: IndexInputs, *, year, level, parent) -> pd.DataFrame:
    from evalkit.stats.composite._sensitivity import nanquantile

    agg = comp.stages["Aggregated"].reindex(inp.units["unit_id"])
    tree = comp.inputs.agg_tree
    present = inp.data.set_index("uCode").reindex(inp.units["unit_id"]).notna()
    parents = _parents(inp, level, parent)
    frames = []
    for code in tree.aggregates:
        node = tree.codes.index(code)
        leaves = [c for c in tree.indicators if _under(tree, tree.codes.index(c), node)]
        value = agg[code].to_numpy(dtype=float)
        n = present[leaves].sum(axis=1).to_numpy()
        rank = comp.ranks[code].reindex(inp.units["unit_id"]).to_numpy(dtype="float64", na_value=np.nan)
        out = pd.DataFrame({
            "indicator": TOP if code == TOP else "index_family", "level": level,
            "unit_id": inp.units["unit_id"].to_numpy(), "unit_name": inp.units["unit_name"].to_numpy(),
            "district": inp.units["district"].to_numpy(), "period": str(int(year)),
            "category": pd.NA if code == TOP else code, "value": value, "n": n,
            "note": np.where(np.isnan(value), "no data", pd.NA),
            "rank": rank, "rank_in_parent": _rank_within(value, parents),
            "coverage": n / len(leaves),
        })
        if sens is not None:
            j = sens.aggregates.index(code)
            pos = [sens.units.index(u) for u in inp.units["unit_id"]]
            draws, rdraws = sens.scores[:, pos, j], sens.ranks[:, pos, j]
            lo, hi = nanquantile(draws, [0.025, 0.975])
            rlo, rhi = nanquantile(rdraws, [0.05, 0.95])
            with np.errstate(invalid="ignore"):
                out["se"] = pd.DataFrame(draws).std(axis=0, ddof=1).to_numpy()
                out["ci_low"], out["ci_high"] = np.fmin(lo, value), np.fmax(hi, value)
                out["rank_low"] = np.fmin(np.floor(rlo), rank)
                out["rank_high"] = np.fmax(np.ceil(rhi), rank)
            out.loc[np.isnan(value), ["se", "ci_low", "ci_high", "rank_low", "rank_high"]] = np.nan
        frames.append(out)
    df = pd.concat(frames, ignore_index=True)
    for c in ("rank_low", "rank_high", "se", "ci_low", "ci_high"):
        if c not in df.columns:
            df[c] = np.nan
    df = df.sort_values(SORT_KEYS, kind="mergesort", na_position="first").reset_index(drop=True)
    base = finalize(df[[c for c in COLUMNS if c in df.columns]])
    if not (base["unit_id"].equals(df["unit_id"].astype(base["unit_id"].dtype))
            and base["indicator"].equals(df["indicator"].astype(base["indicator"].dtype))):
        raise AssertionError("index rows reordered by finalize")  # pragma: no cover - a bug, not bad input
    for c in EXTRA_COLUMNS:
        base[c] = pd.array(df[c].to_numpy(dtype=float), dtype="Float64").astype("Int64") if c != "coverage" \
            else df[c].to_numpy(dtype=float)
    return base


def _under(tree, node: int, ancestor: int) -> bool:
    while node >= 0:
        if node == ancestor:
            return True
        node = tree.parent[node]
    return False
