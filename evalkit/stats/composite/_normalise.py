"""Normalisation methods of COINr, over arrays of shape (replicates, units, indicators).

Every method works down the units axis, ignoring missing values, so each
replicate and each indicator has its own bounds.  Except for ``goalposts``
(which reads the indicator in its own units) the values are first multiplied
by the indicator's direction, as COINr's ``Normalise.numeric`` does.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sstats

from evalkit.exceptions import ParameterError

METHODS = ("minmax", "zscore", "rank", "prank", "borda", "fracmax", "dist2max", "dist2targ",
           "goalposts", "none")


def _per_indicator(params: dict, key: str, codes, func: str) -> np.ndarray:
    """``params[key]`` ({iCode: value}) as rows per indicator; ParameterError naming a missing one."""
    table = params.get(key)
    if not isinstance(table, dict):
        raise ParameterError(f"{func} 需要参数 `{key}`：{{指标: 值}}。",
                             f"{func} needs the parameter `{key}`: {{indicator: value}}.")
    missing = [c for c in codes if c not in table]
    if missing:
        raise ParameterError(f"{func} 的参数 `{key}` 缺少指标 {missing}。",
                             f"The parameter `{key}` of {func} has no entry for {missing}.")
    return np.array([np.asarray(table[c], dtype=float) for c in codes])


def normalise(x: np.ndarray, method: str, params: dict | None, direction: np.ndarray, codes) -> np.ndarray:
    """Normalise ``x`` (replicates, units, indicators) with COINr's method ``method``.

    ``direction`` has one entry (+1/-1) per indicator; ``codes`` names them
    (for the per-indicator parameters of ``dist2targ`` and ``goalposts``).
    """
    params = dict(params or {})
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "goalposts":
            gp = _per_indicator(params, "goalposts", codes, "goalposts")
            lo, hi = gp[:, 0], gp[:, 1]
            scale = float(params.get("scale", 100))
            y = np.where(direction > 0, scale * (x - lo) / (hi - lo), scale * (hi - x) / (hi - lo))
            return np.clip(y, 0.0, scale)
        x = x * direction
        if method == "none":
            return x
        if method in ("rank", "prank", "borda"):
            r = sstats.rankdata(x, method="min", axis=1, nan_policy="omit")
            if method == "rank":
                return r
            if method == "borda":
                return r - 1
            n = (~np.isnan(x)).sum(axis=1, keepdims=True)
            return (r - 1) / (n - 1)
        mn = np.fmin.reduce(x, axis=1, keepdims=True)
        mx = np.fmax.reduce(x, axis=1, keepdims=True)
        if method == "minmax":
            lo, hi = params.get("l_u", (0.0, 100.0))
            return (x - mn) / (mx - mn) * (hi - lo) + lo
        if method == "zscore":
            m, s = params.get("m_sd", (0.0, 1.0))
            if not s > 0:
                raise ParameterError("zscore 的标准差参数 m_sd[1] 必须为正。",
                                     "The standard deviation m_sd[1] of zscore must be positive.")
            present = ~np.isnan(x)
            n = present.sum(axis=1, keepdims=True)
            mean = np.where(present, x, 0.0).sum(axis=1, keepdims=True) / n
            sd = np.sqrt(np.where(present, (x - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / (n - 1))
            return (x - mean) / sd * s + m
        if method == "fracmax":
            return x / mx
        if method == "dist2max":
            return 1 - (mx - x) / (mx - mn)
        if method == "dist2targ":
            targ = _per_indicator(params, "targets", codes, "dist2targ") * direction
            y = (x - mn) / (targ - mn)
            if params.get("cap_max", False):
                y = np.where(y > 1, 1.0, y)
            return y
    raise ParameterError(f"未知的标准化方法 {method!r}。", f"Unknown normalisation method {method!r}.")
