"""Shared helpers of the stats modules: column checks and group codes.

Internal: the public functions take ``by=`` (a column name, a list of them or
None) and compute every group in one vectorised pass over integer group
codes produced here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, MissingColumnError, ParameterError


def as_list(x: str | Sequence[str] | None, name: str = "by") -> list[str]:
    """A column argument (None, a name, or a list of names) as a list of names.

    Examples
    --------
    >>> as_list(None), as_list("district"), as_list(("a", "b"))
    ([], ['district'], ['a', 'b'])
    """
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    try:
        out = list(x)
    except TypeError:
        out = [x]
    if not all(isinstance(c, str) for c in out):
        raise ParameterError(
            f"参数 `{name}` 必须是列名或列名列表，但传入的是 {x!r}。",
            f"The value for `{name}` must be a column name or a list of them, but {x!r} was passed.",
        )
    return out


def check_frame(data, func: str) -> None:
    """Raise ParameterError unless ``data`` is a DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            f"{func}: 参数 `data` 必须是 pandas DataFrame，但传入的是 {type(data).__name__}。",
            f"{func}: `data` must be a pandas DataFrame, but {type(data).__name__} was passed.",
        )


def check_columns(data: pd.DataFrame, columns: Sequence[str | None], func: str = "") -> None:
    """Raise MissingColumnError naming the first column of ``columns`` absent from ``data``.

    ``None`` entries (an optional role left out) are skipped.  The message lists
    the closest column names (:func:`difflib.get_close_matches`) when there are any.

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"year": [2024]}), ["year", None], "f")
    >>> check_columns(pd.DataFrame({"year": [2024]}), ["yeer"], "f")
    Traceback (most recent call last):
    ...
    evalkit.exceptions.MissingColumnError: 列 yeer：f: 数据中没有列 `yeer`（最接近的列：year）。
    column yeer: f: the data have no column `yeer` (closest: year).
    """
    for c in columns:
        if c is not None and c not in data.columns:
            close = difflib.get_close_matches(str(c), [str(x) for x in data.columns], n=3, cutoff=0.6)
            hint_zh = f"（最接近的列：{'、'.join(close)}）" if close else ""
            hint_en = f" (closest: {', '.join(close)})" if close else ""
            pre = f"{func}: " if func else ""
            raise MissingColumnError(
                f"{pre}数据中没有列 `{c}`{hint_zh}。",
                f"{pre}the data have no column `{c}`{hint_en}.",
                column=str(c),
            )


def first_row(data: pd.DataFrame, mask: np.ndarray) -> int | None:
    """Source row number (``_row``, header = row 1) of the first masked row, if the data carry it."""
    if "_row" not in data.columns or not mask.any():
        return None
    val = data["_row"].to_numpy()[np.flatnonzero(mask)[0]]
    try:
        return int(val)
    except (TypeError, ValueError):
        return None


def _shown(value) -> str:
    """A cell value as a message may show it: withheld when it could be an ID or a phone number."""
    text = str(value)
    if len(text) > 20 or sum(ch.isdigit() for ch in text) >= 7:
        return "…"
    return text


def numeric(data: pd.DataFrame, column: str, func: str = "", *, role: tuple[str, str] | None = None,
            unit: str | None = None, integer: bool = False) -> np.ndarray:
    """A column as float64 (missing -> NaN), or DataError naming the column and the first bad value.

    Numbers stored as text (a CSV column read as strings) are read as numbers;
    booleans as 0/1.  A value that is not a number (or, with ``integer``, not
    a whole number) raises :class:`~evalkit.exceptions.DataError` with the
    column, the count of such values, the first one (withheld when it could be
    an ID or phone number), its ``unit`` when given, and its source row when
    the data have ``_row``.

    Parameters
    ----------
    data, column
        The frame and the column to read.
    func
        The function's name, prefixed to the message.
    role
        What the column is, in Chinese and English (e.g. ``("权重", "weight")``).
    unit
        A column whose value is named beside the bad value (e.g. the unit id of a panel).
    integer
        Require whole numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric(pd.DataFrame({"y": ["1.5", None, "2"]}), "y")
    array([1.5, nan, 2. ])
    >>> numeric(pd.DataFrame({"y": ["1.5", "缺报"]}), "y", "f", role=("结果变量", "outcome"))
    Traceback (most recent call last):
    ...
    evalkit.exceptions.DataError: 列 y：f: 结果变量必须是数值，但有 1 个值不是（值“缺报”）。
    column y: f: the outcome must be numeric, but 1 value(s) are not (value '缺报').
    """
    s = data[column]
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Float64")
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_numeric_dtype(s.dtype):
        bad = np.zeros(len(x), bool)
    else:
        text = s.astype("string").str.strip()
        bad = np.isnan(x) & s.notna().to_numpy() & (text != "").fillna(False).to_numpy(dtype=bool)
    if integer:
        bad |= ~np.isnan(x) & (np.round(x) != x)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = _shown(s.iloc[i])
        who_zh = f"单位 {data[unit].iloc[i]}，" if unit is not None else ""
        who_en = f"unit {data[unit].iloc[i]}, " if unit is not None else ""
        what_zh, what_en = role if role is not None else (f"列 `{column}`", f"column `{column}`")
        if role is not None:
            what_en = f"the {what_en}"
        pre = f"{func}: " if func else ""
        raise DataError(
            f"{pre}{what_zh}必须是{'整数' if integer else '数值'}，但有 {int(bad.sum())} 个值不是"
            f"（{who_zh}值“{raw}”）。",
            f"{pre}{what_en} must be {'whole numbers' if integer else 'numeric'}, but {int(bad.sum())} "
            f"value(s) are not ({who_en}value '{raw}').",
            row=first_row(data, bad), column=str(column),
        )
    return x


def group_codes(data: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer code of each row's group and the table of group keys.

    Returns ``codes`` (int64, one per row, 0..G-1 in sorted key order) and
    ``keys`` (a DataFrame with the ``by`` columns, row g = group g).  With no
    ``by`` every row is in group 0 and ``keys`` has one row and no columns.
    Missing keys form their own group.
    """
    if not by:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=range(1))
    gb = data.groupby(by, sort=True, dropna=False, observed=True)
    codes = gb.ngroup().to_numpy(dtype=np.int64)
    keys = gb.size().index.to_frame(index=False)
    keys = keys.reset_index(drop=True)
    for c in by:  # keep the input dtypes of the key columns
        try:
            keys[c] = keys[c].astype(data[c].dtype)
        except (TypeError, ValueError):  # pragma: no cover - exotic dtypes
            pass
    return codes, keys


def with_keys(keys: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """The output frame: group keys followed by ``columns`` (arrays of length G)."""
    out = keys.copy()
    for name, values in columns.items():
        out[name] = values
    return out.reset_index(drop=True)
