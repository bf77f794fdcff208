"""GET /v1/customers/{customer_id}/offers: what this customer may buy now, at their price."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal

from ..catalogue.rules import Prices
from ..deps import OffersModelDep, SettingsDep, TodayDep, ensure_customer_access
from ..errors import NotFound
from . import service
from .schemas import OfferRead, OffersRead, PriceRead

router = APIRouter(prefix="/v1", tags=["offers"], responses=ERROR_RESPONSES)

# An id JSON writes as itself between quotes: the cached answer is joined to it as bytes.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_HEAD = b'{"customer_id":""'


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
    prices = settings.prices()
    if not model.loaded:  # before the read model is loaded (not ready yet): from the database
        async with model.db.engine.connect() as conn:
            snap = await service.snapshot(conn, customer_id=customer_id, today=today)
        if snap is None:
            raise NotFound("unknown customer (not registered with advisory-svc yet)")
        ensure_customer_access(principal, customer_id=customer_id, branch_id=snap.facts.branch_id)
        return _json(_answer(customer_id, snap, today, prices, entrusted_amount))
    standing = model.get(customer_id)
    if standing is None:
        raise NotFound("unknown customer (not registered with advisory-svc yet)")
    facts = standing.facts
    ensure_customer_access(principal, customer_id=customer_id, branch_id=facts.branch_id)
    snap = standing.on(today)
    if not _PLAIN_ID.fullmatch(customer_id):
        return _json(_answer(customer_id, snap, today, prices, entrusted_amount))
    # Everything the answer depends on but the id (ADR 0010, "Offers"): customers of the
    # same tier, level, rate, agreement and products share it. Decimals by their text,
    # which is what the answer shows.
    key = (
        today,
        prices,
        str(entrusted_amount),
        facts.tier,
        facts.risk_level,
        facts.valid_level(today),
        facts.professional,
        str(snap.base_rate),
        snap.signed_agreement,
        frozenset(snap.active_codes),
    )
    tail = model.answers.get(key)
    if tail is None:
        body = _answer("", snap, today, prices, entrusted_amount)
        tail = model.remember(key, body[len(_HEAD) :])
    return _json(b'{"customer_id":"' + customer_id.encode() + b'"' + tail)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _answer(
    customer_id: str,
    snap: service.Snapshot,
    today: date,
    prices: Prices,
    entrusted_amount: Decimal | None,
) -> bytes:
    facts = snap.facts
    result = service.offers_for(snap, today=today, prices=prices, entrusted_amount=entrusted_amount)
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
    return answer.model_dump_json().encode()
