"""Record tables of one district: disputes, volunteers and service records, cadres, survey."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.contract import EDUCATION_ORDER
from evalkit.synthetic._params import (
    AS_OF, CATS, CAT_PROBS, COLLEGE_BY_TERM, ESCALATE_P, GRID_EDU, HOURS, HOURS_P, ITEMS,
    METHODS, METHOD_PROBS, MISSING_P, NONOVERALL_OFFSETS, PILOT_RR, RESETTLE_AGE, RESETTLE_EDU,
    RESOLVE_MEDIAN_DAYS, RESOLVE_P, RESOLVE_SIGMA, ROLES, SAT_BUILDING, SAT_COMMUNITY,
    SAT_RESPONDENT, SEASON, SERVICES, SERVICE_PROBS, SOURCES, SOURCE_PROBS, TERMS, TREND_IRR,
    TYPES, TYPE_PARAMS, UPLIFT, VOL_ACTIVE_BETA, VOL_ACTIVE_BETA_PARTY, VOL_EXTRA_RECORDS,
    VOL_PARTY_P, YEARS,
)
from evalkit.synthetic._writer import _cat, _ids, _take


def _month_axis():
    months = np.arange(len(YEARS) * 12)
    start = (np.datetime64(f"{YEARS[0]}-01", "M") + months).astype("datetime64[D]")
    end = (np.datetime64(f"{YEARS[0]}-01", "M") + months + 1).astype("datetime64[D]")
    return months, start, (end - start).astype(np.int64)




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
    ids = _ids("D", counters["case"] + 1 + np.arange(k), p["id_width"]["case"])
    counters["case"] += k
    w.write("disputes", {
        "case_id": ids, "community_id": pc.take(cids, pa.array(com)),
        "reported_on": reported, "category": _take(CATS, cat), "source": _take(SOURCES, src),
        "status": _take(("resolved", "in_progress", "escalated", "unresolved"), status),
        "resolved_on": np.ma.masked_array(done, mask=~resolved),
        "method": pc.if_else(pa.array(resolved), _take(METHODS, method), pa.nulls(k, pa.string())),
    })
    by_com = np.argsort(com, kind="stable")
    return base, {"com_sorted": com[by_com], "ids_sorted": pc.take(ids, pa.array(by_com))}


def _volunteers(w, rng, *, n, cids, pop, p, counters, team=None) -> dict:
    """Volunteers and their service records.  ``team(com)`` gives the volunteers' teams
    (drawn from another random stream, so these draws are the same with or without it).
    Returns the volunteers' ids, communities and Party flags."""
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
    party = rng.random(k) < VOL_PARTY_P
    order = np.lexsort((com, reg))
    com, reg, left, leaves, byear, female, party = (a[order] for a in (com, reg, left, leaves, byear, female, party))
    vnum = counters["vol"] + 1 + np.arange(k)
    counters["vol"] += k
    vids = _ids("V", vnum, p["id_width"]["vol"])
    w.write("volunteers", {
        "volunteer_id": vids, "community_id": pc.take(cids, pa.array(com)),
        "registered_on": reg, "left_on": np.ma.masked_array(left, mask=~leaves),
        "birth_year": byear, "gender": _take(("male", "female"), female.astype(int)),
        "party_member": party, "team": team(com) if team is not None else pa.nulls(k, pa.string()),
    })
    # service records: per volunteer-year, the registered part [lo, hi] of the year
    ny = len(YEARS)
    jan1 = np.array([np.datetime64(f"{y}-01-01", "D") for y in YEARS])
    dec31 = np.array([np.datetime64(f"{y}-12-31", "D") for y in YEARS])
    lo = np.maximum(reg[:, None], jan1[None, :])
    hi = np.minimum(np.where(leaves, left, as_of)[:, None], dec31[None, :])
    expo = np.maximum(0, (hi - lo).astype(np.int64) + 1)                  # (k, ny) days
    frac = expo / ((dec31 - jan1).astype(np.int64) + 1)[None, :]
    act_p = rng.beta(np.where(party, VOL_ACTIVE_BETA_PARTY[0], VOL_ACTIVE_BETA[0]),
                     np.where(party, VOL_ACTIVE_BETA_PARTY[1], VOL_ACTIVE_BETA[1]))  # persistent
    active = rng.random((k, ny)) < act_p[:, None] * frac
    nrec = np.where(active, 1 + rng.poisson(VOL_EXTRA_RECORDS * frac), 0)
    cell = np.repeat(np.arange(k * ny), nrec.ravel())
    m = cell.size
    served = lo.ravel()[cell] + np.floor(rng.random(m) * expo.ravel()[cell]).astype(np.int64)
    v = cell // ny
    order = np.lexsort((v, served))
    v, served = v[order], served[order]
    hours = HOURS[_cat(rng, HOURS_P, m)]
    stype = _cat(rng, SERVICE_PROBS, m)
    rids = _ids("H", counters["rec"] + 1 + np.arange(m), p["id_width"]["rec"])
    counters["rec"] += m
    w.write("volunteer_hours", {
        "record_id": rids, "volunteer_id": pc.take(vids, pa.array(v)), "served_on": served,
        "hours": hours, "service_type": _take(SERVICES, stype),
    })
    return {"ids": vids, "com": com, "party": party}


def _cadres(w, rng, *, n, cids, ctype, grid, p, counters) -> None:
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
            "person_id": _ids("P", pnum, p["id_width"]["person"]),
            "community_id": pc.take(cids, pa.array(com)),
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
