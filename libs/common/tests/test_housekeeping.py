"""Housekeeping prunes published outbox rows and processed-event ids past their retention,
window by window, and nothing else (issue 16, item 8)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, func, insert, select

from brokerage_common.db import Database
from brokerage_common.housekeeping import Housekeeper
from brokerage_common.tables import PlatformTables, platform_tables
from brokerage_common.worker import TooManyConsecutiveErrors, run_periodic

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RETENTION = timedelta(days=7)
OLD = NOW - RETENTION - timedelta(hours=1)  # past the retention
RECENT = NOW - RETENTION + timedelta(hours=1)  # still within it


def outbox_row(i: int, created_at: datetime, published_at: datetime | None) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "topic": "t",
        "key": "C1",
        "event_type": "TradeSettled",
        "payload": "{}",
        "created_at": created_at,
        "published_at": published_at,
        "attempts": 0,
    }


async def setup(
    make_database: Callable[[MetaData], Awaitable[Database]],
) -> tuple[Database, PlatformTables]:
    metadata = MetaData()
    tables = platform_tables(metadata)
    return await make_database(metadata), tables


async def count(db: Database, table: Any, *where: Any) -> int:
    async with db.sessionmaker() as session:
        return int(
            (
                await session.execute(select(func.count()).select_from(table).where(*where))
            ).scalar_one()
        )


async def test_old_published_rows_and_old_ids_go_the_rest_stays(
    make_database: Callable[[MetaData], Awaitable[Database]],
) -> None:
    db, tables = await setup(make_database)
    o, p = tables.outbox, tables.processed_event
    rows = (
        [outbox_row(i, OLD, OLD + timedelta(seconds=1)) for i in range(250)]  # prunable
        + [outbox_row(i, OLD, None) for i in range(250, 260)]  # old but never published
        + [outbox_row(i, OLD, RECENT) for i in range(260, 270)]  # published late: kept
        + [outbox_row(i, RECENT, RECENT) for i in range(270, 400)]  # recent
    )
    ids = [
        {"consumer": c, "event_id": f"e{i}", "processed_at": OLD if i % 3 else RECENT}
        for c in ("a", "b")
        for i in range(300)
    ]
    async with db.sessionmaker() as session:
        await session.execute(insert(o), rows)
        await session.execute(insert(p), ids)
        await session.commit()

    keeper = Housekeeper(db=db, tables=tables, service="t", retention=RETENTION, batch_size=100)
    report = await keeper.prune_once(now=NOW)

    assert report.outbox == 250
    assert report.processed == 2 * 200  # i % 3 != 0: 200 of 300 per consumer
    assert report.windows > 3  # bounded windows, not one statement
    assert await count(db, o) == 150
    assert await count(db, o, o.c.published_at.is_(None)) == 10
    assert await count(db, p) == 200
    assert await count(db, p, p.c.processed_at < NOW - RETENTION) == 0
    # A second pass finds nothing more.
    again = await keeper.prune_once(now=NOW)
    assert (again.outbox, again.processed) == (0, 0)


async def test_an_empty_database_is_a_no_op(
    make_database: Callable[[MetaData], Awaitable[Database]],
) -> None:
    db, tables = await setup(make_database)
    report = await Housekeeper(db=db, tables=tables, service="t").prune_once(now=NOW)
    assert (report.outbox, report.processed) == (0, 0)


def test_a_retention_shorter_than_a_day_is_refused() -> None:
    with pytest.raises(ValueError, match="retention"):
        Housekeeper(db=None, tables=None, service="t", retention=timedelta(hours=1))  # type: ignore[arg-type]


async def test_a_periodic_job_exits_after_n_consecutive_failures_and_a_success_resets() -> None:
    calls: list[str] = []
    outcomes = iter(["fail", "fail", "ok", "fail", "fail", "fail", "ok"])

    async def job() -> None:
        outcome = next(outcomes)
        calls.append(outcome)
        if outcome == "fail":
            raise ConnectionError("database down")

    with pytest.raises(TooManyConsecutiveErrors, match="3 times in a row"):
        await asyncio.wait_for(
            run_periodic(
                job, name="j", interval_s=0.001, stop=asyncio.Event(), max_consecutive_errors=3
            ),
            timeout=5,
        )
    # Two failures, a success resets the count, then three in a row end it.
    assert calls == ["fail", "fail", "ok", "fail", "fail", "fail"]
