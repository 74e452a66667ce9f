"""The index structure: COINr's ``iMeta`` read into arrays the pipeline works on.

Nodes are numbered indicators first (in ``meta`` order), then the aggregates
level by level (within a level in ``meta`` order).  Every node but the top
has a parent one level up and a weight used when its parent is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evalkit.exceptions import DataError, MissingColumnError, NoIndicatorError, ParameterError

META_COLUMNS = ("iCode", "Level", "Parent", "Direction", "Weight", "Type")


@dataclass(frozen=True)
class Tree:
    """Indicators and aggregates of an index as arrays.

    ``codes`` all nodes (indicators first), ``n_ind`` how many are indicators,
    ``level`` and ``parent`` (index into ``codes``, -1 for the top) per node,
    ``weight`` per node (the top's is unused), ``direction`` per indicator,
    ``denominator`` per indicator (a data column or None).
    """

    codes: tuple[str, ...]
    n_ind: int
    level: np.ndarray
    parent: np.ndarray
    weight: np.ndarray
    direction: np.ndarray
    denominator: tuple[str | None, ...]

    @property
    def indicators(self) -> tuple[str, ...]:
        return self.codes[: self.n_ind]

    @property
    def aggregates(self) -> tuple[str, ...]:
        return self.codes[self.n_ind:]

    @property
    def top(self) -> int:
        return int(np.flatnonzero(self.parent < 0)[0])

    @property
    def max_level(self) -> int:
        return int(self.level.max())

    def children(self, node: int) -> np.ndarray:
        return np.flatnonzero(self.parent == node)

    def parents_at(self, level: int) -> np.ndarray:
        return np.flatnonzero(self.level == level)

    def effective_weights(self, weight: np.ndarray | None = None) -> np.ndarray:
        """Each indicator's weight in the top aggregate: the product, along its path,
        of its node's weight over the weights of the node and its siblings."""
        w = self.weight if weight is None else weight
        share = np.zeros(len(self.codes))
        for node in range(len(self.codes)):
            p = self.parent[node]
            if p >= 0:
                tot = w[self.children(p)].sum()
                share[node] = w[node] / tot if tot > 0 else np.nan
        out = np.ones(self.n_ind)
        for i in range(self.n_ind):
            node = i
            while self.parent[node] >= 0:
                out[i] *= share[node]
                node = self.parent[node]
        return out

    def without(self, codes) -> "Tree":
        """The tree with the indicators ``codes`` removed, and any aggregate left without children."""
        drop = set(codes)
        keep = np.array([c not in drop for c in self.codes])
        changed = True
        while changed:
            changed = False
            for node in range(self.n_ind, len(self.codes)):
                if keep[node] and not keep[self.children(node)].any():
                    keep[node] = False
                    changed = True
        if not keep[self.top]:
            raise NoIndicatorError("没有可用的指标：所有指标都被剔除了。",
                                 "No indicator is left: every indicator was left out.")
        idx = np.flatnonzero(keep)
        new_pos = -np.ones(len(self.codes), dtype=np.int64)
        new_pos[idx] = np.arange(len(idx))
        parent = np.where(self.parent[idx] >= 0, new_pos[np.maximum(self.parent[idx], 0)], -1)
        n_ind = int(keep[: self.n_ind].sum())
        ind_keep = keep[: self.n_ind]
        return replace(self, codes=tuple(self.codes[i] for i in idx), n_ind=n_ind,
                       level=self.level[idx], parent=parent, weight=self.weight[idx],
                       direction=self.direction[ind_keep],
                       denominator=tuple(d for d, k in zip(self.denominator, ind_keep) if k))


def read_meta(meta: pd.DataFrame, data_columns, *, func: str = "build") -> tuple[Tree, pd.DataFrame]:
    """Check COINr-style ``meta`` and return the :class:`Tree` and the rows used.

    Rows whose ``Type`` is neither ``Indicator`` nor ``Aggregate`` (COINr's
    ``Group``, ``Denominator``, ``Other``) are ignored.  Without a ``Type``
    column, Level 1 rows are indicators and higher levels aggregates.
    """
    if not isinstance(meta, pd.DataFrame):
        raise ParameterError(f"{func}: 参数 `meta` 必须是 DataFrame。", f"{func}: `meta` must be a DataFrame.")
    for c in ("iCode", "Level", "Parent", "Weight"):
        if c not in meta.columns:
            raise MissingColumnError(f"{func}: meta 中没有列 `{c}`。", f"{func}: meta has no column `{c}`.",
                                     table="meta", column=c)
    m = meta.copy()
    level = pd.to_numeric(m["Level"], errors="coerce")
    if "Type" in m.columns:
        kind = m["Type"].astype("string").str.strip().str.lower()
        m = m.loc[kind.isin(["indicator", "aggregate"]).fillna(False).to_numpy()]
        level = level.loc[m.index]
    else:
        m = m.loc[level.notna().to_numpy()]
        level = level.loc[m.index]
        m["Type"] = np.where(level == 1, "Indicator", "Aggregate")
    if not len(m):
        raise DataError(f"{func}: meta 中没有指标行。", f"{func}: meta has no indicator rows.", table="meta")
    m = m.reset_index(drop=True)
    level = level.reset_index(drop=True)
    codes = m["iCode"].astype("string")
    dup = codes[codes.duplicated()]
    if len(dup):
        raise DataError(f"{func}: meta 中 iCode `{dup.iloc[0]}` 重复。",
                        f"{func}: iCode `{dup.iloc[0]}` appears twice in meta.", table="meta", column="iCode")
    is_ind = (m["Type"].astype("string").str.lower() == "indicator").to_numpy()
    bad_level = level.isna() | (level != level.round()) | (level < 1) | (is_ind & (level != 1)) | (~is_ind & (level < 2))
    if bad_level.any():
        i = int(np.flatnonzero(bad_level.to_numpy())[0])
        raise DataError(f"{func}: meta 中 `{codes[i]}` 的 Level 不对（指标为 1，聚合为 2 及以上）。",
                        f"{func}: `{codes[i]}` has a wrong Level in meta (1 for indicators, 2 or more for aggregates).",
                        table="meta", column="Level")
    level = level.astype(int).to_numpy()
    parent_code = m["Parent"].astype("string").str.strip().replace("", pd.NA)
    weight = pd.to_numeric(m["Weight"], errors="coerce").to_numpy(dtype=float)
    direction = (pd.to_numeric(m["Direction"], errors="coerce").to_numpy(dtype=float)
                 if "Direction" in m.columns else np.ones(len(m)))
    denom = m["Denominator"].astype("string").str.strip().replace("", pd.NA) if "Denominator" in m.columns else None

    order = list(np.flatnonzero(is_ind)) + [i for k in sorted(set(level[~is_ind])) for i in np.flatnonzero(~is_ind & (level == k))]
    pos = {codes[i]: j for j, i in enumerate(order)}
    top_level = level.max()
    parent = np.empty(len(order), dtype=np.int64)
    for j, i in enumerate(order):
        pc = parent_code[i]
        if pd.isna(pc):
            if level[i] != top_level:
                raise DataError(f"{func}: meta 中 `{codes[i]}` 没有 Parent（只有最高层可以没有）。",
                                f"{func}: `{codes[i]}` has no Parent in meta (only the top level may have none).",
                                table="meta", column="Parent")
            parent[j] = -1
            continue
        if pc not in pos:
            raise DataError(f"{func}: meta 中 `{codes[i]}` 的 Parent `{pc}` 不存在。",
                            f"{func}: the Parent `{pc}` of `{codes[i]}` is not in meta.", table="meta", column="Parent")
        pi = order[pos[pc]]
        if level[pi] != level[i] + 1:
            raise DataError(f"{func}: `{codes[i]}`（第 {level[i]} 层）的 Parent `{pc}` 应在第 {level[i] + 1} 层。",
                            f"{func}: the Parent `{pc}` of `{codes[i]}` (level {level[i]}) must be at level {level[i] + 1}.",
                            table="meta", column="Parent")
        parent[j] = pos[pc]
    if (parent < 0).sum() != 1:
        raise DataError(f"{func}: meta 必须恰好有一个最高层（Parent 为空）。",
                        f"{func}: meta must have exactly one top node (empty Parent).", table="meta", column="Parent")
    w = weight[order]
    if np.isnan(w[parent >= 0]).any() or (w[parent >= 0] < 0).any():
        i = order[int(np.flatnonzero((parent >= 0) & ~(w >= 0))[0])]
        raise DataError(f"{func}: meta 中 `{codes[i]}` 的 Weight 必须是非负数。",
                        f"{func}: the Weight of `{codes[i]}` in meta must be a non-negative number.",
                        table="meta", column="Weight")
    n_ind = int(is_ind.sum())
    d = direction[order[:n_ind]]
    if not np.isin(d, (-1.0, 1.0)).all():
        i = order[int(np.flatnonzero(~np.isin(d, (-1.0, 1.0)))[0])]
        raise DataError(f"{func}: meta 中 `{codes[i]}` 的 Direction 必须是 1 或 -1。",
                        f"{func}: the Direction of `{codes[i]}` in meta must be 1 or -1.",
                        table="meta", column="Direction")
    tree = Tree(codes=tuple(str(codes[i]) for i in order), n_ind=n_ind, level=level[order], parent=parent,
                weight=w, direction=d,
                denominator=tuple(None if denom is None or pd.isna(denom[i]) else str(denom[i]) for i in order[:n_ind]))
    for node in range(n_ind, len(tree.codes)):
        if not len(tree.children(node)):
            raise DataError(f"{func}: meta 中聚合 `{tree.codes[node]}` 没有下级。",
                            f"{func}: the aggregate `{tree.codes[node]}` has no children in meta.",
                            table="meta", column="Parent")
    cols = set(map(str, data_columns))
    for c in tree.indicators:
        if c not in cols:
            raise MissingColumnError(f"{func}: 数据中没有指标列 `{c}`（meta 中有）。",
                                     f"{func}: the data have no column for the indicator `{c}` named in meta.",
                                     column=c)
    for c in tree.aggregates:
        if c in cols:
            raise DataError(f"{func}: 数据中已有聚合 `{c}` 的列；聚合由指标计算，不能输入。",
                            f"{func}: the data already have a column for the aggregate `{c}`; aggregates are "
                            "computed from the indicators, not read.", column=c)
    return tree, m.iloc[order].reset_index(drop=True)
