"""Difference in differences: two-way fixed effects, Callaway–Sant'Anna, inference.

Plain functions on tidy DataFrames, usable without a Dataset; one module per
estimator:

* :func:`twfe_did` (``twfe.py``) — two-way (unit and time) fixed-effects
  regression of an outcome on a treatment dummy, with CR1 cluster-robust
  standard errors as fixest / reghdfe compute them; on a long panel or a
  :class:`Panel`.
* :func:`did_2x2` (``twfe.py``) — the textbook two-group, two-period comparison
  with both the two-sample standard error of the change and the TWFE CR1 one.
* :func:`prepare_panel` / :class:`Panel` (``_panel.py``) — the checked,
  balanced wide panel the staggered estimators work on.
* :func:`callaway_santanna` / :class:`CSResult` (``staggered.py``) —
  group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna
  (2021) without covariates, base period "varying", with their influence
  functions; the cells, base periods and control cohorts are a
  :class:`CSDesign` (``_design.py``).
* :func:`aggregate` (``aggregate.py``) — the "simple", "group", "dynamic"
  (event study) and "calendar" aggregations of R ``did::aggte`` with
  analytic standard errors.
* :func:`pretrend_test` (``pretrend.py``) — Wald test that all pre-period
  ATT(g,t) are zero, with R ``did``'s χ² p-value or (small-sample valid) a
  randomisation p-value.
* :func:`randomization_inference` (``randomization.py``) — permutation
  p-values for the TWFE coefficient and the Callaway–Sant'Anna estimates,
  reassigning the observed first-treated years across units.

The panel functions work on a balanced panel (as R ``did`` does by default):
units missing the outcome in any period of the window are dropped, and the
Panel says how many.

References
----------
Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. Journal of Econometrics 225(2), 200–230.
Card, D. & Krueger, A. B. (1994). Minimum wages and employment. American
Economic Review 84(4), 772–793.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
cluster-robust inference. Journal of Human Resources 50(2), 317–372.
Roth, J. (2022). Pretest with caution: event-study estimates after testing
for parallel trends. American Economic Review: Insights 4(3), 305–322.
Wu, J. & Ding, P. (2021). Randomization tests for weak null hypotheses in
randomized experiments. Journal of the American Statistical Association 116(536), 1898–1913.
MacKinnon, J. G. & Webb, M. D. (2017). Wild bootstrap inference for wildly
different cluster sizes. Journal of Applied Econometrics 32(2), 233–254.
"""

from __future__ import annotations

from evalkit.stats.did._design import Control, CSDesign
from evalkit.stats.did._panel import Panel, prepare_panel
from evalkit.stats.did.aggregate import AggKind, aggregate
from evalkit.stats.did.pretrend import PretrendMethod, pretrend_test
from evalkit.stats.did.randomization import randomization_inference
from evalkit.stats.did.staggered import CSResult, callaway_santanna
from evalkit.stats.did.twfe import did_2x2, twfe_did

__all__ = [
    "twfe_did", "did_2x2", "prepare_panel", "Panel", "callaway_santanna", "CSResult", "CSDesign",
    "aggregate", "pretrend_test", "randomization_inference", "Control", "AggKind", "PretrendMethod",
]
