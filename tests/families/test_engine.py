"""indicators(): arguments, levels, sort order, reruns, warnings, catalog, outcome_panel, docs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evalkit.exceptions import MissingTableError, ParameterError
from evalkit.families import indicators, outcome_panel
from evalkit.families._frame import COLUMNS, SORT_KEYS
from evalkit.families.catalog import catalog, catalog_markdown, catalog_text, entry, family_modules

from fam_helpers import one, small_dataset

ROOT = Path(__file__).resolve().parents[2]
MINE = ["disputes", "volunteers", "organisation"]


def test_unknown_arguments_raise_parameter_error_in_both_languages():
    ds = small_dataset()
    for kw in (dict(level="province"), dict(families=["weather"]), dict(indicators=["nope"]),
               dict(roles=["mayor"]), dict(as_of="not a date"), dict(min_n=0)):
        with pytest.raises(ParameterError) as e:
            indicators(ds, year=2024, **kw)
        assert e.value.zh != e.value.en


def test_a_folder_instead_of_a_dataset_is_a_parameter_error():
    """ek.indicators("data/sample", ...) told the researcher "'str' object has no attribute
    'has'"; now a bilingual ParameterError says to load first (regression: acceptance test)."""
    from evalkit.pilot import compare

    for call in (lambda: indicators(str(ROOT / "data" / "sample"), year=2024),
                 lambda: compare(ROOT / "data" / "sample", outcome="dispute_rate", start=2020, end=2024)):
        with pytest.raises(ParameterError) as e:
            call()
        assert "evalkit.load" in e.value.zh and "evalkit.load" in e.value.en


def test_dataset_repr_is_one_short_line():
    ds = small_dataset()
    text = repr(ds)
    assert "\n" not in text and len(text) < 400 and "communities" in text


def test_output_contract_sorted_and_rerun_identical():
    ds = small_dataset()
    a = indicators(ds, year=2024, level=["city", "community"], families=MINE)
    b = indicators(ds, year=2024, level=["community", "city"], families=MINE)
    assert list(a.columns) == list(COLUMNS)
    pd.testing.assert_frame_equal(a, b)
    key = a[SORT_KEYS].fillna("")
    assert key.equals(key.sort_values(SORT_KEYS, kind="mergesort"))
    assert not a["suppressed"].any()          # ledger indicators are never suppressed


def test_only_asked_indicators_and_levels():
    t = indicators(small_dataset(), year=2024, level="district",
                   indicators=["dispute_rate", "volunteer_active_rate"])
    assert set(t["indicator"]) == {"dispute_rate", "volunteer_active_rate"}
    assert set(t["level"]) == {"district"} and set(t["unit_id"]) == {"D1", "D2"}


def test_district_sums_not_mean_of_communities():
    t = indicators(small_dataset(), year=2024, level=["community", "district"],
                   indicators=["volunteer_registration_rate"])
    d1 = one(t, level="district", unit_id="D1")["value"]
    com = t.loc[(t["level"] == "community") & (t["district"] == "D1"), "value"]
    assert d1 == pytest.approx(100 * 4 / (320 + 500 + 1000))
    assert abs(d1 - com.mean()) > 0.05


def test_missing_table_is_warning_unless_asked_by_name():
    ds = small_dataset(volunteers=None)
    with pytest.warns(UserWarning, match="volunteers"):
        t = indicators(ds, year=2024)
    assert not t["indicator"].str.startswith("volunteer").any()
    with pytest.raises(MissingTableError) as e:
        indicators(ds, year=2024, families=["volunteers"])
    assert "志愿者名册" in str(e.value) and "volunteers" in str(e.value)


def test_catalog_complete_both_ways():
    cat = catalog()
    assert cat["id"].is_unique
    for col in ("name_zh", "name_en", "definition_zh", "definition_en", "unit", "direction", "interval"):
        assert cat[col].notna().all() and (cat[col].astype(str).str.len() > 0).all(), col
    assert set(cat["direction"]) <= {"higher_better", "lower_better", "target_band", "descriptive"}
    ds = small_dataset()
    mine = cat.loc[cat["family"].isin(MINE), "id"]
    t = indicators(ds, year=2024, families=MINE)
    assert set(t["indicator"]) <= set(cat["id"])
    computed = set(t["indicator"])
    missing = set(mine) - computed
    assert not missing
    assert entry("community_workers_per_10k")["benchmark"]["value"] == 18
    assert entry("volunteer_registration_rate")["benchmark"]["source"]
    assert entry("dispute_rate")["direction"] == "descriptive"
    with pytest.raises(ParameterError):
        entry("no_such_indicator")


def test_catalog_text_and_docs_table():
    assert "dispute_rate" in catalog_text("zh") and "Dispute rate" in catalog_text("en")
    doc = (ROOT / "docs" / "INDICATORS.md").read_text(encoding="utf-8")
    for i in catalog()["id"]:
        assert f"`{i}`" in doc, f"docs/INDICATORS.md lacks {i}: regenerate it with " \
                                "`python -m evalkit.families.catalog > docs/INDICATORS.md`"
    assert catalog_markdown().splitlines()[0] == doc.splitlines()[0]


def test_family_lookup_is_by_module_name():
    mods = family_modules()
    assert set(MINE) <= set(mods)
    for name, m in mods.items():
        assert m.FAMILY == name and callable(m.compute) and m.TABLES


def test_outcome_panel_matches_yearly_indicators():
    ds = small_dataset()
    p = outcome_panel(ds, "dispute_rate", [2023, 2024])
    assert list(p.columns) == ["community_id", "year", "value"]
    assert len(p) == 8 and p["year"].dtype == "int64"
    v = p.set_index(["community_id", "year"])["value"]
    assert v[("C1", 2024)] == pytest.approx(1000 * 4 / 150)
    assert v[("C1", 2023)] == pytest.approx(1000 * 2 / 100)
    with pytest.raises(ParameterError):
        outcome_panel(ds, "dispute_share", [2024])


def test_a_year_outside_every_table_says_so(small_ds):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = indicators(small_ds, year=1990, level="city")
    assert t["value"].isna().all()
    msgs = [str(w.message) for w in caught]
    assert any("1990" in m and "no data" in m and "早于数据开始" in m for m in msgs)
    assert any("1990" in w for w in t.attrs["warnings"])
