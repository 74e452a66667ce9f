"""The planted best and worst community of `evalkit synth --extremes` come first and last, and their
rank intervals say so (no overlap with any other community).  In every family with a directional
indicator the best has the top score and the worst the bottom one; another community shares it
only where TIES says so, for the reason it gives, checked indicator by indicator."""

from __future__ import annotations

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import evalkit
from evalkit.families.catalog import catalog
from evalkit.ranking import blocks, index, index_inputs
from evalkit.stats.composite import build

YEAR = 2024
SEED = 20241
#: Families that have an indicator with a direction (the default tree groups by family).
_CAT = catalog()
DIRECTED = _CAT.loc[_CAT["direction"].isin(["higher_better", "lower_better"])]
FAMILIES = sorted(DIRECTED["family"].unique())

#: (family, planted) whose score another community shares at seed 20241, and how each indicator of
#: the family ties: "same value" -- the data leave no room (a share at 100 % or a count at 0 for that
#: community too); "winsorised" -- the planted value lies beyond every other, but it is a lone outlier
#: that COINr's treatment (the index's default) moves to the next value, the runner-up's;
#: "absent" -- neither has a value.
TIES = {
    # the worst resolves fewer cases, later, than any community at any scale (among 1,000 the others
    # reach a resolution rate of 0.5 and a median of 22 days; it has ~0.45 and 90), so among 60 each
    # of its three values is a lone outlier pulled to the runner-up's, and one small community (11
    # cases in 2024) is the runner-up on all three
    ("disputes", "worst"): {"dispute_resolution_rate": "winsorised", "dispute_resolved_30d": "winsorised",
                            "dispute_median_days": "winsorised"},
    # one directional indicator: the best reaches every household (100 %) where the others reach
    # 4-12 %; the treatment pulls the outlier back to the runner-up's coverage
    ("visits", "best"): {"visit_household_coverage": "winsorised"},
    # the best's five organisations are pulled back to the runner-up's two, and the runner-up
    # completed every project it was funded for in 2024, as the best did
    ("projects", "best"): {"project_orgs_funded": "winsorised", "project_completion_rate": "same value"},
    # communities are funded 0.5 projects a year on average: most have none in 2024, so no
    # organisation funded (0, as the worst) and no completion rate -- there is no room below 0
    ("projects", "worst"): {"project_orgs_funded": "same value", "project_completion_rate": "absent"},
}
#: Indicators the worst has no value for, by design: nothing to divide by.
WORST_ABSENT = {
    "volunteer_hours_per_active": "no volunteer active in the last year",
    "meeting_unit_share": "no meetings", "deliberation_implementation_rate": "no meetings",
    "request_median_days": "no request closed: the Kaplan-Meier curve never reaches 0.5",
    "hotline_resolution_rate": "no order closed, so none rated",
    "hotline_satisfaction_rate": "no order closed, so none rated",
    "hotline_satisfaction_strict": "no order closed, so none rated",
    "project_completion_rate": "no projects",
}
#: Indicators where a planted community is not beyond every other, and why.
NOT_BEYOND = {
    ("worst", "volunteer_registration_rate"):
        "population x4 divides its rate by 4, which leaves it above the least-registered community",
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = evalkit.synth(tmp_path_factory.mktemp("ext") / "demo", scale="demo", seed=SEED, extremes=True)
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    table = evalkit.indicators(evalkit.load(path), year=YEAR, level="community")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = index(table, year=YEAR, level="community", uncertainty=300, seed=1, jobs=2)
    inp = index_inputs(table, year=YEAR, level="community")
    comp = build(inp.data, inp.meta, **inp.build)  # the nominal index, with its stages
    return SimpleNamespace(path=path, best=truth["planted_best"], worst=truth["planted_worst"], out=out,
                           groups=inp.groups, comp=comp)


def test_truth_names_the_planted_communities(planted):
    assert planted.best != planted.worst
    com = evalkit.load(planted.path, tables=()).tables["communities"].set_index("community_id")
    assert not com.at[planted.best, "pilot"] and not com.at[planted.worst, "pilot"]


def test_index_ranks_them_first_and_last_with_separate_intervals(planted):
    top = planted.out[planted.out["indicator"] == "index"].set_index("unit_id")
    n = int(top["rank"].max())
    best, worst = top.loc[planted.best], top.loc[planted.worst]
    assert best["rank"] == 1 and worst["rank"] == n == len(top)
    others = top.drop(index=[planted.best, planted.worst])
    # non-overlapping: the best's interval ends before any other's begins, the worst's begins after all end
    assert best["rank_high"] < others["rank_low"].min()
    assert worst["rank_low"] > others["rank_high"].max()
    b = blocks(top.reset_index())
    assert b[0] == (1, 1) and b[-1] == (n, n)


def test_every_family_with_a_direction_is_a_group(planted):
    fam = planted.out[planted.out["indicator"] == "index_family"]
    assert sorted(fam["category"].unique()) == FAMILIES == sorted(planted.groups)
    assert len(FAMILIES) == 10


def _tie_kind(comp, code, me, other) -> str:
    raw, treated = comp.stages["Raw"], comp.stages["Treated"]
    a, b = raw.at[me, code], raw.at[other, code]
    if np.isnan(a) and np.isnan(b):
        return "absent"
    assert treated.at[me, code] == treated.at[other, code], (code, other)
    if a == b:
        return "same value"
    winsorised = comp.treatment.set_index("iCode").at[code, "winsorised"] > 0
    return "winsorised" if winsorised and raw.at[me, code] != treated.at[me, code] else "other"


@pytest.mark.parametrize("side", ["best", "worst"])
@pytest.mark.parametrize("family", FAMILIES)
def test_top_and_bottom_of_every_family(planted, family, side):
    fam = planted.out[(planted.out["indicator"] == "index_family") & (planted.out["category"] == family)]
    score = fam.set_index("unit_id")["value"].astype(float).dropna()
    me = getattr(planted, side)
    sign = 1.0 if side == "best" else -1.0
    gap = sign * (score[me] - score.drop(index=me))  # how far the planted one is ahead of each other
    assert (gap > -1e-9).all(), gap[gap <= -1e-9]
    rank = fam.set_index("unit_id")["rank"]
    assert rank[me] == (1 if side == "best" else rank.max())
    tied = gap.index[gap.abs() <= 1e-9].tolist()
    if (family, side) not in TIES:
        assert not tied, f"{family}: {side} tied with {tied}"
        return
    assert tied, f"TIES lists {family}/{side}, which no longer ties: drop it"
    for other in tied:
        kinds = {code: _tie_kind(planted.comp, code, me, other) for code in planted.groups[family]}
        assert kinds == TIES[(family, side)], other


@pytest.mark.parametrize("side", ["best", "worst"])
def test_planted_values_lie_beyond_every_other(planted, side):
    """Each indicator's raw value (before the index's treatment): the planted community's is at
    least as good (best) or as bad (worst) as every other community's."""
    raw = planted.comp.stages["Raw"]
    me = getattr(planted, side)
    absent = set(raw.columns[raw.loc[me].isna()])
    assert absent == (set(WORST_ABSENT) if side == "worst" else set())
    for code in raw.columns.difference(sorted(absent)):
        d = 1.0 if DIRECTED.set_index("id").at[code, "direction"] == "higher_better" else -1.0
        mine, others = d * raw.at[me, code], d * raw[code].drop(index=me).dropna()
        beyond = mine >= others.max() if side == "best" else mine <= others.min()
        assert beyond == ((side, code) not in NOT_BEYOND), (code, raw.at[me, code])


def test_planting_is_seeded_and_off_by_default(tmp_path):
    a = evalkit.synth(tmp_path / "a", seed=7, extremes=True)
    b = evalkit.synth(tmp_path / "b", seed=7, extremes=True)
    c = evalkit.synth(tmp_path / "c", seed=7)
    files = sorted(p.name for p in a.iterdir())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert "planted_best" not in json.loads((c / "truth.json").read_text(encoding="utf-8"))
    assert (a / "disputes.csv").read_bytes() != (c / "disputes.csv").read_bytes()
