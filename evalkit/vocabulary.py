"""The words and numbers of evalkit's output, in Chinese and English.

One place renders, per language, what the long indicator table holds as
codes -- its ``note`` values, its units, its levels and the names of the
input tables -- and one set of functions formats its numbers (values,
changes, differences, intervals, p-values).  Everything that shows the table
to a reader (``evalkit indicators`` summaries, workbooks, plots, reports,
pilot text) calls these functions; :mod:`evalkit.labels` re-exports them
beside the catalog look-ups.

This module sits at the bottom of the layers (it imports only
:mod:`evalkit.contract` and :mod:`evalkit.exceptions`), so the families'
writers and the pilot comparison can use it as well as the plots and reports.

Adding a note
-------------
A family that writes a new ``note`` adds one line to :data:`NOTES`: the note
as the code writes it, with ``{fields}`` for its variable parts, and its
Chinese and English text::

    "beyond follow-up": ("超出随访期", "beyond follow-up"),
    "through {mmdd}": ("截至{mmdd}", "through {mmdd}"),

Field names say what they match: ``{mmdd}`` a month-day (``10-24``, shown in
Chinese as ``10月24日``), ``{x}`` a number, ``{n}`` a whole number, ``{text}``
any text without ``;`` or ``,`` (rendered as it is -- use it only for ids).
Notes are combined with ``"; "`` (clauses) and ``", "`` (parts); a clause
may start with the period it refers to (``2020 from 07-01``,
``2017-04-01..2017-07-31 from 04-01``).  A note that no line matches raises
:class:`LookupError`: an untranslated note is a bug, caught by the tests
(tests/test_vocabulary.py renders every note the families write).
"""

from __future__ import annotations

import functools
import math
import re

__all__ = ["NOTES", "UNITS", "TABLE_EN", "DIRECTIONS", "INTERVALS", "MISSING", "corpus", "note_label", "unit_label", "family_label", "FAMILY_NAMES",
           "table_label", "level_label", "direction_label", "interval_label", "localised", "decimals", "fmt_value",
           "fmt_change", "fmt_diff", "fmt_interval", "fmt_p"]

#: What every formatter shows for a missing number (and a missing interval).
MISSING = "—"

#: note as the code writes it (with {fields}) -> (Chinese, English).
NOTES: dict[str, tuple[str, str]] = {
    # coverage of the ledgers (evalkit.families._coverage)
    "no data": ("无数据", "no data"),
    "from {mmdd}": ("自{mmdd}起", "from {mmdd}"),
    "through {mmdd}": ("截至{mmdd}", "through {mmdd}"),
    # comparisons with the year before / the previous term
    "rate 0 in the year before": ("上年发生率为 0", "rate 0 in the year before"),
    "no previous term": ("无上一届", "no previous term"),
    # survey estimates (evalkit.stats.survey)
    "not estimable (one PSU)": ("无法估计（仅一个初级抽样单元）", "not estimable (one PSU)"),
    "lonely PSU adjusted": ("单个初级抽样单元的层已按总体均值调整", "lonely PSU adjusted"),
    "lonely PSU taken as certainty": ("单个初级抽样单元的层按必然入样处理", "lonely PSU taken as certainty"),
    "lonely PSU removed": ("单个初级抽样单元的层不计方差", "lonely PSU removed"),
    "lonely PSU averaged": ("单个初级抽样单元的层取平均方差", "lonely PSU averaged"),
    "logit interval undefined (share 0 or 1)": ("比例为 0 或 1，logit 区间无定义",
                                                "logit interval undefined (share 0 or 1)"),
    "deff undefined (weights sum to n or less)": ("权重之和不大于样本量，设计效应无定义",
                                                  "deff undefined (weights sum to n or less)"),
    # trend models (evalkit.stats.trend)
    "not estimable (no events)": ("无法估计（没有案件）", "not estimable (no events)"),
    "not estimable (too few observations)": ("无法估计（观测太少）", "not estimable (too few observations)"),
    "not estimable (did not converge)": ("无法估计（模型未收敛）", "not estimable (did not converge)"),
    "too few observations": ("观测太少", "too few observations"),
    "poisson (Pearson chi2/df {x})": ("泊松模型（Pearson χ²/自由度 {x}）", "Poisson model (Pearson χ²/df {x})"),
    "negative binomial (alpha {x})": ("负二项模型（离散参数 α = {x}）", "negative binomial model (α = {x})"),
    # time to resolution (evalkit.stats.survival)
    "beyond follow-up": ("超出随访期", "beyond follow-up"),
    "never reaches 0.5": ("始终未达到 50%", "never reaches 0.5"),
}

#: unit code of the catalog -> (Chinese, English); "" where the number needs no unit.
UNITS: dict[str, tuple[str, str]] = {
    "count": ("件", "cases"),
    "per_1000_households": ("每千户", "per 1,000 households"),
    "per_100_residents": ("每百人", "per 100 residents"),
    "per_10k_residents": ("每万人", "per 10,000 residents"),
    "per_10000_residents": ("每万人", "per 10,000 residents"),
    "per_1000_households_per_year": ("每千户·每年", "per 1,000 households per year"),
    "hours_per_resident": ("小时/人", "hours per resident"),
    "hours_per_volunteer": ("小时/人", "hours per volunteer"),
    "households_per_worker": ("户/人", "households per worker"),
    "share": ("%", "%"),
    "share_points": ("百分点", "percentage points"),
    "index_0_100": ("分", "points"),
    "ratio": ("", ""),
    "years": ("岁", "years"),
    "days": ("天", "days"),
    "hours": ("小时", "hours"),
    "yuan": ("元", "yuan"),
    "m2_per_100_households": ("平方米/百户", "m² per 100 households"),
}

#: English names of the input tables (the Chinese ones are the contract's).
TABLE_EN: dict[str, str] = {
    "communities": "community register",
    "community_years": "community yearly figures",
    "disputes": "dispute ledger",
    "volunteers": "volunteer register",
    "volunteer_hours": "volunteer service records",
    "cadres": "cadre roster",
    "survey_responses": "survey responses",
    "survey_items": "survey items",
    "targets": "targets",
    "deliberations": "deliberation ledger",
    "requests": "resident requests and 12345 orders",
    "visits": "household visit records",
    "party_members": "Party member ledger",
    "projects": "funded project ledger",
}

#: indicator family -> (Chinese, English), in report order.
FAMILY_NAMES: dict[str, tuple[str, str]] = {
    "disputes": ("矛盾纠纷", "disputes"),
    "volunteers": ("志愿服务", "volunteers"),
    "cadres": ("社区干部", "community cadres"),
    "satisfaction": ("居民满意度", "resident satisfaction"),
    "organisation": ("组织与网格", "organisation and grids"),
    "deliberation": ("议事协商", "deliberation"),
    "requests": ("民情诉求与12345", "resident requests and 12345"),
    "visits": ("入户走访", "household visits"),
    "party": ("党员队伍", "Party members"),
    "projects": ("公益创投项目", "funded projects"),
}

#: direction code of the catalog -> (Chinese, English).
DIRECTIONS: dict[str, tuple[str, str]] = {
    "higher_better": ("越高越好", "higher is better"),
    "lower_better": ("越低越好", "lower is better"),
    "target_band": ("在目标区间内为好", "best within a target band"),
    "descriptive": ("描述性", "descriptive"),
}

#: interval method of the catalog -> (Chinese, English).
INTERVALS: dict[str, tuple[str, str]] = {
    "none": ("无", "none"),
    "wilson": ("Wilson 区间", "Wilson"),
    "garwood": ("精确泊松（Garwood）区间", "exact Poisson (Garwood)"),
    "newcombe": ("Newcombe 差值区间", "Newcombe (difference of shares)"),
    "t": ("t 分布区间", "t distribution"),
    "design normal (Taylor linearisation)": ("抽样设计正态区间（泰勒线性化）", "design normal (Taylor linearisation)"),
    "design logit (svyciprop)": ("抽样设计 logit 区间", "design logit (svyciprop)"),
    "exact conditional (Clopper–Pearson)": ("精确条件区间（Clopper–Pearson）", "exact conditional (Clopper–Pearson)"),
    "aalen-johansen (delta method)": ("Aalen–Johansen 估计（delta 方法）", "Aalen–Johansen (delta method)"),
    "model (Wald, log scale)": ("模型区间（对数尺度 Wald）", "model (Wald, log scale)"),
    "Feldt (F distribution)": ("Feldt 区间（F 分布）", "Feldt (F distribution)"),
}

_FIELDS = {"mmdd": r"\d{2}-\d{2}", "x": r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf",
           "n": r"\d+", "text": r"[^;,]+"}
_PERIOD = re.compile(r"(?P<period>\d{4}(?:-\d{2}(?:-\d{2})?)?(?:\.\.\d{4}(?:-\d{2}(?:-\d{2})?)?)?) (?P<rest>.+)")


def corpus() -> str:
    """Every character the renderers of this module can write (for a reduced font).

    Examples
    --------
    >>> all(ch in corpus() for ch in "截至月日无数据每千户—")
    True
    """
    parts = [v for table in (NOTES, UNITS, DIRECTIONS, INTERVALS) for pair in table.values() for v in pair]
    parts += list(TABLE_EN.values()) + ["0123456789 .,:;+-<=%（）：；，至to p", MISSING, "年月日"]
    from evalkit.contract import LEVEL_CODES, TABLES

    parts += [t.zh for t in TABLES.values()] + [v[0] for v in LEVEL_CODES.values()] + list(LEVEL_CODES)
    return "".join(sorted(set("".join(parts))))


def _check_lang(lang: str) -> bool:
    """True for Chinese; ParameterError unless ``lang`` is "zh" or "en"."""
    from evalkit.exceptions import check_choice

    check_choice("lang", lang, ("zh", "en"))
    return lang == "zh"


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern, str, str], ...]:
    out = []
    for key, (zh, en) in NOTES.items():
        parts = re.split(r"\{(\w+)\}", key)
        rx = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_FIELDS[p]})" for i, p in enumerate(parts))
        out.append((re.compile(rx), zh, en))
    return tuple(out)


def _atom(text: str, zh: bool) -> str | None:
    for rx, tzh, ten in _patterns():
        m = rx.fullmatch(text)
        if m:
            fields = m.groupdict()
            if zh and "mmdd" in fields:
                month, day = fields["mmdd"].split("-")
                fields["mmdd"] = f" {int(month)} 月 {int(day)} 日"
            return (tzh if zh else ten).format(**fields).strip()
    return None


def _clause(text: str, zh: bool) -> str:
    whole = _atom(text, zh)
    if whole is not None:
        return whole
    m = _PERIOD.fullmatch(text)
    if m:
        rest = _clause(m["rest"], zh)
        period = m["period"]
        if zh:
            return f"{period} 年{rest}" if len(period) == 4 else f"{period}：{rest}"
        return f"{period} {rest}"
    parts = text.split(", ")
    if len(parts) > 1:
        return ("，" if zh else ", ").join(_clause(p, zh) for p in parts)
    raise LookupError(
        f"note {text!r} has no Chinese/English text: add a line for it to evalkit.vocabulary.NOTES")


def note_label(note, lang: str = "zh") -> str:
    """The table's ``note`` in ``lang`` (empty for a missing note).

    Parameters
    ----------
    note
        A value of the long table's ``note`` column (str, None or NA).
    lang
        "zh" or "en".

    Returns
    -------
    str
        The note in Chinese or English; clauses joined by "；" in Chinese.

    Raises
    ------
    LookupError
        A part of the note matches no line of :data:`NOTES` (a bug: the family
        writes a note nobody translated).

    Examples
    --------
    >>> note_label("through 10-24")
    '截至 10 月 24 日'
    >>> note_label("from 07-01; 2020 from 07-01")
    '自 7 月 1 日起；2020 年自 7 月 1 日起'
    >>> note_label("poisson (Pearson chi2/df 1.08); through 10-24", "en")
    'Poisson model (Pearson χ²/df 1.08); through 10-24'
    >>> note_label(None)
    ''
    >>> note_label("brand new note")
    Traceback (most recent call last):
    ...
    LookupError: note 'brand new note' has no Chinese/English text: add a line for it to evalkit.vocabulary.NOTES
    """
    zh = _check_lang(lang)
    if not isinstance(note, str):
        import pandas as pd

        if note is None or pd.isna(note):
            return ""
        raise TypeError(f"a note is text, not {type(note).__name__}: {note!r}")
    text = note
    return ("；" if zh else "; ").join(_clause(c.strip(), zh) for c in text.split(";") if c.strip())


def _lookup(table: dict, code: str, what: str, name: str, zh: bool) -> str:
    if code not in table:
        raise LookupError(f"{what} {code!r} has no Chinese/English text: add it to evalkit.vocabulary.{name}")
    return table[code][0 if zh else 1]


def unit_label(unit: str, lang: str = "zh") -> str:
    """The unit of the catalog (``per_1000_households``) in ``lang`` ("" for ``ratio``).

    Examples
    --------
    >>> unit_label("per_1000_households"), unit_label("per_1000_households", "en")
    ('每千户', 'per 1,000 households')
    >>> unit_label("ratio")
    ''
    >>> unit_label("furlongs")
    Traceback (most recent call last):
    ...
    LookupError: unit 'furlongs' has no Chinese/English text: add it to evalkit.vocabulary.UNITS
    """
    return _lookup(UNITS, unit, "unit", "UNITS", _check_lang(lang))


def table_label(name: str, lang: str = "zh") -> str:
    """The display name of an input table (``disputes`` -> 矛盾纠纷台账).

    Examples
    --------
    >>> table_label("disputes"), table_label("disputes", "en")
    ('矛盾纠纷台账', 'dispute ledger')
    """
    from evalkit.contract import TABLES

    zh = _check_lang(lang)
    if name not in TABLES:
        raise LookupError(f"table {name!r} is not a table of the contract (evalkit.contract.TABLES)")
    if name not in TABLE_EN:
        raise LookupError(f"table {name!r} has no English name: add it to evalkit.vocabulary.TABLE_EN")
    return TABLES[name].zh if zh else TABLE_EN[name]


def direction_label(direction: str, lang: str = "zh") -> str:
    """The catalog's direction (``higher_better`` ...) in ``lang``.

    Examples
    --------
    >>> direction_label("higher_better"), direction_label("higher_better", "en")
    ('越高越好', 'higher is better')
    """
    return _lookup(DIRECTIONS, direction, "direction", "DIRECTIONS", _check_lang(lang))


def interval_label(method: str, lang: str = "zh") -> str:
    """The catalog's interval method (``wilson``, ``garwood`` ...) in ``lang``.

    Examples
    --------
    >>> interval_label("garwood"), interval_label("garwood", "en")
    ('精确泊松（Garwood）区间', 'exact Poisson (Garwood)')
    """
    return _lookup(INTERVALS, method, "interval method", "INTERVALS", _check_lang(lang))


def family_label(family: str, lang: str = "zh") -> str:
    """The display name of an indicator family (``party`` -> 党员队伍).

    Examples
    --------
    >>> family_label("requests"), family_label("requests", "en")
    ('民情诉求与12345', 'resident requests and 12345')
    """
    return _lookup(FAMILY_NAMES, family, "family", "FAMILY_NAMES", _check_lang(lang))


def level_label(level: str, lang: str = "zh") -> str:
    """The display name of a level (``district`` -> 区县).

    Examples
    --------
    >>> level_label("street"), level_label("street", "en")
    ('街道', 'street')
    """
    from evalkit.contract import LEVEL_CODES

    zh = _check_lang(lang)
    if level not in LEVEL_CODES:
        raise LookupError(f"level {level!r} is not one of {list(LEVEL_CODES)}")
    return LEVEL_CODES[level][0] if zh else level


def localised(value, lang: str = "zh") -> str:
    """A free text (dataset.json, a bilingual warning) in ``lang``.

    ``{"zh": ..., "en": ...}`` gives the language's entry (else the other); a
    string ``"中文 / English"`` whose two sides differ in having Chinese
    characters gives the side of the language; anything else is returned as it is.

    Examples
    --------
    >>> localised({"zh": "示例市民政局", "en": "Sample City"}, "en")
    'Sample City'
    >>> localised("缺少表 targets。 / Table targets is missing.", "zh")
    '缺少表 targets。'
    """
    if isinstance(value, dict):
        other = "en" if lang == "zh" else "zh"
        return str(value.get(lang) or value.get(other) or next(iter(value.values()), ""))
    text = "" if value is None else str(value)
    parts = [x.strip() for x in text.split(" / ")]
    if len(parts) == 2 and all(parts):
        cjk = [any("\u4e00" <= ch <= "\u9fff" for ch in x) for x in parts]
        if cjk[0] != cjk[1]:
            return parts[cjk.index(lang == "zh")]
    return text


# --- numbers ----------------------------------------------------------------------


def _number(value) -> float | None:
    """``value`` as a finite-or-infinite float, None when missing or not a number."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _plain(v: float, digits: int) -> str:
    s = f"{v:,.{digits}f}"
    return s[1:] if s.startswith("-") and float(s[1:].replace(",", "")) == 0 else s


def decimals(*values) -> int:
    """Decimals that show about three significant figures of the smallest non-zero of ``values``.

    Never more than three (never scientific notation); values of 1,000 or more get none.
    Give a value and its interval together so that all three show the same decimals.

    Examples
    --------
    >>> decimals(3054.2), decimals(25.4), decimals(2.5), decimals(-0.08, -0.125, -0.033), decimals(0)
    (0, 1, 2, 3, 2)
    """
    mags = [abs(v) for v in (_number(x) for x in values) if v is not None and math.isfinite(v) and v != 0]
    if not mags:
        return 2
    a = min(mags)
    return 0 if a >= 1000 else 1 if a >= 10 else 2 if a >= 1 else min(3, 1 - math.floor(math.log10(a)))


def fmt_value(value, unit: str, lang: str = "zh", *, digits: int | None = None) -> str:
    """A value of the table as shown to readers.

    Parameters
    ----------
    value
        The number (None/NaN/NA show as "—").
    unit
        The indicator's unit in the catalog: ``share`` shows as a percent
        (``0.123`` -> ``12.3%``), ``share_points`` as percentage points
        (``0.054`` -> ``5.4``), ``count`` as a whole number with thousands
        separators; other units get about three significant figures (never more
        than three decimals, never scientific notation).
    lang
        "zh" or "en" (the digits are the same).
    digits
        Decimals to use instead of the rule above.

    Examples
    --------
    >>> fmt_value(0.1234, "share"), fmt_value(3054, "count"), fmt_value(25.4213, "per_1000_households")
    ('12.3%', '3,054', '25.4')
    >>> fmt_value(0.0799, "ratio"), fmt_value(0.054, "share_points"), fmt_value(float("nan"), "share")
    ('0.080', '5.4', '—')
    """
    _check_lang(lang)
    v = _number(value)
    if v is None:
        return MISSING
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if unit == "share":
        return _plain(100 * v, 1 if digits is None else digits) + "%"
    if unit == "share_points":
        return _plain(100 * v, 1 if digits is None else digits)
    if unit == "count" and digits is None:
        return _plain(v, 0)
    return _plain(v, decimals(v) if digits is None else digits)


def fmt_diff(value, unit: str, lang: str = "zh", *, sign: bool = False) -> str:
    """A difference in an indicator's unit (a pilot effect, a gap to a target).

    Shares differ by percentage points (``0.032`` -> ``3.2 个百分点``); other
    units as :func:`fmt_value`.  ``sign`` puts "+" before a positive difference.

    Examples
    --------
    >>> fmt_diff(0.032, "share"), fmt_diff(-0.032, "share", "en", sign=True)
    ('3.2 个百分点', '-3.2 percentage points')
    >>> fmt_diff(1.5, "per_1000_households", sign=True)
    '+1.50'
    """
    zh = _check_lang(lang)
    v = _number(value)
    if v is None:
        return MISSING
    if unit in ("share", "share_points"):
        s = fmt_value(v, "share_points", lang) + (" 个百分点" if zh else " percentage points")
    else:
        s = fmt_value(v, unit, lang)
    return "+" + s if sign and v > 0 else s


def fmt_change(value, last, unit: str, lang: str = "zh") -> str:
    """The change from ``last`` to ``value``: percentage points for shares, relative change otherwise.

    Examples
    --------
    >>> fmt_change(0.45, 0.40, "share"), fmt_change(0.45, 0.40, "share", "en")
    ('+5.0 个百分点', '+5.0 pts')
    >>> fmt_change(22.0, 20.0, "per_1000_households"), fmt_change(5, 0, "count")
    ('+10.0%', '—')
    """
    zh = _check_lang(lang)
    v, l0 = _number(value), _number(last)
    if v is None or l0 is None:
        return MISSING
    if unit in ("share", "share_points"):
        return f"{100 * (v - l0):+.1f} " + ("个百分点" if zh else "pts")
    if l0 == 0:
        return MISSING
    return f"{100 * (v / l0 - 1):+.1f}%"


def fmt_interval(low, high, unit: str, lang: str = "zh", *, digits: int | None = None) -> str:
    """An interval in the notation of every output: ``low 至 high`` / ``low to high``; "—" when missing.

    Both ends show the same decimals (:func:`decimals` of the two, or ``digits``).

    Examples
    --------
    >>> fmt_interval(21.9, 25.92, "per_1000_households"), fmt_interval(0.1, 0.2, "share", "en")
    ('21.9 至 25.9', '10.0% to 20.0%')
    >>> fmt_interval(-0.1246, -0.0332, "ratio")
    '-0.125 至 -0.033'
    >>> fmt_interval(float("nan"), float("nan"), "share")
    '—'
    """
    zh = _check_lang(lang)
    if _number(low) is None or _number(high) is None:
        return MISSING
    if digits is None and unit not in ("share", "share_points", "count"):
        digits = decimals(low, high)
    lo, hi = fmt_value(low, unit, lang, digits=digits), fmt_value(high, unit, lang, digits=digits)
    return f"{lo} {'至' if zh else 'to'} {hi}"


def fmt_p(p, *, label: bool = True) -> str:
    """A p-value: ``p < 0.001`` or ``p = 0.034`` (three decimals), never scientific notation.

    ``label=False`` leaves out the ``p``, for a table column headed "p"
    (``< 0.001``, ``0.034``, ``—``).  A missing p-value is "—".

    Examples
    --------
    >>> fmt_p(6.134e-08), fmt_p(0.2591), fmt_p(float("nan"))
    ('p < 0.001', 'p = 0.259', 'p = —')
    >>> fmt_p(6.134e-08, label=False), fmt_p(0.0344, label=False)
    ('< 0.001', '0.034')
    """
    v = _number(p)
    if v is None:
        text = f"= {MISSING}"
    elif v < 0.001:
        text = "< 0.001"
    else:
        text = f"= {v:.3f}"
    if label:
        return f"p {text}"
    return text[2:] if text.startswith("= ") else text
