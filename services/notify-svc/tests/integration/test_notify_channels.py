"""IM webhook (a tiny local receiver), e-mail (an aiosmtpd sink) and the SMS circuit breaker."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from notify_testkit import FakeClock, Gateway, ThreadedServer, add_customer, messages, phone_of
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.config import Settings
from notify_svc.delivery.circuit import SMS_GATEWAY
from notify_svc.handlers import Handlers
from notify_svc.models import Circuit
from notify_svc.rules import BEIJING
from notify_svc.worker import Notifier

PHONE = re.compile(r"1[3-9]\d{9}")


class ImReceiver:
    """An enterprise-IM robot webhook that records what it was sent."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.paths: list[str] = []

        async def hook(request: Request) -> JSONResponse:
            self.posts.append(await request.json())
            self.paths.append(request.url.path)
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        self.server = ThreadedServer(Starlette(routes=[Route("/{name}", hook, methods=["POST"])]))

    @property
    def texts(self) -> list[str]:
        return [p["text"]["content"] for p in self.posts]


@pytest.fixture
def im_receiver() -> Iterator[ImReceiver]:
    receiver = ImReceiver()
    receiver.server.start()
    yield receiver
    receiver.server.stop()


@pytest_asyncio.fixture
async def im_notifier(
    settings: Settings, db: Database, clock: FakeClock, im_receiver: ImReceiver
) -> AsyncIterator[Notifier]:
    settings.im_webhook_url = f"{im_receiver.server.url}/ops-and-default"
    settings.im_branch_webhooks = {"B001": f"{im_receiver.server.url}/branch-b001"}
    n = Notifier(settings, db, clock=clock, rand=lambda: 0.5)
    yield n
    await n.aclose()


def circuit_states(gateway: str) -> dict[str, float | None]:
    """The breaker's state set: exactly one state at 1."""
    return {
        state: gauge("notify_circuit_state", gateway=gateway, state=state)
        for state in ("closed", "half_open", "open")
    }


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_transfer_request_alerts_the_branch_service_channel_at_once(
    db: Database, im_notifier: Notifier, clock: FakeClock, im_receiver: ImReceiver
) -> None:
    clock.set(datetime(2026, 11, 20, 23, 30, tzinfo=BEIJING))  # staff alerts know no quiet hours
    await add_customer(db, "C0001", name="李四")
    handlers = Handlers(im_notifier.settings, clock=clock)
    requested_at = datetime.fromisoformat("2026-11-20T10:12:00+08:00")
    external = ev.CustomerTransferRequested(
        customer_id="C0001",
        request_id="R20261120-0042",
        kind="custody_transfer",
        market="SZ",
        reason="friend works at another broker",
        requested_at=requested_at,
    )
    recorded = ev.TransferAwayRecorded(
        customer_id="C0001",
        request_id="R20261120-0042",
        branch_id="B001",
        kind="custody_transfer",
        market="SZ",
        channel="branch-counter",
        requested_at=requested_at,
    )
    async with db.sessionmaker() as session:
        await handlers.handle(session, new_envelope(external, source="x"))
        await handlers.handle(session, new_envelope(recorded, source="y"))
        await session.commit()
    assert await im_notifier.send_due(im_notifier.im) == 1

    (alert,) = await messages(db)
    assert (alert.category, alert.channel, alert.state) == ("staff_alert", "im", "delivered")
    assert im_receiver.paths == ["/branch-b001"]
    (text,) = im_receiver.texts
    assert "C0001" in text
    assert "李四" in text
    assert "转托管" in text
    assert not PHONE.search(text)


async def test_the_im_channel_off_suppresses_instead_of_failing_silently(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    await add_customer(db, "C0001")
    handlers = Handlers(notifier.settings, clock=clock)
    env = new_envelope(
        ev.NotificationRequested(
            customer_id="C0001",
            template_code="TRANSFER_ALERT",
            category="staff_alert",
            params={"kind": "转托管", "market": "SZ", "reason": "-", "requested_at": "-"},
        ),
        source="x",
    )
    async with db.sessionmaker() as session:
        await handlers.handle(session, env)
        await session.commit()
    await notifier.send_due(notifier.im)
    (m,) = await messages(db)
    assert (m.state, m.reason) == ("suppressed", "im_channel_off")


async def test_the_circuit_opens_on_amount_not_enough_alerts_ops_and_half_opens_after_cool_down(
    db: Database,
    im_notifier: Notifier,
    clock: FakeClock,
    gateway: Gateway,
    im_receiver: ImReceiver,
) -> None:
    n = im_notifier
    handlers = Handlers(n.settings, clock=clock)
    for i in (1, 2):
        await add_customer(db, f"C{i:04d}", name=f"客户{i}")
        env = new_envelope(
            ev.NotificationRequested(
                customer_id=f"C{i:04d}",
                template_code="TIER_UP",
                category="service",
                params={"tier": "金卡", "benefits": "专线"},
            ),
            source="x",
        )
        async with db.sessionmaker() as session:
            await handlers.handle(session, env)
            await session.commit()
    await gateway.control(error_code="isv.AMOUNT_NOT_ENOUGH")

    assert await n.send_due(n.sms) == 2
    async with db.sessionmaker() as session:
        circuit = await session.get(Circuit, SMS_GATEWAY)
        assert circuit is not None
        assert (circuit.state, circuit.reason) == ("open", "isv.AMOUNT_NOT_ENOUGH")
    assert circuit_states("sms") == {"closed": 0, "half_open": 0, "open": 1}
    sms = await messages(db, channel="sms")
    assert {(m.state, m.attempts, m.reason) for m in sms} == {
        ("scheduled", 0, "isv.AMOUNT_NOT_ENOUGH")
    }
    # Operations hear of it on IM.
    assert await n.send_due(n.im) == 1
    (alert,) = im_receiver.texts
    assert "isv.AMOUNT_NOT_ENOUGH" in alert
    assert im_receiver.paths == ["/ops-and-default"]

    # Open: nothing goes to the gateway during the cool-down.
    clock.advance(timedelta(seconds=299))
    assert await n.send_due(n.sms) == 0
    assert (await gateway.stats())["sends_rejected"] == 2

    # Cool-down over, still failing: one probe, open again, no second alert.
    clock.advance(timedelta(seconds=2))
    assert await n.send_due(n.sms) == 1
    assert circuit_states("sms") == {"closed": 0, "half_open": 0, "open": 1}
    assert await n.send_due(n.im) == 0

    # Fixed: the next probe closes the circuit and the rest follows.
    await gateway.control(error_code=None)
    clock.advance(timedelta(seconds=301))
    assert await n.send_due(n.sms) == 1
    assert circuit_states("sms") == {"closed": 1, "half_open": 0, "open": 0}
    assert await n.send_due(n.sms) == 1
    assert {m.state for m in await messages(db, channel="sms")} == {"accepted"}
    assert (await gateway.stats(per_number=True))["sms_per_number"] == {
        phone_of(1): 1,
        phone_of(2): 1,
    }
    assert (
        gauge("notify_notifications_sent_total", channel="sms", status="open_circuit") or 0
    ) >= 3


class Sink:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


async def test_email_goes_through_smtp_to_customers_who_prefer_it(
    db: Database, settings: Settings, clock: FakeClock, smtp_sink: tuple[Sink, int]
) -> None:
    sink, port = smtp_sink
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    settings.smtp_start_tls = False  # the aiosmtpd sink speaks no TLS, as mailpit locally
    n = Notifier(settings, db, clock=clock)
    await add_customer(db, "C0001", channels=["email", "sms"], email="li@example.com", name="李四")
    change = ev.TierChanged(
        customer_id="C0001",
        old_tier="gold",
        new_tier="platinum",
        reason="assets",
        effective_on=datetime(2026, 11, 20).date(),
    )
    async with db.sessionmaker() as session:
        await Handlers(settings, clock=clock).handle(
            session, new_envelope(change, source="tiering-svc")
        )
        await session.commit()
    assert await n.send_due(n.email) == 1
    await n.aclose()

    (m,) = await messages(db)
    assert (m.channel, m.state, m.address) == ("email", "delivered", "li@example.com")
    (mail,) = sink.mails
    assert mail["To"] == "li@example.com"
    assert "白金卡" in mail["Subject"]
    assert "尊敬的李四" in mail.get_content()


async def test_email_needs_starttls_by_default(
    db: Database, settings: Settings, clock: FakeClock, smtp_sink: tuple[Sink, int]
) -> None:
    """STARTTLS is on unless SMTP_START_TLS=false: a server without it gets no mail in clear;
    the send is retried later, not delivered."""
    assert Settings.model_fields["smtp_start_tls"].default is True
    sink, port = smtp_sink
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    assert settings.smtp_start_tls is True
    n = Notifier(settings, db, clock=clock)
    await add_customer(db, "C0002", channels=["email"], email="wang@example.com", name="王五")
    change = ev.TierChanged(
        customer_id="C0002",
        old_tier="gold",
        new_tier="platinum",
        reason="assets",
        effective_on=datetime(2026, 11, 20).date(),
    )
    async with db.sessionmaker() as session:
        await Handlers(settings, clock=clock).handle(
            session, new_envelope(change, source="tiering-svc")
        )
        await session.commit()
    await n.send_due(n.email)
    await n.aclose()
    (m,) = await messages(db)
    assert m.channel == "email"
    assert m.state not in ("delivered", "accepted")
    assert sink.mails == []
