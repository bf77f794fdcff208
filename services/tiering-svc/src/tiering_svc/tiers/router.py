"""Tier routes: a customer's tier and history, the policy, the periodic review job."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, today_cst
from brokerage_common.web import SessionDep

from ..dependencies import CustomerIdPath, JobDay, JobPrincipal, SettingsDep, authorize
from ..ledger import service as ledger
from ..rules import MULTIPLIERS, Tier, next_review_on
from . import service
from .rules import Policy
from .schemas import (
    ConfigPreview,
    JobResult,
    PolicyRead,
    PolicyUpdate,
    TierHistoryRead,
    TierMove,
    TierRead,
)

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.get("/customers/{customer_id}/tier", response_model=TierRead, tags=["tiers"])
async def read_tier(
    customer_id: CustomerIdPath, session: SessionDep, principal: CurrentPrincipal
) -> TierRead:
    """A customer's tier, multiplier, points balance and next review date."""
    await authorize(session, principal, customer_id)
    row, balance = await ledger.get_state(session, customer_id=customer_id)
    tier = Tier(row.tier)
    return TierRead(
        customer_id=customer_id,
        tier=tier.value,
        multiplier=MULTIPLIERS[tier],
        points_balance=balance,
        tier_since=row.tier_since,
        next_review=next_review_on(today_cst()),
    )


@router.get(
    "/customers/{customer_id}/tier-history", response_model=list[TierHistoryRead], tags=["staff"]
)
async def read_tier_history(
    customer_id: CustomerIdPath, session: SessionDep, principal: CurrentPrincipal
) -> list[TierHistoryRead]:
    """Every tier change of a customer with its reason (staff of the customer's branch)."""
    await authorize(session, principal, customer_id, staff_only=True)
    return [
        TierHistoryRead.model_validate(h)
        for h in await service.tier_history(session, customer_id=customer_id)
    ]


def _policy_read(policy: Policy) -> PolicyRead:
    return PolicyRead.model_validate(policy.values())


@router.get("/config", response_model=PolicyRead, tags=["config"])
async def read_config(
    session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
) -> PolicyRead:
    """Tier thresholds and bonus amounts in force (staff)."""
    if not principal.is_staff:
        raise HTTPException(403, "staff only")
    return _policy_read(await service.load_policy(session, settings=settings))


@router.put("/config", response_model=PolicyRead, tags=["config"])
async def update_config(
    body: PolicyUpdate, session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
) -> PolicyRead:
    """Change thresholds or bonus amounts (staff with scope ``tiering:config``); audited."""
    if not principal.is_staff or "tiering:config" not in principal.scopes:
        raise HTTPException(403, "requires staff with scope tiering:config")
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    try:
        policy = await service.update_config(
            session, settings=settings, changes=changes, actor=f"staff:{principal.sub}"
        )
    except (ValueError, TypeError) as exc:
        await session.rollback()
        raise HTTPException(422, f"inconsistent configuration: {exc}") from exc
    await session.commit()
    return _policy_read(policy)


@router.post("/config/preview", response_model=ConfigPreview, tags=["config"])
async def preview_config(
    body: PolicyUpdate, session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
) -> ConfigPreview:
    """What ``PUT /v1/config`` with this body would do, changing nothing: the resulting
    policy and how many customers it would move up or down, by tier, if the review ran
    today (upgrades happen at each customer's next snapshot). Same scope as the PUT."""
    if not principal.is_staff or "tiering:config" not in principal.scopes:
        raise HTTPException(403, "requires staff with scope tiering:config")
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    day = today_cst()
    try:
        policy, moves = await service.preview_config(
            session, settings=settings, changes=changes, on=day
        )
    except (ValueError, TypeError) as exc:
        raise HTTPException(422, f"inconsistent configuration: {exc}") from exc
    return ConfigPreview(
        policy=_policy_read(policy),
        on=day,
        customers=moves.customers,
        upgraded=moves.upgraded,
        downgraded=moves.downgraded,
        moves=[
            TierMove(from_tier=a.value, to_tier=b.value, customers=n) for a, b, n in moves.moves
        ],
    )


@router.post("/jobs/tier-review", response_model=JobResult, tags=["jobs"])
async def run_tier_review(
    session: SessionDep,
    _p: JobPrincipal,
    settings: SettingsDep,
    outbox: OutboxDep,
    on: JobDay = None,
) -> JobResult:
    """The periodic review (downgrades happen only here); once per month."""
    day = on or today_cst()
    n = await service.review_tiers(
        session,
        on=day,
        policy=await service.load_policy(session, settings=settings),
        outbox=outbox,
    )
    await session.commit()
    return JobResult(job="tier-review", on=day, count=n)
