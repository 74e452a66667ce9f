"""Figures drawn from the long indicator table, with CJK fonts and zh/en labels.

Lazy: ``import evalkit.plot`` costs nothing until a figure function is used
(matplotlib is imported then).  ``event_study`` lives in
:mod:`evalkit.plot.event` (pilot comparison); ``rank_intervals`` and ``score_drivers`` in
:mod:`evalkit.plot.index` (composite index).

Every figure function takes the long table first and returns the Axes; a
selection that matches nothing is a ParameterError naming it, never an empty
plot.  In a notebook, end the cell with ``plt.show()`` (or assign the Axes) so
that a figure shows once and no ``<Axes ...>`` line is printed.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> import evalkit.plot as ep
>>> ax = ep.unit_bars(ep.example_table(), indicator="dispute_rate", level="district", lang="en")
>>> ax.get_title(loc="left")
'Dispute rate'
>>> plt.close(ax.figure)
"""

from __future__ import annotations

import importlib

_LAZY = {
    "dispute_trend": "evalkit.plot.figures",
    "unit_bars": "evalkit.plot.figures",
    "education_by_term": "evalkit.plot.figures",
    "satisfaction_dimensions": "evalkit.plot.figures",
    "volunteer_activity": "evalkit.plot.figures",
    "yearly_trend": "evalkit.plot.figures",
    "select": "evalkit.plot.figures",
    "rows_for": "evalkit.plot.figures",
    "example_table": "evalkit.plot.figures",
    "event_study": "evalkit.plot.event",
    "rank_intervals": "evalkit.plot.index",
    "score_drivers": "evalkit.plot.index",
    "setup_fonts": ("evalkit.plot.fonts", "setup"),
}

__all__ = sorted(_LAZY) + ["fonts", "figures"]


def __getattr__(name: str):
    if name in ("fonts", "figures", "event"):
        return importlib.import_module(f"evalkit.plot.{name}")
    if name in _LAZY:
        spec = _LAZY[name]
        mod, attr = spec if isinstance(spec, tuple) else (spec, name)
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evalkit.plot' has no attribute {name!r}")


def __dir__():
    return __all__
