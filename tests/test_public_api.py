"""Every name a module promises in ``__all__`` exists, and ``import *`` works everywhere."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import evalkit


def _modules() -> list[str]:
    names = ["evalkit"]
    for info in pkgutil.walk_packages(evalkit.__path__, "evalkit."):
        if info.name.startswith("evalkit._notebooks") or info.name == "evalkit.__main__":
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_resolves(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        pytest.skip("no __all__")
    missing = []
    for attr in exported:
        try:
            getattr(module, attr)
        except (AttributeError, ModuleNotFoundError) as err:
            missing.append(f"{attr}: {err}")
    assert not missing, missing


@pytest.mark.parametrize("name", MODULES)
def test_star_import(name):
    namespace: dict = {}
    exec(f"from {name} import *", namespace)  # noqa: S102 - the statement under test


def test_report_star_import_regression():
    """``from evalkit.report import *`` raised ModuleNotFoundError (a moved submodule ``text``)."""
    namespace: dict = {}
    exec("from evalkit.report import *", namespace)  # noqa: S102
    assert "build_reports" in namespace
