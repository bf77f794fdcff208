"""Issue 16 item 1 (routing): after the broker restarts empty, a tier change published on
the new broker reaches the routing answer within seconds, not at the next snapshot reload.

The feed's position on the changed customer's partition is past the new, shorter log;
without re-reading that partition from its start, the feed waited there until the log grew
past it or the snapshot reload (60 s here; the database does not know the customer, so the
reload cannot heal it either)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from brokerage_common import all_topic_specs, new_envelope
from brokerage_common import events as ev
from brokerage_common.broker import LocalBroker, free_port
from brokerage_common.kafka import ensure_topics, make_producer
from tiering_svc.models import CUSTOMER_TIER, metadata
from tiering_svc.routing.read_model import RoutingFeed, RoutingModel

pytestmark = pytest.mark.bus

DAY = date(2026, 11, 20)
CUSTOMER = "C730001"


async def _publish(bootstrap: str, events: list[ev.TierChanged]) -> None:
    producer = make_producer(bootstrap, client_id="bus-test")
    await producer.start()
    try:
        for event in events:
            env = new_envelope(event, source="bus-test")
            await producer.send_and_wait(
                event.TOPIC.name, key=event.key.encode(), value=env.to_json()
            )
    finally:
        await producer.stop()


def _change(old: str, new: str) -> ev.TierChanged:
    return ev.TierChanged(
        customer_id=CUSTOMER, old_tier=old, new_tier=new, reason="upgrade", effective_on=DAY
    )


async def _until_tier(model: RoutingModel, tier: str, within_s: float) -> float:
    started = time.monotonic()
    while model.answer(customer_id=CUSTOMER).get("tier") != tier:
        if time.monotonic() - started > within_s:
            raise AssertionError(f"routing did not answer {tier} within {within_s} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def own_broker(tmp_path: Path) -> Any:
    holder = {"broker": LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log").start()}
    try:
        yield holder
    finally:
        holder["broker"].stop()


async def test_routing_feed_resumes_at_once_after_a_broker_restart(
    own_broker: dict[str, LocalBroker], make_database: Any, tmp_path: Path
) -> None:
    broker = own_broker["broker"]
    await ensure_topics(broker.bootstrap, all_topic_specs())
    db = await make_database(metadata)
    model = RoutingModel()
    feed = RoutingFeed(model, db=db, bootstrap=broker.bootstrap, resync_interval_s=60)
    await feed.start()
    try:
        await asyncio.wait_for(feed.following.wait(), timeout=20)
        # Several changes on the customer's partition: the feed's position there passes 1.
        await _publish(
            broker.bootstrap,
            [_change("standard", "silver"), _change("silver", "gold"), _change("gold", "silver")],
        )
        await _until_tier(model, "silver", within_s=10)
        await asyncio.sleep(1.0)

        broker.stop()
        broker = own_broker["broker"] = LocalBroker(
            port=broker.port, log_path=tmp_path / "tansu2.log"
        ).start()
        await ensure_topics(broker.bootstrap, all_topic_specs())

        await _publish(broker.bootstrap, [_change("silver", "platinum")])
        took = await _until_tier(model, "platinum", within_s=8)
        assert model.answer(customer_id=CUSTOMER)["queue"] != "general"
        print(f"routing answered the change {took:.2f} s after it was published")
    finally:
        await feed.stop()


async def test_routing_feed_waits_for_its_topics_instead_of_following_nothing(
    own_broker: dict[str, LocalBroker], make_database: Any
) -> None:
    """Before its topics exist the feed must not say it follows (it assigned nothing and did);
    it retries every 2 s and follows once they are created."""
    broker = own_broker["broker"]
    db = await make_database(metadata)
    model = RoutingModel()
    feed = RoutingFeed(model, db=db, bootstrap=broker.bootstrap, resync_interval_s=60)
    await feed.start()
    try:
        await asyncio.sleep(3.0)
        assert not feed.following.is_set()
        await ensure_topics(broker.bootstrap, all_topic_specs())
        await asyncio.wait_for(feed.following.wait(), timeout=15)
        await _publish(broker.bootstrap, [_change("standard", "gold")])
        await _until_tier(model, "gold", within_s=8)
    finally:
        await feed.stop()


async def test_routing_feed_rereads_the_snapshot_when_it_starts_following(
    own_broker: dict[str, LocalBroker], make_database: Any
) -> None:
    """What reached the database before the feed followed (a worker wrote it while the feed
    was away) is answered once the feed follows, not at the next re-read (10 minutes here);
    the first snapshot does not wait for a broker without topics for longer than its
    ``first_follow_wait_s``."""
    broker = own_broker["broker"]
    db = await make_database(metadata)
    model = RoutingModel()
    feed = RoutingFeed(
        model, db=db, bootstrap=broker.bootstrap, resync_interval_s=600, first_follow_wait_s=2
    )
    await feed.start()
    try:
        await asyncio.sleep(3.0)  # the first snapshot is read (empty); no topics: no feed
        assert model.loaded
        assert not feed.following.is_set()
        async with db.sessionmaker() as session, session.begin():
            await session.execute(
                insert(CUSTOMER_TIER).values(
                    customer_id=CUSTOMER,
                    tier="gold",
                    tier_since=DAY,
                    phone="13900073001",
                    updated_at=datetime.now(UTC),
                )
            )
        await ensure_topics(broker.bootstrap, all_topic_specs())
        await asyncio.wait_for(feed.following.wait(), timeout=15)
        await _until_tier(model, "gold", within_s=5)
        assert model.answers[b"phone=13900073001"] == model.answer_json(phone="13900073001")
    finally:
        await feed.stop()


async def test_routing_feed_reads_the_snapshot_once_at_start_when_the_broker_is_up(
    own_broker: dict[str, LocalBroker], make_database: Any
) -> None:
    """At start the snapshot is read after the feed follows, once: not before it and again."""
    broker = own_broker["broker"]
    await ensure_topics(broker.bootstrap, all_topic_specs())
    db = await make_database(metadata)
    model = RoutingModel()
    reads = 0
    load = model.load

    async def counted(database: Any) -> None:
        nonlocal reads
        reads += 1
        await load(database)

    model.load = counted  # type: ignore[method-assign]
    feed = RoutingFeed(model, db=db, bootstrap=broker.bootstrap, resync_interval_s=600)
    await feed.start()
    try:
        await asyncio.wait_for(feed.following.wait(), timeout=15)
        for _ in range(100):
            if model.loaded:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        assert model.loaded
        assert reads == 1
    finally:
        await feed.stop()
