"""Problems found in a dataset, and the report that lists them.

A :class:`Problem` is one finding: where (table, file, row, column -- the column
as the user's header names it), the offending value (never a personal one), the
rule and the message in Chinese and English.  A :class:`ValidationReport` holds
them sorted by severity, table (in the contract's order) and row; it prints as
text (:meth:`ValidationReport.to_text`), as a DataFrame and, in a notebook, as a
compact HTML table.

Columns are shown by the header the user wrote: in Chinese messages the header,
followed by the Chinese name when the header is the English field name
(``列 办理状态``, ``列 status（办理状态）``); in English messages the header,
followed by the field name in brackets when they differ (``column 办理状态 [status]``).

This module imports numpy and pandas only where they are used, so that
:mod:`evalkit.io.direct` (which imports it through :mod:`evalkit.io.rules`) starts
its checks before either is imported.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from evalkit.contract import TABLE_ORDER, TABLES
from evalkit.exceptions import check_choice

#: At most this many rows are listed per rule, table and column; a summary line carries
#: the exact count of the rest.
MAX_LISTED = 20

Severity = Literal["error", "warning"]
Lang = Literal["zh", "en", "both"]
Language = Literal["zh", "en"]

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["MAX_LISTED", "Problem", "ValidationReport", "column_label"]


def column_label(table: str | None, column: str | None, header: str | None = None,
                 lang: Language = "zh") -> str:
    """A column as a message shows it: the header the user wrote, then the name in the
    message's language when that differs (see the module docstring).

    ``column`` may join several columns with " + " (a composite key); ``header`` then
    joins their headers the same way.

    Examples
    --------
    >>> column_label("disputes", "status", "办理状态", "zh")
    '办理状态'
    >>> column_label("disputes", "status", "办理状态", "en")
    '办理状态 [status]'
    >>> column_label("disputes", "status", "status", "zh")
    'status（办理状态）'
    >>> column_label("cadres", "person_id + term_year", "人员编号 + 届次年份", "en")
    '人员编号 [person_id] + 届次年份 [term_year]'
    """
    if not column:
        return ""
    cols = column.split(" + ")
    heads = header.split(" + ") if header else cols
    if len(heads) != len(cols):
        heads = cols
    t = TABLES.get(table) if table else None
    out = []
    for c, h in zip(cols, heads):
        if lang == "zh":
            zh = t.column(c).zh if t is not None and c in t.column_names else None
            out.append(f"{h}（{zh}）" if zh and h.isascii() and h != zh else h)
        else:
            out.append(h if h == c else f"{h} [{c}]")
    return " + ".join(out)


@dataclass(frozen=True)
class Problem:
    """One problem found in a dataset.

    Attributes
    ----------
    severity
        ``"error"`` (the dataset breaks the contract) or ``"warning"``.
    table, row, column
        Where: the table, the row number in the source file (header = row 1;
        title rows above the header are counted) and the canonical column
        (several joined by " + " for a composite key).  Any may be None (a
        whole-table or summary problem).
    value
        The offending raw value, or None -- always None when the column holds
        personal data.
    rule
        The rule id (see :mod:`evalkit.io.validate`).
    message_zh, message_en
        What is wrong and what was expected.
    count
        How many rows this problem stands for (1 for a listed row; more for
        a summary line or a counted warning).
    header
        The column's header as the source file has it (None: the canonical name).
    source
        The file (``disputes.csv``) or workbook sheet (``dataset.xlsx[矛盾纠纷台账]``).

    Examples
    --------
    >>> p = Problem("error", "disputes", 9, "status", "已办结", "code.unknown",
    ...             "应为以下代码之一：已化解(resolved)", "expected one of the codes: resolved",
    ...             header="办理状态", source="disputes.csv")
    >>> print(p.text("zh"))
    [错误] 表 disputes（矛盾纠纷台账，disputes.csv），第 9 行，列 办理状态：值“已办结”：应为以下代码之一：已化解(resolved)（code.unknown）
    >>> print(p.text("en"))
    [error] table disputes (disputes.csv), row 9, column 办理状态 [status]: value '已办结': expected one of the codes: resolved (code.unknown)
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
    header: str | None = None
    source: str | None = None

    def text(self, lang: Lang = "both") -> str:
        """One line (two for ``both``) describing the problem."""
        check_choice("lang", lang, ["zh", "en", "both"])
        zh_loc, en_loc = [], []
        if self.table:
            tzh = TABLES[self.table].zh if self.table in TABLES else self.table
            zh_loc.append(f"表 {self.table}（{tzh}，{self.source}）" if self.source else f"表 {self.table}（{tzh}）")
            en_loc.append(f"table {self.table} ({self.source})" if self.source else f"table {self.table}")
        elif self.source:
            zh_loc.append(f"文件 {self.source}")
            en_loc.append(f"file {self.source}")
        if self.row is not None:
            zh_loc.append(f"第 {self.row} 行")
            en_loc.append(f"row {self.row}")
        if self.column:
            zh_loc.append(f"列 {column_label(self.table, self.column, self.header, 'zh')}")
            en_loc.append(f"column {column_label(self.table, self.column, self.header, 'en')}")
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


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Errors before warnings; then by table (the contract's order, dataset-wide problems
    first) and row.  A table-level problem comes before the table's rows; a summary line
    ("… and 7 more rows") right after the last row its rule listed."""
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    last: dict[tuple, float] = {}
    keys = []
    for i, p in enumerate(problems):
        g = (p.severity, p.table, p.rule, p.column)
        if p.row is not None:
            r = float(p.row)
            last[g] = r
        else:
            r = last[g] + 0.5 if g in last else -1.0
        t = -1 if p.table is None else order.get(p.table, len(order))
        keys.append((0 if p.severity == "error" else 1, t, r, i))
    return [problems[k[3]] for k in sorted(keys)]


@dataclass
class ValidationReport:
    """Every problem of a dataset: errors first, then by table and row.

    ``ok`` is True when there is no error (warnings allowed).  In a notebook the
    report shows as a table of problems per table and rule, then the first problems.

    Examples
    --------
    >>> rep = ValidationReport([Problem("error", "disputes", 9, "status", "已办结", "code.unknown",
    ...                                 "应为代码", "expected a code", header="办理状态")])
    >>> rep
    ValidationReport: 1 error(s) in 1 row(s), 0 warning(s) (see .to_text(), .to_frame())
    >>> rep.ok, rep.n_errors
    (False, 1)
    >>> print(rep.to_text("en"))
    Validation: 1 error(s), 0 warning(s).
    [error] table disputes, row 9, column 办理状态 [status]: value '已办结': expected a code (code.unknown)
    """

    problems: list[Problem]
    #: Every error as found, before the per-rule cap: ``("rows", RowGroup)`` with *all*
    #: offending rows, or ``("one", Problem)`` for a table-level problem.  Not printed;
    #: used by :func:`evalkit.io.validate.split_by_district`.
    entries: list = field(default_factory=list, repr=False, compare=False)
    #: (zh, en): why the data are refused, printed under the counts (see
    #: :meth:`evalkit.io.validate.BatchCheck.error`).
    reason: tuple[str, str] | None = field(default=None, repr=False, compare=False)

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
        """Warnings, counting what each stands for (a warning about 251 answers counts 251)."""
        return int(sum(p.count for p in self.warnings))

    def to_frame(self):
        """The problems as a DataFrame, one row per problem."""
        import pandas as pd

        cols = ["severity", "table", "row", "column", "value", "rule", "message_zh", "message_en", "count",
                "header", "source"]
        df = pd.DataFrame([asdict(p) for p in self.problems], columns=cols)
        df["row"] = df["row"].astype("Int64")
        df["count"] = df["count"].astype("int64")
        return df

    def summary(self, lang: Language = "zh") -> str:
        """The one header line: exact counts of erroneous rows and of warnings."""
        check_choice("lang", lang, ["zh", "en"])
        ne, nw = self.n_errors, len(self.warnings)
        if not self.problems:
            return "校验通过：没有发现问题。" if lang == "zh" else "Validation passed: no problems found."
        if lang == "zh":
            return f"校验结果：{ne} 条错误，{nw} 条警告。" + ("数据可以使用。" if ne == 0 else "")
        return f"Validation: {ne} error(s), {nw} warning(s)." + (" The data can be used." if ne == 0 else "")

    def to_text(self, lang: Lang = "both") -> str:
        """A readable report in Chinese (``zh``), English (``en``) or both."""
        check_choice("lang", lang, ["zh", "en", "both"])
        langs = ["zh", "en"] if lang == "both" else [lang]
        head = [self.summary(x) for x in langs]
        if self.reason:
            head += [self.reason[0 if x == "zh" else 1] for x in langs]
        return "\n".join(head + [p.text(lang) for p in self.problems])

    def __str__(self) -> str:  # noqa: D105
        return self.to_text("both")

    def __repr__(self) -> str:
        rows = self.n_errors
        return (f"ValidationReport: {len(self.errors)} error(s) in {rows} row(s), {len(self.warnings)} warning(s) "
                f"(see .to_text(), .to_frame())")

    def by_table(self):
        """Problems counted per severity, table and rule: ``[severity, table, rule, problems, rows]``."""
        import pandas as pd

        df = self.to_frame()
        if df.empty:
            return pd.DataFrame(columns=["severity", "table", "rule", "problems", "rows"])
        df["table"] = df["table"].fillna("")
        out = (df.groupby(["severity", "table", "rule"], sort=False)
               .agg(problems=("rule", "size"), rows=("count", "sum")).reset_index())
        return out

    def _repr_html_(self, max_rows: int = 12) -> str:
        esc = html.escape
        parts = [f"<p><b>{esc(self.summary('zh'))}</b><br>{esc(self.summary('en'))}</p>"]
        if not self.problems:
            return "".join(parts)
        parts.append("<table><thead><tr><th>severity</th><th>table</th><th>rule</th><th>problems</th>"
                     "<th>rows</th></tr></thead><tbody>")
        for r in self.by_table().itertuples(index=False):
            parts.append(f"<tr><td>{esc(r.severity)}</td><td>{esc(r.table)}</td><td>{esc(r.rule)}</td>"
                         f"<td>{r.problems}</td><td>{r.rows}</td></tr>")
        parts.append("</tbody></table>")
        shown = self.problems[:max_rows]
        parts.append("<table><thead><tr><th>table</th><th>row</th><th>column</th><th>value</th>"
                     "<th>message</th></tr></thead><tbody>")
        for p in shown:
            row = "" if p.row is None else p.row
            parts.append(f"<tr><td>{esc(p.table or '')}</td><td>{row}</td>"
                         f"<td>{esc(column_label(p.table, p.column, p.header, 'zh'))}</td>"
                         f"<td>{esc('' if p.value is None else p.value)}</td>"
                         f"<td>{esc(p.message_zh)}<br>{esc(p.message_en)}</td></tr>")
        parts.append("</tbody></table>")
        if len(self.problems) > len(shown):
            parts.append(f"<p>… {len(self.problems) - len(shown)} more: <code>.to_text()</code>, "
                         f"<code>.to_frame()</code></p>")
        return "".join(parts)


# --- collecting -----------------------------------------------------------------------


def fmt_value(v) -> str | None:
    """A cell value as a message shows it (dates as YYYY-MM-DD, 25.0 as 25)."""
    import datetime as _dt

    import numpy as np

    if v is None:
        return None
    if isinstance(v, float):
        if v != v:
            return None
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, np.floating):
        return fmt_value(float(v))
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else str(v.astype("datetime64[D]"))
    if isinstance(v, _dt.datetime):  # pandas Timestamps too
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if type(v).__name__ in ("NAType", "NaTType"):  # pandas' missing values (pandas not imported here)
        return None
    return str(v)


@dataclass(frozen=True)
class RowGroup:
    """All rows of one (rule, table, column) finding, uncapped (values None when hidden)."""

    severity: Severity
    table: str
    column: str | None
    rule: str
    zh: str
    en: str
    rows: np.ndarray
    values: np.ndarray | None
    header: str | None = None
    source: str | None = None


class Collector:
    """Collect problems with a per-(rule, table, column) cap on listed rows.

    ``entries`` keeps every error uncapped (see :attr:`ValidationReport.entries`);
    ``personal`` (table -> columns) hides the values of those columns.
    """

    def __init__(self, personal: dict | None = None):
        self.problems: list[Problem] = []
        self.personal = personal or {}
        self.entries: list = []

    def rows(self, severity, table, column, rule, zh, en, rows, values=None, header=None, source=None):
        import numpy as np

        rows = np.asarray(rows, dtype="int64")
        n = len(rows)
        if n == 0:
            return
        hide = any(c in self.personal.get(table, ()) for c in (column or "").split(" + "))
        order = np.argsort(rows, kind="stable")
        vals = None if (values is None or hide) else np.asarray(values, dtype=object)[order]
        if severity == "error":
            self.entries.append(("rows", RowGroup(severity, table, column, rule, zh, en, rows[order], vals,
                                                  header, source)))
        for k in range(min(n, MAX_LISTED)):
            v = None if vals is None else fmt_value(vals[k])
            self.problems.append(Problem(severity, table, int(rows[order[k]]), column, v, rule, zh, en,
                                         header=header, source=source))
        if n > MAX_LISTED:
            rest = n - MAX_LISTED
            self.problems.append(Problem(
                severity, table, None, column, None, rule,
                f"……另有 {rest} 行同样问题（共 {n} 行）：{zh}",
                f"... and {rest} more row(s) with the same problem ({n} in all): {en}", count=rest,
                header=header, source=source))

    def group(self, g: RowGroup, mask=None) -> None:
        """Collect (part of) an uncapped group again (see :func:`split_by_district`)."""
        rows = g.rows if mask is None else g.rows[mask]
        values = None if g.values is None else (g.values if mask is None else g.values[mask])
        self.rows(g.severity, g.table, g.column, g.rule, g.zh, g.en, rows, values, g.header, g.source)

    def one(self, p: Problem) -> None:
        self.problems.append(p)
        if p.severity == "error":
            self.entries.append(("one", p))

    def report(self, extra=()) -> ValidationReport:
        return ValidationReport(sort_problems(self.problems + list(extra)), entries=self.entries)
