"""``synth(..., extremes=True)``: the planted dataset obeys the contract as the plain one does
(the contract tests of test_synth_contract re-run on it, validation with zero errors), keeps the
cross-column rules of LEDGERS.md that validation does not check yet, and differs from the plain
dataset of the same seed in the two planted communities' rows only.

How the planted communities rank is tested in tests/index/test_index_synth_planted.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit.synthetic import synth

from .synth_helpers import DEMO_SEED, TABLE_NAMES, read_csv_tables
from .test_synth_contract import (  # noqa: F401  (collected here again, on the fixtures below)
    test_columns_and_types, test_loads_and_validates, test_no_personal_data, test_rules,
)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return synth(tmp_path_factory.mktemp("extremes") / "demo", scale="demo", seed=DEMO_SEED, extremes=True)


@pytest.fixture(scope="module")
def demo(demo_path):
    return read_csv_tables(demo_path)


@pytest.fixture(scope="module")
def planted(demo_path):
    truth = json.loads((demo_path / "truth.json").read_text(encoding="utf-8"))
    return truth["planted_best"], truth["planted_worst"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return read_csv_tables(synth(tmp_path_factory.mktemp("plain") / "demo", scale="demo", seed=DEMO_SEED))


def test_only_the_planted_communities_change(demo, plain, planted):
    def others(tables, name):
        df = tables[name]
        if "community_id" in df.columns:
            keep = ~df["community_id"].isin(planted)
        elif name == "volunteer_hours":
            vol = tables["volunteers"]
            keep = ~df["volunteer_id"].isin(vol.loc[vol["community_id"].isin(planted), "volunteer_id"])
        else:
            keep = pd.Series(True, index=df.index)
        return df.loc[keep].reset_index(drop=True)

    changed = []
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(others(demo, name), others(plain, name), obj=name)
        if not demo[name].equals(plain[name]):
            changed.append(name)
    assert set(changed) == set(TABLE_NAMES) - {"survey_items", "targets"}


def test_ledger_rules(demo):
    """The cross-column rules of LEDGERS.md (docs/DATA.md), on every row, planted ones included."""
    d = demo["deliberations"]
    meeting = ["meeting_id", "community_id", "held_on", "meeting_type", "units_present"]
    assert d[meeting].fillna("").drop_duplicates()["meeting_id"].is_unique  # one meeting, one set of values
    done = d["implemented_on"].notna()
    assert (d.loc[done, "outcome"] == "agreed").all()
    assert (d.loc[done, "implemented_on"] >= d.loc[done, "held_on"]).all()  # ISO strings sort as dates
    r = demo["requests"]
    for c in ("due_on", "responded_on", "closed_on"):
        given = r[c].notna()
        assert (r.loc[given, c] >= r.loc[given, "received_on"]).all(), c
    open_ = r["closed_on"].isna()
    assert r.loc[open_, ["resolution", "satisfaction"]].isna().all().all()
    p = demo["party_members"]
    assert p.loc[p["relation"] == "reporting", "reported_on"].notna().all()
    moved = p["transferred_in_on"].notna() & p["found_on"].notna() & (p["relation"] == "floating_in")
    assert (p.loc[moved, "transferred_in_on"] >= p.loc[moved, "found_on"]).all()
    # service records within their volunteer's registration
    h = demo["volunteer_hours"].merge(demo["volunteers"], on="volunteer_id")
    assert (h["served_on"] >= h["registered_on"]).all()
    assert (h["left_on"].isna() | (h["served_on"] <= h["left_on"])).all()


def test_planted_rows(demo, planted):
    """A few of the edits the module docstring lists, read back from the files."""
    best, worst = planted
    hh = int(demo["communities"].set_index("community_id").at[best, "households"])
    v = demo["visits"]
    at_home = v.loc[(v["community_id"] == best) & (v["mode"] == "in_home") & v["visited_on"].str.startswith("2024")]
    assert at_home["household_id"].nunique() == hh
    assert not (v["community_id"] == worst).any()
    d = demo["deliberations"]
    assert not (d["community_id"] == worst).any()
    held = d.loc[(d["community_id"] == best) & d["meeting_type"].isin(["joint", "deliberation"]), "held_on"]
    assert held.str[:7].nunique() == 60  # every month of 2020-2024
    r = demo["requests"]
    assert (r.loc[r["community_id"] == best, "closed_on"] == r.loc[r["community_id"] == best, "received_on"]).all()
    assert r.loc[r["community_id"] == worst, ["closed_on", "responded_on"]].isna().all().all()
    pj = demo["projects"]
    assert not (pj["community_id"] == worst).any()
    assert (pj.loc[pj["community_id"] == best, "status"] == "completed").all()
    assert pj.loc[pj["community_id"] == best].groupby("year")["org_id"].nunique().eq(5).all()
