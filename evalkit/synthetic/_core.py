"""``synth``: the output folder, the district loop, truth.json and the small tables."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.exceptions import ParameterError, check_choice
from evalkit.synthetic._params import (
    AS_OF, CAT_PROBS, COHORTS, COLLEGE_BY_TERM, DISTRICT_NAMES, HOURS, HOURS_P, ITEMS,
    NONOVERALL_OFFSETS, PILOT_RR, RESETTLE_AGE, RESETTLE_EDU, RESOLVE_MEDIAN_DAYS, RESOLVE_P,
    SAT_COMMUNITY, SCALES, SEASON, STREETS, TERMS, TREND_IRR, TYPES, TYPE_PARAMS, UPLIFT,
    VOL_ACTIVE_BETA, VOL_ACTIVE_BETA_PARTY, VOL_EXTRA_RECORDS, VOL_PARTY_P, YEARS, _C1, _D1,
    _D2, _SUFFIX, MEETING_RATE, PART_TIME_EXTRA, PILOT_CLOSE_FACTOR, PILOT_MEETING_RR, REQUEST_SIGMA,
    RESPONSE_DAYS_P, SWEEP_FOUND_P, VISIT_RATE, NEEDS_MEAN, NEEDS_RECORDED_P,
)
from evalkit.synthetic._extremes import PlantedWriter
from evalkit.synthetic import _ledgers as L
from evalkit.synthetic._records import _cadres, _disputes, _survey, _volunteers
from evalkit.synthetic._writer import _cat, _ids, _take, _Writer


def synth(out, *, scale: str = "demo", seed: int = 20241, fmt: str | None = None,
          _n_communities: int | None = None, _n_districts: int | None = None, extremes: bool = False) -> Path:
    """Write a synthetic dataset with known planted effects.

    Parameters
    ----------
    out : str or Path
        Output folder.  It must not exist, be empty, or hold a previous synth
        output (which is then replaced).
    scale : {"demo", "city", "province"}
        demo: 5 districts, 60 communities (~4 MB of CSV); city: 10
        districts, 1,000 larger communities (~500,000 cases, ~1 million
        service records); province: 200 districts, 20,000 communities,
        streamed.  Per-community rates are the same at every scale.
    seed : int
        Random seed; the same seed gives byte-identical files.
    fmt : {"csv", "parquet"}, optional
        File format; default csv for demo, parquet otherwise.
    extremes : bool
        Plant a best and a worst community (evalkit.synthetic._extremes); truth.json names them.

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
                  n_communities=_n_communities, n_districts=_n_districts, extremes=extremes)
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



# --- generation -------------------------------------------------------------


def _district_names(n: int) -> list[str]:
    if n <= len(DISTRICT_NAMES):
        return list(DISTRICT_NAMES[:n])
    names = [a + b + "区" for a in _D1 for b in _D2]
    return names[:n]




def _year_factor() -> np.ndarray:
    """A(y): mean over the year's months of season × trend^t (t = m/12)."""
    m = np.arange(len(YEARS) * 12)
    f = SEASON[m % 12] * TREND_IRR ** (m / 12.0)
    return f.reshape(len(YEARS), 12).mean(axis=1)


def _generate(folder: Path, *, scale: str, seed: int, fmt: str,
              n_communities: int | None, n_districts: int | None, extremes: bool = False) -> None:
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
    if extremes:
        w = PlantedWriter(w)
    counters = dict(case=0, vol=0, rec=0, person=0)
    pilots = []  # (cohort, base_rate)
    base_all, never_base = [], []
    sat_never = []
    meetings, never_meetings = [], []  # (cohort, monthly meeting rate); never-piloted rates
    try:
        for d in range(n_d):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(d,)))
            info = _district(w, rng, seed=seed, d=d, district=dnames[d], city=cities[d],
                             first=int(offsets[d]), n=int(sizes[d]), width=width, p=p,
                             counters=counters)
            pilots.extend(info["pilots"])
            base_all.append(info["base"])
            never_base.append(info["never_base"])
            sat_never.append(info["sat_mean"])
            meetings.extend(info["meetings"])
            never_meetings.append(info["never_meetings"])
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
    truth = _truth(scale, seed, n_c, n_d, p, pilots, np.concatenate(base_all), np.concatenate(never_base),
                   sat_never)
    truth.update(_ledger_truth(meetings, np.concatenate(never_meetings)))
    if extremes:
        truth.update(w.truth())
    _write_json(folder / "truth.json", truth)


def _version() -> str:
    from evalkit import __version__

    return __version__


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _r(x, digits=10):
    return float(f"{float(x):.{digits}g}")


def _truth(scale, seed, n_c, n_d, p, pilots, base, never_base, sat_never) -> dict:
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
    # volunteers: expected activity of a volunteer registered the whole year
    act = ((1 - VOL_PARTY_P) * VOL_ACTIVE_BETA[0] / sum(VOL_ACTIVE_BETA)
           + VOL_PARTY_P * VOL_ACTIVE_BETA_PARTY[0] / sum(VOL_ACTIVE_BETA_PARTY))
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
        "dispute_rate_never_piloted_by_year": (
            {str(y): _r(never_base.mean() * afac[i]) for i, y in enumerate(YEARS)}
            if never_base.size else None),
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
        "volunteer_active_prob_full_year": _r(act),
        "volunteer_records_per_active_full_year": 1 + VOL_EXTRA_RECORDS,
        "volunteer_hours_per_record_mean": _r(float(HOURS @ HOURS_P)),
    }


def _ledger_truth(meetings, never_rate) -> dict:
    """truth.json keys of the five ledgers (see the module docstring)."""
    cohorts = {}
    for g in COHORTS:
        b = np.array([r for gg, r in meetings if gg == g])
        if b.size:  # 12 months x (RR - 1) x the cohort's mean monthly rate, in every post year
            cohorts[g] = (b.size, 12 * (PILOT_MEETING_RR - 1) * float(b.mean()))
    n_p = sum(v[0] for v in cohorts.values())
    on0, on1 = L.ontime_probability(1.0), L.ontime_probability(PILOT_CLOSE_FACTOR)
    return {
        "meeting_rate_per_month_mean": MEETING_RATE,
        "meeting_count_never_piloted_mean": _r(12 * never_rate.mean()) if never_rate.size else None,
        "pilot_meeting_rr": PILOT_MEETING_RR,
        "pilot_meeting_count_att": (_r(sum(v[0] * v[1] for v in cohorts.values()) / n_p) if n_p else None),
        "pilot_meeting_count_att_by_cohort": {str(g): _r(v[1]) for g, v in cohorts.items()},
        "pilot_request_close_factor": PILOT_CLOSE_FACTOR,
        "request_ontime_never_piloted": _r(on0),
        "request_ontime_piloted": _r(on1),
        "pilot_request_ontime_att": _r(on1 - on0),
        "request_median_days_never_piloted": L.median_days(1.0),
        "request_median_days_piloted": L.median_days(PILOT_CLOSE_FACTOR),
        "hotline_response_in_time_prob": _r(RESPONSE_DAYS_P[0] + RESPONSE_DAYS_P[1]),
        "visits_per_household_year": VISIT_RATE,
        "visit_needs_per_visit": _r(NEEDS_MEAN * NEEDS_RECORDED_P),
        "floating_sweep_window": "04-01..07-31 of the first piloted year",
        "floating_sweep_found_prob": SWEEP_FOUND_P,
        "part_time_members_per_big_committee_mean": _r(2 + PART_TIME_EXTRA),
    }


def _district(w: _Writer, rng, *, seed, d, district, city, first, n, width, p, counters) -> dict:
    ny = len(YEARS)
    cidx = np.arange(first, first + n)
    cids = _ids("C", cidx + 1, width)

    # --- communities ---
    tprob = np.array([TYPE_PARAMS[t][0] for t in TYPES])
    ctype = _cat(rng, tprob, n)
    med = np.array([TYPE_PARAMS[t][1] for t in TYPES])[ctype]
    hh24 = np.maximum(200, np.round(med * p["hh_factor"] * np.exp(rng.normal(0, 0.35, n)))).astype(np.int64)
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
    # the ledgers of LEDGERS.md and their columns draw from a second stream: the tables
    # above keep the values they had before those ledgers existed
    rng2 = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(d, 1)))
    extra = L.year_extras(rng2, n=n, hh=hh, pilot=pilot, cohort=cohort)
    rows = np.repeat(np.arange(n), ny)
    w.write("community_years", {
        "community_id": pc.take(cids, pa.array(rows)), "year": np.tile(yrs, n),
        "households": hh.ravel(), "population": pop.ravel(),
        "party_members_registered": registered.ravel(),
        "party_members_floating": floating.ravel(), "grid_workers": grid.ravel(),
        **{k: v.ravel() for k, v in extra.items()},
    })

    base, cases = _disputes(w, rng, n=n, cids=cids, ctype=ctype, hh=hh, cohort=cohort,
                            pilot=pilot, p=p, counters=counters)
    street_names = [STREETS[s] + "街道" for s in street]
    vol = _volunteers(w, rng, n=n, cids=cids, pop=pop, p=p, counters=counters,
                      team=lambda com: L.teams(rng2, com=com, names=names, street_names=street_names))
    _cadres(w, rng, n=n, cids=cids, ctype=ctype, grid=grid, p=p, counters=counters)
    L.part_time_cadres(w, rng2, n=n, cids=cids, big=extra["big_party_committee"], p=p, counters=counters)
    sat_mean = _survey(w, rng, n=n, cids=cids, hh=hh, pilot=pilot, cohort=cohort,
                       district=district, p=p)
    # one activity factor per community for visits and requests (the channel mix stays the same)
    factor = np.exp(rng2.normal(0, REQUEST_SIGMA, n) - REQUEST_SIGMA ** 2 / 2)
    vis = L.visits(w, rng2, n=n, cids=cids, hh=hh, factor=factor, p=p, counters=counters)
    req = L.requests(w, rng2, n=n, cids=cids, hh=hh, factor=factor, pilot=pilot, cohort=cohort, vis=vis,
                     disputes=cases, p=p, counters=counters)
    meet = L.deliberations(w, rng2, n=n, cids=cids, pilot=pilot, cohort=cohort, req=req, p=p,
                           counters=counters)
    L.party_members(w, rng2, n=n, cids=cids, registered=registered[:, -1], floating=floating[:, -1],
                    pilot=pilot, cohort=cohort, vol=vol, oc_members=extra["owners_committee_members"][:, -1],
                    building_heads=extra["building_heads"][:, -1], p=p, counters=counters)
    L.projects(w, rng2, n=n, cids=cids, p=p, counters=counters)
    return {"pilots": list(zip(cohort[pilot].tolist(), base[pilot].tolist())), "base": base,
            "never_base": base[~pilot], "sat_mean": sat_mean,
            "meetings": list(zip(cohort[pilot].tolist(), meet[pilot].tolist())),
            "never_meetings": meet[~pilot]}


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
