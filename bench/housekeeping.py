"""Housekeeping on 10 million processed-event ids (PostgreSQL): rows pruned per second, the
longest lock hold, and what the consumer's hot path (its id claims) sees meanwhile.

.venv/bin/python bench/housekeeping.py [--rows 10000000] [--outbox-rows 1000000]

The ids are spread evenly over the last 30 days, so a 7-day retention prunes ~77% of them.
Printed beside the yardstick measured in the same run: one bare ``DELETE ... WHERE
processed_at < cutoff`` on a copy of the same table, which is as fast as a delete gets
and holds its locks (and its transaction) for its whole run. The housekeeper's figure to
read is the longest window: no lock is held longer, whatever the table's size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

from brokerage_common.db import Database
from brokerage_common.housekeeping import Housekeeper
from brokerage_common.tables import platform_tables

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
NAME = "bench_reliability_housekeeping"
RETENTION = timedelta(days=7)
SPREAD = timedelta(days=30)


async def create_database() -> str:
    admin = create_async_engine(SERVER, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    await admin.dispose()
    return f"{SERVER.rsplit('/', 1)[0]}/{NAME}"


async def fill(db: Database, rows: int, outbox_rows: int, now: datetime) -> None:
    start = now - SPREAD
    step_us = SPREAD / timedelta(microseconds=1) / max(rows, 1)
    async with db.engine.begin() as conn:
        # Insert in id order of time (as a consumer does), random-looking event ids.
        await conn.execute(
            text(
                "INSERT INTO processed_event (consumer, event_id, processed_at)"
                " SELECT 'tiering-svc', md5(i::text),"
                " CAST(:start AS timestamptz) + make_interval(secs => i * CAST(:step AS double precision) / 1e6)"
                " FROM generate_series(1, :n) AS i"
            ),
            {"start": start, "step": step_us, "n": rows},
        )
        step_o = SPREAD / timedelta(microseconds=1) / max(outbox_rows, 1)
        await conn.execute(
            text(
                "INSERT INTO outbox_event (event_id, topic, key, event_type, payload,"
                " created_at, published_at, attempts)"
                " SELECT md5('o' || i::text), 'tiering.tiers', 'C' || (i % 100000)::text,"
                " 'TierChanged', repeat('x', 300), t, t + interval '50 milliseconds', 0"
                " FROM (SELECT i, CAST(:start AS timestamptz)"
                " + make_interval(secs => i * CAST(:step AS double precision) / 1e6) AS t"
                " FROM generate_series(1, :n) AS i) s"
            ),
            {"start": start, "step": step_o, "n": outbox_rows},
        )
    raw = create_async_engine(str(db.engine.url), isolation_level="AUTOCOMMIT")
    async with raw.connect() as conn:
        await conn.execute(text("VACUUM ANALYZE processed_event"))
        await conn.execute(text("VACUUM ANALYZE outbox_event"))
        await conn.execute(text("CREATE TABLE processed_event_yardstick AS TABLE processed_event"))
        await conn.execute(
            text("ALTER TABLE processed_event_yardstick ADD PRIMARY KEY (consumer, event_id)")
        )
        await conn.execute(text("VACUUM ANALYZE processed_event_yardstick"))
    await raw.dispose()


async def yardstick(db: Database, cutoff: datetime) -> tuple[int, float]:
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        result = await conn.execute(
            text("DELETE FROM processed_event_yardstick WHERE processed_at < :cut"),
            {"cut": cutoff},
        )
    return int(result.rowcount), time.perf_counter() - started


async def hot_path(db: Database, stop: asyncio.Event, latencies: list[float]) -> None:
    """The consumer's claim: a batch of 500 new ids, INSERT ... ON CONFLICT DO NOTHING."""
    while not stop.is_set():
        ids = [str(uuid.uuid4()) for _ in range(500)]
        started = time.perf_counter()
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO processed_event (consumer, event_id, processed_at)"
                    " SELECT 'tiering-svc', unnest(CAST(:ids AS text[])), now()"
                    " ON CONFLICT DO NOTHING"
                ),
                {"ids": ids},
            )
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--outbox-rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    cutoff = now - RETENTION
    url = await create_database()
    db = Database(url, pool_size=4)
    tables = platform_tables(MetaData())
    await db.create_all(tables.outbox.metadata)
    t0 = time.perf_counter()
    await fill(db, args.rows, args.outbox_rows, now)
    print(
        f"filled {args.rows:,} processed_event and {args.outbox_rows:,} outbox_event rows"
        f" in {time.perf_counter() - t0:.0f} s (ids over 30 days, retention 7 days)"
    )

    n, seconds = await yardstick(db, cutoff)
    print(
        f"yardstick  one bare DELETE: {n:,} rows in {seconds:.1f} s = {n / seconds:,.0f} rows/s;"
        f" locks and transaction held {seconds * 1000:,.0f} ms"
    )

    baseline: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(hot_path(db, stop, baseline))
    await asyncio.sleep(5)
    stop.set()
    await task

    during: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(hot_path(db, stop, during))
    keeper = Housekeeper(
        db=db, tables=tables, service="bench", retention=RETENTION, batch_size=args.batch
    )
    report = await keeper.prune_once(now=now)
    stop.set()
    await task
    total = report.processed + report.outbox
    print(
        f"housekeeper {report.processed:,} processed_event + {report.outbox:,} outbox_event rows"
        f" in {report.seconds:.1f} s = {total / report.seconds:,.0f} rows/s;"
        f" {report.windows:,} windows of <= {args.batch:,} rows,"
        f" longest lock hold {report.longest_window_s * 1000:.1f} ms"
    )
    print(
        f"hot path   claim of 500 ids: p50 {pct(baseline, 0.5):.1f} / p99 {pct(baseline, 0.99):.1f}"
        f" ms alone, p50 {pct(during, 0.5):.1f} / p99 {pct(during, 0.99):.1f} ms while pruning"
        f" ({len(during)} claims; max {max(during, default=0) * 1000:.1f} ms,"
        f" mean {statistics.fmean(during) * 1000 if during else 0:.1f} ms)"
    )
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
