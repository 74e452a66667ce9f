"""Invariants of build() as property tests (hypothesis), with outlier treatment off.

Each property holds for any data and tree; the tolerance for values that
should be equal after different floating-point paths is 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.stats.composite import build, contributions

RTOL = 1e-9
# derandomize: the same examples on every run (a CI failure can be rerun); database=None: no .hypothesis folder
SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def indices(draw, *, min_units=4):
    """A random index: units x indicators (some missing), 1-3 groups, weights, directions."""
    n_ind = draw(st.integers(2, 6))
    n_units = draw(st.integers(min_units, 12))
    n_groups = draw(st.integers(1, min(3, n_ind)))
    group = [k % n_groups for k in range(n_ind)]
    group = draw(st.permutations(group))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(draw(st.floats(-50, 50)), draw(st.floats(0.5, 30)), size=(n_units, n_ind))
    if draw(st.booleans()):
        x[rng.random(x.shape) < 0.15] = np.nan
    # every indicator keeps at least two distinct values (a constant one is left out by design)
    for j in range(n_ind):
        x[:2, j] = [j + 1.0, -j - 2.0]
    codes = [f"x{j}" for j in range(n_ind)]
    data = pd.DataFrame(x, columns=codes)
    data.insert(0, "uCode", [f"u{k:02d}" for k in range(n_units)])
    weights = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=n_ind + n_groups,
                            max_size=n_ind + n_groups))
    directions = draw(st.lists(st.sampled_from([-1, 1]), min_size=n_ind, max_size=n_ind))
    meta = pd.DataFrame({
        "iCode": codes + [f"g{k}" for k in range(n_groups)] + ["Index"],
        "Level": [1] * n_ind + [2] * n_groups + [3],
        "Parent": [f"g{g}" for g in group] + ["Index"] * n_groups + [None],
        "Direction": directions + [1] * (n_groups + 1),
        "Weight": weights + [1.0],
        "Type": ["Indicator"] * n_ind + ["Aggregate"] * (n_groups + 1),
    })
    return data, meta


@SETTINGS
@given(indices())
def test_weights_sum_to_one_per_parent_and_overall(idx):
    data, meta = idx
    comp = build(data, meta)
    w = comp.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    # within each group the effective weights, divided by the group's share, sum to 1
    parent = comp.meta.set_index("iCode")["Parent"]
    for g, part in w.groupby(parent[w.index]):
        share = comp.meta.set_index("iCode")["Weight"]
        groups = comp.meta[comp.meta["Level"] == 2]
        g_share = share[g] / share[groups["iCode"]].sum()
        assert part.sum() / g_share == pytest.approx(1.0, abs=1e-12)
    # with missing values the weights are rescaled over the children present: the
    # contributions of every unit add up to its index
    c = contributions(comp)
    idx_ = comp.stages["Aggregated"]["Index"]
    np.testing.assert_allclose(c.sum(axis=1, min_count=1), idx_, rtol=RTOL, atol=1e-9)


@SETTINGS
@given(indices(), st.data())
def test_negating_an_indicator_and_flipping_its_direction_changes_nothing(idx, extra):
    data, meta = idx
    j = extra.draw(st.integers(0, int((meta["Level"] == 1).sum()) - 1))
    code = f"x{j}"
    data2, meta2 = data.copy(), meta.copy()
    data2[code] = -data2[code]
    meta2.loc[meta2["iCode"] == code, "Direction"] *= -1
    a = build(data, meta).stages["Aggregated"]
    b = build(data2, meta2).stages["Aggregated"]
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=RTOL, atol=1e-9)


@SETTINGS
@given(indices(), st.data(), st.sampled_from(["amean", "gmean"]))
def test_raising_a_higher_better_value_never_lowers_the_index(idx, extra, method):
    data, meta = idx
    n_ind = int((meta["Level"] == 1).sum())
    j = extra.draw(st.integers(0, n_ind - 1))
    u = extra.draw(st.integers(0, len(data) - 1))
    code = f"x{j}"
    meta.loc[meta["iCode"] == code, "Direction"] = 1
    if np.isnan(data.at[u, code]):
        data.at[u, code] = 0.0
    bump = extra.draw(st.floats(0.01, 100))
    raised = data.copy()
    raised.at[u, code] = data.at[u, code] + bump
    kw = {"aggregate": method, "normalise_params": {"l_u": (1, 100)}}  # gmean needs positive values
    before = build(data, meta, **kw).stages["Aggregated"]["Index"].iloc[u]
    after = build(raised, meta, **kw).stages["Aggregated"]["Index"].iloc[u]
    assert after >= before - 1e-9 * abs(before)


@SETTINGS
@given(indices(), st.floats(0.01, 1000), st.floats(-1e4, 1e4))
def test_positive_affine_rescaling_leaves_minmax_scores_unchanged(idx, a, b):
    data, meta = idx
    scaled = data.copy()
    cols = [c for c in data.columns if c != "uCode"]
    scaled[cols] = a * scaled[cols] + b
    x = build(data, meta).stages["Aggregated"]
    y = build(scaled, meta).stages["Aggregated"]
    np.testing.assert_allclose(x.to_numpy(), y.to_numpy(), rtol=1e-7, atol=1e-7)


@SETTINGS
@given(indices(), st.randoms(use_true_random=False))
def test_permuting_units_permutes_outputs(idx, rnd):
    data, meta = idx
    order = list(range(len(data)))
    rnd.shuffle(order)
    a = build(data, meta)
    b = build(data.iloc[order].reset_index(drop=True), meta)
    np.testing.assert_allclose(b.stages["Aggregated"].loc[a.stages["Aggregated"].index].to_numpy(),
                               a.stages["Aggregated"].to_numpy(), rtol=RTOL, atol=1e-9)
    assert b.ranks.loc[a.ranks.index].equals(a.ranks)


@SETTINGS
@given(indices(min_units=5), st.sampled_from(["amean", "gmean", "hmean", "median"]))
def test_a_unit_with_every_indicator_missing_gets_na(idx, method):
    data, meta = idx
    cols = [c for c in data.columns if c != "uCode"]
    data.loc[len(data) - 1, cols] = np.nan
    comp = build(data, meta, aggregate=method, normalise_params={"l_u": (1, 100)})
    last = data["uCode"].iloc[-1]
    agg = comp.stages["Aggregated"]
    assert agg.loc[last].isna().all()
    assert comp.ranks.loc[last].isna().all()
    # every other unit with at least one indicator has a score
    has_any = data.set_index("uCode")[cols].notna().any(axis=1)
    assert agg.loc[has_any[has_any].index, "Index"].notna().all()
