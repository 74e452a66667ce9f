"""The batch's manifest.json: what was built, from what, with which versions.

Per report: parameters, status, duration, output files with their sha256,
the error and failing cell when it failed; for the batch: the input data's
hash, evalkit's and the main packages' versions.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["sha256_file", "data_hash", "versions", "write_manifest", "read_manifest", "PACKAGES"]

PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill", "nbconvert", "nbformat",
            "ipykernel", "pyarrow", "openpyxl", "fonttools", "weasyprint", "pylopdf-fonts-zh-cn", "duckdb")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
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
    """evalkit, Python and the main dependencies' versions (None when not installed)."""
    from evalkit import __version__

    out = {"evalkit": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def write_manifest(path: str | Path, manifest: dict) -> Path:
    """Write the manifest as UTF-8 JSON (sorted keys, Chinese unescaped), atomically."""
    from evalkit.report.export import atomic_write

    return atomic_write(path, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def read_manifest(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
