"""evalkit.stats.did against published numbers and peer libraries.

References and tolerances:
* Card & Krueger (1994), AER 84(4), Table 3 (balanced sample): DiD of FTE
  2.75; two-sample SE of the change 1.3423 (the paper prints 1.34), two-way
  FE with CR1 store clusters 1.3377 (pyfixest 0.60.0); abs tol 0.005.
* R `did` documentation (mpdta example, published to 4 decimals): ATT(g,t)
  and aggregated ATTs; abs tol 1e-4.
* moderndid 0.2.0 analytic (pre-bootstrap) SEs and Wald pre-test, same
  formula: rel tol 1e-6.
* pyfixest 0.60.0 TWFE with CRV1 (fixest small-sample factor): rel tol 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError
from evalkit.stats import did

DATA = Path(__file__).parents[1] / "data"

# --- frozen from moderndid 0.2.0 (in /work/peers), script:
#   d = moderndid.load_mpdta()
#   r = moderndid.att_gt(data=d, yname='lemp', tname='year', idname='countyreal', gname='first.treat',
#                        control_group=CG, base_period='varying', boot=False, est_method='reg', cband=False)
#   a = moderndid.aggte(r, type=KIND, boot=False, cband=False)
#   -> r.att_gt, r.se_gt, r.wald_stat, r.wald_pvalue; a.overall_att, a.overall_se, a.event_times, a.att_by_event, a.se_by_event
MODERNDID = {
    'nevertreated': {
        'cells': [(2004, 2004), (2004, 2005), (2004, 2006), (2004, 2007), (2006, 2004), (2006, 2005), (2006, 2006), (2006, 2007), (2007, 2004), (2007, 2005), (2007, 2006), (2007, 2007)],
        'att': [-0.010503246220961895, -0.07042315810314637, -0.1372587388894027, -0.10081136308540371, 0.006520112424232963, -0.002750818750518913, -0.004594606952862939, -0.04122447154621742, 0.030506655583292575, -0.0027258928861161966, -0.031087119389688705, -0.026054410719196838],
        'se': [0.023251036368166035, 0.030984766757276332, 0.03643566428768616, 0.03435922583467295, 0.02332680514180471, 0.019558561035881588, 0.01775519665927632, 0.020229180704106838, 0.015033560280130044, 0.01639583289553441, 0.01787751131334352, 0.01665543534925217],
        'wald': (7.791236627200228, 0.16812),
        'simple': dict(overall=-0.03995127515517626, overall_se=0.012034012770185351, keys=None, att=None, se=None),
        'group': dict(overall=-0.031018282228748514, overall_se=0.01244605932099789, keys=[2004.0, 2006.0, 2007.0], att=[-0.07974912657472867, -0.02290953924954018, -0.026054410719196838], se=[0.026367799435026897, 0.016703330255161925, 0.01665543534925217]),
        'dynamic': dict(overall=-0.07723982145731488, overall_se=0.01996498906184918, keys=[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], att=[0.030506655583292575, -0.0005630846263853994, -0.024458744971169455, -0.019931816789259378, -0.05095736706519374, -0.1372587388894027, -0.10081136308540371], se=[0.015033560280130044, 0.013291644736549986, 0.014236402210519314, 0.011826364058058172, 0.01689347626867793, 0.03643566428768615, 0.03435922583467295]),
        'calendar': dict(overall=-0.04170043213128197, overall_se=0.015971851884559744, keys=[2004.0, 2005.0, 2006.0, 2007.0], att=[-0.010503246220961895, -0.07042315810314637, -0.04881598426504286, -0.03705933993597674], se=[0.023251036368166035, 0.03098476675727634, 0.020125861260500214, 0.013747079141118529]),
    },
    'notyettreated': {
        'cells': [(2004, 2004), (2004, 2005), (2004, 2006), (2004, 2007), (2006, 2004), (2006, 2005), (2006, 2006), (2006, 2007), (2007, 2004), (2007, 2005), (2007, 2006), (2007, 2007)],
        'att': [-0.019372363675921545, -0.07831909906206022, -0.13627434632867746, -0.10081136308540371, -0.0025625509426109652, -0.0019392460957888668, 0.0046608763199762065, -0.04122447154621742, 0.02975936476103095, -0.0024106128000968424, -0.031087119389688705, -0.026054410719196838],
        'se': [0.02231011288368026, 0.030390228543396913, 0.03540338496890971, 0.03435922583467295, 0.022530235145338823, 0.019042158605818874, 0.016335584246823635, 0.020229180704106838, 0.014533541638651455, 0.016031296375517846, 0.01787751131334352, 0.01665543534925217],
        'wald': (7.790927718827265, 0.16814),
        'simple': dict(overall=-0.03976362562304361, overall_se=0.012052424787341823, keys=None, att=None, se=None),
        'group': dict(overall=-0.03046222811256505, overall_se=0.012575120131681777, keys=[2004.0, 2006.0, 2007.0], att=[-0.08369429303801573, -0.018281797613120605, -0.026054410719196838], se=[0.02570159976800647, 0.015922235824500065, 0.01665543534925217]),
        'dynamic': dict(overall=-0.07739931397058446, overall_se=0.01956017694639415, keys=[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], att=[0.02975936476103095, -0.002446153886065058, -0.024268903414507454, -0.018922199083424966, -0.05358934738483169, -0.13627434632867746, -0.10081136308540371], se=[0.014533541638651455, 0.013120350434270822, 0.014463681675801919, 0.012044568689269057, 0.016946385539124965, 0.035403384968909705, 0.03435922583467295]),
        'calendar': dict(overall=-0.04426708347588338, overall_se=0.015570904421144666, keys=[2004.0, 2005.0, 2006.0, 2007.0], att=[-0.019372363675921545, -0.07831909906206022, -0.04231753122957502, -0.03705933993597674], se=[0.022310112883680264, 0.03039022854339691, 0.019056257643166694, 0.013747079141118529]),
    },
}
# --- frozen from pyfixest 0.60.0 (in /work/peers):
#   pf.feols('lemp ~ d | countyreal + year', data=mpdta, vcov={'CRV1': 'countyreal'}).tidy(),
#   d = 1[first.treat > 0 and year >= first.treat]; 'unbalanced' drops rows with position % 7 == 3
PYFIXEST = {'balanced': {'coef': -0.036548936674066994, 'se': 0.01326515542933887, 'p': 0.006078952163614648, 'lo': -0.06261137742210898, 'hi': -0.010486495926024998},
            'unbalanced': {'coef': -0.03875062158719094, 'se': 0.014517422820787777, 'p': 0.007849783293273793, 'lo': -0.0672734288845881, 'hi': -0.010227814289793795},
            'card_krueger': {'coef': 2.75, 'se': 1.3377230281804695}}

CG = {"nevertreated": "never", "notyettreated": "notyet"}


@pytest.fixture(scope="module")
def mpdta():
    m = pd.read_csv(DATA / "mpdta.csv")
    m["d"] = ((m["first.treat"] > 0) & (m["year"] >= m["first.treat"])).astype(float)
    return m


@pytest.fixture(scope="module")
def card_krueger_long():
    ck = pd.read_csv(DATA / "card_krueger_public.csv")
    fte1 = ck["empft"] + ck["nmgrs"] + 0.5 * ck["emppt"]
    fte2 = ck["empft2"] + ck["nmgrs2"] + 0.5 * ck["emppt2"]
    store = np.arange(len(ck))
    return pd.DataFrame({
        "store": np.concatenate([store, store]), "wave": np.repeat([1, 2], len(ck)),
        "fte": np.concatenate([fte1, fte2]), "nj": np.concatenate([ck["state"], ck["state"]]),
    })


@pytest.fixture(scope="module")
def cs_results(mpdta):
    return {cg: did.callaway_santanna(mpdta, outcome="lemp", unit="countyreal", time="year",
                                      first_treated="first.treat", control=c) for cg, c in CG.items()}


# --------------------------------------------------------------------------- Card & Krueger


def test_card_krueger_table3(card_krueger_long):
    r = did.did_2x2(card_krueger_long, outcome="fte", unit="store", time="wave", group="nj").set_index("method")
    # Card & Krueger (1994) Table 3, balanced sample (384 stores with FTE in both waves)
    assert r.loc["two_sample", "n"] == 384
    assert r.loc["two_sample", "value"] == pytest.approx(2.75, abs=0.005)
    assert r.loc["twfe_cr1", "value"] == pytest.approx(2.75, abs=0.005)
    assert r.loc["two_sample", "se"] == pytest.approx(1.3423, abs=0.005)   # paper: 1.34
    assert r.loc["twfe_cr1", "se"] == pytest.approx(1.3377, abs=0.005)
    # and the full-precision pyfixest value of the CR1 formula
    assert r.loc["twfe_cr1", "se"] == pytest.approx(PYFIXEST["card_krueger"]["se"], rel=1e-6)
    assert r.loc["twfe_cr1", "value"] == pytest.approx(PYFIXEST["card_krueger"]["coef"], rel=1e-9)


def test_did_2x2_rejects_three_periods(card_krueger_long):
    x = pd.concat([card_krueger_long, card_krueger_long.assign(wave=3)])
    with pytest.raises(ParameterError):
        did.did_2x2(x, outcome="fte", unit="store", time="wave", group="nj")


# --------------------------------------------------------------------------- TWFE vs pyfixest


@pytest.mark.parametrize("which", ["balanced", "unbalanced"])
def test_twfe_matches_pyfixest(mpdta, which):
    data = mpdta if which == "balanced" else mpdta.iloc[[i for i in range(len(mpdta)) if i % 7 != 3]]
    r = did.twfe_did(data, outcome="lemp", unit="countyreal", time="year", treated="d").iloc[0]
    ref = PYFIXEST[which]
    assert r["value"] == pytest.approx(ref["coef"], rel=1e-6)
    assert r["se"] == pytest.approx(ref["se"], rel=1e-6)
    assert r["p_value"] == pytest.approx(ref["p"], rel=1e-6)
    assert r["ci_low"] == pytest.approx(ref["lo"], rel=1e-6)
    assert r["ci_high"] == pytest.approx(ref["hi"], rel=1e-6)
    assert r["df"] == 499


def test_twfe_errors(mpdta):
    with pytest.raises(DataError, match="nope"):
        did.twfe_did(mpdta, outcome="nope", unit="countyreal", time="year", treated="d")
    bad = mpdta.assign(lemp=mpdta["lemp"].astype(str).where(mpdta.index != 5, "n/a"))
    with pytest.raises(DataError, match="lemp"):
        did.twfe_did(bad, outcome="lemp", unit="countyreal", time="year", treated="d")


# --------------------------------------------------------------------------- Callaway-Sant'Anna


def test_att_gt_published_points(cs_results):
    # R `did` docs (att_gt on mpdta, never-treated controls), printed to 4 decimals
    gt = cs_results["nevertreated"].gt.set_index(["group", "time"])["att"]
    published = {(2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373,
                 (2004, 2007): -0.1008, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
                 (2007, 2007): -0.0261}
    for k, v in published.items():
        assert gt[k] == pytest.approx(v, abs=1e-4)


def test_aggregates_published_points(cs_results):
    r = cs_results["nevertreated"]
    assert did.aggregate(r, "simple")["value"].iloc[-1] == pytest.approx(-0.0400, abs=1e-4)
    assert did.aggregate(r, "group")["value"].iloc[-1] == pytest.approx(-0.0310, abs=1e-4)
    assert did.aggregate(r, "dynamic")["value"].iloc[-1] == pytest.approx(-0.0772, abs=1e-4)


@pytest.mark.parametrize("cg", list(CG))
def test_att_gt_matches_moderndid(cs_results, cg):
    r, ref = cs_results[cg], MODERNDID[cg]
    assert list(zip(r.gt["group"], r.gt["time"])) == ref["cells"]
    np.testing.assert_allclose(r.gt["att"], ref["att"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(r.gt["se"], ref["se"], rtol=1e-6)
    pt = did.pretrend_test(r)
    assert pt["statistic"] == pytest.approx(ref["wald"][0], rel=1e-6)
    assert pt["p_value"] == pytest.approx(ref["wald"][1], abs=1e-5)   # moderndid rounds to 5 decimals
    assert pt["df"] == 5


@pytest.mark.parametrize("cg", list(CG))
@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations_match_moderndid(cs_results, cg, kind):
    a = did.aggregate(cs_results[cg], kind)
    ref = MODERNDID[cg][kind]
    assert a["value"].iloc[-1] == pytest.approx(ref["overall"], rel=1e-6)
    assert a["se"].iloc[-1] == pytest.approx(ref["overall_se"], rel=1e-6)
    if ref["keys"] is not None:
        np.testing.assert_allclose(a["key"].iloc[:-1], ref["keys"])
        np.testing.assert_allclose(a["value"].iloc[:-1], ref["att"], rtol=1e-6)
        np.testing.assert_allclose(a["se"].iloc[:-1], ref["se"], rtol=1e-6)


def test_cluster_equal_to_unit_changes_nothing(mpdta, cs_results):
    r = did.callaway_santanna(mpdta.assign(cl=mpdta["countyreal"]), outcome="lemp", unit="countyreal",
                              time="year", first_treated="first.treat", cluster="cl")
    np.testing.assert_allclose(r.gt["se"], cs_results["nevertreated"].gt["se"], rtol=1e-12)
    # coarser clusters change the standard errors
    r2 = did.callaway_santanna(mpdta.assign(cl=mpdta["countyreal"] // 100), outcome="lemp",
                               unit="countyreal", time="year", first_treated="first.treat", cluster="cl")
    assert not np.allclose(r2.gt["se"], cs_results["nevertreated"].gt["se"])


# --------------------------------------------------------------------------- randomisation inference


def test_randomization_inference_reproducible(mpdta):
    p = did.prepare_panel(mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat")
    a = did.randomization_inference(p, draws=199, seed=7)
    b = did.randomization_inference(p, draws=199, seed=7)
    c = did.randomization_inference(p, draws=199, seed=8)
    assert a["twfe"] == b["twfe"] and a["group"]["overall"] == b["group"]["overall"]
    np.testing.assert_array_equal(a["att_gt"], b["att_gt"])
    assert 1 / 200 <= a["twfe"] <= 1
    # the permutation statistic at the observed assignment is the TWFE estimate
    assert a["twfe_beta"] == pytest.approx(PYFIXEST["balanced"]["coef"], rel=1e-9)
    assert (a["att_gt"] != c["att_gt"]).any()


def test_randomization_batch_equals_loop(mpdta):
    """Vectorised permutation statistics equal re-estimating on each permuted assignment."""
    p = did.prepare_panel(mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat")
    rng = np.random.default_rng(3)
    draws = 5
    perms = [rng.permutation(p.G) for _ in range(draws)]
    stats_twfe, stats_grp = [], []
    for g in perms:
        q = did.Panel(**{**p.__dict__, "G": g})
        cs = did.callaway_santanna(q)
        stats_grp.append(did.aggregate(cs, "group")["value"].iloc[-1])
        long = pd.DataFrame({"u": np.repeat(np.arange(len(g)), 5), "t": np.tile(p.times, len(g)),
                             "y": q.Y.ravel(),
                             "d": ((g[:, None] > 0) & (p.times[None, :] >= g[:, None])).ravel().astype(float)})
        stats_twfe.append(did.twfe_did(long, outcome="y", unit="u", time="t", treated="d")["value"].iloc[0])
    obs = did.callaway_santanna(p)
    obs_grp = did.aggregate(obs, "group")["value"].iloc[-1]
    obs_tw = did.randomization_inference(p, draws=1, seed=0)["twfe_beta"]
    # p-values from the loop with the same permutations
    ri = did.randomization_inference(p, draws=draws, seed=3)
    exp_tw = (1 + sum(abs(s) >= abs(obs_tw) for s in stats_twfe)) / (draws + 1)
    exp_gr = (1 + sum(abs(s) >= abs(obs_grp) for s in stats_grp)) / (draws + 1)
    assert ri["twfe"] == pytest.approx(exp_tw)
    assert ri["group"]["overall"] == pytest.approx(exp_gr)
