"""``evalkit indicators``: the long indicator table."""

from __future__ import annotations

import os

from evalkit.cli._common import Formatter, add_multi, wrote
from evalkit.families.catalog import FAMILIES

NAME = "indicators"


def period_of(args) -> dict:
    """``{"year": Y}`` or ``{"period": (from, to)}`` from the arguments (ParameterError when
    both, neither, or only one end of a window is given)."""
    from evalkit.exceptions import ParameterError

    window = args.start is not None or args.end is not None
    if window and args.year is not None:
        raise ParameterError("--year 与 --from/--to 只能给出其一。",
                             "Give either --year or --from/--to, not both.")
    if window and (args.start is None or args.end is None):
        raise ParameterError("期间需要同时给出 --from 和 --to。", "A window needs both --from and --to.")
    if not window and args.year is None:
        raise ParameterError("请给出 --year，或 --from 和 --to。", "Give --year, or --from and --to.")
    return {"period": (args.start, args.end)} if window else {"year": args.year}


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="计算指标表 / compute the indicator table",
                       description="计算某一年（或 --from/--to 给出的期间）的治理指标，输出长表（CSV、XLSX 或 "
                                   "Parquet，按文件扩展名）。\n"
                                   "Compute the governance indicators of a year (or of the window given by "
                                   "--from/--to) as the long table (CSV, XLSX or Parquet by the file's ending).\n"
                                   "规范的 Parquet 大表经 DuckDB 核对后直接在文件上汇总（EVALKIT_DIRECT=0 关闭）。\n"
                                   "Canonical Parquet ledgers are checked by DuckDB and aggregated in "
                                   "the files (EVALKIT_DIRECT=0 turns this off).")
    s.add_argument("data", help="数据集文件夹 / dataset folder")
    s.add_argument("--year", type=int, help="年份 / year (or --from and --to)")
    s.add_argument("--from", dest="start", metavar="YYYY-MM-DD",
                   help="期间起始日期，与 --to 一起代替 --year / first day of a window, with --to instead of --year")
    s.add_argument("--to", dest="end", metavar="YYYY-MM-DD",
                   help="期间结束日期（含当天）/ last day of the window (inclusive)")
    add_multi(s, "--level", choices=["community", "street", "district", "city"],
              help="层级，可给多个 / one or more levels (default: community)")
    add_multi(s, "--family", choices=list(FAMILIES),
              help="指标族，可给多个 / one or more indicator families (default: all present)")
    add_multi(s, "--indicator", metavar="ID",
              help="指标编号，可给多个 / one or more indicator ids (see `evalkit catalog`)")
    add_multi(s, "--role", metavar="ROLE",
              help="干部职务，可给多个 / one or more cadre roles (default: all but grid_worker)")
    s.add_argument("--min-n", type=int, default=10,
                   help="调查估计的最少受访者数 / fewest respondents for a survey estimate (default 10)")
    s.add_argument("--as-of", metavar="YYYY-MM-DD", help="数据截止日期 / as-of date")
    s.add_argument("--out", metavar="FILE", help="输出文件 .csv/.xlsx/.parquet / output file")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="摘要语言 / summary language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据校验（默认有错误时不计算）/ skip validation (by default data with errors "
                        "are refused)")


def run(args) -> int:
    when = period_of(args)
    if "period" in when:
        from evalkit.families._period import parse_period

        parse_period(when["period"])  # a bad date is refused before any file is read
    pending = None
    if os.environ.get("EVALKIT_DIRECT", "1") != "0":
        # start checking large canonical Parquet ledgers in DuckDB now, while pandas is
        # imported; when they pass they stay on disk (see evalkit.io.direct)
        from evalkit.io.direct import DirectOpen

        pending = DirectOpen(args.data, validate=args.validate)
    try:
        from evalkit.families import indicators, tables_needed
        from evalkit.families.output import summary_text, write_table
        from evalkit.io import load

        # read only the tables the requested families / indicators need
        needed = tables_needed(args.family, args.indicator)
    except BaseException:
        if pending is not None:
            pending.want(())
        raise
    ds = None
    if pending is not None:
        pending.want(needed)
        ds = pending.result()
    if ds is None:
        ds = load(args.data, tables=needed)
        if args.validate:
            from evalkit.io.validate import refuse_invalid

            refuse_invalid(ds)
    table = indicators(
        ds, **when, level=tuple(args.level or ["community"]), families=args.family,
        roles=args.role, min_n=args.min_n, as_of=args.as_of, indicators=args.indicator,
    )
    if args.out:
        write_table(table, args.out)
        wrote(args.out, len(table))
    else:
        print(summary_text(table, lang=args.lang))
    return 0
