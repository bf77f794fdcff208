"""The ingest's CPU floors: what the unavoidable parts of one settled trade cost, alone.

Against the targets' budgets on this 2-core machine: 70,000 events/s from two workers
leaves 2 cores / 70,000 = 28.6 µs of CPU per event for everything (workers, PostgreSQL,
broker); 40,000 from one worker leaves its one Python thread 25 µs per event.

1. Consume and decode: the worker's consumer settings, 10,000 records a poll, each
   decoded by the worker's fast decoder, nothing else. Once with aiokafka (what the
   worker uses), once with confluent-kafka (librdkafka; its fetch threads counted too).
2. The ledger append in PostgreSQL: COPY of the exact ledger lines the worker writes
   (the real points_entry table and indexes), 1,000 a transaction, on one and on two
   connections; PostgreSQL's CPU per row.

.venv/bin/python bench/floors.py --events 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
import zlib
from pathlib import Path

import asyncpg
import orjson
from confluent_kafka import Consumer
from ingest import bench_day

from brokerage_common import Database, topics
from brokerage_common.broker import LocalBroker
from brokerage_common.kafka import KafkaConnection, make_consumer
from brokerage_common.wire import fast_decoder
from tiering_svc.ingest.service import _TRADE_LINE_COLUMNS
from tiering_svc.models import metadata
from trading_sim import generate_day, publish

LEDGER_COLUMNS = list(_TRADE_LINE_COLUMNS)  # the worker's own ledger lines
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
LOG_DIR = Path(__file__).resolve().parent.parent / "data" / "bench"
POLL = 10_000


def day(events: int) -> list[tuple[str, str, bytes]]:
    return list(generate_day(bench_day(events)))


async def consume_aiokafka(bootstrap: str, n: int) -> dict[str, object]:
    consumer = make_consumer(
        bootstrap, group_id=f"floor-{uuid.uuid4().hex[:6]}", session_timeout_ms=6000
    )
    consumer.subscribe([topics.TRADE_SETTLED.name])
    await consumer.start()
    decode = fast_decoder({"TradeSettled"})
    assert decode is not None
    got, cpu0, t0 = 0, 0.0, 0.0
    try:
        while got < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=POLL)
            if batches and not got:
                cpu0, t0 = time.process_time(), time.perf_counter()
            for records in batches.values():
                got += len(records)
                for r in records:
                    decode(r.value)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    finally:
        await consumer.stop()
    return {"cpu_us_per_event": round(cpu / got * 1e6, 2), "events_per_s": round(got / wall)}


def consume_confluent(bootstrap: str, n: int) -> dict[str, object]:
    consumer = Consumer(
        {
            **KafkaConnection(bootstrap).confluent_config(),
            "group.id": f"floor-{uuid.uuid4().hex[:6]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "fetch.max.bytes": 32 * 1024 * 1024,
            "max.partition.fetch.bytes": 4 * 1024 * 1024,
        }
    )
    consumer.subscribe([topics.TRADE_SETTLED.name])
    decode = fast_decoder({"TradeSettled"})
    assert decode is not None
    got, cpu0, thread0, t0 = 0, 0.0, 0.0, 0.0
    try:
        while got < n:
            messages = consumer.consume(num_messages=POLL, timeout=0.5)
            if messages and not got:
                cpu0, thread0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
            got += len(messages)
            for m in messages:
                decode(m.value())
        cpu, thread = time.process_time() - cpu0, time.thread_time() - thread0
        wall = time.perf_counter() - t0
    finally:
        consumer.close()
    return {
        "cpu_us_per_event": round(cpu / got * 1e6, 2),
        "python_thread_us_per_event": round(thread / got * 1e6, 2),
        "events_per_s": round(got / wall),
    }


def postgres_cpu_s() -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / tick


def ledger_lines(messages: list[tuple[str, str, bytes]], parts: int) -> list[list[str]]:
    """The worker's COPY lines (a standard-tier award), split by customer like partitions."""
    now = "2026-11-23T10:00:00+00:00"
    out: list[list[str]] = [[] for _ in range(parts)]
    for _topic, key, value in messages:
        d = orjson.loads(value)["data"]
        c, t = d["commission"], d["trade_id"]
        out[zlib.crc32(key.encode()) % parts].append(
            f"{d['customer_id']}\t{c}\ttrade\ttrade:{t}\t{t}\tcommission {c} x 1.0 (standard)"
            f"\tsystem\tstandard\t{c}\t{d['settled_on']}\t{now}\n"
        )
    return out


async def ledger_append(messages: list[tuple[str, str, bytes]], conns: int) -> dict[str, object]:
    name = f"bench_floor_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(f"postgresql+asyncpg://{PG.removeprefix('postgresql://')}/{name}")
        await db.create_all(metadata)
        await db.dispose()
        parts = ledger_lines(messages, conns)
        connections = [await asyncpg.connect(f"{PG}/{name}") for _ in range(conns)]

        async def append(conn: asyncpg.Connection, lines: list[str]) -> None:
            for i in range(0, len(lines), 1000):
                payload = "".join(lines[i : i + 1000]).encode()
                async with conn.transaction():
                    await conn.copy_to_table(
                        "points_entry", source=memoryview(payload), columns=LEDGER_COLUMNS
                    )

        cpu0, t0 = postgres_cpu_s(), time.perf_counter()
        await asyncio.gather(*(append(c, p) for c, p in zip(connections, parts, strict=True)))
        wall, cpu = time.perf_counter() - t0, postgres_cpu_s() - cpu0
        for c in connections:
            await c.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    n = len(messages)
    return {
        "connections": conns,
        "postgres_cpu_us_per_row": round(cpu / n * 1e6, 1),
        "rows_per_s": round(n / wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    events = parser.parse_args().events
    messages = day(events)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    broker = LocalBroker(log_path=LOG_DIR / "floors-broker.log").start()
    try:
        broker.create_topics()
        asyncio.run(publish(messages, broker.bootstrap))
        print(
            "consume + decode, aiokafka:", asyncio.run(consume_aiokafka(broker.bootstrap, events))
        )
        print("consume + decode, confluent-kafka:", consume_confluent(broker.bootstrap, events))
    finally:
        broker.stop()
    for conns in (1, 2):
        print("ledger append (COPY), PostgreSQL:", asyncio.run(ledger_append(messages, conns)))
    print(
        "budgets: two workers at 70,000/s: 28.6 µs of CPU per event for workers, PostgreSQL "
        "and broker together; one worker at 40,000/s: 25 µs on its Python thread"
    )


if __name__ == "__main__":
    main()
