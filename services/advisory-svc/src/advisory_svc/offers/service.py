"""The offers use case: every paid product with this customer's price, or why not, ranked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from ..agreements.service import has_signed_agreement
from ..catalogue.rules import PAID_CODES, Prices, Quote, catalogue, quote
from ..readmodels.service import base_rate
from ..subscriptions.service import active_subscriptions
from . import rules


@dataclass(frozen=True)
class Offer:
    decision: rules.Decision
    quote: Quote | None


@dataclass(frozen=True)
class Offers:
    facts: rules.CustomerFacts
    base_rate: Decimal
    preference: rules.PreferenceType
    offers: list[Offer]


async def offers_for(
    session: AsyncSession,
    *,
    facts: rules.CustomerFacts,
    today: date,
    prices: Prices,
    entrusted_amount: Decimal | None = None,
) -> Offers:
    x = await base_rate(session, facts.customer_id, standard=prices.standard_rate)
    signed = await has_signed_agreement(session, customer_id=facts.customer_id, today=today)
    active = [s.product_code for s in await active_subscriptions(session, facts.customer_id)]
    products = catalogue(prices)
    decisions = [
        rules.decide(products[code], facts, today=today, has_agreement=signed, active_codes=active)
        for code in PAID_CODES
    ]
    preference = rules.preference_type(facts, today)
    ranked = rules.rank(decisions, preference)
    out = [
        Offer(d, quote(d.product, base_rate=x, prices=prices, entrusted_amount=entrusted_amount))
        for d in ranked
    ]
    return Offers(facts, x, preference, out)
