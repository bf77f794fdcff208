"""Issue #18's procedure: the ingest as a share of the bare yardstick measured in the same run.

For each worker count N (1 and 2): yardstick, ingest, yardstick, ingest, yardstick (and one
more ingest and yardstick for each further pair; three pairs by default), where the
yardstick is ``reference_asyncpg.py`` on N connections (bare asyncpg dedupe-and-upsert, no
Kafka) and the ingest is ``ingest.py --workers N`` (the real tiering worker, Kafka, replay
check). Each ingest is divided by the mean of the two yardsticks either side of it, so the
machine's drift on this shared 2-core box cancels as far as it can. Prints every run, every
ratio, and one summary line per worker count with the worker's, PostgreSQL's and the broker's
CPU per event (mean of the ingests) and whether every replay left the ledger unchanged.

Targets (issue #18): one worker >= 70 % of the one-connection yardstick, two workers
>= 60 % of the two-connection one.

BENCH_DB_TAG=ingest .venv/bin/python bench/ingest_ratio.py --events 300000 [--workers 1 2] [--pairs 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from statistics import mean

import ingest
import reference_asyncpg

ROOT = Path(__file__).resolve().parent.parent
TARGET = {1: 0.70, 2: 0.60}
CPU_KEYS = ("worker_cpu_us_per_event", "postgres_cpu_us_per_event", "broker_cpu_us_per_event")


def alternate(events: int, workers: int, pairs: int = 3) -> dict[str, object]:
    """yardstick, (ingest, yardstick) x pairs; each ingest over the mean of its neighbours."""
    yardsticks: list[float] = []
    ingests: list[dict[str, object]] = []

    def yardstick() -> None:
        r = reference_asyncpg.run(events, workers)
        yardsticks.append(float(r["events_per_s"]))
        print(f"  yardstick, {workers} connection(s): {r['events_per_s']} events/s", flush=True)

    yardstick()
    ratios = []
    for _ in range(pairs):
        r = ingest.run(events, workers, ROOT / "data" / "bench")
        ingests.append(r)
        cpu = ", ".join(f"{k.split('_')[0]} {r[k]}" for k in CPU_KEYS)
        print(
            f"  ingest, {workers} worker(s): {r['events_per_s']} events/s; CPU µs/event {cpu};"
            f" replay unchanged: {r['replay_unchanged']}",
            flush=True,
        )
        yardstick()
        ratio = float(r["events_per_s"]) / mean(yardsticks[-2:])
        ratios.append(ratio)
        print(f"  ratio: {ratio:.0%} of {mean(yardsticks[-2:]):,.0f}", flush=True)
    cpu_means = {k: round(mean(float(r[k]) for r in ingests), 1) for k in CPU_KEYS}
    summary = {
        "workers": workers,
        "events": events,
        "ratios": [round(x, 3) for x in ratios],
        "target": TARGET.get(workers),
        "met": all(x >= TARGET.get(workers, 0) for x in ratios),
        "ingest_events_per_s": [r["events_per_s"] for r in ingests],
        "yardstick_events_per_s": yardsticks,
        **cpu_means,
        "replay_unchanged": all(r["replay_unchanged"] for r in ingests),
    }
    return summary


def summary_line(s: dict[str, object]) -> str:
    ratios = " ".join(f"{x:.0%}" for x in s["ratios"])
    return (
        f"INGEST {s['workers']} worker(s), {s['events']:,} events: {ratios} of the yardstick"
        f" (target {s['target']:.0%}: {'met' if s['met'] else 'NOT met'}); CPU µs/event"
        f" worker {s['worker_cpu_us_per_event']}, PostgreSQL {s['postgres_cpu_us_per_event']},"
        f" broker {s['broker_cpu_us_per_event']}; replay unchanged: {s['replay_unchanged']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    summaries = []
    for workers in args.workers:
        print(f"-- {workers} worker(s) against the {workers}-connection yardstick", flush=True)
        summaries.append(alternate(args.events, workers, args.pairs))
    for s in summaries:
        print(summary_line(s))
        print(s)


if __name__ == "__main__":
    main()
