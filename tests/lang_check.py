"""Find untranslated words in evalkit's output (issue 11): a test helper.

A Chinese output may hold Latin script only where it is not a word of a
language: identifiers (indicator ids, table, column, unit and level codes,
community ids such as ``C0001``), numbers, dates and paths, statistical symbols
(``n``, ``p``, ``IRR``), the names of methods and people (Wilson, Mann–Kendall)
and of file formats and tools (Excel, CSV).  An English output may hold Chinese
only in names (of districts, streets, communities: pass them as ``names``) and
the synthetic-data mark.  A message that carries a Chinese line and an English
line is checked line by line.

Use from any test (``tests/`` is on ``sys.path`` under pytest's rootdir
conftest-less layout, so ``from lang_check import ...`` works)::

    from lang_check import assert_lang, assert_bilingual, names_of

    assert_lang(summary_text(table, "zh"), "zh", names=names_of(table))
    assert_lang(summary_text(table, "en"), "en", names=names_of(table))
    assert_bilingual(str(err))                 # "中文…\\nEnglish…", each line clean

``untranslated(text, lang)`` returns the offending words (an empty list when
clean); ``assert_*`` raise AssertionError listing them with their context.
Add a word to :data:`ALLOWED` only when it is a name or a symbol, never to
silence an untranslated word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

#: Latin-script tokens a Chinese output may hold (compared case-sensitively, then in lower case).
ALLOWED = frozenset({
    # statistical symbols and abbreviations
    "n", "p", "t", "k", "F", "z", "df", "IRR", "PSU", "DiD", "TWFE", "ATT", "CI", "SE", "fpc", "deff", "logit", "delta",
    "exp", "log", "ln", "min", "max", "ID",
    # names of methods and of the people they are named after
    "Wilson", "Garwood", "Newcombe", "Clopper", "Pearson", "Aalen", "Johansen", "Feldt", "Wald", "Welch",
    "Satterthwaite", "Callaway", "Sant'Anna", "Mann", "Kendall", "Sen", "Cronbach", "Taylor", "Kaplan", "Meier",
    "Poisson", "Wilcoxon", "Fisher",
    # file formats, tools, the package itself
    "Excel", "CSV", "XLSX", "xlsx", "csv", "JSON", "json", "PDF", "pdf", "HTML", "html", "Parquet", "parquet",
    "DuckDB", "Jupyter", "JupyterLab", "UTF", "BOM", "GBK", "evalkit", "papermill",
})

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Chinese characters and the punctuation only Chinese text uses (full-width forms, 。，、；：？！“”‘’（）《》【】).
CJK = re.compile(rf"[{_CJK}\u3000-\u303f\uff01-\uff5e\u201c\u201d\u2018\u2019]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
# a run of Latin letters, digits and the characters identifiers, numbers, dates and paths are made of
_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/:'’+%=]*")
_CODE_SPAN = re.compile(r"`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"")
#: Chinese an English output may hold besides names.
EN_ALLOWED_CJK = ("示例数据",)


@functools.cache
def identifiers() -> frozenset[str]:
    """Codes of evalkit's output: indicator ids, families, tables, columns, units, levels, category codes."""
    from evalkit import contract, vocabulary
    from evalkit.families.catalog import FAMILIES, catalog

    cat = catalog()
    out = set(cat["id"]) | set(FAMILIES) | set(cat["unit"]) | set(cat["direction"])
    out |= set(cat["category"].dropna())
    for t in contract.TABLES.values():
        out.add(t.name)
        out |= {c.name for c in t.columns}
        for c in t.columns:
            out |= set(getattr(c, "codes", {}) or {})
    out |= set(contract.LEVELS) | {"all"} | set(vocabulary.UNITS)
    for kind in contract.CATEGORY_KINDS.values():
        out |= set(kind)
    return frozenset(out)


def _strip_names(text: str, names: Iterable[str]) -> str:
    """``text`` without the names (longest first; a Latin name only as a whole word)."""
    for nm in sorted({str(n).strip() for n in names if n is not None and str(n).strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(nm)}(?![A-Za-z])", " ", text)
    return text


def _token_ok(tok: str) -> bool:
    word = tok.strip(".-/:'’+%=")
    if not word or any(ch.isdigit() for ch in tok) or "_" in tok or "/" in tok or "." in word:
        return True  # ids (C0001, dispute_rate), numbers, dates, paths and file names
    if word in ALLOWED or word.lower() in ALLOWED or word in identifiers():
        return True
    parts = re.split(r"[-–]", word)  # Mann-Kendall, Clopper-Pearson
    return len(parts) > 1 and all(_token_ok(p) for p in parts if p)


def untranslated(text: str, lang: str, *, names: Iterable[str] = (), allow: Iterable[str] = ()) -> list[str]:
    """Words of ``text`` that are not in ``lang`` ("zh": Latin words; "en": Chinese), in order.

    ``names`` (unit names, file names ...) and ``allow`` (extra tokens) are
    left out of the scan; text in backticks is an identifier, text in ASCII quotes
    a value echoed back (what the user passed).
    """
    if lang not in ("zh", "en"):
        raise ValueError(lang)
    text = _CODE_SPAN.sub(" ", _strip_names(str(text), names))
    extra = set(allow)
    if lang == "zh":
        return [tok for tok in _TOKEN.findall(text) if tok not in extra and not _token_ok(tok)]
    for ok in (*EN_ALLOWED_CJK, *extra):
        text = text.replace(ok, " ")
    text = re.sub(r"《[^》]*》", " ", text)  # the title of a document is a name
    return CJK.findall(text)


def _context(text: str, bad: list[str], lang: str) -> str:
    lines = [ln for ln in str(text).splitlines() if any(b in ln for b in bad)]
    return "\n".join(lines[:8])


def assert_lang(text: str, lang: str, *, names: Iterable[str] = (), allow: Iterable[str] = ()) -> None:
    """AssertionError listing the untranslated words of ``text`` (and the lines holding them)."""
    names = list(names)
    bad = untranslated(text, lang, names=names, allow=allow)
    assert not bad, f"{len(bad)} word(s) not in {lang}: {sorted(set(bad))[:20]}\n{_context(text, bad, lang)}"


def assert_bilingual(text: str, *, names: Iterable[str] = (), allow: Iterable[str] = ()) -> None:
    """A message of Chinese and English lines: each line clean in its own language, and both present.

    A line is Chinese when it holds Chinese characters outside ``names``.
    """
    names = list(names)
    langs = []
    for line in str(text).splitlines():
        if not line.strip():
            continue
        lang = "zh" if _HAS_CJK.search(_strip_names(line, [*names, *EN_ALLOWED_CJK])) else "en"
        langs.append(lang)
        assert_lang(line, lang, names=names, allow=allow)
    assert "zh" in langs and "en" in langs, f"not bilingual: {text!r}"


def names_of(table) -> list[str]:
    """The unit and district names a long table holds (names may be in either language)."""
    out: set[str] = set()
    for col in ("unit_name", "district"):
        if col in table.columns:
            out |= {str(v) for v in table[col].dropna().unique() if str(v) != "all"}
    return sorted(out)
