"""Visits indicators on a hand-made ledger; every expected value worked out below.

2024 households: C1 150, C2 200 (community_years), C3 400, C4 300 (register).

===== ==== ========== ========= ======== =====
visit com  date       household mode     needs
===== ==== ========== ========= ======== =====
W1    C1   2024-01-05 H1        in_home    2
W2    C1   2024-02-01 H1        doorstep   0
W3    C1   2024-02-03 H2        point      1
W4    C1   2024-03-01 H3        phone     --
W5    C2   2024-04-01 H1        in_home   --
W6    C2   2024-05-01 H4        in_home    3
===== ==== ========== ========= ======== =====

Households reached (in the home or at the door): C1 {H1}; C2 {H1, H4}.  H1 is one code
in both communities (a city-wide house code): their street counts it once.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.families import indicators

from fam_helpers import COMMUNITIES, COMMUNITY_YEARS, make_dataset, one


def _v(i, com, day, house, mode, needs=None):
    return dict(visit_id=i, community_id=com, visited_on=day, household_id=house, mode=mode, needs_found=needs)


VISITS = [_v("W1", "C1", "2024-01-05", "H1", "in_home", 2), _v("W2", "C1", "2024-02-01", "H1", "doorstep", 0),
          _v("W3", "C1", "2024-02-03", "H2", "point", 1), _v("W4", "C1", "2024-03-01", "H3", "phone"),
          _v("W5", "C2", "2024-04-01", "H1", "in_home"), _v("W6", "C2", "2024-05-01", "H4", "in_home", 3)]


@pytest.fixture(scope="module")
def t2024():
    ds = make_dataset(communities=COMMUNITIES, community_years=COMMUNITY_YEARS, visits=VISITS)
    return indicators(ds, year=2024, level=["community", "street", "district", "city"], families=["visits"])


def test_visit_count_by_mode(t2024):
    t = t2024
    assert one(t, indicator="visit_count", unit_id="C1", category=None)["value"] == 4
    for mode in ("in_home", "doorstep", "point", "phone"):
        assert one(t, indicator="visit_count", unit_id="C1", category=mode)["value"] == 1
    assert one(t, indicator="visit_count", unit_id="C1", category="other")["value"] == 0
    assert one(t, indicator="visit_count", unit_id="all", category="in_home")["value"] == 3


def test_household_coverage_recounts_households(t2024):
    t = t2024
    c1 = one(t, indicator="visit_household_coverage", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (1, 150)           # H1 twice: one household
    c2 = one(t, indicator="visit_household_coverage", unit_id="C2")
    assert (c2["numerator"], c2["denominator"]) == (2, 200)
    s1 = one(t, indicator="visit_household_coverage", unit_id="D1/S1")
    assert (s1["numerator"], s1["denominator"]) == (2, 350)           # H1 once: recounted, not 1 + 2
    d1 = one(t, indicator="visit_household_coverage", unit_id="D1")
    assert d1["value"] == pytest.approx(2 / 750)
    assert pd.isna(c1["ci_low"])                                       # interval: none


def test_needs_found(t2024):
    t = t2024
    assert one(t, indicator="visit_needs_found", unit_id="C1")["value"] == 3  # 2 + 0 + 1 (+ empty)
    assert one(t, indicator="visit_needs_found", unit_id="C2")["value"] == 3
    assert one(t, indicator="visit_needs_found", unit_id="all")["value"] == 6


def test_coverage_above_one_is_flagged_not_capped():
    cy = COMMUNITY_YEARS + [dict(community_id="C4", year=2024, households=2)]
    visits = [_v(f"X{i}", "C4", "2024-06-01", f"K{i}", "in_home") for i in range(3)]
    ds = make_dataset(communities=COMMUNITIES, community_years=cy, visits=visits)
    t = indicators(ds, year=2024, families=["visits"], indicators=["visit_household_coverage"])
    r = one(t, unit_id="C4")
    assert r["value"] == 1.5 and r["note"] == "above 1; from 06-01, through 06-01"  # + the ledger's coverage


def test_honghu_visits_and_needs():
    """Honghu (source case 003): 3,000+ visits in the home and at collection points, 700+ needs."""
    com = [dict(community_id="HH", community_name="红湖公园城", district="新都区", street="大丰街道",
                households=2991, population=10108)]
    visits = [_v(f"V{i}", "HH", f"2017-{4 + i % 8:02d}-{1 + i % 28:02d}", f"H{i % 2991}",
                 "in_home" if i % 5 else "point", 1 if i % 4 == 0 else 0) for i in range(3010)]
    t = indicators(make_dataset(communities=com, visits=visits), period=("2017-04-01", "2017-11-30"),
                   families=["visits"])
    assert one(t, indicator="visit_count", category=None)["value"] == 3010 >= 3000
    assert one(t, indicator="visit_needs_found")["value"] == 753 >= 700        # every 4th visit: 1 need
    # households reached: in-home visits (4 of every 5) over the 2,991 house codes
    assert one(t, indicator="visit_household_coverage")["value"] == pytest.approx(
        len({i % 2991 for i in range(3010) if i % 5}) / 2991)
