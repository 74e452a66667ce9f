"""Excel input templates: deterministic, Chinese headers, load as a valid empty dataset."""

from __future__ import annotations

from pathlib import Path

import evalkit
from evalkit.contract import TABLES
from evalkit.io.templates import write_templates

from io_helpers import tree_hash

COMMITTED = Path(__file__).resolve().parents[2] / "data" / "templates"


def test_templates_deterministic_and_match_committed(tmp_path):
    a = write_templates(tmp_path / "a")
    write_templates(tmp_path / "b")
    assert [p.name for p in a] == [f"{t}.xlsx" for t in TABLES]
    ha, hb = tree_hash(tmp_path / "a"), tree_hash(tmp_path / "b")
    assert ha == hb
    assert tree_hash(COMMITTED) == ha, "data/templates is stale: run python -m evalkit.io.templates"


def test_committed_templates_load_as_valid_empty_dataset():
    before = tree_hash(COMMITTED)
    ds = evalkit.load(COMMITTED)
    assert set(ds.tables) == set(TABLES)
    assert all(len(df) == 0 for df in ds.tables.values())
    assert ds.source_columns["communities"] == list(TABLES["communities"].column_names)
    rep = ds.validate()
    assert rep.ok and rep.problems == [], rep.to_text()
    assert tree_hash(COMMITTED) == before


def test_template_headers_and_instructions():
    from openpyxl import load_workbook

    wb = load_workbook(COMMITTED / "disputes.xlsx")
    assert wb.sheetnames == ["矛盾纠纷台账", "说明"]
    head = [c.value for c in wb["矛盾纠纷台账"][1]]
    assert head == [c.zh for c in TABLES["disputes"].columns]
    info = {r[0]: r for r in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert "已化解" in info["办理状态"][4] and "必填" in info["办理状态"][3]
    assert "不得早于登记日期" in info["化解日期"][3]
    edu = load_workbook(COMMITTED / "cadres.xlsx")["说明"]
    rows = {r[0]: r for r in edu.iter_rows(min_row=3, values_only=True)}
    assert rows["学历"][4].startswith("小学及以下 < 初中")


def test_filled_template_loads(tmp_path):
    """A user fills the communities template in Excel: the Chinese headers map."""
    from openpyxl import load_workbook

    d = tmp_path / "ds"
    write_templates(d)
    wb = load_workbook(d / "communities.xlsx")
    ws = wb["社区名册"]
    ws.append(["C01", "东风社区", "武汉市", "硚口区", "汉正街", "老旧小区", 1750, 4000, "否", None])
    wb.save(d / "communities.xlsx")
    ds = evalkit.load(d)
    c = ds["communities"]
    assert c["community_type"].tolist() == ["old_neighborhood"] and c["pilot"].tolist() == [False]
    assert ds.validate().ok
