"""Welch–Satterthwaite intervals of Callaway–Sant'Anna estimates (ci="welch").

References: scipy.stats.ttest_ind(equal_var=False) for one cohort against
never-treated controls (exact), and coverage of a planted effect in simulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.exceptions import ParameterError
from evalkit.stats.did import aggregate, callaway_santanna, prepare_panel

EFFECT = 1.5


def _panel(seed, n_treated=7, n_control=40, sd_treated=2.0, sd_control=0.7, cohorts=(2022,)):
    """Units observed 2020-2023; treated units split over ``cohorts``; effect EFFECT from the start."""
    rng = np.random.default_rng(seed)
    n = n_treated + n_control
    T = np.array([2020, 2021, 2022, 2023])
    g = np.where(np.arange(n) < n_treated, np.resize(np.asarray(cohorts), n), 0)
    sd = np.where(g > 0, sd_treated, sd_control)
    y = (rng.normal(0, 1, n)[:, None] + 0.3 * (T - 2020)[None, :]
         + np.where((g[:, None] > 0) & (T[None, :] >= g[:, None]), EFFECT, 0.0)
         + rng.normal(0, 1, (n, len(T))) * sd[:, None])
    return pd.DataFrame({"u": np.repeat(np.arange(n), len(T)), "t": np.tile(T, n),
                         "g": np.repeat(g, len(T)), "y": y.ravel()})


def test_one_cohort_is_welchs_two_sample_interval():
    d = _panel(3)
    cs = callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g", ci="welch")
    wide = d.pivot(index="u", columns="t", values="y")
    G = d.groupby("u")["g"].first()
    for t, base in ((2022, 2021), (2023, 2021), (2021, 2020)):
        r = cs.gt.set_index(["group", "time"]).loc[(2022, t)]
        ch = wide[t] - wide[base]
        ref = stats.ttest_ind(ch[G > 0], ch[G == 0], equal_var=False)
        ci = ref.confidence_interval(0.95)
        # tolerance: floating point only (the same formula)
        assert r["att"] == pytest.approx(ch[G > 0].mean() - ch[G == 0].mean(), abs=1e-12)
        assert r["df"] == pytest.approx(ref.df, rel=1e-10)
        assert r["ci_low"] == pytest.approx(ci.low, abs=1e-10)
        assert r["ci_high"] == pytest.approx(ci.high, abs=1e-10)
    ev = aggregate(cs, "dynamic").set_index("key")
    cell = cs.gt.set_index(["group", "time"]).loc[(2022, 2022)]
    assert ev.loc[0.0, "ci_low"] == pytest.approx(cell["ci_low"], abs=1e-12)  # one cohort: e = 0 is the cell
    ch = wide[2022] - wide[2021]
    ref = stats.ttest_ind(ch[G > 0], ch[G == 0], equal_var=False)
    assert ev.loc[0.0, "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)


def test_a_cohorts_own_aggregate_is_welchs_interval_on_that_cohort():
    """Two cohorts (5 and 4 units) against 12 never-piloted units.  A group aggregate rests on
    one cohort: its interval is Welch's on that cohort's units alone (each unit's mean
    post-period change), not one with the piloted group's 9 clusters in m/(m-1) and df --
    that made it 7-10% too narrow with 3.7 instead of 10 degrees of freedom."""
    rng = np.random.default_rng(11)
    T = np.arange(2016, 2024)
    g = np.repeat([0, 2019, 2021], [12, 5, 4])
    y = (rng.normal(0, 2, len(g))[:, None] + 0.3 * (T - 2016)[None, :]
         + np.where((g[:, None] > 0) & (T[None, :] >= g[:, None]), 1.0, 0.0)
         + rng.normal(0, 1, (len(g), len(T))))
    d = pd.DataFrame({"u": np.repeat(np.arange(len(g)), len(T)), "t": np.tile(T, len(g)),
                      "g": np.repeat(g, len(T)), "y": y.ravel()})
    cs = callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g", ci="welch")
    grp = aggregate(cs, "group").set_index("key")
    for cohort in (2019, 2021):
        cells = cs.gt.loc[(cs.gt["group"] == cohort) & (cs.gt["time"] >= cohort)]
        cols = {t: i for i, t in enumerate(T)}
        mean_change = np.mean([y[:, cols[t]] - y[:, cols[b]] for t, b in zip(cells["time"], cells["base"])], axis=0)
        ref = stats.ttest_ind(mean_change[g == cohort], mean_change[g == 0], equal_var=False)
        ci = ref.confidence_interval(0.95)
        r = grp.loc[float(cohort)]
        # tolerance: floating point only (the same formula)
        assert r["df"] == pytest.approx(ref.df, rel=1e-10)
        assert r["ci_low"] == pytest.approx(ci.low, abs=1e-10) and r["ci_high"] == pytest.approx(ci.high, abs=1e-10)
        assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    # an event time that only the earlier cohort reaches (e = 4) is that cohort's one cell
    ev = aggregate(cs, "dynamic").set_index("key")
    cell = cs.gt.set_index(["group", "time"]).loc[(2019, 2023)]
    assert ev.loc[4.0, "ci_low"] == pytest.approx(cell["ci_low"], abs=1e-12)
    assert ev.loc[4.0, "df"] == pytest.approx(cell["df"], rel=1e-12)


def test_normal_is_the_default_and_unchanged():
    d = _panel(4)
    a = callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g")
    b = callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g", ci="welch")
    assert "df" not in a.gt and "df" in b.gt
    np.testing.assert_allclose(a.gt["att"], b.gt["att"])
    assert (b.gt["ci_high"] - b.gt["ci_low"] > a.gt["ci_high"] - a.gt["ci_low"]).all()  # wider
    with pytest.raises(ParameterError):
        callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g", ci="t")


def test_a_cohort_of_one_unit_gets_no_cell_interval():
    d = _panel(5, n_treated=3, cohorts=(2022, 2023, 2023))
    cs = callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g", ci="welch")
    single = cs.gt["group"] == 2022  # one unit: its variance cannot be estimated
    assert cs.gt.loc[single, "ci_low"].isna().all() and cs.gt.loc[~single, "ci_low"].notna().all()
    # the one-unit cohort's own aggregate has no interval either; the overall one pools the
    # piloted units it involves (3 clusters): an interval, at least as wide as the normal one
    normal = aggregate(callaway_santanna(d, outcome="y", unit="u", time="t", first_treated="g"), "group")
    welch = aggregate(cs, "group")
    assert np.isnan(welch.loc[welch["key"] == 2022, "ci_low"]).all()
    ok = welch["key"] != 2022
    assert welch.loc[ok, "ci_low"].notna().all()
    assert ((welch["ci_high"] - welch["ci_low"])[ok] >= (normal["ci_high"] - normal["ci_low"])[ok] - 1e-12).all()


def test_welch_covers_a_planted_effect_where_normal_does_not():
    """7 piloted units (sd 2) against 40 controls (sd 0.7), 300 panels.

    Binomial sd of a 95% coverage over 300 draws is 1.3 points: the Welch interval must
    cover within [0.91, 0.985]; the normal interval covers visibly less (0.88-0.90 here).
    """
    hits = {"normal": 0, "welch": 0}
    hits_e = {"normal": 0, "welch": 0}
    n = 300
    for seed in range(n):
        p = prepare_panel(_panel(seed), outcome="y", unit="u", time="t", first_treated="g")
        for ci in hits:
            cs = callaway_santanna(p, ci=ci)
            r = cs.gt.set_index(["group", "time"]).loc[(2022, 2022)]
            hits[ci] += r["ci_low"] <= EFFECT <= r["ci_high"]
            ov = aggregate(cs, "dynamic").iloc[-1]
            hits_e[ci] += ov["ci_low"] <= EFFECT <= ov["ci_high"]
    cov = {k: v / n for k, v in hits.items()}
    cov_e = {k: v / n for k, v in hits_e.items()}
    assert 0.91 <= cov["welch"] <= 0.985 and 0.91 <= cov_e["welch"] <= 0.985
    assert cov["normal"] < cov["welch"] - 0.02


def test_welch_covers_in_two_cohorts_of_four():
    """Two cohorts of 4 piloted units, 200 panels: the overall ATT and e = 0 (binomial sd 1.5 points)."""
    hits = {"normal": 0, "welch": 0}
    n = 200
    for seed in range(n):
        p = prepare_panel(_panel(seed, n_treated=8, cohorts=(2022, 2023)), outcome="y", unit="u", time="t",
                          first_treated="g")
        for ci in hits:
            cs = callaway_santanna(p, ci=ci)
            ov = aggregate(cs, "group").iloc[-1]
            hits[ci] += ov["ci_low"] <= EFFECT <= ov["ci_high"]
    cov = {k: v / n for k, v in hits.items()}
    assert 0.91 <= cov["welch"] <= 0.99
    assert cov["normal"] < cov["welch"]
