"""Group handlers: ops-assessment-svc's service groups and assignments into the read model."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope
from brokerage_common import events as ev

from ..context import HandlerContext
from . import service


async def on_service_group_changed(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.ServiceGroupChanged = envelope.data
    await service.record_group(
        session,
        group_id=e.group_id,
        branch_id=e.branch_id,
        name=e.name,
        state=e.state,
        alert_channel=e.alert_channel,
        members=[(m.staff_id, m.role) for m in e.members],
        changed_at=e.changed_at,
        now=ctx.clock(),
    )


async def on_customer_assigned(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.CustomerAssigned = envelope.data
    await service.record_assignment(
        session,
        customer_id=e.customer_id,
        group_id=e.group_id,
        branch_id=e.branch_id,
        month=e.month,
        effective_on=e.effective_on,
        # The event's time orders two assignments of one day (ops sends them in order).
        assigned_at=envelope.time,
        now=ctx.clock(),
    )
