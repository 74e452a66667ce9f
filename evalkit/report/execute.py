"""The batch's execute stage: run one report notebook with papermill in a warm or fresh kernel.

``warm``: the worker's kernel is kept alive across its reports
(:mod:`evalkit.report.warm`); ``fresh``: a new kernel for this report, shut
down after it.  Either way papermill writes its record into the executed
notebook, and a kernel that dies or does not answer while starting is
started again (``ReportTask.start_attempts``; the failed attempts are in the
record's ``kernel.start_retries``).  A notebook whose figures drew text with
glyphs missing from the font fails (:func:`check_glyphs`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from evalkit.report.tasks import ErrorInfo, KernelInfo, ReportTask

__all__ = ["Execution", "run_notebook", "glyph_warnings", "check_glyphs"]

_GLYPH = re.compile(r"Glyph \d+ .*?missing from (?:current )?font", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


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
    """(cell index, text) of every "Glyph ... missing from font" warning in the outputs.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> w = new_output("stream", name="stderr", text="UserWarning: Glyph 31038 missing from font(s) DejaVu Sans.")
    >>> glyph_warnings(new_notebook(cells=[new_code_cell("", outputs=[w])]))
    [(0, 'Glyph 31038 missing from font')]
    """
    return [(i, m.group(0)) for i, s in _output_texts(nb) for m in _GLYPH.finditer(s)]


def check_glyphs(nb) -> None:
    """Raise ReportError when an executed notebook warned about a missing glyph.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook
    >>> check_glyphs(new_notebook())
    """
    found = glyph_warnings(nb)
    if found:
        from evalkit.exceptions import ReportError

        i, msg = found[0]
        raise ReportError(f"第 {i} 个单元格的图形缺少字形（中文字体未生效）：{msg}",
                          f"Cell {i} drew text with glyphs missing from the font: {msg}")


@dataclass
class Execution:
    """The executed notebook (None when it failed), the error, timings and the kernel used."""

    nb: object
    error: ErrorInfo | None
    timings: dict
    kernel: KernelInfo


def _cell_error(err) -> ErrorInfo:
    """papermill's record of a cell that raised (its traceback without terminal colours)."""
    tb = [_ANSI.sub("", line) for line in (err.traceback or [])]
    return ErrorInfo(type=err.ename, message=str(err.evalue)[:2000], cell_index=err.cell_index,
                     execution_count=err.exec_count, cell_source=str(err.source)[:2000],
                     traceback=[ln for block in tb for ln in block.splitlines()][-200:])


def run_notebook(task: ReportTask, nb_path: Path, work: Path) -> Execution:
    """Execute ``task.notebook`` with its parameters into ``nb_path``, in ``work``.

    Never raises for a failure of the report itself (a raising cell, a dead or hung
    kernel, a kernel that would not start, missing glyphs): the error is returned.
    KeyboardInterrupt (the batch was stopped) propagates.
    """
    import nbformat
    import papermill as pm

    from evalkit.report.warm import WarmKernel, get_warm_kernel

    tm: dict = {}
    if task.kernel == "warm":
        k = get_warm_kernel(task.out / ".work", kernel_name=task.kernel_name, start_attempts=task.start_attempts)
    else:
        k = WarmKernel(task.kernel_name, cwd=task.out / ".work", start_attempts=task.start_attempts)
    starts = k.starts
    k.start_retries = []  # the failed starts this report waits for (none when the kernel is reused)
    error = None
    t0 = time.perf_counter()
    try:
        _, ktm = k.execute(task.notebook, nb_path, parameters=task.parameters, cwd=work, timeout=task.timeout)
        tm.update(ktm)
    except pm.PapermillExecutionError as err:
        error = _cell_error(err)
    except Exception as err:  # noqa: BLE001 - kernel died or would not start, timeout: this report fails
        error = ErrorInfo.of(err)
    finally:
        info = KernelInfo(mode=task.kernel, reused=k.starts == starts and starts > 0, starts=k.starts,
                          start_retries=list(k.start_retries))
        if task.kernel == "fresh":
            k.shutdown()
    tm["execute"] = round(time.perf_counter() - t0, 3)
    if error is not None:
        return Execution(None, error, tm, info)
    nb = nbformat.read(str(nb_path), as_version=4)
    tm["cells"] = round(sum(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0)
                            for c in nb.cells), 3)
    from evalkit.exceptions import ReportError

    try:
        check_glyphs(nb)
    except ReportError as err:
        return Execution(None, ErrorInfo.of(err), tm, info)
    return Execution(nb, None, tm, info)
