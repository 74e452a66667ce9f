"""Cadre indicators (社区干部): education, age, certification, 一肩挑.

For a period (a year) each community's cadres are the rows of its latest
``term_year`` on or before that year (its *current term*); the *previous
term* is, per community, the latest ``term_year`` before the current one.
Units above the community pool the rows of their communities: numerators
and denominators are summed, never community shares averaged.

Cadre rows are restricted by role (``Context.roles``; default every role
except ``grid_worker`` and ``part_time_member``).  The term of a community is found from all its
rows before the role restriction, so restricting to secretaries never falls
back to an older term.  Registers are never suppressed; a unit without
cadre rows for the year gets empty values and the note ``no data``.

See docs INDICATORS.md, section "Cadres".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.contract import CADRES, CADRE_ROLES, EDUCATION_ORDER, code_map
from evalkit.exceptions import ParameterError
from evalkit.families._coverage import NO_DATA, assemble, catalog_entry, unit_frame, wilson
from evalkit.families._frame import empty, finalize

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.families._frame import Context

__all__ = [
    "FAMILY", "TABLES", "CATALOG", "AGE_LIMIT", "DEFAULT_ROLES",
    "compute", "current_terms", "newcombe_interval",
]

FAMILY = "cadres"
TABLES = ("cadres", "communities")

#: Age limit of ``cadre_under_40_share`` (cadres strictly younger count).
AGE_LIMIT = 40
#: Roles counted when ``Context.roles`` is None: every role but grid workers and the
#: part-time members (heads of units based in the area, LEDGERS.md).
DEFAULT_ROLES = tuple(r for r in CADRE_ROLES if r not in ("grid_worker", "part_time_member"))
#: Cadre terms are yearly: nothing here is computed for a window.
WINDOW_FAMILY = False
#: Education levels counted as "college (大专) or above".
COLLEGE_OR_ABOVE = tuple(EDUCATION_ORDER[EDUCATION_ORDER.index("college"):])
#: Education levels counted as "junior high (初中) or below".
JUNIOR_HIGH_OR_BELOW = tuple(EDUCATION_ORDER[: EDUCATION_ORDER.index("junior_high") + 1])

NO_PREVIOUS = "no previous term"
#: Estimate columns of the output blocks.
_NUMERIC = ("value", "se", "ci_low", "ci_high", "n", "numerator", "denominator")

_NANSHAN = ("Nanshan district, Shenzhen, 2008 community Party organisation election "
            "(source case 002: 新当选班子成员大专以上学历的占79.9%，比上一届高出20个百分点)")


def _entry(id, name_zh, name_en, definition_zh, definition_en, unit, direction,
           interval, category=None, benchmark=None):
    return catalog_entry(FAMILY, id, name_zh, name_en, definition_zh, definition_en, unit=unit,
                         direction=direction, interval=interval, category=category, benchmark=benchmark)


CATALOG: list[dict] = [
    _entry("cadre_education_share", "干部学历构成", "Cadres by education level",
           "本届干部中该学历层次人数 / 本届干部人数",
           "Cadres of the current terms at the education level / cadres",
           "share", "descriptive", "wilson", category="education"),
    _entry("cadre_college_share", "大专及以上学历干部占比", "Cadres with college education or above",
           "本届干部中大专及以上学历人数 / 本届干部人数",
           "Cadres of the current terms with college (大专) education or above / cadres",
           "share", "higher_better", "wilson",
           benchmark={"value": 0.799,
                      "scope_zh": "深圳市南山区2008年社区党组织换届新当选班子成员",
                      "scope_en": "newly elected community Party committee members, Nanshan, 2008",
                      "source": _NANSHAN}),
    _entry("cadre_junior_high_or_below_share", "初中及以下学历干部占比",
           "Cadres with junior-high education or below",
           "本届干部中初中及以下学历人数 / 本届干部人数",
           "Cadres of the current terms with junior-high education or below / cadres",
           "share", "lower_better", "wilson"),
    _entry("cadre_college_share_change", "大专及以上学历干部占比较上届变化",
           "Change in the college-educated share on the previous term",
           "本届大专及以上学历干部占比 − 上一届该占比（百分点以小数表示，+0.20 即提高20个百分点）",
           "College share of the current terms minus that of the previous terms "
           "(fraction points: +0.20 = 20 points higher)",
           "share_points", "higher_better", "newcombe",
           benchmark={"value": 0.20,
                      "scope_zh": "深圳市南山区2008年社区党组织换届，较上一届",
                      "scope_en": "Nanshan 2008 community Party committee election, on the previous term",
                      "source": _NANSHAN}),
    _entry("cadre_mean_age", "干部平均年龄", "Mean age of cadres",
           "本届干部（统计年份 − 出生年份）的平均值",
           "Mean of (period year − birth_year) over the cadres of the current terms",
           "years", "descriptive", "t"),
    _entry("cadre_under_40_share", "40岁以下干部占比", "Cadres under 40",
           f"统计年份时未满{AGE_LIMIT}岁的本届干部人数 / 本届干部人数",
           f"Cadres of the current terms younger than {AGE_LIMIT} in the period year / cadres",
           "share", "higher_better", "wilson"),
    _entry("cadre_certified_share", "持证社工占比", "Certified social workers among cadres",
           "本届干部中持社会工作者职业资格证书人数 / 本届干部人数",
           "Certified social workers among the cadres of the current terms / cadres",
           "share", "higher_better", "wilson"),
    _entry("cadre_dual_role_share", "书记主任“一肩挑”社区占比",
           "Communities whose secretary also directs the residents' committee",
           "本届书记兼任居委会主任（一肩挑）的社区数 / 本届有书记且兼任情况已知的社区数",
           "Communities whose current secretary is also the residents' committee director "
           "(一肩挑) / communities with a current secretary whose concurrent_director is known",
           "share", "descriptive", "wilson"),
]


# --- intervals ---------------------------------------------------------------


def newcombe_interval(x1, n1, x0, n0, level: float = 0.95):
    """Newcombe's hybrid score interval for a difference of proportions p1 − p0.

    Notes
    -----
    With Wilson limits (:func:`evalkit.families._coverage.wilson`) :math:`(l_i, u_i)` of each proportion and
    :math:`d = \\hat p_1 - \\hat p_0`:

    .. math:: L = d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_0 - \\hat p_0)^2},\\quad
              U = d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_0 - l_0)^2}.

    Tested against ``statsmodels.stats.proportion.confint_proportions_2indep(
    method="newcomb")``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Statistics in
    Medicine 17, 873-890 (method 10).
    """
    x1, n1, x0, n0 = (np.asarray(a, dtype="float64") for a in (x1, n1, x0, n0))
    l1, u1 = wilson(x1, n1, level=level)
    l0, u0 = wilson(x0, n0, level=level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        d = p1 - p0
        low = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return low, high


# --- rows --------------------------------------------------------------------


def _resolve_roles(roles) -> tuple[str, ...]:
    if roles is None:
        return DEFAULT_ROLES
    if isinstance(roles, str):
        roles = (roles,)
    cmap = code_map(CADRES.column("role"))
    out = []
    for r in roles:
        code = cmap.get(str(r).strip().lower())
        if code is None:
            raise ParameterError(
                f"参数 `roles` 的取值必须是 {list(CADRE_ROLES)} 之一，但传入的是 {r!r}。",
                f"The value for `roles` must be one of {list(CADRE_ROLES)}, but {r!r} was passed.",
            )
        out.append(code)
    return tuple(dict.fromkeys(out))


def current_terms(cadres: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of each community's current and previous term for ``year``.

    Parameters
    ----------
    cadres
        The ``cadres`` table (community_id, term_year, ...).
    year
        The period year.

    Returns
    -------
    (current, previous) : tuple of DataFrame
        ``current``: the rows of each community's latest term_year <= year;
        ``previous``: the rows of each community's latest term_year before its
        current one (communities without one are absent).  All roles.
    """
    ty = pd.to_numeric(cadres["term_year"], errors="coerce").astype("float64")
    upto = cadres.loc[(ty <= year).to_numpy()]
    ty_upto = ty[(ty <= year).to_numpy()]
    if upto.empty:
        return upto, upto
    latest = ty_upto.groupby(upto["community_id"].to_numpy()).transform("max")
    is_cur = (ty_upto == latest).to_numpy()
    current = upto.loc[is_cur]
    older = upto.loc[~is_cur]
    ty_old = ty_upto[~is_cur]
    if older.empty:
        return current, older
    prev_latest = ty_old.groupby(older["community_id"].to_numpy()).transform("max")
    previous = older.loc[(ty_old == prev_latest).to_numpy()]
    return current, previous


def _flag(s: pd.Series | None, n: int) -> np.ndarray:
    """A boolean column as float 1/0 with NaN for missing."""
    if s is None:
        return np.full(n, np.nan)
    return s.astype("boolean").to_numpy(dtype="float64", na_value=np.nan)


def _positions(cpos: pd.Series, community_ids) -> np.ndarray:
    """Unit position of each row's community (-1 when not in the register)."""
    p = cpos.reindex(np.asarray(community_ids, dtype=object)).to_numpy(dtype="float64")
    return np.where(np.isnan(p), -1, p).astype(np.int64)


def _sum(pos: np.ndarray, w, size: int) -> np.ndarray:
    """Per-unit sums of ``w`` (rows with position -1 or NaN weights ignored)."""
    w = np.broadcast_to(np.asarray(w, dtype="float64"), pos.shape)
    ok = (pos >= 0) & ~np.isnan(w)
    return np.bincount(pos[ok], weights=w[ok], minlength=size).astype("float64")


def _share(indicator, x, m, category=None) -> dict:
    """A block of share rows (one per unit): num/den with Wilson intervals."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(m > 0, x / m, np.nan)
        se = np.where(m > 0, np.sqrt(p * (1 - p) / m), np.nan)
    low, high = wilson(x, m)
    return {"indicator": indicator, "category": category, "value": p, "se": se,
            "ci_low": low, "ci_high": high, "n": m,
            "numerator": np.where(m > 0, x, np.nan), "denominator": np.where(m > 0, m, np.nan),
            "note": np.where(m > 0, None, NO_DATA)}


def compute(ctx: "Context", *, age_limit: int = AGE_LIMIT) -> pd.DataFrame:
    """Compute the cadre indicators that ``ctx`` asks for, at every level of ``ctx``.

    Parameters
    ----------
    ctx
        The computation context (dataset, year, levels, roles, indicators).
    age_limit
        Cadres strictly younger than this in the period year count for
        ``cadre_under_40_share`` (default :data:`AGE_LIMIT`).

    Returns
    -------
    DataFrame
        Rows in the output contract (:func:`evalkit.families._frame.finalize`).

    Notes
    -----
    Per unit *u* with current-term cadre rows :math:`C_u` (after the role
    restriction) and previous-term rows :math:`P_u`:

    * shares: :math:`\\hat p = x/|C_u|`, se :math:`\\sqrt{\\hat p(1-\\hat p)/n}`,
      Wilson 95% interval; numerator *x*, denominator and n :math:`|C_u|`;
    * ``cadre_college_share_change``: :math:`\\hat p_C - \\hat p_P` (college or
      above), se :math:`\\sqrt{\\sum \\hat p(1-\\hat p)/n}` as for independent
      groups, Newcombe hybrid score interval; n = :math:`|C_u|`; numerator and
      denominator empty; note ``no previous term`` when :math:`P_u` is empty;
    * ``cadre_mean_age``: :math:`\\bar a` of ages *year − birth_year*, se
      :math:`s/\\sqrt n`, interval :math:`\\bar a \\pm t_{n-1,0.975}\\,se`
      (empty for a single cadre);
    * ``cadre_dual_role_share``: communities of *u* whose current secretary has
      ``concurrent_director`` true / communities with a current secretary whose
      flag is known; n counts those communities.

    References
    ----------
    Nanshan district (Shenzhen) 2008 election figures, source case 002.
    """
    ds = ctx.ds
    year = int(ctx.year)
    period = str(year)
    roles = _resolve_roles(ctx.roles)
    cad = ds["cadres"]
    current, previous = current_terms(cad, year)
    current = current.loc[current["role"].isin(roles).to_numpy()]
    previous = previous.loc[previous["role"].isin(roles).to_numpy()]

    n_cur = len(current)
    edu = current["education"]
    college = edu.isin(COLLEGE_OR_ABOVE).to_numpy(dtype="float64")
    known_edu = edu.notna().to_numpy(dtype="float64")
    jhb = edu.isin(JUNIOR_HIGH_OR_BELOW).to_numpy(dtype="float64")
    age = year - current["birth_year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    certified = _flag(current.get("certified_social_worker"), n_cur)
    certified = np.nan_to_num(certified, nan=0.0)  # contract default: false
    prev_college = previous["education"].isin(COLLEGE_OR_ABOVE).to_numpy(dtype="float64")
    prev_known = previous["education"].notna().to_numpy(dtype="float64")

    # one row per community with a current secretary: dual flag (NaN unknown)
    sec = current.loc[(current["role"] == "secretary").to_numpy()]
    flag = _flag(sec.get("concurrent_director"), len(sec))
    sec_flags = pd.DataFrame({"community_id": sec["community_id"].to_numpy(), "flag": flag})
    per_com = _dual_per_community(sec_flags)

    edu_code = pd.Categorical(edu, categories=EDUCATION_ORDER).codes.astype(np.int64)
    under = np.where(np.isnan(age), np.nan, (age < age_limit).astype("float64"))
    sec_dual = per_com["dual"].to_numpy(dtype="float64")
    sec_known = np.where(np.isnan(sec_dual), np.nan, 1.0)

    pieces = []
    for level in ctx.levels:
        frame, cpos = unit_frame(ds, level)
        size = len(frame)
        pos = _positions(cpos, current["community_id"].to_numpy())
        n_edu = _sum(pos, known_edu, size)
        n_col = _sum(pos, college, size)
        blocks: list[dict] = []
        if ctx.wants("cadre_education_share"):
            ok = (pos >= 0) & (edu_code >= 0)
            counts = np.bincount(pos[ok] * len(EDUCATION_ORDER) + edu_code[ok],
                                 minlength=size * len(EDUCATION_ORDER))
            counts = counts.reshape(size, len(EDUCATION_ORDER)).astype("float64")
            for j, code in enumerate(EDUCATION_ORDER):
                blocks.append(_share("cadre_education_share", counts[:, j], n_edu, category=code))
        if ctx.wants("cadre_college_share"):
            blocks.append(_share("cadre_college_share", n_col, n_edu))
        if ctx.wants("cadre_junior_high_or_below_share"):
            blocks.append(_share("cadre_junior_high_or_below_share", _sum(pos, jhb, size), n_edu))
        if ctx.wants("cadre_under_40_share"):
            blocks.append(_share("cadre_under_40_share", _sum(pos, under, size),
                                 _sum(pos, ~np.isnan(age), size)))
        if ctx.wants("cadre_certified_share"):
            blocks.append(_share("cadre_certified_share", _sum(pos, certified, size),
                                 _sum(pos, 1.0, size)))
        if ctx.wants("cadre_mean_age"):
            blocks.append(_mean_age(pos, age, size))
        if ctx.wants("cadre_college_share_change"):
            ppos = _positions(cpos, previous["community_id"].to_numpy())
            blocks.append(_change(n_col, n_edu, _sum(ppos, prev_college, size),
                                  _sum(ppos, prev_known, size)))
        if ctx.wants("cadre_dual_role_share"):
            dpos = _positions(cpos, per_com.index.to_numpy())
            blocks.append(_share("cadre_dual_role_share", _sum(dpos, sec_dual, size),
                                 _sum(dpos, sec_known, size)))
        if blocks:
            pieces.append(assemble(level, frame, period, blocks, numeric=_NUMERIC))
    if not pieces:
        return empty()
    return finalize(pd.concat(pieces, ignore_index=True))


def _dual_per_community(sec_flags: pd.DataFrame) -> pd.DataFrame:
    """Per community with a current secretary: 1 if any secretary is 一肩挑, 0 if
    all known flags are false, NaN if no flag is known."""
    if sec_flags.empty:
        return pd.DataFrame({"dual": pd.Series(dtype="float64")})
    g = sec_flags.groupby("community_id", sort=False)["flag"]
    return pd.DataFrame({"dual": g.max()})  # max skips NaN; all-NaN -> NaN


def _mean_age(pos, age, size) -> dict:
    ok = ~np.isnan(age)
    n = _sum(pos, ok.astype("float64"), size)
    s1 = _sum(pos, np.where(ok, age, np.nan), size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s1 / n, np.nan)
        # centred second moment per unit (two-pass, numerically stable)
        dev = age - mean[np.clip(pos, 0, None)] if size else age
        ss = _sum(pos, np.where(ok & (pos >= 0), dev * dev, np.nan), size)
        sd = np.sqrt(ss / (n - 1))
        se = np.where(n > 1, sd / np.sqrt(n), np.nan)
        # t quantile: scipy.special.stdtrit(df, p) = scipy.stats.t.ppf(p, df), without
        # importing scipy.stats (~0.9 s)
        from scipy.special import stdtrit

        q = np.where(n > 1, stdtrit(np.maximum(n - 1, 1), 0.975), np.nan)
    return {"indicator": "cadre_mean_age", "category": None, "value": mean, "se": se,
            "ci_low": mean - q * se, "ci_high": mean + q * se, "n": n,
            "note": np.where(n > 0, None, NO_DATA)}


def _change(x1, n1, x0, n0) -> dict:
    ok = (n1 > 0) & (n0 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        d = np.where(ok, p1 - p0, np.nan)
        se = np.where(ok, np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0), np.nan)
    low, high = newcombe_interval(x1, n1, x0, n0)
    note = np.where(n1 == 0, NO_DATA, np.where(n0 == 0, NO_PREVIOUS, None))
    return {"indicator": "cadre_college_share_change", "category": None, "value": d, "se": se,
            "ci_low": np.where(ok, low, np.nan), "ci_high": np.where(ok, high, np.nan),
            "n": n1, "note": note}
