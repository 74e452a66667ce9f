"""evalkit.pilot.compare_panel / compare: output contract, planted effects, placebo, errors.

Planted effects are recovered inside the 95% interval (simulated panels with a
known constant ATT; synth datasets with truth.json when evalkit.synthetic and
the indicator families are present).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError
from evalkit.families._frame import COLUMNS
from evalkit.pilot import PilotResult, compare, compare_panel, first_piloted_year

KW = dict(outcome="y", unit="unit", time="year", first_treated="first")


def row(res, ind, period=None):
    res = res.table if isinstance(res, PilotResult) else res
    r = res[res["indicator"] == ind]
    if period is not None:
        r = r[r["period"] == str(period)]
    assert len(r) == 1
    return r.iloc[0]


def test_output_contract(sim):
    out = compare_panel(sim(), **KW)
    res = out.table
    assert tuple(res.columns) == COLUMNS
    assert set(res["indicator"]) == {"pilot_did", "pilot_att", "pilot_att_group", "pilot_att_gt",
                                     "pilot_event", "pilot_pretrend"}
    assert (res["category"] == "y").all() and (res["level"] == "city").all()
    assert (res["unit_id"] == "all").all()
    assert row(res, "pilot_did")["period"] == "2015-2024"
    assert set(res.loc[res.indicator == "pilot_att_group", "period"]) == {"2018", "2020", "2022"}
    assert "2018/2016" in set(res.loc[res.indicator == "pilot_att_gt", "period"])
    ev = set(res.loc[res.indicator == "pilot_event", "period"])
    assert {"-1", "0", "4"} <= ev
    pt = row(res, "pilot_pretrend")
    assert pt["value"] > 0 and 0 <= pt["p_value"] <= 1 and "Roth 2022" in pt["note"]
    f = out.fact()
    assert not f.few_units and f.n_piloted == res["n"].max() - f.n_control and f.n_cohorts == 3
    assert (f.first_year, f.last_year, f.control) == (2015, 2024, "never")
    assert f.methods("pilot_att") == ("t", "welch") and f.methods("pilot_did") == ("t", "cluster_robust")
    assert not res["note"].str.contains("few piloted").any()


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("seed", [1, 2])
def test_planted_effect_recovered(sim, control, seed):
    # planted ATT = -0.5 in every post-pilot year: every estimator's 95% CI covers it
    res = compare_panel(sim(seed=seed, att=-0.5), **KW, control=control)
    for ind in ("pilot_did", "pilot_att"):
        r = row(res, ind)
        assert r["ci_low"] <= -0.5 <= r["ci_high"], (ind, r["value"])
        assert r["p_value"] < 0.05
    ev = res.table[res.table.indicator == "pilot_event"]
    post = ev[ev["period"].astype(int) >= 0]
    assert ((post["ci_low"] <= -0.5) & (post["ci_high"] >= -0.5)).mean() >= 0.8


def test_placebo_pre_period_only(sim):
    # placebo: keep only years before any pilot, invent cohorts 2017/2018 -> no effect
    d = sim(seed=4, years=range(2012, 2018))
    d = d[d["year"] < 2018].copy()
    treated = d["first"] > 0
    d.loc[treated, "first"] = np.where(d.loc[treated, "unit"].str[-1].astype(int) % 2, 2016, 2017)
    res = compare_panel(d, **KW)
    for ind in ("pilot_did", "pilot_att"):
        r = row(res, ind)
        assert r["ci_low"] <= 0 <= r["ci_high"], (ind, r["value"])
    assert row(res, "pilot_pretrend")["p_value"] > 0.05


def test_few_piloted_units_use_randomisation(sim):
    d = sim(n=60, n_treated=6, seed=3)
    a = compare_panel(d, **KW, seed=11, draws=999)
    b = compare_panel(d, **KW, seed=11, draws=999)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.facts == b.facts
    f = a.fact()
    assert f.few_units and f.n_piloted == 6 and f.draws == 999 and f.seed == 11
    assert f.methods("pilot_att") == ("randomization", "welch")
    assert f.methods("pilot_did") == ("randomization", "cluster_robust")
    att = row(a, "pilot_att")
    assert "few piloted units (6)" in att["note"]  # the note is rendered from the facts
    # RI p-values live on the grid k/(draws+1)
    k = att["p_value"] * 1000
    assert abs(k - round(k)) < 1e-9 and 1 <= round(k) <= 1000
    assert row(a, "pilot_did")["p_value"] * 1000 == pytest.approx(round(row(a, "pilot_did")["p_value"] * 1000))
    c = compare_panel(d, **KW, seed=12, draws=999)
    assert not np.allclose(a.table["p_value"].fillna(-1), c.table["p_value"].fillna(-1))


def test_window_and_left_out_units(sim):
    d = sim(seed=5)
    res = compare_panel(d, **KW, start=2018, end=2023)
    r = row(res, "pilot_att")
    n2018 = d.loc[d["first"] == 2018, "unit"].nunique()
    assert res.fact().left_out_early == n2018 and res.fact().window == "2018-2023"
    assert f"{n2018} units piloted by 2018 left out" in r["note"]
    assert r["period"] == "2018-2023"
    # the 2018 cohort is gone; 2022 remains
    t = res.table
    assert set(t.loc[t.indicator == "pilot_att_group", "period"]) == {"2020", "2022"}
    # a unit missing one year is left out (balanced panel)
    d2 = d.drop(index=d.index[(d["unit"] == "u0299") & (d["year"] == 2019)])
    res2 = compare_panel(d2, **KW)
    assert res2.fact().left_out_incomplete == 1
    assert "1 units missing years left out" in row(res2, "pilot_att")["note"]
    assert "1 个缺少某年数据的单位被排除" in res2.to_frame("zh").loc[0, "note"]


def test_first_treated_empty_is_never(sim):
    d = sim(seed=6)
    d2 = d.assign(first=d["first"].where(d["first"] > 0, np.nan))
    pd.testing.assert_frame_equal(compare_panel(d, **KW).table, compare_panel(d2, **KW).table)


# --------------------------------------------------------------------------- bad input


def test_bad_input_messages(sim):
    d = sim(n=40, seed=7)
    with pytest.raises(DataError, match="nope"):
        compare_panel(d, outcome="nope", unit="unit", time="year", first_treated="first")
    # first-treated changes within a unit: the message names the unit
    bad = d.copy()
    bad.loc[(bad["unit"] == "u0001") & (bad["year"] == 2020), "first"] = 2019
    with pytest.raises(DataError, match="u0001") as e:
        compare_panel(bad, **KW)
    assert "单位" in str(e.value) and "first" in str(e.value)
    # non-numeric outcome
    bad = d.assign(y=d["y"].astype(str))
    bad.loc[bad.index[3], "y"] = "abc"
    with pytest.raises(DataError, match="column y"):
        compare_panel(bad, **KW)
    # no never-treated controls
    allt = d.assign(first=np.where(d["first"] > 0, d["first"], 2020))
    with pytest.raises(DataError, match="never-treated"):
        compare_panel(allt, **KW)
    # one cohort and no never-treated: no not-yet controls either
    one = d.assign(first=2020)
    with pytest.raises(DataError):
        compare_panel(one, **KW, control="notyet")
    # window with no pre-period: every pilot starts in or before the first year
    with pytest.raises(DataError, match="pre-period"):
        compare_panel(d, **KW, start=2022)
    with pytest.raises(ParameterError):
        compare_panel(d, **KW, control="sometimes")
    with pytest.raises(DataError, match="more than one row"):
        compare_panel(pd.concat([d, d.iloc[:1]]), **KW)


def test_bad_input_messages_name_the_value_and_integer_ids(sim):
    """Regression (acceptance test with a county panel): the duplicate-row message said
    'Unit 8001.0 ... period 2003.0' (a mixed row upcast to float), and the non-numeric
    message did not show the offending value."""
    d = sim(n=40, seed=7)
    d = d.assign(unit=d["unit"].str[1:].astype("int64") + 8000)
    with pytest.raises(DataError) as e:
        compare_panel(pd.concat([d, d.iloc[:1]]), **KW)
    u0, t0 = int(d["unit"].iloc[0]), int(d["year"].iloc[0])
    assert f"Unit {u0} has more than one row for period {t0}." in str(e.value)
    bad = d.assign(y=d["y"].astype(object))
    bad.loc[bad.index[3], "y"] = "缺报"
    with pytest.raises(DataError) as e:
        compare_panel(bad, **KW)
    assert "缺报" in e.value.zh and "缺报" in e.value.en


def test_notyet_without_never_treated(sim):
    d = sim(seed=8)
    d = d.assign(first=np.where(d["first"] > 0, d["first"], 2022))
    res = compare_panel(d, **KW, control="notyet")
    assert res.fact().trimmed_from == 2022 and res.fact().control == "notyet"
    assert "no never-treated units: periods from 2022 dropped" in row(res, "pilot_att")["note"]
    t = res.table
    assert set(t.loc[t.indicator == "pilot_att_group", "period"]) == {"2018", "2020"}


def test_notyet_without_never_treated_randomises_the_reported_twfe(sim):
    """Without never-treated units the Callaway–Sant'Anna estimates drop the periods from
    the last cohort on; the TWFE estimate keeps the whole window.  The randomisation
    p-value must be that of the TWFE coefficient reported (not of one on fewer periods),
    and the caller's panel must not be cut."""
    from evalkit.stats import did

    d = sim(seed=8)
    d = d.assign(first=np.where(d["first"] > 0, d["first"], 2022))
    p = did.prepare_panel(d, outcome="y", unit="unit", time="year", first_treated="first")
    times = p.times.copy()
    cs = did.callaway_santanna(p, control="notyet")
    assert (p.times == times).all() and p.trimmed_from is None
    assert cs.panel.times.max() < times.max() and cs.panel.trimmed_from == 2022
    ri = did.randomization_inference(p, control="notyet", draws=99, cs=cs)
    res = compare_panel(d, **KW, control="notyet", draws=99)
    assert ri["twfe_beta"] == pytest.approx(row(res, "pilot_did")["value"], rel=1e-10)


# --------------------------------------------------------------------------- compare(ds)


def test_first_piloted_year_rule():
    ps = pd.Series(pd.to_datetime(["2019-06-30", "2019-07-01", None, None, "2020-01-01"])
                   .astype("datetime64[s]"))
    out = first_piloted_year(pd.Series([True, True, True, False, True], dtype="boolean"), ps)
    assert out.tolist()[:2] == [2019, 2020]
    assert pd.isna(out.iloc[2]) and out.iloc[3] == 0 and out.iloc[4] == 2020


def test_compare_dataset_monkeypatched(sim, monkeypatch):
    import evalkit.families as fam
    from evalkit.io.dataset import Dataset

    d = sim(n=80, seed=9)
    ids = d["unit"].unique()
    first = d.groupby("unit")["first"].first().reindex(ids)
    # pilot_start: mid-year date of the cohort year, or 1 Sept of the year before (-> same cohort)
    start = [pd.NaT if g == 0 else pd.Timestamp(f"{int(g) - (i % 2)}-{'09-01' if i % 2 else '03-15'}")
             for i, g in enumerate(first)]
    com = pd.DataFrame({"community_id": pd.array(ids, dtype="str"),
                        "district": pd.array(np.where(np.arange(len(ids)) % 2, "东区", "西区"), dtype="str"),
                        "pilot": pd.array(first.to_numpy() > 0, dtype="boolean"),
                        "pilot_start": pd.Series(start).astype("datetime64[s]")})
    ds = Dataset(path=Path("."), tables={"communities": com})
    panel = d.rename(columns={"unit": "community_id", "y": "value"})[["community_id", "year", "value"]]
    calls = []

    def fake(ds_, indicator, years, **kw):
        calls.append((indicator, list(years)))
        return panel[panel["year"].isin(list(years))].reset_index(drop=True)

    monkeypatch.setattr(fam, "outcome_panel", fake)
    res = compare(ds, outcome="dispute_rate", start=2015, end=2024)
    assert calls == [("dispute_rate", list(range(2015, 2025)))]
    ref = compare_panel(d, **KW)
    # the 30-June rule reproduces the simulated cohorts exactly
    np.testing.assert_allclose(res.table["value"], ref.table["value"], rtol=1e-12)
    assert (res.table["category"] == "dispute_rate").all() and res.fact().outcome == "dispute_rate"
    one = compare(ds, outcome="dispute_rate", start=2015, end=2024, district="东区")
    assert (one.table["level"] == "district").all() and (one.table["unit_id"] == "东区").all()
    both = compare(ds, outcome="dispute_rate", start=2015, end=2024, level="district")
    assert set(both.table["unit_id"]) == {"东区", "西区"}
    assert [f.unit_id for f in both.facts] == ["东区", "西区"]
    assert both.fact("西区").n_piloted + both.fact("东区").n_piloted == res.fact().n_piloted
    with pytest.raises(ParameterError):
        both.fact()  # two units: say which
    # a district that cannot be compared (here: no never-piloted community) is left out with a warning
    com2 = com.copy()
    com2.loc[(com2["district"] == "东区").to_numpy(), "pilot"] = True
    com2.loc[(com2["district"] == "东区").to_numpy() & com2["pilot_start"].isna().to_numpy(), "pilot_start"] = \
        pd.Timestamp("2019-03-01")
    ds2 = Dataset(path=Path("."), tables={"communities": com2})
    with pytest.warns(UserWarning, match="东区"):
        part = compare(ds2, outcome="dispute_rate", start=2015, end=2024, level="district")
    assert set(part.table["unit_id"]) == {"西区"}
    assert "平均试点效应" in res.explain("zh") and "average pilot effect" in res.explain("en")
    # piloted communities without a start date are left out, counted per district
    com3 = com.assign(pilot_start=com["pilot_start"].where(com["community_id"] != ids[0]))
    if first.iloc[0] > 0:
        ds3 = Dataset(path=Path("."), tables={"communities": com3})
        r3 = compare(ds3, outcome="dispute_rate", start=2015, end=2024, level="district")
        west = "西区" if np.arange(len(ids))[0] % 2 == 0 else "东区"
        assert r3.fact(west).left_out_no_start == 1
        assert "1 piloted communities without a pilot start date left out" in r3.rows(west)["note"].iloc[0]
    with pytest.raises(ParameterError):
        compare(ds, outcome="dispute_rate", start=2020, end=2019)


# --------------------------------------------------------------------------- synth (when present)


@pytest.fixture(scope="module")
def synth_ds(tmp_path_factory):
    from evalkit import synthetic as syn
    from evalkit import families as fam
    if not hasattr(fam, "outcome_panel"):
        pytest.skip("evalkit.families.outcome_panel not available yet")
    from evalkit.io import load

    path = syn.synth(tmp_path_factory.mktemp("syn") / "demo", scale="demo", seed=20241)
    truth = json.loads((Path(path) / "truth.json").read_text(encoding="utf-8"))
    return load(path), truth


@pytest.mark.parametrize("outcome, key", [("dispute_rate", "pilot_dispute_rate_att"),
                                          ("satisfaction_index", "satisfaction_uplift")])
def test_synth_planted_effects(synth_ds, outcome, key):
    ds, truth = synth_ds
    yrs = truth["years"]
    res = compare(ds, outcome=outcome, start=yrs[0], end=yrs[-1])
    att = row(res, "pilot_att")
    assert att["ci_low"] <= truth[key] <= att["ci_high"], (att["value"], truth[key])
    assert res.fact().n_piloted > 0 and res.fact().window == f"{yrs[0]}-{yrs[-1]}"


def test_synth_placebo(synth_ds):
    # placebo: never-piloted communities only, half of them given fake pilot cohorts
    # (seeded) -> no effect, the 95% CI covers 0
    ds, truth = synth_ds
    import evalkit.families as fam

    yrs = truth["years"]
    com = ds["communities"]
    ft = first_piloted_year(com["pilot"], com["pilot_start"])
    never = com.loc[(ft == 0).to_numpy(), "community_id"].astype("str").to_numpy()
    rng = np.random.default_rng(5)
    fake = np.where(rng.random(len(never)) < 0.5, 0, rng.choice(yrs[1:3], len(never)))
    info = pd.DataFrame({"community_id": never, "first": fake})
    panel = fam.outcome_panel(ds, "satisfaction_index", yrs)
    p = panel.assign(community_id=panel["community_id"].astype("str")).merge(info, on="community_id")
    res = compare_panel(p, outcome="value", unit="community_id", time="year", first_treated="first")
    r = row(res, "pilot_att")
    assert r["ci_low"] <= 0 <= r["ci_high"], r["value"]


def test_a_missing_cluster_is_an_error_not_another_cluster(sim):
    """pd.factorize codes a missing value -1, which numpy reads as the last cluster: two
    units without a cluster were silently merged into another one."""
    d = sim(seed=3)
    d["street"] = "S" + (d["unit"].str[1:].astype(int) % 4).astype(str)
    d.loc[d["unit"] == d["unit"].iloc[0], "street"] = None
    with pytest.raises(DataError) as e:
        compare_panel(d, **KW, cluster="street")
    assert "聚类" in str(e.value) and "cluster" in str(e.value)


def test_explain_never_contradicts_its_own_numbers(sim):
    """Below 10 piloted units the p-value (randomisation) and the interval (Welch t) may
    disagree; explain() must then say so instead of calling a result significant while
    noting that its interval includes 0 (or the reverse)."""
    res = compare_panel(sim(), **KW)
    few = replace(res.fact(), few_units=True, n_piloted=6)
    att = res.table["indicator"] == "pilot_att"
    for p, lo, hi, want_zh, want_en in ((0.015, -19.8, 0.7, "包含 0", "includes 0"),
                                        (0.10, -9.1, -0.9, "不含 0", "excludes 0")):
        t = res.table.copy()
        t.loc[att, ["p_value", "ci_low", "ci_high"]] = [p, lo, hi]
        r = PilotResult(table=t, facts=(few,))
        zh, en = r.explain("zh"), r.explain("en")
        assert want_zh in zh and "结论不一致" in zh and "（区间包含 0。）" not in zh
        assert want_en in en and "disagree" in en
        assert "大样本" not in zh and "large-sample" not in en
    t = res.table.copy()
    t.loc[att, ["p_value", "ci_low", "ci_high"]] = [0.30, -2.0, 1.0]
    r = PilotResult(table=t, facts=res.facts)
    assert "结论不一致" not in r.explain("zh") and "（区间包含 0。）" in r.explain("zh")


def test_explain_reads_the_facts_not_the_notes(sim):
    """Before: explain() and the report's findings searched the note for 'few piloted units'
    and 'never piloted'; a note in another language (or edited) changed what they said."""
    res = compare_panel(sim(), **KW)
    t = res.table.assign(note="few piloted units; control: not yet piloted")
    same = PilotResult(table=t, facts=res.facts)
    assert same.explain("zh") == res.explain("zh") and same.explain("en") == res.explain("en")
    few = PilotResult(table=res.table, facts=(replace(res.fact(), few_units=True),))
    assert "随机化推断" in few.explain("zh") and "随机化推断" not in res.explain("zh")
    assert "randomisation inference" in few.explain("en")


def test_explain_says_when_pretrends_cannot_be_tested(sim):
    """A missing pre-trend p-value must not be read as 'parallel'."""
    res = compare_panel(sim(), **KW)
    assert "看起来是平行的" in res.explain("zh") or "不平行" in res.explain("zh")
    t = res.table.copy()
    t.loc[t["indicator"] == "pilot_pretrend", ["value", "p_value"]] = np.nan
    untested = PilotResult(table=t, facts=res.facts)
    zh, en = untested.explain("zh"), untested.explain("en")
    assert "无法检验" in zh and "平行的" not in zh
    assert "could not be tested" in en and "moved in parallel" not in en
    # the other reason (a singular pre-period covariance: one piloted community per pilot
    # year, as in the sample's 东城区) is named too, not only 'no pre-pilot years'
    assert "试点社区太少" in zh and "too few piloted communities" in en
    from evalkit.labels import TEXT

    assert all("too few piloted communities" in t or "试点社区太少" in t for t in TEXT["pretrend_untested"])


def test_explain_says_why_an_interval_is_missing(sim):
    res = compare_panel(sim(), **KW)
    t = res.table.copy()
    t.loc[t["indicator"] == "pilot_att", ["ci_low", "ci_high"]] = np.nan
    r = PilotResult(table=t, facts=res.facts)
    assert "置信区间无法估计" in r.explain("zh") and "[—" not in r.explain("zh")
    assert "No interval: a pilot cohort has a single community" in r.explain("en")
