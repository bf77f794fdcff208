"""Benchmark: publish one piece of content to an audience drawn from 1,000,000 customers.

    .venv/bin/python services/advisory-svc/bench/bench_publish.py --customers 1000000

Fills a PostgreSQL database of its own (customers, subscriptions, agreements), then, in
turns, times the whole use case -- resolve the audience (entitlement x suitability x
agreement), stage ContentPublished and its ContentAudienceResolved chunks in the outbox,
commit -- and, as the yardstick, the bare SQL query selecting the same audience (asyncpg,
no ORM, ids fetched), in the same run. Target: < 5 s and >= 50 % of the yardstick's speed.
Consent is notify's (applied on delivery), so it is in neither.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import PG, create_db, drop_db, load

from advisory_svc.content import service
from advisory_svc.content.rules import PickViews
from advisory_svc.models import PLATFORM
from brokerage_common import CST, Database, Outbox

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 16, 0, tzinfo=CST)

PIECES = {
    # An HQ stock pick (advice, R3): SMS1/A–D subscribers, C3+ or professional, agreement.
    "stock_pick": service.Draft(
        kind="stock_pick",
        title="600519 买入",
        body="估值合理。",
        risk_level="R3",
        security_code="600519",
        market="SH",
        views=PickViews("buy", "bullish", "bullish"),
        fundamental_text="业绩增长",
        technical_text="站上均线",
    ),
    # Important news (not advice, R1): every SMS1 or bundle subscriber of every branch.
    "important_news": service.Draft(
        kind="important_news", title="央行降准", body="下调0.5个百分点。", risk_level="R1"
    ),
}


def bare_sql(kind: str) -> str:
    """The audience of ``kind`` in plain SQL, as one would write it by hand."""
    if kind == "stock_pick":
        return """
            SELECT f.customer_id FROM customer_fact f
            WHERE f.registered
              AND (f.investor_category = 'professional'
                   OR (f.risk_valid_until >= $1 AND f.risk_level IN ('C3', 'C4', 'C5')))
              AND EXISTS (SELECT 1 FROM subscription s WHERE s.customer_id = f.customer_id
                          AND s.status = 'active' AND s.product_code IN ('A', 'B', 'C', 'D', 'SMS1')
                          AND s.starts_on <= $1 AND s.ends_on >= $1)
              AND EXISTS (SELECT 1 FROM advisory_agreement a WHERE a.customer_id = f.customer_id
                          AND a.rescinded_on IS NULL
                          AND (a.valid_until IS NULL OR a.valid_until >= $1) AND a.advice_from <= $1)
            ORDER BY f.customer_id"""
    return """
        SELECT f.customer_id FROM customer_fact f
        WHERE f.registered
          AND EXISTS (SELECT 1 FROM subscription s WHERE s.customer_id = f.customer_id
                      AND s.status = 'active' AND s.product_code IN ('A', 'B', 'C', 'D', 'E', 'SMS1')
                      AND s.starts_on <= $1 AND s.ends_on >= $1)
        ORDER BY f.customer_id"""


async def run(customers: int, rounds: int, keep: bool) -> None:
    name, url = await create_db("publish")
    try:
        started = time.perf_counter()
        loaded = await load(name, customers)
        print(f"loaded {loaded} in {time.perf_counter() - started:.1f}s into {name}", flush=True)
        db = Database(url)
        outbox = Outbox(PLATFORM, source="advisory-svc")
        conn = await asyncpg.connect(f"{PG}/{name}")
        try:
            for kind, draft in PIECES.items():
                ours: list[float] = []
                bare: list[float] = []
                size = 0
                for _ in range(rounds):
                    t = time.perf_counter()
                    ids = await conn.fetch(bare_sql(kind), TODAY)
                    bare.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    async with db.sessionmaker() as session:
                        content = await service.publish(
                            session,
                            draft=draft,
                            author_id="ADV-HQ",
                            branch_id="HQ",
                            now=NOW,
                            chunk_size=5000,
                            outbox=outbox,
                        )
                        await session.commit()
                    ours.append(time.perf_counter() - t)
                    size = content.audience_size
                    assert size == len(ids), (size, len(ids))
                o, b = statistics.median(ours), statistics.median(bare)
                print(
                    f"{kind}: audience {size:,} of {customers:,} customers in {-(-size // 5000)} chunks; "
                    f"publish (resolve + outbox + commit) median {o:.2f}s (runs {', '.join(f'{x:.2f}' for x in ours)}); "
                    f"bare SQL median {b:.2f}s (runs {', '.join(f'{x:.2f}' for x in bare)}); "
                    f"speed vs bare SQL {b / o:.0%} (target: < 5 s and >= 50 %)",
                    flush=True,
                )
        finally:
            await conn.close()
            await db.dispose()
    finally:
        if not keep:
            await drop_db(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    asyncio.run(run(args.customers, args.rounds, args.keep))


if __name__ == "__main__":
    main()
