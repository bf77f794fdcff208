"""Pure customer-profile rules: risk questionnaire, identity checks, masking and segmentation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

import phonenumbers

__all__ = [
    "ALLOCATION_TABLE",
    "ASSESSMENT_VALIDITY_YEARS",
    "CAPACITY_ITEMS",
    "CONTACT_CHANNELS",
    "DEFAULT_THRESHOLDS",
    "INTERACTION_CHANNELS",
    "LIFE_STAGE_FOCUS",
    "MOST_IMPORTANT_SEGMENT",
    "OPTION_POINTS",
    "TOLERANCE_ITEMS",
    "VALUE_SEGMENTS",
    "Allocation",
    "Answers",
    "AssetSize",
    "CustomerStatus",
    "FamilyLifeCycle",
    "Gender",
    "InvestorCategory",
    "Level",
    "LifeStage",
    "RiskLevel",
    "RiskResult",
    "Segment",
    "SegmentThresholds",
    "StockTime",
    "TradingRecord",
    "Turnover",
    "add_years",
    "age_on",
    "age_score",
    "assess_risk",
    "asset_size",
    "birth_date_from_id",
    "birth_month_day",
    "born_on_or_before",
    "capacity_score",
    "classify_segment",
    "experience_years",
    "gender_from_id",
    "id_number_check_digit",
    "level_for",
    "life_stage",
    "life_stage_birth_range",
    "loss_score",
    "mask_id_number",
    "mask_phone",
    "monthly_turnover",
    "normalize_mobile",
    "option_points",
    "status_after_transfer_request",
    "suitability_level",
    "tolerance_score",
    "turnover_class",
    "validate_id_number",
    "value_segment",
]


# --- Risk assessment questionnaire (风险承受能力评估), domain.md §1.1 ---------------------------


class Level(StrEnum):
    """Level of a questionnaire score (低 / 中低 / 中 / 中高 / 高), lowest first."""

    LOW = "low"
    MID_LOW = "mid_low"
    MID = "mid"
    MID_HIGH = "mid_high"
    HIGH = "high"


# StrEnum compares as text ("high" < "low"), so order is always taken from this tuple.
_LEVEL_ORDER: tuple[Level, ...] = tuple(Level)

SCORE_MIN = 0
SCORE_MAX = 100


def level_for(score: int) -> Level:
    """Level of a 0-100 score: < 20 low, 20-39 mid-low, 40-59 mid, 60-79 mid-high, ≥ 80 high."""
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"score must be between {SCORE_MIN} and {SCORE_MAX}, got {score}")
    if score < 20:
        return Level.LOW
    if score < 40:
        return Level.MID_LOW
    if score < 60:
        return Level.MID
    if score < 80:
        return Level.MID_HIGH
    return Level.HIGH


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years (周岁) on the given day; born 29 February, a year older on 1 March."""
    if on < birth_date:
        raise ValueError(f"date {on.isoformat()} is before birth date {birth_date.isoformat()}")
    birthday_not_reached = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(birthday_not_reached)


def age_score(age: int) -> int:
    """Age score A (年龄): 50 up to age 25, one point less per year above, 0 from age 75."""
    if age < 0:
        raise ValueError(f"age must not be negative, got {age}")
    return max(0, min(50, 50 - (age - 25)))


def loss_score(max_loss_pct: int) -> int:
    """Loss score C (亏损接受程度): 2 points per whole percent of acceptable loss, at most 50."""
    _require_int_in_range("max_loss_pct", max_loss_pct, 0, 100)
    return min(50, 2 * max_loss_pct)


OPTION_POINTS: tuple[int, ...] = (10, 8, 6, 4, 2)
"""Points of answer options 1..5 of every multiple-choice item (option 1 = 10 points)."""

CAPACITY_ITEMS: tuple[str, ...] = ("job", "burden", "assets", "experience", "knowledge")
"""Items of score B (风险承受力): 工作, 负担, 资产, 投资经验, 投资知识."""

TOLERANCE_ITEMS: tuple[str, ...] = ("priority", "stop_loss", "if_loss", "watching", "results")
"""Items of score D (风险承受度): 首要考虑, 止损点, 万一赔钱, 关心行情, 投资绩效."""


def option_points(option: int) -> int:
    """Points of a multiple-choice answer: option 1 → 10, 2 → 8, 3 → 6, 4 → 4, 5 → 2."""
    _require_int_in_range("option", option, 1, len(OPTION_POINTS))
    return OPTION_POINTS[option - 1]


def _require_int_in_range(name: str, value: object, low: int, high: int) -> None:
    # bool is an int subclass; True as an answer is a caller bug, not option 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


@dataclass(frozen=True)
class Answers:
    """Questionnaire answers: option number 1..5 per item, and the acceptable loss in percent."""

    job: int
    burden: int
    assets: int
    experience: int
    knowledge: int
    priority: int
    stop_loss: int
    if_loss: int
    watching: int
    results: int
    max_loss_pct: int

    def __post_init__(self) -> None:
        for field in fields(self):
            if field.name == "max_loss_pct":
                _require_int_in_range(field.name, self.max_loss_pct, 0, 100)
            else:
                _require_int_in_range(field.name, getattr(self, field.name), 1, len(OPTION_POINTS))


def capacity_score(answers: Answers, age: int) -> int:
    """Risk capacity (风险承受力) = age score A + the five profile items B."""
    return age_score(age) + sum(option_points(getattr(answers, item)) for item in CAPACITY_ITEMS)


def tolerance_score(answers: Answers) -> int:
    """Risk tolerance (风险承受度) = loss score C + the five attitude items D."""
    items = sum(option_points(getattr(answers, item)) for item in TOLERANCE_ITEMS)
    return loss_score(answers.max_loss_pct) + items


@dataclass(frozen=True)
class Allocation:
    """Recommended allocation (资产配置) in percent of low / mid / high risk products."""

    low: int
    mid: int
    high: int


# Verbatim from seed 002 (风险象限之资产配置). The (mid_high, low) cell 20/30/50 breaks the
# table's pattern but is what the source says, so it is kept.
ALLOCATION_TABLE: Mapping[tuple[Level, Level], Allocation] = MappingProxyType(
    {
        # (tolerance, capacity): Allocation(low, mid, high)
        (Level.LOW, Level.LOW): Allocation(70, 20, 10),
        (Level.LOW, Level.MID_LOW): Allocation(50, 40, 10),
        (Level.LOW, Level.MID): Allocation(40, 40, 20),
        (Level.LOW, Level.MID_HIGH): Allocation(20, 50, 30),
        (Level.LOW, Level.HIGH): Allocation(0, 50, 50),
        (Level.MID_LOW, Level.LOW): Allocation(50, 40, 10),
        (Level.MID_LOW, Level.MID_LOW): Allocation(40, 40, 20),
        (Level.MID_LOW, Level.MID): Allocation(20, 50, 30),
        (Level.MID_LOW, Level.MID_HIGH): Allocation(0, 50, 50),
        (Level.MID_LOW, Level.HIGH): Allocation(0, 40, 60),
        (Level.MID, Level.LOW): Allocation(40, 40, 20),
        (Level.MID, Level.MID_LOW): Allocation(20, 50, 30),
        (Level.MID, Level.MID): Allocation(0, 50, 50),
        (Level.MID, Level.MID_HIGH): Allocation(0, 40, 60),
        (Level.MID, Level.HIGH): Allocation(0, 30, 70),
        (Level.MID_HIGH, Level.LOW): Allocation(20, 30, 50),
        (Level.MID_HIGH, Level.MID_LOW): Allocation(0, 50, 50),
        (Level.MID_HIGH, Level.MID): Allocation(0, 40, 60),
        (Level.MID_HIGH, Level.MID_HIGH): Allocation(0, 30, 70),
        (Level.MID_HIGH, Level.HIGH): Allocation(0, 20, 80),
        (Level.HIGH, Level.LOW): Allocation(0, 50, 50),
        (Level.HIGH, Level.MID_LOW): Allocation(0, 40, 60),
        (Level.HIGH, Level.MID): Allocation(0, 30, 70),
        (Level.HIGH, Level.MID_HIGH): Allocation(0, 20, 80),
        (Level.HIGH, Level.HIGH): Allocation(0, 10, 90),
    }
)
"""Allocation keyed by (tolerance level, capacity level)."""


class RiskLevel(StrEnum):
    """Suitability level (适当性) of a customer, C1 (most conservative) to C5."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


def suitability_level(capacity: Level, tolerance: Level) -> RiskLevel:
    """Suitability level: the lower of the two levels, low → C1 … high → C5."""
    lower = min(_LEVEL_ORDER.index(capacity), _LEVEL_ORDER.index(tolerance))
    return tuple(RiskLevel)[lower]


ASSESSMENT_VALIDITY_YEARS = 2
"""Default validity of an assessment in years (domain.md §1.1, default)."""


def add_years(day: date, years: int) -> date:
    """Return the same calendar day `years` later; 29 February becomes 28 February if needed."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class RiskResult:
    """Outcome of one risk assessment (风险承受能力评估结果)."""

    capacity_score: int
    capacity_level: Level
    tolerance_score: int
    tolerance_level: Level
    allocation: Allocation
    risk_level: RiskLevel
    assessed_on: date
    valid_until: date


def assess_risk(
    answers: Answers,
    *,
    birth_date: date,
    assessed_on: date,
    validity_years: int = ASSESSMENT_VALIDITY_YEARS,
) -> RiskResult:
    """Score the questionnaire; the age is taken on the assessment day."""
    if validity_years < 1:
        raise ValueError(f"validity_years must be at least 1, got {validity_years}")
    capacity = capacity_score(answers, age_on(birth_date, assessed_on))
    tolerance = tolerance_score(answers)
    capacity_level = level_for(capacity)
    tolerance_level = level_for(tolerance)
    return RiskResult(
        capacity_score=capacity,
        capacity_level=capacity_level,
        tolerance_score=tolerance,
        tolerance_level=tolerance_level,
        allocation=ALLOCATION_TABLE[(tolerance_level, capacity_level)],
        risk_level=suitability_level(capacity_level, tolerance_level),
        assessed_on=assessed_on,
        valid_until=add_years(assessed_on, validity_years),
    )


# --- Identity: resident ID number (身份证号) and mobile phone (手机号) ---------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"\d{17}[\dX]")


def id_number_check_digit(first17: str) -> str:
    """Check character (校验码) of an 18-digit ID number, GB 11643-1999 (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("the first 17 characters of an ID number must be 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(id_number: str) -> str:
    """Validate an 18-character resident ID number (居民身份证号码); return it with an upper X.

    Surrounding whitespace is ignored. The embedded birth date must be a real calendar day.
    """
    normalised = id_number.strip().upper()
    if len(normalised) != 18:
        raise ValueError(f"ID number must be 18 characters, got {len(normalised)}")
    if not normalised.isascii() or not _ID_PATTERN.fullmatch(normalised):
        raise ValueError("ID number must be 17 digits followed by a digit or X")
    _birth_date(normalised)
    expected = id_number_check_digit(normalised[:17])
    if normalised[17] != expected:
        raise ValueError("ID number check digit does not match")
    return normalised


def _birth_date(id_number: str) -> date:
    digits = id_number[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValueError(f"ID number contains an invalid birth date {digits}") from None


def birth_date_from_id(id_number: str) -> date:
    """Birth date (出生日期) encoded in characters 7-14 of a valid ID number."""
    return _birth_date(validate_id_number(id_number))


# Only digits, spaces, hyphens and an optional leading "+": phonenumbers would otherwise read
# letters as a phone keypad (vanity numbers).
_PHONE_CHARS = re.compile(r"\+?[\d\s-]+")


def normalize_mobile(phone: str) -> str:
    """Mainland China mobile number (手机号) as its 11-digit national form, e.g. 13800001234."""
    if not _PHONE_CHARS.fullmatch(phone.strip()):
        raise ValueError("mobile number may contain only digits, spaces, hyphens and a leading +")
    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid mainland China phone number")
    if phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError("not a mobile number")
    return phonenumbers.national_significant_number(parsed)


def _mask_middle(value: str, keep_first: int, keep_last: int) -> str:
    # Too short to keep both ends without revealing most of it: hide everything.
    if len(value) <= keep_first + keep_last:
        return "*" * len(value)
    hidden = len(value) - keep_first - keep_last
    return value[:keep_first] + "*" * hidden + value[-keep_last:]


def mask_phone(phone: str) -> str:
    """Masked phone number for display and logs: 13800001234 → 138****1234."""
    return _mask_middle(phone, 3, 4)


def mask_id_number(id_number: str) -> str:
    """Masked ID number (身份证号, sensitive): first 3 and last 4 characters kept."""
    return _mask_middle(id_number, 3, 4)


# --- Segmentation (客户细分), domain.md §1.2 ----------------------------------------------------


class AssetSize(StrEnum):
    """Asset size (资金实力): large 大型, medium 中型, small 小型."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"


class Turnover(StrEnum):
    """Capital turnover (资金周转率): static 静止, stable 稳定, short-term 短线."""

    STATIC = "static"
    STABLE = "stable"
    SHORT_TERM = "short_term"


@dataclass(frozen=True)
class SegmentThresholds:
    """Value-segment thresholds (defaults of domain.md §1.2): assets in CNY, monthly turnover."""

    large_assets: Decimal = Decimal(1000000)
    medium_assets: Decimal = Decimal(100000)
    static_below: Decimal = Decimal("0.1")
    stable_below: Decimal = Decimal("1.0")

    def __post_init__(self) -> None:
        if not Decimal(0) < self.medium_assets < self.large_assets:
            raise ValueError("thresholds need 0 < medium_assets < large_assets")
        if not Decimal(0) < self.static_below < self.stable_below:
            raise ValueError("thresholds need 0 < static_below < stable_below")


DEFAULT_THRESHOLDS = SegmentThresholds()


def asset_size(total_assets: Decimal, t: SegmentThresholds = DEFAULT_THRESHOLDS) -> AssetSize:
    """Asset size (资金实力) from total assets: ≥ large_assets large, ≥ medium_assets medium."""
    if total_assets >= t.large_assets:
        return AssetSize.LARGE
    if total_assets >= t.medium_assets:
        return AssetSize.MEDIUM
    return AssetSize.SMALL


def monthly_turnover(traded_amount: Decimal, average_assets: Decimal) -> Decimal:
    """Monthly turnover (资金周转率) = traded amount ÷ average assets.

    With no average assets (e.g. money deposited and traded within the month) there is no
    ratio: no trading counts as 0 (static), any trading as infinite turnover (short-term).
    """
    if traded_amount < 0:
        raise ValueError(f"traded amount must not be negative, got {traded_amount}")
    if average_assets <= 0:
        return Decimal(0) if traded_amount == 0 else Decimal("Infinity")
    return traded_amount / average_assets


def turnover_class(turnover: Decimal, t: SegmentThresholds = DEFAULT_THRESHOLDS) -> Turnover:
    """Turnover class: below static_below static 静止, below stable_below stable 稳定, else 短线."""
    if turnover < 0:
        raise ValueError(f"turnover must not be negative, got {turnover}")
    if turnover < t.static_below:
        return Turnover.STATIC
    if turnover < t.stable_below:
        return Turnover.STABLE
    return Turnover.SHORT_TERM


def value_segment(size: AssetSize, turnover: Turnover) -> str:
    """Value segment name, turnover then size: 短线大型 → "short_term_large"."""
    return f"{turnover.value}_{size.value}"


VALUE_SEGMENTS: tuple[str, ...] = tuple(
    value_segment(size, turnover) for size in AssetSize for turnover in Turnover
)
"""The nine value segments, largest assets first, as laid out in seed 002."""

MOST_IMPORTANT_SEGMENT = value_segment(AssetSize.LARGE, Turnover.SHORT_TERM)
"""Short-term large customers (短线大型客户) are the most important segment (seed 002)."""


class LifeStage(StrEnum):
    """Life stage (人生阶段) by age."""

    GROWTH = "growth"  # 成长期, up to 25
    YOUTH = "youth"  # 青年期, 26-35
    ADULT = "adult"  # 成年期, 36-45
    MATURE = "mature"  # 成熟期, 46-55
    STABLE = "stable"  # 稳定期, 56-65
    RETIREMENT = "retirement"  # 退休期, over 65


def life_stage(age: int) -> LifeStage:
    """Life stage (人生阶段): ≤ 25 growth, 26-35 youth, 36-45 adult, 46-55 mature, 56-65 stable."""
    if age < 0:
        raise ValueError(f"age must not be negative, got {age}")
    if age <= 25:
        return LifeStage.GROWTH
    if age <= 35:
        return LifeStage.YOUTH
    if age <= 45:
        return LifeStage.ADULT
    if age <= 55:
        return LifeStage.MATURE
    if age <= 65:
        return LifeStage.STABLE
    return LifeStage.RETIREMENT


# Seed 002, "人生各阶段的理财目标", row 理财重点. The source splits 结婚购房 / 自备款 over two
# lines; read here as one cell, the youth stage saving the down payment for marriage and a home.
LIFE_STAGE_FOCUS: Mapping[LifeStage, str] = MappingProxyType(
    {
        LifeStage.GROWTH: "build financial knowledge (充实理财知识)",
        LifeStage.YOUTH: "save a down payment for marriage and a home (结婚购房自备款)",
        LifeStage.ADULT: "buy a home (购屋)",
        LifeStage.MATURE: "children's education (子女教育)",
        LifeStage.STABLE: "retirement fund (退休金)",
        LifeStage.RETIREMENT: "capital safety and fixed income (本金安全及固定收入)",
    }
)
"""Financial focus (理财重点) of each life stage."""


class FamilyLifeCycle(StrEnum):
    """Family life cycle stage (家庭生命周期), seed 002."""

    SINGLE = "single"  # 单身阶段
    NEWLY_MARRIED = "newly_married"  # 新婚夫妇
    FULL_NEST_1 = "full_nest_1"  # 满巢期(I): youngest child under 6
    FULL_NEST_2 = "full_nest_2"  # 满巢期(II): youngest child 6 or older
    FULL_NEST_3 = "full_nest_3"  # 满巢期(III): older couple with dependent children
    EMPTY_NEST_1 = "empty_nest_1"  # 空巢期(I): children independent, head still working
    EMPTY_NEST_2 = "empty_nest_2"  # 空巢期(II): children independent, head retired
    SOLITARY_WORKING = "solitary_working"  # 鳏寡就业期
    SOLITARY_RETIRED = "solitary_retired"  # 鳏寡退休期


# --- Identity details derived from the ID number -----------------------------------------------


class Gender(StrEnum):
    """Gender (性别) as the resident ID number encodes it."""

    MALE = "male"
    FEMALE = "female"


def gender_from_id(id_number: str) -> Gender:
    """Gender encoded in a valid ID number: the 17th character is odd for men, even for women."""
    return Gender.MALE if int(validate_id_number(id_number)[16]) % 2 else Gender.FEMALE


def birth_month_day(birth_date: date) -> str:
    """Birthday without the year ("MM-DD"): enough for a birthday greeting, not an identifier."""
    return f"{birth_date.month:02d}-{birth_date.day:02d}"


# --- Customer vocabulary (客户档案), domain.md §1 ----------------------------------------------


class CustomerStatus(StrEnum):
    """Account status: active, transfer requested (申请转托管/撤指定), transferred out, dormant."""

    ACTIVE = "active"
    TRANSFER_REQUESTED = "transfer_requested"
    TRANSFERRED_OUT = "transferred_out"
    DORMANT = "dormant"


def status_after_transfer_request(current: CustomerStatus) -> CustomerStatus | None:
    """Status once a transfer-away request is recorded, or None when it does not change.

    A customer who already left stays transferred out; a second request changes nothing.
    """
    if current in (CustomerStatus.ACTIVE, CustomerStatus.DORMANT):
        return CustomerStatus.TRANSFER_REQUESTED
    return None


class InvestorCategory(StrEnum):
    """Investor category: ordinary (普通投资者) or professional (专业投资者)."""

    ORDINARY = "ordinary"
    PROFESSIONAL = "professional"


CONTACT_CHANNELS: tuple[str, ...] = ("sms", "phone", "im", "email")
"""Preferred contact channels a customer may choose (短信, 电话, 即时通讯, 邮件)."""

INTERACTION_CHANNELS: tuple[str, ...] = ("call", "visit", "sms", "im", "email", "seminar")
"""Channels of a logged service contact (CRM 记录), domain.md §1.3."""


# --- Experience (seed 001: 入市时间, 用于股票投资活动的时间, 以往操作记录) ------------------------


class StockTime(StrEnum):
    """Time the customer spends on stocks (用于股票投资活动的时间)."""

    LITTLE = "little"  # little time: long-term picks, tracked for them
    MODERATE = "moderate"
    MUCH = "much"  # much time and energy: shorter cycles, active names


class TradingRecord(StrEnum):
    """Past trading record (以往操作记录)."""

    SUCCESSFUL = "successful"  # confident: watch the risk of their holdings
    MIXED = "mixed"
    UNSUCCESSFUL = "unsuccessful"


def experience_years(market_entry_year: int | None, on: date) -> int | None:
    """Years since the customer first entered the market (入市时间); None when unknown."""
    if market_entry_year is None:
        return None
    if market_entry_year > on.year:
        raise ValueError(f"market entry year {market_entry_year} is after {on.year}")
    return on.year - market_entry_year


# --- Segment figures and life-stage birth ranges -------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A customer's value segment and the figures it was computed from."""

    asset_size: AssetSize
    turnover: Decimal | None  # None: traded without average assets (infinite turnover)
    turnover_class: Turnover
    value_segment: str


def classify_segment(
    *,
    total_assets: Decimal,
    average_assets: Decimal,
    traded_amount: Decimal,
    t: SegmentThresholds = DEFAULT_THRESHOLDS,
) -> Segment:
    """Value segment (资金实力 x 资金周转率): size from latest assets, turnover over the average."""
    size = asset_size(total_assets, t)
    ratio = monthly_turnover(traded_amount, average_assets)
    cls = turnover_class(ratio, t)
    return Segment(
        asset_size=size,
        turnover=None if ratio.is_infinite() else ratio,
        turnover_class=cls,
        value_segment=value_segment(size, cls),
    )


def born_on_or_before(on: date, age: int) -> date:
    """The latest birth date of someone at least ``age`` years old on ``on``."""
    return add_years(on, -age)


# Age bounds (inclusive) of each life stage; None means unbounded.
_LIFE_STAGE_AGES: Mapping[LifeStage, tuple[int, int | None]] = MappingProxyType(
    {
        LifeStage.GROWTH: (0, 25),
        LifeStage.YOUTH: (26, 35),
        LifeStage.ADULT: (36, 45),
        LifeStage.MATURE: (46, 55),
        LifeStage.STABLE: (56, 65),
        LifeStage.RETIREMENT: (66, None),
    }
)


def life_stage_birth_range(stage: LifeStage, on: date) -> tuple[date | None, date]:
    """Birth dates of the customers in ``stage`` on ``on``: (born after, born on or before).

    Lets a database select a life stage by birth date instead of computing every age.
    """
    youngest, oldest = _LIFE_STAGE_AGES[stage]
    latest = born_on_or_before(on, youngest)
    earliest_excluded = born_on_or_before(on, oldest + 1) if oldest is not None else None
    return earliest_excluded, latest
