"""The warm engine: one kernel per worker, reused across districts (evalkit.report.warm).

Failure isolation (a raising cell, a dying kernel, a hung cell), parameter
types, papermill-style record, no state carried from one district to the
next, and the same results as the plain papermill engine.
"""

import json
import re

import nbformat
import pytest

from evalkit.exceptions import ParameterError
from evalkit.report.batch import build_reports, safe_name

from fake import fake_dataset_dir, fake_table, stand_in_notebook  # noqa: E402

pytestmark = [pytest.mark.notebook]

def _nb(path, body: str):
    return stand_in_notebook(path, body)


def _manifest(out):
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


_FAULTS = '''import os, signal, time
from IPython.display import HTML, display
if district == "坏区":
    raise RuntimeError("deliberate failure for the test")
if district == "死区":
    os.kill(os.getpid(), signal.SIGKILL)   # the kernel dies
if district == "慢区":
    time.sleep(120)                        # the kernel hangs past the timeout
display(HTML("<p>" + district + " " + str(os.getpid()) + "</p>"))
'''


@pytest.mark.slow
def test_warm_failures_isolated_and_kernel_replaced(tmp_path):
    names = ("甲区", "坏区", "乙区", "死区", "丙区", "慢区", "丁区")
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, districts=list(names), out=out, jobs=1, table=fake_table(districts=names),
                       notebook=_nb(tmp_path / "f.ipynb", _FAULTS), city=False, formats=("html",),
                       progress=False, timeout=4, kernel="warm")
    assert rc == 1
    m = _manifest(out)
    assert m["kernel"] == "warm"
    r = {x["parameters"]["district"]: x for x in m["reports"]}
    assert [r[d]["status"] for d in names] == ["ok", "failed", "ok", "failed", "ok", "failed", "ok"]
    # a raising cell: papermill's error record, and the same kernel goes on
    err = r["坏区"]["error"]
    assert err["type"] == "RuntimeError" and err["cell_index"] == 2 and "deliberate" in err["message"]
    assert (out / f"{safe_name('坏区')}.failed.ipynb").exists()
    k = lambda d: {x: r[d]["kernel"][x] for x in ("reused", "starts")}  # noqa: E731
    assert k("乙区") == {"reused": True, "starts": 1}
    # a dead kernel: recorded, and the next district gets a new kernel
    assert r["死区"]["error"]["type"] == "DeadKernelError"
    assert k("丙区") == {"reused": False, "starts": 2} and r["丙区"]["timings"]["kernel_start"] > 0
    # a hung cell: timed out, the kernel is replaced
    assert "Timeout" in r["慢区"]["error"]["type"] and r["慢区"]["duration"] < 60
    assert k("丁区") == {"reused": False, "starts": 3}
    # the failures carry their tracebacks
    assert any("deliberate failure" in ln for ln in r["坏区"]["error"]["traceback"])
    pids = {d: re.search(r"<p>\S+ (\d+)</p>", (out / f"{safe_name(d)}.html").read_text(encoding="utf-8")).group(1)
            for d in ("甲区", "乙区", "丙区", "丁区")}
    assert pids["甲区"] == pids["乙区"] != pids["丙区"] != pids["丁区"]
    for d in ("死区", "慢区"):
        assert not (out / f"{safe_name(d)}.html").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


_TYPES = '''import os
from IPython.display import display, HTML
assert isinstance(district, str) and isinstance(year, int) and isinstance(lang, str), (type(district), type(year))
display(HTML(f"<p>{district}|{type(district).__name__}|{year}|{type(year).__name__}</p>"))
'''


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["warm", "fresh"])
def test_parameter_types_and_record(tmp_path, kernel):
    names = ("010105", "南山区")
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, out=out, jobs=1, table=fake_table(districts=names),
                       notebook=_nb(tmp_path / "t.ipynb", _TYPES), city=False, formats=("html",),
                       progress=False, kernel=kernel)
    m = _manifest(out)
    assert rc == 0, m["reports"]
    assert m["kernel"] == kernel and all(r["kernel"]["mode"] == kernel for r in m["reports"])
    for d in names:
        nb = nbformat.read(out / f"{d}.ipynb", as_version=4)
        pm = nb.metadata["papermill"]
        assert pm["parameters"]["district"] == d and isinstance(pm["parameters"]["district"], str)
        assert pm["parameters"]["year"] == 2024 and isinstance(pm["parameters"]["year"], int)
        assert pm["start_time"] and pm["end_time"] and pm["duration"] > 0 and pm["exception"] is None
        inj = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(inj) == 1 and f"district = {json.dumps(d)}" in inj[0].source
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == [1, 2, 3]  # a fresh session per notebook
        assert all(c.metadata["papermill"]["status"] == "completed" for c in code)
        assert f"<p>{d}|str|2024|int</p>" in (out / f"{d}.html").read_text(encoding="utf-8")
        assert nb.metadata["language_info"]["name"] == "python"


_LEAK = '''import os, warnings
import matplotlib as mpl
import matplotlib.pyplot as plt
from IPython.display import display, HTML
seen = sorted(k for k in ("left_behind",) if k in globals())
files = sorted(os.listdir("."))
fig_nums = plt.get_fignums()
size = mpl.rcParams["font.size"]
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("default")
    warnings.warn("once per location")
left_behind = district
mpl.rcParams["font.size"] = 31
plt.figure()  # left open on purpose
open("scratch.txt", "w").write(district)
display(HTML(f"<p>seen={seen} files={files} figs={fig_nums} size={size} warned={len(w)}</p>"))
'''


@pytest.mark.slow
def test_warm_kernel_leaks_no_state(tmp_path):
    names = ("甲区", "乙区")
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    nb = _nb(tmp_path / "l.ipynb", _LEAK)
    pages = {}
    for order in (names, names[::-1]):
        out = tmp_path / "-".join(order)
        rc = build_reports(data, year=2024, districts=list(order), out=out, jobs=1,
                           table=fake_table(districts=names), notebook=nb, city=False, formats=("html",),
                           progress=False, kernel="warm")
        assert rc == 0, _manifest(out)["reports"]
        pages[order] = {d: (out / f"{d}.html").read_text(encoding="utf-8") for d in names}
    for order, p in pages.items():
        for d in names:
            assert "seen=[] files=[] figs=[] size=10.0 warned=1" in p[d], (order, d)
    strip = lambda s: re.sub(r'<footer class="generated">.*?</footer>', "", s, flags=re.S)  # noqa: E731
    assert strip(pages[names]["乙区"]) == strip(pages[names[::-1]]["乙区"])


@pytest.mark.slow
def test_real_notebook_warm_no_leak_and_same_as_papermill(tmp_path):
    """The shipped district notebook: B after A == B first == B with a fresh kernel."""
    names = ("南山区", "福田区")
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    table = fake_table(districts=names)
    runs = {"ab": (list(names), "warm"), "ba": (list(names[::-1]), "warm"), "pm": (["福田区"], "fresh")}
    pages = {}
    for key, (order, kernel) in runs.items():
        out = tmp_path / key
        rc = build_reports(data, year=2024, districts=order, out=out, jobs=1, table=table, city=False,
                           formats=("html",), progress=False, kernel=kernel)
        assert rc == 0, _manifest(out)["reports"]
        pages[key] = (out / "福田区.html").read_text(encoding="utf-8")
    strip = lambda s: re.sub(r'<footer class="generated">.*?</footer>', "", s, flags=re.S)  # noqa: E731
    assert strip(pages["ab"]) == strip(pages["ba"]) == strip(pages["pm"])
    from evalkit.report.execute import glyph_warnings

    assert glyph_warnings(nbformat.read(tmp_path / "ab" / "福田区.ipynb", as_version=4)) == []


@pytest.mark.slow
def test_warm_pool_two_workers(tmp_path):
    """jobs=2: each worker keeps one kernel; every report is built and no kernel outlives the batch."""
    import os
    import time

    names = ("甲区", "乙区", "丙区", "丁区", "戊区")
    data = fake_dataset_dir(tmp_path / "data", districts=names)
    out = tmp_path / "out"
    rc = build_reports(data, year=2024, out=out, jobs=2, table=fake_table(districts=names),
                       notebook=_nb(tmp_path / "f.ipynb", _FAULTS), city=False, formats=("html",),
                       progress=False, kernel="warm")
    m = _manifest(out)
    assert rc == 0, m["reports"]
    assert sum(r["kernel"]["reused"] for r in m["reports"]) >= len(names) - 2  # one start per worker at most
    pids = {int(re.search(r"<p>\S+ (\d+)</p>", (out / f"{d}.html").read_text(encoding="utf-8")).group(1))
            for d in names}
    assert 1 <= len(pids) <= 2
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = set()
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    assert alive == set()  # the workers shut their kernels down when the pool closed


def test_kernel_argument_checked(tmp_path):
    data = fake_dataset_dir(tmp_path / "data")
    with pytest.raises(ParameterError, match="kernel"):
        build_reports(data, year=2024, out=tmp_path / "o", table=fake_table(), kernel="cold", progress=False)
