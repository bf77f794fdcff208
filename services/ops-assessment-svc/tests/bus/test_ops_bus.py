"""Round trip through a real broker: the app's transfer request (recorded by profile-svc) in,
one retention case and its RetentionCaseOpened out on ops.cases.

The broker's topics are shared by every test of the session and other services' tests
read them from the start, so this test publishes only on profile.customers, which no
other test counts (the settlement topics are left alone; the figures are covered by the
integration tests)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from brokerage_common import OutboxRelay, new_envelope
from brokerage_common import events as ev
from ops_assessment_svc.config import Settings
from ops_assessment_svc.db import PLATFORM
from ops_assessment_svc.models import metadata
from ops_assessment_svc.retention.models import RetentionCase
from ops_assessment_svc.worker import build_consumer
from trading_sim import publish

pytestmark = pytest.mark.bus


@asynccontextmanager
async def _running(*runners: Any) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    try:
        yield
    finally:
        stop.set()
        _done, pending = await asyncio.wait(tasks, timeout=20)
        for t in pending:
            t.cancel()


def _raw(env: Any) -> tuple[str, str, bytes]:
    return (env.data.TOPIC.name, env.data.customer_id, env.to_json())


async def test_ops_bus_the_apps_transfer_request_opens_one_case_and_publishes_it(
    broker: Any, make_database: Any, database_url: str, build: Any
) -> None:
    db = await make_database(metadata)
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        environment="test",
        service_name=f"ops-bus-{uuid.uuid4().hex[:8]}",
        consumer_lanes=1,
        consumer_session_timeout_ms=2000,
        outbox_poll_interval_s=0.05,
    )
    tag = uuid.uuid4().hex[:6]
    customer, request = f"CB{tag}", f"RB{tag}"
    recorded = [
        new_envelope(
            ev.TransferAwayRecorded(
                customer_id=customer,
                request_id=request,
                branch_id="B001",
                kind="designation_cancel",
                market="SH",
                channel="mobile-app",
                requested_at=build.now,
            ),
            source="profile-svc",
        )
        for _ in range(2)  # the same request twice, under two event ids
    ]
    messages = [_raw(e) for e in recorded]
    consumer = build_consumer(settings, db)
    relay = OutboxRelay.from_settings(settings, db, PLATFORM)
    listener = AIOKafkaConsumer(
        "ops.cases",
        bootstrap_servers=broker.bootstrap,
        group_id=f"listen-{tag}",
        auto_offset_reset="earliest",
    )
    await listener.start()
    try:
        async with _running(consumer, relay):
            await publish(messages, broker.bootstrap)
            opened: dict[str, Any] | None = None
            deadline = time.monotonic() + 60
            while opened is None and time.monotonic() < deadline:
                batch = await listener.getmany(timeout_ms=500)
                for records in batch.values():
                    for r in records:
                        env = orjson.loads(r.value)
                        if (
                            env["type"] == "RetentionCaseOpened"
                            and env["data"]["request_id"] == request
                        ):
                            opened = env["data"]
            assert opened is not None, "no RetentionCaseOpened within 60 s"
            await asyncio.sleep(1)  # the second copy, had it opened another case
    finally:
        await listener.stop()
    assert opened["customer_id"] == customer
    assert (opened["branch_id"], opened["kind"]) == ("B001", "designation_cancel")
    async with db.sessionmaker() as session:
        cases = list((await session.execute(select(RetentionCase))).scalars())
    assert [(c.case_id, c.request_id, c.branch_id) for c in cases] == [
        (opened["case_id"], request, "B001")
    ]
