"""Synthetic datasets in the contract, with known planted effects.

``synth(out, scale=..., seed=...)`` writes a dataset folder of the fictional
city 示例市 (communities, community_years, disputes, volunteers,
volunteer_hours, cadres, survey_responses, survey_items, targets,
dataset.json) plus ``truth.json``, the effects the generator planted, in the
units the estimators report.  The same seed gives byte-identical files.

Generation is vectorised with numpy and runs district by district, each
district with its own random stream (``SeedSequence(seed, spawn_key=(d,))``),
so a district's records do not depend on the others and the province scale
streams to disk (blocks buffered to ~130,000 rows, one Parquet row group each,
via ``pyarrow.parquet.ParquetWriter``) without holding the whole dataset in
memory.  Parquet is written with fixed options (zstd level 3, format 2.6,
no pandas metadata, no timestamps); CSV is UTF-8 with BOM, ISO dates,
``true``/``false``, empty for missing.  Measured on the 2-core project machine:
demo ~1 s; city ~5 s and ~0.26 GB peak (~490k cases, ~3.1 M service records,
~230k volunteers, ~33k cadre rows, ~100k respondents); province ~150 s and
~0.25 GB peak (20,000 communities in 20 cities, ~9.9 M cases, ~45 M service
records).

The model (calibrated to the source cases in the design documents)
------------------------------------------------------------------
* Communities: types commodity_housing (Honghu-like, ~2,500 households,
  ~3.2 persons each), old_neighborhood, resettlement (Dongyu-like, ~1,750
  households, ~2.3 persons), village_to_urban, work_unit, mixed.
  community_years holds households and population per year (small growth),
  registered and floating Party members (floating share high in commodity
  housing, as Honghu's 116 of 130) and grid workers (~1 per 600–900
  households, as Honghu's 4 for 2,991).
* Pilot: about a third of each district's communities are piloted, in three
  cohorts by *first piloted year* 2021, 2022, 2023.  The first piloted year is
  the year of ``pilot_start`` when it is on or before 30 June, else the next
  year; about a quarter of the pilots start between July and December of the
  year before their cohort year, to make that rule visible.
* Disputes: the count of community c in month m (m = 0 for January of the
  first year) is Poisson with mean
  ``households(c, year)/1000 × base_rate(c)/12 × season(month) ×
  trend^(m/12) × (pilot_rr if year ≥ first piloted year)``.  ``base_rate``
  (cases per 1,000 households per year) varies by type and community
  (log-normal).  Season peaks in July–August and before the Spring Festival.
  Category shares depend on the type (property disputes most common in
  commodity housing); statuses: resolved 90 %, escalated 6 %, unresolved 4 %,
  with the outcome after a log-normal time (median resolution 9 days); a case
  whose outcome falls after the as-of date is ``in_progress``.
* Volunteers: registered share of the population varies by community
  (log-normal); a volunteer has a personal activity level (gamma) and service
  records in the years they are registered; hours in (0, 24], typically 1–4.
* Cadres: terms beginning 2018, 2021 and 2024.  The city-wide share of
  college-or-above among non-grid cadres is set per term
  (``cadre_college_share_by_term``); resettlement communities keep old, less
  educated cadres (mean age ~55, 75 % junior high or below); a person may
  continue into the next term (same person_id and birth year, never a lower
  education).
* Survey: stratified (stratum = district) two-stage design; PSUs are
  residential buildings ("C0012-B03"), a few sampled per community and wave;
  weights ∝ building households / respondents in the building × noise; fpc =
  buildings in the district.  A respondent's answer to item j is
  ``1 + Binomial(4, p_ij)`` with ``p_ij = community level + building effect +
  respondent effect + item offset (+ uplift/100 for a pilot community from its
  first piloted year)``.  All terms are bounded so ``p_ij`` stays in [0, 1]
  without clipping, hence E[score] = 100 p exactly and the expected index
  shift of the uplift is exactly ``satisfaction_uplift``.  The reverse-coded
  item is stored as 6 − answer; 3 % of answers are 9 (不清楚), missing
  completely at random with the same probability on every item.

truth.json keys
---------------
``scale``, ``seed``, ``years`` (list), ``as_of`` (ISO date)
    What was generated.
``n_communities``, ``n_districts``
    Sizes.
``pilot_cohorts``
    ``{first piloted year: number of communities}`` (keys are strings).
``n_pilot``, ``n_never_piloted``
    Counts.
``first_piloted_rule``
    The rule in words (year of pilot_start if on or before 30 June, else the
    next year).
``dispute_count_model``
    ``"poisson"``: monthly counts are Poisson, no extra-Poisson variation
    beyond the community's own base rate.
``dispute_trend_irr``
    Rate ratio per year (t in years = months since January of the first
    year / 12) of never-piloted communities, as ``dispute_trend_irr`` reports.
``pilot_dispute_rr``
    Multiplicative effect of piloting on the dispute rate.
``pilot_dispute_rate_att``
    Implied average effect on ``dispute_rate`` (cases per 1,000 households
    per year) that the Callaway–Sant'Anna "group" aggregation targets: per
    cohort g, the mean over post years y ≥ g (to the last year) of the mean
    over the cohort's communities of (expected treated − expected untreated
    rate) = base_rate(c) × A(y) × (pilot_rr − 1), where A(y) is the year's mean
    of season × trend^t; then the cohort-size weighted mean.
``pilot_dispute_rate_att_by_cohort``
    ``{cohort: value}`` of the above.
``dispute_base_rate_mean``
    Mean base rate over communities (cases per 1,000 households per year).
``dispute_season``
    The 12 monthly season factors (mean 1).
``dispute_property_share_by_type``
    Probability that a case is a property dispute, per community type.
``dispute_resolution_prob``
    Probability that a case ends resolved (before as-of censoring).
``dispute_median_days``
    Median days to resolution of resolved cases (the log-normal's median,
    plus whole-day rounding up).
``satisfaction_uplift``
    Points on the 0–100 satisfaction_index scale added to pilot
    communities' respondents from their first piloted year on (exact in
    expectation, see the model above).
``satisfaction_uplift_check``
    The same, recomputed from the generator's answer probabilities (mean over
    the non-overall items of 100 × E[(x − 1)/4] with and without the uplift).
``satisfaction_index_mean``
    Mean over waves of the expected index (100 × latent p) of the
    never-piloted communities' respondents, given their drawn community,
    building and respondent effects (0–100).
``cadre_terms``
    The term years.
``cadre_college_share_by_term``
    ``{term year: target share}``, city-wide college-or-above share among
    every role except grid_worker.
``resettlement_cadre_mean_age_target``, ``resettlement_cadre_junior_high_or_below_share``
    The resettlement targets (Dongyu: over 50; 0.75).
``volunteer_registration_share_mean``
    Mean registered share of the population (fraction) used by the scale.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. *Journal of Econometrics* 225(2), 200–230.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.contract import (
    CADRE_ROLES,
    COMMUNITY_TYPES,
    DISPUTE_CATEGORIES,
    DISPUTE_METHODS,
    DISPUTE_SOURCES,
    EDUCATION_ORDER,
    SERVICE_TYPES,
)
from evalkit.exceptions import ParameterError, check_choice

__all__ = ["synth", "SCALES"]

YEARS = (2020, 2021, 2022, 2023, 2024)
AS_OF = "2024-12-31"
TERMS = (2018, 2021, 2024)
COHORTS = (2021, 2022, 2023)

#: Sizes per scale.  ``dispute_base`` is cases per 1,000 households per year,
#: ``vol_share`` the mean registered share of the population, ``vol_rate``
#: the mean service records per volunteer-year, ``survey_n`` respondents per
#: community and wave.
SCALES = {
    "demo": dict(districts=5, communities=60, dispute_base=6.0, vol_share=0.0015,
                 vol_rate=6.0, survey_n=30),
    "city": dict(districts=10, communities=1000, dispute_base=58.0, vol_share=0.04,
                 vol_rate=4.0, survey_n=20),
    "province": dict(districts=200, communities=20000, dispute_base=58.0, vol_share=0.04,
                     vol_rate=3.0, survey_n=20),
}

TREND_IRR = 0.95
PILOT_RR = 0.75
UPLIFT = 6.0
COLLEGE_BY_TERM = {2018: 0.40, 2021: 0.60, 2024: 0.80}
RESETTLE_AGE = 55.0
RESETTLE_EDU = np.array([0.25, 0.50, 0.15, 0.07, 0.03, 0.0])   # junior-or-below 0.75
GRID_EDU = np.array([0.0, 0.10, 0.30, 0.35, 0.25, 0.0])
SEASON = np.array([1.15, 1.05, 0.85, 0.85, 0.90, 1.00, 1.20, 1.25, 1.00, 0.90, 0.90, 0.95])
SEASON = SEASON / SEASON.mean()

TYPES = tuple(COMMUNITY_TYPES)
# probability, median households, persons per household (low, high), dispute factor,
# floating Party share (low, high)
TYPE_PARAMS = {
    "commodity_housing": (0.30, 2500, (3.0, 3.4), 1.2, (0.55, 0.90)),
    "old_neighborhood": (0.25, 1500, (2.4, 2.8), 1.1, (0.05, 0.25)),
    "resettlement": (0.12, 1750, (2.2, 2.6), 1.0, (0.05, 0.20)),
    "village_to_urban": (0.10, 1200, (2.8, 3.3), 0.9, (0.10, 0.30)),
    "work_unit": (0.08, 1000, (2.3, 2.7), 0.7, (0.05, 0.20)),
    "mixed": (0.15, 2000, (2.6, 3.0), 1.0, (0.30, 0.60)),
}
CATS = tuple(DISPUTE_CATEGORIES)  # property neighbor family labor land consumer other
CAT_PROBS = {
    "commodity_housing": [0.38, 0.24, 0.12, 0.06, 0.02, 0.10, 0.08],
    "old_neighborhood": [0.22, 0.34, 0.16, 0.06, 0.04, 0.08, 0.10],
    "resettlement": [0.12, 0.28, 0.16, 0.08, 0.20, 0.06, 0.10],
    "village_to_urban": [0.08, 0.28, 0.16, 0.10, 0.24, 0.04, 0.10],
    "work_unit": [0.15, 0.32, 0.18, 0.14, 0.02, 0.08, 0.11],
    "mixed": [0.25, 0.28, 0.14, 0.08, 0.06, 0.09, 0.10],
}
SOURCES = tuple(DISPUTE_SOURCES)
SOURCE_PROBS = [0.45, 0.25, 0.15, 0.12, 0.03]
METHODS = tuple(DISPUTE_METHODS)
METHOD_PROBS = [0.55, 0.15, 0.20, 0.03, 0.07]
RESOLVE_P, ESCALATE_P = 0.90, 0.06
RESOLVE_MEDIAN_DAYS, RESOLVE_SIGMA = 8.5, 0.8
SERVICES = tuple(SERVICE_TYPES)
SERVICE_PROBS = [0.30, 0.22, 0.18, 0.15, 0.05, 0.10]
HOURS = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0])
HOURS_P = np.array([0.04, 0.14, 0.12, 0.20, 0.10, 0.14, 0.06, 0.10, 0.05, 0.03, 0.02])

# survey: (item_id, dimension, reverse, text_zh, text_en, offset)
ITEMS = (
    ("Q01", "party_org", False, "社区党组织在帮助居民解决困难方面发挥了作用",
     "The community Party organisation helps residents solve problems", 0.04),
    ("Q02", "party_org", False, "身边的党员在社区事务中起到了带头作用",
     "Party members nearby take the lead in community affairs", 0.02),
    ("Q03", "services", False, "在社区办事方便、快捷",
     "Getting things done at the community office is easy and quick", 0.03),
    ("Q04", "services", False, "社区为老人和儿童提供的服务让人满意",
     "Services for the elderly and children are satisfactory", -0.01),
    ("Q05", "safety", False, "晚上在小区里走动感到安全",
     "I feel safe walking in the compound at night", 0.05),
    ("Q06", "safety", False, "小区的治安状况良好",
     "Public order in the compound is good", 0.03),
    ("Q07", "environment", False, "小区环境卫生干净整洁",
     "The compound is clean and tidy", -0.02),
    ("Q08", "environment", False, "绿化和公共设施维护得好",
     "Green space and shared facilities are well maintained", 0.0),
    ("Q09", "property", False, "物业服务质量让人满意",
     "The property management service is satisfactory", -0.05),
    ("Q10", "property", False, "物业费的收支公开透明",
     "Property fees and spending are open and transparent", -0.04),
    ("Q11", "property", True, "向物业反映的问题常常长期得不到解决",
     "Problems reported to the property company often stay unsolved for a long time", -0.03),
    ("Q12", "participation", False, "我有机会参加社区组织的议事协商",
     "I have the chance to take part in community deliberation", -0.04),
    ("Q13", "participation", False, "社区做重要决定前会征求居民意见",
     "The community asks residents before important decisions", 0.02),
    ("Q14", "overall", False, "总体而言，您对本社区的治理工作满意吗",
     "Overall, how satisfied are you with how your community is run?", 0.0),
)
NONOVERALL_OFFSETS = np.array([it[5] for it in ITEMS if it[1] != "overall"])
MISSING_P = 0.03
# bounds of the latent terms (all additive, no clipping needed)
SAT_COMMUNITY = (0.52, 0.76)
SAT_BUILDING = 0.05
SAT_RESPONDENT = 0.08

DISTRICT_NAMES = ("东城区", "西湖区", "南湖区", "北山区", "新城区", "临江区", "滨海区", "青山区",
                  "高新区", "江北区")
_D1 = "东西南北中新金银青白丰宝长安永和平福兴华"
_D2 = ("城", "湖", "山", "江", "河", "海", "林", "阳", "桥", "州")
STREETS = ("朝阳", "和平", "幸福", "建设", "解放", "人民", "光明", "新华", "东湖", "春晖",
           "文化", "长安", "湖滨", "花园", "锦绣", "振兴", "友谊", "团结", "胜利", "民主")
_C1 = "安康和乐福兴华丰瑞祥泰宁平宏景佳美春秋桂兰梅竹松柳桃红金银玉"
_C2 = "园苑里湾庭坊城府轩苑"
_SUFFIX = {
    "commodity_housing": "花园社区", "old_neighborhood": "里社区", "resettlement": "家园社区",
    "village_to_urban": "村社区", "work_unit": "新村社区", "mixed": "社区",
}

ROLES = tuple(CADRE_ROLES)


def synth(out, *, scale: str = "demo", seed: int = 20241, fmt: str | None = None,
          _n_communities: int | None = None, _n_districts: int | None = None) -> Path:
    """Write a synthetic dataset with known planted effects.

    Parameters
    ----------
    out : str or Path
        Output folder.  It must not exist, be empty, or hold a previous synth
        output (which is then replaced).
    scale : {"demo", "city", "province"}
        demo: 5 districts, 60 communities (a few MB of CSV); city: 10
        districts, 1,000 communities (~500,000 cases, ~3 million service
        records); province: 200 districts, 20,000 communities, streamed.
    seed : int
        Random seed; the same seed gives byte-identical files.
    fmt : {"csv", "parquet"}, optional
        File format; default csv for demo, parquet otherwise.

    Returns
    -------
    pathlib.Path
        The folder written.

    Notes
    -----
    The planted effects are in ``truth.json``; its keys are described in the
    module docstring.  Files are written into ``OUT.tmp-*`` beside ``OUT`` and
    renamed when complete, so a crash never leaves a half-written dataset.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
    multiple time periods. *Journal of Econometrics* 225(2), 200–230.

    Examples
    --------
    >>> import evalkit as ek, tempfile, os
    >>> path = ek.synth(os.path.join(tempfile.mkdtemp(), "demo"), seed=1)  # doctest: +SKIP
    """
    check_choice("scale", scale, SCALES)
    if fmt is None:
        fmt = "csv" if scale == "demo" else "parquet"
    check_choice("fmt", fmt, ["csv", "parquet"])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"参数 `seed` 必须是非负整数，但传入的是 {seed!r}。",
                             f"The value for `seed` must be a non-negative integer, but {seed!r} was passed.")
    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp-", dir=out.parent))
    try:
        _generate(tmp, scale=scale, seed=int(seed), fmt=fmt,
                  n_communities=_n_communities, n_districts=_n_districts)
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


# --- output folder ----------------------------------------------------------


def _is_previous_output(path: Path) -> bool:
    meta = path / "dataset.json"
    if not meta.is_file() or not (path / "truth.json").is_file():
        return False
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(m.get("synthetic")) and str(m.get("generator", "")).startswith("evalkit.synthetic")


def _check_target(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise ParameterError(f"输出路径 {out} 已存在且不是文件夹。",
                             f"The output path {out} exists and is not a folder.")
    if any(out.iterdir()) and not _is_previous_output(out):
        raise ParameterError(
            f"输出文件夹 {out} 不为空，且不是此前 evalkit synth 的输出；为避免覆盖数据，已停止。",
            f"The output folder {out} is not empty and is not a previous evalkit synth output; "
            "stopped so as not to overwrite data.")


def _replace(tmp: Path, out: Path) -> None:
    os.chmod(tmp, 0o755)
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=out.name + ".old-", dir=out.parent))
        old.rmdir()
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


# --- writers ----------------------------------------------------------------

_S, _I, _F, _D, _B = pa.string(), pa.int64(), pa.float64(), pa.date32(), pa.bool_()
SCHEMAS = {
    "communities": [("community_id", _S), ("community_name", _S), ("city", _S), ("district", _S),
                    ("street", _S), ("community_type", _S), ("households", _I),
                    ("population", _I), ("pilot", _B), ("pilot_start", _D)],
    "community_years": [("community_id", _S), ("year", _I), ("households", _I), ("population", _I),
                        ("party_members_registered", _I), ("party_members_floating", _I),
                        ("grid_workers", _I)],
    "disputes": [("case_id", _S), ("community_id", _S), ("reported_on", _D), ("category", _S),
                 ("source", _S), ("status", _S), ("resolved_on", _D), ("method", _S)],
    "volunteers": [("volunteer_id", _S), ("community_id", _S), ("registered_on", _D),
                   ("left_on", _D), ("birth_year", _I), ("gender", _S), ("party_member", _B)],
    "volunteer_hours": [("record_id", _S), ("volunteer_id", _S), ("served_on", _D),
                        ("hours", _F), ("service_type", _S)],
    "cadres": [("person_id", _S), ("community_id", _S), ("term_year", _I), ("role", _S),
               ("birth_year", _I), ("gender", _S), ("education", _S), ("party_member", _B),
               ("certified_social_worker", _B), ("concurrent_director", _B)],
    "survey_responses": [("respondent_id", _S), ("community_id", _S), ("wave", _I),
                         ("weight", _F), ("stratum", _S), ("psu", _S), ("fpc", _F)]
    + [(it[0], _I) for it in ITEMS],
    "survey_items": [("item_id", _S), ("text_zh", _S), ("text_en", _S), ("dimension", _S),
                     ("scale_min", _I), ("scale_max", _I), ("reverse", _B)],
    "targets": [("indicator", _S), ("level", _S), ("unit_id", _S), ("year", _I), ("target", _F)],
}


#: Blocks are buffered up to this many rows, then written (one Parquet row group).
ROW_GROUP_ROWS = 1 << 17


class _Writer:
    """One open file per table; ``write`` buffers a block, flushed every ~130k rows."""

    def __init__(self, folder: Path, fmt: str):
        self.folder, self.fmt, self.open, self.buffer = folder, fmt, {}, {}

    def write(self, name: str, cols: dict) -> None:
        schema = pa.schema(SCHEMAS[name])
        table = pa.table({f.name: _arr(cols[f.name], f.type) for f in schema}, schema=schema)
        buf = self.buffer.setdefault(name, [])
        buf.append(table)
        if sum(t.num_rows for t in buf) >= ROW_GROUP_ROWS:
            self._flush(name)

    def _flush(self, name: str) -> None:
        buf = self.buffer.pop(name, [])
        if not buf:
            return
        schema = buf[0].schema
        table = pa.concat_tables(buf).combine_chunks()
        if name not in self.open:
            path = self.folder / f"{name}.{self.fmt}"
            if self.fmt == "csv":
                import pyarrow.csv as pcsv

                fh = open(path, "wb")
                fh.write(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel in Chinese opens it
                w = pcsv.CSVWriter(fh, schema, write_options=pcsv.WriteOptions(
                    include_header=True, quoting_style="needed"))
                self.open[name] = (w, fh)
            else:
                import pyarrow.parquet as pq

                w = pq.ParquetWriter(path, schema, compression="zstd", compression_level=3,
                                     version="2.6", use_dictionary=True, write_statistics=True,
                                     store_schema=True)
                self.open[name] = (w, None)
        writer, fh = self.open[name]
        if fh is None:  # Parquet: the whole buffer is one row group
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
        else:
            writer.write_table(table)

    def close(self, flush: bool = True) -> None:
        if flush:
            for name in list(self.buffer):
                self._flush(name)
        for w, fh in self.open.values():
            w.close()
            if fh is not None:
                fh.close()
        self.open = {}


def _arr(v, typ):
    if isinstance(v, (pa.Array, pa.ChunkedArray)):
        return v.cast(typ) if v.type != typ else v
    if isinstance(v, np.ma.MaskedArray):
        data, mask = np.ma.getdata(v), np.ma.getmaskarray(v)
        if typ == _D:
            return pa.array(data.astype("datetime64[D]").astype(np.int32), mask=mask).cast(_D)
        return pa.array(data, mask=mask, type=typ)
    v = np.asarray(v)
    if typ == _D:
        return pa.array(v.astype("datetime64[D]").astype(np.int32)).cast(_D)
    return pa.array(v, type=typ)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, s, "")


def _take(strings, idx) -> pa.Array:
    return pc.take(pa.array(list(strings), type=pa.string()), pa.array(np.asarray(idx, dtype=np.int64)))


def _cat(rng, probs, n) -> np.ndarray:
    """Vectorised categorical draws; ``probs`` is (k,) or (n, k)."""
    cum = np.cumsum(np.asarray(probs, dtype=float), axis=-1)
    cum = cum / cum[..., -1:]
    u = rng.random(n)
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), cum.size - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


# --- generation -------------------------------------------------------------


def _district_names(n: int) -> list[str]:
    if n <= len(DISTRICT_NAMES):
        return list(DISTRICT_NAMES[:n])
    names = [a + b + "区" for a in _D1 for b in _D2]
    return names[:n]


def _month_axis():
    months = np.arange(len(YEARS) * 12)
    start = (np.datetime64(f"{YEARS[0]}-01", "M") + months).astype("datetime64[D]")
    end = (np.datetime64(f"{YEARS[0]}-01", "M") + months + 1).astype("datetime64[D]")
    return months, start, (end - start).astype(np.int64)


def _year_factor() -> np.ndarray:
    """A(y): mean over the year's months of season × trend^t (t = m/12)."""
    m = np.arange(len(YEARS) * 12)
    f = SEASON[m % 12] * TREND_IRR ** (m / 12.0)
    return f.reshape(len(YEARS), 12).mean(axis=1)


def _generate(folder: Path, *, scale: str, seed: int, fmt: str,
              n_communities: int | None, n_districts: int | None) -> None:
    p = dict(SCALES[scale])
    n_c = int(n_communities or p["communities"])
    n_d = int(n_districts or min(p["districts"], max(1, n_c // 6)))
    sizes = np.full(n_d, n_c // n_d)
    sizes[: n_c % n_d] += 1
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    width = max(4, len(str(n_c)))
    dnames = _district_names(n_d)
    city = "示例市"
    cities = [city] * n_d if scale != "province" else [
        f"示例{'甲乙丙丁戊己庚辛壬癸'[(d // 10) % 10]}{'' if d < 100 else '二'}市" for d in range(n_d)]

    w = _Writer(folder, fmt)
    counters = dict(case=0, vol=0, rec=0, person=0)
    pilots = []  # (cohort, base_rate)
    base_all = []
    sat_never = []
    try:
        for d in range(n_d):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(d,)))
            info = _district(w, rng, d=d, district=dnames[d], city=cities[d],
                             first=int(offsets[d]), n=int(sizes[d]), width=width, p=p,
                             counters=counters)
            pilots.extend(info["pilots"])
            base_all.append(info["base"])
            sat_never.append(info["sat_mean"])
        _write_items(w)
        _write_targets(w, dnames[0])
    except BaseException:
        w.close(flush=False)
        raise
    w.close()

    meta = {
        "name": "示例市社区治理合成数据 / synthetic community governance data",
        "city": city if scale != "province" else "示例省",
        "source": "evalkit synth 生成的合成数据，不是真实记录 / generated by evalkit synth, not real records",
        "as_of": AS_OF, "synthetic": True, "scale": scale, "seed": seed,
        "generator": f"evalkit.synthetic {_version()}",
    }
    _write_json(folder / "dataset.json", meta)
    _write_json(folder / "truth.json", _truth(scale, seed, n_c, n_d, p, pilots,
                                              np.concatenate(base_all), sat_never))


def _version() -> str:
    from evalkit import __version__

    return __version__


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _r(x, digits=10):
    return float(f"{float(x):.{digits}g}")


def _truth(scale, seed, n_c, n_d, p, pilots, base, sat_never) -> dict:
    afac = _year_factor()
    cohorts = {}
    for g in COHORTS:
        b = np.array([bb for gg, bb in pilots if gg == g])
        if b.size == 0:
            continue
        post = [i for i, y in enumerate(YEARS) if y >= g]
        cohorts[g] = (b.size, float(np.mean([b.mean() * afac[i] * (PILOT_RR - 1) for i in post])))
    n_p = sum(v[0] for v in cohorts.values())
    att = sum(v[0] * v[1] for v in cohorts.values()) / n_p if n_p else None
    # satisfaction: expected index from the answer probabilities, with and without uplift
    p0 = np.mean(SAT_COMMUNITY)
    e0 = np.mean(100 * (p0 + NONOVERALL_OFFSETS - NONOVERALL_OFFSETS.mean()))
    e1 = np.mean(100 * (p0 + UPLIFT / 100 + NONOVERALL_OFFSETS - NONOVERALL_OFFSETS.mean()))
    sat_never = [s for s in sat_never if s is not None]
    return {
        "scale": scale, "seed": seed, "years": list(YEARS), "as_of": AS_OF,
        "n_communities": n_c, "n_districts": n_d,
        "first_piloted_rule": "year of pilot_start if on or before 06-30, else the next year",
        "pilot_cohorts": {str(g): v[0] for g, v in cohorts.items()},
        "n_pilot": n_p, "n_never_piloted": n_c - n_p,
        "dispute_count_model": "poisson",
        "dispute_trend_irr": TREND_IRR,
        "pilot_dispute_rr": PILOT_RR,
        "pilot_dispute_rate_att": None if att is None else _r(att),
        "pilot_dispute_rate_att_by_cohort": {str(g): _r(v[1]) for g, v in cohorts.items()},
        "dispute_base_rate_mean": _r(base.mean()),
        "dispute_season": [_r(s) for s in SEASON],
        "dispute_property_share_by_type": {t: CAT_PROBS[t][0] for t in TYPES},
        "dispute_resolution_prob": RESOLVE_P,
        "dispute_median_days": float(np.ceil(RESOLVE_MEDIAN_DAYS)),
        "satisfaction_uplift": UPLIFT,
        "satisfaction_uplift_check": _r(e1 - e0),
        "satisfaction_index_mean": _r(float(np.mean(sat_never))) if sat_never else None,
        "cadre_terms": list(TERMS),
        "cadre_college_share_by_term": {str(k): v for k, v in COLLEGE_BY_TERM.items()},
        "resettlement_cadre_mean_age_target": RESETTLE_AGE,
        "resettlement_cadre_junior_high_or_below_share": _r(RESETTLE_EDU[:2].sum()),
        "volunteer_registration_share_mean": p["vol_share"],
    }


def _district(w: _Writer, rng, *, d, district, city, first, n, width, p, counters) -> dict:
    ny = len(YEARS)
    cidx = np.arange(first, first + n)
    cids = _ids("C", cidx + 1, width)
    cid_list = cids.to_pylist()

    # --- communities ---
    tprob = np.array([TYPE_PARAMS[t][0] for t in TYPES])
    ctype = _cat(rng, tprob, n)
    med = np.array([TYPE_PARAMS[t][1] for t in TYPES])[ctype]
    hh24 = np.maximum(200, np.round(med * np.exp(rng.normal(0, 0.35, n)))).astype(np.int64)
    pph_lo = np.array([TYPE_PARAMS[t][2][0] for t in TYPES])[ctype]
    pph_hi = np.array([TYPE_PARAMS[t][2][1] for t in TYPES])[ctype]
    pph = rng.uniform(pph_lo, pph_hi)
    n_streets = max(1, min(len(STREETS), int(round(n / 5))))
    street_pick = rng.choice(len(STREETS), size=n_streets, replace=False)
    street = street_pick[np.sort(rng.integers(0, n_streets, n))]
    c1 = rng.integers(0, len(_C1), n)
    c2 = rng.integers(0, len(_C1), n)
    names = [f"{_C1[a]}{_C1[b]}{_SUFFIX[TYPES[t]]}" for a, b, t in zip(c1, c2, ctype)]
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):  # per community (small): make names unique in the district
        k = seen.get(nm, 0)
        seen[nm] = k + 1
        if k:
            names[i] = nm.replace("社区", f"{'一二三四五六七八九'[min(k, 8)]}社区")

    # pilots: a third, cohorts by first piloted year
    n_pilot = int(round(n / 3))
    pilot = np.zeros(n, bool)
    pilot[rng.choice(n, n_pilot, replace=False)] = True
    cohort = np.zeros(n, np.int64)
    cohort[pilot] = np.array(COHORTS)[rng.integers(0, len(COHORTS), n_pilot)]
    after_june = rng.random(n) < 0.25
    start_year = np.where(after_june, cohort - 1, cohort)
    day0 = np.where(after_june, np.datetime64("2000-07-01") - np.datetime64("2000-01-01"), 0)
    span = np.where(after_june, 184, 181)
    doy = day0 + np.floor(rng.random(n) * span).astype(np.int64)
    ystart = (start_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    pstart = np.ma.masked_array(ystart + doy, mask=~pilot)

    # community_years
    growth = rng.uniform(0.99, 1.04, n)
    yrs = np.array(YEARS)
    hh = np.round(hh24[:, None] * growth[:, None] ** (yrs[None, :] - YEARS[-1])
                  * (1 + rng.normal(0, 0.005, (n, ny)))).astype(np.int64)
    hh[:, -1] = hh24
    pop = np.round(hh * (pph[:, None] + rng.normal(0, 0.02, (n, ny)))).astype(np.int64)
    party = pop * rng.uniform(0.02, 0.045, n)[:, None]
    flo_lo = np.array([TYPE_PARAMS[t][4][0] for t in TYPES])[ctype]
    flo_hi = np.array([TYPE_PARAMS[t][4][1] for t in TYPES])[ctype]
    flo_share = rng.uniform(flo_lo, flo_hi)[:, None] * np.linspace(0.9, 1.0, ny)[None, :]
    floating = np.round(party * flo_share).astype(np.int64)
    registered = np.round(party * (1 - flo_share)).astype(np.int64)
    per_grid = rng.uniform(600, 900, n)[:, None] * np.linspace(1.15, 1.0, ny)[None, :]
    grid = np.maximum(1, np.ceil(hh / per_grid)).astype(np.int64)

    w.write("communities", {
        "community_id": cids, "community_name": pa.array(names, pa.string()),
        "city": _take([city], np.zeros(n)), "district": _take([district], np.zeros(n)),
        "street": _take([s + "街道" for s in STREETS], street),
        "community_type": _take(TYPES, ctype), "households": hh24, "population": pop[:, -1],
        "pilot": pilot, "pilot_start": pstart,
    })
    rows = np.repeat(np.arange(n), ny)
    w.write("community_years", {
        "community_id": pc.take(cids, pa.array(rows)), "year": np.tile(yrs, n),
        "households": hh.ravel(), "population": pop.ravel(),
        "party_members_registered": registered.ravel(),
        "party_members_floating": floating.ravel(), "grid_workers": grid.ravel(),
    })

    base = _disputes(w, rng, n=n, cids=cids, ctype=ctype, hh=hh, cohort=cohort,
                     pilot=pilot, p=p, counters=counters)
    _volunteers(w, rng, n=n, cids=cids, pop=pop, p=p, counters=counters)
    _cadres(w, rng, n=n, cids=cids, ctype=ctype, grid=grid, counters=counters)
    sat_mean = _survey(w, rng, n=n, cids=cids, hh=hh, pilot=pilot, cohort=cohort,
                       district=district, p=p)
    return {"pilots": list(zip(cohort[pilot].tolist(), base[pilot].tolist())), "base": base,
            "sat_mean": sat_mean}


def _disputes(w, rng, *, n, cids, ctype, hh, cohort, pilot, p, counters) -> np.ndarray:
    months, mstart, mdays = _month_axis()
    nm = months.size
    fac = np.array([TYPE_PARAMS[t][3] for t in TYPES])[ctype]
    base = p["dispute_base"] * fac * np.exp(rng.normal(0, 0.3, n) - 0.045)
    year_of_m = np.array(YEARS)[months // 12]
    treated = pilot[:, None] & (year_of_m[None, :] >= cohort[:, None])
    mu = (hh[:, months // 12] / 1000.0 * base[:, None] / 12.0 * SEASON[months % 12][None, :]
          * TREND_IRR ** (months / 12.0)[None, :] * np.where(treated, PILOT_RR, 1.0))
    counts = rng.poisson(mu)
    cell = np.repeat(np.arange(n * nm), counts.ravel())
    k = cell.size
    com, mon = cell // nm, cell % nm
    reported = mstart[mon] + np.floor(rng.random(k) * mdays[mon]).astype(np.int64)
    # sort by date within the district for a natural ledger order
    order = np.lexsort((com, reported))
    com, mon, reported = com[order], mon[order], reported[order]
    cat = _cat(rng, np.array([CAT_PROBS[t] for t in TYPES])[ctype[com]], k)
    src = _cat(rng, SOURCE_PROBS, k)
    u = rng.random(k)
    outcome = np.where(u < RESOLVE_P, 0, np.where(u < RESOLVE_P + ESCALATE_P, 1, 2))
    days = np.where(outcome == 0,
                    np.ceil(RESOLVE_MEDIAN_DAYS * np.exp(rng.normal(0, RESOLVE_SIGMA, k))),
                    np.where(outcome == 1, rng.integers(3, 21, k), rng.integers(30, 91, k)))
    done = reported + days.astype(np.int64)
    as_of = np.datetime64(AS_OF, "D")
    open_ = done > as_of
    status = np.where(open_, 1, np.array([0, 2, 3])[outcome])  # resolved in_progress escalated unresolved
    resolved = status == 0
    method = _cat(rng, METHOD_PROBS, k)
    ids = _ids("D", counters["case"] + 1 + np.arange(k), 9)
    counters["case"] += k
    w.write("disputes", {
        "case_id": ids, "community_id": pc.take(cids, pa.array(com)),
        "reported_on": reported, "category": _take(CATS, cat), "source": _take(SOURCES, src),
        "status": _take(("resolved", "in_progress", "escalated", "unresolved"), status),
        "resolved_on": np.ma.masked_array(done, mask=~resolved),
        "method": pc.if_else(pa.array(resolved), _take(METHODS, method), pa.nulls(k, pa.string())),
    })
    return base


def _volunteers(w, rng, *, n, cids, pop, p, counters) -> None:
    share = p["vol_share"] * np.exp(rng.normal(0, 0.5, n) - 0.125)
    nv = rng.poisson(pop[:, -1] * share)
    com = np.repeat(np.arange(n), nv)
    k = com.size
    as_of = np.datetime64(AS_OF, "D")
    start = np.datetime64("2015-01-01", "D")
    span = (as_of - start).astype(np.int64)
    reg = start + np.floor(span * rng.random(k) ** 0.7).astype(np.int64)  # more recent more likely
    leaves = rng.random(k) < 0.12
    left = reg + 30 + np.floor(rng.random(k) * np.maximum(0, (as_of - reg).astype(np.int64) - 30)).astype(np.int64)
    leaves &= left <= as_of
    byear = rng.integers(1950, 2006, k)
    female = rng.random(k) < 0.6
    party = rng.random(k) < 0.25
    order = np.lexsort((com, reg))
    com, reg, left, leaves, byear, female, party = (a[order] for a in (com, reg, left, leaves, byear, female, party))
    vnum = counters["vol"] + 1 + np.arange(k)
    counters["vol"] += k
    vids = _ids("V", vnum, 8)
    w.write("volunteers", {
        "volunteer_id": vids, "community_id": pc.take(cids, pa.array(com)),
        "registered_on": reg, "left_on": np.ma.masked_array(left, mask=~leaves),
        "birth_year": byear, "gender": _take(("male", "female"), female.astype(int)),
        "party_member": party,
    })
    # service records within [max(reg, 2020-01-01), min(left, as_of)]
    lo = np.maximum(reg, np.datetime64(f"{YEARS[0]}-01-01", "D"))
    hi = np.where(leaves, left, as_of)
    expo = np.maximum(0, (hi - lo).astype(np.int64) + 1)
    level = rng.gamma(0.8, p["vol_rate"] / 0.8, k) * np.where(party, 1.3, 1.0)
    nrec = rng.poisson(level * expo / 365.25)
    v = np.repeat(np.arange(k), nrec)
    m = v.size
    served = lo[v] + np.floor(rng.random(m) * expo[v]).astype(np.int64)
    order = np.lexsort((v, served))
    v, served = v[order], served[order]
    hours = HOURS[_cat(rng, HOURS_P, m)]
    stype = _cat(rng, SERVICE_PROBS, m)
    rids = _ids("H", counters["rec"] + 1 + np.arange(m), 10)
    counters["rec"] += m
    w.write("volunteer_hours", {
        "record_id": rids, "volunteer_id": pc.take(vids, pa.array(v)), "served_on": served,
        "hours": hours, "service_type": _take(SERVICES, stype),
    })


def _cadres(w, rng, *, n, cids, ctype, grid, counters) -> None:
    res = ctype == TYPES.index("resettlement")
    prev = None  # (key, person number, birth year, female, education)
    for ti, term in enumerate(TERMS):
        n_main = np.clip(6 + rng.poisson(1.5, n) + (ti > 0), 6, 12)
        n_grid = grid[:, max(0, min(len(YEARS) - 1, term - YEARS[0]))]
        tot = n_main + n_grid
        com = np.repeat(np.arange(n), tot)
        slot = np.arange(com.size) - np.repeat(np.cumsum(tot) - tot, tot)
        is_grid = slot >= n_main[com]
        k = com.size
        concurrent = rng.random(n) < (0.3, 0.5, 0.7)[ti]
        role = np.full(k, ROLES.index("staff"))
        role[slot == 0] = ROLES.index("secretary")
        role[(slot == 1)] = np.where(concurrent[com[slot == 1]], ROLES.index("deputy_secretary"),
                                     ROLES.index("director"))
        role[slot == 2] = ROLES.index("deputy_secretary")
        role[(slot >= 3) & (slot <= 5)] = ROLES.index("committee")
        role[is_grid] = ROLES.index("grid_worker")
        rres = res[com] & ~is_grid
        main = ~is_grid
        # education: hit the city-wide college-or-above target among non-grid cadres
        target = COLLEGE_BY_TERM[term]
        n_all, n_res = main.sum(), rres.sum()
        res_col = RESETTLE_EDU[3:].sum()
        # carry any shortfall of earlier districts forward (keeps streaming possible)
        done_n, done_col = counters.get(("cadre", term), (0, 0.0))
        pcol = np.clip((target * (done_n + n_all) - done_col - res_col * n_res)
                       / max(1, n_all - n_res), 0, 1)
        counters[("cadre", term)] = (done_n + n_all,
                                     done_col + pcol * (n_all - n_res) + res_col * n_res)
        normal = np.r_[np.array([0.05, 0.25, 0.70]) * (1 - pcol), np.array([0.45, 0.50, 0.05]) * pcol]
        probs = np.where(rres[:, None], RESETTLE_EDU[None, :],
                         np.where(is_grid[:, None], GRID_EDU[None, :], normal[None, :]))
        edu = _cat(rng, probs, k)
        age = np.where(is_grid, rng.normal(34, 6, k),
                       np.where(rres, rng.normal(RESETTLE_AGE, 5, k), rng.normal(43, 8, k)))
        age = np.where(rres, np.clip(age, 38, 68), np.clip(age, 22, 62)) + 3 * (slot == 0)
        byear = np.round(term - age).astype(np.int64)
        female = rng.random(k) < np.where(slot == 0, 0.45, 0.6)
        key = com * 1000 + slot
        pnum = counters["person"] + 1 + np.arange(k)
        if prev is not None:
            pkey, pp, pb, pf, pe = prev
            pos = np.searchsorted(pkey, key)
            pos_c = np.minimum(pos, pkey.size - 1)
            has = (pkey.size > 0) & (pkey[pos_c] == key)
            cont = has & (rng.random(k) < 0.45) & (edu >= pe[pos_c])
            pnum = np.where(cont, pp[pos_c], pnum)
            byear = np.where(cont, pb[pos_c], byear)
            female = np.where(cont, pf[pos_c], female)
        counters["person"] += k
        party = np.where(np.isin(role, [ROLES.index(r) for r in ("secretary", "deputy_secretary", "committee")]),
                         True, rng.random(k) < np.where(role == ROLES.index("director"), 0.9,
                                                        np.where(is_grid, 0.5, 0.6)))
        cert = rng.random(k) < np.where(is_grid, 0.2, (0.2, 0.35, 0.5)[ti])
        conc = np.ma.masked_array(concurrent[com], mask=slot != 0)
        w.write("cadres", {
            "person_id": _ids("P", pnum, 8), "community_id": pc.take(cids, pa.array(com)),
            "term_year": np.full(k, term), "role": _take(ROLES, role), "birth_year": byear,
            "gender": _take(("male", "female"), female.astype(int)),
            "education": _take(EDUCATION_ORDER, edu), "party_member": party,
            "certified_social_worker": cert, "concurrent_director": conc,
        })
        prev = (key, pnum, byear, female, edu)


def _survey(w, rng, *, n, cids, hh, pilot, cohort, district, p):
    ny = len(YEARS)
    nb = np.maximum(3, np.round(hh[:, -1] / 120)).astype(np.int64)  # buildings
    fpc = float(nb.sum())
    b_first = np.cumsum(nb) - nb
    nbt = int(nb.sum())
    b_com = np.repeat(np.arange(n), nb)
    b_num = np.arange(nbt) - b_first[b_com]
    b_size = rng.uniform(0.6, 1.4, nbt)
    b_hh = hh[b_com, -1] * b_size / np.bincount(b_com, b_size, n)[b_com]
    b_eff = rng.uniform(-SAT_BUILDING, SAT_BUILDING, nbt)
    lo, hi = SAT_COMMUNITY
    c_mu = lo + (hi - lo) * rng.beta(3, 3, n)
    # respondents per community-wave; one cell per district below 10 (for suppression)
    nresp = np.maximum(15, rng.poisson(p["survey_n"], (n, ny)))
    nresp.flat[rng.integers(0, n * ny)] = rng.integers(5, 10)
    sat_never = []
    for wi, wave in enumerate(YEARS):
        nr = nresp[:, wi]
        nsamp = np.minimum(nb, np.maximum(2, np.round(nr / 6))).astype(np.int64)
        # sample buildings: the nsamp smallest random keys within each community
        key = rng.random(nbt)
        order = np.lexsort((key, b_com))
        rank = np.empty(nbt, np.int64)
        rank[order] = np.arange(nbt) - b_first[b_com[order]]
        chosen = np.flatnonzero(rank < nsamp[b_com])
        chosen = chosen[np.lexsort((rank[chosen], b_com[chosen]))]  # community, rank
        ch_first = np.cumsum(nsamp) - nsamp
        r_com = np.repeat(np.arange(n), nr)
        r_seq = np.arange(r_com.size) - np.repeat(np.cumsum(nr) - nr, nr)
        r_b = chosen[ch_first[r_com] + r_seq % nsamp[r_com]]
        m_b = np.bincount(r_b, minlength=nbt)
        k = r_com.size
        up = np.where(pilot[r_com] & (wave >= cohort[r_com]), UPLIFT / 100.0, 0.0)
        pr = c_mu[r_com] + b_eff[r_b] + rng.uniform(-SAT_RESPONDENT, SAT_RESPONDENT, k) + up
        offs = np.array([it[5] for it in ITEMS])
        offs = offs - np.where([it[1] != "overall" for it in ITEMS], NONOVERALL_OFFSETS.mean(), 0)
        pij = pr[:, None] + offs[None, :]
        if pij.min() < -1e-9 or pij.max() > 1 + 1e-9:  # pragma: no cover - bounds guarantee it
            raise AssertionError("answer probability outside [0, 1]")
        pij = np.clip(pij, 0.0, 1.0)  # rounding only
        x = 1 + rng.binomial(4, pij)
        rev = np.array([it[2] for it in ITEMS])
        x = np.where(rev[None, :], 6 - x, x)
        x = np.where(rng.random(x.shape) < MISSING_P, 9, x)
        never = ~pilot[r_com]
        if never.any():
            sat_never.append(100 * pr[never].mean())
        weight = np.round(nb[r_com] / nsamp[r_com] * b_hh[r_b] / m_b[r_b]
                          * np.exp(rng.normal(0, 0.15, k)), 4)
        cid_r = pc.take(cids, pa.array(r_com))
        cols = {
            "respondent_id": pc.binary_join_element_wise(
                cid_r, _ids(f"-{wave}-R", r_seq + 1, 3), ""),
            "community_id": cid_r, "wave": np.full(k, wave), "weight": weight,
            "stratum": _take([district], np.zeros(k)),
            "psu": pc.binary_join_element_wise(
                pc.take(cids, pa.array(b_com[r_b])), _ids("-B", b_num[r_b] + 1, 2), ""),
            "fpc": np.full(k, fpc),
        }
        for j, it in enumerate(ITEMS):
            cols[it[0]] = x[:, j]
        w.write("survey_responses", cols)
    return float(np.mean(sat_never)) if sat_never else None


def _write_items(w: _Writer) -> None:
    w.write("survey_items", {
        "item_id": [it[0] for it in ITEMS], "text_zh": [it[3] for it in ITEMS],
        "text_en": [it[4] for it in ITEMS], "dimension": [it[1] for it in ITEMS],
        "scale_min": [1] * len(ITEMS), "scale_max": [5] * len(ITEMS),
        "reverse": [it[2] for it in ITEMS],
    })


def _write_targets(w: _Writer, first_district: str) -> None:
    rows = [
        ("dispute_resolution_rate", "city", None, 2024, 0.9),
        ("satisfaction_index", "district", None, 2024, 65.0),
        ("satisfaction_overall_top2", "city", None, 2024, 0.8),
        ("cadre_college_share", "city", None, 2024, 0.8),
        ("community_workers_per_10k", "district", None, None, 18.0),
        ("volunteer_registration_rate", "district", first_district, 2024, 2.56),
    ]
    w.write("targets", {
        "indicator": [r[0] for r in rows], "level": [r[1] for r in rows],
        "unit_id": pa.array([r[2] for r in rows], pa.string()),
        "year": pa.array([r[3] for r in rows], pa.int64()),
        "target": [r[4] for r in rows],
    })
