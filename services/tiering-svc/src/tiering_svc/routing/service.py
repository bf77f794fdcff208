"""Routing's use case: keep the service group each customer is assigned to (the read model's
snapshot reads it). Takes the session first, never commits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import PermanentEventError, today_cst
from brokerage_common import events as ev
from brokerage_common.dialect import insert

from ..models import CUSTOMER_TIER
from ..rules import Tier

GROUP_ID_MAX_LENGTH = 64


async def assign_group(session: AsyncSession, *, assignment: ev.CustomerAssigned) -> None:
    """Record the customer's group for the assignment's month; an assignment for an earlier
    month than the one held changes nothing (a late or replayed event), one for the same
    month sets the same group again. A customer tiering has not met yet gets a standard tier
    row, so the group is there when their tier arrives."""
    # group_id None: the customer went back to the branch queue (ops-assessment-svc, ADR 0011).
    if assignment.group_id is not None and len(assignment.group_id) > GROUP_ID_MAX_LENGTH:
        raise PermanentEventError(f"group_id longer than {GROUP_ID_MAX_LENGTH}")
    stmt = insert(session, CUSTOMER_TIER).values(
        customer_id=assignment.customer_id,
        tier=Tier.STANDARD.value,
        tier_since=today_cst(),
        total_assets=Decimal(0),
        group_id=assignment.group_id,
        group_month=assignment.month,
        updated_at=datetime.now(UTC),
    )
    held = CUSTOMER_TIER.c.group_month
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={"group_id": stmt.excluded.group_id, "group_month": stmt.excluded.group_month},
        where=held.is_(None) | (held <= stmt.excluded.group_month),
    )
    await session.execute(stmt)
