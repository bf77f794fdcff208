"""Pure segmentation rules (客户细分), domain.md §1.2: value segments from assets and turnover,
life stages by age, the family life cycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from ..customers.rules import add_years

__all__ = [
    "DEFAULT_THRESHOLDS",
    "LIFE_STAGE_FOCUS",
    "MOST_IMPORTANT_SEGMENT",
    "VALUE_SEGMENTS",
    "AssetSize",
    "FamilyLifeCycle",
    "LifeStage",
    "Segment",
    "SegmentKind",
    "SegmentThresholds",
    "Turnover",
    "WindowFigures",
    "asset_size",
    "born_on_or_before",
    "classify_segment",
    "life_stage",
    "life_stage_birth_range",
    "monthly_turnover",
    "segment_kind",
    "turnover_class",
    "value_segment",
    "window_figures",
]


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


SegmentKind = Literal["value", "life_stage", "family_life_cycle"]


def segment_kind(segment: str) -> SegmentKind | None:
    """Which kind of segment a name is (a value segment, a life stage or a family life cycle
    stage), or None for a name that is none of them."""
    if segment in VALUE_SEGMENTS:
        return "value"
    if segment in {s.value for s in LifeStage}:
        return "life_stage"
    if segment in {s.value for s in FamilyLifeCycle}:
        return "family_life_cycle"
    return None


_CENT = Decimal("0.01")


@dataclass(frozen=True)
class WindowFigures:
    """A customer's figures over the trailing window (资金实力 and 资金周转率) and the segment
    they give."""

    total_assets: Decimal
    assets_as_of: date | None
    average_assets: Decimal
    traded_amount: Decimal
    commission: Decimal
    segment: Segment


def window_figures(
    *,
    start: date,
    end: date,
    known_assets: Decimal,
    known_as_of: date | None,
    snapshots: Sequence[tuple[date, Decimal]],
    trades: Sequence[tuple[date, Decimal, Decimal]],
    t: SegmentThresholds = DEFAULT_THRESHOLDS,
) -> WindowFigures:
    """Figures of the window ``start``..``end`` (inclusive) and the value segment they give.

    Size comes from the latest end-of-day assets: the newest snapshot given, unless the
    assets already known (``known_assets`` as of ``known_as_of``) are newer. Turnover is the
    window's traded amount over its average daily assets (in cents); commission is the
    window's contribution. ``snapshots`` are (day, total assets), ``trades`` (day, amount,
    commission); those outside the window do not count.
    """
    total_assets, assets_as_of = known_assets, known_as_of
    if snapshots:
        day, value = max(snapshots)
        if assets_as_of is None or day >= assets_as_of:
            total_assets, assets_as_of = value, day
    in_window = [v for d, v in snapshots if start <= d <= end]
    average = (
        (sum(in_window, Decimal(0)) / len(in_window)).quantize(_CENT) if in_window else Decimal(0)
    )
    traded = sum((a for d, a, _ in trades if start <= d <= end), Decimal(0))
    commission = sum((c for d, _, c in trades if start <= d <= end), Decimal(0))
    return WindowFigures(
        total_assets=total_assets,
        assets_as_of=assets_as_of,
        average_assets=average,
        traded_amount=traded,
        commission=commission,
        segment=classify_segment(
            total_assets=total_assets, average_assets=average, traded_amount=traded, t=t
        ),
    )
