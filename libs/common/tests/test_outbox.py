"""Outbox.add_many writes the envelopes itself: the same rows, byte for byte, as the model."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime
from decimal import Decimal

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import MetaData, select

from brokerage_common import events as ev
from brokerage_common.db import Database
from brokerage_common.events import new_envelope
from brokerage_common.outbox import Outbox, _partition, _uuid4s
from brokerage_common.tables import platform_tables

EVENTS: list[ev.Event] = [
    ev.TierChanged(
        customer_id="C000123",
        old_tier="standard",
        new_tier="silver",
        reason="upgrade",
        effective_on=date(2026, 11, 20),
        next_review=date(2026, 12, 1),
    ),
    ev.PointsRedeemed(
        customer_id="C-7_x",
        redemption_id="R1",
        points=Decimal("1200.50"),
        kind="sms_months",
        sms_product="SMS2",
        months=3,
        valid_until=date(2027, 2, 28),
    ),
    ev.NotificationRequested(
        customer_id="C9",
        template_code="HOLIDAY",
        category="marketing",
        params={"holiday": "国庆节", "q": 'say "hi"\\\n\t\u2028', "e": "😀"},
    ),
]


def model_rows(outbox: Outbox, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """What the model path gives for the same events, ids and time."""
    expected = []
    for event, row in zip(EVENTS, rows, strict=True):
        at = datetime.fromisoformat(orjson.loads(str(row["payload"]))["time"])
        env = new_envelope(event, source=outbox.source, event_id=str(row["event_id"]), time=at)
        expected.append(outbox._row(env, row["created_at"]))  # type: ignore[arg-type]
    return expected


def test_the_rows_are_the_models_byte_for_byte() -> None:
    outbox = Outbox(platform_tables(MetaData()), source="tiering-svc")
    now = datetime.fromisoformat("2026-12-02T01:02:03.456789+00:00")
    rows = outbox._rows(EVENTS, now)
    assert rows == model_rows(outbox, rows)
    assert [r["event_type"] for r in rows] == [
        "TierChanged",
        "PointsRedeemed",
        "NotificationRequested",
    ]
    assert [r["key"] for r in rows] == ["C000123", "C-7_x", "C9"]
    assert len({r["event_id"] for r in rows}) == 3
    # The envelope validates as the contract says.
    for row, event in zip(rows, EVENTS, strict=True):
        env = ev.envelope_model(type(event)).model_validate_json(str(row["payload"]))
        assert env.data == event
        assert env.source == "tiering-svc"
        assert env.time.utcoffset().total_seconds() == 8 * 3600  # China time


def test_ids_are_random_version_4_uuids() -> None:
    ids = _uuid4s(1000)
    assert len(set(ids)) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
    assert _uuid4s(0) == []


@pytest.mark.parametrize("source", ["tiering-svc", 'odd "source"', "营业部"])
async def test_add_many_stores_what_the_model_would(make_database: object, source: str) -> None:
    """Also with a source JSON would have to escape: then the model writes the envelopes."""
    tables = platform_tables(MetaData())
    db: Database = await make_database(tables.outbox.metadata)  # type: ignore[operator]
    outbox = Outbox(tables, source=source)
    async with db.sessionmaker() as session:
        assert await outbox.add_many(session, EVENTS) == 3
        await session.commit()
    async with db.sessionmaker() as session:
        stored = (
            (await session.execute(select(tables.outbox).order_by(tables.outbox.c.id)))
            .mappings()
            .all()
        )
    rows = [
        {
            k: r[k]
            for k in ("event_id", "topic", "key", "event_type", "payload", "created_at", "attempts")
        }
        for r in stored
    ]
    for row, expected in zip(rows, model_rows(outbox, rows), strict=True):
        assert row["payload"] == expected["payload"]
        assert (row["event_id"], row["topic"], row["key"], row["event_type"]) == (
            expected["event_id"],
            expected["topic"],
            expected["key"],
            expected["event_type"],
        )


def test_events_keyed_by_other_than_a_customer_get_their_own_key_and_subject() -> None:
    """A closing price is keyed by its security code, content by its id (events.md)."""
    events: list[ev.BaseEvent] = [
        ev.ClosingPricePublished(
            security_code="000300",
            market="SH",
            kind="index",
            trade_date=date(2026, 11, 20),
            close=Decimal("3950.12"),
        ),
        ev.ContentAudienceResolved(
            content_id='K "1"', chunk_no=1, chunk_count=1, customer_ids=["C1", "C2"]
        ),
    ]
    outbox = Outbox(platform_tables(MetaData()), source="advisory-svc")
    now = datetime.fromisoformat("2026-12-02T01:02:03.456789+00:00")
    rows = outbox._rows(events, now)
    assert [r["key"] for r in rows] == ["000300", 'K "1"']
    for row, event in zip(rows, events, strict=True):
        at = datetime.fromisoformat(orjson.loads(str(row["payload"]))["time"])
        env = new_envelope(event, source="advisory-svc", event_id=str(row["event_id"]), time=at)
        assert row == outbox._row(env, now)
    assert [orjson.loads(str(r["payload"]))["subject"] for r in rows] == ["000300", 'K "1"']


@pytest.mark.parametrize("count", [1, 2, 3, 6, 12])
def test_relay_partition_is_the_one_send_would_choose(count: int) -> None:
    """The relay's own murmur2 picks what aiokafka's default partitioner picks, for keys of
    every length up to 40 bytes (every tail length, several words) and of any byte."""
    rng = random.Random(count)
    partitions = tuple(range(count))
    aiokafka = DefaultPartitioner()
    keys = [b"", b"C000123", "客户-1".encode()] + [
        rng.randbytes(length) for length in range(41) for _ in range(25)
    ]
    for key in keys:
        assert _partition(key, partitions) == aiokafka(key, list(partitions), list(partitions))
    # Not constant: the keys spread over the partitions.
    assert len({_partition(key, partitions) for key in keys}) == count
