"""Fixtures shared by tiering-svc's integration, API and bus tests: a real database and a harness.

The harness calls the service functions the way the worker and the routes do:
one session per use case, the outbox in the same session, and the commit here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import pytest
import pytest_asyncio
from sqlalchemy import MetaData, func, select

from brokerage_common import Database, Envelope, Outbox, new_envelope
from brokerage_common import events as ev
from tiering_svc.config import Settings
from tiering_svc.handlers import build_handlers
from tiering_svc.ingest import service as ingest
from tiering_svc.ledger import service as ledger
from tiering_svc.models import (
    PLATFORM,
    CustomerMonth,
    CustomerTier,
    PointsEntry,
    Redemption,
    TierHistory,
    metadata,
)
from tiering_svc.tiers import service as tiers
from tiering_svc.tiers.rules import Policy

DAY = date(2026, 11, 20)


class Harness:
    """The tiering service on a real database: each call is one committed transaction."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.outbox = Outbox(PLATFORM, source="tiering-svc")
        self.handlers = build_handlers(settings)

    # ---------------------------------------------------------------- running use cases

    async def run(self, use_case: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
        async with self.db.sessionmaker() as session:
            result = await use_case(session, **kwargs)
            await session.commit()
            return result

    async def with_policy(self, use_case: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
        async with self.db.sessionmaker() as session:
            policy = await tiers.load_policy(session, settings=self.settings)
            result = await use_case(session, policy=policy, outbox=self.outbox, **kwargs)
            await session.commit()
            return result

    async def policy(self) -> Policy:
        async with self.db.sessionmaker() as session:
            return await tiers.load_policy(session, settings=self.settings)

    async def settle(self, *envelopes: Envelope[ev.TradeSettled]) -> int:
        return int(await self.with_policy(ingest.award_trade_points, envelopes=list(envelopes)))

    async def cancel(self, customer_id: str, trade_id: str) -> Decimal | None:
        cancel = ev.TradeCancelled(
            customer_id=customer_id, trade_id=trade_id, reason="error correction"
        )
        return await self.run(ledger.reverse_trade_points, cancel=cancel, outbox=self.outbox)  # type: ignore[no-any-return]

    async def snapshot(self, customer_id: str, total_assets: str, as_of: date = DAY) -> None:
        await self.with_policy(
            tiers.apply_asset_snapshots, envelopes=[snapshot(customer_id, total_assets, as_of)]
        )

    async def register(self, customer_id: str, **overrides: Any) -> None:
        envelope = new_envelope(registered(customer_id, **overrides), source="profile-svc")
        await self.handle(self.handlers[ev.CustomerRegistered.TYPE], envelope)

    async def review(self, on: date) -> int | None:
        return await self.with_policy(tiers.review_tiers, on=on)  # type: ignore[no-any-return]

    async def anniversaries(self, on: date) -> int:
        return await self.with_policy(ledger.credit_anniversaries, on=on)  # type: ignore[no-any-return]

    async def give(self, customer_id: str, points: str) -> None:
        """Put points on a balance the way staff would (an audited adjustment)."""
        await self.run(
            ledger.adjust_points,
            customer_id=customer_id,
            points=Decimal(points),
            reason="test balance",
            actor="staff:tester",
            outbox=self.outbox,
        )

    async def redeem(self, customer_id: str, *, on: date = DAY, **kwargs: Any) -> Redemption:
        return await self.run(  # type: ignore[no-any-return]
            ledger.redeem,
            customer_id=customer_id,
            actor=f"customer:{customer_id}",
            outbox=self.outbox,
            on=on,
            **kwargs,
        )

    async def handle(self, handler: Any, env: Envelope[Any]) -> None:
        async with self.db.sessionmaker() as session:
            await handler(session, env)
            await session.commit()

    # ---------------------------------------------------------------- reading state

    async def balance(self, customer_id: str) -> Decimal:
        async with self.db.sessionmaker() as session:
            value = (
                await session.execute(
                    select(func.sum(CustomerMonth.points)).where(
                        CustomerMonth.customer_id == customer_id
                    )
                )
            ).scalar_one_or_none()
        # The balance is the points booked over all months (SQLite sums in floating point).
        return Decimal(value).quantize(Decimal("0.01")) if value is not None else Decimal("0.00")

    async def ledger(self, customer_id: str) -> list[PointsEntry]:
        async with self.db.sessionmaker() as session:
            return list(
                (
                    await session.execute(
                        select(PointsEntry)
                        .where(PointsEntry.customer_id == customer_id)
                        .order_by(PointsEntry.id)  # type: ignore[arg-type]
                    )
                ).scalars()
            )

    async def ledger_total(self, customer_id: str) -> Decimal:
        return sum((e.points for e in await self.ledger(customer_id)), Decimal(0))

    async def tier(self, customer_id: str) -> str:
        return (await self.state(customer_id)).tier

    async def state(self, customer_id: str) -> CustomerTier:
        async with self.db.sessionmaker() as session:
            row = await session.get(CustomerTier, customer_id)
        assert row is not None, f"{customer_id} has no tier row"
        return row

    async def history(self, customer_id: str) -> list[TierHistory]:
        async with self.db.sessionmaker() as session:
            return list(
                (
                    await session.execute(
                        select(TierHistory)
                        .where(TierHistory.customer_id == customer_id)
                        .order_by(TierHistory.id)  # type: ignore[arg-type]
                    )
                ).scalars()
            )

    async def commissions(self, customer_id: str) -> dict[str, Decimal]:
        async with self.db.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(CustomerMonth.month, CustomerMonth.commission).where(
                        CustomerMonth.customer_id == customer_id, CustomerMonth.commission != 0
                    )
                )
            ).all()
        return {m: c for m, c in rows}

    async def events(self, event_type: str, customer_id: str | None = None) -> list[dict[str, Any]]:
        """The outbox rows of one type (data only), in the order they were written."""
        o = PLATFORM.outbox
        async with self.db.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(o.c.payload).where(o.c.event_type == event_type).order_by(o.c.id)
                )
            ).scalars()
            data = [orjson.loads(p)["data"] for p in rows]
        return [d for d in data if customer_id is None or d["customer_id"] == customer_id]

    async def outbox_count(self) -> int:
        o = PLATFORM.outbox
        async with self.db.sessionmaker() as session:
            return len((await session.execute(select(o.c.id))).all())


# -------------------------------------------------------------------- event builders


def trade(
    customer_id: str,
    commission: str,
    *,
    trade_id: str | None = None,
    settled_on: date = DAY,
    event_id: str | None = None,
) -> Envelope[ev.TradeSettled]:
    data = ev.TradeSettled(
        customer_id=customer_id,
        trade_id=trade_id or f"T{settled_on:%Y%m%d}-{uuid.uuid4().hex[:12]}",
        account_id=f"A{customer_id[1:]}",
        market="SH",
        security_code="600519",
        side="B",
        quantity=100,
        price=Decimal("1520.00"),
        amount=Decimal("152000.00"),
        commission=Decimal(commission),
        trade_date=settled_on,
        settled_on=settled_on,
    )
    return new_envelope(data, source="settlement-system", event_id=event_id)  # type: ignore[no-any-return]


def snapshot(
    customer_id: str, total_assets: str, as_of: date = DAY
) -> Envelope[ev.AssetSnapshotTaken]:
    total = Decimal(total_assets)
    data = ev.AssetSnapshotTaken(
        customer_id=customer_id,
        as_of=as_of,
        total_assets=total,
        cash=Decimal("0.00"),
        securities_value=total,
        net_inflow=Decimal("0.00"),
    )
    return new_envelope(data, source="settlement-system")  # type: ignore[no-any-return]


def registered(customer_id: str, **overrides: Any) -> ev.CustomerRegistered:
    fields: dict[str, Any] = {
        "customer_id": customer_id,
        "name": "张三",
        "phone": "138" + "".join(c for c in customer_id if c.isdigit())[-8:].rjust(8, "0"),
        "branch_id": "B001",
        "opened_on": date(2020, 5, 10),
        "birth_month_day": "03-15",
        "onsite": True,
    }
    fields.update(overrides)
    return ev.CustomerRegistered(**fields)


# -------------------------------------------------------------------- fixtures


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Port 1: nothing listens there, so anything that tries the broker fails fast.
    return Settings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:1")


@pytest_asyncio.fixture
async def db(make_database: Callable[[MetaData], Awaitable[Database]]) -> Database:
    return await make_database(metadata)


@pytest.fixture
def tiering(db: Database, settings: Settings) -> Harness:
    return Harness(db, settings)


@pytest.fixture
def build() -> Any:
    """The event builders, for tests (test modules cannot import this conftest)."""

    class Builders:
        trade = staticmethod(trade)
        snapshot = staticmethod(snapshot)
        registered = staticmethod(registered)

    return Builders
