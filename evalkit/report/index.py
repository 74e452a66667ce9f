"""out/index.html: every report with its status and links, and the city summary."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from evalkit import labels as tx

__all__ = ["index_html", "write_index"]
esc = html.escape


def _link(rel: str, label: str) -> str:
    return f'<a href="{esc(quote(rel))}">{esc(label)}</a>'


def index_html(manifest: dict, *, lang: str = "zh", generated: str = "", summary_html: str = "") -> str:
    """The index page as HTML (names escaped, links relative, no external resources).

    ``summary_html`` (already escaped, e.g. :func:`evalkit.report.sections.city_ranks_html`)
    is shown under the city summary's link: every district side by side.
    """
    from evalkit.report.export import CSS_PATH, finish_page

    reps = manifest.get("reports", [])
    ok = sum(r["status"] == "ok" for r in reps)
    rows = []
    for r in reps:
        links = " · ".join(_link(f["path"], f["path"].rsplit(".", 1)[-1].upper())
                           for f in r.get("outputs", []) if not f["path"].endswith(".ipynb"))
        status = tx.t(r["status"] if r["status"] in ("ok", "invalid") else "failed", lang)
        err = "" if r["status"] == "ok" else esc((r.get("error") or {}).get("message", ""))[:300]
        page = next((f["path"] for f in r.get("outputs", []) if f["path"].endswith(".html")), None)
        dname = str(r["parameters"].get("district", ""))
        dcell = _link(page, dname) if page else esc(dname)
        rows.append(f'<tr><td>{dcell}</td>'
                    f'<td class="status-{esc(r["status"])}">{esc(status)}</td><td>{links}</td>'
                    f'<td>{r.get("duration", 0):.1f}</td><td>{err}</td></tr>')
    head = "".join(f"<th>{esc(tx.t(k, lang))}</th>" for k in ("col_district", "col_status", "col_files",
                                                                    "col_duration", "col_error"))
    city = manifest.get("city_summary")
    city_html = ""
    if city:
        lk = " · ".join(_link(f["path"], f["path"].rsplit(".", 1)[-1].upper())
                        for f in city.get("outputs", []) if not f["path"].endswith(".ipynb"))
        city_html = (f'<h2>{esc(tx.t("city_summary_link", lang))}</h2><p class="status-{esc(city["status"])}">'
                     f'{esc(tx.t("ok" if city["status"] == "ok" else "failed", lang))} {lk}</p>')
    ds = manifest.get("dataset", {})
    unknown = tx.t("unknown", lang)
    source = _h_p(tx.t("index_source", lang, source=ds.get("source") or unknown, as_of=ds.get("as_of") or unknown))
    if summary_html:
        city_html += f'<h3>{esc(tx.t("index_table", lang))}</h3>{summary_html}'
    synthetic = bool(ds.get("synthetic"))
    banner = f'<div class="synthetic-banner">{esc(tx.t("synthetic_mark", lang))}</div>' if synthetic else ""
    title = tx.t("index_title", lang)
    page = (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>{esc(title)}</title>'
            f'<style>/*@EVALKIT_FONT_FACE@*/\n{CSS_PATH.read_text(encoding="utf-8")}</style></head>'
            f'<body class="{"synthetic" if synthetic else ""}">{banner}<main class="report"><h1>{esc(title)}</h1>'
            f'{source}<p>{esc(tx.t("index_summary", lang, total=len(reps), ok=ok, failed=len(reps) - ok))}</p>'
            f'{city_html}<h2>{esc(tx.t("col_report", lang))}</h2>'
            f'<table class="index"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<footer class="generated">{esc(tx.t("generated", lang))}{"：" if lang == "zh" else ": "}{esc(generated)} · evalkit</footer>'
            f'</main></body></html>')
    return finish_page(page)


def _h_p(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def write_index(out: str | Path, manifest: dict, *, lang: str = "zh", generated: str = "",
                summary_html: str = "") -> Path:
    """Write ``out/index.html`` atomically."""
    from evalkit.report.export import atomic_write

    return atomic_write(Path(out) / "index.html",
                        index_html(manifest, lang=lang, generated=generated, summary_html=summary_html))
