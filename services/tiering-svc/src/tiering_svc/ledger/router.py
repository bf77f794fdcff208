"""Ledger routes: the ledger page, redemptions, staff adjustments, the anniversaries job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, today_cst
from brokerage_common.web import SessionDep

from ..dependencies import DB_ID_MAX, CustomerIdPath, JobDay, JobPrincipal, SettingsDep, authorize
from ..rules import Tier
from ..tiers.schemas import JobResult
from ..tiers.service import load_policy
from . import service
from .schemas import (
    AdjustmentCreate,
    LedgerEntryRead,
    LedgerPage,
    RedemptionCreate,
    RedemptionRead,
)

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.get("/customers/{customer_id}/points/ledger", response_model=LedgerPage, tags=["points"])
async def read_ledger(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    kind: Annotated[str | None, Query(max_length=24, pattern=r"^[a-z_]+$")] = None,
) -> LedgerPage:
    """Ledger entries, newest first; page with ``before_id``."""
    await authorize(session, principal, customer_id)
    entries = await service.ledger_page(
        session, customer_id=customer_id, limit=limit, before_id=before_id, kind=kind
    )
    return LedgerPage(
        customer_id=customer_id,
        entries=[LedgerEntryRead.model_validate(e) for e in entries],
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )


@router.post(
    "/customers/{customer_id}/points/redemptions",
    response_model=RedemptionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["points"],
    responses={409: {"description": "insufficient points"}},
)
async def create_redemption(
    customer_id: CustomerIdPath,
    body: RedemptionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> RedemptionRead:
    """Spend points on a 12-month tier upgrade or on paid SMS months."""
    await authorize(session, principal, customer_id, service_scope=None)
    redemption = await service.redeem(
        session,
        customer_id=customer_id,
        kind=body.kind,
        actor=f"{principal.role}:{principal.sub}",
        outbox=outbox,
        on=today_cst(),
        target_tier=Tier(body.target_tier) if body.target_tier else None,
        sms_product=body.sms_product,
        months=body.months,
        idempotency_key=idempotency_key,
    )
    _, balance = await service.get_state(session, customer_id=customer_id)
    await session.commit()
    result = RedemptionRead.model_validate(redemption)
    return result.model_copy(update={"points_balance": balance})


@router.post(
    "/customers/{customer_id}/points/adjustments",
    response_model=LedgerEntryRead,
    status_code=status.HTTP_201_CREATED,
    tags=["staff"],
)
async def create_adjustment(
    customer_id: CustomerIdPath,
    body: AdjustmentCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> LedgerEntryRead:
    """A staff adjustment with a mandatory reason; recorded with its actor in the ledger."""
    row = await authorize(session, principal, customer_id, staff_only=True, service_scope=None)
    if row is None:
        raise HTTPException(404, f"customer {customer_id} is not known to tiering")
    entry_id = await service.adjust_points(
        session,
        customer_id=customer_id,
        points=body.points,
        reason=body.reason,
        actor=f"staff:{principal.sub}",
        outbox=outbox,
        idempotency_key=idempotency_key,
    )
    await session.commit()
    entries = await service.ledger_page(
        session, customer_id=customer_id, limit=1, before_id=entry_id + 1
    )
    return LedgerEntryRead.model_validate(entries[0])


@router.get(
    "/customers/{customer_id}/points/adjustments",
    response_model=list[LedgerEntryRead],
    tags=["staff"],
)
async def read_adjustments(
    customer_id: CustomerIdPath, session: SessionDep, principal: CurrentPrincipal
) -> list[LedgerEntryRead]:
    """A customer's staff adjustments (the audit view)."""
    await authorize(session, principal, customer_id, staff_only=True)
    entries = await service.ledger_page(
        session, customer_id=customer_id, limit=200, before_id=None, kind="adjustment"
    )
    return [LedgerEntryRead.model_validate(e) for e in entries]


@router.post("/jobs/anniversaries", response_model=JobResult, tags=["jobs"])
async def run_anniversaries(
    session: SessionDep,
    _p: JobPrincipal,
    settings: SettingsDep,
    outbox: OutboxDep,
    on: JobDay = None,
) -> JobResult:
    """Credit anniversary bonuses due on ``on`` (idempotent per customer and year)."""
    day = on or today_cst()
    n = await service.credit_anniversaries(
        session, on=day, policy=await load_policy(session, settings=settings), outbox=outbox
    )
    await session.commit()
    return JobResult(job="anniversaries", on=day, count=n)
