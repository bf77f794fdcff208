"""CRM-log routes: log a contact, read a customer's timeline (staff of the branch)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from brokerage_common import CurrentPrincipal, OutboxDep
from brokerage_common.web import SessionDep

from .. import metrics
from ..dependencies import API_PREFIX, CustomerIdPath, authorize, error_responses
from . import service
from .models import Interaction
from .schemas import InteractionCreate, InteractionPage, InteractionRead

router = APIRouter(prefix=API_PREFIX)


@router.post(
    "/customers/{customer_id}/interactions",
    response_model=InteractionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["crm"],
    summary="Log a service contact (CRM 记录), staff of the branch",
    responses=error_responses(401, 403, 404, 422),
)
async def create_interaction(
    customer_id: CustomerIdPath,
    body: InteractionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
) -> Interaction:
    """Who (the caller), when (`occurred_at`, not in the future), channel, topic, outcome and
    the next step. Published as InteractionLogged."""
    customer = await authorize(session, principal, customer_id, roles=("staff",))
    interaction = await service.log_interaction(
        session,
        customer=customer,
        staff_id=principal.sub,
        data=body,
        now=datetime.now(UTC),
        outbox=outbox,
    )
    await session.commit()
    metrics.INTERACTIONS_LOGGED.labels(interaction.channel).inc()
    return interaction


@router.get(
    "/customers/{customer_id}/interactions",
    response_model=InteractionPage,
    tags=["crm"],
    summary="A customer's contact timeline, most recent first (staff of the branch)",
    responses=error_responses(401, 403, 404, 422),
)
async def read_interactions(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100000)] = 0,
) -> InteractionPage:
    """Staff notes are internal: customers do not read them."""
    await authorize(session, principal, customer_id, roles=("staff",))
    items = await service.interaction_timeline(
        session, customer_id=customer_id, limit=limit, offset=offset
    )
    return InteractionPage(
        customer_id=customer_id,
        limit=limit,
        offset=offset,
        items=[InteractionRead.model_validate(i) for i in items],
    )
