"""Fixtures for the io tests: a tiny valid dataset of every table, written to tmp_path."""

from __future__ import annotations

import pytest

from io_helpers import TABLES, write_dataset


@pytest.fixture
def tables():
    return {k: v.copy() for k, v in TABLES.items()}


@pytest.fixture
def valid_dir(tmp_path):
    return write_dataset(tmp_path / "ds")
