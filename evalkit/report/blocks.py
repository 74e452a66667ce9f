"""The document model of a report: the blocks a notebook displays and every export reads.

A report notebook displays a sequence of *blocks*.  Each display is one
output whose bundle holds

* ``text/html`` -- how JupyterLab shows the block (and what
  :func:`evalkit.report.htmlpage.block_html` writes into the page),
* :data:`MIME` (``application/vnd.evalkit.block+json``) -- the block as
  data (:meth:`Block.to_json`), which the exports read, and
* ``image/png`` -- for a :class:`Figure`, its picture (the JSON names this
  entry instead of repeating the bytes).

:func:`read_blocks` turns an executed notebook back into blocks, so an
export (HTML today, Word in issue 15) needs nothing but the notebook: no
number is computed or drawn twice.  Numbers of tables and figures (表1, 图1)
and the markers of headings (一、 （一） 1. （1）) are assigned in display
order by :class:`Numbering` and carried in the data.

Block types: :class:`Cover`, :class:`Heading`, :class:`Paragraph`,
:class:`Items`, :class:`Note`, :class:`Table` (with :class:`Cell`),
:class:`Figure`, :class:`PageBreak`.  The JSON of each is documented in
docs/dev/INTERFACES.md ("Report blocks").
"""

from __future__ import annotations

import base64
import io
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

__all__ = ["MIME", "VERSION", "Block", "Cover", "Heading", "Paragraph", "Items", "Note", "Cell", "Table",
           "Figure", "PageBreak", "Foreign", "Numbering", "figure", "from_json", "read_blocks", "HIDDEN_TAGS"]

#: The MIME type of a block's JSON in a notebook output.
MIME = "application/vnd.evalkit.block+json"
#: Version of the JSON layout (``"v"`` in every block).
VERSION = 1
#: Cells with any of these tags are not part of the document (parameters, set-up code).
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "remove_cell", "hide"})

NoteTone = Literal["note", "explain", "warning"]
ColumnKind = Literal["text", "number"]
RowStyle = Literal["total", "excluded"]
CellStyle = Literal["met", "not_met", "strong"]


class Block:
    """Base of the blocks: JSON and the notebook's MIME bundle.

    Examples
    --------
    >>> sorted(Paragraph("正文")._repr_mimebundle_())
    ['application/vnd.evalkit.block+json', 'text/html']
    """

    kind: str = ""

    def to_json(self) -> dict:
        """The block as plain JSON data (see docs/dev/INTERFACES.md)."""
        d = {"v": VERSION, "type": self.kind}
        d.update(_plain(asdict(self)))
        return d

    def _repr_mimebundle_(self, include=None, exclude=None):
        from evalkit.report.htmlpage import block_html

        return {"text/html": block_html(self), MIME: self.to_json()}


def _plain(d: dict) -> dict:
    """Tuples to lists, dataclasses already dicts (``asdict``)."""
    def conv(v):
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v

    return {k: conv(v) for k, v in d.items()}


@dataclass(frozen=True)
class Cover(Block):
    """The title block: title, labelled lines (source, as-of date) and the synthetic-data mark.

    Examples
    --------
    >>> c = Cover("东城区 2024 年社区治理评估报告", (("数据来源", "示例"),), synthetic=True, mark="示例数据")
    >>> c.to_json()["lines"]
    [['数据来源', '示例']]
    """

    title: str
    lines: tuple[tuple[str, str], ...] = ()
    synthetic: bool = False
    mark: str = ""
    kind = "cover"


@dataclass(frozen=True)
class Heading(Block):
    """A section heading.

    ``level`` 1 is a section (一、), 2 a subsection (（一）), 3 and 4 below (1. and （1）);
    ``marker`` is set by :class:`Numbering` (empty until then); ``appendix`` headings are
    numbered 附录一, 附录二 (Appendix 1, 2) instead.

    Examples
    --------
    >>> Heading("主要指标").to_json()
    {'v': 1, 'type': 'heading', 'text': '主要指标', 'level': 1, 'marker': '', 'appendix': False}
    >>> Heading("主要指标", marker="一、").full_text
    '一、主要指标'
    """

    text: str
    level: int = 1
    marker: str = ""
    appendix: bool = False
    kind = "heading"

    def __post_init__(self):
        from evalkit.exceptions import check_choice

        check_choice("level", self.level, [1, 2, 3, 4])

    @property
    def full_text(self) -> str:
        """Marker and text as shown: no space after 、 and ）, one otherwise."""
        if not self.marker:
            return self.text
        sep = "" if self.marker.endswith(("、", "）")) else " "
        return f"{self.marker}{sep}{self.text}"


@dataclass(frozen=True)
class Paragraph(Block):
    """A paragraph of body text.

    Examples
    --------
    >>> Paragraph("本区共有 12 个社区。").to_json()["text"]
    '本区共有 12 个社区。'
    """

    text: str
    kind = "paragraph"


@dataclass(frozen=True)
class Items(Block):
    """A bulleted list (findings, load-time warnings, suppressed cells).

    Examples
    --------
    >>> Items(("甲", "乙")).to_json()["items"]
    ['甲', '乙']
    """

    items: tuple[str, ...]
    kind = "items"


@dataclass(frozen=True)
class Note(Block):
    """A remark set apart from the body: ``note`` (small, muted), ``explain`` (a boxed
    plain-language explanation) or ``warning`` (e.g. districts whose data failed validation).

    Examples
    --------
    >>> Note("括号内为排名。").to_json()
    {'v': 1, 'type': 'note', 'text': '括号内为排名。', 'tone': 'note'}
    """

    text: str
    tone: NoteTone = "note"
    kind = "note"

    def __post_init__(self):
        from evalkit.exceptions import check_choice

        check_choice("tone", self.tone, ["note", "explain", "warning"])


@dataclass(frozen=True)
class Cell:
    """A table cell with a style (``met``, ``not_met``, ``strong``) or a muted suffix (a rank).

    Examples
    --------
    >>> Cell("3.22", suffix="(1/5)").to_json()
    {'text': '3.22', 'style': None, 'suffix': '(1/5)'}
    >>> Cell("3.22").to_json()
    '3.22'
    """

    text: str
    style: CellStyle | None = None
    suffix: str = ""

    def to_json(self):
        if self.style is None and not self.suffix:
            return self.text
        return {"text": self.text, "style": self.style, "suffix": self.suffix}

    @classmethod
    def of(cls, v) -> "Cell":
        if isinstance(v, Cell):
            return v
        if isinstance(v, dict):
            return cls(str(v["text"]), v.get("style"), v.get("suffix") or "")
        return cls(str(v))


@dataclass(frozen=True)
class Table(Block):
    """A table: header, rows of cells, a caption (numbered 表1, 表2 ... by :class:`Numbering`).

    Parameters
    ----------
    header
        Column headers.
    rows
        Rows of cells (:class:`Cell` or text), each as long as ``header``.
    caption
        What the table shows (without its number).
    kinds
        Per column ``"text"`` or ``"number"`` (alignment in exports); default all text.
    row_styles
        Per row None, ``"total"`` (the city row) or ``"excluded"`` (a district left out of ranks).
    style
        ``"data"``, ``"wide"`` (small type) or ``"defs"`` (definitions).
    number, label
        Set by :class:`Numbering`: 1 and "表1" (English "Table 1").

    Examples
    --------
    >>> t = Table(("指标", "本年"), (("纠纷发生率", Cell("23.8")),), caption="主要指标", kinds=("text", "number"))
    >>> t.to_json()["rows"]
    [['纠纷发生率', '23.8']]
    """

    header: tuple[str, ...]
    rows: tuple[tuple, ...]
    caption: str = ""
    kinds: tuple[str, ...] | None = None
    row_styles: tuple[str | None, ...] | None = None
    style: Literal["data", "wide", "defs"] = "data"
    number: int | None = None
    label: str = ""
    kind = "table"

    def __post_init__(self):
        from evalkit.exceptions import ParameterError

        n = len(self.header)
        rows = tuple(tuple(Cell.of(c) for c in r) for r in self.rows)
        bad = [i for i, r in enumerate(rows) if len(r) != n]
        if bad:
            raise ParameterError(f"表格第 {bad[0] + 1} 行有 {len(rows[bad[0]])} 个单元格，表头有 {n} 列。",
                                 f"Table row {bad[0] + 1} has {len(rows[bad[0]])} cells for {n} header columns.")
        object.__setattr__(self, "header", tuple(str(h) for h in self.header))
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "kinds", tuple(self.kinds) if self.kinds else ("text",) * n)
        object.__setattr__(self, "row_styles", tuple(self.row_styles) if self.row_styles else (None,) * len(rows))
        if len(self.kinds) != n or len(self.row_styles) != len(rows):
            raise ParameterError("kinds 与表头、row_styles 与行数必须一样长。",
                                 "kinds must be as long as the header, and row_styles as the rows.")

    def to_json(self) -> dict:
        return {"v": VERSION, "type": "table", "number": self.number, "label": self.label, "caption": self.caption,
                "header": list(self.header), "kinds": list(self.kinds), "style": self.style,
                "rows": [[c.to_json() for c in r] for r in self.rows], "row_styles": list(self.row_styles)}


@dataclass(frozen=True)
class Figure(Block):
    """A chart as PNG bytes with its caption (numbered 图1 ... by :class:`Numbering`).

    ``width_mm`` None: the width of the text (a Word writer caps it at 150 mm).
    In a notebook output the bytes are the bundle's ``image/png``; the JSON says so
    (``"image": "image/png"``) rather than repeating them.

    Examples
    --------
    >>> f = Figure(b"\\x89PNG...", caption="纠纷发生率")
    >>> sorted(f.to_json())
    ['alt', 'caption', 'image', 'label', 'number', 'type', 'v', 'width_mm']
    """

    png: bytes = field(repr=False)
    caption: str = ""
    width_mm: float | None = None
    alt: str = ""
    number: int | None = None
    label: str = ""
    kind = "figure"

    def to_json(self) -> dict:
        return {"v": VERSION, "type": "figure", "number": self.number, "label": self.label, "caption": self.caption,
                "width_mm": self.width_mm, "alt": self.alt, "image": "image/png"}

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = super()._repr_mimebundle_(include, exclude)
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle


@dataclass(frozen=True)
class PageBreak(Block):
    """A page break (print and Word; nothing on screen).

    Examples
    --------
    >>> PageBreak().to_json()
    {'v': 1, 'type': 'page_break'}
    """

    kind = "page_break"


@dataclass(frozen=True)
class Foreign:
    """A notebook output that is not a block (a custom notebook's own HTML, picture or text).

    The HTML export shows it as it is; structured exports leave it out.

    Examples
    --------
    >>> Foreign("<p>自定义</p>").html
    '<p>自定义</p>'
    """

    html: str


_TYPES = {"cover": Cover, "heading": Heading, "paragraph": Paragraph, "items": Items, "note": Note,
          "table": Table, "figure": Figure, "page_break": PageBreak}


def from_json(data: dict, png: bytes | None = None) -> Block:
    """A block from its JSON (``png``: the output's ``image/png`` bytes, for a figure).

    Examples
    --------
    >>> b = Heading("主要指标", marker="一、")
    >>> from_json(b.to_json()) == b
    True
    >>> t = Table(("a",), (("1",),), caption="c")
    >>> from_json(t.to_json()) == t
    True
    """
    from evalkit.exceptions import ReportError

    kind = data.get("type")
    if kind not in _TYPES:
        raise ReportError(f"未知的报告块类型：{kind!r}", f"Unknown report block type: {kind!r}")
    d = {k: v for k, v in data.items() if k not in ("v", "type")}
    if kind == "figure":
        if png is None:
            raise ReportError("图缺少 image/png 数据。", "A figure block has no image/png data.")
        d.pop("image", None)
        return Figure(png=png, **d)
    if kind == "cover":
        d["lines"] = tuple(tuple(x) for x in d.get("lines", ()))
    if kind == "items":
        d["items"] = tuple(d["items"])
    if kind == "table":
        d["header"] = tuple(d["header"])
        d["rows"] = tuple(tuple(Cell.of(c) for c in r) for r in d["rows"])
        d["kinds"] = tuple(d["kinds"])
        d["row_styles"] = tuple(d["row_styles"])
    return _TYPES[kind](**d)


def read_blocks(nb) -> list:
    """The document of an executed notebook: its blocks, in order (and :class:`Foreign` outputs).

    Cells tagged as parameters or set-up (:data:`HIDDEN_TAGS`), code, stderr and
    errors are not part of it.  Outputs without a block are kept as :class:`Foreign`
    (their HTML, picture or text), so a custom notebook still exports.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> h = Heading("主要指标", marker="一、")
    >>> out = new_output("display_data", data={"text/html": "<h2>…</h2>", MIME: h.to_json()})
    >>> read_blocks(new_notebook(cells=[new_code_cell("x", outputs=[out])])) == [h]
    True
    """
    import html as _html

    out: list = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code" or HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for o in cell.get("outputs", []):
            kind = o.get("output_type")
            if kind == "stream":
                if o.get("name") == "stdout" and o.get("text"):
                    out.append(Foreign(f"<pre>{_html.escape(o['text'])}</pre>"))
                continue
            if kind not in ("display_data", "execute_result"):
                continue
            data = o.get("data", {})
            png = data.get("image/png")
            png_bytes = base64.b64decode(png) if isinstance(png, str) else None
            if MIME in data:
                out.append(from_json(dict(data[MIME]), png_bytes))
            elif "text/html" in data:
                h = data["text/html"]
                out.append(Foreign("".join(h) if isinstance(h, list) else h))
            elif png_bytes is not None:
                out.append(Foreign(f'<img src="data:image/png;base64,{png}" alt="">'))
            elif "text/plain" in data:
                out.append(Foreign(f"<pre>{_html.escape(str(data['text/plain']))}</pre>"))
    return out


# --- numbering ------------------------------------------------------------------------

_ZH_DIGITS = "零一二三四五六七八九"


def zh_numeral(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十一, 二十三).

    Examples
    --------
    >>> [zh_numeral(i) for i in (1, 10, 11, 20, 23)]
    ['一', '十', '十一', '二十', '二十三']
    """
    if not 1 <= n <= 99:
        from evalkit.exceptions import ParameterError

        raise ParameterError(f"标题序号超出范围：{n}", f"Heading number out of range: {n}")
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _ZH_DIGITS[tens]) + "十" if tens else "") + (_ZH_DIGITS[ones] if ones else "")


class Numbering:
    """Numbers headings, tables and figures in the order they are shown.

    Headings get 公文 markers in Chinese (一、 （一） 1. （1）; appendices 附录一) and
    1. / 1.1 / 1.1.1 / (a) in English (Appendix 1.); tables 表1 (Table 1) and figures
    图1 (Figure 1).  A heading restarts the numbering of the levels below it.

    Examples
    --------
    >>> n = Numbering("zh")
    >>> [n(Heading("甲")).full_text, n(Heading("乙", level=2)).full_text, n(Heading("丙")).full_text]
    ['一、甲', '（一）乙', '二、丙']
    >>> n(Heading("数据质量", appendix=True)).full_text
    '附录一 数据质量'
    >>> n(Table(("a",), (), caption="主要指标")).label, n(Figure(b"", caption="x")).label
    ('表1', '图1')
    >>> e = Numbering("en")
    >>> [e(Heading("A")).full_text, e(Heading("B", level=2)).full_text, e(Heading("Q", appendix=True)).full_text]
    ['1. A', '1.1 B', 'Appendix 1. Q']
    """

    def __init__(self, lang: str = "zh"):
        from evalkit.labels import check_lang

        self.lang = check_lang(lang)
        self.levels = [0, 0, 0, 0]
        self.appendix = 0
        self.tables = 0
        self.figures = 0

    def marker(self, level: int, appendix: bool = False) -> str:
        if appendix:
            self.appendix += 1
            self.levels = [0, 0, 0, 0]
            return f"附录{zh_numeral(self.appendix)}" if self.lang == "zh" else f"Appendix {self.appendix}."
        self.levels[level - 1] += 1
        for i in range(level, 4):
            self.levels[i] = 0
        n = self.levels[level - 1]
        if self.lang == "zh":
            return (f"{zh_numeral(n)}、", f"（{zh_numeral(n)}）", f"{n}.", f"（{n}）")[level - 1]
        if level == 4:
            return f"({chr(ord('a') + (n - 1) % 26)})"
        nums = ".".join(str(x) for x in self.levels[:level])
        return nums + ("." if level == 1 else "")

    def __call__(self, block):
        """The block with its number or marker (other blocks unchanged)."""
        if isinstance(block, Heading) and not block.marker:
            return replace(block, marker=self.marker(block.level, block.appendix))
        if isinstance(block, Table) and block.number is None:
            self.tables += 1
            return replace(block, number=self.tables,
                           label=f"表{self.tables}" if self.lang == "zh" else f"Table {self.tables}")
        if isinstance(block, Figure) and block.number is None:
            self.figures += 1
            return replace(block, number=self.figures,
                           label=f"图{self.figures}" if self.lang == "zh" else f"Figure {self.figures}")
        return block


# --- figures ----------------------------------------------------------------------------


def _drew_data(fig) -> bool:
    """Whether any Axes of ``fig`` shows data: a line with a finite point, a bar, a marker."""
    import numpy as np

    for ax in fig.axes:
        for ln in ax.lines:
            x, y = ln.get_xdata(orig=False), ln.get_ydata(orig=False)
            try:
                if len(x) and len(y) and np.isfinite(np.asarray(y, dtype=float)).any():
                    return True
            except (TypeError, ValueError):  # dates or categories: any point counts
                if len(x) and len(y):
                    return True
        if ax.patches or ax.images:
            return True
        for c in ax.collections:
            if len(c.get_offsets()) or (hasattr(c, "get_paths") and len(c.get_paths())):
                return True
    return False


def figure(ax, *, caption: str | None = None, width_mm: float | None = None, dpi: int = 110) -> Figure:
    """A :class:`Figure` from a matplotlib Axes (or Figure); the matplotlib figure is closed.

    The Axes' title becomes the caption (it is taken off the picture, so the title is
    not shown twice); PNG without a timestamp (reruns give the same bytes), fast zlib level.

    Raises
    ------
    evalkit.exceptions.ReportError
        The chart shows no data: a report never shows an empty chart, so the section
        must decide before drawing (this is a bug when it happens).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2], [3, 4]); _ = ax.set_title("纠纷发生率", loc="left")
    >>> f = figure(ax)
    >>> f.caption, f.png[:4]
    ('纠纷发生率', b'\\x89PNG')
    >>> fig, ax = plt.subplots()
    >>> figure(ax)
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ReportError: 图中没有任何数据（报告不显示空图）。
    The chart shows no data (a report never shows an empty chart).
    """
    import matplotlib.pyplot as plt

    from evalkit.exceptions import ReportError

    fig = ax.figure if hasattr(ax, "figure") and ax.figure is not None else ax
    if not _drew_data(fig):
        plt.close(fig)
        raise ReportError("图中没有任何数据（报告不显示空图）。", "The chart shows no data (a report never shows an empty chart).")
    if caption is None:
        caption = ""
        for a in fig.axes:
            for loc in ("left", "center", "right"):
                if a.get_title(loc):
                    caption = caption or a.get_title(loc)
                    a.set_title("", loc=loc)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return Figure(png=buf.getvalue(), caption=caption, width_mm=width_mm, alt=caption)
