"""The settlement handler's own CPU per event, an earlier commit (A) and the working tree (B)
alternately: for levers too small to show through bench/ingest.py's wall clock on a shared
machine.

Each side runs in its own process on a fresh PostgreSQL database: the bench day's
``TradeSettled`` envelopes, decoded by the worker's fast decoder, through tiering's batch
handler and a commit, 10,000 a transaction. What is printed is the process's CPU time per
event (``time.process_time``: the worker thread's share, PostgreSQL's excluded), which
the other engineers' load moves far less than events per second, and the ledger it left
(the same on both sides, or the lever changed what is written).

.venv/bin/python bench/ab_handler.py --baseline HEAD --events 200000 --pairs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("libs/common/src", "services/tiering-svc/src", "tools/simulator/src")
BATCH = 10_000


async def _one(events: int) -> dict[str, object]:
    from ingest import DB_TAG, bench_day, create_db, drop_db, ledger

    from brokerage_common import Database
    from brokerage_common.wire import fast_decoder
    from tiering_svc.config import Settings
    from tiering_svc.handlers import build_handlers
    from trading_sim import generate_day

    decode = fast_decoder({"TradeSettled"})
    assert decode is not None
    envelopes = [decode(raw) for _t, _k, raw in generate_day(bench_day(events))]
    name = f"bench_handler_{DB_TAG}_{uuid.uuid4().hex[:8]}".replace("__", "_")
    url = await create_db(name)
    db = Database(url)
    handler: Any = build_handlers(Settings(environment="test"))["TradeSettled"]
    try:
        cpu0, t0 = time.process_time(), time.perf_counter()
        for i in range(0, len(envelopes), BATCH):
            async with db.sessionmaker() as session:
                await handler(session, envelopes[i : i + BATCH])
                await session.commit()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        await db.dispose()
        state = await ledger(name)
    finally:
        await drop_db(name)
    n = len(envelopes)
    return {
        "cpu_us_per_event": round(cpu / n * 1e6, 2),
        "events_per_s": round(n / wall),
        "ledger": state,
    }


def run_side(events: int, pythonpath: str | None) -> dict[str, object]:
    from ab_ingest import last_result

    command = [__file__, "--one", "--events", str(events)]
    return last_result(command, cwd=ROOT / "bench", pythonpath=pythonpath)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", help="the commit to compare against")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--one", action="store_true", help="(internal) one side, this tree")
    args = parser.parse_args()
    if args.one:
        print(asyncio.run(_one(args.events)))
        return
    with tempfile.TemporaryDirectory(prefix="ab-handler-") as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            baseline_path = os.pathsep.join(str(tree / s) for s in SOURCES)
            print("run  cpu_us_per_event  events_per_s  ledger", flush=True)
            for i in range(args.pairs):
                for side, path in (("A", baseline_path), ("B", None)):
                    r = run_side(args.events, path)
                    print(
                        f"{side}{i + 1}   {r['cpu_us_per_event']}  {r['events_per_s']}  {r['ledger']}",
                        flush=True,
                    )
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )


if __name__ == "__main__":
    main()
