"""Design-based survey estimation against R ``survey`` and samplics.

References used here
--------------------
* R ``survey`` 4.5 published test output (cran/survey, files
  ``tests/testoutput/api.Rout.saved``, ``tests/lonely.psu.Rout.save``,
  ``tests/deff.Rout.save``).  R prints 5 significant figures, so those
  comparisons use half a unit in the last printed digit (``printed``).
* samplics 0.6.1 ``TaylorEstimator`` (peer venv, numpy 2.4, pandas 2.3), run
  once and frozen here at full precision; compared at 1e-6 relative.  The
  calls were (``f1 = 1 - 15/757``; ``fpc_h = 1 - n_h/N_h`` per stratum;
  ``remove_nan=True`` unless stated)::

      TaylorEstimator(PopParam.mean).estimate(y=st.api00, samp_weight=st.pw,
          stratum=st.stype, fpc={h: 1 - n_h/N_h})          # dstrat
      TaylorEstimator(PopParam.mean).estimate(y=c1.api00, samp_weight=c1.pw,
          psu=c1.dnum, fpc=f1)                              # dclus1
      TaylorEstimator(PopParam.mean).estimate(y=c2.api00, samp_weight=c2.pw,
          psu=c2.dnum)                                      # dclus2 with replacement
      ... domain=c1.stype                                   # svyby
      TaylorEstimator(PopParam.prop).estimate(y=(c1.awards == "Yes"),
          samp_weight=c1.pw, psu=c1.dnum, fpc=f1)           # logit interval
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from evalkit.exceptions import DataError, EstimationError, ParameterError
from evalkit.stats import survey
from evalkit.stats.survey import svymean, svyprop, svytotal

DATA = Path(__file__).resolve().parents[1] / "data"
PEER_RTOL = 1e-6  # samplics full-precision values


@pytest.fixture(scope="module")
def apistrat():
    return pd.read_csv(DATA / "apistrat.csv")


@pytest.fixture(scope="module")
def apiclus1():
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def apiclus2():
    return pd.read_csv(DATA / "apiclus2.csv")


def printed(x: float, shown: str) -> bool:
    """``x`` rounds to R's printed value ``shown`` (half a unit in its last digit)."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return abs(x - float(shown)) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)


def one(df: pd.DataFrame) -> pd.Series:
    assert len(df) == 1
    return df.iloc[0]


# ---------------------------------------------------------------------------
# whole-sample estimates: R published output and samplics
# ---------------------------------------------------------------------------

def test_stratified_matches_r_and_samplics(apistrat):
    # R: dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    #    svymean(~api00, dstrat) -> 662.29 SE 9.4089
    #    svytotal(~enroll, dstrat, na.rm=TRUE) -> 3687178 SE 114642
    m = one(svymean(apistrat, y="api00", weights="pw", strata="stype", fpc="fpc"))
    t = one(svytotal(apistrat, y="enroll", weights="pw", strata="stype", fpc="fpc"))
    assert printed(m.value, "662.29") and printed(m.se, "9.4089")
    assert printed(t.value, "3687178") and printed(t.se, "114642")
    # samplics 0.6.1, full precision
    assert m.value == pytest.approx(662.2873631593205, rel=PEER_RTOL)
    assert m.se == pytest.approx(9.40894080278458, rel=PEER_RTOL)
    assert t.value == pytest.approx(3687177.53243828, rel=PEER_RTOL)
    assert t.se == pytest.approx(114641.71610078032, rel=PEER_RTOL)
    assert m.n == 200 and m.note == ""


def test_one_stage_cluster_matches_r_and_samplics(apiclus1):
    # R: dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    #    svymean(~api00) -> 644.17 SE 23.542; svytotal(~enroll) -> 3404940 SE 932235
    m = one(svymean(apiclus1, y="api00", weights="pw", psu="dnum", fpc="fpc"))
    t = one(svytotal(apiclus1, y="enroll", weights="pw", psu="dnum", fpc="fpc"))
    assert printed(m.value, "644.17") and printed(m.se, "23.542")
    assert printed(t.value, "3404940") and printed(t.se, "932235")
    assert m.value == pytest.approx(644.1693989071039, rel=PEER_RTOL)
    assert m.se == pytest.approx(23.542240693781036, rel=PEER_RTOL)
    assert t.value == pytest.approx(3404940.1345291086, rel=PEER_RTOL)
    assert t.se == pytest.approx(932235.0270412138, rel=PEER_RTOL)
    # normal interval, as R confint(svymean(...)) (df = Inf)
    assert m.ci_low == pytest.approx(m.value - 1.959963984540054 * m.se, rel=1e-12)
    assert m.ci_high == pytest.approx(m.value + 1.959963984540054 * m.se, rel=1e-12)


def test_two_stage_with_replacement_is_ultimate_cluster(apiclus2):
    # R api.Rout.saved: dclus2wr <- svydesign(id=~dnum+snum, weights=~pw, data=apiclus2)
    #    svymean(~api00, dclus2wr) -> 670.81 SE 30.712
    #    svytotal(~enroll, dclus2wr, na.rm=TRUE) -> 2639273 SE 820261
    # (670.81 SE 30.099 is R's dclus2 WITH fpc=~fpc1+fpc2, a two-stage
    # without-replacement design; without fpc R uses the with-replacement
    # ultimate-cluster estimator computed here.)
    m = one(svymean(apiclus2, y="api00", weights="pw", psu="dnum"))
    t = one(svytotal(apiclus2, y="enroll", weights="pw", psu="dnum"))
    assert printed(m.value, "670.81") and printed(m.se, "30.712")
    assert not printed(m.se, "30.099")
    assert printed(t.value, "2639273") and printed(t.se, "820261")
    # samplics 0.6.1 (psu=c2.dnum, no fpc)
    assert m.se == pytest.approx(30.711576309328876, rel=PEER_RTOL)
    # samplics with enroll.fillna(0) (zeroing keeps the two all-missing PSUs)
    assert t.se == pytest.approx(820261.1464767577, rel=PEER_RTOL)
    assert t.n == 120


# ---------------------------------------------------------------------------
# domains
# ---------------------------------------------------------------------------

def test_svyby_domains_match_samplics(apiclus1):
    # R: svyby(~api00, ~stype, dclus1, svymean); samplics domain=c1.stype
    r = svymean(apiclus1, y="api00", weights="pw", psu="dnum", fpc="fpc", by="stype")
    assert list(r.columns) == ["stype", "variable", "value", "se", "ci_low", "ci_high",
                               "deff", "n", "note"]
    assert list(r.stype) == ["E", "H", "M"]
    ref_v = [648.8680555555555, 618.5714285714286, 631.44]
    ref_se = [22.362408893831887, 38.020249359407536, 31.609465227245522]
    np.testing.assert_allclose(r.value, ref_v, rtol=PEER_RTOL)
    np.testing.assert_allclose(r.se, ref_se, rtol=PEER_RTOL)
    assert list(r.n) == [144, 14, 25]
    t = svytotal(apiclus1, y="enroll", weights="pw", psu="dnum", fpc="fpc", by="stype")
    np.testing.assert_allclose(t.value, [2109717.126834866, 535594.8695678703, 759628.1381263724],
                               rtol=PEER_RTOL)
    np.testing.assert_allclose(t.se, [631349.3862751095, 226716.5947064096, 213635.48426813105],
                               rtol=PEER_RTOL)


def test_stratified_domains_match_samplics(apistrat):
    r = svymean(apistrat, y="api00", weights="pw", strata="stype", fpc="fpc", by="sch.wide")
    np.testing.assert_allclose(r.value, [593.7468582145887, 676.5304436567773], rtol=PEER_RTOL)
    np.testing.assert_allclose(r.se, [18.619167505614328, 10.52038920010059], rtol=PEER_RTOL)


def test_zeroing_differs_from_subsetting(apiclus1):
    # High schools lie in 8 of the 15 sampled districts: estimating them alone
    # (a subset treated as the whole sample) loses the 7 zero PSUs.
    dom = svymean(apiclus1, y="api00", weights="pw", psu="dnum", fpc="fpc", by="stype")
    dom = dom.set_index("stype").loc["H"]
    sub = one(svymean(apiclus1[apiclus1.stype == "H"], y="api00", weights="pw", psu="dnum",
                      fpc="fpc"))
    assert sub.value == pytest.approx(dom.value, rel=1e-12)
    # for a mean only n/(n-1) and the fpc differ (8 vs 15 PSUs): ~3.8 %
    assert abs(sub.se - dom.se) / dom.se > 0.03
    # for a total the 7 zero PSU totals matter: 190846 alone vs 226717 (samplics domain)
    dt = svytotal(apiclus1, y="enroll", weights="pw", psu="dnum", fpc="fpc", by="stype")
    dt = dt.set_index("stype").loc["H"]
    st = one(svytotal(apiclus1[apiclus1.stype == "H"], y="enroll", weights="pw", psu="dnum",
                      fpc="fpc"))
    assert dt.se == pytest.approx(226716.5947064096, rel=PEER_RTOL)
    assert abs(st.se - dt.se) / dt.se > 0.1


def test_two_by_columns_and_missing_by(apiclus1):
    d = apiclus1.assign(both=apiclus1["both"].where(apiclus1.index % 7 != 0))
    r = svymean(d, y=["api00", "api99"], weights="pw", psu="dnum", fpc="fpc",
                by=["stype", "both"])
    assert list(r.columns[:3]) == ["stype", "both", "variable"]
    assert len(r) == 2 * d.dropna(subset=["both"]).groupby(["stype", "both"]).ngroups
    # rows with a missing by value stay in the design: same as a domain indicator
    d2 = d.assign(key=d.stype + "|" + d.both.fillna("NA"))
    r2 = svymean(d2, y="api00", weights="pw", psu="dnum", fpc="fpc", by="key")
    a = r[(r.stype == "E") & (r.both == "Yes") & (r.variable == "api00")].iloc[0]
    b = r2[r2.key == "E|Yes"].iloc[0]
    assert a.se == pytest.approx(b.se, rel=1e-12)


# ---------------------------------------------------------------------------
# proportions, logit interval, design effects
# ---------------------------------------------------------------------------

def test_logit_interval_matches_samplics(apiclus1):
    # samplics PopParam.prop: logit interval with t(df = 15 PSUs - 1 stratum),
    # the same as R svyciprop(~I(awards=="Yes"), dclus1, method="logit")
    d = apiclus1.assign(aw=(apiclus1.awards == "Yes").astype(int))
    r = one(svyprop(d, y="aw", weights="pw", psu="dnum", fpc="fpc"))
    assert r.value == pytest.approx(0.7103825136612022, rel=PEER_RTOL)
    assert r.se == pytest.approx(0.033018299553718856, rel=PEER_RTOL)
    assert r.ci_low == pytest.approx(0.6348391916105232, rel=PEER_RTOL)
    assert r.ci_high == pytest.approx(0.7758165114461475, rel=PEER_RTOL)
    # asymmetric around the share
    assert r.ci_high - r.value < r.value - r.ci_low


def test_logit_interval_stratified_matches_samplics(apistrat):
    d = apistrat.assign(aw=apistrat.awards == "Yes")  # booleans accepted
    r = one(svymean(d, y="aw", weights="pw", strata="stype", fpc="fpc", ci="logit"))
    assert r.value == pytest.approx(0.6389360640505782, rel=PEER_RTOL)
    assert r.se == pytest.approx(0.034405917997268956, rel=PEER_RTOL)
    assert r.ci_low == pytest.approx(0.5687210988680471, rel=PEER_RTOL)
    assert r.ci_high == pytest.approx(0.7036757793682565, rel=PEER_RTOL)


def test_logit_interval_in_domain_uses_domain_degf(apiclus1):
    # R svyby(..., svyciprop): df = degf(subset design) = PSUs - strata the
    # domain touches; H touches 8 districts -> t with 7 df.  Domain share and
    # se are samplics' (domain=c1.stype); the interval is the hand formula.
    d = apiclus1.assign(aw=(apiclus1.awards == "Yes").astype(float))
    r = svyprop(d, y="aw", weights="pw", psu="dnum", fpc="fpc", by="stype").set_index("stype")
    p, se = 0.42857142857142866, 0.14564997480928515
    assert r.loc["H", "value"] == pytest.approx(p, rel=PEER_RTOL)
    assert r.loc["H", "se"] == pytest.approx(se, rel=PEER_RTOL)
    q = student_t.ppf(0.975, 7)
    eta, half = np.log(p / (1 - p)), q * se / (p * (1 - p))
    assert r.loc["H", "ci_low"] == pytest.approx(1 / (1 + np.exp(-(eta - half))), rel=1e-6)
    assert r.loc["H", "ci_high"] == pytest.approx(1 / (1 + np.exp(-(eta + half))), rel=1e-6)


# R tests/deff.R (from Takahiro Tsuchiya), published in tests/deff.Rout.save
KIGYO = pd.DataFrame({
    "uriage": [15, 143, 21, 51, 337, 50, 274, 145, 15, 86],
    "srs_w": [100] * 10,
    "pps_w": [20, 200, 11, 25, 550, 30, 250, 100, 10, 55],
})


def test_deff_published_r():
    # svymean(~uriage, des.srs, deff=TRUE) -> 113.700 SE 35.626 DEff 1.0101
    m = one(svymean(KIGYO, y="uriage", weights="srs_w"))
    assert printed(m.value, "113.700") and printed(m.se, "35.626") and printed(m.deff, "1.0101")
    assert m.deff == pytest.approx(1 / (1 - 10 / 1000), rel=1e-12)  # R prints 1.010101
    # svytotal(~uriage, des.srs, deff=TRUE) -> 113700 SE 35626 DEff 1.0101
    t = one(svytotal(KIGYO, y="uriage", weights="srs_w"))
    assert printed(t.value, "113700") and printed(t.se, "35626")
    assert t.deff == pytest.approx(1.010101, abs=5e-7)
    # deff='replace', pps weights: mean 243.914 SE 48.752 DEff 1.9741 (1.974067);
    # total 305136 SE 184965 DEff 18.157 (18.15669)
    m = one(svymean(KIGYO, y="uriage", weights="pps_w", deff="replace"))
    assert printed(m.value, "243.914") and printed(m.se, "48.752")
    assert m.deff == pytest.approx(1.974067, abs=5e-7)
    t = one(svytotal(KIGYO, y="uriage", weights="pps_w", deff="replace"))
    assert printed(t.value, "305136") and printed(t.se, "184965")
    assert t.deff == pytest.approx(18.15669, abs=5e-6)


def test_deff_cluster_domain_hand_formula(apiclus1):
    # deff = V / (s2 (W - n) / (W n)), s2 = n/(n-1) Σ w (y - ybar)^2 / W  (R svymean deff=TRUE)
    r = svymean(apiclus1, y="api00", weights="pw", psu="dnum", fpc="fpc", by="stype")
    for _, row in r.iterrows():
        g = apiclus1[apiclus1.stype == row.stype]
        w, y = g.pw.to_numpy(), g.api00.to_numpy(float)
        W, n = w.sum(), len(y)
        ybar = (w * y).sum() / W
        s2 = n / (n - 1) * (w * (y - ybar) ** 2).sum() / W
        assert row.deff == pytest.approx(row.se ** 2 / (s2 * (W - n) / (W * n)), rel=1e-10)
    assert not svymean(apiclus1, y="api00", weights="pw", deff=False).deff.notna().any()


# ---------------------------------------------------------------------------
# lonely PSUs (R tests/lonely.psu.Rout.save)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, shown", [
    ("remove", "5.8058"), ("certainty", "5.8058"), ("adjust", "5.8281"), ("average", "6.0096"),
])
def test_lonely_psu_matches_r(apiclus1, method, shown):
    # ds <- svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)  (dnum 413: 1 school)
    # options(survey.lonely.psu=method); svymean(~api00, ds)
    r = one(svymean(apiclus1, y="api00", weights="pw", strata="dnum", lonely_psu=method))
    assert printed(r.value, "644.17") and printed(r.se, shown)
    assert "lonely PSU" in r.note and np.isfinite(r.se)


def test_lonely_psu_fail_raises_bilingual(apiclus1):
    with pytest.raises(EstimationError) as err:
        svymean(apiclus1, y="api00", weights="pw", strata="dnum", lonely_psu="fail")
    assert "只有一个初级抽样单元" in str(err.value) and "only one primary sampling unit" in str(err.value)
    assert "413" in str(err.value)


def test_lonely_psu_adjust_note(apiclus1):
    r = one(svymean(apiclus1, y="api00", weights="pw", strata="dnum"))
    assert r.note == "lonely PSU adjusted"


@pytest.mark.parametrize("method", ["fail", "remove", "certainty", "adjust", "average"])
def test_certainty_stratum_by_fpc_is_not_lonely(apiclus1, method):
    # fpc <- ifelse(apiclus1$dnum==413, 1, 1000): every method -> 644.17 SE 5.7344
    d = apiclus1.assign(f=np.where(apiclus1.dnum == 413, 1, 1000))
    r = one(svymean(d, y="api00", weights="pw", strata="dnum", fpc="f", lonely_psu=method))
    assert printed(r.se, "5.7344") and r.note == ""


@pytest.mark.parametrize("method", ["fail", "remove", "certainty", "adjust", "average"])
def test_missing_y_keeps_psu_as_r_subset(apiclus1, method):
    # ds <- svydesign(id=~1, weights=~pw, strata=~dnum, data=subset(apiclus1, dnum != 413))
    # ds1 <- ds[-31,]: stratum 406 keeps design.PSU 2 (actual 1) -> every method
    # gives 645.14 SE 5.8909.  A missing y is the same as R's ds[-31,].
    d = apiclus1[apiclus1.dnum != 413].reset_index(drop=True)
    d.loc[30, "api00"] = np.nan
    assert d.loc[30, "dnum"] == 406
    r = one(svymean(d, y="api00", weights="pw", strata="dnum", lonely_psu=method))
    assert printed(r.value, "645.14") and printed(r.se, "5.8909")
    assert r.n == len(d) - 1
    # dropping the row instead makes 406 a real lonely stratum
    dropped = d.drop(index=30)
    with pytest.raises(EstimationError):
        svymean(dropped, y="api00", weights="pw", strata="dnum", lonely_psu="fail")


def test_lonely_psu_totals_match_r():
    # R tests/lonely.psu.R, df_w_singleton: vcov(svytotal(~Age)) = 126625 for
    # "remove" and "certainty", 127579.8 for "adjust" (R checks at 1e-6).
    df = pd.DataFrame({"Stratum": [1, 1, 2, 2, 3], "PSU": [1, 2, 3, 4, 5],
                       "W": [10.5, 10.5, 20, 20, 15], "Age": [30.5, 40.5, 35, 52, 44]})
    kw = dict(y="Age", weights="W", strata="Stratum", psu="PSU")
    for method, v in [("remove", 126625), ("certainty", 126625), ("adjust", 127579.8)]:
        r = one(svytotal(df, lonely_psu=method, **kw))
        assert r.se ** 2 == pytest.approx(v, rel=1e-6)


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------

def test_domain_inside_one_psu_is_not_estimable(apiclus1):
    for fn in (svymean, svytotal):
        r = fn(apiclus1, y="api00", weights="pw", psu="dnum", fpc="fpc", by="dnum")
        assert r.value.notna().all()
        assert r[["se", "ci_low", "ci_high", "deff"]].isna().all().all()
        assert (r.note == "not estimable (one PSU)").all()


def test_missing_y_equals_explicit_zeroing(apiclus2):
    # The mean of a variable with missing values equals the domain estimate for
    # "has a value", computed by explicit zeroing over all 40 PSUs.
    c2 = apiclus2
    r = one(svymean(c2, y="enroll", weights="pw", psu="dnum"))
    has = c2.enroll.notna().to_numpy()
    w, y = c2.pw.to_numpy(), c2.enroll.fillna(0).to_numpy(float)
    W = (w * has).sum()
    ybar = (w * has * y).sum() / W
    z = np.where(has, w * (y - ybar) / W, 0.0)
    zt = pd.Series(z).groupby(c2.dnum.to_numpy()).sum().to_numpy()
    assert len(zt) == 40  # the two all-missing districts stay, as zeros
    m = len(zt)
    v = m / (m - 1) * ((zt - zt.mean()) ** 2).sum()
    assert r.value == pytest.approx(ybar, rel=1e-12)
    assert r.se == pytest.approx(np.sqrt(v), rel=1e-10)
    assert r.n == has.sum()
    # same via by=
    b = svymean(c2.assign(has=has, e0=y), y="e0", weights="pw", psu="dnum", by="has")
    assert b.set_index("has").loc[True, "se"] == pytest.approx(r.se, rel=1e-12)
    # samplics remove_nan=True drops the rows and with them two PSUs: 815060.97
    t = one(svytotal(c2, y="enroll", weights="pw", psu="dnum"))
    assert abs(t.se - 815060.9698465432) / t.se > 0.005


def test_all_missing_variable(apiclus1):
    d = apiclus1.assign(empty=np.nan)
    r = svymean(d, y=["api00", "empty"], weights="pw", psu="dnum", fpc="fpc").set_index("variable")
    assert np.isnan(r.loc["empty", "value"]) and r.loc["empty", "n"] == 0
    assert r.loc["empty", "note"] == "no data" and np.isnan(r.loc["empty", "se"])
    assert r.loc["api00", "se"] == pytest.approx(23.542240693781036, rel=PEER_RTOL)


def test_fpc_as_fraction_equals_count(apiclus1):
    a = one(svymean(apiclus1, y="api00", weights="pw", psu="dnum", fpc="fpc"))
    b = one(svymean(apiclus1.assign(fr=15 / apiclus1.fpc), y="api00", weights="pw", psu="dnum",
                    fpc="fr"))
    assert a.se == pytest.approx(b.se, rel=1e-12)


def test_psu_labels_nested_in_strata():
    # PSU label 1 in stratum a and in stratum b are two PSUs.
    df = pd.DataFrame({"s": list("aaaabbbb"), "p": [1, 1, 2, 2, 1, 1, 2, 2],
                       "y": [1.0, 2, 4, 3, 7, 9, 8, 6]})
    r = one(svytotal(df, y="y", strata="s", psu="p"))
    # by hand: PSU totals a: 3, 7; b: 16, 14 -> Σ_h 2/1 Σ (z - zbar)^2 = 2*8 + 2*2
    assert r.se ** 2 == pytest.approx(20.0, rel=1e-12)


def test_many_domains_are_fast():
    rng = np.random.default_rng(20240601)
    n = 60_000
    df = pd.DataFrame({"community": rng.integers(0, 2000, n), "stratum": rng.integers(0, 40, n),
                       "psu": rng.integers(0, 200, n), "w": rng.uniform(1, 5, n)})
    for k in range(3):
        df[f"y{k}"] = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    kw = dict(y=["y0", "y1", "y2"], weights="w", strata="stratum", psu="psu", by="community")
    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        r = svymean(df, **kw)
        best = min(best, time.perf_counter() - t0)
    assert len(r) == 6000 and r.se.notna().all()
    assert best < 1.0
    # spot check one domain against an explicit zeroing computation
    c = df.community.to_numpy() == 7
    y = df.y1.to_numpy()
    has = c & ~np.isnan(y)
    w = df.w.to_numpy()
    W = (w * has).sum()
    ybar = (w * np.where(has, y, 0)).sum() / W
    z = np.where(has, w * (np.where(has, y, 0) - ybar) / W, 0.0)
    pt = pd.DataFrame({"h": df.stratum, "p": df.psu, "z": z}).groupby(["h", "p"]).z.sum()
    ph = pt.groupby(level="h")
    v = (ph.transform(lambda s: (s - s.mean()) ** 2).groupby(level="h").sum()
         * ph.size() / (ph.size() - 1)).sum()
    got = r[(r.community == 7) & (r.variable == "y1")].iloc[0]
    assert got.value == pytest.approx(ybar, rel=1e-12)
    assert got.se == pytest.approx(np.sqrt(v), rel=1e-9)


# ---------------------------------------------------------------------------
# bad input: bilingual errors, never a pandas traceback
# ---------------------------------------------------------------------------

def test_bad_arguments(apiclus1):
    with pytest.raises(ParameterError, match="lonely_psu"):
        svymean(apiclus1, y="api00", lonely_psu="skip")
    with pytest.raises(ParameterError, match="nope"):
        svymean(apiclus1, y="nope")
    with pytest.raises(ParameterError, match="ci"):
        svytotal(apiclus1, y="api00", ci="logit")
    with pytest.raises(ParameterError, match="level"):
        svymean(apiclus1, y="api00", level=95)


def test_bad_data(apiclus1):
    d = apiclus1.assign(pw0=apiclus1.pw.where(apiclus1.index != 3, 0.0), _row=apiclus1.index + 2)
    with pytest.raises(DataError) as err:
        svymean(d, y="api00", weights="pw0")
    assert "权重" in str(err.value) and "weight" in str(err.value) and err.value.row == 5
    with pytest.raises(DataError, match="numeric"):
        svymean(apiclus1, y="name")
    with pytest.raises(DataError, match="smaller than the number of sampled PSUs"):
        svymean(apiclus1.assign(f=10), y="api00", psu="dnum", fpc="f")
    with pytest.raises(DataError, match="same for every respondent"):
        svymean(apiclus1.assign(f=np.arange(len(apiclus1)) + 100), y="api00", fpc="f")
    with pytest.raises(DataError, match="missing"):
        svymean(apiclus1.assign(s=apiclus1.stype.where(apiclus1.index > 0)), y="api00", strata="s")
    with pytest.raises(DataError, match="0/1"):
        svyprop(apiclus1, y="api00")
    with pytest.raises(EstimationError):
        svymean(apiclus1.iloc[:0], y="api00")


def test_lazy_stats_package():
    # importing the package must not import the statistics modules (or pandas)
    code = ("import sys, evalkit.stats; "
            "print(sorted(m for m in ('evalkit.stats.survey', 'pandas', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
    import evalkit.stats as stats_pkg
    assert stats_pkg.survey is survey and "survey" in dir(stats_pkg)
    with pytest.raises(AttributeError):
        stats_pkg.not_a_module  # noqa: B018



def test_deff_undefined_without_population_weights():
    df = pd.DataFrame({"y": [1.0, 2, 4, 7, 3]})
    r = one(svymean(df, y="y"))
    assert np.isnan(r.deff) and "deff undefined" in r.note
    # with replacement: design variance equals SRS-with-replacement variance
    assert one(svymean(df, y="y", deff="replace")).deff == pytest.approx(1.0, rel=1e-12)


def test_logit_interval_at_zero_share():
    df = pd.DataFrame({"ok": [0, 0, 0, 1, 1, 0], "g": list("aaabbb"), "p": [1, 2, 3, 4, 5, 6]})
    r = svyprop(df, y="ok", by="g", psu="p").set_index("g")
    assert r.loc["a", "value"] == 0 and np.isnan(r.loc["a", "ci_low"])
    assert "logit interval undefined" in r.loc["a", "note"]
    assert 0 < r.loc["b", "ci_low"] < r.loc["b", "value"] < r.loc["b", "ci_high"] < 1
