"""End to end on data/sample: the real batch, notebooks, pilot section, index, and a Chromium screenshot."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "data" / "sample"
MARK = "示例数据 · synthetic data"


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.notebook
@pytest.mark.slow
def test_sample_batch_two_districts_and_city(tmp_path):
    from evalkit.io import load
    from evalkit.report.batch import build_reports
    from evalkit.report.execute import glyph_warnings

    ds = load(SAMPLE)
    d = list(ds.districts[:2])
    rc = build_reports(SAMPLE, year=2024, districts=d, out=tmp_path, jobs=2, progress=False)
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert rc == 0, [r["error"] for r in m["reports"] if r["status"] != "ok"]
    assert m["city_summary"]["status"] == "ok"
    assert m["pilot"] and (tmp_path / m["pilot"]["path"]).is_file()   # the comparison, computed once
    for r in m["reports"]:
        assert {o["path"].rsplit(".", 1)[1] for o in r["outputs"]} == {"ipynb", "html", "xlsx"}
    synthetic = json.loads((SAMPLE / "dataset.json").read_text(encoding="utf-8")).get("synthetic")
    for name in [*d, "city_summary"]:
        page = (tmp_path / f"{name}.html").read_text(encoding="utf-8")
        assert (MARK in page) == bool(synthetic)
        assert not re.search(r'(src|href)\s*=\s*["\']?https?://', page, re.I)
        assert "Problem(" not in page and "nan of" not in page and "第 nan" not in page
        assert "试点对比" in page and "<img" in page
        nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        assert glyph_warnings(nb) == []
        # every output is one block, each figure is shown once, no '<Axes ...>' or '<Figure ...>' line
        from evalkit.report.blocks import MIME

        outs = [o for c in nb.cells for o in c.get("outputs", [])]
        assert outs and all(o.get("output_type") == "display_data" and MIME in o["data"] for o in outs)
        pngs = [o["data"]["image/png"] for o in outs if "image/png" in o["data"]]
        assert len(pngs) >= 10 and len(set(pngs)) == len(pngs)
        texts = [str(o["data"].get("text/plain", "")) for o in outs]
        assert not [t for t in texts if t.startswith(("<Axes", "<Figure", "<matplotlib"))]
        assert "一、" in page and "（一）" in page and "图1 " in page and "表1 " in page
        # no report notebook loaded the estimators: the pilot paragraphs came from the batch
        assert nb.metadata["papermill"]["parameters"]["pilot_path"].endswith(".parquet")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(x in index for x in d) and (MARK in index) == bool(synthetic)

    exe = _chromium()
    if not exe:
        pytest.skip("chromium not installed (CI installs Debian chromium)")
    for name in (d[0], "index"):
        png = tmp_path / f"{name}.png"
        proc = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}",
             f"--screenshot={png}", "--window-size=1280,1600", "--enable-logging=stderr", "--v=0",
             (tmp_path / f"{name}.html").as_uri()], capture_output=True, text=True, timeout=120)
        assert png.exists() and png.stat().st_size > 20_000
        console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln or "net::ERR" in ln]
        assert console == [], console


@pytest.mark.notebook
@pytest.mark.slow
def test_notebooks_find_the_sample_with_their_defaults_where_jupyter_runs_them(tmp_path):
    """`make lab` and `jupyter nbconvert --execute` start the kernel in notebooks/: the
    default data_dir must point at the sample from there (it was 'data/sample')."""
    import papermill as pm

    for name in ("explore.ipynb", "pilot_comparison.ipynb"):
        out = tmp_path / name
        pm.execute_notebook(str(ROOT / "notebooks" / name), str(out), cwd=str(ROOT / "notebooks"),
                            progress_bar=False, log_output=False)
        nb = nbformat.read(out, as_version=4)
        assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_explore_notebook_runs_on_the_sample(tmp_path):
    """The researchers' tour executes top to bottom on data/sample with the public API."""
    import papermill as pm

    from evalkit.report.execute import glyph_warnings

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "explore.ipynb"), str(out),
                        parameters={"data_dir": str(SAMPLE), "year": 2024, "lang": "zh"},
                        cwd=str(tmp_path), progress_bar=False, log_output=False)
    nb = nbformat.read(out, as_version=4)
    assert glyph_warnings(nb) == []
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    pngs = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert pngs >= 3  # two overview plots and the event study
    # each figure once, and no <Axes ...> line (issue 11): text outputs beside the images
    # (an image's own text/plain fallback is not shown), and one image per plt.show()
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = [o.get("data", {}).get("text/plain", "") + o.get("text", "") for c in code for o in c.outputs
             if "image/png" not in o.get("data", {})]
    assert not [t for t in texts if "<Axes" in t or "<Figure" in t or "<matplotlib" in t]
    shows = [sum(ln.strip() == "plt.show()" for ln in c.source.splitlines()) for c in code]
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in code]
    assert images == shows and sum(shows) == 3
