"""The index spec: which indicators, tree, weights, directions, targets, methods, uncertainty.

A spec is a YAML or JSON file (or the same as a dict); every key is
optional and the defaults give evalkit's standard index (docs/INDEX.md)::

    indicators: [dispute_resolution_rate, satisfaction_index, ...]  # or id:category
    directions: {dispute_rate: lower_better}          # higher_better | lower_better | target_band
    targets: {satisfaction_alpha: [0.7, 0.95]}        # target band: distance outside it
    tree: {服务: [volunteer_active_rate, ...], 治理: [...]}  # groups (default: the families)
    weights: {satisfaction_index: 2, disputes: 1.5}  # an indicator or a group (default 1)
    methods: {treat: coinr, winmax: 5, normalise: minmax, normalise_params: {l_u: [0, 100]},
              aggregate: amean, aggregate_params: {}, impute: null, min_coverage: null}
    uncertainty:
      data: true                                      # redraw each value from its interval
      factors: [{kind: weights, level: 2, noise: 0.25}, {kind: aggregate, choices: [amean, gmean]}]
"""

from __future__ import annotations

import json
from pathlib import Path

from evalkit.exceptions import ParameterError, ReadError, check_choice

__all__ = ["read_spec", "DEFAULT_METHODS"]

KEYS = ("indicators", "directions", "targets", "tree", "weights", "methods", "uncertainty")
METHOD_KEYS = ("treat", "winmax", "normalise", "normalise_params", "aggregate", "aggregate_params",
               "impute", "impute_group", "min_coverage")
DEFAULT_METHODS = {"treat": "coinr", "winmax": 5, "normalise": "minmax", "normalise_params": {"l_u": [0, 100]},
                   "aggregate": "amean", "aggregate_params": None, "impute": None, "min_coverage": None}
DIRECTIONS = ("higher_better", "lower_better", "target_band")


def _bad(key: str, zh: str, en: str) -> ParameterError:
    return ParameterError(f"指数规格 `{key}`：{zh}", f"Index spec `{key}`: {en}")


def read_spec(spec) -> dict:
    """Read and check an index spec: a path to a ``.yaml``/``.yml``/``.json`` file, a dict or None.

    Parameters
    ----------
    spec : str, Path, dict or None
        The spec (see the module docstring and docs/INDEX.md); None gives the defaults.

    Returns
    -------
    dict
        Every key present, defaults filled in: ``indicators`` (list or None =
        the default selection), ``directions``, ``targets`` (id → (lo, hi)),
        ``tree`` (group → ids, or None = by family), ``weights``, ``methods``
        (all of ``DEFAULT_METHODS``), ``uncertainty`` (``data`` bool,
        ``factors`` list).

    Raises
    ------
    ParameterError
        An unknown key, a value of the wrong kind, a direction outside
        ``higher_better, lower_better, target_band``.
    ReadError
        The file cannot be read or parsed.

    Examples
    --------
    >>> s = read_spec({"weights": {"satisfaction_index": 2}, "methods": {"aggregate": "gmean",
    ...                "normalise_params": {"l_u": [1, 100]}}})
    >>> s["methods"]["aggregate"], s["methods"]["treat"], s["uncertainty"]["data"]
    ('gmean', 'coinr', True)
    >>> read_spec({"weight": {}})
    Traceback (most recent call last):
    ...
    evalkit.exceptions.ParameterError: 参数 `spec key` 必须是 [...] 之一，但传入的是 'weight'。
    The value for `spec key` must be one of [...], but 'weight' was passed.
    """
    if spec is None:
        raw = {}
    elif isinstance(spec, dict):
        raw = dict(spec)
    else:
        raw = _load(Path(spec))
    for k in raw:
        check_choice("spec key", k, KEYS)
    out = {"indicators": None, "directions": {}, "targets": {}, "tree": None, "weights": {},
           "methods": dict(DEFAULT_METHODS), "uncertainty": {"data": True, "factors": []}}
    if raw.get("indicators") is not None:
        ids = raw["indicators"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise _bad("indicators", "须为指标编号的列表。", "must be a list of indicator ids.")
        out["indicators"] = list(dict.fromkeys(ids))
    for key in ("directions", "targets", "weights"):
        v = raw.get(key) or {}
        if not isinstance(v, dict):
            raise _bad(key, "须为 {编号: 值} 的映射。", "must be a mapping {id: value}.")
        out[key] = dict(v)
    for k, v in out["directions"].items():
        check_choice(f"directions.{k}", v, DIRECTIONS)
    targets = {}
    for k, v in out["targets"].items():
        band = [v, v] if isinstance(v, (int, float)) else v
        if not isinstance(band, (list, tuple)) or len(band) != 2 or not all(isinstance(x, (int, float)) for x in band) \
                or band[0] > band[1]:
            raise _bad("targets", f"`{k}` 须为一个数或 [下限, 上限]。", f"`{k}` must be a number or [low, high].")
        targets[k] = (float(band[0]), float(band[1]))
    out["targets"] = targets
    for k, v in out["weights"].items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise _bad("weights", f"`{k}` 的权重须为非负数。", f"the weight of `{k}` must be a non-negative number.")
    if raw.get("tree") is not None:
        tree = raw["tree"]
        if not isinstance(tree, dict) or not tree or not all(
                isinstance(g, list) and g and all(isinstance(i, str) for i in g) for g in tree.values()):
            raise _bad("tree", "须为 {组名: [指标编号, ...]}。", "must be a mapping {group: [indicator ids]}.")
        seen = {}
        for g, ids in tree.items():
            for i in ids:
                if i in seen:
                    raise _bad("tree", f"`{i}` 同时在 `{seen[i]}` 与 `{g}` 中。", f"`{i}` is in both `{seen[i]}` and `{g}`.")
                seen[i] = g
        out["tree"] = {str(g): list(ids) for g, ids in tree.items()}
    methods = raw.get("methods") or {}
    if not isinstance(methods, dict):
        raise _bad("methods", "须为映射。", "must be a mapping.")
    for k in methods:
        check_choice("methods key", k, METHOD_KEYS)
    out["methods"].update(methods)
    if out["methods"]["treat"] in ("none", False):
        out["methods"]["treat"] = None
    unc = raw.get("uncertainty") or {}
    if not isinstance(unc, dict):
        raise _bad("uncertainty", "须为映射。", "must be a mapping.")
    for k in unc:
        check_choice("uncertainty key", k, ("data", "factors"))
    if not isinstance(unc.get("data", True), bool):
        raise _bad("uncertainty", "`data` 须为 true 或 false。", "`data` must be true or false.")
    factors = unc.get("factors") or []
    if not isinstance(factors, list) or not all(isinstance(f, dict) for f in factors):
        raise _bad("uncertainty", "`factors` 须为列表，每项一个映射。", "`factors` must be a list of mappings.")
    out["uncertainty"] = {"data": unc.get("data", True), "factors": [dict(f) for f in factors]}
    return out


def _load(path: Path) -> dict:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ParameterError(f"指数规格文件须为 .yaml、.yml 或 .json：{path.name}。",
                             f"The index spec must be a .yaml, .yml or .json file: {path.name}.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ReadError(f"无法读取指数规格文件 {path}（{err.strerror}）。",
                        f"Cannot read the index spec {path} ({err.strerror}).") from err
    def unreadable(err):
        return ReadError(f"指数规格文件 {path.name} 无法解析：{err}", f"The index spec {path.name} cannot be parsed: {err}")

    if suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as err:
            raise unreadable(err) from err
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise unreadable(err) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ReadError(f"指数规格文件 {path.name} 的顶层须为映射。", f"The top of the index spec {path.name} must be a mapping.")
    return data
