"""Arrow fast paths of the loader: privacy scan, parsing and hashing on Arrow columns.

Raw tables travel from the readers to the parsers as :class:`pyarrow.Table`
objects (canonical column names plus ``_row``), so a Parquet column that is
already typed (date32, int64, double, bool) becomes its pandas dtype without
any string work, and a text or code column is cleaned, checked and mapped on
its *dictionary* (the distinct values) rather than row by row.  Anything the
fast paths do not take (text dates, numbers with thousands separators, a
float column in an int field, ...) is handed to the pandas parsers of
:mod:`evalkit.io._parse` unchanged, so both paths give identical results.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.contract import FALSE_WORDS, ID_CARD_PATTERN, MOBILE_PATTERN, TRUE_WORDS, Column, code_map
from evalkit.io._parse import clean_strings, parse_column

__all__ = ["is_stringlike", "looks_personal_arrow", "parse_arrow", "hash_arrow", "clean_set",
           "frame_to_arrow", "drop_blank_rows", "column_to_pandas"]

_LEN_MIN, _LEN_MAX = 11, 18  # stripped length of an ID-card or mobile value
_ID_RE = re.compile(ID_CARD_PATTERN)
_MOBILE_RE = re.compile(MOBILE_PATTERN)


def is_stringlike(t: pa.DataType) -> bool:
    """String, large string, or a dictionary of strings."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _chunked(col) -> pa.ChunkedArray:
    return col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col])


def _dictionary(col: pa.ChunkedArray) -> tuple[pa.Array, list[pa.Array]]:
    """(distinct values, per-chunk indices) of a string column.

    A dictionary column is unified (one dictionary for all chunks); a plain
    column is dictionary-encoded first.
    """
    col = _chunked(col)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
        col = _chunked(col)
    if col.num_chunks == 0:
        return pa.array([], pa.string()), []
    if col.num_chunks > 1 and not _shared(col):
        col = pa.table({"x": col}).unify_dictionaries().column(0)
    values = col.chunk(0).dictionary
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return values, [ch.indices for ch in col.chunks]


def _shared(col: pa.ChunkedArray) -> bool:
    """True when every chunk uses the same dictionary (as after ``unify_dictionaries``)."""
    def key(ch):
        return tuple(b.address if b is not None else 0 for b in ch.dictionary.buffers())
    k0 = key(col.chunk(0))
    return all(key(ch) == k0 for ch in col.chunks[1:])


def unify(tbl: pa.Table) -> pa.Table:
    """One dictionary per dictionary column (pyarrow gives one per row group)."""
    if any(pa.types.is_dictionary(f.type) for f in tbl.schema):
        return tbl.unify_dictionaries()
    return tbl


def _clean_values(values: pa.Array) -> pa.Array:
    """Stripped strings, empty -> null (the Arrow twin of ``clean_strings``)."""
    v = pc.utf8_trim_whitespace(values)
    empty = pc.equal(pc.binary_length(v), 0)
    if pc.any(empty).as_py():
        v = pc.if_else(empty, pa.scalar(None, v.type), v)
    return v


def _take(values: pa.Array, indices: list[pa.Array]) -> pa.ChunkedArray:
    if pa.types.is_string(values.type):
        values = values.cast(pa.large_string())  # what pandas' str dtype holds
    if not indices:
        return pa.chunked_array([], values.type)
    return pa.chunked_array([values.take(ix) for ix in indices], values.type)


def column_to_pandas(col) -> pd.Series:
    """An Arrow column as the raw pandas Series the pandas parsers expect."""
    col = _chunked(col)
    if pa.types.is_dictionary(col.type):
        col = _take(*_dictionary(col))
    s = col.to_pandas(date_as_object=False)
    return s.reset_index(drop=True)


# --- personal data ------------------------------------------------------------


def _strings_personal(v: pa.Array | pa.ChunkedArray) -> bool:
    """True when a stripped string value is an ID-card or mobile number (exact scan)."""
    # after stripping, both kinds start with an ASCII 1-9 or "+": keep only values whose
    # first character is one of those or could be stripped (anything not a letter or
    # digit); usually none are left
    first = pc.utf8_slice_codeunits(v, 0, 1)
    firsts = [c for c in pc.unique(first).to_pylist() if c]
    lead = [c for c in firsts if c in "123456789+" or not c.isalnum()
            or unicodedata.normalize("NFKC", c) in "123456789+"]  # full-width １-９, ＋
    if not lead:
        return False
    if len(lead) < len(firsts):
        v = v.filter(pc.is_in(first, value_set=pa.array(lead, pa.string())))
    v = pc.utf8_trim_whitespace(v)
    n = pc.utf8_length(v)
    cand = v.filter(pc.and_(pc.greater_equal(n, _LEN_MIN), pc.less_equal(n, _LEN_MAX)))
    if len(cand) == 0:
        return False
    # RE2 and Python's re agree on ASCII text; other text is NFKC-normalised (full-width
    # digits and signs become ASCII) and goes through Python's re, as the pandas path does.
    ascii_ = pc.fill_null(pc.string_is_ascii(cand), True)
    a = cand.filter(ascii_)
    if len(a) and (pc.any(pc.match_substring_regex(a, ID_CARD_PATTERN)).as_py()
                   or pc.any(pc.match_substring_regex(a, MOBILE_PATTERN)).as_py()):
        return True
    rest = cand.filter(pc.invert(ascii_))
    norm = (unicodedata.normalize("NFKC", x).strip() for x in rest.to_pylist() if x is not None)
    return any(_ID_RE.match(x) or _MOBILE_RE.match(x) for x in norm)


def looks_personal_arrow(col) -> bool:
    """:func:`evalkit.io.privacy.looks_personal` for an Arrow column.

    Notes
    -----
    Every value is tested (no sampling): strings on their distinct values
    when dictionary-encoded (the dictionary entries that rows use), otherwise with RE2 over the values whose
    stripped length is 11-18; integers only when one reaches 10^10.
    """
    col = _chunked(col)
    t = col.type
    if col.length() == col.null_count:
        return False
    if is_stringlike(t):
        if pa.types.is_dictionary(t):
            # only the entries some row uses: a dictionary may keep values no row holds
            # (a pandas Categorical's unused categories), which are not data
            values, idx = _dictionary(col)
            used = pc.unique(pa.chunked_array(idx, idx[0].type).combine_chunks()).drop_null() if idx else []
            return len(used) > 0 and _strings_personal(values.take(used))
        return _strings_personal(col)
    if pa.types.is_integer(t):
        big = col.filter(pc.fill_null(pc.greater_equal(col, 10**10), False))
        return len(big) > 0 and _strings_personal(pc.cast(big, pa.string()))
    if pa.types.is_floating(t):
        f = col.filter(pc.fill_null(pc.greater_equal(pc.abs(col), 1e10), False))
        if len(f) == 0:
            return False
        s = column_to_pandas(f)
        from evalkit.io.privacy import looks_personal

        return looks_personal(s)
    return False  # dates, booleans: cannot hold an ID or phone number


def hash_arrow(col, key: bytes) -> pa.ChunkedArray:
    """Keyed hashes of a column's values (see :func:`evalkit.io.privacy.hash_values`)."""
    import hashlib
    import hmac

    col = _chunked(col)
    if not is_stringlike(col.type):
        from evalkit.io.privacy import hash_values

        return pa.chunked_array([pa.array(hash_values(column_to_pandas(col), key).to_numpy(
            dtype=object, na_value=None), pa.string())], pa.string())
    values, idx = _dictionary(col)
    clean = _clean_values(values).to_pylist()
    hashed = pa.array([None if u is None else
                       "h" + hmac.new(key, u.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
                       for u in clean], pa.string())
    return _take(hashed, idx)


# --- parsing --------------------------------------------------------------------


def _str_series(col: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_string(col.type):
        col = col.cast(pa.large_string())
    s = col.to_pandas()
    if s.dtype != "str":
        s = s.astype("str")
    return s.reset_index(drop=True)


def _bad(clean: pa.Array, mapped: pa.Array, indices: list[pa.Array], n: int) -> np.ndarray:
    """Rows holding a non-empty value that maps to nothing (decided on the dictionary)."""
    bad_value = pc.and_(clean.is_valid(), mapped.is_null())
    if not indices or not pc.any(bad_value).as_py():
        return np.zeros(n, dtype=bool)
    return pc.fill_null(_take(bad_value, indices), False).to_numpy(zero_copy_only=False)


def _map_words(clean: pa.Array, lut: dict[str, object], typ: pa.DataType) -> pa.Array:
    """Lower-cased clean values mapped through ``lut`` (unknown -> null)."""
    low = pc.utf8_lower(clean)
    keys = pa.array(list(lut), pa.string())
    pos = pc.index_in(low, value_set=keys)
    return pa.array(list(lut.values()), typ).take(pos)


def _parse_strings(col: pa.ChunkedArray, column: Column, n: int):
    """Text, code and bool fields from string data; None when not handled here."""
    t = column.type
    if t == "text" and not pa.types.is_dictionary(col.type):
        return _str_series(_chunked(_clean_values(col))), np.zeros(n, dtype=bool)
    if t == "text":
        values, idx = _dictionary(col)
        return _str_series(_take(_clean_values(values), idx)), np.zeros(n, dtype=bool)
    if t == "code":
        values, idx = _dictionary(col)
        clean = _clean_values(values)
        mapped = _map_words(clean, code_map(column), pa.string())
        out = _take(mapped, idx)
        return _str_series(out), _bad(clean, mapped, idx, n)
    if t == "bool":
        values, idx = _dictionary(col)
        clean = _clean_values(values)
        lut = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}
        mapped = _map_words(clean, lut, pa.bool_())
        out = _take(mapped, idx)
        valid = out.is_valid().to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
        bad = _bad(clean, mapped, idx, n)
        vals = pc.fill_null(out, False).to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
        return pd.Series(pd.arrays.BooleanArray(vals.astype(bool, copy=False), ~valid), copy=False), bad
    return None


def _parse_native(col: pa.ChunkedArray, column: Column, n: int):
    """Typed (Parquet / typed CSV) columns straight into their dtype; None when not handled."""
    typ, t = col.type, column.type
    ok = np.zeros(n, dtype=bool)
    if t == "date" and (pa.types.is_date(typ) or (pa.types.is_timestamp(typ) and typ.tz is None)):
        if pa.types.is_timestamp(typ):
            col = pc.floor_temporal(col, unit="day")
        d = pc.cast(col, pa.timestamp("s"), safe=False)
        vals = d.to_numpy(zero_copy_only=False) if n else np.zeros(0, "datetime64[s]")
        return pd.Series(vals.astype("datetime64[s]", copy=False), copy=False), ok
    if t == "int" and pa.types.is_integer(typ):
        vals = pc.fill_null(pc.cast(col, pa.int64()), 0).to_numpy(zero_copy_only=False) if n else \
            np.zeros(0, "int64")
        mask = col.is_null().to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
        arr = pd.arrays.IntegerArray(vals.astype("int64", copy=False), mask.astype(bool, copy=False))
        return pd.Series(arr, copy=False), ok
    if t == "number" and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
        f = pc.cast(col, pa.float64())
        vals = f.to_numpy(zero_copy_only=False) if n else np.zeros(0, "float64")
        return pd.Series(vals.astype("float64", copy=False), copy=False), ok
    if t == "bool" and pa.types.is_boolean(typ):
        mask = col.is_null().to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
        vals = pc.fill_null(col, False).to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
        arr = pd.arrays.BooleanArray(vals.astype(bool, copy=False), mask.astype(bool, copy=False))
        return pd.Series(arr, copy=False), ok
    return None


def parse_arrow(col, column: Column) -> tuple[pd.Series, np.ndarray]:
    """Parse one raw Arrow column into the dtype of ``column``: ``(typed, bad)``.

    Same results as :func:`evalkit.io._parse.parse_column` on the column
    converted to pandas; typed Arrow data and string dictionaries are taken
    without per-row string work, everything else goes to that function.
    """
    col = _chunked(col)
    n = col.length()
    res = None
    if is_stringlike(col.type) and column.type in ("text", "code", "bool"):
        res = _parse_strings(col, column, n)
    elif not is_stringlike(col.type) and col.type != pa.null():
        res = _parse_native(col, column, n)
    if res is None:
        s, bad = parse_column(column_to_pandas(col), column)
        return s.reset_index(drop=True), np.asarray(bad, dtype=bool)
    out, bad = res
    if column.default is not None and not column.required:
        out = out.where(out.notna() | bad, column.default).astype(out.dtype)
    return out, bad


# --- tables -----------------------------------------------------------------------


def clean_set(col) -> set:
    """The distinct stripped non-empty values of a column, as strings."""
    col = _chunked(col)
    if is_stringlike(col.type):
        values, _ = _dictionary(col)
        return {v for v in _clean_values(values).to_pylist() if v is not None}
    return set(clean_strings(column_to_pandas(col)).dropna())


def frame_to_arrow(df: pd.DataFrame) -> pa.Table:
    """A raw pandas frame (object / str cells, ``_row``) as an Arrow table."""
    cols = {}
    for c in df.columns:
        s = df[c]
        if c == "_row":
            cols[c] = pa.array(s.to_numpy(dtype="int64"), pa.int64())
        elif s.dtype == object or s.dtype == "str":
            cols[c] = pa.array(s.astype("str").to_numpy(dtype=object, na_value=None), pa.string())
        else:
            cols[c] = pa.Array.from_pandas(s)
    return pa.table(cols) if cols else pa.table({"_row": pa.array([], pa.int64())})


def drop_blank_rows(tbl: pa.Table) -> pa.Table:
    """Drop rows whose data cells are all missing (blank lines)."""
    data = [c for c in tbl.column_names if c != "_row"]
    if not data or tbl.num_rows == 0:
        return tbl
    if any(tbl.column(c).null_count == 0 for c in data):
        return tbl
    blank = None
    for c in data:
        isnull = tbl.column(c).is_null()
        blank = isnull if blank is None else pc.and_(blank, isnull)
        if not pc.any(blank).as_py():
            return tbl
    return tbl.filter(pc.invert(blank))
