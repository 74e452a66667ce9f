"""A small fabricated long indicator table for the plot and report tests.

Not real data and not the output of evalkit.families: rows in the output
contract (evalkit/families/_frame.py COLUMNS) for a few indicators at every
level, two years plus monthly rows, so plots and reports can be tested
before (and independently of) the indicator engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = (
    "indicator", "level", "unit_id", "unit_name", "district", "period", "category",
    "value", "se", "ci_low", "ci_high", "deff", "n", "numerator", "denominator",
    "p_value", "suppressed", "note",
)
EDU = ("primary", "junior_high", "senior_high", "college", "bachelor", "postgraduate")
DIMS = ("party_org", "services", "safety", "environment", "property")


def geography(districts=("南山区", "福田区", "罗湖区")):
    rows = []
    for d in districts:
        for s in ("桃源街道", "粤海街道"):
            for c in range(3):
                rows.append((f"{d}-{s}-{c}", f"{s[:2]}第{c + 1}社区", d, s))
    return pd.DataFrame(rows, columns=["community_id", "community_name", "district", "street"])


def fake_table(districts=("南山区", "福田区", "罗湖区"), years=(2023, 2024), seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    geo = geography(districts)
    units = []
    for r in geo.itertuples():
        units.append(("community", r.community_id, r.community_name, r.district))
    for (d, s), _ in geo.groupby(["district", "street"], sort=True):
        units.append(("street", f"{d}/{s}", s, d))
    for d in districts:
        units.append(("district", d, d, d))
    units.append(("city", "all", "全市", "all"))
    out = []

    def add(ind, lvl, uid, name, dist, period, cat, value, half=None, n=50, suppressed=False):
        half = abs(value) * 0.1 if half is None else half
        out.append(dict(indicator=ind, level=lvl, unit_id=uid, unit_name=name, district=dist, period=period,
                        category=cat, value=value, se=half / 1.96, ci_low=value - half, ci_high=value + half,
                        n=n, suppressed=suppressed))

    for lvl, uid, name, dist in units:
        base = rng.uniform(8, 20)
        for y in years:
            add("dispute_rate", lvl, uid, name, dist, str(y), None, base * (1 + 0.1 * (y - years[0])))
            add("dispute_resolution_rate", lvl, uid, name, dist, str(y), None, rng.uniform(0.6, 0.95), 0.05)
            add("cadre_college_share", lvl, uid, name, dist, str(y), None, rng.uniform(0.4, 0.9), 0.08)
            add("volunteer_registration_rate", lvl, uid, name, dist, str(y), None, rng.uniform(2, 20))
            add("volunteer_active_rate", lvl, uid, name, dist, str(y), None, rng.uniform(0.2, 0.7), 0.05)
            sup = lvl == "community" and uid.endswith("-2")
            add("satisfaction_index", lvl, uid, name, dist, str(y), None, rng.uniform(60, 85), 3.0,
                n=5 if sup else 120, suppressed=sup)
            w = rng.dirichlet(np.ones(len(EDU)))
            for e, v in zip(EDU, w):
                add("cadre_education_share", lvl, uid, name, dist, str(y), e, float(v), 0.05)
            for dim in DIMS:
                add("satisfaction_dimension", lvl, uid, name, dist, str(y), dim, rng.uniform(55, 90), 4.0)
        if lvl in ("district", "city"):
            for y in years:
                for m in range(1, 13):
                    v = base / 12 * (1 + 0.3 * np.sin(m / 12 * 2 * np.pi)) * rng.uniform(0.8, 1.2)
                    add("dispute_rate", lvl, uid, name, dist, f"{y}-{m:02d}", None, v)
            add("dispute_trend_irr", lvl, uid, name, dist, f"{years[0]}-{years[-1]}", None, 1.08, 0.05)
    df = pd.DataFrame(out)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    df = df[list(COLUMNS)]
    for c in ("indicator", "level", "unit_id", "unit_name", "district", "period", "category", "note"):
        df[c] = df[c].astype("str").where(df[c].notna(), pd.NA)
    for c in ("value", "se", "ci_low", "ci_high", "deff", "numerator", "denominator", "p_value"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    df["n"] = df["n"].astype("Int64")
    df["suppressed"] = df["suppressed"].astype(bool)
    df.loc[df["suppressed"], ["value", "se", "ci_low", "ci_high"]] = np.nan
    return df.sort_values(["indicator", "level", "unit_id", "period", "category"], kind="mergesort",
                          na_position="first").reset_index(drop=True)


def fake_dataset_dir(path, *, synthetic=True, districts=("南山区", "福田区", "罗湖区")):
    """A folder with dataset.json and a communities.csv (enough for the batch's hash and meta)."""
    import json
    from pathlib import Path

    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    (p / "dataset.json").write_text(json.dumps({
        "name": "测试数据", "source": "单元测试虚构数据 test fixture", "as_of": "2024-12-31",
        "synthetic": synthetic}, ensure_ascii=False), encoding="utf-8")
    geo = geography(districts)
    geo["households"] = 1000
    geo["population"] = 3000
    geo.to_csv(p / "communities.csv", index=False, encoding="utf-8-sig")
    return p


#: The report notebooks' parameters, for stand-in notebooks in batch tests.
STAND_IN_PARAMS = ('data_dir: str = ""  # d\ndistrict: str = ""  # d\nyear: int = 2024  # y\n'
                   'lang: str = "zh"  # l\nindicators_path: str = ""  # p\npilot_path: str = ""  # q\n'
                   'invalid_districts: list = []  # i')


def stand_in_notebook(path, body: str, params: str = STAND_IN_PARAMS):
    """Write a two-cell notebook (tagged parameters cell + ``body``) that batch tests run instead of a report."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(params, metadata={"tags": ["parameters"]}), new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _pilot_rows(unit_id, level, att, lo, hi, p, pre_p=0.5):
    base = dict(level=level, unit_id=unit_id, unit_name=unit_id, district=unit_id if level != "city" else "all",
                category="dispute_rate", period="2020-2024", n=12, few_units=False, n_piloted=12)
    return [dict(base, indicator="pilot_att", value=att, ci_low=lo, ci_high=hi, p_value=p),
            dict(base, indicator="pilot_did", value=att * 1.1, ci_low=lo, ci_high=hi, p_value=p),
            dict(base, indicator="pilot_pretrend", value=2.0, p_value=pre_p),
            dict(base, indicator="pilot_event", period="-1", value=0.1, ci_low=-1.0, ci_high=1.2),
            dict(base, indicator="pilot_event", period="0", value=att, ci_low=lo, ci_high=hi),
            dict(base, indicator="pilot_text", category="zh", note="城市段落"),
            dict(base, indicator="pilot_text", category="en", note="city paragraph")]


def fake_pilot() -> pd.DataFrame:
    """A fabricated pilot comparison in the shape of evalkit.report.pilot.compute_pilot: the city
    (significant), 南山区 (not significant), 福田区 (could not be estimated)."""
    rows = _pilot_rows("all", "city", -2.0, -3.5, -0.5, 0.01)
    rows += _pilot_rows("南山区", "district", 1.0, -1.0, 3.0, 0.4)
    rows.append(dict(indicator="pilot_error", level="district", unit_id="福田区", unit_name="福田区",
                     district="福田区", period="2020-2024", category="dispute_rate",
                     note="区内试点社区太少。\nToo few piloted communities in the district."))
    return pd.DataFrame(rows)
