"""Tier, points and call-routing rules of the customer-service scheme (seed 003), pure functions."""

from __future__ import annotations

import calendar
import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_BONUSES",
    "DEFAULT_THRESHOLDS",
    "MULTIPLIERS",
    "SMS_MONTH_COST_POINTS",
    "TIER_ORDER",
    "UPGRADE_COSTS",
    "UPGRADE_MONTHS",
    "BonusAmounts",
    "Routing",
    "Tier",
    "TierDecision",
    "TierThresholds",
    "add_months",
    "anniversaries_due",
    "can_spend",
    "decide_tier",
    "full_years_as_customer",
    "next_review_on",
    "points_for_trade",
    "qualify_tier",
    "route_for",
    "sms_subscription_cost",
    "tier_rank",
    "upgrade_cost",
    "upgrade_until",
]

CENT = Decimal("0.01")


class Tier(StrEnum):
    """Customer tier (客户分级): 普通客户, 银卡, 金卡, 白金卡."""

    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


TIER_ORDER: tuple[Tier, ...] = (Tier.STANDARD, Tier.SILVER, Tier.GOLD, Tier.PLATINUM)
_RANK: Mapping[Tier, int] = MappingProxyType({tier: i for i, tier in enumerate(TIER_ORDER)})


def tier_rank(tier: Tier) -> int:
    """Position of a tier, lowest first: standard 0, silver 1, gold 2, platinum 3."""
    return _RANK[tier]


def _higher(a: Tier, b: Tier) -> Tier:
    return a if tier_rank(a) >= tier_rank(b) else b


# Points multiplier per tier (积分倍数), verbatim from seed 003.
MULTIPLIERS: Mapping[Tier, Decimal] = MappingProxyType(
    {
        Tier.STANDARD: Decimal("1.0"),
        Tier.SILVER: Decimal("1.1"),
        Tier.GOLD: Decimal("1.2"),
        Tier.PLATINUM: Decimal("1.3"),
    }
)


def _require_non_negative_decimals(config: Any) -> None:
    """Every field of a configuration dataclass is a Decimal and not negative: a float would
    compare inexactly against Decimal money."""
    for f in fields(config):
        value = getattr(config, f.name)
        if not isinstance(value, Decimal):
            raise TypeError(f"{f.name} must be a Decimal, got {type(value).__name__}")
        if value < 0:
            raise ValueError(f"{f.name} must not be negative, got {value}")


# The sane maxima of the run-time configuration (issue 16): far above any real threshold or
# bonus, far below what the Numeric(18, 2) columns and the ledger's sums hold. A value past
# them is a typo (a pasted ID number, full-width digits read as a number), never a policy.
MAX_ASSETS_THRESHOLD = Decimal(10) ** 10
"""10 billion CNY of assets: no tier needs more to enter."""
MAX_COMMISSION_THRESHOLD = Decimal(10) ** 8
"""100 million CNY of trailing-12-month commission."""
MAX_BONUS = Decimal(10_000)
"""Points of one bonus (the defaults are 100 to 500)."""
_FEN = Decimal("0.01")


def _require_in_range(name: str, value: Decimal, *, low: Decimal, high: Decimal) -> None:
    """``value`` in [low, high] and to the fen at most, else ValueError naming ``name``."""
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}")
    if value != value.quantize(_FEN):
        raise ValueError(f"{name} has more than 2 decimal places: {value}")


@dataclass(frozen=True)
class TierThresholds:
    """Entry thresholds (分级标准) in CNY; a customer qualifies by assets or by commission."""

    silver_assets: Decimal = Decimal(100000)
    silver_commission: Decimal = Decimal(2000)
    gold_assets: Decimal = Decimal(500000)
    gold_commission: Decimal = Decimal(10000)
    platinum_assets: Decimal = Decimal(2000000)
    platinum_commission: Decimal = Decimal(40000)

    def __post_init__(self) -> None:
        _require_non_negative_decimals(self)
        for f in fields(self):
            high = MAX_ASSETS_THRESHOLD if f.name.endswith("assets") else MAX_COMMISSION_THRESHOLD
            # Positive: a zero threshold would promote every customer at the next snapshot.
            _require_in_range(f.name, getattr(self, f.name), low=_FEN, high=high)
        for axis in ("assets", "commission"):
            silver, gold, platinum = (
                getattr(self, f"{tier}_{axis}") for tier in ("silver", "gold", "platinum")
            )
            if not silver < gold < platinum:
                raise ValueError(
                    f"{axis} thresholds must rise silver < gold < platinum, "
                    f"got {silver} / {gold} / {platinum}"
                )


DEFAULT_THRESHOLDS = TierThresholds()


def qualify_tier(
    *,
    total_assets: Decimal,
    trailing_commission: Decimal,
    thresholds: TierThresholds = DEFAULT_THRESHOLDS,
) -> Tier:
    """Tier earned by assets (资产) or trailing-12-month commission (佣金), whichever is higher.

    Thresholds are inclusive: exactly 100,000 of assets is already silver (银卡).
    """
    t = thresholds
    by_assets = _tier_at(total_assets, t.silver_assets, t.gold_assets, t.platinum_assets)
    by_commission = _tier_at(
        trailing_commission, t.silver_commission, t.gold_commission, t.platinum_commission
    )
    return _higher(by_assets, by_commission)


def _tier_at(amount: Decimal, silver: Decimal, gold: Decimal, platinum: Decimal) -> Tier:
    if amount >= platinum:
        return Tier.PLATINUM
    if amount >= gold:
        return Tier.GOLD
    if amount >= silver:
        return Tier.SILVER
    return Tier.STANDARD


def points_for_trade(commission: Decimal, tier: Tier) -> Decimal:
    """Points (积分) for a settled trade: commission x tier multiplier, half-up to 0.01.

    佣金在CRM中自动折成同金额积分. A reversal is the negation of the original entry,
    so the commission itself must never be negative here.
    """
    if commission < 0:
        raise ValueError(f"commission must not be negative, got {commission}")
    return (commission * MULTIPLIERS[tier]).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TierDecision:
    """Outcome of a tier recomputation: the tier to hold, whether it changed, and why.

    reason is one of: upgrade, downgrade_at_review, held_until_review, points_upgrade_held,
    unchanged.
    """

    tier: Tier
    changed: bool
    reason: str


def decide_tier(
    *,
    current: Tier,
    qualified: Tier,
    at_review: bool,
    bought_tier: Tier | None = None,
    bought_until: date | None = None,
    today: date,
) -> TierDecision:
    """Apply the tier-change rule (升级/降级).

    An upgrade takes effect at once; a downgrade waits for the periodic review so a customer
    does not flap between tiers on one bad day. A tier bought with points is a floor through
    its last day (bought_until, inclusive).
    """
    if (bought_tier is None) != (bought_until is None):
        raise ValueError("bought_tier and bought_until must be given together")
    floor = bought_tier if bought_until is not None and today <= bought_until else None
    target = qualified if floor is None else _higher(qualified, floor)

    if tier_rank(target) > tier_rank(current):
        return TierDecision(tier=target, changed=True, reason="upgrade")
    if target == current:
        if floor is not None and tier_rank(qualified) < tier_rank(floor):
            return TierDecision(tier=current, changed=False, reason="points_upgrade_held")
        return TierDecision(tier=current, changed=False, reason="unchanged")
    if at_review:
        return TierDecision(tier=target, changed=True, reason="downgrade_at_review")
    return TierDecision(tier=current, changed=False, reason="held_until_review")


@functools.lru_cache(maxsize=512)  # a settlement batch's upgrades share a handful of days
def next_review_on(today: date) -> date:
    """Next periodic tier review (定期评定), monthly by default: the first day of next month."""
    return add_months(today.replace(day=1), 1)


@dataclass(frozen=True)
class Routing:
    """Where the call center (呼叫中心) puts a call: queue "general" or "dedicated", priority."""

    queue: str
    priority: bool


_ROUTES: Mapping[Tier, Routing] = MappingProxyType(
    {
        Tier.STANDARD: Routing(queue="general", priority=False),
        Tier.SILVER: Routing(queue="general", priority=True),  # 电话优先接入
        Tier.GOLD: Routing(queue="dedicated", priority=False),  # 专门的客服电话
        Tier.PLATINUM: Routing(queue="dedicated", priority=True),  # 专门的客服电话优先接入
    }
)
_UNKNOWN_CALLER = Routing(queue="general", priority=False)


def route_for(tier: Tier | None) -> Routing:
    """Call-center routing (呼叫中心) by tier; an unknown caller (None) gets the general queue."""
    if tier is None:
        return _UNKNOWN_CALLER
    return _ROUTES[tier]


@dataclass(frozen=True)
class BonusAmounts:
    """Bonus points (奖励性积分): per referred new customer (推荐新客户), per full year as a
    customer (忠诚度), per adopted suggestion (合理化建议)."""

    referral: Decimal = Decimal(500)
    anniversary: Decimal = Decimal(200)
    suggestion: Decimal = Decimal(100)

    def __post_init__(self) -> None:
        _require_non_negative_decimals(self)
        for f in fields(self):  # zero is allowed: it switches a bonus off
            _require_in_range(f.name, getattr(self, f.name), low=Decimal(0), high=MAX_BONUS)


DEFAULT_BONUSES = BonusAmounts()

# Points needed to buy a tier upgrade (积分申请升级), priced by the tier bought.
UPGRADE_COSTS: Mapping[Tier, Decimal] = MappingProxyType(
    {
        Tier.SILVER: Decimal(2000),
        Tier.GOLD: Decimal(8000),
        Tier.PLATINUM: Decimal(30000),
    }
)
UPGRADE_MONTHS = 12

# Paid SMS (收费短信) costs 10 CNY per product per month, and commission turns into points
# one for one (同金额积分), so one point is worth one CNY: 10 points per product-month.
SMS_MONTH_COST_POINTS = Decimal(10)


def upgrade_cost(
    *, current: Tier, target: Tier, costs: Mapping[Tier, Decimal] = UPGRADE_COSTS
) -> Decimal:
    """Points to buy an upgrade (积分升级) to target; only a higher tier can be bought.

    The price is that of the target tier ("to gold 8,000"), whatever the starting tier.
    """
    if tier_rank(target) <= tier_rank(current):
        raise ValueError(f"cannot buy {target} while holding {current}: not an upgrade")
    if target not in costs:
        raise ValueError(f"no upgrade price for {target}")
    return costs[target]


def sms_subscription_cost(*, products: int, months: int) -> Decimal:
    """Points to exchange for paid SMS (兑换收费短信): products x months x 10 points."""
    if products < 1 or months < 1:
        raise ValueError("products and months must each be at least 1")
    return SMS_MONTH_COST_POINTS * products * months


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (Jan 31 + 1 month -> Feb 28/29)."""
    year, month_index = divmod(d.year * 12 + d.month - 1 + months, 12)
    month = month_index + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def upgrade_until(start: date, months: int = UPGRADE_MONTHS) -> date:
    """Last day (inclusive) a points-bought tier holds: start + months, less one day."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    return add_months(start, months) - timedelta(days=1)


def full_years_as_customer(opened_on: date, today: date) -> int:
    """Completed years since account opening (开户日期), 0 before the first anniversary.

    An account opened on Feb 29 completes its year on Feb 28 in a non-leap year.
    """
    years = today.year - opened_on.year
    if years > 0 and today < add_months(opened_on, 12 * years):
        years -= 1
    return max(years, 0)


def anniversaries_due(opened_on: date, today: date, already_credited_years: set[int]) -> list[int]:
    """Anniversaries (1, 2, ...) completed but not yet credited with loyalty points (忠诚度)."""
    completed = full_years_as_customer(opened_on, today)
    return [n for n in range(1, completed + 1) if n not in already_credited_years]


def can_spend(balance: Decimal, amount: Decimal) -> bool:
    """Whether `amount` points may be spent: positive, and the balance never goes negative."""
    return amount > 0 and balance - amount >= 0
