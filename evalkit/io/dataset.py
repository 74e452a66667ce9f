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

    from evalkit.io.problems import Problem, ValidationReport


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
    headers
        Table name -> {canonical column: the header the source file has}, so that
        messages name a column as the user wrote it.
    ragged_rows
        Table name -> DataFrame ``[_row, fields, expected]`` of CSV rows whose
        number of fields differs from the header's (reported by :meth:`validate`).

    Examples
    --------
    >>> import tempfile, pathlib, evalkit
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["社区编码,社区名称,区县,街道,户数,常住人口", "C1,东风,硚口区,汉正街,1200,3000",
    ...         "C2,古田,南山区,南头街道,800,2100"]
    >>> _ = (folder / "社区名册.csv").write_text("\\n".join(rows), encoding="gb18030")
    >>> ds = evalkit.load(folder)
    >>> ds
    Dataset('...', communities: 2 rows; 0 warning(s); see .tables, .warnings, .validate())
    >>> ds.districts
    ['南山区', '硚口区']
    >>> ds.headers["communities"]["households"]
    '户数'
    >>> ds["communities"][["community_id", "households"]]
      community_id  households
    0           C1        1200
    1           C2         800
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
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ragged_rows: dict[str, "pd.DataFrame"] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return self.has(name)

    def _sizes(self) -> list[tuple[str, str]]:
        """(table, rows as text) in the contract's order; a table left in its file says so."""
        from evalkit.contract import TABLES

        out = []
        for t in TABLES:
            if t in self.tables:
                out.append((t, f"{len(self.tables[t]):,}"))
            elif t in self.files:
                out.append((t, "file"))
        return out

    def __repr__(self) -> str:
        # one line: the dataclass default prints every table in full and every warning
        parts = ", ".join(f"{t}: {n}{'' if n == 'file' else ' rows'}" for t, n in self._sizes())
        return (f"Dataset({str(self.path)!r}, {parts}; {len(self.warnings)} warning(s); "
                f"see .tables, .warnings, .validate())")

    def _repr_html_(self) -> str:
        """A notebook shows the tables with their rows and source files, then the warnings."""
        import html

        from evalkit.contract import TABLES

        esc = html.escape
        name = self.meta.get("name") if isinstance(self.meta.get("name"), str) else None
        head = f"<p><b>Dataset</b> <code>{esc(str(self.path))}</code>" + (f" — {esc(name)}" if name else "")
        head += " · <b>示例数据 synthetic</b></p>" if self.synthetic else "</p>"
        rows = "".join(f"<tr><td>{esc(t)}</td><td>{esc(TABLES[t].zh)}</td><td style='text-align:right'>{n}</td>"
                       f"<td>{esc(str(self.sources.get(t, '')))}</td></tr>" for t, n in self._sizes())
        table = ("<table><thead><tr><th>table</th><th>表</th><th>rows 行数</th><th>file 文件</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
        warn = ""
        if self.warnings:
            items = "".join(f"<li>{esc(w.text('zh'))}</li>" for w in self.warnings[:10])
            more = f"<li>… {len(self.warnings) - 10} more</li>" if len(self.warnings) > 10 else ""
            warn = f"<p>{len(self.warnings)} 条警告 warning(s):</p><ul>{items}{more}</ul>"
        return head + table + warn

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
        """True when the dataset has table ``name`` (loaded, or left in its file).

        Examples
        --------
        >>> import pathlib
        >>> ds = Dataset(pathlib.Path("."), {"communities": None})
        >>> ds.has("communities"), "disputes" in ds
        (True, False)
        """
        return name in self.tables or name in self.files

    def _materialise(self, name: str) -> None:
        """Load a table left in its file (see ``files``) the usual way."""
        from evalkit.contract import TABLES

        got = self.files[name].load(self.path)  # a Dataset of that table (and the register)
        tables = {**self.tables, name: got.tables[name]}
        self.tables.clear()  # in place, in the contract's order (as load gives it)
        self.tables.update((n, tables[n]) for n in TABLES if n in tables)
        # what the load found about this table (hashed columns, parse failures, warnings)
        self.warnings.extend(w for w in got.warnings if w.table == name)
        for attr in ("parse_failures", "personal_columns", "headers", "ragged_rows"):
            part = getattr(got, attr)
            if name in part:
                getattr(self, attr)[name] = part[name]

    @property
    def synthetic(self) -> bool:
        """True when dataset.json marks the data as synthetic."""
        return bool(self.meta.get("synthetic", False))

    @property
    def districts(self) -> list[str]:
        """The districts of the community register, sorted."""
        return sorted(self.tables["communities"]["district"].dropna().unique().tolist())

    def validate(self, *, indicators=None) -> "ValidationReport":
        """Check every rule of the contract; see :func:`evalkit.io.validate.validate`.

        ``indicators``: the catalog's indicator ids, to check the targets table
        against (``evalkit validate`` passes them).

        Examples
        --------
        >>> import tempfile, pathlib, evalkit
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "communities.csv").write_text(
        ...     "社区编码,社区名称,区县,街道,户数,常住人口\\nC1,东风,硚口区,汉正街,很多,3000\\n", encoding="utf-8")
        >>> report = evalkit.load(folder).validate()
        >>> report.ok
        False
        >>> print(report.errors[0].text("zh"))
        [错误] 表 communities（社区名册，communities.csv），第 2 行，列 户数：值“很多”：应为整数（type.int）
        """
        from evalkit.io.validate import validate

        for name in self.files:  # validation reads every row
            self[name]
        return validate(self, indicators=indicators)


def require_dataset(ds, name: str = "ds") -> "Dataset":
    """Return ``ds`` when it is a :class:`Dataset`; otherwise raise a bilingual ParameterError.

    A researcher passing the folder itself (``ek.indicators("data/sample", ...)``) is
    told to load it first instead of meeting an AttributeError from deep inside.

    Examples
    --------
    >>> require_dataset("data/sample")
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `ds` 必须是 evalkit.load(...) 读取的数据集，但传入的是 str 'data/sample'。请先 ds = evalkit.load(路径)。
    The value for `ds` must be a dataset read by evalkit.load(...), but a str 'data/sample' was passed. Load it first: ds = evalkit.load(path).
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
