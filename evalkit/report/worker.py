"""What a worker does for one report: execute, export, and put the files in place.

:func:`run_task` runs in a pool worker (or in the batch's own process with
``jobs=1``).  The notebook runs in a folder of its own under
``out/.work``; every output is written there first and renamed into place
only when all of them are complete, so no half-written report is ever in
the output folder.  A report that fails keeps no stale output of an earlier
run; its executed notebook is kept as ``<stem>.failed.ipynb``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from evalkit.report.tasks import ErrorInfo, OutputFile, ReportRecord, ReportTask

__all__ = ["run_task", "EXTENSIONS"]

#: The files of a report, in the order they are put in place (the page last).
EXTENSIONS = ("ipynb", "xlsx", "pdf", "html")


def _export(task: ReportTask, nb, work: Path, tm: dict) -> dict[str, Path]:
    """Write the report's formats into ``work``; returns extension -> staged file."""
    from evalkit.files import atomic_write
    from evalkit.report.htmlpage import html_from_notebook

    staged = {}
    t1 = time.perf_counter()
    page = html_from_notebook(nb, title=task.title, synthetic=task.synthetic, lang=task.lang, generated=task.generated,
                              font_base=task.font_base)
    if "html" in task.formats:
        staged["html"] = atomic_write(work / f"{task.stem}.html", page)
    tm["html"] = round(time.perf_counter() - t1, 3)
    if "pdf" in task.formats:
        from evalkit.report.pdf import to_pdf

        t1 = time.perf_counter()
        staged["pdf"] = to_pdf(page, work / f"{task.stem}.pdf")
        tm["pdf"] = round(time.perf_counter() - t1, 3)
    if "xlsx" in task.formats and task.xlsx_rows is not None:
        from evalkit.report.xlsx import report_rows, to_xlsx

        t1 = time.perf_counter()
        rows = report_rows(task.indicators_path, task.xlsx_rows, int(task.parameters["year"]))
        staged["xlsx"] = to_xlsx(rows, work / f"{task.stem}.xlsx", lang=task.lang)
        tm["xlsx"] = round(time.perf_counter() - t1, 3)
    return staged


def _finals(task: ReportTask) -> dict[str, Path]:
    return {ext: task.out / f"{task.stem}.{ext}" for ext in EXTENSIONS}


def remove_outputs(out: Path, stem: str) -> None:
    """Remove a report's files of an earlier run (its formats and a failed notebook)."""
    for ext in (*EXTENSIONS, "failed.ipynb"):
        (out / f"{stem}.{ext}").unlink(missing_ok=True)


def run_task(task: ReportTask) -> ReportRecord:
    """Build one report; never raises for the report's own failure (it is in the record).

    Returns
    -------
    ReportRecord
        ``ok`` with its files, or ``failed`` with the error (cell, traceback) and the
        executed notebook kept as ``<stem>.failed.ipynb`` when there is one.
    """
    from evalkit.report.execute import run_notebook

    t0 = time.perf_counter()
    rec = ReportRecord(kind=task.kind, name=task.stem, parameters=task.shown)
    work = Path(tempfile.mkdtemp(prefix=f"{task.stem[:20]}-", dir=task.out / ".work"))
    nb_tmp = work / f"{task.stem}.ipynb"
    try:
        ex = run_notebook(task, nb_tmp, work)
        rec.timings, rec.kernel = ex.timings, ex.kernel
        if ex.error is None:
            try:
                staged = _export(task, ex.nb, work, rec.timings)
            except Exception as err:  # noqa: BLE001 - an export that fails fails this report, traceback kept
                ex.error = ErrorInfo.of(err)
        if ex.error is None:
            staged["ipynb"] = nb_tmp
            (task.out / f"{task.stem}.failed.ipynb").unlink(missing_ok=True)
            for ext, final in _finals(task).items():  # all complete: rename into place (same file system)
                if ext in staged:
                    os.replace(staged[ext], final)
                    rec.outputs.append(OutputFile.of(final))
                else:
                    final.unlink(missing_ok=True)  # stale output of an earlier run with other formats
        else:
            rec.fail(ex.error)
            remove_outputs(task.out, task.stem)
            if nb_tmp.exists():
                failed = task.out / f"{task.stem}.failed.ipynb"
                os.replace(nb_tmp, failed)
                rec.outputs.append(OutputFile.of(failed))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rec.duration = round(time.perf_counter() - t0, 3)
    return rec
