"""Kafka clients (aiokafka) configured the platform's way, and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

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
    }
    options.update(overrides)
    return AIOKafkaConsumer(**options)


async def ensure_topics(bootstrap: str, specs: Mapping[str, int], *, attempts: int = 30) -> None:
    """Create the topics that do not exist yet (idempotent); waits for the broker to come up."""
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [NewTopic(name, n, 1) for name, n in specs.items() if name not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
            return
        except (KafkaError, OSError) as exc:
            if attempt == attempts:
                raise
            log.info("broker not ready (%s), retrying", type(exc).__name__)
            await asyncio.sleep(min(2.0, 0.2 * attempt))
        finally:
            await admin.close()


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
