"""``evalkit catalog``: the indicator catalog."""

from __future__ import annotations

import os

from evalkit.cli._common import Formatter

NAME = "catalog"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="列出全部指标 / list every indicator",
                       description="列出指标目录：名称、定义、单位、方向、参考值。\n"
                                   "Print the indicator catalog: names, definitions, units, direction, benchmarks.")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    s.add_argument("--out", metavar="FILE", help="写出 CSV/JSON / write CSV or JSON")


def run(args) -> int:
    from evalkit.families.catalog import catalog, catalog_text

    if args.out:
        from evalkit.exceptions import ParameterError

        cat = catalog()
        suffix = os.path.splitext(args.out)[1].lower()
        if suffix == ".json":
            cat.to_json(args.out, orient="records", force_ascii=False, indent=1)
        elif suffix == ".csv":
            cat.to_csv(args.out, index=False, encoding="utf-8-sig")
        else:  # never a CSV under another name (cat.xlsx used to be CSV text)
            raise ParameterError(f"目录只能写成 .csv 或 .json，收到 {args.out}。",
                                 f"The catalog is written as .csv or .json, but {args.out} was given.")
        print(f"已写出 wrote {args.out}")
    else:
        print(catalog_text(lang=args.lang))
    return 0
