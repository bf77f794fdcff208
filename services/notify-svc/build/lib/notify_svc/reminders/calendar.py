"""The Shanghai Stock Exchange's trading days (交易日, XSHG): exchange_calendars' closures plus
the exchange's announced closures (休市安排) of the years the library does not ship yet.

The exchange trades on weekdays that are not closures, and never on a weekend (make-up
workdays (调休) included), so the calendar is a set of closures and a range; the library is
read once for its closure data and its first day.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any


class CalendarNotCovered(ValueError):
    """A day beyond the trading calendar's known closures (the exchange announces each
    year's in December; exchange_calendars ships them some weeks later)."""


def _xshg_class() -> Any:
    # Imported lazily: exchange_calendars pulls in pandas, which most callers never need.
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

    return XSHGExchangeCalendar


@functools.cache
def library_closures() -> frozenset[date]:
    """The weekdays exchange_calendars' own XSHG data has the exchange closed."""
    return frozenset(ts.date() for ts in _xshg_class().precomputed_holidays())


@functools.cache
def _library_last_year() -> int:
    return max(library_closures()).year


@functools.cache
def _library_first_day() -> date:
    day: date = _xshg_class().default_start().date()
    return day


def check_announced_closures(days: Iterable[date]) -> tuple[date, ...]:
    """The exchange's announced closures (休市安排) for years exchange_calendars does not
    cover yet, as configured: sorted weekdays. Weekend days are dropped (the exchange never
    trades on a weekend, make-up workdays (调休) included). Refuses a weekday closure in a
    year the library covers that the library does not have (that would rewrite known
    history), and a gap: every year up to the last one given needs its closures, or it
    would pass for a year without holidays."""
    known = library_closures()
    last_known_year = _library_last_year()
    weekdays = sorted({d for d in days if d.weekday() < 5})
    for d in weekdays:
        if d.year <= last_known_year and d not in known:
            raise ValueError(
                f"{d} is not a closure in exchange_calendars' XSHG data, which covers "
                f"{last_known_year} and earlier; only later years can be added"
            )
    years = {d.year for d in weekdays if d.year > last_known_year}
    if years:
        missing = sorted(set(range(last_known_year + 1, max(years) + 1)) - years)
        if missing:
            raise ValueError(f"no closures given for {', '.join(map(str, missing))}")
    return tuple(d for d in weekdays if d.year > last_known_year)


class TradingCalendar:
    """XSHG trading days from ``starts`` to ``ends``: weekdays that are not closures."""

    def __init__(self, announced: tuple[date, ...] = ()) -> None:
        self.announced = announced
        self.closures = library_closures() | frozenset(announced)
        self.starts = _library_first_day()
        self.ends = date(max([_library_last_year(), *(d.year for d in announced)]), 12, 31)

    def not_covered(self, year: int) -> CalendarNotCovered:
        return CalendarNotCovered(
            f"the trading calendar ends on {self.ends}: the exchange's closures for {year} "
            "are not loaded yet (XSHG_ANNOUNCED_CLOSURES, or a newer exchange_calendars)"
        )

    def _trades(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.closures

    def _check(self, day: date) -> None:
        if day > self.ends:
            raise self.not_covered(day.year)

    def is_trading_day(self, day: date) -> bool:
        """True when the exchange trades that day; ``CalendarNotCovered`` past ``ends``."""
        self._check(day)
        return self._trades(day)

    def _step(self, day: date, n: int, direction: int, *, past_end: int) -> date:
        """The trading day ``n`` sessions from T, T being ``day`` or the nearest trading
        day in ``direction`` (+1 next, -1 previous)."""
        one = timedelta(days=direction)
        while not self._trades(day):
            day += one
            self._bounds(day, past_end)
        for _ in range(n):
            day += one
            self._bounds(day, past_end)
            while not self._trades(day):
                day += one
                self._bounds(day, past_end)
        return day

    def _bounds(self, day: date, past_end: int) -> None:
        if day > self.ends:
            raise self.not_covered(past_end)
        if day < self.starts:
            raise ValueError(f"the trading calendar starts on {self.first_session()}")

    def first_session(self) -> date:
        day = self.starts
        while not self._trades(day):
            day += timedelta(days=1)
        return day

    def offset(self, day: date, n: int) -> date:
        """T+n in trading days. T is ``day``, or the next trading day when ``day`` is not one."""
        if n < 0:
            raise ValueError("n must be >= 0")
        self._check(day)
        if day < self.first_session():
            raise ValueError(f"the trading calendar starts on {self.first_session()}")
        return self._step(day, n, +1, past_end=day.year + 1)

    def before(self, day: date, n: int) -> date:
        """T-n in trading days. T is ``day``, or the previous trading day when ``day`` is not
        one."""
        if n < 0:
            raise ValueError("n must be >= 0")
        self._check(day)
        return self._step(day, n, -1, past_end=day.year + 1)


@functools.cache
def trading_calendar(announced: tuple[date, ...] = ()) -> TradingCalendar:
    """The calendar with the announced closures of later years (``check_announced_closures``);
    it ends on the last day of the last year whose closures are known."""
    return TradingCalendar(announced)


def trading_calendar_ends(announced: tuple[date, ...] = ()) -> date:
    """The last day whose trading status is known."""
    return trading_calendar(announced).ends


def is_trading_day(day: date, announced: tuple[date, ...] = ()) -> bool:
    """True when the Shanghai Stock Exchange trades that day.

    Raises ``CalendarNotCovered`` (a ValueError) beyond the calendar's known closures.
    """
    return trading_calendar(announced).is_trading_day(day)


def trading_day_offset(day: date, n: int, announced: tuple[date, ...] = ()) -> date:
    """T+n in trading days. T is ``day``, or the next trading day when ``day`` is not one."""
    return trading_calendar(announced).offset(day, n)


def trading_day_before(day: date, n: int, announced: tuple[date, ...] = ()) -> date:
    """T-n in trading days. T is ``day``, or the previous trading day when ``day`` is not one."""
    return trading_calendar(announced).before(day, n)
