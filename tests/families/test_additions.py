"""The LEDGERS.md additions to existing families: organisation (service space, social
organisations, part-time members per 大党委, three-tier grids), volunteers (new registrations,
teams) and disputes (dispute_rate_change per category); with the Nanshan and Qiaokou cases."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.families import indicators

from fam_helpers import (
    CADRES, COMMUNITIES, COMMUNITY_YEARS, VOLUNTEER_HOURS, VOLUNTEERS, make_dataset, one, small_dataset,
)

# 2024 facts: C1 150 households, 60 m2 (40 / 100 households), 12 organisations, 大党委;
# C2 200 households, 50 m2 (25), 6 organisations, no 大党委; C3 400 households, no area, 大党委
CY = [
    dict(COMMUNITY_YEARS[0], service_area_m2=60.0, social_orgs=12, big_party_committee=True,
         grid_tier2=1, grid_tier3=5),
    dict(COMMUNITY_YEARS[1], service_area_m2=50.0, social_orgs=6, big_party_committee=False),
    dict(COMMUNITY_YEARS[2], big_party_committee=True),
]
# part-time members of the latest terms (appointed with the committee: its term year): C1 three
# (2024), C2 two (2021; no 大党委: left out), C3 one (2024)
PART_TIME = [dict(person_id=f"T{i}", community_id=c, term_year=y, role="part_time_member", birth_year=1970,
                  education="bachelor", party_member=True)
             for i, (c, y) in enumerate([("C1", 2024), ("C1", 2024), ("C1", 2024), ("C2", 2021), ("C2", 2021),
                                         ("C3", 2024)])]


@pytest.fixture(scope="module")
def org():
    ds = make_dataset(communities=COMMUNITIES, community_years=CY, cadres=CADRES + PART_TIME)
    return indicators(ds, year=2024, level=["community", "city"], families=["organisation"])


def test_service_area(org):
    t = org
    assert one(t, indicator="service_area_per_100_households", unit_id="C1")["value"] == pytest.approx(40.0)
    # the city: 100 x (60 + 50) / (150 + 200), communities without the area left out
    city = one(t, indicator="service_area_per_100_households", unit_id="all")
    assert city["value"] == pytest.approx(100 * 110 / 350) and city["n"] == 2
    # target 30: C1 meets it (40), C2 does not (25) -> 1 / 2; C3 has no area: no data
    assert one(t, indicator="service_area_compliance_share", unit_id="all")["value"] == 0.5
    assert one(t, indicator="service_area_compliance_share", unit_id="C1")["value"] == 1.0
    assert pd.isna(one(t, indicator="service_area_compliance_share", unit_id="C3")["value"])


def test_service_area_target_from_the_targets_table():
    # a target of 20 for C2 in 2024 (the most specific row wins over the general 45)
    targets = [dict(indicator="service_area_per_100_households", target=45.0),
               dict(indicator="service_area_per_100_households", level="community", unit_id="C2", year=2024,
                    target=20.0)]
    ds = make_dataset(communities=COMMUNITIES, community_years=CY, targets=targets)
    t = indicators(ds, year=2024, level=["community", "city"], families=["organisation"],
                   indicators=["service_area_compliance_share"])
    assert one(t, unit_id="C1")["value"] == 0.0       # 40 < 45
    assert one(t, unit_id="C2")["value"] == 1.0       # 25 >= 20


def test_social_orgs_and_grid_staff(org):
    t = org
    assert one(t, indicator="social_orgs_per_community", unit_id="all")["value"] == 9.0   # (12 + 6) / 2
    from evalkit.families.catalog import entry

    assert entry("social_orgs_per_community")["benchmark"]["value"] == 10
    # C1: 150 / (4 + 1 + 5); C2 records no second or third tier: no data
    assert one(t, indicator="households_per_grid_staff", unit_id="C1")["value"] == 15.0
    assert pd.isna(one(t, indicator="households_per_grid_staff", unit_id="C2")["value"])


def test_part_time_members_per_big_committee(org):
    t = org
    # C1 3 / 1, C3 1 / 1; C2 has no 大党委 (its two are left out): the city (3 + 1) / 2
    assert one(t, indicator="part_time_members_per_big_committee", unit_id="C1")["value"] == 3.0
    assert one(t, indicator="part_time_members_per_big_committee", unit_id="all")["value"] == 2.0
    assert pd.isna(one(t, indicator="part_time_members_per_big_committee", unit_id="C2")["value"])


def test_part_time_members_are_not_cadres():
    ds = make_dataset(communities=COMMUNITIES, community_years=CY, cadres=CADRES + PART_TIME)
    t = indicators(ds, year=2024, families=["cadres", "organisation"],
                   indicators=["cadre_mean_age", "community_workers_per_10k"])
    base = indicators(small_dataset(), year=2024, families=["cadres", "organisation"],
                      indicators=["cadre_mean_age", "community_workers_per_10k"])
    cols = ["indicator", "unit_id", "value", "n"]
    keep = ["C1", "C2", "C4"]  # C3 has no cadres but its part-time member: a roster with 0 workers
    pd.testing.assert_frame_equal(t.loc[t["unit_id"].isin(keep), cols].reset_index(drop=True),
                                  base.loc[base["unit_id"].isin(keep), cols].reset_index(drop=True))


def test_qiaokou_389_part_time_members_in_127_big_committees():
    """Qiaokou (source case 000): 389 unit heads appointed part-time members in 127 大党委."""
    com = [dict(community_id=f"Q{i:03d}", community_name=f"社区{i}", district="硚口区", street=f"街道{i % 11}",
                households=2000, population=6000) for i in range(127)]
    cy = [dict(community_id=f"Q{i:03d}", year=2018, big_party_committee=True) for i in range(127)]
    cad = [dict(person_id=f"J{j}", community_id=f"Q{j % 127:03d}", term_year=2018, role="part_time_member",
                birth_year=1968, education="bachelor", party_member=True) for j in range(389)]
    t = indicators(make_dataset(communities=com, community_years=cy, cadres=cad), year=2018, level="city",
                   families=["organisation"], indicators=["part_time_members_per_big_committee"])
    r = one(t)
    assert (r["numerator"], r["denominator"]) == (389, 127) and r["value"] == pytest.approx(389 / 127)


# --- volunteers -----------------------------------------------------------------------------


def test_new_registrations_and_teams():
    vols = [dict(v, team=tm) for v, tm in zip(VOLUNTEERS, ["巾帼队", None, "巾帼队", "巾帼队", "青年队", "x"])]
    t = indicators(make_dataset(communities=COMMUNITIES, volunteers=vols, volunteer_hours=VOLUNTEER_HOURS),
                   year=2024, level=["community", "street", "city"], families=["volunteers"],
                   indicators=["volunteer_new_registrations", "volunteer_team_count"])
    # registered in 2024: V4 (C2) only
    assert one(t, indicator="volunteer_new_registrations", unit_id="C2")["value"] == 1
    assert one(t, indicator="volunteer_new_registrations", unit_id="all")["value"] == 1
    # active in 2024: V1 (C1, 巾帼队), V4 (C2, 巾帼队), V6 (C2, 青年队); V3's team is inactive
    assert one(t, indicator="volunteer_team_count", unit_id="C1")["value"] == 1
    assert one(t, indicator="volunteer_team_count", unit_id="C2")["value"] == 2
    # 巾帼队 in C1 and C2 is one team of street S1: 2 teams, not 1 + 2
    assert one(t, indicator="volunteer_team_count", unit_id="D1/S1")["value"] == 2
    assert one(t, indicator="volunteer_team_count", unit_id="all")["value"] == 2


def test_nanshan_10615_new_volunteers_in_a_half_year():
    """Nanshan (source case 002): 10,615 volunteers newly registered in the first half of 2008."""
    com = [dict(community_id=f"N{i:02d}", community_name=f"社区{i}", district="南山区", street=f"街道{i % 8}",
                households=3000, population=9000) for i in range(98)]
    days = pd.date_range("2008-01-01", "2008-06-30")
    vols = [dict(volunteer_id=f"V{i}", community_id=f"N{i % 98:02d}", registered_on=days[i % len(days)])
            for i in range(10_615)]
    vols += [dict(volunteer_id=f"W{i}", community_id="N00", registered_on="2008-07-01") for i in range(50)]
    hours = [dict(record_id="H1", volunteer_id="V1", served_on="2008-03-01", hours=2.0)]
    ds = make_dataset(communities=com, volunteers=vols, volunteer_hours=hours)
    t = indicators(ds, period=("2008-01-01", "2008-06-30"), level="city", families=["volunteers"],
                   indicators=["volunteer_new_registrations"], as_of="2008-12-31")
    r = one(t)
    assert r["value"] == 10_615 and r["period"] == "2008-01-01..2008-06-30"
    from scipy.stats import chi2

    assert (r["ci_low"], r["ci_high"]) == pytest.approx((chi2.ppf(0.025, 2 * 10_615) / 2,
                                                         chi2.ppf(0.975, 2 * 10_616) / 2))


# --- disputes -------------------------------------------------------------------------------


def test_nanshan_property_disputes_halved():
    """Nanshan (source case 002): property disputes down 50 % in 2008 on 2007; the other
    categories unchanged."""
    com = [dict(community_id="N1", community_name="社区", district="南山区", street="街道", households=5000,
                population=15000)]
    cases = []
    for year, n_prop in ((2007, 40), (2008, 20)):
        for i in range(n_prop):
            cases.append(dict(case_id=f"P{year}{i}", community_id="N1", reported_on=f"{year}-{1 + i % 12:02d}-10",
                              category="property", status="resolved", resolved_on=f"{year}-{1 + i % 12:02d}-20"))
        for i in range(30):
            cases.append(dict(case_id=f"N{year}{i}", community_id="N1", reported_on=f"{year}-{1 + i % 12:02d}-05",
                              category="neighbor", status="resolved", resolved_on=f"{year}-{1 + i % 12:02d}-25"))
    t = indicators(make_dataset(communities=com, disputes=cases), year=2008, families=["disputes"],
                   indicators=["dispute_rate_change"])
    assert one(t, category="property")["value"] == pytest.approx(-0.5)
    assert one(t, category="neighbor")["value"] == pytest.approx(0.0)
    assert one(t, category=None)["value"] == pytest.approx(50 / 70 - 1)      # the total row
    r = one(t, category="family")                                             # 0 cases both years
    assert pd.isna(r["value"]) and r["note"] == "rate 0 in the year before"
    # its interval: exact conditional (Clopper-Pearson on 20 of 60, equal households)
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(20, 60, alpha=0.05, method="beta")
    p = one(t, category="property")
    assert (p["ci_low"], p["ci_high"]) == pytest.approx((lo / (1 - lo) - 1, hi / (1 - hi) - 1), rel=1e-9)
