"""Determinism, atomic writing, overwrite rules, size, Parquet output."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import evalkit.synthetic as synthetic
from evalkit.exceptions import EvalkitError, ParameterError
from evalkit.synthetic import synth

from synth_helpers import DEMO_SEED, TABLE_NAMES

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
    monkeypatch.setattr(synthetic, "ROW_GROUP_ROWS", 1)  # flush every district block
    a = synth(tmp_path / "a", scale="city", seed=7, _n_communities=120)
    b = synth(tmp_path / "b", scale="city", seed=7, _n_communities=120)
    assert _bytes(a) == _bytes(b)
    assert (a / "disputes.parquet").is_file() and not list(a.glob("*.csv"))
    f = pq.ParquetFile(a / "disputes.parquet")
    assert f.metadata.num_row_groups == 10  # one per district: streamed
    monkeypatch.setattr(synthetic, "ROW_GROUP_ROWS", 1 << 17)
    c = synth(tmp_path / "c", scale="city", seed=7, _n_communities=120)
    assert pq.ParquetFile(c / "disputes.parquet").metadata.num_row_groups == 1  # buffered
    assert pq.read_table(c / "disputes.parquet").equals(pq.read_table(a / "disputes.parquet"))
    assert str(f.schema_arrow.field("reported_on").type) == "date32[day]"
    # no pandas metadata or timestamps in the key-value metadata
    assert set((f.metadata.metadata or {}).keys()) <= {b"ARROW:schema"}


def test_demo_is_small(demo_path):
    total = sum(p.stat().st_size for p in demo_path.iterdir())
    assert total < 5_000_000


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

    monkeypatch.setattr(synthetic, "_write_targets", boom)
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
