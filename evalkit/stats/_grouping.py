"""Shared helpers of the stats modules: column checks and group codes.

Internal: the public functions take ``by=`` (a column name, a list of them or
None) and compute every group in one vectorised pass over integer group
codes produced here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, MissingColumnError, ParameterError


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names (empty for None)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def check_frame(data, func: str) -> None:
    """Raise ParameterError unless ``data`` is a DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            f"{func}: 参数 `data` 必须是 pandas DataFrame，但传入的是 {type(data).__name__}。",
            f"{func}: `data` must be a pandas DataFrame, but {type(data).__name__} was passed.",
        )


def check_columns(data: pd.DataFrame, columns: Sequence[str], func: str) -> None:
    """Raise MissingColumnError naming the first column of ``columns`` absent from ``data``."""
    for c in columns:
        if c not in data.columns:
            raise MissingColumnError(
                f"{func}: 数据中没有列 `{c}`。",
                f"{func}: the data have no column `{c}`.",
                column=str(c),
            )


def numeric(data: pd.DataFrame, column: str, func: str) -> np.ndarray:
    """Column as float64 (missing -> NaN); DataError if it is not numeric."""
    s = data[column]
    if s.dtype == bool or str(s.dtype) == "boolean":
        s = s.astype("Float64")
    if not (pd.api.types.is_numeric_dtype(s.dtype)):
        raise DataError(
            f"{func}: 列 `{column}` 必须是数值。",
            f"{func}: column `{column}` must be numeric.",
            column=str(column),
        )
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


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
