"""PROTOTYPE, not the service's code (issue #18, the third lever): the settlement award as one
set-based SQL statement, against the Python award path, on the same events.

Each side runs in its own process on a fresh PostgreSQL database, 10,000 fast-decoded
``TradeSettled`` envelopes a transaction, as bench/ab_handler.py does:

- ``python``: tiering's settlement handler as it is (``ingest.service.award_trade_points``:
  the reads, the ``rules.award_batch`` loop, the ledger COPY, states, history, outbox, months);
- ``sql``: the worker only drops copies of a trade id and COPYs the trades into a temporary
  stage; ``AWARD`` then reads the customers' states and months, computes the running
  trailing commission per customer, the tier in force at each trade, the points, and
  writes the ledger, the month sums, the new and upgraded tier rows, their history and
  their ``TierChanged`` outbox rows, all in PostgreSQL.

Printed per side: the process's CPU per event, PostgreSQL's (the database's backends and the
shared background processes), events/s, and digests of what was left: the ledger (every
field but id and created_at, and each customer's entries in id order), the month rows, the
tier rows, the history and the TierChanged data. Then the same side replays every event and
the digests must not move.

.venv/bin/python bench/award_sql.py --events 200000 --pairs 3
.venv/bin/python bench/award_sql.py --check   # a hand-made day through both sides

Not covered by the prototype: the tier rules live in SQL beside ``rules.py`` (multipliers and
thresholds are passed in; the upgrade rule is restated as "the highest tier qualified so far");
a bought tier held as a floor above the tier in force is not modelled (it cannot occur after
``decide_tier``); the envelope JSON of the outbox rows is PostgreSQL's, not ``Outbox.rows``'s;
the statement's parts lock tier rows and month rows in an order PostgreSQL chooses (the
service writes tier rows first, as redemptions lock them); SQLite has no such path.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BATCH = 10_000

STAGE = """
CREATE TEMP TABLE IF NOT EXISTS award_stage (
    seq integer NOT NULL,
    trade_id text NOT NULL,
    customer_id text NOT NULL,
    commission_text text NOT NULL,
    settled_on date NOT NULL
) ON COMMIT DELETE ROWS
"""

# The statement, with its parameters listed at its top: award_sql.sql.
AWARD = (Path(__file__).resolve().parent / "award_sql.sql").read_text()

DIGESTS = {
    "ledger": "SELECT count(*)::text || ' ' || coalesce(sum(points), 0)::text || ' ' || "
    "md5(coalesce(string_agg(concat_ws('|', customer_id, business_key, points, kind, "
    "source_ref, reason, actor, tier, commission, settled_on), E'\\n' ORDER BY business_key), "
    "'')) FROM points_entry",
    "ledger_order": "SELECT md5(coalesce(string_agg(business_key, ',' ORDER BY customer_id, id), "
    "'')) FROM points_entry",
    "months": "SELECT count(*)::text || ' ' || md5(coalesce(string_agg(concat_ws('|', "
    "customer_id, month, commission, points), E'\\n' ORDER BY customer_id, month), '')) "
    "FROM customer_month",
    "tiers": "SELECT count(*)::text || ' ' || md5(coalesce(string_agg(concat_ws('|', "
    "customer_id, tier, tier_since, total_assets, bought_tier, bought_until, assets_as_of), "
    "E'\\n' ORDER BY customer_id), '')) FROM customer_tier",
    "history": "SELECT count(*)::text || ' ' || md5(coalesce(string_agg(concat_ws('|', "
    "customer_id, old_tier, new_tier, reason, effective_on), E'\\n' ORDER BY customer_id, id), "
    "'')) FROM tier_history",
    "tier_changed": "SELECT count(*)::text || ' ' || md5(coalesce(string_agg(concat_ws('|', "
    "key, topic, d->>'customer_id', d->>'old_tier', d->>'new_tier', d->>'reason', "
    "d->>'effective_on', d->>'next_review'), E'\\n' ORDER BY key, id), '')) "
    "FROM (SELECT *, payload::json->'data' AS d FROM outbox_event "
    "WHERE event_type = 'TierChanged') o",
}


async def _digests(name: str) -> dict[str, str]:
    import asyncpg
    from ingest import PG

    conn = await asyncpg.connect(f"{PG}/{name}")
    try:
        return {k: str(await conn.fetchval(sql)) for k, sql in DIGESTS.items()}
    finally:
        await conn.close()


async def _pg_cpu(name: str) -> dict[int, float]:
    """CPU seconds so far of PostgreSQL's processes for this database: its backends and the
    shared background processes (bench/ingest.py's ``postgres_pids``)."""
    from ingest import cpu_seconds, postgres_pids

    own, shared = await postgres_pids(name)
    return {pid: cpu_seconds([pid]) for pid in own + shared}


def _growth(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between the two readings (a backend opened since counts whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _sql_params(policy: Any, source: str) -> tuple[Any, ...]:
    from brokerage_common.events import TierChanged
    from brokerage_common.timeutil import now_cst
    from tiering_svc.rules import MULTIPLIERS, Tier

    tiers = list(Tier)  # standard, silver, gold, platinum: their rank order
    t = policy.thresholds
    return (
        datetime.now(UTC),
        [x.value for x in tiers],
        [MULTIPLIERS[x] for x in tiers],
        [str(MULTIPLIERS[x]) for x in tiers],
        [t.silver_commission, t.gold_commission, t.platinum_commission],
        [t.silver_assets, t.gold_assets, t.platinum_assets],
        now_cst().isoformat(),
        source,
        TierChanged.TOPIC.name,
    )


async def _award_sql(raw: Any, envelopes: list[Any], policy: Any, source: str) -> int:
    """The SQL side's worker part: drop copies of a trade id, COPY the rest, one statement."""
    from brokerage_common.bulk import copy_text

    trades: dict[str, Any] = {}
    for env in envelopes:
        data = env.data
        trades.setdefault(data.trade_id, data)
    lines = [
        f"{seq}\t{copy_text(t.trade_id)}\t{t.customer_id}\t{t.commission}\t{t.settled_on}\n"
        for seq, t in enumerate(trades.values())
    ]
    await raw.execute(STAGE)
    await raw.copy_to_table(
        "award_stage",
        source=memoryview("".join(lines).encode()),
        columns=["seq", "trade_id", "customer_id", "commission_text", "settled_on"],
        format="text",
    )
    n: int = await raw.fetchval(AWARD, *_sql_params(policy, source))
    return n


async def _one(events: int, side: str) -> dict[str, object]:
    import asyncpg
    from ingest import DB_TAG, PG, bench_day, create_db, drop_db

    from brokerage_common import Database
    from brokerage_common.wire import fast_decoder
    from tiering_svc.config import Settings
    from tiering_svc.handlers import build_handlers
    from tiering_svc.tiers.service import load_policy
    from trading_sim import generate_day

    decode = fast_decoder({"TradeSettled"})
    assert decode is not None
    envelopes = [decode(raw) for _t, _k, raw in generate_day(bench_day(events))]
    name = f"bench_award_{DB_TAG}_{side}_{uuid.uuid4().hex[:8]}".replace("__", "_")
    url = await create_db(name)
    settings = Settings(environment="test")
    try:
        if side == "python":
            db = Database(url)
            handler: Any = build_handlers(settings)["TradeSettled"]

            async def run_all() -> None:
                for i in range(0, len(envelopes), BATCH):
                    async with db.sessionmaker() as session:
                        await handler(session, envelopes[i : i + BATCH])
                        await session.commit()

        else:
            db = Database(url)
            conn = await asyncpg.connect(f"{PG}/{name}")

            async def run_all() -> None:
                for i in range(0, len(envelopes), BATCH):
                    async with db.sessionmaker() as session:
                        policy = await load_policy(session, settings=settings)
                    async with conn.transaction():
                        await _award_sql(
                            conn, envelopes[i : i + BATCH], policy, settings.service_name
                        )

        # Connections opened before the clock starts: their backends are counted from here.
        async with db.sessionmaker() as session:
            await load_policy(session, settings=settings)
        before = await _pg_cpu(name)
        cpu0, t0 = time.process_time(), time.perf_counter()
        await run_all()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        pg = _growth(before, await _pg_cpu(name))
        first = await _digests(name)
        await run_all()  # the replay: every trade known, nothing may move
        replayed = await _digests(name)
        if side == "sql":
            await conn.close()
        await db.dispose()
    finally:
        await drop_db(name)
    n = len(envelopes)
    return {
        "cpu_us_per_event": round(cpu / n * 1e6, 2),
        "pg_us_per_event": round(pg / n * 1e6, 2),
        "events_per_s": round(n / wall),
        "digests": first,
        "replay_unchanged": first == replayed,
    }


def run_side(events: int, side: str) -> dict[str, Any]:
    from ab_ingest import last_result

    return last_result([__file__, "--one", side, "--events", str(events)], cwd=ROOT / "bench")


# ----------------------------------------------------------------------------- the check

SETUP = """
INSERT INTO customer_tier (customer_id, tier, tier_since, bought_tier, bought_until,
                           total_assets, assets_as_of, updated_at) VALUES
  ('C1', 'silver', '2026-01-05', NULL, NULL, 100000, '2026-11-19', now()),
  ('C2', 'standard', '2025-06-01', NULL, NULL, 0, NULL, now()),
  ('C3', 'platinum', '2026-10-01', 'platinum', '2027-01-01', 0, NULL, now()),
  ('C5', 'standard', '2025-06-01', NULL, NULL, 150000, '2026-11-19', now());
INSERT INTO customer_month (customer_id, month, commission, points) VALUES
  ('C1', '2025-10', 1500, 1500), ('C1', '2026-02', 1000, 1000), ('C2', '2025-12', 1900, 1900);
"""

CHECK_BATCHES = [
    [  # (trade id, customer, commission, settled on)
        ("T1", "C2", "50.00", "2026-12-01"),
        ("T2", "C2", "60.00", "2026-11-20"),  # 2026-11's window: 1,900 + 60, not the December 50
        ("T3", "C2", "40.00", "2026-11-21"),  # 2,000: silver from the next trade on
        ("T4", "C2", "10.00", "2026-12-02"),  # x 1.1
        ("T5", "C1", "8000.00", "2026-11-20"),  # 1,000 (Feb) + 8,000; October 2025 is out
        ("T6", "C1", "1000.00", "2026-11-20"),  # 10,000: gold
        ("T7", "C1", "5.00", "2026-11-20"),  # x 1.2
        ("T8", "C3", "100.00", "2026-11-20"),  # bought platinum: x 1.3
        ("T9", "C4", "1999.99", "2026-11-20"),  # new customer
        ("T9", "C4", "1999.99", "2026-11-20"),  # a copy of the same trade
        ("T10", "C4", "0.01", "2026-11-20"),  # 2,000: silver
        ("T11", "C4", "0.05", "2026-11-20"),  # x 1.1 = 0.055, half up: 0.06
        ("T12", "C5", "1.00", "2026-11-20"),  # standard, silver by assets after it
        ("T13", "C5", "2.00", "2026-11-20"),  # x 1.1
    ],
    [
        ("T6", "C1", "1000.00", "2026-11-20"),  # known: skipped
        ("T14", "C4", "40000.00", "2026-11-22"),  # silver to platinum in one trade
        ("T15", "C4", "1.00", "2026-11-22"),  # x 1.3
        ("T16", "C6", "45000.00", "2026-11-23"),  # new, straight to platinum after it
        ("T17", "C6", "0.15", "2026-11-23"),  # x 1.3 = 0.195: 0.20
    ],
]


def _check_envelopes(batch: list[tuple[str, str, str, str]]) -> list[Any]:
    from datetime import date
    from decimal import Decimal

    from brokerage_common import events as ev
    from brokerage_common import new_envelope

    return [
        new_envelope(
            ev.TradeSettled(
                customer_id=cid,
                trade_id=tid,
                account_id=f"A{cid[1:]}",
                market="SH",
                security_code="600519",
                side="B",
                quantity=100,
                price=Decimal("1520.00"),
                amount=Decimal("152000.00"),
                commission=Decimal(commission),
                trade_date=date.fromisoformat(day),
                settled_on=date.fromisoformat(day),
            ),
            source="settlement-system",
        )
        for tid, cid, commission, day in batch
    ]


async def _check_side(side: str) -> dict[str, str]:
    import asyncpg
    from ingest import DB_TAG, PG, create_db, drop_db

    from brokerage_common import Database
    from tiering_svc.config import Settings
    from tiering_svc.handlers import build_handlers
    from tiering_svc.tiers.service import load_policy

    name = f"bench_award_check_{DB_TAG}_{side}_{uuid.uuid4().hex[:8]}".replace("__", "_")
    url = await create_db(name)
    settings = Settings(environment="test")
    db = Database(url)
    conn = await asyncpg.connect(f"{PG}/{name}")
    try:
        await conn.execute(SETUP)
        handler: Any = build_handlers(settings)["TradeSettled"]
        for batch in CHECK_BATCHES:
            envelopes = _check_envelopes(batch)
            async with db.sessionmaker() as session:
                if side == "python":
                    await handler(session, envelopes)
                    await session.commit()
                    continue
                policy = await load_policy(session, settings=settings)
            async with conn.transaction():
                await _award_sql(conn, envelopes, policy, settings.service_name)
        await conn.close()
        await db.dispose()
        return await _digests(name)
    finally:
        await drop_db(name)


def check() -> bool:
    """Both sides over a hand-made day (stored tiers, assets, a bought tier, months in and out
    of the window, two settlement months in one batch, copies, known trades, two-tier jumps,
    half-up rounding): True if every digest is the same."""
    python = asyncio.run(_check_side("python"))
    sql = asyncio.run(_check_side("sql"))
    for key in DIGESTS:
        print(f"{key:13} python {python[key]}  sql {sql[key]}", flush=True)
    return python == sql


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--one", choices=("python", "sql"), help="(internal) one side")
    parser.add_argument("--check", action="store_true", help="only the hand-made day, both sides")
    args = parser.parse_args()
    if args.check:
        equal = check()
        print(f"python and sql digests equal: {equal}", flush=True)
        sys.exit(0 if equal else 1)
    if args.one:
        print(asyncio.run(_one(args.events, args.one)))
        return
    print("run        cpu_us  pg_us  events_per_s  replay_unchanged  digests", flush=True)
    seen: dict[str, Any] = {}
    for i in range(args.pairs):
        for side in ("python", "sql"):
            r = run_side(args.events, side)
            print(
                f"{side:6} {i + 1}   {r['cpu_us_per_event']}  {r['pg_us_per_event']}  "
                f"{r['events_per_s']}  {r['replay_unchanged']}  {r['digests']}",
                flush=True,
            )
            seen.setdefault(side, r["digests"])
    same = {k: seen["python"][k] == seen["sql"][k] for k in DIGESTS} if len(seen) == 2 else {}
    print(f"python and sql digests equal: {same}", flush=True)


if __name__ == "__main__":
    main()
