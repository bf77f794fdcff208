"""The offers use case: every paid product with this customer's price, or why not, ranked.

It is on the app's product pages, so everything it needs comes back in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import TypeEngine

from brokerage_common import dialect

from ..base import RATE
from ..catalogue.rules import PAID_CODES, Prices, Quote, catalogue, quote
from . import rules


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


# The snapshot in one statement, as text: it runs on every offers request, and a Core
# statement built (and keyed for SQLAlchemy's cache) per request costs more CPU than the
# database needs to answer it. Same conditions as agreements.service.signed_condition.
_SNAPSHOT = """
SELECT f.branch_id, f.tier, f.risk_level, f.risk_valid_until, f.investor_category,
       f.base_rate,
       EXISTS (SELECT 1 FROM advisory_agreement a
               WHERE a.customer_id = f.customer_id AND a.rescinded_on IS NULL
                 AND (a.valid_until IS NULL OR a.valid_until >= :today)) AS signed,
       (SELECT {concat}(s.product_code, ',') FROM subscription s
        WHERE s.customer_id = f.customer_id AND s.status = 'active') AS active
FROM customer_fact f
WHERE f.customer_id = :customer_id AND f.registered
"""
# SQLite has group_concat where PostgreSQL has string_agg.
_TYPES: dict[str, TypeEngine[Any]] = {
    "risk_valid_until": Date(),
    "base_rate": RATE,
    "signed": Boolean(),
}
_SNAPSHOT_PG = (
    text(_SNAPSHOT.format(concat="string_agg"))
    .bindparams(bindparam("today", type_=Date()))
    .columns(**_TYPES)
)
_SNAPSHOT_SQLITE = (
    text(_SNAPSHOT.format(concat="group_concat"))
    .bindparams(bindparam("today", type_=Date()))
    .columns(**_TYPES)
)


async def snapshot(
    conn: AsyncSession | AsyncConnection, *, customer_id: str, today: date
) -> Snapshot | None:
    """The customer's facts, base rate, whether an agreement is signed and the products
    running, in one round trip; None for a customer advisory has not seen registered."""
    statement = _SNAPSHOT_PG if dialect.is_postgresql(conn) else _SNAPSHOT_SQLITE
    row = (await conn.execute(statement, {"customer_id": customer_id, "today": today})).first()
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
