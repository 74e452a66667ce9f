"""The researchers' tour shows each figure once and prints no ``<Axes ...>`` line (issue 11)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.notebook
def test_explore_shows_each_figure_once_and_no_axes_repr(tmp_path):
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "explore.ipynb"), str(out),
                        parameters={"data_dir": str(ROOT / "data" / "sample"), "year": 2024, "lang": "zh"},
                        cwd=str(tmp_path), progress_bar=False, log_output=False)
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # text outputs (an image's own text/plain fallback is not shown beside it)
    texts = [o.get("data", {}).get("text/plain", "") + o.get("text", "") for c in code for o in c.outputs
             if "image/png" not in o.get("data", {})]
    assert not [t for t in texts if "<Axes" in t or "<Figure" in t or "<matplotlib" in t]
    # one image per cell that draws, each drawn once
    per_cell = {i: sum("image/png" in o.get("data", {}) for o in c.outputs) for i, c in enumerate(code)}
    shows = {i: sum(ln.strip() == "plt.show()" for ln in c.source.splitlines()) for i, c in enumerate(code)}
    drawing = {i: n for i, n in shows.items() if n}
    assert drawing and all(per_cell[i] == n for i, n in drawing.items()), (per_cell, drawing)
    assert sum(per_cell.values()) == sum(drawing.values()) == 3
