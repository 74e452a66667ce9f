"""Benchmark: `evalkit indicators` against a hand-written DuckDB script, at city scale.

Run with ``make bench`` (or ``.venv/bin/python bench/run.py``).  Steps, all from
the same files:

0. generate the city-scale dataset once with ``evalkit synth --scale city``
   (cached in bench/cache/, gitignored);
(a) ``bench/counts.sql`` — DuckDB computing the count and ratio indicators per
    community (a fresh Python process: interpreter, ``import duckdb``, query);
(b) ``evalkit indicators DATA --year Y --level community --indicator ...`` with
    the same list;
(c) the full ``evalkit indicators DATA --year Y --level community``;
(b2), (c2) the same two CLI runs with ``--no-validate``: without the contract
    checks that the CLI runs by default, i.e. the same work as the DuckDB script
    (with ``--code DIR`` on an older tree: a script loading only the needed tables);
(b3) (b) with ``EVALKIT_DIRECT=0``: every table through the loader (pandas), the
    path the CLI took before direct scans (and still takes for CSV or data that
    fails a check);
floor: a Python process that only imports pandas, scipy.special and duckdb.

Prints wall times, b/a and c/a (and b2/a, c2/a), evalkit's peak memory (max RSS of the child
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
#: The source tree whose evalkit is run (``--code``); children start in it.
CODE = ROOT
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


# what `evalkit indicators` does, loading only the tables the indicators need
NEEDED = """
import sys
from evalkit.families import indicators, tables_needed
from evalkit.families.output import write_table
from evalkit.io import load
ids = sys.argv[4].split(",") if sys.argv[4] else None
ds = load(sys.argv[1], tables=tables_needed(None, ids))
write_table(indicators(ds, year=int(sys.argv[2]), level=("community",), indicators=ids), sys.argv[3])
"""

STAGES = """
import gc, json, sys, time
t0 = time.perf_counter()
from evalkit.io import load
from evalkit.families import indicators
from evalkit.families.output import write_table
t1 = time.perf_counter()
ids = sys.argv[4].split(",") if sys.argv[4] else None
try:
    from evalkit.families import tables_needed
except ImportError:  # an older tree
    needed = None
else:
    ds = load(sys.argv[1], tables=tables_needed(None, ids))
    needed = round(time.perf_counter() - t1, 2)
    del ds
    gc.collect()
t2a = time.perf_counter()
ds = load(sys.argv[1])  # what the CLI does today
t2b = time.perf_counter()
t = indicators(ds, year=int(sys.argv[2]), level="community", indicators=ids)
t3 = time.perf_counter()
write_table(t, sys.argv[3])
t4 = time.perf_counter()
res = {"import_s": round(t1 - t0, 2), "load_needed_s": needed, "load_all_s": round(t2b - t2a, 2),
       "indicators_s": round(t3 - t2b, 2), "write_s": round(t4 - t3, 2)}
del ds
try:  # direct scans, one stage after the other (the CLI overlaps the checks with its imports)
    from evalkit.io.direct import open_direct
except ImportError:  # an older tree
    pass
else:
    t5 = time.perf_counter()
    dd = open_direct(sys.argv[1], tables_needed(None, ids))
    t6 = time.perf_counter()
    if dd is not None:
        indicators(dd, year=int(sys.argv[2]), level="community", indicators=ids)
        res.update(direct_open_s=round(t6 - t5, 2), direct_indicators_s=round(time.perf_counter() - t6, 2))
print(json.dumps(res))
"""


def stages(data: Path, year: int, out: Path, ids: list[str] | None) -> dict:
    """Where an evalkit run spends its time (one extra child process)."""
    r = subprocess.run([PY, "-W", "ignore", "-c", STAGES, str(data), str(year), str(out), ",".join(ids or [])],
                       cwd=CODE, capture_output=True, text=True, env=_env())
    if r.returncode != 0:  # an older tree without tables_needed
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _env() -> dict:
    """The children's environment: CODE first on the module path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(CODE), *filter(None, [env.get("PYTHONPATH")])])
    return env


def dataset(seed: int, fmt: str, scale: str = "city") -> Path:
    """The cached dataset of ``scale`` (generated on first use)."""
    path = HERE / "cache" / f"{scale}-{seed}-{fmt}"
    if (path / "dataset.json").is_file():
        return path
    tmp = path.with_name(path.name + "-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"generating {path} ...", flush=True)
    subprocess.run([*EVALKIT, "synth", str(tmp), "--scale", scale, "--seed", str(seed),
                    "--format", fmt], check=True, cwd=ROOT)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path


def timed(cmd: list[str], must: bool = True, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process (its CPU time goes to ``CPU``)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=CODE, stdout=subprocess.DEVNULL, env={**_env(), **(env or {})})
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        if not must:
            return float("nan"), float("nan")
        raise SystemExit(f"failed: {' '.join(cmd)}")
    CPU[tuple(cmd)] = min(CPU.get(tuple(cmd), 1e9), usage.ru_utime + usage.ru_stime)
    return wall, usage.ru_maxrss / 1024


#: Least CPU time (user + system, all threads) seen per command: a figure that
#: depends less on the other jobs of a shared machine than the wall time.
CPU: dict[tuple, float] = {}


def best(cmd, repeat, must=True, env=None):
    runs = [timed(cmd, must, env) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def cpu(cmd) -> float | None:
    return round(CPU[tuple(cmd)], 2) if tuple(cmd) in CPU else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20241)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    ap.add_argument("--scale", choices=["city", "province"], default="city",
                    help="province: 20,000 communities, 9.9 M cases, 20.8 M service records (Parquet only)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--code", type=Path, default=ROOT,
                    help="run the evalkit of this source tree (e.g. an older checkout, for before/after)")
    args = ap.parse_args(argv)
    global CODE
    CODE = args.code.resolve()
    data = dataset(args.seed, args.format, args.scale)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    a_csv, b_csv, c_csv = out / "a.csv", out / "b.csv", out / "c.csv"
    ind = [x for i in COUNT_INDICATORS for x in ("--indicator", i)]
    cmd_a = [PY, "-c", A_SCRIPT, str(HERE / "counts.sql"), str(data), args.format, str(args.year), str(a_csv)]
    cmd_b = [*EVALKIT, "indicators", str(data), "--year", str(args.year), "--level", "community",
             *ind, "--out", str(b_csv)]
    cmd_c = [*EVALKIT, "indicators", str(data), "--year", str(args.year), "--level", "community",
             "--out", str(c_csv)]
    if args.code == ROOT:
        cmd_b2 = [*cmd_b[:-1], str(out / "b3.csv"), "--no-validate"]
        cmd_c2 = [*cmd_c[:-1], str(out / "c3.csv"), "--no-validate"]
    else:  # an older tree: its CLI may lack --no-validate
        cmd_b2 = [PY, "-c", NEEDED, str(data), str(args.year), str(out / "b3.csv"), ",".join(COUNT_INDICATORS)]
        cmd_c2 = [PY, "-c", NEEDED, str(data), str(args.year), str(out / "c3.csv"), ""]
    ta, ma = best(cmd_a, args.repeat)
    tb, mb = best(cmd_b, args.repeat)
    tc, mc = best(cmd_c, args.repeat)
    tb2, mb2 = best(cmd_b2, args.repeat, must=False)  # needs tables_needed (not in older trees)
    tc2, mc2 = best(cmd_c2, args.repeat, must=False)
    cmd_b3 = [*cmd_b[:-1], str(out / "b4.csv")]
    tb3, mb3 = best(cmd_b3, args.repeat, env={"EVALKIT_DIRECT": "0"})
    cmd_floor = [PY, "-c", "import pandas, scipy.special, duckdb"]
    tfloor, _ = best(cmd_floor, args.repeat)
    check = _agree(a_csv, b_csv)
    check2 = _agree(a_csv, out / "b3.csv") if tb2 == tb2 else None
    sb = stages(data, args.year, out / "b2.csv", COUNT_INDICATORS)
    sc = stages(data, args.year, out / "c2.csv", None)
    res = {
        "format": args.format, "scale": args.scale, "year": args.year, "seed": args.seed,
        "a_duckdb_s": round(ta, 2), "b_evalkit_counts_s": round(tb, 2), "c_evalkit_full_s": round(tc, 2),
        "b_over_a": round(tb / ta, 2), "c_over_a": round(tc / ta, 2),
        "b2_no_validate_s": _r(tb2), "c2_no_validate_s": _r(tc2),
        "b2_over_a": _r(tb2 / ta), "c2_over_a": _r(tc2 / ta),
        "b3_loader_s": round(tb3, 2), "b3_over_a": round(tb3 / ta, 2),
        "floor_imports_s": round(tfloor, 2), "floor_over_a": round(tfloor / ta, 2),
        "cpu_s": {"a": cpu(cmd_a), "b": cpu(cmd_b), "c": cpu(cmd_c), "b2": cpu(cmd_b2), "c2": cpu(cmd_c2),
                  "b3": cpu(cmd_b3), "floor": cpu(cmd_floor)},
        "peak_mb_b": round(mb), "peak_mb_c": round(mc), "peak_mb_b2": _r(mb2, 0), "peak_mb_c2": _r(mc2, 0),
        "peak_mb_b3": round(mb3),
        "a_b_max_abs_diff": check, "a_b2_max_abs_diff": check2,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "stages_b": sb, "stages_c": sc,
    }
    print(json.dumps(res, indent=1))
    ok = res["b_over_a"] <= 1.5 and res["c_over_a"] <= 10 and max(mb, mc) <= 4096
    print("targets b/a <= 1.5, c/a <= 10, peak <= 4 GB:", "met" if ok else "NOT met")
    if tb2 == tb2:
        ok2 = res["b2_over_a"] <= 1.5 and res["c2_over_a"] <= 10 and max(mb2, mc2) <= 4096
        print("same without validation (b2, c2):", "met" if ok2 else "NOT met")
    return 0


def _r(x: float, nd: int = 2):
    """Rounded, None for NaN (a run the code tree cannot do)."""
    return None if x != x else (round(x) if nd == 0 else round(x, nd))


def _agree(a_csv: Path, b_csv: Path) -> float:
    """Largest absolute difference between (a) and (b) over the shared indicators."""
    import numpy as np
    import pandas as pd

    a = pd.read_csv(a_csv, dtype={"community_id": str}).set_index("community_id")
    b = pd.read_csv(b_csv, encoding="utf-8-sig", dtype={"unit_id": str, "period": str})
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
