"""Pure risk-questionnaire rules (风险承受能力评估), domain.md §1.1: scores, levels, allocation,
the C1-C5 suitability level and the assessment's validity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from ..customers.rules import add_years, age_on

__all__ = [
    "ALLOCATION_TABLE",
    "ASSESSMENT_VALIDITY_YEARS",
    "CAPACITY_ITEMS",
    "OPTION_POINTS",
    "TOLERANCE_ITEMS",
    "Allocation",
    "Answers",
    "Level",
    "RiskLevel",
    "RiskResult",
    "age_score",
    "assess_risk",
    "capacity_score",
    "level_for",
    "loss_score",
    "option_points",
    "suitability_level",
    "tolerance_score",
]


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
