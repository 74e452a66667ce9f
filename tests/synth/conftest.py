"""Fixtures of the synthetic-data tests: one demo dataset per session (about 1 s)."""

from __future__ import annotations

import json

import pytest
from .synth_helpers import DEMO_SEED, read_csv_tables

from evalkit.synthetic import synth


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    return synth(tmp_path_factory.mktemp("synth") / "demo", scale="demo", seed=DEMO_SEED)


@pytest.fixture(scope="session")
def demo(demo_path):
    return read_csv_tables(demo_path)


@pytest.fixture(scope="session")
def truth(demo_path):
    return json.loads((demo_path / "truth.json").read_text(encoding="utf-8"))
