"""Round trip through the real broker: triggers published to Kafka are consumed by the worker's
idempotent consumer and become messages (once, even when a trigger is published twice)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime

import pytest
from notify_testkit import FakeClock, eventually, messages

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from brokerage_common.kafka import make_producer
from notify_svc.config import Settings
from notify_svc.worker import Notifier, build_consumer

pytestmark = pytest.mark.bus


async def test_triggers_on_the_bus_become_messages_once(
    bootstrap: str, settings: Settings, db: Database, clock: FakeClock
) -> None:
    suffix = uuid.uuid4().hex[:8]
    customer = f"CB{suffix}"
    settings.kafka_bootstrap_servers = bootstrap
    settings.service_name = f"notify-svc-test-{suffix}"  # a group of its own
    settings.consumer_session_timeout_ms = 2000
    registered = ev.CustomerRegistered(
        customer_id=customer,
        name="王五",
        phone="13900009999",
        branch_id="B001",
        opened_on=date(2020, 1, 1),
        birth_month_day="03-15",
        onsite=False,
    )
    requested = ev.NotificationRequested(
        customer_id=customer,
        template_code="RISK_NOTICE",
        category="service",
        params={"security_name": "浦发银行", "security_code": "600000", "text": "触及预警线"},
    )
    changed = ev.TierChanged(
        customer_id=customer,
        old_tier="standard",
        new_tier="silver",
        reason="assets",
        effective_on=date(2026, 11, 20),
    )
    envelopes = [new_envelope(e, source="test") for e in (registered, requested, changed)]
    producer = make_producer(bootstrap, client_id="notify-bus-test")
    await producer.start()
    try:
        for env in [*envelopes, envelopes[1]]:  # the command is delivered twice
            await producer.send_and_wait(
                env.data.TOPIC.name, key=customer.encode(), value=env.to_json()
            )
    finally:
        await producer.stop()

    consumer = build_consumer(settings, db, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:

        async def both_planned() -> bool:
            return len(await messages(db, customer_id=customer)) == 2

        await eventually(both_planned, timeout_s=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    # Topics are not ordered with each other: a command may come before the customer's
    # registration and wait (pending) until the planner finds the recipient.
    notifier = Notifier(settings, db, clock=clock)
    await notifier.plan_pending_once()
    await notifier.aclose()
    planned = {m.template_code: m for m in await messages(db, customer_id=customer)}
    assert set(planned) == {"RISK_NOTICE", "TIER_UP"}
    assert {m.state for m in planned.values()} == {"scheduled"}
    assert "银卡" in (planned["TIER_UP"].body or "")
    assert planned["TIER_UP"].created_at == clock()
    assert isinstance(planned["TIER_UP"].created_at, datetime)
