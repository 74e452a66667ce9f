"""Disputes indicators against hand computations on the small dataset (conftest.py).

2024 ledger: C1 4 cases (150 households in 2024 from community_years), C2 3 cases
(200 households), C3 1 case (400), C4 none (300).  2023: C1 2, C2 1, C3 1.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from evalkit.families import indicators

from fam_helpers import DISPUTES, one, small_dataset

EXACT = dict(rel=1e-12, abs=1e-12)   # hand computations: exact up to float rounding
REF = dict(rel=1e-9)                 # peer library values (statsmodels), same formula
FAMS = ["disputes"]


@pytest.fixture(scope="module")
def t2024():
    return indicators(small_dataset(), year=2024, level=["community", "street", "district", "city"],
                      families=FAMS)


def test_count_and_rate_by_hand(t2024):
    r = one(t2024, indicator="dispute_count", level="community", unit_id="C1", period="2024")
    assert r["value"] == 4 and r["n"] == 4
    r = one(t2024, indicator="dispute_rate", level="community", unit_id="C1", period="2024")
    # community_years overrides C1's households in 2024: 150, not the register's 100
    assert r["value"] == pytest.approx(1000 * 4 / 150, **EXACT)
    assert (r["numerator"], r["denominator"]) == (4, 150)
    # Garwood interval, reference: statsmodels 0.15 confint_poisson(4, 150, method="exact-c")
    lo, hi = confint_poisson(4, 150, method="exact-c")
    assert r["ci_low"] == pytest.approx(1000 * lo, **REF)
    assert r["ci_high"] == pytest.approx(1000 * hi, **REF)


def test_community_without_cases_is_zero_not_missing(t2024):
    r = one(t2024, indicator="dispute_count", level="community", unit_id="C4", period="2024")
    assert r["value"] == 0 and pd.isna(r["note"])
    r = one(t2024, indicator="dispute_rate", level="community", unit_id="C4", period="2024")
    assert r["value"] == 0
    lo, hi = confint_poisson(0, 300, method="exact-c")
    assert r["ci_low"] == 0 and r["ci_high"] == pytest.approx(1000 * hi, **REF)
    # a share is undefined without cases: empty with a note, not 0
    r = one(t2024, indicator="dispute_resolution_rate", level="community", unit_id="C4")
    assert pd.isna(r["value"]) and r["note"] == "no data"


def test_higher_levels_sum_records_not_average_rates(t2024):
    r = one(t2024, indicator="dispute_rate", level="street", unit_id="D1/S1", period="2024")
    assert r["value"] == pytest.approx(1000 * (4 + 3) / (150 + 200), **EXACT)
    mean_of_rates = (1000 * 4 / 150 + 1000 * 3 / 200) / 2
    assert abs(r["value"] - mean_of_rates) > 0.5        # the two differ on this data
    r = one(t2024, indicator="dispute_rate", level="city", unit_id="all", period="2024")
    assert r["value"] == pytest.approx(1000 * 8 / 1050, **EXACT)
    assert r["unit_name"] == "全市" and r["district"] == "all"
    r = one(t2024, indicator="dispute_resolution_rate", level="district", unit_id="D1")
    assert r["value"] == pytest.approx(4 / 8, **EXACT)
    r = one(t2024, indicator="dispute_count", level="district", unit_id="D2")
    assert r["value"] == 0


def test_every_community_at_every_level(t2024):
    c = t2024.loc[(t2024["indicator"] == "dispute_rate") & (t2024["period"] == "2024")]
    assert c.groupby("level")["unit_id"].nunique().to_dict() == {
        "community": 4, "street": 3, "district": 2, "city": 1}


def test_monthly_rates(t2024):
    m = t2024.loc[(t2024["indicator"] == "dispute_rate") & (t2024["level"] == "community")
                  & (t2024["unit_id"] == "C1") & (t2024["period"].str.len() == 7)]
    assert list(m["period"]) == [f"2024-{i:02d}" for i in range(1, 13)]
    cases = {"2024-01": 1, "2024-03": 1, "2024-06": 1, "2024-12": 1}
    expect = [1000 * cases.get(p, 0) / 150 for p in m["period"]]
    np.testing.assert_allclose(m["value"], expect, rtol=1e-12)


def test_rate_change(t2024):
    r = one(t2024, indicator="dispute_rate_change", level="community", unit_id="C1", category=None)
    # 2024: 4/150; 2023: 2 cases / 100 households (no 2023 override)
    assert r["value"] == pytest.approx((4 / 150) / (2 / 100) - 1, **EXACT)
    # exact conditional interval: Clopper-Pearson on k1 | k1 + k0, reference statsmodels
    pl, pu = proportion_confint(4, 6, method="beta")
    f = 100 / 150
    assert r["ci_low"] == pytest.approx(pl / (1 - pl) * f - 1, rel=1e-8)
    assert r["ci_high"] == pytest.approx(pu / (1 - pu) * f - 1, rel=1e-8)
    r = one(t2024, indicator="dispute_rate_change", level="community", unit_id="C4", category=None)
    assert pd.isna(r["value"]) and r["note"]            # rate 0 the year before: undefined


def test_shares_resolution_escalation(t2024):
    r = one(t2024, indicator="dispute_share", level="community", unit_id="C1", category="property")
    assert r["value"] == pytest.approx(3 / 4, **EXACT)
    lo, hi = proportion_confint(3, 4, method="wilson")   # statsmodels 0.15, method="wilson"
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo, **REF), pytest.approx(hi, **REF))
    r = one(t2024, indicator="dispute_share", level="community", unit_id="C1", category="land")
    assert r["value"] == 0 and r["ci_low"] == 0
    shares = t2024.loc[(t2024["indicator"] == "dispute_share") & (t2024["unit_id"] == "C2")]
    assert len(shares) == 7 and shares["value"].sum() == pytest.approx(1.0)
    # C1: K010 and K011 resolved in 2024; K013 resolved 2025-01-05 does not count for 2024
    r = one(t2024, indicator="dispute_resolution_rate", level="community", unit_id="C1")
    assert (r["numerator"], r["denominator"], r["value"]) == (2, 4, 0.5)
    r = one(t2024, indicator="dispute_escalation_rate", level="community", unit_id="C1")
    assert r["value"] == pytest.approx(1 / 4, **EXACT)
    lo, hi = proportion_confint(1, 4, method="wilson")
    assert r["ci_low"] == pytest.approx(lo, **REF) and r["ci_high"] == pytest.approx(hi, **REF)


def test_year_before_the_ledger_is_no_data_not_zero():
    with pytest.warns(UserWarning, match="no data"):
        t = indicators(small_dataset(), year=2021, level=["community", "city"], families=FAMS)
    y = t.loc[t["period"] == "2021"]
    assert y["value"].isna().all()
    assert (y["note"] == "no data").all()


def test_a_year_the_ledger_begins_in_is_noted_and_so_is_a_change_against_it():
    """The ledger's first case is 2022-02-10: 2022 is covered from 02-01 only.  Its yearly
    rows say so (January's monthly row is 'no data'), and the 2023 rate change -- a year
    against a part year -- names the part year."""
    t = indicators(small_dataset(), year=2022, level=["community", "city"], families=FAMS,
                   indicators=["dispute_count", "dispute_rate"])
    r = one(t, indicator="dispute_count", level="city", period="2022")
    assert r["value"] == 1 and r["note"] == "from 02-01"
    assert one(t, indicator="dispute_rate", level="city", period="2022-01")["note"] == "no data"
    assert pd.isna(one(t, indicator="dispute_rate", level="city", period="2022-02")["note"])
    t = indicators(small_dataset(), year=2023, level=["city"], families=FAMS,
                   indicators=["dispute_count", "dispute_rate_change"])
    assert pd.isna(one(t, indicator="dispute_count", level="city", period="2023")["note"])
    r = one(t, indicator="dispute_rate_change", level="city", period="2023", category=None)
    assert r["note"] == "2022 from 02-01" and np.isfinite(r["value"])


def test_as_of_cuts_the_year():
    t = indicators(small_dataset(), year=2024, as_of="2024-06-30", families=FAMS,
                   indicators=["dispute_count", "dispute_rate", "dispute_resolution_rate"])
    r = one(t, indicator="dispute_count", unit_id="C1", period="2024")
    assert r["value"] == 3 and r["note"] == "through 06-30"       # K013 (Dec) is after the as-of date
    r = one(t, indicator="dispute_rate", unit_id="C1", period="2024-09")
    assert pd.isna(r["value"]) and r["note"] == "no data"
    r = one(t, indicator="dispute_rate", unit_id="C1", period="2024-06")
    assert r["value"] == pytest.approx(1000 / 150) and pd.isna(r["note"])
    with pytest.warns(UserWarning, match="no data"):
        t = indicators(small_dataset(), year=2025, as_of="2024-06-30", families=FAMS,
                       indicators=["dispute_count"])
    assert t["value"].isna().all() and (t["note"] == "no data").all()


def test_resolved_30d_against_statsmodels(t2024):
    from statsmodels.duration.survfunc import CumIncidenceRight

    # city level, all 8 cases of 2024; as-of = the ledger's latest date, 2025-01-05.
    # resolved at day 10, 30, 16 (K013 resolved 2025-01-05), 60, 2; escalated/unresolved at
    # day 0 (competing); K016 in progress since 2024-09-01, censored at the as-of date.
    times = np.array([10, 30, 0, 16, 60, 0, (pd.Timestamp("2025-01-05") - pd.Timestamp("2024-09-01")).days, 2])
    status = np.array([1, 1, 2, 1, 1, 2, 0, 1])
    ci = CumIncidenceRight(times, status)
    ref = ci.cinc[0][np.searchsorted(ci.times, 30, side="right") - 1]
    r = one(t2024, indicator="dispute_resolved_30d", level="city")
    assert r["value"] == pytest.approx(ref, rel=1e-10)   # reference: statsmodels 0.15 CumIncidenceRight
    assert r["value"] == pytest.approx(0.5, **EXACT)      # by hand: 0.75/6 + 0.625/5 + 0.5/4 + 0.375/3
    r = one(t2024, indicator="dispute_median_days", level="city")
    assert r["value"] == 30
    r = one(t2024, indicator="dispute_median_days", level="community", unit_id="C2")
    assert pd.isna(r["value"]) and r["note"] == "never reaches 0.5"
    r = one(t2024, indicator="dispute_resolved_30d", level="community", unit_id="C4")
    assert pd.isna(r["value"]) and r["note"] == "no data"


def test_missing_dispute_table_warning_vs_error():
    from evalkit.exceptions import MissingTableError

    ds = small_dataset(disputes=None)
    with pytest.warns(UserWarning, match="disputes"):
        t = indicators(ds, year=2024)
    assert not t["indicator"].str.startswith("dispute").any()
    assert any("disputes" in w for w in t.attrs["warnings"])
    with pytest.raises(MissingTableError, match="disputes"):
        indicators(ds, year=2024, families=["disputes"])


def test_ledger_starting_midyear_trend_window():
    from evalkit.families._coverage import Coverage
    from evalkit.families.disputes import trend_window

    cov = Coverage(pd.Timestamp("2015-03-10"), pd.Timestamp("2024-12-31"))
    assert trend_window(cov, 2023) == (2016, 2023)
    assert trend_window(cov, 2030) is None or trend_window(cov, 2030) == (2021, 2030)
    cov = Coverage(pd.Timestamp("2010-01-04"), pd.Timestamp("2024-12-31"))
    assert trend_window(cov, 2024) == (2015, 2024)        # at most ten years
    assert trend_window(Coverage(pd.Timestamp("2024-02-01"), pd.Timestamp("2024-12-31")), 2024) is None


def test_trend_rows_on_the_small_ledger(t2024):
    r = one(t2024, indicator="dispute_trend_irr", level="city")
    # ledger starts 2022-02-10: first complete year 2023, window 2023-2024
    assert r["period"] == "2023-2024"
    assert r["value"] > 0 and r["ci_low"] < r["value"] < r["ci_high"]
    assert r["note"] in ("poisson", "negative binomial") or "poisson" in r["note"] or "negative" in r["note"]


def test_fixture_is_what_the_comments_say():
    assert len([c for c in DISPUTES if c["reported_on"].startswith("2024")]) == 8


def test_trend_window_cut_by_as_of_and_too_short():
    t = indicators(small_dataset(), year=2024, as_of="2024-06-15", level="city", families=FAMS,
                   indicators=["dispute_trend_irr", "dispute_trend_mk"])
    irr = one(t, indicator="dispute_trend_irr")
    assert irr["period"] == "2023-2024" and irr["note"].endswith("through 05-31")   # whole months only
    mk = one(t, indicator="dispute_trend_mk")
    assert mk["note"] == "through 05-31"
    # the ledger's first complete year is 2023: a window ending in 2023 has one year, too short
    with pytest.warns(UserWarning, match="no data"):
        t = indicators(small_dataset(), year=2023, level="city", families=FAMS, indicators=["dispute_trend_irr"])
    assert pd.isna(one(t, indicator="dispute_trend_irr")["value"])
    assert one(t, indicator="dispute_trend_irr")["note"] == "no data"
