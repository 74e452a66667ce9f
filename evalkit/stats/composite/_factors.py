"""Uncertain inputs of a sensitivity analysis (COINr's ``SA_specs``), read from plain dicts.

A factor is either *scalar* — a choice among alternatives, picked by a
number u in [0, 1) (u · number of alternatives, rounded down, as COINr's
discrete distributions) — or a *draw* — a random vector (noisy weights, the
data's own error) generated from a stream identified by an integer key, so
the same key always gives the same draw.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.exceptions import ParameterError, check_choice
from evalkit.stats.composite import _normalise
from evalkit.stats.composite._build import IMPUTE, Composite, aggregate_options

KINDS = ("weights", "normalise", "aggregate", "winmax", "exclude", "impute")


@dataclass(frozen=True)
class Factor:
    """One uncertain input: ``name``, ``kind`` and its alternatives (or draw settings)."""

    name: str
    kind: str
    choices: tuple = ()
    labels: tuple = ()
    level: int | None = None
    noise: float | None = None

    @property
    def draw(self) -> bool:
        """True for factors drawn from a random stream (weights, data), False for choices."""
        return self.kind in ("weights", "data")

    def pick(self, u: float) -> int:
        """Index of the alternative that ``u`` in [0, 1) selects."""
        return min(int(u * len(self.choices)), len(self.choices) - 1)


def _bad(spec, zh: str, en: str):
    return ParameterError(f"不确定性因素 {spec!r}：{zh}", f"Uncertainty factor {spec!r}: {en}")


def _choices(spec, key="choices") -> list:
    ch = spec.get(key)
    if not isinstance(ch, (list, tuple)) or not ch:
        raise _bad(spec, f"需要非空的 `{key}` 列表。", f"needs a non-empty list `{key}`.")
    return list(ch)


def read_factors(specs, comp: Composite) -> list[Factor]:
    """Check the factor specifications against the built index and return :class:`Factor` objects.

    Each spec is a dict with ``kind`` and:

    * ``weights``: ``level`` (the level whose weights get noise; 1 = indicators)
      and ``noise`` (f: each weight becomes w·(1 + f·U(−1, 1)));
    * ``normalise``: ``choices``, each a method name or ``{"method": ..., "params": {...}}``;
    * ``aggregate``: ``choices``, each a method name, ``{"method": ..., "params": {...}}``
      or a dict Level → method;
    * ``winmax``: ``range`` ``[low, high]``, every whole number between them equally likely;
    * ``exclude``: ``choices``, indicators that may be left out (the alternatives are
      none of them, or one of them);
    * ``impute``: optional ``choices`` (methods or None), default on/off: the build's method
      (``"mean"`` when it imputed nothing) or None.

    ``name`` overrides the default name (the kind; ``weights_L<level>`` for weights).
    """
    tree = comp.inputs.agg_tree
    out = []
    for spec in specs:
        if not isinstance(spec, dict):
            raise ParameterError(f"不确定性因素必须是字典，收到 {spec!r}。",
                                 f"An uncertainty factor must be a dict, but {spec!r} was passed.")
        kind = spec.get("kind")
        check_choice("kind", kind, KINDS)
        if kind == "weights":
            level, noise = spec.get("level"), spec.get("noise")
            if level not in range(1, tree.max_level):
                raise _bad(spec, f"`level` 须在 1 到 {tree.max_level - 1} 之间。",
                           f"`level` must be between 1 and {tree.max_level - 1}.")
            if not isinstance(noise, (int, float)) or not 0 < noise <= 1:
                raise _bad(spec, "`noise` 须在 0 与 1 之间。", "`noise` must be a number in (0, 1].")
            f = Factor(spec.get("name", f"weights_L{level}"), kind, level=int(level), noise=float(noise))
        elif kind == "normalise":
            alts = []
            for c in _choices(spec):
                method, params = (c, {}) if isinstance(c, str) else (c.get("method"), dict(c.get("params") or {}))
                check_choice("normalise", method, _normalise.METHODS)
                alts.append((method, params))
            f = Factor(spec.get("name", kind), kind, tuple(alts), tuple(_label(m, p) for m, p in alts))
        elif kind == "aggregate":
            levels = list(range(2, tree.max_level + 1))
            alts, labels = [], []
            for c in _choices(spec):
                if isinstance(c, dict) and "method" in c:
                    alts.append(aggregate_options(c["method"], c.get("params"), levels))
                    labels.append(_label(c["method"], c.get("params") or {}))
                else:
                    alts.append(aggregate_options(c, None, levels))
                    labels.append(c if isinstance(c, str) else "/".join(str(c[k]) for k in sorted(c)))
            f = Factor(spec.get("name", kind), kind, tuple(alts), tuple(labels))
        elif kind == "winmax":
            rng = spec.get("range")
            if (not isinstance(rng, (list, tuple)) or len(rng) != 2 or any(int(v) != v or v < 0 for v in rng)
                    or rng[0] > rng[1]):
                raise _bad(spec, "`range` 须为两个非负整数 [低, 高]。", "`range` must be two whole numbers [low, high].")
            vals = tuple(range(int(rng[0]), int(rng[1]) + 1))
            f = Factor(spec.get("name", kind), kind, vals, tuple(str(v) for v in vals))
        elif kind == "exclude":
            codes = _choices(spec)
            for c in codes:
                check_choice("exclude", c, tree.indicators)
            f = Factor(spec.get("name", kind), kind, (None, *codes), ("none", *codes))
        else:  # impute
            # on/off: the build's imputation (the mean when it imputed nothing) or none
            alts = spec.get("choices", [comp.options.impute or "mean", None])
            for c in alts:
                if c is not None:
                    check_choice("impute", c, IMPUTE)
                    if c.endswith("_group") and comp.inputs.groups is None:
                        raise _bad(spec, f"{c} 需要在 build 时给出 impute_group。",
                                   f"{c} needs impute_group given to build.")
            f = Factor(spec.get("name", kind), kind, tuple(alts), tuple(str(c) for c in alts))
        out.append(f)
    names = [f.name for f in out]
    if len(set(names)) != len(names):
        raise ParameterError(f"不确定性因素重名：{names}。", f"Two uncertainty factors have the same name: {names}.")
    return out


def _label(method: str, params: dict) -> str:
    if not params:
        return method
    return method + "(" + ", ".join(f"{k}={v}" for k, v in sorted(params.items())) + ")"
