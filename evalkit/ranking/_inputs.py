"""From the long indicator table to ``build``'s inputs: one level, one year, pivoted."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, MissingColumnError, ParameterError
from evalkit.families import catalog

TOP = "index"
LEVELS = ("community", "street", "district")
NEEDED = ("indicator", "level", "unit_id", "period", "value")
USED = (*NEEDED, "unit_name", "district", "category", "se", "ci_low", "ci_high", "n", "numerator", "denominator",
        "suppressed")


@dataclass
class IndexInputs:
    """Everything :func:`evalkit.ranking.index` hands to ``evalkit.stats.composite``.

    ``data`` and ``meta`` for ``build`` (``data.uCode`` = unit_id), ``build``
    the keyword arguments, ``data_error`` the rows for ``sensitivity`` (None
    when the spec turns the data's error off), ``factors`` the spec's method
    factors, ``units`` (unit_id, unit_name, district) in table order,
    ``groups`` group → iCodes, ``left_out`` indicators present in the table
    but not in the index, with the reason.
    """

    data: pd.DataFrame
    meta: pd.DataFrame
    build: dict
    data_error: pd.DataFrame | None
    factors: list
    units: pd.DataFrame
    groups: dict
    left_out: dict


def _dist(interval: str | None) -> str | None:
    """The data-error distribution of a catalog interval method (None: taken as exact)."""
    text = (interval or "none").strip().lower()
    if text == "none":
        return None
    if text.startswith("design logit"):
        return "logitnormal"
    if text in ("wilson", "garwood", "t"):
        return text
    # design normal, delta-method, model-based and other intervals: normal, from se or the interval
    return "normal"


def _rows(table: pd.DataFrame, year: int, level: str) -> pd.DataFrame:
    for c in NEEDED:
        if c not in table.columns:
            raise MissingColumnError(f"指标表中没有列 `{c}`。", f"The indicator table has no column `{c}`.",
                                     table="indicators", column=c)
    at_level = (table["level"] == level).fillna(False).to_numpy(dtype=bool)
    period = table["period"].astype("string")
    window = (period.str.len() == 9) & period.str.endswith(f"-{int(year)}") & period.str[:4].str.isdigit()
    in_year = ((period == str(int(year))) | window).fillna(False).to_numpy(dtype=bool)
    cols = [c for c in table.columns if c in USED]
    t = table.loc[at_level & in_year, cols].copy()  # one take, of the columns used
    ind = t["indicator"].astype(str)
    if "category" in t.columns:
        cat = t["category"].astype("string").fillna("")
        t["icode"] = ind.where((cat == "").to_numpy(), ind + ":" + cat.astype(str))
    else:
        t["icode"] = ind
    t["value"] = pd.to_numeric(t["value"], errors="coerce").astype("float64")
    if "suppressed" in t.columns:
        t.loc[t["suppressed"].fillna(False).astype(bool).to_numpy(), "value"] = np.nan
    return t


def _units(t: pd.DataFrame) -> pd.DataFrame:
    """The units of the level's rows of the year, in table order (with or without values)."""
    cols = [c for c in ("unit_id", "unit_name", "district") if c in t.columns]
    u = t[cols].drop_duplicates("unit_id").reset_index(drop=True)
    for c in ("unit_name", "district"):
        if c not in u.columns:
            u[c] = u["unit_id"]
    return u


def prepare(table: pd.DataFrame, *, year: int, level: str, spec: dict, error: bool = True) -> IndexInputs:
    """Select, orient and pivot the indicators of ``level`` and ``year`` (see :func:`evalkit.ranking.index`).

    ``error=False`` skips the data-error rows (a nominal index does not need them).
    """
    if level not in LEVELS:
        raise ParameterError(f"综合指数的层级须为 {list(LEVELS)} 之一，收到 {level!r}（全市只有一个单位，无从排名）。",
                             f"The index level must be one of {list(LEVELS)}, but {level!r} was passed (the city "
                             "is one unit: there is nothing to rank).")
    cat = {e["id"]: e for e in catalog.entries()}  # every family module present, new ones too
    t = _rows(table, year, level)
    units = _units(t)
    if not len(units):
        raise DataError(f"指标表中没有 {level} 层级 {year} 年的行。",
                        f"The indicator table has no rows at level {level} for {year}.",
                        table="indicators", column="level")
    dup = t.duplicated(["icode", "unit_id"])
    if dup.any():
        r = t.loc[dup.to_numpy()].iloc[0]
        raise DataError(f"指标表中 {r['icode']} 在单位 {r['unit_id']} 有不止一行（{year} 年）。",
                        f"The indicator table has more than one row of {r['icode']} for unit {r['unit_id']} "
                        f"in {year}.", table="indicators")
    present = set(pd.unique(t["icode"]))
    has_value = set(pd.unique(t.loc[t["value"].notna(), "icode"]))
    left_out: dict[str, str] = {}
    directions, bands = {}, {}
    explicit = spec["indicators"] is not None
    if explicit:
        wanted = spec["indicators"]
    else:  # catalog order (families in report order), then indicators the catalog does not know
        pos = {i: k for k, i in enumerate(cat)}
        wanted = sorted((c for c in pd.unique(t["icode"]) if ":" not in c), key=lambda c: pos.get(c, len(pos)))
    chosen = []
    for code in wanted:
        base = code.split(":", 1)[0]
        if explicit and code not in present:
            raise ParameterError(f"指数规格中的指标 `{code}` 不在 {level} {year} 的指标表中。",
                                 f"The indicator `{code}` of the index spec is not in the table at level {level}, {year}.")
        d = spec["directions"].get(code, spec["directions"].get(base))
        if d is None:
            d = cat.get(base, {}).get("direction")
        if code in spec["targets"] or base in spec["targets"]:
            d = "target_band"
        if d not in ("higher_better", "lower_better", "target_band"):
            if explicit:
                raise ParameterError(f"指标 `{code}` 没有方向（目录中为 {d!r}），请在规格的 directions 中给出。",
                                     f"The indicator `{code}` has no direction ({d!r} in the catalog): give one in "
                                     "the spec's directions.")
            left_out[code] = "descriptive"
            continue
        if d == "target_band":
            band = spec["targets"].get(code, spec["targets"].get(base))
            if band is None:
                if explicit:
                    raise ParameterError(f"指标 `{code}` 是目标区间型，请在规格的 targets 中给出区间。",
                                         f"The indicator `{code}` is judged by a target band: give it in the spec's "
                                         "targets.")
                left_out[code] = "target band not given"
                continue
            bands[code] = band
        if code not in has_value:
            left_out[code] = "no data"
            continue
        directions[code] = -1 if d in ("lower_better", "target_band") else 1
        chosen.append(code)
    if not chosen:
        raise DataError(f"{level} {year} 没有可以进入指数的指标。", f"No indicator can enter the index at level {level}, {year}.",
                        table="indicators")
    groups = _groups(chosen, spec, cat)
    data = t.pivot(index="unit_id", columns="icode", values="value").reindex(index=units["unit_id"], columns=chosen)
    data = data.rename_axis(index=None, columns=None).reset_index(names="uCode")
    meta = _meta(chosen, groups, directions, spec["weights"])
    m = spec["methods"]
    build = {"treat": m["treat"], "winmax": m["winmax"], "normalise": m["normalise"],
             "normalise_params": m["normalise_params"], "aggregate": _levels(m["aggregate"]),
             "aggregate_params": _levels(m["aggregate_params"]), "impute": m["impute"],
             "min_coverage": m["min_coverage"], "bands": bands or None}
    if m.get("impute_group"):
        build["impute_group"] = m["impute_group"]
    err = _data_error(t, chosen, cat) if error and spec["uncertainty"]["data"] else None
    return IndexInputs(data=data, meta=meta, build=build, data_error=err, factors=spec["uncertainty"]["factors"],
                       units=units, groups=groups, left_out=left_out)


def _levels(v):
    """YAML/JSON keys of a per-level dict come as strings in JSON: make them levels again."""
    if isinstance(v, dict) and v and all(re.fullmatch(r"\d+", str(k)) for k in v):
        return {int(k): x for k, x in v.items()}
    return v


def _groups(chosen: list, spec: dict, cat: dict) -> dict:
    if spec["tree"] is not None:
        groups = {}
        placed = set()
        for g, ids in spec["tree"].items():
            ids = [i for i in ids if i in chosen]
            placed.update(ids)
            if ids:
                groups[g] = ids
        missing = [c for c in chosen if c not in placed]
        if missing:
            raise ParameterError(f"指数规格的 tree 没有安放指标 {missing}。",
                                 f"The spec's tree does not place the indicators {missing}.")
    else:
        groups = {}
        for c in chosen:
            fam = cat.get(c.split(":", 1)[0], {}).get("family")
            if fam is None:
                raise ParameterError(f"指标 `{c}` 不在目录中，请在规格的 tree 中给出它的组。",
                                     f"The indicator `{c}` is not in the catalog: put it in a group of the spec's tree.")
            groups.setdefault(fam, []).append(c)
    clash = [g for g in groups if g in chosen or g == TOP]
    if clash:
        raise ParameterError(f"组名 {clash} 与指标编号或 `{TOP}` 重名。",
                             f"The group names {clash} clash with an indicator id or `{TOP}`.")
    return groups


def _meta(chosen, groups, directions, weights) -> pd.DataFrame:
    parent = {c: g for g, ids in groups.items() for c in ids}
    rows = [{"iCode": c, "Level": 1, "Parent": parent[c], "Direction": directions[c],
             "Weight": float(weights.get(c, 1.0)), "Type": "Indicator"} for c in chosen]
    rows += [{"iCode": g, "Level": 2, "Parent": TOP, "Direction": 1, "Weight": float(weights.get(g, 1.0)),
              "Type": "Aggregate"} for g in groups]
    rows.append({"iCode": TOP, "Level": 3, "Parent": None, "Direction": 1, "Weight": 1.0, "Type": "Aggregate"})
    unknown = [k for k in weights if k not in parent and k not in groups]
    if unknown:
        raise ParameterError(f"指数规格的 weights 中有不在指数里的编号 {unknown}。",
                             f"The spec's weights name {unknown}, which are not in the index.")
    return pd.DataFrame(rows)


def _data_error(t: pd.DataFrame, chosen: list, cat: dict) -> pd.DataFrame:
    """``data_error`` rows: each value's se/interval and its distribution from the catalog's interval method."""
    rows = t.loc[t["icode"].isin(chosen) & t["value"].notna()].copy()
    dist = rows["indicator"].astype(str).map({i: _dist(cat.get(i, {}).get("interval"))
                                              for i in pd.unique(rows["indicator"])})
    rows = rows.loc[dist.notna().to_numpy()]
    dist = dist.loc[rows.index]

    def col(c):
        return pd.to_numeric(rows[c], errors="coerce").astype("float64") if c in rows.columns else \
            pd.Series(np.nan, index=rows.index)

    se, lo, hi, n = col("se"), col("ci_low"), col("ci_high"), col("n")
    num, den = col("numerator"), col("denominator")
    counted = dist.isin(["wilson", "garwood"])
    out = pd.DataFrame({
        "uCode": rows["unit_id"].to_numpy(), "iCode": rows["icode"].to_numpy(), "dist": dist.to_numpy(),
        # Wilson and Garwood rows are drawn from their count and interval, not from a normal se
        "se": np.where(counted, np.nan, se), "ci_low": lo.to_numpy(), "ci_high": hi.to_numpy(),
        "n": np.where(dist == "wilson", den.fillna(n), np.where(dist == "garwood", num.fillna(n), n)),
    })
    # a row with neither se nor interval (e.g. one PSU: not estimable) cannot be drawn: it stays as it is
    usable = out["se"].notna() | (out["ci_low"].notna() & out["ci_high"].notna())
    usable |= (out["dist"] == "garwood") & out["n"].notna() & (out["ci_high"].notna() | (out["n"] > 0))
    return out.loc[usable.to_numpy()].reset_index(drop=True)
