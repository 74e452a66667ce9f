"""Vectorised parsing of raw columns into the contract's dtypes.

Every parser takes a raw Series (strings from CSV/Excel, or native Arrow
types from Parquet) and returns ``(typed, bad)``: the typed Series and a
boolean mask of cells that held a value which could not be parsed.  The work
is done on the *unique* values (``pd.factorize``) and broadcast back with
``take``, so a column of 3 million rows with a few thousand distinct values
costs a few thousand conversions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.contract import FALSE_WORDS, TRUE_WORDS, Column, code_map

#: Date formats tried in order on the unique strings.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d",
                "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
#: Excel serial day numbers accepted in date columns (1900-03-01 .. 2199-12-31).
_SERIAL_MIN, _SERIAL_MAX = 61, 109574
_EXCEL_EPOCH = np.datetime64("1899-12-30", "s")


def clean_strings(s: pd.Series) -> pd.Series:
    """Raw cells as stripped strings, empty -> NA (``str`` dtype)."""
    if s.dtype == "str" or s.dtype == object:
        out = s.astype("str")
    elif pd.api.types.is_float_dtype(s.dtype):
        # 1001.0 -> "1001" (Excel/Parquet store ids as numbers)
        f = s.astype("float64")
        integral = f.notna() & np.isfinite(f) & (f == np.round(f)) & (f.abs() < 2**53)
        out = f.astype("str")
        out = out.where(~integral, f.where(integral).astype("Int64").astype("str"))
        out = out.where(f.notna())
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.strftime("%Y-%m-%d").astype("str")
    else:
        out = s.astype("str")
    out = out.str.strip()
    return out.where(out != "", None).astype("str")


def _factorised(s: pd.Series, convert):
    """Apply ``convert(unique_values) -> array`` and broadcast back to ``s``."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    conv = np.asarray(convert(pd.Index(uniques)))
    return codes, conv


def parse_text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = clean_strings(s)
    return out, pd.Series(False, index=s.index)


def parse_number(s: pd.Series, *, integer: bool = False) -> tuple[pd.Series, pd.Series]:
    """Numbers; with ``integer`` a non-integral value is a parse failure."""
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Int64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        f = s.astype("float64")
        bad = pd.Series(False, index=s.index)
    else:
        raw = clean_strings(s)
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        u = pd.Series(uniques, dtype="str").str.replace(",", "", regex=False)
        u = u.str.replace("，", "", regex=False)
        conv = pd.to_numeric(u, errors="coerce").astype("float64").to_numpy()
        vals = np.where(codes >= 0, conv[np.maximum(codes, 0)] if len(conv) else np.nan, np.nan)
        f = pd.Series(vals, index=s.index, dtype="float64")
        bad = pd.Series((codes >= 0) & np.isnan(vals), index=s.index)
    if integer:
        nonint = f.notna() & (f != np.round(f))
        bad = bad | nonint
        f = f.where(~nonint)
        return f.astype("Int64"), bad
    return f, bad


def parse_date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates: ISO, YYYY/MM/DD, YYYY年M月D日, Excel cells and serial numbers."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = s
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_localize(None)
        return d.dt.floor("D").astype("datetime64[s]"), pd.Series(False, index=s.index)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.astype("float64")
        ok = f.between(_SERIAL_MIN, _SERIAL_MAX)
        days = np.floor(f.where(ok).to_numpy())
        vals = _EXCEL_EPOCH + (np.nan_to_num(days) * 86400).astype("int64").astype("timedelta64[s]")
        out = pd.Series(vals, index=s.index).where(ok).astype("datetime64[s]")
        return out, f.notna() & ~ok
    if s.dtype == object:
        # datetime.date objects (Parquet date32 read as objects)
        try:
            d = pd.to_datetime(s, errors="raise")
            if pd.api.types.is_datetime64_any_dtype(d.dtype):
                return parse_date(d)
        except (ValueError, TypeError):
            pass
    raw = clean_strings(s)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    u = pd.Index(uniques, dtype="str")
    res = pd.Series(pd.NaT, index=range(len(u)), dtype="datetime64[s]")
    todo = np.ones(len(u), dtype=bool)
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        p = pd.to_datetime(pd.Series(u[todo]), format=fmt, errors="coerce")
        hit = p.notna().to_numpy()
        idx = np.flatnonzero(todo)[hit]
        res.iloc[idx] = p[hit].dt.floor("D").astype("datetime64[s]").to_numpy()
        todo[idx] = False
    if todo.any():  # Excel serials written as text ("45292")
        num = pd.to_numeric(pd.Series(u[todo]), errors="coerce")
        ok = num.between(_SERIAL_MIN, _SERIAL_MAX).to_numpy()
        if ok.any():
            idx = np.flatnonzero(todo)[ok]
            days = np.floor(num[ok].to_numpy()).astype("int64")
            res.iloc[idx] = _EXCEL_EPOCH + (days * 86400).astype("timedelta64[s]")
            todo[idx] = False
    conv = res.to_numpy()
    if len(conv):
        vals = np.where(codes >= 0, conv[np.maximum(codes, 0)], np.datetime64("NaT"))
    else:
        vals = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[s]")
    out = pd.Series(vals, index=s.index).astype("datetime64[s]")
    bad = pd.Series((codes >= 0), index=s.index) & out.isna()
    return out, bad


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Booleans: true/false, 1/0, 是/否, Y/N (case-insensitive)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    raw = clean_strings(s).str.lower()
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    lut = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}
    conv = pd.array([lut.get(str(u)) for u in uniques], dtype="boolean")
    if len(conv):
        out = pd.array(conv).take(codes, allow_fill=True)
    else:
        out = pd.array([pd.NA] * len(codes), dtype="boolean")
    out = pd.Series(out, index=s.index, dtype="boolean")
    bad = pd.Series(codes >= 0, index=s.index) & out.isna()
    return out, bad


def parse_code(s: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Codes: canonical code or any accepted (Chinese) label -> canonical code."""
    raw = clean_strings(s)
    codes, uniques = pd.factorize(raw.str.lower(), use_na_sentinel=True)
    lut = code_map(column)
    conv = np.array([lut.get(str(u)) for u in uniques] + [None], dtype=object)
    vals = conv[np.where(codes >= 0, codes, len(conv) - 1)]
    out = pd.Series(vals, index=s.index, dtype="str")
    bad = pd.Series(codes >= 0, index=s.index) & out.isna()
    return out, bad


def parse_column(s: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Parse one raw column into the dtype of ``column``; return (typed, bad)."""
    t = column.type
    if t == "text":
        out, bad = parse_text(s)
    elif t == "int":
        out, bad = parse_number(s, integer=True)
    elif t == "number":
        out, bad = parse_number(s)
    elif t == "date":
        out, bad = parse_date(s)
    elif t == "bool":
        out, bad = parse_bool(s)
    elif t == "code":
        out, bad = parse_code(s, column)
    else:  # pragma: no cover - the contract has no other types
        raise ValueError(t)
    if column.default is not None and not column.required:
        out = out.where(out.notna() | bad, column.default).astype(out.dtype)
    return out, bad.astype(bool)


def empty_column(column: Column, n: int, index=None) -> pd.Series:
    """A column absent from the source: its default, or missing."""
    dtype = {"text": "str", "code": "str", "int": "Int64", "number": "float64",
             "date": "datetime64[s]", "bool": "boolean"}[column.type]
    if column.default is not None:
        return pd.Series([column.default] * n, index=index, dtype=dtype)
    return pd.Series([None] * n, index=index, dtype=dtype) if column.type != "date" \
        else pd.Series(pd.NaT, index=index if index is not None else range(n), dtype=dtype)


DTYPES = {"text": "str", "code": "str", "int": "Int64", "number": "float64",
          "date": "datetime64[s]", "bool": "boolean"}
