"""Transfer-away use cases: record a request once per request id and announce it.

Every function takes the session first and keyword-only arguments, writes its
rows and outbox events into that session, and never commits.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from brokerage_common import Outbox
from brokerage_common import events as ev
from brokerage_common.dialect import insert_ignoring_duplicates

from ..customers.models import Customer
from ..customers.rules import CustomerStatus
from ..exceptions import Conflict, InvalidField
from . import rules
from .models import TransferRequest

log = logging.getLogger(__name__)

TransferChannel = Literal["branch-counter", "mobile-app"]


def new_request_id(now: datetime) -> str:
    """An id for an app request that came without one (retries then cannot be recognised)."""
    return f"APP-{now:%Y%m%d}-{secrets.token_hex(6).upper()}"


async def record_transfer_request(
    session: AsyncSession,
    *,
    request: ev.CustomerTransferRequested,
    channel: TransferChannel,
    received_at: datetime,
    outbox: Outbox,
) -> tuple[TransferRequest, bool]:
    """Record a transfer-away request once per request id; True when it was new.

    Only records and announces (TransferAwayRecorded, and the status change): the
    request itself is never refused, held or delayed here, whatever retention does.
    The same request arriving from the app and from the topic is recorded once.
    """
    customer = await session.get(Customer, request.customer_id)
    inserted = (
        await session.execute(
            insert_ignoring_duplicates(session, TransferRequest, keys=["request_id"])
            .values(
                request_id=request.request_id,
                customer_id=request.customer_id,
                branch_id=customer.branch_id if customer else None,
                kind=request.kind,
                market=request.market,
                reason=request.reason,
                channel=channel,
                requested_at=request.requested_at,
                received_at=received_at,
            )
            .returning(col(TransferRequest.request_id))
        )
    ).scalar_one_or_none()
    row = await session.get(TransferRequest, request.request_id)
    assert row is not None
    if row.customer_id != request.customer_id:
        raise Conflict(f"request {request.request_id} belongs to another customer")
    if inserted is None:
        # The app retrying sends the same request; another one under its id is a client
        # reusing a key, which must not be answered with the first request's record. (The
        # counter's copy of an app request arrives on another channel: recorded once.)
        first = (row.kind, row.market, row.reason)
        if row.channel == channel and first != (request.kind, request.market, request.reason):
            raise InvalidField("request_id", "already used for another request")
        return row, False
    log.info(
        "transfer request recorded",
        extra={"request_id": row.request_id, "customer_id": row.customer_id, "channel": channel},
    )
    if customer is None:
        log.warning(
            "transfer request for a customer not on file",
            extra={"request_id": row.request_id, "customer_id": row.customer_id},
        )
        return row, True
    await outbox.add(
        session,
        ev.TransferAwayRecorded(
            customer_id=customer.customer_id,
            request_id=request.request_id,
            branch_id=customer.branch_id,
            kind=request.kind,
            market=request.market,
            reason=request.reason,
            channel=channel,
            requested_at=request.requested_at,
        ),
    )
    new_status = rules.status_after_transfer_request(CustomerStatus(customer.status))
    if new_status is not None:
        customer.status = new_status.value
        customer.updated_at = received_at
        await outbox.add(
            session,
            ev.CustomerProfileUpdated(customer_id=customer.customer_id, status=new_status.value),
        )
    return row, True


async def transfer_requests(session: AsyncSession, *, customer_id: str) -> list[TransferRequest]:
    stmt = (
        select(TransferRequest)
        .where(col(TransferRequest.customer_id) == customer_id)
        .order_by(col(TransferRequest.received_at).desc())
    )
    return list((await session.execute(stmt)).scalars())
