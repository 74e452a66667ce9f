"""The printed report (WeasyPrint's own layout of the page): running header font, table headers."""

import matplotlib
import pytest

from evalkit.report import sections as S
from evalkit.report.data import ReportData
from evalkit.report.htmlpage import block_html, page
from evalkit.report.notebook import Document

matplotlib.use("Agg")
weasyprint = pytest.importorskip("weasyprint")


@pytest.fixture(scope="module")
def district_page(long_table):
    from fake import fake_pilot

    return _layout(long_table, fake_pilot(), "南山区")


def _layout(long_table, pilot_table, district):
    from evalkit.report.pdf import offline_fetcher

    rd = ReportData(table=long_table, district=district, year=2024, meta={"synthetic": True}, pilot=pilot_table)
    parts = (S.cover(rd) + S.summary(rd) + S.pilot(rd) + S.methods(rd)) if district else \
        (S.cover(rd) + S.city_table(rd) + S.pilot(rd))
    body = "".join(block_html(b) for b in Document("zh").number(parts))
    return weasyprint.HTML(string=page(body, title="t", synthetic=True), url_fetcher=offline_fetcher()).render()


def _walk(box):
    yield box
    for c in getattr(box, "children", None) or []:
        yield from _walk(c)


def _text(box) -> str:
    return "".join(getattr(b, "text", "") or "" for b in _walk(box))


@pytest.mark.slow
@pytest.mark.parametrize("district", ["南山区", None])
def test_table_headers_do_not_wrap_one_character_per_line(long_table, pilot_table, district, district_page):
    """Regression (issue 11): 样本量 was printed one character per line in a narrow column."""
    doc = district_page if district else _layout(long_table, pilot_table, district)
    heads = [b for p in doc.pages for b in _walk(p._page_box)
             if getattr(b, "element_tag", None) == "th" and type(b).__name__ == "TableCellBox"]
    assert len(heads) >= 10
    for th in heads:
        lines = [b for b in _walk(th) if type(b).__name__ == "LineBox"]
        assert len(lines) == 1, (_text(th), len(lines))


@pytest.mark.slow
def test_running_header_is_in_the_body_font(district_page):
    """Regression (issue 11): the synthetic-data mark at the top of each printed page fell back to
    the PDF renderer's default serif face."""
    for p in district_page.pages:
        root = next(b for b in p._page_box.children if type(b).__name__ != "MarginBox")
        marks = [m for m in p._page_box.children if getattr(m, "at_keyword", None) == "@top-center"]
        assert marks and _text(marks[0]) == "示例数据 · synthetic data"
        assert marks[0].style["font_family"] == root.style["font_family"]
        assert marks[0].style["font_family"][0] == "EvalkitCJK"
