"""build() against COINr 1.1.14: its example index (ASEM) stage by stage, and its vignettes' numbers.

References (tests/data/coinr-asem/, see its README and tests/data/PROVENANCE.md):
* example_coin_<stage>.csv: COINr's own ``build_example_coin()`` at 17 significant digits;
* the ``results`` article's table (2 decimals), the ``treat`` article's skewness and kurtosis
  (7 significant digits as R prints them), the ``sensitivity`` article's ``remove_elements``
  mean absolute rank changes (7 significant digits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sstats

from evalkit.stats.composite import build, kurt, rebuild, skew

ASEM = Path(__file__).resolve().parents[1] / "data" / "coinr-asem"
STAGES = ("Raw", "Denominated", "Imputed", "Screened", "Treated", "Normalised", "Aggregated")
# COINr's stages are written at 17 significant digits; evalkit sums in a different order
# (pairwise, double precision; R accumulates in long double): 1e-9 relative is the bound.
RTOL = 1e-9
# R prints 7 significant digits: half a unit in the 7th digit of values of order 0.1-10
PRINTED = 5e-7


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(ASEM / name, keep_default_na=False, na_values=["NA", ""])


@pytest.fixture(scope="module")
def asem():
    return _read("ASEM_iData.csv"), _read("ASEM_iMeta.csv")


@pytest.fixture(scope="module")
def example_coin(asem):
    # COINr's build_example_coin(): Denominate; Impute(f_i = "i_mean_grp", use_group = "EurAsia_group");
    # Screen(dat_thresh = 0.9, unit_screen = "byNA"); Treat(winmax = 5); Normalise(n_minmax, c(0, 100));
    # Aggregate(a_amean)
    data, meta = asem
    return build(data, meta, denominate=True, impute="mean_group", impute_group="EurAsia_group", screen=0.9,
                 treat="coinr", winmax=5, normalise="minmax", normalise_params={"l_u": (0, 100)},
                 aggregate="amean")


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_equals_coinr(example_coin, stage):
    ref = _read(f"example_coin_{stage}.csv").set_index("uCode")
    mine = example_coin.stages[stage]
    assert sorted(mine.index) == sorted(ref.index)
    assert sorted(mine.columns) == sorted(ref.columns)
    a = mine.loc[ref.index, ref.columns].to_numpy(dtype=float)
    b = ref.to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=0)


def test_index_and_ranks_equal_coinr(example_coin):
    ref = _read("example_coin_Aggregated.csv").set_index("uCode")
    aggs = ["Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin", "Conn", "Sust",
            "Index"]
    for a in aggs:
        np.testing.assert_allclose(example_coin.stages["Aggregated"].loc[ref.index, a], ref[a], rtol=RTOL)
        # COINr's rank_df: rank(-x, ties.method = "min", na.last = "keep"), applied to COINr's own scores
        expected = sstats.rankdata(-ref[a].to_numpy(), method="min")
        assert example_coin.ranks.loc[ref.index, a].tolist() == expected.astype(int).tolist(), a
    assert str(example_coin.ranks["Index"].dtype) == "Int64"


def test_published_results_table(example_coin):
    # COINr article "results": get_results(coin, dset = "Aggregated", tab_type = "Aggs") |> head()
    published = """
    uCode Rank Index  Conn  Sust Physical ConEcFin Political Instit   P2P Environ Social SusEcFin
    CHE    1 68.38 62.79 73.98    63.41    32.87     74.78  85.94 56.93   77.21  87.85    56.88
    NLD    2 64.82 61.94 67.70    64.87    46.62     84.55  71.74 41.92   58.73  86.58    57.78
    DNK    3 64.80 57.10 72.51    50.52    30.43     78.13  75.35 51.04   69.83  86.40    61.29
    NOR    4 64.47 57.44 71.50    58.18    25.70     80.03  89.46 33.80   70.90  87.00    56.59
    BEL    5 63.54 63.99 63.09    71.97    48.22     80.84  75.60 43.32   53.01  86.17    50.09
    SWE    6 63.00 53.87 72.12    51.51    23.87     80.98  74.51 38.50   66.37  87.74    62.27
    """
    rows = [line.split() for line in published.strip().splitlines()]
    tab = pd.DataFrame(rows[1:], columns=rows[0]).set_index("uCode")
    agg = example_coin.stages["Aggregated"]
    for u, r in tab.iterrows():
        assert int(example_coin.ranks.at[u, "Index"]) == int(r["Rank"])
        for col in tab.columns[1:]:
            assert round(agg.at[u, col], 2) == pytest.approx(float(r[col]), abs=1e-9), (u, col)


def test_treat_vignette_vector():
    # COINr article "treat": x <- c(1:10, 30, 100); skew(x) 3.063241, kurt(x) 9.741391;
    # Treat(x, f1 = "winsorise", f1_para = list(winmax = 2)) winsorises one point ->
    # check_SkewKurt(l_treat$x): Skew 1.712038, Kurt 1.815781
    x = [*range(1, 11), 30, 100]
    assert skew(x) == pytest.approx(3.063241, abs=PRINTED)
    assert kurt(x) == pytest.approx(9.741391, abs=PRINTED)
    data = pd.DataFrame({"uCode": [f"u{i}" for i in range(12)], "x": np.asarray(x, dtype=float)})
    meta = pd.DataFrame({"iCode": ["x", "I"], "Level": [1, 2], "Parent": ["I", None], "Direction": [1, 1],
                         "Weight": [1, 1], "Type": ["Indicator", "Aggregate"]})
    t = build(data, meta, treat="coinr", winmax=2).treatment.iloc[0]
    assert t["transform"] == "winsorise" and t["winsorised"] == 1
    assert t["skew_after"] == pytest.approx(1.712038, abs=PRINTED)
    assert t["kurtosis_after"] == pytest.approx(1.815781, abs=PRINTED)


# COINr article "treat", coin$Analysis$Treated$Dets_Table on the Raw ASEM data (head(10)):
# iCode, skew, kurt before; then (winsorise.nwin, skew, kurt after f1) or the log_CT check.
DEFAULT = {  # Treat(coin, dset = "Raw")
    "LPI": (-0.3042681, -0.6567514, 0, "none", None, None),
    "Flights": (2.1032872, 4.5088794, 1, "winsorise", 1.900658, 3.336065),
    "Ship": (-0.5756680, -0.6814795, 0, "none", None, None),
    "Bord": (2.1482360, 5.7914905, 1, "winsorise", 1.899211, 4.346298),
    "Elec": (2.2252736, 5.7910268, 1, "winsorise", 1.717744, 2.586062),
    "Gas": (2.8294486, 10.3346494, 1, "winsorise", 1.602518, 1.525576),
    "Goods": (2.6499733, 8.2666095, 2, "winsorise", 1.140608, 0.1572047),  # Treat(df1) with Goods: nwin 2
}


def test_treat_vignette_asem_default(asem):
    data, meta = asem
    t = build(data, meta, treat="coinr", winmax=5).treatment.set_index("iCode")
    for code, (sk, kt, nwin, how, sk1, kt1) in DEFAULT.items():
        r = t.loc[code]
        assert r["skew"] == pytest.approx(sk, abs=PRINTED) and r["kurtosis"] == pytest.approx(kt, abs=PRINTED)
        assert (r["winsorised"], r["transform"]) == (nwin, how), code
        if sk1 is not None:
            assert r["skew_after"] == pytest.approx(sk1, abs=PRINTED)
            assert r["kurtosis_after"] == pytest.approx(kt1, abs=PRINTED)


def test_treat_vignette_asem_needs_log(asem):
    # Treat(coin, dset = "Raw", global_specs = list(f1_para = list(winmax = 1))): Goods still fails after one
    # point (check_SkewKurt1: 2.469910, 7.087309) and is log-transformed: check_SkewKurt2 0.03104001, -0.8888965.
    # indiv_specs = list(Flights = list(f1_para = list(winmax = 0))): Flights log_CT -> -0.09502644, -0.8305217.
    data, meta = asem
    t1 = build(data, meta, treat="coinr", winmax=1).treatment.set_index("iCode")
    assert t1.at["Goods", "transform"] == "log_CT" and t1.at["Goods", "winsorised"] == 0
    assert t1.at["Goods", "skew_after"] == pytest.approx(0.03104001, abs=5e-9)
    assert t1.at["Goods", "kurtosis_after"] == pytest.approx(-0.8888965, abs=PRINTED)
    assert t1.at["Flights", "transform"] == "winsorise"  # one point was enough for Flights
    t0 = build(data, meta, treat="coinr", winmax=0).treatment.set_index("iCode")
    assert t0.at["Flights", "transform"] == "log_CT"
    assert t0.at["Flights", "skew_after"] == pytest.approx(-0.09502644, abs=5e-9)
    assert t0.at["Flights", "kurtosis_after"] == pytest.approx(-0.8305217, abs=PRINTED)
    # log_CT: log(x - min + 0.01 (max - min)) of the original values
    x = data["Goods"].to_numpy(dtype=float)
    expected = np.log(x - np.nanmin(x) + 0.01 * (np.nanmax(x) - np.nanmin(x)))
    np.testing.assert_allclose(build(data, meta, treat="coinr", winmax=1).stages["Treated"]["Goods"].to_numpy(),
                               expected, rtol=1e-12)


def test_remove_pillars_mean_absolute_rank_change(example_coin):
    # COINr article "sensitivity": remove_elements(coin, Level = 2, dset = "Aggregated", iCode = "Index")
    # $MeanAbsDiff -- each pillar's weight set to 0 in turn, the coin regenerated
    published = {"Physical": 1.529412, "ConEcFin": 2.627451, "Political": 2.901961, "Instit": 1.176471,
                 "P2P": 1.686275, "Environ": 3.098039, "Social": 3.960784, "SusEcFin": 2.627451}
    nominal = example_coin.ranks["Index"]
    for pillar, value in published.items():
        removed = rebuild(example_coin, weights={pillar: 0})
        assert (removed.ranks["Index"] - nominal).abs().mean() == pytest.approx(value, abs=PRINTED), pillar


def test_weights_are_effective_and_sum_to_one(example_coin):
    w = example_coin.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    # ASEM: equal weights; Conn has 5 pillars, Sust 3; Physical has 8 indicators
    assert w["LPI"] == pytest.approx(0.5 / 5 / 8, rel=1e-12)
    agg = example_coin.stages["Aggregated"]
    recon = (agg[w.index] * w).sum(axis=1)  # complete data after imputation: the index is the weighted sum
    np.testing.assert_allclose(recon, agg["Index"], rtol=1e-12)
