"""Party indicators on a hand-made roster, and Honghu's sweep reproduced from microdata.

C1 roster (2024):

==== ============ ========== ========== ========== ========== ====== =========
id   relation     found      transfer   reported   left       业委会  volunteer
==== ============ ========== ========== ========== ========== ====== =========
P1   floating_in  2024-03-01
P2   floating_in  2023-05-01
P3   floating_in
P4   floating_in  2024-02-01                        2024-06-30
P5   registered               2024-07-01                       yes
P6   reporting                           2023-01-01                   V1 (served 2024)
P7   reporting                           2024-03-01                   V2 (no record)
P8   reporting                           2025-01-10
P9   reporting                           2022-01-01 2023-06-30
P10  reporting                           2022-01-01 2024-03-01        V6 (served 2024-01-15)
P11  registered                                     2024-05-01 yes
==== ============ ========== ========== ========== ========== ====== =========

C2: Q1 floating_in found 2024-08-01, transferred in 2024-10-01, 业委会; Q2 registered, 业委会.
Owners' committee seats (community_years 2024): C1 5, C2 2.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.families import indicators

from fam_helpers import COMMUNITIES, COMMUNITY_YEARS, VOLUNTEER_HOURS, VOLUNTEERS, make_dataset, one


def _m(i, com, rel, found=None, transfer=None, reported=None, left=None, oc=None, vol=None):
    return dict(member_id=i, community_id=com, relation=rel, found_on=found, transferred_in_on=transfer,
                reported_on=reported, left_on=left, owners_committee=oc, volunteer_id=vol)


ROSTER = [
    _m("P1", "C1", "floating_in", "2024-03-01"), _m("P2", "C1", "floating_in", "2023-05-01"),
    _m("P3", "C1", "floating_in"), _m("P4", "C1", "floating_in", "2024-02-01", left="2024-06-30"),
    _m("P5", "C1", "registered", transfer="2024-07-01", oc=True),
    _m("P6", "C1", "reporting", reported="2023-01-01", vol="V1"),
    _m("P7", "C1", "reporting", reported="2024-03-01", vol="V2"),
    _m("P8", "C1", "reporting", reported="2025-01-10"),
    _m("P9", "C1", "reporting", reported="2022-01-01", left="2023-06-30"),
    _m("P10", "C1", "reporting", reported="2022-01-01", left="2024-03-01", vol="V6"),
    _m("P11", "C1", "registered", left="2024-05-01", oc=True),
    _m("Q1", "C2", "floating_in", "2024-08-01", transfer="2024-10-01", oc=True),
    _m("Q2", "C2", "registered", oc=True),
]
CY = [dict(r, owners_committee_members={"C1": 5, "C2": 2}.get(r["community_id"])) for r in COMMUNITY_YEARS]


def _ds(roster=ROSTER, **more):
    t = dict(communities=COMMUNITIES, community_years=CY, party_members=roster, volunteers=VOLUNTEERS,
             volunteer_hours=VOLUNTEER_HOURS)
    t.update(more)
    return make_dataset(**t)


@pytest.fixture(scope="module")
def t2024():
    return indicators(_ds(), year=2024, level=["community", "district", "city"], families=["party"],
                      as_of="2025-06-30")


def test_floating_found_share(t2024):
    t = t2024
    # on the roster at 2024-12-31: P1, P2, P3 (P4 left); found in 2024: P1 -> 1 / 3
    c1 = one(t, indicator="party_floating_found_share", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (1, 3)
    assert one(t, indicator="party_floating_found_share", unit_id="all")["value"] == 0.5   # (1 + 1) / (3 + 1)


def test_transfers_in(t2024):
    assert one(t2024, indicator="party_transfer_in_count", unit_id="C1")["value"] == 1
    assert one(t2024, indicator="party_transfer_in_count", unit_id="all")["value"] == 2


def test_reporting_active_share(t2024):
    t = t2024
    # reporting members of 2024: P6, P7, P10 (P8 reports in 2025, P9 left in 2023);
    # with a 2024 service record through their volunteer id: P6 (V1), P10 (V6) -> 2 / 3
    c1 = one(t, indicator="party_reporting_active_share", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (2, 3)
    c2 = one(t, indicator="party_reporting_active_share", unit_id="C2")
    assert pd.isna(c2["value"]) and c2["note"] == "no data"


def test_owners_committee_share(t2024):
    t = t2024
    # C1: P5 flagged and on the roster (P11 left) / 5 seats; C2: Q1, Q2 / 2 seats
    assert one(t, indicator="party_owners_committee_share", unit_id="C1")["value"] == pytest.approx(1 / 5)
    assert one(t, indicator="party_owners_committee_share", unit_id="C2")["value"] == 1.0
    # C3, C4 record no seats: left out of the sums -> (1 + 2) / (5 + 2)
    city = one(t, indicator="party_owners_committee_share", unit_id="all")
    assert (city["numerator"], city["denominator"]) == (3, 7)
    assert pd.isna(one(t, indicator="party_owners_committee_share", unit_id="C3")["value"])
    from evalkit.families.catalog import entry

    assert entry("party_owners_committee_share")["benchmark"]["value"] == 0.60   # Nanshan 60 %+


def test_window_leaves_out_the_yearly_fact():
    with pytest.warns(UserWarning, match="party_owners_committee_share"):
        t = indicators(_ds(), period=("2024-01-01", "2024-03-31"), families=["party"], as_of="2025-06-30")
    assert "party_owners_committee_share" not in set(t["indicator"])
    # on the roster at 03-31: P1-P4 (P4 leaves in June); found in the window: P1, P4 -> 2 / 4
    c1 = one(t, indicator="party_floating_found_share", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (2, 4)


def test_missing_volunteer_tables_leave_out_one_indicator():
    with pytest.warns(UserWarning, match="volunteer"):
        t = indicators(_ds(volunteers=None, volunteer_hours=None,
                           party_members=[{k: v for k, v in r.items() if k != "volunteer_id"} for r in ROSTER]),
                       year=2024, families=["party"])
    assert "party_reporting_active_share" not in set(t["indicator"])
    assert "party_floating_found_share" in set(t["indicator"])


def test_honghu_sweep():
    """Honghu (source case 003): of 116 floating Party members, 110 found in April-July 2017;
    13 transferred their membership in; 14 registered members; 4 first-tier, 6 second-tier and
    24 third-tier grid staff for 2,991 households."""
    com = [dict(community_id="HH", community_name="红湖公园城", district="新都区", street="大丰街道",
                households=2991, population=10108)]
    roster = [_m(f"R{i}", "HH", "registered") for i in range(14)]
    roster += [_m(f"F{i}", "HH", "floating_in",
                  found=f"2017-{4 + i % 4:02d}-{1 + i % 28:02d}" if i < 110 else None,
                  transfer="2017-07-27" if i < 13 else None) for i in range(116)]
    cy = [dict(community_id="HH", year=2017, party_members_registered=14, party_members_floating=116,
               grid_workers=4, grid_tier2=6, grid_tier3=24)]
    ds = make_dataset(communities=com, community_years=cy, party_members=roster)
    t = indicators(ds, period=("2017-04-01", "2017-07-31"), families=["party"], as_of="2017-12-31")
    r = one(t, indicator="party_floating_found_share")
    assert (r["numerator"], r["denominator"]) == (110, 116)
    assert one(t, indicator="party_transfer_in_count")["value"] == 13
    t = indicators(ds, year=2017, families=["organisation"])
    assert one(t, indicator="party_floating_share")["value"] == pytest.approx(116 / 130)
    assert one(t, indicator="households_per_grid_worker")["value"] == pytest.approx(2991 / 4)
    assert one(t, indicator="households_per_grid_staff")["value"] == pytest.approx(2991 / 34)
