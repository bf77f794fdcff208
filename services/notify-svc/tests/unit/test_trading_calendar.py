"""The trading calendar past exchange_calendars' data: the exchange's announced closures.

exchange_calendars ships a year's Shanghai closures some weeks after the exchange announces
them (in December). Until then the days of that year are refused clearly, and operations can
load the announcement (XSHG_ANNOUNCED_CLOSURES). The tests take the first year the installed
library does not cover, so they hold after an upgrade too.
"""

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from notify_svc.config import Settings
from notify_svc.reminders.calendar import (
    CalendarNotCovered,
    check_announced_closures,
    is_trading_day,
    library_closures,
    trading_calendar_ends,
    trading_day_before,
    trading_day_offset,
)
from notify_svc.reminders.rules import ipo_reminder_days, warrant_reminder_days

LAST = max(library_closures()).year  # the library's last year (2026 with 4.13.2)
NEXT = LAST + 1


def weekdays(start: date, end: date) -> list[date]:
    days = (start + timedelta(n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5]


# A New Year break of 1-5 January and a Spring Festival week in the next year: made up for
# the test (the real schedule is whatever the exchange announces).
NEW_YEAR = [date(NEXT, 1, d) for d in range(1, 6)]
SPRING = weekdays(date(NEXT, 2, 8), date(NEXT, 2, 12))
ANNOUNCED = check_announced_closures(NEW_YEAR + SPRING)
LAST_SESSION = trading_day_before(date(LAST, 12, 31), 0)  # the last trading day the library knows
FIRST_AFTER_NEW_YEAR = weekdays(date(NEXT, 1, 6), date(NEXT, 1, 12))[0]


def test_the_days_past_the_library_are_refused_with_the_reason() -> None:
    assert trading_calendar_ends() == date(LAST, 12, 31)
    assert is_trading_day(LAST_SESSION)
    with pytest.raises(CalendarNotCovered, match=f"closures for {NEXT} are not loaded"):
        is_trading_day(date(NEXT, 3, 1))
    with pytest.raises(CalendarNotCovered, match=f"ends on {LAST}-12-31"):
        trading_day_offset(LAST_SESSION, 1)  # T+1 falls in the next year
    with pytest.raises(CalendarNotCovered):
        ipo_reminder_days(LAST_SESSION)  # allotment T+2
    with pytest.raises(CalendarNotCovered):
        warrant_reminder_days(date(NEXT, 3, 1), 2)


def test_announced_closures_extend_the_calendar_through_their_year() -> None:
    assert trading_calendar_ends(ANNOUNCED) == date(NEXT, 12, 31)
    # T+1 of the library's last session skips the weekend and the announced New Year break.
    assert trading_day_offset(LAST_SESSION, 1, ANNOUNCED) == FIRST_AFTER_NEW_YEAR
    assert ipo_reminder_days(LAST_SESSION, announced=ANNOUNCED)["allotment"] == (
        trading_day_offset(FIRST_AFTER_NEW_YEAR, 1, ANNOUNCED)
    )
    for day in SPRING:
        assert not is_trading_day(day, ANNOUNCED)
    after_spring = weekdays(SPRING[-1] + timedelta(1), SPRING[-1] + timedelta(7))[0]
    assert is_trading_day(after_spring, ANNOUNCED)
    assert (
        trading_day_before(after_spring, 1, ANNOUNCED)
        == weekdays(SPRING[0] - timedelta(7), SPRING[0] - timedelta(1))[-1]
    )
    with pytest.raises(CalendarNotCovered, match=f"closures for {NEXT + 1}"):
        is_trading_day(date(NEXT + 1, 1, 4), ANNOUNCED)


def test_announced_closures_are_weekdays_in_order_and_only_new_years() -> None:
    saturday = date(NEXT, 1, 1) + timedelta((5 - date(NEXT, 1, 1).weekday()) % 7)
    given = [SPRING[-1], saturday, SPRING[0], SPRING[0]]
    assert check_announced_closures(given) == (SPRING[0], SPRING[-1])
    # A closure the library already has is no news: dropped, not refused.
    known = sorted(d for d in library_closures() if d.year == LAST)[0]
    assert check_announced_closures([known, SPRING[0]]) == (SPRING[0],)
    assert check_announced_closures([]) == ()


def test_a_closure_the_library_contradicts_or_a_missing_year_is_refused() -> None:
    known = library_closures()
    ordinary = next(d for d in weekdays(date(LAST, 3, 1), date(LAST, 3, 31)) if d not in known)
    with pytest.raises(ValueError, match=f"{ordinary} is not a closure"):
        check_announced_closures([ordinary])
    with pytest.raises(ValueError, match=f"no closures given for {NEXT}"):
        check_announced_closures([date(NEXT + 1, 2, 2)])  # would pass NEXT off as holiday-free


def test_settings_read_the_announcement_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    days = [d.isoformat() for d in NEW_YEAR + SPRING]
    monkeypatch.setenv("XSHG_ANNOUNCED_CLOSURES", "[" + ",".join(f'"{d}"' for d in days) + "]")
    assert Settings().xshg_announced_closures == ANNOUNCED
    monkeypatch.setenv("XSHG_ANNOUNCED_CLOSURES", f'["{date(NEXT + 1, 2, 2)}"]')
    with pytest.raises(ValidationError, match=f"no closures given for {NEXT}"):
        Settings()
