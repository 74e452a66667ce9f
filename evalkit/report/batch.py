"""The report batch: one report per district, a city summary, an index and a manifest.

:func:`build_reports` is a pipeline of stages, each its own module, with
typed objects between them (:mod:`evalkit.report.tasks`):

1. precompute (:mod:`~evalkit.report.precompute`): validate once, refuse a year
   the data do not cover, compute the indicator table and the pilot comparison
   once, reduce the CJK font once;
2. plan: one :class:`~evalkit.report.tasks.ReportTask` per report;
3. execute and export, in the pool's workers (:mod:`~evalkit.report.pool`,
   :mod:`~evalkit.report.worker`: :mod:`~evalkit.report.execute`, then
   :mod:`~evalkit.report.htmlpage`, :mod:`~evalkit.report.pdf`,
   :mod:`~evalkit.report.xlsx`), each giving a
   :class:`~evalkit.report.tasks.ReportRecord`;
4. manifest (:mod:`~evalkit.report.manifest`) and index page (:mod:`~evalkit.report.index`).

Every output is written to a temporary name and renamed into place; a
report that fails is recorded with its error and traceback, and the others
go on; a district whose rows fail validation is recorded as ``invalid`` and
not built.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import shutil
import sys
import time
import unicodedata
from pathlib import Path

from evalkit.report.tasks import FORMATS, KERNEL_MODES, BatchOptions, ErrorInfo, ReportRecord, ReportTask

__all__ = ["build_reports", "plan", "safe_name", "default_notebook", "FORMATS", "KERNEL_MODES", "MAX_INVALID_LISTED"]

_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
#: At most this many problems of an invalid district are kept in the manifest (summary lines
#: of the validation listing carry exact counts; ``n_errors`` is the exact total).
MAX_INVALID_LISTED = 50


def _repo_notebooks() -> Path:
    """``notebooks/`` of a source checkout, else the copy installed as ``evalkit._notebooks``."""
    repo = Path(__file__).resolve().parents[2] / "notebooks"
    if (repo / "district_report.ipynb").is_file():
        return repo
    return Path(__file__).resolve().parents[1] / "_notebooks"


def default_notebook(kind: str = "district") -> Path:
    """The report notebook shipped with evalkit (``notebooks/`` of a checkout, or the installed copy).

    Examples
    --------
    >>> default_notebook("city").name
    'city_summary.ipynb'
    """
    return _repo_notebooks() / ("district_report.ipynb" if kind == "district" else "city_summary.ipynb")


def safe_name(name: str, *, max_len: int = 80) -> str:
    """A file-name stem from a district name that cannot leave the output folder.

    Separators, control characters and characters Windows forbids become
    ``_``; leading dots and spaces are removed (no ``..``, no hidden files);
    when anything changed a short hash of the original is appended, so two
    names that sanitise alike (``a/b``, ``a_b``) still get distinct files.

    Examples
    --------
    >>> safe_name("南山区")
    '南山区'
    >>> safe_name("../../etc").startswith("etc-")
    True
    >>> safe_name("a/b") != safe_name("a_b")
    True
    """
    orig = str(name)
    s = unicodedata.normalize("NFC", orig)
    s = _BAD.sub("_", s)
    s = re.sub(r"\.{2,}", "_", s).strip(" ._")
    s = s[:max_len] or "district"
    if s != orig:
        s = f"{s}-{hashlib.sha1(orig.encode('utf-8')).hexdigest()[:6]}"
    return s


def _check_args(formats, lang, jobs, kernel) -> tuple[str, ...]:
    from evalkit.exceptions import ParameterError, check_choice
    from evalkit.labels import check_lang

    check_lang(lang)
    check_choice("kernel", kernel, KERNEL_MODES)
    fm = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fm if f not in FORMATS]
    if bad or not fm:
        raise ParameterError(f"格式必须是 {', '.join(FORMATS)} 之一，收到 {bad or fm}。",
                             f"formats must be among {', '.join(FORMATS)}, but {bad or fm} was passed.")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ParameterError(f"jobs 必须是正整数，收到 {jobs!r}。", f"jobs must be a positive integer, but {jobs!r} was passed.")
    if "pdf" in fm:  # before any work: a missing WeasyPrint would fail every report at its end
        from evalkit.report.pdf import require_pdf

        require_pdf()
    return tuple(fm)


def _notebooks(notebook, city_notebook, city: bool) -> tuple[Path, Path | None]:
    from evalkit.exceptions import ReportError

    nb_d = Path(notebook) if notebook else default_notebook("district")
    nb_c = (Path(city_notebook) if city_notebook else default_notebook("city")) if city else None
    for nbp in (nb_d, nb_c):
        if nbp is not None and not nbp.is_file():
            raise ReportError(f"找不到报告笔记本：{nbp}", f"Report notebook not found: {nbp}")
    return nb_d, nb_c


def _invalid_record(stem: str, shown: dict, report) -> ReportRecord:
    """The record of a district whose rows failed validation."""
    from dataclasses import asdict

    errs, d, n = report.errors, shown["district"], report.n_errors
    zh = f"区县 {d} 的数据未通过校验（{n} 条错误），未生成报告：{errs[0].text('zh')}" if errs else ""
    en = f"District {d}: data failed validation ({n} error(s)); no report built: {errs[0].text('en')}" if errs else ""
    problems = [{k: (int(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in asdict(p).items()}
                for p in errs[:MAX_INVALID_LISTED]]
    return ReportRecord(kind="district", name=stem, parameters=shown, status="invalid",
                        error=ErrorInfo(type="ValidationError", message=f"{zh}\n{en}", message_zh=zh, message_en=en,
                                        n_errors=int(n), problems=problems))


def plan(opts: BatchOptions, pre) -> tuple[list[ReportTask], list[ReportRecord]]:
    """The plan stage: a task per valid district (and the city summary), a record per invalid district.

    ``pre``: the :class:`~evalkit.report.precompute.Precomputed` of the batch.
    """
    from evalkit.labels import t
    from evalkit.report.worker import remove_outputs

    pilot_path = pre.pilot_file.path if pre.pilot_file is not None else None
    index_path = pre.index_file.path if pre.index_file is not None else None
    base = {"data_dir": str(opts.data_dir), "year": int(opts.year), "lang": opts.lang,
            "indicators_path": str(pre.indicators.path), "pilot_path": str(pilot_path or ""),
            "index_path": str(index_path or ""), "invalid_districts": list(pre.invalid)}
    shown_base = dict(base, data_dir=opts.data, indicators_path=pre.indicators.path.name,
                      pilot_path=pilot_path.name if pilot_path else "",
                      index_path=index_path.name if index_path else "")
    common = dict(out=opts.out, formats=opts.formats, lang=opts.lang, generated=opts.generated,
                  indicators_path=pre.indicators.path, kernel=opts.kernel, kernel_name=opts.kernel_name,
                  timeout=opts.timeout, font_base=pre.font_base, synthetic=bool(pre.meta.get("synthetic", False)))
    tasks, skipped, used = [], [], set()
    for d in pre.districts:
        stem = safe_name(d)
        while stem.lower() in used:
            stem += "_"
        used.add(stem.lower())
        shown = {**shown_base, "district": d}
        if d in pre.invalid:
            remove_outputs(opts.out, stem)  # no stale report of an earlier run survives
            skipped.append(_invalid_record(stem, shown, pre.invalid[d]))
            continue
        tasks.append(ReportTask(kind="district", name=d, stem=stem, notebook=opts.notebook,
                                parameters={**base, "district": d}, shown=shown, xlsx_rows=d,
                                title=t("title", opts.lang, district=d, year=opts.year), **common))
    if opts.city_notebook is not None:
        stem = "_city_summary" if "city_summary" in used else "city_summary"
        tasks.append(ReportTask(kind="city", name="all", stem=stem, notebook=opts.city_notebook, parameters=base,
                                shown=shown_base, xlsx_rows="all", title=t("city_title", opts.lang, year=opts.year),
                                **common))
    return tasks, skipped


def build_reports(data, *, year: int, districts=None, out="reports", jobs: int | None = None,
                  lang: str = "zh", formats=("html", "xlsx"), notebook=None, city_notebook=None,
                  table=None, city: bool = True, progress: bool = True, timeout: int = 600,
                  kernel: str = "warm", kernel_name: str = "python3", validate: bool = True,
                  uncertainty: int = 200, seed: int = 0) -> int:
    """Build one report per district, the city summary, the index and the manifest.

    Parameters
    ----------
    data
        The dataset folder.
    year
        The report year; refused when the data do not cover it (the message names the
        years they do).
    districts
        District names (default: every district).
    out
        Output folder; created when missing.
    jobs
        Worker processes (default: the number of cores); ``1`` runs in this process.
    lang
        "zh" or "en".
    formats
        Any of "html", "pdf", "xlsx".
    notebook, city_notebook
        Other notebooks to execute (defaults: ``notebooks/district_report.ipynb``,
        ``notebooks/city_summary.ipynb``); they must take the same parameters.
    table
        A precomputed long indicator table (DataFrame or file) to use instead of
        computing it from ``data`` (no validation, no pilot comparison).
    city
        Also build the city summary.
    progress
        Show a progress bar (tqdm) on stderr.
    timeout
        Seconds a notebook cell may run before the report fails (and its kernel is replaced).
    kernel
        ``"warm"`` (default): one kernel per worker process, kept alive across its
        reports (:mod:`evalkit.report.warm`; each notebook runs after a namespace reset
        in its own folder; a dead or hung kernel is replaced for the next report).
        ``"fresh"``: a new kernel per report.  Both write papermill's record, and both
        start a kernel that died while starting again (up to 3 starts; in the manifest).
    kernel_name
        The Jupyter kernel spec to run the notebooks in.
    uncertainty, seed
        Replicates of data error for the composite index's score and rank
        intervals (computed once for every community, street and district;
        0: point ranks only), and their seed.
    validate
        Check the dataset against the contract first (default; only when ``table`` is
        not given).  Each error is attributed to the district whose rows it is in
        (:func:`evalkit.io.validate.split_by_district`); such a district is not built:
        the manifest records it as ``"invalid"`` with its errors (at most
        :data:`MAX_INVALID_LISTED`, exact counts), the index and the city summary mark
        it and leave it out of the ranks, a bilingual line is printed, and the exit
        status is 1.  Errors no district owns (``survey_items``, ``targets``, missing
        tables or columns, unknown or empty community ids), or errors in every chosen
        district, raise :class:`~evalkit.exceptions.ValidationError` before anything is
        written, saying why no report was built.

    Returns
    -------
    int
        Exit status: 0 when every report was built, 1 when any failed or was invalid.

    Raises
    ------
    evalkit.exceptions.ParameterError
        A year outside the data, an unknown district, a bad option.
    evalkit.exceptions.ValidationError
        Errors no district owns, or in every chosen district.

    Notes
    -----
    The indicator table is computed once and written to ``out/indicators_<year>.parquet``
    (the pilot comparison to ``out/pilot_<year>.parquet``); each notebook reads them.
    Parameters reach the notebooks through papermill's Python API as Python values
    (a district "010105" stays a string).  A worker process that dies mid-report is
    replaced; that report is run once more on its own, then marked failed
    (:mod:`evalkit.report.pool`).

    Examples
    --------
    >>> import tempfile
    >>> build_reports("data/sample", year=2024, out=tempfile.mkdtemp(), districts=["东城区"],
    ...               progress=False)  # doctest: +SKIP
    报告 2/2 份完成，0 份失败，用时 12.3 秒，输出在 ...
    0
    """
    from evalkit.exceptions import ParameterError, check_count
    from evalkit.report import precompute as pre
    from evalkit.report.pool import make_pool, stop_workers

    fm = _check_args(formats, lang, jobs, kernel)
    t_start = time.perf_counter()
    data_p = Path(data).resolve()
    if not data_p.exists():
        raise ParameterError(f"数据集文件夹不存在：{data}", f"The dataset folder does not exist: {data}")
    nb_d, nb_c = _notebooks(notebook, city_notebook, city)
    opts = BatchOptions(data=str(data), data_dir=data_p, out=Path(out).resolve(), year=int(year),
                        districts=tuple(str(d) for d in districts) if districts else None, lang=lang, formats=fm,
                        jobs=jobs or os.cpu_count() or 1, notebook=nb_d, city_notebook=nb_c, kernel=kernel,
                        kernel_name=kernel_name, timeout=timeout, progress=progress,
                        generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                        uncertainty=check_count("uncertainty", uncertainty, minimum=0),
                        seed=check_count("seed", seed, minimum=0))
    ds, invalid, span = None, {}, None
    if table is None:  # everything known before any work is done or any file written
        from evalkit.io import load
        from evalkit.report.data import check_year, data_span

        ds = load(data_p)
        if opts.districts:
            pre.check_districts(opts.districts, ds.districts)
        span = data_span(ds)
        check_year(span, opts.year)
        if validate:
            invalid = pre.validate(ds, opts.districts)
    else:
        import pandas as pd

        if not isinstance(table, pd.DataFrame):
            p = Path(table)
            table = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype={"period": str})
        pre.check_table_year(table, opts.year)
    opts.out.mkdir(parents=True, exist_ok=True)
    for stale in opts.out.glob(".*.tmp"):
        stale.unlink()
    shutil.rmtree(opts.out / ".work", ignore_errors=True)
    (opts.out / ".work").mkdir()

    pool = None
    if opts.jobs > 1:
        # one pool for the whole batch: the table's years and the pilot comparison first
        # (workers inherit the loaded dataset), then the reports (each worker's warm kernel)
        pre.share(ds)
        pool = make_pool(opts.jobs)
    import signal
    import threading

    # SIGTERM (a scheduler's or `kill`'s) stops the batch the way Ctrl-C does
    own_term = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _main_signal) if own_term else None
    try:
        done = pre.run(opts, ds=ds, table=table, invalid=invalid, span=span, pool=pool)
        return _run(opts, done, pool, t_start)
    except (KeyboardInterrupt, SystemExit):
        if pool is not None:
            stop_workers()  # a worker started on a report would otherwise finish it
        raise
    finally:
        pre.share(None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if own_term:
            signal.signal(signal.SIGTERM, old_term)


def _main_signal(signum, frame):
    """SIGTERM to the batch's own process: stop as Ctrl-C does."""
    raise KeyboardInterrupt


def _run(opts: BatchOptions, pre, pool, t_start: float) -> int:
    """Plan, run the reports, write the manifest and the index; the exit status."""
    from tqdm.auto import tqdm

    from evalkit.labels import t
    from evalkit.report.data import ReportData
    from evalkit.report.index import write_index
    from evalkit.report.manifest import Manifest, data_hash, write_manifest
    from evalkit.report.pool import run_reports
    from evalkit.report.sections import city_table

    tasks, skipped = plan(opts, pre)
    for rec in skipped:  # one short bilingual line per district left out
        print(f"{rec.error.message_zh} / {rec.error.message_en}")
    workers = min(opts.jobs, max(1, len(tasks)))
    bar = tqdm(total=len(tasks), desc="报告 reports", unit="份", disable=not opts.progress, file=sys.stderr)
    try:
        results = run_reports(tasks, jobs=workers, pool=pool if workers > 1 else None,
                              marks=opts.out / ".work" / "started", bar=bar)
    finally:
        bar.close()
    pos = {d: i for i, d in enumerate(pre.districts)}
    reports = sorted([r for r in results if r.kind == "district"] + skipped, key=lambda r: pos[r.parameters["district"]])
    meta, span = pre.meta, pre.span
    manifest = Manifest(
        generated=opts.generated, year=opts.year, lang=opts.lang, formats=opts.formats, kernel=opts.kernel,
        jobs=workers, indicators=pre.indicators, pilot=pre.pilot_file, index=pre.index_file, reports=reports,
        city_summary=next((r for r in results if r.kind == "city"), None), duration=time.perf_counter() - t_start,
        dataset={"path": opts.data, "sha256": data_hash(opts.data_dir), "synthetic": bool(meta.get("synthetic")),
                 "source": meta.get("source"), "as_of": meta.get("as_of"),
                 # the latest date in the data, shown when dataset.json states none
                 "as_of_data": None if span is None or span.as_of is None else f"{span.as_of:%Y-%m-%d}"})
    write_manifest(opts.out / "manifest.json", manifest)
    rd = ReportData(table=pre.table, district=None, year=opts.year, lang=opts.lang, invalid=tuple(pre.invalid))
    try:
        write_index(opts.out, manifest.to_json(), lang=opts.lang, generated=opts.generated, summary=city_table(rd),
                    font_base=pre.font_base)
    finally:
        shutil.rmtree(opts.out / ".work", ignore_errors=True)
    n_failed = sum(not r.ok for r in results) + len(skipped)
    n_all = len(results) + len(skipped)
    print(t("batch_summary", opts.lang, ok=n_all - n_failed, total=n_all, failed=n_failed,
            seconds=time.perf_counter() - t_start, out=str(opts.out)))
    return 1 if n_failed else 0
