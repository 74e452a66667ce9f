"""Labels: the zh/en text table, catalog look-ups, and the words and numbers of the output.

Shared by :mod:`evalkit.plot` and :mod:`evalkit.report` (it sits below both,
so plots never import the report layer).

* Every label, heading and sentence a report shows comes from :data:`TEXT`
  (or from the indicator catalog), never from literals in notebook cells;
  ``t(key, lang, **fields)`` formats one entry.
* ``name(id, lang)``, ``unit(id)``, ``direction(id)``, ``benchmark(id)`` and
  ``entry(id)`` read the catalog (:mod:`evalkit.families.catalog`).
* Notes, units, levels and table names per language, and the number
  formatters (``fmt_value``, ``fmt_change``, ``fmt_diff``, ``fmt_interval``,
  ``fmt_p``), are those of :mod:`evalkit.vocabulary`, re-exported here: that
  module sits below the families and the pilot comparison so that their
  writers use the same words and numbers.
"""

from __future__ import annotations

import functools

from evalkit.vocabulary import (MISSING, decimals, direction_label, fmt_change, fmt_diff, fmt_interval, fmt_p, fmt_value,
                                interval_label, level_label, localised, note_label, table_label, unit_label)

__all__ = ["TEXT", "t", "corpus", "entry", "name", "unit", "direction", "benchmark", "category_label", "check_lang",
           "note_label", "unit_label", "table_label", "level_label", "direction_label", "interval_label",
           "localised", "decimals", "fmt_value", "fmt_change", "fmt_diff", "fmt_interval", "fmt_p", "MISSING"]

TEXT: dict[str, tuple[str, str]] = {
    # cover and pages
    "title": ("{district} {year} 年社区治理评估报告", "{district}: community governance report {year}"),
    "city_title": ("{year} 年全市社区治理评估汇总", "City summary of community governance, {year}"),
    "synthetic_mark": ("示例数据 · synthetic data", "示例数据 · synthetic data"),
    "source": ("数据来源", "Data source"),
    "as_of": ("数据截止", "Data as of"),
    "generated": ("生成时间", "Generated"),
    "unknown": ("未注明", "not stated"),
    # sections
    "sec_summary": ("一、主要指标", "1. Headline figures"),
    "sec_findings": ("二、主要发现", "2. Main findings"),
    "sec_streets": ("三、街道比较", "3. Streets compared"),
    "sec_families": ("四、分领域分析", "4. By family"),
    "sec_pilot": ("五、试点对比", "5. Pilot comparison"),
    "sec_quality": ("附录一 数据质量", "Appendix 1. Data quality"),
    "sec_methods": ("附录二 方法说明", "Appendix 2. Methods"),
    "fam_disputes": ("矛盾纠纷", "Disputes"),
    "fam_volunteers": ("志愿服务", "Volunteers"),
    "fam_cadres": ("社区干部", "Cadres"),
    "fam_satisfaction": ("居民满意度", "Resident satisfaction"),
    "fam_organisation": ("组织与网格", "Organisation and grid"),
    "city_sec_table": ("一、各区比较", "1. Districts side by side"),
    "city_sec_ranks": ("二、各区排名", "2. Ranks"),
    "city_sec_trends": ("三、全市趋势", "3. The city's trends"),
    "city_row": ("全市", "City"),
    "rank_note": ("括号内为在各区中的排名（第 1 名为最好；描述性指标不排名）。",
                  "In brackets: rank among the districts (1 = best; descriptive indicators are not ranked)."),
    "index_source": ("数据来源：{source}；数据截止：{as_of}。", "Data source: {source}; data as of {as_of}."),
    "index_table": ("各区主要指标", "Headline figures by district"),
    "city_sec_pilot": ("四、试点对比", "4. Pilot comparison"),
    # table headers
    "col_indicator": ("指标", "Indicator"),
    "col_value": ("本年", "This year"),
    "col_last": ("上年", "Last year"),
    "col_change": ("变化", "Change"),
    "col_rank": ("区排名", "Rank"),
    "col_target": ("目标", "Target"),
    "col_attain": ("达标情况", "Attainment"),
    "col_benchmark": ("参考值", "Benchmark"),
    "col_unit": ("单位", "Unit"),
    "col_n": ("样本量", "n"),
    "col_district": ("区县", "District"),
    "col_street": ("街道", "Street"),
    "col_status": ("状态", "Status"),
    "col_report": ("报告", "Report"),
    "col_files": ("文件", "Files"),
    "col_duration": ("用时（秒）", "Seconds"),
    "col_error": ("错误", "Error"),
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "by": ("差 {gap}", "by {gap}"),
    "rank_of": ("第 {rank}/{of}", "{rank} of {of}"),
    "ok": ("完成", "done"),
    "failed": ("失败", "failed"),
    "invalid": ("数据校验未通过", "data failed validation"),
    "city_invalid_note": ("注意：以下区县的数据未通过校验，未生成其报告：{districts}。全市数字仍包含这些区县的数据行。",
                          "Note: the data of these districts failed validation and their reports were not built: "
                          "{districts}. City figures still include their rows."),
    # plots
    "month": ("月份", "Month"),
    "rate_per_1000": ("每千户纠纷数", "Cases per 1,000 households"),
    "trend": ("趋势", "Trend"),
    "observed": ("逐月", "Monthly"),
    "pilot_start": ("试点开始", "Pilot start"),
    "term_year": ("届次", "Term"),
    "share": ("占比", "Share"),
    "dimension": ("维度", "Dimension"),
    "score": ("得分（0–100）", "Score (0–100)"),
    "interval": ("95% 置信区间", "95% interval"),
    "year": ("年份", "Year"),
    "event_time": ("相对试点开始的年数", "Years relative to pilot start"),
    # findings
    "f_up": ("{name}由上年的 {last} 变为 {value}，{dir} {pct}。",
             "{name} went from {last} last year to {value}, {dir} {pct}."),
    "rise": ("上升", "up"),
    "fall": ("下降", "down"),
    "f_best_worst": ("{name}最好的街道是{best}（{bv}），最差的是{worst}（{wv}）。",
                     "On {name} the best street is {best} ({bv}) and the worst {worst} ({wv})."),
    "f_rank": ("{name}在全市 {of} 个区中排第 {rank}。", "On {name} the district ranks {rank} of {of}."),
    "f_target": ("考核目标中 {met}/{total} 项已达标。", "{met} of {total} targets are met."),
    "f_pilot": ("试点对比：{name}的估计效应为 {value}（95% 置信区间 {lo} 至 {hi}，{p}）。",
                "Pilot comparison: the estimated effect on {name} is {value} (95% interval {lo} to {hi}, {p})."),
    "f_none": ("本年数据不足，未能生成文字结论。", "There are too few figures this year to state findings."),
    # data quality
    "missing_tables": ("数据集中缺少以下表，相关章节已省略：{tables}。",
                       "These tables are missing from the dataset and their sections are left out: {tables}."),
    "section_missing": ("本区没有{what}数据，此部分从略。", "There are no {what} data for this district; this section is left out."),
    "no_warnings": ("读取数据时未发现问题。", "No problems were found while loading the data."),
    "warnings_head": ("读取数据时的提示（{n} 条）：", "Problems found while loading ({n}):"),
    "suppressed": ("因样本量不足（少于 {min_n} 人）而隐去的单元格：{n} 个。",
                   "Cells suppressed because fewer than {min_n} respondents answered: {n}."),
    "no_loader": ("原始数据未能读取，数据质量检查从略。", "The raw data could not be read; the data-quality checks are left out."),
    "no_pilot": ("本次未做试点对比（缺少试点数据或对比模块）。",
                 "No pilot comparison was made (no pilot data or comparison module)."),
    "no_pilot_district": ("本区试点社区或对照社区太少（{why}），无法单独估计试点效应；下面给出全市的试点对比作参考。",
                          "This district has too few piloted or comparison communities ({why}) to estimate the "
                          "pilot effect on its own; the city-wide comparison is shown instead for reference."),
    "pilot_scope_city": ("以下为全市所有社区的试点对比。", "The comparison below covers every community of the city."),
    "pilot_scope_district": ("以下仅比较本区社区：试点社区与本区未试点社区。",
                             "The comparison below covers this district's communities only: piloted against the "
                             "district's other communities."),
    "pilot_pretrend_caveat": ("读图：试点开始前（灰色）各点应接近 0，否则两组在试点前已有差异。前期趋势检验 {p}，{verdict}",
                              "Reading the plot: the points before the pilot (grey) should lie near 0; otherwise the "
                              "groups differed before the pilots. Pre-trend test {p}: {verdict}"),
    "pretrend_ok": ("未见明显的试点前差异（但该检验功效低）。", "no clear difference before the pilots (but the test has low power)."),
    "pretrend_untested": ("试点前可比较的年份或每个试点年份的试点社区太少，无法检验；请直接看图中试点前各点是否接近 0。",
                          "too few years before the pilots, or too few piloted communities per pilot year, to test it; "
                          "judge from the grey points in the plot."),
    "pretrend_bad": ("试点前两组走势已有差异，试点效应的估计可能有偏，请谨慎解读。",
                     "the groups already differed before the pilots, so the effect estimate may be biased; "
                     "read it with care."),
    "col_method": ("方法", "Method"),
    "col_outcome": ("结果指标", "Outcome"),
    "col_window": ("时间窗口", "Window"),
    "col_estimate": ("估计值", "Estimate"),
    "col_interval": ("95% 置信区间", "95% interval"),
    "col_p": ("p 值", "p"),
    "pilot_att_label": ("平均试点效应（Callaway–Sant'Anna）", "Average pilot effect (Callaway–Sant'Anna)"),
    "pilot_did_label": ("双向固定效应双重差分", "Two-way fixed-effects DiD"),
    "pilot_pretrend_label": ("前期趋势检验（Wald χ²）", "Pre-trend test (Wald χ²)"),
    "f_pilot_sig": ("试点对比：试点社区的{name}比对照社区平均{dir} {value}（{interval}），在 5% 水平上统计显著。",
                    "Pilot comparison: {name} in piloted communities is {value} {dir} than in the comparison "
                    "communities ({interval}), significant at the 5% level."),
    "f_pilot_ns": ("试点对比：试点社区与对照社区的{name}差异为 {value}（{interval}），不显著，不能排除没有效应。",
                   "Pilot comparison: the difference in {name} between piloted and comparison communities is "
                   "{value} ({interval}), not significant: no effect cannot be ruled out."),
    "f_pilot_few": ("试点对比：试点社区与对照社区的{name}差异为 {value}（{interval}）。"
                    "试点社区少于 10 个，p 值取自随机化推断：{p}，{verdict}",
                    "Pilot comparison: the difference in {name} between piloted and comparison communities is "
                    "{value} ({interval}). With fewer than 10 piloted communities the p-value comes from "
                    "randomisation inference: {p}, {verdict}"),
    "pilot_clash": ("但置信区间{inc} 0：区间（按试点批次的 Welch t 近似）与随机化推断的 p 值结论不一致，效应应视为不确定。",
                    "But the interval {inc} 0: the interval (a Welch t approximation by pilot cohort) and the "
                    "randomisation p-value disagree, so treat the effect as uncertain."),
    "includes": ("包含", "includes"),
    "excludes": ("不含", "excludes"),
    "ci_text": ("95% 置信区间 {lo} 至 {hi}", "95% interval {lo} to {hi}"),
    "ci_none": ("区间无法估计：有的试点批次只有一个社区", "no interval: a pilot cohort has a single community"),
    "verdict_sig": ("在 5% 水平上统计显著。", "significant at the 5% level."),
    "verdict_ns": ("不显著，不能排除没有效应。", "not significant: no effect cannot be ruled out."),
    "lower": ("低", "lower"),
    "higher": ("高", "higher"),
    "suppressed_list": ("隐去的单元格（指标 · 单位 · 时期 · 样本量）：", "Suppressed cells (indicator · unit · period · n):"),
    "suppressed_none": ("本报告没有因样本量不足而隐去的单元格（调查类指标受访者均不少于 {min_n} 人）。",
                        "No cell of this report is suppressed (every survey indicator has at least {min_n} respondents)."),
    "warning_rows": ("（{count} 行）", " ({count} rows)"),
    "monthly_rate": ("每千户·当月", "per 1,000 hh / month"),
    "omitted": ("…… 中间 {n} 个从略 ……", "… {n} in the middle left out …"),
    "bars_note": ("条形为点估计，细线为 95% 置信区间；灰色虚线为本区（或全市）总体水平。",
                  "Bars are estimates, thin lines 95% intervals; the grey dashed line is the district (or city) as a whole."),
    # methods
    "methods": (
        "指标定义见下表。调查类指标采用基于抽样设计的估计（泰勒线性化，考虑分层、初级抽样单元与有限总体校正），"
        "均值用正态区间、比例用 logit 变换区间；台账类比率用精确泊松（Garwood）区间，台账类比例用 Wilson 区间；"
        "趋势与对比的区间来自模型。所有区间均为 95%。调查类指标受访者少于 {min_n} 人时不予公布（隐去数值与区间），"
        "台账与名册类指标从不隐去，读者可据样本量判断。区级以上数值由记录汇总计算，而非社区比率的平均。",
        "Definitions are in the table below. Survey indicators are design-based (Taylor linearisation with strata, "
        "PSUs and finite population correction); means have normal intervals, shares logit intervals. Ledger rates "
        "have exact Poisson (Garwood) intervals and ledger shares Wilson intervals; trends and comparisons take "
        "theirs from the model. Every interval is 95%. A survey indicator with fewer than {min_n} respondents is "
        "suppressed (value and interval withheld); register and ledger indicators never are — their n lets the "
        "reader judge. Units above the community aggregate the records, never average community rates.",
    ),
    "col_definition": ("定义", "Definition"),
    "index_title": ("社区治理评估报告索引", "Community governance reports"),
    "index_summary": ("共 {total} 份报告：{ok} 份完成，{failed} 份失败。",
                      "{total} reports: {ok} done, {failed} failed."),
    "city_summary_link": ("全市汇总", "City summary"),
    "batch_summary": ("报告 {ok}/{total} 份完成，{failed} 份失败，用时 {seconds:.1f} 秒，输出在 {out}",
                      "reports {ok}/{total} done, {failed} failed in {seconds:.1f} s, output in {out}"),
    # report sections (headings without their markers: evalkit.report.blocks.Numbering adds 一、（一） ...)
    "h_summary": ("主要指标", "Headline figures"),
    "h_findings": ("主要发现", "Main findings"),
    "h_streets": ("街道比较", "Streets compared"),
    "h_families": ("分领域分析", "By family"),
    "h_pilot": ("试点对比", "Pilot comparison"),
    "h_quality": ("数据质量", "Data quality"),
    "h_methods": ("方法说明", "Methods"),
    "h_city_table": ("各区比较", "Districts side by side"),
    "h_city_ranks": ("各区排名", "Ranks"),
    "h_city_trends": ("全市趋势", "The city's trends"),
    "cap_headline": ("主要指标", "Headline figures"),
    "cap_definitions": ("指标定义", "Definitions of the indicators"),
    "cap_city_table": ("各区主要指标（{year} 年）", "Headline figures by district, {year}"),
    "as_of_inferred": ("{date}（未注明，按数据中最晚的日期）", "{date} (not stated; the latest date in the data)"),
    "no_street_data": ("本区街道本年没有可比较的指标。", "The district's streets have no indicator to compare this year."),
    "no_family_data": ("本区 {year} 年没有{what}数据，此部分从略。",
                       "There are no {what} data for this district in {year}; this section is left out."),
    "no_family_data_city": ("全市 {year} 年没有{what}数据，此部分从略。",
                            "There are no {what} data for the city in {year}; this section is left out."),
    "rank_invalid_note": ("标 * 的区县（{districts}）数据未通过校验：其数值照列，但不参与排名，其余各区的名次按剔除这些区后计算。",
                          "Districts marked * ({districts}) failed validation: their values are shown but they are "
                          "not ranked, and the other districts are ranked without them."),
    "family_shown_above": ("本领域的各区比较见上文“各区排名”。", "The districts are compared on this family above, under Ranks."),
    "no_pilot_data": ("本次未做试点对比：数据中没有试点社区，或只有一年的数据。",
                      "No pilot comparison was made: the data have no piloted community, or a single year."),
    "no_pilot_reason": ("本次无法做试点对比（{why}）。", "No pilot comparison could be made ({why})."),
    "pilot_table_caption": ("试点效应估计", "Estimates of the pilot effect"),
    "pilot_twfe_hidden": ("试点社区只有 {n} 个：双向固定效应的区间按社区聚类计算，聚类这么少时偏窄、不可靠，故不列出；"
                          "显著性以随机化推断的 p 值为准。",
                          "Only {n} piloted communities: the two-way fixed-effects interval clusters by community and "
                          "is too narrow with so few clusters, so it is not shown; the randomisation p-value decides "
                          "significance."),
    "unowned_refused": ("{where}的错误不属于任何区县，因此没有生成任何报告；请修正后重新运行"
                        "（evalkit validate DATA 列出全部问题）。",
                        "The error(s) in {where} belong to no district, so no report was built; fix them and run "
                        "again (evalkit validate DATA lists every problem)."),
    "all_invalid_refused": ("所选的每个区县都有数据错误，因此没有生成任何报告；请修正后重新运行"
                            "（evalkit validate DATA 列出全部问题）。",
                            "Every chosen district has data errors, so no report was built; fix them and run again "
                            "(evalkit validate DATA lists every problem)."),
    "more_warnings": ("另有 {n} 条警告未列出（evalkit validate DATA 列出全部）。",
                      "{n} warning(s) not listed here (evalkit validate DATA lists them all)."),
    "kernel_deprecated": ("--engine warm|papermill 已改名为 --kernel warm|fresh（--engine 将用于数据引擎）。",
                          "--engine warm|papermill is now --kernel warm|fresh (--engine will choose the data engine)."),
}


def corpus() -> str:
    """Every character of :data:`TEXT` and of :func:`evalkit.vocabulary.corpus` (for a reduced font).

    Examples
    --------
    >>> "数据截止" in t("as_of") and all(ch in corpus() for ch in "数据截止无上一届")
    True
    """
    from evalkit import vocabulary

    parts = [v for pair in TEXT.values() for v in pair] + [vocabulary.corpus()]
    return "".join(sorted(set("".join(parts))))


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is "zh" or "en", else raise ParameterError.

    Examples
    --------
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `lang` 必须是 ['zh', 'en'] 之一，但传入的是 'fr'。
    The value for `lang` must be one of ['zh', 'en'], but 'fr' was passed.
    """
    from evalkit.exceptions import check_choice

    check_choice("lang", lang, ("zh", "en"))
    return lang


def t(key: str, lang: str = "zh", /, **fields) -> str:
    """The text ``key`` of :data:`TEXT` in ``lang``, formatted with ``fields``.

    A field ``p`` takes the p-value as a number and is written by
    :func:`fmt_p` (``p < 0.001``, ``p = 0.034``), so every sentence shows
    p-values in one notation; a string is accepted only when :func:`fmt_p`
    made it.

    Examples
    --------
    >>> t("rank_of", "zh", rank=2, of=5), t("rank_of", "en", rank=2, of=5)
    ('第 2/5', '2 of 5')
    >>> t("pilot_pretrend_caveat", "en", p=0.00002, verdict="no clear difference.").split(". ")[-1]
    'Pre-trend test p < 0.001: no clear difference.'
    """
    zh, en = TEXT[key]
    if "p" in fields:
        fields["p"] = _p_field(fields["p"])
    return (zh if check_lang(lang) == "zh" else en).format(**fields)


def _p_field(p) -> str:
    if isinstance(p, str):
        if p.startswith("p "):
            return p
        raise TypeError(f"pass the p-value to t() as a number (it is formatted by fmt_p), not {p!r}")
    return fmt_p(p)


@functools.cache
def _catalog_entries() -> dict[str, dict]:
    """Every catalog entry by id (read once per process; a failure of the catalog is not hidden)."""
    from evalkit.families.catalog import catalog

    return {str(r["id"]): dict(r) for r in catalog().to_dict("records")}


def entry(indicator: str) -> dict:
    """The catalog entry of an indicator, as a dict (keys as :func:`evalkit.catalog`'s columns).

    An id that is not in the catalog -- a column of the user's own panel in
    :func:`evalkit.compare_panel`, which has no catalog entry -- gets a
    fallback on purpose: the id as its name in both languages, unit
    ``ratio``, direction ``descriptive``, no definition and no benchmark.

    Examples
    --------
    >>> entry("dispute_rate")["unit"]
    'per_1000_households'
    >>> e = entry("my_outcome")
    >>> e["name_zh"], e["unit"], e["direction"]
    ('my_outcome', 'ratio', 'descriptive')
    """
    e = _catalog_entries().get(indicator)
    if e is not None:
        return e
    return {"id": indicator, "family": None, "name_zh": indicator, "name_en": indicator,
            "definition_zh": "", "definition_en": "", "unit": "ratio", "direction": "descriptive",
            "interval": None, "category": None, "survey": False, "benchmark": None}


def name(indicator: str, lang: str = "zh") -> str:
    """Display name of an indicator from the catalog (the id when it has no entry).

    Examples
    --------
    >>> name("dispute_rate"), name("dispute_rate", "en")
    ('纠纷发生率（每千户）', 'Dispute rate')
    """
    e = entry(indicator)
    return str(e.get(f"name_{check_lang(lang)}") or indicator)


def unit(indicator: str) -> str:
    """The unit code of an indicator (``share``, ``per_1000_households`` ...); see :func:`unit_label`.

    Examples
    --------
    >>> unit("dispute_resolution_rate"), unit_label(unit("dispute_rate"), "en")
    ('share', 'per 1,000 households')
    """
    return str(entry(indicator).get("unit") or "ratio")


def direction(indicator: str) -> str:
    """Which way is better: ``higher_better``, ``lower_better``, ``target_band`` or ``descriptive``.

    Examples
    --------
    >>> direction("dispute_resolution_rate"), direction("dispute_count")
    ('higher_better', 'descriptive')
    """
    return str(entry(indicator).get("direction") or "descriptive")


def benchmark(indicator: str) -> dict | None:
    """The catalog's benchmark of an indicator (``value``, ``scope_zh``, ``scope_en``, ``source``), or None.

    Examples
    --------
    >>> benchmark("dispute_count") is None
    True
    """
    b = entry(indicator).get("benchmark")
    return b if isinstance(b, dict) and b.get("value") is not None else None


def category_label(category, lang: str = "zh", kind: str | None = None) -> str:
    """Translate a category code (education level, dispute category, dimension...).

    ``kind`` ("education", "dispute", "dimension", "service", "role", or the
    catalog's own names such as "dispute_category") picks the code list when a
    code is ambiguous (``property`` is both a dispute category and a
    satisfaction dimension).  The translation itself is the contract's.

    Examples
    --------
    >>> category_label("property", "zh", "dispute"), category_label("property", "zh", "dimension")
    ('物业纠纷', '物业')
    >>> category_label("college", "en", "education")
    'college (dazhuan)'
    """
    from evalkit.contract import category_label as contract_label

    aliases = {"dispute": "dispute_category", "service": "service_type"}
    return contract_label(category, lang, aliases.get(kind, kind))
