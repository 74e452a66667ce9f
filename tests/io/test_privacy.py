"""Personal data: dropped or hashed at load, never echoed anywhere."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import evalkit
from evalkit.io import privacy

from io_helpers import write_dataset

# Made-up values in the shape of a resident ID (valid date part) and a mobile number.
ID_CARD = "420104198507150019"
MOBILE = "13912345678"
ID_CARD_2 = "11010519491231002X"


def _planted(tables):
    v = tables["volunteers"]
    v["volunteer_id"] = [ID_CARD, "V2", ID_CARD_2]       # an id column holding ID numbers -> hashed
    v["姓名"] = ["张三", "李四", "王五"]                   # personal header -> dropped
    v["备注"] = ["", MOBILE, ""]                          # unknown column (with a phone) -> never read
    h = tables["volunteer_hours"]
    h["volunteer_id"] = [ID_CARD, ID_CARD, "V2", ID_CARD_2]
    d = tables["disputes"]
    d["method"] = d["method"].astype(object)
    d.loc[1, "method"] = MOBILE                           # a known column with a phone -> dropped
    d["联系电话"] = [MOBILE] * 4
    return tables


@pytest.fixture
def planted_dir(tmp_path, tables):
    return write_dataset(tmp_path / "ds", tables=_planted(tables))


def test_personal_data_removed_or_hashed(planted_dir):
    ds = evalkit.load(planted_dir)
    v, h = ds["volunteers"], ds["volunteer_hours"]
    assert "姓名" not in v.columns and "备注" not in v.columns and "联系电话" not in ds["disputes"].columns
    # disputes.method held a phone number: the column is personal data and is dropped
    assert ds.source_columns["disputes"].count("method") == 0 and ds["disputes"]["method"].isna().all()
    # hashed ids still link hours to volunteers
    assert ds.personal_columns["volunteers"] == ["volunteer_id"]
    assert ds.personal_columns["volunteer_hours"] == ["volunteer_id"]
    assert v["volunteer_id"].str.match(r"^h[0-9a-f]{16}$").all()
    assert h["volunteer_id"].isin(v["volunteer_id"]).all()
    assert h["volunteer_id"].iloc[0] == h["volunteer_id"].iloc[1] == v["volunteer_id"].iloc[0]
    assert h["volunteer_id"].iloc[2] == v["volunteer_id"].iloc[1]  # "V2" hashed too, consistently
    rules = {(w.table, w.rule) for w in ds.warnings}
    assert {("volunteers", "personal.header"), ("volunteers", "column.unknown"),
            ("volunteers", "personal.hashed"), ("volunteer_hours", "personal.hashed"),
            ("disputes", "personal.header"), ("disputes", "personal.values")} <= rules
    w = next(w for w in ds.warnings if w.rule == "personal.values" and w.table == "disputes")
    assert "method" in w.message_zh and "method" in w.message_en


def test_personal_values_never_echoed(planted_dir, tables):
    ds = evalkit.load(planted_dir)
    rep = ds.validate()
    texts = [rep.to_text(lang) for lang in ("zh", "en", "both")]
    texts += [str(w) for w in ds.warnings] + [rep.to_frame().to_csv()]
    texts += [df.to_csv() for df in ds.tables.values()]
    texts += [df.to_csv() for df in ds.parse_failures.values()]
    blob = "\n".join(texts)
    for secret in (ID_CARD, MOBILE, ID_CARD_2, "张三", ID_CARD[:6] + "1985"):
        assert secret not in blob
    # and the dataset is still valid: links hold after hashing
    assert not [p for p in rep.errors if p.rule == "fk.missing"]


def test_problems_on_hashed_column_omit_value(tmp_path, tables):
    tables = _planted(tables)
    h = tables["volunteer_hours"]
    h.loc[3, "volunteer_id"] = "110105194912310038"  # an ID number of nobody in volunteers
    d = write_dataset(tmp_path / "ds", tables=tables)
    rep = evalkit.load(d).validate()
    p = next(p for p in rep.errors if p.rule == "fk.missing")
    assert p.row == 5 and p.column == "volunteer_id" and p.value is None
    assert "110105194912310038" not in rep.to_text()


def test_salt_from_dataset_json_makes_hashes_stable(planted_dir):
    (planted_dir / "dataset.json").write_text(json.dumps({"salt": "区委组织部"}), encoding="utf-8")
    a = evalkit.load(planted_dir)["volunteers"]["volunteer_id"].tolist()
    b = evalkit.load(planted_dir)["volunteers"]["volunteer_id"].tolist()
    assert a == b
    (planted_dir / "dataset.json").unlink()
    c = evalkit.load(planted_dir)["volunteers"]["volunteer_id"].tolist()
    d = evalkit.load(planted_dir)["volunteers"]["volunteer_id"].tolist()
    assert c != d  # a random key per load


def test_hash_is_hmac_sha256():
    import hashlib
    import hmac

    key = privacy.make_key({"salt": "s"})
    assert key == hashlib.sha256(b"evalkit-salt:s").digest()
    out = privacy.hash_values(pd.Series([" V1", "V1", None]), key)
    ref = "h" + hmac.new(key, b"V1", hashlib.sha256).hexdigest()[:16]  # Python stdlib hmac
    assert out.iloc[0] == out.iloc[1] == ref and pd.isna(out.iloc[2])


@pytest.mark.parametrize("values,expected", [
    (["A1", "B2"], False),
    (["13800000000123"], False),                  # too long for a mobile
    (["+86 13912345678"], True),
    (pd.Series([13912345678, 1], dtype="int64"), True),   # a number column (Parquet/Excel)
    ([ID_CARD.lower()], True),
    (["11010519491231002x"], True),
    (["123456789012345678"], False),              # 18 digits but no valid birth date
    (["x"] * 3000 + [MOBILE], True),              # beyond the first sample
    # written as people write them: grouped, full-width, with +86
    (["139-1234-5678"], True),
    (["139 1234 5678"], True),
    (["+86 139-1234-5678"], True),
    (["\uff11\uff13\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"], True),   # １３９１２３４５６７８
    (["\uff11\uff11\uff10\uff11\uff10\uff15\uff11\uff19\uff14\uff19\uff11\uff12\uff13\uff11\uff10\uff10\uff12\uff38"], True),
    (["139-12345-678"], False),                   # not the 3-4-4 grouping
    (["2024-0312-0001"], False),                  # a case number, not a mobile
])
def test_looks_personal(values, expected):
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype="str")
    assert privacy.looks_personal(s) is expected
    if not isinstance(values, pd.Series):  # the Arrow path (Parquet/CSV loads) agrees
        import pyarrow as pa

        from evalkit.io._arrow import looks_personal_arrow

        assert looks_personal_arrow(pa.chunked_array([pa.array(values, pa.string())])) is expected
        assert looks_personal_arrow(pa.chunked_array([pa.array(values, pa.string()).dictionary_encode()])) is expected


def test_personal_header_exact():
    assert privacy.is_personal_header(" 姓名 ")
    assert privacy.is_personal_header("Phone")
    assert not privacy.is_personal_header("community_name")
    assert not privacy.is_personal_header("社区名称")
