"""Keeping the read models from events: session first, keyword-only, never commits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import dialect
from brokerage_common import events as ev

from ..base import Base
from ..offers.rules import CustomerFacts
from ..offers.service import mark_changed
from .models import ClosingPrice, CustomerFact, HoldingTrade

_FACT = Base.metadata.tables["customer_fact"]
_HOLDING = Base.metadata.tables["holding"]


async def _upsert_fact(session: AsyncSession, customer_id: str, **values: object) -> None:
    row = {"customer_id": customer_id, "updated_at": datetime.now(UTC), **values}
    stmt = dialect.upsert(
        session, _FACT, keys=["customer_id"], update=[k for k in row if k != "customer_id"]
    )
    await session.execute(stmt, [row])
    await mark_changed(session, customer_ids=[customer_id])


async def register_customer(session: AsyncSession, *, event: ev.CustomerRegistered) -> None:
    """A registered customer (also one whose rate came first: it is kept, ADR 0010)."""
    values: dict[str, object] = {"registered": True, "branch_id": event.branch_id}
    if event.investor_category is not None:
        values["investor_category"] = event.investor_category
    await _upsert_fact(session, event.customer_id, **values)


async def update_customer(session: AsyncSession, *, event: ev.CustomerProfileUpdated) -> None:
    values: dict[str, object] = {}
    if event.branch_id is not None:
        values["branch_id"] = event.branch_id
    if event.investor_category is not None:
        values["investor_category"] = event.investor_category
    if values:
        await session.execute(
            update(_FACT).where(_FACT.c.customer_id == event.customer_id).values(**values)
        )
        await mark_changed(session, customer_ids=[event.customer_id])


async def record_assessment(session: AsyncSession, *, event: ev.RiskProfileAssessed) -> None:
    """The newest assessment wins; an older one arriving late changes nothing."""
    current = await session.get(CustomerFact, event.customer_id)
    if (
        current is not None
        and current.risk_assessed_on
        and current.risk_assessed_on > event.assessed_on
    ):
        return
    await _upsert_fact(
        session,
        event.customer_id,
        risk_level=event.risk_level,
        risk_assessed_on=event.assessed_on,
        risk_valid_until=event.valid_until,
    )


async def record_tier(session: AsyncSession, *, event: ev.TierChanged) -> None:
    await _upsert_fact(session, event.customer_id, tier=event.new_tier)


async def record_rate(session: AsyncSession, *, event: ev.CommissionRateSet) -> None:
    """X: the counter's base rate, latest ``effective_from`` wins (a late older one is ignored)."""
    current = await session.get(CustomerFact, event.customer_id)
    if (
        current is not None
        and current.rate_effective_from is not None
        and current.rate_effective_from > event.effective_from
    ):
        return
    await _upsert_fact(
        session, event.customer_id, base_rate=event.rate, rate_effective_from=event.effective_from
    )


async def apply_trade(session: AsyncSession, *, trade: ev.TradeSettled) -> None:
    """Buys add, sells subtract; a trade seen twice (by its id) counts once."""
    signed = trade.quantity if trade.side == "B" else -trade.quantity
    inserted = await session.execute(
        dialect.insert_ignoring_duplicates(session, HoldingTrade, keys=["trade_id"]),
        [
            {
                "trade_id": trade.trade_id,
                "customer_id": trade.customer_id,
                "security_code": trade.security_code,
                "signed_quantity": signed,
                "cancelled": False,
            }
        ],
    )
    if cast(CursorResult[Any], inserted).rowcount == 0:
        return
    await _add_holding(session, trade.customer_id, trade.security_code, signed)


async def cancel_trade(session: AsyncSession, *, cancel: ev.TradeCancelled) -> None:
    """Reverse a settled trade once; a cancellation of an unknown trade changes nothing."""
    row = await session.get(HoldingTrade, cancel.trade_id)
    if row is None or row.cancelled or row.customer_id != cancel.customer_id:
        return
    row.cancelled = True
    await _add_holding(session, row.customer_id, row.security_code, -row.signed_quantity)


async def _add_holding(session: AsyncSession, customer_id: str, code: str, delta: int) -> None:
    stmt = dialect.insert(session, _HOLDING)
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id", "security_code"],
        set_={"quantity": _HOLDING.c.quantity + stmt.excluded.quantity},
    )
    await session.execute(
        stmt, [{"customer_id": customer_id, "security_code": code, "quantity": delta}]
    )


async def record_close(session: AsyncSession, *, event: ev.ClosingPricePublished) -> None:
    """A close restated for the same day replaces the earlier one."""
    stmt = dialect.upsert(
        session,
        ClosingPrice,
        keys=["security_code", "trade_date"],
        update=["market", "kind", "close"],
    )
    await session.execute(
        stmt,
        [
            {
                "security_code": event.security_code,
                "trade_date": event.trade_date,
                "market": event.market,
                "kind": event.kind,
                "close": event.close,
            }
        ],
    )


async def customer_facts(session: AsyncSession, *, customer_id: str) -> CustomerFacts | None:
    """A registered customer's facts; None for one advisory has not seen registered."""
    row = await session.get(CustomerFact, customer_id)
    if row is None or not row.registered or row.branch_id is None:
        return None
    return CustomerFacts(
        customer_id=row.customer_id,
        branch_id=row.branch_id,
        tier=row.tier,
        risk_level=row.risk_level,
        risk_valid_until=row.risk_valid_until,
        professional=row.investor_category == "professional",
    )


async def base_rate(session: AsyncSession, *, customer_id: str, standard: Decimal) -> Decimal:
    """X: the counter's rate, or the branch's standard rate when none is known."""
    rate = (
        await session.execute(select(_FACT.c.base_rate).where(_FACT.c.customer_id == customer_id))
    ).scalar()
    return rate if rate is not None else standard


async def closes(session: AsyncSession, *, code: str, days: list[date]) -> dict[date, Decimal]:
    if not days:
        return {}
    rows = await session.execute(
        select(col(ClosingPrice.trade_date), col(ClosingPrice.close)).where(
            col(ClosingPrice.security_code) == code,
            col(ClosingPrice.trade_date).in_(days),
        )
    )
    return {row.trade_date: row.close for row in rows}
