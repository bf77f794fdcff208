"""Pure campaign rules: the campaign's message id range, birthdays and public holidays.

Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import chinese_calendar

CAMPAIGN_KINDS = ("customers", "branch", "all", "birthday")


def campaign_ids(campaign_id: str) -> tuple[str, str]:
    """The id range of a campaign's messages: "c" + 13 hex of the campaign + 18 hex of a
    sequence. Progress reads this primary-key range (no campaign index to keep up per row);
    other message ids start with a hex timestamp digit, never "c"."""
    prefix = "c" + hashlib.sha256(campaign_id.encode()).hexdigest()[:13]
    return prefix + "0" * 18, prefix + "g"


def birthday_month_days(day: date) -> list[str]:
    """MM-DD birthdays greeted on ``day``: 29 February birthdays on 28 February in other years."""
    days = [f"{day.month:02d}-{day.day:02d}"]
    if (day.month, day.day) == (2, 28) and (day + timedelta(days=1)).month == 3:
        days.append("02-29")
    return days


# --- public holidays (法定节假日) for holiday greetings ------------------------------------


def _holiday_name(day: date) -> str | None:
    is_holiday, name = chinese_calendar.get_holiday_detail(day)
    # Make-up workdays (调休上班) carry the holiday's name too, with is_holiday False.
    return name if is_holiday else None


def holiday_greeting_name(day: date) -> str | None:
    """Name of the public holiday whose days off start on ``day``, else None.

    The first day off of the official schedule (放假第一天), e.g. 2026-10-01 "National Day",
    2026-09-25 "Mid-autumn Festival", 2026-02-15 "Spring Festival" (the schedule starts
    before 除夕). When two holidays share one break (2025: National Day 10-01..08 with
    Mid-autumn on 10-06) each gets its greeting on its own first day. Names are
    chinese_calendar's English names; HOLIDAY_CHINESE_NAMES gives the Chinese ones. Raises
    NotImplementedError for years the installed chinesecalendar does not know.
    """
    name = _holiday_name(day)
    if name is None:
        return None
    previous = day - timedelta(days=1)
    while True:
        try:
            previous_name = _holiday_name(previous)
            is_day_off = _is_day_off(previous)
        except NotImplementedError:
            return name
        if not is_day_off:
            return name
        if previous_name == name:
            return None
        previous -= timedelta(days=1)


def _is_day_off(day: date) -> bool:
    return bool(chinese_calendar.is_holiday(day))


HOLIDAY_CHINESE_NAMES: dict[str, str] = {
    holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday
}
