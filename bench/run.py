"""Benchmark: `evalkit indicators` against a hand-written DuckDB script, at city scale.

Run with ``make bench`` (or ``.venv/bin/python bench/run.py``).  Steps, all from
the same files:

0. generate the city-scale dataset once with ``evalkit synth --scale city``
   (cached in bench/cache/, gitignored);
(a) ``bench/counts.sql`` — DuckDB computing the count and ratio indicators per
    community (a fresh Python process: interpreter, ``import duckdb``, query);
(b) ``evalkit indicators DATA --year Y --level community --indicator ...`` with
    the same list;
(c) the full ``evalkit indicators DATA --year Y --level community``.

Prints wall times, b/a and c/a, evalkit's peak memory (max RSS of the child
process), and checks that (a) and (b) agree.  Targets: b/a <= 1.5, c/a <= 10,
peak <= 4 GB.  Options: ``--format csv`` to benchmark CSV files, ``--seed``,
``--year``, ``--repeat`` (best of N).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
EVALKIT = [PY, "-m", "evalkit"]
COUNT_INDICATORS = [
    "dispute_count", "dispute_rate", "dispute_resolution_rate", "dispute_escalation_rate",
    "volunteer_registration_rate", "volunteer_active_rate", "volunteer_hours_per_resident",
    "volunteer_party_share", "cadre_college_share",
]
A_SCRIPT = """
import sys, time, duckdb
sql = open(sys.argv[1], encoding="utf-8").read().format(
    dir=sys.argv[2], ext=sys.argv[3], year=sys.argv[4],
    read="read_parquet" if sys.argv[3] == "parquet" else "read_csv_auto")
df = duckdb.sql(sql).df()
df.to_csv(sys.argv[5], index=False)
"""


STAGES = """
import json, sys, time
t0 = time.perf_counter()
from evalkit.io import load
from evalkit.families import indicators
from evalkit.families.output import write_table
t1 = time.perf_counter()
ds = load(sys.argv[1])
t2 = time.perf_counter()
ids = sys.argv[4].split(",") if sys.argv[4] else None
t = indicators(ds, year=int(sys.argv[2]), level="community", indicators=ids)
t3 = time.perf_counter()
write_table(t, sys.argv[3])
t4 = time.perf_counter()
print(json.dumps({"import_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2),
                  "indicators_s": round(t3 - t2, 2), "write_s": round(t4 - t3, 2)}))
"""


def stages(data: Path, year: int, out: Path, ids: list[str] | None) -> dict:
    """Where an evalkit run spends its time (one extra child process)."""
    r = subprocess.run([PY, "-W", "ignore", "-c", STAGES, str(data), str(year), str(out), ",".join(ids or [])],
                       cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def dataset(seed: int, fmt: str) -> Path:
    """The cached city-scale dataset (generated on first use)."""
    path = HERE / "cache" / f"city-{seed}-{fmt}"
    if (path / "dataset.json").is_file():
        return path
    tmp = path.with_name(path.name + "-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"generating {path} ...", flush=True)
    subprocess.run([*EVALKIT, "synth", str(tmp), "--scale", "city", "--seed", str(seed),
                    "--format", fmt], check=True, cwd=ROOT)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def best(cmd, repeat):
    runs = [timed(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20241)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    data = dataset(args.seed, args.format)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    a_csv, b_csv, c_csv = out / "a.csv", out / "b.csv", out / "c.csv"
    ta, ma = best([PY, "-c", A_SCRIPT, str(HERE / "counts.sql"), str(data), args.format,
                   str(args.year), str(a_csv)], args.repeat)
    ind = [x for i in COUNT_INDICATORS for x in ("--indicator", i)]
    tb, mb = best([*EVALKIT, "indicators", str(data), "--year", str(args.year), "--level", "community",
                   *ind, "--out", str(b_csv)], args.repeat)
    tc, mc = best([*EVALKIT, "indicators", str(data), "--year", str(args.year), "--level", "community",
                   "--out", str(c_csv)], args.repeat)
    check = _agree(a_csv, b_csv)
    sb = stages(data, args.year, out / "b2.csv", COUNT_INDICATORS)
    sc = stages(data, args.year, out / "c2.csv", None)
    res = {
        "format": args.format, "year": args.year, "seed": args.seed,
        "a_duckdb_s": round(ta, 2), "b_evalkit_counts_s": round(tb, 2), "c_evalkit_full_s": round(tc, 2),
        "b_over_a": round(tb / ta, 2), "c_over_a": round(tc / ta, 2),
        "peak_mb_b": round(mb), "peak_mb_c": round(mc), "a_b_max_abs_diff": check,
        "stages_b": sb, "stages_c": sc,
    }
    print(json.dumps(res, indent=1))
    ok = res["b_over_a"] <= 1.5 and res["c_over_a"] <= 10 and max(mb, mc) <= 4096
    print("targets b/a <= 1.5, c/a <= 10, peak <= 4 GB:", "met" if ok else "NOT met")
    return 0


def _agree(a_csv: Path, b_csv: Path) -> float:
    """Largest absolute difference between (a) and (b) over the shared indicators."""
    import numpy as np
    import pandas as pd

    a = pd.read_csv(a_csv, dtype={"community_id": str}).set_index("community_id")
    b = pd.read_csv(b_csv, encoding="utf-8-sig", dtype={"unit_id": str})
    b = b.loc[b["period"].astype(str).str.len() == 4].pivot(index="unit_id", columns="indicator", values="value")
    diff = 0.0
    for col in COUNT_INDICATORS:
        x, y = a[col].astype(float), b[col].reindex(a.index).astype(float)
        both = x.notna() & y.notna()
        diff = max(diff, float(np.abs(x[both] - y[both]).max() if both.any() else 0.0))
        if (x.notna() != y.notna()).any():
            print(f"  {col}: {(x.notna() != y.notna()).sum()} communities differ in being empty")
    return diff


if __name__ == "__main__":
    sys.exit(main())
