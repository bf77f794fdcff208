"""The consumer's view of a partition whose log ends below its offset (issue 16 item 1),
without a broker: the aiokafka consumer is a stand-in that reports a high watermark."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import MetaData

from brokerage_common.consumer import IdempotentConsumer
from brokerage_common.tables import platform_tables

TP = TopicPartition("trade.settled", 3)


class FakeKafka:
    def __init__(self, highwater: int) -> None:
        self.high = highwater
        self.sought: list[TopicPartition] = []
        self.committed_offsets: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def highwater(self, tp: TopicPartition) -> int:
        return self.high

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        self.sought.extend(tps)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed_offsets.update(offsets)


def consumer(name: str, kafka: FakeKafka) -> IdempotentConsumer:
    c = IdempotentConsumer(
        name=name,
        topics=["trade.settled"],
        db=None,  # type: ignore[arg-type]  # never reached: no batch is applied here
        tables=platform_tables(MetaData()),
        handlers={},
        bootstrap="127.0.0.1:9",
    )
    c._consumer = kafka  # type: ignore[assignment]
    return c


def sample(name: str, **labels: str) -> Any:
    return REGISTRY.get_sample_value(name, labels)


def test_the_lag_is_not_clamped_at_zero() -> None:
    c = consumer("lag-neg", FakeKafka(highwater=125))
    c._committed[TP] = 1075
    c._update_lag()
    assert (
        sample("brokerage_consumer_lag_messages", consumer="lag-neg", topic=TP.topic, partition="3")
        == -950
    )


async def test_a_log_ending_below_the_commit_is_re_read_from_its_start_and_counted() -> None:
    kafka = FakeKafka(highwater=125)
    c = consumer("log-end", kafka)
    c._committed[TP] = 1075
    await c._check_log_end()
    assert kafka.sought == [TP]
    assert c.log_end_resets == 1
    assert (
        sample(
            "brokerage_consumer_log_end_behind_total",
            consumer="log-end",
            topic=TP.topic,
            partition="3",
        )
        == 1
    )
    assert TP not in c._committed  # nothing stale left to compare against
    await c._check_log_end()
    assert c.log_end_resets == 1  # once per shrink, not on every poll


async def test_an_offset_past_the_partitions_end_is_never_committed() -> None:
    kafka = FakeKafka(highwater=125)
    c = consumer("no-commit-past-end", kafka)
    await c._send_commit({TP: 1075})
    assert kafka.committed_offsets == {}
    assert kafka.sought == [TP]
    await c._send_commit({TP: 120})
    assert kafka.committed_offsets == {TP: 120}


async def test_a_log_at_or_past_the_commit_is_left_alone() -> None:
    kafka = FakeKafka(highwater=1075)
    c = consumer("log-fine", kafka)
    c._committed[TP] = 1075
    c._applied_to[TP] = 1075
    await c._check_log_end()
    assert kafka.sought == []
    assert c.log_end_resets == 0
