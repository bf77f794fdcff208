"""make bench: every benchmark, numbers printed (minutes; needs PostgreSQL on 127.0.0.1:5432).

.venv/bin/python bench/run.py [--events 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(title: str, args: list[str]) -> None:
    print(f"\n== {title}\n$ {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k events, 10 s of load")
    args = parser.parse_args()
    events = 100_000 if args.quick else args.events
    seconds = "10" if args.quick else "30"
    run(
        "tiering ingest as a share of the bare asyncpg yardstick in the same run, alternately"
        " (issue #18: one worker >= 70 % of one connection, two workers >= 60 % of two)",
        [str(HERE / "ingest_ratio.py"), "--events", str(events), "--workers", "1", "2"],
    )
    run(
        "the ingest's CPU floors: consume + decode, the ledger COPY alone",
        [str(HERE / "floors.py"), "--events", str(events)],
    )
    run(
        "the routing target's yardsticks: bare FastAPI and bare Starlette routes (~10,000 and ~25,000)",
        [str(HERE / "routing_reference.py"), "--seconds", seconds],
    )
    run(
        "call-center routing, 32 connections, one API worker, beside the bare ASGI app"
        " (targets: >= 12,000 req/s and >= 80% of the bare ASGI app, p99 < 5 ms)",
        [str(HERE / "routing.py"), "--seconds", seconds],
    )
    run(
        "staff console page render, 8 users, a branch of 50,000 customers (target p95 < 300 ms)",
        [str(HERE / "console_pages.py"), "--customers", "50000", "--seconds", seconds],
    )
    advisory = ROOT / "services" / "advisory-svc" / "bench"
    run(
        "advisory: publish one piece to an audience drawn from 1,000,000 customers, beside the "
        "bare SQL selecting it (target < 5 s, >= 50 %)",
        [
            str(advisory / "bench_publish.py"),
            "--customers",
            "100000" if args.quick else "1000000",
        ],
    )
    run(
        "advisory: GET /v1/customers/{id}/offers, 32 connections, one worker, beside the bare "
        "FastAPI yardstick (target >= 50 % of its req/s, p99 < 20 ms)",
        [str(advisory / "bench_offers.py"), "--seconds", seconds],
    )
    run(
        "housekeeping: prune 10 million processed-event ids (rows/s, longest lock hold,"
        " the hot path's claims meanwhile) beside one bare DELETE",
        [str(HERE / "housekeeping.py")]
        + (["--rows", "1000000", "--outbox-rows", "100000"] if args.quick else []),
    )
    ops = ROOT / "services" / "ops-assessment-svc" / "bench"
    run(
        "ops month-end assessment, 1,000,000 customers in 200 groups (target < 10 s and >= 50 % "
        "of a bare GROUP BY over the same join)",
        [str(ops / "bench_assessment.py")] + (["--customers", "100000"] if args.quick else []),
    )
    run(
        "ops monthly figures from a settlement day vs tiering's ingest handler, per event "
        "(target: at least as fast)",
        [str(ops / "bench_figures.py"), "--events", str(min(events, 200_000))],
    )
    campaign = ROOT / "services" / "notify-svc" / "bench" / "bench_campaign.py"
    if campaign.exists():
        run(
            "notify campaign to 1,000,000 customers (target >= 10,000 messages/s, 0 duplicates, 0 lost)",
            [str(campaign)] + (["--customers", "100000"] if args.quick else []),
        )


if __name__ == "__main__":
    main()
