"""``evalkit catalog``: the indicator catalog."""

from __future__ import annotations

from evalkit.cli._common import Formatter, wrote

NAME = "catalog"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="列出全部指标 / list every indicator",
                       description="列出指标目录：名称、定义、单位、方向、参考值。\n"
                                   "Print the indicator catalog: names, definitions, units, direction, benchmarks.")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    s.add_argument("--out", metavar="FILE",
                   help="写出 .csv、.json 或 .xlsx（按扩展名）/ write .csv, .json or .xlsx (by the file's ending)")


def run(args) -> int:
    if args.out:
        from evalkit.families.output import write_catalog

        path = write_catalog(args.out)
        wrote(path)
    else:
        from evalkit.families.catalog import catalog_text

        print(catalog_text(lang=args.lang))
    return 0
