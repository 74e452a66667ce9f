"""The batch with every format and a district code that looks numeric (kernels start: marked)."""

import json

import nbformat
import pandas as pd
import pytest

from evalkit.report.batch import build_reports

from fake import fake_dataset_dir, fake_table, stand_in_notebook  # noqa: E402  (tests/report on sys.path via conftest)

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
CODE = "010105"


def _typed_notebook(path):
    """Records the district parameter's type and value in its output; shows it as escaped HTML."""
    return stand_in_notebook(path, 'import html\nfrom IPython.display import HTML, display\n'
                                   'print(type(district).__name__, repr(district))\n'
                                   'display(HTML("<h1>" + html.escape(district) + " 报告</h1>"))')


def _margin_texts(pdf_page_box):
    def texts(box):
        out = [box.text] if getattr(box, "text", None) else []
        for c in getattr(box, "children", None) or []:
            out += texts(c)
        return out

    return {m.at_keyword: "".join(texts(m)) for m in pdf_page_box.children if type(m).__name__ == "MarginBox"}


def test_numeric_looking_code_stays_a_string_and_all_formats(tmp_path):
    pytest.importorskip("weasyprint")
    data = fake_dataset_dir(tmp_path / "data", districts=(CODE, "南山区"))
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, districts=[CODE], out=out, jobs=1, table=fake_table(districts=(CODE, "南山区")),
                       notebook=_typed_notebook(tmp_path / "typed.ipynb"), city=False,
                       formats=("html", "pdf", "xlsx"), progress=False)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert rc == 0, m["reports"]
    nb = nbformat.read(out / f"{CODE}.ipynb", as_version=4)
    # papermill's record of the parameters and the kernel's own view of the value
    assert nb.metadata["papermill"]["parameters"]["district"] == CODE
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert f"str '{CODE}'" in printed
    assert m["reports"][0]["parameters"]["district"] == CODE
    assert {o["path"] for o in m["reports"][0]["outputs"]} == {f"{CODE}.{e}" for e in ("ipynb", "html", "pdf", "xlsx")}
    # the PDF: every page carries the synthetic-data mark in its top margin (WeasyPrint's own layout)
    from weasyprint import HTML

    from evalkit.report.pdf import offline_fetcher

    pdf = (out / f"{CODE}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    doc = HTML(string=(out / f"{CODE}.html").read_text(encoding="utf-8"), url_fetcher=offline_fetcher()).render()
    assert doc.pages and all(_margin_texts(p._page_box).get("@top-center") == "示例数据 · synthetic data"
                             for p in doc.pages)
    # the workbook: the district's rows of the report's two years, with Chinese headers
    book = pd.read_excel(out / f"{CODE}.xlsx", sheet_name=None, dtype={"区县": str, "时期": str})
    assert "区县" in book and set(book["区县"]["区县"]) == {CODE}
    assert set(pd.concat(book.values())["时期"].str[:4]) <= {"2023", "2024"}


def test_notebooks_found_in_checkout_and_in_an_installed_package(tmp_path, monkeypatch):
    """A source checkout uses notebooks/; a wheel install (no checkout) its evalkit/_notebooks copy."""
    from evalkit.report import batch

    assert batch.default_notebook("district").is_file()
    installed = tmp_path / "site-packages" / "evalkit" / "report" / "batch.py"
    monkeypatch.setattr(batch, "__file__", str(installed))
    assert batch.default_notebook("district") == tmp_path / "site-packages" / "evalkit" / "_notebooks" / \
        "district_report.ipynb"
