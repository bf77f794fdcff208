"""The issue's yardstick: a bare asyncpg script doing the same dedupe-and-upsert, one connection.

Issue #3 gives "about 50,000 events/s" for it on the development machine. Run beside
bench/ingest.py, it says how fast this machine is at the time: the ingest's own figure
means little on a machine whose speed drifts by 2x within an hour.

Per batch of 10,000 settled trades (from the simulator, as bytes, parsed with orjson):
insert the trade ids into a table with a unique key (ON CONFLICT DO NOTHING RETURNING),
then add the new trades' commission to per-customer balances (ON CONFLICT DO UPDATE),
in one transaction. No Kafka, no tiers, no ledger text: the floor under the real path.

.venv/bin/python bench/reference_asyncpg.py --events 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import asyncpg
import orjson

from trading_sim import DayConfig, generate_day

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
BATCH = 10_000


async def run(events: int) -> dict[str, object]:
    cfg = DayConfig(
        customers=max(1, events // 5),
        trades_per_customer=5,
        cancel_rate=0,
        transfers=0,
        snapshots=False,
        seed=4242,
    )
    raws = [value for _topic, _key, value in generate_day(cfg)]
    name = f"bench_reference_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(f"{PG}/{name}")
        await conn.execute(
            "CREATE TABLE seen (trade_id TEXT PRIMARY KEY);"
            "CREATE TABLE balance (customer_id TEXT PRIMARY KEY, points NUMERIC(18,2) NOT NULL)"
        )
        started = time.perf_counter()
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
                        sums[t["customer_id"]] = sums.get(t["customer_id"], 0) + float(
                            t["commission"]
                        )
                await conn.execute(
                    "INSERT INTO balance SELECT * FROM unnest($1::text[], $2::numeric[]) "
                    "ON CONFLICT (customer_id) DO UPDATE SET points = balance.points + excluded.points",
                    list(sums),
                    list(sums.values()),
                )
        elapsed = time.perf_counter() - started
        await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {"events": events, "events_per_s": round(events / elapsed)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    print(asyncio.run(run(parser.parse_args().events)))
