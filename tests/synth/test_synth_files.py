"""Determinism, atomic writing, overwrite rules, size, Parquet output."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from evalkit.exceptions import EvalkitError, ParameterError
from evalkit.synthetic import _core, _writer, synth

from .synth_helpers import DEMO_SEED, TABLE_NAMES

FILES = [f"{n}.csv" for n in TABLE_NAMES] + ["dataset.json", "truth.json"]


def _bytes(path):
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_every_file_written(demo_path):
    assert sorted(p.name for p in demo_path.iterdir()) == sorted(FILES)
    meta = json.loads((demo_path / "dataset.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["scale"] == "demo" and meta["seed"] == DEMO_SEED
    assert meta["as_of"] == "2024-12-31" and meta["generator"].startswith("evalkit.synthetic ")
    assert {"name", "city", "source"} <= set(meta)


def test_same_seed_same_bytes(demo_path, tmp_path):
    again = synth(tmp_path / "again", scale="demo", seed=DEMO_SEED)
    assert _bytes(again) == _bytes(demo_path)


def test_other_seed_other_data(demo_path, tmp_path):
    other = _bytes(synth(tmp_path / "other", scale="demo", seed=DEMO_SEED + 1))
    same = _bytes(demo_path)
    for name in ("communities.csv", "disputes.csv", "survey_responses.csv", "cadres.csv"):
        assert other[name] != same[name], name


def test_parquet_deterministic_and_chunked(tmp_path, monkeypatch):
    monkeypatch.setattr(_writer, "ROW_GROUP_ROWS", 1)  # flush every district block
    a = synth(tmp_path / "a", scale="city", seed=7, _n_communities=120)
    b = synth(tmp_path / "b", scale="city", seed=7, _n_communities=120)
    assert _bytes(a) == _bytes(b)
    assert (a / "disputes.parquet").is_file() and not list(a.glob("*.csv"))
    f = pq.ParquetFile(a / "disputes.parquet")
    assert f.metadata.num_row_groups == 10  # one per district: streamed
    monkeypatch.setattr(_writer, "ROW_GROUP_ROWS", 1 << 17)
    c = synth(tmp_path / "c", scale="city", seed=7, _n_communities=120)
    assert pq.ParquetFile(c / "disputes.parquet").metadata.num_row_groups == 1  # buffered
    assert pq.read_table(c / "disputes.parquet").equals(pq.read_table(a / "disputes.parquet"))
    assert str(f.schema_arrow.field("reported_on").type) == "date32[day]"
    # no pandas metadata or timestamps in the key-value metadata
    assert set((f.metadata.metadata or {}).keys()) <= {b"ARROW:schema"}


def test_demo_is_small(demo_path):
    # ~4.1 MB for the seven tables of DATA.md; the five ledgers of LEDGERS.md at their calibrated
    # per-community rates add ~7.5 MB (visits 3.4, requests 2.7, deliberations 0.7, roster 0.6)
    total = sum(p.stat().st_size for p in demo_path.iterdir())
    assert total < 13_000_000


def test_refuses_to_overwrite_foreign_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ParameterError) as err:
        synth(out, seed=1)
    assert "不为空" in str(err.value) and "not empty" in str(err.value)
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no temp folder left


def test_replaces_previous_output_and_empty_folder(tmp_path):
    out = tmp_path / "d"
    out.mkdir()  # empty: fine
    synth(out, seed=1, scale="city", _n_communities=24)
    assert (out / "disputes.parquet").is_file()
    synth(out, seed=1)  # previous synth output: replaced, even in another format
    assert (out / "disputes.csv").is_file() and not (out / "disputes.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_crash_leaves_nothing(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_core, "_write_targets", boom)
    with pytest.raises(RuntimeError):
        synth(tmp_path / "x", seed=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs", [dict(scale="town"), dict(fmt="xlsx"), dict(seed=-1),
                                    dict(seed="1")])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(EvalkitError) as err:
        synth(tmp_path / "x", **kwargs)
    assert "\n" in str(err.value)  # Chinese and English
    assert not (tmp_path / "x").exists()


def test_cli(tmp_path, capsys):
    from evalkit.cli import main

    assert main(["synth", str(tmp_path / "c"), "--scale", "demo", "--seed", "3"]) == 0
    assert "c" in capsys.readouterr().out
    assert (tmp_path / "c" / "truth.json").is_file()


def test_committed_sample_is_current(demo_path):
    """data/sample is `evalkit synth data/sample --scale demo --seed 20241 --format csv`;
    regenerate it when the generator changes."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    if not (sample / "dataset.json").is_file():
        pytest.skip("no committed data/sample")
    assert _bytes(sample) == _bytes(demo_path)


def test_csv_quotes_only_where_needed(demo_path):
    """Cells are quoted only when they hold a comma, quote or line break (RFC 4180); the only
    such cell is an English item text, and both csv (stdlib) and evalkit.io read it back."""
    import csv

    quoted = {}
    for p in sorted(demo_path.glob("*.csv")):
        raw = p.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
        quoted[p.name] = raw.count(b'"')
    assert {k: v for k, v in quoted.items() if v} == {"survey_items.csv": 2}
    with open(demo_path / "survey_items.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    q14 = next(r for r in rows if r["item_id"] == "Q14")
    assert q14["text_en"] == "Overall, how satisfied are you with how your community is run?"
    from evalkit import io
    if not hasattr(io, "load"):
        pytest.skip("evalkit.io.load not available yet")
    items = io.load(demo_path)["survey_items"]
    assert items.loc[items["item_id"] == "Q14", "text_en"].item() == q14["text_en"]


def test_csv_writer_quotes_and_nulls():
    """The vectorised CSV formatter against the stdlib csv module (QUOTE_MINIMAL) on awkward
    values; numbers as their shortest text (what the reader expects), missing as empty."""
    import csv
    import io as _io

    import pyarrow as pa

    s = ["plain", 'say "hi"', "a,b", "line\nbreak", None, "中文"]
    n = [1, None, 3, 4, 5, 6]
    x = [0.5, 2.0, None, 36.7438, 1e-5, 3.0]
    b = [True, False, None, True, False, True]
    x_text = ["0.5", "2", "", "36.7438", "0.00001", "3"]
    t = pa.table({"s": s, "n": pa.array(n, pa.int64()), "x": x, "b": b})
    got = _writer._csv_bytes(t).decode("utf-8")
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for i in range(len(s)):
        w.writerow(["" if s[i] is None else s[i], "" if n[i] is None else str(n[i]), x_text[i],
                    "" if b[i] is None else str(b[i]).lower()])
    assert got == buf.getvalue()
    assert [r[0] for r in csv.reader(_io.StringIO(got))] == [
        "plain", 'say "hi"', "a,b", "line\nbreak", "", "中文"]
    assert _writer._csv_bytes(t.slice(0, 0)) == b""


def test_public_names():
    """The package keeps the module's public surface: synth and SCALES."""
    import evalkit.synthetic as synthetic

    assert synthetic.__all__ == ["synth", "SCALES"]
    assert set(synthetic.SCALES) == {"demo", "city", "province"}
    assert "truth.json keys" in synthetic.__doc__
