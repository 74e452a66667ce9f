"""``evalkit reports``: the report batch."""

from __future__ import annotations

import argparse

from evalkit.cli._common import Formatter, add_multi

NAME = "reports"
#: The old spelling of --kernel (--engine will choose the data engine).
_OLD_ENGINE = {"warm": "warm", "papermill": "fresh"}


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="按区生成报告 / build the district reports",
                       description="先计算一次指标表，再为每个区执行报告笔记本，输出 HTML、Excel（可选 PDF）、"
                                   "全市汇总和索引页。\nCompute the indicators once, then execute the district "
                                   "notebook per district: HTML, Excel (PDF on request), a city summary and an index.")
    s.add_argument("data", help="数据集文件夹 / dataset folder")
    s.add_argument("--year", type=int, required=True, help="年份（须在数据覆盖的年份内）/ year (one the data cover)")
    add_multi(s, "--district", help="区县，可给多个 / one or more districts (default: all)")
    s.add_argument("--out", default="reports", help="输出文件夹 / output folder (default: reports)")
    s.add_argument("--jobs", type=int, default=None, help="并行进程数 / parallel workers (default: cores)")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="报告语言 / report language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据校验（默认跳过有错误的区，无法归属到区的错误使整批停止）/ skip validation (by "
                        "default districts with errors are left out, and errors no district owns stop the batch)")
    s.add_argument("--kernel", choices=["warm", "fresh"], default=None,
                   help="执行方式：每个进程复用一个内核（warm，默认，较快）或每份报告新启内核（fresh）"
                        " / warm: one kernel reused per worker (default, faster); fresh: a new kernel per report")
    s.add_argument("--engine", choices=sorted(_OLD_ENGINE), default=None, dest="old_engine",
                   help=argparse.SUPPRESS)  # deprecated spelling of --kernel
    s.add_argument("--format", default="html,xlsx",
                   help="输出格式 / formats, comma-separated: html,pdf,xlsx (default html,xlsx)")
    s.add_argument("--uncertainty", type=int, default=200, metavar="N",
                   help="综合指数得分与名次区间的重复抽样次数（默认 200；0 只给名次）/ replicates for the "
                        "composite index's score and rank intervals (default 200; 0: ranks only)")
    s.add_argument("--seed", type=int, default=0, help="综合指数重复抽样的种子 / seed of those replicates (default 0)")


def _kernel(args) -> str:
    """--kernel, or the deprecated --engine warm|papermill with a note on stderr."""
    import sys

    from evalkit.labels import t

    if args.old_engine is None:
        return args.kernel or "warm"
    print(f"注意 note: {t('kernel_deprecated', 'zh')}\n{t('kernel_deprecated', 'en')}", file=sys.stderr)
    return args.kernel or _OLD_ENGINE[args.old_engine]


def run(args) -> int:
    from evalkit.report.batch import build_reports

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    return build_reports(args.data, year=args.year, districts=args.district, out=args.out,
                         jobs=args.jobs, lang=args.lang, formats=formats, kernel=_kernel(args),
                         validate=args.validate, uncertainty=args.uncertainty, seed=args.seed)
