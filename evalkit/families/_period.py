"""Periods: a calendar year, or an explicit window ``start..end``, for every family.

Every count, sum and share is for a period P.  By default P is a calendar year
(period ``2024``); :func:`evalkit.families.indicators` also takes an explicit window
(``period=("2017-04-01", "2017-07-31")``, CLI ``--from/--to``): one period row labelled
``2017-04-01..2017-07-31``.  P ends at min(end, as-of date of the table): the coverage
rules of :class:`evalkit.families._coverage.Coverage` apply to a window as to a year,
and its notes name full dates (``through 2017-06-30``).

Indicators that cannot use a window -- trends, year-on-year changes, retention, cadre
terms, yearly community facts, survey waves -- are listed by each family module in
``NO_WINDOW`` (``WINDOW_FAMILY = False`` for a family with none that can); with a window
they are left out with a note (:func:`window_exclusions`), never an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Period", "parse_period", "to_date", "window_exclusions"]


@dataclass(frozen=True)
class Period:
    """A period of the indicators: a calendar year (``year`` set) or a window.

    ``start`` and ``end`` are both inclusive days.

    Examples
    --------
    >>> Period.calendar(2024).label
    '2024'
    >>> p = Period.window("2017-04-01", "2017-07-31")
    >>> p.label, p.is_window
    ('2017-04-01..2017-07-31', True)
    >>> Period.window("2023-07-01", "2025-06-30").whole_years()
    [2024]
    """

    start: pd.Timestamp
    end: pd.Timestamp
    year: int | None = None

    @classmethod
    def calendar(cls, year: int) -> "Period":
        """The calendar year ``year`` (1 January to 31 December)."""
        return cls(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31), int(year))

    @classmethod
    def window(cls, start, end) -> "Period":
        """The window from ``start`` to ``end`` (dates, both inclusive)."""
        return parse_period((start, end))

    @property
    def is_window(self) -> bool:
        return self.year is None

    @property
    def label(self) -> str:
        """The ``period`` column of its rows: ``2024`` or ``2017-04-01..2017-07-31``."""
        if self.year is not None:
            return str(self.year)
        return f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"

    @property
    def date_format(self) -> str:
        """strftime format of the coverage notes: ``MM-DD`` in a year, full dates in a window."""
        return "%m-%d" if self.year is not None else "%Y-%m-%d"

    def state(self, cov) -> tuple[bool, pd.Timestamp, str | None]:
        """(covered, effective end, note) of this period for a table's coverage ``cov``.

        The effective end is min(end, as-of date) when covered, else ``end`` (the
        rows are then empty with note ``no data``).
        """
        ok, end, note = cov.state(self.start, self.end, fmt=self.date_format)
        return ok, (end if ok else self.end), note

    def size_year(self, end: pd.Timestamp | None = None) -> int:
        """The year whose households and population are the rates' denominators: the
        calendar year, or for a window the year of its (effective) last day."""
        if self.year is not None:
            return self.year
        return int((end if end is not None else self.end).year)

    def whole_years(self, end: pd.Timestamp | None = None) -> list[int]:
        """Calendar years lying entirely inside the period (up to ``end`` when given):
        the years of data recorded by year only (funded projects)."""
        last = min(self.end, end) if end is not None else self.end
        first = self.start.year + (0 if (self.start.month, self.start.day) == (1, 1) else 1)
        final = last.year - (0 if (last.month, last.day) == (12, 31) else 1)
        return list(range(first, final + 1))

    def months(self, first: pd.Timestamp, end: pd.Timestamp) -> pd.PeriodIndex:
        """Whole calendar months inside [start, ``end``] from the month of ``first`` on.

        A month counts when all its days lie in the period and it does not begin
        before the month of ``first`` (a table's first record: coverage begins with
        that month) -- the months of ``meeting_month_coverage``.
        """
        lo = max(self.start, first.normalize().replace(day=1))
        lo_m = pd.Period(lo, "M") if lo.day == 1 else pd.Period(lo, "M") + 1
        hi_m = pd.Period(end, "M") if end == end + pd.offsets.MonthEnd(0) else pd.Period(end, "M") - 1
        if hi_m < lo_m:
            return pd.period_range(lo_m, periods=0, freq="M")
        return pd.period_range(lo_m, hi_m, freq="M")


_DATE_TEXT = r"\d{4}(-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|年\d{1,2}月\d{1,2}日)"


def to_date(value) -> pd.Timestamp:
    """A day from a date, a datetime or a text date (YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日);
    NaT for anything else (``"June"`` is not a date, though pandas reads it as 1 June of year 1).

    Examples
    --------
    >>> to_date("2017年4月1日"), to_date("June")
    (Timestamp('2017-04-01 00:00:00'), NaT)
    """
    import re

    if isinstance(value, str):
        v = value.strip()
        if not re.fullmatch(_DATE_TEXT, v):
            return pd.NaT
        value = re.sub(r"[年月/]", "-", v).rstrip("日")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return pd.NaT
    return pd.NaT if pd.isna(ts) else ts.normalize().as_unit("s")


def _date(value, name: str) -> pd.Timestamp:
    from evalkit.exceptions import ParameterError

    ts = to_date(value)
    if pd.isna(ts):
        raise ParameterError(
            f"期间的{name}必须是日期（YYYY-MM-DD），但传入的是 {value!r}。",
            f"The period's {'start' if name == '起始日期' else 'end'} must be a date (YYYY-MM-DD), "
            f"but {value!r} was passed.")
    return ts


def parse_period(period) -> Period:
    """A :class:`Period` from ``(start, end)`` dates (strings, dates or Timestamps).

    Raises
    ------
    ParameterError
        Not a pair, a value that is not a date, or an end before the start.

    Examples
    --------
    >>> parse_period(("2017-04-01", "2017-07-31")).label
    '2017-04-01..2017-07-31'
    """
    from evalkit.exceptions import ParameterError

    if isinstance(period, Period):
        return period
    if isinstance(period, (str, bytes)) or not hasattr(period, "__len__") or len(period) != 2:
        raise ParameterError(
            f"参数 `period` 必须是（起始日期, 结束日期），例如 ('2017-04-01', '2017-07-31')，但传入的是 {period!r}。",
            f"The value for `period` must be (start, end), e.g. ('2017-04-01', '2017-07-31'), "
            f"but {period!r} was passed.")
    start, end = _date(period[0], "起始日期"), _date(period[1], "结束日期")
    if end < start:
        raise ParameterError(
            f"期间的结束日期 {end:%Y-%m-%d} 早于起始日期 {start:%Y-%m-%d}。",
            f"The period ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d}).")
    return Period(start, end, None)


def window_exclusions(mod) -> frozenset[str]:
    """Indicator ids of family module ``mod`` that cannot use a window.

    ``NO_WINDOW`` lists them; a module with ``WINDOW_FAMILY = False`` has none that can.

    Examples
    --------
    >>> from evalkit.families import disputes, cadres
    >>> sorted(window_exclusions(disputes))
    ['dispute_rate_change', 'dispute_trend_irr', 'dispute_trend_mk']
    >>> window_exclusions(cadres) == {e["id"] for e in cadres.CATALOG}
    True
    """
    if not getattr(mod, "WINDOW_FAMILY", True):
        return frozenset(e["id"] for e in mod.CATALOG)
    return frozenset(getattr(mod, "NO_WINDOW", ()))
