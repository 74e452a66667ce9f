"""The batch: one report per district, a city summary, an index and a manifest.

``build_reports`` computes the indicator table once (every level, the year
and the year before), writes it as Parquet under ``out``, then executes
``notebooks/district_report.ipynb`` once per district with papermill's
Python API in a process pool, each run in its own temporary working
directory inside ``out`` (papermill's ``cwd`` is process-global, and
parallel renders must never share files).  Every output is written to a
temporary name and renamed into place; a district that fails is recorded in
the manifest with the error and the failing cell, its outputs removed and
its executed notebook kept as ``<name>.failed.ipynb``; the others go on.
Likewise a district whose rows fail validation is recorded as ``invalid`` and
not rendered, while the other districts' reports are built (see
:func:`build_reports`, ``validate``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

__all__ = ["build_reports", "safe_name", "default_notebook", "FORMATS"]

FORMATS = ("html", "pdf", "xlsx")
ENGINES = ("warm", "papermill")
_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _repo_notebooks() -> Path:
    """``notebooks/`` of a source checkout, else the copy installed as ``evalkit._notebooks``.

    ``pip install .`` (no checkout, e.g. an office desktop) ships the notebooks
    inside the package; see ``[tool.setuptools.package-dir]`` in pyproject.toml.
    """
    repo = Path(__file__).resolve().parents[2] / "notebooks"
    if (repo / "district_report.ipynb").is_file():
        return repo
    return Path(__file__).resolve().parents[1] / "_notebooks"


def default_notebook(kind: str = "district") -> Path:
    """The report notebook shipped in the repository's ``notebooks/`` folder."""
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
    """
    orig = str(name)
    s = unicodedata.normalize("NFC", orig)
    s = _BAD.sub("_", s)
    s = re.sub(r"\.{2,}", "_", s).strip(" ._")
    s = s[:max_len] or "district"
    if s != orig:
        s = f"{s}-{hashlib.sha1(orig.encode('utf-8')).hexdigest()[:6]}"
    return s


def _check_args(formats, lang, jobs):
    from evalkit.exceptions import ParameterError
    from evalkit.labels import check_lang

    check_lang(lang)
    fm = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fm if f not in FORMATS]
    if bad or not fm:
        raise ParameterError(f"格式必须是 {', '.join(FORMATS)} 之一，收到 {bad or fm}。",
                             f"formats must be among {', '.join(FORMATS)}, but {bad or fm} was passed.")
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ParameterError(f"jobs 必须是正整数，收到 {jobs!r}。", f"jobs must be a positive integer, but {jobs!r} was passed.")
    if "pdf" in fm:  # before any work: a missing WeasyPrint would fail every report at its end
        from evalkit.report.export import require_pdf

        require_pdf()
    return fm


_DS = None  # the loaded dataset, inherited by forked workers for the parallel table computation


def _indicator_part(year: int, quiet: bool = False):
    """One year's indicators at every level, in a forked worker (``_DS`` inherited).

    ``quiet``: silence the warnings (a family left out for a missing table...), which the
    report year's part gives once; every earlier year would repeat them word for word.
    """
    import warnings

    from evalkit.families import indicators
    from evalkit.report.sections import ALL_LEVELS

    try:
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore")
            return year, indicators(_DS, year=year, level=ALL_LEVELS), None
    except Exception as err:  # noqa: BLE001 - re-raised in the parent for the report year
        return year, None, err


def _pilot_part(year: int):
    import pandas as pd

    from evalkit.report.sections import compute_pilot

    try:
        return compute_pilot(_DS, year=year)
    except Exception:  # noqa: BLE001 - optional section; the report says when it is absent
        return pd.DataFrame()


def _compute_table(data, year, pool=None):
    """The long table of every year of the data up to ``year`` at every level, and the pilot comparison.

    With ``pool`` (a fork-based process pool created after ``_DS`` was set),
    the years and the pilot comparison are computed in parallel.

    Returns
    -------
    (DataFrame, DataFrame, Dataset)
        The indicator table, the pilot comparison (:func:`evalkit.report.sections.compute_pilot`)
        and the loaded dataset.
    """
    import pandas as pd

    from evalkit.families._frame import SORT_KEYS, finalize
    from evalkit.io import load
    from evalkit.report.sections import data_years

    global _DS
    ds = _DS if _DS is not None else load(data)
    years = data_years(ds, year)
    if pool is not None:
        pilot_f = pool.submit(_in_worker, _pilot_part, year)  # the longest part first
        parts = [f.result() for f in [pool.submit(_in_worker, _indicator_part, y, y != year) for y in years]]
        pilot = pilot_f.result()
    else:
        _DS = ds
        try:
            parts = [_indicator_part(y, y != year) for y in years]
            pilot = _pilot_part(year)
        finally:
            _DS = None
    tables = []
    for y, t, err in parts:
        if err is not None:
            if y == year:
                raise err
        else:
            tables.append(t)
    table = pd.concat(tables, ignore_index=True)
    table = table.drop_duplicates(subset=SORT_KEYS, keep="last")
    return finalize(table), pilot, ds


def font_corpus(table, meta: dict | None = None) -> str:
    """Every character a report of this batch is expected to show (for the reduced font).

    The zh/en text table, unit labels, the catalog (names, definitions,
    benchmark scopes), the contract's code labels, the table's unit names and
    dataset.json.  A page with a character outside it falls back to the full font.
    """
    import json as _json

    from evalkit import contract
    from evalkit import labels as tx

    parts = [tx.corpus()]
    parts += [_json.dumps(e, ensure_ascii=False, default=str) for e in tx._catalog_entries().values()]
    for v in vars(contract).values():
        if isinstance(v, dict):
            parts.append(_json.dumps(v, ensure_ascii=False, default=str))
    for col in ("unit_name", "district", "unit_id", "category", "note"):
        if col in table.columns:
            parts += table[col].dropna().astype(str).unique().tolist()
    parts.append(_json.dumps(meta or {}, ensure_ascii=False, default=str))
    return "".join(sorted(set("".join(parts))))


def _districts_of(table):
    d = table.loc[table["level"] == "district", "unit_id"].dropna().astype(str).unique().tolist()
    if not d:
        d = table.loc[table["district"].notna() & (table["district"] != "all"), "district"].astype(str).unique().tolist()
    return sorted(d)


def _write_parquet(table, path: Path) -> Path:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.report.export import atomic_write

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buf, compression="zstd")
    return atomic_write(path, buf.getvalue())


_BUSY = False  # in a pool worker: a task is running (see _worker_signal)


def _worker_signal(signum, frame):
    """SIGTERM in a pool worker: interrupt the report in hand (its kernel is shut down and
    its staging folder removed) or, when idle, exit -- never go on producing reports."""
    if _BUSY:
        raise KeyboardInterrupt
    raise SystemExit(0)


def _worker_init() -> None:
    """Pool workers stop with the batch: SIGTERM is handled (above), and on Linux the
    death of the batch's process sends it (a worker must not outlive a killed batch)."""
    import signal

    signal.signal(signal.SIGTERM, _worker_signal)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl: SIGTERM handling only
            pass


def _in_worker(fn, *args):
    """Run ``fn(*args)`` in a pool worker, marked busy for :func:`_worker_signal`."""
    global _BUSY
    _BUSY = True
    try:
        return fn(*args)
    finally:
        _BUSY = False


def _stop_workers(pool) -> None:
    """Interrupt every worker of ``pool`` (the batch itself was interrupted)."""
    import signal

    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass


def _main_signal(signum, frame):
    """SIGTERM to the batch's own process: stop as Ctrl-C does."""
    raise KeyboardInterrupt


def _run_one(task: dict) -> dict:
    """Execute one notebook and export it; never raises (failures are in the record)."""
    import nbformat
    import papermill as pm

    from evalkit.report.export import atomic_write, check_glyphs, html_from_notebook, to_pdf, to_xlsx
    from evalkit.report.manifest import sha256_file

    t0 = time.perf_counter()
    if task.get("font_base"):
        from evalkit.report.export import FONT_BASE_ENV

        os.environ[FONT_BASE_ENV] = task["font_base"]
    out = Path(task["out"])
    stem = task["stem"]
    rec = {"kind": task["kind"], "name": stem, "parameters": task["shown_parameters"], "status": "ok",
           "outputs": [], "error": None, "timings": {}, "engine": task.get("engine", "warm")}
    tm = rec["timings"]
    work = Path(tempfile.mkdtemp(prefix=f"{stem[:20]}-", dir=out / ".work"))
    nb_tmp = work / f"{stem}.ipynb"
    finals = {ext: out / f"{stem}.{ext}" for ext in ("ipynb", "html", "xlsx", "pdf")}
    failed_nb = out / f"{stem}.failed.ipynb"
    try:
        try:
            if task.get("engine", "warm") == "warm":
                from evalkit.report.warm import get_warm_kernel

                wk = get_warm_kernel(cwd=out / ".work")
                starts = wk.starts
                try:
                    _, ktm = wk.execute(task["notebook"], nb_tmp, parameters=task["parameters"], cwd=work,
                                        timeout=task.get("timeout", 600))
                    tm.update(ktm)
                finally:
                    rec["kernel"] = {"reused": wk.starts == starts and starts > 0, "starts": wk.starts}
            else:
                pm.execute_notebook(str(task["notebook"]), str(nb_tmp), parameters=task["parameters"],
                                    kernel_name="python3", cwd=str(work), progress_bar=False, log_output=False,
                                    request_save_on_cell_execute=False, execution_timeout=task.get("timeout", 600))
        except pm.PapermillExecutionError as err:
            rec["status"] = "failed"
            rec["error"] = {"type": err.ename, "message": str(err.evalue)[:2000], "cell_index": err.cell_index,
                            "execution_count": err.exec_count, "cell_source": str(err.source)[:2000]}
        except Exception as err:  # noqa: BLE001 - kernel died, timeout, bad notebook
            rec["status"] = "failed"
            rec["error"] = {"type": type(err).__name__, "message": str(err)[:2000], "cell_index": None}
        tm["execute"] = round(time.perf_counter() - t0, 3)
        if rec["status"] == "ok":
            nb = nbformat.read(str(nb_tmp), as_version=4)
            tm["cells"] = round(sum(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0)
                                    for c in nb.cells), 3)
            try:
                check_glyphs(nb)
            except Exception as err:  # noqa: BLE001
                rec["status"] = "failed"
                rec["error"] = {"type": type(err).__name__, "message": str(err)[:2000], "cell_index": None}
        if rec["status"] == "ok":
            staged = {}
            t1 = time.perf_counter()
            page = html_from_notebook(nb, title=task["title"], synthetic=task["synthetic"], lang=task["lang"],
                                      generated=task["generated"], note=task.get("note", ""))
            if "html" in task["formats"]:
                staged["html"] = atomic_write(work / f"{stem}.html", page)
            tm["html"] = round(time.perf_counter() - t1, 3)
            if "pdf" in task["formats"]:
                t1 = time.perf_counter()
                staged["pdf"] = to_pdf(page, work / f"{stem}.pdf")
                tm["pdf"] = round(time.perf_counter() - t1, 3)
            if "xlsx" in task["formats"] and task.get("xlsx_district") is not None:
                import pandas as pd

                t1 = time.perf_counter()
                d = task["xlsx_district"]
                flt = [("district", "==", d)] if d != "all" else [("level", "in", ["district", "city"])]
                t = pd.read_parquet(task["indicators_path"], filters=flt)  # only this report's rows are read
                # the report's two years (monthly rows included): what the report shows, and fast to write
                yrs = (str(task["year"]), str(task["year"] - 1))
                rows = t.loc[t["period"].astype(str).str[:4].isin(yrs).fillna(False)]
                staged["xlsx"] = to_xlsx(rows, work / f"{stem}.xlsx", lang=task["lang"])
                tm["xlsx"] = round(time.perf_counter() - t1, 3)
            staged["ipynb"] = nb_tmp
            # everything is complete in the work dir: rename into place (same file system)
            if failed_nb.exists():
                failed_nb.unlink()
            for ext in ("ipynb", "xlsx", "pdf", "html"):
                if ext in staged:
                    os.replace(staged[ext], finals[ext])
                    rec["outputs"].append({"path": finals[ext].name, "sha256": sha256_file(finals[ext]),
                                           "bytes": finals[ext].stat().st_size})
                elif finals[ext].exists():
                    finals[ext].unlink()  # stale output of an earlier run with other formats
        else:
            for p in finals.values():  # no stale report of an earlier run survives beside a failure
                if p.exists():
                    p.unlink()
            if nb_tmp.exists():
                os.replace(nb_tmp, failed_nb)
                rec["outputs"].append({"path": failed_nb.name, "sha256": sha256_file(failed_nb),
                                       "bytes": failed_nb.stat().st_size})
    except Exception as err:  # noqa: BLE001 - export failure: same treatment
        rec["status"] = "failed"
        rec["error"] = {"type": type(err).__name__, "message": str(err)[:2000], "cell_index": None}
        for p in finals.values():
            if p.exists():
                p.unlink()
        rec["outputs"] = []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rec["duration"] = round(time.perf_counter() - t0, 3)
    return rec


#: At most this many problems of an invalid district are kept in the manifest (summary lines
#: of the validation listing carry exact counts; ``n_errors`` is the exact total).
MAX_INVALID_LISTED = 50


def _invalid_record(out_p: Path, stem: str, shown: dict, report) -> dict:
    """The manifest record of a district whose rows failed validation (its stale outputs removed)."""
    from dataclasses import asdict

    for ext in ("html", "ipynb", "xlsx", "pdf", "failed.ipynb"):
        p = out_p / f"{stem}.{ext}"
        if p.exists():
            p.unlink()
    errs = report.errors
    d = shown["district"]
    n = report.n_errors
    zh = f"区县 {d} 的数据未通过校验（{n} 条错误），未生成报告：{errs[0].text('zh')}" if errs else ""
    en = f"District {d}: data failed validation ({n} error(s)); no report built: {errs[0].text('en')}" if errs else ""
    return {"kind": "district", "name": stem, "parameters": shown, "status": "invalid", "outputs": [],
            "error": {"type": "ValidationError", "message": f"{zh}\n{en}", "message_zh": zh, "message_en": en,
                      "n_errors": int(n),
                      "problems": [{k: (int(v) if isinstance(v, (int,)) and not isinstance(v, bool) else v)
                                    for k, v in asdict(p).items()} for p in errs[:MAX_INVALID_LISTED]],
                      "cell_index": None},
            "timings": {}, "duration": 0.0}


def build_reports(data, *, year: int, districts=None, out="reports", jobs: int | None = None,
                  lang: str = "zh", formats=("html", "xlsx"), notebook=None, city_notebook=None,
                  table=None, city: bool = True, progress: bool = True, timeout: int = 600,
                  engine: str = "warm", validate: bool = True) -> int:
    """Build one report per district, the city summary, the index and the manifest.

    Parameters
    ----------
    data
        The dataset folder.
    year
        The report year.
    districts
        District names (default: every district of the indicator table).
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
        computing it from ``data``.
    city
        Also build the city summary.
    progress
        Show a progress bar (tqdm) on stderr.
    timeout
        Seconds a notebook cell may run before the report fails (and its kernel is replaced).
    engine
        ``"warm"`` (default): one kernel per worker process, kept alive across
        that worker's reports (:mod:`evalkit.report.warm`; each notebook runs
        after a namespace reset in its own working directory, and a dead or
        hung kernel is replaced for the next report).  ``"papermill"``: a new
        kernel per report through :func:`papermill.execute_notebook`.  Both
        write the same papermill record.

    validate
        Check the dataset against the contract first (default; only when
        ``table`` is not given).  No report is built from rows with errors, but
        one bad district does not stop the others: each error is attributed to
        the district whose rows it is in (:func:`evalkit.io.validate.split_by_district`
        -- communities by their district, tables with ``community_id`` through
        the register, ``volunteer_hours`` through ``volunteers``; every offending
        row counts, not only the listed ones).  Such a district is not rendered:
        the manifest records it with status ``"invalid"`` and its errors (zh+en,
        at most :data:`MAX_INVALID_LISTED` problems plus exact counts), the
        index lists it, a bilingual line is printed, and the exit status is 1.
        The city summary is still built, with a visible note naming those
        districts and saying that city figures include their rows.  Errors no
        district can own (``survey_items``, ``targets``, missing tables or
        columns, rows with an unknown or empty community) -- or errors in every
        chosen district -- raise :class:`~evalkit.exceptions.ValidationError`
        listing every error before anything is written, as does any error when
        a district filter leaves nothing valid.  Warnings only are fine and
        appear in each report's data-quality appendix.

    Returns
    -------
    int
        Exit status: 0 when every report was built, 1 when any failed or was invalid.

    Notes
    -----
    The indicator table is computed once and written to
    ``out/indicators_<year>.parquet``; each notebook reads it
    (``indicators_path``).  Parameters reach the notebooks through papermill's
    Python API as Python values (a district "010105" stays a string).
    """
    global _DS
    from tqdm.auto import tqdm

    from evalkit.exceptions import ParameterError
    from evalkit.io import read_meta

    fm = _check_args(formats, lang, jobs)
    if engine not in ENGINES:
        raise ParameterError(f"engine 必须是 {' 或 '.join(ENGINES)}，收到 {engine!r}。",
                             f"engine must be {' or '.join(ENGINES)}, but {engine!r} was passed.")
    t_start = time.perf_counter()
    data_p = Path(data).resolve()
    if not data_p.exists():
        raise ParameterError(f"数据集文件夹不存在：{data}", f"The dataset folder does not exist: {data}")
    loaded = None
    invalid: dict = {}
    if validate and table is None:
        from evalkit.exceptions import ValidationError
        from evalkit.io import load
        from evalkit.io.validate import ValidationReport, split_by_district

        loaded = load(data_p)
        if districts:  # before any work is done or any file written
            _check_districts(districts, loaded.districts)
        report = loaded.validate()
        if not report.ok:
            invalid, rest = split_by_district(report, loaded)
            candidates = [str(d) for d in (districts or loaded.districts)]
            if not rest.ok or all(d in invalid for d in candidates):
                raise ValidationError(ValidationReport(report.errors))
    out_p = Path(out).resolve()
    out_p.mkdir(parents=True, exist_ok=True)
    for stale in out_p.glob(".*.tmp"):
        stale.unlink()
    shutil.rmtree(out_p / ".work", ignore_errors=True)
    (out_p / ".work").mkdir()

    pool = None
    n_pool = jobs or os.cpu_count() or 1
    import multiprocessing as mp

    if n_pool > 1 and "fork" in mp.get_all_start_methods():
        # one pool for the whole batch: the table's years and the pilot comparison first
        # (workers inherit the loaded dataset), then the reports (each worker's warm kernel)
        if table is None:
            from evalkit.io import load

            _DS = loaded if loaded is not None else load(data_p)
        tqdm.monitor_interval = 0  # no monitor thread in a process that forks
        pool = ProcessPoolExecutor(max_workers=n_pool, mp_context=mp.get_context("fork"),
                                   initializer=_worker_init)
    import signal
    import threading

    # SIGTERM (a scheduler's or `kill`'s) stops the batch the way Ctrl-C does
    own_term = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _main_signal) if own_term else None
    try:
        return _build(data, data_p, out_p, year=year, districts=districts, jobs=jobs, lang=lang, fm=fm,
                      notebook=notebook, city_notebook=city_notebook, table=table, city=city,
                      progress=progress, timeout=timeout, engine=engine, pool=pool, t_start=t_start,
                      meta=read_meta(data_p), invalid=invalid)
    except (KeyboardInterrupt, SystemExit):
        if pool is not None:
            _stop_workers(pool)  # a worker started on a report would otherwise finish it
        raise
    finally:
        _DS = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if own_term:
            signal.signal(signal.SIGTERM, old_term)


def _check_districts(districts, known) -> None:
    """ParameterError naming the districts of ``districts`` that are not in ``known``."""
    from evalkit.exceptions import ParameterError

    have = set(known)
    unknown = [d for d in districts if str(d) not in have]
    if unknown:
        raise ParameterError(f"数据中没有这些区县：{'、'.join(map(str, unknown))}（已有：{'、'.join(known)}）",
                             f"No such district in the data: {', '.join(map(str, unknown))} (known: {', '.join(known)})")


def _build(data, data_p, out_p, *, year, districts, jobs, lang, fm, notebook, city_notebook, table, city,
           progress, timeout, engine, pool, t_start, meta, invalid=None):
    """The body of :func:`build_reports` (``pool``: a fork pool for the table and the reports, or None;
    ``invalid``: district -> ValidationReport of the districts whose rows failed validation)."""
    import pandas as pd
    from tqdm.auto import tqdm

    from evalkit.exceptions import ReportError
    from evalkit.report.index import write_index
    from evalkit.report.manifest import data_hash, sha256_file, versions, write_manifest
    from evalkit.labels import t

    synthetic = bool(meta.get("synthetic", False))
    pilot = None
    if table is None:
        table, pilot, _ = _compute_table(data_p, year, pool=pool)
    elif not isinstance(table, pd.DataFrame):
        p = Path(table)
        table = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype={"period": str})
    ind_path = _write_parquet(table, out_p / f"indicators_{year}.parquet")
    pilot_path = ""
    if pilot is not None and len(pilot):
        pilot_path = str(_write_parquet(pilot, out_p / f"pilot_{year}.parquet"))
    elif (out_p / f"pilot_{year}.parquet").exists():
        (out_p / f"pilot_{year}.parquet").unlink()  # stale comparison of an earlier run

    known = _districts_of(table)
    if districts:
        _check_districts(districts, known)
        chosen = list(dict.fromkeys(str(d) for d in districts))
    else:
        chosen = known
    if not chosen:
        raise ReportError("指标表中没有任何区县。", "The indicator table has no district.")

    nb_d = Path(notebook) if notebook else default_notebook("district")
    nb_c = Path(city_notebook) if city_notebook else default_notebook("city")
    for nbp in (nb_d,) + ((nb_c,) if city else ()):
        if not nbp.is_file():
            raise ReportError(f"找不到报告笔记本：{nbp}", f"Report notebook not found: {nbp}")
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    common = dict(out=str(out_p), lang=lang, formats=fm, synthetic=synthetic, generated=generated, year=int(year),
                  indicators_path=str(ind_path), timeout=timeout, engine=engine)
    invalid = invalid or {}
    tasks, used, skipped = [], set(), []
    for d in chosen:
        stem = safe_name(d)
        while stem.lower() in used:
            stem += "_"
        used.add(stem.lower())
        params = {"data_dir": str(data_p), "district": d, "year": int(year), "lang": lang,
                  "indicators_path": str(ind_path), "pilot_path": pilot_path}
        shown = {"data_dir": str(data), "district": d, "year": int(year), "lang": lang,
                 "indicators_path": ind_path.name, "pilot_path": Path(pilot_path).name if pilot_path else ""}
        if d in invalid:
            skipped.append(_invalid_record(out_p, stem, shown, invalid[d]))
            continue
        tasks.append(dict(common, kind="district", stem=stem, notebook=str(nb_d), parameters=params,
                          shown_parameters=shown,
                          title=t("title", lang, district=d, year=year), xlsx_district=d))
    if city:
        params = {"data_dir": str(data_p), "year": int(year), "lang": lang, "indicators_path": str(ind_path),
                  "pilot_path": pilot_path}
        stem = "city_summary"
        tasks.append(dict(common, kind="city", stem="_" + stem if stem.lower() in used else stem,
                          notebook=str(nb_c), parameters=params,
                          shown_parameters={"data_dir": str(data), "year": int(year), "lang": lang,
                                            "indicators_path": ind_path.name,
                                            "pilot_path": Path(pilot_path).name if pilot_path else ""},
                          title=t("city_title", lang, year=year), xlsx_district="all",
                          note=(t("city_invalid_note", lang, districts=("、" if lang == "zh" else ", ").join(invalid))
                                if invalid else "")))

    # the CJK font is parsed once per batch: every page subsets this reduced copy (~100x smaller)
    from evalkit.report.export import FONT_BASE_ENV, reduce_font

    corpus = font_corpus(table if pilot is None or pilot.empty else pd.concat([table, pilot], ignore_index=True),
                         meta)
    corpus += "".join(str(d) for d in chosen)
    try:
        font_base = reduce_font(corpus)  # cached across batches by character set
    except OSError:  # no writable cache: keep it in this batch's work folder
        font_base = reduce_font(corpus, out_p / ".work" / "font-base.otf")
    old_env = os.environ.get(FONT_BASE_ENV)
    os.environ[FONT_BASE_ENV] = str(font_base)
    for task in tasks:  # workers forked before this point get it with their task
        task["font_base"] = str(font_base)
    for rec in skipped:  # one short bilingual line per district left out
        e = rec["error"]
        print(f"{e['message_zh']} / {e['message_en']}")
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    results = []
    tqdm.monitor_interval = 0  # no monitor thread in a process that forks
    bar = tqdm(total=len(tasks), desc="报告 reports", unit="份", disable=not progress, file=sys.stderr)
    try:
        if workers == 1:
            from evalkit.report.warm import shutdown_warm_kernel

            try:
                for task in tasks:
                    results.append(_run_one(task))
                    bar.update(1)
            finally:
                shutdown_warm_kernel()
        elif pool is not None:  # the batch's fork pool (workers keep their kernels between reports)
            futs = [pool.submit(_in_worker, _run_one, task) for task in tasks]
            for f in as_completed(futs):
                results.append(f.result())
                bar.update(1)
        else:
            import multiprocessing as mp

            # no fork on this platform: spawn (workers only run the notebooks and exports)
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as spool:
                futs = [spool.submit(_run_one, task) for task in tasks]
                for f in as_completed(futs):
                    results.append(f.result())
                    bar.update(1)
    finally:
        bar.close()

    order = {task["stem"]: i for i, task in enumerate(tasks)}
    results.sort(key=lambda r: order[r["name"]])
    pos = {str(d): i for i, d in enumerate(chosen)}
    reports = sorted([r for r in results if r["kind"] == "district"] + skipped,
                     key=lambda r: pos[str(r["parameters"]["district"])])
    city_rec = next((r for r in results if r["kind"] == "city"), None)
    manifest = {
        "evalkit_manifest": 1, "generated": generated, "year": int(year), "lang": lang, "formats": fm,
        "dataset": {"path": str(data), "sha256": data_hash(data_p), "synthetic": synthetic,
                    "source": meta.get("source"), "as_of": meta.get("as_of")},
        "indicators": {"path": ind_path.name, "sha256": sha256_file(ind_path), "rows": int(len(table))},
        "pilot": ({"path": Path(pilot_path).name, "sha256": sha256_file(pilot_path), "rows": int(len(pilot))}
                  if pilot_path else None),
        "versions": versions(), "jobs": workers, "engine": engine, "reports": reports, "city_summary": city_rec,
        "duration": round(time.perf_counter() - t_start, 3),
    }
    write_manifest(out_p / "manifest.json", manifest)
    try:
        try:
            from evalkit.report.sections import ReportData, city_ranks_html

            summary = city_ranks_html(ReportData(table=table, district=None, year=int(year), lang=lang)).data
        except Exception:  # noqa: BLE001 - the index still lists the reports
            summary = ""
        write_index(out_p, manifest, lang=lang, generated=generated, summary_html=summary)
    finally:
        if old_env is None:
            os.environ.pop(FONT_BASE_ENV, None)
        else:
            os.environ[FONT_BASE_ENV] = old_env
        shutil.rmtree(out_p / ".work", ignore_errors=True)
    n_failed = sum(r["status"] != "ok" for r in results) + len(skipped)
    n_all = len(results) + len(skipped)
    print(t("batch_summary", lang, ok=n_all - n_failed, total=n_all, failed=n_failed,
            seconds=time.perf_counter() - t_start, out=str(out_p)))
    return 1 if n_failed else 0
