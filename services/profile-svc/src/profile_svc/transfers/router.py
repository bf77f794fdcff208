"""Transfer-away routes: the app's request (recorded, never refused) and a customer's list."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status

from brokerage_common import CurrentPrincipal, OutboxDep
from brokerage_common import events as ev
from brokerage_common.web import SessionDep

from .. import metrics
from ..customers.service import get_customer
from ..dependencies import API_PREFIX, CustomerIdPath, authorize, error_responses
from ..schemas import ErrorRead
from . import service
from .models import TransferRequest
from .schemas import TransferRequestCreate, TransferRequestRead

router = APIRouter(prefix=API_PREFIX)


@router.post(
    "/customers/{customer_id}/transfer-requests",
    response_model=TransferRequestRead,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["transfer-away"],
    summary="Record a transfer-away request from the mobile app (the customer themself)",
    responses={
        **error_responses(401, 403, 404, 422),
        409: {"model": ErrorRead, "description": "request id used by another customer"},
    },
)
async def create_transfer_request(
    customer_id: CustomerIdPath,
    body: TransferRequestCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
) -> TransferRequest:
    """Custody transfer (转托管) or designation cancel (撤销指定). Only recorded and announced:
    never refused or held for retention. Repeating a `request_id` returns the first record;
    repeating it with another kind, market or reason is 422. A token for a customer not on
    file is 404 and nothing is announced."""
    if not principal.is_customer or principal.sub != customer_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only the customer themself may file this request"
        )
    # A valid signature is not a customer file: a token whose subject was never registered
    # (or was issued by mistake) must not announce a transfer nobody can act on.
    await get_customer(session, customer_id=customer_id)
    now = datetime.now(UTC)
    request = ev.CustomerTransferRequested(
        customer_id=customer_id,
        request_id=body.request_id or service.new_request_id(now),
        kind=body.kind,
        market=body.market,
        reason=body.reason,
        requested_at=body.requested_at or now,
    )
    row, created = await service.record_transfer_request(
        session, request=request, channel="mobile-app", received_at=now, outbox=outbox
    )
    await session.commit()
    if created:
        metrics.TRANSFER_REQUESTS.labels("mobile-app").inc()
    return row


@router.get(
    "/customers/{customer_id}/transfer-requests",
    response_model=list[TransferRequestRead],
    tags=["transfer-away"],
    summary="A customer's transfer-away requests, newest first",
    responses=error_responses(401, 403, 404, 422),
)
async def read_transfer_requests(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[TransferRequest]:
    """The customer themself or staff of the branch."""
    await authorize(session, principal, customer_id, roles=("customer", "staff"))
    return await service.transfer_requests(session, customer_id=customer_id)
