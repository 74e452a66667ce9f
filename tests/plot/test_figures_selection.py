"""Plots never draw empty or mixed axes silently (issue 11).

Each case is one a new user met with the README's own table,
``ek.indicators(ds, year=2024, level="community")`` on data/sample: the plot
either draws what was asked (one period, the unit's own level, years on the
x axis) or raises ParameterError naming what matched nothing.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

import evalkit as ek
import evalkit.plot as ep
from evalkit.exceptions import ParameterError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def sample_ds():
    return ek.load(SAMPLE)


@pytest.fixture(scope="module")
def readme_table(sample_ds):
    """The README's table: community level only (no district or city rows)."""
    return ek.indicators(sample_ds, year=2024, level="community")


def test_unit_bars_defaults_to_the_yearly_period(readme_table):
    """It mixed the yearly value with twelve monthly ones ('中间 132 个从略', names twice at 0.000)."""
    t = readme_table
    ax = ep.unit_bars(t, indicator="dispute_rate", district="东城区")
    names = [x.get_text() for x in ax.get_yticklabels()]
    yearly = t.loc[(t["indicator"] == "dispute_rate") & (t["district"] == "东城区") & (t["period"] == "2024")]
    assert len(names) == len(set(names)) == len(yearly) <= 24         # each community once, no gap row
    assert not any("从略" in n for n in names)
    widths = sorted(float(p.get_width()) for p in ax.patches)
    np.testing.assert_allclose(widths, sorted(yearly["value"]), rtol=1e-12)


def test_unit_bars_refuses_several_categories_per_unit(readme_table):
    with pytest.raises(ParameterError, match="category"):
        ep.unit_bars(readme_table, indicator="dispute_share", district="东城区")
    ax = ep.unit_bars(readme_table, indicator="dispute_share", district="东城区", category="property")
    assert len(ax.patches) == readme_table.query("district == '东城区'")["unit_id"].nunique()


def test_dispute_trend_infers_the_level_of_the_unit(readme_table):
    """unit_id="C0001" drew nothing because level defaulted to district."""
    ax = ep.dispute_trend(readme_table, unit_id="C0001")
    monthly = readme_table.query("indicator == 'dispute_rate' and unit_id == 'C0001' and period.str.len() == 7")
    assert len(monthly) == 12
    np.testing.assert_allclose(ax.lines[0].get_ydata(), monthly.sort_values("period")["value"], rtol=1e-12)


def test_a_single_year_trend_has_no_dangling_legend_entry(readme_table):
    """Twelve months give one point of a centred 12-month average: no line, so no '趋势' in the legend."""
    ax = ep.dispute_trend(readme_table, unit_id="C0001", lang="zh")
    labels = ax.get_legend_handles_labels()[1]
    assert "趋势" not in labels and "逐月" in labels
    assert sum(len(ln.get_xdata()) > 0 for ln in ax.lines) == 1      # the monthly line only


def test_yearly_trend_without_city_rows_is_an_error_naming_the_level(readme_table):
    """It drew an empty 0–1 plot."""
    with pytest.raises(ParameterError) as err:
        ep.yearly_trend(readme_table, indicators=["dispute_rate"])
    msg = str(err.value)
    assert "all" in msg and "unit_id" in msg and "C0001" in msg        # what matched nothing, and what there is


def test_volunteer_activity_for_one_year_keeps_the_year_axis(readme_table):
    """Its x axis ran from 1925 to 2125."""
    ax = ep.volunteer_activity(readme_table, unit_id="C0001")
    lo, hi = ax.get_xlim()
    assert 2023 <= lo < 2024 < hi <= 2025
    assert [x.get_text() for x in ax.get_xticklabels()] == ["2024"]
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert len(labels) == len(set(labels)) == 2


def test_unknown_unit_names_what_matched_nothing(readme_table):
    with pytest.raises(ParameterError) as err:
        ep.dispute_trend(readme_table, unit_id="C9999")
    assert "C9999" in str(err.value) and "单位" in str(err.value)
    with pytest.raises(ParameterError, match="level"):
        ep.unit_bars(readme_table, indicator="dispute_rate", level="district")


def test_a_selection_of_empty_values_is_an_error_not_an_empty_plot(readme_table):
    t = readme_table.copy()
    t.loc[t["indicator"] == "dispute_rate", ["value", "ci_low", "ci_high"]] = np.nan
    t.loc[t["indicator"] == "dispute_rate", "note"] = "no data"
    with pytest.raises(ParameterError, match="no data"):
        ep.unit_bars(t, indicator="dispute_rate", district="东城区")
    with pytest.raises(ParameterError, match="no data"):
        ep.yearly_trend(t, indicators="dispute_rate", unit_id="C0001")


def test_a_unit_at_two_levels_asks_for_the_level():
    t = pd.DataFrame({"indicator": "dispute_rate", "level": ["district", "street"], "unit_id": "东城区",
                      "unit_name": "东城区", "period": "2024", "category": None, "value": [1.0, 2.0]})
    with pytest.raises(ParameterError, match="level"):
        ep.yearly_trend(t, indicators="dispute_rate", unit_id="东城区")
    ax = ep.yearly_trend(t, indicators="dispute_rate", unit_id="东城区", level="street")
    assert list(ax.lines[0].get_ydata()) == [2.0]


def test_three_units_of_measure_are_refused_not_left_out(long_table):
    with pytest.raises(ParameterError, match="two units"):
        ep.yearly_trend(long_table, indicators=["dispute_rate", "volunteer_active_rate", "satisfaction_index"],
                        unit_id="南山区", level="district")


def test_satisfaction_reference_without_values_is_not_in_the_legend(long_table):
    t = long_table.loc[long_table["level"] != "city"]
    ax = ep.satisfaction_dimensions(t, unit_id="南山区", period="2024", lang="zh")
    assert ax.get_legend_handles_labels()[1] == ["南山区"]
    ax = ep.satisfaction_dimensions(long_table, unit_id="南山区", period="2024", lang="zh")
    assert sorted(ax.get_legend_handles_labels()[1]) == sorted(["南山区", "全市"])
