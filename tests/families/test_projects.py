"""Funded-project indicators on a hand-made ledger, and Lianyungang's 120 organisations.

======= ==== ===== ========= ==== ======== =========
project com  org   programme year granted  status
======= ==== ===== ========= ==== ======== =========
J1      C1   O1    venture   2024  10,000  completed
J1      C3   O1    venture   2024   5,000  completed    (the same project, its share in C3)
J2      C2   O1    micro     2024   2,000  ongoing
J3      C2   O2    --        2024   3,000  --           (programme defaults to venture)
J4      C4   O3    purchase  2023   8,000  terminated
J5      C4   O3    purchase  2024   1,000  completed
======= ==== ===== ========= ==== ======== =========
"""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.families import indicators

from fam_helpers import COMMUNITIES, make_dataset, one


def _p(pid, com, org, prog, year, amount, status=None):
    return dict(project_id=pid, community_id=com, org_id=org, programme=prog, year=year,
                amount_granted=amount, status=status)


PROJECTS = [_p("J1", "C1", "O1", "venture", 2024, 10_000, "completed"),
            _p("J1", "C3", "O1", "venture", 2024, 5_000, "completed"),
            _p("J2", "C2", "O1", "micro", 2024, 2_000, "ongoing"),
            _p("J3", "C2", "O2", None, 2024, 3_000),
            _p("J4", "C4", "O3", "purchase", 2023, 8_000, "terminated"),
            _p("J5", "C4", "O3", "purchase", 2024, 1_000, "completed")]
LEVELS = ["community", "street", "district", "city"]


def _ds(rows=PROJECTS):
    return make_dataset(communities=COMMUNITIES, projects=rows)


@pytest.fixture(scope="module")
def t2024():
    return indicators(_ds(), year=2024, level=LEVELS, families=["projects"])


def test_funding_total_and_by_programme(t2024):
    t = t2024
    assert one(t, indicator="project_funding", unit_id="all", category=None)["value"] == 21_000
    assert one(t, indicator="project_funding", unit_id="all", category="venture")["value"] == 18_000
    assert one(t, indicator="project_funding", unit_id="C2", category="venture")["value"] == 3_000
    assert one(t, indicator="project_funding", unit_id="C3", category=None)["value"] == 5_000


def test_orgs_recounted_at_each_level(t2024):
    t = t2024
    # O1 works in C1, C2 and C3: one organisation in S1 (C1, C2), in D1 and in the city
    assert one(t, indicator="project_orgs_funded", unit_id="C2")["value"] == 2        # O1, O2
    assert one(t, indicator="project_orgs_funded", unit_id="D1/S1")["value"] == 2     # O1, O2 (not 1 + 2)
    assert one(t, indicator="project_orgs_funded", unit_id="D1")["value"] == 2
    assert one(t, indicator="project_orgs_funded", unit_id="all")["value"] == 3       # not 1 + 2 + 1 + 1


def test_completion_rate(t2024):
    t = t2024
    # 2024 rows with a status: J1 (x2) completed, J2 ongoing, J5 completed -> 3 / 4 (J3 has none)
    city = one(t, indicator="project_completion_rate", unit_id="all")
    assert (city["numerator"], city["denominator"]) == (3, 4)
    assert one(t, indicator="project_completion_rate", unit_id="C2")["value"] == 0.0


def test_windows_take_whole_funding_years():
    t = indicators(_ds(), period=("2023-01-01", "2024-12-31"), level="city", families=["projects"])
    assert one(t, indicator="project_funding", category=None)["value"] == 29_000
    # a half year holds no whole funding year: empty rows, saying so
    t = indicators(_ds(), period=("2024-01-01", "2024-06-30"), level="city", families=["projects"])
    r = one(t, indicator="project_orgs_funded")
    assert pd.isna(r["value"]) and r["note"] == "no whole funding year"
    # a year before the first funding year: no data
    t = indicators(_ds(), year=2022, level="city", families=["projects"])
    assert t["value"].isna().all() and (t["note"] == "no data").all()


def test_lianyungang_120_organisations_and_1_2_million():
    """Lianyungang (source case 004): 1.2 million yuan of 微自治 projects for 120 community
    organisations in 2024; one organisation funded in two communities counts once."""
    com = [dict(community_id=f"L{i:03d}", community_name=f"社区{i}", district=f"区{i % 4}", street=f"街道{i % 9}",
                households=1500, population=4000) for i in range(121)]
    com[120]["district"] = "区1"                                   # L000 is in 区0
    rows = [_p(f"P{i:03d}", f"L{i:03d}", f"ORG{i:03d}", "micro", 2024, 10_000) for i in range(120)]
    rows[0]["amount_granted"] = 6_000                               # P000 shared: 6,000 in L000 ...
    rows.append(_p("P000", "L120", "ORG000", "micro", 2024, 4_000))  # ... and 4,000 in L120
    t = indicators(make_dataset(communities=com, projects=rows), year=2024, level=["district", "city"],
                   families=["projects"])
    assert one(t, indicator="project_funding", level="city", category=None)["value"] == 1_200_000
    assert one(t, indicator="project_orgs_funded", level="city")["value"] == 120
    # ORG000 is an organisation of 区0 and of 区1: the districts' counts add up to 121
    by_district = t.loc[(t["indicator"] == "project_orgs_funded") & (t["level"] == "district"), "value"]
    assert by_district.sum() == 121
