"""sensitivity(): Sobol' indices against analytic values, data error against analytic spreads and
independent interval formulas, the vectorised replicates against the nominal pipeline, seeding."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sstats
from statsmodels.stats.proportion import proportion_confint

from evalkit.exceptions import DataError, ParameterError
from evalkit.stats.composite import _sobol, build, rebuild, sensitivity

ASEM = Path(__file__).resolve().parents[1] / "data" / "coinr-asem"


def _read(name):
    return pd.read_csv(ASEM / name, keep_default_na=False, na_values=["NA", ""])


@pytest.fixture(scope="module")
def asem_coin():
    return build(_read("ASEM_iData.csv"), _read("ASEM_iMeta.csv"), denominate=True, impute="mean_group",
                 impute_group="EurAsia_group", screen=0.9, treat="coinr")


def _one(values, *, direction=1):
    """Units a, b, c, ... with one indicator x; Index = x when normalise='none'."""
    data = pd.DataFrame({"uCode": [chr(97 + k) for k in range(len(values))], "x": np.asarray(values, float)})
    meta = pd.DataFrame({"iCode": ["x", "Index"], "Level": [1, 2], "Parent": ["Index", None],
                         "Direction": [direction, 1], "Weight": [1, 1], "Type": ["Indicator", "Aggregate"]})
    return build(data, meta, normalise="none")


# --- Sobol' indices ---------------------------------------------------------------------------------------

def test_ishigami_indices_through_the_design_and_estimator_of_the_index():
    # Ishigami & Homma (1990), a = 7, b = 0.1, x ~ U(-pi, pi)^3; analytic partial variances
    # (Sobol' & Levitan 1999): V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50)
    a, b = 7.0, 0.1
    v1, v2, v13 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2, a ** 2 / 8, b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s_exact, st_exact = [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]
    np.testing.assert_allclose(s_exact, [0.3139, 0.4424, 0.0], atol=1e-4)  # the rounded values
    np.testing.assert_allclose(st_exact, [0.5576, 0.4424, 0.2437], atol=1e-4)
    # the same plan and estimator sensitivity() uses (evalkit.stats.composite._sobol), N = 8192
    p = _sobol.plan(3, 8192, seed=3, sample="sobol")
    x = -np.pi + 2 * np.pi * p.u
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    ind = _sobol.indices(y, p.n, 3, n_boot=100, seed=3)
    np.testing.assert_allclose(ind["S"][:, 0], s_exact, atol=0.01)
    np.testing.assert_allclose(ind["ST"][:, 0], st_exact, atol=0.01)
    assert (ind["S_q05"] <= ind["S"]).all() and (ind["S"] <= ind["S_q95"]).all()
    assert len(p.u) == 8192 * 5 and set(p.block) == {"A", "B", "AB"}


def test_sobol_design_needs_a_power_of_two():
    with pytest.raises(ParameterError, match="power of 2"):
        _sobol.plan(2, 1000, seed=0, sample="sobol")


def test_dummy_factor_has_zero_indices_and_active_factor_all(asem_coin):
    # winmax 5 or 6 changes nothing on this coin (no indicator needs more than 2 points): a dummy factor
    factors = [{"kind": "winmax", "range": [5, 6]}, {"kind": "weights", "level": 2, "noise": 0.5}]
    sa = sensitivity(asem_coin, factors=factors, n=1024, seed=5, jobs=2, n_boot=50)
    assert len(sa.runs) == 1024 * 4
    assert set(sa.runs["block"]) == {"A", "B", "AB"}
    units = sa.units
    assert len(sa.indices) == 2 * (1 + 2 * len(units))
    dummy = sa.indices[sa.indices["factor"] == "winmax"]
    assert (dummy[["S", "ST"]].to_numpy() == 0).all()  # f(AB) = f(A) exactly
    shift = sa.indices[(sa.indices["factor"] == "weights_L2") & (sa.indices["output"] == "rank_shift")].iloc[0]
    # the first-order estimator is the noisier one (Saltelli 2010, Table 2 (b)); its bootstrap interval must
    # reach the true value 1
    assert shift["ST"] == pytest.approx(1.0, abs=0.1)
    assert shift["S"] == pytest.approx(1.0, abs=0.15)
    assert shift["S_q05"] <= 1.0 <= shift["S_q95"] + 0.02
    per_unit = sa.indices[(sa.indices["factor"] == "weights_L2") & (sa.indices["output"] == "score")]
    assert sorted(per_unit["target"]) == sorted(units)
    assert per_unit["ST"].between(0.9, 1.1).all()


# --- data error -------------------------------------------------------------------------------------------

def test_data_error_through_a_linear_index_matches_the_analytic_sd():
    rng = np.random.default_rng(11)
    x = rng.normal(50, 10, size=(6, 3))
    data = pd.DataFrame(x, columns=["x1", "x2", "x3"])
    data.insert(0, "uCode", [f"u{k}" for k in range(6)])
    meta = pd.DataFrame({"iCode": ["x1", "x2", "x3", "g1", "g2", "Index"], "Level": [1, 1, 1, 2, 2, 3],
                         "Parent": ["g1", "g1", "g2", "Index", "Index", None], "Direction": [1, -1, 1, 1, 1, 1],
                         "Weight": [1, 3, 1, 2, 1, 1], "Type": ["Indicator"] * 3 + ["Aggregate"] * 3})
    comp = build(data, meta, normalise="none")
    se = np.array([2.0, 1.0, 4.0])
    err = pd.DataFrame({"uCode": np.repeat(data["uCode"], 3), "iCode": ["x1", "x2", "x3"] * 6,
                        "se": np.tile(se, 6)})
    sa = sensitivity(comp, data_error=err, n=4000, seed=2, sample="random", jobs=1)
    # Index = sum_i w_i d_i x_i with effective weights w = (2/3 * 1/4, 2/3 * 3/4, 1/3): SD = sqrt(sum w^2 se^2)
    w = np.array([2 / 3 * 1 / 4, 2 / 3 * 3 / 4, 1 / 3])
    np.testing.assert_allclose(comp.weights.to_numpy(), w, rtol=1e-12)
    sd = np.sqrt(np.sum(w ** 2 * se ** 2))
    got = sa.intervals[sa.intervals["iCode"] == "Index"]["sd"].to_numpy()
    # relative standard error of an SD from 4000 normal draws ~ 1.1 %: 5 % is > 4 standard errors
    np.testing.assert_allclose(got, sd, rtol=0.05)
    mean = sa.intervals[sa.intervals["iCode"] == "Index"]["mean"].to_numpy()
    np.testing.assert_allclose(mean, comp.stages["Aggregated"]["Index"], atol=4 * sd / np.sqrt(4000))


def _draw_quantiles(value, row, n=20000, others=(0.9, 0.1)):
    comp = _one([value, *others])
    err = pd.DataFrame([{"uCode": "a", "iCode": "x", **row}])
    sa = sensitivity(comp, data_error=err, n=n, seed=4, sample="random", jobs=1)
    draws = sa.scores[:, sa.units.index("a"), 0]
    return np.quantile(draws, [0.025, 0.975]), draws


@pytest.mark.parametrize("k,n", [(12, 40), (0, 25), (40, 40)])
def test_wilson_draws_reproduce_the_wilson_interval(k, n):
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")  # statsmodels: independent reference
    q, draws = _draw_quantiles(k / n, {"se": np.nan, "dist": "wilson", "n": n}, others=(0.5, 0.2))
    # quantile of 20000 draws: Monte Carlo error ~ 0.003 here
    np.testing.assert_allclose(q, [lo, hi], atol=0.01)
    assert draws.min() >= 0 and draws.max() <= 1
    # n solved from the interval gives the same draws
    q2, draws2 = _draw_quantiles(k / n, {"se": np.nan, "dist": "wilson", "ci_low": lo, "ci_high": hi},
                                 others=(0.5, 0.2))
    np.testing.assert_allclose(draws2, draws, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("k", [0, 7, 60])
def test_garwood_draws_reproduce_the_exact_poisson_interval(k):
    c = 1000 / 3318  # a rate per 1,000 households of a community of 3,318
    # Garwood (1936): [chi2(0.025; 2k) / 2, chi2(0.975; 2k + 2) / 2]
    lo = sstats.chi2.ppf(0.025, 2 * k) / 2 * c if k else 0.0
    hi = sstats.chi2.ppf(0.975, 2 * k + 2) / 2 * c
    q, draws = _draw_quantiles(k * c, {"se": np.nan, "dist": "garwood", "n": k, "ci_low": lo, "ci_high": hi},
                               others=(100.0, 200.0))
    np.testing.assert_allclose(q, [lo, hi], rtol=0.02, atol=1e-9)
    assert draws.min() >= 0


def test_t_and_logit_draws():
    # t: v + se * t(n - 1) quantiles (cadre mean age, 8 cadres)
    q, _ = _draw_quantiles(48.0, {"se": 2.0, "dist": "t", "n": 8}, others=(40.0, 50.0))
    t = sstats.t.ppf(0.975, 7)
    np.testing.assert_allclose(q, [48 - 2 * t, 48 + 2 * t], rtol=0.01)
    # logit: R survey's svyciprop(method = "logit") interval expit(logit p -/+ 1.96 se / (p (1 - p)))
    p, se = 0.4, 0.05
    z = sstats.norm.ppf(0.975)
    expected = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + np.array([-z, z]) * se / (p * (1 - p)))))
    q, _ = _draw_quantiles(p, {"se": se, "dist": "logitnormal"}, others=(0.5, 0.2))
    np.testing.assert_allclose(q, expected, atol=0.005)


def test_zero_se_gives_zero_width_intervals():
    comp = _one([0.3, 0.5, 0.2, 0.9])
    dists = ["normal", "logitnormal", "wilson", "garwood", "t"]
    err = pd.DataFrame({"uCode": ["a", "b", "c", "d"] + ["a"] * 0, "iCode": "x", "se": 0.0,
                        "dist": dists[:4], "n": [10, 10, 10, 10], "ci_low": 0.1, "ci_high": 0.95})
    sa = sensitivity(comp, data_error=err, n=200, seed=1, jobs=1)
    iv = sa.intervals
    np.testing.assert_array_equal(iv["q05"], iv["nominal"])
    np.testing.assert_array_equal(iv["q95"], iv["nominal"])
    np.testing.assert_array_equal(iv["rank_q05"], iv["rank_q95"])
    np.testing.assert_array_equal(iv["sd"], 0.0)


def test_data_error_rows_are_checked():
    comp = _one([0.3, 0.5, 0.2])
    with pytest.raises(DataError, match="uCode `z`"):
        sensitivity(comp, data_error=pd.DataFrame({"uCode": ["z"], "iCode": ["x"], "se": [1.0]}), n=10)
    with pytest.raises(DataError, match="garwood needs column n"):
        sensitivity(comp, data_error=pd.DataFrame({"uCode": ["a"], "iCode": ["x"], "se": [np.nan],
                                                   "dist": ["garwood"], "ci_low": [0.1], "ci_high": [0.5]}), n=10)
    with pytest.raises(DataError, match="no usable standard error"):
        sensitivity(comp, data_error=pd.DataFrame({"uCode": ["a"], "iCode": ["x"], "se": [np.nan]}), n=10)
    with pytest.raises(ParameterError, match="Nothing is uncertain"):
        sensitivity(comp, n=10)


# --- the vectorised replicates are the pipeline ------------------------------------------------------------

NORMS = [("minmax", {}), ("zscore", {"m_sd": (10, 2)}), ("prank", {}), ("borda", {}), ("dist2max", {}),
         ("fracmax", {})]
AGGS = ["amean", "median", "genmean"]


def test_each_replicate_equals_a_build_with_its_choices(asem_coin):
    factors = [
        {"kind": "winmax", "range": [1, 5]},
        {"kind": "normalise", "choices": [m if not p else {"method": m, "params": p} for m, p in NORMS]},
        {"kind": "aggregate", "choices": ["amean", "median", {"method": "genmean", "params": {"p": 2}}]},
        {"kind": "exclude", "choices": ["LPI", "Goods"]},
        {"kind": "impute"},
    ]
    sa = sensitivity(asem_coin, factors=factors, n=40, seed=9, sample="random", jobs=2)
    assert not sa.runs["failed"].any()
    labels = {f"{m}" if not p else f"{m}(" + ", ".join(f"{k}={v}" for k, v in sorted(p.items())) + ")": (m, p)
              for m, p in NORMS}
    aggs = {"amean": ("amean", {}), "median": ("median", {}), "genmean(p=2)": ("genmean", {"p": 2})}
    seen = set()
    for _, r in sa.runs.iterrows():
        key = (r["winmax"], r["normalise"], r["aggregate"], r["exclude"], r["impute"])
        if key in seen:
            continue
        seen.add(key)
        m, p = labels[r["normalise"]]
        am, ap = aggs[r["aggregate"]]
        ref = rebuild(asem_coin, winmax=int(r["winmax"]), normalise=m, normalise_params=p,
                      aggregate=am, aggregate_params=ap,
                      impute=None if r["impute"] == "None" else r["impute"],
                      **({"weights": {r["exclude"]: 0}} if r["exclude"] != "none" else {}))
        want = ref.stages["Aggregated"].reindex(sa.units)[sa.aggregates].to_numpy()
        np.testing.assert_allclose(sa.scores[r["run"]], want, rtol=1e-9, atol=1e-9, err_msg=str(key))
        rk = ref.ranks.reindex(sa.units)[sa.aggregates].to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(sa.ranks[r["run"]], rk)
    assert len(seen) > 10


def test_noisy_weights_stay_within_their_band(asem_coin):
    sa = sensitivity(asem_coin, factors=[{"kind": "weights", "level": 1, "noise": 0.25}], n=50, seed=2, jobs=1)
    # level 1 noise only reweights indicators inside pillars; with w in [0.75, 1.25] a pillar score stays
    # between the means with the most and least favourable weights -- in particular inside [min, max]
    agg = asem_coin.stages["Aggregated"]
    phys = [c for c in asem_coin.meta.query("Parent == 'Physical'")["iCode"]]
    lo, hi = agg[phys].min(axis=1), agg[phys].max(axis=1)
    j = sa.aggregates.index("Physical")
    s = sa.scores[:, :, j]
    assert (s >= lo.reindex(sa.units).to_numpy() - 1e-9).all() and (s <= hi.reindex(sa.units).to_numpy() + 1e-9).all()
    assert s.std(axis=0).max() > 0


def test_failed_replicates_are_recorded_not_hidden(asem_coin):
    # z-scores (mean 0) cannot be averaged geometrically: COINr's regen fails; here the run is marked
    factors = [{"kind": "normalise", "choices": [{"method": "minmax", "params": {"l_u": [1, 100]}}, "zscore"]},
               {"kind": "aggregate", "choices": ["amean", "gmean"]}]
    sa = sensitivity(asem_coin, factors=factors, n=32, seed=1, sample="random", jobs=1)
    bad = sa.runs[(sa.runs["normalise"] == "zscore") & (sa.runs["aggregate"] == "gmean")]
    assert len(bad) and bad["failed"].all()
    assert bad["reason"].str.startswith("gmean").all()
    good = sa.runs[~sa.runs["run"].isin(bad["run"])]
    assert not good["failed"].any()
    assert np.isnan(sa.scores[bad["run"].to_numpy()]).all()
    # the intervals come from the runs that worked
    assert sa.intervals["q05"].notna().all()


def test_copeland_replicates_equal_builds():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(7, 4)), columns=["a", "b", "c", "d"])
    data.iloc[2, 1] = np.nan
    data.insert(0, "uCode", [f"u{k}" for k in range(7)])
    meta = pd.DataFrame({"iCode": ["a", "b", "c", "d", "g1", "g2", "I"], "Level": [1, 1, 1, 1, 2, 2, 3],
                         "Parent": ["g1", "g1", "g2", "g2", "I", "I", None], "Direction": [1, 1, -1, 1, 1, 1, 1],
                         "Weight": [1, 2, 1, 1, 1, 1, 1], "Type": ["Indicator"] * 4 + ["Aggregate"] * 3})
    comp = build(data, meta, aggregate={2: "amean", 3: "copeland"})
    sa = sensitivity(comp, factors=[{"kind": "exclude", "choices": ["a", "c"]}], n=12, seed=0, jobs=1)
    for _, r in sa.runs.drop_duplicates("exclude").iterrows():
        ref = comp if r["exclude"] == "none" else rebuild(comp, weights={r["exclude"]: 0})
        np.testing.assert_allclose(sa.scores[r["run"]], ref.stages["Aggregated"][sa.aggregates].to_numpy(), rtol=1e-12)


# --- reproducibility ----------------------------------------------------------------------------------------

def test_seeded_runs_are_byte_identical_whatever_the_pool(asem_coin):
    factors = [{"kind": "weights", "level": 2, "noise": 0.25}, {"kind": "aggregate", "choices": ["amean", "median"]}]
    err = pd.DataFrame({"uCode": asem_coin.stages["Raw"].index, "iCode": "LPI", "se": 0.1})
    a = sensitivity(asem_coin, factors=factors, data_error=err, n=64, seed=7, jobs=1, n_boot=20)
    b = sensitivity(asem_coin, factors=factors, data_error=err, n=64, seed=7, jobs=2, n_boot=20)
    for x, y in ((a.intervals, b.intervals), (a.indices, b.indices), (a.runs, b.runs)):
        assert pickle.dumps(x) == pickle.dumps(y)
    assert a.scores.tobytes() == b.scores.tobytes()
    c = sensitivity(asem_coin, factors=factors, data_error=err, n=64, seed=8, jobs=1, n_boot=20)
    assert not np.array_equal(a.scores, c.scores)


def test_factor_specs_are_checked(asem_coin):
    with pytest.raises(ParameterError, match="kind"):
        sensitivity(asem_coin, factors=[{"kind": "weight"}], n=8)
    with pytest.raises(ParameterError, match="level"):
        sensitivity(asem_coin, factors=[{"kind": "weights", "level": 4, "noise": 0.2}], n=8)
    with pytest.raises(ParameterError, match="exclude"):
        sensitivity(asem_coin, factors=[{"kind": "exclude", "choices": ["Nope"]}], n=8)
