"""The offers use case: every paid product with this customer's price, or why not, ranked.

It is on the app's product pages, so everything it needs comes back in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import dialect

from ..agreements.service import signed_condition
from ..base import Base
from ..catalogue.rules import PAID_CODES, Prices, Quote, catalogue, quote
from ..readmodels import models as _readmodels  # noqa: F401 - registers the tables read here
from ..subscriptions import models as _subscriptions  # noqa: F401
from . import rules

_F = Base.metadata.tables["customer_fact"]
_S = Base.metadata.tables["subscription"]


@dataclass(frozen=True)
class Snapshot:
    """What the offers of one customer depend on, read together."""

    facts: rules.CustomerFacts
    base_rate: Decimal | None
    signed_agreement: bool
    active_codes: tuple[str, ...]


@dataclass(frozen=True)
class Offer:
    decision: rules.Decision
    quote: Quote


@dataclass(frozen=True)
class Offers:
    facts: rules.CustomerFacts
    base_rate: Decimal
    preference: rules.PreferenceType
    offers: list[Offer]


async def snapshot(session: AsyncSession, customer_id: str, today: date) -> Snapshot | None:
    """The customer's facts, base rate, whether an agreement is signed and the products
    running, in one round trip; None for a customer advisory has not seen registered."""
    # SQLite has group_concat where PostgreSQL has string_agg.
    codes = _S.c.product_code
    concat = (
        func.string_agg(codes, ",")
        if dialect.is_postgresql(session)
        else func.group_concat(codes, ",")
    )
    active = (
        select(concat)
        .where(_S.c.customer_id == _F.c.customer_id, _S.c.status == "active")
        .scalar_subquery()
    )
    signed = exists().where(signed_condition(_F.c.customer_id, today))
    row = (
        await session.execute(
            select(
                _F.c.branch_id,
                _F.c.tier,
                _F.c.risk_level,
                _F.c.risk_valid_until,
                _F.c.investor_category,
                _F.c.base_rate,
                signed.label("signed"),
                active.label("active"),
            ).where(and_(_F.c.customer_id == customer_id, _F.c.registered.is_(True)))
        )
    ).first()
    if row is None or row.branch_id is None:
        return None
    facts = rules.CustomerFacts(
        customer_id=customer_id,
        branch_id=row.branch_id,
        tier=row.tier,
        risk_level=row.risk_level,
        risk_valid_until=row.risk_valid_until,
        professional=row.investor_category == "professional",
    )
    running = tuple(row.active.split(",")) if row.active else ()
    return Snapshot(facts, row.base_rate, bool(row.signed), running)


def offers_for(
    snap: Snapshot, *, today: date, prices: Prices, entrusted_amount: Decimal | None = None
) -> Offers:
    """Decide and price every paid product for the customer of ``snap`` (pure)."""
    x = snap.base_rate if snap.base_rate is not None else prices.standard_rate
    products = catalogue(prices)
    decisions = [
        rules.decide(
            products[code],
            snap.facts,
            today=today,
            has_agreement=snap.signed_agreement,
            active_codes=snap.active_codes,
        )
        for code in PAID_CODES
    ]
    preference = rules.preference_type(snap.facts, today)
    out = [
        Offer(d, quote(d.product, base_rate=x, prices=prices, entrusted_amount=entrusted_amount))
        for d in rules.rank(decisions, preference)
    ]
    return Offers(snap.facts, x, preference, out)
