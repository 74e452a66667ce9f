"""A planted best and a planted worst community (``synth(..., extremes=True)``).

The generator runs as usual; this writer wraps the real one and edits, as
they are written, the rows of two never-piloted communities of the first
district: the first (best) and the last (worst).  Rows are edited, dropped or
(for the best) added, always within the contract: dates in order, codes valid,
every link (request -> visit, item -> request, member -> volunteer) pointing at
a row that is written.  Added rows have ids of their own (``X`` after the
usual prefix, as ``VSX000001``), so they never clash with generated ones.
Every family with a directional indicator moves the same way:

* communities and community_years: population ×¼ (best) or ×4 (worst), so
  volunteers per 100 residents, hours per resident and community workers per
  10,000 residents ×4 or ÷4; grid workers and both lower grid tiers ×3 (best),
  or one grid worker and no lower tier (worst); service space of 60 m² per 100
  households, twice the national minimum (best), or none (worst); 20 social
  organisations, twice the benchmark (best), or none (worst);
* disputes: every case resolved the day it was reported (best); 3 in 5
  resolved after 90 days, the rest unresolved (worst);
* volunteers: none leaves, every service record is 8 hours and each volunteer
  has one in every year registered (the missing ones added) (best); no service
  record in the last year (worst);
* cadres of the last term (except grid workers): postgraduate, 35 years old,
  certified (best); primary school, 58, not certified (worst);
* survey answers: the best answer to every item (best), the worst (worst);
  "don't know" (9) stays;
* deliberations: units present at every meeting, every agreed item carried out
  the day it was agreed, and a joint meeting on the 10th of every month that had
  no deliberation or joint meeting (best); no meetings (worst);
* requests: every request responded to and closed the day it was received,
  hotline orders rated resolved and satisfied (best); none responded to or
  closed, and none raised on a visit (worst: it has no visits);
* visits: every household visited at home in April-July of every year (best);
  no visits (worst);
* Party roster: every floating member found in a sweep in April-July of the
  last year and transferred in 30 days later, every reporting member linked to
  one of the community's volunteers (all active), Party members in every
  owners'-committee seat (best); no floating member found, nobody transferred
  in, no reporting member linked, no Party member on the owners' committee
  (worst).  A floating member counts as found in the year found, so the best
  leads this share in the last year only;
* projects: five completed projects a year, each by an organisation of its own,
  in place of the generated ones (best); none (worst).

The planted values lie at or beyond every other community's on every
directional indicator they have a value for (the worst has none where nothing
is left to divide by, as meetings or closed requests; its volunteers per 100
residents, its own rate ÷4, may stay above the lowest), also among the 1,000
communities of the city scale: the worst's 90 days exceed the others' longest
median there (~22 days; ~13 among the demo's 60).  Nothing else changes;
truth.json records the two as ``planted_best`` and ``planted_worst``.  The
composite index's outlier treatment (COINr's) can pull a lone planted value
back to the runner-up's, so a family score may be shared; the test lists
where and why.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.synthetic._params import (
    AS_OF, HOURS, ITEMS, METHODS, PROJECT_MEDIAN_YUAN, SERVICE_AREA_P, SERVICES, TERMS, YEARS,
)
from evalkit.synthetic._writer import SCHEMAS, _arr, _ids

_POP = {"best": 0.25, "worst": 4.0}
_NAT = np.datetime64("NaT", "D")
_AS_OF = np.datetime64(AS_OF, "D")
BEST_AREA_PER_100 = 60.0       # m² of service space per 100 households (national minimum 30)
BEST_SOCIAL_ORGS = 20          # benchmark: 10 per urban community
WORST_DISPUTE_DAYS = 90        # the others' medians: ~10 days, at most ~22 among 1,000 communities
BEST_PROJECTS = 5              # completed projects a year, one organisation each
#: Meeting types that make a month count (evalkit.families.deliberation.MONTHLY_TYPES).
_MONTHLY = ("deliberation", "joint")
_ORG_NAMES = ("春晖社工服务中心", "邻里互助会", "银龄为老服务社", "青年志愿者协会", "公益发展中心")


def _vals(t: pa.Table, col: str) -> np.ndarray:
    """A column's values as an object array (None where missing)."""
    return np.array(t[col].to_pylist(), dtype=object)


def _days(t: pa.Table, col: str) -> np.ndarray:
    """A date column as datetime64[D] (NaT where missing), writable."""
    return t[col].to_numpy(zero_copy_only=False).astype("datetime64[D]").copy()


def _conv(v, typ, k: int):
    """``v`` (None, a scalar, a list or an array; dates as datetime64 with NaT) as an Arrow array of ``k``."""
    if v is None:
        return pa.nulls(k, typ)
    if isinstance(v, (pa.Array, pa.ChunkedArray)):
        return _arr(v, typ)
    if np.ndim(v) == 0:
        v = [v] * k
    if isinstance(v, np.ndarray) and v.dtype.kind == "M":
        return _arr(np.ma.masked_array(v, mask=np.isnat(v)), typ)
    if isinstance(v, (list, np.ndarray)) and not (isinstance(v, np.ndarray) and v.dtype.kind in "iufb"):
        return pa.array(list(v), typ)
    return _arr(v, typ)


def _put(t: pa.Table, col: str, v) -> pa.Table:
    return t.set_column(t.column_names.index(col), col, _conv(v, t.schema.field(col).type, t.num_rows))


def _year_day(year: int, month_day: str) -> np.datetime64:
    return np.datetime64(f"{year}-{month_day}", "D")


class PlantedWriter:
    """Wraps a ``_Writer``; edits the planted communities' rows of every block it writes."""

    def __init__(self, writer):
        self.w = writer
        self.best = self.worst = None
        self.vols = {"best": set(), "worst": set()}
        self.best_vols = None       # (ids, registered_on, party) of the best's volunteers
        self.added: set[str] = set()  # tables whose first block (the first district's) got the added rows
        self.households = 0         # the best's households (the register's: the as-of year)
        self.seats = 0              # the best's owners'-committee seats in the last year
        self.serial: dict[str, int] = {}

    def __getattr__(self, name):  # close(), buffer, ... of the real writer
        return getattr(self.w, name)

    def truth(self) -> dict:
        return {"planted_best": self.best, "planted_worst": self.worst}

    def write(self, name: str, cols: dict) -> None:
        t = pa.table({f: _arr(cols[f], typ) for f, typ in SCHEMAS[name]})
        if name == "communities" and self.best is None:
            never = [c for c, p in zip(t["community_id"].to_pylist(), t["pilot"].to_pylist()) if not p]
            if len(never) >= 2:
                self.best, self.worst = never[0], never[-1]
        if (self.best is not None and "community_id" in t.column_names) or name == "volunteer_hours":
            t = getattr(self, f"_{name}", lambda x: x)(t)
        self.w.write(name, {c: t[c] for c in t.column_names})

    # --- helpers -------------------------------------------------------------------------

    def _who(self, t: pa.Table) -> dict:
        ids = t["community_id"]
        return {k: pc.equal(ids, getattr(self, k)).to_numpy(zero_copy_only=False) for k in ("best", "worst")}

    def _once(self, name: str) -> bool:
        """True for the first block of ``name``: the first district's, which holds both communities."""
        first = name not in self.added
        self.added.add(name)
        return first

    def _new_ids(self, prefix: str, k: int) -> pa.Array:
        n0 = self.serial.get(prefix, 0)
        self.serial[prefix] = n0 + k
        return _ids(prefix + "X", n0 + 1 + np.arange(k), 6)

    @staticmethod
    def _append(t: pa.Table, name: str, cols: dict, by: str | None = None) -> pa.Table:
        """``t`` with rows of ``cols`` (columns left out: empty) added, stably re-sorted by date ``by``."""
        k = max(len(v) for v in cols.values() if isinstance(v, (list, np.ndarray, pa.Array)))
        new = pa.table({f: _conv(cols.get(f), typ, k) for f, typ in SCHEMAS[name]})
        t = pa.concat_tables([t, new])
        if by is not None:
            t = t.take(pa.array(np.argsort(_days(t, by), kind="stable")))
        return t

    def _population(self, t: pa.Table) -> pa.Table:
        pop = t["population"].to_numpy().astype(float)
        for k, m in self._who(t).items():
            pop[m] = np.maximum(1, np.round(pop[m] * _POP[k]))
        return _put(t, "population", pop.astype(np.int64))

    # --- the tables of the register --------------------------------------------------------

    def _communities(self, t):
        best = self._who(t)["best"]
        if best.any():
            self.households = int(t["households"].to_numpy()[best][0])
        return self._population(t)

    def _community_years(self, t):
        t = self._population(t)
        who = self._who(t)
        b, w = who["best"], who["worst"]
        grid = {c: t[c].to_numpy().copy() for c in ("grid_workers", "grid_tier2", "grid_tier3")}
        for c, x in grid.items():
            x[b] *= 3
            x[w] = 1 if c == "grid_workers" else 0
            t = _put(t, c, x)
        area = t["service_area_m2"].to_numpy(zero_copy_only=False).copy()
        area[b] = np.round(t["households"].to_numpy()[b] * BEST_AREA_PER_100 / 100)
        area[w] = 0.0
        orgs = t["social_orgs"].to_numpy().copy()
        orgs[b], orgs[w] = BEST_SOCIAL_ORGS, 0
        last = b & (t["year"].to_numpy() == YEARS[-1])
        if last.any():
            self.seats = int(t["owners_committee_members"].to_numpy()[last][0])
        return _put(_put(t, "service_area_m2", area), "social_orgs", orgs)

    def _disputes(self, t):
        who = self._who(t)
        b, w = who["best"], who["worst"]
        status = _vals(t, "status")
        reported, resolved_on = _days(t, "reported_on"), _days(t, "resolved_on")
        method = _vals(t, "method")
        status[b], resolved_on[b], method[b] = "resolved", reported[b], METHODS[0]
        # the worst: 3 in 5 resolved after WORST_DISPUTE_DAYS (in progress if that is after the
        # as-of date), the rest unresolved
        slow = np.zeros(t.num_rows, bool)
        slow[np.flatnonzero(w)[np.arange(w.sum()) % 5 < 3]] = True
        done = reported + WORST_DISPUTE_DAYS
        ok = slow & (done <= _AS_OF)
        status[w] = np.where(ok[w], "resolved", np.where(slow[w], "in_progress", "unresolved"))
        resolved_on[w] = np.where(ok[w], done[w], _NAT)
        method[w] = np.where(ok[w], METHODS[0], None)
        return _put(_put(_put(t, "status", status), "resolved_on", resolved_on), "method", method)

    def _volunteers(self, t):
        who = self._who(t)
        ids = _vals(t, "volunteer_id")
        for k, m in who.items():
            self.vols[k].update(ids[m].tolist())
        b = who["best"]
        if b.any():
            party = t["party_member"].to_numpy(zero_copy_only=False).astype(bool)
            self.best_vols = (ids[b], _days(t, "registered_on")[b], party[b])
        left = _days(t, "left_on")
        left[b] = _NAT  # nobody leaves the best
        return _put(t, "left_on", left)

    def _volunteer_hours(self, t):
        vid = t["volunteer_id"]
        best = pc.is_in(vid, pa.array(sorted(self.vols["best"]), pa.string())).to_numpy(zero_copy_only=False)
        worst = pc.is_in(vid, pa.array(sorted(self.vols["worst"]), pa.string())).to_numpy(zero_copy_only=False)
        hours = t["hours"].to_numpy().copy()
        hours[best] = HOURS.max()
        t = _put(t, "hours", hours)
        year = _days(t, "served_on").astype("datetime64[Y]").astype(np.int64) + 1970
        t = t.filter(pa.array(~(worst & (year == YEARS[-1]))))
        if not self._once("volunteer_hours") or self.best_vols is None:
            return t
        # every volunteer of the best serves in every year it is registered (left_on is cleared)
        have = set(zip(vid.to_pylist(), year.tolist()))
        add_v, add_d = [], []
        for v, reg in zip(*self.best_vols[:2]):
            for y in YEARS:
                if reg <= _year_day(y, "12-31") and (v, y) not in have:
                    add_v.append(v)
                    add_d.append(max(reg, _year_day(y, "06-30")))
        if not add_v:
            return t
        return self._append(t, "volunteer_hours", {
            "record_id": self._new_ids("H", len(add_v)), "volunteer_id": add_v,
            "served_on": np.array(add_d, "datetime64[D]"), "hours": float(HOURS.max()), "service_type": SERVICES[0],
        }, by="served_on")

    def _cadres(self, t):
        who = self._who(t)
        latest = (t["term_year"].to_numpy() == TERMS[-1]) & (np.array(t["role"].to_pylist()) != "grid_worker")
        edu = _vals(t, "education")
        birth = t["birth_year"].to_numpy().copy()
        cert = t["certified_social_worker"].to_numpy(zero_copy_only=False).copy()
        for k, level, age, c in (("best", "postgraduate", 35, True), ("worst", "primary", 58, False)):
            m = who[k] & latest
            edu[m], birth[m], cert[m] = level, TERMS[-1] - age, c
        return _put(_put(_put(t, "education", edu), "birth_year", birth), "certified_social_worker", cert)

    def _survey_responses(self, t):
        who = self._who(t)
        for code, _dim, reverse, *_ in ITEMS:
            x = t[code].to_numpy().copy()
            for k, good in (("best", True), ("worst", False)):
                m = who[k] & (x != 9)
                x[m] = 1 if good == reverse else 5  # stored 6 - answer for reverse-coded items
            t = _put(t, code, x)
        return t

    # --- the five ledgers --------------------------------------------------------------------

    def _visits(self, t):
        t = t.filter(pa.array(~self._who(t)["worst"]))
        if not self._once("visits"):
            return t
        house = np.arange(1, self.households + 1)
        ny = len(YEARS)
        april = np.repeat([_year_day(y, "04-01") for y in YEARS], house.size)
        cid = pa.array([self.best] * house.size * ny, pa.string())
        return self._append(t, "visits", {
            "visit_id": self._new_ids("VS", house.size * ny), "community_id": cid,
            "visited_on": april + np.tile((house - 1) % 122, ny),  # April-July
            "household_id": pc.binary_join_element_wise(cid, _ids("-", np.tile(house, ny), 5), ""),
            "visitor_role": "grid_worker", "mode": "in_home", "needs_found": np.zeros(house.size * ny, np.int64),
        }, by="visited_on")

    def _requests(self, t):
        w = self._who(t)["worst"]
        t = t.filter(pa.array(~(w & t["visit_id"].is_valid().to_numpy(zero_copy_only=False))))
        who = self._who(t)
        b, w = who["best"], who["worst"]
        received = _days(t, "received_on")
        hot = np.array(t["channel"].to_pylist(), dtype=object) == "hotline"
        responded, closed = _days(t, "responded_on"), _days(t, "closed_on")
        in_time, resolution, satisfaction = (_vals(t, c) for c in ("responded_in_time", "resolution", "satisfaction"))
        responded[b], closed[b] = received[b], received[b]
        in_time[b & (in_time != None)] = True  # noqa: E711  (elementwise)
        resolution[b & (hot | (resolution != None))] = "resolved"  # noqa: E711
        satisfaction[b & hot] = "satisfied"
        responded[w], closed[w], resolution[w], satisfaction[w] = _NAT, _NAT, None, None
        in_time[w & (in_time != None)] = False  # noqa: E711
        for c, v in (("responded_on", responded), ("closed_on", closed), ("responded_in_time", in_time),
                     ("resolution", resolution), ("satisfaction", satisfaction)):
            t = _put(t, c, v)
        return t

    def _deliberations(self, t):
        t = t.filter(pa.array(~self._who(t)["worst"]))
        b = self._who(t)["best"]
        held = _days(t, "held_on")
        units = _vals(t, "units_present")
        units[b] = [max(u or 0, 1) for u in units[b]]
        agreed = b & (np.array(t["outcome"].to_pylist(), dtype=object) == "agreed")
        implemented = _days(t, "implemented_on")
        implemented[agreed] = held[agreed]
        t = _put(_put(t, "units_present", units), "implemented_on", implemented)
        if not self._once("deliberations"):
            return t
        monthly = b & np.isin(np.array(t["meeting_type"].to_pylist(), dtype=object), _MONTHLY)
        had = set(held[monthly].astype("datetime64[M]").tolist())
        months = [m for m in np.arange(f"{YEARS[0]}-01", f"{YEARS[-1] + 1}-01", dtype="datetime64[M]")
                  if m.tolist() not in had]
        if not months:
            return t
        k = len(months)
        day = np.array(months, "datetime64[M]").astype("datetime64[D]") + 9  # the 10th
        return self._append(t, "deliberations", {
            "item_id": self._new_ids("IT", k), "meeting_id": self._new_ids("MT", k),
            "community_id": [self.best] * k, "held_on": day, "meeting_type": "joint",
            "units_present": np.full(k, 2, np.int64), "category": "other", "source": "party_org",
            "outcome": "agreed", "implemented_on": day, "published": np.ones(k, bool),
        }, by="held_on")

    def _party_members(self, t):
        who = self._who(t)
        b, w = who["best"], who["worst"]
        rel = _vals(t, "relation")
        found, lost, moved, left = (_days(t, c) for c in ("found_on", "lost_since", "transferred_in_on", "left_on"))
        fb = b & (rel == "floating_in")
        found[fb] = _year_day(YEARS[-1], "04-01") + np.arange(fb.sum()) % 122  # the sweep, April-July
        lost[fb], left[fb], moved[fb] = _NAT, _NAT, found[fb] + 30
        found[w & (rel == "floating_in")], moved[w] = _NAT, _NAT
        vol = _vals(t, "volunteer_id")
        vol[w] = None
        rep = np.flatnonzero(b & (rel == "reporting"))
        if rep.size and self.best_vols is not None:
            ids, _reg, party = self.best_vols
            pool = np.r_[ids[party], ids[~party]]  # the Party volunteers first, each linked once
            vol[rep] = None
            vol[rep[:pool.size]] = pool[:rep.size]
        oc, bh = _vals(t, "owners_committee"), _vals(t, "building_head")
        on = np.isin(rel, ("registered", "reporting")) & np.isnat(left)
        seats = np.flatnonzero(b & on)[:self.seats]
        oc[b & on], oc[w & on] = False, False
        oc[seats], bh[seats] = True, False
        for c, v in (("found_on", found), ("lost_since", lost), ("transferred_in_on", moved), ("left_on", left),
                     ("volunteer_id", vol), ("owners_committee", oc), ("building_head", bh)):
            t = _put(t, c, v)
        return t

    def _projects(self, t):
        who = self._who(t)
        t = t.filter(pa.array(~(who["best"] | who["worst"])))
        if not self._once("projects"):
            return t
        k = BEST_PROJECTS * len(YEARS)
        org = np.tile(np.arange(BEST_PROJECTS), len(YEARS))
        areas = list(SERVICE_AREA_P)
        return self._append(t, "projects", {
            "project_id": self._new_ids("PJ", k), "community_id": [self.best] * k,
            "org_id": [f"OGX{o + 1:02d}" for o in org], "org_name": [_ORG_NAMES[o % len(_ORG_NAMES)] for o in org],
            "programme": "venture", "year": np.repeat(np.array(YEARS, np.int64), BEST_PROJECTS),
            "service_area": [areas[o % len(areas)] for o in org], "amount_granted": PROJECT_MEDIAN_YUAN,
            "amount_spent": PROJECT_MEDIAN_YUAN, "beneficiaries": np.full(k, 250, np.int64),
            "status": "completed", "grade": "A",
        })
