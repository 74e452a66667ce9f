"""Personal-data guard: drop or hash columns that identify a person.

Runs on raw tables before anything else sees them.  Two tests:

* the header is one of :data:`evalkit.contract.PERSONAL_HEADERS` (exact match
  after stripping; English headers compared in lower case) -> column dropped;
* the values, under any header, include an 18-character resident ID number
  (:data:`~evalkit.contract.ID_CARD_PATTERN`) or a mainland mobile number
  (:data:`~evalkit.contract.MOBILE_PATTERN`) -> the column is personal data:
  dropped, except an identifier column (:data:`ID_COLUMNS`), whose values are
  replaced by a keyed hash so that records still link across tables.

Warnings name the table and the columns, never a value.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import numpy as np
import pandas as pd

from evalkit.contract import ID_CARD_PATTERN, MOBILE_PATTERN, PERSONAL_HEADERS

#: Identifier columns that are hashed (not dropped) when they hold personal data.
ID_COLUMNS = frozenset({"volunteer_id", "person_id", "respondent_id", "case_id", "record_id"})
#: Lengths a stripped ID-card or mobile value can have (11 .. 18 characters).
_LENGTHS = (11, 18)
_SAMPLE = 2000

__all__ = ["ID_COLUMNS", "is_personal_header", "looks_personal", "make_key", "hash_values"]


def is_personal_header(header: object) -> bool:
    """True when ``header`` is a personal-data header (姓名, 身份证号, phone ...).

    Examples
    --------
    >>> is_personal_header(" 联系电话 "), is_personal_header("Phone"), is_personal_header("社区名称")
    (True, True, False)
    """
    h = str(header).strip()
    return h in PERSONAL_HEADERS or h.lower() in PERSONAL_HEADERS


def _as_strings(s: pd.Series) -> pd.Series | None:
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.dropna().astype("int64").astype("str")
    if pd.api.types.is_float_dtype(s.dtype):
        f = s.dropna()
        f = f[(f == np.round(f)) & (f.abs() < 1e19)]
        return f.astype("int64").astype("str") if len(f) else None
    if s.dtype == "str" or s.dtype == object:
        return s.dropna().astype("str")
    return None  # dates, booleans: cannot hold an ID or phone number


def looks_personal(s: pd.Series) -> bool:
    """True when any value of ``s`` is an ID-card number or a mobile number
    (also in full-width digits, or a mobile number grouped 139-1234-5678).

    Notes
    -----
    Work is done on the distinct values whose stripped length can match
    (11 to 18 characters); a sample of them is tested first, so a column of
    ID numbers is recognised after a few thousand regex tests, and a clean
    column costs one vectorised length test plus one regex pass over the
    candidates.

    Examples
    --------
    >>> import pandas as pd
    >>> looks_personal(pd.Series(["V001", "139-1234-5678"])), looks_personal(pd.Series(["V001", "V002"]))
    (True, False)
    """
    v = _as_strings(s)
    if v is None or v.empty:
        return False
    v = v.str.strip()
    n = v.str.len()
    cand = v[(n >= _LENGTHS[0]) & (n <= _LENGTHS[1])]
    if cand.empty:
        return False
    # full-width digits and signs (１３９…, ＋86) become ASCII before the patterns
    cand = pd.Series(cand.unique(), dtype="str").str.normalize("NFKC").str.strip()
    for part in (cand.iloc[:_SAMPLE], cand.iloc[_SAMPLE:]):
        if part.empty:
            continue
        if part.str.match(ID_CARD_PATTERN).any() or part.str.match(MOBILE_PATTERN).any():
            return True
    return False


def make_key(meta: dict | None = None) -> bytes:
    """The HMAC key of one load: from ``dataset.json`` "salt", else random.

    A random key makes hashes differ between loads (nothing can be looked
    up); a salt in ``dataset.json`` makes them stable across loads.

    Examples
    --------
    >>> make_key({"salt": "x"}) == make_key({"salt": "x"}), make_key() == make_key()
    (True, False)
    """
    salt = (meta or {}).get("salt")
    if salt is not None and str(salt) != "":
        return hashlib.sha256(b"evalkit-salt:" + str(salt).encode("utf-8")).digest()
    return os.urandom(32)


def hash_values(s: pd.Series, key: bytes) -> pd.Series:
    """Replace each value by ``"h" + first 16 hex digits of HMAC-SHA256(key, value)``.

    Equal values (after stripping) get equal hashes; missing stays missing.
    The work is one HMAC per distinct value.

    Examples
    --------
    >>> import pandas as pd
    >>> h = hash_values(pd.Series(["13912345678", " 13912345678", None]), make_key({"salt": "x"}))
    >>> h[0] == h[1], h[0].startswith("h"), len(h[0]), h.isna().tolist()
    (True, True, 17, [False, False, True])
    """
    from evalkit.io._parse import clean_strings

    raw = clean_strings(s)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    hashed = np.array(
        ["h" + hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:16] for u in uniques]
        + [None], dtype=object)
    vals = hashed[np.where(codes >= 0, codes, len(hashed) - 1)]
    return pd.Series(vals, index=s.index, dtype="str")
