"""``evalkit compare``: the pilot comparison."""

from __future__ import annotations

from evalkit.cli._common import Formatter

NAME = "compare"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="试点对比 / pilot comparison",
                       description="试点社区与非试点社区的双重差分、交错采纳与事件研究。\n"
                                   "Difference in differences, staggered adoption and event study of "
                                   "pilot against other communities.")
    s.add_argument("data", nargs="?", help="数据集文件夹 / dataset folder")
    s.add_argument("--outcome", required=True, help="结果指标或列 / outcome indicator id or column")
    s.add_argument("--from", dest="start", type=int, help="起始年 / first year")
    s.add_argument("--to", dest="end", type=int, help="结束年 / last year")
    s.add_argument("--control", choices=["never", "notyet"], default="never",
                   help="对照组 / control group: never piloted or not yet piloted")
    s.add_argument("--district", help="只比较一个区 / one district only")
    s.add_argument("--panel", metavar="FILE", help="自带面板数据 / a panel file of your own")
    s.add_argument("--unit", help="面板的单位列 / panel unit column")
    s.add_argument("--time", help="面板的年份列 / panel year column")
    s.add_argument("--first-treated", help="首次试点年份列 / first piloted year column")
    s.add_argument("--cluster", help="聚类列 / cluster column (default: unit)")
    s.add_argument("--pretrend", choices=["randomization", "asymptotic"], default="randomization",
                   help="试点前趋势检验的 p 值：随机化推断（默认，小样本下检验水平正确）或渐近卡方（同 R did）"
                        " / pre-trend p-value: randomisation (default; right size with few pilots per cohort)"
                        " or asymptotic chi-squared (as R's did)")
    s.add_argument("--seed", type=int, default=20241, help="随机化推断的种子 / seed for randomisation inference")
    s.add_argument("--out", metavar="FILE", help="输出文件 / output file")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据集校验（默认有错误时不比较；--panel 不校验）/ skip validation of the dataset "
                        "(by default data with errors are refused; a --panel file is not validated)")


def run(args) -> int:
    from evalkit.pilot import compare_cli

    return compare_cli(args)
