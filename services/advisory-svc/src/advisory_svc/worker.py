"""advisory-svc worker: the event consumer (read models, points-paid SMS), the outbox relay and
the daily job (tier-drop notices, subscriptions whose term is over)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from brokerage_common import (
    Database,
    IdempotentConsumer,
    Outbox,
    OutboxRelay,
    configure_logging,
    run_main,
    run_until_stopped,
    today_cst,
)

from . import metrics
from .config import Settings
from .handlers import TOPICS, registry
from .models import PLATFORM
from .subscriptions.service import run_daily_jobs as run_subscription_jobs

log = logging.getLogger(__name__)


def build_consumer(
    settings: Settings, db: Database, *, group_id: str | None = None
) -> IdempotentConsumer:
    return IdempotentConsumer.from_settings(
        settings,
        db,
        PLATFORM,
        topics=TOPICS,
        handlers=registry(settings.service_name),
        name=group_id,
    )


def build_relay(settings: Settings, db: Database) -> OutboxRelay:
    return OutboxRelay.from_settings(settings, db, PLATFORM)


async def run_daily_jobs(settings: Settings, db: Database, stop: asyncio.Event) -> None:
    """Every interval (idempotent: a notice is sent once, an ended subscription stays ended)."""
    outbox = Outbox(PLATFORM, source=settings.service_name)
    while not stop.is_set():
        try:
            async with db.sessionmaker() as session:
                done = await run_subscription_jobs(
                    session, today=today_cst(), standard_rate=settings.standard_rate, outbox=outbox
                )
                await session.commit()
            metrics.TIER_DROP_NOTICES.inc(done["notices"])
        except Exception:
            log.exception("daily jobs failed; will try again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.daily_jobs_interval_s)


async def main(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging(
        service=f"{settings.service_name}-worker", level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    consumer = build_consumer(settings, db)
    relay = build_relay(settings, db)
    try:
        await run_until_stopped(
            [consumer.run, relay.run, lambda stop: run_daily_jobs(settings, db, stop)],
            metrics_port=settings.worker_metrics_port,
        )
    finally:
        await db.dispose()


if __name__ == "__main__":
    # ``python -m advisory_svc.worker`` runs this file as ``__main__``: run the module under its own
    # name, so that its logger is "advisory_svc.worker", not "__main__" (ADR 0019).
    from advisory_svc.worker import main as module_main

    run_main(module_main())
