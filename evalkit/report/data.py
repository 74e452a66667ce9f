"""Gathering what a report shows: the precomputed tables, the dataset, dataset.json.

:func:`prepare` is the one call a report notebook makes before it displays
anything.  Expected absences are decided here, explicitly: a table the
dataset does not have (``ds.has``), a year the data do not cover
(:func:`check_year`), no pilot comparison (an empty ``pilot_path``).
Anything else -- a dataset that does not load, a bug -- raises and fails the
report, with its traceback in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["ALL_LEVELS", "ReportData", "Span", "prepare", "read_table", "data_span", "check_year", "data_years",
           "targets", "pilot_starts", "cadre_terms", "problem_text"]

ALL_LEVELS = ("community", "street", "district", "city")
#: Dated ledgers: their dates say which years the data cover, and their latest date is the as-of date.
_DATED = {"disputes": ("reported_on", "resolved_on"), "volunteer_hours": ("served_on",)}
#: Tables with a year column: they cover those years.
_YEARLY = {"survey_responses": "wave", "community_years": "year"}


@dataclass
class ReportData:
    """Everything a report shows, gathered once (:func:`prepare`).

    Attributes
    ----------
    table
        The long indicator table (all levels; every district and the city, for ranks).
    district, year, lang
        The report's parameters; ``district`` is None for the city summary.
    meta
        dataset.json (:func:`evalkit.io.read_meta`).
    ds
        The loaded Dataset (the district's rows for a district report), or None when
        the report was built from a table alone.
    missing_tables, warnings
        Tables absent from the dataset; load-time problems as sentences in ``lang``.
    pilot
        The batch's pilot comparison (:func:`evalkit.report.pilot.compute_pilot`), or None.
    index
        The batch's composite index (:func:`evalkit.report.precompute.compute_index`:
        rows ``index`` and ``index_family`` of every community, street and district,
        with ``rank``, ``rank_in_parent``, ``rank_low``, ``rank_high``, ``coverage``), or None.
    invalid
        Districts whose data failed validation: they have no report and are not ranked.
    span
        The years and as-of date the data cover (:func:`data_span`), or None.
    terms
        Report year -> the cadre term (election year) current in it, for the report's unit.

    Examples
    --------
    >>> rd = ReportData(table=pd.DataFrame(), district="东城区", year=2024)
    >>> rd.period, rd.synthetic
    ('2024', False)
    """

    table: pd.DataFrame
    district: str | None
    year: int
    lang: str = "zh"
    meta: dict = field(default_factory=dict)
    ds: object = None
    missing_tables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    min_n: int = 10
    pilot: pd.DataFrame | None = None
    index: pd.DataFrame | None = None
    invalid: tuple[str, ...] = ()
    span: "Span | None" = None
    terms: dict[str, str] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return str(self.year)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))

    @property
    def unit(self) -> tuple[str, str]:
        """(unit_id, level) of the report's own unit: the district, or the city ``all``."""
        return (self.district, "district") if self.district else ("all", "city")


@dataclass(frozen=True)
class Span:
    """The years a dataset covers and its as-of date.

    ``first``/``last``: the first and last year with records in a dated ledger or a
    yearly table (None when there is none); ``as_of``: the latest date of the dated
    ledgers; ``tables``: each table's (first, last) year.

    Examples
    --------
    >>> s = Span(2020, 2024, pd.Timestamp("2024-12-31"), {"disputes": (2020, 2024)})
    >>> s.covers(2024), s.covers(2030), s.text("zh")
    (True, False, '2020–2024 年')
    """

    first: int | None
    last: int | None
    as_of: pd.Timestamp | None
    tables: dict = field(default_factory=dict)

    def covers(self, year: int) -> bool:
        return self.first is None or self.first <= int(year) <= self.last

    def text(self, lang: str = "zh") -> str:
        years = f"{self.first}" if self.first == self.last else f"{self.first}–{self.last}"
        return f"{years} 年" if lang == "zh" else years


def data_span(ds) -> Span:
    """The years ``ds`` covers (dated ledgers and yearly tables) and its as-of date.

    Tables the dataset does not have are left out; with none of them the span is empty
    (``first`` None) and every year is accepted.

    Examples
    --------
    >>> from evalkit.io import load
    >>> s = data_span(load("data/sample"))
    >>> s.first, s.last, str(s.as_of.date())
    (2020, 2024, '2024-12-31')
    """
    from evalkit.families._aggregate import extremes

    tables, as_of = {}, None
    for name, cols in _DATED.items():
        if not ds.has(name):
            continue
        ext = extremes(ds, name, cols)
        lo = [v[0] for v in ext.values() if v[0] is not None]
        hi = [v[1] for v in ext.values() if v[1] is not None]
        if lo:
            tables[name] = (min(lo).year, max(hi).year)
            as_of = max(hi) if as_of is None else max(as_of, max(hi))
    for name, col in _YEARLY.items():
        if ds.has(name):
            y = pd.to_numeric(ds[name][col], errors="coerce").dropna()
            if len(y):
                tables[name] = (int(y.min()), int(y.max()))
    if not tables:
        return Span(None, None, as_of, {})
    return Span(min(a for a, _ in tables.values()), max(b for _, b in tables.values()), as_of, tables)


def check_year(span: Span, year: int) -> None:
    """Refuse a report year the data do not cover, naming the years they do.

    Examples
    --------
    >>> check_year(Span(2020, 2024, None), 2030)
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 数据只覆盖 2020–2024 年，没有 2030 年的数据；请用 --year 选择其中一年。
    The data cover 2020–2024; there are no data for 2030: choose one of those years with --year.
    """
    from evalkit.exceptions import ParameterError

    if not span.covers(year):
        raise ParameterError(f"数据只覆盖 {span.text('zh')}，没有 {year} 年的数据；请用 --year 选择其中一年。",
                             f"The data cover {span.text('en')}; there are no data for {year}: "
                             "choose one of those years with --year.")


def data_years(ds, year: int) -> list[int]:
    """The years a report's tables hold: from the first year with disputes (or ``year - 1``) to ``year``.

    At most ten years; a dataset without a disputes table gives the year and the one before.

    Examples
    --------
    >>> from evalkit.io import load
    >>> data_years(load("data/sample"), 2024)
    [2020, 2021, 2022, 2023, 2024]
    """
    first = year - 1
    if ds.has("disputes"):
        from evalkit.families._aggregate import extremes

        lo = extremes(ds, "disputes", ("reported_on",))["reported_on"][0]
        if lo is not None:
            first = min(first, lo.year)
    return list(range(max(first, year - 9), year + 1))


def read_table(path, district: str | None = None, *, restrict: bool = False) -> pd.DataFrame:
    """Read a long table (Parquet or CSV); with ``restrict`` only the rows a report of ``district`` shows.

    A district report needs its own rows (communities, streets, the district) and
    every district's and the city's rows (ranks); the city summary the district and
    city rows.  Parquet is filtered while reading, so a province-sized table is never
    held whole by a report.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pd.DataFrame({"level": ["community", "district"], "district": ["甲", "甲"], "x": [1, 2]}).to_parquet(p)
    >>> read_table(p, None, restrict=True)["level"].tolist()
    ['district']
    """
    p = Path(path)
    wanted = [[("level", "in", ["district", "city"])]]
    if district:
        wanted.append([("district", "==", district)])
    if p.suffix == ".parquet":
        return pd.read_parquet(p, filters=wanted if restrict else None)
    t = pd.read_csv(p, dtype={"period": str, "district": str, "unit_id": str})
    if restrict:
        keep = t["level"].isin(["district", "city"])
        if district:
            keep |= (t["district"] == district).fillna(False)
        t = t.loc[keep].reset_index(drop=True)
    return t


def targets(ds) -> pd.DataFrame | None:
    """The dataset's ``targets`` table (考核目标), or None when it has none (or no dataset).

    Examples
    --------
    >>> targets(None) is None
    True
    """
    return ds["targets"] if ds is not None and ds.has("targets") else None


def pilot_starts(ds, district: str | None) -> list:
    """Pilot start dates of the communities in scope (from the register), sorted, unique.

    Examples
    --------
    >>> from evalkit.io import load
    >>> len(pilot_starts(load("data/sample"), "东城区")) > 0
    True
    """
    if ds is None:
        return []
    c = ds["communities"]
    if "pilot_start" not in c.columns:
        return []
    if district:
        c = c.loc[c["district"] == district]
    return sorted(pd.to_datetime(c["pilot_start"].dropna()).unique().tolist())


def cadre_terms(ds, years, district: str | None = None) -> dict[str, str]:
    """Report year -> the cadre term (election year) current in it, for the unit in scope.

    A community's current term in a year is its latest ``term_year`` on or before it
    (:func:`evalkit.families.cadres.current_terms`); a unit whose communities are on
    different terms is labelled by the latest of them.  Years before any term are absent.

    Examples
    --------
    >>> from evalkit.io import load
    >>> cadre_terms(load("data/sample"), [2020, 2021, 2024])
    {'2020': '2018', '2021': '2021', '2024': '2024'}
    """
    if ds is None or not ds.has("cadres"):
        return {}
    from evalkit.families.cadres import current_terms

    cad = ds["cadres"]
    if district:
        com = ds["communities"]
        cad = cad.loc[cad["community_id"].isin(com.loc[com["district"] == district, "community_id"])]
    out = {}
    for y in years:
        cur, _ = current_terms(cad, int(y))
        ty = pd.to_numeric(cur["term_year"], errors="coerce").dropna()
        if len(ty):
            out[str(y)] = str(int(ty.max()))
    return out


def problem_text(w, lang: str) -> str:
    """One load-time problem (:class:`evalkit.io.validate.Problem`) as a sentence in ``lang``.

    Examples
    --------
    >>> from evalkit.io.validate import Problem
    >>> p = Problem("warning", "survey_responses", None, "Q01", None, "survey.answer_scale", "三个答案不在量表内。",
    ...             "3 answers outside the scale.")
    >>> problem_text(p, "zh")
    '居民满意度调查：三个答案不在量表内。'
    """
    msg = w.message_zh if lang == "zh" else w.message_en
    if not w.table:
        return msg
    from evalkit.vocabulary import table_label

    return f"{table_label(w.table, lang)}{'：' if lang == 'zh' else ': '}{msg}"


def prepare(data_dir: str, *, district: str | None, year: int, lang: str = "zh", indicators_path: str = "",
            pilot_path: str = "", index_path: str = "", invalid_districts=(), min_n: int = 10,
            uncertainty: int | None = None) -> ReportData:
    """Gather what a report needs: the indicator table, the pilot comparison, dataset.json and the dataset.

    Parameters
    ----------
    data_dir
        The dataset folder.
    district
        The report's district; None for the city summary; "" for the first district.
    indicators_path
        The precomputed long table (Parquet/CSV) written by the batch; when empty the
        table is computed here (every level, :func:`data_years`).
    pilot_path
        The precomputed pilot comparison; when empty and ``indicators_path`` is empty too,
        it is computed here; when empty with a table given, there is none.
    index_path
        The precomputed composite index; likewise computed here (with ``uncertainty``
        replicates, default :data:`evalkit.report.precompute.UNCERTAINTY`) when both paths
        are empty, and none when empty with a table given.
    invalid_districts
        Districts whose data failed validation (not ranked, named in the city summary).

    Returns
    -------
    ReportData

    Raises
    ------
    evalkit.exceptions.ParameterError
        ``year`` is outside the years the data cover.

    Examples
    --------
    >>> rd = prepare("data/sample", district="东城区", year=2024)  # doctest: +SKIP
    >>> rd.district, rd.span.text("zh")  # doctest: +SKIP
    ('东城区', '2020–2024 年')
    """
    from evalkit.contract import TABLES
    from evalkit.io import load, read_meta
    from evalkit.labels import check_lang

    check_lang(lang)
    meta = read_meta(data_dir)
    district = None if district is None else str(district)
    ds = load(data_dir, districts=[district]) if district else load(data_dir)
    span = data_span(ds)
    check_year(span, year)
    pilot = read_table(pilot_path) if pilot_path else None
    index = read_table(index_path) if index_path else None
    if indicators_path:
        table = read_table(indicators_path, district, restrict=True)
    else:
        from evalkit.families import indicators
        from evalkit.report.pilot import compute_pilot
        from evalkit.report.precompute import UNCERTAINTY, compute_index

        full = ds if not district else load(data_dir)  # ranks need every district
        table = pd.concat([indicators(full, year=y, level=ALL_LEVELS) for y in data_years(full, year)],
                          ignore_index=True)
        pilot = compute_pilot(full, year=year)
        index = compute_index(table, year, ds=full, uncertainty=UNCERTAINTY if uncertainty is None else uncertainty,
                              exclude=tuple(invalid_districts))
        index = index if len(index) else None
    if district == "":  # the first district (explore, quick looks)
        d = table.loc[table["level"] == "district", "unit_id"].dropna()
        district = str(sorted(d.unique())[0]) if len(d) else None
    missing = [n for n in TABLES if not ds.has(n)]
    warns = [problem_text(w, lang) for w in ds.warnings]
    yearly = sorted({p for p in table["period"].dropna().astype(str) if p.isdigit()})
    return ReportData(table=table, district=district, year=year, lang=lang, meta=meta, ds=ds, missing_tables=missing,
                      warnings=warns, min_n=min_n, pilot=pilot, index=index, invalid=tuple(str(d) for d in invalid_districts),
                      span=span, terms=cadre_terms(ds, yearly, district))
