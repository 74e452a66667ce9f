"""The five ledgers of LEDGERS.md for one district: visits, requests, deliberations, Party
members, funded projects; and the columns they add to community_years, cadres, volunteers.

Every draw here comes from the district's second random stream, so the tables that
existed before these ledgers (and their truth) are unchanged by them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from evalkit.contract import EDUCATION_ORDER
from evalkit.synthetic._params import (
    AS_OF, ASSESSED_P, AWAY_SHARE, CASE_LINK_P, CLOSE_MEDIAN_DAYS, CLOSE_SIGMA, DUE_DAYS, DUE_DAYS_OTHER,
    FUNDS_MEDIAN, FUNDS_P, FUNDS_SIGMA, IMPLEMENT_MEDIAN_DAYS, IMPLEMENT_P, IMPLEMENT_SIGMA, ISSUE_P,
    ITEM_SOURCE_P, ITEMS_EXTRA, LEFT_SHARE, MEETING_RATE, MEETING_SIGMA, MEETING_TYPES_P, NEEDS_MEAN,
    NEEDS_RECORDED_P, OPEN_P, ORGS_PER_COMMUNITY, OTHER_FOUND_P, OUTCOME_P, PART_TIME_EXTRA,
    PILOT_CLOSE_FACTOR, PILOT_MEETING_RR, PROGRAMME_P, PROJECT_MEDIAN_YUAN, PROJECT_SIGMA,
    PROJECTS_PER_COMMUNITY, PUBLISHED_P, REPORTING_LINK_P, REPORTING_SHARE, REQUEST_RATES,
    REQUEST_TYPE_P, RESOLUTION_P, RESPONSE_DAYS_P, RESPONSE_FLAG_P, SATISFACTION_P,
    SERVICE_AREA_P, SHARED_PROJECT_P, SWEEP_FOUND_P, TEAM_KINDS, TERMS, TRANSFER_P, UNITS_MEAN,
    UNITS_OTHER, UNITS_RECORDED_P, VISIT_MODE_P, VISIT_MONTH, VISIT_RATE, VISIT_REQUEST_P,
    VISITOR_P, YEARS, _C1,
)
from evalkit.synthetic._writer import _cat, _ids, _take

_AS_OF = np.datetime64(AS_OF, "D")
_DAY0 = np.datetime64(f"{YEARS[0]}-01-01", "D")


def _keys(d: dict) -> tuple:
    return tuple(d)


def _p(d: dict) -> np.ndarray:
    return np.array(list(d.values()), float)


def _months():
    months = np.arange(len(YEARS) * 12)
    start = (np.datetime64(f"{YEARS[0]}-01", "M") + months).astype("datetime64[D]")
    end = (np.datetime64(f"{YEARS[0]}-01", "M") + months + 1).astype("datetime64[D]")
    return months, start, (end - start).astype(np.int64)


def _expand(rng, mu):
    """Poisson counts of a (communities, months) mean; (community, month, day) of every event."""
    months, mstart, mdays = _months()
    counts = rng.poisson(mu)
    cell = np.repeat(np.arange(mu.size), counts.ravel())
    com, mon = cell // mu.shape[1], cell % mu.shape[1]
    day = mstart[mon] + np.floor(rng.random(cell.size) * mdays[mon]).astype(np.int64)
    order = np.lexsort((com, day))
    return com[order], mon[order], day[order]


def _masked(values, mask):
    return np.ma.masked_array(values, mask=mask)


def _year(days) -> np.ndarray:
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _pick(rng, owner_sorted, owner_query, valid=None):
    """For each query owner, a random index into ``owner_sorted`` (sorted) with the same
    owner (-1 when it has none, or ``valid`` is False)."""
    lo = np.searchsorted(owner_sorted, owner_query, side="left")
    hi = np.searchsorted(owner_sorted, owner_query, side="right")
    cnt = hi - lo
    idx = lo + np.floor(rng.random(owner_query.size) * np.maximum(cnt, 1)).astype(np.int64)
    ok = cnt > 0 if valid is None else (cnt > 0) & valid
    return np.where(ok, idx, -1)


# --- extra columns of existing tables ------------------------------------------------------


def year_extras(rng, *, n, hh, pilot, cohort) -> dict:
    """community_years columns of LEDGERS.md, (n, years) each."""
    yrs = np.array(YEARS)
    other_start = np.where(rng.random(n) < 0.5, rng.integers(2018, YEARS[-1] + 1, n), 9999)
    big_from = np.where(pilot, cohort, other_start)
    big = yrs[None, :] >= big_from[:, None]
    per100 = rng.uniform(18, 45, n)[:, None] * np.linspace(0.92, 1.0, len(YEARS))[None, :]
    orgs = np.round(rng.poisson(8, n)[:, None] * np.linspace(0.8, 1.0, len(YEARS))[None, :])
    tier2 = np.maximum(1, np.round(hh / 500))
    tier3 = np.maximum(2, np.round(hh / 125))
    return {
        "big_party_committee": big,
        "service_area_m2": np.round(hh * per100 / 100, 0),
        "social_orgs": orgs.astype(np.int64),
        "grid_tier2": tier2.astype(np.int64), "grid_tier3": tier3.astype(np.int64),
        "owners_committee_members": np.repeat(rng.integers(3, 10, n)[:, None], len(YEARS), axis=1),
        "building_heads": tier3.astype(np.int64),
    }


def teams(rng, *, com, names, street_names) -> pa.Array:
    """A volunteer's team: one of its community's teams (half), its street's team (a fifth,
    shared by the street's communities), or none."""
    k = com.size
    u = rng.random(k)
    kind = rng.integers(0, len(TEAM_KINDS), k)
    idx = pa.array(com)
    own = pc.binary_join_element_wise(pc.take(pa.array(names, pa.string()), idx), _take(TEAM_KINDS, kind), "")
    street = pc.binary_join_element_wise(pc.take(pa.array(street_names, pa.string()), idx), "志愿服务总队", "")
    return pc.if_else(pa.array(u < 0.5), own, pc.if_else(pa.array(u < 0.7), street, pa.nulls(k, pa.string())))


def part_time_cadres(w, rng, *, n, cids, big, p, counters) -> None:
    """part_time_member rows of the terms within the years (2 + Poisson(1.06) per 大党委)."""
    for term in TERMS:
        if term < YEARS[0]:
            continue
        has = big[:, YEARS.index(term)]
        k_c = np.where(has, 2 + rng.poisson(PART_TIME_EXTRA, n), 0)
        com = np.repeat(np.arange(n), k_c)
        k = com.size
        num = counters.setdefault("part_time", 0) + 1 + np.arange(k)
        counters["part_time"] += k
        edu = _cat(rng, [0.0, 0.02, 0.13, 0.30, 0.45, 0.10], k)
        w.write("cadres", {
            "person_id": _ids("PT", num, p["id_width"]["person"]), "community_id": pc.take(cids, pa.array(com)),
            "term_year": np.full(k, term), "role": _take(["part_time_member"], np.zeros(k)),
            "birth_year": np.round(term - rng.normal(48, 7, k)).astype(np.int64),
            "gender": _take(("male", "female"), (rng.random(k) < 0.35).astype(int)),
            "education": _take(EDUCATION_ORDER, edu), "party_member": np.ones(k, bool),
            "certified_social_worker": np.zeros(k, bool), "concurrent_director": pa.nulls(k, pa.bool_()),
        })


# --- visits ---------------------------------------------------------------------------------


def visits(w, rng, *, n, cids, hh, factor, p, counters) -> dict:
    months, _s, _d = _months()
    mu = hh[:, months // 12] * VISIT_RATE / 12.0 * factor[:, None] * VISIT_MONTH[months % 12][None, :]
    com, _mon, day = _expand(rng, mu)
    k = com.size
    house = 1 + np.floor(rng.random(k) * hh[com, -1]).astype(np.int64)
    needs = rng.poisson(NEEDS_MEAN, k)
    recorded = rng.random(k) < NEEDS_RECORDED_P
    ids = _ids("VS", counters.setdefault("visit", 0) + 1 + np.arange(k), p["id_width"]["case"])
    counters["visit"] += k
    cid = pc.take(cids, pa.array(com))
    w.write("visits", {
        "visit_id": ids, "community_id": cid, "visited_on": day,
        "household_id": pc.binary_join_element_wise(cid, _ids("-", house, 5), ""),
        "visitor_role": _take(_keys(VISITOR_P), _cat(rng, _p(VISITOR_P), k)),
        "mode": _take(_keys(VISIT_MODE_P), _cat(rng, _p(VISIT_MODE_P), k)),
        "needs_found": _masked(needs, ~recorded),
    })
    return {"ids": ids, "com": com, "day": day, "needs": np.where(recorded, needs, 0)}


# --- requests ---------------------------------------------------------------------------------


def close_factor(pilot, cohort, com, day) -> np.ndarray:
    """PILOT_CLOSE_FACTOR for requests of piloted communities received from the first piloted year."""
    treated = pilot[com] & (_year(day) >= cohort[com])
    return np.where(treated, PILOT_CLOSE_FACTOR, 1.0)


def requests(w, rng, *, n, cids, hh, factor, pilot, cohort, vis, disputes, p, counters) -> dict:
    months, _s, _d = _months()
    total = sum(REQUEST_RATES.values())
    mu = hh[:, months // 12] / 1000.0 * total / 12.0 * factor[:, None] * np.ones(months.size)[None, :]
    com, _mon, day = _expand(rng, mu)
    chan_codes = ("hotline", "grid", "visit", "walk_in", "online", "meeting", "petition", "other")
    probs = np.array([REQUEST_RATES.get(c, 0.0) for c in chan_codes]) / total
    chan = _cat(rng, probs, com.size)
    visit = np.full(com.size, -1)
    # needs found on visits that became requests (channel visit, with the visit's id)
    src = np.flatnonzero((vis["needs"] > 0) & (rng.random(vis["com"].size) < VISIT_REQUEST_P))
    vday = vis["day"][src] + rng.integers(0, 3, src.size)
    keep = vday <= _AS_OF
    src, vday = src[keep], vday[keep]
    com = np.concatenate([com, vis["com"][src]])
    day = np.concatenate([day, vday])
    chan = np.concatenate([chan, np.full(src.size, chan_codes.index("visit"))])
    visit = np.concatenate([visit, src])
    order = np.lexsort((com, day))
    com, day, chan, visit = com[order], day[order], chan[order], visit[order]
    k = com.size
    hot = chan == 0
    # closure: ceil(median x factor x lognormal) days; a few never closed
    days = np.ceil(CLOSE_MEDIAN_DAYS * close_factor(pilot, cohort, com, day)
                   * np.exp(rng.normal(0, CLOSE_SIGMA, k))).astype(np.int64)
    closed = day + days
    is_closed = (rng.random(k) >= OPEN_P) & (closed <= _AS_OF)
    due = day + np.where(hot, DUE_DAYS["hotline"], DUE_DAYS_OTHER)
    resp = day + _cat(rng, RESPONSE_DAYS_P, k)
    has_resp = resp <= _AS_OF
    flag = hot & (rng.random(k) < RESPONSE_FLAG_P) & has_resp
    rtype = _cat(rng, _p(REQUEST_TYPE_P), k)
    cat = _cat(rng, _p(ISSUE_P), k)
    rated = is_closed & (hot | (rng.random(k) < 0.5))
    res = _cat(rng, _p(RESOLUTION_P), k)
    sat = _cat(rng, _p(SATISFACTION_P), k)
    assessed = rng.random(k) < ASSESSED_P
    # complaints about property or neighbours that became a dispute case of the community
    issue = np.array(list(ISSUE_P))
    linkable = (rtype == list(REQUEST_TYPE_P).index("complaint")) & np.isin(issue[cat], ["property", "neighbor"])
    want_case = linkable & (rng.random(k) < CASE_LINK_P)
    case = _pick(rng, disputes["com_sorted"], com, want_case)
    ids = _ids("RQ", counters.setdefault("request", 0) + 1 + np.arange(k), p["id_width"]["case"])
    counters["request"] += k
    w.write("requests", {
        "request_id": ids, "community_id": pc.take(cids, pa.array(com)), "received_on": day,
        "channel": _take(chan_codes, chan), "request_type": _take(_keys(REQUEST_TYPE_P), rtype),
        "category": _take(_keys(ISSUE_P), cat), "due_on": due,
        "responded_on": _masked(resp, ~has_resp),
        "responded_in_time": _masked((resp - day) <= 1, ~flag),
        "closed_on": _masked(closed, ~is_closed),
        "resolution": pc.if_else(pa.array(rated), _take(_keys(RESOLUTION_P), res), pa.nulls(k, pa.string())),
        "satisfaction": pc.if_else(pa.array(is_closed & hot), _take(_keys(SATISFACTION_P), sat),
                                   pa.nulls(k, pa.string())),
        "assessed": _masked(assessed, ~hot),
        "visit_id": pc.if_else(pa.array(visit >= 0), pc.take(vis["ids"], pa.array(np.maximum(visit, 0))),
                               pa.nulls(k, pa.string())),
        "case_id": pc.if_else(pa.array(case >= 0), pc.take(disputes["ids_sorted"], pa.array(np.maximum(case, 0))),
                              pa.nulls(k, pa.string())),
    })
    return {"ids": ids, "com": com, "day": day}


def ontime_probability(factor: float) -> float:
    """Expected request_ontime_rate of a community-year: closed within the due days, with
    days to close ceil(CLOSE_MEDIAN_DAYS x factor x lognormal); hotline orders (due in 7
    days) are REQUEST_RATES["hotline"] of all requests, visit-channel ones included.

    Examples
    --------
    >>> round(ontime_probability(1.0), 4), round(ontime_probability(0.6), 4)
    (0.7957, 0.9023)
    """
    visit_rate = 1000 * VISIT_RATE * (1 - np.exp(-NEEDS_MEAN)) * NEEDS_RECORDED_P * VISIT_REQUEST_P
    w_hot = REQUEST_RATES["hotline"] / (sum(REQUEST_RATES.values()) + visit_rate)
    m = CLOSE_MEDIAN_DAYS * factor

    def within(d):
        return ndtr(np.log(d / m) / CLOSE_SIGMA)

    return float((1 - OPEN_P) * (w_hot * within(DUE_DAYS["hotline"]) + (1 - w_hot) * within(DUE_DAYS_OTHER)))


def median_days(factor: float) -> int:
    """Kaplan–Meier median of days to close: the smallest whole day t with
    (1 - OPEN_P) Φ(log(t / (median x factor)) / σ) ≥ 0.5.

    Examples
    --------
    >>> median_days(1.0), median_days(0.6)
    (6, 4)
    """
    m = CLOSE_MEDIAN_DAYS * factor
    t = 1
    while (1 - OPEN_P) * ndtr(np.log(t / m) / CLOSE_SIGMA) < 0.5:
        t += 1
    return t


# --- deliberations ---------------------------------------------------------------------------


def deliberations(w, rng, *, n, cids, pilot, cohort, req, p, counters) -> np.ndarray:
    """Meetings (Poisson per community-month, x PILOT_MEETING_RR from the first piloted
    year) with 1 + Poisson items each.  Returns each community's base monthly rate."""
    months, _s, _d = _months()
    base = MEETING_RATE * np.exp(rng.normal(0, MEETING_SIGMA, n) - MEETING_SIGMA ** 2 / 2)
    year_of_m = np.array(YEARS)[months // 12]
    treated = pilot[:, None] & (year_of_m[None, :] >= cohort[:, None])
    com, _mon, day = _expand(rng, base[:, None] * np.where(treated, PILOT_MEETING_RR, 1.0))
    m = com.size
    mtype = _cat(rng, _p(MEETING_TYPES_P), m)
    types = _keys(MEETING_TYPES_P)
    lam = np.array([UNITS_MEAN.get(t, UNITS_OTHER) for t in types])[mtype]
    units = rng.poisson(lam) + (mtype == types.index("joint"))
    units_rec = rng.random(m) < UNITS_RECORDED_P
    mnum = counters.setdefault("meeting", 0) + 1 + np.arange(m)
    counters["meeting"] += m
    n_items = 1 + rng.poisson(ITEMS_EXTRA, m)
    it = np.repeat(np.arange(m), n_items)
    k = it.size
    source = _cat(rng, _p(ITEM_SOURCE_P), k)
    icom, iday = com[it], day[it]
    # items raised from a request: a request of the community received on or before the meeting
    want = source == _keys(ITEM_SOURCE_P).index("request")
    key_req = req["com"].astype(np.int64) * 100_000 + (req["day"] - _DAY0).astype(np.int64)
    order = np.argsort(key_req, kind="stable")
    key_sorted = key_req[order]
    lo = np.searchsorted(key_sorted, icom.astype(np.int64) * 100_000, side="left")
    hi = np.searchsorted(key_sorted, icom.astype(np.int64) * 100_000 + (iday - _DAY0).astype(np.int64), side="right")
    cnt = hi - lo
    pick = lo + np.floor(rng.random(k) * np.maximum(cnt, 1)).astype(np.int64)
    link = want & (cnt > 0)
    req_idx = np.where(link, order[np.minimum(pick, order.size - 1)] if order.size else 0, 0)
    outcome = _cat(rng, _p(OUTCOME_P), k)
    agreed = outcome == 0
    impl = iday + np.ceil(IMPLEMENT_MEDIAN_DAYS * np.exp(rng.normal(0, IMPLEMENT_SIGMA, k))).astype(np.int64)
    has_impl = agreed & (rng.random(k) < IMPLEMENT_P) & (impl <= _AS_OF)
    funds = np.round(FUNDS_MEDIAN * np.exp(rng.normal(0, FUNDS_SIGMA, k)), -2)
    has_funds = rng.random(k) < FUNDS_P
    published = rng.random(k) < PUBLISHED_P
    pub_known = rng.random(k) < 0.9
    inum = counters.setdefault("item", 0) + 1 + np.arange(k)
    counters["item"] += k
    width = max(4, p["id_width"]["case"] - 1)
    w.write("deliberations", {
        "item_id": _ids("IT", inum, width), "meeting_id": _ids("MT", mnum[it], width),
        "community_id": pc.take(cids, pa.array(icom)), "held_on": iday,
        "meeting_type": _take(types, mtype[it]), "units_present": _masked(units[it], ~units_rec[it]),
        "category": _take(_keys(ISSUE_P), _cat(rng, _p(ISSUE_P), k)),
        "source": _take(_keys(ITEM_SOURCE_P), source),
        "request_id": pc.if_else(pa.array(link), pc.take(req["ids"], pa.array(req_idx)) if len(req["ids"])
                                 else pa.nulls(k, pa.string()), pa.nulls(k, pa.string())),
        "outcome": _take(_keys(OUTCOME_P), outcome), "implemented_on": _masked(impl, ~has_impl),
        "funds": _masked(funds, ~has_funds), "published": _masked(published, ~pub_known),
    })
    return base


# --- Party members ----------------------------------------------------------------------------


def _dates(rng, lo: str, hi: str, k: int) -> np.ndarray:
    a, b = np.datetime64(lo, "D"), np.datetime64(hi, "D")
    return a + np.floor(rng.random(k) * ((b - a).astype(np.int64) + 1)).astype(np.int64)


def party_members(w, rng, *, n, cids, registered, floating, pilot, cohort, vol, oc_members,
                  building_heads, p, counters) -> None:
    """The roster as of the as-of date: registered, away, floating-in (the sweep) and
    reporting members, with the owners'-committee and building-head flags."""
    n_reg = registered.astype(np.int64)
    n_away = np.round(n_reg * AWAY_SHARE).astype(np.int64)
    n_rep = np.round(n_reg * REPORTING_SHARE).astype(np.int64)
    n_flo = floating.astype(np.int64)
    rel_codes = ("registered", "away", "floating_in", "reporting")
    per = np.stack([n_reg, n_away, n_flo, n_rep], axis=1)
    com = np.repeat(np.repeat(np.arange(n), 4), per.ravel())
    rel = np.repeat(np.tile(np.arange(4), n), per.ravel())
    k = com.size
    found = np.full(k, np.datetime64("NaT"), "datetime64[D]")
    lost = np.full(k, np.datetime64("NaT"), "datetime64[D]")
    transfer = np.full(k, np.datetime64("NaT"), "datetime64[D]")
    reported = np.full(k, np.datetime64("NaT"), "datetime64[D]")
    left = np.full(k, np.datetime64("NaT"), "datetime64[D]")
    # floating-in: the piloted communities sweep April-July of their first piloted year
    fl = rel == 2
    sweep = fl & pilot[com]
    sweep_start = ((cohort[com] - 1970) * 12 + 3).astype("datetime64[M]").astype("datetime64[D]")  # 1 April
    in_sweep = sweep & (rng.random(k) < SWEEP_FOUND_P)
    found[in_sweep] = sweep_start[in_sweep] + np.floor(rng.random(in_sweep.sum()) * 122).astype(np.int64)
    other = fl & ~pilot[com] & (rng.random(k) < OTHER_FOUND_P)
    found[other] = _dates(rng, f"{YEARS[0]}-01-01", AS_OF, other.sum())
    not_found = fl & np.isnat(found)
    lose = not_found & (rng.random(k) < 0.5)
    lost[lose] = _dates(rng, "2018-01-01", f"{YEARS[0]}-12-31", lose.sum())
    moves = ~np.isnat(found) & (rng.random(k) < TRANSFER_P)
    transfer[moves] = found[moves] + rng.integers(20, 200, moves.sum())
    reg = rel == 0
    reg_moves = reg & (rng.random(k) < 0.08)
    transfer[reg_moves] = _dates(rng, f"{YEARS[0]}-01-01", AS_OF, reg_moves.sum())
    transfer[transfer > _AS_OF] = np.datetime64("NaT")
    away = rel == 1
    away_lost = away & (rng.random(k) < 0.3)
    lost[away_lost] = _dates(rng, "2018-01-01", "2023-12-31", away_lost.sum())
    rep = rel == 3
    reported[rep] = _dates(rng, "2019-01-01", "2024-06-30", rep.sum())
    leaves = (reg | fl | rep) & (rng.random(k) < LEFT_SHARE)
    left[leaves] = _dates(rng, f"{YEARS[0]}-01-01", AS_OF, leaves.sum())
    after = np.where(np.isnat(found), left, np.maximum(left, found + 30))
    after = np.where(np.isnat(reported), after, np.maximum(after, reported + 30))
    left = np.where(leaves & (after <= _AS_OF), after, np.datetime64("NaT"))
    # reporting members linked to Party volunteers of their community (distinct)
    key = rng.random(k)
    rank = _rank_within(com, key, rep)
    pv = np.flatnonzero(vol["party"])
    pv = pv[np.lexsort((rng.random(pv.size), vol["com"][pv]))]
    pv_com = vol["com"][pv]
    lo = np.searchsorted(pv_com, com, side="left")
    cnt = np.searchsorted(pv_com, com, side="right") - lo
    linked = rep & (rank < cnt) & (rng.random(k) < REPORTING_LINK_P)
    vidx = np.where(linked, pv[np.minimum(lo + rank, max(pv.size - 1, 0))] if pv.size else 0, 0)
    # flags among members on the roster at the as-of date (registered and reporting)
    on = (reg | rep) & np.isnat(left)
    oc_rank = _rank_within(com, rng.random(k), on)
    oc = on & (oc_rank < np.round(oc_members[com] * rng.uniform(0.5, 0.8, n)[com]))
    bh_rank = _rank_within(com, rng.random(k), on & ~oc)
    bh = on & ~oc & (bh_rank < np.round(building_heads[com] * rng.uniform(0.3, 0.5, n)[com]))
    ids = _ids("PM", counters.setdefault("member", 0) + 1 + np.arange(k), p["id_width"]["vol"])
    counters["member"] += k

    def d(x):
        return np.ma.masked_array(np.where(np.isnat(x), _DAY0, x), mask=np.isnat(x))

    w.write("party_members", {
        "member_id": ids, "community_id": pc.take(cids, pa.array(com)), "relation": _take(rel_codes, rel),
        "found_on": d(found), "lost_since": d(lost), "transferred_in_on": d(transfer),
        "reported_on": d(reported), "left_on": d(left),
        "owners_committee": _masked(oc, ~on), "building_head": _masked(bh, ~on),
        "volunteer_id": pc.if_else(pa.array(linked), pc.take(vol["ids"], pa.array(vidx)) if len(vol["ids"])
                                   else pa.nulls(k, pa.string()), pa.nulls(k, pa.string())),
    })


def _rank_within(group, key, mask) -> np.ndarray:
    """Rank of each masked row within its group by ``key`` (rows outside the mask: large)."""
    k = group.size
    idx = np.flatnonzero(mask)
    order = idx[np.lexsort((key[idx], group[idx]))]
    g = group[order]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1] if g.size else np.array([], np.int64)
    start = np.repeat(first, np.diff(np.r_[first, g.size])) if g.size else first
    rank = np.full(k, 1 << 30, np.int64)
    rank[order] = np.arange(order.size) - start
    return rank


# --- funded projects -------------------------------------------------------------------------


def projects(w, rng, *, n, cids, p, counters) -> None:
    """Funded projects per community and year; a few shared with a second community."""
    ny = len(YEARS)
    n_org = max(1, int(round(ORGS_PER_COMMUNITY * n)))
    org0 = counters.setdefault("org", 0)
    counters["org"] += n_org
    org_names = [f"{_C1[a]}{_C1[b]}{kind}" for a, b, kind in zip(
        rng.integers(0, len(_C1), n_org), rng.integers(0, len(_C1), n_org),
        np.array(["社工服务中心", "志愿者协会", "邻里互助会", "公益发展中心", "为老服务社"])[rng.integers(0, 5, n_org)])]
    counts = rng.poisson(PROJECTS_PER_COMMUNITY, (n, ny))
    cell = np.repeat(np.arange(n * ny), counts.ravel())
    com, yi = cell // ny, cell % ny
    m = cell.size
    org = rng.integers(0, n_org, m)
    amount = np.round(PROJECT_MEDIAN_YUAN * np.exp(rng.normal(0, PROJECT_SIGMA, m)), -2)
    shared = (rng.random(m) < SHARED_PROJECT_P) & (n > 1)
    other = (com + 1 + rng.integers(0, max(n - 1, 1), m)) % n
    pnum = counters.setdefault("project", 0) + 1 + np.arange(m)
    counters["project"] += m
    # rows: every project in its community (all of the money, or 60 % when shared), the
    # shared ones again in the other community (40 %)
    row_p = np.concatenate([np.arange(m), np.flatnonzero(shared)])
    row_c = np.concatenate([com, other[shared]])
    share = np.concatenate([np.where(shared, 0.6, 1.0), np.full(shared.sum(), 0.4)])
    r = row_p.size
    year = np.array(YEARS)[yi[row_p]]
    last = year == YEARS[-1]
    status = np.where(last, _cat(rng, [0.7, 0.3, 0.0], r), _cat(rng, [0.07, 0.88, 0.05], r))
    grade = _cat(rng, [0.3, 0.6, 0.1], r)
    granted = np.round(amount[row_p] * share, 0)
    spent_f = np.where(status == 1, rng.uniform(0.85, 1.0, r),
                       np.where(status == 0, rng.uniform(0.2, 0.7, r), rng.uniform(0.0, 0.5, r)))
    order = np.lexsort((row_c, row_p))
    org_ids = _ids("OG", org0 + 1 + org[row_p], 5)
    w.write("projects", {
        "project_id": pc.take(_ids("PJ", pnum, p["id_width"]["person"] - 1), pa.array(row_p[order])),
        "community_id": pc.take(cids, pa.array(row_c[order])),
        "org_id": pc.take(org_ids, pa.array(order)),
        "org_name": pa.array([org_names[o] for o in org[row_p][order]], pa.string()),
        "programme": _take(_keys(PROGRAMME_P), _cat(rng, _p(PROGRAMME_P), m)[row_p][order]),
        "year": year[order],
        "service_area": _take(_keys(SERVICE_AREA_P), _cat(rng, _p(SERVICE_AREA_P), m)[row_p][order]),
        "amount_granted": granted[order], "amount_spent": np.round(granted * spent_f, 0)[order],
        "beneficiaries": rng.poisson(250, r)[order],
        "status": _take(("ongoing", "completed", "terminated"), status[order]),
        "grade": pc.if_else(pa.array((status == 1)[order]), _take(("A", "B", "C"), grade[order]),
                            pa.nulls(r, pa.string())),
    })
