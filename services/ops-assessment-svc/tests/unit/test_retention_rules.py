"""The retention clock: trading minutes only (09:30–11:30, 13:00–15:00 on XSHG trading days)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ops_assessment_svc.retention.rules import (
    BEIJING,
    CalendarNotCovered,
    exchange_calendar,
    first_call_due,
    follow_up_on,
    is_trading_day,
    trading_minutes_between,
)

XSHG = exchange_calendar()


def bj(y: int, mo: int, d: int, h: int, mi: int) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("requested", "due"),
    [
        (bj(2026, 11, 20, 10, 0), bj(2026, 11, 20, 10, 30)),  # Friday morning
        (bj(2026, 11, 20, 9, 0), bj(2026, 11, 20, 10, 0)),  # before the open
        (bj(2026, 11, 20, 11, 20), bj(2026, 11, 20, 13, 20)),  # across the noon break
        (bj(2026, 11, 20, 12, 10), bj(2026, 11, 20, 13, 30)),  # in the noon break
        # 14:59: one minute today, 29 on Monday (the weekend does not count).
        (bj(2026, 11, 20, 14, 59), bj(2026, 11, 23, 9, 59)),
        # 15:01: after the close, the whole 30 minutes on Monday.
        (bj(2026, 11, 20, 15, 1), bj(2026, 11, 23, 10, 0)),
        (bj(2026, 11, 21, 10, 0), bj(2026, 11, 23, 10, 0)),  # Saturday
        # National Day: 30 Sept 14:50 leaves 10 minutes; 1–7 Oct closed; 8 Oct 09:50.
        (bj(2026, 9, 30, 14, 50), bj(2026, 10, 8, 9, 50)),
        # An instant in UTC is read in Beijing time: 02:00Z = 10:00 CST.
        (datetime.fromisoformat("2026-11-20T02:00:00+00:00"), bj(2026, 11, 20, 10, 30)),
    ],
)
def test_first_call_is_due_30_trading_minutes_after_the_request(
    requested: datetime, due: datetime
) -> None:
    assert first_call_due(requested, XSHG) == due


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (bj(2026, 11, 20, 10, 0), bj(2026, 11, 20, 10, 0), 0),
        (bj(2026, 11, 20, 11, 0), bj(2026, 11, 20, 13, 30), 60),
        (bj(2026, 11, 20, 14, 59), bj(2026, 11, 23, 9, 59), 30),
        (bj(2026, 11, 20, 9, 30), bj(2026, 11, 20, 15, 0), 240),
        (bj(2026, 11, 20, 15, 1), bj(2026, 11, 21, 12, 0), 0),
        (bj(2026, 11, 20, 11, 0), bj(2026, 11, 20, 10, 0), 0),
    ],
)
def test_trading_minutes_between(start: datetime, end: datetime, minutes: int) -> None:
    assert trading_minutes_between(start, end, XSHG) == minutes


@pytest.mark.parametrize(
    ("day", "trading"),
    [
        (date(2026, 11, 20), True),
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 8), True),
        (date(2026, 2, 18), False),  # Spring Festival
    ],
)
def test_exchange_trading_days(day: date, trading: bool) -> None:
    assert is_trading_day(day) is trading


def test_past_the_calendar_is_refused_until_the_closures_are_announced() -> None:
    with pytest.raises(CalendarNotCovered):
        is_trading_day(date(2027, 1, 4))
    announced = frozenset({date(2027, 1, 1)})
    assert is_trading_day(date(2027, 1, 4), announced)
    assert not is_trading_day(date(2027, 1, 1), announced)


def test_follow_up_30_days_after_leaving() -> None:
    assert follow_up_on(date(2026, 11, 20)) == date(2026, 12, 20)
