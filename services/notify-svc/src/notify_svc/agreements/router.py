"""Advisory agreement routes: record one, list a customer's."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, ensure_can_access_customer
from brokerage_common.web import SessionDep

from ..deps import ClockDep, actor, authorize_customer, customer_branch
from . import service
from .schemas import AgreementCreate, AgreementRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.post(
    "/customers/{customer_id}/advisory-agreements",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    tags=["agreements"],
)
async def create_agreement(
    customer_id: str,
    body: AgreementCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> AgreementRead:
    """Record a signed advisory agreement (staff of the customer's branch)."""
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    branch = await customer_branch(session, customer_id)
    if branch is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown customer")
    ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch)
    agreement = await service.record_agreement(
        session,
        customer_id=customer_id,
        agreement_id=body.agreement_id,
        signed_on=body.signed_on,
        valid_until=body.valid_until,
        actor=actor(principal),
        now=clock(),
    )
    await session.commit()
    return AgreementRead.model_validate(agreement)


@router.get(
    "/customers/{customer_id}/advisory-agreements",
    response_model=list[AgreementRead],
    tags=["agreements"],
)
async def read_agreements(
    customer_id: str, session: SessionDep, principal: CurrentPrincipal
) -> list[AgreementRead]:
    await authorize_customer(session, principal, customer_id)
    return [
        AgreementRead.model_validate(a)
        for a in await service.list_agreements(session, customer_id=customer_id)
    ]
