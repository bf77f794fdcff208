"""Round trip through a real broker: a transfer request in, a retention case and its
RetentionCaseOpened out on ops.cases; trades in, the month's figures once each."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from brokerage_common import OutboxRelay
from ops_assessment_svc.config import Settings
from ops_assessment_svc.db import PLATFORM
from ops_assessment_svc.figures.models import CustomerMonthFigure
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


async def test_ops_bus_transfer_request_to_case_and_trades_to_figures(
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
    trades = [build.trade(f"TB{tag}-{i}", customer, "1000.00", "2.50") for i in range(3)]
    messages = [_raw(build.transfer(request, customer)), *map(_raw, trades), _raw(trades[0])]
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
            figure: CustomerMonthFigure | None = None
            while time.monotonic() < deadline:
                async with db.sessionmaker() as session:
                    figure = await session.get(CustomerMonthFigure, (customer, "2026-11"))
                if figure is not None and figure.commission == Decimal("7.50"):
                    break
                await asyncio.sleep(0.2)
    finally:
        await listener.stop()
    assert opened["customer_id"] == customer
    async with db.sessionmaker() as session:
        case = await session.get(RetentionCase, opened["case_id"])
    assert case is not None
    assert case.request_id == request
    # Three trades, one delivered twice: each counted once.
    assert figure is not None
    assert (figure.traded_amount, figure.commission) == (Decimal("3000.00"), Decimal("7.50"))
