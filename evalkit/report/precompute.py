"""The batch's precompute stage: validate once, compute the tables once, reduce the font once.

* :func:`validate` checks the dataset and attributes each error to the
  district whose rows hold it (those districts get no report); errors no
  district owns stop the batch before anything is written, saying why.
* :func:`compute_tables` computes the long indicator table of every year of
  the data up to the report year at every level, and the pilot comparison,
  in the batch's forked workers (they inherit the loaded dataset).
* :func:`compute_index` computes the composite index (score, rank and rank
  interval) of every community, street and district once, with its uncertainty
  replicates, for the reports that show it.
* :func:`reduce_batch_font` makes the reduced CJK font every page subsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["Precomputed", "run", "validate", "check_districts", "check_table_year", "compute_tables", "compute_index",
           "write_table", "font_corpus", "reduce_batch_font", "share", "INDEX_LEVELS", "UNCERTAINTY"]

#: Levels the batch ranks by the composite index (communities within their street).
INDEX_LEVELS = ("community", "street", "district")
#: Default uncertainty replicates of the batch's index (``evalkit reports --uncertainty``).
UNCERTAINTY = 200

_DS = None  # the loaded dataset, inherited by forked workers for the parallel table computation


def share(ds) -> None:
    """Make ``ds`` the dataset that workers forked from now on compute from (None: release it).

    Examples
    --------
    >>> share(None)
    """
    global _DS
    _DS = ds


def check_districts(districts, known) -> None:
    """ParameterError naming the districts of ``districts`` that are not in ``known``.

    Examples
    --------
    >>> check_districts(["东城区"], ["东城区", "西湖区"])
    >>> check_districts(["不存在区"], ["东城区"])
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 数据中没有这些区县：不存在区（已有：东城区）
    No such district in the data: 不存在区 (known: 东城区)
    """
    from evalkit.exceptions import ParameterError

    known = [str(k) for k in known]
    unknown = [str(d) for d in districts if str(d) not in set(known)]
    if unknown:
        raise ParameterError(f"数据中没有这些区县：{'、'.join(unknown)}（已有：{'、'.join(known)}）",
                             f"No such district in the data: {', '.join(unknown)} (known: {', '.join(known)})")


def _where(problems, lang: str) -> str:
    """Where errors are: tables with their first rows (表 cadres（社区干部名册）第 4 行 / table cadres, row 4)."""
    from evalkit.vocabulary import table_label

    by_table: dict = {}
    for p in problems:
        by_table.setdefault(p.table, []).append(p.row)
    out = []
    for tb, rows in by_table.items():
        rows = [r for r in dict.fromkeys(rows) if r is not None]
        more = len(rows) > 3
        if lang == "zh":
            name = f"表 {tb}（{table_label(tb)}）" if tb else "数据集"
            at = f"第 {'、'.join(map(str, rows[:3]))}{' 等' if more else ''} 行" if rows else ""
            out.append(name + at)
        else:
            name = f"table {tb}" if tb else "the dataset"
            at = f", row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:3]))}{' etc.' if more else ''}" if rows else ""
            out.append(name + at)
    return ("、" if lang == "zh" else "; ").join(out)


def _refusal(full, rest, all_bad: bool):
    """The ValidationError of a batch that builds nothing: why, then the problems under one header
    with the same counts as ``evalkit validate``."""
    from evalkit.exceptions import ValidationError
    from evalkit.io.validate import ValidationReport
    from evalkit.labels import t

    msg = {}
    for lang in ("zh", "en"):
        lead = (t("all_invalid_refused", lang) if all_bad
                else t("unowned_refused", lang, where=_where(rest.errors, lang)))
        lines = [lead, full.to_text(lang).splitlines()[0]] + [p.text(lang) for p in full.errors]
        if full.warnings:
            lines.append(t("more_warnings", lang, n=len(full.warnings)))
        msg[lang] = "\n".join(lines)
    return ValidationError(ValidationReport(full.errors), msg["zh"], msg["en"])


def validate(ds, districts=None) -> dict:
    """Validate ``ds``: the districts whose rows have errors (district -> ValidationReport).

    Raises
    ------
    evalkit.exceptions.ValidationError
        An error no district owns (survey_items, targets, a missing table or column,
        rows of an unknown or empty community), or errors in every chosen district:
        nothing can be built.  The message says which, then lists the errors under the
        header ``evalkit validate`` prints (same counts).
    """
    from evalkit.io.validate import split_by_district

    report = ds.validate()
    if report.ok:
        return {}
    invalid, rest = split_by_district(report, ds)
    candidates = [str(d) for d in (districts or ds.districts)]
    if not rest.ok or all(d in invalid for d in candidates):
        raise _refusal(report, rest, all_bad=rest.ok)
    return invalid


def check_table_year(table: pd.DataFrame, year: int) -> None:
    """Refuse a report year that a precomputed table has no rows of, naming the years it has.

    Examples
    --------
    >>> check_table_year(pd.DataFrame({"period": ["2023", "2024", "2024-03"]}), 2022)
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 数据只覆盖 2023–2024 年，没有 2022 年的数据；请用 --year 选择其中一年。
    The data cover 2023–2024; there are no data for 2022: choose one of those years with --year.
    """
    from evalkit.report.data import Span, check_year

    years = sorted({int(p) for p in table["period"].dropna().astype(str) if p.isdigit() and len(p) == 4})
    if years:
        check_year(Span(years[0], years[-1], None), year)


def _indicator_part(year: int, quiet: bool = False):
    """One year's indicators at every level, in a forked worker (``_DS`` inherited).

    ``quiet``: silence the warnings (a family left out for a missing table ...), which the
    report year's part gives once; every earlier year would repeat them word for word.
    """
    import warnings

    from evalkit.families import indicators
    from evalkit.report.data import ALL_LEVELS

    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        return indicators(_DS, year=year, level=ALL_LEVELS)


def _pilot_part(year: int):
    from evalkit.report.pilot import compute_pilot

    return compute_pilot(_DS, year=year)


def compute_tables(ds, year: int, pool=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long table of every year of the data up to ``year`` at every level, and the pilot comparison.

    With ``pool`` (a fork pool created after :func:`share` gave it ``ds``), the years and
    the pilot comparison are computed in parallel.  An error in any part stops the batch
    (it is a bug or a data problem validation did not catch; nothing is hidden).

    Returns
    -------
    (DataFrame, DataFrame)
        The indicator table and :func:`evalkit.report.pilot.compute_pilot`.
    """
    from evalkit.families._frame import SORT_KEYS, finalize
    from evalkit.report.data import data_years
    from evalkit.report.pool import in_worker

    years = data_years(ds, year)
    if pool is not None:
        pilot_f = pool.submit(in_worker, _pilot_part, year)  # the longest part first
        futs = [pool.submit(in_worker, _indicator_part, y, y != year) for y in years]
        parts = [f.result() for f in futs]
        pilot = pilot_f.result()
    else:
        share(ds)
        try:
            parts = [_indicator_part(y, y != year) for y in years]
            pilot = _pilot_part(year)
        finally:
            share(None)
    table = pd.concat(parts, ignore_index=True).drop_duplicates(subset=SORT_KEYS, keep="last")
    return finalize(table), pilot


def compute_index(table: pd.DataFrame, year: int, *, ds=None, uncertainty: int = UNCERTAINTY, seed: int = 0,
                  jobs: int | None = None, exclude=()) -> pd.DataFrame:
    """The composite index of every level of :data:`INDEX_LEVELS` for ``year``, once per batch.

    Parameters
    ----------
    table
        The long indicator table (every level).
    year
        The report year.
    ds
        The loaded Dataset, for each community's street (``rank_in_parent`` of a
        community is its rank within its street; without ``ds``, within its district).
    uncertainty, seed, jobs
        Replicates of data error for the score and rank intervals
        (:func:`evalkit.index`; 0: point scores and ranks only), their seed and
        worker processes.
    exclude
        Districts left out of the ranking (their data failed validation): their
        units are not ranked beside the others.

    Returns
    -------
    DataFrame
        The rows of :func:`evalkit.index` (``index`` and ``index_family``) of every
        level that has rows in ``table``, one after another.  A level where no
        indicator with a direction varies has no index (a warning says so); empty
        when no level has one.

    Examples
    --------
    >>> rows = [dict(indicator=i, level="district", unit_id=u, unit_name=u, district=u, period="2024", value=v)
    ...         for i, vals in {"satisfaction_index": [60, 70, 80], "volunteer_active_rate": [0.3, 0.5, 0.4]}.items()
    ...         for u, v in zip(["东区", "西区", "南区"], vals)]
    >>> out = compute_index(pd.DataFrame(rows), 2024, uncertainty=0)
    >>> out.loc[out["indicator"] == "index", ["unit_id", "rank"]].sort_values("rank")["unit_id"].tolist()
    ['南区', '西区', '东区']
    """
    import warnings

    from evalkit.exceptions import NoIndicatorError
    from evalkit.ranking import index
    from evalkit.vocabulary import level_label

    if exclude:
        table = table.loc[~table["district"].isin(list(exclude))]
    parts = []
    for level in INDEX_LEVELS:
        if not (table["level"] == level).any():
            continue
        parent = None
        if level == "community" and ds is not None:
            from evalkit.families._frame import units

            street = units(ds, "street")
            parent = dict(zip(street["community_id"], street["unit_id"]))
        try:
            parts.append(index(table, year=year, level=level, uncertainty=uncertainty, seed=seed, parent=parent,
                               jobs=jobs))
        except NoIndicatorError as err:  # no indicator varies at this level: it has no index, and says why
            warnings.warn(f"{level_label(level)}层级没有综合指数：{err.zh}\n"
                          f"No composite index at the {level_label(level, 'en')} level: {err.en}", UserWarning,
                          stacklevel=2)
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """Write a long table as Parquet (zstd), atomically.

    Examples
    --------
    >>> import tempfile
    >>> p = write_table(pd.DataFrame({"value": [1.0]}), Path(tempfile.mkdtemp()) / "t.parquet")
    >>> pd.read_parquet(p)["value"].tolist()
    [1.0]
    """
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.files import atomic_write

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buf, compression="zstd")
    return atomic_write(path, buf.getvalue())


def font_corpus(table: pd.DataFrame, meta: dict | None = None, extra=()) -> str:
    """Every character a report of this batch is expected to show (for the reduced font).

    The zh/en text table, unit labels, the catalog (names, definitions, benchmark
    scopes), the contract's code labels, the table's unit names and notes, dataset.json
    and ``extra``.  A page with a character outside it falls back to the full font.

    Examples
    --------
    >>> t = pd.DataFrame({"unit_name": ["鑫苑社区"], "district": ["东城区"]})
    >>> "鑫" in font_corpus(t)
    True
    """
    import json

    from evalkit import contract
    from evalkit import labels as tx
    from evalkit.families.catalog import entries

    parts = [tx.corpus()]  # the text table and the vocabulary (notes, units, levels, table names)
    cat = entries()
    parts += [json.dumps(e, ensure_ascii=False, default=str) for e in cat]
    parts += [json.dumps(v, ensure_ascii=False, default=str) for v in vars(contract).values() if isinstance(v, dict)]
    for col in ("unit_name", "district", "unit_id", "category", "note"):
        if col in table.columns:
            parts += table[col].dropna().astype(str).unique().tolist()
    parts.append(json.dumps(meta or {}, ensure_ascii=False, default=str))
    parts += [str(x) for x in extra]
    return "".join(sorted(set("".join(parts))))


def reduce_batch_font(corpus: str, work: Path) -> Path:
    """The reduced font of the batch: cached by character set, or in ``work`` when the cache
    folder cannot be written.

    Examples
    --------
    >>> reduce_batch_font("社区", Path("reports/.work")).suffix  # doctest: +SKIP
    '.otf'
    """
    from evalkit.report.webfont import reduce_font

    try:
        return reduce_font(corpus)
    except OSError:  # no writable cache (a read-only home): keep it in this batch's work folder
        return reduce_font(corpus, work / "font-base.otf")


@dataclass
class Precomputed:
    """What the precompute stage hands to the others.

    ``table``/``pilot``/``index`` and their files (``indicators``, ``pilot_file``,
    ``index_file``; the pilot or the index None when there is none), dataset.json (``meta``), the districts whose data
    failed validation (``invalid``: district -> ValidationReport), the years covered
    (``span``, None for a table given by the caller) and the reduced font.
    """

    table: pd.DataFrame
    pilot: pd.DataFrame | None
    indicators: object
    pilot_file: object
    index: pd.DataFrame | None
    index_file: object
    meta: dict
    invalid: dict
    span: object
    font_base: Path
    districts: list[str]


def run(opts, *, ds, table, invalid: dict, span, pool) -> Precomputed:
    """Compute (or take) the tables, write them beside the reports, choose the districts, reduce the font."""
    from evalkit.exceptions import ReportError
    from evalkit.io import read_meta
    from evalkit.report.manifest import TableFile

    meta = read_meta(opts.data_dir)
    pilot = None
    if table is None:
        table, pilot = compute_tables(ds, opts.year, pool=pool)
    ind = TableFile(write_table(table, opts.out / f"indicators_{opts.year}.parquet"), len(table))
    pilot_file = None
    if pilot is not None and len(pilot):
        pilot_file = TableFile(write_table(pilot, opts.out / f"pilot_{opts.year}.parquet"), len(pilot))
    else:
        pilot = None
        (opts.out / f"pilot_{opts.year}.parquet").unlink(missing_ok=True)  # stale comparison of an earlier run
    index = compute_index(table, opts.year, ds=ds, uncertainty=opts.uncertainty, seed=opts.seed, jobs=opts.jobs,
                          exclude=tuple(invalid))
    index_file = None
    if len(index):
        index_file = TableFile(write_table(index, opts.out / f"index_{opts.year}.parquet"), len(index))
    else:
        index = None
        (opts.out / f"index_{opts.year}.parquet").unlink(missing_ok=True)  # stale index of an earlier run
    known = _districts_of(table)
    if opts.districts:
        check_districts(opts.districts, known)
    chosen = list(dict.fromkeys(opts.districts)) if opts.districts else known
    if not chosen:
        raise ReportError("指标表中没有任何区县。", "The indicator table has no district.")
    # the CJK font is parsed once per batch: every page subsets this reduced copy (~100x smaller)
    corpus = font_corpus(table, meta, chosen + ([] if pilot is None else pilot["note"].dropna().tolist()))
    return Precomputed(table=table, pilot=pilot, indicators=ind, pilot_file=pilot_file, index=index,
                       index_file=index_file, meta=meta, invalid=invalid,
                       span=span, font_base=reduce_batch_font(corpus, opts.out / ".work"), districts=chosen)


def _districts_of(table: pd.DataFrame) -> list[str]:
    d = table.loc[table["level"] == "district", "unit_id"].dropna().astype(str).unique().tolist()
    if not d:
        d = table.loc[table["district"].notna() & (table["district"] != "all"), "district"].astype(str).unique().tolist()
    return sorted(d)
