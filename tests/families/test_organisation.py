"""Organisation indicators against hand computations (conftest.py) and Honghu's published figures."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.rates import confint_poisson

from evalkit.families import indicators

from fam_helpers import one, small_dataset

EXACT = dict(rel=1e-12, abs=1e-12)


@pytest.fixture(scope="module")
def t():
    return indicators(small_dataset(), year=2024, level=["community", "street", "city"],
                      families=["organisation"])


def test_party_floating_share_honghu(t):
    # C1 carries Honghu's figures (seed case): 116 floating of 130 Party members
    r = one(t, indicator="party_floating_share", level="community", unit_id="C1")
    assert r["value"] == pytest.approx(116 / 130, **EXACT)
    r = one(t, indicator="party_floating_share", level="city")
    assert r["value"] == pytest.approx((116 + 10 + 0) / (130 + 50 + 50), **EXACT)
    r = one(t, indicator="party_floating_share", level="community", unit_id="C4")
    assert pd.isna(r["value"]) and r["note"] == "no data"


def test_households_per_grid_worker(t):
    r = one(t, indicator="households_per_grid_worker", level="community", unit_id="C1")
    assert r["value"] == pytest.approx(150 / 4, **EXACT)
    r = one(t, indicator="households_per_grid_worker", level="community", unit_id="C3")
    assert pd.isna(r["value"])                                  # 0 grid workers: undefined
    r = one(t, indicator="households_per_grid_worker", level="street", unit_id="D1/S1")
    assert r["value"] == pytest.approx((150 + 200) / (4 + 2), **EXACT)


def test_community_workers_per_10k(t):
    # C1 latest term 2024: secretary + staff (+ grid worker, not counted) = 2 per 320 residents
    r = one(t, indicator="community_workers_per_10k", level="community", unit_id="C1")
    assert r["value"] == pytest.approx(2 / 320 * 1e4, **EXACT)
    lo, hi = confint_poisson(2, 320, method="exact-c")
    assert r["ci_high"] == pytest.approx(hi * 1e4, rel=1e-9)
    # C4: a roster with only a grid worker: zero is the truth; C3: no roster, no data
    assert one(t, indicator="community_workers_per_10k", level="community", unit_id="C4")["value"] == 0
    r = one(t, indicator="community_workers_per_10k", level="community", unit_id="C3")
    assert pd.isna(r["value"]) and r["note"] == "no data"
    r = one(t, indicator="community_workers_per_10k", level="city")
    assert r["value"] == pytest.approx(4 / (320 + 500 + 800) * 1e4, **EXACT)


def test_latest_term_on_or_before_the_year():
    t = indicators(small_dataset(), year=2023, families=["organisation"],
                   indicators=["community_workers_per_10k"])
    # 2023: C1's 2021 term (secretary + staff), register population 300
    assert one(t, unit_id="C1")["value"] == pytest.approx(2 / 300 * 1e4, **EXACT)


def test_missing_cadres_leaves_out_one_indicator():
    with pytest.warns(UserWarning, match="cadre roster"):
        t = indicators(small_dataset(cadres=None), year=2024, families=["organisation"])
    assert set(t["indicator"]) == {"party_floating_share", "households_per_grid_worker",
                                   "households_per_grid_staff", "service_area_per_100_households",
                                   "service_area_compliance_share", "social_orgs_per_community"}
