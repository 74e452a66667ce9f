"""The Dataset: the tables of the contract as typed DataFrames.

Column dtypes after loading (the loader guarantees them, every module relies
on them):

=========  ==========================================================
contract   pandas dtype
=========  ==========================================================
text       ``str`` (pandas' string dtype); missing is NA
int        ``Int64`` (nullable)
number     ``float64``; missing is NaN
date       ``datetime64[s]`` (naive, day precision); missing is NaT
bool       ``boolean`` (nullable); the column's default fills missing
code       ``str`` holding the canonical code (``"resolved"``), NA if empty
=========  ==========================================================

Survey item columns of ``survey_responses`` are ``float64`` (answers outside
the item's scale are already NaN, counted in ``Dataset.warnings``).

Every table carries a ``_row`` column (``Int64``): the row number in its
source file, header = row 1, so validation can point at the source.  Tables
that are absent from the dataset are simply not in ``tables``.

Every contract column of a present table is in its frame, also when the
source file lacked it (then it holds the column's default, or is missing);
``Dataset.source_columns`` says which columns the source really had, so that
validation can report absent required columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from evalkit.io.validate import Problem, ValidationReport


@dataclass
class Dataset:
    """A loaded dataset.

    Attributes
    ----------
    path
        The folder (or workbook) it was read from.
    tables
        Table name -> DataFrame with canonical column names and the dtypes above.
    meta
        The contents of ``dataset.json`` (empty dict when absent).
    item_ids
        The survey item columns present in ``survey_responses`` (codebook order).
    warnings
        Problems found while loading that did not stop it (personal data
        removed, out-of-scale answers set missing, unknown columns ignored).
    sources
        Table name -> the file (and sheet) it came from, for messages.
    source_columns
        Table name -> the canonical columns the source file had.
    parse_failures
        Table name -> DataFrame ``[column, _row, value, rule]`` of cells whose
        value could not be parsed (bad date, non-number, unknown code); the
        typed cell is missing and :meth:`validate` reports the raw value.
    personal_columns
        Table name -> identifier columns whose values were personal data and
        were replaced by keyed hashes (validation never prints their values).
    files
        Table name -> :class:`evalkit.io.direct.FileTable` for a large table left
        in its canonical Parquet file (a Dataset from
        :func:`evalkit.io.direct.open_direct`); ``ds[name]`` loads it on first use.
    """

    path: Path
    tables: dict[str, "pd.DataFrame"]
    meta: dict = field(default_factory=dict)
    item_ids: list[str] = field(default_factory=list)
    warnings: list["Problem"] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    source_columns: dict[str, list[str]] = field(default_factory=dict)
    parse_failures: dict[str, "pd.DataFrame"] = field(default_factory=dict)
    personal_columns: dict[str, list[str]] = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return self.has(name)

    def __repr__(self) -> str:
        # one line: the dataclass default prints every table in full and every warning
        parts = ", ".join([f"{t}: {len(df):,}" for t, df in self.tables.items()]
                          + [f"{t}: file" for t in self.files if t not in self.tables])
        return (f"Dataset({str(self.path)!r}, rows {{{parts}}}, {len(self.warnings)} warning(s); "
                f"see .tables, .warnings, .validate())")

    def __getitem__(self, name: str) -> "pd.DataFrame":
        if name not in self.tables and name in self.files:
            self._materialise(name)
        try:
            return self.tables[name]
        except KeyError:
            from evalkit.contract import TABLES
            from evalkit.exceptions import MissingTableError

            zh = TABLES[name].zh if name in TABLES else name
            raise MissingTableError(
                f"数据集中没有表 {name}（{zh}）。",
                f"The dataset has no table {name} ({zh}).",
                table=name,
            ) from None

    def has(self, name: str) -> bool:
        return name in self.tables or name in self.files

    def _materialise(self, name: str) -> None:
        """Load a table left in its file (see ``files``) the usual way."""
        from evalkit.contract import TABLES
        from evalkit.io._load import load

        got = load(self.path, tables=[name])
        tables = {**self.tables, name: got.tables[name]}
        self.tables.clear()  # in place, in the contract's order (as load gives it)
        self.tables.update((n, tables[n]) for n in TABLES if n in tables)
        # what the load found about this table (hashed columns, parse failures, warnings)
        self.warnings.extend(w for w in got.warnings if w.table == name)
        for attr in ("parse_failures", "personal_columns"):
            part = getattr(got, attr)
            if name in part:
                getattr(self, attr)[name] = part[name]

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))

    @property
    def districts(self) -> list[str]:
        return sorted(self.tables["communities"]["district"].dropna().unique().tolist())

    def validate(self) -> "ValidationReport":
        """Check every rule of the contract; see :func:`evalkit.io.validate.validate`."""
        from evalkit.io.validate import validate

        for name in self.files:  # validation reads every row
            self[name]
        return validate(self)


def require_dataset(ds, name: str = "ds") -> "Dataset":
    """Return ``ds`` when it is a :class:`Dataset`; otherwise raise a bilingual ParameterError.

    A researcher passing the folder itself (``ek.indicators("data/sample", ...)``) is
    told to load it first instead of meeting an AttributeError from deep inside.
    """
    if isinstance(ds, Dataset):
        return ds
    from evalkit.exceptions import ParameterError

    raise ParameterError(
        f"参数 `{name}` 必须是 evalkit.load(...) 读取的数据集，但传入的是 {type(ds).__name__} {ds!r:.60}。"
        f"请先 ds = evalkit.load(路径)。",
        f"The value for `{name}` must be a dataset read by evalkit.load(...), but a "
        f"{type(ds).__name__} {ds!r:.60} was passed. Load it first: ds = evalkit.load(path).",
    )
