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
from evalkit.vocabulary import FAMILY_NAMES

#: Family modules in report order.
FAMILIES = ("disputes", "volunteers", "cadres", "satisfaction", "organisation",
            "deliberation", "requests", "visits", "party", "projects")
FIELDS = ("id", "family", "name_zh", "name_en", "definition_zh", "definition_en", "unit",
          "direction", "interval", "category", "survey", "benchmark", "total")
DIRECTIONS = ("higher_better", "lower_better", "target_band", "descriptive")
#: Chinese family names (the vocabulary's, :data:`evalkit.vocabulary.FAMILY_NAMES`).
FAMILY_ZH = {f: zh for f, (zh, _en) in FAMILY_NAMES.items()}


def family_modules() -> dict:
    """Family name → module, in report order.

    Examples
    --------
    >>> list(family_modules())
    ['disputes', 'volunteers', 'cadres', 'satisfaction', 'organisation', 'deliberation', 'requests', 'visits', 'party', 'projects']
    """
    return {name: importlib.import_module(f"evalkit.families.{name}") for name in FAMILIES}


def entries() -> list[dict]:
    """Every catalog entry (dicts with the keys of :data:`FIELDS`, family order then module order).

    Examples
    --------
    >>> e = entries()[0]
    >>> e["id"], e["family"], e["unit"]
    ('dispute_count', 'disputes', 'count')
    """
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

    Examples
    --------
    >>> cat = catalog()
    >>> cat.loc[cat["id"] == "dispute_rate", ["family", "unit"]].to_numpy().tolist()
    [['disputes', 'per_1000_households']]
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
    """Every indicator id, in catalog order.

    Examples
    --------
    >>> ids()[:2]
    ['dispute_count', 'dispute_rate']
    """
    return [e["id"] for e in entries()]


def entry(indicator_id: str) -> dict:
    """The catalog entry of ``indicator_id`` (ParameterError when unknown).

    Examples
    --------
    >>> entry("cadre_mean_age")["unit"]
    'years'
    >>> entry("nope")
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `indicator` 必须是 [...] 之一，但传入的是 'nope'。
    ...
    """
    for e in entries():
        if e["id"] == indicator_id:
            return e
    check_choice("indicator", indicator_id, ids())
    raise ParameterError(indicator_id)  # pragma: no cover - check_choice raised


def family_of(indicator_id: str) -> str:
    """The family an indicator belongs to.

    Examples
    --------
    >>> family_of("volunteer_retention")
    'volunteers'
    """
    return entry(indicator_id)["family"]


def _bench(b, lang):
    if not b:
        return ""
    scope = b.get("scope_zh" if lang == "zh" else "scope_en") or ""
    return f"{b['value']:g} ({scope}; {b.get('source', '')})"


def catalog_text(lang: str = "zh") -> str:
    """The catalog as a readable text (``evalkit catalog``), every word in ``lang``.

    Units, directions and interval methods are rendered by
    :mod:`evalkit.vocabulary`.  A benchmark shows its value and scope; its
    source (a citation, mostly in English) is shown in the English text and in
    docs/INDICATORS.md.

    Examples
    --------
    >>> print(catalog_text("zh").splitlines()[0])
    == 矛盾纠纷 ==
    >>> print(catalog_text("zh").splitlines()[1].split("  ")[-1])
    ［件；描述性］
    >>> print(catalog_text("en").splitlines()[1].split("  ")[-1])
    [cases; descriptive]
    """
    from evalkit.vocabulary import direction_label, fmt_value, unit_label

    check_choice("lang", lang, ["zh", "en"])
    zh = lang == "zh"
    lines = []
    fam = None
    for e in entries():
        if e["family"] != fam:
            fam = e["family"]
            lines.append("")
            lines.append(f"== {FAMILY_ZH.get(fam, fam) if zh else fam} ==")
        name = e["name_zh"] if zh else e["name_en"]
        defin = e["definition_zh"] if zh else e["definition_en"]
        u = unit_label(e["unit"], lang) or ("比值" if zh else "ratio")
        d = direction_label(e["direction"], lang)
        lines.append(f"{e['id']}  {name}  ［{u}；{d}］" if zh else f"{e['id']}  {name}  [{u}; {d}]")
        lines.append(f"    {defin}")
        b = e["benchmark"]
        if b:
            v = fmt_value(b["value"], e["unit"], lang)
            if zh:
                lines.append(f"    参考值：{v}（{b.get('scope_zh') or ''}）")
            else:
                lines.append(f"    benchmark: {v} ({b.get('scope_en') or ''}; {b.get('source') or ''})")
    return "\n".join(lines).lstrip("\n") + "\n"


def catalog_markdown() -> str:
    """docs/INDICATORS.md: one table per family, every indicator with its formula (zh and en).

    Examples
    --------
    >>> catalog_markdown().splitlines()[0]
    '# 指标一览 / Indicators'
    """
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
