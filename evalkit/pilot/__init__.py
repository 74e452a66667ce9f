"""Pilot comparison (试点对比): piloted against other communities.

:func:`compare` works on a Dataset (the outcome from the indicator catalog,
the first piloted years from the community register); :func:`compare_panel`
on a panel of one's own.  Both return a :class:`PilotResult`: ``.table``
(the long rows of the output contract, docs/PILOT.md "结果表中的各行 /
Rows"), ``.facts`` (one :class:`PilotFacts` per unit compared: the units
piloted and compared, few units or not, the control group, how each p-value
and interval was computed, the years used, the units left out),
``.explain(lang)``, ``.to_text(lang)`` and ``.to_frame(lang)``.

Below 10 piloted units the p-values come from randomisation inference.  The
pre-trend p-value is a randomisation p-value by default (``pretrend=
"randomization"``): the asymptotic χ² p-value of R ``did`` over-rejects with
cohorts of a handful of units (about 19 % at a nominal 5 % on panels like the
demo data; docs/PILOT.md); ``pretrend="asymptotic"`` gives R's p-value.  The
estimators are :mod:`evalkit.stats.did`.
"""

from __future__ import annotations

from evalkit.pilot._dataset import compare, first_piloted_year, resolve_outcome
from evalkit.pilot._panel import compare_panel
from evalkit.pilot._result import FEW_UNITS, INDICATORS, PilotFacts, PilotResult

__all__ = ["compare", "compare_panel", "PilotResult", "PilotFacts", "first_piloted_year", "resolve_outcome",
           "FEW_UNITS", "INDICATORS"]
