"""Benchmark: the composite index at city scale (`evalkit.index`, issue 13).

Run with ``.venv/bin/python bench/index.py [--replicates 1000] [--jobs 2] [--repeat 3]``.

0. generate the city dataset once (``evalkit synth --scale city --seed 20241``, cached in
   bench/cache/ as bench/run.py does) and its indicator table for the community, street and
   district levels (cached too: computing indicators is not what is measured here);
1. the nominal index of each level (best of ``--repeat``): pivot, selection, COINr's
   treatment, min–max, the two aggregations, ranks, the long output table;
2. ``--replicates`` uncertainty replicates at community level with ``--jobs`` workers
   (every value redrawn from its own interval, the whole pipeline rerun, vectorised across
   replicates), and the ratio to one nominal build;
3. the same on a wider frame (``--wide``, default 30 indicators in 6 groups, 1,000 units, every
   cell with a normal error) through ``evalkit.stats.composite`` directly: the size the index
   reaches once the new ledger families are in the catalog.

Targets: nominal ≤ 1 s, 1,000 replicates ≤ 30 s on 2 cores.  Prints the load average:
the machine is shared, so figures are noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
YEAR = 2024
LEVELS = ("community", "street", "district")


def dataset(seed: int) -> Path:
    """The cached city dataset (Parquet), generated on first use."""
    path = HERE / "cache" / f"city-{seed}-parquet"
    if not (path / "dataset.json").exists():
        tmp = path.with_name(path.name + ".tmp")
        subprocess.run([sys.executable, "-m", "evalkit", "synth", str(tmp), "--scale", "city", "--seed", str(seed),
                        "--format", "parquet"], check=True, cwd=ROOT)
        tmp.rename(path)
    return path


def indicator_table(seed: int):
    import pandas as pd

    cache = HERE / "cache" / f"index-indicators-city-{seed}-{YEAR}.parquet"
    if not cache.exists():
        import evalkit
        from evalkit.families.output import write_table

        t0 = time.perf_counter()
        table = evalkit.indicators(evalkit.load(dataset(seed)), year=YEAR, level=LEVELS)
        write_table(table, cache)
        print(f"indicators (once, cached): {time.perf_counter() - t0:.1f} s")
    return pd.read_parquet(cache)


def best(fn, repeat: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def wide(n_ind: int, replicates: int, jobs: int, repeat: int) -> tuple[float, float]:
    """Build and replicate a lognormal frame of 1,000 units x ``n_ind`` indicators (treatment triggered)."""
    import numpy as np
    import pandas as pd

    from evalkit.stats.composite import build, sensitivity

    rng = np.random.default_rng(0)
    units = [f"u{k:04d}" for k in range(1000)]
    codes = [f"x{i:02d}" for i in range(n_ind)]
    data = pd.DataFrame(rng.lognormal(size=(1000, n_ind)), columns=codes)
    data.insert(0, "uCode", units)
    groups = [f"g{i % 6}" for i in range(n_ind)]
    meta = pd.DataFrame({"iCode": codes + sorted(set(groups)) + ["Index"],
                         "Level": [1] * n_ind + [2] * len(set(groups)) + [3],
                         "Parent": groups + ["Index"] * len(set(groups)) + [None], "Direction": 1, "Weight": 1,
                         "Type": ["Indicator"] * n_ind + ["Aggregate"] * (len(set(groups)) + 1)})
    t_b, comp = best(lambda: build(data, meta, treat="coinr"), repeat)
    err = pd.DataFrame({"uCode": np.repeat(units, n_ind), "iCode": codes * 1000, "se": 0.1})
    t0 = time.perf_counter()
    sensitivity(comp, data_error=err, n=replicates, seed=0, jobs=jobs)
    return t_b, time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=20241)
    p.add_argument("--replicates", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--wide", type=int, default=30, help="indicators of the wide frame (0: skip)")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)  # e.g. an indicator COINr's treatment cannot treat
    import evalkit
    from evalkit.ranking import index_inputs

    table = indicator_table(args.seed)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    nominal = {}
    for level in LEVELS:
        inp = index_inputs(table, year=YEAR, level=level)
        t, out = best(lambda: evalkit.index(table, year=YEAR, level=level), args.repeat)
        nominal[level] = t
        n_ind = int((inp.meta["Level"] == 1).sum())
        print(f"nominal {level:9s}: {t:6.3f} s  ({len(inp.units)} units, {n_ind} indicators, "
              f"{len(inp.groups)} groups, {len(out)} rows)")
    level = "community"
    inp = index_inputs(table, year=YEAR, level=level)
    t0 = time.perf_counter()
    out = evalkit.index(table, year=YEAR, level=level, uncertainty=args.replicates, seed=1, jobs=args.jobs)
    t_unc = time.perf_counter() - t0
    cells = len(inp.data_error)
    top = out[out["indicator"] == "index"]
    width = (top["rank_high"] - top["rank_low"]).astype(float)
    print(f"{args.replicates} replicates, {args.jobs} workers ({cells} values redrawn each): {t_unc:.2f} s "
          f"= {t_unc / nominal[level]:.0f} x one nominal build ({1000 * t_unc / args.replicates:.1f} ms per "
          f"replicate); median rank-interval width {width.median():.0f} of {len(top)}")
    if args.wide:
        t_b, t_w = wide(args.wide, args.replicates, args.jobs, args.repeat)
        print(f"wide frame (1000 units, {args.wide} indicators, 6 groups): build {t_b:.3f} s; {args.replicates} "
              f"replicates {t_w:.2f} s = {t_w / t_b:.0f} x one build")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = nominal[level] <= 1.0 and t_unc <= 30.0 * args.replicates / 1000
    print("targets (nominal <= 1 s, 1,000 replicates <= 30 s):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
