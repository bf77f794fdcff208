"""Benchmark (not a test): one campaign to N customers through the SMS gateway stand-in.

    .venv/bin/python services/notify-svc/bench/bench_campaign.py --customers 1000000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/notify_bench

Creates (drops first) that database, seeds N consenting customers of one branch, starts the
stand-in as a separate process on a free port, and runs the worker's campaign expander and
SMS sender lanes in this process until every message is accepted by the gateway. Prints
messages/s handed to the gateway, duplicates (the stand-in's count of an (out_id, number)
accepted twice, and numbers that got more than one SMS) and lost (customers who got none).
``--with-reports`` also runs the notify-svc API as a process and waits for every delivery
report to be applied.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from brokerage_common import Database, issue_token
from brokerage_common.settings import DEV_JWT_SECRET
from notify_svc.campaigns import service as campaigns
from notify_svc.config import Settings
from notify_svc.models import Campaign, Message, metadata
from notify_svc.templates.service import ensure_default_templates
from notify_svc.worker import Notifier

ROOT = Path(__file__).resolve().parents[3]
PY = sys.executable
KEY = "bench-gateway-key"
BRANCH = "B001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_http(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(url)
            await asyncio.sleep(0.1)


async def fresh_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()


async def seed(db: Database, n: int) -> None:
    """N consenting customers of one branch, generated inside PostgreSQL (seconds, not minutes)."""
    await db.create_all(metadata)
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO recipient (customer_id, name, phone, email, channels, preferred_channel,
                    marketing_consent, consent_changed_at, branch_id, birth_month_day, status,
                    updated_at)
                SELECT 'C' || lpad(i::text, 8, '0'), '客户' || i, (13000000000 + i)::text, NULL,
                    'sms', 'sms', true, now(), :branch, '03-15', 'active', now()
                FROM generate_series(1, :n) AS i
                """
            ),
            {"n": n, "branch": BRANCH},
        )
        await conn.execute(text("ANALYZE recipient"))
    async with db.sessionmaker() as session:
        await ensure_default_templates(session, now=datetime.now(UTC))
        await session.commit()


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        args,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run_until(
    loops: list[Callable[[asyncio.Event], Awaitable[None]]],
    done: Callable[[], Awaitable[bool]],
    timeout_s: float,
) -> bool:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop(stop)) for loop in loops]
    deadline = time.monotonic() + timeout_s
    finished = False
    try:
        while time.monotonic() < deadline:
            if await done():
                finished = True
                break
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return finished


async def counts(db: Database) -> dict[str, int]:
    async with db.sessionmaker() as session:
        rows = (
            await session.execute(select(Message.state, func.count()).group_by(Message.state))
        ).all()
    return {state: int(c) for state, c in rows}


async def main(args: argparse.Namespace) -> None:
    n = args.customers
    await fresh_database(args.database_url)
    db = Database(args.database_url, pool_size=10)
    t = time.perf_counter()
    await seed(db, n)
    print(f"seeded {n:,} customers in {time.perf_counter() - t:.1f}s")

    standin_port, api_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    token = issue_token(
        secret=DEV_JWT_SECRET, sub="sms-gateway", role="service", scopes=["sms:report"]
    )
    standin = spawn(
        [PY, "-m", "sms_gateway_standin"],
        {
            "STANDIN_PORT": str(standin_port),
            "STANDIN_KEY": KEY,
            "STANDIN_CALLBACK_URL": f"{api_url}/v1/sms/delivery-reports"
            if args.with_reports
            else "",
            "STANDIN_REPLY_URL": "",
            "STANDIN_CALLBACK_TOKEN": token,
            "STANDIN_REPORT_DELAY_MS": "200",
            "LOG_LEVEL": "WARNING",
        },
    )
    gateway = f"http://127.0.0.1:{standin_port}"
    env = {
        "DATABASE_URL": args.database_url,
        "SMS_GATEWAY_URL": gateway,
        "SMS_GATEWAY_KEY": KEY,
        "LOG_LEVEL": "WARNING",
    }
    api = (
        spawn(
            [
                PY,
                "-m",
                "uvicorn",
                "--factory",
                "notify_svc.main:create_app",
                "--port",
                str(api_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env,
        )
        if args.with_reports
        else None
    )
    settings = Settings(
        database_url=args.database_url,
        sms_gateway_url=gateway,
        sms_gateway_key=KEY,
        sms_claim_size=args.claim_size,
        sms_lanes=args.lanes,
        sms_concurrency=args.concurrency,
        campaign_chunk=args.chunk,
        log_level="WARNING",
        im_webhook_url="",
        smtp_host="",
    )
    notifier = Notifier(settings, db)
    try:
        await wait_http(f"{gateway}/healthz")
        if api is not None:
            await wait_http(f"{api_url}/healthz")
        async with db.sessionmaker() as session:
            campaign, _ = await campaigns.create_campaign(
                session,
                template_code="SEMINAR_INVITE",
                name="benchmark",
                params={"date": "周六", "place": "营业部"},
                customer_ids=None,
                branch_id=BRANCH,
                restrict_branch=None,
                send_at=None,
                actor="bench",
                now=datetime.now(UTC),
            )
            await session.commit()
        started = time.perf_counter()
        expanded_at: list[float] = []

        async def gateway_stats() -> dict[str, int]:
            async with httpx.AsyncClient(timeout=30) as client:
                return (await client.get(f"{gateway}/_stats")).json()  # type: ignore[no-any-return]

        async def all_accepted() -> bool:
            if not expanded_at:
                async with db.sessionmaker() as session:
                    state = (
                        await session.execute(
                            select(Campaign.state).where(Campaign.id == campaign.id)
                        )
                    ).scalar_one()
                if state == "expanded":
                    expanded_at.append(time.perf_counter() - started)
            return (await gateway_stats())["sms_accepted"] >= n

        lanes = [
            lambda stop: notifier.loop("sms", lambda: notifier.send_due(notifier.sms), 0.05, stop)
            for _ in range(settings.sms_lanes)
        ]
        lanes.append(
            lambda stop: notifier.loop("campaigns", notifier.expand_campaigns_once, 0.2, stop)
        )
        finished = await run_until(lanes, all_accepted, args.timeout)
        elapsed = time.perf_counter() - started
        stats = await gateway_stats()
        async with httpx.AsyncClient(timeout=120) as client:
            per_number = (
                await client.get(f"{gateway}/_stats", params={"per_number": "true"})
            ).json()["sms_per_number"]
        numbers_twice = sum(1 for c in per_number.values() if c > 1)
        lost = n - len(per_number)
        by_state = await counts(db)
        expanded = expanded_at[0] if expanded_at else float("nan")
        print(f"campaign to {n:,} customers {'finished' if finished else 'TIMED OUT'}")
        print(f"  expanded into messages after {expanded:.1f}s")
        print(f"  handed to the gateway: {stats['sms_accepted']:,} SMS", end="")
        print(f" in {stats['sends_accepted']:,} sends")
        print(f"  elapsed {elapsed:.1f}s -> {stats['sms_accepted'] / elapsed:,.0f} messages/s")
        print(
            f"  duplicates: {stats['duplicates']} (stand-in), {numbers_twice} numbers with >1 SMS"
        )
        print(f"  lost: {lost}")
        print(f"  messages by state: {by_state}")
        if args.with_reports:

            async def all_reported() -> bool:
                return (await counts(db)).get("delivered", 0) >= n

            t = time.perf_counter()
            await run_until(
                [lambda stop: notifier.loop("reports", notifier.apply_reports_once, 0.5, stop)],
                all_reported,
                args.timeout,
            )
            total = elapsed + time.perf_counter() - t
            final = await gateway_stats()
            print(f"  reports: {await counts(db)} after {total:.1f}s in all")
            print(f"  callbacks: {final['reports_sent']:,} reports acknowledged,", end="")
            print(f" {final['report_retries']} retried posts, {final['reports_dropped']} dropped")
    finally:
        await notifier.aclose()
        for proc in (standin, api):
            if proc is not None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/notify_bench"
    )
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--claim-size", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=50000)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--with-reports", action="store_true")
    asyncio.run(main(parser.parse_args()))
