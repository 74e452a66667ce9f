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
