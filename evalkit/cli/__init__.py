"""The ``evalkit`` command line.  Nothing imports this package.

Argument parsing only: one module per command (``add_parser(sub)`` and
``run(args)``), each calling one function of the layers below, imported lazily
so that ``evalkit --help`` answers at once.  Errors that
evalkit raises on purpose (:class:`evalkit.exceptions.EvalkitError`) are
printed in Chinese and English without a traceback; exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from evalkit.cli import catalog, compare, index, indicators, reports, synth, validate
from evalkit.cli._common import Formatter

DESCRIPTION = "evalkit — 社区治理评估 / community governance evaluation"

#: The command modules, in the order ``evalkit --help`` lists them.
_MODULES = (synth, validate, indicators, catalog, compare, index, reports)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="evalkit", description=DESCRIPTION, formatter_class=Formatter,
        epilog="示例 example: evalkit reports data/sample --year 2024 --out reports",
    )
    p.add_argument("--version", action="store_true", help="显示版本 / show the version")
    p.add_argument("--debug", action="store_true",
                   help="出错时显示完整追踪信息 / show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="命令 commands")
    for module in _MODULES:
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from evalkit import __version__

        print(f"evalkit {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 0
    from evalkit.exceptions import EvalkitError

    if not args.debug:
        _plain_warnings()
    try:
        return int(_COMMANDS[args.command](args) or 0)
    except EvalkitError as err:
        if args.debug:
            raise
        print(_error_text(err.zh, err.en), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断 interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `evalkit catalog | head`: the reader went away; exit quietly as Unix tools do.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a path that cannot be written or read (a folder, no permission, ...)
        if args.debug:
            raise
        where = err.filename if err.filename is not None else ""
        reason = err.strerror or type(err).__name__
        print(_error_text(f"无法读写文件 {where}（{reason}）。", f"Cannot read or write {where} ({reason})."),
              file=sys.stderr)
        return 2


def _error_text(zh: str, en: str) -> str:
    """An error for the terminal: the Chinese message after 错误：, the English one after Error: (each clean).

    Examples
    --------
    >>> print(_error_text("找不到文件。", "File not found."))
    错误：找不到文件。
    Error: File not found.
    """
    if zh == en:
        return f"错误 / Error: {zh}"
    return f"错误：{zh}\nError: {en}"


def _plain_warnings() -> None:
    """Print warnings as ``警告 warning: message``, once each, without the source line.

    Python's default format shows the evalkit file, line number and code line
    (``cli.py:198: UserWarning: ... table = indicators(``), which means nothing to a
    user; ``--debug`` keeps it.  Forked report workers inherit this printer.
    """
    import warnings

    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        if text in seen:
            return
        seen.add(text)
        print(f"警告 warning: {text}", file=file or sys.stderr)

    warnings.showwarning = show


_COMMANDS = {m.NAME: m.run for m in _MODULES}
