"""notebooks/composite_index.ipynb: its parameters read back, and a run on the sample data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "composite_index.ipynb"


def test_notebook_parameters_and_no_outputs():
    papermill = pytest.importorskip("papermill")
    params = papermill.inspect_notebook(str(NOTEBOOK))
    assert {k: v["inferred_type_name"] for k, v in params.items()} == {
        "data_dir": "str", "year": "int", "level": "str", "uncertainty": "int", "sobol_n": "int", "seed": "int",
        "lang": "str"}
    assert all(v["help"] for v in params.values())
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert sum("parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"]) == 1
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_runs_on_the_sample(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                               cwd=str(NOTEBOOK.parent),
                               parameters=dict(level="district", uncertainty=100, sobol_n=32, lang="en"))
    text = out.read_text(encoding="utf-8")
    assert "rank interval (5–95%)" in text and "image/png" in text
    assert "ST_q95" in text
