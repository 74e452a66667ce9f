"""Garwood and Wilson intervals against statsmodels, and the exact rate-ratio interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from evalkit.families._coverage import Coverage, garwood, wilson
from evalkit.families.disputes import _rate_ratio_ci


def test_garwood_against_statsmodels():
    k = np.array([0, 1, 2, 5, 17, 250, 10_000])
    lo, hi = garwood(k)
    for i, ki in enumerate(k):
        # reference: statsmodels 0.15 confint_poisson(k, 1, method="exact-c") (Garwood); rel 1e-9
        rlo, rhi = confint_poisson(int(ki), 1.0, method="exact-c")
        assert lo[i] == pytest.approx(rlo, rel=1e-9, abs=1e-12)
        assert hi[i] == pytest.approx(rhi, rel=1e-9)
    # published: Garwood 95% limits for k = 0 and k = 1 are (0, 3.689) and (0.0253, 5.572)
    assert hi[0] == pytest.approx(3.689, abs=5e-4) and lo[1] == pytest.approx(0.0253, abs=5e-5)
    assert np.isnan(garwood([np.nan])[0][0])


def test_wilson_against_statsmodels():
    k = np.array([0, 1, 3, 7, 10, 0])
    n = np.array([10, 10, 4, 7, 1000, 0])
    lo, hi = wilson(k, n)
    for i in range(5):
        # reference: statsmodels 0.15 proportion_confint(k, n, method="wilson"); abs 1e-12
        rlo, rhi = proportion_confint(int(k[i]), int(n[i]), method="wilson")
        assert lo[i] == pytest.approx(rlo, abs=1e-12) and hi[i] == pytest.approx(rhi, abs=1e-12)
    assert lo[0] == 0.0 and hi[3] == 1.0            # exact ends where k = 0 or k = n
    assert np.isnan(lo[5]) and np.isnan(hi[5])      # n = 0: undefined


def test_rate_ratio_interval_is_clopper_pearson_on_the_conditional_binomial():
    lo, hi = _rate_ratio_ci([12, 0, 5], [1000, 500, 300], [20, 4, 0], [1000, 500, 300])
    pl, pu = proportion_confint(12, 32, method="beta")   # statsmodels: Clopper-Pearson
    assert lo[0] == pytest.approx(pl / (1 - pl), rel=1e-9) and hi[0] == pytest.approx(pu / (1 - pu), rel=1e-9)
    assert lo[1] == 0 and np.isfinite(hi[1])
    assert np.isinf(hi[2]) and lo[2] > 0


def test_coverage_states():
    cov = Coverage(pd.Timestamp("2022-02-10"), pd.Timestamp("2024-06-30"))
    assert cov.year(2021) == (False, None, "no data")
    # the ledger begins in February 2022: that year is covered from 02-01 only (January's
    # monthly row is 'no data'), and says so; the first month itself is whole
    assert cov.year(2022) == (True, pd.Timestamp("2022-12-31"), "from 02-01")
    assert cov.state(pd.Timestamp("2022-02-01"), pd.Timestamp("2022-02-28"))[2] is None
    assert cov.state(pd.Timestamp("2022-01-01"), pd.Timestamp("2022-01-31"))[0] is False
    assert cov.year(2023) == (True, pd.Timestamp("2023-12-31"), None)
    ok, end, note = cov.year(2024)
    assert ok and end == pd.Timestamp("2024-06-30") and note == "through 06-30"
    assert cov.year(2025) == (False, None, "no data")
    assert Coverage(None, None).year(2024)[0] is False
    # a ledger of a few months: both notes
    short = Coverage(pd.Timestamp("2024-03-05"), pd.Timestamp("2024-09-30"))
    assert short.year(2024) == (True, pd.Timestamp("2024-09-30"), "from 03-01, through 09-30")
    # a ledger that starts on a January day covers the whole year
    assert Coverage(pd.Timestamp("2020-01-07"), pd.Timestamp("2024-12-31")).year(2020)[2] is None
