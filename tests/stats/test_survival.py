"""Kaplan–Meier and Aalen–Johansen curves against statsmodels and lifelines."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight

from evalkit.exceptions import DataError, ParameterError
from evalkit.stats.survival import cumulative_incidence, kaplan_meier

DATA = Path(__file__).resolve().parents[1] / "data"
TOL = 1e-8  # same formulas as statsmodels: agreement to rounding error

AT = [0, 3, 7, 14, 30, 45, 60, 89, 90, 200]


@pytest.fixture(scope="module")
def cases():
    return pd.read_csv(DATA / "survival_cases.csv")


@pytest.fixture(scope="module")
def random_cases():
    rng = np.random.default_rng(20240503)
    n = 600
    return pd.DataFrame({
        "street": rng.choice(["a", "b"], n),
        "g": rng.integers(0, 12, n),
        "t": rng.integers(0, 70, n),
        "c": rng.choice([0, 1, 1, 1, 2, 3], n),
    })


def _step(times, values, at, before):
    i = np.searchsorted(times, at, side="right") - 1
    return values[i] if i >= 0 else before


@pytest.mark.parametrize("at", AT)
def test_kaplan_meier_matches_statsmodels(random_cases, at):
    df = random_cases.assign(e=(random_cases["c"] == 1).astype(int))
    r = kaplan_meier(df, time="t", event="e", by=["street", "g"], at=at)
    assert len(r) == df.groupby(["street", "g"]).ngroups
    for _, row in r.iterrows():
        sub = df[(df["street"] == row["street"]) & (df["g"] == row["g"])]
        # statsmodels 0.15: SurvfuncRight(time, status).surv_prob / surv_prob_se
        sf = SurvfuncRight(sub["t"].to_numpy(), sub["e"].to_numpy())
        v = _step(sf.surv_times, sf.surv_prob, at, 1.0)
        se = _step(sf.surv_times, sf.surv_prob_se, at, 0.0)
        assert row["value"] == pytest.approx(v, abs=TOL)
        assert row["se"] == pytest.approx(se, abs=TOL, nan_ok=True)
        assert row["n"] == len(sub)
        # contract median (S <= 0.5) equals statsmodels' quantile (S < 0.5)
        # unless S sits exactly on 0.5; no plateau at 0.5 in these data
        assert row["median"] == pytest.approx(sf.quantile(0.5), nan_ok=True)


@pytest.mark.parametrize("at", AT)
@pytest.mark.parametrize("event", [1, 2])
def test_cumulative_incidence_matches_statsmodels(random_cases, at, event):
    df = random_cases
    r = cumulative_incidence(df, time="t", cause="c", by=["street", "g"], event=event, at=at)
    for _, row in r.iterrows():
        sub = df[(df["street"] == row["street"]) & (df["g"] == row["g"])]
        # statsmodels 0.15: CumIncidenceRight(time, status).cinc[k-1] / cinc_se[k-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ci = CumIncidenceRight(sub["t"].to_numpy(float), sub["c"].to_numpy())
        v = _step(ci.times, ci.cinc[event - 1], at, 0.0)
        se = _step(ci.times, ci.cinc_se[event - 1], at, 0.0)
        assert row["value"] == pytest.approx(v, abs=TOL)
        if np.isfinite(se):  # statsmodels: NaN after a time where all at risk fail
            assert row["se"] == pytest.approx(se, abs=TOL)
        else:
            assert np.isfinite(row["se"])
        assert row["ci_low"] <= row["value"] + 1e-15 <= row["ci_high"] + 2e-15
        times = ci.times[ci.cinc[event - 1] >= 0.5 - 1e-12]
        assert row["median"] == pytest.approx(times[0] if len(times) else np.nan, nan_ok=True)
        assert row["note"].startswith("never reaches 0.5") == (len(times) == 0)


# lifelines 0.30.3: KaplanMeierFitter().fit(days, cause == 1); survival_function_
# and confidence_interval_ (log(-log), "exponential Greenwood") at the last
# time <= at; median_survival_time_.  Data: tests/data/survival_cases.csv.
LIFELINES_KM = [
    ("S01", 7, 0.8436197916666667, 0.6842429771958408, 0.9266194981264015),
    ("S01", 30, 0.6762051550558495, 0.48717204813111775, 0.8082606100807119),
    ("S02", 7, 0.8333333333333331, 0.6148117578156258, 0.9339469127607929),
    ("S02", 30, 0.4084967320261437, 0.1633715189906001, 0.6424918189046797),
    ("S03", 7, 0.7629929221435794, 0.6260107227341991, 0.8553668960316672),
    ("S03", 30, 0.50133440153422, 0.3519585243242499, 0.6334552400659242),
    ("S04", 7, 0.7272727272727274, 0.4252315172732251, 0.8881678063671771),
    ("S04", 30, 0.4848484848484848, 0.20873603977720287, 0.7156947381350441),
]
LIFELINES_MEDIAN = {"S01": 68.0, "S02": 30.0, "S03": 33.0, "S04": 14.0}


@pytest.mark.parametrize("at", [7, 30])
def test_kaplan_meier_loglog_interval_matches_lifelines(cases, at):
    df = cases.assign(resolved=(cases["cause"] == 1).astype(int))
    r = kaplan_meier(df, time="days", event="resolved", by="community_id", at=at)
    r = r.set_index("community_id")
    for g, a, s, lo, hi in LIFELINES_KM:
        if a != at:
            continue
        assert r.loc[g, "value"] == pytest.approx(s, abs=1e-12)
        assert r.loc[g, "ci_low"] == pytest.approx(lo, abs=1e-9)
        assert r.loc[g, "ci_high"] == pytest.approx(hi, abs=1e-9)
        assert r.loc[g, "median"] == LIFELINES_MEDIAN[g]


def test_no_censoring_reduces_to_binomial_proportion():
    # Without censoring the Aalen–Johansen estimate is the empirical share and
    # the delta-method variance is the binomial F(1-F)/N -- also at the last
    # time, where everyone left at risk has an event (statsmodels: NaN there).
    rng = np.random.default_rng(7)
    n = 50
    df = pd.DataFrame({"t": rng.integers(0, 20, n), "c": rng.choice([1, 2], n)})
    for at in (5, 10, int(df["t"].max())):
        r = cumulative_incidence(df, time="t", cause="c", at=at)
        f = ((df["t"] <= at) & (df["c"] == 1)).mean()
        assert r["value"].iloc[0] == pytest.approx(f, abs=1e-12)
        assert r["se"].iloc[0] == pytest.approx(np.sqrt(f * (1 - f) / n), abs=1e-12)


def test_day_at_horizon_counts_and_median_on_plateau():
    # resolved on day 30 counts for at=30
    df = pd.DataFrame({"t": [10, 30, 31, 40], "c": [1, 1, 1, 2]})
    r = cumulative_incidence(df, time="t", cause="c", at=30)
    assert r["value"].iloc[0] == pytest.approx(0.5)
    assert r["median"].iloc[0] == 30
    assert cumulative_incidence(df, time="t", cause="c", at=29)["value"].iloc[0] == 0.25
    # S(t) = 0.5 exactly on [2, 3): contract median 2; statsmodels' strict
    # S < 0.5 gives 3
    km = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 1]})
    assert kaplan_meier(km, time="t", event="e")["median"].iloc[0] == 2
    assert SurvfuncRight(km["t"].to_numpy(), km["e"].to_numpy()).quantile(0.5) == 3


def test_never_reaches_half_and_beyond_follow_up():
    df = pd.DataFrame({"g": ["x"] * 4 + ["y"] * 3,
                       "t": [1, 5, 9, 9, 2, 3, 4], "c": [1, 0, 0, 0, 1, 1, 1]})
    r = cumulative_incidence(df, time="t", cause="c", by="g", at=30).set_index("g")
    assert np.isnan(r.loc["x", "median"])
    assert r.loc["x", "note"] == "never reaches 0.5; beyond follow-up"
    assert r.loc["y", "value"] == 1.0 and r.loc["y", "note"] == ""  # complete follow-up
    assert r.loc["y", "median"] == 3
    before = cumulative_incidence(df, time="t", cause="c", by="g", at=0)
    assert (before["value"] == 0).all() and (before["se"] == 0).all()


def test_interval_coverage_on_simulated_groups():
    # 400 groups of 80 cases: resolution ~ Exp(mean 40 d) competing with
    # escalation ~ Exp(mean 120 d), censoring ~ U(0, 120) days.  True
    # F(30) = 0.75 (1 - exp(-30 * (1/40 + 1/120))) = 0.5394...  The log-log
    # interval should cover it in about 95% of groups.
    rng = np.random.default_rng(20240504)
    G, n = 400, 80
    t1 = rng.exponential(40, (G, n))
    t2 = rng.exponential(120, (G, n))
    cen = rng.uniform(0, 120, (G, n))
    t = np.minimum(np.minimum(t1, t2), cen)
    c = np.where(cen <= np.minimum(t1, t2), 0, np.where(t1 < t2, 1, 2))
    df = pd.DataFrame({"g": np.repeat(np.arange(G), n), "t": np.floor(t).ravel(),
                       "c": c.ravel()})
    # whole days: an event in day [30, 31) happens "on day 30"
    truth = 0.75 * (1 - np.exp(-31 * (1 / 40 + 1 / 120)))
    r = cumulative_incidence(df, time="t", cause="c", by="g", at=30)
    cover = ((r["ci_low"] <= truth) & (truth <= r["ci_high"])).mean()
    assert 0.92 <= cover <= 0.98
    assert abs(r["value"].mean() - truth) < 0.01


def test_groups_equal_separate_calls(random_cases):
    whole = cumulative_incidence(random_cases, time="t", cause="c", by="g", at=30)
    for g in (0, 5, 11):
        one = cumulative_incidence(random_cases[random_cases["g"] == g], time="t",
                                   cause="c", at=30)
        row = whole[whole["g"] == g].iloc[0]
        for col in ("value", "se", "ci_low", "ci_high", "median"):
            assert row[col] == pytest.approx(one[col].iloc[0], abs=1e-12, nan_ok=True)


def test_bad_input():
    df = pd.DataFrame({"t": [1, -2], "c": [1, 0]})
    with pytest.raises(DataError, match="负值"):
        cumulative_incidence(df, time="t", cause="c")
    with pytest.raises(DataError, match="missing values"):
        kaplan_meier(pd.DataFrame({"t": [1.0, np.nan], "e": [1, 0]}), time="t", event="e")
    with pytest.raises(DataError, match="0 \\(censored\\) or 1"):
        kaplan_meier(pd.DataFrame({"t": [1, 2], "e": [1, 2]}), time="t", event="e")
    with pytest.raises(DataError, match="no column `x`"):
        kaplan_meier(df, time="x", event="c")
    with pytest.raises(ParameterError, match="`at`"):
        cumulative_incidence(df.abs(), time="t", cause="c", at=-1)
    with pytest.raises(ParameterError, match="`event`"):
        cumulative_incidence(df.abs(), time="t", cause="c", event=0)
