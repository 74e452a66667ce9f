"""Plot functions on a fabricated long table: Axes back, CJK labels, no glyph warnings."""

import warnings

import matplotlib

matplotlib.use("Agg")
import io

import pytest

import evalkit.plot as ep
from evalkit.plot import fonts


def _render_no_glyph_warning(ax):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", dpi=60)
    glyph = [str(x.message) for x in w if "missing from font" in str(x.message)]
    assert glyph == []
    assert buf.tell() > 1000


def _has_cjk(s):
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def test_font_is_static_simplified_chinese():
    info = fonts.font_info(fonts.regular_path())
    assert info["family"] == "Noto Sans SC"   # SC, not TC
    assert info["variable"] is False
    assert info["weight"] == 400
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(fonts.regular_path()), lazy=True).getBestCmap()
    for ch in "区街道社区纠纷满意度这个":   # simplified forms present
        assert ord(ch) in cmap


def test_setup_puts_cjk_first():
    import matplotlib as mpl

    assert fonts.setup() == "Noto Sans SC"
    assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans SC"


def test_deliberate_missing_glyph_is_caught():
    """The check can fail: DejaVu alone lacks CJK and matplotlib warns."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("社区", fontfamily="DejaVu Sans")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(x.message) for x in w)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dispute_trend(long_table, lang):
    ax = ep.dispute_trend(long_table, unit_id="南山区", level="district", pilot_starts=["2024-03-01"], lang=lang)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.lines) >= 3      # monthly, moving average, pilot start
    labels = ax.get_legend_handles_labels()[1]
    assert any(l.startswith("IRR") for l in labels)
    if lang == "zh":
        assert _has_cjk(ax.get_ylabel()) and "试点开始" in labels
    _render_no_glyph_warning(ax)


def test_unit_bars_sorted_with_intervals(long_table):
    ax = ep.unit_bars(long_table, indicator="dispute_rate", level="community", district="南山区",
                      period="2024", lang="zh")
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 6 and widths == sorted(widths)
    assert all(_has_cjk(t.get_text()) for t in ax.get_yticklabels())
    _render_no_glyph_warning(ax)


def test_unit_bars_share_as_percent_and_suppressed_left_out(long_table):
    ax = ep.unit_bars(long_table, indicator="satisfaction_index", level="community", district="南山区",
                      period="2024")
    assert len(ax.patches) == 4    # 2 of 6 communities suppressed in the fake table
    ax = ep.unit_bars(long_table, indicator="cadre_college_share", level="district", period="2024",
                      highlight="南山区")
    sub = long_table.query("indicator == 'cadre_college_share' and level == 'district' and period == '2024'")
    assert max(p.get_width() for p in ax.patches) == pytest.approx(100 * sub["value"].max())


def test_education_by_term_stacks_to_100(long_table):
    ax = ep.education_by_term(long_table, unit_id="南山区", level="district", lang="zh")
    n_periods = 2
    totals = {}
    for p in ax.patches:
        y = round(p.get_y(), 3)
        totals[y] = max(totals.get(y, 0), p.get_x() + p.get_width())
    assert len(totals) == n_periods
    assert all(v == pytest.approx(100) for v in totals.values())
    assert "本科" in ax.get_legend_handles_labels()[1]
    _render_no_glyph_warning(ax)


def test_satisfaction_dimensions(long_table):
    ax = ep.satisfaction_dimensions(long_table, unit_id="南山区", level="district", period="2024", lang="zh")
    assert {t.get_text() for t in ax.get_yticklabels()} == {"环境", "党组织", "物业", "平安", "服务"}
    assert len(ax.collections) >= 1     # error bars / city markers
    _render_no_glyph_warning(ax)


def test_volunteer_activity_and_yearly(long_table):
    ax = ep.volunteer_activity(long_table, unit_id="南山区", level="district", lang="zh")
    # two indicators in two units: one line per axis, never two units on one scale
    axes = ax.figure.axes
    assert len(axes) == 2 and sum(len(a.lines) for a in axes) == 2
    assert {a.get_ylabel() for a in axes} == {"每百人", "占比 (%)"}
    # the active rate (a share) is drawn in percent: 100 x the table's values
    from evalkit.plot.figures import select

    act = select(long_table, indicator="volunteer_active_rate", level="district", unit_id="南山区")
    share_ax = next(a for a in axes if a.get_ylabel() == "占比 (%)")
    import numpy as np

    np.testing.assert_allclose(sorted(share_ax.lines[0].get_ydata()), sorted(act["value"] * 100), rtol=1e-12)
    _render_no_glyph_warning(ax)


def test_bad_input_is_an_evalkit_error():
    from evalkit.exceptions import ParameterError

    with pytest.raises(ParameterError):
        ep.unit_bars([1, 2], indicator="x")


def test_unit_bars_many_units_keeps_both_ends_and_says_how_many_are_left_out(long_table):
    import numpy as np
    import pandas as pd

    base = long_table.loc[(long_table["indicator"] == "dispute_rate") & (long_table["level"] == "community")
                          & (long_table["period"] == "2024")].iloc[:1]
    rows = pd.concat([base] * 30, ignore_index=True)
    rows["unit_id"] = [f"c{i:02d}" for i in range(30)]
    rows["unit_name"] = [f"社区{i:02d}" for i in range(30)]
    rows["value"] = np.arange(30, dtype=float)
    rows["ci_low"], rows["ci_high"] = rows["value"] - 0.5, rows["value"] + 0.5
    ax = ep.unit_bars(rows, indicator="dispute_rate", level="community", period="2024", max_units=10, lang="zh")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ax.patches) == 10                                     # 5 lowest + 5 highest
    assert "社区00" in labels and "社区29" in labels and "社区15" not in labels
    assert any("20" in s and "从略" in s for s in labels)            # 30 - 10 left out, said so
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == [0, 1, 2, 3, 4, 25, 26, 27, 28, 29]             # sorted values, nothing rescaled
    _render_no_glyph_warning(ax)


def test_dispute_trend_without_fitted_irr_has_no_nan_label(long_table):
    """A unit whose trend model has no value ('no data', too short a ledger) shows no
    'IRR = nan (nan–nan)' in the legend (regression: acceptance test on a 1-year ledger)."""
    t = long_table.copy()
    irr = t["indicator"] == "dispute_trend_irr"
    t.loc[irr, ["value", "ci_low", "ci_high"]] = float("nan")
    ax = ep.dispute_trend(t, unit_id="南山区", level="district", lang="en")
    labels = ax.get_legend_handles_labels()[1]
    assert not any("nan" in l for l in labels)
    assert not any(l.startswith("IRR") for l in labels)


def test_dispute_trend_keeps_its_y_label_inside_the_figure(long_table):
    """An Axes legend anchored below the plot made constrained layout push the label off the left edge."""
    ax = ep.dispute_trend(long_table, unit_id=long_table.loc[long_table["level"] == "district",
                                                                   "unit_id"].iloc[0], level="district", lang="en")
    fig = ax.figure
    fig.canvas.draw()
    label = ax.yaxis.label.get_window_extent()
    assert label.x0 >= 0 and label.y0 >= 0 and label.y1 <= fig.bbox.y1
    assert "\n" in ax.get_ylabel() or len(ax.get_ylabel()) <= 14
