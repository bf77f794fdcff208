"""notify's real sender loop against the real SMS gateway stand-in failing (issue 16).

The stand-in refuses 30 % of sends (503 and ``isp.SYSTEM_ERROR`` alternately), accepts
another share and then stalls past the sender's timeout (the SMS went out, the answer did
not come back: "unknown"), and posts every delivery-report callback twice to the notify API.
In the middle of the run its account runs dry (``isv.AMOUNT_NOT_ENOUGH``): the spec's
signal to open the circuit (sms-gateway.md: a configuration or account problem stops the
gateway; transient failures are retried, they do not open it). The account is topped up,
the cool-down passes, one probe goes through and the circuit closes.

What the spec requires of the run: no number gets a message twice, every message ends
delivered or failed with its reason, the circuit opened once (one operations alert) and
closed again, and each message's outcome is published once however many reports came.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services" / "notify-svc" / "tests"))

from notify_testkit import (  # noqa: E402
    GATEWAY_KEY,
    FakeClock,
    Gateway,
    ThreadedServer,
    add_customer,
    drive,
    messages,
    service_token,
)

from brokerage_common import Database, new_envelope  # noqa: E402
from brokerage_common import events as ev  # noqa: E402
from notify_svc.config import Settings  # noqa: E402
from notify_svc.delivery import circuit as circuits  # noqa: E402
from notify_svc.handlers import Handlers  # noqa: E402
from notify_svc.models import PLATFORM, DeliveryReport, metadata  # noqa: E402
from notify_svc.templates import service as templates  # noqa: E402
from notify_svc.worker import Notifier  # noqa: E402
from sms_gateway_standin import Settings as StandinSettings  # noqa: E402
from sms_gateway_standin import create_app as create_standin  # noqa: E402

pytestmark = [pytest.mark.resilience]

CUSTOMERS = 150  # two messages each: 300 messages
OPEN, CLOSED = "open", "closed"


def circuit_state() -> str | None:
    """The one state of the breaker's state set that is 1 (None if none or several are)."""
    on = [
        state
        for state in ("closed", "half_open", "open")
        if REGISTRY.get_sample_value(
            "notify_circuit_state", {"gateway": circuits.SMS_GATEWAY, "state": state}
        )
        == 1
    ]
    return on[0] if len(on) == 1 else None


def circuit_opened(code: str) -> float:
    value = REGISTRY.get_sample_value(
        "notify_circuit_opened_total", {"gateway": circuits.SMS_GATEWAY, "code": code}
    )
    return value or 0.0


@pytest.fixture
def standin() -> Iterator[ThreadedServer]:
    settings = StandinSettings(key=GATEWAY_KEY, callback_url=None, reply_url=None)
    server = ThreadedServer(create_standin(settings)).start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str, standin: ThreadedServer) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        kafka_bootstrap_servers="127.0.0.1:1",
        log_json=False,
        sms_gateway_url=standin.url,
        sms_gateway_key=GATEWAY_KEY,
        # A stall of 600 ms outlasts it: the send went out, its answer is "unknown".
        sms_timeout_s=0.25,
        im_webhook_url="",
        smtp_host="",
        retry_base_s=1.0,
        retry_max_s=60.0,
        unknown_query_delay_s=5.0,
        report_grace_s=600.0,
        circuit_cooldown_s=300.0,
        db_pool_size=5,
    )


@pytest_asyncio.fixture
async def db(
    make_database: Callable[[MetaData], Awaitable[Database]], clock: FakeClock
) -> Database:
    database = await make_database(metadata)
    async with database.sessionmaker() as session:
        await templates.ensure_default_templates(session, now=clock())
        await session.commit()
    return database


@pytest_asyncio.fixture
async def notifier(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[Notifier]:
    n = Notifier(settings, db, clock=clock, rand=lambda: 0.5)
    yield n
    await n.aclose()


@pytest.fixture
def api(settings: Settings, db: Database, clock: FakeClock) -> Iterator[ThreadedServer]:
    """notify's API on a real port: the stand-in posts its delivery reports there."""
    from notify_svc.main import create_app

    server = ThreadedServer(create_app(settings, clock=clock)).start()
    yield server
    server.stop()


async def request(db: Database, handlers: Handlers, customer_id: str, n: int) -> None:
    # A personal text (the name) is sent alone; the risk notice, equal for all, is batched.
    for template_code, params in (
        ("TIER_UP", {"tier": "金卡", "benefits": "专线"}),
        (
            "RISK_NOTICE",
            {"security_name": "浦发银行", "security_code": f"{600000 + n % 3}", "text": "预警"},
        ),
    ):
        env = new_envelope(
            ev.NotificationRequested(
                customer_id=customer_id,
                template_code=template_code,
                category="service",
                params=params,
            ),
            source="test",
        )
        async with db.sessionmaker() as session:
            await handlers.handle(session, env)
            await session.commit()


async def send_rounds(notifier: Notifier, rounds: int) -> int:
    sent = 0
    for _ in range(rounds):
        sent += await notifier.send_due(notifier.sms)
    return sent


async def test_a_failing_stalling_gateway_with_doubled_reports_loses_and_doubles_nothing(
    db: Database,
    notifier: Notifier,
    clock: FakeClock,
    standin: ThreadedServer,
    api: ThreadedServer,
) -> None:
    gateway = Gateway(standin.url)
    handlers = Handlers(notifier.settings, clock=clock)
    for i in range(1, CUSTOMERS + 1):
        await add_customer(db, f"C{i:04d}", name=f"客户{i}")
        await request(db, handlers, f"C{i:04d}", i)
    notifier.settings.sms_claim_size = 20  # many small rounds: the outage lands mid-run
    await gateway.control(
        fail_rate=0.3,
        timeout_rate=0.1,
        timeout_sleep_ms=600,
        report_duplicates=True,
        report_order="shuffle",
        report_delay_ms=20,
        report_linger_ms=20,
        callback_url=f"{api.url}/v1/sms/delivery-reports",
        callback_token=service_token("sms:report", sub="sms-gateway"),
        seed=16,
    )
    opened_before = circuit_opened("isv.AMOUNT_NOT_ENOUGH")

    assert await send_rounds(notifier, 3) > 0
    # The account runs dry: the first refusal opens the circuit, and sending stops.
    await gateway.control(error_code="isv.AMOUNT_NOT_ENOUGH")
    await send_rounds(notifier, 2)
    assert circuit_state() == OPEN
    assert circuit_opened("isv.AMOUNT_NOT_ENOUGH") == opened_before + 1
    assert await send_rounds(notifier, 3) == 0  # open: nothing is even tried

    # Topped up; after the cool-down one probe is answered (a transient 503 is no account
    # refusal either) and the circuit closes.
    await gateway.control(error_code=None)
    clock.advance(timedelta(seconds=notifier.settings.circuit_cooldown_s + 1))
    for _ in range(20):
        if await notifier.send_due(notifier.sms) and circuit_state() == CLOSED:
            break
    assert circuit_state() == CLOSED

    await drive(notifier, clock, rounds=200, pause_s=0.05)

    stats = await gateway.stats(per_number=True)
    assert stats["transient_failures"] > 0
    assert stats["timeouts"] > 0
    assert stats["rejected_by_code"].get("isv.AMOUNT_NOT_ENOUGH", 0) >= 1
    # 0 doubled: no number took the same message twice.
    assert stats["duplicates"] == 0
    sms = await messages(db, channel="sms")
    assert len(sms) == 2 * CUSTOMERS
    # 0 lost: every message final, a failure always with its reason.
    assert {m.state for m in sms} <= {"delivered", "failed"}
    assert all(m.reason for m in sms if m.state == "failed")
    delivered = [m for m in sms if m.state == "delivered"]
    assert len(delivered) >= 2 * CUSTOMERS - 5
    # Each number took exactly its delivered messages (two each, at most).
    per_number = Counter(m.address for m in delivered)
    assert stats["sms_per_number"] == dict(per_number)

    # The outage alerted operations once (staff alert through the ops route).
    alerts = await messages(db, template_code="CIRCUIT_ALERT")
    assert len(alerts) == 1

    # Reports came twice (or more); each message's outcome was published once.
    async with db.sessionmaker() as session:
        report_keys = (
            await session.execute(select(DeliveryReport.out_id, DeliveryReport.phone_number))
        ).all()
        outcomes = (
            await session.execute(
                select(PLATFORM.outbox.c.event_type, PLATFORM.outbox.c.payload).where(
                    PLATFORM.outbox.c.event_type.in_(
                        ["NotificationDelivered", "NotificationFailed"]
                    )
                )
            )
        ).all()
    reports_per_message = Counter(report_keys)
    assert max(reports_per_message.values()) >= 2
    assert sum(n >= 2 for n in reports_per_message.values()) >= len(delivered) // 2
    published: Counter[str] = Counter(
        orjson.loads(payload)["data"]["message_id"] for _, payload in outcomes
    )
    assert set(published.values()) == {1}
    assert set(published) == {m.id for m in sms}
    print(
        f"sms faults: {len(sms)} messages, {len(delivered)} delivered,"
        f" {stats['transient_failures']} refused, {stats['timeouts']} stalled,"
        f" {len(report_keys)} reports for {len(reports_per_message)} SMS, 0 doubled, 0 lost"
    )
