"""Every Chinese output of the summary, catalog and workbook holds no English words, every English one no
Chinese beyond names; error messages carry a clean Chinese and a clean English line (issue 11)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import openpyxl
import pytest

import evalkit as ek
from evalkit.cli import main
from evalkit.exceptions import EvalkitError
from evalkit.families.output import summary_text
from lang_check import assert_bilingual, assert_lang, names_of

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
LEVELS = ["--level", "community", "street", "district", "city"]
#: an error is the Chinese message after "错误：" and the English one after "Error: "
PREFIX = "错误："


@pytest.fixture(scope="module")
def sample():
    ds = ek.load(SAMPLE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = ek.indicators(ds, year=2024, level=("community", "street", "district", "city"))
    return ds, table


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_indicators_summary_cli(sample, lang, capsys):
    _, table = sample
    assert main(["indicators", str(SAMPLE), "--year", "2024", *LEVELS, "--as-of", "2024-10-24",
                 "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert "截至 10 月 24 日" in out if lang == "zh" else "through 10-24" in out
    assert_lang(out, lang, names=names_of(table))


@pytest.fixture(scope="module")
def late_tables(sample):
    """A disputes ledger that begins on 2020-07-01: tables of 2019 (before it), 2020 and 2021."""
    ds, _ = sample
    d = ds["disputes"]
    late = dataclasses.replace(ds, tables={**ds.tables, "disputes": d.loc[d["reported_on"] >= "2020-07-01"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [ek.indicators(late, year=y, level=("community", "city")) for y in (2019, 2020, 2021)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summaries_with_every_kind_of_note(late_tables, lang):
    """The notes of a ledger that begins mid-year, of a year before the data, of no previous term."""
    tables = late_tables
    text = "\n".join(summary_text(t, lang, max_units=100) for t in tables)
    for zh, en in (("自 7 月 1 日起", "from 07-01"), ("2020 年自 7 月 1 日起", "2020 from 07-01"),
                   ("无数据", "no data"), ("无上一届", "no previous term")):
        assert (zh if lang == "zh" else en) in text
    assert_lang(text, lang, names=[n for t in tables for n in names_of(t)])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalog_cli(lang, capsys):
    assert main(["catalog", "--lang", lang]) == 0
    out = capsys.readouterr().out
    if lang == "zh":
        assert_lang(out, "zh")
    else:
        from evalkit.families.catalog import catalog

        cat = catalog()
        # an English definition may quote the Chinese term it explains (college (大专)), and a
        # benchmark names its source (a citation, in the language it was published in)
        assert_lang(out, "en", names=cat["benchmark_source"].dropna(), allow=("大专", "一肩挑", "大党委"))


def test_indicators_workbook_is_chinese(tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert main(["indicators", str(SAMPLE), "--year", "2024", *LEVELS, "--as-of", "2024-10-24",
                 "--out", str(out)]) == 0
    assert_bilingual(capsys.readouterr().out)
    wb = openpyxl.load_workbook(out, read_only=True)
    # columns that hold codes, or English on purpose (the catalog's English name, definition, source)
    skip = {"指标编号", "单位编码", "英文名称", "英文定义", "参考来源"}
    texts, names = list(wb.sheetnames), set()
    for ws in wb:
        rows = ws.iter_rows(values_only=True)
        head = next(rows)
        texts += [str(h) for h in head]
        for row in rows:
            for h, v in zip(head, row):
                if not isinstance(v, str) or h in skip:
                    continue
                if h in ("单位名称", "区县"):
                    names.add(v)
                else:
                    texts.append(v)
    assert "截至 10 月 24 日" in texts and "全市" in texts
    assert_lang("\n".join(texts), "zh", names=names)


@pytest.mark.parametrize("argv", [
    ["catalog", "--out", "x.txt"],
    ["indicators", str(SAMPLE), "--year", "2024", "--out", "x.txt"],
    ["indicators", str(SAMPLE), "--year", "2024", "--indicator", "nope"],
])
def test_cli_error_messages(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(PREFIX) and "\nError: " in err and "Traceback" not in err
    zh, _, en = err[len(PREFIX):].partition("\nError: ")
    assert_lang(zh, "zh")
    assert_lang(en, "en")


def test_plot_and_summary_error_messages(sample):
    import evalkit.plot as ep

    _, table = sample
    calls = [lambda: ep.unit_bars(table, indicator="dispute_rate", level="province"),
             lambda: ep.unit_bars(table, indicator="dispute_share", level="district"),
             lambda: ep.dispute_trend(table, unit_id="C9999"),
             lambda: ep.yearly_trend(table, indicators=["dispute_rate", "cadre_mean_age", "dispute_count"]),
             lambda: summary_text(table, "fr")]
    for call in calls:
        with pytest.raises(EvalkitError) as err:
            call()
        assert_bilingual(str(err.value), names=names_of(table))
