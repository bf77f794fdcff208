"""Benchmark: TradeSettled ingest through the real tiering worker into PostgreSQL, then a full replay.

.venv/bin/python bench/ingest.py --events 1000000 --workers 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg

from brokerage_common import Database
from brokerage_common.broker import LocalBroker
from tiering_svc.models import metadata
from trading_sim import DayConfig, generate_day, publish

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
# Several people may bench on one PostgreSQL: BENCH_DB_TAG (e.g. a branch name) goes into the
# benchmark databases' names, so whose they are shows.
DB_TAG = "".join(c if c.isalnum() else "_" for c in os.environ.get("BENCH_DB_TAG", "")).lower()


async def create_db(name: str) -> str:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"postgresql+asyncpg://{PG.removeprefix('postgresql://')}/{name}"
    db = Database(url)
    await db.create_all(metadata)
    await db.dispose()
    return url


async def drop_db(name: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def ledger(name: str) -> tuple[int, str, int]:
    conn = await asyncpg.connect(f"{PG}/{name}")
    n, total = await conn.fetchrow("SELECT count(*), coalesce(sum(points), 0) FROM points_entry")
    processed = await conn.fetchval("SELECT count(*) FROM processed_event")
    await conn.close()
    return int(n), str(total), int(processed)


def start_workers(
    n: int, url: str, bootstrap: str, group: str, log_dir: Path
) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SERVICE_NAME": group,
        "CONSUMER_SESSION_TIMEOUT_MS": "6000",
        # Lanes per worker: two workers on this 2-core machine get one lane each (more
        # concurrent transactions than cores only adds contention); a lone worker gets two.
        "CONSUMER_LANES": os.environ.get("CONSUMER_LANES", str(max(1, 2 // n))),
        "WORKER_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "DAILY_JOBS_INTERVAL_S": "86400",
    }
    procs = []
    for i in range(n):
        log = open(log_dir / f"worker-{group}-{i}.log", "wb")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tiering_svc.worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU of these processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


async def postgres_pids(name: str) -> tuple[list[int], list[int]]:
    """PostgreSQL's processes that work for this benchmark: the backends connected to its
    database (the workers', this script's poll, autovacuum on its tables), and the shared
    background processes (WAL writer, checkpointer, ...). Not the backends of other
    databases: on a machine shared by several people they are someone else's load."""
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        rows = await conn.fetch(
            "SELECT pid, datname IS NULL AS shared FROM pg_stat_activity "
            "WHERE datname = $1 OR datname IS NULL",
            name,
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows if not r["shared"]], [r["pid"] for r in rows if r["shared"]]


def postgres_cpu(name: str, shared_before: dict[int, float]) -> float:
    """CPU seconds PostgreSQL spent for this database since ``shared_before`` was taken:
    its backends' whole lives (they were opened for the run; the ingest's are still open
    when this is called) plus the shared background processes' growth."""
    own, shared = asyncio.run(postgres_pids(name))
    return cpu_seconds(own) + sum(
        cpu_seconds([pid]) - shared_before.get(pid, 0.0) for pid in shared
    )


async def wait_processed(name: str, target: int, timeout_s: float) -> tuple[float, float]:
    """Poll until processed_event reaches target; returns (first-progress time, done time)."""
    conn = await asyncpg.connect(f"{PG}/{name}")
    first = None
    deadline = time.perf_counter() + timeout_s
    try:
        while time.perf_counter() < deadline:
            # max(id) reads one index page; count(*) would scan the table the worker is
            # writing, taking CPU from the system under test on this 2-core machine.
            n = await conn.fetchval("SELECT coalesce(max(id), 0) FROM points_entry")
            now = time.perf_counter()
            if n and first is None:
                first = now
            if n >= target:
                return first or now, now
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError(f"only part of {target} processed after {timeout_s}s")


def bench_day(events: int) -> DayConfig:
    """The benchmarks' settlement day: ``events`` trades, five per customer, none cancelled."""
    return DayConfig(
        customers=max(1, events // 5),
        trades_per_customer=5,
        cancel_rate=0,
        transfers=0,
        snapshots=False,
        seed=4242,
    )


def run(events: int, workers: int, log_dir: Path) -> dict[str, object]:
    log_dir.mkdir(parents=True, exist_ok=True)
    messages = list(generate_day(bench_day(events)))
    assert len(messages) == events, len(messages)
    broker = LocalBroker(log_path=log_dir / "broker.log").start()
    broker.create_topics()
    name = f"bench_tiering_{DB_TAG}_{uuid.uuid4().hex[:8]}".replace("__", "_")
    url = asyncio.run(create_db(name))
    result: dict[str, object] = {
        "events": events,
        "workers": workers,
        "lanes_per_worker": int(os.environ.get("CONSUMER_LANES", str(max(1, 2 // workers)))),
    }
    try:
        t0 = time.perf_counter()
        asyncio.run(publish(messages, broker.bootstrap))
        result["publish_s"] = round(time.perf_counter() - t0, 1)
        group = f"tiering-bench-{uuid.uuid4().hex[:6]}"
        procs = start_workers(workers, url, broker.bootstrap, group, log_dir)
        try:
            started = time.perf_counter()
            worker_pids = [p.pid for p in procs]
            broker_pid = [broker.process.pid] if broker.process else []
            _, shared = asyncio.run(postgres_pids(name))
            shared_before = {pid: cpu_seconds([pid]) for pid in shared}
            cpu_before = (cpu_seconds(worker_pids), 0.0, cpu_seconds(broker_pid))
            first, done = asyncio.run(wait_processed(name, events, timeout_s=1800))
            cpu_after = (
                cpu_seconds(worker_pids),
                postgres_cpu(name, shared_before),
                cpu_seconds(broker_pid),
            )
            result["ingest_s"] = round(done - first, 2)
            result["events_per_s"] = round(events / (done - first))
            # CPU per event (includes the group join and the last poll interval): steadier
            # than events/s on a shared 2-core machine, and it says which side to work on.
            result["worker_cpu_us_per_event"] = round(
                (cpu_after[0] - cpu_before[0]) / events * 1e6, 1
            )
            result["postgres_cpu_us_per_event"] = round(
                (cpu_after[1] - cpu_before[1]) / events * 1e6, 1
            )
            result["broker_cpu_us_per_event"] = round(
                (cpu_after[2] - cpu_before[2]) / events * 1e6, 1
            )
            result["wall_s_incl_group_join"] = round(done - started, 1)
            before = asyncio.run(ledger(name))
            # Replay: every message again, same ids and trade ids; the ledger must not move.
            asyncio.run(publish(messages, broker.bootstrap))
            time.sleep(2)
            asyncio.run(wait_processed(name, events, timeout_s=60))
            # wait until the worker has consumed the replay (lag 0): poll until ledger stable twice
            stable = 0
            last = None
            while stable < 4:
                time.sleep(1.5)
                now_state = asyncio.run(ledger(name))
                stable = stable + 1 if now_state == last else 0
                last = now_state
            after = last
            result["ledger_before"] = before
            result["ledger_after_replay"] = after
            result["replay_unchanged"] = before == after
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    finally:
        broker.stop()
        asyncio.run(drop_db(name))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(run(args.events, args.workers, ROOT / "data" / "bench"))
