"""Satisfaction indicators (满意度) from the resident survey, design-based.

The period of a survey row is its wave: satisfaction for 2024 uses wave 2024.
Item answers become 0-100 scores (reverse-coded items reversed first); a
respondent's index is the mean of their non-missing scores on the
non-overall items.  Every unit below the city is a *domain* of the whole
design of the wave: all respondents of the wave go into one
:func:`evalkit.stats.survey.svymean` call per level with ``by=unit``, and all
the mean variables (index and dimensions) go into the same call.

See docs INDICATORS.md, section "Satisfaction".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.contract import DIMENSIONS
from evalkit.exceptions import DataError
from evalkit.families._coverage import NO_DATA, assemble, catalog_entry, unit_frame
from evalkit.families._frame import empty, finalize

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.families._frame import Context

__all__ = ["FAMILY", "TABLES", "CATALOG", "compute", "item_scores", "respondent_scores",
           "design_columns"]

FAMILY = "satisfaction"
TABLES = ("survey_responses", "survey_items", "communities")
#: A survey's period is its wave (a year): nothing here is computed for a window.
WINDOW_FAMILY = False

#: Dimensions of the dimension breakdown, in codebook order (overall excluded).
DIMENSION_ORDER = tuple(d for d in DIMENSIONS if d != "overall")
ONE_PSU = "not estimable (one PSU)"

_CHENGDU = ("Chengdu harmonious-community standard (成都市和谐社区建设标准): "
            "residents' satisfaction with the residents' committee at least 80%")


def _entry(id, name_zh, name_en, definition_zh, definition_en, unit, direction, interval,
           category=None, benchmark=None):
    return catalog_entry(FAMILY, id, name_zh, name_en, definition_zh, definition_en, unit=unit,
                         direction=direction, interval=interval, category=category, survey=True,
                         benchmark=benchmark)


CATALOG: list[dict] = [
    _entry("satisfaction_index", "居民满意度指数", "Resident satisfaction index",
           "受访者在非总体题目上的 0–100 分（反向题先反转）的平均值，再按抽样设计加权平均",
           "Design-weighted mean of each respondent's mean 0-100 score on the non-overall "
           "items (reverse-coded items reversed first)",
           "index_0_100", "higher_better", "design normal (Taylor linearisation)"),
    _entry("satisfaction_dimension", "分维度满意度", "Satisfaction by dimension",
           "受访者在该维度题目上的 0–100 分平均值，再按抽样设计加权平均",
           "Design-weighted mean of each respondent's mean 0-100 score within the dimension",
           "index_0_100", "higher_better", "design normal (Taylor linearisation)",
           category="dimension"),
    _entry("satisfaction_overall_top2", "总体满意率", "Overall satisfaction rate (top two boxes)",
           "在总体满意度题作答者中，回答“满意”或“非常满意”（最高两档）的加权比例",
           "Design-weighted share answering max or max − 1 on the overall item, among "
           "respondents who answered it",
           "share", "higher_better", "design logit (svyciprop)",
           benchmark={"value": 0.80,
                      "scope_zh": "居民对居委会的满意率（成都市和谐社区标准）",
                      "scope_en": "share of residents satisfied with the residents' committee "
                                  "(Chengdu harmonious-community standard)",
                      "source": _CHENGDU}),
    _entry("satisfaction_alpha", "量表信度（Cronbach α）", "Scale reliability (Cronbach's alpha)",
           "非总体题目 0–100 分的 Cronbach α（完整作答者，不加权）",
           "Cronbach's alpha of the non-overall item scores (complete cases, unweighted)",
           "ratio", "target_band", "Feldt (F distribution)"),
]


# --- scores ----------------------------------------------------------------------


def _codebook(items: pd.DataFrame, item_ids) -> pd.DataFrame:
    """The codebook rows of the items present in the responses, with numeric scales."""
    cb = items.loc[items["item_id"].isin(list(item_ids))].copy()
    cb["scale_min"] = pd.to_numeric(cb["scale_min"], errors="coerce").astype("float64").fillna(1.0)
    cb["scale_max"] = pd.to_numeric(cb["scale_max"], errors="coerce").astype("float64").fillna(5.0)
    rev = cb["reverse"] if "reverse" in cb.columns else pd.Series(False, index=cb.index)
    cb["reverse"] = rev.astype("boolean").fillna(False).astype(bool)
    bad = cb["scale_max"] <= cb["scale_min"]
    if bad.any():
        item = str(cb.loc[bad, "item_id"].iloc[0])
        raise DataError(
            f"题目 {item} 的最大值必须大于最小值。",
            f"Item {item}: scale_max must be greater than scale_min.",
            table="survey_items", column="scale_max",
        )
    order = {k: i for i, k in enumerate(item_ids)}
    return cb.sort_values("item_id", key=lambda s: s.map(order)).reset_index(drop=True)


def item_scores(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """0-100 scores of every codebook item present in ``responses``.

    Parameters
    ----------
    responses
        Survey rows with one float column per item (missing = NaN).
    items
        The codebook (item_id, scale_min, scale_max, reverse).

    Returns
    -------
    DataFrame
        One column per item (same index as ``responses``), float64 scores in
        [0, 100]; missing and out-of-scale answers are NaN.

    Notes
    -----
    An answer *x* on [min, max] is reversed first where ``reverse`` is true
    (x → min + max − x), then scored 100 (x − min) / (max − min).
    """
    ids = [i for i in items["item_id"].tolist() if i in responses.columns]
    cb = _codebook(items, ids)
    ids = cb["item_id"].tolist()
    x = responses[ids].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan) \
        if ids else np.empty((len(responses), 0))
    lo = cb["scale_min"].to_numpy()
    hi = cb["scale_max"].to_numpy()
    with np.errstate(invalid="ignore"):
        x = np.where((x < lo) | (x > hi), np.nan, x)  # the loader did this already
    x = np.where(cb["reverse"].to_numpy(), lo + hi - x, x)
    s = 100.0 * (x - lo) / (hi - lo)
    return pd.DataFrame(s, columns=ids, index=responses.index)


def respondent_scores(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Per respondent: index, dimension scores and the overall top-two flag.

    Parameters
    ----------
    responses, items
        As for :func:`item_scores`.

    Returns
    -------
    DataFrame
        Same index as ``responses``, columns ``index`` (mean score on the
        non-overall items), one column per dimension of
        :data:`DIMENSION_ORDER` present in the codebook (mean score on its
        items), and ``top2`` (1.0 if the overall answer, after any reversal,
        is max or max − 1; 0.0 otherwise; NaN when not answered or when the
        codebook has no overall item).  A respondent with no answer in a
        group is NaN there.
    """
    return _respondent_from_scores(item_scores(responses, items), items)


def _respondent_from_scores(scores: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    ids = list(scores.columns)
    cb = _codebook(items, ids).set_index("item_id")
    dim = cb["dimension"].reindex(ids)
    s = scores.to_numpy()
    out = pd.DataFrame(index=scores.index)

    def rowmean(cols_mask: np.ndarray) -> np.ndarray:
        sub = s[:, cols_mask]
        cnt = (~np.isnan(sub)).sum(axis=1)
        tot = np.nansum(sub, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    non_overall = (dim != "overall").to_numpy()
    out["index"] = rowmean(non_overall)
    for d in DIMENSION_ORDER:
        m = (dim == d).to_numpy()
        if m.any():
            out[d] = rowmean(m)
    overall = [i for i in ids if dim[i] == "overall"]
    if overall:
        o = overall[0]
        # recoded answer is max or max - 1  <=>  score >= 100 (max - 1 - min) / (max - min)
        span = cb.at[o, "scale_max"] - cb.at[o, "scale_min"]
        cut = 100.0 * (span - 1) / span
        so = scores[o].to_numpy()
        with np.errstate(invalid="ignore"):
            out["top2"] = np.where(np.isnan(so), np.nan, (so >= cut - 1e-9).astype("float64"))
    else:
        out["top2"] = np.nan
    return out


# --- design ----------------------------------------------------------------------


def design_columns(responses: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The design columns of ``responses`` and the keyword arguments for svymean.

    Returns
    -------
    (frame, kwargs)
        ``frame`` holds ``_w`` (weight, default 1), and where the data have
        them ``_stratum``, ``_psu`` (stratum-qualified, so the same label in
        two strata is two PSUs; default the respondent) and ``_fpc``;
        ``kwargs`` maps svymean's ``weights``/``strata``/``psu``/``fpc`` to them.
    """
    n = len(responses)
    frame = pd.DataFrame(index=responses.index)
    kw: dict = {}
    w = responses["weight"] if "weight" in responses.columns else None
    frame["_w"] = (pd.to_numeric(w, errors="coerce").astype("float64").fillna(1.0).to_numpy()
                   if w is not None else np.ones(n))
    kw["weights"] = "_w"

    def present(col):
        return col in responses.columns and responses[col].notna().any()

    strat = None
    if present("stratum"):
        strat = responses["stratum"].astype("str").fillna("")
        frame["_stratum"] = strat.to_numpy()
        kw["strata"] = "_stratum"
    if present("psu"):
        psu = responses["psu"].astype("str")
        rid = "\x00r:" + responses["respondent_id"].astype("str")
        psu = psu.where(psu.notna(), rid)
        if strat is not None:
            psu = strat + "\x1f" + psu
        frame["_psu"] = psu.to_numpy()
        kw["psu"] = "_psu"
    if present("fpc"):
        frame["_fpc"] = pd.to_numeric(responses["fpc"], errors="coerce").astype("float64").to_numpy()
        kw["fpc"] = "_fpc"
    return frame, kw


# --- compute ---------------------------------------------------------------------

_EST = ("value", "se", "ci_low", "ci_high", "deff", "n")


def _empty_block(indicator, size, category=None) -> dict:
    b = {c: np.full(size, np.nan) for c in _EST}
    b["n"] = np.zeros(size)
    b.update(indicator=indicator, category=category, note=np.full(size, None, dtype=object))
    return b


def _block(indicator, est: pd.DataFrame, index: pd.Index, category=None) -> dict:
    """Estimates (one row per domain, column unit_id) placed on the units of ``index``."""
    b = _empty_block(indicator, len(index), category)
    if est is None or est.empty:
        return b
    at = index.get_indexer(est["unit_id"].astype("str").to_numpy())
    ok = at >= 0
    at = at[ok]
    for c in _EST:
        if c in est.columns:
            b[c][at] = pd.to_numeric(est[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)[ok]
    if "note" in est.columns:
        note = est["note"].astype("object").to_numpy()[ok]
        b["note"][at] = np.where(pd.isna(note) | (note == ""), None, note)
    b["n"] = np.nan_to_num(b["n"], nan=0.0)
    return b


def _finish(b: dict, min_n: int) -> dict:
    """No-data and min_n rules; se/interval never 0 for a one-PSU domain."""
    n = b["n"]
    nodata = n <= 0
    for c in _EST[:-1]:
        b[c] = np.where(nodata, np.nan, b[c])
    note = b["note"]
    one_psu = np.array([isinstance(x, str) and "one PSU" in x for x in note], dtype=bool) \
        if len(note) else np.zeros(0, dtype=bool)
    for c in ("se", "ci_low", "ci_high", "deff"):
        b[c] = np.where(one_psu, np.nan, b[c])
    note = np.where(one_psu, ONE_PSU, note)
    b["note"] = np.where(nodata, NO_DATA, note)
    b["suppressed"] = (~nodata) & (n < min_n)
    return b


def _svy(data, y, kw, ci):
    from evalkit.stats.survey import svymean

    return svymean(data, y=y, by="unit_id", ci=ci, **kw)


def compute(ctx: "Context") -> pd.DataFrame:
    """Compute the satisfaction indicators ``ctx`` asks for, at every level of ``ctx``.

    Parameters
    ----------
    ctx
        The computation context; the wave used is ``ctx.year``.

    Returns
    -------
    DataFrame
        Rows in the output contract (:func:`evalkit.families._frame.finalize`).

    Notes
    -----
    With design weights :math:`w_i`, domain indicator :math:`d_i` of a unit
    and a respondent variable :math:`y_i`, the value is the domain ratio
    mean :math:`\\hat\\mu_d = \\sum w_i d_i y_i / \\sum w_i d_i` over
    respondents with :math:`y_i` present; its variance is the Taylor
    linearisation of R's ``svymean`` over the *whole* design of the wave
    (strata, PSUs, fpc), domains by zeroing.  Means get normal intervals
    (R ``confint``), ``satisfaction_overall_top2`` a logit interval (R
    ``svyciprop(method="logit")``); ``deff`` as R's ``deff=TRUE``.
    ``satisfaction_alpha`` is Cronbach's alpha
    :math:`\\alpha = \\frac{k}{k-1}(1 - \\sum s_j^2 / s_T^2)` of the
    non-overall item scores over complete cases (unweighted) with the
    interval of :func:`evalkit.stats.reliability.cronbach_alpha`; items
    nobody answered in the wave are left out.  ``n`` is unweighted
    respondents with the variable present; rows with ``n < ctx.min_n`` are
    suppressed; a unit without respondents is empty with note ``no data``;
    a domain inside one PSU has empty se and interval and note
    ``not estimable (one PSU)``.

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. Journal of
    Statistical Software 9(8) (R package ``survey``).
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. Psychometrika 16, 297-334.
    """
    ds = ctx.ds
    year = int(ctx.year)
    period = str(year)
    resp = ds["survey_responses"]
    items = ds["survey_items"]
    item_ids = [i for i in (ds.item_ids or items["item_id"].tolist()) if i in resp.columns]
    cb = _codebook(items, item_ids)
    dims = [d for d in DIMENSION_ORDER if (cb["dimension"] == d).any()]
    alpha_items = cb.loc[cb["dimension"] != "overall", "item_id"].tolist()
    want = {i: ctx.wants(i) for i in ("satisfaction_index", "satisfaction_dimension",
                                      "satisfaction_overall_top2", "satisfaction_alpha")}

    wave = resp.loc[(pd.to_numeric(resp["wave"], errors="coerce") == year).fillna(False).to_numpy()]
    have = len(wave) > 0
    if have:
        iscore = item_scores(wave, cb)
        scores = _respondent_from_scores(iscore, cb)
        design, kw = design_columns(wave)
        mean_vars: dict[str, tuple[str, str | None]] = {}
        if want["satisfaction_index"]:
            mean_vars["_index"] = ("satisfaction_index", None)
        if want["satisfaction_dimension"]:
            mean_vars.update({f"_dim_{d}": ("satisfaction_dimension", d) for d in dims})
        ycols = {"_index": scores["index"], **{f"_dim_{d}": scores[d] for d in dims}}
        # a variable nobody answered is no data everywhere: not passed to svymean
        mean_vars = {k: v for k, v in mean_vars.items() if ycols[k].notna().any()}
        design = design.assign(**{k: ycols[k].to_numpy() for k in mean_vars},
                               _top2=scores["top2"].to_numpy())
        alpha_x = iscore[alpha_items] if alpha_items else None

    pieces = []
    for level in ctx.levels:
        frame, cpos = unit_frame(ds, level)
        cmap = pd.Series(frame["unit_id"].to_numpy()[cpos.to_numpy()], index=cpos.index)
        index = pd.Index(frame["unit_id"].astype("str").to_numpy())
        size = len(frame)
        blocks: list[dict] = []
        if not have:
            if want["satisfaction_index"]:
                blocks.append(_empty_block("satisfaction_index", size))
            if want["satisfaction_dimension"]:
                blocks += [_empty_block("satisfaction_dimension", size, d) for d in dims]
            if want["satisfaction_overall_top2"]:
                blocks.append(_empty_block("satisfaction_overall_top2", size))
            if want["satisfaction_alpha"]:
                blocks.append(_empty_block("satisfaction_alpha", size))
        else:
            unit = cmap.reindex(wave["community_id"].to_numpy()).to_numpy(dtype=object)
            data = design.assign(unit_id=unit)  # NA unit: in the design, in no domain
            est = _svy(data, list(mean_vars), kw, "normal") if mean_vars else None
            by_var = dict(tuple(est.groupby("variable", sort=False))) if est is not None else {}
            if want["satisfaction_index"]:
                blocks.append(_block("satisfaction_index", by_var.get("_index"), index))
            if want["satisfaction_dimension"]:
                blocks += [_block("satisfaction_dimension", by_var.get(f"_dim_{d}"), index, d)
                           for d in dims]
            if want["satisfaction_overall_top2"]:
                top = (_svy(data, "_top2", kw, "logit") if scores["top2"].notna().any() else None)
                blocks.append(_block("satisfaction_overall_top2", top, index))
            if want["satisfaction_alpha"]:
                blocks.append(_block("satisfaction_alpha", _alpha(alpha_x, unit, ctx.min_n), index))
        if blocks:
            pieces.append(assemble(level, frame, period, [_finish(b, ctx.min_n) for b in blocks],
                                   numeric=_EST, flags=("suppressed",)))
    if not pieces:
        return empty()
    return finalize(pd.concat(pieces, ignore_index=True))


def _alpha(iscore: pd.DataFrame | None, unit: np.ndarray, min_n: int) -> pd.DataFrame | None:
    """Cronbach's alpha per unit on complete cases of the answered items.

    Returns unit_id, value, ci_low, ci_high, n (complete cases); alpha is
    estimated only where it will be shown (n >= min_n) and defined (n >= 2).
    """
    if iscore is None:
        return None
    answered = [c for c in iscore.columns if iscore[c].notna().any()]
    if len(answered) < 2:
        return None
    x = iscore[answered].to_numpy(dtype="float64")
    keep = ~np.isnan(x).any(axis=1) & ~pd.isna(unit)
    if not keep.any():
        return None
    u = pd.Series(unit[keep]).astype("str")
    n = u.value_counts(sort=False)
    out = pd.DataFrame({"unit_id": n.index.to_numpy(), "n": n.to_numpy(dtype="float64")})
    ok = n.index[(n >= max(min_n, 2)).to_numpy()]
    if len(ok):
        from evalkit.stats.reliability import cronbach_alpha

        sel = u.isin(ok).to_numpy()
        sub = pd.DataFrame(x[keep][sel], columns=answered)
        sub["unit_id"] = u.to_numpy()[sel]
        res = cronbach_alpha(sub, items=answered, by="unit_id")
        res = res.rename(columns={"alpha": "value"})[["unit_id", "value", "ci_low", "ci_high"]]
        res["unit_id"] = res["unit_id"].astype("str")
        out = out.merge(res, on="unit_id", how="left")
    return out
