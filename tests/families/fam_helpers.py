"""Fixtures of the indicator-family tests: small typed Datasets built in code.

``typed(table, rows)`` turns a list of dicts into a frame with the contract's
dtypes (evalkit/io/dataset.py docstring) and a ``_row`` column, for any table
of the contract (survey item columns become float64).  ``make_dataset(**tables)``
wraps them in a Dataset.  ``small_ds`` is the hand-computable dataset most
tests use; its numbers are spelled out in the comments so each expected
value can be checked by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.contract import TABLES
from evalkit.io.dataset import Dataset

_DTYPE = {"text": "str", "code": "str", "int": "Int64", "number": "float64",
          "date": "datetime64[s]", "bool": "boolean"}


def typed(table: str, rows: list[dict] | pd.DataFrame, item_ids=()) -> pd.DataFrame:
    """A frame of ``table`` with the loader's dtypes; absent columns are filled with defaults."""
    spec = TABLES[table]
    src = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
    out = pd.DataFrame(index=range(len(src)))
    for col in spec.columns:
        if col.name in src.columns:
            v = src[col.name]
        else:
            v = pd.Series([col.default] * len(src), dtype="object")
        t = _DTYPE[col.type]
        if col.type == "date":
            v = pd.to_datetime(v).astype("datetime64[s]")
        elif col.type == "bool":
            v = v.astype("object").where(v.notna(), col.default).astype("boolean")
        elif col.type == "int":
            v = pd.to_numeric(v).astype("Int64")
        elif col.type == "number":
            v = pd.to_numeric(v).astype("float64")
        else:
            v = v.astype("str").where(v.notna(), pd.NA).astype("str")
        out[col.name] = v.to_numpy() if col.type not in ("bool", "int") else v.array
        out[col.name] = out[col.name].astype(t)
    for item in item_ids:
        out[item] = pd.to_numeric(src[item]).astype("float64").to_numpy()
    out["_row"] = pd.array(np.arange(2, len(src) + 2), dtype="Int64")
    return out


def make_dataset(item_ids=(), meta=None, **tables) -> Dataset:
    """A Dataset of typed tables: ``make_dataset(communities=[...], disputes=[...])``."""
    t = {name: typed(name, rows, item_ids if name == "survey_responses" else ())
         for name, rows in tables.items() if rows is not None}
    return Dataset(path=Path("."), tables=t, meta=meta or {}, item_ids=list(item_ids))


# --- the small dataset ----------------------------------------------------------
# Districts D1 (streets S1: C1, C2; S2: C3) and D2 (street S3: C4).
COMMUNITIES = [
    dict(community_id="C1", community_name="一社区", district="D1", street="S1",
         households=100, population=300, community_type="mixed"),
    dict(community_id="C2", community_name="二社区", district="D1", street="S1",
         households=200, population=500, community_type="old_neighborhood"),
    dict(community_id="C3", community_name="三社区", district="D1", street="S2",
         households=400, population=1000, community_type="commodity_housing",
         pilot=True, pilot_start="2023-03-01"),
    dict(community_id="C4", community_name="四社区", district="D2", street="S3",
         households=300, population=800, community_type="resettlement"),
]
# 2024 overrides C1: 150 households, 320 residents.
COMMUNITY_YEARS = [
    dict(community_id="C1", year=2024, households=150, population=320,
         party_members_registered=14, party_members_floating=116, grid_workers=4),
    dict(community_id="C2", year=2024, party_members_registered=40, party_members_floating=10,
         grid_workers=2),
    dict(community_id="C3", year=2024, party_members_registered=50, party_members_floating=0,
         grid_workers=0),
]


def _case(i, com, rep, cat, status, res=None):
    return dict(case_id=f"K{i:03d}", community_id=com, reported_on=rep, category=cat,
                status=status, resolved_on=res)


# Ledger 2022-02-10 … 2024-12-20.  2024: C1 4 cases, C2 3 cases, C3 1 case, C4 none.
DISPUTES = [
    _case(1, "C1", "2022-02-10", "property", "resolved", "2022-02-20"),
    _case(2, "C2", "2023-01-15", "neighbor", "resolved", "2023-03-01"),
    _case(3, "C1", "2023-05-01", "property", "resolved", "2023-05-10"),
    _case(4, "C3", "2023-07-01", "family", "escalated"),
    _case(5, "C1", "2023-11-20", "neighbor", "resolved", "2023-12-01"),
    # --- 2024
    _case(10, "C1", "2024-01-10", "property", "resolved", "2024-01-20"),   # 10 days
    _case(11, "C1", "2024-03-05", "property", "resolved", "2024-04-04"),   # 30 days (counts)
    _case(12, "C1", "2024-06-01", "neighbor", "escalated"),
    _case(13, "C1", "2024-12-20", "property", "resolved", "2025-01-05"),   # resolved next year
    _case(14, "C2", "2024-02-01", "family", "resolved", "2024-04-01"),     # 60 days
    _case(15, "C2", "2024-05-15", "labor", "unresolved"),
    _case(16, "C2", "2024-09-01", "property", "in_progress"),
    _case(17, "C3", "2024-03-10", "property", "resolved", "2024-03-12"),   # 2 days
]

# Volunteers: C1 V1 (party), V2; C2 V3 (party, left 2023-06-30), V4; C3 V5 registered 2025.
VOLUNTEERS = [
    dict(volunteer_id="V1", community_id="C1", registered_on="2022-01-01", party_member=True),
    dict(volunteer_id="V2", community_id="C1", registered_on="2023-05-01", party_member=False),
    dict(volunteer_id="V3", community_id="C2", registered_on="2021-03-01", left_on="2023-06-30",
         party_member=True),
    dict(volunteer_id="V4", community_id="C2", registered_on="2024-02-01", party_member=False),
    dict(volunteer_id="V6", community_id="C2", registered_on="2022-02-01", left_on="2024-03-01",
         party_member=True),
    dict(volunteer_id="V5", community_id="C3", registered_on="2025-01-01", party_member=False),
]
VOLUNTEER_HOURS = [
    dict(record_id="H1", volunteer_id="V1", served_on="2023-03-01", hours=2.0, service_type="elderly"),
    dict(record_id="H2", volunteer_id="V3", served_on="2023-04-01", hours=3.0, service_type="safety"),
    dict(record_id="H3", volunteer_id="V1", served_on="2024-02-01", hours=1.5, service_type="elderly"),
    dict(record_id="H4", volunteer_id="V1", served_on="2024-07-01", hours=2.5, service_type="safety"),
    dict(record_id="H5", volunteer_id="V4", served_on="2024-08-01", hours=4.0, service_type="elderly"),
    dict(record_id="H6", volunteer_id="V6", served_on="2024-01-15", hours=1.0, service_type="culture"),
    dict(record_id="H7", volunteer_id="V6", served_on="2023-01-15", hours=1.0, service_type="culture"),
]
# Cadres: C1 terms 2021 and 2024; C2 term 2021; C3 none; C4 term 2021 (grid worker only).
CADRES = [
    dict(person_id="P1", community_id="C1", term_year=2021, role="secretary", birth_year=1970,
         education="senior_high", party_member=True, concurrent_director=True),
    dict(person_id="P2", community_id="C1", term_year=2021, role="staff", birth_year=1980,
         education="college", party_member=False),
    dict(person_id="P1", community_id="C1", term_year=2024, role="secretary", birth_year=1970,
         education="bachelor", party_member=True, concurrent_director=True,
         certified_social_worker=True),
    dict(person_id="P3", community_id="C1", term_year=2024, role="staff", birth_year=1990,
         education="college", party_member=True),
    dict(person_id="P4", community_id="C1", term_year=2024, role="grid_worker", birth_year=1995,
         education="senior_high", party_member=False),
    dict(person_id="P5", community_id="C2", term_year=2021, role="secretary", birth_year=1975,
         education="junior_high", party_member=True, concurrent_director=False),
    dict(person_id="P6", community_id="C2", term_year=2021, role="director", birth_year=1985,
         education="bachelor", party_member=True),
    dict(person_id="P7", community_id="C4", term_year=2021, role="grid_worker", birth_year=1988,
         education="college", party_member=False),
]
SURVEY_ITEMS = [
    dict(item_id="q1", text_zh="党组织", dimension="party_org"),
    dict(item_id="q2", text_zh="环境", dimension="environment", reverse=True),
    dict(item_id="q9", text_zh="总体满意度", dimension="overall"),
]
SURVEY_RESPONSES = [
    dict(respondent_id=f"R{i}", community_id=["C1", "C2", "C3"][i % 3], wave=2024,
         weight=1.0 + (i % 2), stratum=f"S{i % 2}", psu=f"P{i % 4}",
         q1=1 + i % 5, q2=1 + (i * 3) % 5, q9=1 + (i * 7) % 5)
    for i in range(24)
]
TARGETS = [dict(indicator="dispute_resolution_rate", target=0.9)]


def small_tables(**override):
    t = dict(communities=COMMUNITIES, community_years=COMMUNITY_YEARS, disputes=DISPUTES,
             volunteers=VOLUNTEERS, volunteer_hours=VOLUNTEER_HOURS, cadres=CADRES,
             survey_items=SURVEY_ITEMS, survey_responses=SURVEY_RESPONSES, targets=TARGETS)
    t.update(override)
    return t


def small_dataset(**override) -> Dataset:
    """The small dataset; pass ``table=None`` to drop a table, or rows to replace it."""
    return make_dataset(item_ids=("q1", "q2", "q9"), **small_tables(**override))


@pytest.fixture
def small_ds() -> Dataset:
    return small_dataset()


def one(df: pd.DataFrame, **where) -> pd.Series:
    """The single row of ``df`` matching ``where`` (category=None matches NA)."""
    m = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        m &= (df[k].isna() if v is None else (df[k] == v)).to_numpy(dtype=bool, na_value=False)
    sel = df.loc[m]
    assert len(sel) == 1, f"{len(sel)} rows match {where}"
    return sel.iloc[0]


# --- synthetic data (evalkit synth) ---------------------------------------------------


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """``evalkit synth --scale demo --seed 20241`` written once per test session."""
    from evalkit import synthetic

    return synthetic.synth(tmp_path_factory.mktemp("synth") / "demo", scale="demo", seed=20241)


@pytest.fixture(scope="session")
def demo_ds(demo_dir):
    from evalkit import io
    return io.load(demo_dir)


@pytest.fixture(scope="session")
def demo(demo_dir, demo_ds):
    """The session's demo dataset (``evalkit synth --scale demo --seed 20241``) and its truth.json."""
    import json

    return demo_ds, json.loads((demo_dir / "truth.json").read_text(encoding="utf-8"))


def subset(ds: Dataset, community_ids) -> Dataset:
    """The Dataset restricted to some communities (their records, hours of their volunteers)."""
    ids = set(community_ids)
    tables = {}
    for name, df in ds.tables.items():
        tables[name] = df.loc[df["community_id"].isin(ids)] if "community_id" in df.columns else df
    if "volunteer_hours" in tables and "volunteers" in tables:
        h = tables["volunteer_hours"]
        tables["volunteer_hours"] = h.loc[h["volunteer_id"].isin(set(tables["volunteers"]["volunteer_id"]))]
    return Dataset(path=ds.path, tables=tables, meta=ds.meta, item_ids=ds.item_ids)
