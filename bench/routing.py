"""Benchmark: GET /v1/routing under 32 concurrent connections against one tiering-svc API worker.

    .venv/bin/python bench/routing.py --customers 200000 --seconds 20

Loads customers into PostgreSQL, starts the API (one uvicorn worker) with a local
broker, waits until the routing model is loaded, then drives it with wrk from a
second process (phone and customer-id lookups, known and unknown callers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from ingest import DB_TAG, PG, cpu_seconds, create_db, drop_db

from brokerage_common.auth import issue_token
from brokerage_common.broker import LocalBroker, free_port
from brokerage_common.settings import DEV_JWT_SECRET

ROOT = Path(__file__).resolve().parent.parent
TIERS = ["standard"] * 70 + ["silver"] * 20 + ["gold"] * 8 + ["platinum"] * 2


async def load_customers(name: str, n: int) -> None:
    conn = await asyncpg.connect(f"{PG}/{name}")
    now = datetime.now(UTC)
    rng = random.Random(1)
    rows = [
        (
            f"C{i:07d}",
            rng.choice(TIERS),
            date(2026, 1, 1),
            None,
            None,
            0,
            None,
            f"137{i:08d}",
            "B001",
            None,
            now,
        )
        for i in range(1, n + 1)
    ]
    await conn.copy_records_to_table(
        "customer_tier",
        records=rows,
        columns=[
            "customer_id",
            "tier",
            "tier_since",
            "bought_tier",
            "bought_until",
            "total_assets",
            "assets_as_of",
            "phone",
            "branch_id",
            "opened_on",
            "updated_at",
        ],
    )
    # Gold and platinum customers have a service group, which their answer names; a tree
    # from before groups (an A/B baseline) has no such column and answers without it.
    has_groups = await conn.fetchval(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'customer_tier' AND column_name = 'group_id'"
    )
    if has_groups:
        await conn.execute(
            "UPDATE customer_tier SET group_id = 'G' || (hashtext(customer_id) & 15),"
            " group_month = '2026-12' WHERE tier IN ('gold', 'platinum')"
        )
    await conn.close()


LUA = """
local n = {n}
local token = "{token}"
request = function()
  local i = math.random(1, n + n / 10)
  if math.random() < 0.8 then
    return wrk.format("GET", "/v1/routing?phone=137" .. string.format("%08d", i), {{["Authorization"] = "Bearer " .. token}})
  end
  return wrk.format("GET", "/v1/routing?customer_id=C" .. string.format("%07d", i), {{["Authorization"] = "Bearer " .. token}})
end
"""


def parse_wrk(out: str) -> dict[str, float | str]:
    def ms(v: str) -> float:
        found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", v)
        if found is None:
            raise ValueError(f"unreadable wrk latency {v!r} in:\n{out}")
        num, unit = found.groups()
        scale = {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
        return float(num) * scale[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The distribution's own lines: "77.50%" in the thread stats must not pass for "50%".
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": round(rps),
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def drive(
    port: int, script: str, *, connections: int, seconds: int, threads: int, server_pid: int
) -> dict[str, float | str]:
    """A 2-second warm-up, then wrk with ``connections`` for ``seconds``; its numbers, and
    the server's CPU per request over the measured run (steadier than requests/s when the
    machine is shared: other load takes wall time from the server, not CPU per request)."""
    base = ["wrk", "-c", str(connections), "-s", script]
    url = f"http://127.0.0.1:{port}"
    subprocess.run([*base, "-t1", "-d2s", url], capture_output=True, check=False)
    cpu_before = cpu_seconds([server_pid])
    out = subprocess.run(
        [*base, f"-t{threads}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds([server_pid]) - cpu_before
    result = parse_wrk(out)
    done = re.search(r"(\d+) requests in", out)
    if done:
        result["server_cpu_us_per_request"] = round(cpu / int(done.group(1)) * 1e6, 1)
    return result


def call_center_token() -> str:
    """The call center's service token (scope routing:read), for an hour."""
    return issue_token(
        secret=DEV_JWT_SECRET,
        sub="call-center",
        role="service",
        scopes=["routing:read"],
        ttl_s=3600,
    )


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    args = parser.parse_args()
    ensure_wrk()
    log_dir = ROOT / "data" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    broker = LocalBroker(log_path=log_dir / "broker-routing.log").start()
    broker.create_topics()
    name = f"bench_routing_{DB_TAG}_{uuid.uuid4().hex[:8]}".replace("__", "_")
    url = asyncio.run(create_db(name))
    asyncio.run(load_customers(name, args.customers))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "LOG_LEVEL": "INFO",  # as deployed (deploy/k8s), access log off as there
    }
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tiering_svc.main:create_app",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        stdout=open(log_dir / "routing-api.log", "wb"),  # noqa: SIM115 - the server keeps it
        stderr=subprocess.STDOUT,
    )
    token = call_center_token()
    try:
        probe = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/routing?customer_id=C{args.customers:07d}",
            headers={"Authorization": f"Bearer {token}"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(probe, timeout=2) as resp:
                    if b'"customer_id":null' not in resp.read():
                        break
            except OSError:
                pass
            time.sleep(0.5)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA.format(n=args.customers, token=token))
        result = drive(
            port,
            f.name,
            connections=args.connections,
            seconds=args.seconds,
            threads=args.wrk_threads,
            server_pid=api.pid,
        )
        result.update(customers=args.customers, connections=args.connections, seconds=args.seconds)
        print(result)
    finally:
        api.terminate()
        api.wait(timeout=20)
        broker.stop()
        asyncio.run(drop_db(name))


if __name__ == "__main__":
    main()
