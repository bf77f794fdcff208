"""Staff and service-group routes: parse → authorize → service → commit → response."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, Principal, SessionDep
from brokerage_common.auth import HQ_BRANCH
from brokerage_common.params import BranchIdQuery, IdPath

from ..access import branch_scope, ensure_manager_of, ensure_staff_sees
from ..assignment import service as assignment
from ..deps import NowDep, SettingsDep, StaffIdPath
from ..exceptions import RuleBroken
from . import rules, service
from .models import GroupMembership, ServiceGroup, Staff
from .schemas import (
    DissolveCreate,
    GroupCreate,
    GroupRead,
    MemberRead,
    MembersPut,
    StaffPut,
    StaffRead,
)

router = APIRouter(prefix="/v1", tags=["groups"], responses=ERROR_RESPONSES)


def _branch_for_write(principal: Principal, branch_id: str | None) -> str:
    if principal.branch_id == HQ_BRANCH:
        if branch_id is None:
            raise RuleBroken(["headquarters name the branch (branch_id)"])
        return branch_id
    return str(branch_id or principal.branch_id)


async def _read(session: AsyncSession, group: ServiceGroup) -> GroupRead:
    members = (
        await service.current_members(session, group.group_id)
        if group.state == "active"
        else await service.membership_history(session, group.group_id)
    )
    customers = await assignment.assigned_count(session, group_id=group.group_id)
    return _group_read(group, members, customers)


def _group_read(group: ServiceGroup, members: list[GroupMembership], customers: int) -> GroupRead:
    return GroupRead(
        group_id=group.group_id,
        branch_id=group.branch_id,
        name=group.name,
        state=group.state,
        formed_on=group.formed_on,
        dissolved_on=group.dissolved_on,
        alert_channel=rules.alert_channel(group.group_id),
        members=[
            MemberRead(staff_id=m.staff_id, role=m.role, joined_on=m.joined_on, left_on=m.left_on)
            for m in members
        ],
        customers=customers,
    )


async def _group(session: AsyncSession, principal: Principal, group_id: str) -> ServiceGroup:
    group = await session.get(ServiceGroup, group_id)
    branch = group.branch_id if group else None
    ensure_staff_sees(principal, branch, found=group is not None, missing=f"no group {group_id}")
    assert group is not None
    return group


@router.put("/staff/{staff_id}", response_model=StaffRead)
async def put_staff(
    staff_id: StaffIdPath,
    body: StaffPut,
    principal: CurrentPrincipal,
    session: SessionDep,
    now: NowDep,
) -> StaffRead:
    """Add a staff member to the branch roster or change their role (manager)."""
    branch_id = _branch_for_write(principal, body.branch_id)
    ensure_manager_of(principal, branch_id)
    staff = await service.put_staff(
        session, staff_id=staff_id, branch_id=branch_id, name=body.name, role=body.role, now=now
    )
    await session.commit()
    return StaffRead.model_validate(staff, from_attributes=True)


@router.get("/staff", response_model=list[StaffRead])
async def list_staff(
    principal: CurrentPrincipal, session: SessionDep, branch_id: BranchIdQuery = None
) -> list[StaffRead]:
    """The staff of a branch, by staff id."""
    branch = branch_scope(principal, branch_id)
    rows = await session.execute(
        select(Staff).where(col(Staff.branch_id) == branch).order_by(col(Staff.staff_id))
    )
    return [StaffRead.model_validate(s, from_attributes=True) for s in rows.scalars()]


@router.get("/groups", response_model=list[GroupRead])
async def list_groups(
    principal: CurrentPrincipal,
    session: SessionDep,
    branch_id: BranchIdQuery = None,
) -> list[GroupRead]:
    """The branch's service groups with their members and customer counts."""
    branch = branch_scope(principal, branch_id)
    # Three queries for the whole list: the groups, their members, their customer counts.
    found = await service.list_groups(session, branch_id=branch)
    members = await service.members_of(session, found)
    counts = await assignment.assigned_counts(session, group_ids=[g.group_id for g in found])
    return [_group_read(g, members[g.group_id], counts[g.group_id]) for g in found]


@router.post("/groups", response_model=GroupRead, status_code=status.HTTP_201_CREATED)
async def form_group(
    body: GroupCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    now: NowDep,
) -> GroupRead:
    """Form a group of 2–3 staff with at least one back-office member (manager)."""
    branch_id = _branch_for_write(principal, body.branch_id)
    ensure_manager_of(principal, branch_id)
    if body.formed_on is not None and body.formed_on > now.date():
        raise RuleBroken(["a group cannot have formed in the future"])
    group = await service.form_group(
        session,
        group_id=body.group_id or f"G-{uuid.uuid4().hex[:12]}",
        branch_id=branch_id,
        name=body.name,
        members=body.members,
        actor=f"staff:{principal.sub}",
        on=body.formed_on or now.date(),
        now=now,
        outbox=outbox,
    )
    read = await _read(session, group)
    await session.commit()
    return read


@router.get("/groups/{group_id}", response_model=GroupRead)
async def get_group(
    group_id: IdPath, principal: CurrentPrincipal, session: SessionDep
) -> GroupRead:
    """A service group with its current members."""
    return await _read(session, await _group(session, principal, group_id))


@router.get("/groups/{group_id}/history", response_model=list[MemberRead])
async def group_history(
    group_id: IdPath, principal: CurrentPrincipal, session: SessionDep
) -> list[MemberRead]:
    """Every joining and leaving, with the reason."""
    await _group(session, principal, group_id)
    return [
        MemberRead(
            staff_id=m.staff_id,
            role=m.role,
            joined_on=m.joined_on,
            left_on=m.left_on,
            reason=m.reason,
        )
        for m in await service.membership_history(session, group_id)
    ]


@router.put("/groups/{group_id}/members", response_model=GroupRead)
async def change_members(
    group_id: IdPath,
    body: MembersPut,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    now: NowDep,
) -> GroupRead:
    """Replace a group's members (the group rules of domain.md must still hold)."""
    group = await _group(session, principal, group_id)
    ensure_manager_of(principal, group.branch_id)
    group = await service.change_members(
        session,
        group_id=group_id,
        members=body.members,
        reason=body.reason,
        actor=f"staff:{principal.sub}",
        on=now.date(),
        now=now,
        outbox=outbox,
    )
    read = await _read(session, group)
    await session.commit()
    return read


@router.post("/groups/{group_id}/dissolve", response_model=GroupRead)
async def dissolve_group(
    group_id: IdPath,
    body: DissolveCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    settings: SettingsDep,
    now: NowDep,
) -> GroupRead:
    """Dissolve a group; its customers go back to assignment at once (manager)."""
    group = await _group(session, principal, group_id)
    ensure_manager_of(principal, group.branch_id)
    group = await service.dissolve_group(
        session,
        group_id=group_id,
        reason=body.reason,
        actor=f"staff:{principal.sub}",
        on=now.date(),
        now=now,
        outbox=outbox,
        capacity=settings.group_capacity,
    )
    read = await _read(session, group)
    await session.commit()
    return read
