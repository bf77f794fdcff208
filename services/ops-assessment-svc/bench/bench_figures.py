"""Benchmark: keeping the monthly figures from a settlement day's trades, beside tiering's
ingest of the same day in the same run, per event (target: at least as fast).

Both are driven the same way: the same parsed envelopes, in the consumer's batch size,
through each service's batch handler and a commit, on PostgreSQL, alternately (the
machine is shared: the best of the rounds counts). What the consumer does around a
handler (fetch, decode, offsets) is the same code for both and is left out; the Kafka
pipeline end to end is bench/ingest.py.

.venv/bin/python services/ops-assessment-svc/bench/bench_figures.py [--events 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import MetaData

from brokerage_common import Database, parse_envelope
from ops_assessment_svc.figures.handlers import on_trades_settled as ops_handler
from ops_assessment_svc.models import metadata as ops_metadata
from tiering_svc.config import Settings as TieringSettings
from tiering_svc.handlers import Handlers as TieringHandlers
from tiering_svc.models import metadata as tiering_metadata
from trading_sim import DayConfig, generate_day

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
BATCH = 10_000


async def fresh(name: str, metadata: MetaData) -> Database:
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db = Database(f"postgresql+asyncpg://{PG.removeprefix('postgresql://')}/{name}")
    await db.create_all(metadata)
    return db


async def drop(name: str) -> None:
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def feed(
    db: Database, handler: Callable[[Any, list[Any]], Awaitable[Any]], envelopes: list[Any]
) -> float:
    started = time.perf_counter()
    for i in range(0, len(envelopes), BATCH):
        async with db.sessionmaker() as session:
            await handler(session, envelopes[i : i + BATCH])
            await session.commit()
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    day = DayConfig(
        customers=max(1, args.events // 5),
        trades_per_customer=5,
        cancel_rate=0,
        transfers=0,
        snapshots=False,
        seed=4242,
    )
    envelopes = [
        env
        for topic, _key, raw in generate_day(day)
        if topic == "trade.settled" and (env := parse_envelope(raw)).type == "TradeSettled"
    ]
    n = len(envelopes)
    tiering = TieringHandlers(TieringSettings(environment="test")).on_trades_settled
    best = {"tiering": float("inf"), "ops": float("inf")}
    for r in range(args.rounds):
        for name, metadata, handler in (
            ("tiering", tiering_metadata, tiering),
            ("ops", ops_metadata, ops_handler),
        ):
            dbname = f"bench_ops_figures_{name}"
            db = await fresh(dbname, metadata)
            elapsed = await feed(db, handler, envelopes)
            await db.dispose()
            await drop(dbname)
            best[name] = min(best[name], elapsed)
            print(
                f"round {r + 1}: {name:8s} {n / elapsed:10,.0f} events/s "
                f"({elapsed / n * 1e6:.1f} µs/event)",
                flush=True,
            )
    t, o = best["tiering"] / n * 1e6, best["ops"] / n * 1e6
    print(f"yardstick, tiering's ingest handler: {t:.1f} µs/event; ops figures: {o:.1f} µs/event")
    print(
        f"ops / tiering time per event: {o / t:.2f} (target <= 1.00): "
        f"{'met' if o <= t else 'NOT met'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
