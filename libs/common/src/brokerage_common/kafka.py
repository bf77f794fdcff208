"""Kafka clients (aiokafka) configured the platform's way, and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import (
    IncompatibleBrokerVersion,
    KafkaError,
    TopicAlreadyExistsError,
    UnsupportedVersionError,
)

from . import _aiokafka_compat

_aiokafka_compat.install()
log = logging.getLogger(__name__)


def make_producer(
    bootstrap: str, *, client_id: str = "brokerage", **overrides: Any
) -> AIOKafkaProducer:
    """An idempotent producer: acks from all in-sync replicas, no duplicates on its own retries."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 15000,
        "retry_backoff_ms": 200,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def make_consumer(
    bootstrap: str,
    *,
    group_id: str,
    session_timeout_ms: int = 10000,
    **overrides: Any,
) -> AIOKafkaConsumer:
    """A consumer that never auto-commits: offsets are committed after the database commit."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session_timeout_ms,
        "heartbeat_interval_ms": max(100, session_timeout_ms // 5),
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
        "fetch_max_bytes": 32 * 1024 * 1024,
        "isolation_level": "read_uncommitted",
        # A topic that is missing for a moment (a broker restarted empty, until ensure_topics
        # re-creates it) is seen again within seconds, not after the default 5 minutes:
        # until then the group has no partition of it to read.
        "metadata_max_age_ms": 5000,
    }
    options.update(overrides)
    return AIOKafkaConsumer(**options)


async def ensure_topics(bootstrap: str, specs: Mapping[str, int], *, attempts: int = 30) -> None:
    """Create the topics that do not exist yet (idempotent); waits for the broker to come up.

    A topic that exists with fewer partitions than declared (created on first use by a
    client that asked the broker to, with the broker's default count) is grown to its
    count; a broker that cannot add partitions (Tansu) gets the topic re-created, but only
    while it is empty: never at the price of a message.
    """
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [NewTopic(name, n, 1) for name, n in specs.items() if name not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
            present = [name for name in specs if name in existing]
            if present:
                await _repair_partition_counts(admin, bootstrap, specs, present)
            return
        except (KafkaError, OSError) as exc:
            if attempt == attempts:
                raise
            log.info("broker not ready (%s), retrying", type(exc).__name__)
            await asyncio.sleep(min(2.0, 0.2 * attempt))
        finally:
            await admin.close()


async def partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    described = await admin.describe_topics(names)
    return {t["topic"]: len(t["partitions"]) for t in described if t.get("error_code", 0) == 0}


async def _repair_partition_counts(
    admin: AIOKafkaAdminClient, bootstrap: str, specs: Mapping[str, int], names: list[str]
) -> None:
    counts = await partition_counts(admin, names)
    short = {name: specs[name] for name, n in counts.items() if n < specs[name]}
    if not short:
        return
    try:
        await admin.create_partitions({name: NewPartitions(n) for name, n in short.items()})
        log.warning("topics grown to their declared partition counts", extra={"topics": short})
        return
    except (IncompatibleBrokerVersion, UnsupportedVersionError):
        pass  # Tansu: no CreatePartitions
    empty = await _empty_topics(bootstrap, {name: counts[name] for name in short})
    for name, n in short.items():
        if name not in empty:
            log.error(
                "topic has fewer partitions than declared and holds messages; not re-created",
                extra={"topic": name, "partitions": counts[name], "declared": n},
            )
    if empty:
        await admin.delete_topics(sorted(empty))
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(name, short[name], 1) for name in sorted(empty)])
        log.warning(
            "empty topics re-created with their declared partition counts",
            extra={"topics": sorted(empty)},
        )


async def _empty_topics(bootstrap: str, counts: Mapping[str, int]) -> set[str]:
    """Those of the topics (name -> partitions) in which no partition holds a message."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(name, p) for name, n in counts.items() for p in range(n)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    full = {tp.topic for tp, end in ends.items() if end > 0}
    return {name for name in counts if name not in full}


async def broker_reachable(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """Cheap readiness probe: can a TCP connection to a bootstrap server be opened?"""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout_s)
        except (OSError, TimeoutError, ValueError):
            continue
        writer.close()
        return True
    return False


def topic_names(specs: Iterable[str]) -> list[str]:
    return sorted(specs)
