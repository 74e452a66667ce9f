"""The dataset contract as data: tables, columns, Chinese aliases, codes, rules.

This module is the single place that knows what a dataset looks like.  The
loader maps headers and code labels with it, validation checks its rules,
synth writes files that obey it, and docs/DATA.md describes it for users.
Nothing here imports pandas, so it is cheap to import from the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

ColumnType = Literal["text", "int", "number", "date", "bool", "code"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``aliases`` are the other headers (Chinese first) that map to ``name``.
    ``codes`` maps each canonical code to its accepted labels (Chinese first).
    ``minimum``/``maximum`` are inclusive unless ``exclusive_min`` is set.
    """

    name: str
    type: ColumnType
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: dict[str, tuple[str, ...]] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    default: object = None
    ordered: bool = False  # codes are ordered (education)

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column (canonical name first)."""
        return (self.name, self.zh, *self.aliases)


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    ref_column: str


# --- rules -------------------------------------------------------------------
# Each rule of a table is one object: its kind (below) says what is checked, its
# id, severity and message (defaults of the kind, each overridable).  The rules that
# follow from a column (required, type, code, range), the key and the foreign keys
# are derived (:meth:`Table.checks`); a table lists the others in ``rules``, one line
# each.  evalkit.io.rules turns every kind into SQL, the same text for the loaded
# tables and for Parquet files read in place.  Messages name columns as ``{column}``,
# ``{other}``, ``{group}``, ``{when}``: the validator puts in the header the user wrote.

Severity = Literal["error", "warning"]


@dataclass(frozen=True, init=False)
class When:
    """A condition on a column of the same row: its value is one of ``values``, or --
    with no values -- it is filled in.  ``When("status", "resolved")``, ``When("closed_on")``."""

    column: str
    values: tuple = ()

    def __init__(self, column: str, *values):
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Base of the rule kinds: ``id``, ``severity`` and the messages ``zh``/``en``
    override the kind's defaults (``ID``, ``ZH``, ``EN``)."""

    id: str | None = None
    severity: Severity = "error"
    zh: str | None = None
    en: str | None = None
    doc: str | None = None  # the rule as the templates' 说明 sheet states it (Chinese)

    ID: ClassVar[str] = ""
    ZH: ClassVar[str] = ""
    EN: ClassVar[str] = ""
    DOC: ClassVar[str] = ""

    def rule_id(self, table: str) -> str:
        return self.id or self.ID.format(table=table, column=getattr(self, "column", ""))

    def template(self) -> tuple[str, str]:
        return (self.zh or self.ZH, self.en or self.EN)

    def doc_template(self) -> str:
        """The rule stated for the templates' 说明 sheet (Chinese; empty: nothing beyond the
        column's own description)."""
        return self.doc or self.DOC

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the source must have for the rule to apply (else it is not checked)."""
        return (getattr(self, "column"),)


@dataclass(frozen=True)
class Required(Rule):
    """The column is filled in on every row."""

    column: str
    ID: ClassVar[str] = "value.required"
    ZH: ClassVar[str] = "必填项为空"
    EN: ClassVar[str] = "a value is required"


@dataclass(frozen=True)
class Type(Rule):
    """The value reads as the column's type (reported from the loader's parse failures)."""

    column: str
    type: ColumnType = "text"
    ID: ClassVar[str] = "type"
    TEXTS: ClassVar[dict] = {
        "int": ("应为整数", "expected an integer"),
        "number": ("应为数字", "expected a number"),
        "date": ("应为日期（YYYY-MM-DD、YYYY/MM/DD 或 YYYY年M月D日）",
                 "expected a date (YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
        "bool": ("应为是/否（是/否、true/false、1/0、Y/N）", "expected a boolean (是/否, true/false, 1/0, Y/N)"),
    }

    def rule_id(self, table: str) -> str:
        return self.id or f"type.{self.type}"

    def template(self) -> tuple[str, str]:
        zh, en = self.TEXTS.get(self.type, ("无法识别的值", "unreadable value"))
        return (self.zh or zh, self.en or en)


@dataclass(frozen=True)
class Code(Rule):
    """The value is one of the codes (a label is mapped to its code when loading)."""

    column: str
    codes: tuple[tuple[str, str], ...] = ()  # (code, first Chinese label)
    ID: ClassVar[str] = "code.unknown"

    def template(self) -> tuple[str, str]:
        zh = "、".join(f"{lab}({code})" for code, lab in self.codes)
        en = ", ".join(code for code, _ in self.codes)
        return (self.zh or f"应为以下代码之一：{zh}", self.en or f"expected one of the codes: {en}")


@dataclass(frozen=True)
class Range(Rule):
    """A number within bounds (inclusive; ``exclusive_min`` makes the lower bound strict)."""

    column: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    ID: ClassVar[str] = "range"

    def template(self) -> tuple[str, str]:
        lo, hi = self.minimum, self.maximum
        f = lambda x: str(int(x)) if float(x).is_integer() else str(x)  # noqa: E731
        if lo is not None and hi is not None:
            zh, en = ((f"应大于 {f(lo)} 且不超过 {f(hi)}", f"expected > {f(lo)} and <= {f(hi)}") if self.exclusive_min
                      else (f"应在 {f(lo)} 到 {f(hi)} 之间", f"expected between {f(lo)} and {f(hi)}"))
        elif lo is not None:
            zh, en = ((f"应大于 {f(lo)}", f"expected > {f(lo)}") if self.exclusive_min
                      else (f"应不小于 {f(lo)}", f"expected >= {f(lo)}"))
        else:
            zh, en = f"应不超过 {f(hi)}", f"expected <= {f(hi)}"
        return (self.zh or zh, self.en or en)


@dataclass(frozen=True)
class Unique(Rule):
    """The columns together identify a row (rows repeating an earlier row's key are listed)."""

    columns: tuple[str, ...]
    ID: ClassVar[str] = "key.duplicate"
    ZH: ClassVar[str] = "与前面的行重复（{columns} 应唯一）"
    EN: ClassVar[str] = "duplicates an earlier row ({columns} must be unique)"

    @property
    def needs(self) -> tuple[str, ...]:
        return self.columns


@dataclass(frozen=True)
class Reference(Rule):
    """A filled-in value exists in ``table.ref_column`` (a foreign key)."""

    column: str
    table: str
    ref_column: str
    ID: ClassVar[str] = "fk.missing"
    ZH: ClassVar[str] = "在 {table}（{table_zh}）的 {ref_column} 中不存在"
    EN: ClassVar[str] = "not found in {table}.{ref_column}"


@dataclass(frozen=True)
class Order(Rule):
    """``column`` is not before (not below) ``other`` on the same row; ``strict``: above it.
    ``Order("closed_on", "received_on")``."""

    column: str
    other: str
    strict: bool = False
    ID: ClassVar[str] = "date.order"

    def template(self) -> tuple[str, str]:
        zh, en = (("应大于 {other}", "expected greater than {other}") if self.strict
                  else ("不能早于 {other}", "expected on or after {other}"))
        return (self.zh or zh, self.en or en)

    def doc_template(self) -> str:
        return self.doc or ("应大于{other}" if self.strict else "不得早于{other}")

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.column, self.other)


@dataclass(frozen=True)
class _Conditional(Rule):
    """A rule on ``column`` that depends on a condition on the same row."""

    column: str
    when: When
    ID: ClassVar[str] = "{table}.{column}"


class RequiredWhen(_Conditional):
    """``column`` is filled in on the rows where ``when`` holds.
    ``RequiredWhen("reported_on", When("relation", "reporting"))``."""

    ZH: ClassVar[str] = "{when}时必须填写"
    EN: ClassVar[str] = "required when {when}"
    DOC: ClassVar[str] = "{when}时必填"

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.when.column,)


class OnlyWhen(_Conditional):
    """``column`` stays empty unless ``when`` holds.
    ``OnlyWhen("implemented_on", When("outcome", "agreed"))``."""

    ZH: ClassVar[str] = "只有{when}时才填写，这一行应为空"
    EN: ClassVar[str] = "expected empty unless {when}"
    DOC: ClassVar[str] = "仅在{when}时填写，否则留空"

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.column, self.when.column)


@dataclass(frozen=True)
class SameWithin(Rule):
    """The rows of one ``group`` agree on each of ``columns`` (filled-in values; the rows
    that differ from the group's most common value are listed).
    ``SameWithin(("meeting_id",), ("community_id", "held_on"))``."""

    group: tuple[str, ...]
    columns: tuple[str, ...]
    ID: ClassVar[str] = "group.inconsistent"
    ZH: ClassVar[str] = "同一{group}的各行{column}应相同，这一行与多数不同"
    EN: ClassVar[str] = "expected the same {column} as the other rows of its {group}"
    DOC: ClassVar[str] = "同一{group}的各行应相同"

    @property
    def needs(self) -> tuple[str, ...]:
        return (*self.columns, self.group[0])


@dataclass(frozen=True)
class RequiredWithin(Rule):
    """``column`` is filled in on every row of a ``group`` in which any row has it."""

    column: str
    group: tuple[str, ...]
    ID: ClassVar[str] = "group.required"
    ZH: ClassVar[str] = "同一{group}中已有行填写了{column}，这一行也必须填写"
    EN: ClassVar[str] = "required: other rows of its {group} have a {column}"
    DOC: ClassVar[str] = "同一{group}中有一行填写则每行都须填写"

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.column, *self.group)


@dataclass(frozen=True)
class ExactlyOne(Rule):
    """Exactly one row has ``column`` = ``value`` (a non-empty table)."""

    column: str
    value: str
    ID: ClassVar[str] = "value.exactly_one"
    ZH: ClassVar[str] = "应恰好有一行的{column}为“{value}”，实际有 {n} 行。"
    EN: ClassVar[str] = "Exactly one row must have {column} {value}; found {n}."
    DOC: ClassVar[str] = "恰好一行的{column}为“{value}”"


@dataclass(frozen=True)
class Known(Rule):
    """A filled-in value is one of the ids the caller supplies under ``reference``
    (``validate(ds, indicators=...)``); not checked when none are supplied."""

    column: str
    reference: str
    ID: ClassVar[str] = "value.known"
    ZH: ClassVar[str] = "不是已知的编号"
    EN: ClassVar[str] = "not a known id"


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()          # unique together
    foreign_keys: tuple[ForeignKey, ...] = ()
    required: bool = False
    aliases: tuple[str, ...] = ()      # other file / sheet names (Chinese)
    open_columns: bool = False         # survey_responses: item columns come from survey_items
    rules: tuple[Rule, ...] = ()       # rules beyond those the columns, key and foreign keys imply

    def checks(self) -> tuple[Rule, ...]:
        """Every rule of the table: per column required, type, code and range, then the
        key, the foreign keys and ``rules``.

        Examples
        --------
        >>> [r.rule_id("volunteers") for r in VOLUNTEERS.checks()]  # doctest: +NORMALIZE_WHITESPACE
        ['value.required', 'value.required', 'value.required', 'type.date', 'type.date', 'type.int', 'range',
         'code.unknown', 'type.bool', 'key.duplicate', 'fk.missing', 'date.order']
        """
        out: list[Rule] = []
        for c in self.columns:
            if c.required:
                out.append(Required(c.name))
            if c.type in ("int", "number", "date", "bool"):
                out.append(Type(c.name, c.type))
            if c.type == "code" and c.codes:
                out.append(Code(c.name, tuple((code, labels[0]) for code, labels in c.codes.items())))
            if c.type in ("int", "number") and (c.minimum is not None or c.maximum is not None):
                out.append(Range(c.name, c.minimum, c.maximum, c.exclusive_min))
        if self.key:
            out.append(Unique(self.key))
        out += [Reference(fk.column, fk.table, fk.ref_column) for fk in self.foreign_keys]
        return (*out, *self.rules)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# --- codes ------------------------------------------------------------------

COMMUNITY_TYPES = {
    "commodity_housing": ("商品房小区", "商品房社区", "商品房"),
    "old_neighborhood": ("老旧小区", "老旧社区"),
    "resettlement": ("安置型社区", "安置社区", "整体安置型社区", "拆迁安置社区"),
    "village_to_urban": ("村改居", "村改居社区"),
    "work_unit": ("单位社区", "单位型社区"),
    "mixed": ("混合型", "混合型社区", "混合"),
}
DISPUTE_CATEGORIES = {
    "property": ("物业纠纷", "物业"),
    "neighbor": ("邻里纠纷", "邻里"),
    "family": ("婚姻家庭", "婚姻家庭纠纷", "家庭纠纷"),
    "labor": ("劳动争议", "劳动纠纷"),
    "land": ("征地拆迁", "征地拆迁纠纷"),
    "consumer": ("消费纠纷", "消费"),
    "other": ("其他",),
}
DISPUTE_SOURCES = {
    "grid": ("网格员上报", "网格员", "网格上报"),
    "hotline": ("12345热线", "热线", "12345"),
    "visit": ("来访",),
    "online": ("网上", "网上受理", "网络"),
    "other": ("其他",),
}
DISPUTE_STATUSES = {
    "resolved": ("已化解",),
    "in_progress": ("调处中", "办理中"),
    "escalated": ("上交转办", "上交", "转办"),
    "unresolved": ("未化解",),
}
DISPUTE_METHODS = {
    "mediation": ("人民调解", "调解"),
    "joint_meeting": ("联席会议",),
    "grid": ("网格化解", "网格"),
    "litigation": ("诉讼",),
    "other": ("其他",),
}
GENDERS = {"male": ("男",), "female": ("女",)}
SERVICE_TYPES = {
    "elderly": ("助老", "为老服务"),
    "environment": ("环境", "环境保护"),
    "safety": ("平安巡防", "巡防"),
    "culture": ("文体", "文体活动"),
    "legal": ("法律", "法律服务"),
    "other": ("其他",),
}
CADRE_ROLES = {
    "secretary": ("书记", "党组织书记"),
    "deputy_secretary": ("副书记",),
    "committee": ("委员",),
    "director": ("居委会主任", "主任"),
    "staff": ("社区工作者", "社工"),
    "grid_worker": ("网格员",),
}
#: Ordered from lowest to highest.
EDUCATION_LEVELS = {
    "primary": ("小学及以下", "小学"),
    "junior_high": ("初中",),
    "senior_high": ("高中/中专", "高中", "中专", "高中及中专"),
    "college": ("大专",),
    "bachelor": ("本科", "大学本科"),
    "postgraduate": ("研究生", "硕士", "博士"),
}
EDUCATION_ORDER = tuple(EDUCATION_LEVELS)
DIMENSIONS = {
    "party_org": ("党组织",),
    "services": ("服务",),
    "safety": ("平安",),
    "environment": ("环境",),
    "property": ("物业",),
    "participation": ("参与",),
    "overall": ("总体", "总体满意度"),
}
LEVELS = ("community", "street", "district", "city")
LEVEL_CODES = {
    "community": ("社区",),
    "street": ("街道",),
    "district": ("区县", "区"),
    "city": ("全市", "市"),
}

#: Accepted spellings of booleans (compared case-insensitively, stripped).
TRUE_WORDS = frozenset({"true", "1", "是", "y", "yes", "t", "1.0"})
FALSE_WORDS = frozenset({"false", "0", "否", "n", "no", "f", "0.0"})

# --- tables -----------------------------------------------------------------

C = Column

COMMUNITIES = Table(
    "communities", "社区名册",
    (
        C("community_id", "text", "社区编码", required=True, aliases=("社区代码", "社区编号")),
        C("community_name", "text", "社区名称", required=True),
        C("city", "text", "城市"),
        C("district", "text", "区县", required=True, aliases=("区", "区(县)", "县区")),
        C("street", "text", "街道", required=True, aliases=("街道(镇)", "街镇")),
        C("community_type", "code", "社区类型", codes=COMMUNITY_TYPES),
        C("households", "int", "户数", required=True, minimum=0, exclusive_min=True),
        C("population", "int", "常住人口", required=True, minimum=0, exclusive_min=True),
        C("pilot", "bool", "是否试点", default=False),
        C("pilot_start", "date", "试点开始日期"),
    ),
    key=("community_id",), required=True, aliases=("社区",),
    rules=(RequiredWhen("pilot_start", When("pilot", True)), OnlyWhen("pilot_start", When("pilot", True))),
)

COMMUNITY_YEARS = Table(
    "community_years", "社区年度数据",
    (
        C("community_id", "text", "社区编码", required=True, aliases=("社区代码", "社区编号")),
        C("year", "int", "年份", required=True, minimum=2000, maximum=2100),
        C("households", "int", "户数", minimum=0, exclusive_min=True),
        C("population", "int", "常住人口", minimum=0, exclusive_min=True),
        C("party_members_registered", "int", "在册党员数", minimum=0),
        C("party_members_floating", "int", "流动党员数", minimum=0),
        C("grid_workers", "int", "网格员数", minimum=0),
    ),
    key=("community_id", "year"),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
)

DISPUTES = Table(
    "disputes", "矛盾纠纷台账",
    (
        C("case_id", "text", "案件编号", required=True, aliases=("编号",)),
        C("community_id", "text", "社区编码", required=True, aliases=("社区代码", "社区编号")),
        C("reported_on", "date", "登记日期", required=True, aliases=("受理日期",)),
        C("category", "code", "纠纷类型", required=True, codes=DISPUTE_CATEGORIES),
        C("source", "code", "来源", codes=DISPUTE_SOURCES, aliases=("案件来源",)),
        C("status", "code", "办理状态", required=True, codes=DISPUTE_STATUSES),
        C("resolved_on", "date", "化解日期"),
        C("method", "code", "化解方式", codes=DISPUTE_METHODS),
    ),
    key=("case_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
    aliases=("矛盾纠纷",),
    rules=(RequiredWhen("resolved_on", When("status", "resolved")), Order("resolved_on", "reported_on")),
)

VOLUNTEERS = Table(
    "volunteers", "志愿者名册",
    (
        C("volunteer_id", "text", "志愿者编号", required=True),
        C("community_id", "text", "社区编码", required=True, aliases=("社区代码", "社区编号")),
        C("registered_on", "date", "注册日期", required=True),
        C("left_on", "date", "注销日期"),
        C("birth_year", "int", "出生年份", minimum=1900, maximum=2020),
        C("gender", "code", "性别", codes=GENDERS),
        C("party_member", "bool", "是否党员", default=False),
    ),
    key=("volunteer_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
    rules=(Order("left_on", "registered_on"),),
)

VOLUNTEER_HOURS = Table(
    "volunteer_hours", "志愿服务记录",
    (
        C("record_id", "text", "记录编号", required=True),
        C("volunteer_id", "text", "志愿者编号", required=True),
        C("served_on", "date", "服务日期", required=True),
        C("hours", "number", "服务时长", required=True, minimum=0, exclusive_min=True, maximum=24),
        C("service_type", "code", "服务类型", codes=SERVICE_TYPES),
    ),
    key=("record_id",),
    foreign_keys=(ForeignKey("volunteer_id", "volunteers", "volunteer_id"),),
    aliases=("时间银行",),
)

CADRES = Table(
    "cadres", "社区干部名册",
    (
        C("person_id", "text", "人员编号", required=True),
        C("community_id", "text", "社区编码", required=True, aliases=("社区代码", "社区编号")),
        C("term_year", "int", "届次年份", required=True, minimum=1950, maximum=2100, aliases=("换届年份",)),
        C("role", "code", "职务", required=True, codes=CADRE_ROLES),
        C("birth_year", "int", "出生年份", required=True, minimum=1930, maximum=2010),
        C("gender", "code", "性别", codes=GENDERS),
        C("education", "code", "学历", required=True, codes=EDUCATION_LEVELS, ordered=True),
        C("party_member", "bool", "是否党员", required=True),
        C("certified_social_worker", "bool", "持证社工", default=False),
        C("concurrent_director", "bool", "兼任居委会主任"),
    ),
    key=("person_id", "term_year"),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
)

SURVEY_RESPONSES = Table(
    "survey_responses", "居民满意度调查",
    (
        C("respondent_id", "text", "受访者编号", required=True),
        C("community_id", "text", "社区编码", required=True, aliases=("社区代码", "社区编号")),
        C("wave", "int", "调查年份", required=True, minimum=2000, maximum=2100),
        C("weight", "number", "权重", minimum=0, exclusive_min=True, default=1.0),
        C("stratum", "text", "分层"),
        C("psu", "text", "初级抽样单元"),
        C("fpc", "number", "总体单元数", minimum=0, exclusive_min=True),
    ),
    key=("respondent_id", "wave"),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
    open_columns=True,
    rules=(  # the design's finite population correction: one per stratum of a wave, for everyone
        RequiredWithin("fpc", ("wave",), id="survey.fpc_missing", doc="同一调查年份中有人填写则每人都须填写"),
        SameWithin(("wave", "stratum"), ("fpc",), id="survey.fpc_stratum", doc="同一调查年份、同一分层内应相同"),
    ),
)

SURVEY_ITEMS = Table(
    "survey_items", "问卷题目",
    (
        C("item_id", "text", "题目编号", required=True),
        C("text_zh", "text", "题目", required=True),
        C("text_en", "text", "question", aliases=("英文题目",)),
        C("dimension", "code", "维度", required=True, codes=DIMENSIONS),
        C("scale_min", "int", "最小值", default=1),
        C("scale_max", "int", "最大值", default=5),
        C("reverse", "bool", "反向计分", default=False),
    ),
    key=("item_id",),
    rules=(ExactlyOne("dimension", "overall", id="items.overall",
                      zh="应恰好有一道维度为“总体”(overall) 的题目，实际有 {n} 道。",
                      en="Exactly one item must have dimension overall; found {n}.", doc="恰好一道题的维度为“总体”"),
           Order("scale_max", "scale_min", strict=True, id="items.scale")),
)

TARGETS = Table(
    "targets", "考核目标",
    (
        C("indicator", "text", "指标", required=True),
        C("level", "code", "层级", codes=LEVEL_CODES),
        C("unit_id", "text", "单位"),
        C("year", "int", "年份", minimum=2000, maximum=2100),
        C("target", "number", "目标值", required=True),
    ),
    rules=(Known("indicator", "indicators", severity="warning", id="targets.indicator",
                 zh="不是指标目录中的指标编号（见 evalkit catalog）",
                 en="not an indicator id of the catalog (see evalkit catalog)"),),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (COMMUNITIES, COMMUNITY_YEARS, DISPUTES, VOLUNTEERS, VOLUNTEER_HOURS,
              CADRES, SURVEY_RESPONSES, SURVEY_ITEMS, TARGETS)
}
TABLE_ORDER = tuple(TABLES)

# --- personal data ----------------------------------------------------------

#: Headers that always hold personal data (matched exactly, after stripping).
PERSONAL_HEADERS = frozenset({
    "姓名", "名字", "身份证号", "身份证号码", "证件号码", "电话", "手机", "手机号",
    "手机号码", "联系电话", "联系方式", "住址", "地址", "家庭住址", "微信", "微信号",
    "name", "full_name", "id_card", "id_number", "phone", "mobile", "telephone",
    "contact", "address", "home_address", "wechat",
})
#: 18-character resident ID (17 digits + digit or X).
ID_CARD_PATTERN = r"^[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]$"
#: Mainland mobile numbers: 11 digits starting 1[3-9], optionally after +86, and optionally
#: grouped 3-4-4 by a hyphen or a space (139-1234-5678).  Full-width digits are matched
#: after NFKC normalisation (evalkit.io.privacy, evalkit.io._arrow).
MOBILE_PATTERN = r"^(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}$"

# --- helpers ----------------------------------------------------------------


def header_map(table: Table) -> dict[str, str]:
    """Map every accepted header (normalised) of ``table`` to its canonical name."""
    out: dict[str, str] = {}
    for col in table.columns:
        for h in col.headers:
            out[normalise_header(h)] = col.name
    return out


def normalise_header(h: object) -> str:
    """Headers compare without surrounding space, full-width brackets or case."""
    s = str(h).strip().replace("（", "(").replace("）", ")").replace("\u3000", "")
    return s.lower()


#: Data file endings read, in order of preference, and the one workbook holding a
#: sheet per table (see :func:`evalkit.io.read.find_sources`).
FILE_EXTENSIONS = (".csv", ".xlsx", ".xls", ".parquet")
WORKBOOK = "dataset.xlsx"


def table_for_name(name: str) -> str | None:
    """The table a file stem or sheet name stands for (canonical, zh or alias)."""
    key = normalise_header(name)
    for t in TABLES.values():
        if key in {normalise_header(n) for n in (t.name, t.zh, *t.aliases)}:
            return t.name
    return None


def code_map(column: Column) -> dict[str, str]:
    """Map every accepted label of a code column (canonical codes too) to the code."""
    assert column.codes is not None
    out: dict[str, str] = {}
    for code, labels in column.codes.items():
        out[code.lower()] = code
        for lab in labels:
            out[lab.lower()] = code
    return out


#: English display labels where the code with spaces would read badly.
EN_LABELS = {
    "commodity_housing": "commodity housing", "old_neighborhood": "old neighbourhood",
    "village_to_urban": "village-to-urban", "work_unit": "work-unit",
    "in_progress": "in progress", "joint_meeting": "joint meeting",
    "deputy_secretary": "deputy secretary", "director": "committee director",
    "staff": "community worker", "grid_worker": "grid worker",
    "primary": "primary or below", "junior_high": "junior high school",
    "senior_high": "senior high / vocational", "college": "college (dazhuan)",
    "bachelor": "bachelor's", "postgraduate": "postgraduate",
    "party_org": "Party organisation", "services": "services", "safety": "safety",
    "environment": "environment", "property": "property", "participation": "participation",
    "overall": "overall", "elderly": "elderly care", "legal": "legal aid",
}


def label(codes: dict[str, tuple[str, ...]], code: str, lang: str = "zh") -> str:
    """The display label of a code: its first Chinese label, or an English label."""
    if lang == "zh" and code in codes:
        return codes[code][0]
    return EN_LABELS.get(code, code.replace("_", " "))


#: Breakdown kinds of the catalog's ``category`` field -> their code lists.
CATEGORY_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "dispute_category": DISPUTE_CATEGORIES,
    "service_type": SERVICE_TYPES,
    "education": EDUCATION_LEVELS,
    "dimension": DIMENSIONS,
    "role": CADRE_ROLES,
    "community_type": COMMUNITY_TYPES,
}


def category_label(code, lang: str = "zh", kind: str | None = None) -> str:
    """Display label of a category code (``college`` -> 大专, ``property`` -> 物业纠纷).

    ``kind`` (a key of :data:`CATEGORY_KINDS`, as the catalog's ``category``
    field names it) resolves codes that occur in several lists (``property`` is a
    dispute category and a satisfaction dimension).  Unknown codes are returned
    as they are (in English with underscores as spaces).
    """
    if code is None or code != code:  # None or NaN/NA
        return ""
    s = str(code)
    lists = ([CATEGORY_KINDS[kind]] if kind in CATEGORY_KINDS else []) + list(CATEGORY_KINDS.values())
    for codes in lists:
        if s in codes:
            return label(codes, s, lang)
    return s.replace("_", " ") if lang == "en" else s


# --- the five ledgers of LEDGERS.md (deliberations, requests, visits, Party members,
# funded projects) and the columns they add to existing tables ---------------------------
# Appended as a block (new definitions, the TABLES dict extended) so that the contract
# above reads as before; docs/DATA.md describes every column.

from dataclasses import replace as _replace  # noqa: E402

#: Issue categories shared by deliberation items and resident requests, so that a request
#: can become a deliberation item.
ISSUE_CATEGORIES = {
    "property": ("物业管理", "物业", "物业服务"),
    "facilities": ("设施维修", "维修"),
    "infrastructure": ("基础设施/改造", "基础设施", "基础设施改造", "改造", "老旧小区改造"),
    "environment": ("环境卫生", "环境", "卫生"),
    "parking": ("停车交通", "停车", "交通"),
    "safety": ("平安消防", "平安", "消防", "治安"),
    "neighbor": ("邻里关系", "邻里"),
    "assistance": ("困难帮扶/为老助残", "困难帮扶", "为老助残", "帮扶"),
    "culture": ("文体活动", "文体"),
    "services": ("便民服务", "便民"),
    "policy": ("政策咨询", "政策"),
    "party": ("党组织建设", "党建"),
    "other": ("其他",),
}
MEETING_TYPES = {
    "joint": ("联席会议", "大党委会议"),
    "deliberation": ("议事协商会", "居民议事会", "小区议事日", "板凳议事会"),
    "owners": ("业主大会", "业委会会议"),
    "briefing": ("通报会", "征询意见会"),
    "hearing": ("听证会", "评议会"),
    "other": ("其他",),
}
ITEM_SOURCES = {
    "resident": ("居民提议",),
    "request": ("诉求转化",),
    "party_org": ("党组织提出",),
    "unit": ("驻区单位",),
    "grid": ("网格排查",),
    "street": ("上级交办",),
    "other": ("其他",),
}
ITEM_OUTCOMES = {
    "agreed": ("达成共识",),
    "not_agreed": ("未达成共识",),
    "deferred": ("暂缓",),
    "referred": ("上报/转办", "上报", "转办"),
}
REQUEST_CHANNELS = {
    "hotline": ("12345热线", "市民热线", "12345", "热线"),
    "grid": ("网格员上报", "网格上报"),
    "visit": ("入户走访/设点收集", "入户走访", "设点收集", "走访"),
    "walk_in": ("来访",),
    "online": ("网上/小程序", "网上", "小程序"),
    "meeting": ("议事会/巷理事", "议事会", "巷理事"),
    "petition": ("信访",),
    "other": ("其他",),
}
REQUEST_TYPES = {
    "consultation": ("咨询",),
    "help": ("求助",),
    "complaint": ("投诉",),
    "report": ("举报",),
    "suggestion": ("建议",),
    "other": ("其他",),
}
RESOLUTIONS = {
    "resolved": ("已解决",),
    "unresolved": ("未解决",),
    "not_rated": ("未评价",),
}
SATISFACTION_RATINGS = {
    "satisfied": ("满意", "非常满意"),
    "fairly": ("基本满意", "比较满意"),
    "dissatisfied": ("不满意",),
    "not_rated": ("未评价", "未回访"),
}
VISITOR_ROLES = {
    "grid_worker": ("专职网格员", "网格员"),
    "group_leader": ("居民小组长",),
    "building_head": ("楼栋长",),
    "cadre": ("社区工作者",),
    "party_member": ("党员",),
    "volunteer": ("志愿者",),
    "other": ("其他",),
}
VISIT_MODES = {
    "in_home": ("入户",),
    "doorstep": ("敲门",),
    "point": ("设点收集",),
    "phone": ("电话/微信", "电话", "微信"),
    "other": ("其他",),
}
PARTY_RELATIONS = {
    "registered": ("在册党员",),
    "away": ("流出党员",),
    "floating_in": ("流入党员", "流动党员"),
    "reporting": ("在职党员", "双报到"),
    "other": ("其他",),
}
PROGRAMMES = {
    "venture": ("公益创投",),
    "micro": ("微自治",),
    "purchase": ("政府购买服务",),
    "charity": ("慈善项目",),
    "other": ("其他",),
}
SERVICE_AREAS = {
    "elderly": ("为老",),
    "children": ("为小",),
    "assistance": ("帮困",),
    "disability": ("助残",),
    "governance": ("社区治理",),
    "environment": ("环境",),
    "culture": ("文体",),
    "other": ("其他",),
}
PROJECT_STATUSES = {
    "ongoing": ("实施中",),
    "completed": ("已结项",),
    "terminated": ("终止",),
}
#: Ordered from best to worst.
PROJECT_GRADES = {
    "A": ("优秀",),
    "B": ("合格",),
    "C": ("不合格",),
}

_CID = dict(aliases=("社区代码", "社区编号"))

DELIBERATIONS = Table(
    "deliberations", "议事协商台账",
    (
        C("item_id", "text", "议题编号", required=True),
        C("meeting_id", "text", "会议编号", required=True),
        C("community_id", "text", "社区编码", required=True, **_CID),
        C("held_on", "date", "会议日期", required=True),
        C("meeting_type", "code", "会议类型", required=True, codes=MEETING_TYPES),
        C("units_present", "int", "参会单位数", minimum=0),
        C("category", "code", "议题类别", required=True, codes=ISSUE_CATEGORIES),
        C("source", "code", "议题来源", codes=ITEM_SOURCES),
        C("request_id", "text", "诉求编号", aliases=("工单编号",)),
        C("outcome", "code", "协商结果", required=True, codes=ITEM_OUTCOMES),
        C("implemented_on", "date", "落实日期"),
        C("funds", "number", "协调资金(元)", minimum=0, aliases=("协调资金", "资金(元)")),
        C("published", "bool", "结果公示"),
    ),
    key=("item_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),
                  ForeignKey("request_id", "requests", "request_id")),
    aliases=("议事台账", "联席会议记录"),
)

REQUESTS = Table(
    "requests", "民情诉求台账",
    (
        C("request_id", "text", "诉求编号", required=True, aliases=("工单编号",)),
        C("community_id", "text", "社区编码", required=True, **_CID),
        C("received_on", "date", "受理日期", required=True, aliases=("派单日期",)),
        C("channel", "code", "来源渠道", required=True, codes=REQUEST_CHANNELS),
        C("request_type", "code", "诉求类型", codes=REQUEST_TYPES),
        C("category", "code", "诉求类别", required=True, codes=ISSUE_CATEGORIES),
        C("due_on", "date", "办理时限", aliases=("应办结日期",)),
        C("responded_on", "date", "响应日期"),
        C("responded_in_time", "bool", "是否按时响应"),
        C("closed_on", "date", "办结日期"),
        C("resolution", "code", "解决情况", codes=RESOLUTIONS),
        C("satisfaction", "code", "满意度", codes=SATISFACTION_RATINGS, aliases=("回访评价",)),
        C("assessed", "bool", "纳入考核", default=True),
        C("visit_id", "text", "走访编号"),
        C("case_id", "text", "案件编号"),
    ),
    key=("request_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),
                  ForeignKey("visit_id", "visits", "visit_id"),
                  ForeignKey("case_id", "disputes", "case_id")),
    aliases=("诉求台账", "12345工单", "工单", "巷理事清单"),
)

VISITS = Table(
    "visits", "入户走访记录",
    (
        C("visit_id", "text", "走访编号", required=True),
        C("community_id", "text", "社区编码", required=True, **_CID),
        C("visited_on", "date", "走访日期", required=True),
        C("household_id", "text", "户编号", required=True, aliases=("房屋编码",)),
        C("visitor_role", "code", "走访人员类型", codes=VISITOR_ROLES),
        C("mode", "code", "走访方式", codes=VISIT_MODES, default="in_home"),
        C("needs_found", "int", "发现需求数", minimum=0),
    ),
    key=("visit_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
    aliases=("走访记录", "入户走访台账"),
)

PARTY_MEMBERS = Table(
    "party_members", "党员台账",
    (
        C("member_id", "text", "党员编号", required=True),
        C("community_id", "text", "社区编码", required=True, **_CID),
        C("relation", "code", "党员类别", required=True, codes=PARTY_RELATIONS),
        C("found_on", "date", "查找到日期"),
        C("lost_since", "date", "失联日期"),
        C("transferred_in_on", "date", "组织关系转入日期"),
        C("reported_on", "date", "报到日期"),
        C("left_on", "date", "转出/注销日期"),
        C("owners_committee", "bool", "是否业委会成员"),
        C("building_head", "bool", "是否楼栋长"),
        C("volunteer_id", "text", "志愿者编号"),
    ),
    key=("member_id",),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),
                  ForeignKey("volunteer_id", "volunteers", "volunteer_id")),
    aliases=("党员名册",),
)

PROJECTS = Table(
    "projects", "公益创投项目台账",
    (
        C("project_id", "text", "项目编号", required=True),
        C("community_id", "text", "实施社区编码", required=True, aliases=("社区编码", "社区代码", "社区编号")),
        C("org_id", "text", "组织编号", required=True, aliases=("统一社会信用代码",)),
        C("org_name", "text", "组织名称"),
        C("programme", "code", "资助类型", codes=PROGRAMMES, default="venture"),
        C("year", "int", "资助年度", required=True, minimum=2000, maximum=2100),
        C("service_area", "code", "服务领域", codes=SERVICE_AREAS),
        C("amount_granted", "number", "资助金额(元)", required=True, minimum=0, aliases=("资助金额",)),
        C("amount_spent", "number", "实际支出(元)", minimum=0, aliases=("实际支出",)),
        C("beneficiaries", "int", "受益人次", minimum=0),
        C("status", "code", "项目状态", codes=PROJECT_STATUSES),
        C("grade", "code", "评估等级", codes=PROJECT_GRADES, ordered=True),
    ),
    key=("project_id", "community_id"),
    foreign_keys=(ForeignKey("community_id", "communities", "community_id"),),
    aliases=("公益创投项目", "公益创投", "项目台账"),
)

# columns added to existing tables (all optional)
COMMUNITY_YEARS = _replace(COMMUNITY_YEARS, columns=tuple(
    _replace(c, aliases=c.aliases + ("一级网格员数", "专职网格员数")) if c.name == "grid_workers"
    else _replace(c, aliases=c.aliases + ("流入党员数",)) if c.name == "party_members_floating"
    else c for c in COMMUNITY_YEARS.columns) + (
    C("big_party_committee", "bool", "是否建立大党委"),
    C("service_area_m2", "number", "综合服务设施面积(平方米)", minimum=0, aliases=("综合服务设施面积",)),
    C("social_orgs", "int", "社区社会组织数", minimum=0),
    C("grid_tier2", "int", "二级网格员数", minimum=0, aliases=("居民小组长数",)),
    C("grid_tier3", "int", "三级网格员数", minimum=0),
    C("owners_committee_members", "int", "业委会委员数", minimum=0),
    C("building_heads", "int", "楼栋长数", minimum=0),
))
#: Heads of units based in the area appointed to the community's committees (Qiaokou's
#: 389 in 127 大党委): left out of the cadre indicators, like grid workers.
CADRE_ROLES["part_time_member"] = ("兼职委员", "大党委兼职委员")
#: Columns of ``cadres`` required for every role but ``part_time_member`` (for whom they
#: are optional).  The contract's ``required`` cannot say "unless"; the loader keeps them
#: required until validation applies this exception.
PART_TIME_OPTIONAL = ("birth_year", "education")
VOLUNTEERS = _replace(VOLUNTEERS, columns=VOLUNTEERS.columns + (C("team", "text", "志愿服务队"),))

TABLES.update({t.name: t for t in (COMMUNITY_YEARS, VOLUNTEERS, DELIBERATIONS, REQUESTS, VISITS,
                                   PARTY_MEMBERS, PROJECTS)})
TABLE_ORDER = tuple(TABLES)

#: Headers of LEDGERS.md that name or reach a person (callers, household heads, plates,
#: accounts, meeting participants), dropped at load whatever the table.
PERSONAL_HEADERS = PERSONAL_HEADERS | frozenset({
    "来电人", "来电号码", "诉求人", "反映人", "联系人", "户主", "户主姓名", "家庭成员", "门牌号",
    "房号", "车牌号", "银行账号", "项目负责人", "负责人电话", "参会人员", "发言人", "提议人",
})
#: Free-text headers (a name or a number inside a sentence cannot be recognised): dropped at
#: load (by evalkit.io, with a warning).
FREE_TEXT_HEADERS = frozenset({
    "诉求内容", "问题描述", "办理结果", "回复内容", "议题内容", "会议内容", "走访情况", "备注",
})
#: Words that mark a special-population column (PIPL art. 28 sensitive information):
#: such a column is dropped with a warning naming it (by evalkit.io).
SPECIAL_POPULATION_MARKERS = ("低保", "残疾", "独居", "重点人员", "社区矫正", "精神障碍", "吸毒")

EN_LABELS.update({
    "facilities": "facility repairs", "infrastructure": "infrastructure / renovation",
    "parking": "parking and traffic", "assistance": "assistance (elderly, disabled, hardship)",
    "policy": "policy enquiries", "party": "Party building",
    "joint": "joint meeting", "deliberation": "deliberation meeting", "owners": "owners' meeting",
    "briefing": "briefing / consultation", "hearing": "hearing / review",
    "walk_in": "walk-in", "meeting": "meeting / lane council", "petition": "petition (xinfang)",
    "in_home": "in the home", "doorstep": "at the door", "point": "collection point",
    "phone": "phone / WeChat",
    "venture": "venture philanthropy", "micro": "micro self-governance",
    "purchase": "government purchase", "charity": "charity project",
    "children": "children", "disability": "disability", "governance": "community governance",
    "part_time_member": "part-time committee member",
})
CATEGORY_KINDS.update({
    "issue_category": ISSUE_CATEGORIES,
    "meeting_type": MEETING_TYPES,
    "channel": REQUEST_CHANNELS,
    "visit_mode": VISIT_MODES,
    "programme": PROGRAMMES,
})
