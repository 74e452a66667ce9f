"""HTML of the report blocks, and the self-contained page around them.

:func:`block_html` is the one HTML rendering of a block: the notebook's
``text/html`` and the exported page use it alike.  :func:`html_from_notebook`
assembles the page from the blocks of an executed notebook
(:func:`evalkit.report.blocks.read_blocks`): no template engine and no
re-parsing of the notebook's HTML.  The page loads nothing from the network:
no script, no stylesheet link; pictures are data URIs and the CJK font is
embedded as a subset of the glyphs the page uses (:mod:`evalkit.report.webfont`).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from evalkit.report import blocks as B

__all__ = ["block_html", "page", "html_from_notebook", "CSS_PATH"]

CSS_PATH = Path(__file__).parent / "templates" / "report.css"
esc = html.escape
_FONT_SLOT = "/*@EVALKIT_FONT_FACE@*/"
_CELL_CLASS = {"met": "met", "not_met": "not-met"}


def _cell(c: B.Cell) -> str:
    text = esc(c.text)
    if c.style == "strong":
        text = f"<strong>{text}</strong>"
    elif c.style in _CELL_CLASS:
        text = f'<span class="{_CELL_CLASS[c.style]}">{text}</span>'
    if c.suffix:
        text += f' <span class="rank">{esc(c.suffix)}</span>'
    return text


def _caption(label: str, caption: str) -> str:
    return esc(" ".join(x for x in (label, caption) if x))


def block_html(b) -> str:
    """The HTML of one block (every text escaped).

    Examples
    --------
    >>> block_html(B.Heading("主要指标", marker="一、"))
    '<h2>一、主要指标</h2>'
    >>> block_html(B.Paragraph("<script>"))
    '<p>&lt;script&gt;</p>'
    >>> block_html(B.Table(("指标",), (("纠纷",),), caption="主要指标", label="表1"))
    '<table class="data"><caption>表1 主要指标</caption><thead><tr><th>指标</th></tr></thead><tbody><tr><td>纠纷</td></tr></tbody></table>'
    """
    if isinstance(b, B.Foreign):
        return b.html
    if isinstance(b, B.Heading):
        tag = f"h{b.level + 1}"
        return f"<{tag}>{esc(b.full_text)}</{tag}>"
    if isinstance(b, B.Paragraph):
        return f"<p>{esc(b.text)}</p>"
    if isinstance(b, B.Items):
        return "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in b.items) + "</ul>"
    if isinstance(b, B.Note):
        if b.tone == "explain":
            return '<div class="explain">' + "".join(f"<p>{esc(s)}</p>" for s in b.text.split("\n") if s.strip()) + "</div>"
        if b.tone == "warning":
            return f'<div class="validation-note" role="note">{esc(b.text)}</div>'
        return f'<p class="note">{esc(b.text)}</p>'
    if isinstance(b, B.Table):
        cls = {"data": "data", "wide": "data wide", "defs": "defs"}[b.style]
        cap = f"<caption>{_caption(b.label, b.caption)}</caption>" if (b.label or b.caption) else ""
        th = "".join(f"<th>{esc(h)}</th>" for h in b.header)
        body = []
        for row, rs in zip(b.rows, b.row_styles):
            tds = "".join(f'<td class="num">{_cell(c)}</td>' if k == "number" else f"<td>{_cell(c)}</td>"
                          for c, k in zip(row, b.kinds))
            body.append(f'<tr class="{rs}">{tds}</tr>' if rs else f"<tr>{tds}</tr>")
        return f'<table class="{cls}">{cap}<thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    if isinstance(b, B.Figure):
        src = "data:image/png;base64," + base64.b64encode(b.png).decode("ascii")
        width = f' style="width: {b.width_mm:g}mm"' if b.width_mm else ""
        cap = f"<figcaption>{_caption(b.label, b.caption)}</figcaption>" if (b.label or b.caption) else ""
        return f'<figure class="chart"><img src="{src}" alt="{esc(b.alt or b.caption)}"{width}>{cap}</figure>'
    if isinstance(b, B.Cover):
        def sep(label: str) -> str:  # the label is in the report's language (a district name may not be)
            return "：" if any("\u4e00" <= ch <= "\u9fff" for ch in label) else ": "

        lines = "".join(f"<p>{esc(k)}{sep(k)}{esc(v)}</p>" for k, v in b.lines)
        mark = f'<p class="synthetic-mark">{esc(b.mark)}</p>' if b.synthetic else ""
        return f'<div class="cover"><h1>{esc(b.title)}</h1>{lines}{mark}</div>'
    if isinstance(b, B.PageBreak):
        return '<div class="page-break"></div>'
    from evalkit.exceptions import ReportError

    raise ReportError(f"无法显示的报告块：{type(b).__name__}", f"Not a report block: {type(b).__name__}")


def _css(synthetic: bool, mark: str) -> str:
    css = CSS_PATH.read_text(encoding="utf-8")
    if synthetic:
        # the running header of printed pages; its font is inherited from the root (report.css)
        css += (f'\n@page {{ @top-center {{ content: "{mark.replace(chr(34), "")}"; color: #a3261d; '
                "font-weight: bold; } }\n"
                "@media print { .synthetic-banner { display: none; } }\n")
    return css


def page(body: str, *, title: str, lang: str = "zh", synthetic: bool = False, footer: str = "",
         font_base: str | Path | None = None) -> str:
    """A whole HTML page around ``body`` (already escaped HTML), with the font subset embedded.

    Parameters
    ----------
    body
        The page's content.
    title
        The ``<title>`` (escaped).
    synthetic
        Show the "示例数据 · synthetic data" banner (and a running header in print).
    footer
        The footer line (escaped).
    font_base
        The batch's reduced font (:func:`evalkit.report.webfont.reduce_font`), or None.

    Examples
    --------
    >>> p = page("<p>社区</p>", title="<t>", footer="生成时间：2024-01-01")
    >>> "<title>&lt;t&gt;</title>" in p and "@font-face" in p and "<script" not in p
    True
    """
    from evalkit.labels import t
    from evalkit.report.webfont import font_face_css

    mark = t("synthetic_mark", lang)
    banner = f'<div class="synthetic-banner" role="note">{esc(mark)}</div>' if synthetic else ""
    foot = f'<footer class="generated">{esc(footer)}</footer>' if footer else ""
    shell = (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
             f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{esc(title)}</title>\n'
             f"<style>\n{_FONT_SLOT}\n{_css(synthetic, mark)}</style>\n</head>\n"
             f'<body class="{"synthetic" if synthetic else ""}">\n{banner}<main class="report">\n{body}\n{foot}\n'
             "</main>\n</body>\n</html>\n")
    return shell.replace(_FONT_SLOT, font_face_css(shell, base=font_base), 1)


def html_from_notebook(nb, *, title: str | None = None, synthetic: bool | None = None, lang: str = "zh",
                       generated: str | None = None, font_base: str | Path | None = None) -> str:
    """Render an executed report notebook as evalkit's self-contained page.

    Parameters
    ----------
    nb
        A notebook node (nbformat v4) or a path to one.
    title
        The page title; default the cover block's title.
    synthetic
        The synthetic-data banner; default the cover block's mark.
    generated
        The timestamp in the footer, the only part that differs between reruns.
    font_base
        The batch's reduced font, or None (cut from the full font).

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    evalkit.exceptions.ReportError
        A figure drew text with glyphs missing from the font.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> from evalkit.report.blocks import Cover, MIME
    >>> cover = Cover("东城区 2024 年报告", synthetic=True, mark="示例数据 · synthetic data")
    >>> out = {"output_type": "display_data", "metadata": {}, "data": {"text/html": "", MIME: cover.to_json()}}
    >>> p = html_from_notebook(new_notebook(cells=[new_code_cell("", outputs=[out])]), generated="2024-01-01")
    >>> "<title>东城区 2024 年报告</title>" in p and 'class="synthetic-banner"' in p
    True
    """
    import datetime as _dt

    import nbformat

    from evalkit.labels import t
    from evalkit.report.execute import check_glyphs

    if isinstance(nb, (str, Path)):
        nb = nbformat.read(str(nb), as_version=4)
    check_glyphs(nb)
    doc = B.read_blocks(nb)
    cover = next((b for b in doc if isinstance(b, B.Cover)), None)
    if title is None:
        title = cover.title if cover is not None else ""
    if synthetic is None:
        synthetic = bool(cover is not None and cover.synthetic)
    gen = generated or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    body = "\n".join(block_html(b) for b in doc)
    footer = f"{t('generated', lang)}{'：' if lang == 'zh' else ': '}{gen} · evalkit"
    return page(body, title=title, lang=lang, synthetic=synthetic, footer=footer, font_base=font_base)
