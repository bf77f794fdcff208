"""Pure reminder rules: on which trading days each reminder goes.

Nothing here does I/O; the trading days come from ``reminders.calendar``.
"""

from __future__ import annotations

from datetime import date

from .calendar import is_trading_day, trading_day_before, trading_day_offset


def warrant_reminder_days(
    last_exercise_day: date, days_before: int, announced: tuple[date, ...] = ()
) -> dict[str, date]:
    """Days for the exercise reminders (权证行权提示) so a warrant does not expire worthless.

    ``days_before`` trading days ahead of the last exercise day (行权截止日), and on the day
    itself; the last exercise day must be a trading day.
    """
    if not is_trading_day(last_exercise_day, announced):
        raise ValueError("the last exercise day is a trading day")
    days = {"last_day": last_exercise_day}
    if days_before > 0:
        days["ahead"] = trading_day_before(last_exercise_day, days_before, announced)
    return days


def ipo_reminder_days(
    subscription_day: date, listing_day: date | None = None, announced: tuple[date, ...] = ()
) -> dict[str, date]:
    """Days for the IPO reminders (新股申购/中签/上市提醒).

    subscription T (申购日); allotment T+2, the day the allotment result (中签结果) is published
    and payment is due (缴款) -- an unpaid allotment is forfeited; listing (上市日) only when
    given, because the exchange announces it separately.
    """
    if not is_trading_day(subscription_day, announced):
        raise ValueError("an IPO subscription day is a trading day")
    days = {
        "subscription": subscription_day,
        "allotment": trading_day_offset(subscription_day, 2, announced),
    }
    if listing_day is not None:
        if listing_day <= days["allotment"]:
            raise ValueError("listing comes after the allotment day")
        days["listing"] = listing_day
    return days
