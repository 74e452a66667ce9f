"""The batch's Excel export: the indicator rows of a report, with Chinese (or English) headers."""

from __future__ import annotations

from pathlib import Path

__all__ = ["XLSX_HEADERS", "to_xlsx", "report_rows"]

XLSX_HEADERS = {
    "indicator": ("指标编号", "indicator id"), "name": ("指标名称", "indicator"),
    "measure": ("计量单位", "measure"),
    "level": ("层级", "level"), "unit_id": ("单位编码", "unit id"), "unit_name": ("单位名称", "unit"),
    "district": ("区县", "district"), "period": ("时期", "period"), "category": ("分类", "category"),
    "value": ("数值", "value"), "se": ("标准误", "se"), "ci_low": ("95%置信区间下限", "95% CI low"),
    "ci_high": ("95%置信区间上限", "95% CI high"), "deff": ("设计效应", "design effect"),
    "n": ("样本量", "n"), "numerator": ("分子", "numerator"), "denominator": ("分母", "denominator"),
    "p_value": ("p值", "p value"), "suppressed": ("是否隐去", "suppressed"), "note": ("备注", "note"),
}
_LEVEL_ZH = {"community": "社区", "street": "街道", "district": "区县", "city": "全市"}
_FRACTIONS = {"share": ("比例（0–1，0.25 即 25%）", "proportion (0–1; 0.25 = 25%)"),
              "share_points": ("比例之差（0.05 即 5 个百分点）", "difference of proportions (0.05 = 5 points)")}


def report_rows(indicators_path: str | Path, rows: str, year: int):
    """The rows a report's workbook holds: a district's (``rows`` its name) or the district
    and city rows (``"all"``), of the report year and the year before (monthly rows included).

    Only those rows are read from the Parquet file.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pd.DataFrame({"level": "district", "district": ["甲", "乙", "甲"], "period": ["2024", "2024", "2020"],
    ...               "value": [1.0, 2.0, 3.0]}).to_parquet(p)
    >>> report_rows(p, "甲", 2024)["value"].tolist()
    [1.0]
    """
    import pandas as pd

    flt = [("district", "==", rows)] if rows != "all" else [("level", "in", ["district", "city"])]
    t = pd.read_parquet(indicators_path, filters=flt)
    return t.loc[t["period"].astype(str).str[:4].isin([str(year - 1), str(year)])]


def to_xlsx(table, path: str | Path, *, lang: str = "zh", sheet: str | None = None) -> Path:
    """Write indicator rows to an Excel workbook with Chinese (or English) headers, atomically.

    One sheet per level (社区, 街道, 区县, 全市), each with the indicator's catalog name
    and unit of measure beside its id (shares are written as fractions, and the unit
    says so); headers frozen.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> t = pd.DataFrame({"indicator": ["dispute_rate"], "level": ["district"], "unit_id": ["甲"], "value": [1.0]})
    >>> p = to_xlsx(t, pathlib.Path(tempfile.mkdtemp()) / "r.xlsx")
    >>> list(pd.read_excel(p, sheet_name=None))
    ['区县']
    """
    from evalkit.families.output import xlsx_bytes
    from evalkit.labels import name, unit, unit_label
    from evalkit.files import atomic_write

    k = 0 if lang == "zh" else 1
    df = table.copy()
    df.insert(1, "name", df["indicator"].map(lambda i: name(i, lang)))

    def measure(ind: str) -> str:
        u = unit(ind)
        return _FRACTIONS[u][k] if u in _FRACTIONS else unit_label(u, lang)

    df.insert(2, "measure", df["indicator"].map(measure))
    sheets = []
    levels = [lv for lv in ("community", "street", "district", "city") if (df["level"] == lv).any()]
    for lv in levels or ["all"]:
        part = df.loc[df["level"] == lv] if levels else df
        out = part.rename(columns={c: XLSX_HEADERS[c][k] for c in part.columns if c in XLSX_HEADERS})
        sheets.append((sheet or (_LEVEL_ZH.get(lv, lv) if lang == "zh" else lv), out))
    return atomic_write(path, xlsx_bytes(sheets))
