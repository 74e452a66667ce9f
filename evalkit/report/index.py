"""The batch's index stage: out/index.html lists every report with its status and links.

Below the city summary's link it shows the districts side by side (the city
summary's own table, :func:`evalkit.report.sections.city_table`, as blocks),
with the districts whose data failed validation marked and left out of the
ranks.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from evalkit import labels as tx

__all__ = ["index_html", "write_index"]
esc = html.escape


def _link(rel: str, label: str) -> str:
    return f'<a href="{esc(quote(rel))}">{esc(label)}</a>'


def _files(rec: dict) -> str:
    return " · ".join(_link(f["path"], f["path"].rsplit(".", 1)[-1].upper())
                      for f in rec.get("outputs", []) if not f["path"].endswith(".ipynb"))


def index_html(manifest: dict, *, lang: str = "zh", generated: str = "", summary=(), font_base=None) -> str:
    """The index page as HTML (names escaped, links relative, no external resources).

    Parameters
    ----------
    manifest
        The manifest's JSON (:meth:`evalkit.report.manifest.Manifest.to_json`).
    summary
        Blocks shown under the city summary's link (the districts side by side).
    font_base
        The batch's reduced font, or None.

    Examples
    --------
    >>> m = {"reports": [{"parameters": {"district": "<b>"}, "status": "failed", "duration": 1.0,
    ...                   "error": {"message": "x"}, "outputs": []}], "dataset": {}}
    >>> page = index_html(m, generated="2024-01-01")
    >>> "&lt;b&gt;" in page and "<b>" not in page
    True
    """
    from evalkit.report.blocks import Heading
    from evalkit.report.htmlpage import block_html, page

    reps = manifest.get("reports", [])
    ok = sum(r["status"] == "ok" for r in reps)
    rows = []
    for r in reps:
        status = tx.t(r["status"] if r["status"] in ("ok", "invalid") else "failed", lang)
        err = "" if r["status"] == "ok" else esc((r.get("error") or {}).get("message", ""))[:300]
        pg = next((f["path"] for f in r.get("outputs", []) if f["path"].endswith(".html")), None)
        dname = str(r["parameters"].get("district", ""))
        rows.append(f'<tr><td>{_link(pg, dname) if pg else esc(dname)}</td>'
                    f'<td class="status-{esc(r["status"])}">{esc(status)}</td><td>{_files(r)}</td>'
                    f'<td>{r.get("duration", 0):.1f}</td><td>{err}</td></tr>')
    head = "".join(f"<th>{esc(tx.t(k, lang))}</th>" for k in ("col_district", "col_status", "col_files",
                                                                    "col_duration", "col_error"))
    city = manifest.get("city_summary")
    city_html = ""
    if city:
        city_html = (f'<h2>{esc(tx.t("city_summary_link", lang))}</h2><p class="status-{esc(city["status"])}">'
                     f'{esc(tx.t("ok" if city["status"] == "ok" else "failed", lang))} {_files(city)}</p>')
    if summary:  # the city summary's table and its notes (its own heading and number left out)
        city_html += "".join(block_html(b) for b in summary if not isinstance(b, Heading))
    ds = manifest.get("dataset", {})
    unknown = tx.t("unknown", lang)
    as_of = ds.get("as_of") or (tx.t("as_of_inferred", lang, date=ds["as_of_data"]) if ds.get("as_of_data") else unknown)
    source = tx.t("index_source", lang, source=tx.localised(ds.get("source"), lang) or unknown, as_of=as_of)
    title = tx.t("index_title", lang)
    body = (f"<h1>{esc(title)}</h1><p>{esc(source)}</p>"
            f'<p>{esc(tx.t("index_summary", lang, total=len(reps), ok=ok, failed=len(reps) - ok))}</p>'
            f'{city_html}<h2>{esc(tx.t("col_report", lang))}</h2>'
            f'<table class="index"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    footer = f'{tx.t("generated", lang)}{"：" if lang == "zh" else ": "}{generated} · evalkit'
    return page(body, title=title, lang=lang, synthetic=bool(ds.get("synthetic")), footer=footer, font_base=font_base)


def write_index(out: str | Path, manifest: dict, *, lang: str = "zh", generated: str = "", summary=(),
                font_base=None) -> Path:
    """Write ``out/index.html`` atomically (see :func:`index_html`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_index(pathlib.Path(tempfile.mkdtemp()), {"reports": [], "dataset": {}})
    >>> p.name
    'index.html'
    """
    from evalkit.files import atomic_write

    return atomic_write(Path(out) / "index.html",
                        index_html(manifest, lang=lang, generated=generated, summary=summary, font_base=font_base))
