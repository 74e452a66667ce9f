"""Pilot comparison (试点对比): piloted against other communities.

:func:`compare_panel` takes a panel (one row per unit and year) and returns
the long output table (docs/INDICATORS.md, "Pilot comparison"):

===================  ===========================  ==========================================
indicator            period                       value
===================  ===========================  ==========================================
``pilot_did``        window ``2016-2024``          two-way FE DiD (CR1 unit clusters, t(G−1))
``pilot_att``        window                        Callaway–Sant'Anna, "group" aggregation θ^O_sel
``pilot_att_group``  cohort year ``2019``          each cohort's mean post-pilot effect
``pilot_att_gt``     ``2019/2021`` (cohort/year)   ATT(g,t)
``pilot_event``      ``-3`` … ``4``                "dynamic" aggregation (event study)
``pilot_pretrend``   window                        Wald χ² of the pre-period ATT(g,t); p_value
===================  ===========================  ==========================================

``category`` holds the outcome.  Below 10 piloted units the p-values come
from randomisation inference and the note says ``few piloted units``.  The
pre-trend p-value is a randomisation p-value by default (``pretrend=
"randomization"``): the asymptotic χ² p-value of R ``did`` over-rejects with
cohorts of a handful of units (about 19 % at a nominal 5 % on panels like the
demo data; docs/PILOT.md); ``pretrend="asymptotic"`` gives R's p-value.
:func:`compare` builds the panel from a Dataset (via
``evalkit.families.outcome_panel``) and the communities' pilot start dates;
:func:`compare_cli` serves ``evalkit compare``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, EvalkitError, ParameterError, check_choice
from evalkit.families._frame import CITY_ID, CITY_NAME, finalize, interval_disagrees
from evalkit.stats import did as _did

__all__ = ["compare", "compare_panel", "compare_cli", "first_piloted_year", "explain", "FEW_UNITS"]

#: Below this many piloted units, p-values come from randomisation inference.
FEW_UNITS = 10
INDICATORS = ("pilot_did", "pilot_att", "pilot_att_group", "pilot_att_gt", "pilot_event", "pilot_pretrend")


def compare_panel(panel: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str,
                  control: str = "never", cluster: str | None = None, weights: str | None = None,
                  start: int | None = None, end: int | None = None, seed: int = 20241,
                  draws: int = 999, level: str = "city", unit_id: str = CITY_ID,
                  unit_name: str = CITY_NAME, district: str = CITY_ID,
                  category: str | None = None, pretrend: str = "randomization") -> pd.DataFrame:
    """Compare piloted with other units on a panel: DiD, staggered ATT, event study, pre-trend.

    Parameters
    ----------
    panel
        Long panel, one row per unit and year.
    outcome, unit, time, first_treated
        Columns: the outcome (numeric), the unit id, the year, and the first
        piloted year (empty or 0 = never piloted; constant within a unit).
    control
        ``"never"``: never-piloted units are the controls; ``"notyet"``:
        never or not yet piloted units.
    cluster
        Cluster column for standard errors (default: the unit).
    weights
        Unit weights (constant within a unit), e.g. households.
    start, end
        The window (years, inclusive); default the panel's first and last year.
    seed, draws
        Randomisation inference (used below 10 piloted units, and for the
        pre-trend p-value).
    level, unit_id, unit_name, district, category
        Labels of the output rows (``category`` defaults to ``outcome``).
    pretrend
        p-value of the ``pilot_pretrend`` row: ``"randomization"`` (default;
        the Wald statistic referred to its randomisation distribution, correct
        size with few units per cohort) or ``"asymptotic"`` (χ²_q, as R
        ``did``).  ``value`` is the Wald statistic either way and the note
        gives both p-values.

    Returns
    -------
    DataFrame
        The long output table (``evalkit.families._frame.COLUMNS``) with the
        rows described in the module docstring.  ``n`` is the number of units
        the value rests on.

    Notes
    -----
    Units piloted in or before the window's first year have no pre-period
    and are left out; units piloted after the window count as never piloted
    within it; units missing a year of the window are left out (balanced
    panel, as R ``did``).  The note says how many.  See
    :mod:`evalkit.stats.did` for the formulas: TWFE with CR1 standard errors
    and t(G−1) intervals; Callaway & Sant'Anna (2021) with analytic
    influence-function standard errors and Welch–Satterthwaite t intervals
    by cohort (:func:`evalkit.stats.did._welch`; R ``did``'s normal
    intervals are too narrow with a few units a cohort); the Wald
    pre-test (low power: Roth 2022).  With fewer than 10 piloted units the
    p_value of every row but the pre-test is a randomisation-inference
    p-value (``draws`` permutations of the first-treated years across units,
    ``numpy.random.default_rng(seed)``).  The pre-test's p-value is
    :math:`(1 + \\#\\{W^*_b \\ge W\\})/(1 + B)` over ``draws`` such
    permutations, each with its own studentised Wald statistic :math:`W^*_b`,
    after the estimated post-period effects are removed from the piloted
    units' outcomes (:func:`evalkit.stats.did.pretrend_test`).

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Journal of Econometrics 225(2), 200–230.
    Roth, J. (2022). AER: Insights 4(3), 305–322.
    MacKinnon, J. G. & Webb, M. D. (2017). Journal of Applied Econometrics 32(2), 233–254.
    """
    check_choice("control", control, ["never", "notyet"])
    check_choice("pretrend", pretrend, ["randomization", "asymptotic"])
    if not isinstance(panel, pd.DataFrame):
        raise ParameterError("panel 必须是 DataFrame。", "panel must be a DataFrame.")
    if draws < 99:
        raise ParameterError(f"随机化推断至少需要 99 次抽取，传入的是 {draws}。",
                             f"Randomisation inference needs at least 99 draws; {draws} was passed.")
    category = outcome if category is None else category
    p = _did.prepare_panel(panel, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                           cluster=cluster, weights=weights, start=start, end=end)
    y1 = int(start) if start is not None else int(p.times[0])
    y2 = int(end) if end is not None else int(p.times[-1])
    window = f"{y1}-{y2}"
    notes = [f"control: {'never piloted' if control == 'never' else 'not yet piloted'}",
             "Welch-Satterthwaite t intervals by cohort"]
    if p.dropped_early:
        notes.append(f"{p.dropped_early} units piloted by {int(p.times[0])} left out")
    if p.dropped_incomplete:
        notes.append(f"{p.dropped_incomplete} units missing years left out")

    # TWFE on the balanced panel as prepared (CS may trim periods without never-treated units).
    Y, times = p.Y, p.times
    # Welch–Satterthwaite t intervals by cohort: cohorts of a handful of piloted communities
    # make the normal interval too narrow (87–91% coverage in simulation)
    cs = _did.callaway_santanna(p, control=control, ci="welch")  # checks the controls first
    n_u, n_t = Y.shape
    u = np.repeat(np.arange(n_u), n_t)
    t = np.tile(np.arange(n_t), n_u)
    d = ((p.G[:, None] > 0) & (times[None, :] >= p.G[:, None])).astype(float).ravel()
    tw = _did.twfe_did(p).iloc[0]
    if cs.panel.trimmed_from is not None:
        notes.append(f"no never-treated units: periods from {cs.panel.trimmed_from} dropped")
    n_treated = int((p.G > 0).sum())
    few = n_treated < FEW_UNITS
    ri = _did.randomization_inference(p, control=control, draws=draws, seed=seed, cs=cs) if few else None
    base_note = "; ".join(([f"few piloted units ({n_treated}): randomisation inference p, {draws} draws"]
                           if few else []) + notes)

    rows = []

    def add(ind, period, value, se, lo, hi, pv, n, note=base_note):
        rows.append(dict(indicator=ind, period=str(period), value=value, se=se, ci_low=lo, ci_high=hi,
                         p_value=pv, n=n, note=note))

    add("pilot_did", window, tw["value"], tw["se"], tw["ci_low"], tw["ci_high"],
        ri["twfe"] if few else tw["p_value"], n_u,
        "; ".join([f"two-way FE, CR1 clusters, t({tw['df']})", base_note]))
    gt = cs.gt
    for i, r in gt.iterrows():
        add("pilot_att_gt", f"{r['group']}/{r['time']}", r["att"], r["se"], r["ci_low"], r["ci_high"],
            ri["att_gt"][i] if few else r["p_value"], int(r["n_treated"] + r["n_control"]))
    agg = {k: _did.aggregate(cs, k) for k in ("group", "dynamic")}
    g = agg["group"]
    ov = g.iloc[-1]
    add("pilot_att", window, ov["value"], ov["se"], ov["ci_low"], ov["ci_high"],
        ri["group"]["overall"] if few else ov["p_value"], n_u,
        "; ".join(["Callaway-Sant'Anna, group aggregation", base_note]))
    sizes = pd.Series(p.G).value_counts()
    n_ctrl = int((p.G == 0).sum())
    for j, r in g.iloc[:-1].reset_index(drop=True).iterrows():
        add("pilot_att_group", int(r["key"]), r["value"], r["se"], r["ci_low"], r["ci_high"],
            ri["group"]["p"][j] if few else r["p_value"], int(sizes.get(r["key"], 0)) + n_ctrl)
    e = agg["dynamic"]
    for j, r in e.iloc[:-1].reset_index(drop=True).iterrows():
        add("pilot_event", int(r["key"]), r["value"], r["se"], r["ci_low"], r["ci_high"],
            ri["dynamic"]["p"][j] if few else r["p_value"], n_u)
    pt = _did.pretrend_test(cs, method=pretrend, draws=draws, seed=seed)
    if pretrend == "randomization":
        how = (f"p: randomisation inference of the Wald statistic ({pt['draws']} permutations of the "
               f"first-treated years, seed {seed}, post-pilot effects removed); asymptotic chi2 p "
               f"(R did) = {pt['p_asymptotic']:.4g}, too small with few units per cohort")
    else:
        how = "p: asymptotic chi2 (as R did); it over-rejects with few units per cohort"
    pt_note = (f"Wald chi2, {pt['df']} pre-period cells; {how}; low power, passing it is weak evidence "
               f"of parallel trends (Roth 2022)")
    if not np.isfinite(pt["statistic"]):
        pt_note = "no pre-period cells or singular covariance: not computed"
    add("pilot_pretrend", window, pt["statistic"], np.nan, np.nan, np.nan, pt["p_value"], n_u,
        "; ".join([pt_note, base_note]))
    out = pd.DataFrame(rows)
    out["level"], out["unit_id"], out["unit_name"], out["district"] = level, unit_id, unit_name, district
    out["category"] = category
    return finalize(out)


def first_piloted_year(pilot: pd.Series, pilot_start: pd.Series) -> pd.Series:
    """A community's first piloted year: year of pilot_start if on or before 30 June, else the next.

    Returns ``Int64``: 0 for never piloted, NA for a pilot without a start date.
    """
    ps = pd.to_datetime(pilot_start, errors="coerce")
    yr = ps.dt.year + ((ps.dt.month > 6).astype("Int64"))
    flag = pd.Series(pilot, index=pilot_start.index).astype("boolean").fillna(False)
    out = pd.Series(pd.array(np.zeros(len(ps), dtype=np.int64), dtype="Int64"), index=pilot_start.index)
    has = flag.to_numpy(dtype=bool) | ps.notna().to_numpy()
    out[has] = yr[has].astype("Int64")
    return out


def compare(ds, *, outcome: str, start: int, end: int, control: str = "never", level: str = "city",
            district: str | None = None, seed: int = 20241, draws: int = 999,
            pretrend: str = "randomization") -> pd.DataFrame:
    """Pilot comparison on a Dataset for a community-level yearly indicator.

    Parameters
    ----------
    ds
        A loaded :class:`evalkit.io.dataset.Dataset` (needs ``communities``
        with ``pilot`` / ``pilot_start`` and the tables of the indicator).
    outcome
        Indicator id with community-level yearly values, e.g. ``dispute_rate``,
        ``satisfaction_index``, ``volunteer_active_rate``.
    start, end
        The window (years, inclusive).
    control
        ``"never"`` or ``"notyet"`` (see :func:`compare_panel`).
    level
        ``"city"`` (all communities) or ``"district"`` (one comparison per
        district, or only ``district`` when given).
    district
        Restrict to one district (rows at level ``district``).
    seed, draws
        Randomisation inference (below 10 piloted units, and the pre-trend p-value).
    pretrend
        ``"randomization"`` (default) or ``"asymptotic"`` (R ``did``'s χ²
        p-value); see :func:`compare_panel`.

    Returns
    -------
    DataFrame
        The long output table of :func:`compare_panel`, ``category`` = outcome.

    Notes
    -----
    A community's first piloted year is the year of ``pilot_start`` when it
    falls on or before 30 June, else the next year.  Communities piloted in
    or before ``start`` are left out (no pre-period) and the note says how
    many; piloted communities without a start date are left out too.

    References
    ----------
    docs/INDICATORS.md, "Pilot comparison".
    """
    from evalkit.io.dataset import require_dataset

    require_dataset(ds)
    check_choice("control", control, ["never", "notyet"])
    check_choice("level", level, ["city", "district"])
    check_choice("pretrend", pretrend, ["randomization", "asymptotic"])
    if start is None or end is None:
        raise ParameterError("数据集的试点对比需要起止年份（--from 与 --to）。",
                             "A pilot comparison on a dataset needs the first and last year (--from and --to).")
    start, end = int(start), int(end)
    if start >= end:
        raise ParameterError(f"起始年 {start} 必须早于结束年 {end}。",
                             f"The first year {start} must come before the last year {end}.")
    from evalkit.families import outcome_panel

    com = ds["communities"]
    panel = outcome_panel(ds, outcome, list(range(start, end + 1)))
    if not {"community_id", "year", "value"} <= set(panel.columns):  # pragma: no cover - interface guard
        raise DataError("outcome_panel 返回的表缺少列。", "outcome_panel returned a table without the expected columns.")
    ft = first_piloted_year(com["pilot"] if "pilot" in com else pd.Series(False, index=com.index),
                            com["pilot_start"] if "pilot_start" in com else pd.Series(pd.NaT, index=com.index))
    info = pd.DataFrame({"community_id": com["community_id"].astype("str").to_numpy(),
                         "district": com["district"].astype("str").to_numpy(),
                         "first_treated": ft.to_numpy(dtype="float64", na_value=np.nan)})
    no_date = int(info["first_treated"].isna().sum())
    info = info[info["first_treated"].notna()]
    panel = panel.assign(community_id=panel["community_id"].astype("str"))
    panel = panel.merge(info, on="community_id", how="inner")
    extra = f"{no_date} piloted communities without pilot_start left out" if no_date else None

    def one(sub, lvl, uid, uname, dist):
        res = compare_panel(sub, outcome="value", unit="community_id", time="year",
                            first_treated="first_treated", control=control, start=start, end=end,
                            seed=seed, draws=draws, level=lvl, unit_id=uid, unit_name=uname,
                            district=dist, category=outcome, pretrend=pretrend)
        if extra:
            res["note"] = res["note"].astype("str") + "; " + extra
        return res

    if district is not None:
        sub = panel[panel["district"] == district]
        if sub.empty:
            raise ParameterError(f"数据集中没有区县 {district!r} 的数据。",
                                 f"The dataset has no data for district {district!r}.")
        return one(sub, "district", district, district, district)
    if level == "city":
        return one(panel, "city", CITY_ID, CITY_NAME, CITY_ID)
    parts, errors = [], []
    for dist, sub in panel.groupby("district", sort=True):
        try:
            parts.append(one(sub, "district", dist, dist, dist))
        except EvalkitError as err:
            errors.append((dist, err))
    if not parts:
        raise errors[0][1]
    import warnings

    for dist, err in errors:  # a district left out is said, not dropped in silence
        warnings.warn(f"区县 {dist} 没有试点对比：{err.zh}\nNo pilot comparison for district {dist}: {err.en}",
                      UserWarning, stacklevel=2)
    return finalize(pd.concat(parts, ignore_index=True))


# --------------------------------------------------------------------------- plain words


def _outcome_name(outcome, lang: str) -> str:
    """The catalog's name of an indicator outcome (a panel column stays as it is)."""
    from evalkit.exceptions import ParameterError
    from evalkit.families.catalog import entry

    try:
        e = entry(str(outcome))
    except ParameterError:  # not a catalog id: a column of the user's own panel
        return str(outcome)
    return f"{e['name_zh']}" if lang == "zh" else f"{e['name_en'].lower()}"


def explain(result: pd.DataFrame, lang: str = "zh") -> str:
    """A few sentences for a non-statistician: what was compared, the effect, pre-trends, caveats.

    Parameters
    ----------
    result
        Output of :func:`compare` or :func:`compare_panel` (one unit).
    lang
        ``"zh"`` or ``"en"``.
    """
    check_choice("lang", lang, ["zh", "en"])
    r = result.set_index("indicator")
    if "pilot_att" not in r.index:
        return "没有试点对比结果。" if lang == "zh" else "There is no pilot comparison result."
    att = r.loc[["pilot_att"]].iloc[0]
    did = r.loc[["pilot_did"]].iloc[0]
    pt = r.loc[["pilot_pretrend"]].iloc[0]
    outcome, window = _outcome_name(att["category"], lang), att["period"]
    note = str(att["note"])
    few = "few piloted units" in note
    ctrl_never = "never piloted" in note
    sig = pd.notna(att["p_value"]) and att["p_value"] < 0.05
    covers0 = bool(att["ci_low"] <= 0 <= att["ci_high"])
    clash = interval_disagrees(att)
    pt_na = pd.isna(pt["p_value"])  # no pre-period cell to test (e.g. every cohort starts in year 2)
    pt_ok = not pt_na and pt["p_value"] >= 0.05

    def f(x):
        if pd.isna(x):
            return "—"
        return f"{x:.3g}"

    def fp(x):
        return "—" if pd.isna(x) else ("<0.001" if x < 0.001 else f"{x:.3g}")

    if lang == "zh":
        s = [f"比较内容：{window} 年间，试点社区在试点后「{outcome}」的变化，与"
             f"{'从未试点' if ctrl_never else '尚未试点'}社区同期变化之差（双重差分）。",
             f"平均试点效应（Callaway–Sant'Anna 方法）为 {f(att['value'])}，"
             f"95% 置信区间 [{f(att['ci_low'])}, {f(att['ci_high'])}]，p = {fp(att['p_value'])}。"
             + ("在 5% 水平上统计显著。" if sig else "在 5% 水平上不显著，不能排除没有效应。")
             + (f"但置信区间{'包含' if covers0 else '不含'} 0：区间（按试点批次的 Welch t 近似）与随机化推断的"
                "p 值结论不一致，效应应视为不确定。" if clash else ("（区间包含 0。）" if covers0 else "")),
             f"传统双向固定效应估计为 {f(did['value'])}（区间 [{f(did['ci_low'])}, {f(did['ci_high'])}]）；"
             "试点年份不一时它可能有偏，以上一行为准。",
             ("试点前的趋势无法检验（没有可比的试点前年份，或每个试点年份的试点社区太少），平行趋势只能是假设。" if pt_na else
              ("试点前两组的变化趋势看起来是平行的" if pt_ok else "试点前两组的变化趋势不平行，结果需谨慎解读")
              + f"（前期检验 p = {fp(pt['p_value'])}）。注意：该检验功效较低，通过检验不等于证明趋势平行。")]
        if few:
            s.append("试点社区少于 10 个，p 值来自随机化推断（把试点身份随机重新分配）；"
                     "置信区间是按试点批次计算的 Welch t 区间，只是近似，结论更不确定。")
        s.append("注意：试点社区并非随机选定，其他同期政策或社区差异也可能造成差别。")
    else:
        s = [f"What was compared: over {window}, the change in {outcome} of piloted communities after their "
             f"pilot began, against the change in {'never' if ctrl_never else 'not yet'} piloted "
             "communities over the same years (difference in differences).",
             f"The average pilot effect (Callaway–Sant'Anna) is {f(att['value'])}, 95% interval "
             f"[{f(att['ci_low'])}, {f(att['ci_high'])}], p = {fp(att['p_value'])}. "
             + ("It is statistically significant at the 5% level." if sig
                else "It is not significant at the 5% level: no effect cannot be ruled out.")
             + (f" But the interval {'includes' if covers0 else 'excludes'} 0: the interval (a Welch t "
                "approximation by pilot cohort) and the randomisation p-value disagree, so treat the effect "
                "as uncertain." if clash else (" (The interval includes 0.)" if covers0 else "")),
             f"The classic two-way fixed-effects estimate is {f(did['value'])} (interval "
             f"[{f(did['ci_low'])}, {f(did['ci_high'])}]); with pilots starting in different years it "
             "can be biased, so rely on the line above.",
             ("Pre-pilot trends could not be tested (no comparable pre-pilot years, or too few piloted "
              "communities per pilot year): parallel trends "
              "are an assumption here." if pt_na else
              ("Before the pilots, the two groups moved in parallel" if pt_ok
               else "Before the pilots, the two groups did not move in parallel; read the result with care")
              + f" (pre-trend test p = {fp(pt['p_value'])}). This test has low power: passing it does not "
              "prove parallel trends.")]
        if few:
            s.append("Fewer than 10 communities were piloted: p-values come from randomisation inference "
                     "(reassigning the pilots at random); the intervals are Welch t intervals by pilot "
                     "cohort, an approximation, so the result is more uncertain.")
        s.append("Caveat: pilots were not chosen at random; other policies or differences between "
                 "communities may also explain a difference.")
    return "\n".join(s)


# --------------------------------------------------------------------------- CLI


def _read_panel(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"找不到面板文件 {p.name}。", f"The panel file {p.name} was not found.")
    suf = p.suffix.lower()
    try:
        if suf in (".xlsx", ".xls"):
            return pd.read_excel(p)
        if suf == ".parquet":
            return pd.read_parquet(p)
        import io

        from evalkit.io.read import detect_encoding

        # the same detection as a dataset's tables: UTF-8 (BOM or not), GBK / GB18030
        data = p.read_bytes()
        enc = detect_encoding(data) or "utf-8-sig"
        return pd.read_csv(io.BytesIO(data), encoding=enc)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise DataError(f"无法读取面板文件 {p.name}（{type(err).__name__}）。",
                        f"The panel file {p.name} cannot be read ({type(err).__name__}).") from None


def _write(df: pd.DataFrame, path: str) -> None:
    try:
        from evalkit.families.output import write_table
    except ImportError:
        write_table = None
    if write_table is not None:
        write_table(df, path)
    else:
        df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


_LABELS = {
    "pilot_did": ("双向固定效应双重差分", "two-way FE DiD"),
    "pilot_att": ("平均试点效应 (CS)", "average pilot effect (CS)"),
    "pilot_att_group": ("按试点批次", "by pilot cohort"),
    "pilot_att_gt": ("批次/年份", "cohort/year"),
    "pilot_event": ("事件研究（相对年份）", "event study (years from start)"),
    "pilot_pretrend": ("前期平行趋势检验 (Wald)", "pre-trend test (Wald)"),
}


def table_text(result: pd.DataFrame, lang: str = "zh") -> str:
    """A readable bilingual text table of a comparison (for the terminal)."""
    lines = []
    for unit_id, part in result.groupby("unit_id", sort=True):
        lines.append(f"== {part['unit_name'].iloc[0]} ({unit_id}) · {part['category'].iloc[0]} ==")
        lines.append(f"{'指标 indicator':<34}{'期 period':>12}{'估计 value':>12}{'标准误 se':>11}"
                     f"{'95% 区间 CI':>24} {'p':>8}{'n':>7}")
        for ind in INDICATORS:
            sub = part[part["indicator"] == ind]
            if sub.empty:
                continue
            zh, en = _LABELS[ind]
            lines.append(f"-- {zh} / {en}")
            if ind == "pilot_event":
                sub = sub.assign(_k=pd.to_numeric(sub["period"], errors="coerce")).sort_values("_k")
            for _, r in sub.iterrows():
                ci = "" if pd.isna(r["ci_low"]) else f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}]"
                lines.append(f"{'':<34}{r['period']:>12}{_fmt(r['value']):>12}{_fmt(r['se']):>11}"
                             f"{ci:>24} {_fmt(r['p_value']):>8}{'' if pd.isna(r['n']) else int(r['n']):>7}")
        notes = part.loc[part["indicator"] == "pilot_att", "note"]
        if len(notes):
            lines.append(f"注 note: {notes.iloc[0]}")
        lines.append("")
        lines.append(explain(part, lang=lang))
        lines.append("")
    return "\n".join(lines)


def _fmt(x) -> str:
    return "" if pd.isna(x) else f"{x:.4g}"


def compare_cli(args) -> int:
    """Run ``evalkit compare`` from parsed arguments (see evalkit/cli.py)."""
    if args.panel:
        missing = [f"--{n.replace('_', '-')}" for n in ("unit", "time", "first_treated")
                   if not getattr(args, n, None)]
        if missing:
            raise ParameterError(f"使用 --panel 时必须给出 {' '.join(missing)}。",
                                 f"With --panel, {' '.join(missing)} must be given.")
        panel = _read_panel(args.panel)
        result = compare_panel(panel, outcome=args.outcome, unit=args.unit, time=args.time,
                               first_treated=args.first_treated, control=args.control,
                               cluster=getattr(args, "cluster", None), start=args.start, end=args.end,
                               seed=args.seed, pretrend=getattr(args, "pretrend", None) or "randomization")
    else:
        if not args.data:
            raise ParameterError("请给出数据集文件夹，或用 --panel 给出面板文件。",
                                 "Give a dataset folder, or a panel file with --panel.")
        from evalkit.io import load

        ds = load(args.data)
        if getattr(args, "validate", True):  # as `evalkit indicators` does: errors first, located
            from evalkit.io.validate import refuse_invalid

            refuse_invalid(ds)
        result = compare(ds, outcome=args.outcome, start=args.start, end=args.end, control=args.control,
                         level="district" if args.district else "city", district=args.district,
                         seed=args.seed, pretrend=getattr(args, "pretrend", None) or "randomization")
    if args.out:
        _write(result, args.out)
        print(f"已写出 wrote {args.out} ({len(result)} 行 rows)")
    else:
        print(table_text(result, lang=getattr(args, "lang", "zh")))
    return 0
