"""GET /v1/customers/{customer_id}/offers: what this customer may buy now, at their price."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal

from ..deps import OffersModelDep, SettingsDep, TodayDep, ensure_customer_access
from ..errors import NotFound
from . import service
from .schemas import OfferRead, OffersRead, PriceRead

router = APIRouter(prefix="/v1", tags=["offers"], responses=ERROR_RESPONSES)


@router.get("/customers/{customer_id}/offers", response_model=OffersRead)
async def get_offers(
    customer_id: str,
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
    if model.loaded:
        standing = model.get(customer_id)
        snap = None if standing is None else standing.on(today)
    else:  # before the read model is loaded (not ready yet): from the database
        async with model.db.engine.connect() as conn:
            snap = await service.snapshot(conn, customer_id=customer_id, today=today)
    if snap is None:
        raise NotFound("unknown customer (not registered with advisory-svc yet)")
    facts = snap.facts
    ensure_customer_access(principal, customer_id=customer_id, branch_id=facts.branch_id)
    result = service.offers_for(
        snap, today=today, prices=settings.prices(), entrusted_amount=entrusted_amount
    )
    answer = OffersRead(
        customer_id=customer_id,
        tier=facts.tier,
        risk_level=facts.risk_level,
        professional=facts.professional,
        preference_type=result.preference,
        base_rate=result.base_rate,
        offers=[
            OfferRead(
                product_code=o.decision.product.code,
                name=o.decision.product.name,
                risk_level=o.decision.product.risk_level,
                offered=o.decision.offered,
                reasons=list(o.decision.reasons),
                suitability=o.decision.suitability.verdict,
                warning=o.decision.suitability.message
                if o.decision.suitability.verdict == "mismatch"
                else None,
                needs_agreement=o.decision.needs_agreement,
                price=PriceRead(
                    commission_rate=o.quote.commission_rate if o.quote else None,
                    monthly_fee=o.quote.monthly_fee if o.quote else None,
                    monthly_points=o.quote.monthly_points if o.quote else None,
                    annual_fee=o.quote.annual_fee if o.quote else None,
                    explanation=o.quote.explanation if o.quote else "",
                ),
            )
            for o in result.offers
        ],
    )
    # Serialized once here: returned as a model, FastAPI would validate it a second time.
    return Response(answer.model_dump_json(), media_type="application/json")
