"""Benchmark: GET /v1/customers/{id}/offers at 32 connections on one uvicorn worker, beside
the routing benchmark's yardstick (a bare FastAPI route answering a stored JSON document)
measured in the same run.

    .venv/bin/python services/advisory-svc/bench/bench_offers.py --customers 100000 --seconds 15

Target: >= 50 % of the yardstick's requests/s, p99 < 20 ms. wrk comes from Debian
(apt-get install wrk); both servers run as deployed, without uvicorn's access log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "bench"))
from _setup import create_db, drop_db, load
from routing import drive, ensure_wrk
from routing_reference import measure

from brokerage_common.auth import issue_token
from brokerage_common.broker import free_port
from brokerage_common.settings import DEV_JWT_SECRET

LUA = """
local n = {n}
local token = "{token}"
request = function()
  local i = math.random(1, n)
  return wrk.format("GET", "/v1/customers/C" .. string.format("%07d", i) .. "/offers", {{["Authorization"] = "Bearer " .. token}})
end
"""


def offers(url: str, customers: int, *, seconds: int, connections: int) -> dict[str, float | str]:
    port = free_port()
    log_dir = ROOT / "data" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "ENVIRONMENT": "local"}
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "advisory_svc.main:create_app",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        stdout=open(log_dir / "offers-api.log", "wb"),  # noqa: SIM115 - the server keeps it
        stderr=subprocess.STDOUT,
    )
    # A headquarters staff token: it may read every branch's customers.
    token = issue_token(secret=DEV_JWT_SECRET, sub="S-HQ", role="staff", branch_id="HQ", ttl_s=3600)
    try:
        probe = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/customers/C0000001/offers",
            headers={"Authorization": f"Bearer {token}"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA.format(n=customers, token=token))
        return drive(
            port, f.name, connections=connections, seconds=seconds, threads=1, server_pid=api.pid
        )
    finally:
        api.terminate()
        api.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    ensure_wrk()
    name, url = asyncio.run(create_db("offers"))
    try:
        print(f"loaded {asyncio.run(load(name, args.customers))} into {name}", flush=True)
        yard = measure("fastapi_app", seconds=args.seconds, connections=args.connections)
        ours = offers(url, args.customers, seconds=args.seconds, connections=args.connections)
        yard2 = measure("fastapi_app", seconds=args.seconds, connections=args.connections)
        print(f"yardstick, bare FastAPI route (before): {yard}", flush=True)
        print(f"offers, one advisory-svc worker: {ours}", flush=True)
        print(f"yardstick, bare FastAPI route (after): {yard2}", flush=True)
        base = (float(yard["requests_per_s"]) + float(yard2["requests_per_s"])) / 2
        print(
            f"offers at {float(ours['requests_per_s']) / base:.0%} of the yardstick's requests/s "
            f"(target >= 50 %), p99 {ours['p99_ms']} ms (target < 20 ms)",
            flush=True,
        )
    finally:
        asyncio.run(drop_db(name))


if __name__ == "__main__":
    main()
