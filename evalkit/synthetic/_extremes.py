"""A planted best and a planted worst community (``synth(..., extremes=True)``).

The generator runs as usual; this writer wraps the real one and edits, as
they are written, the rows of two never-piloted communities of the first
district: the first (best) and the last (worst).  Every family moves the same
way for each of them:

* population in communities and community_years ×¼ (best) or ×4 (worst):
  volunteers per 100 residents, hours per resident and community workers
  per 10,000 residents ×4 or ÷4; grid workers ×3 (best) or 1 (worst);
* disputes: every case resolved the day it was reported (best) or left
  unresolved (worst);
* service records: 8 hours each (best); none in the last year (worst);
* cadres of the last term (except grid workers): postgraduate, 35 years old,
  certified (best); primary school, 58, not certified (worst);
* survey answers: the best answer to every item (best), the worst (worst);
  "don't know" (9) stays.

Nothing else changes, so both sit far from every other community on every
family; truth.json records them as ``planted_best`` and ``planted_worst``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.synthetic._params import HOURS, ITEMS, METHODS, TERMS, YEARS
from evalkit.synthetic._writer import SCHEMAS, _arr

_POP = {"best": 0.25, "worst": 4.0}


class PlantedWriter:
    """Wraps a ``_Writer``; edits the planted communities' rows of every block it writes."""

    def __init__(self, writer):
        self.w = writer
        self.best = self.worst = None
        self.vols = {"best": set(), "worst": set()}

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

    def _who(self, t: pa.Table) -> dict:
        ids = t["community_id"]
        return {k: pc.equal(ids, getattr(self, k)).to_numpy(zero_copy_only=False) for k in ("best", "worst")}

    @staticmethod
    def _set(t: pa.Table, col: str, values) -> pa.Table:
        typ = t.schema.field(col).type
        return t.set_column(t.column_names.index(col), col, _arr(values, typ))

    def _population(self, t: pa.Table) -> pa.Table:
        pop = t["population"].to_numpy().astype(float)
        for k, m in self._who(t).items():
            pop[m] = np.maximum(1, np.round(pop[m] * _POP[k]))
        return self._set(t, "population", pop.astype(np.int64))

    def _communities(self, t):
        return self._population(t)

    def _community_years(self, t):
        t = self._population(t)
        who = self._who(t)
        grid = t["grid_workers"].to_numpy().copy()
        grid[who["best"]] *= 3
        grid[who["worst"]] = 1
        return self._set(t, "grid_workers", grid)

    def _disputes(self, t):
        who = self._who(t)
        status = np.array(t["status"].to_pylist(), dtype=object)
        reported = t["reported_on"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
        resolved_on = t["resolved_on"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
        method = np.array(t["method"].to_pylist(), dtype=object)
        status[who["best"]], resolved_on[who["best"]], method[who["best"]] = "resolved", reported[who["best"]], METHODS[0]
        status[who["worst"]], resolved_on[who["worst"]], method[who["worst"]] = "unresolved", np.datetime64("NaT"), None
        t = self._set(t, "status", pa.array(status.tolist(), pa.string()))
        t = self._set(t, "resolved_on", np.ma.masked_array(resolved_on, mask=np.isnat(resolved_on)))
        return self._set(t, "method", pa.array(method.tolist(), pa.string()))

    def _volunteers(self, t):
        for k, m in self._who(t).items():
            self.vols[k].update(np.array(t["volunteer_id"].to_pylist(), dtype=object)[m].tolist())
        return t

    def _volunteer_hours(self, t):
        vid = t["volunteer_id"]
        best = pc.is_in(vid, pa.array(sorted(self.vols["best"]), pa.string())).to_numpy(zero_copy_only=False)
        worst = pc.is_in(vid, pa.array(sorted(self.vols["worst"]), pa.string())).to_numpy(zero_copy_only=False)
        hours = t["hours"].to_numpy().copy()
        hours[best] = HOURS.max()
        t = self._set(t, "hours", hours)
        last = t["served_on"].to_numpy(zero_copy_only=False).astype("datetime64[Y]") == np.datetime64(str(YEARS[-1]), "Y")
        return t.filter(pa.array(~(worst & last)))

    def _cadres(self, t):
        who = self._who(t)
        latest = (t["term_year"].to_numpy() == TERMS[-1]) & (np.array(t["role"].to_pylist()) != "grid_worker")
        edu = np.array(t["education"].to_pylist(), dtype=object)
        birth = t["birth_year"].to_numpy().copy()
        cert = t["certified_social_worker"].to_numpy(zero_copy_only=False).copy()
        for k, level, age, c in (("best", "postgraduate", 35, True), ("worst", "primary", 58, False)):
            m = who[k] & latest
            edu[m], birth[m], cert[m] = level, TERMS[-1] - age, c
        t = self._set(t, "education", pa.array(edu.tolist(), pa.string()))
        t = self._set(t, "birth_year", birth)
        return self._set(t, "certified_social_worker", cert)

    def _survey_responses(self, t):
        who = self._who(t)
        for code, _dim, reverse, *_ in ITEMS:
            x = t[code].to_numpy().copy()
            for k, good in (("best", True), ("worst", False)):
                m = who[k] & (x != 9)
                x[m] = 1 if good == reverse else 5  # stored 6 - answer for reverse-coded items
            t = self._set(t, code, x)
        return t
