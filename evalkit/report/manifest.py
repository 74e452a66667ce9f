"""The batch's manifest stage: manifest.json says what was built, from what, with which versions.

Per report (:class:`~evalkit.report.tasks.ReportRecord`): parameters, status,
duration and timings, output files with their sha256, the kernel it ran in,
the error, failing cell and traceback when it failed; for the batch
(:class:`Manifest`): the input data's hash, the precomputed tables, evalkit's
and the main packages' versions.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

__all__ = ["Manifest", "TableFile", "sha256_file", "data_hash", "versions", "write_manifest", "read_manifest",
           "PACKAGES", "VERSION"]

#: Layout version of manifest.json (2: typed records, ``kernel`` for the kernel mode, tracebacks, attempts).
VERSION = 2

PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill", "nbclient", "jupyter_client", "nbformat",
            "ipykernel", "pyarrow", "openpyxl", "fonttools", "weasyprint", "pylopdf-fonts-zh-cn", "duckdb")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def data_hash(data_dir: str | Path) -> str:
    """One SHA-256 over every file of a dataset folder (relative path and content, sorted).

    Notes
    -----
    ``H = sha256( Σ_files  path_utf8 ‖ 0x00 ‖ sha256(content) ‖ 0x0a )`` in
    sorted path order; hidden files and ``__pycache__`` are skipped, so the
    same files give the same hash wherever the folder lives.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> a, b = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
    >>> for d in (a, b):
    ...     _ = (d / "x.csv").write_text("1")
    >>> data_hash(a) == data_hash(b)
    True
    """
    root = Path(data_dir)
    h = hashlib.sha256()
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and not any(part.startswith((".", "__")) for part in p.relative_to(root).parts))
    for p in files:
        rel = p.name if root.is_file() else p.relative_to(root).as_posix()
        h.update(rel.encode("utf-8") + b"\0" + bytes.fromhex(sha256_file(p)) + b"\n")
    return h.hexdigest()


def versions() -> dict:
    """evalkit, Python and the main dependencies' versions (None when not installed).

    Examples
    --------
    >>> sorted(versions())[:3]
    ['duckdb', 'evalkit', 'fonttools']
    """
    from evalkit import __version__

    out = {"evalkit": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


@dataclass(frozen=True)
class TableFile:
    """A table the batch wrote once for every report (indicators, pilot comparison).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "indicators_2024.parquet"
    >>> _ = p.write_bytes(b"x")
    >>> TableFile(p, 1).to_json()["path"]
    'indicators_2024.parquet'
    """

    path: Path
    rows: int

    def to_json(self) -> dict:
        return {"path": self.path.name, "sha256": sha256_file(self.path), "rows": self.rows}


@dataclass
class Manifest:
    """Everything manifest.json holds (:meth:`to_json`).

    Examples
    --------
    >>> m = Manifest(generated="2024-01-01 00:00", year=2024, lang="zh", formats=("html",), kernel="warm", jobs=1)
    >>> m.to_json()["evalkit_manifest"], m.to_json()["reports"]
    (2, [])
    """

    generated: str
    year: int
    lang: str
    formats: tuple[str, ...]
    kernel: str
    jobs: int
    dataset: dict = field(default_factory=dict)
    indicators: TableFile | None = None
    pilot: TableFile | None = None
    index: TableFile | None = None
    reports: list = field(default_factory=list)
    city_summary: object = None
    duration: float = 0.0

    def to_json(self) -> dict:
        return {"evalkit_manifest": VERSION, "generated": self.generated, "year": int(self.year), "lang": self.lang,
                "formats": list(self.formats), "dataset": self.dataset,
                "indicators": None if self.indicators is None else self.indicators.to_json(),
                "pilot": None if self.pilot is None else self.pilot.to_json(),
                "index": None if self.index is None else self.index.to_json(),
                "versions": versions(), "jobs": self.jobs, "kernel": self.kernel,
                "reports": [r.to_json() for r in self.reports],
                "city_summary": None if self.city_summary is None else self.city_summary.to_json(),
                "duration": round(self.duration, 3)}


def write_manifest(path: str | Path, manifest) -> Path:
    """Write the manifest (a :class:`Manifest` or its JSON) as UTF-8 JSON, atomically.

    Keys sorted, Chinese unescaped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_manifest(pathlib.Path(tempfile.mkdtemp()) / "manifest.json", {"year": 2024, "区": "东城区"})
    >>> read_manifest(p)
    {'year': 2024, '区': '东城区'}
    """
    from evalkit.files import atomic_write

    data = manifest.to_json() if isinstance(manifest, Manifest) else manifest
    return atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def read_manifest(path: str | Path) -> dict:
    """The manifest's JSON (see :func:`write_manifest`, whose example reads one back)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
