"""The ``evalkit`` command line.  Nothing imports this module.

Argument parsing only: every command calls one function of the layers below,
imported lazily so that ``evalkit --help`` answers at once.  Errors that
evalkit raises on purpose (:class:`evalkit.exceptions.EvalkitError`) are
printed in Chinese and English without a traceback; exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

DESCRIPTION = """\
evalkit — 社区治理评估 / community governance evaluation

命令 commands:
  synth       生成合成示例数据 / write a synthetic dataset with planted effects
  validate    按数据规范校验数据集 / check a dataset against the data contract
  indicators  计算指标表 / compute the indicator table
  catalog     列出全部指标 / list every indicator
  compare     试点对比（双重差分）/ pilot comparison (difference in differences)
  reports     按区生成报告 / build one report per district, a city summary and an index
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="evalkit", description=DESCRIPTION, formatter_class=_Formatter,
        epilog="示例 example: evalkit reports data/sample --year 2024 --out reports",
    )
    p.add_argument("--version", action="store_true", help="显示版本 / show the version")
    p.add_argument("--debug", action="store_true",
                   help="出错时显示完整追踪信息 / show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("synth", formatter_class=_Formatter,
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

    s = sub.add_parser("validate", formatter_class=_Formatter,
                       help="校验数据集 / check a dataset",
                       description="按数据规范检查数据集，一次列出全部问题（表、行、列、期望值）。"
                                   "有错误时退出码为 1。\nCheck a dataset against the contract and list "
                                   "every problem (table, row, column, what was expected). Exit 1 on any error.")
    s.add_argument("data", help="数据集文件夹 / dataset folder")
    s.add_argument("--lang", choices=["zh", "en", "both"], default="both",
                   help="消息语言 / message language (default: both)")

    s = sub.add_parser("indicators", formatter_class=_Formatter,
                       help="计算指标表 / compute the indicator table",
                       description="计算某一年的治理指标，输出长表（CSV、XLSX 或 Parquet，按文件扩展名）。\n"
                                   "Compute the governance indicators of a year as the long table "
                                   "(CSV, XLSX or Parquet by the file's ending).\n"
                                   "规范的 Parquet 大表经 DuckDB 核对后直接在文件上汇总（EVALKIT_DIRECT=0 关闭）。\n"
                                   "Canonical Parquet ledgers are checked by DuckDB and aggregated in "
                                   "the files (EVALKIT_DIRECT=0 turns this off).")
    s.add_argument("data", help="数据集文件夹 / dataset folder")
    s.add_argument("--year", type=int, required=True, help="年份 / year")
    s.add_argument("--level", action="append", choices=["community", "street", "district", "city"],
                   help="层级，可重复 / level, repeatable (default: community)")
    s.add_argument("--family", action="append",
                   choices=["disputes", "volunteers", "cadres", "satisfaction", "organisation"],
                   help="指标族，可重复 / indicator family, repeatable (default: all present)")
    s.add_argument("--indicator", action="append", metavar="ID",
                   help="指标编号，可重复 / indicator id, repeatable (see `evalkit catalog`)")
    s.add_argument("--role", action="append", metavar="ROLE",
                   help="干部职务，可重复 / cadre role, repeatable (default: all but grid_worker)")
    s.add_argument("--min-n", type=int, default=10,
                   help="调查估计的最少受访者数 / fewest respondents for a survey estimate (default 10)")
    s.add_argument("--as-of", metavar="YYYY-MM-DD", help="数据截止日期 / as-of date")
    s.add_argument("--out", metavar="FILE", help="输出文件 .csv/.xlsx/.parquet / output file")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="摘要语言 / summary language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据校验（默认有错误时不计算）/ skip validation (by default data with errors "
                        "are refused)")

    s = sub.add_parser("catalog", formatter_class=_Formatter,
                       help="列出全部指标 / list every indicator",
                       description="列出指标目录：名称、定义、单位、方向、参考值。\n"
                                   "Print the indicator catalog: names, definitions, units, direction, benchmarks.")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    s.add_argument("--out", metavar="FILE", help="写出 CSV/JSON / write CSV or JSON")

    s = sub.add_parser("compare", formatter_class=_Formatter,
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

    s = sub.add_parser("reports", formatter_class=_Formatter,
                       help="按区生成报告 / build the district reports",
                       description="先计算一次指标表，再为每个区执行报告笔记本，输出 HTML、Excel（可选 PDF）、"
                                   "全市汇总和索引页。\nCompute the indicators once, then execute the district "
                                   "notebook per district: HTML, Excel (PDF on request), a city summary and an index.")
    s.add_argument("data", help="数据集文件夹 / dataset folder")
    s.add_argument("--year", type=int, required=True, help="年份 / year")
    s.add_argument("--district", action="append", help="区县，可重复 / district, repeatable (default: all)")
    s.add_argument("--out", default="reports", help="输出文件夹 / output folder (default: reports)")
    s.add_argument("--jobs", type=int, default=None, help="并行进程数 / parallel workers (default: cores)")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="报告语言 / report language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据校验（默认跳过有错误的区，无法归属到区的错误使整批停止）/ skip validation (by "
                        "default districts with errors are left out, and errors no district owns stop the batch)")
    s.add_argument("--engine", choices=["warm", "papermill"], default="warm",
                   help="执行方式：每个进程复用一个内核（默认，较快）或每份报告新启内核"
                        " / warm: one kernel reused per worker (default, faster); papermill: a new kernel per report")
    s.add_argument("--format", default="html,xlsx",
                   help="输出格式 / formats, comma-separated: html,pdf,xlsx (default html,xlsx)")
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
        print(f"错误 error: {err}", file=sys.stderr)
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
        print(f"错误 error: 无法读写文件 {where}（{reason}）。\nCannot read or write {where} ({reason}).",
              file=sys.stderr)
        return 2


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


def _synth(args) -> int:
    from evalkit.synthetic import synth

    path = synth(args.out, scale=args.scale, seed=args.seed, fmt=args.fmt)
    print(f"已写出 wrote {path}")
    return 0


def _validate(args) -> int:
    from evalkit.io import load

    ds = load(args.data)
    report = ds.validate()
    print(report.to_text(args.lang))
    return 0 if report.ok else 1


def _indicators(args) -> int:
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
        ds, year=args.year, level=tuple(args.level or ["community"]), families=args.family,
        roles=args.role, min_n=args.min_n, as_of=args.as_of, indicators=args.indicator,
    )
    if args.out:
        write_table(table, args.out)
        print(f"已写出 wrote {args.out} ({len(table)} 行 rows)")
    else:
        print(summary_text(table, lang=args.lang))
    return 0


def _catalog(args) -> int:
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


def _compare(args) -> int:
    from evalkit.pilot import compare_cli

    return compare_cli(args)


def _reports(args) -> int:
    from evalkit.report.batch import build_reports

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    return build_reports(args.data, year=args.year, districts=args.district, out=args.out,
                         jobs=args.jobs, lang=args.lang, formats=formats, engine=args.engine,
                         validate=args.validate)


_COMMANDS = {
    "synth": _synth, "validate": _validate, "indicators": _indicators,
    "catalog": _catalog, "compare": _compare, "reports": _reports,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
