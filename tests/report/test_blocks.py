"""The document model: blocks, their JSON and HTML, numbering, reading them back from a notebook (no kernel)."""

import base64
import json
import re

import matplotlib
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from evalkit.exceptions import ParameterError, ReportError
from evalkit.report import blocks as B
from evalkit.report.htmlpage import block_html, html_from_notebook, page

matplotlib.use("Agg")
HOSTILE = "<script>alert(1)</script>"


def _png() -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([1, 2], [1, 2])
    ax.set_title("纠纷发生率", loc="left")
    return B.figure(ax)


def _every_block():
    return [B.Cover("东城区 2024 年报告", (("数据来源", "示例"),), synthetic=True, mark="示例数据 · synthetic data"),
            B.Heading("主要指标"), B.Heading("矛盾纠纷", level=2), B.Paragraph("正文"), B.Items(("甲", "乙")),
            B.Note("注", "note"), B.Note("说明\n第二段", "explain"), B.Note("警告", "warning"),
            B.Table(("指标", "本年"), (("纠纷", B.Cell("23.8", suffix="(1/5)")), ("化解", B.Cell("达标", "met"))),
                    caption="主要指标", kinds=("text", "number"), row_styles=(None, "total")),
            _png(), B.PageBreak()]


def _outputs(blocks):
    outs = []
    for b in blocks:
        bundle = b._repr_mimebundle_()
        outs.append(new_output("display_data", data=bundle))
    return outs


def test_every_block_round_trips_through_a_notebook_output():
    """What the notebook stores (JSON under the block MIME type, PNG as image/png) gives the same blocks."""
    blocks = B.Numbering("zh").__call__
    shown = [blocks(b) for b in _every_block()]
    nb = new_notebook(cells=[new_code_cell("x", outputs=_outputs(shown))])
    nb = json.loads(json.dumps(nb))  # as written to disk and read back
    from nbformat import from_dict

    assert B.read_blocks(from_dict(nb)) == shown


def test_bundles_carry_html_json_and_the_png_once_in_json():
    fig = _png()
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/html", B.MIME, "image/png"}
    assert bundle[B.MIME]["image"] == "image/png" and "png" not in bundle[B.MIME]
    assert base64.b64decode(bundle["image/png"]) == fig.png
    assert fig.caption == "纠纷发生率"  # the title became the caption (and left the picture)
    for b in _every_block():
        j = b._repr_mimebundle_()[B.MIME]
        assert j["v"] == B.VERSION and j["type"] == b.kind
        json.dumps(j)  # plain JSON


def test_numbering_gongwen_markers_tables_and_figures():
    n = B.Numbering("zh")
    seq = [n(b) for b in (B.Heading("一"), B.Heading("a", level=2), B.Heading("b", level=2), B.Heading("c", level=3),
                          B.Heading("d", level=4), B.Heading("二"), B.Heading("e", level=2),
                          B.Heading("质量", appendix=True), B.Heading("方法", appendix=True))]
    assert [h.marker for h in seq] == ["一、", "（一）", "（二）", "1.", "（1）", "二、", "（一）", "附录一", "附录二"]
    assert seq[0].full_text == "一、一" and seq[3].full_text == "1. c" and seq[7].full_text == "附录一 质量"
    t1, f1, t2 = n(B.Table(("a",), ())), n(B.Figure(b"", caption="x")), n(B.Table(("a",), ()))
    assert (t1.label, f1.label, t2.label) == ("表1", "图1", "表2")
    assert n(B.Heading("x", marker="（九）")).marker == "（九）"  # a marker given is kept
    e = B.Numbering("en")
    assert [e(h).full_text for h in (B.Heading("A"), B.Heading("B", level=2), B.Heading("C", level=3))] == \
        ["1. A", "1.1 B", "1.1.1 C"]
    assert e(B.Table(("a",), ())).label == "Table 1"
    assert B.zh_numeral(19) == "十九" and B.zh_numeral(40) == "四十"


def test_blocks_refuse_what_an_export_could_not_write():
    with pytest.raises(ParameterError):
        B.Table(("a", "b"), (("1",),))          # a row shorter than the header
    with pytest.raises(ParameterError):
        B.Heading("x", level=5)
    with pytest.raises(ParameterError):
        B.Note("x", "shout")
    with pytest.raises(ReportError):
        B.from_json({"type": "figure", "caption": "x"})  # a figure without its picture


def test_an_empty_chart_is_refused():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([], [])
    ax.barh([], [])
    with pytest.raises(ReportError, match="empty chart"):
        B.figure(ax)
    assert not plt.get_fignums()  # closed either way


def test_html_escapes_every_text():
    for b in (B.Heading(HOSTILE), B.Paragraph(HOSTILE), B.Items((HOSTILE,)), B.Note(HOSTILE, "explain"),
              B.Table((HOSTILE,), ((B.Cell(HOSTILE, "met", HOSTILE),),), caption=HOSTILE),
              B.Cover(HOSTILE, ((HOSTILE, HOSTILE),), synthetic=True, mark=HOSTILE)):
        h = block_html(b)
        assert "<script>" not in h and "&lt;script&gt;" in h, h


def test_page_is_offline_and_embeds_a_font_subset():
    p = page("<p>社区治理 满意度</p>", title=HOSTILE, synthetic=True, footer="f")
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*https?://', p, re.I)
    assert not re.search(r'url\(\s*["\']?https?://', p, re.I)
    assert "<script" not in p.lower() and "&lt;script&gt;" in p
    m = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", p)
    import io

    from fontTools.ttLib import TTFont

    cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
    assert ord("治") in cmap and ord("鑫") not in cmap and len(cmap) < 400


def _nb_of(blocks, *extra_cells):
    cells = [new_code_cell("district = 'SECRET_PARAM'", metadata={"tags": ["injected-parameters"]},
                           outputs=[new_output("stream", name="stdout", text="SECRET_PARAM")]),
             new_code_cell("print('CODE_SHOULD_NOT_SHOW')", outputs=_outputs(blocks)), *extra_cells]
    return new_notebook(cells=cells)


def test_html_export_assembles_the_blocks_and_nothing_else():
    blocks = [B.Numbering("zh")(b) for b in _every_block()]
    nb = _nb_of(blocks, new_code_cell("x", outputs=[new_output("stream", name="stderr", text="STDERR_HIDDEN")]))
    p = html_from_notebook(nb, generated="2024-01-01 00:00")
    body = p[p.index("<main"):]
    for b in blocks:
        assert block_html(b) in body
    assert "CODE_SHOULD_NOT_SHOW" not in p and "SECRET_PARAM" not in p and "STDERR_HIDDEN" not in p
    assert "<title>东城区 2024 年报告</title>" in p and 'class="synthetic-banner"' in p  # from the cover block
    assert p == html_from_notebook(nb, generated="2024-01-01 00:00")  # deterministic


def test_outputs_of_a_custom_notebook_are_kept_as_they_are():
    nb = new_notebook(cells=[new_code_cell("x", outputs=[
        new_output("display_data", data={"text/html": "<h1>自定义</h1>"}),
        new_output("stream", name="stdout", text="a < b")])])
    p = html_from_notebook(nb, title="t", generated="g")
    assert "<h1>自定义</h1>" in p and "<pre>a &lt; b</pre>" in p and 'class="synthetic-banner"' not in p


def test_glyph_warning_fails_the_export():
    nb = _nb_of([B.Paragraph("x")], new_code_cell("x", outputs=[new_output(
        "stream", name="stderr", text="UserWarning: Glyph 31038 (\\N{CJK UNIFIED IDEOGRAPH-793E}) missing from font(s).")]))
    with pytest.raises(ReportError):
        html_from_notebook(nb, title="t")


def test_cover_lines_use_the_punctuation_of_their_language():
    """An English report of a district with a Chinese name: 'Data source: …', not 'Data source：…'."""
    en = block_html(B.Cover("东城区: community governance report 2024", (("Data source", "x"),)))
    zh = block_html(B.Cover("东城区 2024 年报告", (("数据来源", "x"),)))
    assert "<p>Data source: x</p>" in en and "<p>数据来源：x</p>" in zh
