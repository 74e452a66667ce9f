"""Planted effects of ``evalkit synth`` recovered by the disputes and volunteers indicators.

The generator (evalkit/synthetic.py) draws monthly case counts as Poisson with
rate base(c) x season(month) x trend^t, t in years since January of the first
year, and multiplies piloted communities' rate by ``pilot_dispute_rr`` from
their pilot start.  ``dispute_trend_irr`` pools the records of the units it
describes, so at city level over all communities it estimates the trend of
the mixture (the pilot effect drags it down as more communities are piloted).
The planted city-wide trend is the trend of never-piloted communities:
the test pools exactly those (a Dataset restricted to them) and checks that
the truth lies inside the model's 95% interval.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from evalkit.families import indicators

from fam_helpers import subset


@pytest.fixture(scope="module")
def truth(demo_dir):
    return json.loads((demo_dir / "truth.json").read_text(encoding="utf-8"))


def test_city_trend_of_never_piloted_inside_ci(demo_ds, truth):
    com = demo_ds["communities"]
    never = com.loc[~com["pilot"].fillna(False).to_numpy(dtype=bool), "community_id"]
    assert len(never) == truth["n_never_piloted"]
    t = indicators(subset(demo_ds, never), year=max(truth["years"]), level="city",
                   indicators=["dispute_trend_irr"])
    r = t.iloc[0]
    assert r["period"] == f"{min(truth['years'])}-{max(truth['years'])}"
    # truth: dispute_trend_irr in truth.json (0.95 per year); tolerance: the 95% model interval
    assert r["ci_low"] <= truth["dispute_trend_irr"] <= r["ci_high"], (r["value"], r["ci_low"], r["ci_high"])
    assert r["note"].startswith("poisson") or r["note"].startswith("negative binomial")


def test_every_community_appears_and_rates_are_plausible(demo_ds, truth):
    y = max(truth["years"])
    t = indicators(demo_ds, year=y, level=["community", "district", "city"],
                   families=["disputes", "volunteers", "organisation"],
                   indicators=["dispute_rate", "volunteer_registration_rate", "community_workers_per_10k"])
    n = truth["n_communities"]
    for ind in ("dispute_rate", "volunteer_registration_rate"):
        c = t.loc[(t["indicator"] == ind) & (t["level"] == "community") & (t["period"] == str(y))]
        assert len(c) == n and c["value"].notna().all()
    # city registration share vs the generator's mean registered share (fraction -> per 100);
    # loose bound: communities' shares vary around the mean
    city = t.loc[(t["indicator"] == "volunteer_registration_rate") & (t["level"] == "city"), "value"].item()
    assert city == pytest.approx(100 * truth["volunteer_registration_share_mean"], rel=0.5)
    assert np.isfinite(t.loc[t["indicator"] == "community_workers_per_10k", "value"].dropna()).all()
