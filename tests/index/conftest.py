"""Fixtures of the composite-index tests: the sample dataset's indicator table, computed once."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_table():
    import evalkit

    ds = evalkit.load(SAMPLE)
    return evalkit.indicators(ds, year=2024, level=("community", "street", "district"))


@pytest.fixture(scope="session")
def sample_streets():
    """community_id -> street unit_id of the sample."""
    import evalkit
    from evalkit.families._frame import units

    u = units(evalkit.load(SAMPLE, tables=()), "street")
    return dict(zip(u["community_id"], u["unit_id"]))
