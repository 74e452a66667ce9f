"""``evalkit validate``: check a dataset against the contract."""

from __future__ import annotations

from evalkit.cli._common import Formatter

NAME = "validate"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="校验数据集 / check a dataset",
                       description="按数据规范检查数据集，一次列出全部问题（表、行、列、期望值）。"
                                   "有错误时退出码为 1。\nCheck a dataset against the contract and list "
                                   "every problem (table, row, column, what was expected). Exit 1 on any error.")
    s.add_argument("data", help="数据集文件夹 / dataset folder")
    s.add_argument("--lang", choices=["zh", "en", "both"], default="both",
                   help="消息语言 / message language (default: both)")


def run(args) -> int:
    from evalkit.families.catalog import ids
    from evalkit.io import load

    ds = load(args.data)
    # the targets table names indicators: the catalog (above io) supplies the known ids
    report = ds.validate(indicators=ids())
    print(report.to_text(args.lang))
    return 0 if report.ok else 1
