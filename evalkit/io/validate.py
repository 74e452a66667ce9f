"""Validation: check a loaded Dataset against every rule of the contract.

The rules are data (:meth:`evalkit.contract.Table.checks`); each kind is one SQL
check (:mod:`evalkit.io.rules`) that runs on the typed tables, registered with the
engine (:mod:`evalkit.io.engine`) through Arrow -- the same text that
:mod:`evalkit.io.direct` runs over Parquet files.  Each rule lists at most
:data:`MAX_LISTED` rows per table and column; one more problem, whose ``count``
holds how many rows it stands for, summarises the rest, so counts stay exact
(:attr:`ValidationReport.n_errors`).  Problems come sorted by table, then row.

Rule ids
--------
From the files: ``table.missing``, ``table.orphan``, ``column.missing``,
``row.fields`` (a CSV row with more or fewer fields than the header), and the
cells the loader could not read: ``type.int``, ``type.number``, ``type.date``,
``type.bool``, ``code.unknown``.  From the contract's rules: ``value.required``,
``range``, ``key.duplicate``, ``fk.missing``, ``date.order``,
``disputes.resolved_on``, ``communities.pilot_start``, ``items.overall``,
``items.scale``, ``survey.fpc_missing``, ``survey.fpc_stratum``,
``targets.indicator`` (a warning; checked when the caller gives the catalog's
ids), and for new rules of the generic kinds ``group.inconsistent``,
``group.required``, ``value.exactly_one``, ``<table>.<column>``.  Dataset-wide:
``items.column``.  Load-time warnings: ``personal.header``, ``personal.values``,
``personal.hashed``, ``column.unknown``, ``column.duplicate``, ``file.ignored``,
``survey.answer_scale``, ``district.unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from evalkit.contract import TABLES, Code, Reference, Type
from evalkit.io import rules as R
from evalkit.io.engine import DUCKDB
from evalkit.io.problems import MAX_LISTED, Collector, Language, Problem, ValidationReport, fmt_value

__all__ = ["Problem", "ValidationReport", "validate", "refuse_invalid", "split_by_district", "BatchCheck",
           "check_batch", "MAX_LISTED"]


def validate(ds, *, indicators=None) -> ValidationReport:
    """Check a dataset against every rule of the data contract.

    Parameters
    ----------
    ds : evalkit.io.dataset.Dataset
        A loaded dataset (:func:`evalkit.load`).
    indicators : iterable of str, optional
        The indicator ids a target may name (``evalkit.catalog()["id"]``): the
        catalog lives above this layer, so the caller supplies it.  Without it
        the ``targets.indicator`` rule is not checked.

    Returns
    -------
    ValidationReport
        Every problem at once: load-time warnings (personal data removed,
        unknown columns, out-of-scale answers), rows with the wrong number of
        fields, unparseable values, missing required columns and values,
        ranges, codes, unique keys, foreign keys, date order and the rules
        across columns and rows.

    Notes
    -----
    Each rule is one SQL query (all of a table's row conditions in one scan), run
    by DuckDB on the typed tables; a unique key is first probed by hashing, so a
    clean table of millions of rows is checked in one pass per rule.  Per rule,
    table and column at most :data:`MAX_LISTED` rows are listed; a summary line
    carries the exact count of the rest.

    References
    ----------
    The dataset contract, ``docs/DATA.md``.

    Examples
    --------
    >>> import tempfile, pathlib, evalkit
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "communities.csv").write_text(
    ...     "社区编码,社区名称,区县,街道,户数,常住人口\\nC1,东风,硚口区,汉正街,1200,3000\\n"
    ...     "C2,红湖,硚口区,汉正街,-5,2000\\n", encoding="utf-8")
    >>> report = validate(evalkit.load(folder))
    >>> print(report.to_text("zh"))
    校验结果：1 条错误，0 条警告。
    [错误] 表 communities（社区名册，communities.csv），第 3 行，列 户数：值“-5”：应大于 0（range）
    """
    return _Validation(ds, indicators).run()


def refuse_invalid(ds) -> None:
    """Raise :class:`~evalkit.exceptions.ValidationError`, listing the errors (not the
    warnings), when ``ds`` breaks the contract: what the CLI commands do before
    computing anything (unless ``--no-validate``).

    Examples
    --------
    >>> import tempfile, evalkit
    >>> from evalkit.io.templates import write_templates
    >>> blank = tempfile.mkdtemp()
    >>> _ = write_templates(blank)
    >>> refuse_invalid(evalkit.load(blank))  # the blank templates are valid: nothing happens
    """
    from evalkit.exceptions import ValidationError

    report = ds.validate()
    if not report.ok:
        raise ValidationError(ValidationReport(report.errors))


# --- the checks ---------------------------------------------------------------------


def _to_arrow(df: pd.DataFrame, columns, bad: dict[str, np.ndarray]) -> pa.Table:
    """The columns of a typed table (with ``_row``) as Arrow, plus a ``__bad__<c>`` flag per
    column with unreadable cells.  NaN becomes null (missing, as the loader means it)."""
    tbl = pa.Table.from_pandas(df[[c for c in dict.fromkeys(columns) if c in df.columns] + ["_row"]],
                               preserve_index=False)
    for c, mask in bad.items():
        tbl = tbl.append_column(f"__bad__{c}", pa.array(mask, pa.bool_()))
    return tbl


class _Validation:
    def __init__(self, ds, indicators):
        self.ds = ds
        self.col = Collector(ds.personal_columns)
        self.names = R.Names(getattr(ds, "headers", {}))
        self.refs = {} if indicators is None else {"indicators": sorted({str(i) for i in indicators})}
        self.present = {n: set(ds.source_columns.get(n, TABLES[n].column_names)) for n in ds.tables}

    def run(self) -> ValidationReport:
        ds, col = self.ds, self.col
        if "communities" not in ds.tables:
            col.one(Problem("error", "communities", None, None, None, "table.missing",
                            "缺少必需的表 communities（社区名册）。",
                            "The required table communities (community register) is missing."))
        bad = {}
        for name in ds.tables:
            bad[name] = self._from_files(name)
        bound, scope = self._bind(bad)
        refs = {k: f"__known_{k}" for k in self.refs}
        for k, ids in self.refs.items():
            bound[refs[k]] = pa.table({"v": pa.array(ids, pa.string())})
        with DUCKDB.bound(bound):
            for name in ds.tables:
                self._row_rules(name, scope[name])
                self._set_rules(name, scope, refs)
        self._dataset_rules()
        return col.report(extra=list(ds.warnings))

    # -- what the loader found ----------------------------------------------------
    def _problem_rows(self, name, rule_id, column, zh, en, rows, values=None, severity="error"):
        self.col.rows(severity, name, column, rule_id, zh, en, rows, values,
                      header=self.names.header(name, column), source=self.ds.sources.get(name))

    def _from_files(self, name: str) -> dict[str, np.ndarray]:
        """Rows with the wrong number of fields, unreadable cells and absent required
        columns; returns column -> mask of unreadable cells (for the rules below)."""
        ds, table, df = self.ds, TABLES[name], self.ds.tables[name]
        ragged = getattr(ds, "ragged_rows", {}).get(name)
        if ragged is not None and len(ragged):
            for (expected, found), g in ragged.groupby(["expected", "fields"], sort=True):
                more = found > expected
                self._problem_rows(
                    name, "row.fields", None,
                    f"这一行有 {found} 个字段，而表头有 {expected} 列"
                    + ("（多出的字段通常是值中未加引号的逗号造成的，各列已错位）" if more else "（字段不足，各列可能已错位）"),
                    f"this row has {found} fields but the header has {expected} columns"
                    + (" (usually an unquoted comma inside a value: the columns are shifted)" if more
                       else " (fields are missing: the columns may be shifted)"),
                    g["_row"].to_numpy())
        bad: dict[str, np.ndarray] = {}
        failures = ds.parse_failures.get(name)
        if failures is not None and len(failures):
            for (c, rule_id), g in failures.groupby(["column", "rule"], sort=False):
                zh, en = R.messages(R.type_rule(name, c, rule_id), name, self.names)
                self._problem_rows(name, rule_id, c, zh, en, g["_row"].to_numpy(), g["value"].to_numpy())
                mask = df["_row"].isin(g["_row"]).to_numpy(dtype=bool)
                bad[c] = bad[c] | mask if c in bad else mask
        for c in table.columns:
            if c.required and c.name not in self.present[name]:
                self.col.one(Problem("error", name, None, c.name, None, "column.missing",
                                     f"缺少必需的列 {c.name}（{c.zh}）。",
                                     f"The required column {c.name} ({c.zh}) is missing.",
                                     source=ds.sources.get(name)))
        return bad

    # -- the contract's rules ---------------------------------------------------------
    def _rules(self, name):
        return [r for rule in TABLES[name].checks() for r in R.split(rule)
                if not isinstance(r, (Type, Code))]  # those come from the loader (above)

    def _bind(self, bad):
        """Arrow tables of the columns the rules read, and the relation of each table."""
        need: dict[str, set] = {n: set() for n in self.ds.tables}
        for name in self.ds.tables:
            for r in self._rules(name):
                need[name] |= R.rule_columns(r)
                if isinstance(r, Reference) and r.table in need:
                    need[r.table].add(r.ref_column)
        bound, scope = {}, {}
        for name, df in self.ds.tables.items():
            b = {c: m for c, m in bad[name].items() if c in need[name]}
            bound[name] = _to_arrow(df, sorted(need[name]), b)
            scope[name] = R.Relation(name, R.D.ident(name), frozenset(self.present[name]), unreadable=frozenset(b))
        return bound, scope

    def _row_rules(self, name, rel):
        checks = [(r, R.row_check(r, rel)) for r in self._rules(name) if rel.applies(r)]
        checks = [(r, c) for r, c in checks if c is not None]
        if not checks or not len(self.ds.tables[name]):
            return
        flags = [f"coalesce(({c.condition}), FALSE)" for _, c in checks]
        values = sorted({c.value for _, c in checks if c.value})
        sel = ", ".join([R.D.ident("_row")] + [f"{f} AS {R.D.ident(f'__r{i}')}" for i, f in enumerate(flags)]
                        + [R.D.ident(v) for v in values])
        res = DUCKDB.arrow(f"SELECT {sel} FROM {rel.source} WHERE {' OR '.join(flags)}")
        if not res.num_rows:
            return
        rows = res.column("_row").to_numpy()
        for i, (rule, c) in enumerate(checks):
            mask = res.column(f"__r{i}").to_numpy(zero_copy_only=False).astype(bool)
            if mask.any():
                vals = res.column(c.value).filter(pa.array(mask)).to_numpy(zero_copy_only=False) if c.value else None
                zh, en = R.messages(rule, name, self.names)
                self._problem_rows(name, rule.rule_id(name), R.reported_column(rule), zh, en, rows[mask], vals,
                                   rule.severity)

    def _set_rules(self, name, scope, refs):
        ds, rel = self.ds, scope[name]
        n = len(ds.tables[name])
        for rule in self._rules(name):
            if not rel.applies(rule):
                continue
            if isinstance(rule, Reference) and rule.table not in ds.tables:
                if rule.table != "communities" and n:  # (a missing register is reported above)
                    self.col.one(Problem(
                        "error", name, None, rule.column, None, "table.orphan",
                        f"引用的表 {rule.table}（{TABLES[rule.table].zh}）不存在，无法核对 {rule.column}。",
                        f"The referenced table {rule.table} is missing; {rule.column} cannot be checked.",
                        header=self.names.header(name, rule.column), source=ds.sources.get(name)))
                continue
            check = R.set_check(rule, rel, scope, refs)
            if check is None or not n:
                continue
            if check.rows is None:  # a count about the whole table (ExactlyOne)
                k = DUCKDB.count(check.probe)
                if k != 1:
                    zh, en = R.messages(rule, name, self.names, n=k)
                    self.col.one(Problem(rule.severity, name, None, rule.column, None, rule.rule_id(name), zh, en,
                                         header=self.names.header(name, rule.column), source=ds.sources.get(name)))
                continue
            if check.cheap and not DUCKDB.count(check.probe):
                continue  # clean (a unique key's hash probe may flag a clean table: the listing decides)
            res = DUCKDB.arrow(check.rows)
            if not res.num_rows:
                continue
            values = None
            if check.value:
                cols = [res.column(v).to_numpy(zero_copy_only=False) for v in check.value]
                values = cols[0] if len(cols) == 1 else np.array(
                    [" + ".join(str(fmt_value(x)) for x in t) for t in zip(*cols)], dtype=object)
            zh, en = R.messages(rule, name, self.names)
            self._problem_rows(name, rule.rule_id(name), R.reported_column(rule), zh, en,
                               res.column("_row").to_numpy(), values, rule.severity)

    def _dataset_rules(self):
        t, col = self.ds.tables, self.col
        if "survey_items" in t:
            if "survey_responses" in t:
                have = set(self.ds.item_ids)
                for i in t["survey_items"]["item_id"].dropna().tolist():
                    if i not in have:
                        col.one(Problem("error", "survey_responses", None, i, None, "items.column",
                                        f"问卷题目 {i} 在 survey_items 中有定义，但 survey_responses 中没有这一列。",
                                        f"Survey item {i} is defined in survey_items but is not a column of "
                                        "survey_responses.", source=self.ds.sources.get("survey_responses")))
        elif "survey_responses" in t and len(t["survey_responses"]):
            col.one(Problem("error", "survey_items", None, None, None, "table.missing",
                            "有居民满意度调查数据但缺少问卷题目表 survey_items，无法识别题目列。",
                            "survey_responses has rows but survey_items (the codebook) is missing; "
                            "the item columns cannot be identified."))


# --- districts --------------------------------------------------------------------------


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

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, evalkit
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"community_id": ["C1", "C2"], "community_name": ["东风", "古田"],
    ...               "district": ["硚口区", "南山区"], "street": ["汉正街", "南头街道"],
    ...               "households": [1200, -5], "population": [3000, 2000]}
    ...              ).to_csv(folder / "communities.csv", index=False)
    >>> ds = evalkit.load(folder)
    >>> per, rest = split_by_district(ds.validate(), ds)
    >>> {d: r.n_errors for d, r in per.items()}, rest.ok
    ({'南山区': 1}, True)
    """
    if not report.entries and report.errors:
        return {}, ValidationReport(report.errors)
    maps = _row_districts(ds)
    per: dict[str, Collector] = {}
    rest = Collector()
    for kind, e in report.entries:
        if kind == "one":
            rest.one(e)
            continue
        m = maps.get(e.table)
        d = (m.reindex(e.rows).to_numpy(dtype=object) if m is not None and m.index.is_unique
             else np.full(len(e.rows), None, dtype=object))
        known = pd.notna(d)
        for name in pd.unique(d[known]):
            per.setdefault(str(name), Collector()).group(e, d == name)
        if (~known).any():
            rest.group(e, ~known)
    return {k: c.report() for k, c in sorted(per.items())}, rest.report()


@dataclass
class BatchCheck:
    """What a validation report means for a batch of district reports.

    Attributes
    ----------
    report
        The dataset's report (:func:`validate`).
    invalid
        District -> the report of its own errors (no report is built for it).
    unattributed
        The errors no district owns (:func:`split_by_district`).
    districts
        The districts the batch was asked to build.
    """

    report: ValidationReport
    invalid: dict[str, ValidationReport]
    unattributed: ValidationReport
    districts: list[str]

    @property
    def refused(self) -> bool:
        """True when no report can be built: an error belongs to no district, or every
        district asked for has errors."""
        return not self.report.ok and (not self.unattributed.ok or all(d in self.invalid for d in self.districts))

    def reason(self, lang: Language = "zh") -> str:
        """Why the batch is refused (or which districts are skipped), with the counts that
        ``evalkit validate`` prints; empty when the data are valid."""
        from evalkit.exceptions import check_choice

        check_choice("lang", lang, ["zh", "en"])
        if self.report.ok:
            return ""
        zh = lang == "zh"
        fix = ("请修正这些错误后重试（evalkit validate 列出全部问题），或加 --no-validate 跳过校验（不建议）。"
               if zh else "Fix them and run again (evalkit validate lists every problem), or pass --no-validate "
                          "to skip validation (not recommended).")
        if not self.unattributed.ok:
            counts = _per_table(self.unattributed)
            what = ("、".join(f"表 {t}（{TABLES[t].zh if t in TABLES else t}）中的 {n} 条错误" for t, n in counts)
                    if zh else ", ".join(f"{n} error(s) in table {t}" for t, n in counts))
            return (f"{what}不属于任何区县，所以没有生成任何报告。{fix}" if zh else
                    f"The {what} belong to no district, so no report was built. {fix}")
        bad = ", ".join(f"{d} ({r.n_errors})" for d, r in self.invalid.items())
        if self.refused:
            return (f"要生成报告的每个区县都有错误（{bad.replace(', ', '、')}），所以没有生成任何报告。{fix}" if zh else
                    f"Every district asked for has errors ({bad}), so no report was built. {fix}")
        return (f"以下区县有错误，不生成它们的报告：{bad.replace(', ', '、')}；其余区县照常生成。" if zh else
                f"These districts have errors and get no report: {bad}; the others are built.")

    def error(self):
        """The :class:`~evalkit.exceptions.ValidationError` to raise when :attr:`refused`:
        its message is the reason, then the errors as ``evalkit validate`` lists them."""
        from evalkit.exceptions import ValidationError

        errors = ValidationReport(self.report.errors)
        errors.reason = (self.reason("zh"), self.reason("en"))
        return ValidationError(errors)


def _per_table(report: ValidationReport) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for p in report.errors:
        out[p.table or ""] = out.get(p.table or "", 0) + p.count
    return list(out.items())


def check_batch(report: ValidationReport, ds, districts=None) -> BatchCheck:
    """Decide what a report batch does with a dataset's validation errors.

    Parameters
    ----------
    report : ValidationReport
        ``ds.validate()``.
    ds : evalkit.io.dataset.Dataset
        The validated dataset.
    districts : list of str, optional
        The districts to build (default: every district of the data).

    Returns
    -------
    BatchCheck
        ``refused`` (raise ``check.error()``), the districts skipped (``invalid``)
        and :meth:`BatchCheck.reason` in Chinese or English.

    Examples
    --------
    >>> import tempfile, pathlib, evalkit
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "communities.csv").write_text(
    ...     "community_id,community_name,district,street,households,population\\n"
    ...     "C1,东风,硚口区,汉正街,1200,3000\\n", encoding="utf-8")
    >>> _ = (folder / "survey_items.csv").write_text(
    ...     "item_id,text_zh,dimension,scale_min,scale_max\\nq1,总体满意度,overall,5,1\\n", encoding="utf-8")
    >>> ds = evalkit.load(folder)
    >>> check = check_batch(ds.validate(), ds)
    >>> check.refused
    True
    >>> print(check.reason("en"))  # doctest: +NORMALIZE_WHITESPACE
    The 1 error(s) in table survey_items belong to no district, so no report was built. Fix them and
    run again (evalkit validate lists every problem), or pass --no-validate to skip validation
    (not recommended).
    """
    invalid, rest = split_by_district(report, ds) if not report.ok else ({}, ValidationReport([]))
    wanted = [str(d) for d in (districts if districts is not None else ds.districts)]
    return BatchCheck(report, invalid, rest, wanted)
