"""Explicit periods: a window is one period row, computed by the same code as a year.

The strongest check: on the synthetic demo, the window 2024-01-01..2024-12-31 gives, for every
indicator that can use a window, exactly the rows of ``year=2024`` (other than the period
label and the monthly rows), at every level -- counts, sums, shares, intervals and notes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import ParameterError
from evalkit.families import indicators, outcome_panel, tables_needed
from evalkit.families._period import Period, parse_period
from evalkit.families.catalog import family_modules

from fam_helpers import one

ROOT = Path(__file__).resolve().parents[2]
COLS = ["value", "se", "ci_low", "ci_high", "n", "numerator", "denominator", "note"]


def test_a_window_of_a_whole_year_equals_the_year(demo_ds):
    levels = ["community", "street", "district", "city"]
    with pytest.warns(UserWarning):
        w = indicators(demo_ds, period=("2024-01-01", "2024-12-31"), level=levels)
    y = indicators(demo_ds, year=2024, level=levels)
    assert set(w["period"]) == {"2024-01-01..2024-12-31"}
    y = y.loc[(y["period"] == "2024") & y["indicator"].isin(set(w["indicator"]))]
    keys = ["indicator", "level", "unit_id", "category"]
    a = w.sort_values(keys).reset_index(drop=True)
    b = y.sort_values(keys).reset_index(drop=True)
    assert len(a) == len(b) > 0
    pd.testing.assert_frame_equal(a[keys + COLS], b[keys + COLS], check_exact=False, rtol=1e-12)
    # every family that can use a window is there, with every one of its indicators
    from evalkit.families._period import window_exclusions

    capable = {e["id"] for m in family_modules().values() for e in m.CATALOG} - {
        i for m in family_modules().values() for i in window_exclusions(m)}
    assert set(w["indicator"]) == capable


def test_indicators_that_need_years_are_left_out_with_a_note(small_ds):
    with pytest.warns(UserWarning, match="社区干部指标族") as rec:
        t = indicators(small_ds, period=("2024-01-01", "2024-06-30"), families=["disputes", "cadres"])
    assert "dispute_trend_irr" in str(rec[0].message) and "dispute_rate_change" in str(rec[0].message)
    assert not t["indicator"].str.startswith("cadre_").any()
    assert "dispute_count" in set(t["indicator"]) and "dispute_trend_irr" not in set(t["indicator"])
    assert any("cannot use a window" in w for w in t.attrs["warnings"])
    # asked for by id: still a note, never an error
    with pytest.warns(UserWarning, match="dispute_trend_irr"):
        t = indicators(small_ds, period=("2024-01-01", "2024-06-30"), indicators=["dispute_trend_irr"])
    assert t.empty


def test_window_of_the_small_dataset(small_ds):
    # 2024-01-01..2024-03-31: C1 cases K10 (Jan 10), K11 (Mar 5); K11 resolved 04-04, after the window
    t = indicators(small_ds, period=("2024-01-01", "2024-03-31"), families=["disputes"],
                   indicators=["dispute_count", "dispute_resolution_rate"])
    assert one(t, indicator="dispute_count", unit_id="C1")["value"] == 2
    r = one(t, indicator="dispute_resolution_rate", unit_id="C1")
    assert (r["numerator"], r["denominator"]) == (1, 2)
    # P ends at the as-of date: the note names the whole date
    t = indicators(small_ds, period=("2024-01-01", "2025-06-30"), families=["disputes"],
                   indicators=["dispute_count"], as_of="2024-12-31")
    assert one(t, unit_id="C1")["note"] == "through 2024-12-31" and one(t, unit_id="C1")["value"] == 4


@pytest.mark.parametrize("kwargs, match", [
    (dict(), "year"), (dict(year=2024, period=("2024-01-01", "2024-06-30")), "not both"),
    (dict(period=("2024-07-01", "2024-06-30")), "before it starts"),
    (dict(period=("2024-01-01", "June")), "must be a date"), (dict(period="2024"), "start, end"),
])
def test_bad_periods_are_refused(small_ds, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        indicators(small_ds, **kwargs)


def test_period_helpers():
    p = parse_period(("2017-04-15", "2017-07-31"))
    assert p.label == "2017-04-15..2017-07-31" and p.is_window and p.year is None
    assert [str(m) for m in p.months(pd.Timestamp("2016-01-01"), p.end)] == ["2017-05", "2017-06", "2017-07"]
    # coverage beginning in June: April and May are not counted
    assert [str(m) for m in p.months(pd.Timestamp("2017-06-20"), p.end)] == ["2017-06", "2017-07"]
    assert Period.calendar(2024).whole_years() == [2024] and p.whole_years() == []
    assert Period.window("2021-01-01", "2024-12-31").whole_years(pd.Timestamp("2024-06-30")) == [2021, 2022, 2023]


def test_outcome_panel_takes_the_total_row_of_a_breakdown(demo_ds):
    p = outcome_panel(demo_ds, "meeting_count", [2023, 2024])
    t = indicators(demo_ds, year=2024, families=["deliberation"], indicators=["meeting_count"])
    tot = t.loc[(t["period"] == "2024") & t["category"].isna()].set_index("unit_id")["value"]
    got = p.loc[p["year"] == 2024].set_index("community_id")["value"]
    assert len(got) == 60 and (got == tot.reindex(got.index)).all()
    with pytest.raises(ParameterError, match="total row"):
        outcome_panel(demo_ds, "dispute_share", [2024])


def test_tables_needed_follow_foreign_keys():
    assert {"requests", "visits", "disputes"} <= tables_needed(["requests"])
    assert {"deliberations", "requests", "visits", "disputes"} <= tables_needed(["deliberation"])
    assert {"party_members", "volunteers", "volunteer_hours"} <= tables_needed(["party"])
    assert tables_needed(["disputes"]) == {"disputes", "communities", "community_years"}


def _cli(*args):
    env = {**os.environ, "EVALKIT_DIRECT": "1"}
    return subprocess.run([sys.executable, "-m", "evalkit", "indicators", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)


def test_cli_from_to(demo_dir, tmp_path):
    out = tmp_path / "w.csv"
    r = _cli(str(demo_dir), "--from", "2024-01-01", "--to", "2024-06-30", "--family", "requests", "visits",
             "--level", "city", "--out", str(out))
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert set(t["period"]) == {"2024-01-01..2024-06-30"}
    assert {"request_count", "visit_household_coverage"} <= set(t["indicator"])


@pytest.mark.parametrize("args, msg", [
    (["--year", "2024", "--from", "2024-01-01", "--to", "2024-06-30"], "not both"),
    (["--from", "2024-01-01"], "needs both --from and --to"),
    ([], "Give --year"),
    (["--from", "2024-13-01", "--to", "2024-12-31"], "must be a date"),
])
def test_cli_period_errors(demo_dir, args, msg):
    r = _cli(str(demo_dir), *args)
    assert r.returncode != 0 and msg in r.stderr and "Traceback" not in r.stderr
    assert np.all([s not in r.stderr for s in ("File \"",)])


def test_a_window_is_the_same_on_direct_scans(tmp_path_factory):
    """The window path reads the large ledgers through evalkit.families._aggregate, so a
    Parquet dataset scanned in place gives the rows the loader gives."""
    from evalkit import synthetic
    from evalkit.io import load
    from evalkit.io.direct import open_direct

    path = synthetic.synth(tmp_path_factory.mktemp("win") / "pq", scale="demo", seed=7, fmt="parquet")
    direct = open_direct(path, tables_needed())
    assert direct is not None and {"requests", "visits"} <= set(direct.files)
    kw = dict(period=("2023-03-01", "2023-08-31"), level=["community", "city"])
    with pytest.warns(UserWarning):
        a = indicators(direct, **kw)
    with pytest.warns(UserWarning):
        b = indicators(load(path), **kw)
    pd.testing.assert_frame_equal(a, b)
