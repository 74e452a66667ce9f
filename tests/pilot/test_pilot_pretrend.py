"""The pre-trend test: R-did parity of the statistic, the randomisation p-value and its size.

References and tolerances:
* moderndid 0.2.0 Wald pre-test on mpdta (frozen in test_pilot_did_reference.py,
  W = 7.791236627200228, p = 0.16812): the statistic is the same under both
  methods, rel tol 1e-6; the asymptotic p abs tol 1e-5 (moderndid rounds).
* The permutation statistics are checked against re-estimating
  ``callaway_santanna`` + the Wald statistic on each permuted assignment (a
  plain loop, independent of the vectorised code): rel tol 1e-9.
* Size: on seeded null panels like the demo data (parallel trends by
  construction) the randomisation test rejects at 5% in [1%, 10%] of 200
  panels (binomial sd at 5% is 1.5 points: about ±3 sd), while the χ² test
  rejects more than 10% (it rejects about 19% in a 300-panel run; docs/PILOT.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evalkit.exceptions import ParameterError
from evalkit.pilot import compare_panel
from evalkit.stats import did
from evalkit.stats.did.pretrend import _pretrend_perm

DATA = Path(__file__).parents[1] / "data"
KW = dict(outcome="y", unit="unit", time="year", first_treated="first")
# moderndid 0.2.0 att_gt(mpdta, control_group="nevertreated", base_period="varying", boot=False)
MODERNDID_WALD = (7.791236627200228, 0.16812)


@pytest.fixture(scope="module")
def mpdta_cs():
    import pandas as pd

    m = pd.read_csv(DATA / "mpdta.csv")
    return did.callaway_santanna(m, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat")


def test_statistic_is_r_did_wald_under_both_methods(mpdta_cs):
    a = did.pretrend_test(mpdta_cs)
    r = did.pretrend_test(mpdta_cs, method="randomization", draws=199, seed=1)
    assert a["method"] == "asymptotic" and r["method"] == "randomization"
    for res in (a, r):
        assert res["statistic"] == pytest.approx(MODERNDID_WALD[0], rel=1e-6)
        assert res["p_asymptotic"] == pytest.approx(MODERNDID_WALD[1], abs=1e-5)
        assert res["df"] == 5
    assert a["p_value"] == a["p_asymptotic"]
    # randomisation p-value on the grid k / (draws + 1)
    assert r["draws"] == 199
    k = r["p_value"] * 200
    assert abs(k - round(k)) < 1e-9 and 1 <= round(k) <= 200
    with pytest.raises(ParameterError):
        did.pretrend_test(mpdta_cs, method="bootstrap")


def _loop_stats(cs, perms, control):
    out = []
    for g in perms:
        q = did.Panel(**{**cs.panel.__dict__, "G": g})
        out.append(did.pretrend_test(did.callaway_santanna(q, control=control))["statistic"])
    return np.array(out)


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("clusters", ["unit", "coarse"])
def test_permutation_statistics_equal_reestimation(sim, control, clusters):
    d = sim(n=80, n_treated=30, seed=31, years=range(2016, 2023), cohorts=(2018, 2019, 2021))
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 2.0, d["unit"].nunique())
    d = d.assign(w=np.repeat(w, d["year"].nunique()), cl=d["unit"].str[-2:].astype(int) // 3)
    cs = did.callaway_santanna(d, **KW, control=control, weights="w",
                               cluster="cl" if clusters == "coarse" else None)
    pre = np.flatnonzero(~cs.gt["post"].to_numpy())
    perms = np.stack([rng.permutation(cs.panel.G) for _ in range(6)])
    batch = _pretrend_perm(cs, pre, draws=0, seed=0, impute=False, perms=perms)
    np.testing.assert_allclose(batch, _loop_stats(cs, perms, control), rtol=1e-9)
    # at the observed assignment: the observed Wald statistic, with or without removing effects
    for impute in (False, True):
        w0 = _pretrend_perm(cs, pre, draws=0, seed=0, impute=impute, perms=cs.panel.G[None, :])
        assert w0[0] == pytest.approx(did.pretrend_test(cs)["statistic"], rel=1e-9)


def test_compare_panel_pretrend_options(sim):
    d = sim(seed=32)
    ri = compare_panel(d, **KW, seed=5, draws=499)
    asy = compare_panel(d, **KW, pretrend="asymptotic")
    a, b = (x.table[x.table.indicator == "pilot_pretrend"].iloc[0] for x in (ri, asy))
    assert a["value"] == pytest.approx(b["value"], rel=1e-12)          # the same Wald statistic
    cs = did.callaway_santanna(d, **KW)
    assert b["p_value"] == pytest.approx(did.pretrend_test(cs)["p_value"], rel=1e-12)
    # the facts say how each p-value was computed, and keep the chi2 p-value beside the randomisation one
    fa, fb = ri.fact(), asy.fact()
    assert (fa.pretrend_method, fa.pretrend_draws, fa.seed) == ("randomization", 499, 5)
    assert fa.pretrend_p_asymptotic == pytest.approx(b["p_value"], rel=1e-12)
    assert fa.methods("pilot_pretrend") == ("randomization", "none") and fb.methods("pilot_pretrend")[0] == "chi2"
    assert fa.pretrend_cells == fb.pretrend_cells > 0
    # the notes are rendered from those facts
    assert "randomisation inference of the Wald statistic (499 permutations" in a["note"]
    assert f"asymptotic chi2 p (R did) = {b['p_value']:.3f}" in a["note"]
    assert "Roth 2022" in a["note"] and "Roth 2022" in b["note"]
    assert "p: asymptotic chi2 (as R did)" in b["note"]
    assert abs(a["p_value"] * 500 - round(a["p_value"] * 500)) < 1e-9
    # reproducible with the seed; other rows unchanged by the option
    pd_ = pytest.importorskip("pandas")
    pd_.testing.assert_frame_equal(ri.table, compare_panel(d, **KW, seed=5, draws=499).table)
    other = ri.table.indicator != "pilot_pretrend"
    pd_.testing.assert_frame_equal(ri.table[other].drop(columns="note"), asy.table[other].drop(columns="note"))
    with pytest.raises(ParameterError):
        compare_panel(d, **KW, pretrend="chi2")


def test_randomization_pretrend_detects_a_strong_pre_trend(demo_sim):
    # piloted communities drift 3 points a year faster (parallel trends fail): the test rejects
    d = demo_sim(np.random.default_rng(33), slope=3.0)
    r = compare_panel(d, **KW, draws=999).table
    assert r.loc[r.indicator == "pilot_pretrend", "p_value"].iloc[0] < 0.01


def _rejections(simulate_demo, reps, seed, draws):
    rng = np.random.default_rng(seed)
    p_ri, p_asy = [], []
    for _ in range(reps):
        cs = did.callaway_santanna(simulate_demo(rng), **KW)
        r = did.pretrend_test(cs, method="randomization", draws=draws, seed=int(rng.integers(1 << 31)))
        p_ri.append(r["p_value"])
        p_asy.append(r["p_asymptotic"])
    return np.mean(np.array(p_ri) < 0.05), np.mean(np.array(p_asy) < 0.05)


@pytest.mark.slow
def test_size_under_the_null_like_the_demo(demo_sim):
    # 200 null panels (parallel trends by construction), 499 permutations each: about 10 s
    ri, asy = _rejections(demo_sim, 200, seed=20241, draws=499)
    assert 0.01 <= ri <= 0.10, ri
    assert asy > 0.10, asy      # the problem the randomisation p-value fixes
