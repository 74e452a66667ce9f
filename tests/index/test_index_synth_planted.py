"""The planted best and worst community of `evalkit synth --extremes` come first and last, and their
rank intervals say so (no overlap with any other community)."""

from __future__ import annotations

import json
import warnings

import pytest

import evalkit
from evalkit.ranking import blocks, index


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = evalkit.synth(tmp_path_factory.mktemp("ext") / "demo", scale="demo", seed=20241, extremes=True)
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    table = evalkit.indicators(evalkit.load(path), year=2024, level="community")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = index(table, year=2024, level="community", uncertainty=300, seed=1, jobs=2)
    return path, truth, out


def test_truth_names_the_planted_communities(planted):
    path, truth, _ = planted
    assert truth["planted_best"] != truth["planted_worst"]
    com = evalkit.load(path, tables=()).tables["communities"].set_index("community_id")
    assert not com.at[truth["planted_best"], "pilot"] and not com.at[truth["planted_worst"], "pilot"]


def test_index_ranks_them_first_and_last_with_separate_intervals(planted):
    _, truth, out = planted
    top = out[out["indicator"] == "index"].set_index("unit_id")
    n = int(top["rank"].max())
    best, worst = top.loc[truth["planted_best"]], top.loc[truth["planted_worst"]]
    assert best["rank"] == 1 and worst["rank"] == n == len(top)
    others = top.drop(index=[truth["planted_best"], truth["planted_worst"]])
    # non-overlapping: the best's interval ends before any other's begins, the worst's begins after all end
    assert best["rank_high"] < others["rank_low"].min()
    assert worst["rank_low"] > others["rank_high"].max()
    b = blocks(top.reset_index())
    assert b[0] == (1, 1) and b[-1] == (n, n)
    # and every family agrees
    fam = out[out["indicator"] == "index_family"]
    assert (fam[fam["unit_id"] == truth["planted_best"]]["rank"] == 1).all()
    worst_fam = fam[fam["unit_id"] == truth["planted_worst"]]
    family_n = fam.groupby("category")["rank"].max()
    assert (worst_fam.set_index("category")["value"]
            <= fam.groupby("category")["value"].min()[worst_fam["category"]].to_numpy() + 1e-9).all()
    assert len(family_n) == 5


def test_planting_is_seeded_and_off_by_default(tmp_path):
    a = evalkit.synth(tmp_path / "a", seed=7, extremes=True)
    b = evalkit.synth(tmp_path / "b", seed=7, extremes=True)
    c = evalkit.synth(tmp_path / "c", seed=7)
    files = sorted(p.name for p in a.iterdir())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert "planted_best" not in json.loads((c / "truth.json").read_text(encoding="utf-8"))
    assert (a / "disputes.csv").read_bytes() != (c / "disputes.csv").read_bytes()
