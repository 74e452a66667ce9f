"""Synthetic datasets in the contract, with known planted effects.

``synth(out, scale=..., seed=...)`` writes a dataset folder of the fictional
city 示例市 (communities, community_years, disputes, volunteers,
volunteer_hours, cadres, survey_responses, survey_items, targets, and the five
ledgers of LEDGERS.md: deliberations, requests, visits, party_members,
projects; dataset.json) plus ``truth.json``, the effects the generator planted,
in the units the estimators report.  The same seed gives byte-identical files.

Generation is vectorised with numpy and runs district by district, each
district with its own random stream (``SeedSequence(seed, spawn_key=(d,))``),
so a district's records do not depend on the others and the province scale
streams to disk (blocks buffered to ~130,000 rows, one Parquet row group each,
via ``pyarrow.parquet.ParquetWriter``) without holding the whole dataset in
memory.  The package holds ``_params`` (every number of the model below),
``_core`` (``synth``, the district loop, truth.json), ``_records`` (the
record tables of a district) and ``_writer`` (Parquet and CSV writers).
Parquet is written with fixed options (zstd level 3, format 2.6,
no pandas metadata, no timestamps); CSV is UTF-8 with BOM, LF line ends,
ISO dates, ``true``/``false``, empty for missing, and a cell is quoted only
when it holds a comma, a quote or a line break (RFC 4180).

Scales
------
The per-community rates are the same at every scale, so a demo community
looks like a city community: disputes 36 per 1,000 households per year at
the base (times a type factor, mean ~1.05; realised ~25–38 a year over
2020–2024 after the downward trend and the pilot effect), ~3 % of residents
registered as volunteers, ~40 % of them active in a year with ~3 service
records of ~3 hours.  Only the size of a community differs: city and
province communities have 1.6 times the households of demo ones (mean
~3,100 against ~1,950, as communities in large cities are bigger), which
gives the city ~490,000 cases over five years.
Measured on the 2-core project machine (seed 20241):

========  ===========  =======  ==========  =========  ==========  ===========
scale     communities  cases    volunteers  records    time        peak memory
========  ===========  =======  ==========  =========  ==========  ===========
demo      60           17,108   11,205      43,397     ~0.6 s      ~0.16 GB
city      1,000        490,782  266,355     1.04 M     ~2 s        ~0.24 GB
province  20,000       9.88 M   5.34 M      20.8 M     ~34 s       ~0.29 GB
========  ===========  =======  ==========  =========  ==========  ===========

The demo is ~4.1 MB of CSV for those tables (disputes 1.1 MB, service records
1.6 MB, survey 0.76 MB, volunteers 0.48 MB): short ids (``D000001``, ``V00001``,
``H000001``, ``P00001``; more digits at the larger scales) and no needless
quoting keep it small, not smaller rates.

The five ledgers (module ``_ledgers``) draw from a second random stream per
district (``SeedSequence(seed, spawn_key=(d, 1))``), so the tables above keep
the values they had before the ledgers existed.  Measured (seed 20241; the
city run on the shared machine at load average ~8, so slower than the table
above):

========  ========  =========  =============  ============  ========  ===================
scale     requests  visits     meeting items  Party roster  projects  time, peak memory
========  ========  =========  =============  ============  ========  ===================
demo      27,350    58,327     8,006          13,836        155       ~1.8 s
city      722,389   1.54 M     140,404        322,406       2,882     ~14 s, ~0.31 GB
========  ========  =========  =============  ============  ========  ===================

(city: ~144,000 requests and ~307,000 visits a year).  They add ~7.5 MB of CSV
to the demo (visits 3.4 MB, requests 2.7 MB, deliberations 0.7 MB, roster 0.6 MB).

The model (calibrated to the source cases in the design documents)
------------------------------------------------------------------
* Communities (households below are demo sizes; × ``hh_factor`` = 1.6 at
  city and province scale): types commodity_housing (Honghu-like, ~2,500
  households, ~3.2 persons each), old_neighborhood, resettlement (Dongyu-like, ~1,750
  households, ~2.3 persons), village_to_urban, work_unit, mixed.
  community_years holds households and population per year (small growth),
  registered and floating Party members (floating share high in commodity
  housing, as Honghu's 116 of 130) and grid workers (~1 per 600–900
  households, as Honghu's 4 for 2,991).
* Pilot: about a third of each district's communities are piloted, in three
  cohorts by *first piloted year* 2021, 2022, 2023.  The first piloted year is
  the year of ``pilot_start`` when it is on or before 30 June, else the next
  year; about a quarter of the pilots start between July and December of the
  year before their cohort year, to make that rule visible.
* Disputes: the count of community c in month m (m = 0 for January of the
  first year) is Poisson with mean
  ``households(c, year)/1000 × base_rate(c)/12 × season(month) ×
  trend^(m/12) × (pilot_rr if year ≥ first piloted year)``.  ``base_rate``
  (cases per 1,000 households per year) varies by type and community
  (log-normal).  Season peaks in July–August and before the Spring Festival.
  Category shares depend on the type (property disputes most common in
  commodity housing); statuses: resolved 90 %, escalated 6 %, unresolved 4 %,
  with the outcome after a log-normal time (median resolution 9 days); a case
  whose outcome falls after the as-of date is ``in_progress``.
* Volunteers: registered share of the population varies by community
  (log-normal, mean ``vol_share`` = 3 %; national benchmark 2.56 %).  A
  volunteer has a persistent chance to be active in a year, Beta(2, 3)
  (mean 0.4), Beta(3, 3) for party members (a quarter of volunteers);
  in a year registered for a fraction f of its days they are active with
  probability f × that chance and then have 1 + Poisson(2 f) service
  records, on uniform days of the registered part of the year; hours per
  record 1–8, mean 3.02, median 3.
* Cadres: terms beginning 2018, 2021 and 2024.  The city-wide share of
  college-or-above among non-grid cadres is set per term
  (``cadre_college_share_by_term``); resettlement communities keep old, less
  educated cadres (mean age ~55, 75 % junior high or below); a person may
  continue into the next term (same person_id and birth year, never a lower
  education).
* The five ledgers (every rate per community, the same at every scale):
  deliberation meetings Poisson per community-month with mean 1.1 × a
  log-normal community factor (mean 1), × ``PILOT_MEETING_RR`` = 1.5 from the
  first piloted year; types joint 40 %, deliberation 32 %, owners 10 % ...;
  1 + Poisson(0.9) items per meeting, 72 % agreed, 80 % of those carried out
  after a log-normal 25 days; funds on 30 % of items.  Requests: 40 per 1,000
  households a year over seven channels (12345 hotline 10: one order per 100
  households) plus the needs found on visits (35 % of the visits that found a
  need), all × one community activity factor shared with visits (so the
  channel mix is the same everywhere); days to close ``ceil(5.5 × factor ×
  log-normal(σ = 0.9))`` with factor ``PILOT_CLOSE_FACTOR`` = 0.6 in piloted
  communities from their first piloted year; 2 % never closed; due in 7 days
  (hotline) or 15; responses on the day (70 %) or the next (27 %).  Visits:
  0.1 per household a year, twice as many in April–July (campaign months),
  Poisson(0.24) needs found (Honghu 700 / 3,000).  Party roster as of the as-of
  date, consistent with community_years' 2024 counts: registered, away (3 %),
  floating-in (piloted communities sweep April–July of their first piloted
  year and find 95 %, as Honghu's 110 of 116; elsewhere 35 % are found at
  random over the years; 12 % of those found transfer in, keeping relation
  floating_in), reporting members (15 %, 70 % linked to a Party volunteer of
  their community); owners'-committee and building-head flags.  Projects: 0.5
  per community a year (~9,000 yuan), organisations from a district pool of 0.4
  per community, 15 % shared with a second community (60 / 40 % of the money).
  community_years gains 大党委 (piloted communities from their first piloted
  year, half the others from a random year), service space, social
  organisations, three grid tiers, owners'-committee seats and building heads;
  cadres gain 2 + Poisson(1.06) part-time members per 大党委 in the 2021 and
  2024 terms (ids ``PT...``); volunteers a team (half a community team, a fifth
  their street's team).
* Survey: stratified (stratum = district) two-stage design; PSUs are
  residential buildings ("C0012-B03"), a few sampled per community and wave;
  weights ∝ building households / respondents in the building × noise; fpc =
  buildings in the district.  A respondent's answer to item j is
  ``1 + Binomial(4, p_ij)`` with ``p_ij = community level + building effect +
  respondent effect + item offset (+ uplift/100 for a pilot community from its
  first piloted year)``.  All terms are bounded so ``p_ij`` stays in [0, 1]
  without clipping, hence E[score] = 100 p exactly and the expected index
  shift of the uplift is exactly ``satisfaction_uplift``.  The reverse-coded
  item is stored as 6 − answer; 3 % of answers are 9 (不清楚), missing
  completely at random with the same probability on every item.

truth.json keys
---------------
``scale``, ``seed``, ``years`` (list), ``as_of`` (ISO date)
    What was generated.
``n_communities``, ``n_districts``
    Sizes.
``pilot_cohorts``
    ``{first piloted year: number of communities}`` (keys are strings).
``n_pilot``, ``n_never_piloted``
    Counts.
``first_piloted_rule``
    The rule in words (year of pilot_start if on or before 30 June, else the
    next year).
``dispute_count_model``
    ``"poisson"``: monthly counts are Poisson, no extra-Poisson variation
    beyond the community's own base rate.
``dispute_trend_irr``
    Rate ratio per year (t in years = months since January of the first
    year / 12) of never-piloted communities, as ``dispute_trend_irr`` reports.
``pilot_dispute_rr``
    Multiplicative effect of piloting on the dispute rate.
``pilot_dispute_rate_att``
    Implied average effect on ``dispute_rate`` (cases per 1,000 households
    per year) that the Callaway–Sant'Anna "group" aggregation targets: per
    cohort g, the mean over post years y ≥ g (to the last year) of the mean
    over the cohort's communities of (expected treated − expected untreated
    rate) = base_rate(c) × A(y) × (pilot_rr − 1), where A(y) is the year's mean
    of season × trend^t; then the cohort-size weighted mean.
``pilot_dispute_rate_att_by_cohort``
    ``{cohort: value}`` of the above.
``dispute_base_rate_mean``
    Mean base rate over communities (cases per 1,000 households per year).
``dispute_season``
    The 12 monthly season factors (mean 1).
``dispute_property_share_by_type``
    Probability that a case is a property dispute, per community type.
``dispute_resolution_prob``
    Probability that a case ends resolved (before as-of censoring).
``dispute_median_days``
    Median days to resolution of resolved cases (the log-normal's median,
    plus whole-day rounding up).
``satisfaction_uplift``
    Points on the 0–100 satisfaction_index scale added to pilot
    communities' respondents from their first piloted year on (exact in
    expectation, see the model above).
``satisfaction_uplift_check``
    The same, recomputed from the generator's answer probabilities (mean over
    the non-overall items of 100 × E[(x − 1)/4] with and without the uplift).
``satisfaction_index_mean``
    Mean over waves of the expected index (100 × latent p) of the
    never-piloted communities' respondents, given their drawn community,
    building and respondent effects (0–100).
``cadre_terms``
    The term years.
``cadre_college_share_by_term``
    ``{term year: target share}``, city-wide college-or-above share among
    every role except grid_worker and part_time_member.
``resettlement_cadre_mean_age_target``, ``resettlement_cadre_junior_high_or_below_share``
    The resettlement targets (Dongyu: over 50; 0.75).
``volunteer_registration_share_mean``
    Mean registered share of the population (fraction) used by the scale.
``volunteer_active_prob_full_year``
    Expected share of volunteers registered for a whole year who have at
    least one service record in that year.
``volunteer_records_per_active_full_year``
    Expected service records of a volunteer active in a year they were
    registered for all of.
``volunteer_hours_per_record_mean``
    Expected hours of a service record.
``meeting_rate_per_month_mean``, ``meeting_count_never_piloted_mean``
    The base monthly meeting rate, and 12 × the mean drawn rate of the
    never-piloted communities (meetings a year).
``pilot_meeting_rr``, ``pilot_meeting_count_att``, ``pilot_meeting_count_att_by_cohort``
    The planted multiplier, and the effect on ``meeting_count`` that the
    Callaway–Sant'Anna "group" aggregation targets: per cohort 12 × (RR − 1) ×
    the cohort's mean monthly rate (the same in every post year), weighted by
    cohort size.
``pilot_request_close_factor``
    The multiplier of days to close in piloted communities.
``request_ontime_never_piloted``, ``request_ontime_piloted``, ``pilot_request_ontime_att``
    Expected ``request_ontime_rate`` of a community-year without and with the
    factor, ``(1 − OPEN_P) Σ w Φ(log(due / (5.5 × factor)) / 0.9)`` over the
    hotline (due in 7 days, weight 10 / 47.1) and the other channels (15
    days), and their difference (the ATT).
``request_median_days_never_piloted``, ``request_median_days_piloted``
    The Kaplan–Meier median of days to close: the smallest whole day t with
    ``(1 − OPEN_P) Φ(log(t / (5.5 × factor)) / 0.9) ≥ 0.5``.
``hotline_response_in_time_prob``
    Probability that a response is on the day received or the next.
``visits_per_household_year``, ``visit_needs_per_visit``
    Visits a household a year; expected recorded needs per visit.
``floating_sweep_window``, ``floating_sweep_found_prob``
    The sweep of piloted communities and the share of floating members found.
``part_time_members_per_big_committee_mean``
    2 + 1.06.
``dispute_rate_never_piloted_by_year``
    ``{year: value}``: mean over never-piloted communities of the expected
    dispute rate (cases per 1,000 households) in the year, base_rate(c) × A(y)
    (an unweighted community mean, not the household-weighted pooled rate).

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. *Journal of Econometrics* 225(2), 200–230.
"""


from __future__ import annotations

from evalkit.synthetic._core import synth
from evalkit.synthetic._params import SCALES

__all__ = ["synth", "SCALES"]
