"""Lazy exports of a package: names of its submodules imported on first use.

Keeps ``import evalkit`` (and ``evalkit.io``, ``evalkit.report``) cheap: pandas and
friends are imported only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, exports: dict[str, str], submodules=()):
    """``(__getattr__, __dir__)`` for ``package``.

    ``exports`` maps a name to the module defining it (same name there);
    ``submodules`` are returned as modules.  A name is bound on the package
    once looked up.
    """
    submodules = frozenset(submodules)

    def __getattr__(name: str):
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports) | submodules)

    return __getattr__, __dir__
