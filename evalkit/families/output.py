"""Writing the long indicator table: CSV, XLSX, Parquet, and a text summary.

File formats (docs/INDICATORS.md, "The output contract"):

* CSV: UTF-8 with BOM, ``\\n`` line ends, empty for missing, ``true``/``false``,
  floats with at most 10 significant digits; the same table gives the same bytes.
* Parquet: the table's columns and dtypes, written deterministically.
* XLSX: one sheet per family with Chinese headers, and a catalog sheet.
"""

from __future__ import annotations

import io
from pathlib import Path

from evalkit.exceptions import ParameterError

HEADERS_ZH = {
    "indicator": "指标编号", "indicator_name": "指标名称", "level": "层级", "unit_id": "单位编码",
    "unit_name": "单位名称", "district": "区县", "period": "期间", "category": "类别", "value": "数值",
    "se": "标准误", "ci_low": "95%置信下限", "ci_high": "95%置信上限", "deff": "设计效应",
    "n": "样本量", "numerator": "分子", "denominator": "分母", "p_value": "p值",
    "suppressed": "样本不足未公布", "note": "备注",
}
CATALOG_HEADERS_ZH = {
    "id": "指标编号", "family": "指标族", "name_zh": "名称", "name_en": "英文名称",
    "definition_zh": "定义", "definition_en": "英文定义", "unit": "单位", "direction": "方向",
    "interval": "区间方法", "category": "细分", "benchmark_value": "参考值",
    "benchmark_scope_zh": "参考范围", "benchmark_source": "参考来源",
}
FORMATS = (".csv", ".xlsx", ".parquet")


def _check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(
            f"输出文件须以 {', '.join(FORMATS)} 结尾，但传入的是 {path.name!r}。",
            f"The output file must end in one of {', '.join(FORMATS)}, but {path.name!r} was passed.",
        )
    return suffix


def write_table(df, path) -> Path:
    """Write the indicator table to ``path``; the format follows the file's ending.

    Parameters
    ----------
    df
        The long table from :func:`evalkit.families.indicators`.
    path
        ``*.csv``, ``*.xlsx`` or ``*.parquet``.

    Returns
    -------
    The path written.
    """
    import os

    path = Path(path)
    suffix = _check_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # written beside the target and renamed into place: a failed or interrupted write
    # never leaves half a file under the name asked for
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if suffix == ".csv":
            tmp.write_bytes(csv_bytes(df))
        elif suffix == ".parquet":
            _write_parquet(df, tmp)
        else:
            _write_xlsx(df, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def csv_bytes(df) -> bytes:
    """The table as CSV bytes (BOM, ``\\n``, empty missing, true/false, ≤ 10 significant digits).

    Notes
    -----
    Each column becomes a list of cells at once (floats by ``"%.10g" %``) and
    :mod:`csv` writes the rows: the bytes of ``DataFrame.to_csv(na_rep="",
    float_format="%.10g", lineterminator="\\n")`` with booleans as true/false,
    several times faster (tests/families/test_output.py holds the two equal).
    """
    import csv

    import pandas as pd

    cells = []
    for c in df.columns:
        s = df[c]
        dt = s.dtype
        if dt == bool or str(dt) == "boolean":
            cells.append(["" if v is pd.NA else ("true" if v else "false") for v in s.tolist()])
        elif pd.api.types.is_float_dtype(dt):
            cells.append(["" if v != v else "%.10g" % v for v in s.to_numpy(dtype="float64").tolist()])
        else:  # text and integers: the csv module writes str(value)
            cells.append(s.to_numpy(dtype=object, na_value="").tolist())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in df.columns])
    w.writerows(zip(*cells))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _write_parquet(df, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def _family_sheets(df):
    """(sheet name, rows) per family in catalog order, rows carrying the Chinese indicator name."""
    from evalkit.families.catalog import FAMILIES, FAMILY_ZH, catalog

    cat = catalog()
    fam = dict(zip(cat["id"], cat["family"]))
    name = dict(zip(cat["id"], cat["name_zh"]))
    d = df.copy()
    d.insert(1, "indicator_name", d["indicator"].map(name))
    fams = d["indicator"].map(fam).fillna("other")
    for f in [*FAMILIES, "other"]:
        part = d.loc[(fams == f).to_numpy()]
        if len(part):
            yield FAMILY_ZH.get(f, f), part


def _write_xlsx(df, path: Path) -> None:
    from evalkit.families.catalog import catalog

    sheets = [(sheet, part.rename(columns=lambda c: HEADERS_ZH.get(c, c))) for sheet, part in _family_sheets(df)]
    cols = list(CATALOG_HEADERS_ZH)
    sheets.append(("指标目录", catalog()[cols].rename(columns=CATALOG_HEADERS_ZH)))
    path.write_bytes(xlsx_bytes(sheets))


def xlsx_bytes(sheets) -> bytes:
    """An Excel workbook of ``[(sheet name, DataFrame)]``: header row frozen, missing cells empty.

    Written column by column with XlsxWriter (four times faster than openpyxl's
    cell-by-cell writer); text is never read as a formula or a link, and the
    creation time is fixed, so the same sheets give the same bytes.
    """
    import datetime

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    wb.set_properties({"author": "evalkit", "created": datetime.datetime(2000, 1, 1)})
    for name, df in sheets:
        ws = wb.add_worksheet(str(name)[:31])
        ws.write_row(0, 0, [str(c) for c in df.columns])
        for j, c in enumerate(df.columns):
            ws.write_column(1, j, _xlsx_cells(df.iloc[:, j]))
        ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()


def _xlsx_cells(col) -> list:
    """A column's cells as Python values; None (an empty cell) for missing and infinite numbers."""
    import math

    import pandas as pd

    if pd.api.types.is_float_dtype(col.dtype):
        return [v if math.isfinite(v) else None for v in col.to_numpy(dtype="float64").tolist()]
    return col.astype(object).where(col.notna(), None).tolist()


def _cell(v):
    import math

    if _missing(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


# --- text summary -----------------------------------------------------------------


def _missing(v) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


def _fmt(value, unit: str) -> str:
    if _missing(value):
        return "—"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.4g}"


def summary_text(df, lang: str = "zh", *, max_units: int = 12) -> str:
    """A readable summary of the indicator table (``evalkit indicators`` without ``--out``).

    For each indicator and level: the yearly or window values of every unit
    when there are at most ``max_units`` of them, else the spread across units
    (median, minimum, maximum) and the count of units with a value.
    Monthly rows are left out, and so are the table's warnings (each was issued as a
    Python warning when the table was computed).
    """
    import numpy as np

    from evalkit.contract import category_label
    from evalkit.exceptions import check_choice
    from evalkit.families.catalog import catalog

    check_choice("lang", lang, ["zh", "en"])
    cat = catalog().set_index("id")
    zh = lang == "zh"
    lines = []
    if len(df) == 0:
        return "（没有指标）" if zh else "(no indicators)"
    d = df.loc[~df["period"].astype("str").str.fullmatch(r"\d{4}-\d{2}")]
    order = {i: k for k, i in enumerate(cat.index)}
    inds = sorted(d["indicator"].unique(), key=lambda i: order.get(i, len(order)))
    for ind in inds:
        e = cat.loc[ind] if ind in cat.index else None
        unit = e["unit"] if e is not None else ""
        title = (e["name_zh"] if zh else e["name_en"]) if e is not None else ind
        kind = e["category"] if e is not None and isinstance(e["category"], str) else None
        lines.append(f"{title} ({ind}) [{unit}]")
        part = d.loc[d["indicator"] == ind]
        for lev, g in part.groupby("level", sort=False):
            units_n = g["unit_id"].nunique()
            if units_n <= max_units:
                for r in g.itertuples(index=False):
                    cat_s = f" {category_label(r.category, lang, kind)}" if isinstance(r.category, str) else ""
                    ci = ""
                    if not (_missing(r.ci_low) or _missing(r.ci_high)):
                        ci = f" [{_fmt(r.ci_low, unit)}, {_fmt(r.ci_high, unit)}]"
                    note = f"  ({r.note})" if isinstance(r.note, str) and r.note else ""
                    n = "" if _missing(r.n) else f"  n={int(r.n)}"
                    uname = "City" if (not zh and r.level == "city") else r.unit_name
                    lines.append(f"  {uname} {r.period}{cat_s}: {_fmt(r.value, unit)}{ci}{n}{note}")
            else:
                v = g["value"].to_numpy(dtype="float64")
                ok = v[~np.isnan(v)]
                label = {"community": "社区", "street": "街道", "district": "区县", "city": "全市"}
                lv = label.get(lev, lev) if zh else lev
                if len(ok):
                    med, lo, hi = np.median(ok), ok.min(), ok.max()
                    s = (f"  {lv} {units_n} 个单位（{len(ok)} 个有数值）：中位数 {_fmt(med, unit)}，"
                         f"最小 {_fmt(lo, unit)}，最大 {_fmt(hi, unit)}") if zh else \
                        (f"  {lv}: {units_n} units ({len(ok)} with a value): median {_fmt(med, unit)}, "
                         f"min {_fmt(lo, unit)}, max {_fmt(hi, unit)}")
                else:
                    s = f"  {lv} {units_n} 个单位：无数值" if zh else f"  {lv}: {units_n} units, no values"
                lines.append(s)
    # the table's warnings (``df.attrs["warnings"]``) are not repeated here: indicators()
    # issued each as a Python warning already, which the CLI prints once on stderr
    return "\n".join(lines)
