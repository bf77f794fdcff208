"""Fixtures shared by ops-assessment-svc's integration, API and bus tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import MetaData, select

from brokerage_common import CST, Database, Envelope, Outbox, new_envelope
from brokerage_common import events as ev
from ops_assessment_svc.config import Settings
from ops_assessment_svc.db import PLATFORM
from ops_assessment_svc.models import metadata
from ops_assessment_svc.staff_groups import service as groups

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CST)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", log_json=False)


@pytest_asyncio.fixture
async def db(make_database: Callable[[MetaData], Awaitable[Database]]) -> Database:
    return await make_database(metadata)


class Harness:
    """Use cases on a real database, one committed transaction each, as routes and worker do."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.outbox = Outbox(PLATFORM, source="ops-assessment-svc")

    async def run(self, use_case: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
        async with self.db.sessionmaker() as session:
            result = await use_case(session, **kwargs)
            await session.commit()
            return result

    async def handle(self, handler: Callable[..., Awaitable[Any]], *envs: Envelope[Any]) -> Any:
        async with self.db.sessionmaker() as session:
            if getattr(handler, "__batch__", False):
                result = await handler(session, list(envs))
            else:
                for env in envs:
                    result = await handler(session, env)
            await session.commit()
            return result

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.db.sessionmaker() as session:
            return list((await session.execute(select(model).where(*where))).scalars())

    async def outbox_events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        import orjson

        table = PLATFORM.outbox
        async with self.db.sessionmaker() as session:
            stmt = select(table.c.event_type, table.c.payload).order_by(table.c.id)
            rows = (await session.execute(stmt)).all()
        return [
            orjson.loads(p)["data"] | {"_type": t}
            for t, p in rows
            if event_type is None or t == event_type
        ]

    async def staff(self, staff_id: str, role: str, branch_id: str = "B001") -> None:
        await self.run(
            groups.put_staff,
            staff_id=staff_id,
            branch_id=branch_id,
            name=staff_id,
            role=role,
            now=NOW,
        )

    async def group(
        self,
        group_id: str,
        members: list[str],
        branch_id: str = "B001",
        on: date = date(2026, 1, 5),
    ) -> None:
        await self.run(
            groups.form_group,
            group_id=group_id,
            branch_id=branch_id,
            name=group_id,
            members=members,
            actor="staff:M1",
            on=on,
            now=NOW,
            outbox=self.outbox,
        )


@pytest_asyncio.fixture
async def harness(db: Database) -> Harness:
    return Harness(db)


def registered(customer_id: str, **overrides: Any) -> Envelope[Any]:
    data: dict[str, Any] = {
        "customer_id": customer_id,
        "name": "客户",
        "phone": "13800001234",
        "branch_id": "B001",
        "opened_on": date(2025, 1, 2),
        "birth_month_day": "05-06",
        "onsite": False,
    }
    data.update(overrides)
    return new_envelope(ev.CustomerRegistered(**data), source="profile-svc")


def trade(
    trade_id: str, customer_id: str, amount: str, commission: str, on: date = date(2026, 11, 20)
) -> Envelope[Any]:
    return new_envelope(
        ev.TradeSettled(
            trade_id=trade_id,
            customer_id=customer_id,
            account_id="A1",
            market="SH",
            security_code="600519",
            side="B",
            quantity=100,
            price=Decimal("10.00"),
            amount=Decimal(amount),
            commission=Decimal(commission),
            trade_date=on,
            settled_on=on,
        ),
        source="settlement-system",
    )


def snapshot(customer_id: str, on: date, assets: str, inflow: str = "0") -> Envelope[Any]:
    return new_envelope(
        ev.AssetSnapshotTaken(
            customer_id=customer_id,
            as_of=on,
            total_assets=Decimal(assets),
            cash=Decimal(0),
            securities_value=Decimal(assets),
            net_inflow=Decimal(inflow),
        ),
        source="settlement-system",
    )


def transfer(request_id: str, customer_id: str, at: datetime = NOW) -> Envelope[Any]:
    return new_envelope(
        ev.CustomerTransferRequested(
            request_id=request_id,
            customer_id=customer_id,
            kind="custody_transfer",
            market="SZ",
            reason="friend works at another broker",
            requested_at=at,
        ),
        source="branch-counter",
    )


@pytest.fixture
def build() -> Any:
    """The event builders, for tests (conftest is not importable as a module)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        registered=registered, trade=trade, snapshot=snapshot, transfer=transfer, now=NOW
    )
