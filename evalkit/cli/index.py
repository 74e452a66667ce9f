"""``evalkit index``: the composite governance index with rank intervals."""

from __future__ import annotations

from evalkit.cli._common import Formatter, wrote

NAME = "index"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="综合指数与排名区间 / composite index with rank intervals",
                       description="把一个层级的治理指标合成为综合指数（COINr 方法：异常值处理、min–max 0–100、"
                                   "算术平均），并用各指标自身的置信区间给出得分区间与排名区间。\n"
                                   "Combine the governance indicators of one level into a composite index "
                                   "(COINr's method: outlier treatment, min–max 0–100, arithmetic means) and carry "
                                   "each indicator's own interval into score and rank intervals.\n"
                                   "DATA 可以是数据集文件夹，也可以是 `evalkit indicators` 写出的指标表（.csv/.parquet）。\n"
                                   "DATA is a dataset folder or an indicator table written by `evalkit indicators` "
                                   "(.csv/.parquet).",
                       epilog="示例 example: evalkit index data/sample --year 2024 --level street --uncertainty 500")
    s.add_argument("data", help="数据集文件夹或指标表 / dataset folder or indicator table")
    s.add_argument("--year", type=int, required=True, help="年份 / year")
    s.add_argument("--level", required=True, choices=["community", "street", "district"],
                   help="排名的层级 / the level ranked")
    s.add_argument("--spec", metavar="FILE",
                   help="指数规格 .yaml/.json（指标、结构、权重、方向、目标、方法、不确定性）/ index spec "
                        "(indicators, tree, weights, directions, targets, methods, uncertainty); see docs/INDEX.md")
    s.add_argument("--uncertainty", type=int, default=0, metavar="N",
                   help="区间的重复次数（0 不计算区间；建议 500 以上）/ replicates for the intervals "
                        "(0: none; 500 or more recommended)")
    s.add_argument("--seed", type=int, default=0, help="随机种子 / random seed")
    s.add_argument("--jobs", type=int, help="并行进程数 / worker processes (default: the CPUs)")
    s.add_argument("--out", metavar="FILE", help="输出文件 .csv/.xlsx/.parquet / output file")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据集校验（默认有错误时不计算）/ skip validation of the dataset "
                        "(by default data with errors are refused)")


def _table(args):
    """The indicator table of DATA, and the parent (street) of each community when DATA is a dataset."""
    from pathlib import Path

    path = Path(args.data)
    if path.is_dir():
        from evalkit.families import indicators
        from evalkit.families._frame import units
        from evalkit.io import load

        ds = load(path)
        if args.validate:
            from evalkit.io.validate import refuse_invalid

            refuse_invalid(ds)
        table = indicators(ds, year=args.year, level=args.level)
        parent = None
        if args.level == "community":
            street = units(ds, "street")
            parent = dict(zip(street["community_id"], street["unit_id"]))
        return table, parent
    import pandas as pd

    from evalkit.exceptions import ParameterError, ReadError

    if not path.is_file():
        raise ReadError(f"找不到 {path}。", f"{path} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path), None
    if suffix == ".csv":
        text = {c: "string" for c in ("indicator", "level", "unit_id", "unit_name", "district", "period",
                                       "category", "note")}
        return pd.read_csv(path, dtype=text, encoding="utf-8-sig", keep_default_na=False,
                           na_values=[""]), None
    raise ParameterError(f"指标表须为 .csv 或 .parquet：{path.name}。",
                         f"The indicator table must be a .csv or .parquet file: {path.name}.")


def run(args) -> int:
    from evalkit.ranking import index, ranking_text

    table, parent = _table(args)
    out = index(table, year=args.year, level=args.level, spec=args.spec, uncertainty=args.uncertainty,
                seed=args.seed, parent=parent, jobs=args.jobs)
    if args.out:
        from evalkit.families.output import write_table

        write_table(out, args.out, sheet="综合指数")
        wrote(args.out, len(out))
    else:
        print(ranking_text(out, lang=args.lang))
    return 0
