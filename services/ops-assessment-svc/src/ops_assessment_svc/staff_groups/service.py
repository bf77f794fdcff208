"""Staff and service-group use cases: every change checked against the group rule first."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev
from brokerage_common.dialect import upsert

from ..assignment import service as assignment
from ..exceptions import Conflict, NotFound, RuleBroken
from . import rules
from .models import GroupMembership, ServiceGroup, Staff


async def put_staff(
    session: AsyncSession, *, staff_id: str, branch_id: str, name: str, role: str, now: datetime
) -> Staff:
    """Add a staff member to the roster or change their role (a group's rule is re-checked)."""
    current = await session.get(Staff, staff_id)
    if current is not None and current.branch_id != branch_id:
        raise Conflict(f"staff {staff_id} is on another branch's roster")
    group_id = await _group_of(session, staff_id)
    if group_id is not None and current is not None and current.role != role:
        members = await current_members(session, group_id)
        roles = {m.staff_id: m.role for m in members} | {staff_id: role}
        problems = rules.group_problems(
            list(roles),
            roles=roles,
            branch_of=dict.fromkeys(roles, branch_id),
            branch_id=branch_id,
            other_group_of={},
        )
        if problems:
            raise RuleBroken([f"group {group_id} would break its rule: {p}" for p in problems])
    stmt = upsert(
        session,
        Staff.__table__,  # type: ignore[attr-defined]
        keys=["staff_id"],
        update=["name", "role", "updated_at"],
    ).values(staff_id=staff_id, branch_id=branch_id, name=name, role=role, updated_at=now)
    await session.execute(stmt)
    await session.flush()
    staff = await session.get(Staff, staff_id, populate_existing=True)
    assert staff is not None
    return staff


async def _group_of(session: AsyncSession, staff_id: str) -> str | None:
    return (
        await session.execute(
            select(col(GroupMembership.group_id)).where(
                col(GroupMembership.staff_id) == staff_id,
                col(GroupMembership.left_on).is_(None),
            )
        )
    ).scalar_one_or_none()


async def current_members(session: AsyncSession, group_id: str) -> list[GroupMembership]:
    rows = await session.execute(
        select(GroupMembership)
        .where(
            col(GroupMembership.group_id) == group_id,
            col(GroupMembership.left_on).is_(None),
        )
        .order_by(col(GroupMembership.staff_id))
    )
    return list(rows.scalars())


async def _check(
    session: AsyncSession, *, branch_id: str, group_id: str, members: list[str]
) -> dict[str, str]:
    staff = (await session.execute(select(Staff).where(col(Staff.staff_id).in_(members)))).scalars()
    found = list(staff)
    roles = {s.staff_id: s.role for s in found}
    taken = await session.execute(
        select(col(GroupMembership.staff_id), col(GroupMembership.group_id)).where(
            col(GroupMembership.staff_id).in_(members),
            col(GroupMembership.left_on).is_(None),
            col(GroupMembership.group_id) != group_id,
        )
    )
    problems = rules.group_problems(
        members,
        roles=roles,
        branch_of={s.staff_id: s.branch_id for s in found},
        branch_id=branch_id,
        other_group_of={s: g for s, g in taken.all()},
    )
    if problems:
        raise RuleBroken(problems)
    return roles


async def _publish(
    session: AsyncSession, group: ServiceGroup, *, now: datetime, reason: str, outbox: Outbox
) -> None:
    members = await current_members(session, group.group_id)
    await outbox.add(
        session,
        ev.ServiceGroupChanged(
            customer_id=group.group_id,
            group_id=group.group_id,
            branch_id=group.branch_id,
            name=group.name,
            state=group.state,
            members=[ev.GroupMember(staff_id=m.staff_id, role=m.role) for m in members],
            alert_channel=rules.alert_channel(group.group_id),
            changed_at=now,
            reason=reason,
        ),
    )


async def form_group(
    session: AsyncSession,
    *,
    group_id: str,
    branch_id: str,
    name: str,
    members: list[str],
    actor: str,
    on: date,
    now: datetime,
    outbox: Outbox,
) -> ServiceGroup:
    if await session.get(ServiceGroup, group_id) is not None:
        raise Conflict(f"group {group_id} exists")
    roles = await _check(session, branch_id=branch_id, group_id=group_id, members=members)
    group = ServiceGroup(
        group_id=group_id, branch_id=branch_id, name=name, formed_on=on, updated_at=now
    )
    session.add(group)
    for staff_id in members:
        session.add(
            GroupMembership(
                group_id=group_id,
                staff_id=staff_id,
                role=roles[staff_id],
                joined_on=on,
                reason="group formed",
                changed_by=actor,
            )
        )
    await session.flush()
    await _publish(session, group, now=now, reason="formed", outbox=outbox)
    return group


async def _active_group(session: AsyncSession, group_id: str) -> ServiceGroup:
    group = await session.get(ServiceGroup, group_id)
    if group is None:
        raise NotFound(f"no group {group_id}")
    if group.state != "active":
        raise Conflict(f"group {group_id} is dissolved")
    return group


async def change_members(
    session: AsyncSession,
    *,
    group_id: str,
    members: list[str],
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    outbox: Outbox,
) -> ServiceGroup:
    """Replace the membership; who left and who joined become history rows with the reason."""
    group = await _active_group(session, group_id)
    roles = await _check(session, branch_id=group.branch_id, group_id=group_id, members=members)
    current = {m.staff_id: m for m in await current_members(session, group_id)}
    for staff_id, row in current.items():
        if staff_id not in members:
            row.left_on = on
            row.reason = reason
            row.changed_by = actor
    for staff_id in members:
        if staff_id not in current:
            session.add(
                GroupMembership(
                    group_id=group_id,
                    staff_id=staff_id,
                    role=roles[staff_id],
                    joined_on=on,
                    reason=reason,
                    changed_by=actor,
                )
            )
    group.updated_at = now
    await session.flush()
    await _publish(session, group, now=now, reason=reason, outbox=outbox)
    return group


async def dissolve_group(
    session: AsyncSession,
    *,
    group_id: str,
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    outbox: Outbox,
    capacity: int,
) -> ServiceGroup:
    """Dissolve a group: members leave, its customers go back to assignment at once."""
    group = await _active_group(session, group_id)
    for row in await current_members(session, group_id):
        row.left_on = on
        row.reason = reason
        row.changed_by = actor
    group.state = "dissolved"
    group.dissolved_on = on
    group.updated_at = now
    await session.flush()
    await _publish(session, group, now=now, reason=reason, outbox=outbox)
    await assignment.reassign_branch(
        session, branch_id=group.branch_id, on=on, capacity=capacity, outbox=outbox
    )
    return group


async def list_groups(session: AsyncSession, *, branch_id: str | None) -> list[ServiceGroup]:
    stmt = select(ServiceGroup).order_by(col(ServiceGroup.branch_id), col(ServiceGroup.group_id))
    if branch_id is not None:
        stmt = stmt.where(col(ServiceGroup.branch_id) == branch_id)
    return list((await session.execute(stmt)).scalars())


async def members_of(
    session: AsyncSession, groups: list[ServiceGroup]
) -> dict[str, list[GroupMembership]]:
    """Each group's members in one query (the list shows them; no query per group): an
    active group's current members, a dissolved group's whole history, ordered as
    ``current_members`` and ``membership_history`` order them."""
    found: dict[str, list[GroupMembership]] = {g.group_id: [] for g in groups}
    if not groups:
        return found
    active = {g.group_id for g in groups if g.state == "active"}
    rows = await session.execute(
        select(GroupMembership)
        .where(col(GroupMembership.group_id).in_(list(found)))
        .order_by(col(GroupMembership.joined_on), col(GroupMembership.id))
    )
    for m in rows.scalars():
        if m.group_id in active and m.left_on is not None:
            continue
        found[m.group_id].append(m)
    for group_id in active:
        found[group_id].sort(key=lambda m: m.staff_id)
    return found


async def membership_history(session: AsyncSession, group_id: str) -> list[GroupMembership]:
    rows = await session.execute(
        select(GroupMembership)
        .where(col(GroupMembership.group_id) == group_id)
        .order_by(col(GroupMembership.joined_on), col(GroupMembership.id))
    )
    return list(rows.scalars())


async def group_of_staff(session: AsyncSession, staff_id: str) -> str | None:
    return await _group_of(session, staff_id)
