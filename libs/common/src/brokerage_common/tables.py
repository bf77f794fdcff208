"""The platform tables every service database holds: outbox, processed events, dead letters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class PlatformTables:
    outbox: Table
    processed_event: Table
    dead_letter: Table


def platform_tables(metadata: MetaData) -> PlatformTables:
    """Define the outbox, processed-event and dead-letter tables in a service's metadata."""
    outbox = Table(
        "outbox_event",
        metadata,
        # The id orders publication: rows are relayed in id order, which keeps each
        # customer's events in the order their transactions committed them.
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(100), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
    )
    Index(
        "ix_outbox_event_unpublished",
        outbox.c.id,
        postgresql_where=outbox.c.published_at.is_(None),
        sqlite_where=outbox.c.published_at.is_(None),
    )
    processed = Table(
        "processed_event",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    dead_letter = Table(
        "dead_letter",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("consumer", String(100), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", String(200), nullable=True),
        Column("value", Text, nullable=True),
        Column("reason", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return PlatformTables(outbox=outbox, processed_event=processed, dead_letter=dead_letter)
