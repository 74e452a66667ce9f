"""``build``: one composite index from a units × indicators frame, COINr's way."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sstats

from evalkit.exceptions import DataError, MissingColumnError, ParameterError, check_choice
from evalkit.stats.composite import _aggregate, _normalise
from evalkit.stats.composite._pipeline import Inputs, Options, finish, prepare
from evalkit.stats.composite._tree import Tree, read_meta
from evalkit.stats.composite._treat import TRANSFORMS

Impute = Literal["mean", "median", "mean_group", "median_group"]
Normalise = Literal["minmax", "zscore", "rank", "prank", "borda", "fracmax", "dist2max", "dist2targ",
                    "goalposts", "none"]
Aggregate = Literal["amean", "gmean", "hmean", "genmean", "median", "copeland"]
IMPUTE = ("mean", "median", "mean_group", "median_group")
TREAT = ("coinr",)


@dataclass
class Composite:
    """A built composite index (see :func:`build`).

    Attributes
    ----------
    stages : dict of DataFrame
        The data after each step that ran, keyed ``"Raw"``, ``"Denominated"``,
        ``"Banded"``, ``"Imputed"``, ``"Screened"``, ``"Treated"``,
        ``"Normalised"``, ``"Aggregated"``; indexed by ``uCode``, one column per
        iCode.  From ``"Screened"`` on, units screened out are gone;
        ``"Aggregated"`` holds the normalised indicators and every aggregate.
    ranks : DataFrame
        Like ``stages["Aggregated"]`` for the aggregates: rank 1 = highest
        score, ties take the smallest rank, missing stays missing (``Int64``).
    treatment : DataFrame
        One row per indicator: ``iCode, skew, kurtosis, winsorised`` (points
        moved in the result, 0 when untouched or log-transformed),
        ``transform`` (``"none"``, ``"winsorise"``, ``"log_CT"``),
        ``skew_after, kurtosis_after``.  Empty when ``treat`` is None.
    weights : Series
        Effective weight of each indicator in the top aggregate (sums to 1).
    meta : DataFrame
        The meta rows used (indicators, then aggregates by level).
    left_out : list of str
        Indicators left out because they were constant (no spread to normalise).
    warnings : list of str
        The warnings the build gave.
    """

    stages: dict
    ranks: pd.DataFrame
    treatment: pd.DataFrame
    weights: pd.Series
    meta: pd.DataFrame
    left_out: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    inputs: Inputs | None = field(default=None, repr=False)
    options: Options | None = field(default=None, repr=False)
    raw: np.ndarray | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        agg = self.stages["Aggregated"]
        return (f"Composite({agg.shape[0]} units, {self.inputs.agg_tree.n_ind} indicators, "
                f"{len(self.inputs.agg_tree.aggregates)} aggregates, stages {list(self.stages)})")

    @property
    def top(self) -> str:
        """iCode of the top aggregate (the index)."""
        t = self.inputs.agg_tree
        return t.codes[t.top]


def _unit_codes(data: pd.DataFrame) -> list:
    if "uCode" not in data.columns:
        raise MissingColumnError("build: 数据中没有单位编码列 `uCode`。", "build: the data have no `uCode` column.",
                                 column="uCode")
    u = data["uCode"]
    if u.isna().any():
        row = int(np.flatnonzero(u.isna().to_numpy())[0])
        raise DataError(f"build: 第 {row + 1} 个单位没有 uCode。", f"build: unit number {row + 1} has no uCode.",
                        column="uCode")
    dup = u[u.duplicated()]
    if len(dup):
        raise DataError(f"build: uCode `{dup.iloc[0]}` 出现不止一次。", f"build: uCode `{dup.iloc[0]}` appears twice.",
                        column="uCode")
    return u.tolist()


def _numeric(data: pd.DataFrame, cols) -> np.ndarray:
    out = np.empty((len(data), len(cols)))
    for j, c in enumerate(cols):
        s = data[c]
        if s.dtype == bool or str(s.dtype) == "boolean":
            s = s.astype("Float64")
        if not pd.api.types.is_numeric_dtype(s.dtype):
            raise DataError(f"build: 列 `{c}` 必须是数值。", f"build: column `{c}` must be numeric.", column=str(c))
        out[:, j] = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    return out


def _levels_param(value, levels, name):
    """A value per aggregation level: the same for all, or a dict Level -> value."""
    if isinstance(value, dict) and value and all(isinstance(k, (int, np.integer)) for k in value):
        bad = [k for k in value if k not in levels]
        if bad:
            raise ParameterError(f"参数 `{name}` 的层级 {bad} 不存在；可用的聚合层级为 {list(levels)}。",
                                 f"`{name}` names levels {bad} that do not exist; the aggregation levels are "
                                 f"{list(levels)}.")
        return {k: value.get(k) for k in levels}
    return {k: value for k in levels}


def aggregate_options(aggregate, aggregate_params, levels) -> tuple:
    """((method, params), ...) for each aggregation level from build's arguments."""
    methods = _levels_param(aggregate, levels, "aggregate")
    params = _levels_param(aggregate_params, levels, "aggregate_params")
    out = []
    for k in levels:
        m = methods[k] if methods[k] is not None else "amean"
        check_choice("aggregate", m, _aggregate.METHODS)
        out.append((m, dict(params[k] or {})))
    return tuple(out)


def build(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    *,
    denominate: bool = False,
    impute: Impute | None = None,
    impute_group: str | None = None,
    screen: float | None = None,
    treat: Literal["coinr"] | None = None,
    winmax: int | None = 5,
    normalise: Normalise = "minmax",
    normalise_params: dict | None = None,
    aggregate: Aggregate | dict = "amean",
    aggregate_params: dict | None = None,
    min_coverage: float | None = None,
    bands: dict | None = None,
) -> Composite:
    """Build a composite index: denominate, impute, screen, treat, normalise, aggregate.

    COINr's pipeline (Becker et al. 2022) on plain DataFrames, each step run
    only when asked, in COINr's order, with COINr's defaults and results
    (checked against COINr 1.1.14's example index at 1e-9).

    Parameters
    ----------
    data : DataFrame
        One row per unit: column ``uCode`` (unique), one numeric column per
        indicator of ``meta``, and optionally group and denominator columns
        (COINr's iData).
    meta : DataFrame
        COINr's iMeta: ``iCode, Level, Parent, Direction, Weight, Type`` and
        optionally ``Denominator``.  Level 1 rows (Type ``Indicator``) are the
        indicators; a Level k aggregate (Type ``Aggregate``) is computed from
        the Level k−1 rows naming it as ``Parent``; the top has no Parent.
        Rows of other types (``Group``, ``Denominator``) are ignored.
    denominate : bool
        Divide each indicator by the data column its ``Denominator`` names.
    impute : {"mean", "median", "mean_group", "median_group"}, optional
        Fill missing values with the indicator's mean or median over units,
        or within the groups of column ``impute_group``.
    impute_group : str, optional
        The group column for the ``*_group`` imputations.
    screen : float, optional
        COINr's unit ``dat_thresh``: drop units whose share of indicators
        present is below it.
    treat : {"coinr"}, optional
        COINr's default outlier treatment (see Notes).
    winmax : int or None
        At most this many points winsorised per indicator (None: no limit).
    normalise : str
        ``"minmax"`` (``normalise_params={"l_u": (0, 100)}``), ``"zscore"``
        (``{"m_sd": (0, 1)}``), ``"rank"``, ``"prank"``, ``"borda"``,
        ``"fracmax"``, ``"dist2max"``, ``"dist2targ"`` (``{"targets": {iCode:
        target}, "cap_max": False}``, targets in the indicator's own units),
        ``"goalposts"`` (``{"goalposts": {iCode: (lo, hi)}, "scale": 100}``)
        or ``"none"``.
    normalise_params : dict, optional
        Parameters of the normalisation, as above.
    aggregate : str or dict
        ``"amean"``, ``"gmean"``, ``"hmean"``, ``"genmean"`` (parameter
        ``p``), ``"median"`` (weighted median), ``"copeland"``; or a dict
        Level → method, Level being that of the aggregate computed (2 = the
        first aggregation).
    aggregate_params : dict, optional
        Parameters of the aggregation (``{"p": 2}``), or a dict Level → params.
    min_coverage : float, optional
        COINr's aggregation ``dat_thresh``: an aggregate is missing when the
        share of its children present is below it.
    bands : dict, optional
        Target bands ``{iCode: (lo, hi)}``: the indicator becomes its
        distance outside the band, max(lo − x, 0, x − hi), before imputation
        (its Direction must be −1: a smaller distance is better).

    Returns
    -------
    Composite
        ``stages``, ``ranks``, ``treatment``, ``weights`` (see
        :class:`Composite`).

    Raises
    ------
    ParameterError
        An option outside the allowed values; a geometric, harmonic or
        negative-power mean over values ≤ 0 (names the indicators and the fix).
    DataError, MissingColumnError
        ``data`` or ``meta`` break the model above.

    Notes
    -----
    *Treatment* (COINr's ``Treat`` defaults): an indicator fails when
    :math:`|g_1| \\ge 2` and :math:`g_2 \\ge 3.5`, with the sample skewness and
    excess kurtosis of e1071 type 2,

    .. math::

        g_1 = \\frac{\\sqrt{n(n-1)}}{n-2}\\,\\frac{\\sqrt{n}\\,\\sum d^3}{(\\sum d^2)^{3/2}},\\qquad
        g_2 = \\frac{(n-1)\\left((n+1)\\left(\\frac{n\\sum d^4}{(\\sum d^2)^2}-3\\right)+6\\right)}{(n-2)(n-3)},

    :math:`d = x - \\bar x`.  A failing indicator is winsorised on the side of
    its skew — the extreme value and its ties set to the next value — and
    re-checked, until it passes or ``winmax`` points have moved; if it still
    fails, :math:`\\log(x - \\min x + 0.01(\\max x - \\min x))` (``log_CT``) is
    applied to the original values.

    *Normalisation* multiplies by the Direction first (except goalposts);
    min–max is :math:`l + (u - l)(x - \\min x)/(\\max x - \\min x)`.

    *Aggregation* of the children present, weights rescaled to sum to one:
    :math:`\\sum w_i x_i / \\sum w_i` (amean),
    :math:`\\exp(\\sum w_i \\log x_i / \\sum w_i)` (gmean),
    :math:`\\sum w_i / \\sum (w_i/x_i)` (hmean),
    :math:`(\\sum w_i x_i^p / \\sum w_i)^{1/p}` (genmean; COINr returns NA
    there when a child is missing).  An indicator that is constant when it
    reaches normalisation is left out with a warning (COINr gives NaN).

    References
    ----------
    Becker, W., Caperna, G., Del Sorbo, M., Norlén, H., Papadimitriou, E.,
    Saisana, M. (2022). COINr: An R package for developing composite
    indicators. Journal of Open Source Software 7(78), 4567.

    OECD/JRC (2008). Handbook on Constructing Composite Indicators:
    Methodology and User Guide. OECD Publishing, ch. 5–7.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"uCode": ["a", "b", "c"], "x1": [1.0, 2.0, 4.0],
    ...                      "x2": [30.0, 10.0, 20.0]})
    >>> meta = pd.DataFrame({"iCode": ["x1", "x2", "Index"], "Level": [1, 1, 2],
    ...                      "Parent": ["Index", "Index", None], "Direction": [1, -1, 1],
    ...                      "Weight": [1, 1, 1], "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> comp = build(data, meta)
    >>> comp.stages["Aggregated"]
           x1     x2      Index
    uCode
    a       0.0    0.0   0.000000
    b      33.3  100.0  66.666667
    c     100.0   50.0  75.000000
    >>> comp.ranks["Index"].tolist()
    [3, 2, 1]
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("build: 参数 `data` 必须是 DataFrame。", "build: `data` must be a DataFrame.")
    units = _unit_codes(data)
    tree, meta_rows = read_meta(meta, data.columns)
    if impute is not None:
        check_choice("impute", impute, IMPUTE)
    if treat is not None:
        check_choice("treat", treat, TREAT)
    check_choice("normalise", normalise, _normalise.METHODS)
    for name, v in (("screen", screen), ("min_coverage", min_coverage)):
        if v is not None and not (0 <= v <= 1):
            raise ParameterError(f"参数 `{name}` 必须在 0 与 1 之间，收到 {v!r}。",
                                 f"`{name}` must be between 0 and 1, but {v!r} was passed.")
    if winmax is not None and (int(winmax) != winmax or winmax < 0):
        raise ParameterError(f"参数 `winmax` 必须是非负整数，收到 {winmax!r}。",
                             f"`winmax` must be a non-negative whole number, but {winmax!r} was passed.")
    raw = _numeric(data, tree.indicators)
    inputs = Inputs(tree=tree, units=units)
    if denominate:
        inputs.denominators = _denominators(data, tree, raw)
    if impute is not None and impute.endswith("_group"):
        if impute_group is None:
            raise ParameterError(f"impute={impute!r} 需要分组列 `impute_group`。",
                                 f"impute={impute!r} needs the group column `impute_group`.")
        if impute_group not in data.columns:
            raise MissingColumnError(f"build: 数据中没有分组列 `{impute_group}`。",
                                     f"build: the data have no group column `{impute_group}`.", column=impute_group)
        codes, _ = pd.factorize(data[impute_group], sort=True)
        inputs.groups = codes.astype(np.int64)
    if bands:
        inputs.bands = _bands(bands, tree)
    levels = list(range(2, tree.max_level + 1))
    opts = Options(denominate=bool(denominate), impute=impute, screen=screen, treat=treat,
                   winmax=None if winmax is None else int(winmax), normalise=normalise,
                   normalise_params=dict(normalise_params or {}),
                   aggregate=aggregate_options(aggregate, aggregate_params, levels), min_coverage=min_coverage)
    return _assemble(raw, inputs, opts)


def _denominators(data: pd.DataFrame, tree: Tree, raw: np.ndarray) -> np.ndarray:
    den = np.ones_like(raw)
    for j, d in enumerate(tree.denominator):
        if d is None:
            continue
        if d not in data.columns:
            raise MissingColumnError(f"build: 指标 `{tree.indicators[j]}` 的分母列 `{d}` 不在数据中。",
                                     f"build: the denominator column `{d}` of `{tree.indicators[j]}` is not in the data.",
                                     column=d)
        den[:, j] = _numeric(data, [d])[:, 0]
        zero = (den[:, j] == 0) & ~np.isnan(raw[:, j])
        if zero.any():
            u = data["uCode"].iloc[int(np.flatnonzero(zero)[0])]
            raise DataError(f"build: 单位 `{u}` 的分母 `{d}` 为 0，无法计算 `{tree.indicators[j]}`。",
                            f"build: the denominator `{d}` of unit `{u}` is 0, so `{tree.indicators[j]}` cannot be "
                            "computed.", column=d)
    return den


def _bands(bands: dict, tree: Tree) -> np.ndarray:
    out = np.full((tree.n_ind, 2), np.nan)
    for code, band in bands.items():
        if code not in tree.indicators:
            check_choice("bands", code, tree.indicators)
        lo, hi = (float(v) for v in band)
        j = tree.indicators.index(code)
        if not lo <= hi:
            raise ParameterError(f"`{code}` 的目标区间下限大于上限：{band!r}。",
                                 f"The target band of `{code}` has its low end above its high end: {band!r}.")
        if tree.direction[j] != -1:
            raise ParameterError(f"`{code}` 有目标区间，其 Direction 须为 -1（离区间越近越好）。",
                                 f"`{code}` has a target band, so its Direction must be -1 (closer to the band "
                                 "is better).")
        out[j] = lo, hi
    return out


def _constant(x: np.ndarray) -> np.ndarray:
    """Indicators (columns of x, units × indicators) with fewer than two distinct values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return ~(np.fmax.reduce(x, axis=0) > np.fmin.reduce(x, axis=0))


def _assemble(raw: np.ndarray, inputs: Inputs, opts: Options) -> Composite:
    """Run the nominal pipeline and turn the arrays into the :class:`Composite` frames."""
    tree = inputs.tree
    x, active, stages, info = prepare(raw[None], inputs, opts, keep=True)
    notes = []
    const = _constant(x[0][active[0]])
    left_out = [c for c, k in zip(tree.indicators, const) if k]
    if left_out:
        inputs.agg_tree = tree.without(left_out)
        inputs.keep = np.array([tree.indicators.index(c) for c in inputs.agg_tree.indicators])
        msg = (f"指标 {left_out} 在标准化前为常数（没有差异），已从指数中剔除。\n"
               f"The indicators {left_out} are constant before normalisation (no spread) and are left out of "
               "the index.")
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)
    else:
        inputs.agg_tree, inputs.keep = tree, np.arange(tree.n_ind)
    agg_tree = inputs.agg_tree
    res = finish(x[:, :, inputs.keep], agg_tree, opts, agg_tree.weight, active, keep=True, stages=stages)
    if res.failed.any():
        _, method, codes = res.reasons[0]
        raise ParameterError(
            f"{method} 不能用于含 0 或负值的下级 {codes}。请把标准化范围改为正数，如 "
            "normalise_params={'l_u': (1, 100)}，或换用 amean。",
            f"{method} cannot aggregate the children {codes}, which have values of 0 or below. Normalise to a "
            "positive range, e.g. normalise_params={'l_u': (1, 100)}, or use amean.")
    index = pd.Index(inputs.units, name="uCode")
    keep_units = active[0]
    frames = {}
    for name, arr in res.stages.items():
        codes = agg_tree.indicators if name == "Normalised" else tree.indicators
        df = pd.DataFrame(arr[0], index=index, columns=list(codes))
        if name in ("Screened", "Treated", "Normalised"):
            df = df.loc[keep_units]
        frames[name] = df
    agg = pd.DataFrame(res.values[0], index=index, columns=list(agg_tree.codes)).loc[keep_units]
    frames["Aggregated"] = agg
    aggs = list(agg_tree.aggregates)
    ranks = pd.DataFrame(rank_desc(agg[aggs].to_numpy().T).T, index=agg.index, columns=aggs).astype("Int64")
    treatment = _treatment_frame(tree, info, notes)
    weights = pd.Series(agg_tree.effective_weights(), index=list(agg_tree.indicators), name="weight")
    weights.index.name = "iCode"
    meta = _meta_used(tree)
    return Composite(stages=frames, ranks=ranks, treatment=treatment, weights=weights, meta=meta,
                     left_out=left_out, warnings=notes, inputs=inputs, options=opts, raw=raw)


def rank_desc(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest, ties the minimum rank, NaN kept (COINr's ``rank_df``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return sstats.rankdata(-values, method="min", axis=-1, nan_policy="omit")


def _treatment_frame(tree: Tree, info: dict | None, notes: list) -> pd.DataFrame:
    cols = ["iCode", "skew", "kurtosis", "winsorised", "transform", "skew_after", "kurtosis_after"]
    if info is None:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("iCode", "transform", "winsorised")
                                          else ("Int64" if c == "winsorised" else "str")) for c in cols})
    df = pd.DataFrame({
        "iCode": list(tree.indicators), "skew": info["skew"][0], "kurtosis": info["kurtosis"][0],
        "winsorised": pd.array(info["winsorised"][0], dtype="Int64"),
        "transform": [TRANSFORMS[t] for t in info["transform"][0]],
        "skew_after": info["skew_after"][0], "kurtosis_after": info["kurtosis_after"][0],
    })
    bad = [c for c, u in zip(tree.indicators, info["untreatable"][0]) if u]
    if bad:
        msg = (f"指标 {bad} 无法做异常值处理（数值太少，或缩尾后没有差异），保持原值（同 COINr）。\n"
               f"The indicators {bad} cannot be treated for outliers (too few values, or no spread left after "
               "winsorising) and are left untreated, as COINr does.")
        warnings.warn(msg, UserWarning, stacklevel=4)
        notes.append(msg)
    return df


def _meta_used(tree: Tree) -> pd.DataFrame:
    return pd.DataFrame({
        "iCode": list(tree.codes), "Level": tree.level,
        "Parent": [tree.codes[p] if p >= 0 else None for p in tree.parent],
        "Direction": list(tree.direction) + [1.0] * len(tree.aggregates),
        "Weight": tree.weight,
        "Type": ["Indicator"] * tree.n_ind + ["Aggregate"] * len(tree.aggregates),
    })


def rebuild(comp: Composite, **changes) -> Composite:
    """The same index rebuilt with some of :func:`build`'s options changed, or other weights.

    Parameters
    ----------
    comp : Composite
        A built index.
    **changes
        Any of ``build``'s options (``winmax=3``, ``normalise="zscore"``,
        ``aggregate="gmean"``, ...), and ``weights={iCode: w}`` to replace node
        weights (0 removes a node, as COINr's ``remove_elements``).

    Returns
    -------
    Composite

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"uCode": ["a", "b", "c"], "x1": [1.0, 2.0, 4.0], "x2": [30.0, 10.0, 20.0]})
    >>> meta = pd.DataFrame({"iCode": ["x1", "x2", "Index"], "Level": [1, 1, 2],
    ...                      "Parent": ["Index", "Index", None], "Direction": [1, -1, 1],
    ...                      "Weight": [1, 1, 1], "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> comp = build(data, meta)
    >>> rebuild(comp, weights={"x2": 0}).ranks["Index"].tolist()
    [3, 2, 1]
    >>> rebuild(comp, aggregate="median").stages["Aggregated"]["Index"].round(1).tolist()
    [0.0, 66.7, 75.0]
    """
    weights = changes.pop("weights", None)
    inputs = replace(comp.inputs, agg_tree=None, keep=None)
    if weights:
        tree = inputs.tree
        w = tree.weight.copy()
        for code, v in weights.items():
            if code not in tree.codes:
                check_choice("weights", code, tree.codes)
            w[tree.codes.index(code)] = float(v)
        inputs = replace(inputs, tree=replace(tree, weight=w), agg_tree=None, keep=None)
    if "aggregate" in changes or "aggregate_params" in changes:
        agg = changes.pop("aggregate", None)
        params = changes.pop("aggregate_params", None)
        if isinstance(agg, tuple):  # already ((method, params), ...) per level
            changes["aggregate"] = agg
        else:
            levels = list(range(2, inputs.tree.max_level + 1))
            current = {k: m for k, (m, _) in zip(levels, comp.options.aggregate)}
            changes["aggregate"] = aggregate_options(current if agg is None else agg, params, levels)
    if "normalise" in changes:
        check_choice("normalise", changes["normalise"], _normalise.METHODS)
    if "normalise_params" in changes:
        changes["normalise_params"] = dict(changes["normalise_params"] or {})
    opts = replace(comp.options, **changes)
    return _assemble(comp.raw, inputs, opts)
