"""Retention cases: opened from the transfer request within seconds, acted on by the group.

The case only records and reminds: it never holds, delays or refuses the transfer itself
(domain.md §6), so nothing here answers the counter or the app.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev
from brokerage_common.dialect import insert_ignoring_duplicates

from .. import metrics
from ..assignment.models import CustomerFile
from ..exceptions import Conflict, NotFound, RuleBroken
from ..staff_groups.rules import alert_channel
from . import rules
from .models import RetentionAction, RetentionCase

log = logging.getLogger(__name__)
_IDS_PER_QUERY = 5000


async def open_case(
    session: AsyncSession,
    *,
    request_id: str,
    customer_id: str,
    kind: str,
    market: str,
    stated_reason: str,
    requested_at: datetime,
    branch_id: str | None,
    now: datetime,
    trading_day: Callable[[date], bool],
    first_call_minutes: int,
    outbox: Outbox,
) -> RetentionCase | None:
    """Open the case for a request once (counter and app report the same request id)."""
    customer = await session.get(CustomerFile, customer_id)
    group_id = customer.group_id if customer else None
    branch = branch_id or (customer.branch_id if customer else None)
    try:
        due: datetime | None = rules.first_call_due(requested_at, trading_day, first_call_minutes)
    except rules.CalendarNotCovered as exc:
        # The case still opens at once; only its clock waits for the calendar.
        log.warning("retention clock not started: %s", exc)
        due = None
    case_id = f"RC-{uuid.uuid4().hex[:20]}"
    inserted = await session.execute(
        insert_ignoring_duplicates(session, RetentionCase, keys=["request_id"])
        .values(
            case_id=case_id,
            request_id=request_id,
            customer_id=customer_id,
            branch_id=branch,
            group_id=group_id,
            kind=kind,
            market=market,
            stated_reason=stated_reason[:500],
            requested_at=requested_at,
            opened_at=now,
            first_call_due_at=due,
            state="open",
        )
        .returning(col(RetentionCase.case_id))
    )
    if inserted.scalar_one_or_none() is None:
        return None
    metrics.RETENTION_CASES_OPENED.inc()
    await outbox.add(
        session,
        ev.RetentionCaseOpened(
            customer_id=customer_id,
            case_id=case_id,
            request_id=request_id,
            branch_id=branch,
            group_id=group_id,
            alert_channel=alert_channel(group_id) if group_id else None,
            kind=kind,
            opened_at=now,
            first_call_due_at=due,
        ),
    )
    return await session.get(RetentionCase, case_id)


async def get_case(session: AsyncSession, case_id: str) -> RetentionCase:
    case = await session.get(RetentionCase, case_id)
    if case is None:
        raise NotFound(f"no retention case {case_id}")
    return case


async def act(
    session: AsyncSession,
    *,
    case: RetentionCase,
    kind: str,
    actor: str,
    now: datetime,
    outbox: Outbox,
    note: str = "",
    reason: str | None = None,
    offer: str | None = None,
    outcome: str | None = None,
) -> RetentionCase:
    """Record a call, an offer or the outcome; the outcome closes the case."""
    if case.state != "open":
        raise Conflict(f"retention case {case.case_id} is closed")
    if kind == "call":
        if case.first_call_at is None:
            case.first_call_at = now
        if reason is not None:
            case.reason = rules.Reason(reason).value
    elif kind == "offer":
        if offer is None:
            raise RuleBroken(["an offer action names the offer"])
        case.offer = rules.Offer(offer).value
    elif kind == "outcome":
        if outcome is None:
            raise RuleBroken(["an outcome action names the outcome"])
        case.outcome = rules.Outcome(outcome).value
        case.state = "closed"
        case.closed_at = now
        if case.outcome == rules.Outcome.LEFT:
            case.follow_up_on = rules.follow_up_on(now.date())
    session.add(
        RetentionAction(
            case_id=case.case_id,
            kind=kind,
            detail=(note or offer or outcome or reason or "")[:500],
            actor=actor,
            at=now,
        )
    )
    if case.state == "closed":
        metrics.RETENTION_CASES_CLOSED.labels(str(case.outcome)).inc()
        await outbox.add(
            session,
            ev.RetentionCaseClosed(
                customer_id=case.customer_id,
                case_id=case.case_id,
                outcome=case.outcome,
                request_id=case.request_id,
                group_id=case.group_id,
                closed_at=now,
                follow_up_on=case.follow_up_on,
            ),
        )
    await session.flush()
    return case


async def list_cases(
    session: AsyncSession,
    *,
    branch_id: str | None,
    state: str | None,
    group_id: str | None,
    overdue_first_at: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RetentionCase]:
    """Oldest first; with ``overdue_first_at``, the cases whose first call is overdue at that
    instant come first (oldest first among them). ``limit``/``offset`` page the queue."""
    c: Any = RetentionCase
    order: list[Any] = [c.opened_at, c.case_id]
    if overdue_first_at is not None:
        overdue = and_(
            c.first_call_at.is_(None),
            c.state == "open",
            c.first_call_due_at.is_not(None),
            c.first_call_due_at <= overdue_first_at,
        )
        order.insert(0, case((overdue, 0), else_=1))
    stmt = select(RetentionCase).order_by(*order).offset(offset).limit(limit)
    if branch_id is not None:
        stmt = stmt.where(col(RetentionCase.branch_id) == branch_id)
    if state is not None:
        stmt = stmt.where(col(RetentionCase.state) == state)
    if group_id is not None:
        stmt = stmt.where(col(RetentionCase.group_id) == group_id)
    return list((await session.execute(stmt)).scalars())


async def actions(session: AsyncSession, case_id: str) -> list[RetentionAction]:
    rows = await session.execute(
        select(RetentionAction)
        .where(col(RetentionAction.case_id) == case_id)
        .order_by(col(RetentionAction.id))
    )
    return list(rows.scalars())


async def actions_of(
    session: AsyncSession, case_ids: list[str]
) -> dict[str, list[RetentionAction]]:
    """Every listed case's actions in one query (the queue shows them; no query per case).

    Chunked so a long unfiltered list stays under the drivers' bound-parameter limits
    (asyncpg's 32,767): a queue of up to 5,000 cases is still one query.
    """
    found: dict[str, list[RetentionAction]] = {case_id: [] for case_id in case_ids}
    for start in range(0, len(case_ids), _IDS_PER_QUERY):
        rows = await session.execute(
            select(RetentionAction)
            .where(col(RetentionAction.case_id).in_(case_ids[start : start + _IDS_PER_QUERY]))
            .order_by(col(RetentionAction.id))
        )
        for action in rows.scalars():
            found[action.case_id].append(action)
    return found


async def follow_ups_due(session: AsyncSession, *, on: date) -> list[RetentionCase]:
    rows = await session.execute(
        select(RetentionCase).where(
            col(RetentionCase.follow_up_on).is_not(None),
            col(RetentionCase.follow_up_on) <= on,
        )
    )
    return list(rows.scalars())
