"""The indicator catalog: every family module's ``CATALOG`` gathered in one table.

``catalog()`` returns one row per indicator (id, family, zh/en names and
definitions, unit, direction, interval method, category kind, survey flag,
benchmark with source); ``entry(id)`` one entry as a dict; ``catalog_text``
a readable table for ``evalkit catalog``; ``catalog_markdown`` the table of
docs/INDICATORS.md.  Adding an indicator = one function in its family
module + one entry in that module's ``CATALOG``.
"""

from __future__ import annotations

import importlib

from evalkit.exceptions import ParameterError, check_choice

#: Family modules in report order.
FAMILIES = ("disputes", "volunteers", "cadres", "satisfaction", "organisation",
            "deliberation", "requests", "visits", "party", "projects")
FIELDS = ("id", "family", "name_zh", "name_en", "definition_zh", "definition_en", "unit",
          "direction", "interval", "category", "survey", "benchmark", "total")
DIRECTIONS = ("higher_better", "lower_better", "target_band", "descriptive")
FAMILY_ZH = {"disputes": "矛盾纠纷", "volunteers": "志愿服务", "cadres": "社区干部",
             "satisfaction": "居民满意度", "organisation": "组织与网格", "deliberation": "议事协商",
             "requests": "民情诉求与12345", "visits": "入户走访", "party": "党员队伍",
             "projects": "公益创投项目"}


def family_modules() -> dict:
    """Family name → module, in report order."""
    return {name: importlib.import_module(f"evalkit.families.{name}") for name in FAMILIES}


def entries() -> list[dict]:
    """Every catalog entry (dicts, family order then module order)."""
    out = []
    for mod in family_modules().values():
        for e in mod.CATALOG:
            out.append({k: e.get(k) for k in FIELDS})
    return out


def catalog():
    """The catalog as a DataFrame, one row per indicator.

    Returns
    -------
    DataFrame with columns id, family, name_zh, name_en, definition_zh,
    definition_en, unit, direction, interval, category, survey, benchmark
    (a dict or None), total (a breakdown with a total row), benchmark_value,
    benchmark_scope_zh, benchmark_scope_en, benchmark_source.
    """
    import pandas as pd

    rows = entries()
    df = pd.DataFrame(rows, columns=list(FIELDS))
    for k in ("value", "scope_zh", "scope_en", "source"):
        df[f"benchmark_{k}"] = [(b or {}).get(k) for b in df["benchmark"]]
    df["benchmark_value"] = pd.to_numeric(df["benchmark_value"], errors="coerce").astype("float64")
    df["survey"] = df["survey"].astype(bool)
    df["total"] = df["total"].fillna(False).astype(bool)
    return df


def ids() -> list[str]:
    return [e["id"] for e in entries()]


def entry(indicator_id: str) -> dict:
    """The catalog entry of ``indicator_id`` (ParameterError when unknown)."""
    for e in entries():
        if e["id"] == indicator_id:
            return e
    check_choice("indicator", indicator_id, ids())
    raise ParameterError(indicator_id)  # pragma: no cover - check_choice raised


def family_of(indicator_id: str) -> str:
    return entry(indicator_id)["family"]


def _bench(b, lang):
    if not b:
        return ""
    scope = b.get("scope_zh" if lang == "zh" else "scope_en") or ""
    return f"{b['value']:g} ({scope}; {b.get('source', '')})"


def catalog_text(lang: str = "zh") -> str:
    """The catalog as a readable text table (``evalkit catalog``)."""
    check_choice("lang", lang, ["zh", "en"])
    head = ("编号", "名称", "单位", "方向", "定义", "参考值") if lang == "zh" else \
        ("id", "name", "unit", "direction", "definition", "benchmark")
    lines = []
    fam = None
    for e in entries():
        if e["family"] != fam:
            fam = e["family"]
            title = f"{FAMILY_ZH.get(fam, fam)} ({fam})" if lang == "zh" else fam
            lines.append("")
            lines.append(f"== {title} ==")
        name = e["name_zh"] if lang == "zh" else e["name_en"]
        defin = e["definition_zh"] if lang == "zh" else e["definition_en"]
        lines.append(f"{e['id']}  {name}  [{e['unit']}; {e['direction']}]")
        lines.append(f"    {defin}")
        if e["benchmark"]:
            lines.append(f"    {head[5]}: {_bench(e['benchmark'], lang)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def catalog_markdown() -> str:
    """docs/INDICATORS.md: one table per family, every indicator with its formula (zh and en)."""
    out = [
        "# 指标一览 / Indicators",
        "",
        "Generated from the catalog (`evalkit.families.catalog.catalog_markdown()`; "
        "`python -m evalkit.families.catalog > docs/INDICATORS.md`). Do not edit by hand.",
        "",
    ]
    fam = None
    for e in entries():
        if e["family"] != fam:
            fam = e["family"]
            out += ["", f"## {FAMILY_ZH.get(fam, fam)} / {fam}", "",
                    "| id | 名称 / name | 定义 / definition | unit | direction | interval | benchmark |",
                    "|---|---|---|---|---|---|---|"]
        cat = (f" (category: {e['category']}{'; with a total row' if e.get('total') else ''})"
               if e["category"] else "")
        cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        out.append(
            f"| `{e['id']}` | {cell(e['name_zh'])} / {cell(e['name_en'])} | "
            f"{cell(e['definition_zh'])} / {cell(e['definition_en'])}{cat} | {e['unit']} | "
            f"{e['direction']} | {cell(e['interval'])} | {cell(_bench(e['benchmark'], 'en'))} |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(catalog_markdown())
