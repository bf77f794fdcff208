"""tiering-svc worker: event consumer, outbox relay, daily jobs (tier review, anniversaries)."""

from __future__ import annotations

import asyncio
import logging

from brokerage_common import (
    Database,
    Housekeeper,
    IdempotentConsumer,
    Outbox,
    OutboxRelay,
    configure_logging,
    run_main,
    run_periodic,
    run_until_stopped,
    today_cst,
)

from .config import Settings
from .handlers import TOPICS, build_handlers
from .ledger import service as ledger
from .models import PLATFORM
from .tiers import service as tiers

log = logging.getLogger(__name__)


def build_consumer(settings: Settings, db: Database) -> IdempotentConsumer:
    return IdempotentConsumer.from_settings(
        settings, db, PLATFORM, topics=TOPICS, handlers=build_handlers(settings)
    )


def build_relay(settings: Settings, db: Database) -> OutboxRelay:
    return OutboxRelay.from_settings(settings, db, PLATFORM)


async def run_daily_jobs(settings: Settings, db: Database, stop: asyncio.Event) -> None:
    """Monthly review on the first of the month, anniversaries every day; both idempotent.

    ``run_periodic`` retries a failed run at the next interval and ends the worker after
    ``max_consecutive_errors`` failures in a row, so the orchestrator restarts it instead of
    the jobs failing quietly forever (issue 16)."""
    outbox = Outbox(PLATFORM, source=settings.service_name)

    async def once() -> None:
        async with db.sessionmaker() as session:
            policy = await tiers.load_policy(session, settings=settings)
            today = today_cst()
            await ledger.credit_anniversaries(session, on=today, policy=policy, outbox=outbox)
            await tiers.review_tiers(session, on=today.replace(day=1), policy=policy, outbox=outbox)
            await session.commit()

    await run_periodic(
        once,
        name="daily-jobs",
        interval_s=settings.daily_jobs_interval_s,
        stop=stop,
        max_consecutive_errors=settings.max_consecutive_errors,
        service=settings.service_name,
    )


async def main(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging(
        service=f"{settings.service_name}-worker", level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size, batch_plans=True)
    consumer = build_consumer(settings, db)
    relay = build_relay(settings, db)
    try:
        await run_until_stopped(
            [
                consumer.run,
                relay.run,
                lambda stop: run_daily_jobs(settings, db, stop),
                Housekeeper.from_settings(settings, db, PLATFORM).run,
            ],
            metrics_port=settings.worker_metrics_port,
        )
    finally:
        await db.dispose()


if __name__ == "__main__":
    # ``python -m tiering_svc.worker`` runs this file as ``__main__``: run the module under its own
    # name, so that its logger is "tiering_svc.worker", not "__main__" (ADR 0019).
    from tiering_svc.worker import main as module_main

    run_main(module_main())
