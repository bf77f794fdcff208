"""CRM-log use cases: log a service contact, read a customer's timeline.

Every function takes the session first and keyword-only arguments, writes its
rows and outbox events into that session, and never commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from brokerage_common import Outbox
from brokerage_common import events as ev

from ..customers.models import Customer
from ..exceptions import InvalidField
from . import rules
from .models import Interaction
from .schemas import InteractionCreate


async def log_interaction(
    session: AsyncSession,
    *,
    customer: Customer,
    staff_id: str,
    data: InteractionCreate,
    now: datetime,
    outbox: Outbox,
) -> Interaction:
    """Record a service contact (CRM 记录) and publish InteractionLogged."""
    if rules.is_in_the_future(data.occurred_at, now=now):
        raise InvalidField("occurred_at", "must not be in the future")
    interaction = Interaction(
        interaction_id=str(uuid.uuid4()),
        customer_id=customer.customer_id,
        staff_id=staff_id,
        branch_id=customer.branch_id,
        channel=data.channel,
        topic=data.topic,
        outcome=data.outcome,
        next_step=data.next_step,
        occurred_at=data.occurred_at,
        created_at=now,
    )
    session.add(interaction)
    await session.flush()
    await outbox.add(
        session,
        ev.InteractionLogged(
            customer_id=customer.customer_id,
            interaction_id=interaction.interaction_id,
            staff_id=staff_id,
            branch_id=customer.branch_id,
            channel=data.channel,
            topic=data.topic,
            outcome=data.outcome,
            occurred_at=data.occurred_at,
        ),
    )
    return interaction


async def interaction_timeline(
    session: AsyncSession, *, customer_id: str, limit: int, offset: int
) -> list[Interaction]:
    """A customer's contacts, the most recent contact first."""
    stmt = (
        select(Interaction)
        .where(col(Interaction.customer_id) == customer_id)
        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.execute(stmt)).scalars())
