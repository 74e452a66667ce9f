"""The data's own error: each indicator value redrawn from its sampling distribution.

``data_error`` rows (uCode, iCode, se, optional dist, ci_low, ci_high, n)
become, per cell, a map from a standard normal z to a value, so that every
draw uses one z per cell:

* ``normal``: v + s·z, s = se (or the 95 % interval's half-width / 1.96);
* ``t``: v + s·t_{n−1}(z), the t quantile at Φ(z);
* ``logitnormal``: expit(logit v + s_l·z), s_l = se / (v(1 − v)) (delta
  method) or from the interval on the logit scale (as R's
  ``svyciprop(method = "logit")``);
* ``wilson``: the Wilson score bound at z, (p + z²/2n + z√(p(1−p)/n +
  z²/4n²)) / (1 + z²/n), n given or solved from the interval;
* ``garwood``: c·G⁻¹(Φ(z)), G the Gamma(k) distribution below the median and
  Gamma(k + 1) above — the confidence distribution whose 2.5 % and 97.5 %
  points are the exact (Garwood) Poisson limits; k = ``n`` (the count),
  c = v / k.

The Wilson and Garwood maps are confidence distributions: the 2.5 % and
97.5 % quantiles of their draws are exactly the row's 95 % interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from evalkit.exceptions import DataError, MissingColumnError, ParameterError, check_choice

DISTS = ("normal", "logitnormal", "wilson", "garwood", "t")
Z975 = float(special.ndtri(0.975))


@dataclass
class ErrorModel:
    """Per-cell draw parameters: ``cells`` flat indices into (units, indicators)."""

    cells: np.ndarray
    kind: np.ndarray
    a: np.ndarray  # normal/t: value; logit: logit(value); wilson: p; garwood: k
    b: np.ndarray  # normal/t: scale; logit: scale; wilson: n; garwood: c
    df: np.ndarray  # t: degrees of freedom

    def __len__(self) -> int:
        return len(self.cells)

    def apply(self, raw: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Values of ``raw`` (U, I) with the cells replaced by their draws at ``z`` (R, K) -> (R, U, I)."""
        r_ = z.shape[0]
        out = np.broadcast_to(raw, (r_, *raw.shape)).reshape(r_, -1).copy()
        vals = np.empty_like(z)
        with np.errstate(invalid="ignore", divide="ignore"):
            for code, name in enumerate(DISTS):
                m = self.kind == code
                if not m.any():
                    continue
                a, b, zz = self.a[m], self.b[m], z[:, m]
                if name == "normal":
                    v = a + b * zz
                elif name == "t":
                    v = a + b * special.stdtrit(self.df[m], special.ndtr(zz))
                elif name == "logitnormal":
                    v = special.expit(a + b * zz)
                elif name == "wilson":
                    z2n = zz * zz / b
                    v = (a + z2n / 2 + zz * np.sqrt(a * (1 - a) / b + z2n / (4 * b))) / (1 + z2n)
                    v = np.clip(v, 0.0, 1.0)
                else:  # garwood
                    u = special.ndtr(zz)
                    shape = np.where(u < 0.5, a, a + 1)
                    lam = np.where(shape > 0, special.gammaincinv(np.maximum(shape, 1e-300), u), 0.0)
                    v = b * lam
                vals[:, m] = v
        out[:, self.cells] = vals
        return out.reshape(r_, *raw.shape)


def read_error(data_error: pd.DataFrame, units, indicators, raw: np.ndarray) -> ErrorModel:
    """Check ``data_error`` and turn it into an :class:`ErrorModel` for the cells that vary.

    Cells whose value is missing, or whose ``se`` is 0, are left out (they
    do not vary).  A row without the spread its distribution needs is an
    error naming the unit and indicator.
    """
    if not isinstance(data_error, pd.DataFrame):
        raise ParameterError("参数 `data_error` 必须是 DataFrame。", "`data_error` must be a DataFrame.")
    for c in ("uCode", "iCode", "se"):
        if c not in data_error.columns:
            raise MissingColumnError(f"data_error 中没有列 `{c}`。", f"data_error has no column `{c}`.",
                                     table="data_error", column=c)
    d = data_error.reset_index(drop=True)
    upos = {u: k for k, u in enumerate(units)}
    ipos = {c: k for k, c in enumerate(indicators)}
    ui = d["uCode"].map(upos)
    ii = d["iCode"].map(ipos)
    for col, pos in (("uCode", ui), ("iCode", ii)):
        if pos.isna().any():
            row = int(np.flatnonzero(pos.isna().to_numpy())[0])
            raise DataError(f"data_error 第 {row + 1} 行的 {col} `{d[col][row]}` 不在指数中。",
                            f"data_error row {row + 1}: {col} `{d[col][row]}` is not in the index.",
                            table="data_error", column=col)
    cell = ui.to_numpy(dtype=np.int64) * len(indicators) + ii.to_numpy(dtype=np.int64)
    dup = pd.Series(cell).duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"data_error 中 ({d['uCode'][row]}, {d['iCode'][row]}) 出现不止一次。",
                        f"data_error has ({d['uCode'][row]}, {d['iCode'][row]}) more than once.",
                        table="data_error")
    dist = d["dist"].fillna("normal").astype(str) if "dist" in d.columns else pd.Series(["normal"] * len(d))
    for v in dist.unique():
        check_choice("dist", v, DISTS)

    def num(c):
        return pd.to_numeric(d[c], errors="coerce").to_numpy(dtype=float) if c in d.columns else np.full(len(d), np.nan)

    se, lo, hi, n = num("se"), num("ci_low"), num("ci_high"), num("n")
    v = raw.reshape(-1)[cell]
    kind = dist.map({k: i for i, k in enumerate(DISTS)}).to_numpy(dtype=np.int64)
    a, b, df = v.copy(), np.full(len(d), np.nan), np.full(len(d), np.nan)
    vary = ~np.isnan(v) & ~(se == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.where(~np.isnan(lo) & ~np.isnan(hi), (hi - lo) / (2 * Z975), np.nan)
        s = np.where(~np.isnan(se), se, half)
        normal = kind == DISTS.index("normal")
        b[normal] = s[normal]
        t = kind == DISTS.index("t")
        b[t], df[t] = s[t], n[t] - 1
        _need(vary & t & ~(df > 0), d, "t 分布需要列 n（自由度 n − 1）", "the t distribution needs column n (df = n − 1)")
        lg = kind == DISTS.index("logitnormal")
        _need(vary & lg & ~((v >= 0) & (v <= 1)), d, "logitnormal 的值须在 0 与 1 之间",
              "a logitnormal value must be between 0 and 1")
        inner = lg & (v > 0) & (v < 1)
        vary &= ~(lg & ~inner)  # a share of exactly 0 or 1 has no logit-scale spread
        s_logit = np.where(~np.isnan(se), se / (v * (1 - v)),
                           (special.logit(hi) - special.logit(lo)) / (2 * Z975))
        a[inner], b[inner] = special.logit(v[inner]), s_logit[inner]
        wl = kind == DISTS.index("wilson")
        _need(vary & wl & ~((v >= 0) & (v <= 1)), d, "wilson 的值须在 0 与 1 之间", "a wilson value must be between 0 and 1")
        n_hi = Z975 ** 2 * hi * (1 - hi) / (hi - v) ** 2
        n_lo = Z975 ** 2 * lo * (1 - lo) / (v - lo) ** 2
        n_se = v * (1 - v) / se ** 2
        n_w = np.where(n > 0, n, np.where(hi > v, n_hi, np.where(lo < v, n_lo, n_se)))
        b[wl] = n_w[wl]
        gw = kind == DISTS.index("garwood")
        _need(vary & gw & ~(n >= 0), d, "garwood 需要列 n（计数）", "garwood needs column n (the count)")
        _need(vary & gw & ~(v >= 0), d, "garwood 的值不能为负", "a garwood value cannot be negative")
        c0 = hi / special.gammaincinv(1.0, 0.975)
        a[gw], b[gw] = n[gw], np.where(n[gw] > 0, v[gw] / n[gw], c0[gw])
    _need(vary & ~np.isfinite(b), d, "没有可用的标准误或置信区间", "has no usable standard error or interval")
    vary &= b > 0
    return ErrorModel(cells=cell[vary], kind=kind[vary], a=a[vary], b=b[vary], df=df[vary])


def _need(bad: np.ndarray, d: pd.DataFrame, zh: str, en: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"data_error 第 {row + 1} 行 ({d['uCode'][row]}, {d['iCode'][row]})：{zh}。",
                        f"data_error row {row + 1} ({d['uCode'][row]}, {d['iCode'][row]}): {en}.",
                        table="data_error")
