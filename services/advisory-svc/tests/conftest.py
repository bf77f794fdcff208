"""Fixtures of the advisory-svc tests: a fresh database, the app on it, tokens, event feeding."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import MetaData, select

from advisory_svc.config import Settings
from advisory_svc.deps import get_now, get_today
from advisory_svc.handlers import registry
from advisory_svc.main import create_app
from advisory_svc.models import PLATFORM, metadata
from brokerage_common import CST, Database, new_envelope
from brokerage_common import events as ev

TODAY = date(2026, 11, 20)  # a Friday, a trading day
NOW = datetime(2026, 11, 20, 16, 0, tzinfo=CST)  # after the close
BRANCH = "B001"
OTHER_BRANCH = "B002"
VALID_UNTIL = date(2028, 11, 19)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, environment="test", kafka_bootstrap_servers="127.0.0.1:9"
    )


@pytest_asyncio.fixture
async def db(make_database: Callable[[MetaData], Awaitable[Database]]) -> Database:
    return await make_database(metadata)


class Clock:
    def __init__(self) -> None:
        self.today = TODAY
        self.now = NOW


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def app(settings: Settings, db: Database, clock: Clock) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.dependency_overrides[get_today] = lambda: clock.today
    application.dependency_overrides[get_now] = lambda: clock.now
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://advisory"
    ) as c:
        yield c


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """auth("staff"), auth("staff", staff_roles=["adviser"]), auth("customer", sub="C1")."""

    def headers(
        role: str, *, sub: str | None = None, branch_id: str | None = None, **kw: Any
    ) -> dict[str, str]:
        if role == "staff":
            branch_id = branch_id or BRANCH
        token = make_token(role, sub=sub or f"{role}-1", branch_id=branch_id, **kw)
        return {"Authorization": f"Bearer {token}"}

    return headers


Feed = Callable[..., Awaitable[None]]


@pytest.fixture
def feed(db: Database, request: pytest.FixtureRequest) -> Feed:
    """await feed(event, ...): each event through the worker's handler, one transaction.

    With the app running, its offers read model then polls at once, as it would within
    ``OFFERS_POLL_INTERVAL_S`` of the worker's commit."""
    handlers = registry("advisory-svc")

    async def run(*events: ev.BaseEvent, at: datetime = NOW) -> None:
        async with db.sessionmaker() as session:
            for event in events:
                await handlers[event.TYPE](session, new_envelope(event, source="test", time=at))
            await session.commit()
        if "app" in request.fixturenames:
            await request.getfixturevalue("app").state.offers.poll()

    return run


@pytest.fixture
def customer(feed: Feed) -> Callable[..., Awaitable[str]]:
    """await customer("C1", tier="gold", level="C3", rate="0.0005"): known to advisory."""

    async def make(
        customer_id: str,
        *,
        tier: str = "gold",
        level: str | None = "C3",
        valid_until: date = VALID_UNTIL,
        branch_id: str = BRANCH,
        rate: str | None = None,
        professional: bool = False,
    ) -> str:
        events: list[ev.BaseEvent] = [
            ev.CustomerRegistered(
                customer_id=customer_id,
                name="张伟",
                phone="13800001234",
                branch_id=branch_id,
                opened_on=date(2020, 3, 2),
                birth_month_day="11-22",
                onsite=False,
                investor_category="professional" if professional else "ordinary",
            )
        ]
        if tier != "standard":
            events.append(
                ev.TierChanged(
                    customer_id=customer_id,
                    old_tier="standard",
                    new_tier=tier,  # type: ignore[arg-type]
                    reason="upgrade",
                    effective_on=date(2026, 11, 1),
                )
            )
        if level is not None:
            events.append(
                ev.RiskProfileAssessed(
                    customer_id=customer_id,
                    assessment_id=f"RA-{customer_id}",
                    capacity_score=60,
                    capacity_level="mid_high",
                    tolerance_score=60,
                    tolerance_level="mid_high",
                    risk_level=level,  # type: ignore[arg-type]
                    assessed_on=date(2026, 11, 1),
                    valid_until=valid_until,
                )
            )
        if rate is not None:
            events.append(
                ev.CommissionRateSet(
                    customer_id=customer_id, rate=Decimal(rate), effective_from=date(2026, 11, 1)
                )
            )
        await feed(*events)
        return customer_id

    return make


@pytest.fixture
def outbox_events(db: Database) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """await outbox_events("ProductSubscribed"): committed outbox rows as parsed envelopes."""

    async def read(event_type: str | None = None) -> list[dict[str, Any]]:
        o = PLATFORM.outbox
        stmt = select(o.c.event_type, o.c.payload, o.c.key, o.c.topic).order_by(o.c.id)
        if event_type is not None:
            stmt = stmt.where(o.c.event_type == event_type)
        async with db.sessionmaker() as session:
            rows = (await session.execute(stmt)).all()
        return [{**orjson.loads(r.payload), "_key": r.key, "_topic": r.topic} for r in rows]

    return read
