"""Performance-driven changes that must not change results.

* ``tables_needed``: loading only the tables it names gives the same indicators;
* the memoised community sizes / unit maps of ``_coverage`` do not leak between
  datasets and callers cannot corrupt them;
* ``cadre_mean_age`` uses ``scipy.special.stdtrit`` (no ``scipy.stats`` import);
* the log(-log) interval of the resolution-time curves does not overflow.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.exceptions import ParameterError
from evalkit.families import indicators, tables_needed

COUNT_SET = ["dispute_count", "dispute_rate", "dispute_resolution_rate", "dispute_escalation_rate",
             "volunteer_registration_rate", "volunteer_active_rate", "volunteer_hours_per_resident",
             "volunteer_party_share", "cadre_college_share"]


def _only(ds, names):
    return dataclasses.replace(ds, tables={k: v for k, v in ds.tables.items() if k in names})


def test_tables_needed_sets():
    assert tables_needed(indicators=COUNT_SET) == {
        "communities", "community_years", "disputes", "volunteers", "volunteer_hours", "cadres"}
    assert tables_needed(families=["satisfaction"]) == {
        "communities", "community_years", "survey_responses", "survey_items"}
    # organisation's NEEDS: community workers come from the cadre roster
    assert "cadres" in tables_needed(families=["organisation"])
    assert "cadres" in tables_needed(indicators=["community_workers_per_10k"])
    assert tables_needed(families="disputes") == {"communities", "community_years", "disputes"}
    with pytest.raises(ParameterError):
        tables_needed(indicators=["no_such_indicator"])
    with pytest.raises(ParameterError):
        tables_needed(families=["no_such_family"])


@pytest.mark.parametrize("ids", [COUNT_SET, None, ["satisfaction_index"], ["community_workers_per_10k"]],
                         ids=["counts", "all", "survey", "needs"])
def test_needed_tables_give_the_same_indicators(small_ds, ids):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = indicators(small_ds, year=2024, level=["community", "city"], indicators=ids)
        part = indicators(_only(small_ds, tables_needed(indicators=ids)), year=2024,
                          level=["community", "city"], indicators=ids)
    assert len(full) > 0
    pd.testing.assert_frame_equal(part, full, check_exact=True)


def test_memoised_sizes_are_per_dataset_and_copied(small_ds):
    from evalkit.families._coverage import level_map, sizes

    a = sizes(small_ds, [2024])
    a["households"] = -1.0  # a caller changing its copy ...
    b = sizes(small_ds, [2024])
    assert (b["households"] > 0).all()  # ... does not change the next caller's
    com = small_ds["communities"].copy()
    com["households"] = com["households"] * 2
    other = dataclasses.replace(small_ds, tables={**small_ds.tables, "communities": com,
                                                  "community_years": small_ds["community_years"].iloc[0:0]})
    c = sizes(other, [2024])
    ref = com["households"].astype("float64").to_numpy()
    np.testing.assert_array_equal(c["households"].to_numpy(), ref)
    # same register, other yearly table: recomputed, not served from the first dataset
    cy = small_ds["community_years"].copy()
    cy["households"] = cy["households"] + 1000
    third = dataclasses.replace(small_ds, tables={**small_ds.tables, "community_years": cy})
    d = sizes(third, [2024]).set_index("community_id")["households"]
    e = sizes(small_ds, [2024]).set_index("community_id")["households"]
    moved = cy.loc[(cy["year"] == 2024) & cy["households"].notna(), "community_id"]
    assert len(moved) and ((d[moved] - e[moved]) == 1000).all()
    lm = level_map(small_ds, ["city", "community"])
    assert list(lm["level"].unique()) == ["community", "city"]


def test_cadre_t_quantile_matches_tables():
    """stdtrit(df, 0.975) against printed t tables (Student t, two-sided 95%):
    df=1: 12.7062, df=4: 2.7764, df=9: 2.2622, df=29: 2.0452 (any statistics
    textbook table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2); tolerance 5e-5."""
    from scipy.special import stdtrit

    got = stdtrit(np.array([1, 4, 9, 29]), 0.975)
    np.testing.assert_allclose(got, [12.7062, 2.7764, 2.2622, 2.0452], atol=5e-5)


def test_families_import_without_scipy_stats():
    code = ("import sys, evalkit.families.cadres, evalkit.families.disputes, evalkit.families.volunteers, "
            "evalkit.families.organisation, evalkit.families.satisfaction, evalkit.io; "
            "print('scipy.stats' in sys.modules, 'statsmodels' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_loglog_interval_without_overflow():
    """Points near 0 and 1 with a large se: no RuntimeWarning, the limits 0 and 1.
    Elsewhere the value equals the textbook form p ** exp(+-z se / (p |log p|))
    (Kalbfleisch & Prentice 2002, s. 1.4) to 1e-12 relative."""
    from evalkit.stats.survival import _loglog_ci

    p = np.array([1e-300, 1 - 1e-15, 0.3, 0.9, 0.0, 1.0, 0.5])
    se = np.array([0.5, 0.5, 0.05, 0.02, 0.0, 0.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = _loglog_ci(p, se, 0.95)
    z = 1.959963984540054
    for i in (2, 3):
        s = se[i] / (p[i] * abs(np.log(p[i])))
        assert lo[i] == pytest.approx(p[i] ** np.exp(z * s), rel=1e-12)
        assert hi[i] == pytest.approx(p[i] ** np.exp(-z * s), rel=1e-12)
    assert lo[0] == 0.0 and 0.0 <= hi[0] <= 1.0
    assert 0.0 <= lo[1] <= 1.0 and hi[1] == pytest.approx(1.0)
    assert lo[4] == hi[4] == 0.0 and lo[5] == hi[5] == 1.0  # se 0: the point itself
    assert np.isnan(lo[6]) and np.isnan(hi[6])
