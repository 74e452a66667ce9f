"""``sensitivity``: rerun the whole pipeline under uncertain inputs, vectorised and in a pool."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.exceptions import ParameterError, check_choice
from evalkit.stats.composite import _sobol
from evalkit.stats.composite._build import Composite, rank_desc
from evalkit.stats.composite._draws import ErrorModel, read_error
from evalkit.stats.composite._factors import Factor, read_factors
from evalkit.stats.composite._pipeline import run

#: replicates per task: fixed, so results never depend on the number of workers
CHUNK = 32


@dataclass
class Sensitivity:
    """Results of :func:`sensitivity`.

    Attributes
    ----------
    intervals : DataFrame
        One row per unit and aggregate: ``uCode, iCode, nominal, mean, median,
        sd, q05, q95, rank_nominal, rank_median, rank_q05, rank_q95``
        (quantiles of type 7 over the sampled runs: plain Monte Carlo runs,
        or the A and B runs of Saltelli's design, as COINr).
    indices : DataFrame
        ``factor, output, target, S, ST, S_q05, S_q95, ST_q05, ST_q95``:
        first-order and total Sobol' indices of the top aggregate's mean
        absolute rank shift (``output = target = "rank_shift"``) and of each
        unit's score and rank (``output`` ``"score"``/``"rank"``, ``target``
        the uCode), with bootstrap 5–95 % intervals.  Empty unless Saltelli's
        design ran (``sample="sobol"`` with two or more factors).
    runs : DataFrame
        One row per run: ``run, block`` (``"A"``, ``"B"``, ``"AB"``, ``"MC"``),
        ``row, varied`` (the factor an AB run takes from B), one column per
        factor (the alternative chosen, or for drawn factors the key of the
        random stream: the same key is the same draw), ``failed, reason``.
    scores, ranks : ndarray
        Scores and ranks of every aggregate in the sampled runs, shape
        (runs, units, aggregates); ``units`` and ``aggregates`` label the axes.
    """

    intervals: pd.DataFrame
    indices: pd.DataFrame
    runs: pd.DataFrame
    scores: np.ndarray = field(repr=False)
    ranks: np.ndarray = field(repr=False)
    units: list = field(repr=False)
    aggregates: list = field(repr=False)


@dataclass
class _Context:
    """What every worker needs (sent once per worker)."""

    comp: Composite
    factors: list
    error: ErrorModel | None
    data_pos: int
    seed: int


_CTX: _Context | None = None


def _init(ctx: _Context) -> None:
    global _CTX
    _CTX = ctx


def _weights(ctx: _Context, choice: dict, keys: np.ndarray) -> np.ndarray:
    """Node weights of each run (R, N): noisy levels, then an excluded indicator set to 0."""
    tree = ctx.comp.inputs.agg_tree
    w = np.repeat(tree.weight[None, :], len(keys), axis=0)
    for j, f in enumerate(ctx.factors):
        if f.kind == "weights":
            nodes = np.flatnonzero(tree.level == f.level)
            for r, k in enumerate(keys[:, j]):
                g = np.random.default_rng(np.random.SeedSequence([ctx.seed, j, int(k)]))
                w[r, nodes] *= 1 + f.noise * g.uniform(-1.0, 1.0, len(nodes))
    code = choice.get("exclude")
    if code is not None:
        w[:, tree.codes.index(code)] = 0.0
    return w


def _raw(ctx: _Context, keys: np.ndarray) -> np.ndarray:
    raw = ctx.comp.raw
    if ctx.error is None or not len(ctx.error):
        return np.broadcast_to(raw, (len(keys), *raw.shape))
    z = np.empty((len(keys), len(ctx.error)))
    for r, k in enumerate(keys[:, ctx.data_pos]):
        g = np.random.default_rng(np.random.SeedSequence([ctx.seed, ctx.data_pos, int(k)]))
        z[r] = g.standard_normal(len(ctx.error))
    return ctx.error.apply(raw, z)


def _options(ctx: _Context, choice: dict):
    opts = ctx.comp.options
    changes = {}
    if "normalise" in choice:
        changes["normalise"], changes["normalise_params"] = choice["normalise"]
    if "aggregate" in choice:
        changes["aggregate"] = choice["aggregate"]
    if "winmax" in choice:
        changes["winmax"] = choice["winmax"]
    if "impute" in choice:
        changes["impute"] = choice["impute"]
    return replace(opts, **changes)


def _chunk(task):
    """Run one chunk of replicates sharing their method choices; returns scores, ranks, failures."""
    choice, keys = task
    ctx = _CTX
    comp = ctx.comp
    res = run(_raw(ctx, keys), comp.inputs, _options(ctx, choice), _weights(ctx, choice, keys))
    n_ind = comp.inputs.agg_tree.n_ind
    scores = res.values[:, :, n_ind:]
    ranks = rank_desc(np.moveaxis(scores, 1, 2))
    reasons = [(r, f"{m}: {codes}") for r, m, codes in res.reasons]
    return scores, np.moveaxis(ranks, 2, 1), res.failed, reasons


def sensitivity(
    comp: Composite,
    *,
    factors=(),
    data_error: pd.DataFrame | None = None,
    n: int = 1024,
    seed: int = 0,
    sample: Literal["sobol", "random"] = "sobol",
    n_boot: int = 200,
    jobs: int | None = None,
) -> Sensitivity:
    """Uncertainty and sensitivity of a composite index: rerun the pipeline per replicate.

    Parameters
    ----------
    comp : Composite
        The index from :func:`build` (its settings are the nominal ones).
    factors : list of dict
        Uncertain method choices, like COINr's ``SA_specs`` (each a dict with
        ``kind``): ``{"kind": "weights", "level": 2, "noise": 0.25}`` (each
        weight at that level becomes w·(1 + 0.25·U(−1, 1))),
        ``{"kind": "normalise", "choices": ["minmax", {"method": "zscore",
        "params": {"m_sd": [10, 2]}}]}``, ``{"kind": "aggregate", "choices":
        ["amean", "gmean"]}``, ``{"kind": "winmax", "range": [1, 5]}``,
        ``{"kind": "exclude", "choices": ["x1", "x2"]}`` (none, or one of
        them, left out), ``{"kind": "impute"}`` (imputation on or off).
    data_error : DataFrame, optional
        ``uCode, iCode, se`` and optionally ``dist`` (``"normal"`` default,
        ``"logitnormal"``, ``"wilson"``, ``"garwood"``, ``"t"``),
        ``ci_low, ci_high`` (95 %) and ``n`` (trials for Wilson, the count for
        Garwood, observations for t): each run redraws every listed value,
        independently per (uCode, iCode), before the pipeline.  ``se = 0``
        means known exactly.  The data are then one factor, ``"data"``.
    n : int
        Runs with one factor or ``sample="random"``; else the base sample N of
        Saltelli's design (a power of 2), N·(d + 2) runs.
    seed : int
        Seed: the same seed gives byte-identical results, whatever ``jobs``.
    sample : {"sobol", "random"}
        Scrambled Sobol' points (Saltelli's design with two or more factors)
        or plain Monte Carlo (COINr's uncertainty analysis).
    n_boot : int
        Bootstrap resamples for the intervals of the indices.
    jobs : int, optional
        Worker processes (default: the CPUs); 1 runs in this process.

    Returns
    -------
    Sensitivity
        ``intervals``, ``indices``, ``runs`` (see :class:`Sensitivity`).

    Notes
    -----
    Runs that share their method choices are computed together, as arrays
    with a replicates axis, in chunks of 32 spread over a process pool.  A
    run whose choices clash (a geometric mean over values ≤ 0) is marked
    failed with its reason and left out of the intervals; the indices are
    then NaN.  Indices (Saltelli 2010; Jansen 1999), estimated by
    ``scipy.stats.sobol_indices`` from the outputs of the A, B and AB runs:

    .. math::

        S_i = \\frac{\\frac1N\\sum_j f(B)_j\\,(f(A_B^{(i)})_j - f(A)_j)}{V(Y)},\\qquad
        S_{Ti} = \\frac{\\frac1{2N}\\sum_j (f(A)_j - f(A_B^{(i)})_j)^2}{V(Y)}.

    The rank shift of a run is :math:`\\frac1U\\sum_u |r_u - r_u^{nominal}|`
    (COINr's target).  The data-error draws (see ``evalkit.stats.composite._draws``)
    reproduce each row's 95 % interval: exactly for Wilson and Garwood.

    References
    ----------
    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model
    output. Design and estimator for the total sensitivity index. Computer
    Physics Communications 181(2), 259–270.

    Jansen, M. J. W. (1999). Analysis of variance designs for model output.
    Computer Physics Communications 117(1–2), 35–43.

    Saisana, M., Saltelli, A., Tarantola, S. (2005). Uncertainty and
    sensitivity analysis techniques as tools for the quality assessment of
    composite indicators. JRSS A 168(2), 307–323.

    OECD/JRC (2008). Handbook on Constructing Composite Indicators, ch. 7.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats.composite import build
    >>> data = pd.DataFrame({"uCode": list("abcd"), "x1": [1.0, 2.0, 4.0, 3.0],
    ...                      "x2": [3.0, 1.0, 2.0, 4.0]})
    >>> meta = pd.DataFrame({"iCode": ["x1", "x2", "Index"], "Level": [1, 1, 2],
    ...                      "Parent": ["Index", "Index", None], "Direction": [1, 1, 1],
    ...                      "Weight": [1, 1, 1], "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> comp = build(data, meta)
    >>> err = pd.DataFrame({"uCode": list("abcd"), "iCode": "x1", "se": 0.0})
    >>> sa = sensitivity(comp, data_error=err, n=64, jobs=1)
    >>> sa.intervals[["uCode", "nominal", "q05", "q95"]].round(2)
      uCode  nominal    q05    q95
    0     a    33.33  33.33  33.33
    1     b    16.67  16.67  16.67
    2     c    66.67  66.67  66.67
    3     d    83.33  83.33  83.33
    """
    if not isinstance(comp, Composite):
        raise ParameterError("sensitivity 的第一个参数须为 build() 的结果。",
                             "The first argument of sensitivity must be the result of build().")
    check_choice("sample", sample, ("sobol", "random"))
    if int(n) != n or n < 2:
        raise ParameterError(f"参数 `n` 须为不小于 2 的整数，收到 {n!r}。",
                             f"`n` must be a whole number of at least 2, but {n!r} was passed.")
    n = int(n)
    facs = read_factors(list(factors), comp)
    error, data_pos = None, -1
    if data_error is not None:
        error = read_error(data_error, comp.inputs.units, comp.inputs.tree.indicators, comp.raw)
        data_pos = len(facs)
        facs.append(Factor("data", "data"))
    if not facs:
        raise ParameterError("没有不确定性因素：请给出 factors 或 data_error。",
                             "Nothing is uncertain: give factors or data_error.")
    d = len(facs)
    design = _sobol.plan(d, n, seed=seed, sample=sample)
    choices = _choices(facs, design.u)
    ctx = _Context(comp=comp, factors=facs, error=error, data_pos=data_pos, seed=seed)
    tasks, order = _tasks(choices, design.key)
    results = _execute(ctx, tasks, jobs)
    n_runs = len(design.u)
    tree = comp.inputs.agg_tree
    units = comp.inputs.units
    n_agg = len(tree.aggregates)
    scores = np.empty((n_runs, len(units), n_agg))
    ranks = np.empty_like(scores)
    failed = np.zeros(n_runs, dtype=bool)
    reason = [""] * n_runs
    for idx, (sc, rk, fl, rs) in zip(order, results):
        scores[idx], ranks[idx], failed[idx] = sc, rk, fl
        for r, text in rs:
            reason[idx[r]] = text
    runs = _runs_frame(design, facs, choices, failed, reason)
    sampled = design.block != "AB"
    nominal = comp.stages["Aggregated"]
    keep_units = np.array([u in nominal.index for u in units])
    sc, rk = scores[sampled][:, keep_units], ranks[sampled][:, keep_units]
    unit_list = [u for u, k in zip(units, keep_units) if k]
    intervals = _intervals(comp, sc, rk, unit_list, list(tree.aggregates))
    idx_frame = _indices_frame(comp, design, facs, scores[:, keep_units], ranks[:, keep_units], unit_list,
                               failed, n_boot, seed)
    return Sensitivity(intervals=intervals, indices=idx_frame, runs=runs, scores=sc, ranks=rk,
                       units=unit_list, aggregates=list(tree.aggregates))


def _choices(facs: list, u: np.ndarray) -> list[dict]:
    """Each run's choice per scalar factor: {kind: alternative} and {name: label} for the runs frame."""
    out = []
    for row in u:
        ch = {}
        for j, f in enumerate(facs):
            if not f.draw:
                k = f.pick(row[j])
                ch[f.kind] = f.choices[k]
                ch["_" + f.name] = f.labels[k]
        out.append(ch)
    return out


def _config_key(choice: dict) -> str:
    return repr(sorted((k, v) for k, v in choice.items() if not k.startswith("_")))


def _tasks(choices: list, keys: np.ndarray):
    """Chunks of runs with the same choices, in a fixed order (independent of the pool)."""
    groups: dict[str, list] = {}
    for r, ch in enumerate(choices):
        groups.setdefault(_config_key(ch), []).append(r)
    tasks, order = [], []
    for key in sorted(groups):
        runs = groups[key]
        ch = {k: v for k, v in choices[runs[0]].items() if not k.startswith("_")}
        for s in range(0, len(runs), CHUNK):
            idx = np.array(runs[s:s + CHUNK])
            tasks.append((ch, keys[idx]))
            order.append(idx)
    return tasks, order


def _execute(ctx: _Context, tasks: list, jobs: int | None) -> list:
    jobs = (os.cpu_count() or 1) if jobs is None else int(jobs)
    if jobs < 1:
        raise ParameterError(f"参数 `jobs` 须为正整数，收到 {jobs!r}。", f"`jobs` must be a positive whole number, "
                             f"but {jobs!r} was passed.")
    if jobs == 1 or len(tasks) == 1:
        _init(ctx)
        try:
            return [_chunk(t) for t in tasks]
        finally:
            _init(None)
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=get_context("fork"),
                             initializer=_init, initargs=(ctx,)) as pool:
        return list(pool.map(_chunk, tasks))


def _runs_frame(design, facs, choices, failed, reason) -> pd.DataFrame:
    df = pd.DataFrame({"run": np.arange(len(design.u)), "block": design.block, "row": design.row,
                       "varied": [facs[v].name if v >= 0 else "" for v in design.varied]})
    for j, f in enumerate(facs):
        df[f.name] = design.key[:, j] if f.draw else [ch["_" + f.name] for ch in choices]
    df["failed"] = failed
    df["reason"] = reason
    return df


def _intervals(comp, sc, rk, units, aggs) -> pd.DataFrame:
    nominal = comp.stages["Aggregated"].loc[units, aggs].to_numpy()
    nom_rank = comp.ranks.loc[units, aggs].to_numpy(dtype="float64", na_value=np.nan)
    q_s = nanquantile(sc, [0.05, 0.5, 0.95])
    q_r = nanquantile(rk, [0.05, 0.5, 0.95])
    with np.errstate(invalid="ignore"), _quiet():
        # centred on the nominal value first, so identical runs give an SD of exactly 0
        dev = sc - nominal[None]
        mean, sd = nominal + np.nanmean(dev, axis=0), np.nanstd(dev, axis=0, ddof=1)
    u_, a_ = nominal.shape
    out = pd.DataFrame({
        "uCode": np.repeat(units, a_), "iCode": np.tile(aggs, u_),
        "nominal": nominal.ravel(), "mean": mean.ravel(), "median": q_s[1].ravel(), "sd": sd.ravel(),
        "q05": q_s[0].ravel(), "q95": q_s[2].ravel(),
        "rank_nominal": pd.array(nom_rank.ravel(), dtype="Float64").astype("Int64"),
        "rank_median": q_r[1].ravel(), "rank_q05": q_r[0].ravel(), "rank_q95": q_r[2].ravel(),
    })
    return out


def nanquantile(a: np.ndarray, qs) -> np.ndarray:
    """Quantiles of type 7 down axis 0 ignoring NaN (NaN where a column has no value).

    ``np.nanquantile`` loops over columns in Python; this sorts once.
    """
    s = np.sort(a, axis=0)  # NaN last
    n = (~np.isnan(a)).sum(axis=0)
    out = []
    for q in qs:
        h = (n - 1) * q
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        lo, hi = np.maximum(lo, 0), np.maximum(hi, 0)
        x_lo = np.take_along_axis(s, lo[None], axis=0)[0]
        x_hi = np.take_along_axis(s, hi[None], axis=0)[0]
        with np.errstate(invalid="ignore"):
            v = x_lo + (h - np.floor(h)) * (x_hi - x_lo)
        out.append(np.where(n > 0, v, np.nan))
    return np.array(out)


class _quiet:
    """Silence numpy's all-NaN warnings (a unit missing in every run keeps NaN statistics)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _indices_frame(comp, design, facs, scores, ranks, units, failed, n_boot, seed) -> pd.DataFrame:
    cols = ["factor", "output", "target", "S", "ST", "S_q05", "S_q95", "ST_q05", "ST_q95"]
    if not design.saltelli:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in cols[:3] else "str") for c in cols})
    top = comp.inputs.agg_tree.aggregates.index(comp.top)
    nom = comp.ranks.loc[units, comp.top].to_numpy(dtype="float64", na_value=np.nan)
    with _quiet():
        shift = np.nanmean(np.abs(ranks[:, :, top] - nom[None, :]), axis=1)
    y = np.column_stack([shift, scores[:, :, top], ranks[:, :, top]])
    y[failed] = np.nan
    d = len(facs)
    ind = _sobol.indices(y, design.n, d, n_boot=n_boot, seed=seed)
    outputs = ["rank_shift"] + ["score"] * len(units) + ["rank"] * len(units)
    targets = ["rank_shift"] + list(units) * 2
    s = y.shape[1]
    return pd.DataFrame({
        "factor": np.repeat([f.name for f in facs], s), "output": outputs * d, "target": targets * d,
        **{k: ind[k].ravel() for k in ("S", "ST", "S_q05", "S_q95", "ST_q05", "ST_q95")},
    })
