"""Pieces shared by the command modules: the help formatter and multi-value options."""

from __future__ import annotations

import argparse


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the bilingual descriptions' line breaks."""


def add_multi(parser: argparse.ArgumentParser, *flags: str, **kwargs) -> argparse.Action:
    """An option that takes several values after one flag and may also be repeated.

    ``--indicator a b`` and ``--indicator a --indicator b`` both give ``["a", "b"]``
    (argparse's ``extend`` action with ``nargs="+"``).
    """
    return parser.add_argument(*flags, action="extend", nargs="+", **kwargs)


def wrote(path, rows: int | None = None) -> None:
    """Say that ``path`` was written: one line in Chinese, one in English.

    Examples
    --------
    >>> wrote("out/t.csv", 12)
    已写出 out/t.csv（12 行）
    Wrote out/t.csv (12 rows).
    """
    if rows is None:
        print(f"已写出 {path}\nWrote {path}.")
    else:
        print(f"已写出 {path}（{rows} 行）\nWrote {path} ({rows} rows).")
