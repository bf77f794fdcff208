"""Reminders on trading days: one planned message per customer and stage.

Session first, keyword-only, never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox

from ..config import Settings
from ..exceptions import CalendarUnavailable, Invalid
from ..planning.service import Request, plan_message
from ..reminders.calendar import CalendarNotCovered
from ..rules import at_beijing, beijing_date
from .rules import ipo_reminder_days, warrant_reminder_days

REMINDER_TEMPLATES = {
    ("ipo", "subscription"): "IPO_SUBSCRIPTION",
    ("ipo", "allotment"): "IPO_ALLOTMENT",
    ("ipo", "listing"): "IPO_LISTING",
    ("warrant_exercise", "ahead"): "WARRANT_EXERCISE",
    ("warrant_exercise", "last_day"): "WARRANT_EXERCISE",
}


@dataclass(frozen=True)
class ReminderStage:
    stage: str
    on: date
    template_code: str
    send_at: datetime | None  # None: the day has passed, nothing planned
    planned: int


async def schedule_reminders(
    session: AsyncSession,
    *,
    kind: str,
    customer_ids: Sequence[str],
    security_code: str,
    security_name: str,
    subscription_on: date | None,
    listing_on: date | None,
    last_exercise_on: date | None,
    days_before: int,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
) -> list[ReminderStage]:
    """Reminders on trading days (XSHG): IPO subscription T, allotment T+2, listing; warrant
    exercise some trading days ahead of and on the last exercise day. Service notices."""
    announced = settings.xshg_announced_closures
    try:
        if kind == "ipo":
            if subscription_on is None:
                raise Invalid("subscription_on is required for an IPO reminder")
            days = ipo_reminder_days(subscription_on, listing_on, announced)
        else:
            if last_exercise_on is None:
                raise Invalid("last_exercise_on is required for a warrant reminder")
            days = warrant_reminder_days(last_exercise_on, days_before, announced)
    except CalendarNotCovered as exc:
        # The exchange announces one year's closures at a time (in December): a day past next
        # year cannot be planned by waiting, so it is the request's fault, not a 503 to retry.
        asked = max(d for d in (subscription_on, listing_on, last_exercise_on) if d is not None)
        if asked.year > beijing_date(now).year + 1:
            raise Invalid(
                f"{asked} is past next year: the exchange announces its closures a year at a time"
            ) from exc
        raise CalendarUnavailable(str(exc)) from exc
    except ValueError as exc:  # not a trading day, listing before allotment, ...
        raise Invalid(str(exc)) from exc
    today = beijing_date(now)
    params = {"security_code": security_code, "security_name": security_name}
    if last_exercise_on is not None:
        params["last_exercise_on"] = last_exercise_on.isoformat()
    stages: list[ReminderStage] = []
    for stage, day in sorted(days.items(), key=lambda kv: kv[1]):
        code = REMINDER_TEMPLATES[(kind, stage)]
        if day < today:
            stages.append(ReminderStage(stage, day, code, None, 0))
            continue
        send_at = max(now, at_beijing(day, settings.reminder_hour))
        planned = 0
        for customer_id in dict.fromkeys(customer_ids):
            result = await plan_message(
                session,
                request=Request(
                    trigger_ref=f"reminder:{kind}:{security_code}:{stage}:{day.isoformat()}",
                    template_code=code,
                    customer_id=customer_id,
                    params=params,
                    send_at=send_at,
                ),
                settings=settings,
                outbox=outbox,
                now=now,
            )
            planned += int(result.created)
        stages.append(ReminderStage(stage, day, code, send_at, planned))
    return stages
