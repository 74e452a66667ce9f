"""The CJK font embedded in report pages: a subset with only the glyphs a page uses.

Parsing the 8 MB Noto Sans SC OTF costs about 3 s, so a batch does it once:
:func:`reduce_font` writes a reduced copy (the batch's characters plus the
6,763 hanzi of GB 2312, ~1.8 MB, cached by character set), and every page
subsets that copy (:func:`font_face_css` with ``base=``), about 0.4 s a page.
The reduced font's path is passed explicitly (the batch's task carries it).
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import io
import os
import re
from functools import cache
from pathlib import Path

__all__ = ["subset_font", "reduce_font", "base_covers", "font_face_css", "visible_text"]

_EXTRA_CHARS = "，。、；：？！“”‘’（）《》【】—…·％×≥≤±–−²χαβ°０１２３４５６７８９"


def visible_text(page: str) -> str:
    """The text a page shows (tags, styles and scripts removed, entities decoded).

    Examples
    --------
    >>> visible_text("<style>p{}</style><p>纠纷&amp;治理</p>")
    ' 纠纷&治理 '
    """
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return _html.unescape(page)


def _full_font() -> Path:
    from evalkit.plot.fonts import regular_path

    return regular_path()


@cache
def _cmap(path: str) -> frozenset:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True).getBestCmap())


def subset_font(text: str, *, flavor: str | None = "woff", path: str | Path | None = None) -> tuple[bytes, str]:
    """A subset of the CJK font holding only the characters of ``text`` (plus ASCII).

    Parameters
    ----------
    text
        The characters to keep.
    flavor
        ``"woff"`` (zlib), ``"woff2"`` (Brotli; smaller, much slower) or None (OpenType).
    path
        The font to cut from (default: the full Noto Sans SC).

    Returns
    -------
    (bytes, str)
        The font data and its CSS format name (``woff2``, ``woff`` or ``opentype``).

    Notes
    -----
    The head table's timestamp is kept, so the same text gives the same bytes.

    Examples
    --------
    >>> data, fmt = subset_font("社区")
    >>> fmt, data[:4]
    ('woff', b'wOFF')
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = Path(path) if path is not None else _full_font()
    chars = {c for c in set(text) | {chr(c) for c in range(0x20, 0x7F)} if c.isprintable()}
    opts = subset.Options()
    opts.flavor = flavor
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    # bounding boxes are kept from the source font: recomputing them from the CFF
    # charstrings is most of the cost, and the subset's glyphs are unchanged
    font = TTFont(str(path), recalcTimestamp=False, recalcBBoxes=path == _full_font())
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    font.flavor = flavor
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue(), {"woff2": "woff2", "woff": "woff", None: "opentype"}[flavor]


def reduce_font(text: str, path: str | Path | None = None) -> Path:
    """A reduced copy of the CJK font: the characters of ``text``, ASCII and the GB 2312 hanzi.

    The batch calls this once with every string its reports can show; each page
    then subsets this small font (:func:`font_face_css` with ``base=``).  Keeping
    the 6,763 hanzi of GB 2312 means a page whose text was not foreseen still
    finds its glyphs, and the cache key (the character set) rarely changes.

    Parameters
    ----------
    text
        The characters to keep.
    path
        Where to write it; default a cache file named by the character set's hash in
        ``$EVALKIT_CACHE`` (or ``~/.cache/evalkit``), reused by later batches.

    Returns
    -------
    Path
        An uncompressed OpenType file, written atomically.

    Notes
    -----
    Subsetting keeps glyph outlines unchanged, so a page subset from the reduced
    font has the same glyphs as one subset from the full font.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = reduce_font("社区", pathlib.Path(tempfile.mkdtemp()) / "base.otf")  # doctest: +SKIP
    >>> base_covers(p, "社区治理")  # doctest: +SKIP
    True
    """
    from evalkit.files import atomic_write

    full = _full_font()
    full_cmap = _cmap(str(full))
    chars = set(text) | set(_gb2312_hanzi()) | {chr(c) for c in range(0x20, 0x7F)} | set(_EXTRA_CHARS)
    chars = "".join(sorted(c for c in chars if c.isprintable() and ord(c) in full_cmap))
    if path is None:
        st = full.stat()
        key = hashlib.sha256(f"{full.name}|{st.st_size}|{chars}".encode("utf-8")).hexdigest()[:16]
        cache_dir = Path(os.environ.get("EVALKIT_CACHE") or Path.home() / ".cache" / "evalkit") / "fonts"
        path = cache_dir / f"base-{key}.otf"
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
    data, _ = subset_font(chars, flavor=None, path=full)
    return atomic_write(path, data)


def _gb2312_hanzi() -> str:
    """The 6,763 hanzi of GB 2312 (rows 16–87) and its punctuation (rows 1 and 3)."""
    out = []
    for hi in [0xA1, 0xA3, *range(0xB0, 0xF8)]:
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


def base_covers(base: str | Path, text: str) -> bool:
    """Whether the reduced font ``base`` has every glyph of ``text`` that the full font has.

    Examples
    --------
    >>> base_covers(_full_font(), "社区")
    True
    """
    need = {ord(c) for c in text if c.isprintable()}
    return (need & _cmap(str(_full_font()))) <= _cmap(str(base))


def font_face_css(page: str, *, base: str | Path | None = None, family: str = "EvalkitCJK") -> str:
    """An @font-face rule embedding the subset of the font the page's text needs.

    ``base``: the batch's reduced font (:func:`reduce_font`), used when it covers the
    page; otherwise (or when None) the subset is cut from the full font.
    WOFF (zlib) rather than WOFF2: Brotli at the quality fontTools uses takes most of
    a page's export time for ~10 % smaller fonts.

    Examples
    --------
    >>> font_face_css("<p>社区</p>")[:40]
    '@font-face { font-family: "EvalkitCJK"; '
    """
    text = visible_text(page)
    src = Path(base) if base is not None and os.path.isfile(base) and base_covers(base, text) else None
    data, fmt = subset_font(text, flavor="woff", path=src)
    mime = {"woff2": "font/woff2", "woff": "font/woff", "opentype": "font/otf"}[fmt]
    b64 = base64.b64encode(data).decode("ascii")
    return (f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: 400; '
            f'src: url(data:{mime};base64,{b64}) format("{fmt}"); }}')
