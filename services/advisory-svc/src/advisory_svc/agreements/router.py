"""Advisory agreements: sign, list, rescind (parse -> service -> commit -> response)."""

from __future__ import annotations

from fastapi import APIRouter, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep
from brokerage_common.params import CustomerIdPath, IdPath
from brokerage_common.web import SessionDep

from .. import metrics
from ..deps import OffersModelDep, SettingsDep, TodayDep, accessible_facts
from ..subscriptions.service import end_advice
from . import rules, service
from .schemas import AgreementCreate, AgreementRead

router = APIRouter(prefix="/v1", tags=["agreements"], responses=ERROR_RESPONSES)


@router.post(
    "/customers/{customer_id}/agreements",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
)
async def sign_agreement(
    customer_id: CustomerIdPath,
    body: AgreementCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    outbox: OutboxDep,
    offers: OffersModelDep,
    today: TodayDep,
) -> AgreementRead:
    """Record a signed agreement (staff of the branch or the customer in the app): numbered,
    with its risk disclosure version and a 5-working-day cooling-off."""
    facts = await accessible_facts(session, principal, customer_id)
    agreement = await service.sign(
        session,
        customer_id=customer_id,
        branch_id=facts.branch_id,
        risk_disclosure_version=body.risk_disclosure_version or settings.risk_disclosure_version,
        fee_paid=body.fee_paid,
        valid_until=body.valid_until,
        signed_by=principal.sub,
        today=today,
        outbox=outbox,
    )
    await session.commit()
    await offers.refresh([customer_id])
    metrics.AGREEMENTS.labels("signed").inc()
    return AgreementRead.model_validate(agreement)


@router.get("/customers/{customer_id}/agreements", response_model=list[AgreementRead])
async def list_agreements(
    customer_id: CustomerIdPath, principal: CurrentPrincipal, session: SessionDep
) -> list[AgreementRead]:
    """The customer's advisory agreements (投资顾问协议), signed and rescinded."""
    await accessible_facts(session, principal, customer_id)
    return [
        AgreementRead.model_validate(a)
        for a in await service.list_agreements(session, customer_id=customer_id)
    ]


@router.post(
    "/customers/{customer_id}/agreements/{agreement_id}/rescission", response_model=AgreementRead
)
async def rescind_agreement(
    customer_id: CustomerIdPath,
    agreement_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    outbox: OutboxDep,
    offers: OffersModelDep,
    today: TodayDep,
) -> AgreementRead:
    """Rescind: within the cooling-off with a full refund; advice products stop at once."""
    await accessible_facts(session, principal, customer_id)
    agreement = await service.rescind(
        session, customer_id=customer_id, agreement_id=agreement_id, today=today, outbox=outbox
    )
    await end_advice(
        session,
        customer_id=customer_id,
        today=today,
        in_cooling_off=rules.in_cooling_off(agreement.cooling_off_ends_on, today),
        standard_rate=settings.standard_rate,
        outbox=outbox,
    )
    await session.commit()
    await offers.refresh([customer_id])
    metrics.AGREEMENTS.labels("rescinded").inc()
    return AgreementRead.model_validate(agreement)
