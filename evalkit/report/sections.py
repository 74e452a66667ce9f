"""The pieces of a district report and the city summary, as escaped HTML.

The notebooks stay thin: they call :func:`prepare` once and then one
function per section.  Every name that reaches HTML (district, street,
community, indicator names, warnings) goes through :func:`html.escape`, so a
district named ``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit import labels as tx

__all__ = ["ReportData", "prepare", "show", "cover", "headline", "headline_html", "findings",
           "findings_html", "quality_html", "methods_html", "pilot_html", "heading", "para",
           "family_present", "city_table", "city_ranks_html", "HEADLINE", "ALL_LEVELS"]

ALL_LEVELS = ("community", "street", "district", "city")
HEADLINE = (
    "dispute_rate", "dispute_resolution_rate", "dispute_resolved_30d", "volunteer_registration_rate",
    "volunteer_active_rate", "volunteer_hours_per_resident", "cadre_college_share", "cadre_mean_age",
    "satisfaction_index", "satisfaction_overall_top2", "community_workers_per_10k",
)
FAMILY_TABLES = {"disputes": "disputes", "volunteers": "volunteers", "cadres": "cadres",
                 "satisfaction": "survey_responses", "organisation": "community_years"}
esc = html.escape


@dataclass
class ReportData:
    """Everything a report shows, gathered once.

    Attributes
    ----------
    table
        The long indicator table (all levels; every district, for ranks).
    district, year, lang
        The report's parameters; ``district`` is None for the city summary.
    meta
        dataset.json.
    ds
        The loaded Dataset (restricted to the district when the loader allows), or None.
    missing_tables, warnings
        Tables absent from the dataset; load-time problems as text.
    pilot
        The pilot comparison of the batch (:func:`compute_pilot`), or None.
    """

    table: pd.DataFrame
    district: str | None
    year: int
    lang: str = "zh"
    meta: dict = field(default_factory=dict)
    ds: object = None
    missing_tables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    min_n: int = 10
    pilot: pd.DataFrame | None = None

    @property
    def period(self) -> str:
        return str(self.year)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))


def _load(data_dir, district):
    try:
        from evalkit.io import load
    except ImportError:
        return None
    try:
        return load(data_dir, districts=[district]) if district else load(data_dir)
    except TypeError:  # a loader without ``districts=``
        return load(data_dir)


def _problem_text(w, lang: str) -> str:
    """One load-time problem as a sentence in ``lang`` (never a raw repr)."""
    if hasattr(w, "to_text"):
        return w.to_text(lang)
    msg = getattr(w, f"message_{lang}", None)
    if msg:
        where = getattr(w, "table", None)
        if where and lang == "zh":
            from evalkit.contract import TABLES

            where = getattr(TABLES.get(where), "zh", where)
        pre = f"{where}：" if where and lang == "zh" else (f"{where}: " if where else "")
        return pre + str(msg)
    return str(w)


def _read_table(path, district: str | None = None, *, restrict: bool = False) -> pd.DataFrame:
    """Read a long table; with ``restrict`` only the rows a report of ``district`` shows.

    A district report needs its own rows (communities, streets, the district)
    and every district's and the city's rows (ranks, comparisons); the city
    summary needs the district and city rows.  Parquet is filtered while
    reading, so a province-sized table is never held whole by a report.
    """
    p = Path(path)
    wanted = [[("level", "in", ["district", "city"])]]
    if district:
        wanted.append([("district", "==", district)])
    if p.suffix == ".parquet":
        return pd.read_parquet(p, filters=wanted if restrict else None)
    t = pd.read_csv(p, dtype={"period": str, "district": str, "unit_id": str})
    if restrict:
        keep = t["level"].isin(["district", "city"])
        if district:
            keep |= (t["district"] == district).fillna(False)
        t = t.loc[keep].reset_index(drop=True)
    return t


def data_years(ds, year: int) -> list[int]:
    """The years a report covers: from the first year with disputes (or ``year - 1``) to ``year``."""
    first = year - 1
    try:
        d = ds.tables["disputes"]["reported_on"]
        y0 = pd.to_datetime(d).dt.year.min()
        if pd.notna(y0):
            first = min(first, int(y0))
    except (AttributeError, KeyError, TypeError, ValueError):
        pass
    return list(range(max(first, year - 9), year + 1))


def compute_pilot(ds, *, year: int, outcome: str = "dispute_rate", districts=None, seed: int = 20241,
                  draws: int = 999) -> pd.DataFrame:
    """The pilot comparison for the city and each district, once, as one long table.

    Parameters
    ----------
    ds
        The loaded Dataset (every district).
    year
        Last year of the window; the first is the first year of the data (:func:`data_years`).
    outcome
        The outcome indicator (community-level yearly values).
    districts
        Districts to compare within (default: every district of the register).

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`evalkit.pilot.compare` at level ``city`` and ``district``
        with their facts (:meth:`evalkit.pilot.PilotResult.to_frame`);
        a district whose comparison cannot be estimated gets one row
        ``indicator = "pilot_error"`` whose ``note`` holds the reason (zh, then en
        after a newline).  Empty when the dataset has no pilot data at all.

    Notes
    -----
    Computed once per batch and passed to every notebook (``pilot_path``), so
    no report fits a model.  See :func:`evalkit.pilot.compare` for the
    estimators (Callaway–Sant'Anna ATT, TWFE DiD, pre-trend Wald test).

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
    multiple time periods. *Journal of Econometrics* 225(2), 200–230.
    """
    from evalkit.exceptions import EvalkitError
    from evalkit.families._frame import finalize

    try:
        from evalkit.pilot import compare
    except ImportError:
        return pd.DataFrame()
    years = data_years(ds, year)
    start, end = years[0], years[-1]
    if start >= end:
        return pd.DataFrame()
    def with_text(res):
        # the rows with their facts (PilotResult.to_frame), and the plain-language paragraphs,
        # precomputed so that no report imports the estimators
        frame = res.to_frame()
        r0 = frame.iloc[0]
        rows = [{"indicator": "pilot_text", "level": r0["level"], "unit_id": r0["unit_id"],
                 "unit_name": r0["unit_name"], "district": r0["district"], "period": r0["period"],
                 "category": lang, "note": res.explain(lang)} for lang in ("zh", "en")]
        return pd.concat([frame, finalize(pd.DataFrame(rows))], ignore_index=True)

    parts = []
    try:
        parts.append(with_text(compare(ds, outcome=outcome, start=start, end=end, level="city", seed=seed,
                                       draws=draws)))
    except EvalkitError:
        return pd.DataFrame()
    if districts is None:
        districts = sorted(ds["communities"]["district"].dropna().astype(str).unique())
    for d in districts:
        try:
            parts.append(with_text(compare(ds, outcome=outcome, start=start, end=end, level="district",
                                           district=d, seed=seed, draws=draws)))
        except EvalkitError as err:
            zh, en = getattr(err, "zh", str(err)), getattr(err, "en", str(err))
            parts.append(finalize(pd.DataFrame([{"indicator": "pilot_error", "level": "district", "unit_id": d,
                                                 "unit_name": d, "district": d, "period": f"{start}-{end}",
                                                 "category": outcome, "note": f"{zh}\n{en}"}])))
    return pd.concat(parts, ignore_index=True)


def prepare(data_dir: str, *, district: str | None, year: int, lang: str = "zh",
            indicators_path: str = "", pilot_path: str = "", min_n: int = 10) -> ReportData:
    """Gather what a report needs: the indicator table, dataset.json and the dataset.

    Parameters
    ----------
    data_dir
        The dataset folder.
    district
        The report's district, or None for the city summary.
    indicators_path
        The precomputed long table (Parquet/CSV) written by the batch; when empty
        the table is computed here with :func:`evalkit.indicators` (all levels).
    pilot_path
        The precomputed pilot comparison (:func:`compute_pilot`); when empty and
        ``indicators_path`` is empty too, it is computed here.

    Returns
    -------
    ReportData
    """
    from evalkit.exceptions import EvalkitError, ReportError

    tx.check_lang(lang)
    from evalkit.io import read_meta

    meta = read_meta(data_dir)
    district = None if district is None else str(district)
    ds, warns = None, []
    try:
        ds = _load(data_dir, district)
    except EvalkitError as err:
        warns.append(str(err))
    pilot = _read_table(pilot_path) if pilot_path else None
    if indicators_path:
        table = _read_table(indicators_path, district, restrict=district != "")
    else:
        if ds is None:
            raise ReportError("无法读取数据集，也没有预先计算的指标表（indicators_path）。",
                              "The dataset cannot be read and no precomputed indicator table was given.")
        from evalkit.families import indicators

        full = _load(data_dir, None)  # ranks need every district
        table = pd.concat([indicators(full, year=y, level=ALL_LEVELS) for y in data_years(full, year)],
                          ignore_index=True)
        if pilot is None:
            pilot = compute_pilot(full, year=year)
    if district == "":  # the first district (explore, quick looks)
        d = table.loc[table["level"] == "district", "unit_id"].dropna()
        district = str(sorted(d.unique())[0]) if len(d) else None
    missing = []
    if ds is not None:
        from evalkit.contract import TABLES

        missing = [n for n in TABLES if n not in getattr(ds, "tables", {})]
        for w in getattr(ds, "warnings", []) or []:
            warns.append(_problem_text(w, lang))
    return ReportData(table=table, district=district, year=year, lang=lang, meta=meta, ds=ds,
                      missing_tables=missing, warnings=warns, min_n=min_n, pilot=pilot)


def show(obj, *, dpi: int = 110):
    """Display a matplotlib Axes/Figure in a notebook as an embedded PNG and close it.

    PNG (no timestamp in its metadata) keeps reruns byte-identical.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    fig = obj.figure if hasattr(obj, "figure") and obj.figure is not None else obj
    buf = io.BytesIO()
    # fast zlib level: ~40% less time per figure for ~3% larger files
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))


def _h(tag: str, content: str, cls: str | None = None) -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<{tag}{c}>{content}</{tag}>"


def heading(key_or_text: str, lang: str = "zh", level: int = 2):
    """An HTML heading from the text table (or literal text, escaped)."""
    from IPython.display import HTML

    s = tx.t(key_or_text, lang) if key_or_text in tx.TEXT else key_or_text
    return HTML(_h(f"h{level}", esc(s)))


def para(s: str):
    """An escaped paragraph."""
    from IPython.display import HTML

    return HTML(_h("p", esc(s)))


def cover(rd: ReportData):
    """The cover: title, source, as-of date and the synthetic-data mark."""
    from IPython.display import HTML

    lang = rd.lang
    title = (tx.t("title", lang, district=rd.district, year=rd.year) if rd.district
             else tx.t("city_title", lang, year=rd.year))
    src = tx.localised(rd.meta.get("source") or rd.meta.get("name"), lang) or tx.t("unknown", lang)
    asof = rd.meta.get("as_of") or tx.t("unknown", lang)
    parts = [f'<div class="cover"><h1>{esc(title)}</h1>',
             f"<p>{esc(tx.t('source', lang))}：{esc(str(src))}</p>" if lang == "zh"
             else f"<p>{esc(tx.t('source', lang))}: {esc(str(src))}</p>",
             f"<p>{esc(tx.t('as_of', lang))}{'：' if lang == 'zh' else ': '}{esc(str(asof))}</p>"]
    if rd.synthetic:
        parts.append(f'<p class="synthetic-mark">{esc(tx.t("synthetic_mark", lang))}</p>')
    parts.append("</div>")
    return HTML("".join(parts))


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    if "category" in df.columns:
        return df.loc[df["category"].isna() | (df["category"] == "")]
    return df


def _value_of(table, indicator, level, unit_id, period):
    r = table.loc[(table["indicator"] == indicator) & (table["level"] == level) & (table["unit_id"] == unit_id)
                  & (table["period"] == period)]
    r = _plain(r)
    if r.empty or r["suppressed"].fillna(False).astype(bool).iloc[0]:
        return math.nan, None
    return float(r["value"].iloc[0]), r.iloc[0]


def _rank(table, indicator, period, unit_id) -> tuple[int | None, int]:
    d = _plain(table.loc[(table["indicator"] == indicator) & (table["level"] == "district")
                         & (table["period"] == period)]).dropna(subset=["value"])
    if unit_id not in set(d["unit_id"]):
        return None, len(d)
    asc = tx.direction(indicator) == "lower_better"
    r = d.set_index("unit_id")["value"].rank(ascending=asc, method="min")
    return int(r[unit_id]), len(d)


def _targets(rd: ReportData) -> pd.DataFrame | None:
    ds = rd.ds
    if ds is None or not hasattr(ds, "tables") or "targets" not in ds.tables:
        return None
    return ds.tables["targets"]


def _target_for(targets, indicator, level, unit_id, year):
    if targets is None:
        return math.nan
    t = targets.loc[targets["indicator"] == indicator]
    for col, val in (("level", level), ("unit_id", unit_id), ("year", year)):
        if col in t.columns:
            t = t.loc[t[col].isna() | (t[col].astype(str) == str(val))]
    if t.empty:
        return math.nan
    # the most specific row wins: most non-missing of level, unit_id, year
    spec = t[[c for c in ("level", "unit_id", "year") if c in t.columns]].notna().sum(axis=1)
    return float(t.loc[spec.idxmax(), "target"])


def headline(rd: ReportData, *, unit_id: str | None = None, level: str = "district") -> pd.DataFrame:
    """Headline figures of the unit: value, last year, change, rank, target, benchmark.

    Returns
    -------
    pandas.DataFrame
        Columns indicator, name, unit, value, last, change, rank, of, target, met, benchmark
        (numbers raw; :func:`headline_html` formats them).
    """
    table, lang = rd.table, rd.lang
    uid = unit_id if unit_id is not None else (rd.district if rd.district else "all")
    lvl = level if rd.district else "city"
    targets = _targets(rd)
    rows = []
    present = set(table["indicator"].unique())
    for ind in [i for i in HEADLINE if i in present]:
        v, _ = _value_of(table, ind, lvl, uid, rd.period)
        last, _ = _value_of(table, ind, lvl, uid, str(rd.year - 1))
        if math.isnan(v) and math.isnan(last):
            continue
        directional = tx.direction(ind) in ("higher_better", "lower_better")
        rank, of = _rank(table, ind, rd.period, uid) if lvl == "district" and directional else (None, 0)
        tgt = _target_for(targets, ind, lvl, uid, rd.year)
        d = tx.direction(ind)
        met = None
        if not math.isnan(tgt) and not math.isnan(v):
            met = bool(v <= tgt) if d == "lower_better" else bool(v >= tgt)
        b = tx.benchmark(ind)
        rows.append(dict(indicator=ind, name=tx.name(ind, lang), unit=tx.unit(ind), value=v, last=last,
                         change=(v - last) if not (math.isnan(v) or math.isnan(last)) else math.nan,
                         rank=rank, of=of, target=tgt, met=met,
                         benchmark=None if b is None else float(b["value"]),
                         benchmark_scope=None if b is None else b.get(f"scope_{lang}")))
    return pd.DataFrame(rows, columns=["indicator", "name", "unit", "value", "last", "change", "rank", "of",
                                       "target", "met", "benchmark", "benchmark_scope"])


def _table_html(header: list[str], body: list[list[str]], cls: str = "data") -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in header)
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in body)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>'


def headline_html(rd: ReportData, hl: pd.DataFrame | None = None):
    """The summary table of headline figures as HTML."""
    from IPython.display import HTML

    lang = rd.lang
    hl = headline(rd) if hl is None else hl
    if hl.empty:
        return HTML(_h("p", esc(tx.t("f_none", lang))))
    has_t = hl["target"].notna().any()
    has_b = hl["benchmark"].notna().any()
    header = [tx.t(k, lang) for k in ("col_indicator", "col_value", "col_last", "col_change")]
    if rd.district:
        header.append(tx.t("col_rank", lang))
    if has_t:
        header += [tx.t("col_target", lang), tx.t("col_attain", lang)]
    if has_b:
        header.append(tx.t("col_benchmark", lang))
    body = []
    for r in hl.itertuples():
        row = [esc(r.name), esc(tx.fmt_value(r.value, r.unit, lang)), esc(tx.fmt_value(r.last, r.unit, lang)),
               esc(tx.fmt_change(r.value, r.last, r.unit, lang))]
        if rd.district:
            row.append(esc(tx.t("rank_of", lang, rank=int(r.rank), of=int(r.of))) if pd.notna(r.rank) and r.rank else "—")
        if has_t:
            if r.met is None:
                row += ["—", "—"]
            else:
                gap = tx.fmt_value(abs(r.value - r.target), r.unit, lang)
                word = tx.t("met" if r.met else "not_met", lang)
                cls = "met" if r.met else "not-met"
                row += [esc(tx.fmt_value(r.target, r.unit, lang)),
                        f'<span class="{cls}">{esc(word)}</span>' + ("" if r.met else " " + esc(tx.t("by", lang, gap=gap)))]
        if has_b:
            row.append("—" if r.benchmark is None or pd.isna(r.benchmark) else
                       esc(tx.fmt_value(r.benchmark, r.unit, lang) + ((f"（{r.benchmark_scope}）" if lang == "zh" else f" ({r.benchmark_scope})") if r.benchmark_scope else "")))
        body.append(row)
    return HTML(_table_html(header, body))


def findings(rd: ReportData, hl: pd.DataFrame | None = None, *, max_sentences: int = 6) -> list[str]:
    """Plain-language findings generated from the numbers.

    The two largest relative changes on last year, the district's best rank,
    the best and worst street on the first headline indicator, target
    attainment, and the pilot comparison when the table holds one.
    """
    lang = rd.lang
    hl = headline(rd) if hl is None else hl
    out: list[str] = []
    ch = hl.dropna(subset=["value", "last"]).copy()
    ch = ch.loc[ch["last"] != 0]
    if len(ch):
        ch["rel"] = (ch["value"] / ch["last"] - 1).abs()
        for r in ch.sort_values(["rel", "indicator"], ascending=[False, True]).head(2).itertuples():
            up = r.value > r.last
            pct = tx.fmt_change(r.value, r.last, r.unit, lang).lstrip("+-")
            out.append(tx.t("f_up", lang, name=r.name, last=tx.fmt_value(r.last, r.unit, lang),
                            value=tx.fmt_value(r.value, r.unit, lang), dir=tx.t("rise" if up else "fall", lang),
                            pct=pct))
    if rd.district:
        rk = hl.dropna(subset=["rank"])
        rk = rk.loc[rk["indicator"].map(tx.direction).isin(["higher_better", "lower_better"])] if len(rk) else rk
        if len(rk):
            r = rk.sort_values(["rank", "indicator"]).iloc[0]
            out.append(tx.t("f_rank", lang, name=r["name"], rank=int(r["rank"]), of=int(r["of"])))
        st = _plain(rd.table.loc[(rd.table["level"] == "street") & (rd.table["district"] == rd.district)
                                 & (rd.table["period"] == rd.period)])
        for ind in [i for i in hl["indicator"] if tx.direction(i) in ("higher_better", "lower_better")][:1]:
            s = st.loc[st["indicator"] == ind].dropna(subset=["value"])
            if len(s) >= 2:
                s = s.sort_values(["value", "unit_id"], ascending=tx.direction(ind) == "lower_better")
                u = tx.unit(ind)
                out.append(tx.t("f_best_worst", lang, name=tx.name(ind, lang), best=s["unit_name"].iloc[0],
                                bv=tx.fmt_value(s["value"].iloc[0], u, lang), worst=s["unit_name"].iloc[-1],
                                wv=tx.fmt_value(s["value"].iloc[-1], u, lang)))
    met = hl.dropna(subset=["met"])
    if len(met):
        out.append(tx.t("f_target", lang, met=int(met["met"].astype(bool).sum()), total=len(met)))
    p = pilot_rows(rd) if pilot_result(rd)[1] is None else pd.DataFrame()
    att = p.loc[p["indicator"] == "pilot_att"] if len(p) else p
    if len(att) and pd.notna(att["value"].iloc[0]):
        r = att.iloc[0]
        u = tx.unit(str(r["category"]))
        nm = tx.name(str(r["category"]), lang)
        sig = pd.notna(r["p_value"]) and r["p_value"] < 0.05
        v = float(r["value"])
        fv = lambda x: tx.fmt_value(x, u, lang) if u != "share" else f"{100 * x:.1f} " + (  # noqa: E731
            "个百分点" if lang == "zh" else "points")
        interval = (tx.t("ci_text", lang, lo=fv(r["ci_low"]), hi=fv(r["ci_high"]))
                    if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]) else tx.t("ci_none", lang))
        if bool(r["few_units"]):  # a fact of the comparison (PilotResult.to_frame), not a note to search
            from evalkit.families._frame import interval_disagrees

            text = tx.t("f_pilot_few", lang, name=nm, value=fv(v), interval=interval,
                        p=r["p_value"],
                        verdict=tx.t("verdict_sig" if sig else "verdict_ns", lang))
            if interval_disagrees(r):
                inc = "includes" if r["ci_low"] <= 0 <= r["ci_high"] else "excludes"
                text += (" " if lang == "en" else "") + tx.t("pilot_clash", lang, inc=tx.t(inc, lang))
            out.append(text)
        elif sig:
            out.append(tx.t("f_pilot_sig", lang, name=nm, value=fv(abs(v)), dir=tx.t("lower" if v < 0 else "higher", lang),
                            interval=interval))
        else:
            out.append(tx.t("f_pilot_ns", lang, name=nm, value=fv(v), interval=interval))
    return out[:max_sentences] if out else [tx.t("f_none", lang)]


def findings_html(rd: ReportData, hl=None):
    from IPython.display import HTML

    return HTML('<ul class="findings">' + "".join(f"<li>{esc(s)}</li>" for s in findings(rd, hl)) + "</ul>")


def pilot_result(rd: ReportData) -> tuple[pd.DataFrame, str | None]:
    """The pilot comparison the report shows, and why the district's own is missing.

    Returns
    -------
    (DataFrame, str or None)
        The rows of one unit (the district's own comparison when it could be
        estimated, else the city's), and None or the reason (in ``rd.lang``) the
        district's own comparison could not be estimated.
    """
    p = rd.pilot
    if p is None or len(p) == 0:
        # an older batch put the pilot rows into the indicator table
        t = rd.table
        p = t.loc[t["indicator"].astype(str).str.startswith("pilot_")]
    if p is None or len(p) == 0:
        return pd.DataFrame(), None
    city = p.loc[p["level"] == "city"]
    if not rd.district:
        return city, None
    own = p.loc[(p["level"] == "district") & (p["unit_id"] == rd.district)]
    if len(own) and (own["indicator"] == "pilot_att").any():
        return own, None
    why = ""
    err = own.loc[own["indicator"] == "pilot_error", "note"]
    if len(err):
        zh, _, en = str(err.iloc[0]).partition("\n")
        why = (zh if rd.lang == "zh" else (en or zh)).rstrip("。.")
    return city, why or ("试点数据不足" if rd.lang == "zh" else "too few pilot data")


def pilot_rows(rd: ReportData) -> pd.DataFrame:
    """The headline pilot rows (ATT, DiD, pre-trend) the report shows."""
    p, _ = pilot_result(rd)
    if p.empty:
        return p
    order = {"pilot_att": 0, "pilot_did": 1, "pilot_pretrend": 2}
    p = p.loc[p["indicator"].isin(order)]
    return p.assign(_o=p["indicator"].map(order)).sort_values("_o").drop(columns="_o")


def _fp(x) -> str:
    return "—" if pd.isna(x) else ("<0.001" if x < 0.001 else f"{x:.3f}")


def _fe(x) -> str:
    return "—" if pd.isna(x) else f"{x:.2f}"


def pilot_html(rd: ReportData):
    """The pilot comparison table (ATT, DiD, pre-trend test), or a sentence saying there is none."""
    from IPython.display import HTML

    lang = rd.lang
    p = pilot_rows(rd)
    if p.empty:
        return HTML(_h("p", esc(tx.t("no_pilot", lang))))
    body = []
    for r in p.itertuples():
        label = tx.t(f"{r.indicator}_label", lang)
        outcome = tx.name(str(r.category), lang)
        if r.indicator == "pilot_pretrend":
            est, ci = ("—" if pd.isna(r.value) else f"χ² = {_fe(r.value)}"), "—"
        else:
            est, ci = _fe(r.value), f"{_fe(r.ci_low)} – {_fe(r.ci_high)}"
        body.append([esc(label), esc(outcome), esc(str(r.period)), esc(est), esc(ci), esc(_fp(r.p_value)),
                     esc("—" if pd.isna(r.n) else str(int(r.n)))])
    header = [tx.t(k, lang) for k in ("col_method", "col_outcome", "col_window", "col_estimate", "col_interval",
                                      "col_p", "col_n")]
    return HTML(_table_html(header, body))


def pilot_explain(rd: ReportData) -> str:
    """The plain-language paragraph of :func:`evalkit.pilot.explain` (outcome named in ``rd.lang``)."""
    p, _ = pilot_result(rd)
    if p.empty or not (p["indicator"] == "pilot_att").any():
        return ""
    pre = p.loc[(p["indicator"] == "pilot_text") & (p["category"] == rd.lang), "note"]
    if len(pre):  # precomputed by the batch (compute_pilot)
        return str(pre.iloc[0])
    from evalkit.pilot import PilotResult

    return PilotResult.from_frame(p).explain(rd.lang)


def family_present(rd: ReportData, family: str) -> bool:
    """Whether the table has rows of the family for the report's unit."""
    t = rd.table
    m = t["indicator"].str.startswith(family.rstrip("s") if family != "satisfaction" else "satisfaction")
    if rd.district:
        m &= t["district"] == rd.district
    return bool(m.any())


def quality_html(rd: ReportData):
    """Data-quality appendix: missing tables, load-time warnings, suppressed cells."""
    from IPython.display import HTML

    lang = rd.lang
    parts = []
    if rd.missing_tables:
        parts.append(_h("p", esc(tx.t("missing_tables", lang, tables="、".join(rd.missing_tables)
                                       if lang == "zh" else ", ".join(rd.missing_tables)))))
    if rd.ds is None:
        parts.append(_h("p", esc(tx.t("no_loader", lang))))
    if rd.warnings:
        parts.append(_h("p", esc(tx.t("warnings_head", lang, n=len(rd.warnings)))))
        parts.append("<ul>" + "".join(f"<li>{esc(w)}</li>" for w in rd.warnings[:50]) + "</ul>")
    elif rd.ds is not None:
        parts.append(_h("p", esc(tx.t("no_warnings", lang))))
    t = rd.table
    sup = t["suppressed"].fillna(False).astype(bool) & (t["period"].astype(str) == rd.period).fillna(False)
    if rd.district:
        sup &= (t["district"] == rd.district).fillna(False)
    n_sup = int(sup.sum())
    if n_sup == 0:
        parts.append(_h("p", esc(tx.t("suppressed_none", lang, min_n=rd.min_n))))
    else:
        parts.append(_h("p", esc(tx.t("suppressed", lang, min_n=rd.min_n, n=n_sup))))
        rows = t.loc[sup].sort_values(["indicator", "level", "unit_id"]).head(40)
        items = []
        for r in rows.itertuples():
            kind = tx.entry(r.indicator).get("category")  # e.g. "dimension": 物业, not 物业纠纷
            cat = "" if pd.isna(r.category) else " · " + tx.category_label(r.category, lang, kind)
            n = "—" if pd.isna(r.n) else str(int(r.n))
            items.append(f"<li>{esc(tx.name(r.indicator, lang) + cat)} · {esc(str(r.unit_name))} · "
                         f"{esc(str(r.period))} · n = {esc(n)}</li>")
        parts.append(_h("p", esc(tx.t("suppressed_list", lang))) + "<ul>" + "".join(items) + "</ul>")
    return HTML("".join(parts))


def methods_html(rd: ReportData):
    """Methods notes and the definitions of the indicators shown."""
    from IPython.display import HTML

    lang = rd.lang
    inds = sorted(set(rd.table["indicator"].dropna()))
    body = []
    for i in inds:
        e = tx.entry(i)
        body.append([esc(tx.name(i, lang)), esc(str(e.get(f"definition_{lang}") or "")),
                     esc(tx.unit_label(tx.unit(i), lang))])
    header = [tx.t("col_indicator", lang), tx.t("col_definition", lang), tx.t("col_unit", lang)]
    return HTML(_h("p", esc(tx.t("methods", lang, min_n=rd.min_n))) + _table_html(header, body, "defs"))


def city_table(rd: ReportData) -> pd.DataFrame:
    """Every district side by side on the headline indicators (display strings)."""
    t, lang = rd.table, rd.lang
    d = _plain(t.loc[(t["level"] == "district") & (t["period"] == rd.period) & t["indicator"].isin(HEADLINE)])
    d = d.loc[~d["suppressed"].fillna(False).astype(bool)]
    if d.empty:
        return pd.DataFrame()
    wide = d.pivot_table(index="unit_id", columns="indicator", values="value", aggfunc="first")
    wide = wide[[i for i in HEADLINE if i in wide.columns]]
    shown = pd.DataFrame(index=wide.index)
    for i in wide.columns:
        shown[tx.name(i, lang)] = [tx.fmt_value(v, tx.unit(i), lang) for v in wide[i]]
    shown.index.name = tx.t("col_district", lang)
    return shown


def city_ranks_html(rd: ReportData):
    """Districts side by side with ranks (rank in brackets), as escaped HTML."""
    from IPython.display import HTML

    t, lang = rd.table, rd.lang
    d = _plain(t.loc[(t["level"] == "district") & (t["period"] == rd.period) & t["indicator"].isin(HEADLINE)])
    d = d.loc[~d["suppressed"].fillna(False).astype(bool)].dropna(subset=["value"])
    if d.empty:
        return HTML(_h("p", esc(tx.t("f_none", lang))))
    inds = [i for i in HEADLINE if i in set(d["indicator"])]
    dists = sorted(set(d["unit_id"]))
    header = [tx.t("col_district", lang)] + [tx.name(i, lang) for i in inds]
    vals = {(r.indicator, r.unit_id): r.value for r in d.itertuples()}
    ranks = {i: _rank(t, i, rd.period, None)[1] for i in inds}
    body = []
    for u in dists:
        row = [esc(u)]
        for i in inds:
            v = vals.get((i, u), math.nan)
            rk, of = _rank(t, i, rd.period, u) if tx.direction(i) in ("higher_better", "lower_better") else (None, 0)
            row.append(esc(tx.fmt_value(v, tx.unit(i), lang)) + (f' <span class="rank">({rk}/{of})</span>' if rk else ""))
        body.append(row)
    del ranks
    c = _plain(t.loc[(t["level"] == "city") & (t["period"] == rd.period) & t["indicator"].isin(inds)])
    cv = dict(zip(c["indicator"], c["value"]))
    body.append([f"<strong>{esc(tx.t('city_row', lang))}</strong>"]
                + [f"<strong>{esc(tx.fmt_value(cv.get(i, math.nan), tx.unit(i), lang))}</strong>" for i in inds])
    note = _h("p", esc(tx.t("rank_note", lang)), "note")
    return HTML(_table_html(header, body, "data wide") + note)


FAMILIES = ("disputes", "volunteers", "cadres", "satisfaction", "organisation")
_PREFIX = {"disputes": "dispute_", "volunteers": "volunteer_", "cadres": "cadre_",
           "satisfaction": "satisfaction_", "organisation": ("party_", "households_per_", "community_workers_")}
_NOUN = {"disputes": ("矛盾纠纷", "dispute"), "volunteers": ("志愿服务", "volunteer"), "cadres": ("社区干部", "cadre"),
         "satisfaction": ("满意度调查", "survey"), "organisation": ("组织与网格", "organisation")}


def _family_rows(rd: ReportData, family: str) -> pd.DataFrame:
    t = rd.table
    m = t["indicator"].str.startswith(_PREFIX[family]).fillna(False)
    if rd.district:
        m &= (t["district"] == rd.district).fillna(False)
    return t.loc[m]


def pilot_starts(rd: ReportData) -> list:
    """Pilot start dates of the district's communities (from the register), sorted, unique."""
    ds = rd.ds
    if ds is None or not hasattr(ds, "tables") or "communities" not in ds.tables:
        return []
    c = ds.tables["communities"]
    if "pilot_start" not in c.columns:
        return []
    if rd.district:
        c = c.loc[c["district"] == rd.district]
    return sorted(pd.to_datetime(c["pilot_start"].dropna()).unique().tolist())


def family_section(rd: ReportData, family: str) -> None:
    """Display one family's section: heading, plots, or a sentence when its data are missing."""
    from IPython.display import HTML, display

    import evalkit.plot as ep

    lang, unit = rd.lang, (rd.district or "all")
    level = "district" if rd.district else "city"
    display(HTML(_h("h3", esc(tx.t(f"fam_{family}", lang)))))
    rows = _family_rows(rd, family)
    if rows.empty:
        display(HTML(_h("p", esc(tx.t("section_missing", lang, what=_NOUN[family][0 if lang == "zh" else 1])))))
        return
    have = set(rows["indicator"])
    comm = dict(level="community", district=rd.district, period=rd.period, lang=lang) if rd.district else \
        dict(level="district", period=rd.period, lang=lang)
    if family == "disputes":
        if (rows["period"].astype(str).str.len() == 7).any():
            show(ep.dispute_trend(rd.table, unit_id=unit, level=level, pilot_starts=pilot_starts(rd), lang=lang))
        if "dispute_rate" in have:
            show(ep.unit_bars(rd.table, indicator="dispute_rate", **comm))
        if "dispute_resolution_rate" in have:
            show(ep.unit_bars(rd.table, indicator="dispute_resolution_rate", **comm))
    elif family == "volunteers":
        show(ep.volunteer_activity(rd.table, unit_id=unit, level=level, lang=lang))
        if "volunteer_registration_rate" in have:
            show(ep.unit_bars(rd.table, indicator="volunteer_registration_rate", **comm))
    elif family == "cadres":
        if "cadre_education_share" in have:
            show(ep.education_by_term(rd.table, unit_id=unit, level=level, lang=lang))
        if "cadre_college_share" in have:
            show(ep.unit_bars(rd.table, indicator="cadre_college_share", **comm))
    elif family == "satisfaction":
        if "satisfaction_dimension" in have:
            show(ep.satisfaction_dimensions(rd.table, unit_id=unit, level=level, period=rd.period, lang=lang,
                                            reference="all" if rd.district else None))
        if "satisfaction_index" in have:
            show(ep.unit_bars(rd.table, indicator="satisfaction_index", **comm))
    else:
        for ind in sorted(have)[:3]:
            show(ep.unit_bars(rd.table, indicator=ind, **comm))


def streets_section(rd: ReportData, *, max_plots: int = 3) -> None:
    """Display the district's streets compared on the first headline indicators present."""
    from IPython.display import HTML, display

    import evalkit.plot as ep

    t = rd.table
    st = _plain(t.loc[(t["level"] == "street") & (t["district"] == rd.district) & (t["period"] == rd.period)])
    inds = [i for i in HEADLINE if i in set(st["indicator"])][:max_plots]
    if not inds:
        display(HTML(_h("p", esc(tx.t("f_none", rd.lang)))))
    for ind in inds:
        show(ep.unit_bars(t, indicator=ind, level="street", district=rd.district, period=rd.period, lang=rd.lang))


def pilot_section(rd: ReportData) -> None:
    """Display the pilot comparison: scope, plain-language paragraph, table, event study, pre-trend caveat.

    When the district's own comparison cannot be estimated (too few piloted
    or comparison communities) a sentence says so and the city's is shown.
    """
    from IPython.display import HTML, display

    lang = rd.lang
    p, why = pilot_result(rd)
    if p.empty or not (p["indicator"] == "pilot_att").any():
        display(HTML(_h("p", esc(tx.t("no_pilot", lang)))))
        return
    if why:
        display(HTML(_h("p", esc(tx.t("no_pilot_district", lang, why=why)), "note")))
    else:
        display(HTML(_h("p", esc(tx.t("pilot_scope_district" if rd.district else "pilot_scope_city", lang)))))
    text = pilot_explain(rd)
    if text:
        display(HTML('<div class="explain">' + "".join(_h("p", esc(s)) for s in text.split("\n") if s.strip())
                     + "</div>"))
    display(pilot_html(rd))
    ev = p.loc[p["indicator"] == "pilot_event"]
    if len(ev):
        from evalkit.plot.event import event_study

        show(event_study(ev, lang=lang))  # titled with the outcome's name in ``lang``
    pt = p.loc[p["indicator"] == "pilot_pretrend"]
    if len(pt):
        pv = pt["p_value"].iloc[0]
        verdict = "pretrend_untested" if pd.isna(pv) else ("pretrend_ok" if pv >= 0.05 else "pretrend_bad")
        display(HTML(_h("p", esc(tx.t("pilot_pretrend_caveat", lang, p=pv, verdict=tx.t(verdict, lang))),
                        "note")))


def city_rank_indicators(rd: ReportData, *, max_plots: int = 4) -> list[str]:
    """Headline indicators with district-level values this year (for the city's rank plots)."""
    t = rd.table
    have = set(_plain(t.loc[(t["level"] == "district") & (t["period"] == rd.period)])["indicator"])
    return [i for i in HEADLINE if i in have][:max_plots]


def city_trends(rd: ReportData) -> None:
    """Display the city's yearly trends of the headline indicators (one plot per unit kind)."""
    import evalkit.plot as ep

    t = rd.table
    c = _plain(t.loc[(t["level"] == "city") & t["period"].astype(str).str.fullmatch(r"\d{4}").fillna(False)])
    inds = [i for i in HEADLINE if i in set(c["indicator"])]
    by_unit: dict[str, list[str]] = {}
    for i in inds:
        by_unit.setdefault(tx.unit(i), []).append(i)
    for u, group in sorted(by_unit.items()):
        show(ep.yearly_trend(t, indicators=group[:4], unit_id="all", level="city", lang=rd.lang))
