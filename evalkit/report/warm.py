"""A kernel kept alive across reports: papermill's record, without a kernel start per district.

``WarmKernel`` starts one Jupyter kernel (per worker process) and executes
each district's parameterised notebook in it through papermill's own
machinery: :func:`papermill.execute_notebook` with a registered engine
(``"evalkit-warm"``) that hands papermill's ``PapermillNotebookClient`` the
running kernel instead of starting one.  The executed notebook is therefore
the same record papermill writes (``metadata.papermill`` with parameters,
start and end time, status and exception; per-cell ``metadata.papermill``;
the injected-parameters cell; the error cell on failure), and a failing cell
raises the same :class:`papermill.PapermillExecutionError`.

Before each notebook a silent, unrecorded set-up request runs in the
kernel: it resets the IPython session (user namespace emptied, execution
counter back to 1, so cell numbers equal a fresh kernel's), changes to that
run's own working directory, closes every matplotlib figure and restores
the rcParams and the warning filters (with their "shown once" registries)
to what they were when the kernel started.  Imported modules stay loaded:
that is the saving.  A kernel that died or did not finish a cell in time is
shut down and a new one is started for the next notebook.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import time
from pathlib import Path

__all__ = ["WarmKernel", "ENGINE_NAME", "get_warm_kernel", "shutdown_warm_kernel"]

ENGINE_NAME = "evalkit-warm"

# Runs in the kernel before every notebook (silent: no execution count, no record).
_PREAMBLE = r"""
def __evalkit_prepare(workdir):
    import os, sys, types, warnings
    os.chdir(workdir)  # first: the previous run's folder is gone, and reset() looks at the cwd
    get_ipython().reset(new_session=True)
    st = sys.modules.get("_evalkit_warm_state")
    first = st is None
    if first:
        st = types.ModuleType("_evalkit_warm_state")
        st.filters = list(warnings.filters)
        st.rc = None
        sys.modules["_evalkit_warm_state"] = st
    warnings.filters[:] = st.filters
    warnings._filters_mutated()  # the per-module "already shown" registries are cleared
    warnings.onceregistry.clear()
    if "matplotlib.pyplot" in sys.modules or first:
        import matplotlib
        import matplotlib.pyplot as plt
        plt.close("all")
        if st.rc is None:
            st.rc = matplotlib.rcParams.copy()
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # not the backend and interactive mode: the kernel's inline backend sets them after import
                matplotlib.rcParams.update({k: v for k, v in st.rc.items() if k not in ("backend", "interactive")})
    return first
__evalkit_prepare({workdir!r})  # the reset also removed the function itself
"""


def _register_engine() -> None:
    """Register the warm engine in papermill's engine registry (once per process)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException
    from papermill.utils import merge_kwargs, remove_args

    try:
        papermill_engines.get_engine(ENGINE_NAME)
        return
    except PapermillException:  # not registered yet in this process
        pass

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, executing in a kernel that is already running."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            km, kc = kwargs.pop("km"), kwargs.pop("kc")
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            # a client given a kernel manager does not own it (nbclient's ``owns_km``) and
            # keeps the kernel running; ``kc`` reuses the open channels (no client start)
            client = PapermillNotebookClient(nb_man, km=km, **final)
            client.kc = kc
            try:
                return client.execute()
            finally:
                client.kc = None

    papermill_engines.register(ENGINE_NAME, WarmEngine)


class WarmKernel:
    """One Jupyter kernel reused for many notebooks (see the module docstring).

    Parameters
    ----------
    kernel_name
        The kernelspec to start ("python3").
    cwd
        The kernel's starting directory (each notebook then changes to its own).
    startup_timeout
        Seconds to wait for the kernel to answer after starting.
    start_attempts
        Starts tried before giving up (a kernel can die while starting on a loaded machine).

    Notes
    -----
    Not thread-safe: one per process.  ``starts`` counts kernel starts (1 plus
    one per restart after a dead or hung kernel).
    """

    def __init__(self, kernel_name: str = "python3", *, cwd: str | Path | None = None,
                 startup_timeout: float = 60, start_attempts: int = 3):
        self.kernel_name = kernel_name
        self.cwd = str(cwd) if cwd else None
        self.startup_timeout = startup_timeout
        self.start_attempts = max(1, int(start_attempts))
        self.km = None
        self.kc = None
        self.starts = 0
        self.start_retries: list[str] = []
        self.pid = os.getpid()

    # -- lifecycle ---------------------------------------------------------
    def _start_once(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        kw = {"cwd": self.cwd} if self.cwd else {}
        # The kernel's own log (transport warnings, shutdown notices) is not for the
        # user: errors in cells reach the executed notebook and the manifest instead.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        run_sync(km.start_kernel)(**kw)
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
        except BaseException:
            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            run_sync(km.cleanup_resources)()
            raise
        kc.allow_stdin = False
        self.km, self.kc = km, kc

    def start(self) -> float:
        """Start the kernel and its client; returns the seconds it took.

        A kernel that dies or does not answer while starting (``RuntimeError`` "Kernel
        died before replying to kernel_info" or "... didn't respond", ``TimeoutError``)
        is started again, up to ``start_attempts`` times; the failed attempts are in
        ``start_retries``.

        Raises
        ------
        evalkit.exceptions.ReportError
            Every attempt failed.
        """
        from evalkit.exceptions import ReportError

        t0 = time.perf_counter()
        self.start_retries = []
        for _ in range(self.start_attempts):
            try:
                self._start_once()
            except (RuntimeError, TimeoutError) as err:
                self.start_retries.append(f"{type(err).__name__}: {err}")
                continue
            self.starts += 1
            return time.perf_counter() - t0
        n = len(self.start_retries)
        raise ReportError(f"Jupyter 内核（{self.kernel_name}）启动 {n} 次均失败：{self.start_retries[-1]}",
                          f"The Jupyter kernel ({self.kernel_name}) failed to start {n} times: {self.start_retries[-1]}")

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        if self.km is None:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001 - jupyter_client on a kernel already gone: not alive
            return False

    def shutdown(self) -> None:
        """Stop the kernel (immediately) and close the client; safe to call twice."""
        from jupyter_core.utils import run_sync

        kc, km = self.kc, self.km
        self.kc = self.km = None
        # jupyter_client's teardown of a dead or hung kernel can raise anything; the report's
        # own error is already recorded, and a shutdown must never replace it
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - see above
                pass
        if km is not None and os.getpid() == self.pid:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - see above
                pass
            try:
                run_sync(km.cleanup_resources)()
            except Exception:  # noqa: BLE001 - see above
                pass

    # -- one notebook ------------------------------------------------------
    def _prepare(self, workdir: str, timeout: float) -> None:
        from jupyter_core.utils import run_sync

        from evalkit.exceptions import ReportError

        code = _PREAMBLE.replace("{workdir!r}", repr(str(workdir)))
        errors = []

        def hook(msg):
            if msg.get("msg_type") == "error":
                errors.append(msg["content"])

        reply = run_sync(self.kc.execute_interactive)(code, silent=True, store_history=False,
                                                      timeout=timeout, output_hook=hook)
        if reply["content"].get("status") != "ok" or errors:
            c = (errors or [reply["content"]])[0]
            raise ReportError(f"内核准备失败：{c.get('ename')}: {c.get('evalue')}",
                              f"Preparing the kernel failed: {c.get('ename')}: {c.get('evalue')}")

    def execute(self, notebook, output_path, *, parameters: dict, cwd, timeout: float = 600) -> tuple:
        """Execute ``notebook`` with ``parameters`` in this kernel, papermill-style.

        Returns
        -------
        (NotebookNode, dict)
            The executed notebook (also written to ``output_path``) and
            timings: ``kernel_start`` (seconds, 0 when reused), ``prepare``.

        Raises
        ------
        papermill.PapermillExecutionError
            A cell raised (the kernel stays alive for the next notebook).
        Exception
            The kernel died, a cell timed out, or the set-up failed: the
            kernel has been shut down and the next call starts a new one.
        """
        import papermill as pm

        _register_engine()
        tm = {"kernel_start": 0.0}
        if not self.alive():
            self.shutdown()
            tm["kernel_start"] = round(self.start(), 3)
        try:
            t0 = time.perf_counter()
            self._prepare(str(cwd), min(timeout, 120))
            tm["prepare"] = round(time.perf_counter() - t0, 3)
            nb = pm.execute_notebook(str(notebook), str(output_path), parameters=parameters,
                                     engine_name=ENGINE_NAME, kernel_name=self.kernel_name, cwd=str(cwd),
                                     progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                                     execution_timeout=timeout, km=self.km, kc=self.kc)
        except pm.PapermillExecutionError:
            if not self.alive():
                self.shutdown()
            raise
        except BaseException:
            self.shutdown()  # dead, hung (timeout) or interrupted: never reuse it
            raise
        return nb, tm


_WARM: WarmKernel | None = None


def get_warm_kernel(cwd=None, *, kernel_name: str = "python3", start_attempts: int = 3) -> WarmKernel:
    """This process's warm kernel (created on first use; shut down when the process ends)."""
    global _WARM
    if _WARM is not None and _WARM.pid == os.getpid() and _WARM.kernel_name != kernel_name:
        _WARM.shutdown()
        _WARM = None
    if _WARM is None or _WARM.pid != os.getpid():  # never reuse a parent's kernel after fork
        _WARM = WarmKernel(kernel_name, cwd=cwd, start_attempts=start_attempts)
        import multiprocessing.util as mpu

        mpu.Finalize(_WARM, WarmKernel.shutdown, args=(_WARM,), exitpriority=10)  # pool workers
        atexit.register(_WARM.shutdown)
    return _WARM


def shutdown_warm_kernel() -> None:
    """Shut down this process's warm kernel, if any."""
    global _WARM
    if _WARM is not None and _WARM.pid == os.getpid():
        _WARM.shutdown()
    _WARM = None
