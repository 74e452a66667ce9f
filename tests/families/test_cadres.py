"""Cadre indicators on a small hand-built register (values computed by hand below).

Fixture (year 2024; default roles = every role except grid_worker):

* C1 (D1/S1): term 2021 current (p1 secretary bachelor 1980 一肩挑, p2 director
  college 1990, p3 committee senior_high 1970, p4 staff junior_high 1985
  certified, p5 grid_worker primary 1995); term 2018 previous (p1 senior_high,
  p6 junior_high, p2 college, p7 primary).
* C2 (D1/S1): term 2021 (q1 secretary college 1975 not 一肩挑, q2 committee
  bachelor 1988 certified, q3 staff postgraduate 1992 certified, q4 committee
  primary 1960); a term 2025 that is after the year and must be ignored.
* C3 (D1/S2): latest term 2015 is before the year and still current (r1
  secretary junior_high 1962 flag unknown, r2 director senior_high 1970, r3
  grid_worker college 1990); previous term 2012 (r1 junior_high, r4 college).
* C4 (D2/S3): no cadre rows at all; C5 (D2/S3): only a term 2026.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import ParameterError
from evalkit.families import cadres
from evalkit.families._frame import COLUMNS, Context
from evalkit.io.dataset import Dataset

YEAR = 2024


def _communities():
    return pd.DataFrame({
        "community_id": pd.array(["C1", "C2", "C3", "C4", "C5"], dtype="str"),
        "community_name": pd.array(["一社区", "二社区", "三社区", "四社区", "五社区"], dtype="str"),
        "city": pd.array(["X"] * 5, dtype="str"),
        "district": pd.array(["D1", "D1", "D1", "D2", "D2"], dtype="str"),
        "street": pd.array(["S1", "S1", "S2", "S3", "S3"], dtype="str"),
        "households": pd.array([1000, 800, 600, 500, 400], dtype="Int64"),
        "population": pd.array([3000, 2400, 1800, 1500, 1200], dtype="Int64"),
        "pilot": pd.array([False] * 5, dtype="boolean"),
        "_row": pd.array(range(2, 7), dtype="Int64"),
    })


CADRE_ROWS = [
    # person, community, term, role, birth, education, certified, concurrent
    ("p1", "C1", 2021, "secretary", 1980, "bachelor", False, True),
    ("p2", "C1", 2021, "director", 1990, "college", False, None),
    ("p3", "C1", 2021, "committee", 1970, "senior_high", False, None),
    ("p4", "C1", 2021, "staff", 1985, "junior_high", True, None),
    ("p5", "C1", 2021, "grid_worker", 1995, "primary", False, None),
    ("p1", "C1", 2018, "secretary", 1980, "senior_high", False, False),
    ("p6", "C1", 2018, "committee", 1965, "junior_high", False, None),
    ("p2", "C1", 2018, "director", 1990, "college", False, None),
    ("p7", "C1", 2018, "staff", 1960, "primary", False, None),
    ("q1", "C2", 2021, "secretary", 1975, "college", False, False),
    ("q2", "C2", 2021, "committee", 1988, "bachelor", True, None),
    ("q3", "C2", 2021, "staff", 1992, "postgraduate", True, None),
    ("q4", "C2", 2021, "committee", 1960, "primary", False, None),
    ("q5", "C2", 2025, "secretary", 1990, "bachelor", False, True),
    ("r1", "C3", 2015, "secretary", 1962, "junior_high", False, None),
    ("r2", "C3", 2015, "director", 1970, "senior_high", False, None),
    ("r3", "C3", 2015, "grid_worker", 1990, "college", False, None),
    ("r1", "C3", 2012, "secretary", 1962, "junior_high", False, None),
    ("r4", "C3", 2012, "committee", 1980, "college", False, None),
    ("s1", "C5", 2026, "secretary", 1985, "bachelor", False, True),
]


def _cadres(rows=CADRE_ROWS):
    cols = list(zip(*rows))
    n = len(rows)
    return pd.DataFrame({
        "person_id": pd.array(cols[0], dtype="str"),
        "community_id": pd.array(cols[1], dtype="str"),
        "term_year": pd.array(cols[2], dtype="Int64"),
        "role": pd.array(cols[3], dtype="str"),
        "birth_year": pd.array(cols[4], dtype="Int64"),
        "gender": pd.array([None] * n, dtype="str"),
        "education": pd.array(cols[5], dtype="str"),
        "party_member": pd.array([True] * n, dtype="boolean"),
        "certified_social_worker": pd.array(cols[6], dtype="boolean"),
        "concurrent_director": pd.array(cols[7], dtype="boolean"),
        "_row": pd.array(range(2, n + 2), dtype="Int64"),
    })


@pytest.fixture
def ds():
    return Dataset(path=Path("."), tables={"communities": _communities(), "cadres": _cadres()})


def run(ds, levels=("community",), roles=None, indicators=None, **kw):
    ctx = Context(ds=ds, year=YEAR, levels=tuple(levels), roles=roles,
                  indicators=None if indicators is None else frozenset(indicators))
    return cadres.compute(ctx, **kw)


def pick(df, indicator, unit, category=None, level=None):
    m = (df["indicator"] == indicator) & (df["unit_id"] == unit)
    if level is not None:
        m &= df["level"] == level
    if category is not None:
        m &= df["category"] == category
    out = df.loc[m]
    assert len(out) == 1, (indicator, unit, category, len(out))
    return out.iloc[0]


# --- module protocol ----------------------------------------------------------


def test_catalog_entries_follow_the_protocol():
    keys = {"id", "family", "name_zh", "name_en", "definition_zh", "definition_en", "unit",
            "direction", "interval", "category", "survey", "benchmark", "total"}
    ids = [e["id"] for e in cadres.CATALOG]
    assert len(ids) == len(set(ids)) == 8
    for e in cadres.CATALOG:
        assert set(e) == keys
        assert e["family"] == cadres.FAMILY == "cadres"
        assert e["survey"] is False
        if e["benchmark"] is not None:
            assert set(e["benchmark"]) == {"value", "scope_zh", "scope_en", "source"}
    assert cadres.TABLES == ("cadres", "communities")


def test_output_contract_and_every_unit(ds):
    out = run(ds, levels=("community", "street", "district", "city"))
    assert tuple(out.columns) == COLUMNS
    assert not out["suppressed"].any()  # registers are never suppressed
    # every unit of every level, every indicator; education has 6 categories
    units = {"community": 5, "street": 3, "district": 2, "city": 1}
    per_unit = 7 + 6
    assert len(out) == sum(units.values()) * per_unit
    assert set(out["period"]) == {"2024"}
    edu = out[out["indicator"] == "cadre_education_share"]
    assert set(edu["category"]) == {"primary", "junior_high", "senior_high", "college",
                                    "bachelor", "postgraduate"}
    assert out["category"][out["indicator"] != "cadre_education_share"].isna().all()


def test_wants_restricts_indicators(ds):
    out = run(ds, indicators={"cadre_mean_age"})
    assert set(out["indicator"]) == {"cadre_mean_age"}


# --- community level, by hand ---------------------------------------------------


def test_latest_term_and_shares_by_hand(ds):
    out = run(ds)
    # C1 current 2021 without the grid worker: bachelor, college, senior_high, junior_high
    r = pick(out, "cadre_college_share", "C1")
    assert (r["value"], r["numerator"], r["denominator"], r["n"]) == (0.5, 2, 4, 4)
    assert pick(out, "cadre_junior_high_or_below_share", "C1")["value"] == 0.25
    assert pick(out, "cadre_education_share", "C1", "primary")["value"] == 0.0  # level 0 kept
    assert pick(out, "cadre_education_share", "C1", "bachelor")["value"] == 0.25
    assert pick(out, "cadre_certified_share", "C1")["value"] == 0.25
    # C2: term 2025 lies after the year -> the 2021 term counts
    assert pick(out, "cadre_college_share", "C2")["value"] == 0.75
    assert pick(out, "cadre_college_share", "C2")["n"] == 4
    assert pick(out, "cadre_certified_share", "C2")["value"] == 0.5
    # C3: latest term 2015 (before the year) is still current: junior_high, senior_high
    r = pick(out, "cadre_college_share", "C3")
    assert (r["value"], r["n"]) == (0.0, 2)
    assert pick(out, "cadre_junior_high_or_below_share", "C3")["value"] == 0.5
    # C4 (no terms) and C5 (first term after the year): no data, not zero
    for cid in ("C4", "C5"):
        for ind in ("cadre_college_share", "cadre_mean_age", "cadre_dual_role_share",
                    "cadre_college_share_change"):
            r = pick(out, ind, cid)
            assert np.isnan(r["value"]) and r["note"] == "no data", (cid, ind)
            assert r["n"] == 0
        assert pick(out, "cadre_education_share", cid, "college")["note"] == "no data"


def test_shares_have_wilson_intervals(ds):
    from statsmodels.stats.proportion import proportion_confint

    out = run(ds)
    for cid, k, n in (("C1", 2, 4), ("C2", 3, 4), ("C3", 0, 2)):
        r = pick(out, "cadre_college_share", cid)
        # reference: statsmodels 0.15 proportion_confint(k, n, alpha=0.05, method="wilson")
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert r["ci_low"] == pytest.approx(lo, abs=1e-12)
        assert r["ci_high"] == pytest.approx(hi, abs=1e-12)
        assert r["se"] == pytest.approx(np.sqrt(k / n * (1 - k / n) / n), abs=1e-12)


def test_mean_age_with_t_interval(ds):
    from scipy import stats

    out = run(ds)
    ages = np.array([44, 34, 54, 39.0])  # 2024 - birth years of p1..p4
    r = pick(out, "cadre_mean_age", "C1")
    assert r["value"] == 42.75 and r["n"] == 4
    # reference: scipy ttest_1samp(...).confidence_interval(0.95), sem
    ci = stats.ttest_1samp(ages, 0).confidence_interval(0.95)
    assert r["se"] == pytest.approx(stats.sem(ages), rel=1e-12)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert pick(out, "cadre_under_40_share", "C1")["value"] == 0.5  # 34 and 39
    assert pick(out, "cadre_under_40_share", "C3")["value"] == 0.0


def test_single_cadre_mean_age_has_no_se(ds):
    out = run(ds, roles=("secretary",))
    r = pick(out, "cadre_mean_age", "C1")
    assert r["value"] == 44 and r["n"] == 1
    assert np.isnan(r["se"]) and np.isnan(r["ci_low"]) and np.isnan(r["ci_high"])


def test_age_limit_is_a_setting(ds):
    out = run(ds, age_limit=45, indicators={"cadre_under_40_share"})
    assert pick(out, "cadre_under_40_share", "C1")["value"] == 0.75  # 44, 34, 39


def test_previous_term_change(ds):
    from statsmodels.stats.proportion import confint_proportions_2indep

    out = run(ds)
    # C1: 2/4 now, previous 2018 term (p1 senior_high, p6, p2 college, p7) 1/4
    r = pick(out, "cadre_college_share_change", "C1")
    assert r["value"] == pytest.approx(0.25, abs=1e-15)
    assert r["n"] == 4 and np.isnan(r["numerator"]) and np.isnan(r["denominator"])
    # reference: statsmodels 0.15 confint_proportions_2indep(2, 4, 1, 4, method="newcomb")
    lo, hi = confint_proportions_2indep(2, 4, 1, 4, method="newcomb", compare="diff")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    # C3: 0/2 now, previous 2012 term 1/2
    assert pick(out, "cadre_college_share_change", "C3")["value"] == -0.5
    # C2 has no previous term
    r = pick(out, "cadre_college_share_change", "C2")
    assert np.isnan(r["value"]) and r["note"] == "no previous term"


def test_dual_role(ds):
    out = run(ds)
    r = pick(out, "cadre_dual_role_share", "C1")
    assert (r["value"], r["n"]) == (1.0, 1)
    assert pick(out, "cadre_dual_role_share", "C2")["value"] == 0.0  # 2025 一肩挑 ignored
    r = pick(out, "cadre_dual_role_share", "C3")  # flag unknown -> not counted
    assert np.isnan(r["value"]) and r["n"] == 0
    out = run(ds, levels=("district",))
    r = pick(out, "cadre_dual_role_share", "D1")
    assert (r["value"], r["numerator"], r["denominator"], r["n"]) == (0.5, 1, 2, 2)


# --- roles ---------------------------------------------------------------------


def test_roles_restrict_rows_but_not_the_term(ds):
    out = run(ds, roles=("grid_worker",))
    assert pick(out, "cadre_college_share", "C1")["value"] == 0.0  # p5 primary
    assert pick(out, "cadre_college_share", "C3")["value"] == 1.0  # r3 college
    # C2's current term has no grid worker: no data (never an older term's)
    assert pick(out, "cadre_college_share", "C2")["note"] == "no data"
    out = run(ds, roles=["书记"])  # Chinese labels accepted
    assert pick(out, "cadre_college_share", "C1")["n"] == 1
    every = run(ds, roles=tuple(cadres.CADRE_ROLES))
    assert pick(every, "cadre_college_share", "C1")["n"] == 5


def test_unknown_role_raises_bilingual_error(ds):
    with pytest.raises(ParameterError) as e:
        run(ds, roles=("mayor",))
    assert "roles" in e.value.zh and "mayor" in e.value.en


# --- levels pool the rows ------------------------------------------------------


def test_levels_pool_rows_not_rates(ds):
    out = run(ds, levels=("street", "district", "city"))
    r = pick(out, "cadre_college_share", "D1/S1")
    assert (r["value"], r["n"]) == (5 / 8, 8)
    r = pick(out, "cadre_college_share", "D1")
    assert (r["value"], r["n"]) == (0.5, 10)
    community_mean = np.mean([0.5, 0.75, 0.0])
    assert r["value"] != pytest.approx(community_mean)  # pooled, not averaged
    assert pick(out, "cadre_college_share", "all")["value"] == 0.5
    assert pick(out, "cadre_college_share", "D2")["note"] == "no data"
    # mean age pooled over the 10 cadres of D1
    assert pick(out, "cadre_mean_age", "D1")["value"] == pytest.approx(46.8, abs=1e-12)
    # change: S1 = 5/8 - 1/4 (only C1 has a previous term); D1 = 5/10 - 2/6
    assert pick(out, "cadre_college_share_change", "D1/S1")["value"] == pytest.approx(0.375)
    assert pick(out, "cadre_college_share_change", "D1")["value"] == pytest.approx(0.5 - 2 / 6)
    s = pick(out, "cadre_education_share", "D1", "bachelor")
    assert (s["numerator"], s["denominator"]) == (2, 10)


def test_empty_register_gives_no_data(ds):
    ds.tables["cadres"] = _cadres().iloc[0:0]
    out = run(ds, levels=("community", "city"))
    assert out["value"].isna().all()
    assert (out["note"] == "no data").all()


def test_rerun_is_identical(ds):
    a = run(ds, levels=("community", "street", "district", "city"))
    b = run(ds, levels=("community", "street", "district", "city"))
    pd.testing.assert_frame_equal(a, b)


# --- synthetic data --------------------------------------------------------------


def test_synth_cadre_college_share_by_term(demo):
    """Each term's city-wide college share matches the generator's target.

    The generator draws each non-grid cadre's education independently with
    probabilities whose mean over cadres is the target t, so the realised
    share has variance at most t(1-t)/n (Bernoulli draws with unequal p vary
    less than binomial).  Tolerance: 3.5 of those standard errors (two-sided
    chance of a false failure < 5e-4 per term for an arbitrary seed).
    """
    ds, truth = demo
    targets = truth["cadre_college_share_by_term"]
    assert set(targets) == {str(t) for t in truth["cadre_terms"]}
    for term, target in targets.items():
        out = cadres.compute(Context(ds=ds, year=int(term), levels=("city", "community")))
        r = pick(out, "cadre_college_share", "all")
        tol = 3.5 * np.sqrt(target * (1 - target) / r["n"])
        assert abs(r["value"] - target) <= tol, (term, r["value"], target, tol)
        # the city pools the rows: numerator and n are sums of the communities'
        com = out[(out["indicator"] == "cadre_college_share") & (out["level"] == "community")]
        assert r["numerator"] == com["numerator"].sum() and r["n"] == com["n"].sum()
    # the change between the last two terms is near the planted +0.20
    out = cadres.compute(Context(ds=ds, year=2024, levels=("city",),
                                 indicators=frozenset({"cadre_college_share_change"})))
    r = pick(out, "cadre_college_share_change", "all")
    assert r["ci_low"] < targets["2024"] - targets["2021"] < r["ci_high"]
