"""What the simulator publishes is what a service's outbox publishes: envelope and header."""

from __future__ import annotations

import uuid

import orjson
import pytest
from aiokafka import TopicPartition

from brokerage_common.kafka import ensure_topics, make_consumer
from trading_sim.day import publish

pytestmark = pytest.mark.bus


async def test_published_messages_carry_the_cloudevents_content_type(bootstrap: str) -> None:
    topic = f"test.sim.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, {topic: 1})
    value = orjson.dumps({"specversion": "1.0", "id": "e1", "type": "TradeSettled"})
    acked: list[int] = []
    messages = [(topic, "C1", value), (topic, "C2", value)]
    assert await publish(messages, bootstrap, progress=acked.append) == 2
    assert acked == [2]  # the progress callback sees the acknowledged count

    consumer = make_consumer(bootstrap, group_id=f"sim-{uuid.uuid4().hex[:6]}")
    tp = TopicPartition(topic, 0)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        records = (await consumer.getmany(tp, timeout_ms=10_000, max_records=10)).get(tp, [])
    finally:
        await consumer.stop()
    assert [r.key for r in records] == [b"C1", b"C2"]
    for record in records:
        assert list(record.headers) == [
            ("content-type", b"application/cloudevents+json; charset=UTF-8")
        ]
