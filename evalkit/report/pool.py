"""The batch's worker processes: they stop with the batch, and one dying does not stop the others.

Workers are forked (they inherit the loaded dataset for the precompute
stage) and keep their warm kernel between reports.  SIGTERM to a worker
interrupts the report in hand (its kernel is shut down, its staging folder
removed); on Linux a worker gets SIGTERM when the batch's process dies.

A worker that dies mid-report (killed, out of memory) breaks the pool
(:class:`concurrent.futures.process.BrokenProcessPool`).  :func:`run_reports`
then carries on in a new pool: reports that had not started are simply run
again; a report that was running when its worker died is run once more, on
its own (so that a report that kills its worker every time takes no other
report with it), and is marked failed if its worker dies again.  Each
report writes a marker when it starts and removes it when it ends, which is
how the batch knows which reports were running.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from evalkit.report.tasks import ErrorInfo, ReportRecord, ReportTask

__all__ = ["make_pool", "in_worker", "stop_workers", "run_reports", "MAX_ATTEMPTS"]

#: A report whose worker died is run at most this many times in all.
MAX_ATTEMPTS = 2
_BUSY = False  # in a pool worker: a task is running (see _worker_signal)


def _worker_signal(signum, frame):
    """SIGTERM in a pool worker: interrupt the report in hand or, when idle, exit."""
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


def make_pool(n: int) -> ProcessPoolExecutor | None:
    """A fork-based pool of ``n`` workers, or None where fork is not available (Windows, macOS
    spawn): the caller then runs in its own process or with :func:`spawn_pool`."""
    if "fork" not in mp.get_all_start_methods():
        return None
    from tqdm.auto import tqdm

    tqdm.monitor_interval = 0  # no monitor thread in a process that forks
    return ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("fork"), initializer=_worker_init)


def spawn_pool(n: int) -> ProcessPoolExecutor:
    """A spawn-based pool (platforms without fork: workers run notebooks and exports only)."""
    return ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn"))


def in_worker(fn, *args, mark: Path | None = None):
    """Run ``fn(*args)`` in a pool worker, marked busy for SIGTERM, with a start marker ``mark``."""
    global _BUSY
    _BUSY = True
    if mark is not None:
        mark.touch()
    try:
        return fn(*args)
    finally:
        if mark is not None:
            mark.unlink(missing_ok=True)
        _BUSY = False


def stop_workers() -> None:
    """Interrupt every worker process of this process (the batch itself was interrupted)."""
    for p in mp.active_children():
        p.terminate()


def _died(task: ReportTask, attempts: int) -> ReportRecord:
    msg = (f"运行本报告的工作进程意外终止（被结束或内存不足），共尝试 {attempts} 次。\n"
           f"The worker process running this report died (killed, or out of memory); tried {attempts} time(s).")
    return ReportRecord(kind=task.kind, name=task.stem, parameters=task.shown, status="failed",
                        error=ErrorInfo(type="WorkerDied", message=msg), attempts=attempts)


def _round(pool, tasks, run, marks: Path, results: dict, attempts: dict, bar) -> list[ReportTask]:
    """Run ``tasks`` in ``pool``; returns those that were running when a worker died."""
    futs = {pool.submit(in_worker, run, t, mark=marks / t.stem): t for t in tasks}
    broken = False
    for f in as_completed(futs):
        t = futs[f]
        try:
            rec = f.result()
        except BrokenProcessPool:
            broken = True
            continue
        except Exception as err:  # noqa: BLE001 - outside the report's own checks (e.g. a full disk): recorded
            rec = ReportRecord(kind=t.kind, name=t.stem, parameters=t.shown, status="failed", error=ErrorInfo.of(err))
        attempts[t.stem] += 1
        rec.attempts = attempts[t.stem]
        results[t.stem] = rec
        bar.update(1)
    if broken:
        # wait until the broken pool's other workers are gone: one may still be finishing a
        # report (and removing its start marker) while the markers are read
        pool.shutdown(wait=True, cancel_futures=True)
    lost = [t for t in tasks if t.stem not in results and (marks / t.stem).exists()]
    for t in lost:
        (marks / t.stem).unlink(missing_ok=True)
        attempts[t.stem] += 1
    return lost


def run_reports(tasks: list[ReportTask], *, jobs: int, pool=None, marks: Path, bar, run=None) -> list[ReportRecord]:
    """Run every task, in ``jobs`` processes, surviving workers that die; records in task order.

    Parameters
    ----------
    tasks
        The reports to build.
    jobs
        Worker processes; 1 runs in this process.
    pool
        The batch's pool for the first round (workers already forked), or None.
    marks
        A folder for the start markers.
    bar
        A progress bar (``update(1)`` per report).
    run
        What a worker does with a task (default :func:`evalkit.report.worker.run_task`).
    """
    if run is None:
        from evalkit.report.worker import run_task as run
    marks.mkdir(parents=True, exist_ok=True)
    results: dict[str, ReportRecord] = {}
    attempts = {t.stem: 0 for t in tasks}
    if jobs == 1 or not tasks:
        from evalkit.report.warm import shutdown_warm_kernel

        try:
            for t in tasks:
                results[t.stem] = run(t)
                bar.update(1)
        finally:
            shutdown_warm_kernel()
        return [results[t.stem] for t in tasks]
    pending, first = list(tasks), True
    while pending:
        before = len(results)
        p = pool if first and pool is not None else (make_pool(min(jobs, len(pending))) or spawn_pool(jobs))
        first = False
        try:
            lost = _round(p, pending, run, marks, results, attempts, bar)
        finally:
            if p is not pool:
                p.shutdown(wait=True, cancel_futures=True)
        for t in lost:  # alone, so that a report that kills its worker every time takes no other with it
            if attempts[t.stem] < MAX_ATTEMPTS:
                solo = make_pool(1) or spawn_pool(1)
                try:
                    again = _round(solo, [t], run, marks, results, attempts, bar)
                finally:
                    solo.shutdown(wait=True, cancel_futures=True)
                lost_again = bool(again)
            else:
                lost_again = True
            if lost_again:
                results[t.stem] = _died(t, attempts[t.stem])
                bar.update(1)
        pending = [t for t in pending if t.stem not in results]
        if pending and len(results) == before and not lost:  # the pool broke before any report started
            for t in pending:
                results[t.stem] = _died(t, attempts[t.stem])
            pending = []
    return [results[t.stem] for t in tasks]
