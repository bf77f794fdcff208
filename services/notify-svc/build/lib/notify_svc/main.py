"""notify-svc application: create_app() wires the routes, provider callbacks and platform parts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from brokerage_common import Database, Outbox, configure_logging, install_platform
from brokerage_common.kafka import broker_reachable

from .clock import Clock, utcnow
from .config import Settings
from .models import PLATFORM
from .router import router
from .templates.service import ensure_default_templates

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with db.sessionmaker() as session:
                await ensure_default_templates(session, now=app.state.clock())
                await session.commit()
        except Exception:  # noqa: BLE001 - serve anyway; the worker seeds them too
            log.warning("default templates not checked (database not migrated yet?)")
        try:
            yield
        finally:
            await db.dispose()

    app = FastAPI(
        title="notify-svc",
        version="0.1.0",
        description=(
            "Outbound notifications (短信/实时通讯/邮件): SMS through the provider gateway, "
            "enterprise IM, e-mail; delivery reports, opt-out, campaigns and reminders."
        ),
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.clock = clock or utcnow
    install_platform(
        app,
        settings=settings,
        # Ready = can serve its requests (they read the database); the broker only matters
        # to the worker's relay, so it is a metric, not a reason to leave the Service.
        readiness=[db.ping],
        outbox=Outbox(PLATFORM, source=settings.service_name),
        dependencies={
            "database": db.ping,
            "broker": lambda: broker_reachable(settings.kafka_bootstrap_servers),
        },
    )
    app.include_router(router)
    return app
