"""The group read model from ops-assessment-svc's events, and a customer's alert owner.

Session first, keyword-only, never commits. A repeated or older event changes nothing.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import dialect

from ..models import CustomerGroup, ServiceGroup, table
from .rules import GroupFacts, Owner, alert_owner, assignment_is_newer


async def record_group(
    session: AsyncSession,
    *,
    group_id: str,
    branch_id: str,
    name: str,
    state: str,
    alert_channel: str,
    members: list[tuple[str, str]],
    changed_at: datetime,
    now: datetime,
) -> bool:
    """``ServiceGroupChanged``: the group's whole state, unless a newer one is stored."""
    stored = await session.get(ServiceGroup, group_id)
    if stored is not None and stored.changed_at > changed_at:
        return False
    values = {
        "branch_id": branch_id,
        "name": name,
        "state": state,
        "alert_channel": alert_channel,
        "members": json.dumps([{"staff_id": s, "role": r} for s, r in members]),
        "changed_at": changed_at,
        "updated_at": now,
    }
    if stored is None:
        # A concurrent twin (the same event on two workers) inserts the same row: ignore it.
        await session.execute(
            dialect.insert_ignoring_duplicates(
                session, table(ServiceGroup), keys=["group_id"]
            ).values(group_id=group_id, **values)
        )
    else:
        for key, value in values.items():
            setattr(stored, key, value)
    return True


async def record_assignment(
    session: AsyncSession,
    *,
    customer_id: str,
    group_id: str | None,
    branch_id: str,
    month: str,
    effective_on: date,
    assigned_at: datetime,
    now: datetime,
) -> bool:
    """``CustomerAssigned``: the customer's group (None: the branch queue), newest wins."""
    stored = await session.get(CustomerGroup, customer_id)
    before = (stored.effective_on, stored.assigned_at) if stored is not None else None
    if not assignment_is_newer((effective_on, assigned_at), before):
        return False
    values = {
        "group_id": group_id,
        "branch_id": branch_id,
        "month": month,
        "effective_on": effective_on,
        "assigned_at": assigned_at,
        "updated_at": now,
    }
    if stored is None:
        await session.execute(
            dialect.insert_ignoring_duplicates(
                session, table(CustomerGroup), keys=["customer_id"]
            ).values(customer_id=customer_id, **values)
        )
    else:
        for key, value in values.items():
            setattr(stored, key, value)
    return True


async def owner_of(
    session: AsyncSession, *, customer_id: str, branch_id: str | None
) -> Owner | None:
    """Who gets a staff alert about the customer, from what ops told us so far.

    ``branch_id`` is the customer's branch where known (the recipient, or the event); a
    customer known only to ops takes the assignment's branch. None: neither is known yet.
    """
    assigned = await session.get(CustomerGroup, customer_id)
    branch = branch_id or (assigned.branch_id if assigned is not None else None)
    if branch is None:
        return None
    group_id = assigned.group_id if assigned is not None else None
    group = await session.get(ServiceGroup, group_id) if group_id is not None else None
    facts = None
    if group is not None:
        facts = GroupFacts(
            group_id=group.group_id,
            name=group.name,
            state=group.state,
            alert_channel=group.alert_channel,
            members=tuple((m["staff_id"], m["role"]) for m in json.loads(group.members)),
        )
    return alert_owner(branch_id=branch, group_id=group_id, group=facts)
