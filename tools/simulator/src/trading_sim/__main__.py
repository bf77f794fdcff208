"""trading-sim CLI: publish a simulated trading day to Kafka."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import date

from brokerage_common.kafka import KafkaConnection, ensure_topics
from brokerage_common.settings import CommonSettings
from brokerage_common.topics import all_topic_specs

from .day import DayConfig, generate_day, publish


def main() -> None:
    parser = argparse.ArgumentParser(prog="trading-sim", description=__doc__)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--trades-per-customer", type=float, default=3.0)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 20))
    parser.add_argument("--cancel-rate", type=float, default=0.01)
    parser.add_argument("--transfers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--no-snapshots", action="store_true")
    parser.add_argument(
        "--no-market",
        action="store_true",
        help="leave out the base commission rates and the day's closing prices",
    )
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    args = parser.parse_args()
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

    async def run() -> int:
        await ensure_topics(connection, all_topic_specs())
        return await publish(generate_day(cfg), connection)

    started = time.perf_counter()
    sent = asyncio.run(run())
    print(f"published {sent} events in {time.perf_counter() - started:.1f}s to {args.bootstrap}")


if __name__ == "__main__":
    main()
