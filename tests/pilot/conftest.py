"""Fixtures of the pilot-comparison tests: a simulated staggered panel with a planted effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def simulate(n=300, years=range(2015, 2025), cohorts=(2018, 2020, 2022), share=0.45, att=-0.5,
             seed=1, n_treated=None) -> pd.DataFrame:
    """Staggered panel: unit FE + common random-walk year effects + noise, constant ATT ``att``."""
    rng = np.random.default_rng(seed)
    yrs = np.array(list(years))
    g = np.zeros(n)
    k = int(n * share) if n_treated is None else n_treated
    g[:k] = rng.choice(cohorts, size=k)
    a = rng.normal(0, 1, n)
    b = rng.normal(0, 0.3, len(yrs)).cumsum()
    y = 5 + a[:, None] + b[None, :] + rng.normal(0, 0.5, (n, len(yrs)))
    y = y + att * ((g[:, None] > 0) & (yrs[None, :] >= g[:, None]))
    return pd.DataFrame({"unit": np.repeat([f"u{i:04d}" for i in range(n)], len(yrs)),
                         "year": np.tile(yrs, n), "y": y.ravel(), "first": np.repeat(g, len(yrs))})


@pytest.fixture
def sim():
    return simulate


def simulate_demo(rng, *, n=60, n_treated=20, years=range(2020, 2025), cohorts=(2021, 2022, 2023),
                  slope=0.0, att=7.0) -> pd.DataFrame:
    """A panel like the synth demo's satisfaction_index: 60 communities, 20 piloted in 3 cohorts.

    Unit effects (sd 4.5), a common year trend, heteroskedastic noise (sd about 1.9,
    varying by unit as survey sample sizes do), a constant post-pilot effect ``att``.
    Parallel trends hold unless ``slope`` (a linear drift of piloted units per year) is set.
    """
    yrs = np.array(list(years))
    g = np.zeros(n)
    g[:n_treated] = rng.choice(cohorts, n_treated)
    sd = 1.9 * np.exp(rng.normal(0, 0.4, n) - 0.08)
    y = (rng.normal(64, 4.5, n)[:, None] + 0.5 * np.arange(len(yrs))[None, :]
         + rng.normal(0, 1, (n, len(yrs))) * sd[:, None])
    y = y + slope * (g[:, None] > 0) * (yrs[None, :] - yrs[0])
    y = y + att * ((g[:, None] > 0) & (yrs[None, :] >= g[:, None]))
    return pd.DataFrame({"unit": np.repeat([f"c{i:03d}" for i in range(n)], len(yrs)),
                         "year": np.tile(yrs, n), "y": y.ravel(), "first": np.repeat(g, len(yrs))})


@pytest.fixture
def demo_sim():
    return simulate_demo
