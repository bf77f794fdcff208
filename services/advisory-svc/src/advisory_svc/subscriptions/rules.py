"""Subscription terms, tier drops and the points price of SMS months (domain.md §3.1): pure."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from ..calendars import trading_day_before

TIER_DROP_NOTICE_TRADING_DAYS = 5
TIER_ORDER = {"standard": 0, "silver": 1, "gold": 2, "platinum": 3}


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def term_end(starts_on: date, months: int) -> date:
    """A term of ``months`` product-months ends at the end of its last calendar month."""
    if months < 1:
        raise ValueError("a term is at least one month")
    return month_end(add_months(starts_on.replace(day=1), months - 1))


def renewal_term(current_ends_on: date, months: int) -> tuple[date, date]:
    """A renewal starts the day after the current term and runs ``months`` more."""
    starts = date.fromordinal(current_ends_on.toordinal() + 1)
    return starts, term_end(starts, months)


def is_drop_below_bundles(old_tier: str, new_tier: str) -> bool:
    """A drop from gold/platinum to a tier that may not hold bundles."""
    return TIER_ORDER[old_tier] >= TIER_ORDER["gold"] > TIER_ORDER[new_tier]


def bundle_end_after_drop(current_ends_on: date, effective_on: date) -> date:
    """A tier drop does not cut a running bundle: it runs to the end of its current month."""
    return min(current_ends_on, month_end(effective_on))


def drop_notice_on(ends_on: date, *, trading_days: int = TIER_DROP_NOTICE_TRADING_DAYS) -> date:
    """The customer is told ``trading_days`` trading days before the bundle ends."""
    return trading_day_before(ends_on, trading_days)


def sms_cash_price(months: int, month_fee: Decimal) -> Decimal:
    return (month_fee * months).quantize(Decimal("0.01"))
