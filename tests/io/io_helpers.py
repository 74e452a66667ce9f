"""Helpers for the io tests: a tiny valid dataset of every table and a writer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

#: A tiny valid dataset (canonical headers, canonical codes).  Two districts,
#: four communities; every rule of the contract holds.
TABLES = {
    "communities": pd.DataFrame({
        "community_id": ["C01", "C02", "C03", "C04"],
        "community_name": ["东风社区", "红湖社区", "古田社区", "汉正社区"],
        "city": ["武汉市"] * 4,
        "district": ["硚口区", "硚口区", "南山区", "南山区"],
        "street": ["汉正街", "汉正街", "南头街道", "南头街道"],
        "community_type": ["old_neighborhood", "commodity_housing", "resettlement", "mixed"],
        "households": [1750, 2991, 1200, 800],
        "population": [4000, 10108, 3000, 2100],
        "pilot": ["true", "false", "true", "false"],
        "pilot_start": ["2021-01-01", "", "2022-07-01", ""],
    }),
    "community_years": pd.DataFrame({
        "community_id": ["C01", "C01", "C02"],
        "year": [2023, 2024, 2024],
        "households": [1700, 1750, 2991],
        "population": [3900, 4000, 10108],
        "party_members_registered": [98, 100, 14],
        "party_members_floating": [5, 6, 116],
        "grid_workers": [4, 4, 6],
    }),
    "disputes": pd.DataFrame({
        "case_id": ["D1", "D2", "D3", "D4"],
        "community_id": ["C01", "C02", "C03", "C04"],
        "reported_on": ["2024-01-05", "2024-02-01", "2024-03-01", "2024-03-09"],
        "category": ["property", "neighbor", "family", "other"],
        "source": ["grid", "hotline", "visit", ""],
        "status": ["resolved", "in_progress", "resolved", "unresolved"],
        "resolved_on": ["2024-01-20", "", "2024-03-02", ""],
        "method": ["mediation", "", "grid", ""],
    }),
    "volunteers": pd.DataFrame({
        "volunteer_id": ["V1", "V2", "V3"],
        "community_id": ["C01", "C02", "C03"],
        "registered_on": ["2020-05-01", "2021-06-01", "2022-01-01"],
        "left_on": ["", "2023-01-01", ""],
        "birth_year": [1960, 1985, 1999],
        "gender": ["female", "male", "female"],
        "party_member": ["1", "0", ""],
    }),
    "volunteer_hours": pd.DataFrame({
        "record_id": ["R1", "R2", "R3", "R4"],
        "volunteer_id": ["V1", "V1", "V2", "V3"],
        "served_on": ["2024-01-01", "2024-02-01", "2022-03-01", "2024-05-05"],
        "hours": [2.5, 3, 1, 24],
        "service_type": ["elderly", "safety", "culture", "other"],
    }),
    "cadres": pd.DataFrame({
        "person_id": ["P1", "P1", "P2", "P3"],
        "community_id": ["C01", "C01", "C02", "C03"],
        "term_year": [2018, 2021, 2021, 2021],
        "role": ["secretary", "secretary", "director", "staff"],
        "birth_year": [1970, 1970, 1980, 1990],
        "gender": ["male", "male", "female", "female"],
        "education": ["college", "bachelor", "senior_high", "postgraduate"],
        "party_member": ["true", "true", "false", "true"],
        "certified_social_worker": ["false", "true", "", "true"],
        "concurrent_director": ["true", "true", "", ""],
    }),
    "survey_items": pd.DataFrame({
        "item_id": ["q1", "q2", "q_overall"],
        "text_zh": ["党组织服务", "环境卫生", "总体满意度"],
        "text_en": ["Party services", "Environment", "Overall"],
        "dimension": ["party_org", "environment", "overall"],
        "scale_min": [1, 1, 1],
        "scale_max": [5, 5, 5],
        "reverse": ["false", "false", "false"],
    }),
    "survey_responses": pd.DataFrame({
        "respondent_id": ["S1", "S2", "S3", "S4"],
        "community_id": ["C01", "C01", "C02", "C03"],
        "wave": [2024, 2024, 2024, 2024],
        "weight": [1.5, 1.5, 2.0, 1.0],
        "stratum": ["A", "A", "B", "B"],
        "psu": ["C01", "C01", "C02", "C03"],
        "q1": [5, 4, 3, 2],
        "q2": [4, 4, 2, 1],
        "q_overall": [5, 3, 3, 2],
    }),
}


def write_dataset(folder: Path, fmt: str = "csv", *, encoding: str = "utf-8",
                  tables: dict[str, pd.DataFrame] | None = None, drop=()) -> Path:
    """Write ``tables`` (default: the valid dataset) to ``folder`` in ``fmt``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {k: v.copy() for k, v in (tables or TABLES).items() if k not in drop}
    for name, df in tables.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
        elif fmt == "xlsx":
            df.to_excel(folder / f"{name}.xlsx", index=False)
        elif fmt == "parquet":
            df.astype({c: "str" for c in df.columns if df[c].dtype == object}).to_parquet(
                folder / f"{name}.parquet", index=False)
        else:  # pragma: no cover
            raise ValueError(fmt)
    return folder


def tree_hash(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (to prove the loader writes nothing)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


