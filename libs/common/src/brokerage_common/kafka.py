"""Kafka clients (aiokafka) configured the platform's way, and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import (
    IncompatibleBrokerVersion,
    KafkaError,
    TopicAlreadyExistsError,
    UnsupportedVersionError,
)

from . import _aiokafka_compat

if TYPE_CHECKING:
    from .settings import CommonSettings, KafkaSaslMechanism, KafkaSecurityProtocol

_aiokafka_compat.install()
log = logging.getLogger(__name__)


class InsecureKafkaConnection(ValueError):
    """Production settings that would connect to Kafka without authentication or encryption."""


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and how a client proves who it is: every producer, consumer and
    admin client of the platform is built from one (``client_options``), so a secured
    listener is configured once, in the settings, not per client."""

    bootstrap: str
    security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    sasl_mechanism: KafkaSaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> KafkaConnection:
        """The connection the settings describe (their consistency is checked there).

        Production refuses an unauthenticated, unencrypted connection unless
        ``KAFKA_ALLOW_PLAINTEXT`` says so, and SASL PLAIN. The refusal is here, where a
        process builds a Kafka client (its worker, tiering's routing follower), rather than in
        the settings: a process that never speaks Kafka (an API that only writes its outbox,
        the staff console) has nothing to secure.
        """
        if settings.is_production:
            if (
                settings.kafka_security_protocol == "PLAINTEXT"
                and not settings.kafka_allow_plaintext
            ):
                raise InsecureKafkaConnection(
                    "KAFKA_SECURITY_PROTOCOL=PLAINTEXT in production: use SASL_SSL (or SSL), or"
                    " set KAFKA_ALLOW_PLAINTEXT=true for a network trusted on purpose"
                )
            if settings.kafka_sasl_mechanism == "PLAIN":
                # PLAIN hands the password itself to the broker; SCRAM proves it without.
                raise InsecureKafkaConnection(
                    "KAFKA_SASL_MECHANISM=PLAIN is refused in production: use SCRAM-SHA-512"
                )
        return cls(
            bootstrap=settings.kafka_bootstrap_servers,
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_username=settings.kafka_sasl_username,
            sasl_password=settings.kafka_sasl_password,
            ssl_cafile=settings.kafka_ssl_cafile,
            ssl_certfile=settings.kafka_ssl_certfile,
            ssl_keyfile=settings.kafka_ssl_keyfile,
        )

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @cached_property
    def ssl_context(self) -> ssl.SSLContext | None:
        """Built once per connection (it reads the CA and key files) and shared by its clients.
        Certificates and host names are verified: the CA file is the cluster CA, or, without
        one, the system's trusted roots."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ssl_cafile)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client (producer, consumer, admin) gets."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context
        if self.uses_sasl:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        return options

    def confluent_config(self) -> dict[str, str]:
        """The same connection in librdkafka's terms (confluent-kafka clients)."""
        config = {"bootstrap.servers": self.bootstrap, "security.protocol": self.security_protocol}
        if self.uses_tls:
            config["ssl.endpoint.identification.algorithm"] = "https"
            optional = {
                "ssl.ca.location": self.ssl_cafile,
                "ssl.certificate.location": self.ssl_certfile,
                "ssl.key.location": self.ssl_keyfile,
            }
            config |= {key: value for key, value in optional.items() if value}
        if self.uses_sasl:
            config |= {
                "sasl.mechanisms": str(self.sasl_mechanism),
                "sasl.username": str(self.sasl_username),
                "sasl.password": str(self.sasl_password),
            }
        return config


CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
CLOUDEVENTS_HEADERS: tuple[tuple[str, bytes], ...] = (
    ("content-type", CLOUDEVENTS_CONTENT_TYPE.encode()),
)
"""The headers of an envelope on Kafka: the CloudEvents Kafka binding's structured mode says
so by this content type (consumers read the envelope from the value and need no header)."""

Connection = str | KafkaConnection
"""A ``KafkaConnection``, or bootstrap servers alone: a plaintext connection (local broker,
tests)."""


def as_connection(connection: Connection) -> KafkaConnection:
    return KafkaConnection(connection) if isinstance(connection, str) else connection


def make_producer(
    connection: Connection, *, client_id: str = "brokerage", **overrides: Any
) -> AIOKafkaProducer:
    """An idempotent producer: acks from all in-sync replicas, no duplicates on its own retries."""
    options: dict[str, Any] = {
        **as_connection(connection).client_options(),
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
    connection: Connection,
    *,
    group_id: str,
    session_timeout_ms: int = 10000,
    **overrides: Any,
) -> AIOKafkaConsumer:
    """A consumer that never auto-commits: offsets are committed after the database commit."""
    options: dict[str, Any] = {
        **as_connection(connection).client_options(),
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


async def ensure_topics(
    connection: Connection, specs: Mapping[str, int], *, attempts: int = 30
) -> None:
    """Create the topics that do not exist yet (idempotent); waits for the broker to come up.

    A topic that exists with fewer partitions than declared (created on first use by a
    client that asked the broker to, with the broker's default count) is grown to its
    count; a broker that cannot add partitions (Tansu) gets the topic re-created, but only
    while it is empty: never at the price of a message.
    """
    connection = as_connection(connection)
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(**connection.client_options(), request_timeout_ms=10000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [NewTopic(name, n, 1) for name, n in specs.items() if name not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
            present = [name for name in specs if name in existing]
            if present:
                await _repair_partition_counts(admin, connection, specs, present)
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
    admin: AIOKafkaAdminClient,
    connection: KafkaConnection,
    specs: Mapping[str, int],
    names: list[str],
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
    empty = await _empty_topics(connection, {name: counts[name] for name in short})
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


async def _empty_topics(connection: KafkaConnection, counts: Mapping[str, int]) -> set[str]:
    """Those of the topics (name -> partitions) in which no partition holds a message."""
    consumer = AIOKafkaConsumer(**connection.client_options(), enable_auto_commit=False)
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
