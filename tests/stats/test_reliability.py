"""Cronbach's alpha against pingouin (documented values and frozen runs)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import DataError, ParameterError
from evalkit.stats.reliability import cronbach_alpha

DATA = Path(__file__).resolve().parents[1] / "data"

# Tolerances: alpha is a closed form, compared to pingouin's full-precision
# float at 1e-12; pingouin rounds its interval to 3 decimals, so the interval
# is compared at 5e-4 (half a unit in the third decimal).
TOL_ALPHA = 1e-12
TOL_CI = 5e-4 + 1e-12


def test_pingouin_documented_example():
    # pingouin docs, cronbach_alpha: pg.cronbach_alpha(data=pg.read_dataset('cronbach_alpha'),
    #   items='Items', scores='Scores', subject='Subj') -> (0.592, [0.195, 0.84])
    # full precision from pingouin 0.7.0, same call: 0.5917188485995825
    d = pd.read_csv(DATA / "cronbach_alpha_wide.csv")
    r = cronbach_alpha(d)
    assert r.shape[0] == 1
    assert r["alpha"].iloc[0] == pytest.approx(0.5917188485995825, abs=TOL_ALPHA)
    assert r["ci_low"].iloc[0] == pytest.approx(0.195, abs=TOL_CI)
    assert r["ci_high"].iloc[0] == pytest.approx(0.84, abs=TOL_CI)
    assert int(r["n"].iloc[0]) == 15 and int(r["k"].iloc[0]) == 10


def test_listwise_missing_matches_pingouin_on_complete_cases():
    # pingouin 0.7.0: pg.cronbach_alpha(data.dropna()) on pingouin's
    # 'cronbach_wide_missing' -> (0.8016949152542373, [0.533, 0.947]).
    # (pg.cronbach_alpha(data, nan_policy='listwise') gives the same alpha
    # but [0.581, 0.933]: it keeps n = 12 rows before deletion for the
    # F degrees of freedom; evalkit uses the 9 complete cases.)
    d = pd.read_csv(DATA / "cronbach_wide_missing.csv", encoding="utf-8-sig")
    r = cronbach_alpha(d)
    assert r["alpha"].iloc[0] == pytest.approx(0.8016949152542373, abs=TOL_ALPHA)
    assert r["ci_low"].iloc[0] == pytest.approx(0.533, abs=TOL_CI)
    assert r["ci_high"].iloc[0] == pytest.approx(0.947, abs=TOL_CI)
    assert int(r["n"].iloc[0]) == 9


# pingouin 0.7.0, per community: pg.cronbach_alpha(sub.dropna().drop(columns='community_id'))
# on tests/data/cronbach_groups.csv
PINGOUIN_GROUPS = {
    "C01": (0.7190431519699814, 0.553, 0.836, 40),
    "C02": (0.5311853002070394, 0.117, 0.786, 21),
    "C03": (0.8287292817679558, 0.732, 0.898, 43),
    "C04": (-0.1412918108419836, -1.627, 0.625, 12),
}


def test_by_group_matches_pingouin_per_group():
    d = pd.read_csv(DATA / "cronbach_groups.csv")
    r = cronbach_alpha(d, items=[f"item{i}" for i in range(1, 6)], by="community_id")
    assert list(r.columns) == ["community_id", "alpha", "ci_low", "ci_high", "n", "k"]
    assert list(r["community_id"]) == sorted(PINGOUIN_GROUPS)
    for _, row in r.iterrows():
        a, lo, hi, n = PINGOUIN_GROUPS[row["community_id"]]
        assert row["alpha"] == pytest.approx(a, abs=TOL_ALPHA)
        assert row["ci_low"] == pytest.approx(lo, abs=TOL_CI)
        assert row["ci_high"] == pytest.approx(hi, abs=TOL_CI)
        assert row["n"] == n and row["k"] == 5


def test_items_default_excludes_by_and_pooled_value():
    d = pd.read_csv(DATA / "cronbach_groups.csv")
    r = cronbach_alpha(d)  # community_id is text, so only the items are used
    # pingouin 0.7.0: pg.cronbach_alpha(d.dropna().drop(columns='community_id'))
    # -> (0.7258751920860547, [0.638, 0.798]), 116 complete cases
    assert r["alpha"].iloc[0] == pytest.approx(0.7258751920860547, abs=TOL_ALPHA)
    assert r["ci_low"].iloc[0] == pytest.approx(0.638, abs=TOL_CI)
    assert r["ci_high"].iloc[0] == pytest.approx(0.798, abs=TOL_CI)
    assert r["n"].iloc[0] == 116


def test_degenerate_groups_are_nan():
    d = pd.DataFrame({"g": ["a", "a", "b", "b", "b"],
                      "x": [1, 2, 3, 3, 3], "y": [2, 1, 3, 3, 3]})
    r = cronbach_alpha(d, items=["x", "y"], by="g").set_index("g")
    # group a: total score constant (3, 3) -> undefined; group b: no variance at all
    assert np.isnan(r.loc["a", "alpha"]) and np.isnan(r.loc["b", "ci_low"])
    one = cronbach_alpha(d.iloc[:1], items=["x", "y"])
    assert np.isnan(one["alpha"].iloc[0]) and one["n"].iloc[0] == 1


def test_bad_input_messages_are_bilingual():
    d = pd.DataFrame({"x": [1, 2], "y": [2, 3]})
    with pytest.raises(ParameterError, match="至少需要两个"):
        cronbach_alpha(d, items=["x"])
    with pytest.raises(DataError, match="no column `z`"):
        cronbach_alpha(d, items=["x", "z"])
    with pytest.raises(DataError, match="数值"):
        cronbach_alpha(d.assign(s=["a", "b"]), items=["x", "s"])
    with pytest.raises(ParameterError, match="level"):
        cronbach_alpha(d, level=95)



@pytest.mark.parametrize("v", [100 * (2 - 1) / (4 - 1), 100 * 5 / 6, 0.1, 100 / 9])
@pytest.mark.parametrize("n", [7, 10, 23])
def test_constant_items_on_a_scored_scale_are_nan(v, n):
    """Items scored 100·(x−min)/(max−min) are constant at values such as 33.33…: the group
    mean is then not exact, and the total's variance is rounding noise (≈1e-28), not a
    variance -- alpha is undefined (NaN), as for exactly constant items."""
    df = pd.DataFrame({"q1": [v] * n, "q2": [v] * n, "q3": [2 * v] * n})
    r = cronbach_alpha(df)
    assert np.isnan(r["alpha"].iloc[0]) and np.isnan(r["ci_low"].iloc[0])
    # a tiny but real variance still gives alpha
    df.loc[0, "q1"] = v + 1e-3
    df.loc[0, "q2"] = v + 1e-3
    assert np.isfinite(cronbach_alpha(df)["alpha"].iloc[0])
