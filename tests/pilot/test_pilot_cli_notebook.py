"""`evalkit compare` (panel and dataset), the event-study figure, the pilot notebook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.exceptions import DataError, ParameterError
from evalkit.pilot import compare_panel

ROOT = Path(__file__).parents[2]
NOTEBOOK = ROOT / "notebooks" / "pilot_comparison.ipynb"
KW = dict(outcome="y", unit="unit", time="year", first_treated="first")
CJK = re.compile(r"[\u4e00-\u9fff]")
# names and symbols a Chinese text may carry in Latin letters: methods, R, references, p / t / n
ALLOWED_LATIN = {"Callaway", "Sant'Anna", "Welch", "Satterthwaite", "Wald", "R", "did", "Roth", "CR1",
                 "t", "p", "n", "W", "DiD", "e"}


def test_cli_panel_csv(sim, tmp_path, capsys):
    d = sim(seed=21)
    f = tmp_path / "panel.csv"
    d.to_csv(f, index=False)
    out = tmp_path / "res.csv"
    rc = main(["compare", "--panel", str(f), "--outcome", "y", "--unit", "unit", "--time", "year",
               "--first-treated", "first", "--out", str(out)])
    assert rc == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    ref = compare_panel(d, **KW).table
    assert len(got) == len(ref)
    assert {"p_method", "interval_method", "n_piloted", "few_units"} <= set(got.columns)  # the facts too
    np.testing.assert_allclose(got.sort_values(["indicator", "period"])["value"].to_numpy(),
                               ref.sort_values(["indicator", "period"])["value"].to_numpy(), rtol=1e-8)
    said = capsys.readouterr().out
    assert "「y」" in said and "个试点社区" in said  # what was compared, not only a row count
    rc = main(["compare", "--panel", str(f), "--outcome", "y", "--unit", "unit", "--time", "year",
               "--first-treated", "first", "--lang", "en"])
    txt = capsys.readouterr().out
    assert rc == 0 and "average pilot effect" in txt and "What was compared" in txt
    assert not CJK.search(txt)  # English output: no Chinese (the panel's names are ASCII here)


def test_cli_panel_csv_in_gbk_with_chinese_headers(sim, tmp_path, capsys):
    """A GBK panel saved by Excel on a Chinese Windows desktop is read like a dataset's
    tables (regression: it failed with 'cannot be read (UnicodeDecodeError)')."""
    d = sim(n=30, seed=24).rename(columns={"y": "纠纷率", "unit": "社区", "year": "年份", "first": "试点年份"})
    f = tmp_path / "panel.csv"
    d.to_csv(f, index=False, encoding="gbk")
    out = tmp_path / "res.csv"
    rc = main(["compare", "--panel", str(f), "--outcome", "纠纷率", "--unit", "社区", "--time", "年份",
               "--first-treated", "试点年份", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    got = pd.read_csv(out, encoding="utf-8-sig")
    ref = compare_panel(d, outcome="纠纷率", unit="社区", time="年份", first_treated="试点年份").table
    np.testing.assert_allclose(got.sort_values(["indicator", "period"])["value"].to_numpy(),
                               ref.sort_values(["indicator", "period"])["value"].to_numpy(), rtol=1e-8)


def test_cli_errors_are_bilingual(sim, tmp_path, capsys):
    f = tmp_path / "panel.csv"
    sim(n=30, seed=22).to_csv(f, index=False)
    rc = main(["compare", "--panel", str(f), "--outcome", "nope", "--unit", "unit", "--time", "year",
               "--first-treated", "first"])
    err = capsys.readouterr().err
    assert rc == 2 and "nope" in err and "没有列" in err and "no column" in err
    rc = main(["compare", "--panel", str(f), "--outcome", "y"])
    err = capsys.readouterr().err
    assert rc == 2 and "--unit" in err


def test_event_study_figure(sim):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit.plot.event import event_study

    res = compare_panel(sim(seed=23), **KW, category="dispute_rate")
    for lang, name in (("zh", "纠纷发生率"), ("en", "Dispute rate")):
        ax = event_study(res, lang=lang)
        ev = res.table[res.table.indicator == "pilot_event"]
        assert len(ax.get_xticks()) == len(ev)
        assert ("相对" in ax.get_xlabel()) == (lang == "zh")
        assert name in ax.get_title() and "dispute_rate" not in ax.get_title()  # the indicator's name in lang
        plt.close(ax.figure)
    with pytest.raises(DataError):
        event_study(res.table[res.table.indicator != "pilot_event"])
    two = pd.concat([res.table, res.table.assign(unit_id="东区")])
    with pytest.raises(ParameterError, match="unit_id"):
        event_study(two)  # never two units' points on one axis
    ax = event_study(two, unit_id="东区")
    plt.close(ax.figure)


@pytest.mark.slow
def test_notebook_parameters():
    papermill = pytest.importorskip("papermill")
    params = papermill.inspect_notebook(str(NOTEBOOK))
    assert set(params) == {"data_dir", "outcome", "start", "end", "district", "control", "lang"}
    assert params["district"]["default"] == '""' and params["control"]["default"] == '"never"'
    assert params["start"]["inferred_type_name"] == "int"
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_runs(tmp_path):
    papermill = pytest.importorskip("papermill")
    data = ROOT / "data" / "sample"
    if not (data / "truth.json").exists():  # no committed sample yet: make the demo dataset
        from evalkit import synthetic as syn
        data = syn.synth(tmp_path / "demo", scale="demo", seed=20241)
    truth_years = json.loads((Path(data) / "truth.json").read_text("utf-8"))["years"] \
        if (Path(data) / "truth.json").exists() else [2020, 2024]
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                               parameters=dict(data_dir=str(data), outcome="satisfaction_index",
                                               start=truth_years[0], end=truth_years[-1], lang="en"))
    text = out.read_text(encoding="utf-8")
    assert "average pilot effect" in text and "image/png" in text


def test_cli_dataset(tmp_path, capsys):
    from evalkit import synthetic as syn
    path = syn.synth(tmp_path / "demo", scale="demo", seed=20241)
    years = json.loads((Path(path) / "truth.json").read_text("utf-8"))["years"]
    out = tmp_path / "cmp.csv"
    rc = main(["compare", str(path), "--outcome", "satisfaction_index", "--from", str(years[0]),
               "--to", str(years[-1]), "--out", str(out)])
    assert rc == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    assert set(got["indicator"]) >= {"pilot_did", "pilot_att", "pilot_event", "pilot_pretrend"}
    rc = main(["compare", str(path), "--outcome", "satisfaction_index"])
    assert rc == 2 and "--from" in capsys.readouterr().err


# --------------------------------------------------------------------------- issue 11: what a user meets


def latin_words(text: str) -> set[str]:
    """Latin words in a Chinese text that are not names of methods (should be none)."""
    return {w for w in re.findall(r"[A-Za-z][A-Za-z0-9']*", text)} - ALLOWED_LATIN


@pytest.fixture(scope="module")
def sample():
    data = ROOT / "data" / "sample"
    if not (data / "dataset.json").exists():
        pytest.skip("data/sample missing")
    return data


@pytest.fixture(scope="module")
def sample_ds(sample):
    import evalkit

    return evalkit.load(sample)


def test_workbook_explains_itself(sample, tmp_path, capsys):
    """Before: a sheet named 'other', empty indicator names, English notes, no paragraph; the
    console said only 'wrote 24 rows'."""
    out = tmp_path / "对比.xlsx"
    rc = main(["compare", str(sample), "--outcome", "纠纷发生率", "--from", "2020", "--to", "2024",
               "--out", str(out)])
    said = capsys.readouterr().out
    assert rc == 0
    # the console says what was compared: the outcome, the years, the groups, the effect
    assert "纠纷发生率" in said and "2020–2024" in said and "个试点社区" in said and "平均试点效应" in said
    book = pd.read_excel(out, sheet_name=None)
    assert list(book) == ["试点对比结果", "说明"]
    rows = book["试点对比结果"]
    assert rows["指标名称"].notna().all() and "平均试点效应（Callaway–Sant'Anna）" in set(rows["指标名称"])
    assert (rows["结果变量"] == "纠纷发生率（每千户）").all()
    notes = " ".join(rows["备注"].astype(str))
    assert "对照组：从未试点的单位" in notes and not latin_words(notes), latin_words(notes)
    about = " ".join(book["说明"].fillna("").astype(str).to_numpy().ravel())
    assert "比较内容" in about and "平均试点效应" in about
    assert not latin_words(about), latin_words(about)


def test_chinese_output_has_no_english_fragments(sample_ds):
    """Notes, paragraph, terminal table and workbook in Chinese carry no English words beyond
    method names; the English ones carry no Chinese beyond the units' and outcomes' names."""
    import evalkit

    res = evalkit.compare(sample_ds, outcome="satisfaction_index", start=2020, end=2024, level="district")
    assert any(f.few_units for f in res.facts) and any(f.left_out_incomplete for f in res.facts)
    zh = [res.explain("zh"), res.to_text("zh"), *res.to_frame("zh")["note"], *res.summary("zh")]
    for name, frame in res.sheets("zh"):
        zh.extend(str(v) for v in frame.to_numpy().ravel() if not pd.isna(v))
    zh = re.sub(r"\b(pilot_[a-z_]+|satisfaction_index)\b", "", "\n".join(zh))  # ids are codes, not words
    for f in res.facts:
        zh = zh.replace(f"({f.unit_id})", "")
    assert not latin_words(zh), latin_words(zh)
    en = "\n".join([res.explain("en"), res.to_text("en"), *res.to_frame("en")["note"], *res.summary("en")])
    for f in res.facts:
        en = en.replace(f.unit_name, "")
    assert not CJK.search(en), CJK.findall(en)[:10]


def test_outcome_by_chinese_name_and_helpful_errors(sample, capsys):
    from evalkit.pilot import resolve_outcome

    # by id, Chinese name (with or without its unit in brackets) or English name
    assert {resolve_outcome(x) for x in ("satisfaction_index", "居民满意度指数", "Resident satisfaction index")} \
        == {"satisfaction_index"}
    assert resolve_outcome("纠纷发生率（每千户）") == resolve_outcome("纠纷发生率") == "dispute_rate"
    base = ["compare", str(sample), "--from", "2020", "--to", "2024"]
    # (the workbook test runs `--outcome 纠纷发生率` end to end)
    # an unknown outcome is reported under --outcome with the closest names
    assert main([*base, "--outcome", "纠纷率"]) == 2
    err = capsys.readouterr().err
    assert "--outcome" in err and "纠纷发生率（每千户） (dispute_rate)" in err
    # an unknown district lists the valid ones
    assert main([*base, "--outcome", "dispute_rate", "--district", "东区"]) == 2
    err = capsys.readouterr().err
    assert "--district" in err and "东城区" in err and "西湖区" in err


def test_a_window_before_the_data_says_when_the_data_start(sample_ds):
    """evalkit.compare(ds, outcome="dispute_rate", start=2019, end=2024) on the sample (data from
    2020) said "no unit is left"; it says the data start in 2020."""
    import evalkit

    with pytest.raises(DataError) as e:
        evalkit.compare(sample_ds, outcome="dispute_rate", start=2019, end=2024)
    assert "从 2020 年开始" in e.value.zh and "start in 2020" in e.value.en
    assert "没有剩下任何单位" not in e.value.zh


def test_result_displays_in_a_notebook_and_a_console(sim):
    import evalkit
    from evalkit.pilot import PilotResult

    res = compare_panel(sim(seed=25), **KW)
    text = repr(res)
    assert text.startswith("PilotResult(") and len(text) < 300 and "ATT" in text
    html = res._repr_html_()
    assert html.count("<table>") == 1 and "平均试点效应" in html and "<tr>" in html
    back = PilotResult.from_frame(res.to_frame("zh"))
    assert back.facts == res.facts
    pd.testing.assert_frame_equal(back.table, res.table)
    assert evalkit.compare_panel is compare_panel
