"""The typed objects passed between the batch's stages: a report's task and its record.

A :class:`ReportTask` is everything a worker needs to build one report
(picklable: it crosses into pool workers); a :class:`ReportRecord` is what
happened, and becomes the report's entry in manifest.json
(:meth:`ReportRecord.to_json`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Kind", "KernelMode", "Status", "BatchOptions", "ReportTask", "KernelInfo", "ErrorInfo", "OutputFile", "ReportRecord",
           "KERNEL_MODES", "FORMATS"]

Kind = Literal["district", "city"]
KernelMode = Literal["warm", "fresh"]
Status = Literal["ok", "failed", "invalid"]
#: ``warm``: one kernel per worker, reused; ``fresh``: a new kernel per report.
KERNEL_MODES = ("warm", "fresh")
#: The output formats of a report (besides its executed notebook).
FORMATS = ("html", "pdf", "xlsx")


@dataclass(frozen=True)
class BatchOptions:
    """What a batch was asked for, checked (:func:`evalkit.report.batch.build_reports`'s arguments).

    ``data`` is the dataset folder as given (recorded in the manifest), ``data_dir``
    the same resolved; ``city_notebook`` None builds no city summary;
    ``uncertainty``/``seed`` the composite index's replicates and their seed.

    Examples
    --------
    >>> o = BatchOptions(data="data/sample", data_dir=Path("data/sample").resolve(), out=Path("reports"), year=2024,
    ...                  districts=None, lang="zh", formats=("html",), jobs=2, notebook=Path("d.ipynb"),
    ...                  city_notebook=None)
    >>> o.kernel, o.city_notebook is None
    ('warm', True)
    """

    data: str
    data_dir: Path
    out: Path
    year: int
    districts: tuple[str, ...] | None
    lang: str
    formats: tuple[str, ...]
    jobs: int
    notebook: Path
    city_notebook: Path | None
    kernel: KernelMode = "warm"
    kernel_name: str = "python3"
    timeout: float = 600
    progress: bool = True
    generated: str = ""
    uncertainty: int = 200
    seed: int = 0


@dataclass(frozen=True)
class ReportTask:
    """One report to build.

    Attributes
    ----------
    kind
        ``"district"`` or ``"city"`` (the city summary).
    name
        The district (the city summary: ``"all"``).
    stem
        The output files' name without extension (:func:`evalkit.report.batch.safe_name`).
    notebook
        The notebook to execute.
    parameters, shown
        The parameters papermill injects, and the same as the manifest records them
        (paths relative to the output folder).
    out
        The output folder.
    formats
        Of :data:`FORMATS`.
    lang, generated
        Report language; the timestamp in the page footer.
    title, synthetic
        The page title, and whether the data are synthetic (dataset.json): every page
        then carries the synthetic-data mark, whatever the notebook shows.
    indicators_path
        The batch's indicator table (the workbook's rows are read from it).
    xlsx_rows
        Whose rows the workbook holds: a district, ``"all"`` (district and city rows)
        or None (no workbook).
    kernel, kernel_name, timeout, start_attempts
        Kernel mode, Jupyter kernel spec, seconds a cell may run, kernel starts tried.
    font_base
        The batch's reduced font (:func:`evalkit.report.webfont.reduce_font`), or None.

    Examples
    --------
    >>> t = ReportTask(kind="district", name="东城区", stem="东城区", notebook=Path("d.ipynb"), parameters={},
    ...                shown={}, out=Path("reports"), formats=("html",), lang="zh", generated="2024-01-01 00:00",
    ...                indicators_path=Path("reports/indicators_2024.parquet"), title="东城区 2024 年报告")
    >>> t.kernel, t.start_attempts
    ('warm', 3)
    """

    kind: Kind
    name: str
    stem: str
    notebook: Path
    parameters: dict
    shown: dict
    out: Path
    formats: tuple[str, ...]
    lang: str
    generated: str
    indicators_path: Path
    title: str = ""
    synthetic: bool = False
    xlsx_rows: str | None = None
    kernel: KernelMode = "warm"
    kernel_name: str = "python3"
    timeout: float = 600
    start_attempts: int = 3
    font_base: Path | None = None


@dataclass
class KernelInfo:
    """The kernel a report ran in: mode, whether it was reused, starts so far, failed starts.

    ``start_retries`` lists the failed attempts of the start this report waited for
    (a kernel that died or did not answer while starting is started again).

    Examples
    --------
    >>> KernelInfo("warm", starts=2, start_retries=["RuntimeError: Kernel died before replying to kernel_info"])
    KernelInfo(mode='warm', reused=False, starts=2, start_retries=['RuntimeError: Kernel died before replying to kernel_info'])
    """

    mode: KernelMode
    reused: bool = False
    starts: int = 0
    start_retries: list[str] = field(default_factory=list)


@dataclass
class ErrorInfo:
    """Why a report failed: the exception, the failing cell, the traceback (no ANSI colours).

    For a district whose data failed validation: ``message_zh``, ``message_en``,
    ``n_errors`` and ``problems`` (the validation report's rows).

    Examples
    --------
    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as err:
    ...     e = ErrorInfo.of(err)
    >>> e.type, e.traceback[-1]
    ('ZeroDivisionError', 'ZeroDivisionError: division by zero')
    """

    type: str
    message: str
    cell_index: int | None = None
    execution_count: int | None = None
    cell_source: str | None = None
    traceback: list[str] = field(default_factory=list)
    message_zh: str | None = None
    message_en: str | None = None
    n_errors: int | None = None
    problems: list[dict] | None = None

    @classmethod
    def of(cls, err: BaseException, **kw) -> "ErrorInfo":
        """From an exception, with its traceback."""
        import traceback

        tb = "".join(traceback.format_exception(type(err), err, err.__traceback__)).splitlines()
        return cls(type=type(err).__name__, message=str(err)[:2000], traceback=tb[-200:], **kw)

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items()
                if v is not None or k in ("cell_index",)}


@dataclass
class OutputFile:
    """A file a report wrote: its name in the output folder, its SHA-256 and size.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "东城区.html"
    >>> _ = p.write_text("x")
    >>> OutputFile.of(p).bytes
    1
    """

    path: str
    sha256: str
    bytes: int

    @classmethod
    def of(cls, path: Path) -> "OutputFile":
        from evalkit.report.manifest import sha256_file

        return cls(path.name, sha256_file(path), path.stat().st_size)


@dataclass
class ReportRecord:
    """What happened to one report: the manifest's entry.

    ``status`` is ``ok``, ``failed`` (an error, a dead kernel, a timeout, a worker that
    died) or ``invalid`` (its data failed validation: not built); ``attempts`` counts
    the runs (a report whose worker died is run again once).

    Examples
    --------
    >>> r = ReportRecord(kind="district", name="东城区", parameters={"district": "东城区"})
    >>> r.to_json()["status"], r.ok
    ('ok', True)
    """

    kind: Kind
    name: str
    parameters: dict
    status: Status = "ok"
    outputs: list[OutputFile] = field(default_factory=list)
    error: ErrorInfo | None = None
    timings: dict[str, float] = field(default_factory=dict)
    duration: float = 0.0
    kernel: KernelInfo | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, error: ErrorInfo) -> None:
        self.status, self.error, self.outputs = "failed", error, []

    def to_json(self) -> dict:
        d = {"kind": self.kind, "name": self.name, "parameters": self.parameters, "status": self.status,
             "outputs": [asdict(o) for o in self.outputs], "error": None if self.error is None else self.error.to_json(),
             "timings": self.timings, "duration": self.duration, "attempts": self.attempts}
        if self.kernel is not None:
            d["kernel"] = asdict(self.kernel)
        return d
