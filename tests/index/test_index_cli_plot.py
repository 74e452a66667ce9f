"""`evalkit index` and the index figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evalkit.cli import main  # noqa: E402
from evalkit.plot import rank_intervals, score_drivers  # noqa: E402
from evalkit.ranking import contributions, index  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_cli_prints_the_ranking_with_rank_intervals(capsys):
    rc = main(["index", str(SAMPLE), "--year", "2024", "--level", "district", "--uncertainty", "60", "--jobs", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "排名区间(5–95%)" in out and "名之间的差别在数据误差范围内" in out
    rc = main(["index", str(SAMPLE), "--year", "2024", "--level", "district", "--lang", "en"])
    out = capsys.readouterr().out
    assert rc == 0 and "score" in out and "--uncertainty N" in out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_cli_writes_the_table(tmp_path, capsys, suffix):
    path = tmp_path / f"idx{suffix}"
    rc = main(["index", str(SAMPLE), "--year", "2024", "--level", "street", "--uncertainty", "20", "--jobs", "1",
               "--out", str(path)])
    assert rc == 0 and path.exists() and "Wrote" in capsys.readouterr().out
    if suffix == ".csv":
        got = pd.read_csv(path, encoding="utf-8-sig")
        assert {"rank", "rank_low", "rank_high", "coverage"} <= set(got.columns)
        assert set(got["indicator"]) == {"index", "index_family"}
    if suffix == ".parquet":
        got = pd.read_parquet(path)
        assert str(got["rank"].dtype) == "Int64"


def test_cli_reads_an_indicator_table_and_a_spec(tmp_path, capsys):
    table = tmp_path / "ind.csv"
    assert main(["indicators", str(SAMPLE), "--year", "2024", "--level", "district", "--out", str(table)]) == 0
    spec = tmp_path / "spec.yaml"
    spec.write_text("weights:\n  satisfaction: 2\nmethods:\n  treat: none\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["index", str(table), "--year", "2024", "--level", "district", "--spec", str(spec)]) == 0
    assert "排名" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("weight: {}\n", encoding="utf-8")
    assert main(["index", str(table), "--year", "2024", "--level", "district", "--spec", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "spec key" in err and "Traceback" not in err
    assert main(["index", str(tmp_path / "none.csv"), "--year", "2024", "--level", "district"]) == 2


def test_rank_interval_figure(sample_table):
    out = index(sample_table, year=2024, level="street", uncertainty=40, jobs=1)
    ax = rank_intervals(out, highlight=out["unit_id"].iloc[:2])
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # rank 1 at the top
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == out["unit_id"].nunique()
    assert "排名区间" in ax.get_title(loc="left")
    ax = rank_intervals(out, category="satisfaction", lang="en")
    assert "Satisfaction" in ax.get_title(loc="left") and "interval" in ax.get_title(loc="left")
    with pytest.raises(Exception, match="no ranks to draw"):
        rank_intervals(out, category="nope")


def test_score_drivers_figure(sample_table):
    c = contributions(sample_table, year=2024, level="district")
    out = index(sample_table, year=2024, level="district")
    top = out[out["indicator"] == "index"].set_index("unit_id")["value"]
    # the contributions of a unit add up to its score (arithmetic means)
    sums = c.groupby("unit_id")["contribution"].sum()
    pd.testing.assert_series_equal(sums.sort_index(), top.sort_index(), check_names=False, rtol=1e-12)
    unit = top.index[0]
    ax = score_drivers(c, unit_id=unit, lang="en")
    n = (c["unit_id"] == unit).sum()
    assert len(ax.get_yticklabels()) == n and "total" in ax.get_title(loc="left")
    with pytest.raises(Exception, match="no contributions"):
        score_drivers(c, unit_id="nowhere")
