"""The batch on a tiny fake setup (kernels start: marked notebook + slow)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from evalkit.report.batch import build_reports, safe_name

from fake import fake_dataset_dir, fake_table, stand_in_notebook  # noqa: E402  (tests/report on sys.path via rootdir conftest)

HOSTILE = ("南山区", "../../etc", "a/b", "<script>alert(1)</script>", "坏区")
pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def _tiny_notebook(path):
    """Same parameters as the report; raises for the district 坏区; displays escaped HTML."""
    return stand_in_notebook(path, 'import html\nfrom IPython.display import HTML, display\n'
                                   'assert isinstance(district, str)\n'
                                   'if district == "坏区":\n    raise RuntimeError("deliberate failure for the test")\n'
                                   'display(HTML("<h1>" + html.escape(district) + " 报告</h1>"))')


def test_batch_failure_isolated_and_names_contained(tmp_path):
    data = fake_dataset_dir(tmp_path / "data", districts=HOSTILE)
    out = tmp_path / "out"
    nb = _tiny_notebook(tmp_path / "tiny.ipynb")
    rc = build_reports(data, year=2024, out=out, jobs=2, table=fake_table(districts=HOSTILE),
                       notebook=nb, city=False, formats=("html", "xlsx"), progress=False)
    assert rc == 1
    # nothing written outside out/
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "tiny.ipynb"]
    files = sorted(p.name for p in out.iterdir())
    assert not any(f.startswith(".") for f in files)       # no temp or work files left
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = {r["parameters"]["district"]: r for r in m["reports"]}
    assert status["坏区"]["status"] == "failed"
    err = status["坏区"]["error"]  # cell_index counts cells of the executed notebook (with injected parameters)
    assert err["cell_index"] == 2 and "deliberate" in err["message"] and "raise RuntimeError" in err["cell_source"]
    assert f"{safe_name('坏区')}.failed.ipynb" in files and "坏区.html" not in files
    for d in HOSTILE[:-1]:
        r = status[d]
        assert r["status"] == "ok", r["error"]
        names = {o["path"] for o in r["outputs"]}
        assert names == {f"{safe_name(d)}.{e}" for e in ("ipynb", "html", "xlsx")}
        for o in r["outputs"]:
            import hashlib

            assert hashlib.sha256((out / o["path"]).read_bytes()).hexdigest() == o["sha256"]
    page = (out / f"{safe_name('<script>alert(1)</script>')}.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "失败" in index
    assert m["dataset"]["sha256"] and m["versions"]["evalkit"] and m["indicators"]["sha256"]


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_real_report_notebook_html_and_screenshot(tmp_path):
    """The shipped district notebook on the fake table: HTML, rerun identical, screenshot."""
    data = fake_dataset_dir(tmp_path / "data")
    table = fake_table()
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    for out in (out1, out2):
        rc = build_reports(data, year=2024, districts=["南山区"], out=out, jobs=1, table=table,
                           city=False, formats=("html",), progress=False)
        assert rc == 0, json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    a = (out1 / "南山区.html").read_text(encoding="utf-8")
    b = (out2 / "南山区.html").read_text(encoding="utf-8")
    strip = lambda s: re.sub(r'<footer class="generated">.*?</footer>', "", s, flags=re.S)  # noqa: E731
    assert strip(a) == strip(b)
    assert (out1 / "indicators_2024.parquet").read_bytes() == (out2 / "indicators_2024.parquet").read_bytes()
    assert "示例数据 · synthetic data" in a and "<img" in a
    assert not re.search(r'(src|href)\s*=\s*["\']?https?://', a, re.I)
    nb = nbformat.read(out1 / "南山区.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["district"] == "南山区"
    from evalkit.report.execute import glyph_warnings

    assert glyph_warnings(nb) == []
    exe = _chromium()
    if not exe:
        pytest.skip("chromium not installed (CI installs Debian chromium)")
    png = tmp_path / "shot.png"
    proc = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}",
         f"--screenshot={png}", "--window-size=1200,2000", "--enable-logging=stderr", "--v=0",
         (out1 / "南山区.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert png.exists() and png.stat().st_size > 20_000
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == []
    blocked = [ln for ln in proc.stderr.splitlines() if "net::ERR" in ln]
    assert blocked == []


def test_a_year_the_data_do_not_cover_is_refused_before_any_work(tmp_path):
    """Regression (issue 11): --year 2030 on data ending in 2024 gave '3/3 完成' and empty charts."""
    from evalkit.exceptions import ParameterError

    sample = Path(__file__).parents[2] / "data" / "sample"
    out = tmp_path / "out"
    for year in (2030, 2019):
        with pytest.raises(ParameterError) as err:
            build_reports(sample, year=year, out=out, progress=False)
        assert "2020–2024" in str(err.value) and str(year) in str(err.value)
    assert not out.exists()
    data = fake_dataset_dir(tmp_path / "data")
    with pytest.raises(ParameterError, match="2023–2024"):  # a precomputed table: the years it has
        build_reports(data, year=2030, out=out, table=fake_table(), progress=False)
    assert not out.exists()
    import sys

    r = subprocess.run([sys.executable, "-m", "evalkit", "reports", str(sample), "--year", "2030", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "2020–2024" in r.stderr and not out.exists()
