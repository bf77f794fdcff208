"""Retention routes: the queue with its SLA clocks, and a case's actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, Principal, SessionDep
from brokerage_common.params import ID_PATTERN, BranchIdQuery, IdPath

from ..access import branch_scope, ensure_staff_sees
from ..deps import NowDep, SettingsDep
from . import rules, service
from .models import RetentionCase
from .schemas import ActionCreate, ActionRead, CaseRead

router = APIRouter(prefix="/v1", tags=["retention"], responses=ERROR_RESPONSES)


def _read(
    case: RetentionCase,
    *,
    now: datetime,
    trading_day: Callable[[date], bool],
    actions: list[ActionRead] | None = None,
) -> CaseRead:
    until = case.first_call_at or case.closed_at or now
    try:
        minutes: int | None = rules.trading_minutes_between(case.requested_at, until, trading_day)
    except rules.CalendarNotCovered:
        minutes = None
    overdue = (
        case.first_call_at is None
        and case.state == "open"
        and case.first_call_due_at is not None
        and now >= case.first_call_due_at
    )
    return CaseRead.model_validate(
        {
            **case.model_dump(),
            "trading_minutes_open": minutes,
            "first_call_overdue": overdue,
            "actions": actions or [],
        }
    )


async def _case(session: AsyncSession, principal: Principal, case_id: str) -> RetentionCase:
    case = await session.get(RetentionCase, case_id)
    branch = case.branch_id if case else None
    missing = f"no retention case {case_id}"
    ensure_staff_sees(principal, branch, found=case is not None, missing=missing)
    assert case is not None
    return case


@router.get("/retention-cases", response_model=list[CaseRead])
async def list_cases(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    state: Literal["open", "closed"] | None = None,
    group_id: Annotated[str | None, Query(max_length=32, pattern=ID_PATTERN)] = None,
    branch_id: BranchIdQuery = None,
    order: Literal["opened", "overdue_first"] = Query(
        default="opened",
        description="opened: oldest first; overdue_first: cases whose first call is overdue first",
    ),
    limit: int | None = Query(
        default=None, ge=1, le=500, description="a page of at most this many (absent: all)"
    ),
    offset: int = Query(default=0, ge=0, le=100_000, description="cases skipped before the page"),
) -> list[CaseRead]:
    """The branch's retention queue (oldest first): each case's trading-minute clock and actions.

    ``limit`` and ``offset`` page it on the server (ask for one more than a page to know
    whether another follows)."""
    branch = branch_scope(principal, branch_id)
    trading_day = rules.exchange_calendar(settings.xshg_announced_closures)
    cases = await service.list_cases(
        session,
        branch_id=branch,
        state=state,
        group_id=group_id,
        overdue_first_at=now if order == "overdue_first" else None,
        limit=limit,
        offset=offset,
    )
    actions = await service.actions_of(session, [c.case_id for c in cases])
    return [
        _read(
            c,
            now=now,
            trading_day=trading_day,
            actions=[
                ActionRead.model_validate(a, from_attributes=True) for a in actions[c.case_id]
            ],
        )
        for c in cases
    ]


@router.get("/retention-cases/{case_id}", response_model=CaseRead)
async def get_case(
    case_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> CaseRead:
    """One retention case with its actions and its deadlines."""
    case = await _case(session, principal, case_id)
    actions = [
        ActionRead.model_validate(a, from_attributes=True)
        for a in await service.actions(session, case_id)
    ]
    trading_day = rules.exchange_calendar(settings.xshg_announced_closures)
    return _read(case, now=now, trading_day=trading_day, actions=actions)


@router.post(
    "/retention-cases/{case_id}/actions",
    response_model=CaseRead,
    status_code=status.HTTP_201_CREATED,
)
async def act(
    case_id: IdPath,
    body: ActionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    settings: SettingsDep,
    now: NowDep,
) -> CaseRead:
    """A call, an offer or the outcome (which closes the case); a closed case is 409."""
    case = await _case(session, principal, case_id)
    case = await service.act(
        session,
        case=case,
        kind=body.kind,
        actor=f"staff:{principal.sub}",
        now=now,
        outbox=outbox,
        note=body.note,
        reason=body.reason,
        offer=body.offer,
        outcome=body.outcome,
    )
    trading_day = rules.exchange_calendar(settings.xshg_announced_closures)
    read = _read(case, now=now, trading_day=trading_day)
    await session.commit()
    return read
