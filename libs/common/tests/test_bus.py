"""The idempotent consumer and the outbox against a real broker and a real database.

The toy service of bus_consumer_proc.py applies TradeSettled events with a handler that is
not idempotent by itself, so every duplicate application shows up in its totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, func, select, text

from brokerage_common.broker import LocalBroker
from brokerage_common.consumer import IdempotentConsumer, RetryBatch, batch_handler
from brokerage_common.db import Database
from brokerage_common.events import Envelope, TradeSettled, new_envelope
from brokerage_common.kafka import ensure_topics, make_consumer, make_producer
from brokerage_common.outbox import Outbox, OutboxRelay
from brokerage_common.settings import CommonSettings
from brokerage_common.topics import TRADE_SETTLED, all_topic_specs

pytestmark = pytest.mark.bus

PROC_PATH = Path(__file__).with_name("bus_consumer_proc.py")


def _load_toy() -> Any:
    name = "brokerage_common_tests_bus_toy"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROC_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


toy = _load_toy()
MakeDatabase = Callable[[MetaData], Awaitable[Database]]


# ------------------------------------------------------------------------------------------ helpers


def uid() -> str:
    return uuid.uuid4().hex[:10]


def trade(
    customer_id: str, n: int, commission: Decimal, *, trade_id: str | None = None
) -> TradeSettled:
    return TradeSettled(
        trade_id=trade_id or f"T{customer_id}-{n:06d}",
        customer_id=customer_id,
        account_id=f"A{customer_id}"[:32],
        market="SH",
        security_code="600519",
        side="B",
        quantity=100,
        price=Decimal("1520.00"),
        amount=Decimal("152000.00"),
        commission=commission,
        trade_date=date(2026, 11, 20),
        settled_on=date(2026, 11, 20),
    )


def commission_for(i: int) -> Decimal:
    return Decimal(f"{(i * 37) % 500}.{(i * 13) % 100:02d}")


def envelope(event: TradeSettled) -> Envelope[Any]:
    return new_envelope(event, source="settlement-system")


def trades_of(customers: list[str], each: int) -> list[Envelope[Any]]:
    """``each`` trades per customer, customer by customer, with varied commissions."""
    return [
        envelope(trade(c, i, commission_for(i + k)))
        for k, c in enumerate(customers)
        for i in range(each)
    ]


async def send(producer: AIOKafkaProducer, topic: str, env: Envelope[Any]) -> None:
    await producer.send(topic, key=env.data.key.encode(), value=env.to_json())


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, within_s: float, what: str, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + within_s
    while True:
        if await condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within_s}s waiting for {what}")
        await asyncio.sleep(interval)


async def scalar(db: Database, stmt: Any) -> Any:
    async with db.sessionmaker() as session:
        return (await session.execute(stmt)).scalar_one()


async def processed_count(db: Database, group: str) -> int:
    pe = toy.tables.processed_event
    return int(await scalar(db, select(func.count()).select_from(pe).where(pe.c.consumer == group)))


async def processed_ids(db: Database, group: str) -> set[str]:
    pe = toy.tables.processed_event
    async with db.sessionmaker() as session:
        return set(
            (await session.execute(select(pe.c.event_id).where(pe.c.consumer == group))).scalars()
        )


async def totals_fen(db: Database, customers: Iterable[str]) -> dict[str, tuple[int, int]]:
    t = toy.totals
    async with db.sessionmaker() as session:
        rows = (
            await session.execute(
                select(t.c.customer_id, t.c.total_fen, t.c.events).where(
                    t.c.customer_id.in_(list(customers))
                )
            )
        ).all()
    return {r.customer_id: (int(r.total_fen), int(r.events)) for r in rows}


async def log_rows(db: Database, customers: Iterable[str]) -> list[Any]:
    log = toy.applied_log
    async with db.sessionmaker() as session:
        return list(
            (
                await session.execute(
                    select(log.c.customer_id, log.c.event_id, log.c.trade_id)
                    .where(log.c.customer_id.in_(list(customers)))
                    .order_by(log.c.seq)
                )
            ).all()
        )


async def dead_letters(db: Database, group: str) -> list[Any]:
    dl = toy.tables.dead_letter
    async with db.sessionmaker() as session:
        return list(
            (
                await session.execute(
                    select(dl).where(dl.c.consumer == group).order_by(dl.c.offset)
                )
            ).all()
        )


@contextlib.asynccontextmanager
async def running(consumer: IdempotentConsumer) -> AsyncIterator[asyncio.Task[None]]:
    """Run the consumer in a task; on exit stop it and surface any crash."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def read_topic(bootstrap: str, topic: str, *, within_s: float = 15.0) -> list[Any]:
    """Every record of ``topic`` from the beginning to its current end, with a plain consumer."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + within_s
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            batch = await consumer.getmany(timeout_ms=200)
            for tp_records in batch.values():
                records.extend(tp_records)
        return records
    finally:
        await consumer.stop()


@pytest.fixture
async def producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = make_producer(bootstrap, client_id="bus-test")
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


@pytest.fixture
async def topic(bootstrap: str) -> str:
    """A fresh topic of this test (3 partitions) with its dead-letter topic."""
    name = f"test.toy.{uid()}"
    await ensure_topics(bootstrap, {name: 3, f"{name}.dlq": 1})
    return name


@pytest.fixture
async def db(make_database: MakeDatabase) -> Database:
    return await make_database(toy.metadata)


# ------------------------------------------------------------------------------------ a) duplicates


async def test_duplicates_are_applied_once(
    db: Database, bootstrap: str, topic: str, producer: AIOKafkaProducer
) -> None:
    run = uid()
    customers = [f"D{run}{c}" for c in range(5)]
    envs = trades_of(customers, 40)
    expected = {c: (0, 0) for c in customers}
    for e in envs:
        total, n = expected[e.data.customer_id]
        expected[e.data.customer_id] = (total + toy.fen(e.data.commission), n + 1)

    # Every message twice, back to back: duplicates inside one batch.
    for e in envs:
        await send(producer, topic, e)
        await send(producer, topic, e)
    await producer.flush()

    group = f"toy-dup-{run}"
    consumer = toy.make_consumer(db=db, bootstrap=bootstrap, group=group, topics=[topic])
    async with running(consumer) as task:
        await wait_until(
            lambda: _eq(processed_count(db, group), len(envs)), within_s=30, what="first delivery"
        )
        # Everything again, in later batches, then one new event per customer behind it.
        for e in envs:
            await send(producer, topic, e)
        sentinels = [envelope(trade(c, 999, Decimal("1.23"))) for c in customers]
        for e in sentinels:
            await send(producer, topic, e)
        await producer.flush()
        await wait_until(
            lambda: _eq(processed_count(db, group), len(envs) + len(sentinels)),
            within_s=30,
            what="sentinels",
        )
        assert not task.done()

    for c in customers:
        total, n = expected[c]
        expected[c] = (total + 123, n + 1)
    assert await totals_fen(db, customers) == expected
    assert await processed_ids(db, group) == {e.id for e in envs + sentinels}
    log = await log_rows(db, customers)
    assert len(log) == len(envs) + len(sentinels)
    assert Counter(r.event_id for r in log).most_common(1)[0][1] == 1
    assert consumer.applied_total == len(envs) + len(sentinels)
    assert await dead_letters(db, group) == []

    # Redelivery: the group's offsets go back to the start (as after a crash between the
    # database commit and the offset commit); a new instance of the consumer reads it all again.
    def duplicates_seen() -> float:
        labels = {"consumer": group, "topic": topic}
        return REGISTRY.get_sample_value("brokerage_consumer_events_duplicate_total", labels) or 0.0

    def applied_seen() -> float:
        labels = {"consumer": group, "topic": topic}
        return REGISTRY.get_sample_value("brokerage_consumer_events_total", labels) or 0.0

    # Metrics: each event applied once; the in-batch copies and the second round are duplicates.
    assert applied_seen() == len(envs) + len(sentinels)
    seen_before = duplicates_seen()
    assert seen_before == 2 * len(envs)
    await rewind_group(bootstrap, group, topic)
    again = toy.make_consumer(db=db, bootstrap=bootstrap, group=group, topics=[topic])
    last = [envelope(trade(c, 1000, Decimal("0.07"))) for c in customers]
    for e in last:
        await send(producer, topic, e)
    await producer.flush()
    async with running(again):
        await wait_until(
            lambda: _eq(processed_count(db, group), len(envs) + 2 * len(customers)),
            within_s=30,
            what="the events after the rewind",
        )
    assert again.applied_total == len(customers)
    # It did read everything again, and skipped it by id.
    assert duplicates_seen() - seen_before == 3 * len(envs) + len(sentinels)
    for c in customers:
        total, n = expected[c]
        expected[c] = (total + 7, n + 1)
    assert await totals_fen(db, customers) == expected
    assert len(await log_rows(db, customers)) == len(envs) + 2 * len(customers)


async def rewind_group(bootstrap: str, group: str, topic: str) -> None:
    """Commit offset 0 on every partition of ``topic`` for ``group`` (no member may be running)."""
    consumer = make_consumer(bootstrap, group_id=group, session_timeout_ms=2000)
    consumer.subscribe([topic])
    await consumer.start()
    try:
        deadline = time.monotonic() + 15
        while not consumer.assignment():
            assert time.monotonic() < deadline, "never got the partitions"
            await consumer.getmany(timeout_ms=100, max_records=1)
        tps = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        assert len(tps) == 3
        assert sum([(await consumer.committed(tp)) or 0 for tp in tps]) > 0
        await consumer.commit({tp: 0 for tp in tps})
        assert [await consumer.committed(tp) for tp in tps] == [0] * len(tps)
    finally:
        await consumer.stop()


async def _eq(value: Awaitable[Any], expected: Any) -> bool:
    return (await value) == expected


# ------------------------------------------------------------------------------- b) crash mid-batch


async def test_sigkill_mid_batch_then_restart_applies_everything_exactly_once(
    db: Database,
    database_url: str,
    bootstrap: str,
    topic: str,
    producer: AIOKafkaProducer,
    tmp_path: Path,
) -> None:
    run = uid()
    customers = [f"K{run}{c:02d}" for c in range(30)]
    total_events = 3000
    expected: dict[str, tuple[int, int]] = {c: (0, 0) for c in customers}
    ids: set[str] = set()
    for i in range(total_events):
        c = customers[i % len(customers)]
        e = envelope(trade(c, i, commission_for(i)))
        ids.add(e.id)
        total, n = expected[c]
        expected[c] = (total + toy.fen(e.data.commission), n + 1)
        await send(producer, topic, e)
    await producer.flush()

    group = f"toy-crash-{run}"
    progress = tmp_path / "progress.log"
    env = {
        **os.environ,
        "TOY_DATABASE_URL": database_url,
        "TOY_BOOTSTRAP": bootstrap,
        "TOY_GROUP": group,
        "TOY_TOPIC": topic,
        "TOY_BATCH_MAX": "500",
        "TOY_BATCH_SLEEP_S": "0.15",
        "TOY_PROGRESS_FILE": str(progress),
    }

    def start() -> subprocess.Popen[bytes]:
        out = (tmp_path / "proc.log").open("ab")
        try:
            return subprocess.Popen(
                [sys.executable, str(PROC_PATH)], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        finally:
            out.close()

    def progress_lines() -> list[str]:
        return progress.read_text().splitlines() if progress.exists() else []

    proc = start()
    try:
        # Kill it while a batch is applying, after at least one batch committed.
        async def mid_batch() -> bool:
            assert proc.poll() is None, (tmp_path / "proc.log").read_text()
            lines = progress_lines()
            return any(x.startswith("commit") for x in lines) and lines[-1].startswith("begin")

        await wait_until(mid_batch, within_s=30, what="a batch in flight", interval=0.01)
        await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert progress_lines()[-1].startswith("begin"), "the kill did not land mid-batch"
    applied_at_kill = await processed_count(db, group)
    assert 0 < applied_at_kill < total_events
    log_at_kill = await log_rows(db, customers)
    assert len(log_at_kill) == applied_at_kill  # the batch in flight left nothing behind

    proc = start()
    try:
        await wait_until(
            lambda: _eq(processed_count(db, group), total_events),
            within_s=60,
            what="all events after restart",
        )
        await asyncio.sleep(0.5)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    assert await processed_count(db, group) == total_events
    assert await processed_ids(db, group) == ids
    assert await totals_fen(db, customers) == expected
    log = await log_rows(db, customers)
    assert len(log) == total_events
    assert {r.event_id for r in log} == ids
    assert await dead_letters(db, group) == []


# ------------------------------------------------------------------------------- c) poison messages


async def test_poison_messages_go_to_the_dead_letter_table_and_topic(
    db: Database, bootstrap: str, topic: str, producer: AIOKafkaProducer
) -> None:
    run = uid()
    customer = f"P{run}"
    key = customer.encode()
    good1 = envelope(trade(customer, 1, Decimal("10.00")))
    good2 = envelope(trade(customer, 2, Decimal("20.05")))
    good3 = envelope(trade(customer, 3, Decimal("0.01")))
    garbage = b"\x00\xff\xfe garbage \x00{not json"
    float_obj = orjson.loads(envelope(trade(customer, 9, Decimal("1.00"))).to_json())
    float_obj["data"]["commission"] = 38.0
    float_commission = orjson.dumps(float_obj)
    unknown_type = orjson.dumps(
        {**orjson.loads(good1.to_json()), "id": str(uuid.uuid4()), "type": "FutureThing"}
    )

    for value in (good1.to_json(), garbage, float_commission, unknown_type, None, good2.to_json()):
        await producer.send(topic, key=key, value=value)
    await producer.flush()

    group = f"toy-poison-{run}"
    consumer = toy.make_consumer(db=db, bootstrap=bootstrap, group=group, topics=[topic])
    async with running(consumer) as task:
        await wait_until(
            lambda: _eq(processed_count(db, group), 2), within_s=30, what="the good events"
        )
        await wait_until(
            lambda: _eq(_len(dead_letters(db, group)), 3), within_s=10, what="three dead letters"
        )
        # It keeps going after them.
        await send(producer, topic, good3)
        await producer.flush()
        await wait_until(
            lambda: _eq(processed_count(db, group), 3), within_s=30, what="the event after"
        )
        assert not task.done()

    assert await totals_fen(db, [customer]) == {customer: (1000 + 2005 + 1, 3)}
    assert await processed_ids(db, group) == {good1.id, good2.id, good3.id}

    dead = await dead_letters(db, group)
    assert [d.topic for d in dead] == [topic] * 3
    assert all(d.key == customer for d in dead)
    garbage_row, float_row, tombstone_row = dead
    assert garbage_row.reason.startswith("not JSON")
    assert float_row.reason.startswith("invalid TradeSettled")
    assert "commission" in float_row.reason
    assert "float" in float_row.reason
    assert orjson.loads(float_row.value)["data"]["commission"] == 38.0
    assert tombstone_row.value is None
    assert tombstone_row.reason == "envelope is not a JSON object"
    assert float_row.offset == garbage_row.offset + 1

    records = await read_topic(bootstrap, f"{topic}.dlq")
    assert len(records) == 3
    assert [r.value for r in records] == [garbage, float_commission, None]
    for record, row in zip(records, dead, strict=True):
        headers = {k: v.decode() for k, v in record.headers}
        assert record.key == key
        assert headers["dlq.reason"] == row.reason
        assert headers["dlq.topic"] == topic
        assert headers["dlq.offset"] == str(row.offset)
        assert headers["dlq.partition"] == str(row.partition)
        assert headers["dlq.consumer"] == group


async def _len(value: Awaitable[list[Any]]) -> int:
    return len(await value)


# ------------------------------------------------------------------------- d) outbox, paused broker


AGE = "brokerage_outbox_oldest_age_seconds"


def test_a_broker_whose_port_was_taken_meanwhile_moves_to_its_own(tmp_path: Path) -> None:
    """free_port's port is free only until someone binds it: under a loaded machine another
    suite's broker may take it before Tansu does. Tansu then exits, and "something listens"
    was true of the other broker: the paused-broker test saw the relay publish through it.
    The broker started must be the one listening, and pause must leave it stopped."""
    other = LocalBroker(log_path=tmp_path / "other.log").start()
    mine = LocalBroker(log_path=tmp_path / "mine.log")
    taken = mine.port = other.port  # as if another suite had bound it meanwhile
    try:
        mine.start()
        assert mine.port != taken
        assert mine.process is not None
        assert mine.process.poll() is None
        mine.pause()
        assert (
            Path(f"/proc/{mine.process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
        )
        mine.resume()
    finally:
        mine.stop()
        other.stop()


@pytest.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[LocalBroker]:
    """A broker of this test alone: it gets paused, which must not stall the other tests."""
    b = LocalBroker(log_path=tmp_path / "tansu.log").start()
    try:
        await ensure_topics(b.bootstrap, all_topic_specs())
        yield b
    finally:
        b.stop()


def outbox_api(db: Database) -> FastAPI:
    """A tiny API on the service database, to show it keeps answering while the broker hangs."""
    app = FastAPI()
    o = toy.tables.outbox

    @app.get("/outbox")
    async def outbox_state() -> dict[str, int]:
        async with db.sessionmaker() as session:
            total = (await session.execute(select(func.count()).select_from(o))).scalar_one()
            pending = (
                await session.execute(
                    select(func.count()).select_from(o).where(o.c.published_at.is_(None))
                )
            ).scalar_one()
        return {"total": total, "pending": pending}

    return app


async def test_outbox_relay_survives_a_paused_broker(db: Database, own_broker: LocalBroker) -> None:
    run = uid()
    customers = [f"O{run}{c}" for c in range(3)]
    outbox = Outbox(toy.tables, source="toy-svc")
    async with db.sessionmaker() as session:
        for i in range(30):
            await outbox.add(session, trade(customers[i % 3], i, commission_for(i)))
        await session.commit()

    own_broker.pause()
    stop = asyncio.Event()
    relay = OutboxRelay(
        db=db,
        tables=toy.tables,
        bootstrap=own_broker.bootstrap,
        service=f"toy-{run}",
        poll_interval_s=0.05,
    )
    task = asyncio.create_task(relay.run(stop))
    try:
        # The relay has read the 30 rows and is trying to publish them to the hung broker
        # (it sets the oldest row's age just before): a wait on that, not on a fixed 0.5 s.
        async def relay_trying() -> bool:
            return (REGISTRY.get_sample_value(AGE, {"service": f"toy-{run}"}) or 0.0) > 0.0

        await wait_until(relay_trying, within_s=20, what="the relay trying to publish")
        transport = httpx.ASGITransport(app=outbox_api(db))
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
            # While the broker hangs, a service transaction still commits at once...
            started = time.monotonic()
            async with db.sessionmaker() as session:
                await outbox.add(session, trade(customers[0], 100, Decimal("5.00")))
                await session.commit()
            assert time.monotonic() - started < 1.0
            # ...and the API keeps answering from the database.
            for _ in range(3):
                r = await asyncio.wait_for(client.get("/outbox"), timeout=1.0)
                assert r.status_code == 200
                assert r.json() == {"total": 31, "pending": 31}
                await asyncio.sleep(0.5)
        assert not task.done()
    finally:
        own_broker.resume()

    o = toy.tables.outbox
    try:
        await wait_until(
            lambda: _eq(
                scalar(db, select(func.count()).select_from(o).where(o.c.published_at.is_(None))), 0
            ),
            within_s=45,
            what="every outbox row published",
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)

    async with db.sessionmaker() as session:
        rows = (await session.execute(select(o.c.event_id, o.c.key, o.c.payload, o.c.topic))).all()
    assert len(rows) == 31
    assert {r.topic for r in rows} == {TRADE_SETTLED.name}
    records = await read_topic(own_broker.bootstrap, TRADE_SETTLED.name)
    published = {orjson.loads(r.value)["id"]: r for r in records}
    assert set(published) == {r.event_id for r in rows}
    for row in rows:
        record = published[row.event_id]
        assert record.key == row.key.encode()
        assert record.value == row.payload.encode()


# --------------------------------------------------------------------------- e) librdkafka producer


async def test_message_from_a_librdkafka_producer_is_applied(
    db: Database, bootstrap: str, topic: str
) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    run = uid()
    customer = f"L{run}"
    envs = [envelope(trade(customer, i, Decimal(f"{i}.25"))) for i in range(1, 4)]

    def produce() -> int:
        producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        errors: list[Any] = []
        for e in envs:
            producer.produce(
                topic,
                key=customer.encode(),
                value=e.to_json(),
                headers=[("producer", b"librdkafka")],
                on_delivery=lambda err, _msg: errors.append(err) if err else None,
            )
        remaining = producer.flush(15)
        assert remaining == 0
        assert errors == []
        return len(envs)

    assert await asyncio.to_thread(produce) == 3

    group = f"toy-rdkafka-{run}"
    consumer = toy.make_consumer(db=db, bootstrap=bootstrap, group=group, topics=[topic])
    async with running(consumer):
        await wait_until(
            lambda: _eq(processed_count(db, group), 3), within_s=30, what="librdkafka events"
        )
    assert await totals_fen(db, [customer]) == {customer: (125 + 225 + 325, 3)}
    assert await processed_ids(db, group) == {e.id for e in envs}
    assert await dead_letters(db, group) == []


# ---------------------------------------------------------------------------- f) per-customer order


async def test_outbox_rows_of_a_customer_are_consumed_in_id_order(
    db: Database, bootstrap: str
) -> None:
    run = uid()
    customers = [f"F{run}{c}" for c in range(3)]
    outbox = Outbox(toy.tables, source="toy-svc")
    n = 0
    for _tx in range(8):
        async with db.sessionmaker() as session:
            for _ in range(12):
                c = customers[(n * 7 + n // 5) % 3]
                await outbox.add(session, trade(c, n, commission_for(n)))
                n += 1
            await session.commit()

    relay = OutboxRelay(
        db=db, tables=toy.tables, bootstrap=bootstrap, service=f"toy-{run}", batch_size=17
    )
    try:
        published = 0
        while (count := await relay.relay_once()) > 0:
            published += count
        assert published == n
    finally:
        await relay.close()

    o = toy.tables.outbox
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(o.c.id, o.c.key, o.c.payload).order_by(o.c.id))).all()
    expected = {
        c: [orjson.loads(r.payload)["data"]["trade_id"] for r in rows if r.key == c]
        for c in customers
    }

    group = f"toy-order-{run}"
    consumer = toy.make_consumer(
        db=db, bootstrap=bootstrap, group=group, topics=[TRADE_SETTLED.name]
    )
    async with running(consumer):
        await wait_until(
            lambda: _eq(_len(log_rows(db, customers)), n), within_s=30, what="the customers' events"
        )
    log = await log_rows(db, customers)
    for c in customers:
        assert [r.trade_id for r in log if r.customer_id == c] == expected[c]
        assert len(expected[c]) >= 15


async def test_the_relay_batches_on_the_partition_send_would_choose_in_id_order(
    db: Database, bootstrap: str, producer: AIOKafkaProducer
) -> None:
    run = uid()
    customers = [f"P{run}{c}" for c in range(6)]
    outbox = Outbox(toy.tables, source="toy-svc")
    async with db.sessionmaker() as session:
        for n in range(40):
            await outbox.add(session, trade(customers[n * 5 % 6], n, commission_for(n)))
        await session.commit()
    # Batches of ~one message: every batch fills, so full batches are sent mid-relay.
    small = make_producer(bootstrap, client_id="bus-test-small", max_batch_size=600)
    await small.start()
    relay = OutboxRelay(
        db=db, tables=toy.tables, bootstrap=bootstrap, service=f"toy-{run}", producer=small
    )
    try:
        assert await relay.relay_once() == 40
    finally:
        await relay.close()
        await small.stop()

    # Where a plain send() puts each key, on a topic of as many partitions.
    scratch = f"test.toy.partitions.{run}"
    count = len(await producer.partitions_for(TRADE_SETTLED.name))
    await ensure_topics(bootstrap, {scratch: count})
    send_partition = {
        c: (await producer.send_and_wait(scratch, key=c.encode(), value=b"-")).partition
        for c in customers
    }
    assert len(set(send_partition.values())) > 1  # the keys spread: the check can fail

    o = toy.tables.outbox
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(o.c.key, o.c.payload).order_by(o.c.id))).all()
    expected = {
        c: [orjson.loads(r.payload)["data"]["trade_id"] for r in rows if r.key == c]
        for c in customers
    }
    got: dict[str, list[str]] = {c: [] for c in customers}
    for record in sorted(
        await read_topic(bootstrap, TRADE_SETTLED.name), key=lambda r: (r.partition, r.offset)
    ):
        key = record.key.decode()
        if key in got:
            assert record.partition == send_partition[key], key
            got[key].append(orjson.loads(record.value)["data"]["trade_id"])
    assert got == expected


# --------------------------------------------------------------------- g) one transaction per batch


async def test_a_rejected_event_is_isolated_and_the_batch_is_applied_once(
    db: Database,
    bootstrap: str,
    topic: str,
    producer: AIOKafkaProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = uid()
    customer = f"G{run}"
    goods = [envelope(trade(customer, i, Decimal(f"{i}.0{i}"))) for i in range(1, 10)]
    bad = envelope(trade(customer, 99, Decimal("7.00"), trade_id=f"{toy.REJECT_PREFIX}-{run}"))
    batch = [*goods[:5], bad, *goods[5:]]
    for e in batch:
        await send(producer, topic, e)
    await producer.flush()

    group = f"toy-reject-{run}"
    committed: list[str] = []
    consumer = toy.make_consumer(
        db=db,
        bootstrap=bootstrap,
        group=group,
        topics=[topic],
        after_commit=lambda applied: committed.extend(e.id for e in applied),
    )
    with caplog.at_level(logging.WARNING, logger="brokerage_common.consumer"):
        async with running(consumer):
            await wait_until(
                lambda: _eq(_len(dead_letters(db, group)), 1), within_s=30, what="the dead letter"
            )
            await wait_until(
                lambda: _eq(processed_count(db, group), 9), within_s=10, what="the good events"
            )
    assert any(r.getMessage() == "batch rejected, isolating the event" for r in caplog.records)

    expected_fen = sum(toy.fen(e.data.commission) for e in goods)
    assert await totals_fen(db, [customer]) == {customer: (expected_fen, 9)}
    log = await log_rows(db, [customer])
    # The batch attempt that failed left no trace: each good event was applied exactly once.
    assert [r.event_id for r in log] == [e.id for e in goods]
    assert await processed_ids(db, group) == {e.id for e in goods}
    assert sorted(committed) == sorted(e.id for e in goods)

    (dead,) = await dead_letters(db, group)
    assert dead.reason.startswith("handler rejected: PermanentEventError")
    assert orjson.loads(dead.value)["id"] == bad.id
    records = await read_topic(bootstrap, f"{topic}.dlq")
    assert len(records) == 1
    headers = {k: v.decode() for k, v in records[0].headers}
    assert headers["dlq.reason"].startswith("handler rejected")
    assert orjson.loads(records[0].value)["id"] == bad.id


# -------------------------------------------------------------------- relay leadership (PostgreSQL)


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="advisory locks need PostgreSQL"
)
async def test_one_relay_leads_and_it_recovers_when_its_lock_session_dies(
    db: Database, bootstrap: str
) -> None:
    run = uid()
    service = f"toy-lead-{run}"
    outbox = Outbox(toy.tables, source="toy-svc")
    o = toy.tables.outbox

    async def add(n: int) -> None:
        async with db.sessionmaker() as session:
            for i in range(n):
                await outbox.add(session, trade(f"R{run}", i, Decimal("1.00")))
            await session.commit()

    async def pending() -> int:
        return int(
            await scalar(db, select(func.count()).select_from(o).where(o.c.published_at.is_(None)))
        )

    leader = OutboxRelay(
        db=db, tables=toy.tables, bootstrap=bootstrap, service=service, poll_interval_s=0.05
    )
    standby = OutboxRelay(db=db, tables=toy.tables, bootstrap=bootstrap, service=service)
    stop = asyncio.Event()
    await add(5)
    task = asyncio.create_task(leader.run(stop))
    try:
        await wait_until(lambda: _eq(pending(), 0), within_s=20, what="the leader publishing")
        assert not await standby._acquire_leadership()
        await standby.close()

        # The database ends the leader's lock session (failover, idle timeout, admin).
        async with db.sessionmaker() as session:
            pids = (
                (
                    await session.execute(
                        text(
                            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database ="
                            " (SELECT oid FROM pg_database WHERE datname = current_database())"
                        )
                    )
                )
                .scalars()
                .all()
            )
            assert len(pids) == 1
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
            await session.commit()

        await add(5)
        await wait_until(
            lambda: _eq(pending(), 0), within_s=20, what="publishing after the lock session died"
        )
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


# ------------------------------------------ handlers deduping by key, lanes, the fast decode path


def trade_once_handler(seen_types: list[str] | None = None) -> Any:
    """A batch handler idempotent by its own business key (the trade id), like tiering's
    ledger: it applies a trade only if the toy log does not hold its trade id yet."""

    @batch_handler(dedupes_by_key=True)
    async def apply_new_trades(session: Any, envs: list[Envelope[Any]]) -> int:
        log = toy.applied_log
        ids = [e.data.trade_id for e in envs]
        done = set(
            (await session.execute(select(log.c.trade_id).where(log.c.trade_id.in_(ids)))).scalars()
        )
        applied = 0
        for env in envs:
            if seen_types is not None:
                seen_types.append(type(env).__name__)
            if env.data.trade_id in done:
                continue
            done.add(env.data.trade_id)
            await toy.apply_trade(session, env)
            applied += 1
        return applied

    return apply_new_trades


async def _const(value: Any) -> Any:
    return value


def metric(name: str, group: str, topic: str) -> float:
    return REGISTRY.get_sample_value(name, {"consumer": group, "topic": topic}) or 0.0


async def test_a_handler_deduping_by_key_gets_no_event_id_claims_and_applies_each_trade_once(
    db: Database, bootstrap: str, topic: str, producer: AIOKafkaProducer
) -> None:
    run = uid()
    customers = [f"K{run}{c}" for c in range(3)]
    envs = [envelope(trade(c, i, commission_for(i))) for c in customers for i in range(10)]
    # The same trades again under new event ids: only the trade id tells they are known.
    resent = [new_envelope(e.data, source="settlement-system") for e in envs]
    sentinels = [envelope(trade(c, 999, Decimal("1.23"))) for c in customers]
    for e in envs:
        await send(producer, topic, e)
        await send(producer, topic, e)  # a copy in the same batch
    for e in [*resent, *sentinels]:
        await send(producer, topic, e)
    await producer.flush()

    group = f"toy-keyed-{run}"
    consumer = toy.make_consumer(
        db=db, bootstrap=bootstrap, group=group, topics=[topic], handler=trade_once_handler()
    )
    async with running(consumer):
        await wait_until(
            lambda: _eq(_len(log_rows(db, customers)), len(envs) + len(sentinels)),
            within_s=30,
            what="every trade once",
        )
        await wait_until(
            lambda: _eq(
                _const(metric("brokerage_consumer_events_duplicate_total", group, topic)),
                2 * len(envs),
            ),
            within_s=10,
            what="the metrics",
        )

    expected = {c: (0, 0) for c in customers}
    for e in [*envs, *sentinels]:
        total, n = expected[e.data.customer_id]
        expected[e.data.customer_id] = (total + toy.fen(e.data.commission), n + 1)
    assert await totals_fen(db, customers) == expected
    log = await log_rows(db, customers)
    assert sorted(r.trade_id for r in log) == sorted(e.data.trade_id for e in [*envs, *sentinels])
    # The consumer recorded no event ids for this type: the trade id is the dedupe key.
    assert await processed_count(db, group) == 0
    # Each trade counts once as applied; the in-batch copies and the re-sent ones are
    # duplicates (the handler said so by its return value).
    assert metric("brokerage_consumer_events_total", group, topic) == len(envs) + len(sentinels)
    assert metric("brokerage_consumer_events_duplicate_total", group, topic) == 2 * len(envs)
    assert consumer.applied_total == len(envs) + len(sentinels)


async def test_lanes_apply_each_customer_in_order_and_a_failed_part_is_retried_once(
    db: Database, bootstrap: str, topic: str, producer: AIOKafkaProducer
) -> None:
    run = uid()
    customers = [f"L{run}{c}" for c in range(8)]
    envs = trades_of(customers, 6)
    flaky = envs[9].data.trade_id
    failures: list[str] = []

    async def apply_or_fail_once(session: Any, env: Envelope[Any]) -> None:
        if env.data.trade_id == flaky and not failures:
            failures.append(env.id)
            raise RetryBatch("a lost race, the first time only")
        await toy.apply_trade(session, env)

    for e in envs:
        await send(producer, topic, e)
    await producer.flush()

    group = f"toy-lanes-{run}"
    consumer = toy.make_consumer(
        db=db,
        bootstrap=bootstrap,
        group=group,
        topics=[topic],
        handler=apply_or_fail_once,
        lanes=2,
        batch_max=7,  # many small batches, each split into lanes
    )
    assert consumer.lanes == 2
    async with running(consumer):
        await wait_until(
            lambda: _eq(processed_count(db, group), len(envs)), within_s=30, what="every event"
        )

    assert failures, "the flaky trade failed once"
    # Offsets moved to the end of every partition.
    assert sum(consumer._committed.values()) == len(envs)
    expected = {c: (0, 0) for c in customers}
    for e in envs:
        total, n = expected[e.data.customer_id]
        expected[e.data.customer_id] = (total + toy.fen(e.data.commission), n + 1)
    # Nothing is applied twice: not the failed part on its retry, not the lanes around it.
    assert await totals_fen(db, customers) == expected
    log = await log_rows(db, customers)
    for c in customers:
        assert [r.event_id for r in log if r.customer_id == c] == [
            e.id for e in envs if e.data.customer_id == c
        ]


def test_lanes_keep_a_customer_in_one_lane_in_its_order() -> None:
    from brokerage_common.consumer import _Batch, _Parsed

    records = [
        type("R", (), {"key": f"C{i % 5}".encode(), "n": i, "topic": "t"})() for i in range(40)
    ]
    batch = _Batch(records, [_Parsed(r, None) for r in records], [], {})  # type: ignore[arg-type]
    lanes = batch.lanes(2)
    assert sum(len(p) for p, _ in lanes) == 40
    for parsed, _ in lanes:
        for c in {p.record.key for p in parsed}:
            mine = [p.record.n for p in parsed if p.record.key == c]
            assert mine == [r.n for r in records if r.key == c]  # all of it, in order
    assert batch.lanes(1) == [(batch.parsed, batch.dead)]


async def test_what_the_fast_decoder_refuses_goes_the_contracts_way(
    db: Database, bootstrap: str, topic: str, producer: AIOKafkaProducer
) -> None:
    run = uid()
    customer = f"F{run}"
    plain = envelope(trade(customer, 1, Decimal("10.00")))
    # The contract (pydantic, lax) takes a quantity written as a string; the wire struct
    # does not, so this one takes the slow path and is applied all the same.
    quoted = orjson.loads(envelope(trade(customer, 2, Decimal("20.05"))).to_json())
    quoted["data"]["quantity"] = "100"
    # An unknown extra field: both accept it.
    extra = orjson.loads(envelope(trade(customer, 3, Decimal("0.01"))).to_json())
    extra["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    # A float commission: both refuse it, it is dead-lettered.
    floated = orjson.loads(envelope(trade(customer, 4, Decimal("1.00"))).to_json())
    floated["data"]["commission"] = 1.0
    for value in (
        plain.to_json(),
        orjson.dumps(quoted),
        orjson.dumps(extra),
        orjson.dumps(floated),
    ):
        await producer.send(topic, key=customer.encode(), value=value)
    await producer.flush()

    group = f"toy-fast-{run}"
    seen: list[str] = []
    consumer = toy.make_consumer(
        db=db, bootstrap=bootstrap, group=group, topics=[topic], handler=trade_once_handler(seen)
    )
    async with running(consumer):
        await wait_until(
            lambda: _eq(_len(dead_letters(db, group)), 1), within_s=30, what="the dead letter"
        )
        await wait_until(
            lambda: _eq(_len(log_rows(db, [customer])), 3), within_s=10, what="three trades"
        )
    assert await totals_fen(db, [customer]) == {customer: (1000 + 2005 + 1, 3)}
    assert sorted(seen) == sorted(
        ["TradeSettledEnvelope", "Envelope[TradeSettled]", "TradeSettledEnvelope"]
    )
    (dead,) = await dead_letters(db, group)
    assert "commission" in dead.reason


async def test_the_relay_reports_the_age_of_the_oldest_row_waiting(
    db: Database, producer: AIOKafkaProducer, bootstrap: str
) -> None:
    run = uid()
    service = f"toy-{run}"
    outbox = Outbox(toy.tables, source="toy-svc")
    async with db.sessionmaker() as session:
        for n in range(3):
            await outbox.add(session, trade(f"A{run}", n, commission_for(n)))
        # The first row waited two minutes (a relay that was down).
        first = (await session.execute(select(func.min(toy.tables.outbox.c.id)))).scalar_one()
        await session.execute(
            toy.tables.outbox.update()
            .where(toy.tables.outbox.c.id == first)
            .values(created_at=datetime.now(UTC) - timedelta(seconds=120))
        )
        await session.commit()
    relay = OutboxRelay(
        db=db, tables=toy.tables, bootstrap=bootstrap, service=service, producer=producer
    )

    def age() -> float | None:
        return REGISTRY.get_sample_value(
            "brokerage_outbox_oldest_age_seconds", {"service": service}
        )

    assert await relay.relay_once() == 3
    # Measured when the batch was read: the first row had waited two minutes.
    assert 120 <= (age() or 0) < 180
    assert await relay.relay_once() == 0
    assert age() == 0  # nothing waits any more


# ------------------------------------------------------------- h) the settings' plaintext path


async def test_a_relay_and_consumer_from_local_settings_carry_the_cloudevents_header(
    db: Database, bootstrap: str
) -> None:
    """The local (PLAINTEXT) connection the settings build still works end to end, and every
    message the outbox publishes says it is a structured-mode CloudEvent."""
    run = uid()
    settings = CommonSettings(service_name=f"toy-{run}", kafka_bootstrap_servers=bootstrap)
    assert settings.kafka_security_protocol == "PLAINTEXT"
    customer = f"H{run}"
    outbox = Outbox(toy.tables, source="toy-svc")
    async with db.sessionmaker() as session:
        envs = [await outbox.add(session, trade(customer, n, commission_for(n))) for n in range(3)]
        await session.commit()
    relay = OutboxRelay.from_settings(settings, db, toy.tables)
    try:
        assert await relay.relay_once() == 3
    finally:
        await relay.close()

    mine = [
        r for r in await read_topic(bootstrap, TRADE_SETTLED.name) if r.key == customer.encode()
    ]
    assert [orjson.loads(r.value)["id"] for r in mine] == [e.id for e in envs]
    for record in mine:
        assert list(record.headers) == [
            ("content-type", b"application/cloudevents+json; charset=UTF-8")
        ]
        assert orjson.loads(record.value)["specversion"] == "1.0"

    consumer = IdempotentConsumer.from_settings(
        settings,
        db,
        toy.tables,
        topics=[TRADE_SETTLED.name],
        handlers={"TradeSettled": toy.apply_trade},
        name=f"toy-settings-{run}",
    )
    async with running(consumer):
        await wait_until(
            lambda: _eq(_len(log_rows(db, [customer])), 3), within_s=30, what="the events"
        )
