"""``evalkit compare``: the pilot comparison (argument handling, reading a panel file, writing the result)."""

from __future__ import annotations

from pathlib import Path

from evalkit.cli._common import Formatter

NAME = "compare"


def add_parser(sub) -> None:
    s = sub.add_parser(NAME, formatter_class=Formatter,
                       help="试点对比 / pilot comparison",
                       description="试点社区与非试点社区的双重差分、交错采纳与事件研究（说明见 docs/PILOT.md）。\n"
                                   "Difference in differences, staggered adoption and event study of "
                                   "pilot against other communities (see docs/PILOT.md).")
    s.add_argument("data", nargs="?", help="数据集文件夹 / dataset folder")
    s.add_argument("--outcome", required=True,
                   help="结果指标编号或名称（如 dispute_rate 或 纠纷发生率），或面板的列 / outcome indicator id or "
                        "name (e.g. dispute_rate), or a panel column")
    s.add_argument("--from", dest="start", type=int, help="起始年 / first year")
    s.add_argument("--to", dest="end", type=int, help="结束年 / last year")
    s.add_argument("--control", choices=["never", "notyet"], default="never",
                   help="对照组 / control group: never piloted or not yet piloted")
    s.add_argument("--district", help="只比较一个区 / one district only")
    s.add_argument("--panel", metavar="FILE", help="自带面板数据 / a panel file of your own (.csv/.xlsx/.parquet)")
    s.add_argument("--unit", help="面板的单位列 / panel unit column")
    s.add_argument("--time", help="面板的年份列 / panel year column")
    s.add_argument("--first-treated", help="首次试点年份列 / first piloted year column")
    s.add_argument("--cluster", help="聚类列 / cluster column (default: unit)")
    s.add_argument("--pretrend", choices=["randomization", "asymptotic"], default="randomization",
                   help="试点前趋势检验的 p 值：随机化推断（默认，小样本下检验水平正确）或渐近卡方（同 R did）"
                        " / pre-trend p-value: randomisation (default; right size with few pilots per cohort)"
                        " or asymptotic chi-squared (as R's did)")
    s.add_argument("--seed", type=int, default=20241, help="随机化推断的种子 / seed for randomisation inference")
    s.add_argument("--out", metavar="FILE",
                   help="输出文件 .csv/.xlsx/.parquet；.xlsx 含结果表与说明页 / output file; an .xlsx holds the "
                        "rows and a sheet that explains them")
    s.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    s.add_argument("--no-validate", dest="validate", action="store_false",
                   help="跳过数据集校验（默认有错误时不比较；--panel 不校验）/ skip validation of the dataset "
                        "(by default data with errors are refused; a --panel file is not validated)")


def run(args) -> int:
    from evalkit.exceptions import ParameterError

    if args.panel:
        missing = [f"--{n.replace('_', '-')}" for n in ("unit", "time", "first_treated") if not getattr(args, n)]
        if missing:
            raise ParameterError(f"使用 --panel 时必须给出 {' '.join(missing)}。",
                                 f"With --panel, {' '.join(missing)} must be given.")
        from evalkit.pilot import compare_panel

        result = compare_panel(read_panel(args.panel), outcome=args.outcome, unit=args.unit, time=args.time,
                               first_treated=args.first_treated, control=args.control, cluster=args.cluster,
                               start=args.start, end=args.end, seed=args.seed, pretrend=args.pretrend)
    else:
        if not args.data:
            raise ParameterError("请给出数据集文件夹，或用 --panel 给出面板文件。",
                                 "Give a dataset folder, or a panel file with --panel.")
        from evalkit.io import load
        from evalkit.pilot import compare, resolve_outcome

        outcome = resolve_outcome(args.outcome)  # before loading: a typo is reported at once
        ds = load(args.data)
        if args.validate:  # as `evalkit indicators` does: errors first, located
            from evalkit.io.validate import refuse_invalid

            refuse_invalid(ds)
        result = compare(ds, outcome=outcome, start=args.start, end=args.end, control=args.control,
                         level="district" if args.district else "city", district=args.district,
                         seed=args.seed, pretrend=args.pretrend)
    if args.out:
        path = write(result, args.out, args.lang)
        print((f"已写出 {path}（{len(result.table)} 行）：" if args.lang == "zh"
               else f"Wrote {path} ({len(result.table)} rows):"))
        for line in result.summary(args.lang):
            print(f"  {line}")
    else:
        print(result.to_text(args.lang))
    return 0


def read_panel(path: str):
    """A panel file (.csv in UTF-8 or GBK/GB18030, .xlsx/.xls, .parquet) as a DataFrame."""
    import io

    import pandas as pd

    from evalkit.exceptions import DataError
    from evalkit.io.read import detect_encoding

    p = Path(path)
    if not p.is_file():
        raise DataError(f"找不到面板文件 {p.name}。", f"The panel file {p.name} was not found.")
    suf = p.suffix.lower()
    try:
        if suf in (".xlsx", ".xls"):
            return pd.read_excel(p)
        if suf == ".parquet":
            return pd.read_parquet(p)
        # the same detection as a dataset's tables: UTF-8 (BOM or not), GBK / GB18030
        data = p.read_bytes()
        return pd.read_csv(io.BytesIO(data), encoding=detect_encoding(data) or "utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise DataError(f"无法读取面板文件 {p.name}（{type(err).__name__}）。",
                        f"The panel file {p.name} cannot be read ({type(err).__name__}).") from None


def write(result, out: str, lang: str) -> Path:
    """Write a comparison: .xlsx as a workbook that explains itself, .csv/.parquet as the frame with notes in ``lang``.

    The workbook has the rows (indicator and outcome names filled, notes in
    ``lang``) on a sheet named for them, and a sheet with what was compared and
    the plain-language paragraph.  Written beside the target and renamed into
    place, so no half-written file is left.
    """
    from evalkit.families.output import write_table, xlsx_bytes

    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        return write_table(result.to_frame(lang), path)
    from evalkit.files import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, xlsx_bytes(result.sheets(lang)))
