"""Trading days (Shanghai Stock Exchange, exchange_calendars) and Chinese working days
(chinesecalendar): pure lookups shared by the rules of several subpackages.

Both libraries know a limited future: the exchange's closures up to the last year it has
announced (2026 today), the State Council's holiday schedule likewise. A day beyond them
raises ``CalendarNotCovered`` rather than pretending it has no holidays (ADR 0008, as
notify-svc does).
"""

from __future__ import annotations

import functools
import warnings
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import chinese_calendar

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar


class CalendarNotCovered(ValueError):
    """A day beyond what the installed calendars know."""


@functools.cache
def _xshg() -> ExchangeCalendar:
    # Imported lazily: exchange_calendars pulls in pandas, which most requests never need.
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar: ExchangeCalendar = XSHGExchangeCalendar(end=XSHGExchangeCalendar.bound_max())
    return calendar


@functools.cache
def trading_calendar_ends() -> date:
    """The last day whose trading status is known: the end of the last year with closures."""
    holidays: Any = type(_xshg()).precomputed_holidays()
    return date(max(ts.year for ts in holidays), 12, 31)


def _check(day: date) -> ExchangeCalendar:
    if day > trading_calendar_ends():
        raise CalendarNotCovered(f"the trading calendar ends on {trading_calendar_ends()}")
    return _xshg()


def is_trading_day(day: date) -> bool:
    return bool(_check(day).is_session(day))


def trading_day_offset(day: date, n: int) -> date:
    """T+n trading days; T is ``day`` or the next trading day when it is not one."""
    calendar = _check(day)
    t = calendar.date_to_session(day, direction="next")
    try:
        result: date = calendar.session_offset(t, n).date()
    except ValueError:  # past the calendar's last session
        raise CalendarNotCovered(
            f"the trading calendar ends on {trading_calendar_ends()}"
        ) from None
    if result > trading_calendar_ends():
        raise CalendarNotCovered(f"the trading calendar ends on {trading_calendar_ends()}")
    return result


def trading_day_before(day: date, n: int) -> date:
    """T-n trading days; T is ``day`` or the previous trading day when it is not one."""
    calendar = _check(day)
    t = calendar.date_to_session(day, direction="previous")
    result: date = calendar.session_offset(t, -n).date()
    return result


def working_day_after(day: date, n: int) -> date:
    """The n-th Chinese working day (工作日, make-up workdays 调休 included) after ``day``."""
    # Counted by hand: chinese_calendar.find_workday counts one day too many from a day off.
    found, current = 0, day
    try:
        while found < n:
            current += timedelta(days=1)
            if chinese_calendar.is_workday(current):
                found += 1
    except NotImplementedError:
        raise CalendarNotCovered(
            f"chinesecalendar {chinese_calendar.__version__} does not know the holidays "
            f"after {day}: upgrade it"
        ) from None
    return current
