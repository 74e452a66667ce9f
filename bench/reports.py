"""Benchmark of the report batch: seconds per report, amortised, against a naive baseline.

    .venv/bin/python bench/reports.py [--jobs 2] [--districts N] [--skip-pdf] [--province100]

Data: the city-scale synthetic dataset (``evalkit synth bench/cache/city-seed1 --scale city
--seed 1``, about 10 districts), generated on first use and cached in bench/cache/ (git-ignored).
``--province100`` also runs the province scale restricted to 100 districts (heavy to generate).

Measured, each with ``--jobs`` worker processes, wall-clock from the call to the last file:

* ``evalkit``  - ``build_reports(..., formats=("html",))``: indicator table and pilot comparison
  computed once, one papermill-recorded run per district reading them in a kernel kept alive
  per worker (``kernel="warm"``), a font reduced once per batch
  (cached across batches in ~/.cache/evalkit), plus the city summary and the index.
* ``evalkit+pdf`` - the same with ``formats=("html", "pdf")``.
* ``evalkit, kernel=fresh`` - HTML with a new kernel per report, to separate the warm
  kernel's gain from the rest (skip with ``--skip-fresh-kernel``).
* ``naive`` - papermill per district on bench/naive_report.ipynb, which loads the raw data and
  computes every indicator, the pilot comparison and the plots itself (and imports
  statsmodels), then the same HTML export with the font subset from the full 8 MB OTF; same
  process count.  No city summary, no index: the baseline is favoured.

Seconds per report = wall time / number of district reports.  Results are printed and written
to bench/out/reports.json; record them in bench/REPORTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
OUT = ROOT / "bench" / "out"
NAIVE = ROOT / "bench" / "naive_report.ipynb"
EVALKIT = str(Path(sys.executable).parent / "evalkit")


def dataset(name: str, scale: str, seed: int = 1, districts: int | None = None) -> Path:
    """The cached synthetic dataset (generated with ``evalkit synth`` when missing)."""
    p = CACHE / name
    if not (p / "dataset.json").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = CACHE / f"{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([EVALKIT, "synth", str(tmp), "--scale", scale, "--seed", str(seed)], check=True)
        if districts:
            _restrict(tmp, districts)
        os.replace(tmp, p)
    return p


def _restrict(path: Path, n: int) -> None:
    """Keep the first ``n`` districts' communities (and their rows) of a generated dataset."""
    import pandas as pd

    com = pd.read_parquet(path / "communities.parquet")
    keep = sorted(com["district"].unique())[:n]
    com = com[com["district"].isin(keep)]
    ids = set(com["community_id"])
    com.to_parquet(path / "communities.parquet", index=False)
    volunteers = None
    for f in sorted(path.glob("*.parquet")):
        if f.name in ("communities.parquet", "volunteer_hours.parquet"):
            continue
        t = pd.read_parquet(f)
        if "community_id" in t.columns:
            t = t[t["community_id"].isin(ids)]
            t.to_parquet(f, index=False)
        if f.name == "volunteers.parquet":
            volunteers = set(t["volunteer_id"])
    hours = path / "volunteer_hours.parquet"
    if hours.exists() and volunteers is not None:  # service records reach a district through their volunteer
        t = pd.read_parquet(hours)
        t[t["volunteer_id"].isin(volunteers)].to_parquet(hours, index=False)


def _naive_one(args) -> float:
    data, district, year, out = args
    import papermill as pm

    from evalkit.files import atomic_write
    from evalkit.report.htmlpage import html_from_notebook

    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(dir=out))
    nb_path = work / "r.ipynb"
    pm.execute_notebook(str(NAIVE), str(nb_path), parameters={"data_dir": str(data), "district": district,
                                                              "year": year, "lang": "zh"},
                        kernel_name="python3", cwd=str(work), progress_bar=False, log_output=False)
    # the naive page subsets the full font (no font_base)
    atomic_write(work / "r.html", html_from_notebook(str(nb_path), title=district, synthetic=True))
    return time.perf_counter() - t0


def naive(data: Path, districts: list[str], year: int, jobs: int) -> float:
    out = OUT / "naive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
        list(pool.map(_naive_one, [(data, d, year, out) for d in districts]))
    return time.perf_counter() - t0


def ours(data: Path, districts: list[str], year: int, jobs: int, formats, kernel: str = "warm") -> tuple[float, dict]:
    from evalkit.report.batch import build_reports

    out = OUT / ("evalkit-" + "-".join(formats) + ("" if kernel == "warm" else f"-{kernel}"))
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    rc = build_reports(data, year=year, districts=districts, out=out, jobs=jobs, formats=formats, progress=False,
                       kernel=kernel)
    wall = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"batch failed: see {out / 'manifest.json'}")
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    parts = {}
    for r in m["reports"]:
        for k, v in (r.get("timings") or {}).items():
            parts[k] = parts.get(k, 0.0) + v / len(m["reports"])
    parts["duration"] = sum(r["duration"] for r in m["reports"]) / len(m["reports"])
    parts = {k: round(v, 2) for k, v in parts.items()}
    parts["kernel_starts"] = sum(1 for r in m["reports"] + [m.get("city_summary") or {}]
                                 if (r.get("timings") or {}).get("kernel_start", 0) > 0)
    return wall, parts


def _load() -> list | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(), "loadavg_at_start": load}


def run(data: Path, label: str, year: int, jobs: int, n: int | None, pdf: bool, fresh_kernel: bool = True) -> dict:
    import pandas as pd

    com = pd.read_parquet(data / "communities.parquet", columns=["district"])
    districts = sorted(com["district"].astype(str).unique())[:n] if n else sorted(com["district"].astype(str).unique())
    k = len(districts)
    res = {"data": label, "districts": k, "jobs": jobs, "machine": machine()}
    w, parts = ours(data, districts, year, jobs, ("html",))
    res["evalkit_html"] = {"wall": round(w, 2), "per_report": round(w / k, 2), "per_report_parts": parts,
                           "loadavg_after": _load()}
    if pdf:
        w2, parts2 = ours(data, districts, year, jobs, ("html", "pdf"))
        res["evalkit_html_pdf"] = {"wall": round(w2, 2), "per_report": round(w2 / k, 2), "per_report_parts": parts2,
                                   "loadavg_after": _load()}
    if fresh_kernel:
        w3, parts3 = ours(data, districts, year, jobs, ("html",), kernel="fresh")
        res["evalkit_html_fresh_kernel"] = {"wall": round(w3, 2), "per_report": round(w3 / k, 2),
                                            "per_report_parts": parts3, "loadavg_after": _load()}
    wn = naive(data, districts, year, jobs)
    res["naive_html"] = {"wall": round(wn, 2), "per_report": round(wn / k, 2), "loadavg_after": _load()}
    res["speedup_html"] = round(wn / w, 2)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--districts", type=int, default=None, help="only the first N districts")
    ap.add_argument("--skip-pdf", action="store_true")
    ap.add_argument("--skip-fresh-kernel", action="store_true",
                    help="do not also time build_reports(kernel='fresh') (a kernel per report)")
    ap.add_argument("--province100", action="store_true", help="also 100 districts of the province scale")
    a = ap.parse_args(argv)
    from evalkit.report.webfont import reduce_font

    reduce_font("")  # warm the per-machine font cache once (a first-ever batch pays ~5 s more)
    results = [run(dataset("city-seed1", "city"), "city (seed 1)", a.year, a.jobs, a.districts, not a.skip_pdf,
                   not a.skip_fresh_kernel)]
    if a.province100:
        results.append(run(dataset("province100-seed1", "province", districts=100), "province, 100 districts",
                           a.year, a.jobs, a.districts, not a.skip_pdf, not a.skip_fresh_kernel))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reports.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for r in results:
        print(f"{r['data']}: {r['districts']} districts, --jobs {r['jobs']}")
        print(f"  evalkit HTML      {r['evalkit_html']['per_report']:6.2f} s/report  (wall {r['evalkit_html']['wall']} s;"
              f" per-report parts {r['evalkit_html']['per_report_parts']})")
        if "evalkit_html_pdf" in r:
            print(f"  evalkit HTML+PDF  {r['evalkit_html_pdf']['per_report']:6.2f} s/report  (wall {r['evalkit_html_pdf']['wall']} s)")
        if "evalkit_html_fresh_kernel" in r:
            e = r["evalkit_html_fresh_kernel"]
            print(f"  evalkit HTML, kernel=fresh {e['per_report']:6.2f} s/report  (wall {e['wall']} s)")
        print(f"  naive HTML        {r['naive_html']['per_report']:6.2f} s/report  (wall {r['naive_html']['wall']} s)")
        print(f"  speed-up (HTML)   {r['speedup_html']:.2f}x   target >= 3x; target <= 1.5 s/report")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
