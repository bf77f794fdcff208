"""Each message's outcome is published once, however many appliers race over its reports.

The gateway may post every delivery report twice; two API requests (or the API and the
worker) then apply reports of the same messages at the same time, each in its own
transaction on its own connection. Only the applier whose UPDATE settled a message may
publish its NotificationDelivered / NotificationFailed: on SQLite (where a read takes no
lock) and on PostgreSQL (``TEST_DATABASE_URL``) alike.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from notify_testkit import FakeClock
from sqlalchemy import MetaData, insert, select

from brokerage_common import Database, Outbox
from notify_svc.config import Settings
from notify_svc.delivery import reports as reports_module
from notify_svc.delivery import service as sending
from notify_svc.delivery.channels import SendResult
from notify_svc.delivery.reports import apply_reports, store_reports
from notify_svc.delivery.rules import SendOutcome
from notify_svc.models import PLATFORM, Message, metadata, table
from notify_svc.planning.service import replan_pending
from notify_svc.rules import Channel, State

MESSAGES = 40  # under one out_id per ten numbers
OUTCOMES = ["NotificationDelivered", "NotificationFailed"]


def phone(i: int) -> str:
    return f"139{i:08d}"


async def seed(db: Database, clock: FakeClock, state: State) -> None:
    now = clock()
    rows = [
        {
            "id": f"M{i:04d}",
            "dedupe_key": f"race:{i}",
            "trigger_ref": "race",
            "customer_id": f"C{i:04d}",
            "channel": Channel.SMS.value,
            "category": "service",
            "template_code": "TIER_UP",
            "address": phone(i),
            "state": state.value,
            "attempts": 1,
            "out_id": f"OUT{i // 10}",
            "submitted_at": now,
            "accepted_at": now if state == State.ACCEPTED else None,
            "next_attempt_at": now + timedelta(minutes=10),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(MESSAGES)
    ]
    async with db.sessionmaker() as session:
        await session.execute(insert(table(Message)), rows)
        await session.commit()


def report(i: int, *, per_row: bool = False) -> dict[str, Any]:
    # Every third number undelivered: both outcome types are in play. A biz_id per number
    # gives every message its own values: apply_changes' per-row path instead of the
    # grouped UPDATE.
    ok = i % 3 != 0
    return {
        "out_id": f"OUT{i // 10}",
        "phone_number": phone(i),
        "success": ok,
        "err_code": None if ok else "MK:0001",
        "biz_id": f"BIZ{i}" if per_row else f"BIZ{i // 10}",
    }


async def store(db: Database, clock: FakeClock, *, per_row: bool = False) -> list[int]:
    reports = [report(i, per_row=per_row) for i in range(MESSAGES)]
    async with db.sessionmaker() as session:
        ids = await store_reports(session, reports=reports, source="callback", now=clock())
        await session.commit()
    return ids


async def outcomes(db: Database) -> Counter[str]:
    async with db.sessionmaker() as session:
        rows = (
            await session.execute(
                select(PLATFORM.outbox.c.payload).where(PLATFORM.outbox.c.event_type.in_(OUTCOMES))
            )
        ).all()
    return Counter(orjson.loads(r.payload)["data"]["message_id"] for r in rows)


@pytest.fixture
def both_read_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each applier after its reads until the other has read too (at most a second:
    on PostgreSQL the second one skips the rows the first has locked and never gets there),
    so the read-decide-write windows overlap every run, not only under load."""
    barrier = asyncio.Barrier(2)
    real = reports_module.apply_changes

    async def after_both_read(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(barrier.wait(), timeout=1.0)
        return await real(*args, **kwargs)

    monkeypatch.setattr(reports_module, "apply_changes", after_both_read)


@pytest.mark.parametrize("per_row", [False, True], ids=["grouped", "per-row"])
async def test_doubled_reports_applied_concurrently_publish_each_outcome_once(
    make_database: Callable[[MetaData], Awaitable[Database]],
    clock: FakeClock,
    both_read_first: None,
    per_row: bool,
) -> None:
    db = await make_database(metadata)
    other = Database(db.url, pool_size=2)  # a second engine: the API's, say, or the worker's
    try:
        await seed(db, clock, State.ACCEPTED)
        # Each report twice, as the gateway posts it.
        first = await store(db, clock, per_row=per_row)
        second = await store(db, clock, per_row=per_row)
        outbox = Outbox(PLATFORM, source="notify-svc")

        async def apply(database: Database, ids: list[int]) -> None:
            async with database.sessionmaker() as session:
                await apply_reports(session, now=clock(), outbox=outbox, ids=ids)
                await session.commit()

        await asyncio.gather(apply(db, first), apply(other, second))
        # What one applier skipped (locked by the other, PostgreSQL) is tried again later.
        clock.advance(timedelta(seconds=10))
        await apply(db, first + second)
    finally:
        await other.dispose()

    published = await outcomes(db)
    assert published == Counter({f"M{i:04d}": 1 for i in range(MESSAGES)})
    async with db.sessionmaker() as session:
        states = dict(
            (await session.execute(select(table(Message).c.id, table(Message).c.state))).all()
        )
    assert states == {
        f"M{i:04d}": (State.UNDELIVERED if i % 3 == 0 else State.DELIVERED).value
        for i in range(MESSAGES)
    }


async def test_a_send_answer_after_its_report_settled_the_message_publishes_nothing_more(
    make_database: Callable[[MetaData], Awaitable[Database]], clock: FakeClock
) -> None:
    """The report overtook the send's answer and settled the message; the answer (here a
    refusal that would make it final) changes no row, so it publishes nothing."""
    db = await make_database(metadata)
    await seed(db, clock, State.SUBMITTING)
    outbox = Outbox(PLATFORM, source="notify-svc")
    ids = await store(db, clock)
    async with db.sessionmaker() as session:
        await apply_reports(session, now=clock(), outbox=outbox, ids=ids)
        await session.commit()
    assert await outcomes(db) == Counter({f"M{i:04d}": 1 for i in range(MESSAGES)})

    batches = [
        sending.SendBatch(
            channel=Channel.SMS,
            out_id=f"M{i:04d}",
            template_code="SMS_1",
            params={},
            category=sending.Category.SERVICE,
            items=[sending.ClaimedMessage(f"M{i:04d}", phone(i), 0, "service", clock())],
        )
        for i in range(MESSAGES)
    ]
    refused = SendResult(outcome=SendOutcome.PERMANENT_FAILURE, code="isv.MOBILE_NUMBER_ILLEGAL")
    async with db.sessionmaker() as session:
        summary = await sending.record_results(
            session,
            results=[(b, refused) for b in batches],
            confirms_delivery=False,
            settings=Settings(database_url=db.url, environment="test"),
            outbox=outbox,
            now=clock(),
            rand=lambda: 0.5,
        )
        await session.commit()
    assert summary.finals == []
    assert await outcomes(db) == Counter({f"M{i:04d}": 1 for i in range(MESSAGES)})


async def test_two_concurrent_replans_give_up_on_a_pending_message_once(
    make_database: Callable[[MetaData], Awaitable[Database]], clock: FakeClock
) -> None:
    """A message pending for a recipient never registered is failed after pending_timeout_h,
    by whichever replan reads it first; the other finds nothing left to do."""
    db = await make_database(metadata)
    other = Database(db.url, pool_size=2)
    long_ago = clock() - timedelta(days=30)
    async with db.sessionmaker() as session:
        await session.execute(
            insert(table(Message)),
            [
                {
                    "id": f"P{i:04d}",
                    "dedupe_key": f"pending:{i}",
                    "trigger_ref": "pending",
                    "customer_id": f"C{i:04d}",
                    "channel": "any",
                    "category": "service",
                    "template_code": "TIER_UP",
                    "state": State.PENDING.value,
                    "created_at": long_ago,
                    "updated_at": long_ago,
                }
                for i in range(MESSAGES)
            ],
        )
        await session.commit()
    outbox = Outbox(PLATFORM, source="notify-svc")
    settings = Settings(database_url=db.url, environment="test")

    async def replan(database: Database) -> int:
        async with database.sessionmaker() as session:
            n = await replan_pending(session, settings=settings, outbox=outbox, now=clock())
            await session.commit()
            return n

    for database in (db, other):  # both connected first: their reads overlap
        async with database.sessionmaker() as session:
            await session.execute(select(1))
    try:
        done = await asyncio.gather(replan(db), replan(other))
    finally:
        await other.dispose()
    assert sorted(done) == [0, MESSAGES]
    assert await outcomes(db) == Counter({f"P{i:04d}": 1 for i in range(MESSAGES)})
