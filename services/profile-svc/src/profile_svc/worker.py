"""profile-svc worker: the event consumer (segments, transfer requests) and the outbox relay."""

from __future__ import annotations

from brokerage_common import (
    Database,
    Housekeeper,
    IdempotentConsumer,
    OutboxRelay,
    configure_logging,
    run_main,
    run_until_stopped,
)

from .config import Settings
from .handlers import TOPICS, registry
from .tables import PLATFORM


def build_consumer(
    settings: Settings, db: Database, *, group_id: str | None = None
) -> IdempotentConsumer:
    return IdempotentConsumer.from_settings(
        settings, db, PLATFORM, topics=TOPICS, handlers=registry(settings), name=group_id
    )


def build_relay(settings: Settings, db: Database) -> OutboxRelay:
    return OutboxRelay.from_settings(settings, db, PLATFORM)


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
            [consumer.run, relay.run, Housekeeper.from_settings(settings, db, PLATFORM).run],
            metrics_port=settings.worker_metrics_port,
        )
    finally:
        await db.dispose()


if __name__ == "__main__":
    # ``python -m profile_svc.worker`` runs this file as ``__main__``: run the module under its own
    # name, so that its logger is "profile_svc.worker", not "__main__" (ADR 0019).
    from profile_svc.worker import main as module_main

    run_main(module_main())
