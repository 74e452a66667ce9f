"""The batch's PDF export: the report page rendered by WeasyPrint, offline.

The ``pdf`` extra (``pip install evalkit[pdf]``) provides WeasyPrint; it is
imported only here, inside the functions, so evalkit imports without it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["require_pdf", "to_pdf", "offline_fetcher"]


def offline_fetcher():
    """A WeasyPrint URL fetcher allowing only ``data:`` URIs (no network, no files).

    Examples
    --------
    >>> fetch = offline_fetcher()  # doctest: +SKIP
    >>> fetch("https://example.org/x.css")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    """
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

    Examples
    --------
    >>> require_pdf().__name__  # doctest: +SKIP
    'HTML'
    """
    try:
        from weasyprint import HTML
    except ImportError as err:
        from evalkit.exceptions import ReportError

        raise ReportError("生成 PDF 需要 WeasyPrint：pip install 'evalkit[pdf]'。",
                          "PDF output needs WeasyPrint: pip install 'evalkit[pdf]'.") from err
    return HTML


def to_pdf(page: str, path: str | Path) -> Path:
    """Render an HTML page (:func:`evalkit.report.htmlpage.page`) to PDF, offline, atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evalkit.report.htmlpage import page
    >>> p = to_pdf(page("<p>社区</p>", title="t"), pathlib.Path(tempfile.mkdtemp()) / "r.pdf")  # doctest: +SKIP
    >>> p.read_bytes()[:4]  # doctest: +SKIP
    b'%PDF'
    """
    import logging

    from evalkit.files import atomic_write

    HTML = require_pdf()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return atomic_write(path, HTML(string=page, url_fetcher=offline_fetcher()).write_pdf())
