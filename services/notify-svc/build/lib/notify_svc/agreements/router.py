"""Advisory agreement routes: the read model of a customer's agreements; recording one here
is retired (410), advisory-svc records them now (ADR 0010)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.web import SessionDep

from ..deps import authorize_customer
from . import service
from .schemas import AgreementRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.post(
    "/customers/{customer_id}/advisory-agreements",
    status_code=status.HTTP_410_GONE,
    tags=["agreements"],
    responses={410: {"description": "agreements are signed in advisory-svc"}},
)
async def create_agreement(customer_id: str, principal: CurrentPrincipal) -> None:
    """Retired: advisory-svc signs agreements (``POST /v1/customers/{id}/agreements`` there)
    and notify learns of them from its events. No outside client used this route (spec
    api.md does not list it), so it answers 410 rather than writing a second truth."""
    raise HTTPException(
        status.HTTP_410_GONE,
        "advisory agreements are signed in advisory-svc; notify-svc reads them from its events",
    )


@router.get(
    "/customers/{customer_id}/advisory-agreements",
    response_model=list[AgreementRead],
    tags=["agreements"],
)
async def read_agreements(
    customer_id: str, session: SessionDep, principal: CurrentPrincipal
) -> list[AgreementRead]:
    """The agreements notify knows for this customer (from advisory-svc's events)."""
    await authorize_customer(session, principal, customer_id)
    return [
        AgreementRead.model_validate(a)
        for a in await service.list_agreements(session, customer_id=customer_id)
    ]
