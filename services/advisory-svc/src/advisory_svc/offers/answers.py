"""The offers answer as JSON bytes, shared by the FastAPI route and the fast path."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ..catalogue.rules import Prices
from . import service
from .memory import OffersModel
from .schemas import OfferRead, OffersRead, PriceRead

# An id JSON writes as itself between quotes: a kept answer is joined to it as bytes.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_HEAD = b'{"customer_id":""'


def answer_json(
    customer_id: str,
    snap: service.Snapshot,
    *,
    today: date,
    prices: Prices,
    entrusted_amount: Decimal | None,
) -> bytes:
    """Each paid product with the customer's price and explanation, or why not, ranked."""
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


def kept_answer_json(
    model: OffersModel,
    customer_id: str,
    snap: service.Snapshot,
    *,
    today: date,
    prices: Prices,
    entrusted_amount: Decimal | None,
) -> bytes:
    """``answer_json``, from the answers kept by what they depend on (ADR 0010, "Offers"):
    customers of the same tier, level, rate, agreement and products share all but the id."""
    if not _PLAIN_ID.fullmatch(customer_id):
        return answer_json(
            customer_id, snap, today=today, prices=prices, entrusted_amount=entrusted_amount
        )
    facts = snap.facts
    # Decimals by their text, which is what the answer shows.
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
        body = answer_json("", snap, today=today, prices=prices, entrusted_amount=entrusted_amount)
        tail = model.remember(key, body[len(_HEAD) :])
    return b'{"customer_id":"' + customer_id.encode() + b'"' + tail
