"""Volunteer indicators against hand computations on the small dataset (conftest.py).

2024: C1 registered V1 (Party), V2; active V1 (1.5 + 2.5 h).  C2 registered V4 and V6
(V6 left 2024-03-01, after the year's start; V3 left 2023-06-30); active V4 (4 h, not
Party) and V6 (1 h, Party).  C3's V5 registers in 2025.  Populations 2024: C1 320
(community_years), C2 500, C3 1000, C4 800.
"""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from evalkit.families import indicators

from fam_helpers import one, small_dataset

EXACT = dict(rel=1e-12, abs=1e-12)
REF = dict(rel=1e-9)


@pytest.fixture(scope="module")
def t():
    return indicators(small_dataset(), year=2024, level=["community", "district", "city"],
                      families=["volunteers"])


def test_registration_rate(t):
    r = one(t, indicator="volunteer_registration_rate", level="community", unit_id="C1")
    assert r["value"] == pytest.approx(100 * 2 / 320, **EXACT)
    lo, hi = confint_poisson(2, 320, method="exact-c")   # statsmodels 0.15, Garwood
    assert r["ci_low"] == pytest.approx(100 * lo, **REF) and r["ci_high"] == pytest.approx(100 * hi, **REF)
    r = one(t, indicator="volunteer_registration_rate", level="community", unit_id="C2")
    assert r["numerator"] == 2                           # V4, V6; V3 left in 2023
    r = one(t, indicator="volunteer_registration_rate", level="community", unit_id="C3")
    assert r["value"] == 0                               # V5 registers in 2025: zero is the truth
    r = one(t, indicator="volunteer_registration_rate", level="city")
    assert r["value"] == pytest.approx(100 * 4 / (320 + 500 + 1000 + 800), **EXACT)


def test_activity_hours_party(t):
    r = one(t, indicator="volunteer_active_rate", level="community", unit_id="C1")
    assert r["value"] == 0.5
    lo, hi = proportion_confint(1, 2, method="wilson")
    assert r["ci_low"] == pytest.approx(lo, **REF) and r["ci_high"] == pytest.approx(hi, **REF)
    assert one(t, indicator="volunteer_active_rate", level="community", unit_id="C2")["value"] == 1.0
    r = one(t, indicator="volunteer_active_rate", level="community", unit_id="C3")
    assert pd.isna(r["value"]) and r["note"] == "no data"     # no registered volunteers: undefined
    r = one(t, indicator="volunteer_hours_per_resident", level="community", unit_id="C2")
    assert r["value"] == pytest.approx(5 / 500, **EXACT)
    assert one(t, indicator="volunteer_hours_per_resident", level="community", unit_id="C4")["value"] == 0
    r = one(t, indicator="volunteer_hours_per_active", level="district", unit_id="D1")
    assert r["value"] == pytest.approx((4 + 5) / 3, **EXACT)
    r = one(t, indicator="volunteer_party_share", level="city")
    assert r["value"] == pytest.approx(2 / 3, **EXACT)


def test_retention(t):
    # C2: V3 and V6 active in 2023; only V6 again in 2024
    r = one(t, indicator="volunteer_retention", level="community", unit_id="C2")
    assert (r["numerator"], r["denominator"]) == (1, 2)
    r = one(t, indicator="volunteer_retention", level="city")
    assert r["value"] == pytest.approx(2 / 3, **EXACT)


def test_hours_share(t):
    r = one(t, indicator="volunteer_hours_share", level="community", unit_id="C1", category="safety")
    assert r["value"] == pytest.approx(2.5 / 4, **EXACT)
    r = one(t, indicator="volunteer_hours_share", level="city", category="elderly")
    assert r["value"] == pytest.approx((1.5 + 4) / 9, **EXACT)
    s = t.loc[(t["indicator"] == "volunteer_hours_share") & (t["unit_id"] == "all")]
    assert s["value"].sum() == pytest.approx(1.0)


def test_hours_count_for_the_volunteers_community():
    # V4 (C2) serving anywhere still counts for C2: the hours table has no community column
    t = indicators(small_dataset(), year=2024, families=["volunteers"],
                   indicators=["volunteer_hours_per_resident"])
    assert one(t, unit_id="C2")["numerator"] == 5.0


def test_retention_needs_the_year_before():
    with pytest.warns(UserWarning, match="no data"):
        t = indicators(small_dataset(), year=2023, families=["volunteers"], indicators=["volunteer_retention"])
    # hours start 2023-01-15: 2022 is outside coverage, retention 2023 is no data
    assert t["value"].isna().all() and (t["note"] == "no data").all()
