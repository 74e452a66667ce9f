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
    # the composite index's rows (evalkit.index)
    "rank": "名次", "rank_in_parent": "上级内名次", "rank_low": "名次区间下限", "rank_high": "名次区间上限",
    "coverage": "指标覆盖率",
}
CATALOG_HEADERS_ZH = {
    "id": "指标编号", "family": "指标族", "name_zh": "名称", "name_en": "英文名称",
    "definition_zh": "定义", "definition_en": "英文定义", "unit": "单位", "direction": "方向",
    "interval": "区间方法", "category": "细分", "benchmark_value": "参考值",
    "benchmark_scope_zh": "参考范围", "benchmark_source": "参考来源",
}
FORMATS = (".csv", ".xlsx", ".parquet")


def _check_format(path: Path, formats=FORMATS, what: tuple[str, str] = ("输出文件", "The output file")) -> str:
    suffix = path.suffix.lower()
    if suffix not in formats:
        raise ParameterError(
            f"{what[0]}须以 {', '.join(formats)} 结尾，但传入的是 {path.name!r}。",
            f"{what[1]} must end in one of {', '.join(formats)}, but {path.name!r} was passed.",
        )
    return suffix


def _atomic(path: Path, write) -> Path:
    """``write(tmp)`` beside ``path``, then renamed into place (:func:`evalkit.files.staged`)."""
    from evalkit.files import staged

    with staged(path) as tmp:
        write(tmp)
    return path


def write_table(df, path, *, sheet: str | None = None) -> Path:
    """Write the indicator table to ``path``; the format follows the file's ending.

    CSV and Parquet hold the table as it is (codes, English notes: the data
    contract).  The workbook is for readers: one sheet per family with Chinese
    headers, the indicator's Chinese name beside its id, and level, category and
    note in Chinese (:mod:`evalkit.vocabulary`); then the catalog.  Rows of
    indicators outside the catalog (a pilot comparison) keep their note text
    as it is.

    Parameters
    ----------
    df
        The long table from :func:`evalkit.indicators` (or rows in its columns).
    path
        ``*.csv``, ``*.xlsx`` or ``*.parquet``.  Written beside the target and
        renamed into place, so a failed write never leaves half a file.
    sheet
        XLSX only: put every row on one sheet of this name (e.g. "试点对比" for
        the rows of a pilot comparison) instead of one sheet per family.  Rows
        of indicators outside the catalog without ``sheet`` go to a sheet "其他指标".

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> t = pd.DataFrame({"indicator": ["dispute_rate"], "level": ["city"], "unit_id": ["all"],
    ...                   "unit_name": ["全市"], "period": ["2024"], "category": [None], "value": [25.4],
    ...                   "note": ["through 10-24"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_table(t, f"{d}/t.xlsx")
    ...     book = pd.read_excel(p, sheet_name=None)
    >>> list(book)
    ['矛盾纠纷', '指标目录']
    >>> book["矛盾纠纷"][["指标名称", "层级", "备注"]].to_numpy().tolist()
    [['纠纷发生率（每千户）', '全市', '截至 10 月 24 日']]
    """
    path = Path(path)
    suffix = _check_format(path)

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            tmp.write_bytes(csv_bytes(df))
        elif suffix == ".parquet":
            _write_parquet(df, tmp)
        else:
            _write_xlsx(df, tmp, sheet)

    return _atomic(path, write)


def csv_bytes(df) -> bytes:
    """The table as CSV bytes (BOM, ``\\n``, empty missing, true/false, ≤ 10 significant digits).

    Notes
    -----
    Each column becomes a list of cells at once (floats by ``"%.10g" %``) and
    :mod:`csv` writes the rows: the bytes of ``DataFrame.to_csv(na_rep="",
    float_format="%.10g", lineterminator="\\n")`` with booleans as true/false,
    several times faster (tests/families/test_output.py holds the two equal).

    Examples
    --------
    >>> import pandas as pd
    >>> csv_bytes(pd.DataFrame({"value": [1 / 3, float("nan")], "suppressed": [False, True]}))
    b'\\xef\\xbb\\xbfvalue,suppressed\\n0.3333333333,false\\n,true\\n'
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


def _readable(df):
    """The rows for a Chinese workbook: the indicator's name beside its id; level, category, note in Chinese."""
    from evalkit.contract import category_label
    from evalkit.families.catalog import catalog
    from evalkit.vocabulary import level_label, note_label

    cat = catalog()
    kind = dict(zip(cat["id"], cat["category"]))
    d = df.copy()
    d.insert(1, "indicator_name", d["indicator"].map(dict(zip(cat["id"], cat["name_zh"]))))
    if "level" in d.columns:
        d["level"] = d["level"].map(lambda v: level_label(v, "zh") if isinstance(v, str) else v)
    if "category" in d.columns:
        pairs = d[["indicator", "category"]].astype("object").drop_duplicates()
        labels = {(i, c): category_label(c, "zh", kind.get(i) if isinstance(kind.get(i), str) else None)
                  for i, c in pairs.itertuples(index=False) if isinstance(c, str)}
        d["category"] = [labels.get((i, c), c) for i, c in zip(d["indicator"], d["category"])]
    if "note" in d.columns:
        # the notes of catalog indicators are codes with a Chinese text (an untranslated one is a
        # LookupError); rows of other indicators (a pilot comparison) carry free text, kept as it is
        ours = d["indicator"].isin(set(cat["id"])).to_numpy()
        notes = {n: note_label(n, "zh") for n in d.loc[ours, "note"].dropna().unique()}
        d.loc[ours, "note"] = d.loc[ours, "note"].map(notes)
    return d


def _family_sheets(df):
    """(sheet name, rows) per family in catalog order; indicators outside the catalog on "其他指标"."""
    from evalkit.families.catalog import FAMILIES, FAMILY_ZH, catalog

    cat = catalog()
    fams = df["indicator"].map(dict(zip(cat["id"], cat["family"]))).fillna("other")
    for f in [*FAMILIES, "other"]:
        part = df.loc[(fams == f).to_numpy()]
        if len(part):
            yield FAMILY_ZH.get(f, "其他指标"), part


def _write_xlsx(df, path: Path, sheet: str | None = None) -> None:
    from evalkit.families.catalog import catalog
    from evalkit.vocabulary import direction_label, interval_label, unit_label

    d = _readable(df)
    parts = [(sheet, d)] if sheet else list(_family_sheets(d))
    sheets = [(name, part.rename(columns=lambda c: HEADERS_ZH.get(c, c))) for name, part in parts]
    sheets.append(("指标目录", _catalog_sheet()))
    path.write_bytes(xlsx_bytes(sheets))


def _catalog_sheet():
    """The catalog for a Chinese workbook: Chinese headers; unit, direction and interval method in Chinese."""
    from evalkit.families.catalog import catalog
    from evalkit.vocabulary import direction_label, interval_label, unit_label

    cat = catalog()
    cat["unit"] = [unit_label(u, "zh") or "比值" for u in cat["unit"]]
    cat["direction"] = [direction_label(x, "zh") for x in cat["direction"]]
    cat["interval"] = [interval_label(x, "zh") for x in cat["interval"]]
    return cat[list(CATALOG_HEADERS_ZH)].rename(columns=CATALOG_HEADERS_ZH)


CATALOG_FORMATS = (".csv", ".json", ".xlsx")


def write_catalog(path) -> Path:
    """Write the indicator catalog to ``path`` (``evalkit catalog --out``); the format follows the ending.

    CSV (UTF-8 with BOM) and JSON hold :func:`evalkit.catalog` as it is (codes);
    XLSX is for readers: Chinese headers, units, directions and interval
    methods in Chinese.  Written beside the target and renamed into place.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     book = pd.read_excel(write_catalog(f"{d}/catalog.xlsx"), sheet_name=None)
    >>> list(book), book["指标目录"].columns[0]
    (['指标目录'], '指标编号')
    """
    from evalkit.families.catalog import catalog

    path = Path(path)
    suffix = _check_format(path, CATALOG_FORMATS, ("目录文件", "The catalog file"))

    def write(tmp: Path) -> None:
        if suffix == ".xlsx":
            tmp.write_bytes(xlsx_bytes([("指标目录", _catalog_sheet())]))
        elif suffix == ".json":
            catalog().to_json(tmp, orient="records", force_ascii=False, indent=1)
        else:
            tmp.write_bytes(csv_bytes(catalog().drop(columns="benchmark")))

    return _atomic(path, write)


def xlsx_bytes(sheets) -> bytes:
    """An Excel workbook of ``[(sheet name, DataFrame)]``: header row frozen, missing cells empty.

    Written column by column with XlsxWriter (four times faster than openpyxl's
    cell-by-cell writer); text is never read as a formula or a link, and the
    creation time is fixed, so the same sheets give the same bytes.

    Examples
    --------
    >>> import io, pandas as pd
    >>> raw = xlsx_bytes([("表", pd.DataFrame({"a": [1.5, float("nan"), 2.5]}))])
    >>> pd.read_excel(io.BytesIO(raw), sheet_name=None)["表"]["a"].tolist()
    [1.5, nan, 2.5]
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


# --- text summary -----------------------------------------------------------------


def _missing(v) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


def summary_text(df, lang: str = "zh", *, max_units: int = 12) -> str:
    """A readable summary of the indicator table (``evalkit indicators`` without ``--out``).

    For each indicator and level: the yearly or window values of every unit
    when there are at most ``max_units`` of them (value, 95% interval, n and
    the note), else the spread across units (median, minimum, maximum) and the
    count of units with a value.  Monthly rows are left out, and so are the
    warnings of the computation (:func:`evalkit.indicators` issued them; the CLI
    prints each once, on stderr).  Every name,
    unit, level, note and number is rendered in ``lang`` by
    :mod:`evalkit.vocabulary`, so a Chinese summary holds no English words
    beyond indicator ids and an English one no Chinese beyond unit names.

    Parameters
    ----------
    df
        The long table from :func:`evalkit.indicators`.
    lang
        "zh" or "en".
    max_units
        Units listed one by one at most; more are summarised.

    Returns
    -------
    str
        Lines of text.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"indicator": ["dispute_rate", "dispute_rate"], "level": "city",
    ...                   "unit_id": "all", "unit_name": "全市", "period": ["2024", "2023"],
    ...                   "category": None, "value": [25.42, float("nan")], "ci_low": [24.53, float("nan")],
    ...                   "ci_high": [26.34, float("nan")], "n": [3054, 0], "note": ["through 10-24", "no data"]})
    >>> print(summary_text(t, "zh"))
    纠纷发生率（每千户）（dispute_rate），单位：每千户
      全市 2024：25.4（24.5 至 26.3），n=3054（截至 10 月 24 日）
      全市 2023：—，n=0（无数据）
    >>> print(summary_text(t, "en"))
    Dispute rate (dispute_rate), per 1,000 households
      City 2024: 25.4 (24.5 to 26.3), n=3054 (through 10-24)
      City 2023: —, n=0 (no data)
    """
    import numpy as np

    from evalkit.contract import category_label
    from evalkit.exceptions import check_choice
    from evalkit.families.catalog import catalog
    from evalkit.vocabulary import decimals, fmt_interval, fmt_value, level_label, note_label, unit_label

    check_choice("lang", lang, ["zh", "en"])
    cat = catalog().set_index("id")
    zh = lang == "zh"
    lines = []
    if len(df) == 0:
        return "（没有指标）" if zh else "(no indicators)"
    d = df.loc[~df["period"].astype("str").str.fullmatch(r"\d{4}-\d{2}")]
    order = {i: k for k, i in enumerate(cat.index)}
    inds = sorted(d["indicator"].unique(), key=lambda i: order.get(i, len(order)))
    colon, sep = ("：", "，") if zh else (": ", ", ")
    for ind in inds:
        e = cat.loc[ind] if ind in cat.index else None
        unit = e["unit"] if e is not None else "ratio"
        title = (e["name_zh"] if zh else e["name_en"]) if e is not None else ind
        kind = e["category"] if e is not None and isinstance(e["category"], str) else None
        ulab = unit_label(unit, lang) if unit != "share" else ""
        head = f"{title}（{ind}）" if zh else f"{title} ({ind})"
        lines.append(head + (f"{sep}{'单位：' if zh else ''}{ulab}" if ulab else ""))
        part = d.loc[d["indicator"] == ind]
        for lev, g in part.groupby("level", sort=False):
            units_n = g["unit_id"].nunique()
            if units_n <= max_units:
                for r in g.itertuples(index=False):
                    cat_s = f" {category_label(r.category, lang, kind)}" if isinstance(r.category, str) else ""
                    lo, hi = getattr(r, "ci_low", None), getattr(r, "ci_high", None)
                    dg = decimals(r.value, lo, hi) if unit not in ("share", "share_points", "count") else None
                    ci = fmt_interval(lo, hi, unit, lang, digits=dg)
                    ci = "" if ci == "—" else (f"（{ci}）" if zh else f" ({ci})")
                    # a catalog indicator's note is a code; another row's (pilot) free text
                    note = note_label(r.note, lang) if e is not None else (r.note if isinstance(r.note, str) else "")
                    note = (f"（{note}）" if zh else f" ({note})") if note else ""
                    n = "" if _missing(r.n) else f"{sep}n={int(r.n)}"
                    uname = level_label("city", lang).capitalize() if r.level == "city" else r.unit_name
                    lines.append(f"  {uname} {r.period}{cat_s}{colon}{fmt_value(r.value, unit, lang, digits=dg)}{ci}{n}{note}")
            else:
                v = g["value"].to_numpy(dtype="float64")
                ok = v[~np.isnan(v)]
                lv = level_label(lev, lang)
                f = lambda x: fmt_value(x, unit, lang)  # noqa: E731
                if len(ok):
                    med, lo, hi = np.median(ok), ok.min(), ok.max()
                    s = (f"  {lv} {units_n} 个单位（{len(ok)} 个有数值）：中位数 {f(med)}，"
                         f"最小 {f(lo)}，最大 {f(hi)}") if zh else \
                        (f"  {lv}: {units_n} units ({len(ok)} with a value): median {f(med)}, "
                         f"min {f(lo)}, max {f(hi)}")
                else:
                    s = f"  {lv} {units_n} 个单位：无数值" if zh else f"  {lv}: {units_n} units, no values"
                lines.append(s)
    return "\n".join(lines)
