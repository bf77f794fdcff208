"""Assignment routes: a group's customers, and running the month's assignment (manager)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Query

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, SessionDep
from brokerage_common.params import CustomerIdPath, IdPath

from ..access import ensure_manager_of, ensure_staff_of, ensure_staff_sees
from ..deps import MONTH_PATTERN, NowDep, SettingsDep
from ..exceptions import Forbidden, RuleBroken
from ..figures.rules import month_of
from ..staff_groups import service as groups
from ..staff_groups.models import ServiceGroup
from ..staff_groups.schemas import MemberRead
from . import rules, service
from .schemas import AssignmentRead, AssignmentRun, CustomerGroupRead, GroupCustomerRead

router = APIRouter(prefix="/v1", tags=["assignment"], responses=ERROR_RESPONSES)
_ZERO = Decimal(0)


@router.get("/groups/{group_id}/customers", response_model=list[GroupCustomerRead])
async def group_customers(
    group_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    now: NowDep,
    month: str | None = Query(default=None, pattern=MONTH_PATTERN),
) -> list[GroupCustomerRead]:
    """The group's assigned customers in a month (default: this month), with their figures."""
    group = await session.get(ServiceGroup, group_id)
    branch = group.branch_id if group else None
    ensure_staff_sees(principal, branch, found=group is not None, missing=f"no group {group_id}")
    rows = await service.group_customers(
        session, group_id=group_id, month=month or month_of(now.date())
    )
    out = []
    for link, file, fig in rows:
        start = fig.start_assets if fig else _ZERO
        end = fig.end_assets if fig else _ZERO
        out.append(
            GroupCustomerRead(
                customer_id=link.customer_id,
                tier=file.tier if file else None,
                onsite=file.onsite if file else None,
                days=link.days,
                start_assets=start,
                end_assets=end,
                asset_growth=end - start,
                net_inflow=fig.net_inflow if fig else _ZERO,
                traded_amount=fig.traded_amount if fig else _ZERO,
                commission=fig.commission if fig else _ZERO,
                contacts=fig.contacts if fig else 0,
            )
        )
    return out


@router.get("/customers/{customer_id}/group", response_model=CustomerGroupRead)
async def customer_group(
    customer_id: CustomerIdPath, principal: CurrentPrincipal, session: SessionDep
) -> CustomerGroupRead:
    """The customer's current group with its members (staff of the branch, HQ)."""
    file = await service.group_of_customer(session, customer_id)
    if file is None or file.branch_id is None:
        if not principal.is_staff:
            raise Forbidden("only staff may read service groups, cases and assessments")
        # An unknown id answers as another branch's customer does (ADR 0012 addendum).
        raise Forbidden("staff may only access their own branch")
    ensure_staff_of(principal, file.branch_id)
    read = CustomerGroupRead(customer_id=customer_id, branch_id=file.branch_id, group_id=None)
    group = await session.get(ServiceGroup, file.group_id) if file.group_id else None
    if group is None:
        return read
    members = await groups.current_members(session, group.group_id)
    history = await service.months_with_groups(session, customer_id)
    return read.model_copy(
        update={
            "group_id": group.group_id,
            "name": group.name,
            "members": [
                MemberRead(staff_id=m.staff_id, role=m.role, joined_on=m.joined_on) for m in members
            ],
            "since_month": rules.with_group_since(history, group.group_id),
        }
    )


@router.post("/assignments", response_model=AssignmentRead)
async def run_assignment(
    body: AssignmentRun,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    settings: SettingsDep,
    now: NowDep,
) -> AssignmentRead:
    """Assign the branch's customers to its groups from ``on`` (manager); sticky, balanced."""
    branch_id = body.branch_id or principal.branch_id
    ensure_manager_of(principal, branch_id)
    on = body.on or now.date()
    if month_of(on) > month_of(now.date()):
        raise RuleBroken([f"{month_of(on)} has not begun"])
    assert branch_id is not None
    moves = await service.assign_branch(
        session,
        branch_id=branch_id,
        on=on,
        capacity=settings.group_capacity,
        outbox=outbox,
        rate=settings.potential_contribution_rate,
    )
    await session.commit()
    return AssignmentRead(branch_id=branch_id, month=month_of(on), moves=moves)
