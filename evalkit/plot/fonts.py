"""CJK fonts for matplotlib and the HTML/PDF exports.

The regular face is Noto Sans SC (SIL OFL 1.1) from the PyPI package
``pylopdf-fonts-zh-cn``, a dependency of evalkit, so Chinese renders on a
fresh machine with nothing else installed.  It is the Simplified Chinese
face and a static (not variable) font: matplotlib draws variable fonts at
their thinnest weight.  When Debian's ``fonts-noto-cjk`` is present its
static bold face is registered too and used for titles.  SimHei is never
used: its licence forbids redistribution.

Notes
-----
``setup()`` is idempotent and cheap after the first call.  It registers the
files with :meth:`matplotlib.font_manager.FontManager.addfont` (no font
cache rebuild) and puts the CJK family first in ``font.sans-serif`` with
DejaVu Sans after it, so Latin text and CJK text both find glyphs and
matplotlib never warns "Glyph ... missing from font".

References
----------
Noto CJK fonts, https://github.com/notofonts/noto-cjk (SIL OFL 1.1).
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["FAMILY", "BOLD_FAMILY", "regular_path", "bold_path", "setup", "bold", "font_info"]

FAMILY = "Noto Sans SC"
#: Face 0 of Debian's NotoSansCJK-Bold.ttc (matplotlib reads face 0 of a collection).
BOLD_FAMILY = "Noto Sans CJK JP"
_DEBIAN_BOLD = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
)


def regular_path() -> Path:
    """Path of the static Noto Sans SC Regular OTF shipped by ``pylopdf-fonts-zh-cn``.

    Examples
    --------
    >>> regular_path().suffix.lower()
    '.otf'
    """
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError as err:  # pragma: no cover - it is a dependency
        from evalkit.exceptions import ReportError

        raise ReportError(
            "缺少中文字体包 pylopdf-fonts-zh-cn，请运行 pip install pylopdf-fonts-zh-cn。",
            "The Chinese font package pylopdf-fonts-zh-cn is missing: pip install pylopdf-fonts-zh-cn.",
        ) from err
    return Path(sans_path())


def bold_path() -> Path | None:
    """Path of Debian's Noto Sans CJK Bold collection, or None when not installed.

    Examples
    --------
    >>> bold_path() is None or bold_path().name == "NotoSansCJK-Bold.ttc"
    True
    """
    for p in _DEBIAN_BOLD:
        if p.is_file():
            return p
    return None


def font_info(path: str | Path) -> dict:
    """Family, subfamily, variable flag and weight of a font file (face 0).

    Used by the tests to check that the shipped face is Simplified Chinese and static.

    Examples
    --------
    >>> info = font_info(regular_path())
    >>> info["family"], info["variable"], info["weight"]
    ('Noto Sans SC', False, 400)
    """
    from fontTools.ttLib import TTFont

    f = TTFont(str(path), fontNumber=0, lazy=True)
    name = f["name"]
    return {
        "family": name.getDebugName(1),
        "subfamily": name.getDebugName(2),
        "variable": "fvar" in f,
        "weight": f["OS/2"].usWeightClass,
    }


@functools.cache
def _register() -> None:
    """Add the font files to matplotlib's font manager (once per process: parsing is the cost)."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(regular_path()))
    b = bold_path()
    if b is not None:
        try:
            font_manager.fontManager.addfont(str(b))
        except Exception:  # pragma: no cover - a damaged system font is not fatal
            pass


def setup() -> str:
    """Register the CJK fonts with matplotlib and make them the default.

    The files are registered once per process; the rcParams are set on every
    call (cheap), so a kernel whose rcParams were restored between reports
    gets the CJK default back.

    Returns
    -------
    str
        The family name now first in ``font.sans-serif``.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> setup() == mpl.rcParams["font.sans-serif"][0] == "Noto Sans SC"
    True
    """
    import matplotlib as mpl

    _register()
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f not in (FAMILY, "DejaVu Sans")]
    mpl.rcParams["font.sans-serif"] = [FAMILY, "DejaVu Sans", *rest]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False  # U+2212 is fine in Noto, but keep ASCII
    mpl.rcParams["svg.fonttype"] = "path"
    mpl.rcParams["pdf.fonttype"] = 42
    return FAMILY


def bold() -> dict:
    """Keyword arguments for a bold title: the Debian bold face when present, else none (regular).

    Examples
    --------
    >>> kw = bold()
    >>> kw == {} or kw["fontweight"] == "bold"
    True
    """
    setup()
    if bold_path() is not None:
        # no regular-only family in the list: matplotlib would log "Failed to find font weight bold"
        return {"fontfamily": [BOLD_FAMILY, "DejaVu Sans"], "fontweight": "bold"}
    # no static bold CJK face: asking for bold would only log "Failed to find font weight bold"
    return {}
