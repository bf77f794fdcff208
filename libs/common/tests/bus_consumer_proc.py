"""A toy service for the bus tests, importable by path and runnable as its own process.

Its TradeSettled handler is deliberately NOT idempotent by itself: it adds the event's
commission to a per-customer total (``UPDATE ... SET total = total + x``) and appends a
row to an application log, so any event applied twice shows up as a wrong total or a
repeated log row. Only IdempotentConsumer's processed-event bookkeeping keeps it exact.

Run as a process (the crash test SIGKILLs it mid-batch)::

    TOY_DATABASE_URL=... TOY_BOOTSTRAP=... TOY_GROUP=... TOY_TOPIC=... python bus_consumer_proc.py

``TOY_BATCH_SLEEP_S`` makes each batch sleep inside its transaction, and
``TOY_PROGRESS_FILE`` receives a ``begin`` line when a batch starts applying and a
``commit`` line after its transaction committed, so the test can kill it mid-batch.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, String, Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common.consumer import IdempotentConsumer, PermanentEventError, batch_handler
from brokerage_common.db import Database, service_base
from brokerage_common.events import Envelope
from brokerage_common.tables import BigId, platform_tables

Base = service_base()
metadata = Base.metadata
tables = platform_tables(metadata)

totals = Table(
    "toy_commission_total",
    metadata,
    Column("customer_id", String(32), primary_key=True),
    Column("total_fen", BigInteger, nullable=False),
    Column("events", Integer, nullable=False),
)
applied_log = Table(
    "toy_applied_log",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("trade_id", String(64), nullable=False),
)

REJECT_PREFIX = "REJECT"


def fen(amount: Decimal) -> int:
    return int(amount * 100)


async def apply_trade(session: AsyncSession, env: Envelope[Any]) -> None:
    """Add the commission to the customer's total: applied twice, the total is wrong."""
    d = env.data
    if d.trade_id.startswith(REJECT_PREFIX):
        raise PermanentEventError(f"trade {d.trade_id} refused by the toy handler")
    result = await session.execute(
        update(totals)
        .where(totals.c.customer_id == d.customer_id)
        .values(total_fen=totals.c.total_fen + fen(d.commission), events=totals.c.events + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(
            insert(totals).values(customer_id=d.customer_id, total_fen=fen(d.commission), events=1)
        )
    await session.execute(
        insert(applied_log).values(customer_id=d.customer_id, event_id=env.id, trade_id=d.trade_id)
    )


def slow_batch_handler(
    sleep_s: float, progress: Path | None
) -> Callable[[AsyncSession, list[Envelope[Any]]], Awaitable[None]]:
    @batch_handler
    async def apply_trades(session: AsyncSession, envs: list[Envelope[Any]]) -> None:
        if progress is not None:
            with progress.open("a") as f:
                f.write(f"begin {len(envs)} {time.time():.2f}\n")
        for env in envs:
            await apply_trade(session, env)
        await asyncio.sleep(sleep_s)

    return apply_trades


def make_consumer(
    *,
    db: Database,
    bootstrap: str,
    group: str,
    topics: list[str],
    handler: Any = apply_trade,
    batch_max: int = 2000,
    after_commit: Any = None,
    lanes: int = 1,
    max_consecutive_errors: int = 10,
) -> IdempotentConsumer:
    return IdempotentConsumer(
        name=group,
        topics=topics,
        db=db,
        tables=tables,
        handlers={"TradeSettled": handler},
        bootstrap=bootstrap,
        batch_max=batch_max,
        poll_timeout_ms=200,
        session_timeout_ms=2000,
        after_commit=after_commit,
        lanes=lanes,
        max_consecutive_errors=max_consecutive_errors,
    )


async def main() -> None:
    env = os.environ
    progress = Path(env["TOY_PROGRESS_FILE"]) if env.get("TOY_PROGRESS_FILE") else None

    def committed(_applied: list[Envelope[Any]]) -> None:
        if progress is not None:
            with progress.open("a") as f:
                f.write(f"commit {time.time():.2f}\n")

    db = Database(env["TOY_DATABASE_URL"], pool_size=2)
    consumer = make_consumer(
        db=db,
        bootstrap=env["TOY_BOOTSTRAP"],
        group=env["TOY_GROUP"],
        topics=[env["TOY_TOPIC"]],
        handler=slow_batch_handler(float(env.get("TOY_BATCH_SLEEP_S", "0")), progress),
        batch_max=int(env.get("TOY_BATCH_MAX", "2000")),
        after_commit=committed,
        max_consecutive_errors=int(env.get("TOY_MAX_CONSECUTIVE_ERRORS", "10")),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await consumer.run(stop)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
