"""Helpers of the notify-svc tests: a threaded uvicorn server, the stand-in's controls, a clock."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select

from brokerage_common import Database, Outbox, issue_token, new_envelope
from brokerage_common import events as ev
from brokerage_common.testing import TEST_JWT_SECRET
from notify_svc.agreements import handlers as agreement_handlers
from notify_svc.config import Settings
from notify_svc.context import HandlerContext
from notify_svc.models import PLATFORM, Message
from notify_svc.recipients import service as recipients
from notify_svc.rules import BEIJING, FINAL_STATES
from notify_svc.worker import Notifier

GATEWAY_KEY = "test-gateway-key"


class ThreadedServer:
    """An ASGI app served by uvicorn in a thread with its own event loop."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=1,
                lifespan="on",
            )
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@dataclass
class Gateway:
    """The running stand-in and its test controls (over HTTP, like any client)."""

    url: str

    async def control(self, **changes: Any) -> None:
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{self.url}/_control", json=changes)
            assert r.status_code == 200, r.text

    async def stats(self, *, per_number: bool = False) -> dict[str, Any]:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"{self.url}/_stats", params={"per_number": str(per_number).lower()})
            return r.json()  # type: ignore[no-any-return]

    async def reset(self) -> None:
        async with httpx.AsyncClient() as c:
            await c.post(f"{self.url}/_reset")

    async def reply(self, phone: str, content: str) -> dict[str, Any]:
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{self.url}/_reply", json={"phone_number": phone, "content": content})
            return r.json()  # type: ignore[no-any-return]


class FakeClock:
    """An injected clock: starts Friday 2026-11-20 10:00 Beijing, a trading day."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def phone_of(i: int) -> str:
    return f"1390000{i:04d}"


async def add_customer(
    db: Database,
    customer_id: str,
    *,
    phone: str | None = None,
    consent: bool = True,
    branch_id: str = "B001",
    channels: list[str] | None = None,
    email: str | None = None,
    name: str = "张三",
    birth_month_day: str = "03-15",
    at: datetime | None = None,
) -> None:
    registered = ev.CustomerRegistered(
        customer_id=customer_id,
        name=name,
        phone=phone or phone_of(int(customer_id[-4:])),
        branch_id=branch_id,
        opened_on=datetime(2020, 1, 1).date(),
        birth_month_day=birth_month_day,
        onsite=True,
        preferred_channels=channels or ["sms"],
        email=email,
    )
    now = at or datetime.now(UTC)
    async with db.sessionmaker() as session:
        await recipients.register_customers(
            session, customers=[registered], now=now, consent_default=False
        )
        if consent:
            await recipients.update_customer(
                session,
                change=ev.CustomerProfileUpdated(customer_id=customer_id, marketing_consent=True),
                at=now - timedelta(days=1),
                now=now,
            )
        await session.commit()


async def messages(db: Database, **where: Any) -> list[Message]:
    async with db.sessionmaker() as session:
        stmt = select(Message).order_by(Message.created_at, Message.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Message, key) == value)
        return list((await session.execute(stmt)).scalars())


async def open_count(db: Database) -> int:
    finals = [s.value for s in FINAL_STATES]
    async with db.sessionmaker() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).where(Message.state.not_in(finals))  # type: ignore[attr-defined]
                )
            ).scalar_one()
        )


async def drive(
    notifier: Notifier,
    clock: FakeClock,
    *,
    rounds: int = 60,
    step: timedelta = timedelta(minutes=1),
    pause_s: float = 0.05,
) -> None:
    """Run the sender, the reconciler and the report applier until every message is final."""
    for _ in range(rounds):
        for sender in notifier.senders:
            while await notifier.send_due(sender):
                pass
        await notifier.reconcile_once()
        await asyncio.sleep(pause_s)
        await notifier.apply_reports_once()
        if await open_count(notifier.db) == 0:
            return
        clock.advance(step)
    raise AssertionError(f"{await open_count(notifier.db)} messages still open")


def service_token(*scopes: str, sub: str = "svc") -> str:
    return issue_token(secret=TEST_JWT_SECRET, sub=sub, role="service", scopes=list(scopes))


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def sign_agreement(
    db: Database,
    customer_id: str,
    *,
    agreement_id: str,
    signed_on: date,
    advice_from: date,
    valid_until: date | None = None,
    rescinded_on: date | None = None,
    at: datetime | None = None,
) -> None:
    """advisory-svc's AdvisoryAgreementSigned (and a rescission), as the worker applies them."""
    ctx = HandlerContext(
        settings=Settings(),
        clock=lambda: at or datetime.now(UTC),
        outbox=Outbox(PLATFORM, source="advisory-svc"),
    )
    signed = ev.AdvisoryAgreementSigned(
        customer_id=customer_id,
        agreement_id=agreement_id,
        agreement_no=f"TG-B001-{signed_on.year}-{agreement_id[-4:]}",
        branch_id="B001",
        risk_disclosure_version="RD-2026-01",
        signed_on=signed_on,
        cooling_off_ends_on=advice_from - timedelta(days=1),
        advice_from=advice_from,
        valid_until=valid_until,
    )
    async with db.sessionmaker() as session:
        await agreement_handlers.on_advisory_agreement_signed(
            ctx, session, new_envelope(signed, source="advisory-svc")
        )
        if rescinded_on is not None:
            rescinded = ev.AdvisoryAgreementRescinded(
                customer_id=customer_id,
                agreement_id=agreement_id,
                rescinded_on=rescinded_on,
                in_cooling_off=rescinded_on < advice_from,
                refund=Decimal("0"),
            )
            await agreement_handlers.on_advisory_agreement_rescinded(
                ctx, session, new_envelope(rescinded, source="advisory-svc")
            )
        await session.commit()
