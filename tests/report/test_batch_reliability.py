"""Reliability of the batch (issue 14): kernels that die while starting, workers killed mid-report.

Both failures are reproduced deterministically rather than by loading the machine: a kernel
spec whose launcher exits before the kernel starts (on its first start only, or always), and
a stand-in notebook whose kernel kills its own worker process (once, or every time).
"""

import hashlib
import json
import sys
from pathlib import Path

import pytest

from evalkit.report.batch import build_reports, safe_name

from fake import fake_dataset_dir, fake_table, stand_in_notebook  # noqa: E402  (tests/report on sys.path)

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("batch")]

_LAUNCHER = '''import os, sys
marker, always = sys.argv[1], sys.argv[2] == "always"
if always or not os.path.exists(marker):
    open(marker, "a").write("died\\n")
    sys.exit(3)  # the kernel dies before replying to kernel_info
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[3:]])
'''


def _kernel_spec(root: Path, name: str, mode: str) -> Path:
    """A kernel spec ``name`` under ``root`` (a JUPYTER_PATH entry) whose start dies first (or always)."""
    d = root / "kernels" / name
    d.mkdir(parents=True)
    (root / "launch.py").write_text(_LAUNCHER, encoding="utf-8")
    marker = root / f"{name}.starts"
    (d / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(root / "launch.py"), str(marker), mode, "-f", "{connection_file}"],
        "display_name": name, "language": "python"}), encoding="utf-8")
    return marker


def _manifest(out):
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _hello(path):
    return stand_in_notebook(path, 'from IPython.display import HTML, display\ndisplay(HTML("<p>" + district + "</p>"))')


def test_a_kernel_that_dies_while_starting_is_started_again(tmp_path, monkeypatch):
    """Regression: 'Kernel died before replying to kernel_info' under load failed a report.
    (``kernel="fresh"`` starts its kernels through the same ``WarmKernel.start``.)"""
    jp = tmp_path / "jupyter"
    marker = _kernel_spec(jp, "flaky", "first")
    monkeypatch.setenv("JUPYTER_PATH", str(jp))
    names = ("甲区", "乙区")
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, out=out, jobs=1, table=fake_table(districts=names), city=False,
                       notebook=_hello(tmp_path / "h.ipynb"), formats=("html",), progress=False,
                       kernel_name="flaky")
    m = _manifest(out)
    assert rc == 0, m["reports"]
    first = m["reports"][0]["kernel"]
    assert len(first["start_retries"]) == 1 and "died" in first["start_retries"][0]
    assert marker.read_text().count("died") == 1
    assert (out / "甲区.html").is_file() and (out / "乙区.html").is_file()


def test_a_kernel_that_never_starts_fails_its_report_with_the_reason(tmp_path, monkeypatch):
    jp = tmp_path / "jupyter"
    marker = _kernel_spec(jp, "dead", "always")
    monkeypatch.setenv("JUPYTER_PATH", str(jp))
    data = fake_dataset_dir(tmp_path / "data", districts=("甲区",))
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, out=out, jobs=1, table=fake_table(districts=("甲区",)), city=False,
                       notebook=_hello(tmp_path / "h.ipynb"), formats=("html",), progress=False, kernel_name="dead")
    r = _manifest(out)["reports"][0]
    assert rc == 1 and r["status"] == "failed"
    assert "3" in r["error"]["message"] and "died" in r["error"]["message"] and r["error"]["traceback"]
    assert len(r["kernel"]["start_retries"]) == 3 and marker.read_text().count("died") == 3
    assert not (out / "甲区.html").exists()


_KILLER = '''import os, signal, pathlib
from IPython.display import HTML, display
once = pathlib.Path(data_dir) / "killed-once"
if district == "杀一次区" and not once.exists():
    once.touch()
    os.kill(os.getppid(), signal.SIGKILL)   # the worker process running this report dies
if district == "总杀区":
    os.kill(os.getppid(), signal.SIGKILL)   # ... every time
display(HTML("<p>" + district + "</p>"))
'''


def _killer_batch(tmp_path, names):
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, out=out, jobs=2, table=fake_table(districts=names), city=False,
                       notebook=stand_in_notebook(tmp_path / "k.ipynb", _KILLER), formats=("html", "xlsx"),
                       progress=False)
    return rc, out, {x["parameters"]["district"]: x for x in _manifest(out)["reports"]}


def _complete(out, r, names):
    """Every report built is complete (its files' hashes are the recorded ones), nothing staged or
    half-written is left, and no process of the batch outlives it."""
    import multiprocessing as mp

    for d in names:
        assert r[d]["status"] == "ok", (d, r[d]["error"])
        assert f"<p>{d}</p>" in (out / f"{safe_name(d)}.html").read_text(encoding="utf-8")
        for o in r[d]["outputs"]:
            assert hashlib.sha256((out / o["path"]).read_bytes()).hexdigest() == o["sha256"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{safe_name(d)}.{e}" for d in names for e in ("html", "ipynb", "xlsx")]
        + ["index.html", "index_2024.parquet", "indicators_2024.parquet", "manifest.json"])
    assert mp.active_children() == []


def test_a_report_whose_worker_was_killed_is_run_again(tmp_path):
    names = ("甲区", "杀一次区", "乙区", "丙区")
    rc, out, r = _killer_batch(tmp_path, names)
    assert rc == 0
    assert r["杀一次区"]["attempts"] == 2 and (tmp_path / "data" / "killed-once").exists()  # run again, on its own
    _complete(out, r, names)


def test_a_report_that_kills_its_worker_every_time_fails_alone(tmp_path):
    names = ("甲区", "总杀区", "乙区")
    rc, out, r = _killer_batch(tmp_path, names)
    assert rc == 1
    assert r["总杀区"]["status"] == "failed" and r["总杀区"]["error"]["type"] == "WorkerDied"
    assert r["总杀区"]["attempts"] == 2 and "died" in r["总杀区"]["error"]["message"]
    _complete(out, r, ["甲区", "乙区"])
