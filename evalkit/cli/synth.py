"""``evalkit synth``: write a synthetic dataset."""

from __future__ import annotations

from evalkit.cli._common import Formatter, wrote

NAME = "synth"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="生成合成数据 / write a synthetic dataset",
                       description="生成带已知植入效应的合成数据集（同一种子得到逐字节相同的文件）。\n"
                                   "Write a synthetic dataset with known planted effects "
                                   "(the same seed gives byte-identical files).")
    s.add_argument("out", help="输出文件夹 / output folder")
    s.add_argument("--scale", choices=["demo", "city", "province"], default="demo",
                   help="规模 / size: demo (~60 社区 communities), city (~1,000), province (~20,000)")
    s.add_argument("--seed", type=int, default=20241, help="随机种子 / random seed (default 20241)")
    s.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default=None,
                   help="文件格式 / file format (default: csv for demo, parquet otherwise)")
    s.add_argument("--extremes", action="store_true",
                   help="植入一个最好和一个最差的社区（truth.json 中 planted_best/planted_worst）/ plant a best "
                        "and a worst community (planted_best/planted_worst in truth.json)")


def run(args) -> int:
    from evalkit.synthetic import synth

    path = synth(args.out, scale=args.scale, seed=args.seed, fmt=args.fmt, extremes=args.extremes)
    wrote(path)
    return 0
