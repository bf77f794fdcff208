"""Benchmark: staff-console page render under load, a branch of 50,000 customers on PostgreSQL.

    .venv/bin/python bench/console_pages.py --customers 50000 --seconds 20 --users 8

Creates bench_console_{profile,tiering,notify,advisory,ops-assessment} databases (migrated
with Alembic), loads the branch's customers, their value segments and tiers, advisory's
customer facts and subscriptions, ops' staff, service groups, customer files, group months,
retention cases, complaints and the last month's published ranking (one stored scorecard
per group, as the monthly assessment leaves it) with COPY, vacuums and analyzes each database
(the steady state autovacuum keeps: visibility maps set, so index-only scans apply), then starts all five services (one uvicorn worker
each) and the console (one worker), and drives the console with N concurrent browser-free
HTTP users: the customer list (a random segment and page, sorted on the server), the search
page (a surname, a masked phone 13x****1234 or its last 4 digits, first or a later keyset
page), the customer 360° page (a random customer: every service's section, offers,
subscriptions and the service group included) and the ops pages (the retention queue's
first page, the complaints and the group ranking). The target (issue 15) is p95 < 300 ms. Beside it, in the
same run: the list's upstream calls alone (profile-svc's segment listing and its search),
advisory's offers and subscriptions alone, ops' customer group and lists alone, and the
console's /healthz (the framework's floor). `--db-prefix` names the databases (default bench_console).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
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
SERVICES = {
    "profile-svc": "profile_svc",
    "tiering-svc": "tiering_svc",
    "notify-svc": "notify_svc",
    "advisory-svc": "advisory_svc",
    "ops-assessment-svc": "ops_assessment_svc",
}
ENV_URLS = {"profile-svc": "PROFILE_URL", "tiering-svc": "TIERING_URL", "notify-svc": "NOTIFY_URL",
            "advisory-svc": "ADVISORY_URL", "ops-assessment-svc": "OPS_URL"}  # fmt: skip
GROUPS = 50  # a branch's service groups: ~1,000 customers each
MONTHS = ("2026-09", "2026-10", "2026-11")
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
    # The same tiers as advisory and ops know them (their read models follow tiering's events).
    tier_of = {row[0]: row[1] for row in tiers}
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
    await conn.execute("VACUUM ANALYZE")
    await conn.close()
    conn = await asyncpg.connect(f"{PG}/{db_name('tiering-svc')}")
    await conn.copy_records_to_table(
        "customer_tier",
        records=tiers,
        columns=["customer_id", "tier", "tier_since", "total_assets", "phone", "branch_id",
                 "updated_at"],
    )  # fmt: skip
    await conn.execute("VACUUM ANALYZE")
    await conn.close()
    await load_advisory(n, tier_of, now)
    await load_ops(n, tier_of, now)


async def load_advisory(n: int, tier_of: dict[str, str], now: datetime) -> None:
    """Advisory's customer facts (C-level, base rate) and a third subscribed to SMS1, a third
    of the gold and platinum to a bundle, as in advisory's own bench."""
    rng = random.Random(16)
    facts, subs = [], []
    for i in range(1, n + 1):
        cid = f"C{i:07d}"
        level = rng.choice(("C1", "C2", "C3", "C3", "C4", "C5", None))
        facts.append(
            (cid, True, BRANCH, tier_of[cid], level, date(2026, 6, 1) if level else None,
             date(2028, 6, 30) if level else None, "ordinary",
             Decimal(rng.randint(2, 20)) / Decimal(10000), date(2026, 1, 1), now)
        )  # fmt: skip
        if rng.random() < 0.33:
            subs.append((f"S{i:09d}", cid, "SMS1", "cash", "active", date(2026, 11, 1),
                         date(2027, 1, 31), 3, Decimal("30.00"), True, now))  # fmt: skip
        if tier_of[cid] in ("gold", "platinum") and rng.random() < 0.33:
            subs.append((f"B{i:09d}", cid, rng.choice("ABCE"), "cash", "active",
                         date(2026, 11, 1), date(2026, 12, 31), 2, Decimal("0.00"), True, now))  # fmt: skip
    conn = await asyncpg.connect(f"{PG}/{db_name('advisory-svc')}")
    await conn.copy_records_to_table(
        "customer_fact",
        records=facts,
        columns=["customer_id", "registered", "branch_id", "tier", "risk_level",
                 "risk_assessed_on", "risk_valid_until", "investor_category", "base_rate",
                 "rate_effective_from", "updated_at"],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "subscription",
        records=subs,
        columns=["subscription_id", "customer_id", "product_code", "payment", "status",
                 "starts_on", "ends_on", "term_months", "cash_paid", "renewable", "created_at"],
    )  # fmt: skip
    await conn.execute("VACUUM ANALYZE")
    await conn.close()


async def load_ops(n: int, tier_of: dict[str, str], now: datetime) -> None:
    """Ops' side of the branch: GROUPS groups of 3 staff, every customer filed in a group with
    three months of group history, 1 % with a retention case, 0.5 % with a complaint."""
    rng = random.Random(17)
    staff = [(f"S{k:04d}", BRANCH, f"staff {k}", rng.choice(("account_manager", "adviser")), now)
             for k in range(1, 3 * GROUPS + 1)]  # fmt: skip
    groups = [(f"G{g:03d}", BRANCH, f"group {g}", "active", date(2025, 1, 1), None, now)
              for g in range(1, GROUPS + 1)]  # fmt: skip
    members = [(f"G{1 + k // 3:03d}", s[0], s[3], date(2025, 1, 1), None, "", "bench")
               for k, s in enumerate(staff)]  # fmt: skip
    files, months, cases, complaints, ranked = [], [], [], [], []
    # The ranking month as the monthly assessment stores it (assessment/service.py): one
    # published scorecard per group, read by the ranking page.
    totals = sorted((Decimal(rng.randint(3000, 9500)) / 100 for _ in range(GROUPS)), reverse=True)
    for g, total in enumerate(totals, start=1):
        inflow, gain = (
            Decimal(rng.randint(-200, 900) * 10_000),
            Decimal(rng.randint(-500, 500) * 10_000),
        )
        figures = {"asset_growth": str(inflow + gain), "net_inflow": str(inflow),
                   "investment_gain": str(gain), "asset_growth_ratio": "0.0123",
                   "asset_turnover": "0.8000", "commission_turnover": "0.0016",
                   "commission": "125000.00", "incremental_commission": "8000.00",
                   "new_customers": rng.randint(0, 12), "crm_completeness": "0.9000",
                   "customers": "1000.00"}  # fmt: skip
        scores = {m: str(rng.randint(0, 100)) for m in ("asset_growth_ratio", "commission_turnover",
                  "asset_turnover", "incremental_commission", "new_customers", "crm_completeness",
                  "targets_reached")}  # fmt: skip
        mark = "reward" if g <= 2 else ("penalty" if g > GROUPS - 2 else None)  # §5.1: 2 and 2
        ranked.append((MONTHS[-1], f"G{g:03d}", BRANCH, "steady", json.dumps(figures),
                       json.dumps(scores), "[]", Decimal("0.00"), total, g, g, GROUPS, mark,
                       Decimal("0.0123"), 0, now))  # fmt: skip
    for i in range(1, n + 1):
        cid = f"C{i:07d}"
        group = f"G{1 + i % GROUPS:03d}"
        files.append(
            (cid, BRANCH, True, tier_of[cid], None, date(2015, 1, 1), "active", group, now)
        )
        months += [(m, group, cid, BRANCH, 30, Decimal("12.50")) for m in MONTHS]
        if rng.random() < 0.01:
            at = now - timedelta(hours=rng.randint(1, 200))
            cases.append((f"R{i:09d}", f"req-{i}", cid, BRANCH, group, "transfer_out", "SH",
                          "", at, at, at + timedelta(hours=24), "open"))  # fmt: skip
        if rng.random() < 0.005:
            on = date(2026, 11, 1) + timedelta(days=rng.randint(0, 30))
            complaints.append((f"K{i:09d}", cid, BRANCH, group, rng.choice(("system_failure",
                               "business_error", "staff_attitude", "other")), "phone",
                               "bench complaint", "S0001", "received", on, on + timedelta(days=1),
                               on + timedelta(days=15), now, now))  # fmt: skip
    conn = await asyncpg.connect(f"{PG}/{db_name('ops-assessment-svc')}")
    for table, records, columns in (
        ("staff", staff, ["staff_id", "branch_id", "name", "role", "updated_at"]),
        ("service_group", groups, ["group_id", "branch_id", "name", "state", "formed_on",
                                   "dissolved_on", "updated_at"]),
        ("group_membership", members, ["group_id", "staff_id", "role", "joined_on", "left_on",
                                       "reason", "changed_by"]),
        ("customer_file", files, ["customer_id", "branch_id", "onsite", "tier", "referrer_id",
                                  "opened_on", "status", "group_id", "updated_at"]),
        ("customer_group_month", months, ["month", "group_id", "customer_id", "branch_id",
                                          "days", "baseline_commission"]),
        ("retention_case", cases, ["case_id", "request_id", "customer_id", "branch_id",
                                   "group_id", "kind", "market", "stated_reason", "requested_at",
                                   "opened_at", "first_call_due_at", "state"]),
        ("complaint", complaints, ["complaint_id", "customer_id", "branch_id", "group_id",
                                   "category", "intake", "description", "owner_id", "state",
                                   "received_on", "contact_due_on", "answer_due_on",
                                   "created_at", "updated_at"]),
        ("group_assessment", ranked, ["month", "group_id", "branch_id", "phase", "figures",
                                      "scores", "churning", "penalty", "total", "rank",
                                      "company_rank", "groups_ranked", "mark",
                                      "asset_growth_ratio", "restatement", "computed_at"]),
    ):  # fmt: skip
        await conn.copy_records_to_table(table, records=records, columns=columns)
    await conn.execute("VACUUM ANALYZE")
    await conn.close()


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU so far (Linux /proc), to see which one a page waits on."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        # Migrate and load first, then start: advisory's offers read model loads at startup.
        for svc in SERVICES:
            subprocess.run(
                [sys.executable, "-m", "alembic", "-c", str(ROOT / "services" / svc / "alembic.ini"),
                 "upgrade", "head"], env={**env, "DATABASE_URL": url(db_name(svc))}, cwd=ROOT,
                check=True, capture_output=True,
            )  # fmt: skip
        started = time.perf_counter()
        asyncio.run(load(args.customers))
        print(
            f"loaded {args.customers} customers of branch {BRANCH} in {time.perf_counter() - started:.1f} s"
        )
        for svc, pkg in SERVICES.items():
            svc_env = {**env, "DATABASE_URL": url(db_name(svc)), "SERVICE_NAME": svc}
            ports[svc] = free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", f"{pkg}.main:create_app",
                 "--host", "127.0.0.1", "--port", str(ports[svc]), "--no-access-log"],
                env=svc_env, cwd=ROOT, stdout=open(logs / f"{svc}.log", "ab"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            ))  # fmt: skip
        console_port = free_port()
        console_env = {**env, "SERVICE_NAME": "staff-console"} | {
            ENV_URLS[svc]: f"http://127.0.0.1:{port}" for svc, port in ports.items()
        }
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "staff_console.main:create_app",
             "--host", "127.0.0.1", "--port", str(console_port), "--no-access-log"],
            env=console_env, cwd=ROOT, stdout=open(logs / "console.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        ))  # fmt: skip
        console = f"http://127.0.0.1:{console_port}"
        profile = f"http://127.0.0.1:{ports['profile-svc']}"
        advisory = f"http://127.0.0.1:{ports['advisory-svc']}"
        ops = f"http://127.0.0.1:{ports['ops-assessment-svc']}"
        wait_up(console)
        for port in ports.values():
            wait_up(f"http://127.0.0.1:{port}")
        wait_up(advisory, "/readyz")  # the offers read model is loaded
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
        # The ops pages, about as often as a branch's desk opens them beside the customer pages.
        pages += [("retention", "/retention"), ("complaints", "/complaints"),
                  ("ranking", f"/ranking?month={MONTHS[-1]}")] * 50  # fmt: skip
        services = [
            (kind, f"/v1/customers/C{rng.randint(1, args.customers):07d}/{what}")
            for kind, what in (("offers_api", "offers"), ("subscriptions_api", "subscriptions"))
            for _ in range(500)
        ]
        ops_calls = [
            ("group_api", f"/v1/customers/C{rng.randint(1, args.customers):07d}/group")
            for _ in range(500)
        ]
        # The ops pages' upstream calls, in the pages' proportions.
        ops_calls += [("retention_api", "/v1/retention-cases?state=open&limit=51&order=overdue_first"),
                      ("complaints_api", "/v1/complaints"),
                      ("complaints_api", "/v1/complaints?overdue=true"),
                      ("ranking_api", f"/v1/assessments/{MONTHS[-1]}"),
                      ("ranking_api", "/v1/groups")] * 20  # fmt: skip
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
        # Every section must render from its service: a "service unavailable" panel is a fast
        # failure and would flatter the figure.
        with httpx.Client(base_url=console, headers={"Authorization": f"Bearer {token}"}) as c:
            for path in (
                "/customers/C0000001",
                "/retention",
                "/complaints",
                f"/ranking?month={MONTHS[-1]}",
            ):
                html = c.get(path, timeout=30).text
                if 'class="panel unavailable"' in html:
                    raise SystemExit(f"{path} shows a section as unavailable (logs in {logs})")
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
            f"yardstick: advisory-svc's offers and subscriptions alone, {args.users} users (the 360° page's upstream)",
            asyncio.run(drive(advisory, services, users=args.users, seconds=args.seconds / 4, token=token)),
            args.seconds / 4,
        )  # fmt: skip
        report(
            f"yardstick: ops-assessment-svc alone, {args.users} users (the 360° and ops pages' upstream)",
            asyncio.run(drive(ops, ops_calls, users=args.users, seconds=args.seconds / 4, token=token)),
            args.seconds / 4,
        )  # fmt: skip
        names = [*SERVICES, "staff-console"]  # procs' order
        cpu_before = [cpu_seconds(p.pid) for p in procs]
        timings = asyncio.run(
            drive(console, pages, users=args.users, seconds=args.seconds, token=token)
        )
        cpu_used = [cpu_seconds(p.pid) - b for p, b in zip(procs, cpu_before, strict=True)]
        report(
            f"staff console pages, {args.users} users, {args.customers} customers (target p95 < 300 ms)",
            timings,
            args.seconds,
        )  # fmt: skip
        served = sum(len(ts) for ts in timings.values()) or 1
        print("  CPU per page served, by process: " + ", ".join(
            f"{n} {1000 * c / served:.1f} ms" for n, c in zip(names, cpu_used, strict=True)
        ) + f" (PostgreSQL not counted; load average {os.getloadavg()[0]:.1f})")  # fmt: skip
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
