"""The ranking in words: which differences the data can and cannot support."""

from __future__ import annotations

import pandas as pd

from evalkit.exceptions import ParameterError


def blocks(df: pd.DataFrame) -> list[tuple[int, int]]:
    """Runs of consecutive ranks whose rank intervals all overlap: ``[(first_rank, last_rank), ...]``.

    Going down the ranking, a block grows while one rank lies in every
    interval of the block (on a line, intervals overlap pairwise exactly
    when they share a point: max of the lows ≤ min of the highs).  Units
    inside a block cannot be told apart by the data; a block of one unit is
    separated from its neighbours.

    Parameters
    ----------
    df : DataFrame
        ``index`` rows of :func:`evalkit.ranking.index` (one unit each) with
        ``rank``, ``rank_low``, ``rank_high``; units without a rank are skipped.

    Returns
    -------
    list of (int, int)
        First and last nominal rank of each block, best first.

    Examples
    --------
    >>> df = pd.DataFrame({"rank": [1, 2, 3, 4, 5, 6], "rank_low": [1, 2, 2, 2, 3, 6],
    ...                    "rank_high": [1, 5, 5, 5, 5, 6]})
    >>> blocks(df)
    [(1, 1), (2, 5), (6, 6)]
    """
    d = df.dropna(subset=["rank"]).sort_values("rank", kind="mergesort")
    if d[["rank_low", "rank_high"]].isna().any().any():
        raise ParameterError("排名区间为空：请用 uncertainty > 0 计算指数。",
                             "The rank intervals are empty: compute the index with uncertainty > 0.")
    rank = d["rank"].to_numpy(dtype=int)
    lo, hi = d["rank_low"].to_numpy(dtype=float), d["rank_high"].to_numpy(dtype=float)
    out, start = [], 0
    max_lo, min_hi = lo[0], hi[0]
    for k in range(1, len(d)):
        if max(max_lo, lo[k]) <= min(min_hi, hi[k]):
            max_lo, min_hi = max(max_lo, lo[k]), min(min_hi, hi[k])
            continue
        out.append((int(rank[start]), int(rank[k - 1])))
        start, max_lo, min_hi = k, lo[k], hi[k]
    if len(d):
        out.append((int(rank[start]), int(rank[-1])))
    return out


def _block_sentence(a: int, b: int, lang: str) -> str:
    return (f"第 {a} 至第 {b} 名之间的差别在数据误差范围内。" if lang == "zh"
            else f"The differences between ranks {a} and {b} are within the data's error.")


def ranking_text(df: pd.DataFrame, lang: str = "zh", *, max_units: int | None = None) -> str:
    """The ranking of the ``index`` rows as a table with rank intervals, and what it can support.

    Parameters
    ----------
    df : DataFrame
        The output of :func:`evalkit.ranking.index`.
    lang : {"zh", "en"}
        Language.
    max_units : int, optional
        Show at most this many units (best first); the sentences cover all.

    Returns
    -------
    str

    Examples
    --------
    >>> df = pd.DataFrame({"indicator": "index", "unit_name": ["东区", "西区"], "value": [70.0, 40.0],
    ...                    "rank": [1, 2], "rank_low": [1, 1], "rank_high": [2, 2], "coverage": [1.0, 0.5]})
    >>> print(ranking_text(df))
    排名  单位  得分  排名区间(5–95%)  指标覆盖
       1  东区  70.0           1–2    100%
       2  西区  40.0           1–2     50%
    第 1 至第 2 名之间的差别在数据误差范围内。
    """
    if lang not in ("zh", "en"):
        raise ParameterError(f"lang 必须是 \"zh\" 或 \"en\"，收到 {lang!r}。", f"lang must be \"zh\" or \"en\", but {lang!r} was passed.")
    d = df[df["indicator"] == "index"].sort_values("rank", kind="mergesort", na_position="last")
    has_iv = d["rank_low"].notna().any()
    heads = (("排名", "单位", "得分", "排名区间(5–95%)", "指标覆盖") if lang == "zh"
             else ("rank", "unit", "score", "rank interval (5–95%)", "coverage"))
    names = d["unit_name"].astype(str)
    if names.duplicated().any() and "district" in d.columns:  # street names repeat across districts
        names = d["district"].astype(str) + " " + names
    d = d.assign(_name=names)
    rows = []
    for _, r in (d.head(max_units) if max_units else d).iterrows():
        rank = "" if pd.isna(r["rank"]) else str(int(r["rank"]))
        score = "" if pd.isna(r["value"]) else f"{r['value']:.1f}"
        iv = "" if pd.isna(r["rank_low"]) else f"{int(r['rank_low'])}–{int(r['rank_high'])}"
        rows.append((rank, r["_name"], score, iv, f"{r['coverage']:.0%}"))
    if not has_iv:
        heads = heads[:3] + heads[4:]
        rows = [r[:3] + r[4:] for r in rows]
    table = pd.DataFrame(rows, columns=list(heads)).to_string(index=False)
    lines = [table]
    if has_iv:
        wide = [(a, b) for a, b in blocks(d) if a != b]
        lines += [_block_sentence(a, b, lang) for a, b in wide] or [
            "相邻名次之间的差别都超出数据误差。" if lang == "zh"
            else "Every rank differs from its neighbours by more than the data's error."]
    else:
        lines.append("（未计算排名区间：请加 --uncertainty N）" if lang == "zh"
                     else "(no rank intervals: add --uncertainty N)")
    return "\n".join(lines)
