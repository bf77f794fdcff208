"""advisory-svc application: create_app() wires the subpackages' routers and the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from brokerage_common import Database, Outbox, configure_logging, install_platform
from brokerage_common.kafka import broker_reachable

from .agreements.router import router as agreements
from .catalogue.router import router as catalogue
from .config import Settings
from .content.router import router as content
from .models import PLATFORM
from .offers.router import router as offers
from .subscriptions.router import router as subscriptions
from .tracking.router import router as tracking


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await db.dispose()

    app = FastAPI(
        title="advisory-svc",
        version="0.1.0",
        description=(
            "The product desk (咨询与产品): catalogue, prices per customer, subscriptions, "
            "advisory agreements (投资顾问协议), content and pick tracking (后续跟踪)."
        ),
        lifespan=lifespan,
    )
    app.state.db = db
    install_platform(
        app,
        settings=settings,
        readiness=[db.ping, lambda: broker_reachable(settings.kafka_bootstrap_servers)],
        outbox=Outbox(PLATFORM, source=settings.service_name),
    )
    for router in (catalogue, offers, subscriptions, agreements, content, tracking):
        app.include_router(router)
    return app
