"""The project's set-up promises: one source of dependencies, a bilingual CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_NAMES = {"duckdb": "python-duckdb", "brotli": "brotli-python"}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += extra
    out = dict(_split(r) for r in reqs)
    out["python"] = data["project"]["requires-python"].replace(" ", "")
    return out


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for p in dep.get("pip", []):
                if not p.startswith("-"):
                    name, spec = _split(p)
                    out[name] = spec
        elif dep != "pip":
            name, spec = _split(dep)
            out[name] = spec
    inverse = {v: k for k, v in CONDA_NAMES.items()}
    return {inverse.get(k, k): v for k, v in out.items()}


def test_environment_yml_mirrors_pyproject():
    py, env = _pyproject(), _environment()
    assert set(py) == set(env), (
        f"only in pyproject: {sorted(set(py) - set(env))}; only in environment.yml: {sorted(set(env) - set(py))}"
    )
    differing = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not differing, f"floors differ (pyproject, environment.yml): {differing}"


def test_every_dependency_has_a_floor():
    py = _pyproject()
    assert all(spec.startswith(">=") for spec in py.values()), py


def test_cli_help_is_bilingual():
    out = subprocess.run([sys.executable, "-m", "evalkit", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "社区治理评估" in out and "community governance evaluation" in out
    for cmd in ("synth", "validate", "indicators", "catalog", "compare", "reports"):
        assert cmd in out
        sub = subprocess.run([sys.executable, "-m", "evalkit", cmd, "--help"], capture_output=True,
                             text=True, check=True).stdout
        assert re.search(r"[\u4e00-\u9fff]", sub) and re.search(r"[A-Za-z]{4,}", sub), cmd


def test_cli_import_is_lazy():
    """`evalkit --help` must not import pandas or statsmodels (0.6 s and 2.3 s)."""
    code = ("import sys, evalkit.cli as c\n"
            "try:\n    c.main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'statsmodels', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_repo_does_not_read_shared():
    """The repository stands alone: no code or test refers to ../shared."""
    offenders = []
    for p in list((ROOT / "evalkit").rglob("*.py")) + list((ROOT / "tests").rglob("*.py")) + \
            list((ROOT / "notebooks").glob("*.ipynb")) + list((ROOT / "bench").glob("*.py")):
        if p.name == "test_packaging.py":
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        if "../shared" in text or "/work/shared" in text:
            offenders.append(str(p.relative_to(ROOT)))
    assert not offenders, offenders


def test_committed_notebooks_are_stripped():
    import json

    for p in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(p.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), p.name


def test_explicit_package_list_names_every_package_directory():
    """pyproject lists packages explicitly (to map notebooks/ into the wheel); none may be forgotten,
    and neither may a directory that holds only data files (the report templates): setuptools
    printed ~90 lines of "Package would be ignored" for those on every `make`."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(data["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(ROOT).parts) for p in [ROOT / "evalkit", *(ROOT / "evalkit").rglob("*")]
             if p.is_dir() and p.name != "__pycache__" and any(f.is_file() for f in p.iterdir())}
    assert found == listed - {"evalkit._notebooks"}, (
        f"missing from pyproject: {sorted(found - listed)}; listed but absent: {sorted(listed - found - {'evalkit._notebooks'})}")
    assert data["tool"]["setuptools"]["package-dir"]["evalkit._notebooks"] == "notebooks"
    pkg_data = data["tool"]["setuptools"]["package-data"]
    assert "*.ipynb" in pkg_data["evalkit._notebooks"]
    # every data file of the package is declared by its own package's patterns
    undeclared = []
    for f in (ROOT / "evalkit").rglob("*"):
        if f.is_file() and f.suffix not in (".py", ".pyc"):
            pkg = ".".join(f.parent.relative_to(ROOT).parts)
            if not any(f.match(pat) for pat in pkg_data.get(pkg, [])):
                undeclared.append(str(f.relative_to(ROOT)))
    assert undeclared == []
