"""ops-assessment-svc worker: event consumer, outbox relay, and the monthly jobs.

On the first of a month: each branch's assignment; every day: the previous month's
assessment again (late events show up as restatements, an unchanged month publishes
nothing). Both are idempotent, so a restart or a second run changes nothing.
"""

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
    now_cst,
    run_main,
    run_until_stopped,
)

from .assessment import service as assessment
from .assignment import service as assignment
from .config import Settings
from .db import PLATFORM
from .figures.rules import month_of, previous_month
from .handlers import TOPICS, handlers

log = logging.getLogger(__name__)


def build_consumer(settings: Settings, db: Database) -> IdempotentConsumer:
    return IdempotentConsumer.from_settings(
        settings, db, PLATFORM, topics=TOPICS, handlers=handlers(settings)
    )


async def run_monthly_jobs(settings: Settings, db: Database, stop: asyncio.Event) -> None:
    outbox = Outbox(PLATFORM, source=settings.service_name)
    while not stop.is_set():
        try:
            now = now_cst()
            today = now.date()
            async with db.sessionmaker() as session:
                for branch_id in await assignment.branches_with_groups(session):
                    # Sticky and idempotent: after the first of the month only new customers move.
                    await assignment.assign_branch(
                        session,
                        branch_id=branch_id,
                        on=today,
                        capacity=settings.group_capacity,
                        outbox=outbox,
                        rate=settings.potential_contribution_rate,
                    )
                await assessment.assess_month(
                    session,
                    month=previous_month(month_of(today)),
                    current_month=month_of(today),
                    churning=settings.churning_turnover,
                    now=now,
                    outbox=outbox,
                )
                await session.commit()
        except Exception:
            log.exception("monthly jobs failed; will try again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.jobs_interval_s)


async def main(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging(
        service=f"{settings.service_name}-worker", level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size, batch_plans=True)
    consumer = build_consumer(settings, db)
    relay = OutboxRelay.from_settings(settings, db, PLATFORM)
    try:
        await run_until_stopped(
            [consumer.run, relay.run, lambda stop: run_monthly_jobs(settings, db, stop)],
            metrics_port=settings.worker_metrics_port,
        )
    finally:
        await db.dispose()


if __name__ == "__main__":
    # ``python -m ops_assessment_svc.worker`` runs this file as ``__main__``: run the module
    # under its own name, so its logger is "ops_assessment_svc.worker", not "__main__".
    from ops_assessment_svc.worker import main as module_main

    run_main(module_main())
