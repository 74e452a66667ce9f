"""A pilot comparison in words, in Chinese or English, rendered from its facts.

Every sentence about a comparison -- the rows' notes, the plain-language
paragraph, the terminal table, the notebook's HTML -- is written here from the
typed :class:`~evalkit.pilot.PilotFacts`, so no reader searches a note string.
"""

from __future__ import annotations

import unicodedata
from html import escape

import pandas as pd

from evalkit.families._frame import CITY_ID, CITY_NAME, interval_disagrees
from evalkit.pilot._result import FEW_UNITS, INDICATORS, PilotFacts
from evalkit.vocabulary import fmt_interval, fmt_p, fmt_value

LABELS = {
    "pilot_att": ("平均试点效应（Callaway–Sant'Anna）", "average pilot effect (Callaway–Sant'Anna)"),
    "pilot_did": ("双向固定效应双重差分", "two-way fixed-effects DiD"),
    "pilot_pretrend": ("试点前平行趋势检验（Wald）", "pre-trend test (Wald)"),
    "pilot_att_group": ("按试点批次", "by pilot cohort"),
    "pilot_event": ("事件研究（相对试点开始的年份）", "event study (years from the start)"),
    "pilot_att_gt": ("批次/年份", "cohort/year"),
}


def label(indicator: str, lang: str) -> str:
    """The row label of a pilot indicator."""
    zh, en = LABELS[indicator]
    return zh if lang == "zh" else en


def outcome_name(outcome: str, lang: str) -> str:
    """The catalog's name of an indicator outcome; a column of the user's own panel stays as it is."""
    from evalkit.families.catalog import entry, ids

    if outcome not in ids():
        return str(outcome)
    e = entry(outcome)
    return e["name_zh"] if lang == "zh" else e["name_en"][:1].lower() + e["name_en"][1:]


def unit_label(f: PilotFacts, lang: str) -> str:
    """The unit's name; the whole city named in ``lang``."""
    if f.level == "city" and f.unit_id == CITY_ID:
        return CITY_NAME if lang == "zh" else "whole city"
    return f.unit_name


# --------------------------------------------------------------------------- numbers


# Numbers are written by the vocabulary's formatters (one notation in every output):
# about three significant figures, "p < 0.001", "lo 至 hi" / "lo to hi", "—" when missing.


def num(x) -> str:
    """An estimate as every output writes it (``-1.60``, ``0.0123``, ``1,234``); "—" when missing."""
    return fmt_value(x, "ratio")


def p_text(p, lang: str) -> str:
    """``p < 0.001`` or ``p = 0.012``; a missing p-value said in words."""
    if pd.isna(p):
        return "p 无法计算" if lang == "zh" else "no p-value"
    return fmt_p(p)


def ci_text(lo, hi, lang: str = "en") -> str:
    """``lo 至 hi`` / ``lo to hi`` (both ends with the same decimals); "—" when the interval is missing."""
    return fmt_interval(lo, hi, "ratio", lang)


def _row(rows: pd.DataFrame, indicator: str) -> pd.Series | None:
    r = rows.loc[rows["indicator"] == indicator]
    return r.iloc[0] if len(r) else None


# --------------------------------------------------------------------------- notes


def note(f: PilotFacts, indicator: str, lang: str) -> str:
    """The note of a row of ``indicator``: method, control group, inference, units left out."""
    zh = lang == "zh"
    parts = []
    if indicator == "pilot_did":
        parts.append(f"双向固定效应，按单位聚类（CR1）标准误，t({f.did_df}) 区间" if zh
                     else f"two-way FE, CR1 clusters, t({f.did_df})")
    elif indicator == "pilot_att":
        parts.append("Callaway–Sant'Anna 方法，按试点批次聚合" if zh else "Callaway-Sant'Anna, group aggregation")
    elif indicator == "pilot_pretrend":
        parts.append(_pretrend_note(f, zh))
    if f.few_units and indicator != "pilot_pretrend":
        parts.append(f"试点单位少（{f.n_piloted} 个）：p 值来自随机化推断（{f.draws} 次重新分配）" if zh
                     else f"few piloted units ({f.n_piloted}): randomisation inference p, {f.draws} draws")
    if zh:
        parts.append("对照组：从未试点的单位" if f.control == "never" else "对照组：从未或尚未试点的单位")
    else:
        parts.append("control: never piloted" if f.control == "never" else "control: never or not yet piloted")
    if indicator not in ("pilot_did", "pilot_pretrend"):
        parts.append("区间：按试点批次的 Welch–Satterthwaite t 区间" if zh
                     else "Welch-Satterthwaite t intervals by cohort")
    parts.extend(left_out(f, lang))
    return ("；" if zh else "; ").join(parts)


def _pretrend_note(f: PilotFacts, zh: bool) -> str:
    if f.pretrend_cells == 0 or pd.isna(f.pretrend_p_asymptotic):
        return "没有试点前单元或协方差奇异：未计算" if zh else \
            "no pre-period cells or singular covariance: not computed"
    pa = p_text(f.pretrend_p_asymptotic, "zh" if zh else "en")[2:]  # "< 0.001" or "= 0.168"
    if f.pretrend_method == "randomization":
        how = (f"p 值：对 Wald 统计量做随机化推断（重新分配首次试点年份 {f.pretrend_draws} 次，种子 {f.seed}，"
               f"已扣除试点后的效应）；渐近卡方 p 值（同 R did）{pa}，每批单位很少时偏小") if zh else \
              (f"p: randomisation inference of the Wald statistic ({f.pretrend_draws} permutations of the "
               f"first-treated years, seed {f.seed}, post-pilot effects removed); asymptotic chi2 p (R did) "
               f"{pa}, too small with few units per cohort")
    else:
        how = "p 值：渐近卡方（同 R did），每批单位很少时会过多拒绝" if zh else \
            "p: asymptotic chi2 (as R did); it over-rejects with few units per cohort"
    return (f"Wald 卡方检验，{f.pretrend_cells} 个试点前单元；{how}；检验功效低，通过检验只是平行趋势的弱证据（Roth 2022）"
            if zh else f"Wald chi2, {f.pretrend_cells} pre-period cells; {how}; low power, passing it is weak "
            "evidence of parallel trends (Roth 2022)")


_LEFT_OUT = (  # fact, Chinese, English (formatted with the facts' fields)
    ("left_out_early", "{left_out_early} 个在 {first_year} 年或更早已试点的单位被排除（没有试点前年份）",
     "{left_out_early} units piloted by {first_year} left out"),
    ("left_out_incomplete", "{left_out_incomplete} 个缺少某年数据的单位被排除",
     "{left_out_incomplete} units missing years left out"),
    ("left_out_no_start", "{left_out_no_start} 个没有试点开始日期的试点社区被排除",
     "{left_out_no_start} piloted communities without a pilot start date left out"),
    ("recoded_late", "{recoded_late} 个在 {last_year} 年以后才试点的单位算作从未试点",
     "{recoded_late} units piloted after {last_year} count as never piloted"),
    ("trimmed_from", "没有从未试点的单位：{trimmed_from} 年起的年份不参与 Callaway–Sant'Anna 估计",
     "no never-treated units: periods from {trimmed_from} dropped"),
)


def left_out(f: PilotFacts, lang: str) -> list[str]:
    """The units left out of (or recoded in) the comparison, one phrase each."""
    fields = vars(f)
    return [(zh if lang == "zh" else en).format(**fields) for name, zh, en in _LEFT_OUT
            if fields[name] not in (0, None)]


# --------------------------------------------------------------------------- paragraphs


def headline(f: PilotFacts, rows: pd.DataFrame, lang: str) -> str:
    """One line: the unit, the outcome, the years, the groups, and the average pilot effect."""
    att = _row(rows, "pilot_att")
    name = outcome_name(f.outcome, lang)
    if lang == "zh":
        ctrl = "从未试点" if f.control == "never" else "从未或尚未试点"
        return (f"{unit_label(f, lang)}：「{name}」，{f.first_year}–{f.last_year} 年，{f.n_piloted} 个试点社区对 "
                f"{f.n_control} 个从未试点的社区（对照组：{ctrl}）；平均试点效应 {num(att['value'])}"
                f"（95% 置信区间 {ci_text(att['ci_low'], att['ci_high'], 'zh')}，{p_text(att['p_value'], lang)}）。")
    ctrl = "never piloted" if f.control == "never" else "never or not yet piloted"
    return (f"{unit_label(f, lang)}: {name}, {f.first_year}–{f.last_year}, {f.n_piloted} piloted against "
            f"{f.n_control} never-piloted communities (controls: {ctrl}); average pilot effect "
            f"{num(att['value'])} (95% interval {ci_text(att['ci_low'], att['ci_high'])}, "
            f"{p_text(att['p_value'], lang)}).")


def short(f: PilotFacts, rows: pd.DataFrame) -> str:
    """A console line for ``repr``."""
    att = _row(rows, "pilot_att")
    return (f"{f.unit_id} · {f.outcome} · {f.window}: ATT {num(att['value'])} "
            f"({ci_text(att['ci_low'], att['ci_high'])}), {p_text(att['p_value'], 'en')}; "
            f"{f.n_piloted} piloted / {f.n_control} never piloted"
            + (" (few: randomisation p)" if f.few_units else ""))


def explain(f: PilotFacts, rows: pd.DataFrame, lang: str) -> str:
    """The plain-language paragraph of one unit's comparison."""
    att, did, pt = _row(rows, "pilot_att"), _row(rows, "pilot_did"), _row(rows, "pilot_pretrend")
    name = outcome_name(f.outcome, lang)
    sig = pd.notna(att["p_value"]) and att["p_value"] < 0.05
    no_ci = pd.isna(att["ci_low"]) or pd.isna(att["ci_high"])
    covers0 = not no_ci and bool(att["ci_low"] <= 0 <= att["ci_high"])
    clash = interval_disagrees(att)
    pt_p = pt["p_value"] if pt is not None else float("nan")
    pt_na = pd.isna(pt_p)
    pt_ok = not pt_na and pt_p >= 0.05
    gone = left_out(f, lang)
    if lang == "zh":
        s = [f"比较内容：{f.first_year}–{f.last_year} 年间，试点社区在试点后「{name}」的变化，与"
             f"{'从未试点' if f.control == 'never' else '从未或尚未试点'}社区同期变化之差（双重差分）；"
             f"共 {f.n_piloted} 个试点社区、{f.n_control} 个从未试点的社区。",
             f"平均试点效应（Callaway–Sant'Anna 方法）为 {num(att['value'])}，"
             f"95% 置信区间 {ci_text(att['ci_low'], att['ci_high'], 'zh')}，{p_text(att['p_value'], lang)}。"
             + ("在 5% 水平上统计显著。" if sig else "在 5% 水平上不显著，不能排除没有效应。")
             + (f"但置信区间{'包含' if covers0 else '不含'} 0：区间（按试点批次的 Welch t 近似）与随机化推断的"
                "p 值结论不一致，效应应视为不确定。" if clash
                else "（置信区间无法估计：有的试点批次只有一个社区。）" if no_ci
                else "（区间包含 0。）" if covers0 else ""),
             f"传统双向固定效应估计为 {num(did['value'])}（区间 {ci_text(did['ci_low'], did['ci_high'], 'zh')}）；"
             "试点年份不一时它可能有偏，以上一行为准。"
             + ("试点社区少于 10 个时，它的聚类稳健区间偏窄，不可靠。" if f.few_units else ""),
             ("试点前的趋势无法检验（没有可比的试点前年份，或每个试点年份的试点社区太少），平行趋势只能是假设。" if pt_na else
              ("试点前两组的变化趋势看起来是平行的" if pt_ok else "试点前两组的变化趋势不平行，结果需谨慎解读")
              + f"（前期检验 {p_text(pt_p, lang)}）。注意：该检验功效较低，通过检验不等于证明趋势平行。")]
        if f.few_units:
            s.append(f"试点社区少于 {FEW_UNITS} 个，p 值来自随机化推断（把试点身份随机重新分配）；"
                     "置信区间是按试点批次计算的 Welch t 区间，只是近似，结论更不确定。")
        if gone:
            s.append("样本说明：" + "；".join(gone) + "。")
        s.append("注意：试点社区并非随机选定，其他同期政策或社区差异也可能造成差别。")
    else:
        s = [f"What was compared: over {f.first_year}–{f.last_year}, the change in {name} of piloted communities "
             f"after their pilot began, against the change in {'never' if f.control == 'never' else 'never or not yet'}"
             f" piloted communities over the same years (difference in differences); {f.n_piloted} piloted and "
             f"{f.n_control} never-piloted communities.",
             f"The average pilot effect (Callaway–Sant'Anna) is {num(att['value'])}, 95% interval "
             f"{ci_text(att['ci_low'], att['ci_high'])}, {p_text(att['p_value'], lang)}. "
             + ("It is statistically significant at the 5% level." if sig
                else "It is not significant at the 5% level: no effect cannot be ruled out.")
             + (f" But the interval {'includes' if covers0 else 'excludes'} 0: the interval (a Welch t "
                "approximation by pilot cohort) and the randomisation p-value disagree, so treat the effect "
                "as uncertain." if clash
                else " (No interval: a pilot cohort has a single community.)" if no_ci
                else " (The interval includes 0.)" if covers0 else ""),
             f"The classic two-way fixed-effects estimate is {num(did['value'])} (interval "
             f"{ci_text(did['ci_low'], did['ci_high'])}); with pilots starting in different years it "
             "can be biased, so rely on the line above."
             + (" With fewer than 10 piloted communities its cluster-robust interval is too narrow to rely on."
                if f.few_units else ""),
             ("Pre-pilot trends could not be tested (no comparable pre-pilot years, or too few piloted "
              "communities per pilot year): parallel trends are an assumption here." if pt_na else
              ("Before the pilots, the two groups moved in parallel" if pt_ok
               else "Before the pilots, the two groups did not move in parallel; read the result with care")
              + f" (pre-trend test {p_text(pt_p, lang)}). This test has low power: passing it does not "
              "prove parallel trends.")]
        if f.few_units:
            s.append(f"Fewer than {FEW_UNITS} communities were piloted: p-values come from randomisation inference "
                     "(reassigning the pilots at random); the intervals are Welch t intervals by pilot "
                     "cohort, an approximation, so the result is more uncertain.")
        if gone:
            s.append("Sample: " + "; ".join(gone) + ".")
        s.append("Caveat: pilots were not chosen at random; other policies or differences between "
                 "communities may also explain a difference.")
    return "\n".join(s)


# --------------------------------------------------------------------------- tables


def table_text(result, lang: str) -> str:
    """Every row of every unit as a text table, with the notes and the paragraph (``to_text``)."""
    zh = lang == "zh"
    lines = []
    for f in result.facts:
        part = result.rows(f.unit_id)
        lines.append(f"== {unit_label(f, lang)} ({f.unit_id}) · {outcome_name(f.outcome, lang)} ==")
        head = ("期间", "估计", "标准误", "95% 置信区间", "p", "n") if zh else \
            ("period", "value", "se", "95% CI", "p", "n")
        widths = (12, 12, 11, 24, 10, 7)
        lines.append("".join(_pad(h, w) for h, w in zip(head, widths)))
        for ind in INDICATORS:
            sub = part[part["indicator"] == ind]
            if sub.empty:
                continue
            lines.append(f"-- {label(ind, lang)}")
            for _, r in sub.iterrows():
                p = "" if pd.isna(r["p_value"]) else fmt_p(r["p_value"], label=False)
                cells = (r["period"], _g(r["value"]), _g(r["se"]), ci_text(r["ci_low"], r["ci_high"], lang), p,
                         "" if pd.isna(r["n"]) else str(int(r["n"])))
                lines.append("".join(_pad(c, w) for c, w in zip(cells, widths)))
        lines.append(("注：" if zh else "Note: ") + note(f, "pilot_att", lang))
        lines.append("")
        lines.append(explain(f, part, lang))
        lines.append("")
    return "\n".join(lines)


def _g(x) -> str:
    return "" if pd.isna(x) else f"{x:.4g}"


def _pad(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` terminal columns (a Chinese character takes two)."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(1, width - shown) + text


def sheets(result, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """The workbook of a comparison: the rows (labelled, notes in ``lang``) and a sheet that explains them."""
    from evalkit.families.output import HEADERS_ZH

    zh = lang == "zh"
    frame = result.to_frame(lang)
    frame.insert(1, "indicator_name", [label(i, lang) for i in frame["indicator"]])
    frame.insert(2, "outcome_name", [outcome_name(c, lang) for c in frame["category"]])
    keep = ["indicator", "indicator_name", "outcome_name", "level", "unit_id", "unit_name", "district", "period",
            "value", "se", "ci_low", "ci_high", "p_value", "n", "p_method", "interval_method", "note"]
    rows = frame[keep]
    if zh:
        names = {**HEADERS_ZH, "indicator_name": "指标名称", "outcome_name": "结果变量", "p_method": "p 值方法",
                 "interval_method": "区间方法"}
        rows = rows.assign(p_method=rows["p_method"].map(_P_ZH), interval_method=rows["interval_method"].map(_CI_ZH),
                           level=rows["level"].map(_LEVEL_ZH).fillna(rows["level"]))
        rows = rows.rename(columns=names)
    about = []
    for f in result.facts:
        part = result.rows(f.unit_id)
        about.append((unit_label(f, lang), headline(f, part, lang)))
        about.extend(("", line) for line in explain(f, part, lang).split("\n"))
        about.append(("", ""))
    about_frame = pd.DataFrame(about, columns=["单位", "说明"] if zh else ["unit", "text"])
    return [("试点对比结果" if zh else "pilot comparison", rows), ("说明" if zh else "about", about_frame)]


_LEVEL_ZH = {"city": "全市", "district": "区县", "street": "街道", "community": "社区"}
_P_ZH = {"randomization": "随机化推断", "t": "t 分布", "chi2": "渐近卡方"}
_CI_ZH = {"welch": "按批次 Welch t 区间", "cluster_robust": "聚类稳健（CR1）t 区间", "none": "无"}


def html(result) -> str:
    """A compact HTML table of the headline rows of each unit (a notebook's display of the result)."""
    out = []
    for f in result.facts:
        part = result.rows(f.unit_id)
        body = []
        for ind in ("pilot_att", "pilot_did", "pilot_pretrend"):
            r = _row(part, ind)
            if r is None:
                continue
            est = (f"W = {num(r['value'])}" if ind == "pilot_pretrend" else num(r["value"]))
            ci = "—" if ind == "pilot_pretrend" else ci_text(r["ci_low"], r["ci_high"])
            cells = [label(ind, "zh") + "<br><small>" + escape(label(ind, "en")) + "</small>", est, ci,
                     p_text(r["p_value"], "en"), "" if pd.isna(r["n"]) else str(int(r["n"]))]
            body.append("<tr>" + "".join(f"<td>{c if i == 0 else escape(c)}</td>" for i, c in enumerate(cells))
                        + "</tr>")
        caption = (f"试点对比 pilot comparison · {escape(outcome_name(f.outcome, 'zh'))} · "
                   f"{escape(f.unit_name)} · {f.first_year}–{f.last_year}")
        foot = (f"试点 {f.n_piloted} · 从未试点 {f.n_control} piloted / never piloted"
                + (" · p 值来自随机化推断 randomisation p-values (few units)" if f.few_units else ""))
        out.append(f"<table><caption>{caption}</caption><thead><tr><th>估计 estimate</th><th>值 value</th>"
                   "<th>95% 区间 CI</th><th>p</th><th>n</th></tr></thead><tbody>" + "".join(body)
                   + f"</tbody></table><p><small>{escape(foot)}</small></p>")
    out.append(f"<p><small>.table: {len(result.table)} 行 rows · .explain(\"zh\"|\"en\") · .to_frame()</small></p>")
    return "<div>" + "".join(out) + "</div>"
