"""The language checker of the tests finds what it is for, and lets names, ids and symbols pass."""

from __future__ import annotations

import pytest

from lang_check import assert_bilingual, assert_lang, untranslated


@pytest.mark.parametrize("text, bad", [
    ("  全市 2024：25.4（no data）", ["no", "data"]),                       # the summary of issue 11
    ("纠纷发生率 [per_1000_households]（through 10-24）", ["through"]),
    ("  东城区 2024：—（not estimable (did not converge)）", ["not", "estimable", "did", "not", "converge"]),
    ("数据集中缺少以下表：targets, survey responses", ["survey", "responses"]),
])
def test_finds_english_words_in_chinese(text, bad):
    assert untranslated(text, "zh") == bad
    with pytest.raises(AssertionError):
        assert_lang(text, "zh")


@pytest.mark.parametrize("text", [
    "纠纷发生率（dispute_rate），单位：每千户",                                 # an indicator id
    "  C0001 2024-03：1.25（0.50 至 2.10），n=552，p < 0.001",                 # ids, dates, symbols
    "季节性 Mann–Kendall 检验；Wilson 区间；精确泊松（Garwood）区间",           # names of methods
    "参数 `indicator` 必须是 ['dispute_rate'] 之一",                           # identifiers in backticks
    "写出 reports/东城区.xlsx 与 Excel 工作簿；层级 可选：city, district",       # paths, tools, level codes
])
def test_lets_ids_symbols_and_names_pass_in_chinese(text):
    assert untranslated(text, "zh") == []


def test_finds_chinese_in_english_except_names():
    assert untranslated("City 2024: 25.4 (无数据)", "en") == ["无数据"]
    assert untranslated("Wrote 24 rows，done", "en") == ["，"]                   # full-width punctuation too
    assert untranslated("东城区 2024: 25.4 (through 10-24)", "en", names=["东城区"]) == []
    assert untranslated("示例数据 · synthetic data; see 《社区服务体系建设规划》", "en") == []


def test_latin_names_are_removed_as_whole_words_only():
    # a unit called "all" must not eat the "all" of "Kendall"
    assert untranslated("季节性 Mann–Kendall", "zh", names=["all"]) == []
    assert untranslated("全市 all 2024", "zh", names=["all"]) == []


def test_bilingual_messages_are_checked_line_by_line():
    assert_bilingual("输出文件须以 .csv 结尾。\nThe output file must end in .csv.")
    with pytest.raises(AssertionError):
        assert_bilingual("输出文件须以 .csv 结尾（not a file）。\nThe output file must end in .csv.")
    with pytest.raises(AssertionError):
        assert_bilingual("The output file must end in .csv.")                  # one language only
