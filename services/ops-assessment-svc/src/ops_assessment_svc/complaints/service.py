"""Complaint and suggestion use cases: intake, owner and deadlines, states, analysis."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev

from .. import metrics
from ..assignment.models import CustomerFile
from ..exceptions import Conflict, NotFound, RuleBroken
from . import rules
from .models import Complaint, Suggestion

DATA_LEAK_TEMPLATE = "COMPLAINT_DATA_LEAK_ALERT"
"""notify-svc template for compliance's alert (a staff_alert; notify must add it)."""


async def file_complaint(
    session: AsyncSession,
    *,
    customer_id: str,
    branch_id: str,
    category: str,
    intake: str,
    description: str,
    owner_id: str,
    received_on: date,
    now: datetime,
    outbox: Outbox,
) -> Complaint:
    """Take a complaint: its owner, both deadlines, the owning group; a data leak alerts
    compliance in the same transaction (not at the deadline)."""
    cat = rules.Category(category)
    customer = await session.get(CustomerFile, customer_id)
    try:
        contact_due, answer_due = rules.deadlines(received_on)
    except rules.WorkingDaysNotCovered as exc:
        raise RuleBroken([f"no working-day calendar for {received_on}: {exc}"]) from None
    complaint = Complaint(
        complaint_id=f"CP-{uuid.uuid4().hex[:20]}",
        customer_id=customer_id,
        branch_id=branch_id,
        group_id=customer.group_id if customer else None,
        category=cat.value,
        intake=rules.Intake(intake).value,
        description=description,
        owner_id=owner_id,
        received_on=received_on,
        contact_due_on=contact_due,
        answer_due_on=answer_due,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    events: list[ev.Event] = [
        ev.ComplaintFiled(
            customer_id=customer_id,
            complaint_id=complaint.complaint_id,
            category=cat.value,
            owner_id=owner_id,
            due_on=answer_due,
            branch_id=branch_id,
            group_id=complaint.group_id,
            intake=complaint.intake,
            contact_due_on=contact_due,
        )
    ]
    if rules.alerts_compliance(cat):
        events.append(
            ev.NotificationRequested(
                customer_id=customer_id,
                template_code=DATA_LEAK_TEMPLATE,
                category="staff_alert",
                channel="im",
                params={
                    "complaint_id": complaint.complaint_id,
                    "branch_id": branch_id,
                    "received_on": received_on.isoformat(),
                    "route": "compliance",
                },
            )
        )
    await outbox.add_many(session, events)
    await session.flush()
    metrics.COMPLAINTS_FILED.labels(cat.value, complaint.intake).inc()
    return complaint


async def get_complaint(session: AsyncSession, complaint_id: str) -> Complaint:
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    return complaint


async def move_complaint(
    session: AsyncSession,
    *,
    complaint: Complaint,
    state: str,
    on: date,
    now: datetime,
    outbox: Outbox,
    evaluation: int | None = None,
    upheld: bool | None = None,
) -> Complaint:
    src, dst = rules.State(complaint.state), rules.State(state)
    problem = rules.transition_problem(src, dst, evaluation)
    if problem is not None:
        raise Conflict(problem) if src is rules.State.CLOSED else RuleBroken([problem])
    complaint.state = dst.value
    complaint.updated_at = now
    if upheld is not None:
        complaint.upheld = upheld
    if evaluation is not None:
        complaint.evaluation = evaluation
    if dst in (rules.State.CLOSED, rules.State.ESCALATED):
        complaint.resolved_on = on
        await outbox.add(
            session,
            ev.ComplaintResolved(
                customer_id=complaint.customer_id,
                complaint_id=complaint.complaint_id,
                resolved_on=on,
                state=dst.value,
                upheld=bool(complaint.upheld),
                evaluation=complaint.evaluation,
                group_id=complaint.group_id,
            ),
        )
    await session.flush()
    return complaint


async def list_complaints(
    session: AsyncSession,
    *,
    branch_id: str | None,
    customer_id: str | None,
    overdue_on: date | None,
    owner_id: str | None = None,
) -> list[Complaint]:
    stmt = select(Complaint).order_by(col(Complaint.received_on), col(Complaint.complaint_id))
    if owner_id is not None:
        stmt = stmt.where(col(Complaint.owner_id) == owner_id)
    if branch_id is not None:
        stmt = stmt.where(col(Complaint.branch_id) == branch_id)
    if customer_id is not None:
        stmt = stmt.where(col(Complaint.customer_id) == customer_id)
    rows = list((await session.execute(stmt)).scalars())
    if overdue_on is None:
        return rows
    return [
        c
        for c in rows
        if rules.is_overdue(
            rules.State(c.state),
            contact_due_on=c.contact_due_on,
            answer_due_on=c.answer_due_on,
            today=overdue_on,
        )
    ]


async def analysis(session: AsyncSession, *, branch_id: str | None) -> list[dict[str, Any]]:
    """Counts by month, branch and category (upheld ones too), to improve the service."""
    month = func.substr(func.cast(col(Complaint.received_on), String()), 1, 7)
    stmt = (
        select(
            month.label("month"),
            col(Complaint.branch_id),
            col(Complaint.category),
            func.count().label("complaints"),
            func.sum(func.coalesce(func.cast(col(Complaint.upheld), Integer()), 0)).label("upheld"),
        )
        .group_by(month, col(Complaint.branch_id), col(Complaint.category))
        .order_by(month, col(Complaint.branch_id), col(Complaint.category))
    )
    if branch_id is not None:
        stmt = stmt.where(col(Complaint.branch_id) == branch_id)
    return [dict(r._mapping) for r in await session.execute(stmt)]


async def upheld_by_group(session: AsyncSession, *, first: date, last: date) -> dict[str, int]:
    rows = await session.execute(
        select(col(Complaint.group_id), func.count())
        .where(
            col(Complaint.upheld).is_(True),
            col(Complaint.group_id).is_not(None),
            col(Complaint.resolved_on) >= first,
            col(Complaint.resolved_on) <= last,
        )
        .group_by(col(Complaint.group_id))
    )
    return {str(g): int(n) for g, n in rows.all()}


async def take_suggestion(
    session: AsyncSession, *, customer_id: str, branch_id: str, text: str, now: datetime
) -> Suggestion:
    suggestion = Suggestion(
        suggestion_id=f"SG-{uuid.uuid4().hex[:20]}",
        customer_id=customer_id,
        branch_id=branch_id,
        text=text,
        created_at=now,
    )
    session.add(suggestion)
    await session.flush()
    return suggestion


async def adopt_suggestion(
    session: AsyncSession, *, suggestion_id: str, on: date, outbox: Outbox
) -> Suggestion:
    """Adopt once: tiering-svc awards the author's bonus from ``SuggestionAdopted``."""
    suggestion = await session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound(f"no suggestion {suggestion_id}")
    if suggestion.state != "received":
        raise Conflict(f"suggestion {suggestion_id} is {suggestion.state} already")
    suggestion.state = "adopted"
    metrics.SUGGESTIONS_ADOPTED.inc()
    suggestion.adopted_on = on
    await outbox.add(
        session,
        ev.SuggestionAdopted(
            customer_id=suggestion.customer_id,
            suggestion_id=suggestion_id,
            adopted_on=on,
            branch_id=suggestion.branch_id,
        ),
    )
    await session.flush()
    return suggestion
