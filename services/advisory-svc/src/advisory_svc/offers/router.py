"""GET /v1/customers/{customer_id}/offers: what this customer may buy now, at their price.

The answer served is usually the fast path's (``offers.fastpath``); this route answers
every other case (errors, ``entrusted_amount``) and documents the API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.params import CustomerIdPath

from ..deps import (
    OffersModelDep,
    SettingsDep,
    TodayDep,
    ensure_customer_access,
    unknown_customer,
)
from . import service
from .answers import answer_json, kept_answer_json
from .schemas import OffersRead

router = APIRouter(prefix="/v1", tags=["offers"], responses=ERROR_RESPONSES)


@router.get("/customers/{customer_id}/offers", response_model=OffersRead)
async def get_offers(
    customer_id: CustomerIdPath,
    principal: CurrentPrincipal,
    model: OffersModelDep,
    settings: SettingsDep,
    today: TodayDep,
    entrusted_amount: Annotated[
        Decimal | None,
        Query(gt=0, le=Decimal("1e12"), description="bundle D: the amount to entrust"),
    ] = None,
) -> Response:
    """Each paid product with the customer's own price and its explanation, or the reasons
    it is not offered, ranked by the customer's preference type (seed 004 一.2)."""
    if principal.is_customer and principal.sub != customer_id:
        ensure_customer_access(principal, customer_id=customer_id, branch_id=None)
    prices = settings.prices()
    if not model.loaded:  # before the read model is loaded (not ready yet): from the database
        async with model.db.engine.connect() as conn:
            snap = await service.snapshot(conn, customer_id=customer_id, today=today)
        if snap is None:
            raise unknown_customer(principal, customer_id)
        ensure_customer_access(principal, customer_id=customer_id, branch_id=snap.facts.branch_id)
        body = answer_json(
            customer_id, snap, today=today, prices=prices, entrusted_amount=entrusted_amount
        )
        return Response(body, media_type="application/json")
    standing = model.get(customer_id)
    if standing is None:
        raise unknown_customer(principal, customer_id)
    ensure_customer_access(principal, customer_id=customer_id, branch_id=standing.facts.branch_id)
    body = kept_answer_json(
        model,
        customer_id,
        standing.on(today),
        today=today,
        prices=prices,
        entrusted_amount=entrusted_amount,
    )
    return Response(body, media_type="application/json")
