"""Benchmark: staff-console page render under load, a branch of 50,000 customers on PostgreSQL.

    .venv/bin/python bench/console_pages.py --customers 50000 --seconds 20 --users 8

Creates bench_console_{profile,tiering,notify} databases (migrated with Alembic), loads the
branch's customers, their value segments and tiers with COPY, starts profile-, tiering- and
notify-svc (one uvicorn worker each) and the console (one worker), then drives the console
with N concurrent browser-free HTTP users: the customer list (a random segment and page, sorted
on the server), the search page (a surname, a masked phone 13x****1234 or its last 4 digits,
first or a later keyset page) and the customer 360° page (a random customer: 7 service calls).
The target (issue 15) is p95 < 300 ms. Beside it, in the same run: the list's upstream calls
alone (profile-svc's segment listing and its search) and the console's /healthz (the
framework's floor). `--db-prefix` names the databases (default bench_console). advisory-svc and ops-assessment-svc are absent: their sections cost
a refused connection, as they do on the demo stack.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx

from brokerage_common.broker import LocalBroker, free_port
from brokerage_common.settings import DEV_JWT_SECRET

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
BRANCH = "B001"
SERVICES = {"profile-svc": "profile_svc", "tiering-svc": "tiering_svc", "notify-svc": "notify_svc"}
SIZES = ("large", "medium", "small")
TURNOVERS = ("short_term", "stable", "static")
LIFE_STAGES = ("growth", "youth", "adult", "mature", "stable", "retirement")
# The commonest surnames and some given-name characters: a surname search matches ~1/20 of
# the branch, as 王 or 李 does in a real one.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰"
DB_PREFIX = "bench_console"


def db_name(service: str) -> str:
    return f"{DB_PREFIX}_{service.removesuffix('-svc')}"


def phone_of(i: int) -> str:
    return f"13{i:09d}"


def name_of(i: int) -> str:
    rng = random.Random(i)
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


async def recreate(name: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()


def url(name: str) -> str:
    return f"postgresql+asyncpg://{PG.removeprefix('postgresql://')}/{name}"


async def load(n: int) -> None:
    rng = random.Random(15)
    now = datetime.now(UTC)
    customers, segments, tiers = [], [], []
    for i in range(1, n + 1):
        cid = f"C{i:07d}"
        id_number = f"110101{1950 + i % 50}0101{i % 1000:03d}X"
        assets = Decimal(rng.choice((5_000, 50_000, 300_000, 2_000_000))) + Decimal(i % 997)
        commission = (assets * Decimal("0.002")).quantize(Decimal("0.01"))
        size, turnover = rng.choice(SIZES), rng.choice(TURNOVERS)
        customers.append(
            (
                cid, name_of(i), phone_of(i), phone_of(i)[-4:], id_number,
                hashlib.sha256(cid.encode()).hexdigest(),  # unique per row; the HMAC is not measured
                date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 52)),
                "male" if i % 2 else "female", BRANCH,
                date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000)), rng.random() < 0.3,
                '["sms"]', "active", "ordinary", "bench", now, now,
            )
        )  # fmt: skip
        segments.append(
            (cid, date(2026, 11, 30), assets, assets, commission * 50, commission,
             Decimal("0.5"), size, turnover, f"{turnover}_{size}", now)
        )  # fmt: skip
        tiers.append((cid, rng.choice(("standard",) * 7 + ("silver", "gold", "platinum")),
                      date(2026, 1, 1), assets, f"13{i:09d}", BRANCH, now))  # fmt: skip
    conn = await asyncpg.connect(f"{PG}/{db_name('profile-svc')}")
    await conn.copy_records_to_table(
        "customer",
        records=customers,
        columns=["customer_id", "name", "phone", "phone_last4", "id_number", "id_number_hash",
                 "birth_date",
                 "gender", "branch_id", "opened_on", "onsite", "preferred_channels", "status",
                 "investor_category", "created_by", "created_at", "updated_at"],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "customer_segment",
        records=segments,
        columns=["customer_id", "as_of", "total_assets", "average_assets", "traded_amount",
                 "commission", "turnover", "asset_size", "turnover_class", "value_segment",
                 "updated_at"],
    )  # fmt: skip
    await conn.execute("ANALYZE")
    await conn.close()
    conn = await asyncpg.connect(f"{PG}/{db_name('tiering-svc')}")
    await conn.copy_records_to_table(
        "customer_tier",
        records=tiers,
        columns=["customer_id", "tier", "tier_since", "total_assets", "phone", "branch_id",
                 "updated_at"],
    )  # fmt: skip
    await conn.execute("ANALYZE")
    await conn.close()


def wait_up(base: str, path: str = "/healthz", timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{base} did not come up")


def staff_token() -> str:
    import jwt

    claims = {"sub": "S002", "role": "staff", "branch_id": BRANCH,
              "staff_roles": ["account_manager"], "exp": int(time.time()) + 3600}  # fmt: skip
    return jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")


async def drive(
    base: str, paths: list[tuple[str, str]], *, users: int, seconds: float, token: str
) -> dict[str, list[float]]:
    """users concurrent clients, each request after the previous one's answer, for seconds."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    stop = time.monotonic() + seconds
    rng = random.Random(3)
    async with httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        limits=httpx.Limits(max_connections=users),
    ) as client:

        async def user() -> None:
            while time.monotonic() < stop:
                kind, path = rng.choice(paths)
                started = time.perf_counter()
                resp = await client.get(path)
                elapsed = time.perf_counter() - started
                if resp.status_code == 200:
                    timings[kind].append(elapsed)
                else:
                    errors[kind] += 1

        await asyncio.gather(*(user() for _ in range(users)))
    for kind, n in errors.items():
        print(f"  {kind}: {n} non-200 answers")
    return timings


def report(title: str, timings: dict[str, list[float]], seconds: float) -> None:
    print(f"\n{title}")
    every = [t for ts in timings.values() for t in ts]
    for kind, ts in [*sorted(timings.items()), ("all", every)]:
        if len(ts) < 2:
            continue
        q = statistics.quantiles(ts, n=100)
        print(
            f"  {kind:<14} n={len(ts):>6}  {len(ts) / seconds:>7.1f} req/s"
            f"  p50 {q[49] * 1000:7.1f} ms  p95 {q[94] * 1000:7.1f} ms  p99 {q[98] * 1000:7.1f} ms"
        )


def main() -> None:
    global DB_PREFIX  # one run, one set of database names: db_name reads it
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--db-prefix", default=DB_PREFIX, help="bench database names' prefix")
    args = parser.parse_args()
    DB_PREFIX = args.db_prefix

    for svc in SERVICES:
        asyncio.run(recreate(db_name(svc)))
    logs = Path(tempfile.mkdtemp(prefix="bench-console-"))
    broker = LocalBroker(log_path=logs / "broker.log").start()
    env = {**os.environ, "ENVIRONMENT": "local", "LOG_LEVEL": "WARNING",
           "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap}  # fmt: skip
    procs: list[subprocess.Popen[bytes]] = []
    ports: dict[str, int] = {}
    try:
        for svc, pkg in SERVICES.items():
            svc_env = {**env, "DATABASE_URL": url(db_name(svc)), "SERVICE_NAME": svc}
            subprocess.run(
                [sys.executable, "-m", "alembic", "-c", str(ROOT / "services" / svc / "alembic.ini"),
                 "upgrade", "head"], env=svc_env, cwd=ROOT, check=True, capture_output=True,
            )  # fmt: skip
            ports[svc] = free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", f"{pkg}.main:create_app",
                 "--host", "127.0.0.1", "--port", str(ports[svc]), "--no-access-log"],
                env=svc_env, cwd=ROOT, stdout=open(logs / f"{svc}.log", "ab"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            ))  # fmt: skip
        started = time.perf_counter()
        asyncio.run(load(args.customers))
        print(
            f"loaded {args.customers} customers of branch {BRANCH} in {time.perf_counter() - started:.1f} s"
        )
        console_port = free_port()
        absent = free_port()  # nothing listens: advisory and ops are not deployed
        console_env = {
            **env, "SERVICE_NAME": "staff-console",
            "PROFILE_URL": f"http://127.0.0.1:{ports['profile-svc']}",
            "TIERING_URL": f"http://127.0.0.1:{ports['tiering-svc']}",
            "NOTIFY_URL": f"http://127.0.0.1:{ports['notify-svc']}",
            "ADVISORY_URL": f"http://127.0.0.1:{absent}", "OPS_URL": f"http://127.0.0.1:{absent}",
        }  # fmt: skip
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "staff_console.main:create_app",
             "--host", "127.0.0.1", "--port", str(console_port), "--no-access-log"],
            env=console_env, cwd=ROOT, stdout=open(logs / "console.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        ))  # fmt: skip
        console = f"http://127.0.0.1:{console_port}"
        profile = f"http://127.0.0.1:{ports['profile-svc']}"
        for base in (console, profile, f"http://127.0.0.1:{ports['tiering-svc']}",
                     f"http://127.0.0.1:{ports['notify-svc']}"):  # fmt: skip
            wait_up(base)
        token = staff_token()
        rng = random.Random(7)
        segments = [f"{t}_{s}" for s in SIZES for t in TURNOVERS] + list(LIFE_STAGES)
        pages = [
            ("list", f"/customers?segment={rng.choice(segments)}&sort={rng.choice(('assets', 'contribution'))}"
                     f"&offset={50 * rng.randint(0, 100)}")
            for _ in range(500)
        ] + [("customer_360", f"/customers/C{rng.randint(1, args.customers):07d}") for _ in range(500)]  # fmt: skip
        searches = []
        for _ in range(300):
            phone = phone_of(rng.randint(1, args.customers))
            terms = rng.choice((rng.choice(SURNAMES), f"{phone[:3]}****{phone[-4:]}", phone[-4:]))
            after = rng.choice(("", f"&after=C{rng.randint(1, args.customers):07d}"))
            searches.append(("search", f"/customers/search?q={terms}{after}"))
        pages += searches
        upstream = [
            ("segment_api", f"/v1/segments/{rng.choice(segments)}/customers?limit=50"
                            f"&offset={50 * rng.randint(0, 100)}")
            for _ in range(500)
        ]  # fmt: skip
        upstream += [
            ("search_api", f"/v1/customers?q={rng.choice(SURNAMES)}&limit=50"
                           f"&after=C{rng.randint(1, args.customers):07d}")
            for _ in range(250)
        ] + [
            ("search_api", f"/v1/customers?phone_last4={rng.randint(0, 9999):04d}&limit=50")
            for _ in range(250)
        ]  # fmt: skip
        # Warm up every process (imports, pools, plans) before measuring.
        asyncio.run(drive(console, pages, users=args.users, seconds=3, token=token))
        report(
            f"yardstick: the console's /healthz, {args.users} users (framework floor)",
            asyncio.run(drive(console, [("healthz", "/healthz")], users=args.users,
                              seconds=args.seconds / 2, token=token)),
            args.seconds / 2,
        )  # fmt: skip
        report(
            f"yardstick: profile-svc's segment listing and search alone, {args.users} users (the lists' upstream)",
            asyncio.run(drive(profile, upstream, users=args.users, seconds=args.seconds / 2, token=token)),
            args.seconds / 2,
        )  # fmt: skip
        report(
            f"staff console pages, {args.users} users, {args.customers} customers (target p95 < 300 ms)",
            asyncio.run(drive(console, pages, users=args.users, seconds=args.seconds, token=token)),
            args.seconds,
        )  # fmt: skip
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        broker.stop()
        if not args.keep:

            async def drop() -> None:
                conn = await asyncpg.connect(f"{PG}/postgres")
                for svc in SERVICES:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{db_name(svc)}" WITH (FORCE)')
                await conn.close()

            asyncio.run(drop())


if __name__ == "__main__":
    main()
