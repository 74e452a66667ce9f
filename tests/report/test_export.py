"""Export, text, sections, manifest: fast tests without a kernel."""

import json
import re

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from evalkit.exceptions import ReportError
from evalkit import labels as text
from evalkit.report import export, manifest, sections
from evalkit.report.batch import safe_name

HOSTILE = "<script>alert(1)</script>"


def _nb(*htmls, stderr=None):
    cells = [new_code_cell("data_dir = 'x'", metadata={"tags": ["parameters"]}),
             new_code_cell("district = 'SECRET_PARAM'", metadata={"tags": ["injected-parameters"]},
                           outputs=[new_output("stream", name="stdout", text="SECRET_PARAM")])]
    for h in htmls:
        cells.append(new_code_cell("print('CODE_SHOULD_NOT_SHOW')",
                                   outputs=[new_output("display_data", data={"text/html": h})]))
    if stderr:
        cells.append(new_code_cell("x", outputs=[new_output("stream", name="stderr", text=stderr)]))
    return new_notebook(cells=cells)


def _page(**kw):
    from IPython.display import HTML  # noqa: F401

    h = sections.heading(HOSTILE).data + "<p>社区治理 满意度</p>"
    return export.html_from_notebook(_nb(h), title=HOSTILE, generated="2024-01-01 00:00", **kw)


def test_html_offline_no_code_escaped_and_font_subset():
    page = _page(synthetic=True)
    # no resource loaded from the internet: no src/href/url() to http(s)
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*https?://', page, re.I)
    assert not re.search(r'url\(\s*["\']?https?://', page, re.I)
    assert "<script" not in page.lower()          # no script at all, hostile name escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "CODE_SHOULD_NOT_SHOW" not in page and "SECRET_PARAM" not in page
    assert "示例数据 · synthetic data" in page and 'class="synthetic-banner"' in page
    m = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", page)
    assert m, "font subset embedded as a WOFF data URI"
    import base64
    import io

    from fontTools.ttLib import TTFont

    data = base64.b64decode(m.group(1))
    assert len(data) < 1_000_000       # the full OTF is ~8 MB
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert ord("治") in cmap and ord("满") in cmap
    assert ord("鑫") not in cmap       # a glyph the page does not use
    assert len(cmap) < 400


def test_html_not_synthetic_has_no_banner_and_is_deterministic():
    a, b = _page(synthetic=False), _page(synthetic=False)
    assert 'class="synthetic-banner"' not in a and "示例数据 · synthetic data" not in a
    assert a == b


def test_glyph_warning_fails_the_report():
    nb = _nb("<p>x</p>", stderr="UserWarning: Glyph 31038 (\\N{CJK UNIFIED IDEOGRAPH-793E}) missing from font(s) DejaVu Sans.")
    assert export.glyph_warnings(nb)
    with pytest.raises(ReportError):
        export.html_from_notebook(nb, title="t")


def test_atomic_write_leaves_no_temp(tmp_path):
    p = export.atomic_write(tmp_path / "a.html", "内容")
    assert p.read_text(encoding="utf-8") == "内容"
    assert [x.name for x in tmp_path.iterdir()] == ["a.html"]


def test_pdf_offline(tmp_path):
    pytest.importorskip("weasyprint")
    p = export.to_pdf(_page(synthetic=True), tmp_path / "r.pdf")
    data = p.read_bytes()
    assert data.startswith(b"%PDF") and len(data) < 1_500_000


def test_xlsx_chinese_headers(tmp_path, long_table):
    rows = long_table.loc[long_table["district"] == "南山区"]
    p = export.to_xlsx(rows, tmp_path / "r.xlsx")
    book = pd.read_excel(p, sheet_name=None)
    assert set(book) == {"社区", "街道", "区县"}
    assert {"指标编号", "指标名称", "数值", "95%置信区间下限"} <= set(book["区县"].columns)
    assert len(book["社区"]) == (rows["level"] == "community").sum()


def test_xlsx_says_the_unit_and_that_shares_are_fractions(tmp_path, long_table):
    """Regression (acceptance test): the report workbook showed 0.859 for a resolution rate
    the HTML prints as 85.9%, with no unit anywhere in the workbook."""
    rows = long_table.loc[long_table["district"] == "南山区"]
    for lang, col, share, rate in (("zh", "计量单位", "0.25 即 25%", "每千户"),
                                   ("en", "measure", "0.25 = 25%", "per 1,000 households")):
        p = export.to_xlsx(rows, tmp_path / f"r_{lang}.xlsx", lang=lang)
        d = pd.read_excel(p, sheet_name=None)["区县" if lang == "zh" else "district"]
        ids = d.iloc[:, 0]
        assert d.loc[ids == "dispute_resolution_rate", col].str.contains(share, regex=False).all()
        assert (d.loc[ids == "dispute_rate", col] == rate).all()


@pytest.mark.parametrize("bad", ["../../etc", "a/b", "..", HOSTILE, "a\\b", ".hidden", "C:\\x"])
def test_safe_name_stays_inside(bad, tmp_path):
    s = safe_name(bad)
    target = (tmp_path / f"{s}.html").resolve()
    assert target.parent == tmp_path.resolve()
    assert "/" not in s and "\\" not in s and not s.startswith(".")


def test_safe_name_distinct_and_keeps_codes():
    assert safe_name("a/b") != safe_name("a_b")
    assert safe_name("010105") == "010105"


def test_data_hash_stable_and_sensitive(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    h1 = manifest.data_hash(tmp_path)
    assert h1 == manifest.data_hash(tmp_path)
    (tmp_path / "a.csv").write_text("x\n2\n")
    assert manifest.data_hash(tmp_path) != h1
    import hashlib

    assert manifest.sha256_file(tmp_path / "a.csv") == hashlib.sha256(b"x\n2\n").hexdigest()


def test_text_table_complete_and_formats():
    for key, (zh, en) in text.TEXT.items():
        assert zh and en, key
    assert text.t("rank_of", "en", rank=2, of=5) == "2 of 5"
    assert text.fmt_value(0.8, "share") == "80.0%"
    assert text.fmt_change(0.8, 0.7, "share", "zh") == "+10.0 个百分点"
    assert text.fmt_change(11.0, 10.0, "per_1000_households") == "+10.0%"
    with pytest.raises(Exception):
        text.t("title", "fr")


def _rd(table, district="南山区", lang="zh", ds=None):
    return sections.ReportData(table=table, district=district, year=2024, lang=lang,
                               meta={"synthetic": True, "source": HOSTILE}, ds=ds)


def test_headline_rank_change_against_hand_computation(long_table):
    rd = _rd(long_table)
    hl = sections.headline(rd).set_index("indicator")
    d = long_table.query("indicator == 'satisfaction_index' and level == 'district' and period == '2024'")
    v = d.set_index("unit_id")["value"]
    # satisfaction is higher_better in the catalog (or descriptive fallback: rank by value, descending)
    expected_rank = int((v > v["南山区"]).sum() + 1)
    assert hl.loc["satisfaction_index", "rank"] == expected_rank
    last = long_table.query("indicator == 'satisfaction_index' and level == 'district' "
                            "and period == '2023' and unit_id == '南山区'")["value"].iloc[0]
    assert hl.loc["satisfaction_index", "last"] == pytest.approx(last)
    assert hl.loc["satisfaction_index", "of"] == 3


def test_targets_attainment(long_table):
    class DS:
        tables = {"targets": pd.DataFrame({"indicator": ["satisfaction_index", "satisfaction_index"],
                                           "level": [pd.NA, "district"], "unit_id": [pd.NA, "南山区"],
                                           "year": [pd.NA, 2024], "target": [0.0, 1000.0]})}
        warnings = []
    rd = _rd(long_table, ds=DS())
    hl = sections.headline(rd).set_index("indicator")
    assert hl.loc["satisfaction_index", "target"] == 1000.0     # the most specific row wins
    assert hl.loc["satisfaction_index", "met"] is False or hl.loc["satisfaction_index", "met"] == False  # noqa: E712
    html = sections.headline_html(rd, sections.headline(rd)).data
    assert "未达标" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_findings_and_sections_escape(long_table, lang):
    t = long_table.copy()
    t.loc[t["unit_name"] == "桃源街道", "unit_name"] = HOSTILE
    rd = _rd(t, lang=lang)
    f = sections.findings(rd)
    assert 1 <= len(f) <= 6
    html = sections.findings_html(rd).data + sections.cover(rd).data + sections.quality_html(rd).data
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert ("示例数据" in sections.cover(rd).data)
    q = sections.quality_html(rd).data
    n_sup = int(t.loc[(t["district"] == "南山区") & (t["period"] == "2024"), "suppressed"].sum())
    assert str(n_sup) in q and n_sup > 0


def test_suppressed_dimensions_are_listed_by_their_dimension_names(long_table):
    """A satisfaction dimension 'property' is 物业, not the dispute category 物业纠纷."""
    t = long_table.copy()
    m = ((t["indicator"] == "satisfaction_dimension") & (t["category"] == "property")
         & (t["district"] == "南山区") & (t["period"] == "2024"))
    t.loc[m, ["suppressed", "n"]] = [True, 4]
    q = sections.quality_html(_rd(t)).data
    assert "分维度满意度 · 物业 ·" in q and "物业纠纷" not in q


def test_city_ranks(long_table):
    rd = _rd(long_table, district=None)
    h = sections.city_ranks_html(rd).data
    assert h.count("<tr>") == 5  # header + 3 districts + the city row
    assert "全市" in h


@pytest.mark.parametrize("source, zh, en", [
    ("区委组织部 / District organisation department", "区委组织部", "District organisation department"),
    ({"zh": "区委组织部", "en": "District organisation department"}, "区委组织部", "District organisation department"),
    ({"zh": "区委组织部"}, "区委组织部", "区委组织部"),
    ("区委组织部 2024年报送", "区委组织部 2024年报送", "区委组织部 2024年报送"),
    ("A / B", "A / B", "A / B"),  # no Chinese on either side: shown as written
])
def test_cover_shows_the_source_in_the_report_language(long_table, source, zh, en):
    for lang, want in (("zh", zh), ("en", en)):
        rd = sections.ReportData(table=long_table, district="南山区", year=2024, lang=lang,
                                 meta={"source": source}, ds=None)
        html = sections.cover(rd).data
        assert want in html
        other = en if lang == "zh" else zh
        if other != want:
            assert other not in html
