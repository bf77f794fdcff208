"""Transfer-away retention (挽留, domain.md §6): the trading-hours clock and the case's words.

The clock runs only in trading hours: 09:30–11:30 and 13:00–15:00 Beijing time on days the
Shanghai Stock Exchange trades (exchange_calendars' XSHG data, plus the exchange's announced
closures for years the library does not ship yet, as notify-svc does: ADR 0008). The first
call is due 30 trading minutes after the request. Nothing here can hold the transfer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
SESSIONS: tuple[tuple[time, time], ...] = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
FIRST_CALL_MINUTES = 30
FOLLOW_UP_DAYS = 30


class Reason(StrEnum):
    CROWD = "crowd"
    DISTANCE = "distance"
    OTHERS_INFLUENCE = "others_influence"
    FRIEND_BROKER = "friend_broker"
    COMMISSION = "commission"
    OTHER = "other"


class Offer(StrEnum):
    ANALYST_HOTLINE = "analyst_hotline"
    RATE_REVIEW = "rate_review"
    KEEP_ACCOUNT_OPEN_SECOND = "keep_account_open_second"
    SERVICE_TEAM = "service_team"
    NONE = "none"


class Outcome(StrEnum):
    RETAINED = "retained"
    PARTIALLY_RETAINED = "partially_retained"
    LEFT = "left"


class CaseClosed(ValueError):
    """An action on a closed case."""


# --- the exchange calendar ---------------------------------------------------------------


class CalendarNotCovered(ValueError):
    """A day past the last year whose exchange closures are known."""


def _xshg_class() -> Any:
    # Imported lazily: exchange_calendars pulls in pandas, which most callers never need.
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

    return XSHGExchangeCalendar


@functools.cache
def library_closures() -> frozenset[date]:
    """The weekdays exchange_calendars' XSHG data has the exchange closed."""
    return frozenset(ts.date() for ts in _xshg_class().precomputed_holidays())


@functools.cache
def _known_until(announced: frozenset[date]) -> int:
    return max(d.year for d in library_closures() | announced)


def is_trading_day(day: date, announced: frozenset[date] = frozenset()) -> bool:
    """The exchange trades that day; beyond the known closures, ``CalendarNotCovered``."""
    if day.year > _known_until(announced):
        raise CalendarNotCovered(
            f"the trading calendar ends on {_known_until(announced)}-12-31: set "
            "XSHG_ANNOUNCED_CLOSURES for the next year's closures"
        )
    return day.weekday() < 5 and day not in library_closures() and day not in announced


def exchange_calendar(announced: Iterable[date] = ()) -> Callable[[date], bool]:
    closures = frozenset(announced)
    return lambda day: is_trading_day(day, closures)


# --- the clock -----------------------------------------------------------------------------


def _sessions_from(
    at: datetime, trading_day: Callable[[date], bool], max_days: int = 60
) -> Iterable[tuple[datetime, datetime]]:
    """The trading sessions (start, end) from ``at`` on, the current one cut at ``at``."""
    local = at.astimezone(BEIJING)
    day = local.date()
    for _ in range(max_days):
        if trading_day(day):
            for open_, close in SESSIONS:
                start = datetime.combine(day, open_, BEIJING)
                end = datetime.combine(day, close, BEIJING)
                if end > local:
                    yield max(start, local), end
        day += timedelta(days=1)


def add_trading_minutes(
    at: datetime, minutes: int, trading_day: Callable[[date], bool]
) -> datetime:
    """The instant ``minutes`` trading minutes after ``at`` (outside hours: from the next open)."""
    left = timedelta(minutes=minutes)
    for start, end in _sessions_from(at, trading_day):
        if end - start >= left:
            return start + left
        left -= end - start
    raise CalendarNotCovered("no trading session within 60 days")


def trading_minutes_between(
    start: datetime, end: datetime, trading_day: Callable[[date], bool]
) -> int:
    """Whole trading minutes from ``start`` to ``end`` (0 when end is not later)."""
    total = timedelta()
    if end <= start:
        return 0
    for s, e in _sessions_from(start, trading_day):
        if s >= end:
            break
        total += min(e, end) - s
    return int(total.total_seconds() // 60)


def first_call_due(
    requested_at: datetime,
    trading_day: Callable[[date], bool],
    minutes: int = FIRST_CALL_MINUTES,
) -> datetime:
    return add_trading_minutes(requested_at, minutes, trading_day)


def follow_up_on(left_on: date, days: int = FOLLOW_UP_DAYS) -> date:
    """A customer who left is followed up (funds, wealth products) 30 days later."""
    return left_on + timedelta(days=days)
