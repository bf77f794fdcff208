"""The offers use case: every paid product with this customer's price, or why not, ranked.

It is on the app's product pages: the API answers it from memory (``offers.memory``, ADR
0010 "Offers"), loaded by ``standings`` and kept current through ``mark_changed``.
``snapshot`` reads the same facts of one customer from the database in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import TypeEngine

from brokerage_common import dialect

from ..agreements.models import AdvisoryAgreement
from ..base import RATE, Base
from ..catalogue.rules import PAID_CODES, Prices, Quote, catalogue, quote
from ..readmodels.models import CustomerFact
from ..subscriptions.models import Subscription
from . import rules
from .models import OfferChange


@dataclass(frozen=True)
class Snapshot:
    """What the offers of one customer depend on, read together."""

    facts: rules.CustomerFacts
    base_rate: Decimal | None
    signed_agreement: bool
    active_codes: tuple[str, ...]


@dataclass(frozen=True)
class Standing:
    """What the offers of one customer depend on, independent of the day: kept in memory.

    ``agreement_until`` is the latest ``valid_until`` of the signed, not rescinded
    agreements (``date.max`` for one without an end), None without any.
    """

    facts: rules.CustomerFacts
    base_rate: Decimal | None
    agreement_until: date | None
    active_codes: tuple[str, ...]

    def on(self, today: date) -> Snapshot:
        """The snapshot ``snapshot`` would read on ``today``."""
        signed = self.agreement_until is not None and self.agreement_until >= today
        return Snapshot(self.facts, self.base_rate, signed, self.active_codes)


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


# The tables by name, after importing the modules that define them.
_CHANGE = Base.metadata.tables[OfferChange.__tablename__]
_FACT = Base.metadata.tables[CustomerFact.__tablename__]
_AGREEMENT = Base.metadata.tables[AdvisoryAgreement.__tablename__]
_SUBSCRIPTION = Base.metadata.tables[Subscription.__tablename__]


async def mark_changed(session: AsyncSession, *, customer_ids: Iterable[str]) -> None:
    """Record, in the writer's transaction, that these customers' offers may have changed:
    every API process re-reads them at its next poll (ADR 0010, "Offers")."""
    now = datetime.now(UTC)
    rows = [{"customer_id": cid, "changed_at": now} for cid in sorted(set(customer_ids))]
    if rows:
        stmt = dialect.upsert(session, _CHANGE, keys=["customer_id"], update=["changed_at"])
        await session.execute(stmt, rows)


async def changed_since(
    conn: AsyncSession | AsyncConnection, *, since: datetime
) -> dict[str, datetime]:
    """customer id -> its marker, for the markers at or after ``since``."""
    rows = await conn.execute(
        select(_CHANGE.c.customer_id, _CHANGE.c.changed_at).where(_CHANGE.c.changed_at >= since)
    )
    return {cid: at for cid, at in rows}


async def standings(
    conn: AsyncSession | AsyncConnection, *, customer_ids: Iterable[str] | None = None
) -> dict[str, Standing]:
    """The standing of every registered customer, or of those of ``customer_ids`` that are
    registered (the others are absent): three statements, whatever the number."""
    ids = None if customer_ids is None else sorted(set(customer_ids))
    facts = select(
        _FACT.c.customer_id,
        _FACT.c.branch_id,
        _FACT.c.tier,
        _FACT.c.risk_level,
        _FACT.c.risk_valid_until,
        _FACT.c.investor_category,
        _FACT.c.base_rate,
    ).where(_FACT.c.registered, _FACT.c.branch_id.is_not(None))
    agreements = select(_AGREEMENT.c.customer_id, _AGREEMENT.c.valid_until).where(
        _AGREEMENT.c.rescinded_on.is_(None)
    )
    running = select(_SUBSCRIPTION.c.customer_id, _SUBSCRIPTION.c.product_code).where(
        _SUBSCRIPTION.c.status == "active"
    )
    if ids is not None:
        facts = facts.where(_FACT.c.customer_id.in_(ids))
        agreements = agreements.where(_AGREEMENT.c.customer_id.in_(ids))
        running = running.where(_SUBSCRIPTION.c.customer_id.in_(ids))
    until: dict[str, date] = {}
    for cid, valid_until in await conn.execute(agreements):
        end = date.max if valid_until is None else valid_until
        if cid not in until or end > until[cid]:
            until[cid] = end
    codes: dict[str, list[str]] = {}
    for cid, code in await conn.execute(running):
        codes.setdefault(cid, []).append(code)
    out: dict[str, Standing] = {}
    for row in await conn.execute(facts):
        cid = row.customer_id
        out[cid] = Standing(
            rules.CustomerFacts(
                customer_id=cid,
                branch_id=row.branch_id,
                tier=row.tier,
                risk_level=row.risk_level,
                risk_valid_until=row.risk_valid_until,
                professional=row.investor_category == "professional",
            ),
            row.base_rate,
            until.get(cid),
            tuple(codes.get(cid, ())),
        )
    return out
