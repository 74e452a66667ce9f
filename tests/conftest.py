"""Suite-wide collection rule.

Doctests are collected from every module (``--doctest-modules`` in pyproject.toml)
for the package; the test directories' ``conftest.py`` files are loaded as
conftests, and collecting them a second time as doctest modules fails when
several directories are named on the command line (``import file mismatch``:
they all import as ``conftest``).
"""

from __future__ import annotations


def pytest_ignore_collect(collection_path, config):
    if collection_path.name == "conftest.py" and collection_path.parent != config.rootpath:
        return True
    return None
