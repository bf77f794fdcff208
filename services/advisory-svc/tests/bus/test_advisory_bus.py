"""Round trips through a real broker: points-paid SMS from tiering's PointsRedeemed, and a tier
drop that lets a bundle run out, both ending in events relayed to the trading system's topic.

Topics are shared by the session's tests: each test uses its own customer ids and group."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from advisory_svc.config import Settings
from advisory_svc.models import PLATFORM, Subscription
from advisory_svc.subscriptions.service import run_daily_jobs
from advisory_svc.worker import build_consumer, build_relay
from brokerage_common import Database, Outbox, new_envelope
from brokerage_common import events as ev
from brokerage_common.kafka import make_producer

pytestmark = pytest.mark.bus


async def _wait_for(check: Callable[[], Awaitable[Any]], *, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.2)


async def _published(bootstrap: str, topic: str, key: str, types: set[str]) -> list[dict[str, Any]]:
    """Read a topic from the start until every type of ``types`` was seen for ``key``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while not types <= {e["type"] for e in seen}:
            assert time.monotonic() < deadline, f"only saw {[e['type'] for e in seen]}"
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen += [orjson.loads(r.value) for r in records if r.key and r.key.decode() == key]
        return seen
    finally:
        await consumer.stop()


@pytest.fixture
def bus_settings(database_url: str, bootstrap: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        kafka_bootstrap_servers=bootstrap,
        consumer_session_timeout_ms=2000,
        outbox_poll_interval_s=0.05,
    )


@pytest.fixture
async def worker(bus_settings: Settings, db: Database) -> AsyncIterator[None]:
    consumer = build_consumer(bus_settings, db, group_id=f"advisory-test-{uuid.uuid4().hex[:8]}")
    relay = build_relay(bus_settings, db)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(consumer.run(stop)), asyncio.create_task(relay.run(stop))]
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)


async def _send(bootstrap: str, *events: ev.BaseEvent) -> None:
    producer = make_producer(bootstrap, client_id="advisory-bus-test")
    await producer.start()
    try:
        for event in events:
            env = new_envelope(event, source="test")
            await producer.send(event.TOPIC.name, key=event.key.encode(), value=env.to_json())
        await producer.flush()
    finally:
        await producer.stop()


def _registered(cid: str, tier: str, level: str) -> list[ev.BaseEvent]:
    return [
        ev.CustomerRegistered(
            customer_id=cid,
            name="李娜",
            phone="13900001234",
            branch_id="B001",
            opened_on=date(2020, 1, 2),
            birth_month_day="01-02",
            onsite=True,
        ),
        ev.TierChanged(
            customer_id=cid,
            old_tier="standard",
            new_tier=tier,
            reason="upgrade",
            effective_on=date(2026, 11, 1),
        ),  # type: ignore[arg-type]
        ev.RiskProfileAssessed(
            customer_id=cid,
            assessment_id=f"RA-{cid}",
            capacity_score=70,
            capacity_level="mid_high",
            tolerance_score=70,
            tolerance_level="mid_high",
            risk_level=level,  # type: ignore[arg-type]
            assessed_on=date(2026, 11, 1),
            valid_until=date(2028, 10, 31),
        ),
    ]


async def _subs(db: Database, cid: str) -> list[Subscription]:
    async with db.sessionmaker() as session:
        return list(
            (
                await session.execute(select(Subscription).where(Subscription.customer_id == cid))
            ).scalars()
        )  # type: ignore[arg-type]


async def test_points_paid_sms_arrives_once_and_is_announced(
    bootstrap: str, db: Database, worker: None
) -> None:
    cid = f"CB{uuid.uuid4().hex[:8]}"
    redemption = ev.PointsRedeemed(
        customer_id=cid,
        redemption_id=f"R-{cid}",
        points=Decimal("20.00"),
        kind="sms_months",
        sms_product="SMS3",
        months=2,
        valid_until=date(2027, 1, 31),
    )
    # The same redemption twice, as two events (a producer retry with a new id).
    await _send(bootstrap, *_registered(cid, "silver", "C2"), redemption, redemption)
    subs = await _wait_for(lambda: _subs(db, cid))
    seen = await _published(bootstrap, "advisory.products", cid, {"ProductSubscribed"})
    await asyncio.sleep(1.0)  # room for a second subscription, were the duplicate applied
    subs = await _subs(db, cid)
    assert [(s.product_code, s.payment, s.status, s.points) for s in subs] == [
        ("SMS3", "points", "active", Decimal("20.00"))
    ]
    announced = [e for e in seen if e["type"] == "ProductSubscribed"]
    assert announced[0]["data"]["payment"] == "points"
    assert announced[0]["data"]["ends_on"] == "2027-01-31"


async def test_a_tier_drop_runs_the_bundle_out_and_ends_it(
    bootstrap: str,
    db: Database,
    worker: None,
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
) -> None:
    cid = f"CT{uuid.uuid4().hex[:8]}"
    await _send(bootstrap, *_registered(cid, "gold", "C4"))

    async def known() -> bool:
        r = await client.get(f"/v1/customers/{cid}/offers", headers=auth("staff"))
        return (
            r.status_code == 200 and r.json()["tier"] == "gold" and r.json()["risk_level"] == "C4"
        )

    await _wait_for(known)
    assert (
        await client.post(f"/v1/customers/{cid}/agreements", json={}, headers=auth("staff"))
    ).status_code == 201
    r = await client.post(
        f"/v1/customers/{cid}/subscriptions",
        json={"product_code": "B", "term_months": 2},
        headers=auth("staff"),
    )
    assert r.status_code == 201, r.text
    await _send(
        bootstrap,
        ev.TierChanged(
            customer_id=cid,
            old_tier="gold",
            new_tier="silver",
            reason="review",
            effective_on=date(2026, 12, 1),
        ),
    )

    async def ran_out() -> bool:
        bundle = next(s for s in await _subs(db, cid) if s.product_code == "B")
        return not bundle.renewable

    await _wait_for(ran_out)
    bundle = next(s for s in await _subs(db, cid) if s.product_code == "B")
    assert (bundle.ends_on, bundle.drop_notice_on) == (date(2026, 12, 31), date(2026, 12, 24))
    async with db.sessionmaker() as session:
        await run_daily_jobs(
            session,
            today=date(2027, 1, 1),
            standard_rate=Decimal("0.00025"),
            outbox=Outbox(PLATFORM, source="advisory-svc"),
        )
        await session.commit()
    seen = await _published(
        bootstrap, "advisory.products", cid, {"ProductSubscribed", "ProductUnsubscribed"}
    )
    ended = [
        e["data"]
        for e in seen
        if e["type"] == "ProductUnsubscribed" and e["data"]["product_code"] == "B"
    ]
    assert ended
    assert ended[0]["reason"] == "tier_drop"
    assert ended[0]["ended_on"] == "2026-12-31"
    notify = await _published(bootstrap, "notify.commands", cid, {"NotificationRequested"})
    assert notify[0]["data"]["template_code"] == "BUNDLE_ENDING"
