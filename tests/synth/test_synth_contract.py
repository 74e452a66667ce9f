"""The demo dataset obeys the contract (evalkit.contract), checked column by column."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from .synth_helpers import TABLE_NAMES

from evalkit.contract import TABLES, code_map

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_columns_and_types(demo, name):
    spec = TABLES[name]
    df = demo[name]
    extra = [c for c in df.columns if c not in spec.column_names]
    if spec.open_columns:
        assert extra == demo["survey_items"]["item_id"].tolist()
    else:
        assert extra == []
    for col in spec.columns:
        if col.name not in df.columns:
            assert not col.required, col.name
            continue
        v = df[col.name]
        if col.required:
            assert v.notna().all(), col.name
        v = v.dropna()
        if col.type == "code":
            # canonical codes only (not labels)
            assert set(v) <= set(col.codes), (col.name, set(v) - set(col.codes))
        elif col.type == "date":
            assert v.map(lambda s: bool(ISO.match(s))).all(), col.name
            pd.to_datetime(v, format="%Y-%m-%d")  # real dates
        elif col.type == "bool":
            assert set(v) <= {"true", "false"}, col.name
        elif col.type in ("int", "number"):
            x = pd.to_numeric(v)
            if col.type == "int":
                assert (x == np.floor(x)).all(), col.name
            if col.minimum is not None:
                assert ((x > col.minimum) if col.exclusive_min else (x >= col.minimum)).all(), col.name
            if col.maximum is not None:
                assert (x <= col.maximum).all(), col.name
    if spec.key:
        assert not df.duplicated(list(spec.key)).any()
    for fk in spec.foreign_keys:
        assert df[fk.column].dropna().isin(demo[fk.table][fk.ref_column]).all(), fk  # empty: no link


def test_rules(demo):
    c = demo["communities"]
    pilot = c["pilot"] == "true"
    assert c.loc[pilot, "pilot_start"].notna().all() and c.loc[~pilot, "pilot_start"].isna().all()
    d = demo["disputes"]
    res = d["status"] == "resolved"
    assert d.loc[res, "resolved_on"].notna().all()
    assert (d.loc[res, "resolved_on"] >= d.loc[res, "reported_on"]).all()  # ISO strings sort as dates
    v = demo["volunteers"]
    left = v["left_on"].notna()
    assert (v.loc[left, "left_on"] >= v.loc[left, "registered_on"]).all()
    items = demo["survey_items"]
    assert (items["dimension"] == "overall").sum() == 1
    assert set(items["dimension"]) == {"party_org", "services", "safety", "environment",
                                       "property", "participation", "overall"}
    assert 12 <= len(items) <= 16 and (items["reverse"] == "true").sum() == 1
    assert items["text_zh"].str.contains(r"[\u4e00-\u9fff]").all()
    answers = demo["survey_responses"][items["item_id"].tolist()].astype(int)
    assert set(np.unique(answers)) == {1, 2, 3, 4, 5, 9}
    cy = demo["community_years"]
    assert set(cy["year"].astype(int)) == {2020, 2021, 2022, 2023, 2024}
    assert len(cy) == len(c) * 5
    # the register holds the as-of year's households
    last = cy[cy["year"] == "2024"].set_index("community_id")["households"]
    assert (c.set_index("community_id")["households"] == last).all()
    t = demo["targets"]
    assert 3 <= len(t) <= 10 and set(t["level"].dropna()) <= {"community", "street", "district", "city"}


def test_no_personal_data(demo):
    from evalkit.contract import ID_CARD_PATTERN, MOBILE_PATTERN, PERSONAL_HEADERS

    for name, df in demo.items():
        assert not set(df.columns) & PERSONAL_HEADERS
        for col in df.columns:
            s = df[col].dropna().astype(str)
            assert not s.str.match(ID_CARD_PATTERN).any(), (name, col)
            assert not s.str.match(MOBILE_PATTERN).any(), (name, col)


def test_codes_have_labels(demo):
    # every code written is a canonical key the loader's code_map accepts
    spec = TABLES["disputes"]
    cmap = code_map(spec.column("category"))
    assert all(cmap[x] == x for x in demo["disputes"]["category"].unique())


def test_loads_and_validates(demo_path):
    """With the loader in place, the dataset loads with zero validation errors."""
    from evalkit import io
    if not hasattr(io, "load"):
        pytest.skip("evalkit.io.load not available yet")
    ds = io.load(demo_path)
    report = ds.validate()
    assert report.ok, report.to_text("en")
    assert ds.synthetic
    assert set(ds.tables) >= set(TABLE_NAMES)
