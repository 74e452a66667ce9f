"""Export an executed report notebook: self-contained HTML, PDF, XLSX; atomic writes.

HTML: nbconvert's :class:`~nbconvert.HTMLExporter` with evalkit's own
template (``templates/evalkit_report``), which extends the classic cell
rendering but writes its own ``<head>``: no require.js, MathJax, jQuery or
any other ``<script src=`` / stylesheet link, so the page opens with no
network.  Code, prompts, the parameters cells and stderr are not shown;
images are the notebook's PNG outputs as data URIs; the CJK font is embedded
as a subset with only the glyphs the page uses (fontTools; WOFF), cut from a
reduced copy made once per batch (:func:`reduce_font`).

PDF: WeasyPrint renders that HTML offline (a URL fetcher that refuses
anything but ``data:`` URIs) and embeds its own font subset.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io
import os
import re
from pathlib import Path

__all__ = ["atomic_write", "glyph_warnings", "check_glyphs", "to_html", "html_from_notebook",
           "subset_font", "font_face_css", "to_pdf", "to_xlsx", "CSS_PATH", "TEMPLATE_DIR"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
CSS_PATH = TEMPLATE_DIR / "report.css"
_GLYPH = re.compile(r"Glyph \d+ .*?missing from (?:current )?font", re.S)
_HIDE_TAGS = {"parameters", "injected-parameters", "remove_cell", "hide"}


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to a temporary name beside ``path`` and rename it into place.

    Notes
    -----
    :func:`os.replace` is atomic on POSIX and Windows within one file system,
    so a reader (or an interrupted batch) never sees a half-written file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _output_texts(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                yield i, out.get("text", "")
            elif out.get("output_type") == "error":
                yield i, "\n".join(out.get("traceback", []))
            else:
                yield i, str(out.get("data", {}).get("text/plain", ""))


def glyph_warnings(nb) -> list[tuple[int, str]]:
    """(cell index, text) of every "Glyph ... missing from font" warning in the outputs."""
    return [(i, m.group(0)) for i, s in _output_texts(nb) for m in _GLYPH.finditer(s)]


def check_glyphs(nb) -> None:
    """Raise ReportError when an executed notebook warned about a missing glyph."""
    found = glyph_warnings(nb)
    if found:
        from evalkit.exceptions import ReportError

        i, msg = found[0]
        raise ReportError(f"第 {i} 个单元格的图形缺少字形（中文字体未生效）：{msg}",
                          f"Cell {i} drew text with glyphs missing from the font: {msg}")


def _visible_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return _html.unescape(page)


def subset_font(text: str, *, flavor: str | None = "woff2", path: str | Path | None = None) -> tuple[bytes, str]:
    """A subset of the CJK font holding only the characters of ``text`` (plus ASCII).

    Returns
    -------
    (bytes, str)
        The font data and its CSS format name (``woff2``, ``woff`` or ``opentype``).

    Notes
    -----
    The head table's timestamp is kept, so the same text gives the same bytes.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from evalkit.plot.fonts import regular_path

    if path is None:
        base = base_font_for(text)
        path = base if base is not None else regular_path()
    if flavor == "woff2":
        try:
            import brotli  # noqa: F401
        except ImportError:
            flavor = "woff"
    chars = set(text) | {chr(c) for c in range(0x20, 0x7F)}
    chars = {c for c in chars if c.isprintable()}
    opts = subset.Options()
    opts.flavor = flavor
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    # bounding boxes are kept from the source font: recomputing them from the CFF
    # charstrings is most of the cost, and the subset's glyphs are unchanged
    font = TTFont(str(path), recalcTimestamp=False, recalcBBoxes=Path(path) == _full_font())
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    font.flavor = flavor
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue(), {"woff2": "woff2", "woff": "woff", None: "opentype"}[flavor]


#: Environment variable naming a pre-reduced font (:func:`reduce_font`) that pages subset from.
FONT_BASE_ENV = "EVALKIT_FONT_BASE"


def reduce_font(text: str, path: str | Path | None = None) -> Path:
    """A reduced copy of the CJK font: the characters of ``text``, ASCII and the common hanzi.

    The batch calls this once with every string its reports can show (labels,
    catalog, unit names, dataset.json, the pilot paragraphs); each page then
    subsets this small font instead of parsing the 8 MB OTF again
    (:func:`subset_font`).  Besides ``text`` it keeps the 6,763 hanzi of
    GB 2312, so a page whose text was not foreseen still finds its glyphs
    here, and the cache key (the character set) rarely changes with the data.

    Parameters
    ----------
    text
        The characters to keep.
    path
        Where to write it; default a cache file named by the character set's
        hash in ``$EVALKIT_CACHE`` (or ``~/.cache/evalkit``), reused by later batches.

    Returns
    -------
    Path
        An uncompressed OpenType file, written atomically.

    Notes
    -----
    Subsetting keeps glyph outlines unchanged, so a page subset from the
    reduced font has the same glyphs as one subset from the full font.
    """
    import hashlib

    full = _full_font()
    chars = set(text) | set(_gb2312_hanzi()) | {chr(c) for c in range(0x20, 0x7F)} | set(_EXTRA_CHARS)
    chars = "".join(sorted(c for c in chars if c.isprintable() and ord(c) in _FULL_CMAP()))
    if path is None:
        st = full.stat()
        key = hashlib.sha256(f"{full.name}|{st.st_size}|{chars}".encode("utf-8")).hexdigest()[:16]
        cache = Path(os.environ.get("EVALKIT_CACHE") or Path.home() / ".cache" / "evalkit") / "fonts"
        path = cache / f"base-{key}.otf"
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


_EXTRA_CHARS = "，。、；：？！“”‘’（）《》【】—…·％×≥≤±–−²χαβ°０１２３４５６７８９"


def _full_font() -> Path:
    from evalkit.plot.fonts import regular_path

    return regular_path()


_BASE_CMAPS: dict[str, frozenset] = {}


def base_font_for(text: str) -> Path | None:
    """The pre-reduced font named by ``EVALKIT_FONT_BASE`` when it covers ``text``, else None."""
    p = os.environ.get(FONT_BASE_ENV)
    if not p or not os.path.isfile(p):
        return None
    cmap = _BASE_CMAPS.get(p)
    if cmap is None:
        from fontTools.ttLib import TTFont

        cmap = frozenset(TTFont(p, lazy=True).getBestCmap())
        _BASE_CMAPS[p] = cmap
    need = {ord(c) for c in text if c.isprintable()}
    full = _FULL_CMAP()
    # characters the full font lacks are not needed from the base either
    return Path(p) if (need & full) <= cmap else None


def _FULL_CMAP() -> frozenset:  # noqa: N802 - cached constant
    global _FULL
    try:
        return _FULL
    except NameError:
        from fontTools.ttLib import TTFont

        _FULL = frozenset(TTFont(str(_full_font()), lazy=True).getBestCmap())
        return _FULL


def font_face_css(page: str, *, family: str = "EvalkitCJK") -> str:
    """An @font-face rule embedding the subset of the font the page's text needs.

    WOFF (zlib) rather than WOFF2: Brotli at the quality fontTools uses takes
    most of a page's export time for ~10% smaller fonts.
    """
    data, fmt = subset_font(_visible_text(page), flavor="woff")
    mime = {"woff2": "font/woff2", "woff": "font/woff", "opentype": "font/otf"}[fmt]
    b64 = base64.b64encode(data).decode("ascii")
    return (f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: 400; '
            f'src: url(data:{mime};base64,{b64}) format("{fmt}"); }}')


def _page_css(synthetic: bool, lang: str) -> str:
    css = CSS_PATH.read_text(encoding="utf-8")
    if synthetic:
        from evalkit.labels import t

        mark = t("synthetic_mark", lang).replace('"', "")
        css += (f'\n@page {{ @top-center {{ content: "{mark}"; color: #a3261d; font-weight: bold; }} }}\n'
                "@media print { .synthetic-banner { display: none; } }\n")
    return css


def finish_page(page: str) -> str:
    """Embed the font subset in a page rendered with the placeholder."""
    return page.replace("/*@EVALKIT_FONT_FACE@*/", font_face_css(page), 1)


def html_from_notebook(nb, *, title: str, synthetic: bool = False, lang: str = "zh",
                       generated: str | None = None, note: str = "") -> str:
    """Render an executed notebook as evalkit's self-contained report page.

    Parameters
    ----------
    nb
        A notebook node (nbformat v4) or a path to one.
    title
        The page title (escaped).
    synthetic
        Show the "示例数据 · synthetic data" banner (and a page-margin mark in print).
    generated
        The timestamp shown in the footer; the only part that differs between reruns.
    note
        A notice shown (escaped) at the top of the page, e.g. the city summary's
        note that some districts' data failed validation.  Empty: none.

    Returns
    -------
    str
        The HTML page.
    """
    import copy

    import nbformat
    from nbconvert import HTMLExporter

    from evalkit.labels import t

    if isinstance(nb, (str, Path)):
        nb = nbformat.read(str(nb), as_version=4)
    check_glyphs(nb)
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if _HIDE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        cell["id"] = f"c{len(cells)}"  # stable anchors: reruns give the same page
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    gen = generated or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    exporter = HTMLExporter(template_name="evalkit_report", extra_template_basedirs=[str(TEMPLATE_DIR)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    resources = {"evalkit": {
        "lang_code": "zh-CN" if lang == "zh" else "en", "title": title, "synthetic": synthetic, "note": note,
        "synthetic_mark": t("synthetic_mark", lang), "css": _page_css(synthetic, lang),
        "footer": f"{t('generated', lang)}{'：' if lang == 'zh' else ': '}{gen} · evalkit"}}
    page, _ = exporter.from_notebook_node(nb, resources=resources)
    return finish_page(page)


def to_html(nb, path: str | Path, **kwargs) -> Path:
    """Write :func:`html_from_notebook` atomically to ``path``."""
    return atomic_write(path, html_from_notebook(nb, **kwargs))


def _offline_fetcher():
    """A WeasyPrint URL fetcher allowing only ``data:`` URIs (no network, no files)."""
    try:
        from weasyprint.urls import URLFetcher

        return URLFetcher(allowed_protocols={"data"})
    except ImportError:  # WeasyPrint < 66: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if url.startswith("data:"):
                return default_url_fetcher(url, *args, **kwargs)
            raise ValueError(f"offline: refusing to fetch {url[:60]}")

        return fetch


def require_pdf():
    """WeasyPrint's ``HTML`` class, or a ReportError saying how to install it.

    The batch calls it before any work when PDF is asked for, so a missing
    WeasyPrint stops the run at once instead of failing every report at its end.
    """
    try:
        from weasyprint import HTML
    except ImportError as err:
        from evalkit.exceptions import ReportError

        raise ReportError("生成 PDF 需要 WeasyPrint：pip install 'evalkit[pdf]'。",
                          "PDF output needs WeasyPrint: pip install 'evalkit[pdf]'.") from err
    return HTML


def to_pdf(page: str, path: str | Path) -> Path:
    """Render an HTML page to PDF with WeasyPrint, offline, and write it atomically.

    The ``pdf`` extra (``pip install evalkit[pdf]``) provides WeasyPrint.
    """
    HTML = require_pdf()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    data = HTML(string=page, url_fetcher=_offline_fetcher()).write_pdf()
    return atomic_write(path, data)


XLSX_HEADERS = {
    "indicator": ("指标编号", "indicator id"), "name": ("指标名称", "indicator"),
    "measure": ("计量单位", "measure"),
    "level": ("层级", "level"), "unit_id": ("单位编码", "unit id"), "unit_name": ("单位名称", "unit"),
    "district": ("区县", "district"), "period": ("时期", "period"), "category": ("分类", "category"),
    "value": ("数值", "value"), "se": ("标准误", "se"), "ci_low": ("95%置信区间下限", "95% CI low"),
    "ci_high": ("95%置信区间上限", "95% CI high"), "deff": ("设计效应", "design effect"),
    "n": ("样本量", "n"), "numerator": ("分子", "numerator"), "denominator": ("分母", "denominator"),
    "p_value": ("p值", "p value"), "suppressed": ("是否隐去", "suppressed"), "note": ("备注", "note"),
}
_LEVEL_ZH = {"community": "社区", "street": "街道", "district": "区县", "city": "全市"}


def to_xlsx(table, path: str | Path, *, lang: str = "zh", sheet: str | None = None) -> Path:
    """Write indicator rows to an Excel workbook with Chinese (or English) headers, atomically.

    One sheet per level (社区, 街道, 区县, 全市), each with the indicator's
    catalog name and unit of measure beside its id (shares are written as
    fractions, and the unit says so); headers frozen; written to a temporary name
    and renamed.
    """
    from evalkit.families.output import xlsx_bytes
    from evalkit.labels import name, unit, unit_label

    k = 0 if lang == "zh" else 1
    df = table.copy()
    df.insert(1, "name", df["indicator"].map(lambda i: name(i, lang)))
    # the cells hold the raw values: shares as fractions, so say so (the HTML shows percents)
    fractions = {"share": ("比例（0–1，0.25 即 25%）", "proportion (0–1; 0.25 = 25%)"),
                 "share_points": ("比例之差（0.05 即 5 个百分点）", "difference of proportions (0.05 = 5 points)")}

    def measure(ind: str) -> str:
        u = unit(ind)
        return fractions[u][k] if u in fractions else unit_label(u, lang)

    df.insert(2, "measure", df["indicator"].map(measure))
    sheets = []
    levels = [lv for lv in ("community", "street", "district", "city") if (df["level"] == lv).any()]
    for lv in levels or ["all"]:
        part = df.loc[df["level"] == lv] if levels else df
        out = part.rename(columns={c: XLSX_HEADERS[c][k] for c in part.columns if c in XLSX_HEADERS})
        sheets.append((sheet or (_LEVEL_ZH.get(lv, lv) if lang == "zh" else lv), out))
    return atomic_write(path, xlsx_bytes(sheets))
