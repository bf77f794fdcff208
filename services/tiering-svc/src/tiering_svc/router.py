"""tiering-svc HTTP routes: parse -> service -> commit -> response."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import (
    ERROR_RESPONSES,
    CurrentPrincipal,
    Outbox,
    Principal,
    ensure_can_access_customer,
    require_scope,
    today_cst,
)
from brokerage_common.web import SessionDep

from . import rules
from .config import Settings
from .ledger import service as ledger
from .models import PLATFORM, CustomerTier
from .routing.read_model import RoutingModel
from .schemas import (
    AdjustmentCreate,
    JobResult,
    LedgerEntryRead,
    LedgerPage,
    PolicyRead,
    PolicyUpdate,
    RedemptionCreate,
    RedemptionRead,
    RoutingRead,
    TierHistoryRead,
    TierRead,
)
from .tiers import service as tiers

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]


def outbox_for(settings: Settings) -> Outbox:
    return Outbox(PLATFORM, source=settings.service_name)


async def _authorize(
    session: AsyncSession,
    principal: Principal,
    customer_id: str,
    *,
    staff_only: bool = False,
    service_scope: str | None = "tiering:read",
) -> CustomerTier | None:
    """Object-level access: the customer themself, staff of their branch, or a scoped service."""
    if principal.is_service:
        if service_scope is None or service_scope not in principal.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires scope {service_scope}")
        return await session.get(CustomerTier, customer_id)
    if staff_only and not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    if principal.is_customer:
        ensure_can_access_customer(principal, customer_id=customer_id, branch_id=None)
        return await session.get(CustomerTier, customer_id)
    row = await session.get(CustomerTier, customer_id)
    ensure_can_access_customer(
        principal, customer_id=customer_id, branch_id=row.branch_id if row else None
    )
    return row


@router.get("/customers/{customer_id}/tier", response_model=TierRead, tags=["tiers"])
async def read_tier(customer_id: str, session: SessionDep, principal: CurrentPrincipal) -> TierRead:
    """A customer's tier, multiplier, points balance and next review date."""
    await _authorize(session, principal, customer_id)
    row, balance = await ledger.get_state(session, customer_id=customer_id)
    tier = rules.Tier(row.tier)
    return TierRead(
        customer_id=customer_id,
        tier=tier.value,
        multiplier=rules.MULTIPLIERS[tier],
        points_balance=balance,
        tier_since=row.tier_since,
        next_review=rules.next_review_on(today_cst()),
    )


@router.get("/customers/{customer_id}/points/ledger", response_model=LedgerPage, tags=["points"])
async def read_ledger(
    customer_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
) -> LedgerPage:
    """Ledger entries, newest first; page with ``before_id``."""
    await _authorize(session, principal, customer_id)
    entries = await ledger.ledger_page(
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
    customer_id: str,
    body: RedemptionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> RedemptionRead:
    """Spend points on a 12-month tier upgrade or on paid SMS months."""
    await _authorize(session, principal, customer_id, service_scope=None)
    redemption = await ledger.redeem(
        session,
        customer_id=customer_id,
        kind=body.kind,
        actor=f"{principal.role}:{principal.sub}",
        outbox=outbox_for(settings),
        on=today_cst(),
        target_tier=rules.Tier(body.target_tier) if body.target_tier else None,
        sms_product=body.sms_product,
        months=body.months,
        idempotency_key=idempotency_key,
    )
    _, balance = await ledger.get_state(session, customer_id=customer_id)
    await session.commit()
    result = RedemptionRead.model_validate(redemption)
    return result.model_copy(update={"points_balance": balance})


@router.get(
    "/customers/{customer_id}/tier-history", response_model=list[TierHistoryRead], tags=["staff"]
)
async def read_tier_history(
    customer_id: str, session: SessionDep, principal: CurrentPrincipal
) -> list[TierHistoryRead]:
    """Every tier change of a customer with its reason (staff of the customer's branch)."""
    await _authorize(session, principal, customer_id, staff_only=True)
    return [
        TierHistoryRead.model_validate(h)
        for h in await tiers.tier_history(session, customer_id=customer_id)
    ]


@router.post(
    "/customers/{customer_id}/points/adjustments",
    response_model=LedgerEntryRead,
    status_code=status.HTTP_201_CREATED,
    tags=["staff"],
)
async def create_adjustment(
    customer_id: str,
    body: AdjustmentCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> LedgerEntryRead:
    """A staff adjustment with a mandatory reason; recorded with its actor in the ledger."""
    row = await _authorize(session, principal, customer_id, staff_only=True, service_scope=None)
    if row is None:
        raise HTTPException(404, f"customer {customer_id} is not known to tiering")
    entry_id = await ledger.adjust_points(
        session,
        customer_id=customer_id,
        points=body.points,
        reason=body.reason,
        actor=f"staff:{principal.sub}",
        outbox=outbox_for(settings),
    )
    await session.commit()
    entries = await ledger.ledger_page(
        session, customer_id=customer_id, limit=1, before_id=entry_id + 1
    )
    return LedgerEntryRead.model_validate(entries[0])


@router.get(
    "/customers/{customer_id}/points/adjustments",
    response_model=list[LedgerEntryRead],
    tags=["staff"],
)
async def read_adjustments(
    customer_id: str, session: SessionDep, principal: CurrentPrincipal
) -> list[LedgerEntryRead]:
    """A customer's staff adjustments (the audit view)."""
    await _authorize(session, principal, customer_id, staff_only=True)
    entries = await ledger.ledger_page(
        session, customer_id=customer_id, limit=200, before_id=None, kind="adjustment"
    )
    return [LedgerEntryRead.model_validate(e) for e in entries]


def _policy_read(policy: tiers.Policy) -> PolicyRead:
    return PolicyRead(**policy.values())


@router.get("/config", response_model=PolicyRead, tags=["config"])
async def read_config(
    session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
) -> PolicyRead:
    """Tier thresholds and bonus amounts in force (staff)."""
    if not principal.is_staff:
        raise HTTPException(403, "staff only")
    return _policy_read(await tiers.load_policy(session, settings=settings))


@router.put("/config", response_model=PolicyRead, tags=["config"])
async def update_config(
    body: PolicyUpdate, session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
) -> PolicyRead:
    """Change thresholds or bonus amounts (staff with scope ``tiering:config``); audited."""
    if not principal.is_staff or "tiering:config" not in principal.scopes:
        raise HTTPException(403, "requires staff with scope tiering:config")
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    try:
        policy = await tiers.update_config(
            session, settings=settings, changes=changes, actor=f"staff:{principal.sub}"
        )
    except (ValueError, TypeError) as exc:
        await session.rollback()
        raise HTTPException(422, f"inconsistent configuration: {exc}") from exc
    await session.commit()
    return _policy_read(policy)


JobPrincipal = Annotated[Principal, Depends(require_scope("tiering:jobs"))]


@router.post("/jobs/tier-review", response_model=JobResult, tags=["jobs"])
async def run_tier_review(
    session: SessionDep, _p: JobPrincipal, settings: SettingsDep, on: date | None = None
) -> JobResult:
    """The periodic review (downgrades happen only here); once per month."""
    day = on or today_cst()
    n = await tiers.review_tiers(
        session,
        on=day,
        policy=await tiers.load_policy(session, settings=settings),
        outbox=outbox_for(settings),
    )
    await session.commit()
    return JobResult(job="tier-review", on=day, count=n)


@router.post("/jobs/anniversaries", response_model=JobResult, tags=["jobs"])
async def run_anniversaries(
    session: SessionDep, _p: JobPrincipal, settings: SettingsDep, on: date | None = None
) -> JobResult:
    """Credit anniversary bonuses due on ``on`` (idempotent per customer and year)."""
    day = on or today_cst()
    n = await ledger.credit_anniversaries(
        session,
        on=day,
        policy=await tiers.load_policy(session, settings=settings),
        outbox=outbox_for(settings),
    )
    await session.commit()
    return JobResult(job="anniversaries", on=day, count=n)


RoutingPrincipal = Annotated[Principal, Depends(require_scope("routing:read"))]


@router.get("/routing", response_model=RoutingRead, tags=["call-center"])
async def routing(
    request: Request,
    _p: RoutingPrincipal,
    phone: Annotated[str | None, Query(pattern=r"^\+?\d{5,15}$")] = None,
    customer_id: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, object]:
    """Tier and queue for a ringing phone (service token with scope ``routing:read``).

    Served from memory (see routing.py); in the running app a fast path answers
    this route before the framework's routing, with the same rules.
    """
    if (phone is None) == (customer_id is None):
        raise HTTPException(422, "give exactly one of phone or customer_id")
    model: RoutingModel = request.app.state.routing
    return model.answer(phone=normalize_caller(phone) if phone else None, customer_id=customer_id)


def normalize_caller(phone: str) -> str:
    """Caller ids arrive as 13800001234, +8613800001234 or 8613800001234."""
    digits = phone.lstrip("+")
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits
