"""The batch computes the composite index once (every community, street and district) and hands it to reports."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import evalkit
from evalkit.report.batch import build_reports
from evalkit.report.data import prepare
from evalkit.report.precompute import INDEX_LEVELS, compute_index

SAMPLE = Path(__file__).parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = evalkit.load(SAMPLE)
        table = evalkit.indicators(ds, year=2024, level=("community", "street", "district", "city"))
    return ds, table


def test_every_level_once_with_rank_intervals_and_communities_within_their_street(sample):
    ds, table = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = compute_index(table, 2024, ds=ds, uncertainty=40, seed=1, jobs=1)
    top = out.loc[out["indicator"] == "index"]
    for level in INDEX_LEVELS:
        ids = set(table.loc[(table["level"] == level) & (table["period"] == "2024"), "unit_id"])
        assert set(top.loc[top["level"] == level, "unit_id"]) == ids, level
    ok = top.dropna(subset=["value"])
    assert (ok["rank_low"] <= ok["rank"]).all() and (ok["rank"] <= ok["rank_high"]).all()
    # the same as evalkit.index level by level (one definition, called once per level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = evalkit.index(table, year=2024, level="district", uncertainty=40, seed=1, jobs=1)
    pd.testing.assert_frame_equal(out.loc[out["level"] == "district"].reset_index(drop=True), ref)
    # a community's rank_in_parent is its rank within its street: 1 .. (communities of the street)
    com = top.loc[top["level"] == "community"].merge(
        ds["communities"][["community_id", "street", "district"]], left_on="unit_id", right_on="community_id",
        suffixes=("", "_c"))
    per_street = com.groupby(["district_c", "street"])["rank_in_parent"].agg(["min", "max", "size"])
    assert (per_street["min"] == 1).all() and (per_street["max"] <= per_street["size"]).all()


def test_invalid_districts_are_not_ranked(sample):
    ds, table = sample
    bad = sorted(table.loc[table["level"] == "district", "unit_id"].unique())[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = compute_index(table, 2024, ds=ds, uncertainty=0, exclude=(bad,))
    assert bad not in set(out["district"]) and len(out)


def test_batch_writes_the_index_once_and_reports_read_it(tmp_path):
    rc = build_reports(SAMPLE, year=2024, out=tmp_path, jobs=1, city=False, districts=["东城区"], formats=("html",),
                       progress=False, uncertainty=20, seed=3)
    assert rc == 0
    man = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert man["index"]["path"] == "index_2024.parquet" and man["index"]["rows"] > 0
    assert man["reports"][0]["parameters"]["index_path"] == "index_2024.parquet"
    index = pd.read_parquet(tmp_path / "index_2024.parquet")
    assert set(index["level"]) == set(INDEX_LEVELS)
    rd = prepare(str(SAMPLE), district="东城区", year=2024, indicators_path=str(tmp_path / "indicators_2024.parquet"),
                 index_path=str(tmp_path / "index_2024.parquet"))
    pd.testing.assert_frame_equal(rd.index.reset_index(drop=True), index)


def test_uncertainty_is_checked_before_any_work(tmp_path):
    from evalkit.exceptions import ParameterError

    with pytest.raises(ParameterError, match="uncertainty"):
        build_reports(SAMPLE, year=2024, out=tmp_path / "o", jobs=1, uncertainty=-1, progress=False)
    assert not (tmp_path / "o").exists()


def test_a_level_without_a_varying_indicator_has_no_index_and_says_so():
    """Constant indicators are left out (COINr gives NaN); with none left the level has no index, and a batch
    goes on (it stopped with 'No indicator is left')."""
    rows = [dict(indicator="satisfaction_index", level="district", unit_id=u, unit_name=u, district=u,
                 period="2024", value=70.0) for u in ("东区", "西区")]
    with pytest.warns(UserWarning, match="没有综合指数"):
        out = compute_index(pd.DataFrame(rows), 2024, uncertainty=0)
    assert out.empty
