"""Validation: check a loaded Dataset against every rule of the contract.

Every check is vectorised over a whole table.  Each rule lists at most
:data:`MAX_LISTED` rows per table and column; the rest are summarised in one
more problem whose ``count`` holds how many rows it stands for, so counts
stay exact (:attr:`ValidationReport.n_errors`).

Rule ids
--------
``table.missing``, ``table.orphan``, ``column.missing``, ``value.required``,
``type.int``, ``type.number``, ``type.date``, ``type.bool``, ``code.unknown``,
``range``, ``key.duplicate``, ``fk.missing``, ``date.order``,
``disputes.resolved_on``, ``communities.pilot_start``, ``items.overall``,
``items.column``, ``items.scale``, ``survey.answer_scale``,
``survey.fpc_missing``, ``survey.fpc_stratum``, ``targets.indicator``; load-time warnings: ``personal.header``,
``personal.values``, ``personal.hashed``, ``column.unknown``,
``column.duplicate``, ``file.ignored``, ``items.unknown``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.contract import TABLES, Column, Table
from evalkit.exceptions import check_choice

#: At most this many rows are listed per (rule, table, column).
MAX_LISTED = 20

Severity = Literal["error", "warning"]

__all__ = ["Problem", "ValidationReport", "validate", "split_by_district", "MAX_LISTED"]


@dataclass(frozen=True)
class Problem:
    """One problem found in a dataset.

    Attributes
    ----------
    severity
        ``"error"`` (the dataset breaks the contract) or ``"warning"``.
    table, row, column
        Where: the table, the row number in the source file (header = row 1;
        title rows above the header are counted) and the canonical column.
        Any may be None (a whole-table or summary problem).
    value
        The offending raw value, or None -- always None when the column holds
        personal data.
    rule
        The rule id (see the module docstring).
    message_zh, message_en
        What is wrong and what was expected.
    count
        How many rows this problem stands for (1 for a listed row; more for
        a summary line or a counted warning).
    """

    severity: Severity
    table: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message_zh: str
    message_en: str
    count: int = 1

    def text(self, lang: str = "both") -> str:
        """One line (two for ``both``) describing the problem."""
        zh_loc, en_loc = [], []
        if self.table:
            tzh = TABLES[self.table].zh if self.table in TABLES else self.table
            zh_loc.append(f"表 {self.table}（{tzh}）")
            en_loc.append(f"table {self.table}")
        if self.row is not None:
            zh_loc.append(f"第 {self.row} 行")
            en_loc.append(f"row {self.row}")
        if self.column:
            zh_loc.append(f"列 {self.column}")
            en_loc.append(f"column {self.column}")
        val_zh = f"值“{self.value}”：" if self.value is not None else ""
        val_en = f"value {self.value!r}: " if self.value is not None else ""
        tag_zh = "错误" if self.severity == "error" else "警告"
        zh = f"[{tag_zh}] {'，'.join(zh_loc)}{'：' if zh_loc else ''}{val_zh}{self.message_zh}（{self.rule}）"
        en = f"[{self.severity}] {', '.join(en_loc)}{': ' if en_loc else ''}{val_en}{self.message_en} ({self.rule})"
        if lang == "zh":
            return zh
        if lang == "en":
            return en
        return f"{zh}\n  {en}"


@dataclass
class ValidationReport:
    """Every problem of a dataset, errors first.

    ``ok`` is True when there is no error (warnings allowed).
    """

    problems: list[Problem]
    #: Every error as found, before the per-rule cap: ``("rows", _RowGroup)`` with *all*
    #: offending rows, or ``("one", Problem)`` for a table-level problem.  Not printed;
    #: used by :func:`split_by_district`.
    entries: list = field(default_factory=list, repr=False, compare=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def n_errors(self) -> int:
        """Exact number of erroneous rows/cells (summary lines included)."""
        return int(sum(p.count for p in self.errors))

    @property
    def n_warnings(self) -> int:
        return int(sum(p.count for p in self.warnings))

    def to_frame(self) -> pd.DataFrame:
        """The problems as a DataFrame, one row per problem."""
        cols = ["severity", "table", "row", "column", "value", "rule", "message_zh", "message_en", "count"]
        df = pd.DataFrame([asdict(p) for p in self.problems], columns=cols)
        df["row"] = df["row"].astype("Int64")
        df["count"] = df["count"].astype("int64")
        return df

    def to_text(self, lang: str = "both") -> str:
        """A readable report in Chinese (``zh``), English (``en``) or both."""
        check_choice("lang", lang, ["zh", "en", "both"])
        ne, nw = len(self.errors), len(self.warnings)
        zh = (f"校验结果：{ne} 条错误，{nw} 条警告。" if self.problems else "校验通过：没有发现问题。")
        en = (f"Validation: {ne} error(s), {nw} warning(s)." if self.problems
              else "Validation passed: no problems found.")
        if ne == 0 and self.problems:
            zh += "数据可以使用。"
            en += " The data can be used."
        head = {"zh": [zh], "en": [en], "both": [zh, en]}[lang]
        return "\n".join(head + [p.text(lang) for p in self.problems])

    def __str__(self) -> str:  # noqa: D105
        return self.to_text("both")


# --- helpers ----------------------------------------------------------------


def _rows(df: pd.DataFrame, mask) -> np.ndarray:
    return df.loc[np.asarray(mask, dtype=bool), "_row"].to_numpy()


def _fmt(v) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp) or isinstance(v, np.datetime64):
        return str(pd.Timestamp(v).date())
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class _RowGroup:
    """All rows of one (rule, table, column) finding, uncapped (values None when hidden)."""

    severity: Severity
    table: str
    column: str | None
    rule: str
    zh: str
    en: str
    rows: np.ndarray
    values: np.ndarray | None


class _Collector:
    """Collect problems with a per-(rule, table, column) cap on listed rows.

    ``entries`` keeps every error uncapped (see :attr:`ValidationReport.entries`).
    """

    def __init__(self, personal: dict[str, list[str]]):
        self.problems: list[Problem] = []
        self.personal = personal
        self.entries: list = []

    def rows(self, severity, table, column, rule, zh, en, rows, values=None):
        rows = np.asarray(rows)
        n = len(rows)
        if n == 0:
            return
        hide = column in self.personal.get(table, ())
        order = np.argsort(rows, kind="stable")
        if severity == "error":
            vals = None if (values is None or hide) else np.asarray(values, dtype=object)[order]
            self.entries.append(("rows", _RowGroup(severity, table, column, rule, zh, en, rows[order], vals)))
        for i in order[:MAX_LISTED]:
            v = None if (values is None or hide) else _fmt(values[i])
            self.problems.append(Problem(severity, table, int(rows[i]), column, v, rule, zh, en))
        if n > MAX_LISTED:
            rest = n - MAX_LISTED
            self.problems.append(Problem(
                severity, table, None, column, None, rule,
                f"……另有 {rest} 行同样问题（共 {n} 行）：{zh}",
                f"... and {rest} more row(s) with the same problem ({n} in all): {en}", count=rest))

    def one(self, severity, table, column, rule, zh, en, value=None, count=1):
        p = Problem(severity, table, None, column, value, rule, zh, en, count)
        self.problems.append(p)
        if severity == "error":
            self.entries.append(("one", p))


def _range_text(col: Column) -> tuple[str, str]:
    lo, hi = col.minimum, col.maximum
    f = lambda x: str(int(x)) if float(x).is_integer() else str(x)  # noqa: E731
    if lo is not None and hi is not None:
        if col.exclusive_min:
            return f"应大于 {f(lo)} 且不超过 {f(hi)}", f"expected > {f(lo)} and <= {f(hi)}"
        return f"应在 {f(lo)} 到 {f(hi)} 之间", f"expected between {f(lo)} and {f(hi)}"
    if lo is not None:
        if col.exclusive_min:
            return f"应大于 {f(lo)}", f"expected > {f(lo)}"
        return f"应不小于 {f(lo)}", f"expected >= {f(lo)}"
    return f"应不超过 {f(hi)}", f"expected <= {f(hi)}"


_TYPE_TEXT = {
    "type.int": ("应为整数", "expected an integer"),
    "type.number": ("应为数字", "expected a number"),
    "type.date": ("应为日期（YYYY-MM-DD、YYYY/MM/DD 或 YYYY年M月D日）",
                  "expected a date (YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
    "type.bool": ("应为是/否（是/否、true/false、1/0、Y/N）", "expected a boolean (是/否, true/false, 1/0, Y/N)"),
}


def _code_text(col: Column) -> tuple[str, str]:
    zh = "、".join(f"{labels[0]}({code})" for code, labels in col.codes.items())
    en = ", ".join(col.codes)
    return f"应为以下代码之一：{zh}", f"expected one of the codes: {en}"


def _known_indicators() -> set[str]:
    from evalkit.families.catalog import ids

    return set(ids())


# --- the checks -------------------------------------------------------------


def validate(ds) -> ValidationReport:
    """Check a dataset against every rule of the data contract.

    Parameters
    ----------
    ds : evalkit.io.dataset.Dataset
        A loaded dataset (:func:`evalkit.load`).

    Returns
    -------
    ValidationReport
        Every problem at once: load-time warnings (personal data removed,
        unknown columns, out-of-scale answers), unparseable values, missing
        required columns and values, ranges, codes, unique keys, foreign
        keys, date order and the cross-column rules.

    Notes
    -----
    Checks run on whole columns (boolean masks), so a table of millions of
    rows is checked in one pass per rule.  Per rule, table and column at
    most :data:`MAX_LISTED` rows are listed; a summary line carries the
    exact count of the rest.

    References
    ----------
    The dataset contract, ``docs/DATA.md``.
    """
    col = _Collector(ds.personal_columns)
    tables = ds.tables

    if "communities" not in tables:
        col.one("error", "communities", None, "table.missing",
                "缺少必需的表 communities（社区名册）。",
                "The required table communities (community register) is missing.")

    for name, df in tables.items():
        table = TABLES[name]
        _check_table(col, ds, table, df)

    _check_foreign_keys(col, ds)
    _check_cross(col, ds)

    warnings = list(ds.warnings)
    problems = [p for p in col.problems if p.severity == "error"] + \
               [p for p in col.problems if p.severity == "warning"] + warnings
    problems.sort(key=lambda p: 0 if p.severity == "error" else 1)
    return ValidationReport(problems, entries=col.entries)


def refuse_invalid(ds) -> None:
    """Raise ValidationError, listing the errors (not the warnings), when ``ds`` breaks the
    contract: what the CLI commands do before computing anything (unless ``--no-validate``)."""
    from evalkit.exceptions import ValidationError

    report = ds.validate()
    if not report.ok:
        raise ValidationError(ValidationReport(report.errors))


def _check_fpc(col: _Collector, r: pd.DataFrame, unreadable: np.ndarray) -> None:
    """The design's finite population correction: within a wave, every respondent has an
    fpc once any has (the estimator needs one for each), and it is the same within a stratum
    (the rows differing from their stratum's most common value are listed)."""
    f = r["fpc"].astype("float64")
    wave = r["wave"].astype("float64")
    has_f = f.notna()
    some = has_f.groupby(wave, dropna=False).transform("any").to_numpy(dtype=bool)
    miss = some & ~has_f.to_numpy() & ~unreadable
    col.rows("error", "survey_responses", "fpc", "survey.fpc_missing",
             "同一调查轮次中已有受访者填写总体单元数（fpc），这一行也必须填写",
             "required: other respondents of the wave have an fpc", _rows(r, miss))
    stratum = (r["stratum"].astype("str").fillna("") if "stratum" in r.columns
               else pd.Series("", index=r.index, dtype="str"))
    g = pd.DataFrame({"w": wave, "s": stratum, "f": f}).loc[has_f.to_numpy()]
    if g.empty:
        return
    counts = g.groupby(["w", "s", "f"], dropna=False).size().rename("n").reset_index()
    mode = (counts.sort_values(["w", "s", "n", "f"], ascending=[True, True, False, True])
            .drop_duplicates(["w", "s"]).rename(columns={"f": "mode"})[["w", "s", "mode"]])
    m = g.reset_index().merge(mode, on=["w", "s"], how="left").set_index("index")
    off = (m["f"] - m["mode"]).abs() > 1e-9 * np.maximum(1.0, m["mode"].abs())
    bad = np.zeros(len(r), dtype=bool)
    bad[r.index.get_indexer(m.index[off.to_numpy()])] = True
    col.rows("error", "survey_responses", "fpc", "survey.fpc_stratum",
             "同一调查轮次、同一分层内的总体单元数（fpc）必须相同，这一行与本层多数受访者不同",
             "expected the same fpc as the other respondents of its stratum and wave",
             _rows(r, bad), r.loc[bad, "fpc"].to_numpy())


def _row_districts(ds) -> dict[str, pd.Series]:
    """Per table, ``_row`` -> district of the row (NA when it cannot be attributed).

    communities rows by their own ``district``; tables with ``community_id`` through
    the community register; ``volunteer_hours`` through ``volunteers``.  A community id
    that is unknown, empty, or registered under two districts gives NA.
    """
    t = ds.tables
    c = t.get("communities")
    if c is None or "district" not in c.columns or "community_id" not in c.columns:
        return {}
    own = c["district"].astype("object").where(c["district"].notna(), None)
    out = {"communities": pd.Series(own.to_numpy(), index=c["_row"].to_numpy(dtype="int64"))}
    reg = pd.DataFrame({"id": c["community_id"].astype("object"), "d": own}).dropna()
    reg = reg.drop_duplicates()
    ambiguous = reg["id"].duplicated(keep=False)
    cmap = reg.loc[~ambiguous].set_index("id")["d"]

    def via(df, column, mapping):
        d = df[column].astype("object").map(mapping) if column in df.columns else pd.Series(None, index=df.index)
        return pd.Series(d.to_numpy(dtype=object), index=df["_row"].to_numpy(dtype="int64"))

    for name, df in t.items():
        if name != "communities" and "community_id" in df.columns:
            out[name] = via(df, "community_id", cmap)
    if "volunteer_hours" in t and "volunteers" in t and "volunteer_id" in t["volunteers"].columns:
        v = t["volunteers"]
        vd = pd.DataFrame({"id": v["volunteer_id"].astype("object"),
                           "d": v["community_id"].astype("object").map(cmap)}).dropna().drop_duplicates()
        vmap = vd.loc[~vd["id"].duplicated(keep=False)].set_index("id")["d"]
        out["volunteer_hours"] = via(t["volunteer_hours"], "volunteer_id", vmap)
    return out


def split_by_district(report: ValidationReport, ds) -> tuple[dict[str, ValidationReport], ValidationReport]:
    """Attribute a report's errors to the districts whose rows they are in.

    Parameters
    ----------
    report : ValidationReport
        From :func:`validate` (its uncapped :attr:`~ValidationReport.entries`).
    ds : evalkit.io.dataset.Dataset
        The dataset that was validated.

    Returns
    -------
    (dict, ValidationReport)
        District -> a report of that district's errors only, and a report of the
        errors no district can own (table-level problems, ``survey_items``,
        ``targets``, rows whose community is unknown or empty).  Warnings are
        not included.

    Notes
    -----
    Attribution uses *every* offending row of each rule, not only the rows the
    report lists: a row of ``communities`` belongs to its ``district``; a row of a
    table with ``community_id`` to that community's district; a row of
    ``volunteer_hours`` to the district of its volunteer's community.  Each
    district's report applies the same per-rule cap (:data:`MAX_LISTED`) with an
    exact count line.  A report without ``entries`` (built by hand) is entirely
    unattributed.

    References
    ----------
    ``docs/REPORTS.md`` (one bad district never stops the other reports).
    """
    if not report.entries and report.errors:
        return {}, ValidationReport(report.errors)
    maps = _row_districts(ds)
    per: dict[str, _Collector] = {}
    rest = _Collector({})
    for kind, e in report.entries:
        if kind == "one":
            rest.problems.append(e)
            rest.entries.append((kind, e))
            continue
        m = maps.get(e.table)
        d = (m.reindex(e.rows).to_numpy(dtype=object) if m is not None and m.index.is_unique
             else np.full(len(e.rows), None, dtype=object))
        known = pd.notna(d)
        for name in pd.unique(d[known]):
            sel = d == name
            per.setdefault(str(name), _Collector({})).rows(
                e.severity, e.table, e.column, e.rule, e.zh, e.en, e.rows[sel],
                None if e.values is None else e.values[sel])
        if (~known).any():
            rest.rows(e.severity, e.table, e.column, e.rule, e.zh, e.en, e.rows[~known],
                      None if e.values is None else e.values[~known])
    return ({k: ValidationReport(c.problems, entries=c.entries) for k, c in sorted(per.items())},
            ValidationReport(rest.problems, entries=rest.entries))


def _check_table(col: _Collector, ds, table: Table, df: pd.DataFrame) -> None:
    name = table.name
    present = set(ds.source_columns.get(name, table.column_names))
    failures = ds.parse_failures.get(name)
    failed: dict[str, set] = {}
    if failures is not None and len(failures):
        for (c, rule), g in failures.groupby(["column", "rule"], sort=False):
            column = table.column(c) if c in table.column_names else None
            if rule == "code.unknown" and column is not None:
                zh, en = _code_text(column)
            else:
                zh, en = _TYPE_TEXT.get(rule, ("无法识别的值", "unreadable value"))
            col.rows("error", name, c, rule, zh, en, g["_row"].to_numpy(), g["value"].to_numpy())
            failed.setdefault(c, set()).update(g["_row"].tolist())

    for c in table.columns:
        if c.required and c.name not in present:
            col.one("error", name, c.name, "column.missing",
                    f"缺少必需的列 {c.name}（{c.zh}）。",
                    f"The required column {c.name} ({c.zh}) is missing.")
            continue
        if c.name not in present:
            continue
        s = df[c.name]
        if c.required:
            miss = s.isna().to_numpy().copy()
            if c.name in failed:
                miss &= ~df["_row"].isin(failed[c.name]).to_numpy()
            col.rows("error", name, c.name, "value.required",
                     f"必填项为空（{c.zh}）", f"a value is required ({c.zh})", _rows(df, miss))
        if (c.minimum is not None or c.maximum is not None) and c.type in ("int", "number"):
            v = s.astype("float64")
            bad = np.zeros(len(v), dtype=bool)
            if c.minimum is not None:
                bad |= (v <= c.minimum).to_numpy() if c.exclusive_min else (v < c.minimum).to_numpy()
            if c.maximum is not None:
                bad |= (v > c.maximum).to_numpy()
            bad &= v.notna().to_numpy()
            zh, en = _range_text(c)
            col.rows("error", name, c.name, "range", zh, en, _rows(df, bad), s[bad].to_numpy())

    # unique keys (listing the rows only when DuckDB finds a duplicate: 5x faster on a clean table)
    if table.key and all(k in present for k in table.key) and _may_have_duplicates(df, table.key):
        keys = df[list(table.key)]
        complete = keys.notna().all(axis=1)
        dup = keys.duplicated(keep="first") & complete
        kz = " + ".join(table.key)
        col.rows("error", name, table.key[0] if len(table.key) == 1 else kz, "key.duplicate",
                 f"与前面的行重复（{kz} 应唯一）", f"duplicates an earlier row ({kz} must be unique)",
                 _rows(df, dup), df.loc[dup.to_numpy(), table.key[0]].to_numpy() if len(table.key) == 1
                 else keys[dup.to_numpy()].astype("str").agg(" + ".join, axis=1).to_numpy())


def _may_have_duplicates(df: pd.DataFrame, key: tuple[str, ...]) -> bool:
    """False when the complete rows of ``key`` are certainly unique (one hashed DuckDB pass).

    A hash collision can only answer True, and then the exact pandas check decides.
    """
    import pyarrow as pa

    from evalkit.io.direct import connection

    if len(df) < 2:
        return False
    tbl = pa.table({f"k{i}": pa.array(df[k], from_pandas=True) for i, k in enumerate(key)})
    cols = ", ".join(f"k{i}" for i in range(len(key)))
    complete = " AND ".join(f"k{i} IS NOT NULL" for i in range(len(key)))
    con = connection()
    con.register("__keys", tbl)
    try:
        n = con.execute(f"SELECT count(*) - count(DISTINCT hash({cols})) FROM __keys WHERE {complete}").fetchall()
    finally:
        con.unregister("__keys")
    return bool(n[0][0])


def _all_found(values: pd.Series, reference: pd.Series) -> bool:
    """True when every non-missing value (as text) occurs in ``reference``."""
    import pyarrow as pa

    from evalkit.io.direct import connection

    con = connection()
    con.register("__v", pa.table({"v": pa.array(values.astype("str"), from_pandas=True)}))
    con.register("__r", pa.table({"r": pa.array(reference.dropna().astype("str"), from_pandas=True)}))
    try:
        n = con.execute("SELECT count(*) FROM __v ANTI JOIN __r ON v = r WHERE v IS NOT NULL").fetchall()
    finally:
        con.unregister("__v")
        con.unregister("__r")
    return n[0][0] == 0


def _is_in(values, reference) -> np.ndarray:
    """Boolean mask: which ``values`` occur in ``reference`` (hash join in Arrow).

    pandas' ``isin`` on Arrow-backed strings loops in Python (1.5 s for a
    million service records); ``pyarrow.compute.is_in`` does it in C++.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    v = pa.array(values.astype("str"), from_pandas=True)
    ref = pa.array(reference.dropna().astype("str").unique(), from_pandas=True)
    return pc.is_in(v, value_set=ref).to_numpy(zero_copy_only=False).astype(bool)


def _check_foreign_keys(col: _Collector, ds) -> None:
    for name, df in ds.tables.items():
        table = TABLES[name]
        present = set(ds.source_columns.get(name, table.column_names))
        for fk in table.foreign_keys:
            if fk.column not in present:
                continue
            if fk.table not in ds.tables:
                if fk.table != "communities" and len(df):
                    col.one("error", name, fk.column, "table.orphan",
                            f"引用的表 {fk.table}（{TABLES[fk.table].zh}）不存在，无法核对 {fk.column}。",
                            f"The referenced table {fk.table} is missing; {fk.column} cannot be checked.")
                continue
            s = df[fk.column]
            ref = ds.tables[fk.table][fk.ref_column]
            if _all_found(s, ref):  # one DuckDB anti-join; the rows are listed only when some miss
                continue
            bad = s.notna().to_numpy() & ~_is_in(s, ref)
            col.rows("error", name, fk.column, "fk.missing",
                     f"在 {fk.table}（{TABLES[fk.table].zh}）的 {fk.ref_column} 中不存在",
                     f"not found in {fk.table}.{fk.ref_column}", _rows(df, bad), s[bad].to_numpy())


def _check_cross(col: _Collector, ds) -> None:
    t = ds.tables
    src = ds.source_columns

    def has(table, *cols):
        return table in t and all(c in src.get(table, TABLES[table].column_names) for c in cols)

    def failed(table, column):
        """Rows of ``table`` whose ``column`` could not be read (already reported)."""
        df, fails = t[table], ds.parse_failures.get(table)
        if fails is None or not len(fails):
            return np.zeros(len(df), dtype=bool)
        return df["_row"].isin(fails.loc[fails["column"] == column, "_row"]).to_numpy()

    def date_order(table, later, earlier, zh):
        if has(table, earlier, later):
            df = t[table]
            bad = (df[later] < df[earlier]).fillna(False).to_numpy(dtype=bool)
            col.rows("error", table, later, "date.order", zh, f"expected on or after {earlier}",
                     _rows(df, bad), df.loc[bad, later].to_numpy())

    date_order("disputes", "resolved_on", "reported_on", "化解日期不能早于登记日期 reported_on")
    if has("disputes", "status"):
        d = t["disputes"]
        resolved = (d["status"] == "resolved").fillna(False).to_numpy(dtype=bool)
        miss = resolved & d["resolved_on"].isna().to_numpy() & ~failed("disputes", "resolved_on")
        col.rows("error", "disputes", "resolved_on", "disputes.resolved_on",
                 "办理状态为已化解时必须填写化解日期", "required when status is resolved", _rows(d, miss))
    date_order("volunteers", "left_on", "registered_on", "注销日期不能早于注册日期 registered_on")
    if has("communities", "pilot"):
        c = t["communities"]
        pilot = c["pilot"].fillna(False).to_numpy(dtype=bool)
        start = c["pilot_start"].notna().to_numpy() | failed("communities", "pilot_start")
        col.rows("error", "communities", "pilot_start", "communities.pilot_start",
                 "试点社区（是否试点=是）必须填写试点开始日期", "required when pilot is true",
                 _rows(c, pilot & ~start))
        # an unreadable pilot value is reported once (type.bool), not again as 'not a pilot'
        bad = ~pilot & start & c["pilot_start"].notna().to_numpy() & ~failed("communities", "pilot")
        col.rows("error", "communities", "pilot_start", "communities.pilot_start",
                 "非试点社区的试点开始日期应为空", "expected empty when pilot is false",
                 _rows(c, bad), c.loc[bad, "pilot_start"].to_numpy())

    if "survey_items" in t:
        it = t["survey_items"]
        if len(it):
            n_overall = int((it["dimension"] == "overall").sum())
            if n_overall != 1:
                col.one("error", "survey_items", "dimension", "items.overall",
                        f"应恰好有一道维度为“总体”(overall) 的题目，实际有 {n_overall} 道。",
                        f"Exactly one item must have dimension overall; found {n_overall}.")
            bad = (it["scale_min"].astype("float64") >= it["scale_max"].astype("float64")).fillna(False)
            col.rows("error", "survey_items", "scale_max", "items.scale",
                     "最大值应大于最小值 scale_min", "expected greater than scale_min",
                     _rows(it, bad.to_numpy(dtype=bool)), it.loc[bad.to_numpy(dtype=bool), "scale_max"].to_numpy())
        if "survey_responses" in t:
            have = set(ds.item_ids)
            missing = [i for i in it["item_id"].dropna().tolist() if i not in have]
            for i in missing:
                col.one("error", "survey_responses", i, "items.column",
                        f"问卷题目 {i} 在 survey_items 中有定义，但 survey_responses 中没有这一列。",
                        f"Survey item {i} is defined in survey_items but is not a column of survey_responses.")
    elif "survey_responses" in t and len(t["survey_responses"]):
        col.one("error", "survey_items", None, "table.missing",
                "有居民满意度调查数据但缺少问卷题目表 survey_items，无法识别题目列。",
                "survey_responses has rows but survey_items (the codebook) is missing; "
                "the item columns cannot be identified.")

    if has("survey_responses", "fpc", "wave") and len(t["survey_responses"]):
        _check_fpc(col, t["survey_responses"], failed("survey_responses", "fpc"))

    if "targets" in t and len(t["targets"]):
        tg = t["targets"]
        bad = (tg["indicator"].notna() & ~tg["indicator"].isin(_known_indicators())).to_numpy()
        col.rows("warning", "targets", "indicator", "targets.indicator",
                 "不是指标目录中的指标编号（见 evalkit catalog）",
                 "not an indicator id of the catalog (see evalkit catalog)",
                 _rows(tg, bad), tg.loc[bad, "indicator"].to_numpy())
