"""The issue's yardstick: a bare asyncpg script doing the same dedupe-and-upsert.

Issue #3 gives "about 50,000 events/s" for it with one connection on the development
machine. Run beside bench/ingest.py, it says how fast this machine is at the time: the
ingest's own figure means little on a machine whose speed drifts by 2x within an hour.

Per batch of 10,000 settled trades (from the simulator, as bytes, parsed with orjson):
insert the trade ids into a table with a unique key (ON CONFLICT DO NOTHING RETURNING),
then add the new trades' commission to per-customer balances (ON CONFLICT DO UPDATE),
in one transaction. No Kafka, no tiers, no ledger text: the floor under the real path.

With ``--connections N``, N processes (one connection each, the same two tables) take
the customers split by key, as N workers take a topic's partitions: what two cores can
do for N writers at best, beside the target for N workers.

.venv/bin/python bench/reference_asyncpg.py --events 1000000 [--connections 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import time
import uuid
import zlib
from typing import Any

import asyncpg
import orjson
from ingest import DB_TAG, bench_day

from trading_sim import generate_day

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
BATCH = 10_000


def _messages(events: int, part: int, parts: int) -> list[bytes]:
    cfg = bench_day(events)
    return [
        value
        for _topic, key, value in generate_day(cfg)
        if zlib.crc32(key.encode()) % parts == part
    ]


async def _ingest(name: str, raws: list[bytes]) -> None:
    conn = await asyncpg.connect(f"{PG}/{name}")
    for i in range(0, len(raws), BATCH):
        trades = [orjson.loads(raw)["data"] for raw in raws[i : i + BATCH]]
        async with conn.transaction():
            new = {
                r[0]
                for r in await conn.fetch(
                    "INSERT INTO seen SELECT unnest($1::text[]) "
                    "ON CONFLICT DO NOTHING RETURNING trade_id",
                    [t["trade_id"] for t in trades],
                )
            }
            sums: dict[str, float] = {}
            for t in trades:
                if t["trade_id"] in new:
                    sums[t["customer_id"]] = sums.get(t["customer_id"], 0) + float(t["commission"])
            await conn.execute(
                "INSERT INTO balance SELECT * FROM unnest($1::text[], $2::numeric[]) "
                "ON CONFLICT (customer_id) DO UPDATE SET points = balance.points + excluded.points",
                list(sums),
                list(sums.values()),
            )
    await conn.close()


def _child(name: str, events: int, part: int, parts: int, ready: Any, go: Any, done: Any) -> None:
    raws = _messages(events, part, parts)
    ready.put(len(raws))
    go.wait()
    asyncio.run(_ingest(name, raws))
    done.put(time.perf_counter())


async def _admin(sql: str) -> None:
    admin = await asyncpg.connect(f"{PG}/postgres")
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


async def _create_tables(name: str) -> None:
    conn = await asyncpg.connect(f"{PG}/{name}")
    await conn.execute(
        "CREATE TABLE seen (trade_id TEXT PRIMARY KEY);"
        "CREATE TABLE balance (customer_id TEXT PRIMARY KEY, points NUMERIC(18,2) NOT NULL)"
    )
    await conn.close()


def run(events: int, connections: int) -> dict[str, object]:
    name = f"bench_reference_{DB_TAG}_{uuid.uuid4().hex[:8]}".replace("__", "_")
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_create_tables(name))
        ctx = mp.get_context("fork")
        ready, done, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        procs = [
            ctx.Process(target=_child, args=(name, events, i, connections, ready, go, done))
            for i in range(connections)
        ]
        for p in procs:
            p.start()
        total = sum(ready.get() for _ in procs)
        started = time.perf_counter()
        go.set()
        finished = max(done.get() for _ in procs)
        for p in procs:
            p.join()
        elapsed = finished - started
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return {"events": total, "connections": connections, "events_per_s": round(total / elapsed)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=1)
    args = parser.parse_args()
    print(run(args.events, args.connections))
