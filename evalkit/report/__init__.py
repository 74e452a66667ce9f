"""Reports: the batch, HTML/PDF/XLSX export, manifest, index and the zh/en text table.

Lazy: nothing heavy is imported until used.

    from evalkit.report import build_reports
    build_reports("data/sample", year=2024, out="reports", jobs=2)
"""

from __future__ import annotations

from evalkit._lazy import lazy_exports

_LAZY = {
    "build_reports": "evalkit.report.batch",
    "to_html": "evalkit.report.export",
    "to_pdf": "evalkit.report.export",
    "to_xlsx": "evalkit.report.export",
    "html_from_notebook": "evalkit.report.export",
    "atomic_write": "evalkit.report.export",
    "glyph_warnings": "evalkit.report.export",
    "write_manifest": "evalkit.report.manifest",
    "write_index": "evalkit.report.index",
    "safe_name": "evalkit.report.batch",
    "t": "evalkit.labels",
}
_SUBMODULES = {"batch", "export", "manifest", "index", "sections"}

__all__ = sorted(_LAZY) + sorted(_SUBMODULES)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _SUBMODULES)
