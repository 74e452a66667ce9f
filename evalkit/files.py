"""Writing files so that no reader ever sees half of one (the one place for it, below every layer)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write", "staged"]


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to a temporary name beside ``path`` and rename it into place.

    Parameters
    ----------
    path
        The file to write.
    data
        Bytes, or text (written as UTF-8).

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    :func:`os.replace` is atomic on POSIX and Windows within one file system,
    so a reader (or an interrupted batch) never sees a half-written file; the
    temporary ``.<name>.<pid>.tmp`` is removed when writing fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", "内容").read_text(encoding="utf-8")
    '内容'
    >>> [p.name for p in folder.iterdir()]
    ['a.txt']
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


@contextmanager
def staged(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that needs a file name; renamed into place on success.

    For libraries that write to a path themselves (pyarrow, XlsxWriter): the
    block writes to the yielded path; when it finishes the file replaces
    ``path`` at once (:func:`os.replace`), and when it raises the temporary file
    is removed and ``path`` is untouched.  The folder is created when missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with staged(folder / "t.csv") as tmp:
    ...     _ = tmp.write_text("a,b\\n", encoding="utf-8")
    >>> [p.name for p in folder.iterdir()]
    ['t.csv']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
