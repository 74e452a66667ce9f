"""Shared helpers of the synthetic-data tests (a uniquely named module, imported by the tests)."""

from __future__ import annotations

import pandas as pd

DEMO_SEED = 20241
TABLE_NAMES = ("communities", "community_years", "disputes", "volunteers", "volunteer_hours",
               "cadres", "survey_responses", "survey_items", "targets", "deliberations", "requests",
               "visits", "party_members", "projects")


def read_csv_tables(path) -> dict[str, pd.DataFrame]:
    """Read every table of a CSV dataset as text (no type guessing)."""
    return {n: pd.read_csv(path / f"{n}.csv", encoding="utf-8-sig", dtype=str,
                           keep_default_na=False, na_values=[""])
            for n in TABLE_NAMES}
