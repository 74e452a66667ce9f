"""Files, PDF, XLSX, names, manifest, text table: fast tests without a kernel."""

import pandas as pd
import pytest

from evalkit import labels as text
from evalkit import files
from evalkit.report import manifest, pdf, xlsx
from evalkit.report.batch import safe_name
from evalkit.report.htmlpage import page

HOSTILE = "<script>alert(1)</script>"


def _page(**kw):
    return page("<h2>" + HOSTILE.replace("<", "&lt;").replace(">", "&gt;") + "</h2><p>社区治理 满意度</p>",
                title=HOSTILE, footer="generated", **kw)


def test_atomic_write_leaves_no_temp(tmp_path):
    p = files.atomic_write(tmp_path / "a.html", "内容")
    assert p.read_text(encoding="utf-8") == "内容"
    assert [x.name for x in tmp_path.iterdir()] == ["a.html"]


def test_pdf_offline(tmp_path):
    pytest.importorskip("weasyprint")
    p = pdf.to_pdf(_page(synthetic=True), tmp_path / "r.pdf")
    data = p.read_bytes()
    assert data.startswith(b"%PDF") and len(data) < 1_500_000


def test_xlsx_chinese_headers(tmp_path, long_table):
    rows = long_table.loc[long_table["district"] == "南山区"]
    p = xlsx.to_xlsx(rows, tmp_path / "r.xlsx")
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
        p = xlsx.to_xlsx(rows, tmp_path / f"r_{lang}.xlsx", lang=lang)
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
