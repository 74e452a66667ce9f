"""Calibration to the source cases and recovery of the planted effects (truth.json).

References are the generator's stated targets in truth.json (and the seeds:
Nanshan's 79.9 % college share, Dongyu's cadres over 50 with 75 % junior high
or below); estimates come from the written files only, through independent
code (pandas, statsmodels), never from the generator's internals.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from evalkit.synthetic import synth

COLLEGE = ["college", "bachelor", "postgraduate"]


def _first_piloted(start: pd.Series) -> pd.Series:
    d = pd.to_datetime(start)
    return d.dt.year + ((d.dt.month > 6)).astype(int)


def test_sizes(demo, truth):
    assert len(demo["communities"]) == truth["n_communities"] == 60
    assert demo["communities"]["district"].nunique() == truth["n_districts"] == 5
    # ~117k households x ~30 cases per 1,000 a year x 5 years; ~330k residents x 3 %
    assert 14_000 <= len(demo["disputes"]) <= 21_000
    assert 8_000 <= len(demo["volunteers"]) <= 14_000
    assert 30_000 <= len(demo["volunteer_hours"]) <= 60_000
    n = demo["survey_responses"].groupby(["community_id", "wave"]).size()
    assert 27 <= n.mean() <= 33
    assert 1 <= (n < 10).sum() <= 10  # some cells to suppress


def test_pilot_cohorts(demo, truth):
    c = demo["communities"]
    pil = c[c["pilot"] == "true"]
    assert len(pil) == truth["n_pilot"] >= 20
    assert len(c) - len(pil) == truth["n_never_piloted"]
    g = _first_piloted(pil["pilot_start"]).value_counts().sort_index()
    assert {str(k): int(v) for k, v in g.items()} == truth["pilot_cohorts"]
    assert set(truth["pilot_cohorts"]) == {"2021", "2022", "2023"}
    assert (pd.to_datetime(pil["pilot_start"]).dt.month > 6).sum() >= 2  # some start after June


def test_community_types_and_sizes(demo):
    c = demo["communities"].astype({"households": int, "population": int})
    assert c["community_type"].nunique() >= 5
    by = c.groupby("community_type")
    pph = by["population"].sum() / by["households"].sum()
    assert 2.9 < pph["commodity_housing"] < 3.5  # Honghu: 10108 / 2991 = 3.38
    assert 2.1 < pph["resettlement"] < 2.7  # Dongyu: ~4000 / 1750 = 2.29
    assert 1000 < by["households"].median()["commodity_housing"] < 5000
    assert c["district"].str.endswith("区").all() and c["street"].str.endswith("街道").all()
    assert c["community_name"].str.endswith("社区").all()


def test_floating_party_members(demo):
    cy = demo["community_years"].merge(demo["communities"][["community_id", "community_type"]])
    reg, flo = cy["party_members_registered"].astype(int), cy["party_members_floating"].astype(int)
    share = flo.groupby(cy["community_type"]).sum() / (reg + flo).groupby(cy["community_type"]).sum()
    assert share["commodity_housing"] > 0.5 > share["old_neighborhood"]  # Honghu 116 / 130
    hh_per_grid = cy["households"].astype(int).sum() / cy["grid_workers"].astype(int).sum()
    assert 400 < hh_per_grid < 1000  # Honghu 2991 / 4


def test_disputes(demo, truth):
    d = demo["disputes"].merge(demo["communities"][["community_id", "community_type"]])
    status = d["status"].value_counts(normalize=True)
    assert abs(status["resolved"] - truth["dispute_resolution_prob"]) < 0.03
    assert {"escalated", "unresolved", "in_progress"} <= set(status.index)
    open_ = d.loc[d["status"] == "in_progress", "reported_on"]
    assert open_.min() >= "2024-09-01"  # in progress only near the as-of date
    share = d.groupby("community_type")["category"].apply(lambda s: (s == "property").mean())
    assert share["commodity_housing"] == share.max()
    n_ch = (d["community_type"] == "commodity_housing").sum()
    p = truth["dispute_property_share_by_type"]["commodity_housing"]
    assert abs(share["commodity_housing"] - p) < 3 * np.sqrt(p * (1 - p) / n_ch)
    r = d[d["status"] == "resolved"]
    days = (pd.to_datetime(r["resolved_on"]) - pd.to_datetime(r["reported_on"])).dt.days
    assert 7 <= days.median() <= 15 and days.min() >= 1
    assert set(d["source"]) == {"grid", "hotline", "visit", "online", "other"}
    # seasonality: July–August above March–April
    m = pd.to_datetime(d["reported_on"]).dt.month
    assert (m.isin([7, 8])).sum() > 1.2 * (m.isin([3, 4])).sum()


def _monthly(tables):
    """Monthly counts by community with that year's households."""
    d = tables["disputes"]
    dt = pd.to_datetime(d["reported_on"])
    cnt = d.assign(year=dt.dt.year, month=dt.dt.month).groupby(
        ["community_id", "year", "month"]).size().rename("count")
    c = tables["communities"]
    idx = pd.MultiIndex.from_product([c["community_id"], range(2020, 2025), range(1, 13)],
                                     names=["community_id", "year", "month"])
    panel = cnt.reindex(idx, fill_value=0).reset_index()
    cy = tables["community_years"].astype({"year": int, "households": int})
    panel = panel.merge(cy[["community_id", "year", "households"]])
    panel["t"] = ((panel["year"] - 2020) * 12 + panel["month"] - 1) / 12
    return panel.merge(c[["community_id", "pilot", "pilot_start"]])


def test_trend_recovered(demo, truth):
    """Poisson GLM (statsmodels) on never-piloted communities: IRR per year within its 95 % CI."""
    panel = _monthly(demo)
    never = panel[panel["pilot"] == "false"]
    fit = smf.glm("count ~ C(community_id) + C(month) + t", data=never,
                  family=sm.families.Poisson(), offset=np.log(never["households"])).fit()
    lo, hi = np.exp(fit.conf_int().loc["t"])
    assert lo <= truth["dispute_trend_irr"] <= hi, (lo, hi)
    assert fit.pearson_chi2 / fit.df_resid < 1.5  # Poisson as truth.json says


def test_pilot_effect_recovered(demo, truth):
    """Poisson GLM with unit and year fixed effects on yearly counts (the sufficient statistics
    of the monthly model with common seasonality): pilot rate ratio within its 95 % CI."""
    panel = _monthly(demo)
    g = _first_piloted(panel["pilot_start"])
    panel["treated"] = ((panel["pilot"] == "true") & (panel["year"] >= g)).astype(int)
    yearly = panel.groupby(["community_id", "year", "treated", "households"],
                           as_index=False)["count"].sum()
    fit = smf.glm("count ~ C(community_id) + C(year) + treated", data=yearly,
                  family=sm.families.Poisson(), offset=np.log(yearly["households"])).fit()
    lo, hi = np.exp(fit.conf_int().loc["treated"])
    assert lo <= truth["pilot_dispute_rr"] <= hi, (lo, hi)


def test_pilot_rate_att_recovered(tmp_path):
    """Callaway–Sant'Anna group aggregation, computed by hand from yearly rates
    (never-piloted control, varying base period), is near pilot_dispute_rate_att.

    Tolerance: 3 × a rough SE (Poisson noise of cohort means, ~1.2 here) → 3.5.
    """
    out = synth(tmp_path / "c", scale="city", seed=11, _n_communities=400)
    t = {n: pd.read_parquet(out / f"{n}.parquet") for n in ("communities", "community_years",
                                                            "disputes")}
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    d = t["disputes"]
    cnt = d.assign(year=pd.to_datetime(d["reported_on"]).dt.year).groupby(
        ["community_id", "year"]).size().rename("n")
    cy = t["community_years"].set_index(["community_id", "year"])
    rate = (1000 * cnt.reindex(cy.index, fill_value=0) / cy["households"]).unstack()
    c = t["communities"].set_index("community_id")
    g = pd.Series(0, index=c.index)
    start = pd.to_datetime(c["pilot_start"])
    g[c["pilot"]] = (start.dt.year + (start.dt.month > 6))[c["pilot"]]
    never = rate[g == 0]
    att_g, size = {}, {}
    for cohort in (2021, 2022, 2023):
        grp = rate[g == cohort]
        effects = [(grp[y] - grp[cohort - 1]).mean() - (never[y] - never[cohort - 1]).mean()
                   for y in range(cohort, 2025)]
        att_g[cohort], size[cohort] = np.mean(effects), len(grp)
    att = sum(att_g[k] * size[k] for k in att_g) / sum(size.values())
    assert truth["pilot_dispute_rate_att"] < 0
    assert abs(att - truth["pilot_dispute_rate_att"]) < 3.5, (att, truth["pilot_dispute_rate_att"])


def test_cadres(demo, truth):
    cad = demo["cadres"].merge(demo["communities"][["community_id", "community_type"]])
    cad = cad.astype({"term_year": int, "birth_year": int})
    assert set(cad["term_year"]) == set(truth["cadre_terms"]) == {2018, 2021, 2024}
    main = cad[~cad["role"].isin(["grid_worker", "part_time_member"])]
    share = main.groupby("term_year")["education"].apply(lambda s: s.isin(COLLEGE).mean())
    for term, target in truth["cadre_college_share_by_term"].items():
        assert abs(share[int(term)] - target) < 0.05, (term, share[int(term)], target)
    assert truth["cadre_college_share_by_term"]["2024"] == pytest.approx(0.8, abs=0.01)  # Nanshan 79.9 %
    assert share.diff().dropna().min() > 0.1  # rising by term (+20 points target)
    res = main[main["community_type"] == "resettlement"]
    assert len(res) > 0
    age = res["term_year"] - res["birth_year"]
    assert age.mean() > 50  # Dongyu
    low = res["education"].isin(["primary", "junior_high"]).mean()
    assert abs(low - truth["resettlement_cadre_junior_high_or_below_share"]) < 0.12
    assert (cad["role"] == "grid_worker").sum() > 0
    assert set(cad["role"]) == {"secretary", "deputy_secretary", "committee", "director", "staff",
                                "grid_worker", "part_time_member"}
    # persons who continue keep their birth year and never lose education
    order = {e: i for i, e in enumerate(["primary", "junior_high", "senior_high", "college",
                                         "bachelor", "postgraduate"])}
    p = cad.assign(e=cad["education"].map(order)).sort_values(["person_id", "term_year"])
    rep = p[p.duplicated("person_id", keep=False)]
    assert len(rep) > 0
    assert (rep.groupby("person_id")["birth_year"].nunique() == 1).all()
    assert (rep.groupby("person_id")["e"].diff().dropna() >= 0).all()
    # one-shoulder (一肩挑) only on secretaries
    assert cad.loc[cad["role"] != "secretary", "concurrent_director"].isna().all()


def _rates(tables):
    """Per-community rates from the written tables (any format): yearly dispute rate per 1,000
    households (pooled), registered volunteers per resident at the end, households per community."""
    d, cy, v = tables["disputes"], tables["community_years"], tables["volunteers"]
    cy = cy.astype({"year": int, "households": int, "population": int})
    n = pd.to_datetime(d["reported_on"]).dt.year.value_counts().sort_index()
    hh = cy.groupby("year")["households"].sum()
    pop24 = cy.loc[cy["year"] == 2024, "population"].sum()
    return (1000 * n / hh).to_numpy(), len(v) / pop24, hh[2024] / cy["community_id"].nunique()


def test_per_community_rates(demo, truth):
    """A demo community looks like a city community: ~20–40 cases per 1,000 households a year,
    ~2–4 % of residents registered (national benchmark 2.56 %, docs/design INDICATORS)."""
    disputes, vol_share, _ = _rates(demo)
    assert ((disputes > 20) & (disputes < 40)).all(), disputes
    assert 0.02 < vol_share < 0.04, vol_share
    assert truth["volunteer_registration_share_mean"] == 0.03
    # yearly mean over never-piloted communities of their rates vs the generator's expectation;
    # tolerance 3 x SE of a mean of 40 Poisson rates (~60 cases each: ~0.7) -> 2.5
    c = demo["communities"]
    never = c.loc[c["pilot"] == "false", "community_id"]
    d = demo["disputes"][demo["disputes"]["community_id"].isin(never)]
    cnt = d.assign(year=pd.to_datetime(d["reported_on"]).dt.year).groupby(
        ["community_id", "year"]).size()
    cy = demo["community_years"].astype({"year": int, "households": int})
    cy = cy[cy["community_id"].isin(never)].set_index(["community_id", "year"])
    rate = (1000 * cnt.reindex(cy.index, fill_value=0) / cy["households"]).groupby("year").mean()
    for y, expected in truth["dispute_rate_never_piloted_by_year"].items():
        assert abs(rate[int(y)] - expected) < 2.5, (y, rate[int(y)], expected)


def test_volunteer_activity(demo, truth):
    """Activity of volunteers registered all year vs truth.json's expectations.

    Tolerances: active share 0.03 (binomial SE ~0.005 per year, inflated by the persistent
    propensity shared across years); records per active volunteer 0.1 (Poisson SE ~0.02);
    hours per record 0.05 (SE ~0.006)."""
    v, h = demo["volunteers"], demo["volunteer_hours"]
    h = h.assign(year=pd.to_datetime(h["served_on"]).dt.year)
    rows = []
    for y in range(2020, 2025):  # five years, vectorised within each
        full = v[(v["registered_on"] < f"{y}-01-01") & (v["left_on"].isna() | (v["left_on"] > f"{y}-12-31"))]
        recs = h[(h["year"] == y) & h["volunteer_id"].isin(full["volunteer_id"])]
        per = recs.groupby("volunteer_id").size()
        rows.append((len(full), len(per), per.sum()))
    n_full, n_act, n_rec = np.array(rows).sum(axis=0)
    assert abs(n_act / n_full - truth["volunteer_active_prob_full_year"]) < 0.03
    assert abs(n_rec / n_act - truth["volunteer_records_per_active_full_year"]) < 0.1
    assert abs(h["hours"].astype(float).mean() - truth["volunteer_hours_per_record_mean"]) < 0.05
    # time bank: ~2-4 records per active volunteer a year, 2-4 hours each
    per_year = h.groupby("year").size() / h.groupby("year")["volunteer_id"].nunique()
    assert per_year.between(2, 4).all(), per_year


def test_same_rates_at_city_scale(demo, tmp_path):
    """City communities are bigger (hh_factor 1.6) but have the same rates as demo ones."""
    out = synth(tmp_path / "c", scale="city", seed=5, _n_communities=120)
    t = {n: pd.read_parquet(out / f"{n}.parquet")
         for n in ("disputes", "community_years", "volunteers")}
    d_city, v_city, hh_city = _rates(t)
    d_demo, v_demo, hh_demo = _rates(demo)
    assert ((d_city > 20) & (d_city < 40)).all(), d_city
    assert 0.02 < v_city < 0.04
    # same rates: within 15 % (community base rates vary log-normally, sd 0.3, over 120 / 60)
    assert np.allclose(d_city, d_demo, rtol=0.15), (d_city, d_demo)
    assert v_city == pytest.approx(v_demo, rel=0.15)
    assert 1.3 < hh_city / hh_demo < 2.0  # hh_factor 1.6


@pytest.mark.slow
def test_city_scale_size_and_time(tmp_path):
    """The full city: ~500,000 cases over five years from 1,000 communities, well under 60 s."""
    import time

    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    out = synth(tmp_path / "city", scale="city", seed=20241)
    assert time.perf_counter() - t0 < 60
    rows = {n: pq.ParquetFile(out / f"{n}.parquet").metadata.num_rows
            for n in ("communities", "disputes", "volunteers", "volunteer_hours")}
    assert rows["communities"] == 1000
    assert 450_000 <= rows["disputes"] <= 550_000
    assert 200_000 <= rows["volunteers"] <= 330_000
    assert 0.7e6 <= rows["volunteer_hours"] <= 1.5e6


def test_volunteers(demo):
    v = demo["volunteers"]
    h = demo["volunteer_hours"]
    hours = h["hours"].astype(float)
    assert ((hours > 0) & (hours <= 24)).all() and 2 <= hours.median() <= 4
    assert 0.1 < (v["party_member"] == "true").mean() < 0.4
    assert h["served_on"].min() >= "2020-01-01" and h["served_on"].max() <= "2024-12-31"
    j = h.merge(v, on="volunteer_id")
    assert (j["served_on"] >= j["registered_on"]).all()
    assert (j["left_on"].isna() | (j["served_on"] <= j["left_on"])).all()


def test_survey_design(demo):
    s = demo["survey_responses"]
    assert s[["stratum", "psu", "fpc", "weight"]].notna().all().all()
    assert (s["stratum"] == s["community_id"].map(
        demo["communities"].set_index("community_id")["district"])).all()
    assert s["psu"].str.match(r"^C\d{4}-B\d{2}$").all()
    assert (s["psu"].str[:5] == s["community_id"]).all()  # buildings nested in communities
    assert (s.groupby("psu")["stratum"].nunique() == 1).all()  # nested in strata
    assert (s.groupby("stratum")["fpc"].nunique() == 1).all()
    fpc = s.groupby("stratum")["fpc"].first().astype(float)
    sampled = s.groupby(["stratum", "wave"])["psu"].nunique().groupby("stratum").max()
    assert (fpc > sampled).all()
    w = s["weight"].astype(float)
    assert w.std() / w.mean() > 0.2  # unequal weights
    assert (s.groupby(["community_id", "wave"])["psu"].nunique() >= 2).mean() > 0.95


def _index(demo):
    s = demo["survey_responses"]
    items = demo["survey_items"]
    ids = items.loc[items["dimension"] != "overall", "item_id"].tolist()
    x = s[ids].astype(float).where(lambda a: a <= 5)
    rev = items.set_index("item_id").loc[ids, "reverse"].eq("true").to_numpy()
    x.loc[:, rev] = 6 - x.loc[:, rev]
    return 100 * (x - 1).div(4).mean(axis=1)


def test_satisfaction_uplift_recovered(demo, truth):
    """TWFE OLS (community and wave FE), SE clustered by community: uplift within 95 % CI."""
    assert truth["satisfaction_uplift_check"] == pytest.approx(truth["satisfaction_uplift"], abs=1e-9)
    s = demo["survey_responses"][["community_id", "wave", "psu"]].copy()
    s["y"] = _index(demo)
    c = demo["communities"].set_index("community_id")
    g = _first_piloted(c["pilot_start"]).where(c["pilot"] == "true")
    s["treated"] = (s["wave"].astype(int) >= s["community_id"].map(g)).astype(int)
    fit = smf.ols("y ~ C(community_id) + C(wave) + treated", data=s).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(s["community_id"])[0]})
    lo, hi = fit.conf_int().loc["treated"]
    assert lo <= truth["satisfaction_uplift"] <= hi, (lo, hi)
    never = s["community_id"].map(c["pilot"]) == "false"
    assert abs(s.loc[never, "y"].mean() - truth["satisfaction_index_mean"]) < 1.0


def test_between_psu_variance(demo):
    """Building effects give the index a between-PSU variance component: one-way ANOVA of the
    within-community residuals on the building (scipy F distribution), F well above 1."""
    from scipy import stats

    s = demo["survey_responses"][["community_id", "psu"]].copy()
    s["y"] = _index(demo)
    s["r"] = s["y"] - s.groupby("community_id")["y"].transform("mean")
    grp = s.groupby("psu")["r"]
    ssb = (grp.count() * grp.mean() ** 2).sum()
    ssw = ((s["r"] - grp.transform("mean")) ** 2).sum()
    k, n, c = s["psu"].nunique(), len(s), s["community_id"].nunique()
    f = (ssb / (k - c)) / (ssw / (n - k))
    assert f > 1.3 and stats.f.sf(f, k - c, n - k) < 1e-6
