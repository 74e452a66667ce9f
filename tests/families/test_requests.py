"""Requests and 12345 indicators on a hand-made ledger; every expected value worked out below.

C1 has 150 households in 2024 (community_years), C2 200.

==== ==== ======== ========== ========== ============= ========== ========== ============ ============ ========
id   com  channel  received   responded  in_time flag  due        closed     resolution   satisfaction assessed
==== ==== ======== ========== ========== ============= ========== ========== ============ ============ ========
R0   C1   online   2023-06-01  --         --           --         2023-06-02  --           --           --
R1   C1   hotline  2024-01-02 2024-01-03  --           2024-01-09 2024-01-05 resolved     satisfied    yes
R2   C1   hotline  2024-02-01 2024-02-05  true         2024-02-08 2024-02-20 unresolved   fairly       yes
R3   C1   hotline  2024-03-01 2024-03-01  false        2024-03-08  --         --           --           yes
R4   C1   hotline  2024-04-01  --         --           2024-04-08 2024-04-02 resolved     dissatisfied no
R5   C1   grid     2024-05-01  --         --           2024-05-16 2024-05-03  --           --           --
R6   C2   visit    2024-12-20  --         --           2025-01-04 2025-01-03  --           --           --
R7   C2   walk_in  2024-06-10  --         --           2024-06-25 2024-06-30  --           --           --
R8   C2   hotline  2024-07-01 2024-07-02  --           2024-07-08 2024-07-04 not_rated    not_rated    (yes)
==== ==== ======== ========== ========== ============= ========== ========== ============ ============ ========

R2 was answered four days late by its dates but the flag says in time (the flag decides);
R3 was answered the same day but the flag says late.  R4 is not assessed (a duplicate):
it counts everywhere except in the four hotline_* rates.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.families import indicators

from fam_helpers import COMMUNITIES, COMMUNITY_YEARS, make_dataset, one

LEVELS = ["community", "street", "district", "city"]


def _r(i, com, ch, rec, resp=None, flag=None, due=None, closed=None, res=None, sat=None, assessed=None):
    return dict(request_id=i, community_id=com, channel=ch, received_on=rec, responded_on=resp,
                responded_in_time=flag, due_on=due, closed_on=closed, resolution=res, satisfaction=sat,
                assessed=assessed, category="property")


REQUESTS = [
    _r("R0", "C1", "online", "2023-06-01", closed="2023-06-02"),
    _r("R1", "C1", "hotline", "2024-01-02", "2024-01-03", None, "2024-01-09", "2024-01-05", "resolved", "satisfied", True),
    _r("R2", "C1", "hotline", "2024-02-01", "2024-02-05", True, "2024-02-08", "2024-02-20", "unresolved", "fairly", True),
    _r("R3", "C1", "hotline", "2024-03-01", "2024-03-01", False, "2024-03-08", None, None, None, True),
    _r("R4", "C1", "hotline", "2024-04-01", None, None, "2024-04-08", "2024-04-02", "resolved", "dissatisfied", False),
    _r("R5", "C1", "grid", "2024-05-01", due="2024-05-16", closed="2024-05-03"),
    _r("R6", "C2", "visit", "2024-12-20", due="2025-01-04", closed="2025-01-03"),
    _r("R7", "C2", "walk_in", "2024-06-10", due="2024-06-25", closed="2024-06-30"),
    _r("R8", "C2", "hotline", "2024-07-01", "2024-07-02", None, "2024-07-08", "2024-07-04", "not_rated", "not_rated"),
]


def _ds(rows=REQUESTS):
    return make_dataset(communities=COMMUNITIES, community_years=COMMUNITY_YEARS, requests=rows)


@pytest.fixture(scope="module")
def t2024():
    return indicators(_ds(), year=2024, level=LEVELS, families=["requests"])


def test_count_with_total_and_channel_rows_and_rate(t2024):
    t = t2024
    assert one(t, indicator="request_count", unit_id="C1", category=None)["value"] == 5
    assert one(t, indicator="request_count", unit_id="C1", category="hotline")["value"] == 4
    assert one(t, indicator="request_count", unit_id="C1", category="grid")["value"] == 1
    assert one(t, indicator="request_count", unit_id="C1", category="petition")["value"] == 0
    city = one(t, indicator="request_count", unit_id="all", category=None)
    assert city["value"] == 8
    from scipy.stats import chi2

    assert (city["ci_low"], city["ci_high"]) == pytest.approx((chi2.ppf(0.025, 16) / 2, chi2.ppf(0.975, 18) / 2))
    # 1000 x 5 / 150 households (the 2024 row of community_years)
    assert one(t, indicator="request_rate", unit_id="C1")["value"] == pytest.approx(1000 * 5 / 150)
    # street S1: (5 + 3) / (150 + 200)
    assert one(t, indicator="request_rate", unit_id="D1/S1")["value"] == pytest.approx(1000 * 8 / 350)


def test_closure_and_ontime(t2024):
    t = t2024
    # C1: R1, R2, R4, R5 closed by 2024-12-31, R3 open -> 4 / 5 (R4, not assessed, counts here)
    c1 = one(t, indicator="request_closure_rate", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (4, 5)
    # C2: R7, R8 closed; R6 closed 2025-01-03, after the end of the year -> 2 / 3
    assert one(t, indicator="request_closure_rate", unit_id="C2")["value"] == pytest.approx(2 / 3)
    # on time, among those due by 2024-12-31: C1 R1, R4, R5 yes; R2 late; R3 never closed -> 3 / 5
    c1 = one(t, indicator="request_ontime_rate", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (3, 5)
    # C2: R6 is due in 2025 (not in the denominator); R7 late, R8 on time -> 1 / 2
    c2 = one(t, indicator="request_ontime_rate", unit_id="C2")
    assert (c2["numerator"], c2["denominator"]) == (1, 2)
    assert one(t, indicator="request_ontime_rate", unit_id="all")["value"] == pytest.approx(4 / 7)


def test_hotline_rates_count_assessed_rows_only_and_the_flag_decides(t2024):
    t = t2024
    # response: C1's assessed hotline rows R1 (next day), R2 (late by date, flag true), R3 (same
    # day, flag false) -> 2 / 3; R4 is not assessed
    c1 = one(t, indicator="hotline_response_rate", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (2, 3)
    assert one(t, indicator="hotline_response_rate", unit_id="C2")["value"] == 1.0  # R8 next day
    # resolution: R1 resolved, R2 unresolved -> 1 / 2 (R4's "resolved" would make it 2 / 3)
    c1 = one(t, indicator="hotline_resolution_rate", unit_id="C1")
    assert (c1["numerator"], c1["denominator"]) == (1, 2)
    # C2's only order is not rated: 0 / 0 is "no data"
    c2 = one(t, indicator="hotline_resolution_rate", unit_id="C2")
    assert pd.isna(c2["value"]) and c2["note"] == "no data"
    # satisfaction: R1 satisfied, R2 fairly (R4's "dissatisfied" is not assessed) -> 2 / 2; strict 1 / 2
    assert one(t, indicator="hotline_satisfaction_rate", unit_id="C1")["value"] == 1.0
    assert one(t, indicator="hotline_satisfaction_strict", unit_id="all")["value"] == 0.5
    from evalkit.families.catalog import entry

    assert [entry(i)["benchmark"]["value"] for i in
            ("hotline_response_rate", "hotline_resolution_rate", "hotline_satisfaction_rate")] == [0.997, 0.943, 0.941]


def test_median_days_kaplan_meier_matches_statsmodels(t2024):
    from statsmodels.duration.survfunc import SurvfuncRight

    t = t2024
    # C1: closed after 3 (R1), 19 (R2), 1 (R4), 2 (R5) days; R3 open, censored at 2024-12-31 (305 days)
    assert one(t, indicator="request_median_days", unit_id="C1")["value"] == 3
    sf = SurvfuncRight([3, 19, 305, 1, 2], [1, 1, 0, 1, 1])
    assert sf.quantile(0.5) == 3
    # C2: R8 3 days, R7 20 days, R6 closed in 2025: censored at the end of 2024 (11 days) -> 20
    assert one(t, indicator="request_median_days", unit_id="C2")["value"] == 20
    # the city pools the eight requests (not a mean of community medians): S(3) is exactly 0.5,
    # so the contract's median (first t with S(t) <= 0.5) is 3 where statsmodels' strict S < 0.5
    # (as SAS) gives the next closure time, 19
    sf = SurvfuncRight([3, 19, 305, 1, 2, 11, 20, 3], [1, 1, 0, 1, 1, 0, 1, 1])
    assert sf.surv_prob[list(sf.surv_times).index(3)] == pytest.approx(0.5) and sf.quantile(0.5) == 19
    assert one(t, indicator="request_median_days", unit_id="all")["value"] == 3


def test_window_and_as_of_cut():
    # January to June: C1 R1-R5 (R2 closed 02-20 inside), C2 R7 (closed 06-30, the last day)
    t = indicators(_ds(), period=("2024-01-01", "2024-06-30"), families=["requests"])
    assert set(t["period"]) == {"2024-01-01..2024-06-30"}
    assert one(t, indicator="request_closure_rate", unit_id="C2")["value"] == 1.0
    assert one(t, indicator="request_count", unit_id="C1", category=None)["value"] == 5
    # data as of 2024-03-31: R1-R3 received; R2's response (02-05) is known; note "through 03-31"
    t = indicators(_ds(), year=2024, as_of="2024-03-31", families=["requests"])
    c1 = one(t, indicator="request_count", unit_id="C1", category=None)
    assert c1["value"] == 3 and c1["note"] == "through 03-31"
    # R2 closed 02-20 by 03-31; R3 open -> 2 of 3 closed
    assert one(t, indicator="request_closure_rate", unit_id="C1")["value"] == pytest.approx(2 / 3)


def test_response_after_the_as_of_date_is_not_seen():
    rows = [_r("X1", "C1", "hotline", "2024-03-31", "2024-04-01", None, "2024-04-07", None, None, None, True)]
    t = indicators(_ds(rows), year=2024, as_of="2024-03-31", families=["requests"],
                   indicators=["hotline_response_rate"])
    r = one(t, unit_id="C1")
    assert (r["numerator"], r["denominator"]) == (0, 1)
