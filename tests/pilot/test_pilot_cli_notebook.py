"""`evalkit compare` (panel and dataset), the event-study figure, the pilot notebook."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.pilot import compare_panel

ROOT = Path(__file__).parents[2]
NOTEBOOK = ROOT / "notebooks" / "pilot_comparison.ipynb"
KW = dict(outcome="y", unit="unit", time="year", first_treated="first")


def test_cli_panel_csv(sim, tmp_path, capsys):
    d = sim(seed=21)
    f = tmp_path / "panel.csv"
    d.to_csv(f, index=False)
    out = tmp_path / "res.csv"
    rc = main(["compare", "--panel", str(f), "--outcome", "y", "--unit", "unit", "--time", "year",
               "--first-treated", "first", "--out", str(out)])
    assert rc == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    ref = compare_panel(d, **KW)
    assert len(got) == len(ref)
    np.testing.assert_allclose(got.sort_values(["indicator", "period"])["value"].to_numpy(),
                               ref.sort_values(["indicator", "period"])["value"].to_numpy(), rtol=1e-8)
    rc = main(["compare", "--panel", str(f), "--outcome", "y", "--unit", "unit", "--time", "year",
               "--first-treated", "first", "--lang", "en"])
    txt = capsys.readouterr().out
    assert rc == 0 and "pilot" in txt and "平均试点效应" in txt and "What was compared" in txt


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
    ref = compare_panel(d, outcome="纠纷率", unit="社区", time="年份", first_treated="试点年份")
    np.testing.assert_allclose(got.sort_values(["indicator", "period"])["value"].to_numpy(),
                               ref.sort_values(["indicator", "period"])["value"].to_numpy(), rtol=1e-8)


def test_cli_errors_are_bilingual(sim, tmp_path, capsys):
    f = tmp_path / "panel.csv"
    sim(n=30, seed=22).to_csv(f, index=False)
    rc = main(["compare", "--panel", str(f), "--outcome", "nope", "--unit", "unit", "--time", "year",
               "--first-treated", "first"])
    err = capsys.readouterr().err
    assert rc == 2 and "nope" in err and "缺少" in err and "lacks" in err
    rc = main(["compare", "--panel", str(f), "--outcome", "y"])
    err = capsys.readouterr().err
    assert rc == 2 and "--unit" in err


def test_event_study_figure(sim):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit.plot.event import event_study

    res = compare_panel(sim(seed=23), **KW)
    for lang in ("zh", "en"):
        ax = event_study(res, lang=lang)
        ev = res[res.indicator == "pilot_event"]
        assert len(ax.get_xticks()) == len(ev)
        assert ("相对" in ax.get_xlabel()) == (lang == "zh")
        plt.close(ax.figure)
    with pytest.raises(Exception):
        event_study(res[res.indicator != "pilot_event"])


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
