"""Loading a dataset folder into a typed :class:`~evalkit.io.dataset.Dataset`.

    ds = evalkit.load("data/sample")
    ds = evalkit.load("data/province", districts=["硚口区"])
    report = ds.validate()

(Exported as ``evalkit.io.load`` and ``evalkit.load``.)
The loader finds each table's file (CSV in any of the usual Chinese
encodings, Excel, Parquet, or one ``dataset.xlsx`` with a sheet per table),
skips title rows, maps Chinese headers and code labels to the canonical
ones, removes or hashes personal data, and parses every column into the
dtype :mod:`evalkit.io.dataset` documents.  Bad values never stop it: they
become missing and are kept in ``Dataset.parse_failures`` for
:func:`~evalkit.io.validate.validate` to report.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.contract import TABLES, Table, header_map, normalise_header
from evalkit.exceptions import MissingTableError, ParameterError, ReadError
from evalkit.io import privacy
from evalkit.io._arrow import (clean_set, column_to_pandas, frame_to_arrow, hash_arrow, is_stringlike,
                               looks_personal_arrow, parse_arrow)
from evalkit.io._parse import clean_strings, empty_column
from evalkit.io.dataset import Dataset
from evalkit.io.problems import Problem
from evalkit.io.read import Source, find_sources, parquet_columns, read_csv_arrow, read_excel_raw, \
    read_parquet_arrow

__all__ = ["load", "read_meta"]

def _order() -> tuple[str, ...]:
    """Tables in the order they are read: the survey codebook first (it names the item
    columns of survey_responses), then the contract's order (a table's district filter
    depends on those before it: communities, then volunteers before their hours)."""
    return ("survey_items", *(t for t in TABLES if t != "survey_items"))


def load(path, *, districts=None, tables=None) -> Dataset:
    """Load a dataset folder.

    Parameters
    ----------
    path : str or Path
        The dataset folder (or a workbook with one sheet per table).
    districts : list of str, optional
        Read only what these districts need: their communities and the rows
        of every table that belong to those communities (volunteer hours
        through their volunteers).  Parquet files are filtered while reading.
    tables : iterable of str, optional
        Read only these tables (canonical names); ``communities`` is always
        read, ``survey_items`` with ``survey_responses`` (its codebook) and,
        with ``districts``, ``volunteers`` with ``volunteer_hours`` (the
        filter goes through them).  Default: every table present.  Use
        :func:`evalkit.families.tables_needed` to get the tables some
        indicators need.  Tables not read are absent from the Dataset (so
        validate a dataset loaded whole; personal data is guarded in the
        tables read).

    Returns
    -------
    Dataset
        Typed tables, ``meta`` from ``dataset.json``, survey ``item_ids``,
        load ``warnings`` and the ``parse_failures`` validation reports.

    Raises
    ------
    ReadError
        A file cannot be read at all (missing folder, corrupt workbook,
        unknown encoding, no header row in the first rows).
    ParameterError
        An unknown table name in ``tables``, or no district of ``districts``
        in the data.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "社区名册.csv").write_text(
    ...     "2024年社区名册\\n社区编码,社区名称,区县,街道,户数,常住人口,是否试点\\n"
    ...     "C1,东风,硚口区,汉正街,1200,3000,是\\nC2,古田,南山区,南头街道,800,2100,否\\n", encoding="gbk")
    >>> ds = load(folder)
    >>> ds["communities"][["community_id", "households", "pilot", "_row"]]
      community_id  households  pilot  _row
    0           C1        1200   True     3
    1           C2         800  False     4
    >>> load(folder, districts=["南山区"])["communities"]["community_id"].tolist()
    ['C2']

    Notes
    -----
    Files are read with pyarrow (Parquet: only the contract's columns, text
    columns dictionary-encoded; CSV: numbers and ISO dates converted by the
    reader).  Typed columns become their dtype directly; text and code
    columns are cleaned, mapped and checked for personal data on their
    distinct values.  Values the fast paths do not take go to the general
    parsers, which work on distinct values too, so results do not depend on
    the path.

    References
    ----------
    The dataset contract, ``docs/DATA.md``.
    """
    folder = Path(path)
    if not folder.exists():
        raise ReadError(f"找不到数据集：{folder}", f"Dataset not found: {folder}")
    meta = read_meta(folder)
    sources, ignored = find_sources(folder)
    warnings: list[Problem] = []
    for name in ignored:
        warnings.append(Problem("warning", None, None, None, name, "file.ignored",
                                "文件（或工作表）名不对应任何表，已忽略。",
                                "The file (or sheet) name matches no table; ignored."))
    if tables is not None:
        wanted = {str(t) for t in ([tables] if isinstance(tables, str) else tables)}
        for t in sorted(wanted):
            if t not in TABLES:
                from evalkit.exceptions import check_choice

                check_choice("tables", t, list(TABLES))
        wanted.add("communities")
        if "survey_responses" in wanted:
            wanted.add("survey_items")
        if districts is not None and "volunteer_hours" in wanted:
            wanted.add("volunteers")
        sources = {k: v for k, v in sources.items() if k in wanted}
    if districts is not None:
        districts = [str(d).strip() for d in ([districts] if isinstance(districts, str) else districts)]
        if "communities" not in sources:
            raise MissingTableError("按区读取需要社区名册 communities。",
                                    "Reading by district needs the communities table.", table="communities")

    loader = _Loader(meta, warnings, {n: str(s) for n, s in sources.items()})
    raw: dict[str, pa.Table] = {}
    keep_ids: dict[str, set] = {}
    item_ids: list[str] = []
    typed: dict[str, pd.DataFrame] = {}

    for name in _order():
        if name not in sources:
            continue
        src = sources[name]
        extra = tuple(item_ids) if name == "survey_responses" else ()
        flt = None
        if districts is not None:
            if name == "communities":
                flt = ("district", districts)
            elif name == "volunteer_hours" and "volunteers" in keep_ids:
                flt = ("volunteer_id", keep_ids["volunteers"])
            elif "community_id" in TABLES[name].column_names and name != "volunteer_hours":
                flt = ("community_id", keep_ids.get("communities", set()))
        frame = loader.read(src, extra, flt)
        if districts is not None and name == "communities":
            found = clean_set(frame.column("district")) if "district" in frame.column_names else set()
            unknown = [d for d in districts if d not in found]
            if unknown and not found:
                raise ParameterError(f"数据中没有这些区县：{unknown}。",
                                     f"These districts are not in the data: {unknown}.")
            for d in unknown:
                warnings.append(Problem("warning", "communities", None, "district", d, "district.unknown",
                                        "数据中没有这个区县。", "This district is not in the data."))
        if districts is not None and name in ("communities", "volunteers"):
            idc = "community_id" if name == "communities" else "volunteer_id"
            keep_ids[name] = clean_set(frame.column(idc)) if idc in frame.column_names else set()
        raw[name] = frame
        if name == "survey_items":
            # the codebook is needed to read survey_responses' item columns
            frame = raw[name] = loader.guard({name: frame})[name]
            typed[name] = loader.parse(TABLES[name], frame)
            item_ids = typed[name]["item_id"].dropna().drop_duplicates().tolist()

    raw.update(loader.guard({k: v for k, v in raw.items() if k != "survey_items"}))
    for name in list(raw):
        frame = raw.pop(name)  # the raw table is dropped once parsed (lower peak memory)
        if name == "survey_items":
            continue
        typed[name] = loader.parse(TABLES[name], frame)
        if name == "survey_responses":
            typed[name], present = loader.items(frame, typed[name], typed.get("survey_items"))
            item_ids = present
        del frame

    ds = Dataset(
        path=folder,
        tables={n: typed[n] for n in TABLES if n in typed},
        meta=meta,
        item_ids=item_ids if "survey_responses" in typed else [],
        warnings=warnings,
        sources={n: str(sources[n]) for n in typed},
        source_columns=loader.source_columns,
        parse_failures=loader.failures,
        personal_columns={k: sorted(v) for k, v in loader.hashed.items() if v},
        headers={n: h for n, h in loader.headers.items() if n in typed},
        ragged_rows={n: r for n, r in loader.ragged.items() if n in typed},
    )
    return ds


def read_meta(path: str | Path) -> dict:
    """The dataset's ``dataset.json`` (source, as-of date, synthetic mark), or ``{}`` when there is none.

    The one reader of that file: UTF-8 with or without a byte-order mark (Windows
    Notepad writes one).  A file that is there but is not a JSON object is an error,
    never an empty dict.

    Parameters
    ----------
    path
        The dataset folder, or any file in it.

    Returns
    -------
    dict
        The JSON object; ``{}`` when the folder has no ``dataset.json``.

    Raises
    ------
    ReadError
        The file is not valid UTF-8 JSON or does not hold an object.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> read_meta(folder)
    {}
    >>> _ = (folder / "dataset.json").write_bytes('\ufeff{"synthetic": true}'.encode("utf-8"))
    >>> read_meta(folder)
    {'synthetic': True}
    """
    folder = Path(path)
    p = folder / "dataset.json" if folder.is_dir() else folder.with_name("dataset.json")
    if not p.is_file():
        return {}
    try:
        meta = json.loads(p.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ReadError(f"dataset.json 不是有效的 JSON（{type(err).__name__}）。",
                        f"dataset.json is not valid JSON ({type(err).__name__}).") from None
    if not isinstance(meta, dict):
        raise ReadError("dataset.json 应为一个 JSON 对象。", "dataset.json must hold a JSON object.")
    return meta


class _Loader:
    """State of one load: the HMAC key, warnings and per-table bookkeeping."""

    def __init__(self, meta: dict, warnings: list[Problem], sources: dict[str, str]):
        self.key = privacy.make_key(meta)
        self.warnings = warnings
        self.sources = sources
        self.source_columns: dict[str, list[str]] = {}
        self.failures: dict[str, pd.DataFrame] = {}
        self.hashed: dict[str, set[str]] = {}
        self.items_raw: dict[str, str] = {}
        self.hashed_all: set[str] = set()
        #: table -> {canonical column: header as written}
        self.headers: dict[str, dict[str, str]] = {}
        #: table -> rows whose number of fields differs from the header's
        self.ragged: dict[str, pd.DataFrame] = {}

    def warn(self, table, column, rule, zh, en, value=None, count=1):
        header = self.headers.get(table, {}).get(column) if column else None
        self.warnings.append(Problem("warning", table, None, column, value, rule, zh, en, count,
                                     header=header, source=self.sources.get(table)))

    # -- headers ----------------------------------------------------------
    def _plan(self, table: Table, headers: list[str], extra: tuple[str, ...]):
        """Decide, per source header, its canonical name (or drop it)."""
        hmap = header_map(table)
        items = {normalise_header(i): i for i in extra}
        rename: dict[str, str] = {}
        personal, unknown, dup = [], [], []
        for h in headers:
            if h == "_row":
                continue
            if privacy.is_personal_header(h):
                personal.append(h)
                continue
            key = normalise_header(h)
            target = hmap.get(key) or items.get(key)
            if target is None:
                if not h.startswith("_blank"):
                    unknown.append(h)
                continue
            if target in rename.values():
                dup.append(h)
                continue
            rename[h] = target
        name = table.name
        self.headers[name] = {c: str(h).strip() for h, c in rename.items()}
        if personal:
            self.warn(name, None, "personal.header",
                      f"已删除个人信息列：{'、'.join(personal)}（个人信息不会被读取或输出）。",
                      f"Personal-data columns removed: {', '.join(personal)} "
                      "(personal data is never read or shown).", count=len(personal))
        if unknown:
            self.warn(name, None, "column.unknown",
                      f"已忽略未知列：{'、'.join(unknown)}。", f"Unknown columns ignored: {', '.join(unknown)}.",
                      count=len(unknown))
        if dup:
            self.warn(name, None, "column.duplicate",
                      f"以下列与前面的列对应同一字段，已忽略：{'、'.join(dup)}。",
                      f"These columns map to a field already read and were ignored: {', '.join(dup)}.",
                      count=len(dup))
        return rename

    def read(self, src: Source, extra: tuple[str, ...], flt) -> pa.Table:
        """Read one table's raw Arrow table with canonical headers (unparsed) and ``_row``."""
        table = TABLES[src.table]
        lower = src.path.name.lower()
        if lower.endswith(".parquet"):
            headers = parquet_columns(src.path)
            rename = self._plan(table, headers, extra)
            fcol = None
            if flt is not None:
                inv = {v: k for k, v in rename.items()}
                fcol = inv.get(flt[0])
            tbl = read_parquet_arrow(src, list(rename), fcol, flt[1] if fcol else None,
                                     dictionary=self._dictionary_columns(src, table, rename))
            tbl = tbl.rename_columns([rename.get(c, c) for c in tbl.column_names])
            if flt is not None and fcol is None:
                tbl = tbl.slice(0, 0)
        else:
            if lower.endswith(".csv"):
                tbl, rename, ragged = read_csv_arrow(src, extra, lambda names: self._plan(table, names, extra),
                                                     lambda name: _csv_type(table, name, extra))
                if ragged is not None:
                    self.ragged[table.name] = ragged
            else:
                df = read_excel_raw(src, extra)
                rename = self._plan(table, list(df.columns), extra)
                tbl = frame_to_arrow(df[list(rename) + ["_row"]].rename(columns=rename))
            if flt is not None:
                col, values = flt
                if col in tbl.column_names:
                    key = pa.array(_clean_isin(tbl.column(col), values), pa.bool_())
                    tbl = tbl.filter(key)
                else:
                    tbl = tbl.slice(0, 0)
        self.source_columns[table.name] = [c for c in table.column_names if c in tbl.column_names]
        self.items_raw[table.name] = ",".join(c for c in tbl.column_names if c in extra)
        return tbl

    @staticmethod
    def _dictionary_columns(src: Source, table: Table, rename: dict[str, str]) -> list[str]:
        """Source columns to read dictionary-encoded: text and codes, except a one-column key."""
        import pyarrow.parquet as pq

        schema = pq.read_schema(src.path)
        out = []
        for h, name in rename.items():
            if name not in table.column_names or table.key == (name,):
                continue
            t = schema.field(h).type
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                out.append(h)
        return out

    # -- personal data ----------------------------------------------------
    def guard(self, raw: dict[str, pa.Table]) -> dict[str, pa.Table]:
        """Drop or hash columns whose values are ID-card or mobile numbers."""
        raw = dict(raw)
        hash_cols: set[str] = set()
        drops: dict[str, list[str]] = {}
        for name, tbl in raw.items():
            for c in tbl.column_names:
                if c == "_row":
                    continue
                if looks_personal_arrow(tbl.column(c)):
                    if c in privacy.ID_COLUMNS:
                        hash_cols.add(c)
                    else:
                        drops.setdefault(name, []).append(c)
        # an identifier hashed in one table is hashed in every table, so links hold
        for c in sorted(self.hashed_all | hash_cols):
            for name, tbl in raw.items():
                if c in tbl.column_names:
                    i = tbl.column_names.index(c)
                    raw[name] = tbl.set_column(i, c, hash_arrow(tbl.column(c), self.key))
                    self.hashed.setdefault(name, set()).add(c)
        self.hashed_all |= hash_cols
        for name, tbl in raw.items():
            if self.hashed.get(name) and set(self.hashed[name]) & set(tbl.column_names):
                cols = sorted(set(self.hashed[name]) & set(tbl.column_names))
                self.warn(name, None, "personal.hashed",
                          f"列 {'、'.join(cols)} 含有身份证号或手机号，已替换为加密散列值（记录仍可关联）。",
                          f"Column(s) {', '.join(cols)} held ID-card or mobile numbers and were replaced "
                          "by keyed hashes (records still link).", count=len(cols))
            if name in drops:
                raw[name] = tbl.drop_columns(drops[name])
                self.source_columns[name] = [c for c in self.source_columns.get(name, [])
                                             if c not in drops[name]]
                self.warn(name, None, "personal.values",
                          f"列 {'、'.join(drops[name])} 含有身份证号或手机号，视为个人信息，已删除。",
                          f"Column(s) {', '.join(drops[name])} held ID-card or mobile numbers; "
                          "treated as personal data and removed.", count=len(drops[name]))
        return raw

    # -- parsing ----------------------------------------------------------
    def parse(self, table: Table, raw: pa.Table) -> pd.DataFrame:
        n = raw.num_rows
        rows = raw.column("_row").to_numpy() if n else np.zeros(0, dtype="int64")
        out: dict[str, pd.Series] = {}
        fails = []
        for c in table.columns:
            if c.name in raw.column_names:
                col = raw.column(c.name)
                s, bad = parse_arrow(col, c)
                if bad.any():
                    rule = {"int": "type.int", "number": "type.number", "date": "type.date",
                            "bool": "type.bool", "code": "code.unknown"}[c.type]
                    fails.append(pd.DataFrame({
                        "column": c.name, "_row": rows[bad].astype("int64"),
                        "value": clean_strings(column_to_pandas(col.filter(pa.array(bad)))).to_numpy(),
                        "rule": rule}))
                out[c.name] = s
            else:
                out[c.name] = empty_column(c, n)
        out["_row"] = pd.Series(pd.arrays.IntegerArray(rows.astype("int64", copy=False), np.zeros(n, dtype=bool)),
                                copy=False)
        if fails:
            self.failures[table.name] = pd.concat(fails, ignore_index=True)
        df = pd.DataFrame(out, copy=False)
        for c in table.columns:  # an empty frame may lose dtypes
            if df[c.name].dtype != out[c.name].dtype:
                df[c.name] = df[c.name].astype(out[c.name].dtype)
        return df

    def items(self, raw: pa.Table, typed: pd.DataFrame, items: pd.DataFrame | None):
        """Add survey item columns (float64; out-of-scale answers -> NaN, counted)."""
        if items is None or not len(items):
            return typed, []
        raw = pd.DataFrame({c: column_to_pandas(raw.column(c)) for c in raw.column_names
                            if c in set(items["item_id"].dropna())})
        present = []
        new = {}
        outside = []  # (item, count, scale, answers outside it) for one grouped warning per scale
        for _, it in items.dropna(subset=["item_id"]).drop_duplicates("item_id").iterrows():
            i = it["item_id"]
            if i not in raw.columns:
                continue
            present.append(i)
            s = raw[i]
            if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
                v = s.astype("float64")
                nonnum = pd.Series(False, index=s.index)
            else:
                txt = clean_strings(s)
                v = pd.to_numeric(txt, errors="coerce").astype("float64")
                nonnum = txt.notna() & v.isna()
            lo = float(it["scale_min"]) if pd.notna(it["scale_min"]) else -np.inf
            hi = float(it["scale_max"]) if pd.notna(it["scale_max"]) else np.inf
            out = (v.notna() & ((v < lo) | (v > hi))) | nonnum
            n_out = int(out.sum())
            if n_out:
                hide = i in self.hashed.get("survey_responses", set())
                outside.append((i, n_out, (lo, hi), None if hide else clean_strings(s[out.to_numpy()])))
                v = v.where(~out)
            new[i] = v.reset_index(drop=True)
        self._warn_scale(outside)
        if new:
            typed = pd.concat([typed.drop(columns="_row"), pd.DataFrame(new), typed[["_row"]]], axis=1)
        return typed, present

    def _warn_scale(self, outside) -> None:
        """One warning per answer scale, naming the items and their counts (a survey with 14
        items coded 9 = 不清楚 gives one line, not 14).  Answers are shown unless an item
        column held personal data."""
        scales: dict[tuple, list] = {}
        for i, n, scale, answers in outside:
            scales.setdefault(scale, []).append((i, n, answers))
        for (lo, hi), group in scales.items():
            total = sum(n for _, n, _ in group)
            hidden = any(a is None for _, _, a in group)
            shown = (pd.concat([a for _, _, a in group]).value_counts().head(5) if not hidden
                     else pd.Series(dtype="int64"))
            ex_zh = "" if hidden else "（" + "；".join(f"答案 {k} 共 {int(c)} 个" for k, c in shown.items()) + "）"
            ex_en = "" if hidden else " (" + "; ".join(f"answer {k}: {int(c)}" for k, c in shown.items()) + ")"
            if len(group) == 1:
                i = group[0][0]
                self.warn("survey_responses", i, "survey.answer_scale",
                          f"题目 {i} 有 {total} 个答案不在量表 [{lo:g}, {hi:g}] 内{ex_zh}，已作为缺失处理。",
                          f"Item {i}: {total} answer(s) outside the scale [{lo:g}, {hi:g}]{ex_en} set to missing.",
                          count=total)
                continue
            per_zh = "、".join(f"{i} {n} 个" for i, n, _ in group)
            per_en = ", ".join(f"{i} {n}" for i, n, _ in group)
            self.warn("survey_responses", None, "survey.answer_scale",
                      f"{len(group)} 道题共 {total} 个答案不在量表 [{lo:g}, {hi:g}] 内{ex_zh}，已作为缺失处理："
                      f"{per_zh}。",
                      f"{len(group)} items: {total} answer(s) outside the scale [{lo:g}, {hi:g}]{ex_en} set to "
                      f"missing: {per_en}.", count=total)


def _csv_type(table: Table, name: str, extra: tuple[str, ...]):
    """The Arrow type a CSV column is read as (None: text)."""
    if name in extra:
        return pa.float64()
    if name not in table.column_names:
        return None
    t = table.column(name).type
    if t == "int":
        return pa.int64()
    if t == "number":
        return pa.float64()
    if t == "date":
        return pa.date32()
    if t in ("code", "bool"):  # few distinct values (text ids would make dictionaries costly)
        return pa.dictionary(pa.int32(), pa.string())
    return None


def _clean_isin(col, values) -> np.ndarray:
    """Rows whose stripped value is one of ``values`` (the district / id filter)."""
    if is_stringlike(col.type):
        col = col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col
        hit = pc.is_in(pc.utf8_trim_whitespace(col), value_set=pa.array(sorted(map(str, values)), pa.string()))
        return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return clean_strings(column_to_pandas(col)).isin(list(values)).to_numpy(dtype=bool, na_value=False)
