"""Message routes: one message, a customer's messages (addresses masked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.web import SessionDep

from ..deps import SCOPE_READ, authorize_customer, staff_or_scope
from ..exceptions import NotFound
from ..models import Message
from ..rules import Category, mask_address
from . import service
from .schemas import MessageRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


def _message_read(m: Message) -> MessageRead:
    return MessageRead(
        id=m.id,
        customer_id=m.customer_id,
        campaign_id=m.campaign_id,
        channel=m.channel,
        category=m.category,
        template_code=m.template_code,
        template_version=m.template_version,
        address=mask_address(m.address),
        state=m.state,
        reason=m.reason,
        attempts=m.attempts,
        created_at=m.created_at,
        next_attempt_at=m.next_attempt_at,
        submitted_at=m.submitted_at,
        accepted_at=m.accepted_at,
        finished_at=m.finished_at,
    )


@router.get("/messages/{message_id}", response_model=MessageRead, tags=["messages"])
async def read_message(
    message_id: str, session: SessionDep, principal: CurrentPrincipal
) -> MessageRead:
    """One message and where it is in its life (address masked)."""
    message = await service.get_message(session, message_id=message_id)
    if message.customer_id is None:
        staff_or_scope(principal, SCOPE_READ)
    else:
        await authorize_customer(session, principal, message.customer_id)
    if principal.is_customer and message.category == Category.STAFF_ALERT:
        # An alert to staff about the customer (a transfer request, naming the group) is
        # not the customer's message: as if it did not exist.
        raise NotFound("no such message")
    return _message_read(message)


@router.get(
    "/customers/{customer_id}/messages", response_model=list[MessageRead], tags=["messages"]
)
async def read_customer_messages(
    customer_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageRead]:
    """A customer's messages, newest first (the customer: without staff alerts about them)."""
    await authorize_customer(session, principal, customer_id)
    return [
        _message_read(m)
        for m in await service.customer_messages(
            session,
            customer_id=customer_id,
            limit=limit,
            staff_alerts=not principal.is_customer,
        )
    ]
