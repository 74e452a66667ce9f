"""Composite indicators (综合评价) with honest uncertainty: COINr's method in Python.

:func:`build` runs COINr's pipeline on plain DataFrames (COINr's data model:
``data`` one row per unit, ``meta`` the index structure): denominate,
impute, screen, treat outliers, normalise, aggregate; checked against COINr
1.1.14's own example index stage by stage.  :func:`sensitivity` reruns the
whole pipeline per replicate — noisy weights, other normalisations and
aggregations, the winsorisation limit, an indicator left out, imputation on
or off, and the data's own sampling error — vectorised across replicates,
in a process pool, as plain Monte Carlo or as Saltelli's design with
first-order and total Sobol' indices for the mean rank shift and for each
unit's score and rank.

Examples
--------
>>> import pandas as pd
>>> from evalkit.stats.composite import build, sensitivity
>>> data = pd.DataFrame({"uCode": list("abcd"), "x1": [1.0, 2.0, 4.0, 3.0],
...                      "x2": [3.0, 1.0, 2.0, 4.0]})
>>> meta = pd.DataFrame({"iCode": ["x1", "x2", "Index"], "Level": [1, 1, 2],
...                      "Parent": ["Index", "Index", None], "Direction": [1, 1, 1],
...                      "Weight": [1, 1, 1], "Type": ["Indicator", "Indicator", "Aggregate"]})
>>> build(data, meta).ranks["Index"].tolist()
[3, 4, 2, 1]
"""

from __future__ import annotations

from evalkit.stats.composite._build import Composite, build, rebuild
from evalkit.stats.composite._contrib import contributions
from evalkit.stats.composite._sensitivity import Sensitivity, sensitivity
from evalkit.stats.composite._stats import kurt, skew

__all__ = ["Composite", "Sensitivity", "build", "contributions", "kurt", "rebuild", "sensitivity", "skew"]
