"""Displaying a report in a notebook: the blocks of :mod:`evalkit.report.sections`, numbered.

The report notebooks stay thin::

    from evalkit.report import notebook as nbk, sections as S
    rd, doc = nbk.start(data_dir, district=district, year=year, lang=lang, ...)
    doc.show(S.cover(rd))
    doc.show(S.summary(rd))

:class:`Document` numbers headings, tables and figures in the order they are
shown (the kernel keeps it between cells) and displays each block once, as
one output with its HTML and its JSON (:mod:`evalkit.report.blocks`); charts
are closed when they become blocks, so no figure is shown twice and no
``<Axes ...>`` line appears.
"""

from __future__ import annotations

from evalkit.report.blocks import Block, Numbering

__all__ = ["Document", "start"]


class Document:
    """Numbers and displays report blocks in a notebook.

    Parameters
    ----------
    lang
        "zh" (一、 （一） 表1 图1) or "en" (1. 1.1 Table 1 Figure 1).

    Examples
    --------
    >>> from evalkit.report.blocks import Heading, Paragraph
    >>> doc = Document("zh")
    >>> [b.to_json().get("marker") for b in doc.number([Heading("主要指标"), Paragraph("…"), Heading("主要发现")])]
    ['一、', None, '二、']
    """

    def __init__(self, lang: str = "zh"):
        self.numbering = Numbering(lang)
        self.shown: list[Block] = []

    def number(self, blocks) -> list[Block]:
        """The blocks with their numbers and markers (in order; remembered as shown)."""
        out = [self.numbering(b) for b in blocks]
        self.shown += out
        return out

    def show(self, *parts) -> None:
        """Display blocks (or lists of blocks), each as its own output."""
        from IPython.display import display

        flat = []
        for p in parts:
            flat += list(p) if isinstance(p, (list, tuple)) else [p]
        for b in self.number(flat):
            display(b)


def start(data_dir: str, *, district: str | None, year: int, lang: str = "zh", indicators_path: str = "",
          pilot_path: str = "", index_path: str = "", invalid_districts=()):
    """Set up fonts, gather the report's data (:func:`evalkit.report.data.prepare`) and open a Document.

    Returns
    -------
    (ReportData, Document)

    Examples
    --------
    >>> rd, doc = start("data/sample", district="东城区", year=2024)  # doctest: +SKIP
    >>> doc.show(S.cover(rd))  # doctest: +SKIP
    """
    from evalkit.plot.fonts import setup
    from evalkit.report.data import prepare

    setup()
    rd = prepare(data_dir, district=district, year=year, lang=lang, indicators_path=indicators_path,
                 pilot_path=pilot_path, index_path=index_path, invalid_districts=invalid_districts)
    return rd, Document(lang)
