"""Parameters of the synthetic generator: sizes per scale, planted effects, calibration.

See the docstring of :mod:`evalkit.synthetic` for the model these numbers feed.
"""

from __future__ import annotations

import numpy as np

from evalkit.contract import (
    CADRE_ROLES, COMMUNITY_TYPES, DISPUTE_CATEGORIES, DISPUTE_METHODS, DISPUTE_SOURCES,
    SERVICE_TYPES,
)

YEARS = (2020, 2021, 2022, 2023, 2024)
AS_OF = "2024-12-31"
TERMS = (2018, 2021, 2024)
COHORTS = (2021, 2022, 2023)

#: Sizes per scale.  The per-community rates are the same at every scale (a
#: demo community looks like a city community): ``dispute_base`` is the
#: base rate in cases per 1,000 households per year before the type factors
#: (mean base rate ~1.05 x this; the realised rate over 2020-2024, after the
#: downward trend and the pilot effect, ~25-38), ``vol_share`` the mean
#: registered share of the population.  ``hh_factor`` scales the households of
#: every community (city and province communities are bigger, as in large
#: cities; it brings the city to ~500,000 cases over five years),
#: ``survey_n`` is respondents per community and wave, ``id_width`` the digits
#: of case, volunteer, service record and person ids.
SCALES = {
    "demo": dict(districts=5, communities=60, dispute_base=36.0, vol_share=0.03, hh_factor=1.0,
                 survey_n=30, id_width=dict(case=6, vol=5, rec=6, person=5)),
    "city": dict(districts=10, communities=1000, dispute_base=36.0, vol_share=0.03, hh_factor=1.6,
                 survey_n=20, id_width=dict(case=7, vol=6, rec=7, person=6)),
    "province": dict(districts=200, communities=20000, dispute_base=36.0, vol_share=0.03,
                     hh_factor=1.6, survey_n=20, id_width=dict(case=8, vol=7, rec=8, person=7)),
}

#: Volunteer activity, the same at every scale: a volunteer's chance to be
#: active (at least one service record) in a year they are registered all
#: year is Beta(a, b), party members' Beta(a_p, b_p); an active year has
#: 1 + Poisson(VOL_EXTRA_RECORDS) records (both scaled by the registered
#: fraction of a partly registered year).
VOL_ACTIVE_BETA = (2.0, 3.0)
VOL_ACTIVE_BETA_PARTY = (3.0, 3.0)
VOL_PARTY_P = 0.25
VOL_EXTRA_RECORDS = 2.0

TREND_IRR = 0.95
PILOT_RR = 0.75
UPLIFT = 6.0
COLLEGE_BY_TERM = {2018: 0.40, 2021: 0.60, 2024: 0.80}
RESETTLE_AGE = 55.0
RESETTLE_EDU = np.array([0.25, 0.50, 0.15, 0.07, 0.03, 0.0])   # junior-or-below 0.75
GRID_EDU = np.array([0.0, 0.10, 0.30, 0.35, 0.25, 0.0])
SEASON = np.array([1.15, 1.05, 0.85, 0.85, 0.90, 1.00, 1.20, 1.25, 1.00, 0.90, 0.90, 0.95])
SEASON = SEASON / SEASON.mean()

TYPES = tuple(COMMUNITY_TYPES)
# probability, median households, persons per household (low, high), dispute factor,
# floating Party share (low, high)
TYPE_PARAMS = {
    "commodity_housing": (0.30, 2500, (3.0, 3.4), 1.2, (0.55, 0.90)),
    "old_neighborhood": (0.25, 1500, (2.4, 2.8), 1.1, (0.05, 0.25)),
    "resettlement": (0.12, 1750, (2.2, 2.6), 1.0, (0.05, 0.20)),
    "village_to_urban": (0.10, 1200, (2.8, 3.3), 0.9, (0.10, 0.30)),
    "work_unit": (0.08, 1000, (2.3, 2.7), 0.7, (0.05, 0.20)),
    "mixed": (0.15, 2000, (2.6, 3.0), 1.0, (0.30, 0.60)),
}
CATS = tuple(DISPUTE_CATEGORIES)  # property neighbor family labor land consumer other
CAT_PROBS = {
    "commodity_housing": [0.38, 0.24, 0.12, 0.06, 0.02, 0.10, 0.08],
    "old_neighborhood": [0.22, 0.34, 0.16, 0.06, 0.04, 0.08, 0.10],
    "resettlement": [0.12, 0.28, 0.16, 0.08, 0.20, 0.06, 0.10],
    "village_to_urban": [0.08, 0.28, 0.16, 0.10, 0.24, 0.04, 0.10],
    "work_unit": [0.15, 0.32, 0.18, 0.14, 0.02, 0.08, 0.11],
    "mixed": [0.25, 0.28, 0.14, 0.08, 0.06, 0.09, 0.10],
}
SOURCES = tuple(DISPUTE_SOURCES)
SOURCE_PROBS = [0.45, 0.25, 0.15, 0.12, 0.03]
METHODS = tuple(DISPUTE_METHODS)
METHOD_PROBS = [0.55, 0.15, 0.20, 0.03, 0.07]
RESOLVE_P, ESCALATE_P = 0.90, 0.06
RESOLVE_MEDIAN_DAYS, RESOLVE_SIGMA = 8.5, 0.8
SERVICES = tuple(SERVICE_TYPES)
SERVICE_PROBS = [0.30, 0.22, 0.18, 0.15, 0.05, 0.10]
HOURS = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0])
HOURS_P = np.array([0.05, 0.06, 0.20, 0.14, 0.22, 0.08, 0.15, 0.05, 0.03, 0.02])

# survey: (item_id, dimension, reverse, text_zh, text_en, offset)
ITEMS = (
    ("Q01", "party_org", False, "社区党组织在帮助居民解决困难方面发挥了作用",
     "The community Party organisation helps residents solve problems", 0.04),
    ("Q02", "party_org", False, "身边的党员在社区事务中起到了带头作用",
     "Party members nearby take the lead in community affairs", 0.02),
    ("Q03", "services", False, "在社区办事方便、快捷",
     "Getting things done at the community office is easy and quick", 0.03),
    ("Q04", "services", False, "社区为老人和儿童提供的服务让人满意",
     "Services for the elderly and children are satisfactory", -0.01),
    ("Q05", "safety", False, "晚上在小区里走动感到安全",
     "I feel safe walking in the compound at night", 0.05),
    ("Q06", "safety", False, "小区的治安状况良好",
     "Public order in the compound is good", 0.03),
    ("Q07", "environment", False, "小区环境卫生干净整洁",
     "The compound is clean and tidy", -0.02),
    ("Q08", "environment", False, "绿化和公共设施维护得好",
     "Green space and shared facilities are well maintained", 0.0),
    ("Q09", "property", False, "物业服务质量让人满意",
     "The property management service is satisfactory", -0.05),
    ("Q10", "property", False, "物业费的收支公开透明",
     "Property fees and spending are open and transparent", -0.04),
    ("Q11", "property", True, "向物业反映的问题常常长期得不到解决",
     "Problems reported to the property company often stay unsolved for a long time", -0.03),
    ("Q12", "participation", False, "我有机会参加社区组织的议事协商",
     "I have the chance to take part in community deliberation", -0.04),
    ("Q13", "participation", False, "社区做重要决定前会征求居民意见",
     "The community asks residents before important decisions", 0.02),
    ("Q14", "overall", False, "总体而言，您对本社区的治理工作满意吗",
     "Overall, how satisfied are you with how your community is run?", 0.0),
)
NONOVERALL_OFFSETS = np.array([it[5] for it in ITEMS if it[1] != "overall"])
MISSING_P = 0.03
# bounds of the latent terms (all additive, no clipping needed)
SAT_COMMUNITY = (0.52, 0.76)
SAT_BUILDING = 0.05
SAT_RESPONDENT = 0.08

DISTRICT_NAMES = ("东城区", "西湖区", "南湖区", "北山区", "新城区", "临江区", "滨海区", "青山区",
                  "高新区", "江北区")
_D1 = "东西南北中新金银青白丰宝长安永和平福兴华"
_D2 = ("城", "湖", "山", "江", "河", "海", "林", "阳", "桥", "州")
STREETS = ("朝阳", "和平", "幸福", "建设", "解放", "人民", "光明", "新华", "东湖", "春晖",
           "文化", "长安", "湖滨", "花园", "锦绣", "振兴", "友谊", "团结", "胜利", "民主")
_C1 = "安康和乐福兴华丰瑞祥泰宁平宏景佳美春秋桂兰梅竹松柳桃红金银玉"
_C2 = "园苑里湾庭坊城府轩苑"
_SUFFIX = {
    "commodity_housing": "花园社区", "old_neighborhood": "里社区", "resettlement": "家园社区",
    "village_to_urban": "村社区", "work_unit": "新村社区", "mixed": "社区",
}

ROLES = tuple(CADRE_ROLES)

# --- the five ledgers of LEDGERS.md ------------------------------------------------------
# Every rate below is per community and the same at every scale (city scale: ~150,000
# requests and ~300,000 visits a year).  The planted effects are PILOT_MEETING_RR (meetings)
# and PILOT_CLOSE_FACTOR (days to close a request), both from the first piloted year.

#: Meetings per community-month (never piloted): a joint meeting every month or two plus
#: the other kinds; the community's own rate is this times a log-normal factor of mean 1.
MEETING_RATE = 1.1
MEETING_SIGMA = 0.3
PILOT_MEETING_RR = 1.5
MEETING_TYPES_P = {"joint": 0.40, "deliberation": 0.32, "owners": 0.10, "briefing": 0.09,
                   "hearing": 0.05, "other": 0.04}
ITEMS_EXTRA = 0.9                       # items per meeting: 1 + Poisson(ITEMS_EXTRA)
UNITS_MEAN = {"joint": 2.5, "deliberation": 0.6}   # units_present: joint 1 + Poisson, others Poisson
UNITS_OTHER = 0.3
UNITS_RECORDED_P = 0.9
ISSUE_P = {"property": 0.16, "facilities": 0.12, "infrastructure": 0.08, "environment": 0.12,
           "parking": 0.10, "safety": 0.07, "neighbor": 0.06, "assistance": 0.08, "culture": 0.05,
           "services": 0.06, "policy": 0.04, "party": 0.03, "other": 0.03}
ITEM_SOURCE_P = {"resident": 0.35, "request": 0.15, "party_org": 0.15, "unit": 0.10, "grid": 0.12,
                 "street": 0.10, "other": 0.03}
OUTCOME_P = {"agreed": 0.72, "not_agreed": 0.08, "deferred": 0.12, "referred": 0.08}
IMPLEMENT_P, IMPLEMENT_MEDIAN_DAYS, IMPLEMENT_SIGMA = 0.8, 25.0, 0.8
FUNDS_P, FUNDS_MEDIAN, FUNDS_SIGMA = 0.3, 6000.0, 1.0
PUBLISHED_P = 0.85

#: Requests per 1,000 households a year by channel (the visit channel comes from visits).
REQUEST_RATES = {"hotline": 10.0, "grid": 15.0, "walk_in": 6.0, "online": 5.0, "meeting": 2.0,
                 "petition": 1.0, "other": 1.0}
REQUEST_SIGMA = 0.3
DUE_DAYS = {"hotline": 7}               # every other channel: DUE_DAYS_OTHER
DUE_DAYS_OTHER = 15
CLOSE_MEDIAN_DAYS, CLOSE_SIGMA = 5.5, 0.9
OPEN_P = 0.02                           # never closed
PILOT_CLOSE_FACTOR = 0.6                # days to close x this from the first piloted year
REQUEST_TYPE_P = {"consultation": 0.20, "help": 0.25, "complaint": 0.35, "report": 0.05,
                  "suggestion": 0.10, "other": 0.05}
RESPONSE_DAYS_P = (0.70, 0.27, 0.02, 0.01)   # responded 0, 1, 2, 3 days after receipt
RESPONSE_FLAG_P = 0.6                   # hotline rows carrying responded_in_time
ASSESSED_P = 0.92
RESOLUTION_P = {"resolved": 0.94, "unresolved": 0.04, "not_rated": 0.02}
SATISFACTION_P = {"satisfied": 0.70, "fairly": 0.24, "dissatisfied": 0.03, "not_rated": 0.03}
CASE_LINK_P = 0.04                      # complaints that became a dispute case of the community
VISIT_REQUEST_P = 0.35                  # visits with needs found that raised a request

#: Visits per household a year; campaign months April-July at twice the other months.  A
#: community's visits and requests share one activity factor (log-normal, REQUEST_SIGMA).
VISIT_RATE = 0.1
VISIT_MONTH = np.array([1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1], float)
VISIT_MONTH = VISIT_MONTH / VISIT_MONTH.mean()
VISIT_MODE_P = {"in_home": 0.55, "doorstep": 0.15, "point": 0.15, "phone": 0.12, "other": 0.03}
VISITOR_P = {"grid_worker": 0.35, "group_leader": 0.15, "building_head": 0.15, "cadre": 0.15,
             "party_member": 0.10, "volunteer": 0.08, "other": 0.02}
NEEDS_MEAN = 0.24                       # Honghu: 700+ needs in 3,000+ visits
NEEDS_RECORDED_P = 0.95

#: Party roster: the floating-member sweep of piloted communities (April-July of the first
#: piloted year; Honghu found 110 of 116), found elsewhere at random over the years.
SWEEP_FOUND_P = 0.95
OTHER_FOUND_P = 0.35
TRANSFER_P = 0.12                       # found floating members who later transfer in
AWAY_SHARE, LEFT_SHARE, REPORTING_SHARE = 0.03, 0.03, 0.15
REPORTING_LINK_P = 0.7                  # reporting members registered as volunteers

#: Funded projects per community a year, their money (yuan) and organisations.
PROJECTS_PER_COMMUNITY = 0.5
PROJECT_MEDIAN_YUAN, PROJECT_SIGMA = 9000.0, 0.5
ORGS_PER_COMMUNITY = 0.4
SHARED_PROJECT_P = 0.15                 # a project in two communities (the money shared)
PROGRAMME_P = {"venture": 0.50, "micro": 0.30, "purchase": 0.12, "charity": 0.05, "other": 0.03}
SERVICE_AREA_P = {"elderly": 0.28, "children": 0.18, "assistance": 0.14, "disability": 0.08,
                  "governance": 0.12, "environment": 0.08, "culture": 0.10, "other": 0.02}

#: Part-time members (heads of units) per community with a 大党委: 2 + Poisson(1.06)
#: (Qiaokou: 389 in 127).
PART_TIME_EXTRA = 1.06
TEAM_KINDS = ("党员先锋队", "巾帼志愿服务队", "青年志愿服务队", "银龄志愿服务队")
