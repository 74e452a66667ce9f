"""The report notebooks' parameters cells, read back with papermill (no kernel)."""

from pathlib import Path

import nbformat
import papermill as pm
import pytest

NB = Path(__file__).parents[2] / "notebooks"


@pytest.mark.parametrize("name,expected", [
    ("district_report", {"data_dir": "str", "district": "str", "year": "int", "lang": "str", "indicators_path": "str",
                         "pilot_path": "str", "index_path": "str", "invalid_districts": "list"}),
    ("city_summary", {"data_dir": "str", "year": "int", "lang": "str", "indicators_path": "str",
                      "pilot_path": "str", "index_path": "str", "invalid_districts": "list"}),
    ("explore", {"data_dir": "str", "year": "int", "lang": "str"}),
])
def test_parameters_cell(name, expected):
    path = NB / f"{name}.ipynb"
    params = pm.inspect_notebook(str(path))
    assert {k: v["inferred_type_name"] for k, v in params.items()} == expected
    assert all(v["help"] for v in params.values())
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert params.get("indicators_path", {"default": '""'})["default"] == '""'
    # outputs never committed
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_report_notebook_imports_are_light():
    src = "\n".join(c.source for c in nbformat.read(NB / "district_report.ipynb", as_version=4).cells)
    assert "statsmodels" not in src


def test_report_setup_cell_imports_no_statsmodels_or_scipy():
    """The report's set-up cell (run in a fresh interpreter) pulls in neither statsmodels nor scipy."""
    import subprocess
    import sys

    nb = nbformat.read(NB / "district_report.ipynb", as_version=4)
    setup = next(c.source for c in nb.cells if "nbk.start(" in c.source)
    imports = "\n".join(ln for ln in setup.splitlines() if ln.startswith(("import ", "from ")))
    code = imports + "\nimport sys\nprint(sorted(m for m in ('statsmodels', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
