"""Subscriptions: subscribe, list, renew, end (parse -> service -> commit -> response)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep
from brokerage_common.params import CustomerIdPath, IdPath
from brokerage_common.web import SessionDep

from .. import metrics
from ..deps import OffersModelDep, SettingsDep, TodayDep, accessible_facts
from . import service
from .schemas import SubscriptionCreate, SubscriptionRead, SubscriptionRenew

router = APIRouter(prefix="/v1", tags=["subscriptions"], responses=ERROR_RESPONSES)


@router.post(
    "/customers/{customer_id}/subscriptions",
    response_model=SubscriptionRead,
    status_code=status.HTTP_201_CREATED,
)
async def create_subscription(
    customer_id: CustomerIdPath,
    body: SubscriptionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    outbox: OutboxDep,
    offers: OffersModelDep,
    today: TodayDep,
) -> SubscriptionRead:
    """Subscribe (409 with the reasons when not allowed; a suitability mismatch needs
    ``mismatch_confirmed`` and is recorded with who confirmed which warning version)."""
    facts = await accessible_facts(session, principal, customer_id)
    sub = await service.subscribe(
        session,
        facts=facts,
        product_code=body.product_code,
        payment=body.payment,
        term_months=body.term_months,
        confirmation=service.Confirmation(
            body.mismatch_confirmed,
            body.warning_version or settings.mismatch_warning_version,
            principal.sub,
        ),
        entrusted_amount=body.entrusted_amount,
        today=today,
        prices=settings.prices(),
        outbox=outbox,
    )
    await session.commit()
    await offers.refresh([customer_id])
    metrics.SUBSCRIPTIONS_STARTED.labels(sub.product_code, sub.payment).inc()
    return SubscriptionRead.model_validate(sub)


@router.get("/customers/{customer_id}/subscriptions", response_model=list[SubscriptionRead])
async def list_subscriptions(
    customer_id: CustomerIdPath, principal: CurrentPrincipal, session: SessionDep
) -> list[SubscriptionRead]:
    """The customer's subscriptions, running and ended (the customer, or staff of the branch)."""
    await accessible_facts(session, principal, customer_id)
    subs = await service.list_subscriptions(session, customer_id=customer_id)
    return [SubscriptionRead.model_validate(s) for s in subs]


@router.post(
    "/customers/{customer_id}/subscriptions/{subscription_id}/renewal",
    response_model=SubscriptionRead,
)
async def renew_subscription(
    customer_id: CustomerIdPath,
    subscription_id: IdPath,
    body: SubscriptionRenew,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    outbox: OutboxDep,
    today: TodayDep,
) -> SubscriptionRead:
    """Renew a subscription for another term."""
    facts = await accessible_facts(session, principal, customer_id)
    sub = await service.renew(
        session,
        facts=facts,
        subscription_id=subscription_id,
        term_months=body.term_months,
        confirmation=service.Confirmation(
            body.mismatch_confirmed,
            body.warning_version or settings.mismatch_warning_version,
            principal.sub,
        ),
        today=today,
        prices=settings.prices(),
        outbox=outbox,
    )
    await session.commit()
    return SubscriptionRead.model_validate(sub)


@router.delete(
    "/customers/{customer_id}/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def end_subscription(
    customer_id: CustomerIdPath,
    subscription_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    outbox: OutboxDep,
    offers: OffersModelDep,
    today: TodayDep,
) -> Response:
    """End a subscription today (a bundle's included SMS end with it)."""
    await accessible_facts(session, principal, customer_id)
    sub = await service.get_subscription(
        session, customer_id=customer_id, subscription_id=subscription_id
    )
    await service.end(
        session,
        sub=sub,
        today=today,
        reason="customer",
        standard_rate=settings.standard_rate,
        outbox=outbox,
    )
    await session.commit()
    await offers.refresh([customer_id])
    metrics.SUBSCRIPTIONS_ENDED.labels(sub.product_code, "customer").inc()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
