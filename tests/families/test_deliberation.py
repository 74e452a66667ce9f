"""Deliberation indicators on a hand-made ledger; every expected value worked out below.

Communities of ``fam_helpers``: district D1 = street S1 (C1, C2) + street S2 (C3); D2 = S3 (C4).

Ledger (items; a meeting's columns repeat on its rows):

==== ===== ==== ========== ============ ===== ============== ========== =========== =====
item mtg   com  held_on    type         units category       outcome    implemented funds
==== ===== ==== ========== ============ ===== ============== ========== =========== =====
I7   M9    C3   2023-06-15 deliberation  --   safety         agreed     2023-07-01   --
I1   M1    C1   2024-01-10 joint          3   property       agreed     2024-02-01  1000
I2   M1    C1   2024-01-10 joint          3   parking        agreed      --          --
I3   M1    C1   2024-01-10 joint          3   culture        not_agreed  --          --
I4   M2    C1   2024-03-05 deliberation  --   environment    agreed     2025-01-10   500
I5   M3    C2   2024-03-20 owners         0   property       deferred    --          --
I6   M1    C2   2024-05-01 joint          1   property       agreed     2024-05-10   --
==== ===== ==== ========== ============ ===== ============== ========== =========== =====

Coverage: from June 2023 (first record) to the as-of date, the latest date: 2025-01-10.
C1's M1 and C2's M1 are two meetings (a meeting is the pair community, meeting number).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.families import indicators

from fam_helpers import COMMUNITIES, COMMUNITY_YEARS, make_dataset, one


def _item(i, m, c, held, mtype, units, cat, outcome, impl=None, funds=None):
    return dict(item_id=i, meeting_id=m, community_id=c, held_on=held, meeting_type=mtype,
                units_present=units, category=cat, outcome=outcome, implemented_on=impl, funds=funds)


ITEMS = [
    _item("I7", "M9", "C3", "2023-06-15", "deliberation", None, "safety", "agreed", "2023-07-01"),
    _item("I1", "M1", "C1", "2024-01-10", "joint", 3, "property", "agreed", "2024-02-01", 1000.0),
    _item("I2", "M1", "C1", "2024-01-10", "joint", 3, "parking", "agreed"),
    _item("I3", "M1", "C1", "2024-01-10", "joint", 3, "culture", "not_agreed"),
    _item("I4", "M2", "C1", "2024-03-05", "deliberation", None, "environment", "agreed", "2025-01-10", 500.0),
    _item("I5", "M3", "C2", "2024-03-20", "owners", 0, "property", "deferred"),
    _item("I6", "M1", "C2", "2024-05-01", "joint", 1, "property", "agreed", "2024-05-10"),
]
LEVELS = ["community", "street", "district", "city"]


def _ds(items=ITEMS):
    return make_dataset(communities=COMMUNITIES, community_years=COMMUNITY_YEARS, deliberations=items)


@pytest.fixture(scope="module")
def t2024():
    return indicators(_ds(), year=2024, level=LEVELS, families=["deliberation"])


def test_meeting_count_recounts_meetings_and_gives_a_total_row(t2024):
    t = t2024
    # C1: M1 (joint, 3 items) and M2 (deliberation) = 2 meetings, not 4 rows
    assert one(t, indicator="meeting_count", unit_id="C1", period="2024", category=None)["value"] == 2
    assert one(t, indicator="meeting_count", unit_id="C1", period="2024", category="joint")["value"] == 1
    assert one(t, indicator="meeting_count", unit_id="C1", period="2024", category="owners")["value"] == 0
    # C1's M1 and C2's M1 are different meetings: street S1 has 4 (2 + 2), the city 4
    assert one(t, indicator="meeting_count", unit_id="D1/S1", period="2024", category=None)["value"] == 4
    assert one(t, indicator="meeting_count", unit_id="all", period="2024", category="joint")["value"] == 2
    # a community without meetings in the year (inside coverage) has 0, not "no data"
    c4 = one(t, indicator="meeting_count", unit_id="C4", period="2024", category=None)
    assert c4["value"] == 0 and pd.isna(c4["note"])
    # the total row sits beside the category rows: one per meeting type, plus the total
    cats = t.loc[(t["indicator"] == "meeting_count") & (t["unit_id"] == "C1") & (t["period"] == "2024"),
                 "category"]
    assert cats.isna().sum() == 1 and set(cats.dropna()) == {"joint", "deliberation", "owners", "briefing",
                                                             "hearing", "other"}


def test_monthly_meeting_counts_show_empty_months(t2024):
    t = t2024
    months = t.loc[(t["indicator"] == "meeting_count") & (t["unit_id"] == "C1")
                   & t["period"].str.match(r"2024-\d\d")].set_index("period")
    assert len(months) == 12
    assert months.loc["2024-01", "value"] == 1 and months.loc["2024-03", "value"] == 1
    assert months.loc["2024-02", "value"] == 0 and pd.isna(months.loc["2024-02", "note"])  # zero is zero
    # 2023: the months before June (the first record's month) are "no data"
    t23 = indicators(_ds(), year=2023, families=["deliberation"], indicators=["meeting_count"])
    m = t23.loc[(t23["unit_id"] == "C3") & t23["period"].str.match(r"2023-\d\d")].set_index("period")
    assert m.loc["2023-05", "note"] == "no data" and pd.isna(m.loc["2023-05", "value"])
    assert m.loc["2023-06", "value"] == 1 and m.loc["2023-07", "value"] == 0


def test_meeting_unit_share(t2024):
    t = t2024
    # C1: M1 records 3 units; M2 records none -> 1 / 1
    c1 = one(t, indicator="meeting_unit_share", unit_id="C1")
    assert (c1["numerator"], c1["denominator"], c1["value"]) == (1, 1, 1.0)
    # C2: M3 has 0 units, M1 has 1 -> 1 / 2; the city 2 / 3 with its Wilson interval
    assert one(t, indicator="meeting_unit_share", unit_id="C2")["value"] == 0.5
    city = one(t, indicator="meeting_unit_share", unit_id="all")
    assert city["value"] == pytest.approx(2 / 3)
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(2, 3, method="wilson")
    assert (city["ci_low"], city["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)


def test_month_coverage_sums_community_months(t2024):
    t = t2024
    # 12 covered months of 2024; C1 has a joint (Jan) and a deliberation meeting (Mar): 2 / 12;
    # C2 a joint meeting in May (the owners' meeting of March does not count): 1 / 12
    c1 = one(t, indicator="meeting_month_coverage", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (2, 12)
    assert one(t, indicator="meeting_month_coverage", unit_id="C2")["value"] == pytest.approx(1 / 12)
    # higher levels sum community-months: S1 (C1, C2) 3 / 24, the city 3 / 48
    s1 = one(t, indicator="meeting_month_coverage", unit_id="D1/S1")
    assert (s1["numerator"], s1["denominator"]) == (3, 24)
    assert one(t, indicator="meeting_month_coverage", unit_id="all")["value"] == pytest.approx(3 / 48)
    from evalkit.families.catalog import entry

    assert entry("meeting_month_coverage")["benchmark"]["value"] == 1.0


def test_implementation_rate_by_category_and_end_of_period(t2024):
    t = t2024
    # agreed items of 2024: C1 I1 (carried out 2024-02-01), I2 (not), I4 (carried out 2025-01-10,
    # after the end of 2024: not counted) -> 1 / 3; C2 I6 -> 1 / 1; the city 2 / 4
    c1 = one(t, indicator="deliberation_implementation_rate", unit_id="C1", category=None)
    assert (c1["numerator"], c1["denominator"]) == (1, 3)
    city = one(t, indicator="deliberation_implementation_rate", unit_id="all", category=None)
    assert city["value"] == 0.5
    assert one(t, indicator="deliberation_implementation_rate", unit_id="all", category="property")["value"] == 1.0
    assert one(t, indicator="deliberation_implementation_rate", unit_id="all", category="parking")["value"] == 0.0
    # a category without agreed items is "no data" (0 / 0), never 0
    r = one(t, indicator="deliberation_implementation_rate", unit_id="all", category="policy")
    assert pd.isna(r["value"]) and r["note"] == "no data"


def test_funds_are_summed_over_items(t2024):
    t = t2024
    assert one(t, indicator="deliberation_funds", unit_id="C1")["value"] == 1500
    assert one(t, indicator="deliberation_funds", unit_id="C2")["value"] == 0
    assert one(t, indicator="deliberation_funds", unit_id="all")["value"] == 1500


def test_window_and_as_of():
    # March-May 2024: C1 M2 (1 meeting, March covered by a deliberation meeting), C2 M3 and M1
    t = indicators(_ds(), period=("2024-03-01", "2024-05-31"), families=["deliberation"])
    p = "2024-03-01..2024-05-31"
    assert set(t["period"]) == {p}  # one period row, no monthly rows
    assert one(t, indicator="meeting_count", unit_id="C1", category=None)["value"] == 1
    assert one(t, indicator="meeting_count", unit_id="C2", category=None)["value"] == 2
    c1 = one(t, indicator="meeting_month_coverage", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (1, 3)
    # P ends at the as-of date: January to June asked, data as of 2024-03-31 -> three months,
    # I1's implementation (2024-02-01) counts, the note names the full date
    t = indicators(_ds(), period=("2024-01-01", "2024-06-30"), as_of="2024-03-31", families=["deliberation"])
    c1 = one(t, indicator="meeting_month_coverage", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (2, 3) and c1["note"] == "through 2024-03-31"
    assert one(t, indicator="meeting_count", unit_id="C2", category=None)["value"] == 1  # M3 only
    # a window before the ledger begins: no data
    t = indicators(_ds(), period=("2022-01-01", "2022-12-31"), families=["deliberation"])
    assert t["value"].isna().all() and (t["note"] == "no data").all()


def test_month_coverage_of_a_monthly_deliberation_day():
    # Lianyungang's 小区议事日 on the 10th of every month: coverage 1.0, the benchmark
    items = [_item(f"L{m}", f"L{m}", "C1", f"2024-{m:02d}-10", "deliberation", None, "services", "agreed")
             for m in range(1, 13)]
    t = indicators(_ds(items), year=2024, families=["deliberation"], indicators=["meeting_month_coverage"])
    assert one(t, unit_id="C1")["value"] == 1.0
    assert one(t, unit_id="C2")["value"] == 0.0


def test_qiaokou_meetings_with_units_funds_and_categories():
    """Qiaokou (source case 000): 380+ meetings with units based in the area, 5 categories,
    20+ funded projects, 5 million+ yuan, over its 127 communities."""
    rng = np.random.default_rng(0)
    cats = ["infrastructure", "culture", "assistance", "party", "neighbor"]
    com = [dict(community_id=f"Q{i:03d}", community_name=f"社区{i}", district="硚口区", street=f"街道{i % 11}",
                households=2000, population=6000) for i in range(127)]
    items = []
    for j in range(400):  # 385 meetings with units present, 15 without a figure
        units = int(rng.integers(1, 6)) if j < 385 else None
        funds = 5_050_000 / 22 if j < 22 else None
        items.append(_item(f"Q{j}", f"M{j}", f"Q{j % 127:03d}", f"2018-{1 + j % 7:02d}-15", "joint", units,
                           cats[j % 5], "agreed", None, funds))
    ds = make_dataset(communities=com, deliberations=items)
    t = indicators(ds, period=("2018-01-01", "2018-07-31"), level="city", families=["deliberation"])
    share = one(t, indicator="meeting_unit_share")
    assert share["numerator"] == 385 and share["numerator"] >= 380 and share["denominator"] == 385
    assert one(t, indicator="deliberation_funds")["value"] == pytest.approx(5_050_000)
    by_cat = t.loc[(t["indicator"] == "deliberation_implementation_rate") & t["category"].notna()]
    assert (by_cat["denominator"] > 0).sum() == 5


def test_honghu_42_joint_meetings():
    """Honghu (source case 003): 42 joint meetings of the compound's 小区综合管理联席会议 since
    the Party branch was set up (27 July 2017), beside its monthly deliberation meetings."""
    com = [dict(community_id="HH", community_name="红湖公园城", district="新都区", street="大丰街道",
                households=2991, population=10108)]
    days = pd.date_range("2017-08-01", "2018-10-10", periods=42)
    items = [_item(f"J{i}", f"J{i}", "HH", d.date().isoformat(), "joint", 4, "property", "agreed")
             for i, d in enumerate(days)]
    items += [_item(f"D{m}", f"D{m}", "HH", f"2018-{m:02d}-10", "deliberation", None, "services", "agreed")
              for m in range(1, 11)]
    items += [_item("J0b", "J0", "HH", days[0].date().isoformat(), "joint", 4, "safety", "deferred")]  # 2nd item
    t = indicators(make_dataset(communities=com, deliberations=items), period=("2017-07-27", "2018-10-15"),
                   families=["deliberation"], indicators=["meeting_count"])
    assert one(t, category="joint")["value"] == 42
    assert one(t, category=None)["value"] == 52
