"""Blank Excel input templates, one workbook per table, Chinese headers.

Each workbook has the data sheet (named after the table in Chinese, header
row of the Chinese column names, drop-down lists for code and yes/no
columns) and a 说明 sheet describing every column: type, rule and the
allowed codes.  Files are written deterministically (fixed timestamps in
the document properties and in the zip entries), so regenerating them
gives byte-identical files.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from evalkit.contract import TABLES, Column, OnlyWhen, RequiredWhen, Table
from evalkit.io.rules import Names, describe

__all__ = ["write_templates", "column_rule_zh"]

_TYPE_ZH = {"text": "文本", "int": "整数", "number": "数值", "date": "日期（YYYY-MM-DD）",
            "bool": "是/否", "code": "代码（下拉选择）"}
_FIXED = datetime(2024, 1, 1, 0, 0, 0)


def column_rule_zh(table: Table, col: Column) -> str:
    """The rule of a column in Chinese, as the 说明 sheet shows it.

    Examples
    --------
    >>> from evalkit.contract import TABLES
    >>> t = TABLES["volunteer_hours"]
    >>> column_rule_zh(t, t.column("hours"))
    '必填；大于 0 且不超过 24'
    >>> column_rule_zh(t, t.column("volunteer_id"))
    '必填；须存在于志愿者名册'
    """
    parts = ["必填" if col.required else "选填"]
    if table.key and col.name in table.key:
        parts.append("唯一" if len(table.key) == 1 else f"与 {'、'.join(table.column(k).zh for k in table.key)} 组合唯一")
    for fk in table.foreign_keys:
        if fk.column == col.name:
            parts.append(f"须存在于{TABLES[fk.table].zh}")
    if col.minimum is not None or col.maximum is not None:
        lo, hi = col.minimum, col.maximum
        f = lambda x: str(int(x)) if float(x).is_integer() else str(x)  # noqa: E731
        if lo is not None and hi is not None:
            parts.append(f"大于 {f(lo)} 且不超过 {f(hi)}" if col.exclusive_min else f"{f(lo)}–{f(hi)}")
        elif lo is not None:
            parts.append(f"大于 {f(lo)}" if col.exclusive_min else f"不小于 {f(lo)}")
        else:
            parts.append(f"不超过 {f(hi)}")
    if col.default is not None:
        d = {True: "是", False: "否"}.get(col.default, col.default) if isinstance(col.default, bool) else col.default
        parts.append(f"默认 {d}")
    # the table's rules on this column, stated from the rule objects (evalkit.io.rules)
    names = Names({table.name: {c.name: c.zh for c in table.columns}})
    texts, prev = [], None
    for rule in table.rules:
        if col.name not in (getattr(rule, "column", None), *getattr(rule, "columns", ())):
            continue
        if isinstance(rule, OnlyWhen) and isinstance(prev, RequiredWhen) and prev.when == rule.when:
            texts.append("否则留空")  # "X 时必填，否则留空"
        elif (text := describe(rule, table.name, names)):
            texts.append(text)
        prev = rule
    if (table.name, col.name) == ("survey_items", "item_id"):  # items.column (evalkit.io.validate)
        texts.append("须为居民满意度调查表中的一列")
    if texts:
        parts.append("，".join(texts))
    return "；".join(parts)


def _codes_zh(col: Column) -> str:
    if col.type == "bool":
        return "是、否"
    if not col.codes:
        return ""
    sep = " < " if col.ordered else "、"
    return sep.join(labels[0] for labels in col.codes.values())


def _workbook(table: Table):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = table.zh
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.zh)
        cell.font = bold
        cell.fill = fill
        letter = cell.column_letter
        ws.column_dimensions[letter].width = max(12, 2 * len(col.zh) + 4)
        if col.type in ("code", "bool"):
            opts = "是,否" if col.type == "bool" else ",".join(l[0] for l in col.codes.values())
            dv = DataValidation(type="list", formula1=f'"{opts}"', allow_blank=True)
            dv.add(f"{letter}2:{letter}1000")
            ws.add_data_validation(dv)
        elif col.type == "date":
            for r in range(2, 3):
                ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"

    info = wb.create_sheet("说明")
    title = f"{table.zh}（{table.name}）填写说明"
    if table.open_columns:
        title += "：问卷题目列（题目编号）请接在最后一列之后，每道题一列，填写答案分值"
    info.cell(row=1, column=1, value=title).font = bold
    head = ["列名", "英文字段", "类型", "规则", "可选代码"]
    for j, h in enumerate(head, start=1):
        c = info.cell(row=2, column=j, value=h)
        c.font = bold
        c.fill = fill
    for i, col in enumerate(table.columns, start=3):
        vals = [col.zh, col.name, _TYPE_ZH[col.type], column_rule_zh(table, col), _codes_zh(col)]
        for j, v in enumerate(vals, start=1):
            info.cell(row=i, column=j, value=v).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, w in zip("ABCDE", (16, 26, 18, 48, 60)):
        info.column_dimensions[letter].width = w
    wb.properties.creator = "evalkit"
    wb.properties.created = _FIXED
    wb.properties.modified = _FIXED
    return wb


def _deterministic(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps and order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def write_templates(folder) -> list[Path]:
    """Write one blank Excel template per table into ``folder``.

    Parameters
    ----------
    folder : str or Path
        Created when missing.  Files are named ``<table>.xlsx``.

    Returns
    -------
    list of Path
        The files written, in contract order.

    Notes
    -----
    The templates load as an empty dataset that validates without errors.
    Writing twice gives byte-identical files.

    References
    ----------
    The dataset contract, ``docs/DATA.md``.

    Examples
    --------
    >>> import tempfile, evalkit
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in write_templates(folder)][:3]
    ['communities.xlsx', 'community_years.xlsx', 'disputes.xlsx']
    >>> evalkit.load(folder).validate().ok
    True
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for table in TABLES.values():
        buf = io.BytesIO()
        wb = _workbook(table)
        wb.save(buf)
        # openpyxl stamps "modified" with the current time on save: fix it in docProps/core.xml
        data = _fix_core(buf.getvalue())
        path = folder / f"{table.name}.xlsx"
        path.write_bytes(_deterministic(data))
        out.append(path)
    return out


def _fix_core(data: bytes) -> bytes:
    import re

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = _FIXED.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", body)
            dst.writestr(info, body)
    return out.getvalue()


if __name__ == "__main__":  # pragma: no cover
    import sys

    for p in write_templates(sys.argv[1] if len(sys.argv) > 1 else "data/templates"):
        print(p)
