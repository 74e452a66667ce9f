"""evalkit: evaluate community governance from the records street offices keep.

社区治理评估工具：读取社区名册、矛盾纠纷台账、志愿者与时间银行记录、社区干部名册、
居民满意度调查，计算治理指标，并按区生成报告。

Public API (imported lazily, so ``import evalkit`` and the CLI stay fast)::

    ds = evalkit.load("data/sample")               # -> Dataset
    report = ds.validate()                          # -> ValidationReport
    table = evalkit.indicators(ds, year=2024)       # -> long DataFrame
    evalkit.catalog()                               # -> DataFrame of indicators
    evalkit.compare(ds, outcome="dispute_rate", start=2020, end=2024)  # -> PilotResult
    evalkit.compare_panel(panel, outcome=..., unit=..., time=..., first_treated=...)
    evalkit.index(table, year=2024, level="street", uncertainty=500)   # composite index, rank intervals
    evalkit.synth("out/", scale="demo", seed=1)
    evalkit.stats, evalkit.plot, evalkit.report     # submodules

Module names differ from the functions on purpose (``evalkit.families``
holds ``indicators``, ``evalkit.pilot`` holds ``compare``,
``evalkit.synthetic`` holds ``synth``, ``evalkit.ranking`` holds ``index``) so that importing a submodule never
shadows a function of the same name.
"""

from __future__ import annotations

from evalkit._lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "load": "evalkit.io",
    "Dataset": "evalkit.io.dataset",
    "indicators": "evalkit.families",
    "catalog": "evalkit.families.catalog",
    "compare": "evalkit.pilot",
    "compare_panel": "evalkit.pilot",
    "index": "evalkit.ranking",
    "synth": "evalkit.synthetic",
    "EvalkitError": "evalkit.exceptions",
}
#: Submodules of the public API (``evalkit.stats.svymean``, ``evalkit.plot.unit_bars`` ...).
_PUBLIC_MODULES = ("exceptions", "plot", "report", "stats")
#: Every submodule reachable as an attribute (the internal layers too, for contributors).
_SUBMODULES = {*_PUBLIC_MODULES, "io", "contract", "families", "pilot", "synthetic", "labels", "vocabulary",
               "ranking"}

__all__ = sorted(_LAZY) + list(_PUBLIC_MODULES) + ["__version__"]

__getattr__, _ = lazy_exports(__name__, _LAZY, _SUBMODULES)


def __dir__() -> list[str]:
    """The public API only (not the helpers of this module, nor submodules imported along the way).

    Examples
    --------
    >>> import evalkit, evalkit.families
    >>> dir(evalkit)
    ['Dataset', 'EvalkitError', '__version__', 'catalog', 'compare', 'compare_panel', 'exceptions', 'index',
     'indicators', 'load', 'plot', 'report', 'stats', 'synth']
    """
    return sorted(__all__)
