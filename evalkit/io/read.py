"""Reading raw tables: find the files, detect encodings, find the header row.

Nothing here interprets values; :mod:`evalkit.io` maps headers, guards
personal data and parses types.  A raw table is a DataFrame whose columns are
the source headers (as written), plus ``_row``: the row number in the source
file (header = row 1 when there are no title rows above it).

Files are opened read-only and never written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.contract import FILE_EXTENSIONS, TABLES, Table, header_map, normalise_header, table_for_name
from evalkit.contract import WORKBOOK as CONTRACT_WORKBOOK
from evalkit.exceptions import ReadError

#: File endings read, in order of preference; the workbook holding one sheet per table.
EXTENSIONS, WORKBOOK = FILE_EXTENSIONS, CONTRACT_WORKBOOK
#: How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 10
_BOM = b"\xef\xbb\xbf"


@dataclass
class Source:
    """Where a table comes from: a file, and a sheet for workbooks."""

    table: str
    path: Path
    sheet: str | None = None

    def __str__(self) -> str:
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name


def detect_encoding(data: bytes) -> str:
    """Encoding of CSV bytes: BOM -> utf-8-sig; valid UTF-8 -> utf-8; else gb18030.

    GB18030 is a superset of GBK (and of GB2312), so GBK files decode with it.
    The file ending is never consulted.
    """
    if data.startswith(_BOM):
        return "utf-8-sig"
    try:
        data.decode("utf-8", errors="strict")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030", errors="strict")
        return "gb18030"
    except UnicodeDecodeError:
        return ""


def find_sources(folder: Path) -> tuple[dict[str, Source], list[str]]:
    """Map each table present in ``folder`` to its source.

    Returns the sources and the names of data files that match no table.
    Two files for the same table raise :class:`ReadError`.
    """
    folder = Path(folder)
    sources: dict[str, Source] = {}
    ignored: list[str] = []

    def add(src: Source) -> None:
        if src.table in sources:
            raise ReadError(
                f"表 {src.table} 有两个来源：{sources[src.table]} 和 {src}，请只保留一个。",
                f"Table {src.table} has two sources: {sources[src.table]} and {src}; keep one.",
                table=src.table,
            )
        sources[src.table] = src

    if folder.is_file():
        if folder.name.lower().endswith(".xlsx"):
            for sheet in _sheet_names(folder):
                t = table_for_name(sheet)
                if t:
                    add(Source(t, folder, sheet))
            return sources, ignored
        raise ReadError(f"{folder.name} 不是数据集文件夹。", f"{folder.name} is not a dataset folder.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    for p in files:
        if p.name.lower() == WORKBOOK:
            for sheet in _sheet_names(p):
                t = table_for_name(sheet)
                if t:
                    add(Source(t, p, sheet))
                elif normalise_header(sheet) not in ("说明", "instructions", "readme"):
                    ignored.append(f"{p.name}[{sheet}]")
            continue
        ext = next((e for e in EXTENSIONS if p.name.lower().endswith(e)), None)
        if ext is None:
            continue
        t = table_for_name(p.name[: -len(ext)])
        if t is None:
            ignored.append(p.name)
        else:
            add(Source(t, p))
    return sources, ignored


# --- raw reading ------------------------------------------------------------


def _known_headers(table: Table, extra: tuple[str, ...] = ()) -> set[str]:
    return set(header_map(table)) | {normalise_header(x) for x in extra}


def _header_hits(row: list, known: set[str]) -> int:
    return sum(1 for c in row if c is not None and normalise_header(c) in known)


def _find_header(rows: list[list], known: set[str], where: str, table: str) -> int:
    """Index (0-based) of the row naming the most known columns among the first rows (the
    first such row on a tie): a filled-in line above the header such as
    ``区 | 东城区 | 街道 | 锦绣街道`` names two known columns, the header many more."""
    hits = [_header_hits(row, known) for row in rows[:HEADER_SEARCH_ROWS]]
    if hits and max(hits) > 0:
        return hits.index(max(hits))
    raise ReadError(
        f"{where}：前 {HEADER_SEARCH_ROWS} 行中找不到表头（应包含已知列名，如 "
        f"{'、'.join(c.zh for c in TABLES[table].columns[:3])}）。",
        f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows (it should name "
        f"known columns such as {', '.join(c.name for c in TABLES[table].columns[:3])}).",
        table=table,
    )


def _frame_from_rows(rows: list[list], h: int, where: str, table: str) -> pd.DataFrame:
    """Build a raw frame (object cells) from rows with the header at index ``h``."""
    header = rows[h]
    width = len(header)
    while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
        width -= 1
    names = _unique_names([header[j] for j in range(width)])
    body = rows[h + 1:]
    data = [list(r[:width]) + [None] * (width - len(r)) for r in body]
    df = pd.DataFrame(data, columns=names, dtype=object) if data else \
        pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    df["_row"] = np.arange(h + 2, h + 2 + len(df), dtype="int64")
    return df


def _unique_names(header: list) -> list[str]:
    out, seen = [], {}
    for j, c in enumerate(header):
        name = "" if c is None else str(c).strip()
        if name == "":
            name = f"_blank{j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _excel_cell(v):
    """Excel cell -> canonical string (dates ISO, integral floats without .0)."""
    import datetime as _dt

    if v is None:
        return None
    if isinstance(v, _dt.datetime):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        return repr(v)
    if isinstance(v, _dt.time):
        return v.isoformat()
    return str(v)


def _drop_blank(df: pd.DataFrame) -> pd.DataFrame:
    data_cols = [c for c in df.columns if c != "_row"]
    if not data_cols or df.empty:
        return df
    blank = df[data_cols].isna().all(axis=1)
    return df.loc[~blank].reset_index(drop=True) if blank.any() else df


def _sheet_names(path: Path) -> list[str]:
    if path.name.lower().endswith(".xls"):
        xlrd = _xlrd_book(path)
        return xlrd.sheet_names()
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    except Exception as err:  # noqa: BLE001 - any openpyxl failure is a bad file
        raise _unreadable(path, err) from None


def _unreadable(path: Path, err: Exception) -> ReadError:
    kind = type(err).__name__
    return ReadError(
        f"无法读取文件 {path.name}：文件已损坏或不是有效的 Excel 工作簿（{kind}）。",
        f"Cannot read file {path.name}: it is corrupt or not a valid Excel workbook ({kind}).",
    )


def _read_xlsx_rows(path: Path, sheet: str | None, table: str) -> tuple[list[list], str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any openpyxl failure is a bad file
        raise _unreadable(path, err) from None
    try:
        if sheet is None:
            names = wb.sheetnames
            match = [n for n in names if table_for_name(n) == table]
            sheet = match[0] if match else _data_sheet(
                names, lambda n: wb[n].sheet_state == "visible",
                lambda n: [[_excel_cell(v) for v in r] for r in wb[n].iter_rows(max_row=HEADER_SEARCH_ROWS,
                                                                                  values_only=True)], table)
        ws = wb[sheet]
        rows = [[_excel_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
    except Exception as err:  # noqa: BLE001
        raise _unreadable(path, err) from None
    finally:
        wb.close()
    return rows, sheet


def _data_sheet(names: list[str], visible, head, table: str) -> str:
    """The sheet of a one-table workbook that holds the table (no sheet is named for it):
    among the visible sheets other than the instructions (说明), the one whose first rows
    name the most known columns; the first sheet when none does."""
    known = _known_headers(TABLES[table])
    cands = [n for n in names if visible(n)
             and normalise_header(n) not in ("说明", "填表说明", "instructions", "readme")] or names
    if len(cands) == 1:
        return cands[0]
    score = {n: max((_header_hits(r, known) for r in head(n)), default=0) for n in cands}
    return max(cands, key=lambda n: score[n]) if max(score.values()) > 0 else cands[0]


def _xlrd_book(path: Path):
    import xlrd

    try:
        return xlrd.open_workbook(str(path), on_demand=True)
    except Exception as err:  # noqa: BLE001
        raise _unreadable(path, err) from None


def _read_xls_rows(path: Path, sheet: str | None, table: str) -> tuple[list[list], str]:
    import xlrd

    book = _xlrd_book(path)
    try:
        names = book.sheet_names()
        if sheet is None:
            match = [n for n in names if table_for_name(n) == table]

            def head(n):
                sh_ = book.sheet_by_name(n)
                return [[c.value for c in sh_.row(i)] for i in range(min(sh_.nrows, HEADER_SEARCH_ROWS))]
            sheet = match[0] if match else _data_sheet(
                names, lambda n: book.sheet_by_name(n).visibility == 0, head, table)
        sh = book.sheet_by_name(sheet)
        rows = []
        for i in range(sh.nrows):
            row = []
            for j, cell in enumerate(sh.row(i)):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(xlrd.xldate_as_datetime(cell.value, book.datemode).date().isoformat())
                    except (ValueError, OverflowError):  # xlrd's XLDateError is a ValueError
                        row.append(_excel_cell(cell.value))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append("true" if cell.value else "false")
                else:
                    row.append(_excel_cell(cell.value))
            rows.append(row)
    except Exception as err:  # noqa: BLE001
        raise _unreadable(path, err) from None
    finally:
        book.release_resources()
    return rows, sheet


def read_excel_raw(src: Source, extra_headers: tuple[str, ...] = ()) -> pd.DataFrame:
    """Raw table from an .xlsx/.xls file (cells as canonical strings)."""
    if src.path.name.lower().endswith(".xls"):
        rows, sheet = _read_xls_rows(src.path, src.sheet, src.table)
    else:
        rows, sheet = _read_xlsx_rows(src.path, src.sheet, src.table)
    where = f"{src.path.name}[{sheet}]"
    # trailing empty rows of formatted sheets
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    h = _find_header(rows, _known_headers(TABLES[src.table], extra_headers), where, src.table)
    df = _frame_from_rows(rows, h, where, src.table)
    for c in df.columns:
        if c != "_row":
            df[c] = df[c].astype("str")
    return _drop_blank(df)


def _csv_header(src: Source, extra_headers: tuple[str, ...]):
    """(bytes, encoding, header row index, column names, header fields) of a CSV file.

    ``names`` leaves out empty header cells at the end of the row; the header's
    number of fields counts them (a row may fill them with empty fields too).
    """
    path = src.path
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ReadError(f"无法打开文件 {path.name}（{type(err).__name__}）。",
                        f"Cannot open file {path.name} ({type(err).__name__}).", table=src.table) from None
    enc = detect_encoding(data)
    if not enc:
        raise ReadError(
            f"无法识别文件 {path.name} 的编码（应为 UTF-8、UTF-8 BOM、GBK 或 GB18030）。",
            f"Cannot decode file {path.name} (expected UTF-8, UTF-8 with BOM, GBK or GB18030).",
            table=src.table,
        )
    head = data[:65536].decode(enc, errors="ignore")
    if "\x00" in head[:4096]:
        raise ReadError(f"文件 {path.name} 不是文本 CSV 文件。", f"File {path.name} is not a text CSV file.",
                        table=src.table)
    head_lines = head.splitlines()[: HEADER_SEARCH_ROWS]
    head_rows = [next(csv.reader([ln]), []) for ln in head_lines]
    head_rows = [[c if c.strip() != "" else None for c in r] for r in head_rows]
    h = _find_header(head_rows, _known_headers(TABLES[src.table], extra_headers), path.name, src.table)
    header = head_rows[h]
    width = len(header)
    while width and header[width - 1] is None:
        width -= 1
    names = _unique_names(header[:width])
    return data, enc, h, names, len(header)


def _ragged_rows(text: str, h: int, width: int, fields: int) -> pd.DataFrame | None:
    """Rows whose number of fields differs from the header's, numbered as the loader numbers
    rows (the record after the header is row ``h + 2``).

    More fields than the header has are an error unless the extra ones are empty (trailing
    separators, as some exports write); fewer fields than the header names are an error
    unless the row is blank.  None when every row fits.
    """
    f = io.StringIO(text)
    for _ in range(h + 1):
        f.readline()
    rows, found = [], []
    for i, rec in enumerate(csv.reader(f)):
        n = len(rec)
        if n == fields or (width <= n < fields):
            continue
        if n > fields and all(x.strip() == "" for x in rec[fields:]):
            continue
        if n < width and all(x.strip() == "" for x in rec):
            continue  # a blank line (dropped as blank)
        rows.append(h + 2 + i)
        found.append(n)
    if not rows:
        return None
    return pd.DataFrame({"_row": np.asarray(rows, dtype="int64"), "fields": np.asarray(found, dtype="int64"),
                         "expected": width})


def _read_csv_pandas(src: Source, data: bytes, enc: str, h: int, names: list[str], fields: int):
    """The general (slow) CSV reader: every cell as text, ragged rows allowed and returned.

    Returns ``(frame, ragged)``: a row with more fields keeps the first ones, a row with
    fewer is padded with missing values; ``ragged`` (see :func:`_ragged_rows`) lists them
    so that validation reports each, instead of losing the extra fields in silence.
    """
    text = data.decode(enc)
    try:
        df = pd.read_csv(
            io.StringIO(text), skiprows=h + 1, header=None, names=names, usecols=range(len(names)),
            dtype="str", keep_default_na=False, na_values=[""], skip_blank_lines=False,
            engine="c", index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise ReadError(
            f"文件 {src.path.name} 不是有效的 CSV 文件（{type(err).__name__}）。",
            f"File {src.path.name} is not a valid CSV file ({type(err).__name__}).", table=src.table,
        ) from None
    df["_row"] = np.arange(h + 2, h + 2 + len(df), dtype="int64")
    return df, _ragged_rows(text, h, len(names), fields)


def _arrow_ok(names: list[str]) -> bool:
    # blank lines: pyarrow is told not to skip them (ignore_empty_lines=False), so a
    # file with one fails there and goes to pandas, which keeps the row numbers
    return len(set(names)) == len(names)


def _body(data: bytes, enc: str):
    """The file's bytes as UTF-8 for pyarrow (without a BOM; no copy for UTF-8)."""
    import pyarrow as pa

    if enc == "utf-8-sig":
        return pa.py_buffer(data).slice(3)
    if enc.startswith("utf-8"):
        return pa.py_buffer(data)
    return pa.py_buffer(data.decode(enc).encode("utf-8"))


def read_csv_arrow(src: Source, extra_headers: tuple[str, ...], plan, types):
    """Raw table from a CSV file as an Arrow table with canonical column names.

    ``plan(names)`` maps source headers to canonical names (and warns about
    the others); ``types(canonical)`` gives the Arrow type to read a column
    as (None: text).  A typed read that fails (a value pyarrow cannot convert)
    is redone with every column as text, so the loader's own parsers see and
    report the bad values; files pyarrow cannot take at all -- among them every
    file with a row of more or fewer fields than the header, which pyarrow
    refuses -- go through pandas.

    Returns ``(table, rename, ragged)``: ``ragged`` is None, or the rows whose
    number of fields differs from the header's (``[_row, fields, expected]``).
    """
    from evalkit.io._arrow import drop_blank_rows, frame_to_arrow, unify

    data, enc, h, names, fields = _csv_header(src, extra_headers)
    rename = plan(names)
    tbl, ragged = None, None
    if _arrow_ok(names) and fields == len(names):
        body = _body(data, enc)
        typed = {n: types(rename[n]) for n in rename if types(rename[n]) is not None}
        tbl = _read_csv_arrow(body, h + 1, names, typed) if typed else None
        if tbl is None or not _typed_clean(tbl, typed):
            tbl = _read_csv_arrow(body, h + 1, names, {})
        if tbl is not None:
            tbl = tbl.append_column("_row", _row_array(h, tbl.num_rows))
    if tbl is None:
        df, ragged = _read_csv_pandas(src, data, enc, h, names, fields)
        tbl = frame_to_arrow(df)
    tbl = unify(drop_blank_rows(tbl))
    keep = list(rename) + ["_row"]
    return tbl.select(keep).rename_columns([rename.get(c, c) for c in keep]), rename, ragged


def _row_array(h: int, n: int):
    import pyarrow as pa

    return pa.array(np.arange(h + 2, h + 2 + n, dtype="int64"), pa.int64())


def _typed_clean(tbl, typed: dict) -> bool:
    """False when a float column holds NaN/inf text (the text parsers report those)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for n, t in typed.items():
        if pa.types.is_floating(t):
            col = tbl.column(n)
            if col.null_count < len(col) and pc.any(pc.invert(pc.is_finite(col))).as_py():
                return False
    return True


def _read_csv_arrow(data, skip: int, names: list[str], types: dict):
    """Fast path: pyarrow's CSV reader, columns of ``types`` typed, the rest as text.
    None when the file has a shape or values it does not take."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    def ragged(row):
        # a row of more or fewer fields than the header: the pandas path reads it and lists it
        return "error"

    try:
        tbl = pcsv.read_csv(
            pa.BufferReader(data),
            read_options=pcsv.ReadOptions(skip_rows=skip, column_names=names, block_size=1 << 24),
            parse_options=pcsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False,
                                            invalid_row_handler=ragged),
            convert_options=pcsv.ConvertOptions(column_types={n: types.get(n, pa.string()) for n in names},
                                                strings_can_be_null=True, null_values=[""],
                                                quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    return tbl


def parquet_columns(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise ReadError(
            f"无法读取 Parquet 文件 {path.name}（{type(err).__name__}）。",
            f"Cannot read Parquet file {path.name} ({type(err).__name__}).",
        ) from None


def read_parquet_raw(src: Source, columns: list[str], filter_col: str | None = None,
                     filter_values=None) -> pd.DataFrame:
    """Raw table from Parquet as pandas (see :func:`read_parquet_arrow`)."""
    tbl = read_parquet_arrow(src, columns, filter_col, filter_values)
    return tbl.to_pandas(date_as_object=False)


def read_parquet_arrow(src: Source, columns: list[str], filter_col: str | None = None,
                       filter_values=None, dictionary: list[str] | None = None):
    """Raw table from Parquet as an Arrow table, reading only ``columns``.

    With ``filter_col``, only rows whose value is in ``filter_values`` are
    kept: the filter column is read first, and only the row groups holding a
    match are read in full, so a district's slice of a province-size file
    costs little more than the slice.  ``_row`` keeps the file row number.
    String columns in ``dictionary`` are read dictionary-encoded (no
    per-row strings are built for them).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.path, read_dictionary=list(dictionary or ()) or None)
        offsets = np.concatenate([[0], np.cumsum([pf.metadata.row_group(i).num_rows
                                                   for i in range(pf.num_row_groups)])]).astype("int64")
        if filter_col is None:
            tbl = pf.read(columns=columns)
            rows = np.arange(tbl.num_rows, dtype="int64")
        else:
            key = pf.read(columns=[filter_col]).column(0)
            if pa.types.is_dictionary(key.type):
                key = pc.cast(key, key.type.value_type)
            if not (pa.types.is_string(key.type) or pa.types.is_large_string(key.type)):
                key = pc.cast(key, pa.string())
            values = pa.array(sorted({str(v) for v in filter_values}), pa.string())
            mask = np.asarray(pc.fill_null(pc.is_in(pc.utf8_trim_whitespace(key), value_set=values), False))
            hit = np.flatnonzero(mask)
            groups = sorted(set(np.searchsorted(offsets, hit, side="right") - 1))
            if groups:
                tbl = pf.read_row_groups(groups, columns=columns)
                rows = np.concatenate([np.arange(offsets[g], offsets[g + 1]) for g in groups])
                keep = mask[rows]
                tbl = tbl.filter(pa.array(keep))
                rows = rows[keep]
            else:
                tbl = pf.schema_arrow.empty_table().select(columns)
                rows = np.arange(0, dtype="int64")
    except (pa.ArrowException, OSError, ValueError) as err:  # pyarrow: a bad file
        raise ReadError(
            f"无法读取 Parquet 文件 {src.path.name}（{type(err).__name__}）。",
            f"Cannot read Parquet file {src.path.name} ({type(err).__name__}).", table=src.table,
        ) from None
    from evalkit.io._arrow import unify

    return unify(tbl).append_column("_row", pa.array(rows.astype("int64") + 2, pa.int64()))
