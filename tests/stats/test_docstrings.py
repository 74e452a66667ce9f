"""Every public function of evalkit.stats and evalkit.pilot shows a runnable example; the ones
that compute something give the formula (Notes), the paper (References) and what they were
checked against.  The examples themselves run as doctests (pytest --doctest-modules)."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

MODULES = ["evalkit.stats.survey", "evalkit.stats.reliability", "evalkit.stats.survival", "evalkit.stats.trend",
           "evalkit.stats.did", "evalkit.pilot"]
COMPUTES = {"svymean", "svytotal", "svyprop", "cronbach_alpha", "kaplan_meier", "cumulative_incidence",
            "seasonal_mann_kendall", "trend_glm", "twfe_did", "did_2x2", "callaway_santanna", "aggregate",
            "pretrend_test", "randomization_inference", "compare", "compare_panel"}


def _public():
    for m in MODULES:
        mod = importlib.import_module(m)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield pytest.param(obj, id=f"{m}.{name}")


@pytest.mark.parametrize("obj", list(_public()))
def test_public_callables_have_runnable_examples(obj):
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc and ">>> " in doc, obj.__name__
    assert "+SKIP" not in doc, obj.__name__
    if obj.__name__ in COMPUTES:
        assert "Notes\n-----" in doc and "References\n----------" in doc, obj.__name__
        assert re.search(r"(?i)(checked|tested|verified)\s+against|checked\s+by", doc), obj.__name__


def test_the_did_package_has_a_small_documented_api():
    from evalkit.stats import did

    assert len(did.__all__) <= 15 and all(getattr(did, n).__doc__ for n in did.__all__ if n[0].islower())
    for name in ("twfe", "staggered", "aggregate", "pretrend", "randomization"):
        assert f"``{name}.py``" in did.__doc__
