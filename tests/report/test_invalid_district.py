"""One bad district must not stop the other reports (validation errors attributed to districts).

The bad dataset is data/sample copied to tmp and corrupted: one community's households in
北山区 (an unreadable value; every other 北山区 community a value out of range), and one
volunteer_hours row of a 西湖区 volunteer (attributed through volunteers.community_id).
Tiny notebooks stand in for the report notebooks, so the batch is fast.
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit.exceptions import ValidationError
from evalkit.io import load
from evalkit.io.validate import MAX_LISTED, split_by_district
from evalkit.report.batch import build_reports, safe_name
from fake import stand_in_notebook  # tests/report is on sys.path (conftest)

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
BAD, VIA = "北山区", "西湖区"


def _read(p):
    return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _write(df, p):
    df.to_csv(p, index=False, encoding="utf-8-sig")


def _bad_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    c = _read(data / "communities.csv")
    m = c["district"] == BAD
    c.loc[m, "households"] = "-1"
    c.loc[c.index[m][0], "households"] = "很多"          # the first row of 北山区: unreadable
    _write(c, data / "communities.csv")
    v = _read(data / "volunteers.csv")
    vd = dict(zip(v["volunteer_id"], v["community_id"].map(dict(zip(c["community_id"], c["district"])))))
    h = _read(data / "volunteer_hours.csv")
    h.loc[h.index[h["volunteer_id"].map(vd) == VIA][0], "hours"] = "-3"
    _write(h, data / "volunteer_hours.csv")
    return data


def _nb(path: Path, district: bool) -> Path:
    src = ('data_dir: str = ""\n' + ('district: str = ""\n' if district else "") +
           'year: int = 2024\nlang: str = "zh"\nindicators_path: str = ""\npilot_path: str = ""\n'
           'invalid_districts: list = []')
    body = ('from IPython.display import HTML, display\n'
            f'display(HTML("<h1>" + {"district" if district else repr("全市")} + "</h1>"))\n')
    if not district:  # the city summary's notice, from the districts the batch passes
        body += ('import pandas as pd\nfrom evalkit.report.data import ReportData\n'
                 'from evalkit.report.sections import validation_note\n'
                 'display(*validation_note(ReportData(table=pd.DataFrame(), district=None, year=year, '
                 'invalid=tuple(invalid_districts))))')
    return stand_in_notebook(path, body, src)


def test_split_by_district_uses_every_row(tmp_path):
    """Attribution sees rows beyond the listing cap; exact counts per district."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    ds0 = load(data)
    c = ds0.tables["communities"]
    dist = dict(zip(c["community_id"].astype(str), c["district"].astype(str)))
    d = _read(data / "disputes.csv")
    of = d["community_id"].map(dist)
    res = d["resolved_on"] != ""
    # MAX_LISTED + 7 rows of 东城区 with resolved_on before reported_on, 3 of 南湖区
    idx_a = d.index[(of == "东城区") & res][:MAX_LISTED + 7]
    idx_b = d.index[(of == "南湖区") & res][:3]
    for idx in (idx_a, idx_b):
        d.loc[idx, "resolved_on"] = "2000-01-01"
    _write(d, data / "disputes.csv")
    ds = load(data)
    report = ds.validate()
    # the full listing: one capped group for all rows (the cap hides some rows)
    assert report.n_errors == MAX_LISTED + 10
    per, rest = split_by_district(report, ds)
    assert rest.ok and sorted(per) == ["东城区", "南湖区"]
    assert per["东城区"].n_errors == MAX_LISTED + 7 and per["南湖区"].n_errors == 3
    # every 南湖区 row is listed with its row number, even those the city-wide listing capped
    rows_b = sorted(int(r) for r in idx_b + 2)  # header = row 1
    assert sorted(p.row for p in per["南湖区"].errors) == rows_b
    assert all(p.rule == "date.order" and p.column == "resolved_on" for p in per["南湖区"].errors)
    # the printed report is unchanged by the bookkeeping: MAX_LISTED rows and one summary line
    assert len(report.errors) == MAX_LISTED + 1 and "entries" not in str(report)


def test_unattributable_errors_stay_global(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    d = _read(data / "disputes.csv")
    d.loc[5, "community_id"] = "C9999"  # unknown community: fk.missing, no district
    _write(d, data / "disputes.csv")
    ds = load(data)
    per, rest = split_by_district(ds.validate(), ds)
    assert per == {} and [p.rule for p in rest.errors] == ["fk.missing"] and rest.errors[0].row == 7


@pytest.mark.notebook
@pytest.mark.slow  # ~8 s: the indicator table of data/sample and one kernel
def test_bad_district_skipped_others_built(tmp_path, capsys):
    data = _bad_copy(tmp_path)
    out = tmp_path / "out"
    # a stale report of the bad district from an earlier run must not survive
    out.mkdir()
    (out / f"{safe_name(BAD)}.html").write_text("old", encoding="utf-8")
    rc = build_reports(data, year=2024, out=out, jobs=1, progress=False, formats=("html",),
                       notebook=_nb(tmp_path / "d.ipynb", True), city_notebook=_nb(tmp_path / "c.ipynb", False))
    assert rc == 1
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    st = {r["parameters"]["district"]: r for r in m["reports"]}
    districts = list(load(SAMPLE).districts)
    assert sorted(st) == sorted(districts)
    for d in (BAD, VIA):
        assert st[d]["status"] == "invalid" and st[d]["outputs"] == []
        assert not (out / f"{safe_name(d)}.html").exists()
    e = st[BAD]["error"]
    assert e["n_errors"] == 12 and e["problems"][0]["row"] == 38 and e["problems"][0]["column"] == "households"
    assert "第 38 行" in e["message_zh"] and "row 38" in e["message_en"] and "households" in e["message_en"]
    assert st[VIA]["error"]["problems"][0]["table"] == "volunteer_hours"
    for d in set(districts) - {BAD, VIA}:
        assert st[d]["status"] == "ok", st[d]["error"]
        assert (out / f"{safe_name(d)}.html").is_file()
    assert m["city_summary"]["status"] == "ok"
    city = (out / "city_summary.html").read_text(encoding="utf-8")
    assert "validation-note" in city and BAD in city and VIA in city
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "数据校验未通过" in index and BAD in index and "第 38 行" in index
    # the districts side by side: the invalid ones marked and not ranked, and the page says so
    assert f"<th>{BAD} *</th>" in index and "不参与排名" in index
    assert m["city_summary"]["parameters"]["invalid_districts"] == [d for d in districts if d in (BAD, VIA)]
    printed = capsys.readouterr().out
    assert f"区县 {BAD}" in printed and f"District {BAD}" in printed


@pytest.mark.parametrize("where", ["items", "unknown_community", "all_bad"])
def test_unattributable_or_all_bad_raises_before_writing(tmp_path, where):
    data = _bad_copy(tmp_path)
    districts = None
    if where == "items":
        it = _read(data / "survey_items.csv")
        it.loc[0, ["scale_min", "scale_max"]] = ["5", "1"]
        _write(it, data / "survey_items.csv")
    elif where == "unknown_community":
        d = _read(data / "disputes.csv")
        d.loc[0, "community_id"] = "C9999"
        _write(d, data / "disputes.csv")
    else:
        districts = [BAD, VIA]
    out = tmp_path / "out"
    with pytest.raises(ValidationError) as err:
        build_reports(data, year=2024, out=out, districts=districts, jobs=1, progress=False)
    assert not out.exists()
    assert "households" in str(err.value)
    # why nothing was built, then the problems under one header with evalkit validate's counts
    full = load(data).validate()
    msg = err.value.zh
    assert msg.count("校验结果") == 1 and full.to_text("zh").splitlines()[0] in msg and "数据校验发现" not in msg
    assert msg.startswith("所选的每个区县都有数据错误" if where == "all_bad" else "表 ")
    if where != "all_bad":
        assert "不属于任何区县，因此没有生成任何报告" in msg and "belong to no district, so no report was built" in err.value.en
    if where == "items":
        assert "items.scale" in str(err.value)
    if where == "unknown_community":
        assert "fk.missing" in str(err.value)
        assert msg.startswith("表 disputes（矛盾纠纷台账）第 2 行的错误不属于任何区县")


def test_an_unknown_district_or_a_missing_pdf_engine_stops_before_any_work(tmp_path, monkeypatch):
    """Both are known before anything is computed: the batch stops at once, writes nothing
    and leaves an earlier run's folder as it was."""
    import sys

    from evalkit.exceptions import ParameterError, ReportError

    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.html").write_text("kept")
    with pytest.raises(ParameterError) as err:
        build_reports(SAMPLE, year=2024, out=out, districts=["不存在区"], jobs=1, progress=False)
    assert "不存在区" in str(err.value) and "东城区" in str(err.value)  # names the known ones too
    assert sorted(p.name for p in out.iterdir()) == ["earlier.html"]
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now fails
    with pytest.raises(ReportError) as err:
        build_reports(SAMPLE, year=2024, out=out, jobs=1, progress=False, formats=("html", "pdf"))
    assert "WeasyPrint" in str(err.value)
    assert sorted(p.name for p in out.iterdir()) == ["earlier.html"]
