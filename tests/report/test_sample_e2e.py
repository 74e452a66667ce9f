"""End to end on data/sample: skipped until data/sample, evalkit.io and evalkit.families exist."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "data" / "sample"


def _ready():
    if not (SAMPLE / "dataset.json").exists():
        return "data/sample is not there yet (make sample)"
    try:
        import evalkit.families  # noqa: F401
        import evalkit.io  # noqa: F401
        from evalkit.families import indicators  # noqa: F401
    except ImportError as err:
        return f"evalkit.io / evalkit.families not available yet: {err}"
    return None


@pytest.mark.notebook
@pytest.mark.slow
def test_sample_batch_two_districts_and_city(tmp_path):
    why = _ready()
    if why:
        pytest.skip(why)
    from evalkit.io import load
    from evalkit.report.batch import build_reports

    ds = load(SAMPLE)
    year = int(ds.meta.get("year", 2024)) if str(ds.meta.get("year", "")).isdigit() else 2024
    d = ds.districts[:2]
    rc = build_reports(SAMPLE, year=year, districts=d, out=tmp_path, jobs=2, progress=False)
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert rc == 0, [r["error"] for r in m["reports"] if r["status"] != "ok"]
    assert m["city_summary"]["status"] == "ok"
    for r in m["reports"]:
        assert {o["path"].rsplit(".", 1)[1] for o in r["outputs"]} == {"ipynb", "html", "xlsx"}
