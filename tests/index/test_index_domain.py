"""evalkit.index on the long indicator table: selection, orientation, levels, missing values, output."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.exceptions import DataError, MissingColumnError, ParameterError
from evalkit.families import catalog
from evalkit.families._frame import COLUMNS
from evalkit.ranking import EXTRA_COLUMNS, blocks, index, index_inputs, ranking_text
from evalkit.ranking._inputs import _dist

def _families_with_direction() -> set[str]:
    """Families with an indicator that has a direction (the index's default dimensions); the sample has them all."""
    from evalkit.families.catalog import catalog

    cat = catalog()
    return set(cat.loc[cat["direction"].isin(["higher_better", "lower_better"]), "family"])


FAMILIES_SAMPLE = _families_with_direction()


def _quiet(fn, *a, **k):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*a, **k)


def test_public_function_is_not_shadowed_by_its_module():
    import importlib

    importlib.import_module("evalkit.ranking")
    assert callable(evalkit.index) and evalkit.index is index


def test_output_contract_and_interval_invariants(sample_table):
    out = _quiet(index, sample_table, year=2024, level="street", uncertainty=100, seed=3, jobs=1)
    assert list(out.columns) == [*COLUMNS, *EXTRA_COLUMNS]
    streets = sample_table.loc[sample_table["level"] == "street", "unit_id"].unique()
    top = out[out["indicator"] == "index"]
    assert sorted(top["unit_id"]) == sorted(streets)
    fam = out[out["indicator"] == "index_family"]
    assert set(fam["category"]) == FAMILIES_SAMPLE
    assert len(fam) == len(streets) * len(FAMILIES_SAMPLE)
    assert (out["period"] == "2024").all() and (out["level"] == "street").all()
    assert str(out["rank"].dtype) == "Int64" and str(out["rank_low"].dtype) == "Int64"
    ok = out.dropna(subset=["value"])
    assert (ok["rank_low"] <= ok["rank"]).all() and (ok["rank"] <= ok["rank_high"]).all()
    assert (ok["ci_low"] <= ok["value"]).all() and (ok["value"] <= ok["ci_high"]).all()
    # every index score moves with the data's error; a family score may not, when every indicator
    # it has for that unit is exact (interval method "none": visit coverage, organisations funded)
    assert (ok["se"] >= 0).all() and (ok.loc[ok["indicator"] == "index", "se"] > 0).all()
    assert top["rank"].min() == 1 and top["rank"].max() <= len(streets)
    assert ok["coverage"].between(0, 1).all()
    # the same call gives the same table
    again = _quiet(index, sample_table, year=2024, level="street", uncertainty=100, seed=3, jobs=2)
    pd.testing.assert_frame_equal(out, again)


def test_default_selection_follows_the_catalog(sample_table):
    inp = _quiet(index_inputs, sample_table, year=2024, level="district")
    used = set(inp.meta.loc[inp.meta["Level"] == 1, "iCode"])
    cat = catalog.catalog().set_index("id")
    assert used, "nothing selected"
    assert all(cat.at[i, "direction"] in ("higher_better", "lower_better") for i in used)
    assert "dispute_rate" not in used and inp.left_out["dispute_rate"] == "descriptive"
    assert inp.left_out["satisfaction_alpha"] == "target band not given"
    assert not any(":" in i for i in used)  # breakdowns (dispute_share:...) only when a spec picks them
    d = inp.meta.set_index("iCode")["Direction"]
    assert d["households_per_grid_worker"] == -1 and d["satisfaction_index"] == 1
    # every indicator sits under its catalog family, every family under the index, equal weights
    parent = inp.meta.set_index("iCode")["Parent"]
    assert all(parent[i] == cat.at[i, "family"] for i in used)
    assert (inp.meta["Weight"] == 1).all()


def test_each_level_is_computed_from_its_own_rows(sample_table):
    # no treatment: the street index is the mean over families of the mean over indicators of
    # min-max(x * direction) over the *street* rows -- computed here by hand with pandas
    spec = {"methods": {"treat": "none"}}
    out = index(sample_table, year=2024, level="street", spec=spec)
    inp = index_inputs(sample_table, year=2024, level="street", spec=spec)
    x = inp.data.set_index("uCode")
    d = inp.meta.set_index("iCode")["Direction"]
    y = x * d[x.columns]
    norm = (y - y.min()) / (y.max() - y.min()) * 100
    fam = inp.meta.set_index("iCode")["Parent"][x.columns]
    by_family = norm.T.groupby(fam.to_numpy()).mean().T
    expected = by_family.mean(axis=1)
    got = out[out["indicator"] == "index"].set_index("unit_id")["value"]
    np.testing.assert_allclose(got[expected.index], expected, rtol=1e-12)
    famrows = out[out["indicator"] == "index_family"].set_index(["unit_id", "category"])["value"]
    for f in by_family.columns:
        np.testing.assert_allclose(famrows.xs(f, level="category")[expected.index], by_family[f], rtol=1e-12)
    # changing a community row changes nothing at street level
    t2 = sample_table.copy()
    com = (t2["level"] == "community") & (t2["indicator"] == "satisfaction_index")
    t2.loc[com, "value"] = 0.0
    out2 = index(t2, year=2024, level="street", spec=spec)
    pd.testing.assert_frame_equal(out, out2)


def test_suppressed_and_no_data_are_missing_never_zero(sample_table):
    t = sample_table[sample_table["level"] == "district"].copy()
    units = sorted(t["unit_id"].unique())
    a, b = units[0], units[1]
    sup = (t["unit_id"] == a) & (t["indicator"] == "satisfaction_index")
    t.loc[sup, "suppressed"] = True
    t.loc[sup, ["value", "se", "ci_low", "ci_high"]] = np.nan
    t.loc[t["unit_id"] == b, "value"] = np.nan
    t.loc[t["unit_id"] == b, "note"] = "no data"
    out = _quiet(index, t, year=2024, level="district", uncertainty=50, jobs=1)
    top = out[out["indicator"] == "index"].set_index("unit_id")
    n_all = top["n"].max()
    assert top.at[a, "n"] == n_all - 1 and top.at[a, "coverage"] < 1 and pd.notna(top.at[a, "value"])
    assert pd.isna(top.at[b, "value"]) and top.at[b, "note"] == "no data" and top.at[b, "coverage"] == 0
    assert pd.isna(top.at[b, "rank"]) and pd.isna(top.at[b, "rank_low"])
    assert top["rank"].dropna().max() == len(units) - 1
    # the suppressed value counts as missing: its unit's satisfaction score rests on the other survey row
    inp = _quiet(index_inputs, t, year=2024, level="district")
    assert np.isnan(inp.data.set_index("uCode").at[a, "satisfaction_index"])


def test_a_new_family_is_a_new_dimension(sample_table, monkeypatch):
    # another family module (e.g. deliberation, being added elsewhere) appears in the catalog: the index takes it
    fake = types.ModuleType("evalkit.families.deliberation")
    fake.CATALOG = [{"id": "deliberation_turnout", "family": "deliberation", "name_zh": "议事参与率",
                     "name_en": "Deliberation turnout", "unit": "share", "direction": "higher_better",
                     "interval": "wilson", "survey": False}]
    monkeypatch.setitem(sys.modules, "evalkit.families.deliberation", fake)
    monkeypatch.setattr(catalog, "FAMILIES", (*catalog.FAMILIES, "deliberation"))
    t = sample_table[sample_table["level"] == "district"]
    rng = np.random.default_rng(0)
    units = t["unit_id"].unique()
    extra = pd.DataFrame({"indicator": "deliberation_turnout", "level": "district", "unit_id": units,
                          "unit_name": units, "district": units, "period": "2024", "category": pd.NA,
                          "value": rng.uniform(0.2, 0.8, len(units)), "n": 50, "denominator": 50.0,
                          "suppressed": False})
    extra["ci_low"], extra["ci_high"] = extra["value"] - 0.1, extra["value"] + 0.1
    out = _quiet(index, pd.concat([t, extra], ignore_index=True), year=2024, level="district", uncertainty=20, jobs=1)
    assert "deliberation" in set(out.loc[out["indicator"] == "index_family", "category"])


def test_spec_file_yaml_and_json_agree(sample_table, tmp_path):
    spec = {"weights": {"satisfaction": 2, "satisfaction_index": 3},
            "directions": {"dispute_rate": "lower_better"},
            "targets": {"satisfaction_alpha": [0.7, 0.95]},
            "methods": {"aggregate": "gmean", "normalise_params": {"l_u": [1, 100]}, "winmax": 3},
            "uncertainty": {"data": True, "factors": [{"kind": "weights", "level": 2, "noise": 0.2}]}}
    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    (tmp_path / "s.json").write_text(json.dumps(spec), encoding="utf-8")
    a = _quiet(index, sample_table, year=2024, level="district", spec=tmp_path / "s.yaml", uncertainty=30, jobs=1)
    b = _quiet(index, sample_table, year=2024, level="district", spec=tmp_path / "s.json", uncertainty=30, jobs=1)
    pd.testing.assert_frame_equal(a, b)
    inp = _quiet(index_inputs, sample_table, year=2024, level="district", spec=tmp_path / "s.yaml")
    m = inp.meta.set_index("iCode")
    assert m.at["dispute_rate", "Direction"] == -1
    assert m.at["satisfaction_alpha", "Direction"] == -1 and inp.build["bands"] == {"satisfaction_alpha": (0.7, 0.95)}
    assert m.at["satisfaction", "Weight"] == 2 and m.at["satisfaction_index", "Weight"] == 3
    assert inp.build["aggregate"] == "gmean" and inp.build["winmax"] == 3
    default = _quiet(index, sample_table, year=2024, level="district")
    assert not np.allclose(a.loc[a["indicator"] == "index", "value"],
                           default.loc[default["indicator"] == "index", "value"])


def test_custom_tree_and_explicit_indicators(sample_table):
    spec = {"indicators": ["satisfaction_index", "volunteer_active_rate", "dispute_resolution_rate",
                           "satisfaction_dimension:environment"],
            "tree": {"服务": ["volunteer_active_rate", "dispute_resolution_rate"],
                     "感受": ["satisfaction_index", "satisfaction_dimension:environment"]}}
    out = _quiet(index, sample_table, year=2024, level="district", spec=spec)
    assert set(out.loc[out["indicator"] == "index_family", "category"]) == {"服务", "感受"}
    with pytest.raises(ParameterError, match="no direction"):
        index(sample_table, year=2024, level="district", spec={"indicators": ["dispute_rate"]})
    with pytest.raises(ParameterError, match="not in the table"):
        index(sample_table, year=2024, level="district", spec={"indicators": ["nope"]})
    with pytest.raises(ParameterError, match="does not place"):
        index(sample_table, year=2024, level="district",
              spec={"indicators": ["satisfaction_index", "volunteer_active_rate"], "tree": {"a": ["satisfaction_index"]}})


def test_rank_in_parent(sample_table, sample_streets):
    out = _quiet(index, sample_table, year=2024, level="community", parent=sample_streets)
    top = out[out["indicator"] == "index"].copy()
    top["street"] = top["unit_id"].map(sample_streets)
    for _, g in top.groupby("street"):
        assert sorted(g["rank_in_parent"].dropna().astype(int)) == \
            sorted(g["value"].rank(ascending=False, method="min").astype(int))
    default = _quiet(index, sample_table, year=2024, level="community")
    d = default[default["indicator"] == "index"]
    assert d.groupby("district")["rank_in_parent"].min().eq(1).all()
    dist = _quiet(index, sample_table, year=2024, level="district")
    dd = dist[dist["indicator"] == "index"]
    assert dd["rank_in_parent"].equals(dd["rank"])


def test_interval_methods_map_to_draws():
    assert _dist("garwood") == "garwood" and _dist("wilson") == "wilson" and _dist("t") == "t"
    assert _dist("design logit (svyciprop)") == "logitnormal"
    assert _dist("design normal (Taylor linearisation)") == "normal"
    assert _dist("aalen-johansen (delta method)") == "normal" and _dist("newcombe") == "normal"
    assert _dist("none") is None and _dist(None) is None


def test_data_error_rows_follow_each_rows_interval(sample_table):
    inp = _quiet(index_inputs, sample_table, year=2024, level="community")
    e = inp.data_error.set_index(["uCode", "iCode"])
    t = sample_table[(sample_table["level"] == "community") & (sample_table["period"] == "2024")]
    r = t[t["indicator"] == "volunteer_active_rate"].iloc[0]
    row = e.loc[(r["unit_id"], "volunteer_active_rate")]
    assert row["dist"] == "wilson" and row["n"] == r["denominator"] and np.isnan(row["se"])
    r = t[t["indicator"] == "community_workers_per_10k"].iloc[0]
    row = e.loc[(r["unit_id"], "community_workers_per_10k")]
    assert row["dist"] == "garwood" and row["n"] == r["numerator"]
    r = t[t["indicator"] == "satisfaction_overall_top2"].dropna(subset=["se"]).iloc[0]
    row = e.loc[(r["unit_id"], "satisfaction_overall_top2")]
    assert row["dist"] == "logitnormal" and row["se"] == r["se"]
    assert "households_per_grid_worker" not in set(e.index.get_level_values("iCode"))  # interval 'none': exact


def test_bad_input_is_a_clear_error(sample_table):
    with pytest.raises(ParameterError, match="nothing to rank"):
        index(sample_table, year=2024, level="city")
    with pytest.raises(MissingColumnError, match="value"):
        index(sample_table.drop(columns="value"), year=2024, level="district")
    with pytest.raises(DataError, match="no rows at level"):
        index(sample_table[sample_table["level"] != "street"], year=2024, level="street")
    with pytest.raises(ParameterError, match="spec key"):
        index(sample_table, year=2024, level="district", spec={"weight": {}})
    with pytest.raises(ParameterError, match="Nothing is uncertain"):
        _quiet(index, sample_table, year=2024, level="district", spec={"uncertainty": {"data": False}},
               uncertainty=10)
    dup = pd.concat([sample_table, sample_table.iloc[[0]]])
    with pytest.raises(DataError, match="more than one row"):
        index(dup, year=2024, level=sample_table.iloc[0]["level"])


def test_ranking_text_says_what_the_data_support(sample_table):
    out = _quiet(index, sample_table, year=2024, level="district", uncertainty=200, jobs=1)
    zh, en = ranking_text(out), ranking_text(out, lang="en")
    top = out[out["indicator"] == "index"]
    for a, b in blocks(top):
        if a != b:
            assert f"第 {a} 至第 {b} 名之间的差别在数据误差范围内" in zh
            assert f"ranks {a} and {b} are within the data's error" in en
    assert "排名区间" in zh and "rank interval" in en
    assert "--uncertainty" in ranking_text(_quiet(index, sample_table, year=2024, level="district"), lang="en")


def test_the_documented_example_spec_runs(sample_table):
    from pathlib import Path

    spec = Path(__file__).resolve().parents[2] / "docs" / "index_spec.example.yaml"
    out = _quiet(index, sample_table, year=2024, level="street", spec=spec, uncertainty=20, jobs=1)
    assert set(out.loc[out["indicator"] == "index_family", "category"]) == {"矛盾化解", "志愿服务", "队伍建设", "群众满意"}
    inp = _quiet(index_inputs, sample_table, year=2024, level="street", spec=spec)
    assert [f["kind"] for f in inp.factors] == ["weights", "winmax"]
