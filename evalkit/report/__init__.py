"""Reports: the batch, the document model, HTML/PDF/XLSX export, manifest and index.

Lazy: nothing heavy is imported until used.

    from evalkit.report import build_reports
    build_reports("data/sample", year=2024, out="reports", jobs=2)

Modules by job: gathering (``data``, ``numbers``), sentences (``findings``),
the pilot comparison (``pilot``), rendering to blocks (``sections``,
``blocks``), notebook display (``notebook``), the batch's stages
(``precompute``, ``execute``, ``worker``, ``pool``, ``htmlpage``, ``pdf``,
``xlsx``, ``manifest``, ``index``) and the pipeline (``batch``).
"""

from __future__ import annotations

from evalkit._lazy import lazy_exports

_LAZY = {
    "build_reports": "evalkit.report.batch",
    "safe_name": "evalkit.report.batch",
    "html_from_notebook": "evalkit.report.htmlpage",
    "to_pdf": "evalkit.report.pdf",
    "to_xlsx": "evalkit.report.xlsx",
    "atomic_write": "evalkit.files",
    "glyph_warnings": "evalkit.report.execute",
    "write_manifest": "evalkit.report.manifest",
    "write_index": "evalkit.report.index",
    "read_blocks": "evalkit.report.blocks",
    "prepare": "evalkit.report.data",
}
_SUBMODULES = {"batch", "blocks", "data", "numbers", "findings", "pilot", "sections", "notebook", "precompute",
               "execute", "worker", "pool", "tasks", "warm", "htmlpage", "webfont", "pdf", "xlsx",
               "manifest", "index"}

__all__ = sorted(_LAZY) + sorted(_SUBMODULES)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _SUBMODULES)
