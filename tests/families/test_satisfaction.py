"""Satisfaction indicators on a small two-stage design (tests/data/satisfaction_small.csv).

Design of wave 2024: strata D1 (PSUs g1..g5, fpc 20 PSUs) and D2 (PSUs g1, g2
-- the same labels as in D1, so nesting matters; fpc 10).  C1 = g1+g2 (12
respondents), C2 = g3+g4 (12), C3 = g5 only (10: a domain inside one PSU),
C4 = D2's g1+g2 (5: below min_n).  C5 has respondents only in wave 2023.
Items: q1 party_org 1-5; q2 services 1-5 reverse-coded; q3 services 1-5;
q4 safety 1-4; q5 environment 1-5 that nobody answered; q6 overall 1-5.

Reference values: the point estimates by hand (Σ w y / Σ w) below, and the
design-based standard errors frozen from samplics 0.6.0
``TaylorEstimator(PopParam.mean).estimate(y, samp_weight, stratum, psu,
domain, fpc={"D1": 1-5/20, "D2": 1-2/10})`` and pingouin 0.7.0
``cronbach_alpha`` (script: tests/data/satisfaction_small_peer_ref.py, run in
a separate environment with samplics and pingouin).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.families import satisfaction as sat
from evalkit.families._frame import COLUMNS, Context
from evalkit.io.dataset import Dataset

DATA = Path(__file__).resolve().parents[1] / "data" / "satisfaction_small.csv"
ITEMS = ["q1", "q2", "q3", "q4", "q5", "q6"]
REL = 1e-6  # samplics vs evalkit: both exact Taylor linearisation; 1e-6 relative


def _communities():
    return pd.DataFrame({
        "community_id": pd.array(["C1", "C2", "C3", "C4", "C5"], dtype="str"),
        "community_name": pd.array(["一社区", "二社区", "三社区", "四社区", "五社区"], dtype="str"),
        "district": pd.array(["D1", "D1", "D1", "D2", "D2"], dtype="str"),
        "street": pd.array(["S1", "S1", "S2", "S3", "S3"], dtype="str"),
        "households": pd.array([1000, 800, 600, 500, 400], dtype="Int64"),
        "population": pd.array([3000, 2400, 1800, 1500, 1200], dtype="Int64"),
        "_row": pd.array(range(2, 7), dtype="Int64"),
    })


def _items():
    return pd.DataFrame({
        "item_id": pd.array(ITEMS, dtype="str"),
        "text_zh": pd.array(["党组织", "服务反向", "服务", "平安", "环境", "总体"], dtype="str"),
        "dimension": pd.array(["party_org", "services", "services", "safety", "environment",
                               "overall"], dtype="str"),
        "scale_min": pd.array([1] * 6, dtype="Int64"),
        "scale_max": pd.array([5, 5, 5, 4, 5, 5], dtype="Int64"),
        "reverse": pd.array([False, True, False, False, False, False], dtype="boolean"),
        "_row": pd.array(range(2, 8), dtype="Int64"),
    })


def _responses():
    raw = pd.read_csv(DATA)
    out = pd.DataFrame({
        "respondent_id": raw["respondent_id"].astype("str"),
        "community_id": raw["community_id"].astype("str"),
        "wave": raw["wave"].astype("Int64"),
        "weight": raw["weight"].astype("float64"),
        "stratum": raw["stratum"].astype("str"),
        "psu": raw["psu"].astype("str"),
        "fpc": raw["fpc"].astype("float64"),
    })
    for q in ITEMS:
        out[q] = raw[q].astype("float64")
    out["_row"] = pd.array(range(2, len(out) + 2), dtype="Int64")
    return out


@pytest.fixture
def ds():
    return Dataset(path=Path("."), tables={"communities": _communities(), "survey_items": _items(),
                                           "survey_responses": _responses()},
                   item_ids=list(ITEMS))


@pytest.fixture
def svy():
    from evalkit.stats import survey

    return survey


def run(ds, year=2024, levels=("community",), min_n=10, indicators=None):
    ctx = Context(ds=ds, year=year, levels=tuple(levels), min_n=min_n,
                  indicators=None if indicators is None else frozenset(indicators))
    return sat.compute(ctx)


def pick(df, indicator, unit, category=None):
    m = (df["indicator"] == indicator) & (df["unit_id"] == unit)
    m &= df["category"].isna() if category is None else (df["category"] == category)
    out = df.loc[m.to_numpy(dtype=bool, na_value=False)]
    assert len(out) == 1, (indicator, unit, category, len(out))
    return out.iloc[0]


def hand_scores():
    """Respondent index / services / top2 by hand, written out independently of the module."""
    r = _responses()
    r = r[r["wave"] == 2024].reset_index(drop=True)
    s = pd.DataFrame({
        "q1": 100 * (r["q1"] - 1) / 4,
        "q2": 100 * ((1 + 5 - r["q2"]) - 1) / 4,  # reversed first
        "q3": 100 * (r["q3"] - 1) / 4,
        "q4": 100 * (r["q4"] - 1) / 3,           # 1-4 scale
    })
    r["index"] = s.mean(axis=1, skipna=True)
    r["services"] = s[["q2", "q3"]].mean(axis=1, skipna=True)
    r["top2"] = np.where(r["q6"].isna(), np.nan, (r["q6"] >= 4).astype(float))
    return r


def wmean(r, var, mask):
    d = r.loc[mask & r[var].notna()]
    return float((d["weight"] * d[var]).sum() / d["weight"].sum())


# --- module protocol -------------------------------------------------------------


def test_catalog_entries_follow_the_protocol():
    keys = {"id", "family", "name_zh", "name_en", "definition_zh", "definition_en", "unit",
            "direction", "interval", "category", "survey", "benchmark", "total"}
    assert [e["id"] for e in sat.CATALOG] == ["satisfaction_index", "satisfaction_dimension",
                                              "satisfaction_overall_top2", "satisfaction_alpha"]
    for e in sat.CATALOG:
        assert set(e) == keys and e["family"] == "satisfaction" and e["survey"] is True
    top2 = next(e for e in sat.CATALOG if e["id"] == "satisfaction_overall_top2")
    assert top2["benchmark"]["value"] == 0.80


# --- scores ----------------------------------------------------------------------


def test_item_scores_reverse_scale_and_out_of_scale():
    resp = pd.DataFrame({"q1": [1.0, 5, 3], "q2": [2.0, 5, 9], "q4": [1.0, 4, np.nan]})
    items = _items()
    s = sat.item_scores(resp, items)
    assert list(s.columns) == ["q1", "q2", "q4"]
    assert s["q1"].tolist() == [0.0, 100.0, 50.0]
    assert s["q2"].iloc[:2].tolist() == [75.0, 0.0]  # 2 -> 4 -> 75; 5 -> 1 -> 0
    assert np.isnan(s["q2"].iloc[2])                   # 9 (不清楚) is outside 1-5 -> missing
    assert s["q4"].iloc[:2].tolist() == [0.0, 100.0] and np.isnan(s["q4"].iloc[2])


def test_respondent_scores_by_hand():
    r = _responses()
    sc = sat.respondent_scores(r, _items())
    # R001: q1 4 -> 75, q2 2 (reversed 4) -> 75, q3 5 -> 100, q4 1 (1-4) -> 0; q6 = 5
    assert sc.loc[0, "index"] == 62.5
    assert sc.loc[0, "services"] == 87.5
    assert sc.loc[0, "party_org"] == 75.0 and sc.loc[0, "safety"] == 0.0
    assert sc.loc[0, "top2"] == 1.0
    # R002: q1 1 -> 0, q2 5 (reversed 1) -> 0, q3 missing, q4 4 -> 100: index 100/3; q6 = 1
    assert sc.loc[1, "index"] == pytest.approx(100 / 3, abs=1e-12)
    assert sc.loc[1, "services"] == 0.0 and sc.loc[1, "top2"] == 0.0
    # R004 answered only the overall item: index missing (overall excluded), top2 = 1 (q6 = 4)
    assert np.isnan(sc.loc[3, "index"]) and sc.loc[3, "top2"] == 1.0
    # R008 answered nothing
    assert sc.loc[7].isna().all()
    assert sc["environment"].isna().all()  # q5: all answers missing
    hs = hand_scores()
    np.testing.assert_allclose(sc.loc[:len(hs) - 1, "index"], hs["index"], rtol=0, atol=1e-12)


def test_overall_reverse_coded_top2():
    items = _items()
    items["reverse"] = pd.array([False, True, False, False, False, True], dtype="boolean")
    resp = pd.DataFrame({"q6": [1.0, 2, 3, 5, np.nan]})
    sc = sat.respondent_scores(resp, items)
    assert sc["top2"].iloc[:4].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert np.isnan(sc["top2"].iloc[4])


# --- design-based indicators -------------------------------------------------------


def test_contract_and_every_unit(ds, svy):
    out = run(ds, levels=("community", "street", "district", "city"))
    assert tuple(out.columns) == COLUMNS
    n_units = 5 + 3 + 2 + 1
    # index, top2, alpha + 4 dimensions (party_org, services, safety, environment)
    assert len(out) == n_units * (3 + 4)
    dims = out.loc[out["indicator"] == "satisfaction_dimension", "category"]
    assert set(dims) == {"party_org", "services", "safety", "environment"}  # overall excluded
    assert (out["period"] == "2024").all()


def test_index_domains_of_the_whole_design(ds, svy):
    out = run(ds, levels=("community", "street", "district", "city"))
    hs = hand_scores()
    # samplics 0.6.0 (see module docstring): domain point and se
    ref = {"C1": (45.58080808080808, 3.1382557769512784),
           "C2": (49.87847222222222, 5.0124696723074775),
           "D1/S1": (47.93569254185692, 3.2746209736868916),
           "all": (46.13888888888889, 2.722962252473409)}
    for unit, (v, se) in ref.items():
        r = pick(out, "satisfaction_index", unit)
        assert r["value"] == pytest.approx(v, rel=1e-12)
        assert r["se"] == pytest.approx(se, rel=REL)
        assert r["ci_low"] == pytest.approx(v - 1.959963984540054 * se, rel=REL)  # normal CI
        assert r["deff"] > 0 and not r["suppressed"]
    assert pick(out, "satisfaction_index", "C1")["value"] == pytest.approx(
        wmean(hs, "index", hs["community_id"] == "C1"), rel=1e-12)
    assert pick(out, "satisfaction_index", "C1")["n"] == 10  # R004, R008 have no index
    assert pick(out, "satisfaction_index", "C2")["n"] == 12
    # C1 re-estimated alone (its own 2 PSUs, f = 2/20) has se 4.348494762260925
    # (samplics, same call on the subset): a domain is not a subset.
    assert pick(out, "satisfaction_index", "C1")["se"] != pytest.approx(4.348494762260925, rel=0.01)


def test_one_psu_domain_has_no_se(ds, svy):
    out = run(ds, levels=("community", "street"))
    for unit in ("C3", "D1/S2"):  # C3 lies inside PSU g5 (samplics reports se ~ 4e-15)
        r = pick(out, "satisfaction_index", unit)
        assert r["value"] == pytest.approx(38.97569444444445, rel=1e-12)
        assert np.isnan(r["se"]) and np.isnan(r["ci_low"]) and np.isnan(r["ci_high"])
        assert r["note"] == "not estimable (one PSU)"


def test_suppression_below_min_n(ds, svy):
    out = run(ds, levels=("community", "district"))
    r = pick(out, "satisfaction_index", "C4")  # 5 respondents
    assert r["suppressed"] and r["n"] == 5
    assert np.isnan(r["value"]) and np.isnan(r["se"]) and np.isnan(r["ci_low"])
    assert pick(out, "satisfaction_index", "D2")["suppressed"]
    assert pick(out, "satisfaction_alpha", "C4")["suppressed"]
    # with min_n = 5 the same domain is shown: samplics 51.04166666666667, se 1.8633899812498245
    out = run(ds, min_n=5)
    r = pick(out, "satisfaction_index", "C4")
    assert not r["suppressed"]
    assert (r["value"], r["se"]) == pytest.approx((51.04166666666667, 1.8633899812498245), rel=REL)


def test_units_and_waves_without_responses(ds, svy):
    out = run(ds)
    r = pick(out, "satisfaction_index", "C5")  # only wave 2023
    assert np.isnan(r["value"]) and r["note"] == "no data" and r["n"] == 0
    assert not r["suppressed"]
    out = run(ds, year=2022, levels=("community", "city"))
    assert out["value"].isna().all() and (out["note"] == "no data").all()
    assert not out["suppressed"].any()
    # wave 2023 is used for 2023 (C1 has 6 respondents then)
    out = run(ds, year=2023, min_n=1)
    assert pick(out, "satisfaction_index", "C1")["n"] == 6
    assert pick(out, "satisfaction_index", "C2")["note"] == "no data"


def test_dimension_means(ds, svy):
    out = run(ds, levels=("community", "city"))
    hs = hand_scores()
    r = pick(out, "satisfaction_dimension", "C1", "services")
    # samplics 0.6.0: 42.42424242424242, se 1.8232270624024132
    assert r["value"] == pytest.approx(wmean(hs, "services", hs["community_id"] == "C1"), rel=1e-12)
    assert (r["value"], r["se"]) == pytest.approx((42.42424242424242, 1.8232270624024132), rel=REL)
    r = pick(out, "satisfaction_dimension", "C2", "services")
    assert (r["value"], r["se"], r["n"]) == pytest.approx((36.486486486486484, 0.25005595211156245, 11),
                                                         rel=REL)
    r = pick(out, "satisfaction_dimension", "all", "services")
    assert (r["value"], r["se"]) == pytest.approx((42.00819672131148, 1.6733664533709613), rel=REL)
    # nobody answered the environment item: no data, never 0
    r = pick(out, "satisfaction_dimension", "all", "environment")
    assert np.isnan(r["value"]) and r["note"] == "no data"


def test_overall_top2_logit_interval(ds, svy):
    out = run(ds, levels=("community", "city"))
    hs = hand_scores()
    for unit, v, se in (("C1", 0.6, 0.2556038601690775),
                        ("C2", 0.40540540540540543, 0.06301409993211371),
                        ("all", 0.4666666666666667, 0.11724549209663289)):
        r = pick(out, "satisfaction_overall_top2", unit)
        assert (r["value"], r["se"]) == pytest.approx((v, se), rel=REL)
        assert 0 < r["ci_low"] < v < r["ci_high"] < 1
        # logit interval: symmetric on the logit scale, not on the share scale
        lg = lambda p: np.log(p / (1 - p))  # noqa: E731
        assert lg(r["ci_high"]) - lg(v) == pytest.approx(lg(v) - lg(r["ci_low"]), rel=1e-9)
        assert r["ci_high"] - v != pytest.approx(v - r["ci_low"], rel=1e-3)
    assert pick(out, "satisfaction_overall_top2", "all")["value"] == pytest.approx(
        wmean(hs, "top2", hs["wave"] == 2024), rel=1e-12)
    assert pick(out, "satisfaction_overall_top2", "C2")["n"] == 11  # answered q6


def test_alpha_complete_cases_unweighted(ds, svy):
    # pingouin 0.7.0 cronbach_alpha on the complete cases of the q1-q4 scores
    # (q5 unanswered is left out); its CI is printed to 3 decimals -> abs 1e-3.
    out = run(ds, levels=("community", "city"), min_n=5)
    r = pick(out, "satisfaction_alpha", "all")
    assert r["n"] == 27
    assert r["value"] == pytest.approx(-1.051413159521268, rel=1e-9)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-2.691, -0.029), abs=1e-3)
    r = pick(out, "satisfaction_alpha", "C1")
    assert r["n"] == 8 and r["value"] == pytest.approx(-1.2470238095238095, rel=1e-9)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-5.671, 0.495), abs=1e-3)
    r = pick(out, "satisfaction_alpha", "C4")  # n = 5: shown at min_n = 5
    assert r["n"] == 5 and not r["suppressed"] and np.isfinite(r["value"])
    r = pick(run(ds), "satisfaction_alpha", "C1")  # n = 8 < 10: suppressed
    assert r["suppressed"] and r["n"] == 8 and np.isnan(r["value"])


def test_wants_and_rerun(ds, svy):
    out = run(ds, indicators={"satisfaction_overall_top2"})
    assert set(out["indicator"]) == {"satisfaction_overall_top2"}
    a = run(ds, levels=("community", "street", "district", "city"))
    b = run(ds, levels=("community", "street", "district", "city"))
    pd.testing.assert_frame_equal(a, b)


def test_design_columns_default_without_design():
    resp = _responses().drop(columns=["stratum", "psu", "fpc", "weight"])
    frame, kw = sat.design_columns(resp)
    assert kw == {"weights": "_w"} and (frame["_w"] == 1.0).all()


# --- synthetic data --------------------------------------------------------------


def test_synth_uplift_is_visible(demo):
    """The planted uplift shows in the community indices (not the pilot estimator).

    Difference in differences of community satisfaction_index between wave
    2020 (no community piloted yet: cohorts are 2021-2023) and wave 2024 (all
    piloted), piloted minus never-piloted communities; community levels
    cancel.  The planted effect is truth["satisfaction_uplift"] (6 points).
    Tolerance: 3.5 Welch standard errors of that difference, computed from
    the communities themselves; and it must be visible (> 3 se from 0).
    """
    ds, truth = demo
    vals = {}
    for wave in (2020, 2024):
        out = sat.compute(Context(ds=ds, year=wave, levels=("community",), min_n=1,
                                  indicators=frozenset({"satisfaction_index"})))
        vals[wave] = out.set_index("unit_id")["value"]
    diff = (vals[2024] - vals[2020]).dropna()
    com = ds["communities"].set_index("community_id")
    piloted = com["pilot"].reindex(diff.index).fillna(False).astype(bool)
    a, b = diff[piloted], diff[~piloted]
    did = a.mean() - b.mean()
    se = np.sqrt(a.var() / len(a) + b.var() / len(b))
    assert abs(did - truth["satisfaction_uplift"]) <= 3.5 * se, (did, se)
    assert did > 3 * se


def test_synth_city_index_near_expectation(demo):
    """satisfaction_index of never-piloted respondents vs truth["satisfaction_index_mean"].

    The city domain of never-piloted communities is estimated with its
    design-based se; the truth is an expectation over the generator's model
    (community and building effects are random), so the tolerance is 4 se
    plus 2 index points for the community-level variation the design se of
    one realisation does not cover.
    """
    ds, truth = demo
    out = sat.compute(Context(ds=ds, year=2020, levels=("city",),
                              indicators=frozenset({"satisfaction_index"})))
    r = pick(out, "satisfaction_index", "all")  # 2020: nobody piloted yet
    assert abs(r["value"] - truth["satisfaction_index_mean"]) <= 4 * r["se"] + 2.0, r["value"]
    assert r["n"] > 1000 and r["deff"] > 1


# --- edge cases ------------------------------------------------------------------


def test_codebook_without_overall_item(ds, svy):
    items = _items()
    items["dimension"] = pd.array(["party_org", "services", "services", "safety", "environment",
                                   "participation"], dtype="str")
    ds.tables["survey_items"] = items
    out = run(ds, levels=("city",))
    r = pick(out, "satisfaction_overall_top2", "all")
    assert np.isnan(r["value"]) and r["note"] == "no data"
    # q6 now counts in the index (as participation): the index differs from before
    assert pick(out, "satisfaction_index", "all")["value"] != pytest.approx(46.13888888888889)
    assert not np.isnan(pick(out, "satisfaction_dimension", "all", "participation")["value"])


def test_respondent_outside_register_stays_in_design(ds, svy):
    resp = ds.tables["survey_responses"]
    resp.loc[resp.index[0], "community_id"] = "C9"  # R001 (C1, g1) not in the register
    out = run(ds, levels=("community", "city"))
    assert pick(out, "satisfaction_index", "C1")["n"] == 9
    assert pick(out, "satisfaction_index", "all")["n"] == 36  # the city is its communities
    assert not (out["unit_id"] == "C9").any()


def test_bad_scale_is_a_bilingual_data_error(ds):
    from evalkit.exceptions import DataError

    items = _items()
    items.loc[0, "scale_max"] = 1
    ds.tables["survey_items"] = items
    with pytest.raises(DataError) as e:
        run(ds)
    assert "q1" in e.value.zh and "scale_max" in e.value.en
