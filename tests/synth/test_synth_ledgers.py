"""The five ledgers of the demo: realistic volumes, and the planted effects recovered.

Planted (truth.json): piloted communities hold PILOT_MEETING_RR = 1.5 times the meetings and
close requests in 0.6 times the days from their first piloted year.  The estimators recover:

* ``pilot_meeting_count_att`` -- 12 x (RR - 1) x the cohort's mean monthly meeting rate,
  weighted by cohort size -- inside the 95 % interval of ``compare(outcome="meeting_count")``
  (Callaway-Sant'Anna, never-piloted controls);
* ``pilot_request_ontime_att`` -- the difference of the on-time probabilities
  (1 - OPEN_P) Σ_channel w Φ(log(due / (median x factor)) / σ) -- inside the 95 % interval
  of ``compare(outcome="request_ontime_rate")``;
* the Kaplan-Meier medians of days to close, exactly (whole days; thousands of requests);
* the sweep: 95 % of floating members found in April-July of the first piloted year, inside
  the Wilson interval of ``party_floating_found_share`` for that window.
"""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.families import indicators

from .synth_helpers import read_csv_tables  # noqa: F401  (the session's demo fixtures)


@pytest.fixture(scope="module")
def ds(demo_path):
    from evalkit.io import load

    return load(demo_path)


def _subset(ds, ids):
    from evalkit.io.dataset import Dataset

    ids = set(ids)
    tables = {n: (df.loc[df["community_id"].isin(ids)] if "community_id" in df.columns else df)
              for n, df in ds.tables.items()}
    return Dataset(path=ds.path, tables=tables, meta=ds.meta, item_ids=ds.item_ids)


def _cohorts(ds):
    """Community ids and first piloted years (0: never), by truth.json's rule: the year of
    pilot_start when on or before 30 June, else the next year."""
    com = ds["communities"]
    start = com["pilot_start"]
    late = (start.dt.month > 6).fillna(False).to_numpy(dtype=bool)
    year = start.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    piloted = com["pilot"].fillna(False).to_numpy(dtype=bool)
    ft = np.where(piloted, year + late, 0).astype(int)
    return com["community_id"].astype("str").to_numpy(), ft


def test_volumes_are_realistic(demo, truth):
    n = truth["n_communities"]
    hh = demo["communities"]["households"].astype(int).sum()
    years = len(truth["years"])
    req = demo["requests"]
    # 12345 orders: one per 50-200 households a year
    hot = (req["channel"] == "hotline").sum() / years
    assert hh / 200 <= hot <= hh / 50, hot
    # visits 0.1 per household a year (city scale: ~300,000), needs ~0.23 per visit (Honghu 700 / 3,000)
    vis = demo["visits"]
    assert len(vis) / years == pytest.approx(0.1 * hh, rel=0.15)
    needs = vis["needs_found"].dropna().astype(int)
    assert needs.sum() / len(vis) == pytest.approx(truth["visit_needs_per_visit"], abs=0.02)
    # visits concentrate in the April-July campaign months (twice the other months)
    month = vis["visited_on"].str[5:7].astype(int)
    assert month.isin([4, 5, 6, 7]).mean() == pytest.approx(8 / 16, abs=0.03)
    # a meeting every month or so in a never-piloted community
    meetings = demo["deliberations"].drop_duplicates(["community_id", "meeting_id"])
    assert len(meetings) / n / years == pytest.approx(12 * truth["meeting_rate_per_month_mean"], rel=0.35)
    # most requests closed within their due date
    closed = req["closed_on"].notna()
    assert closed.mean() > 0.9
    # every link points at a record of the same community
    for col, table, key in (("visit_id", "visits", "visit_id"), ("case_id", "disputes", "case_id")):
        linked = req.loc[req[col].notna(), ["community_id", col]]
        ref = demo[table][[key, "community_id"]].rename(columns={key: col, "community_id": "ref"})
        m = linked.merge(ref, on=col)
        assert len(m) == len(linked) > 0 and (m["community_id"] == m["ref"]).all()
    pm = demo["party_members"]
    assert set(pm["relation"]) == {"registered", "away", "floating_in", "reporting"}


def test_planted_meeting_effect_recovered(ds, truth):
    from evalkit.pilot import compare

    yrs = truth["years"]
    res = compare(ds, outcome="meeting_count", start=yrs[0], end=yrs[-1]).table
    att = res.loc[res["indicator"] == "pilot_att"].iloc[0]
    assert att["category"] == "meeting_count"
    # tolerance: the model's 95 % interval
    assert att["ci_low"] <= truth["pilot_meeting_count_att"] <= att["ci_high"], \
        (att["value"], att["ci_low"], att["ci_high"], truth["pilot_meeting_count_att"])
    assert att["ci_low"] > 0  # and it is detected


def test_planted_request_effect_recovered(ds, truth):
    from evalkit.pilot import compare

    yrs = truth["years"]
    res = compare(ds, outcome="request_ontime_rate", start=yrs[0], end=yrs[-1]).table
    att = res.loc[res["indicator"] == "pilot_att"].iloc[0]
    assert att["ci_low"] <= truth["pilot_request_ontime_att"] <= att["ci_high"], \
        (att["value"], att["ci_low"], att["ci_high"], truth["pilot_request_ontime_att"])
    assert att["ci_low"] > 0


def test_median_days_to_close(ds, truth):
    ids, ft = _cohorts(ds)
    y = max(truth["years"])
    never = indicators(_subset(ds, ids[ft == 0]), year=y, level="city", indicators=["request_median_days"])
    piloted = indicators(_subset(ds, ids[(ft > 0) & (ft <= y)]), year=y, level="city",
                         indicators=["request_median_days"])
    # exact, in whole days (the estimator rests on thousands of requests)
    assert never["value"].item() == truth["request_median_days_never_piloted"]
    assert piloted["value"].item() == truth["request_median_days_piloted"]
    # and the on-time shares of the two groups: within their Wilson intervals
    for group, key in ((ids[ft == 0], "request_ontime_never_piloted"),
                       (ids[(ft > 0) & (ft <= y)], "request_ontime_piloted")):
        r = indicators(_subset(ds, group), year=y, level="city", indicators=["request_ontime_rate"]).iloc[0]
        assert r["ci_low"] <= truth[key] <= r["ci_high"], (key, r["value"], truth[key])


def test_floating_member_sweep(ds, truth):
    ids, ft = _cohorts(ds)
    g = 2022
    sub = _subset(ds, ids[ft == g])
    t = indicators(sub, period=(f"{g}-04-01", f"{g}-07-31"), level="city",
                   indicators=["party_floating_found_share"], as_of="2024-12-31")
    r = t.iloc[0]
    # members who left before the end of the window are on neither side; the sweep found 95 %
    assert r["ci_low"] <= truth["floating_sweep_found_prob"] <= r["ci_high"], (r["value"], r["n"])
    # a never-piloted community finds members at random over five years: far fewer in those months
    other = indicators(_subset(ds, ids[ft == 0]), period=(f"{g}-04-01", f"{g}-07-31"), level="city",
                       indicators=["party_floating_found_share"], as_of="2024-12-31").iloc[0]
    assert other["value"] < 0.1


def test_hotline_response_in_time(ds, truth):
    t = indicators(ds, period=("2020-01-01", "2024-12-31"), level="city", indicators=["hotline_response_rate"])
    r = t.iloc[0]
    assert r["ci_low"] <= truth["hotline_response_in_time_prob"] <= r["ci_high"], r["value"]


def test_part_time_members(ds, truth):
    t = indicators(ds, year=2024, level="city", indicators=["part_time_members_per_big_committee"])
    r = t.iloc[0]
    # 2 + Poisson(1.06) per 大党委; the mean over a few dozen committees: within 3 standard errors
    se = np.sqrt(1.06 / r["denominator"])
    assert abs(r["value"] - truth["part_time_members_per_big_committee_mean"]) < 3 * se


def test_compare_cli_takes_the_new_outcomes(demo_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "evalkit", "compare", str(demo_path), "--outcome",
                        "request_closure_rate", "--from", "2020", "--to", "2024", "--lang", "en"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "request closure rate" in r.stdout.lower()
