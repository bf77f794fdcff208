"""GET /v1/routing as a FastAPI route: the OpenAPI document's, and the answer when the fast
path (``fastpath.py``) is not in front. Both parse and authorise with ``rules``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, Principal

from .read_model import RoutingModel
from .rules import (
    CUSTOMER_ID_MAX_LENGTH,
    NOT_A_ROUTING_CALLER,
    PHONE_PATTERN,
    BadRoutingQuery,
    caller_query,
    may_route,
)
from .schemas import RoutingRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


def routing_caller(principal: CurrentPrincipal) -> Principal:
    """FastAPI dependency: the caller, if it may ask for routing (``rules.may_route``)."""
    if not may_route(principal):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_A_ROUTING_CALLER)
    return principal


RoutingPrincipal = Annotated[Principal, Depends(routing_caller)]
# Declared for the document; the values are read and checked by rules.caller_query.
PhoneQuery = Annotated[
    str | None,
    Query(description="the ringing number", json_schema_extra={"pattern": PHONE_PATTERN}),
]
CustomerIdQuery = Annotated[
    str | None, Query(json_schema_extra={"maxLength": CUSTOMER_ID_MAX_LENGTH})
]


@router.get("/routing", response_model=RoutingRead, tags=["call-center"])
async def routing(
    request: Request,
    _p: RoutingPrincipal,
    phone: PhoneQuery = None,
    customer_id: CustomerIdQuery = None,
) -> dict[str, object]:
    """Tier and queue for a ringing phone (service token with scope ``routing:read``).

    Served from memory (see read_model.py); in the running app a fast path answers
    this route before the framework's routing, with the same rules.
    """
    query = request.query_params
    try:
        phone, customer_id = caller_query(query.getlist("phone"), query.getlist("customer_id"))
    except BadRoutingQuery as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    model: RoutingModel = request.app.state.routing
    return model.answer(phone=phone, customer_id=customer_id)
