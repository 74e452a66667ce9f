"""Statistics of evalkit: survey estimation, reliability, survival, trends, DiD, composite indices.

Submodules are imported lazily on first attribute access, so
``import evalkit.stats`` stays cheap and ``from evalkit.stats import survey``
works::

    from evalkit.stats import survey
    survey.svymean(df, y="score", weights="weight", by="community_id")
"""

from __future__ import annotations

import importlib

_SUBMODULES = frozenset({"survey", "reliability", "survival", "trend", "did", "composite"})

__all__ = sorted(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
