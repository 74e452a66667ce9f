"""One rule each, in every statistic: a missing column, a level, a count, a bad value.

Each statistic reads its columns through ``evalkit.stats._grouping`` and its
options through ``evalkit.exceptions`` (check_choice, check_level, check_count),
so the same mistake gives the same error class everywhere.  Regression: the
``did`` functions accepted ``level=95`` and returned NaN intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, MissingColumnError, ParameterError
from evalkit.stats import did, reliability, survey, survival, trend


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 48
    return pd.DataFrame({
        "unit": np.repeat([f"u{i}" for i in range(12)], 4), "year": np.tile([2021, 2022, 2023, 2024], 12),
        "y": rng.normal(size=n), "d": 0.0, "first": np.repeat([2023] * 4 + [0] * 8, 4),
        "w": 1.0, "g": np.repeat([1] * 6 + [0] * 6, 4), "days": rng.integers(1, 30, n),
        "done": rng.integers(0, 2, n), "month": np.tile([1, 2, 3, 4], 12), "t": np.arange(n) / 12,
        "cases": rng.poisson(5, n), "hh": 100.0, "q1": rng.normal(size=n), "q2": rng.normal(size=n),
    }).assign(d=lambda f: ((f["first"] > 0) & (f["year"] >= f["first"])).astype(float))


def calls(f, column="y"):
    """Every statistic with one column role set to ``column``."""
    two = lambda: f[f["year"].isin([2022, 2023])]  # noqa: E731
    return {
        "svymean": lambda **kw: survey.svymean(f, y=column, **kw),
        "svytotal": lambda **kw: survey.svytotal(f, y=column, **kw),
        "svyprop": lambda **kw: survey.svyprop(f.assign(y=f["done"]), y=column, **kw),
        "cronbach_alpha": lambda **kw: reliability.cronbach_alpha(f, items=["q1", column], **kw),
        "kaplan_meier": lambda **kw: survival.kaplan_meier(f, time="days", event="done", by=None if column == "y"
                                                           else column, **kw),
        "cumulative_incidence": lambda **kw: survival.cumulative_incidence(
            f, time="days", cause="done", by=None if column == "y" else column, **kw),
        "trend_glm": lambda **kw: trend.trend_glm(f, count="cases", exposure="hh", time="t", season="month",
                                                  by=None if column == "y" else column, **kw),
        "twfe_did": lambda **kw: did.twfe_did(f, outcome=column, unit="unit", time="year", treated="d", **kw),
        "did_2x2": lambda **kw: did.did_2x2(two(), outcome=column, unit="unit", time="year", group="g", **kw),
        "callaway_santanna": lambda **kw: did.callaway_santanna(f, outcome=column, unit="unit", time="year",
                                                                first_treated="first", **kw),
    }


NAMES = list(calls(pd.DataFrame()))


@pytest.mark.parametrize("name", NAMES)
def test_a_level_in_percent_is_refused_everywhere(frame, name):
    call = calls(frame)[name]
    call(level=0.9)  # a proper level works
    with pytest.raises(ParameterError, match="level") as e:
        call(level=95)
    assert "0.95" in e.value.zh and "0.95" in e.value.en


def test_did_level_is_used_not_turned_into_nan(frame):
    """Before: twfe_did(level=95) returned NaN ci_low / ci_high instead of an error."""
    a = did.twfe_did(frame, outcome="y", unit="unit", time="year", treated="d", level=0.9).iloc[0]
    b = did.twfe_did(frame, outcome="y", unit="unit", time="year", treated="d", level=0.99).iloc[0]
    assert np.isfinite([a["ci_low"], b["ci_low"]]).all() and b["ci_low"] < a["ci_low"] < a["value"]


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_column_is_one_error_class_everywhere(frame, name):
    with pytest.raises(MissingColumnError) as e:
        calls(frame, column="nope")[name]()
    err = e.value
    assert err.column == "nope" and "nope" in err.zh and "nope" in err.en
    # one class that is both: the data lack it, and an argument names it
    assert isinstance(err, DataError) and isinstance(err, ParameterError)


def test_seasonal_mann_kendall_checks_too(frame):
    with pytest.raises(MissingColumnError):
        trend.seasonal_mann_kendall(frame, value="nope", time="t", season="month")
    with pytest.raises(ParameterError, match="period"):
        trend.seasonal_mann_kendall(frame, value="y", time="t", season="month", period=0)


def test_a_missing_column_names_the_closest_ones(frame):
    with pytest.raises(MissingColumnError) as e:
        did.callaway_santanna(frame, outcome="y", unit="unit", time="yaer", first_treated="first")
    assert "year" in e.value.zh and "closest: year" in e.value.en


def test_counts_are_checked_once(frame):
    cs = did.callaway_santanna(frame, outcome="y", unit="unit", time="year", first_treated="first")
    p = did.prepare_panel(frame, outcome="y", unit="unit", time="year", first_treated="first")
    for call in (lambda: did.pretrend_test(cs, method="randomization", draws=0),
                 lambda: did.randomization_inference(p, draws=-5),
                 lambda: survival.cumulative_incidence(frame, time="days", cause="done", event=0)):
        with pytest.raises(ParameterError) as e:
            call()
        assert "至少" in e.value.zh or "不小于" in e.value.zh
        assert "at least" in e.value.en
    with pytest.raises(ParameterError, match="kind"):
        did.aggregate(cs, "weekly")


def test_a_bad_value_names_its_row_unit_and_value_but_not_a_phone_number(frame):
    bad = frame.assign(y=frame["y"].astype(object), _row=np.arange(len(frame)) + 2)
    bad.loc[5, "y"] = "缺报"
    with pytest.raises(DataError) as e:
        survey.svymean(bad, y="y")
    assert e.value.row == 7 and "缺报" in e.value.zh and e.value.column == "y"
    with pytest.raises(DataError) as e:
        did.twfe_did(bad, outcome="y", unit="unit", time="year", treated="d")
    assert "u1" in e.value.en and "缺报" in e.value.en
    bad.loc[5, "y"] = "139-1234-5678"
    with pytest.raises(DataError) as e:
        did.twfe_did(bad, outcome="y", unit="unit", time="year", treated="d")
    assert "139-1234-5678" not in str(e.value) and "1 value(s) are not" in e.value.en


def test_numbers_stored_as_text_are_numbers(frame):
    """A CSV column read as text ("1.5") is the same data to every statistic."""
    txt = frame.assign(y=frame["y"].map(repr))
    pd.testing.assert_frame_equal(survey.svymean(txt, y="y"), survey.svymean(frame, y="y"))


def test_a_window_outside_the_data_names_the_years_the_data_cover(frame):
    """Before: 'No unit is left after dropping units with missing years ...' for a window
    that starts a year before the data."""
    with pytest.raises(DataError) as e:
        did.prepare_panel(frame, outcome="y", unit="unit", time="year", first_treated="first", start=2020)
    assert "2020" in e.value.en and "start in 2021" in e.value.en and "从 2021 年开始" in e.value.zh
    gap = frame.assign(y=frame["y"].where(frame["year"] != 2022))
    with pytest.raises(DataError) as e:
        did.prepare_panel(gap, outcome="y", unit="unit", time="year", first_treated="first")
    assert "2022" in e.value.en and "no outcome data" in e.value.en
