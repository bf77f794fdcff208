"""Benchmark (not a test): advisory content to N customers through notify's content path.

    .venv/bin/python services/notify-svc/bench/bench_content.py --customers 200000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/notify_advisory_bench

Creates (drops first) that database, seeds N customers of one branch with an advisory
agreement each, then applies one ``ContentPublished`` (advice) and its ceil(N / 5,000)
``ContentAudienceResolved`` chunks through the worker's handlers, one transaction per event
as the consumer commits them. Beside it, in the same run, the yardstick: a bare
``INSERT ... SELECT`` of the same rows (constant text, no rules) per chunk of ids into a copy
of the message table with the same indexes. Prints both, messages/s, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

from bench_campaign import fresh_database, seed
from sqlalchemy import text

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.config import Settings
from notify_svc.handlers import Handlers

CHUNK = 5000


async def main(args: argparse.Namespace) -> None:
    n = args.customers
    await fresh_database(args.database_url)
    db = Database(args.database_url)
    await seed(db, n)
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO agreement (agreement_id, customer_id, agreement_no, signed_on,"
                " advice_from, valid_until, rescinded_on, source, updated_at)"
                " SELECT 'AG' || customer_id, customer_id, 'TG-B001-2026-' || customer_id,"
                " DATE '2026-01-05', DATE '2026-01-13', NULL, NULL, 'advisory', now()"
                " FROM recipient"
            )
        )
        await conn.execute(text("ANALYZE agreement"))
        await conn.execute(text("CREATE TABLE message_yardstick (LIKE message INCLUDING ALL)"))
    ids = [f"C{i:08d}" for i in range(1, n + 1)]
    parts = [ids[i : i + CHUNK] for i in range(0, n, CHUNK)]
    settings = Settings(database_url=args.database_url, daily_cap=5)
    # 10:00 Beijing: inside the window, so nothing waits for the morning.
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    handlers = Handlers(settings, clock=lambda: now)
    content_id = uuid.uuid4().hex
    events: list[ev.BaseEvent] = [
        ev.ContentPublished(
            content_id=content_id,
            kind="morning_note",
            title="晨会纪要",
            body="今日关注银行板块，均衡配置。",
            risk_level="R2",
            author_id="S100",
            branch_id="B001",
            advice=True,
            published_at=now,
            audience_size=n,
            chunk_count=len(parts),
        ),
        *(
            ev.ContentAudienceResolved(
                content_id=content_id, chunk_no=no, chunk_count=len(parts), customer_ids=part
            )
            for no, part in enumerate(parts, start=1)
        ),
    ]
    envelopes = [new_envelope(e, source="advisory-svc") for e in events]

    started = time.perf_counter()
    for envelope in envelopes:
        async with db.sessionmaker() as session:
            await handlers.handle(session, envelope)
            await session.commit()
    content_s = time.perf_counter() - started
    async with db.engine.connect() as conn:
        planned = (
            await conn.execute(text("SELECT count(*) FROM message WHERE state = 'scheduled'"))
        ).scalar_one()

    started = time.perf_counter()
    for no, part in enumerate(parts):
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO message_yardstick (id, dedupe_key, trigger_ref, customer_id,"
                    " channel, category, template_code, params, address, state, attempts,"
                    " solo, created_at, updated_at)"
                    " SELECT 'y' || lpad(to_hex(:base + row_number() OVER ()), 31, '0'),"
                    " 'y|' || customer_id, 'y', customer_id, 'sms', 'advisory', 'Y', '{}',"
                    " phone, 'scheduled', 0, false, now(), now()"
                    " FROM recipient WHERE customer_id = ANY(:ids)"
                ),
                {"ids": part, "base": no * CHUNK},
            )
    bare_s = time.perf_counter() - started
    await db.dispose()

    print(f"customers {n:,}, chunks {len(parts)}, messages scheduled {planned:,}")
    print(
        f"content path (piece + chunks, one transaction each): {content_s:.2f} s, "
        f"{planned / content_s:,.0f} messages/s"
    )
    print(
        f"yardstick bare INSERT ... SELECT per chunk:          {bare_s:.2f} s, "
        f"{n / bare_s:,.0f} rows/s"
    )
    print(f"content path at {100 * bare_s / content_s:.0f} % of the yardstick's speed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/notify_advisory_bench",
    )
    asyncio.run(main(parser.parse_args()))
