"""trading-sim: publish a simulated trading day to Kafka.

The settlement system's and the branch counter's events for one day (TradeSettled,
TradeCancelled, AssetSnapshotTaken, CustomerTransferRequested, CommissionRateSet,
ClosingPricePublished), in the shapes of events.md, reproducible from --seed. A secured
listener is described by the services' own KAFKA_* variables. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import date
from typing import TextIO

from brokerage_common.kafka import KafkaConnection, ensure_topics
from brokerage_common.settings import CommonSettings
from brokerage_common.topics import all_topic_specs

from .day import DayConfig, generate_day, publish


class Progress:
    """Prints ``sent / total (share), rate`` to ``out`` at most every ``every_s`` seconds,
    and once at the end; ``every_s`` 0 prints nothing."""

    def __init__(self, total: int, *, every_s: float, out: TextIO = sys.stderr) -> None:
        self.total = total
        self.every_s = every_s
        self.out = out
        self.started = time.perf_counter()
        self.last = self.started

    def __call__(self, sent: int) -> None:
        now = time.perf_counter()
        if self.every_s <= 0 or (now - self.last < self.every_s and sent < self.total):
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        share = sent / self.total if self.total else 1.0
        print(
            f"trading-sim: sent {sent}/{self.total} events ({share:.0%}),"
            f" {sent / elapsed:,.0f} events/s, {elapsed:.1f}s",
            file=self.out,
            flush=True,
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trading-sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--customers",
        type=int,
        default=300,
        help="customers trading that day, C000001 upwards (default: %(default)s)",
    )
    p.add_argument(
        "--trades-per-customer",
        type=float,
        default=3.0,
        help="average settled trades per customer (default: %(default)s)",
    )
    p.add_argument(
        "--date",
        type=date.fromisoformat,
        default=date(2026, 11, 20),
        metavar="YYYY-MM-DD",
        help="the trade date (default: %(default)s)",
    )
    p.add_argument(
        "--cancel-rate",
        type=float,
        default=0.01,
        help="share of trades cancelled again with TradeCancelled (default: %(default)s)",
    )
    p.add_argument(
        "--transfers",
        type=int,
        default=3,
        help="CustomerTransferRequested events (transfer-away requests) (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=20261120,
        help="random seed: the same seed gives the same day (default: %(default)s)",
    )
    p.add_argument(
        "--no-snapshots",
        action="store_true",
        help="leave out the end-of-day AssetSnapshotTaken of every customer",
    )
    p.add_argument(
        "--no-market",
        action="store_true",
        help="leave out the base commission rates and the day's closing prices",
    )
    p.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        metavar="HOST:PORT",
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS, else %(default)s)",
    )
    p.add_argument(
        "--progress-every",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="print sent/total and the rate to stderr this often; 0: never (default: %(default)s)",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    cfg = DayConfig(
        customers=args.customers,
        trades_per_customer=args.trades_per_customer,
        trade_date=args.date,
        cancel_rate=args.cancel_rate,
        transfers=args.transfers,
        seed=args.seed,
        snapshots=not args.no_snapshots,
        market=not args.no_market,
    )

    # A secured listener is described by the services' own KAFKA_* variables.
    connection = KafkaConnection.from_settings(
        CommonSettings(service_name="trading-sim", kafka_bootstrap_servers=args.bootstrap)
    )
    # The day is generated first, so the progress line knows the total.
    messages = list(generate_day(cfg))
    progress = Progress(len(messages), every_s=args.progress_every)

    async def run() -> int:
        await ensure_topics(connection, all_topic_specs())
        return await publish(messages, connection, progress=progress)

    started = time.perf_counter()
    sent = asyncio.run(run())
    print(f"published {sent} events in {time.perf_counter() - started:.1f}s to {args.bootstrap}")


if __name__ == "__main__":
    main()
