"""One exceptions module, one base class.

Every error a user can meet carries its message in Chinese and English.
Errors about data name the table, the row as it is numbered in the source
file (header = row 1), the column and what was expected -- never a value
that is personal data.
"""

from __future__ import annotations


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose.

    Parameters
    ----------
    zh, en
        The message in Chinese and in English.  ``str(err)`` shows both.
    """

    def __init__(self, zh: str, en: str | None = None):
        self.zh = zh
        self.en = en if en is not None else zh
        super().__init__(self.__str__())

    def __str__(self) -> str:  # noqa: D105
        if self.zh == self.en:
            return self.zh
        return f"{self.zh}\n{self.en}"


class ParameterError(EvalkitError, ValueError):
    """An argument has a value outside the allowed ones."""


class DataError(EvalkitError):
    """The data break the dataset contract.

    Attributes ``table``, ``row``, ``column`` locate the problem (any may be
    None).  ``row`` is the row number in the source file, header = row 1.
    """

    def __init__(self, zh: str, en: str | None = None, *, table: str | None = None,
                 row: int | None = None, column: str | None = None):
        self.table, self.row, self.column = table, row, column
        loc_zh, loc_en = _location(table, row, column)
        super().__init__(loc_zh + zh, loc_en + (en if en is not None else zh))


class ReadError(DataError):
    """A file cannot be read (encoding, format, no header row found)."""


class MissingTableError(DataError):
    """A table that the computation needs is not in the dataset."""


class MissingColumnError(DataError, ParameterError, KeyError):
    """A column that a function was told to use is not in its data.

    Every statistic raises this one class for a missing column (``column``
    names it), so callers catch one thing.  It is a :class:`DataError` (the
    data lack the column) and a :class:`ParameterError` (an argument names a
    column that is not there), so code that catches either keeps working.

    Examples
    --------
    >>> err = MissingColumnError("没有列 `y`。", "There is no column `y`.", column="y")
    >>> isinstance(err, DataError), isinstance(err, ParameterError), err.column
    (True, True, 'y')
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return EvalkitError.__str__(self)


class NoIndicatorError(ParameterError):
    """Nothing is left to combine: every indicator of a composite index was left out
    (constant, missing, or excluded by the spec)."""


class ValidationError(DataError):
    """The dataset has errors; ``report`` lists every problem.

    The message is the report's text, under its one header line (the counts
    ``evalkit validate`` prints, then the report's reason when it has one).

    ``zh``/``en``: a message to show instead of the default listing (e.g. the report
    batch says why it built nothing, then lists the problems under one header).
    """

    def __init__(self, report, zh: str | None = None, en: str | None = None):
        self.report = report
        super().__init__(zh if zh is not None else report.to_text("zh"),
                         en if en is not None else report.to_text("en"))


class EstimationError(EvalkitError):
    """A statistic cannot be computed from the data given."""


class ReportError(EvalkitError):
    """A report could not be built."""


def _location(table, row, column) -> tuple[str, str]:
    zh, en = [], []
    if table:
        zh.append(f"表 {table}")
        en.append(f"table {table}")
    if row is not None:
        zh.append(f"第 {row} 行")
        en.append(f"row {row}")
    if column:
        zh.append(f"列 {column}")
        en.append(f"column {column}")
    if not zh:
        return "", ""
    return "，".join(zh) + "：", ", ".join(en) + ": "


def check_choice(name: str, value, allowed) -> None:
    """Raise ParameterError unless ``value`` is one of ``allowed``.

    The message names the argument, the allowed values and what was passed.

    Examples
    --------
    >>> check_choice("ci", "logit", ("normal", "logit"))
    >>> check_choice("ci", "wald", ("normal", "logit"))
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `ci` 必须是 ['normal', 'logit'] 之一，但传入的是 'wald'。
    The value for `ci` must be one of ['normal', 'logit'], but 'wald' was passed.
    """
    allowed = list(allowed)
    if value not in allowed:
        raise ParameterError(
            f"参数 `{name}` 必须是 {allowed} 之一，但传入的是 {value!r}。",
            f"The value for `{name}` must be one of {allowed}, but {value!r} was passed.",
        )


def check_level(level, name: str = "level") -> float:
    """Return a confidence level as a float in (0, 1), or raise ParameterError.

    A level given in percent (``95``) is refused rather than guessed, because
    an interval at the wrong level is worse than an error.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level(95)
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `level` 必须是 0 与 1 之间的数（如 0.95），但传入的是 95。
    The value for `level` must be a number between 0 and 1 (e.g. 0.95), but 95 was passed.
    """
    try:
        value = float(level)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(level, bool) or not 0 < value < 1:
        raise ParameterError(
            f"参数 `{name}` 必须是 0 与 1 之间的数（如 0.95），但传入的是 {level!r}。",
            f"The value for `{name}` must be a number between 0 and 1 (e.g. 0.95), but {level!r} was passed.",
        )
    return value


def check_count(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int when it is a whole number of at least ``minimum``, else raise ParameterError.

    For counts such as a number of permutations or a seasonal period.

    Examples
    --------
    >>> check_count("draws", 999, minimum=99)
    999
    >>> check_count("draws", 10, minimum=99)
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `draws` 必须是不小于 99 的整数，但传入的是 10。
    The value for `draws` must be a whole number of at least 99, but 10 was passed.
    """
    ok = not isinstance(value, bool)
    try:
        number = int(value)
        ok = ok and number == value and number >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ParameterError(
            f"参数 `{name}` 必须是不小于 {minimum} 的整数，但传入的是 {value!r}。",
            f"The value for `{name}` must be a whole number of at least {minimum}, but {value!r} was passed.",
        )
    return number
