"""profile-svc application: create_app() wires the routes, error mapping and platform parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from brokerage_common import Database, Outbox, configure_logging, install_platform
from brokerage_common.kafka import broker_reachable

from .config import Settings
from .router import router
from .tables import PLATFORM


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.hash_key  # noqa: B018 - the API refuses to start without its ID-number hash key
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
        title="profile-svc",
        version="0.1.0",
        description=(
            "Customer files (客户档案) with masked personal numbers and audited reveals, the risk "
            "questionnaire (风险承受能力评估), segmentation (客户细分), the CRM contact log and "
            "transfer-away requests (转托管/撤销指定)."
        ),
        lifespan=lifespan,
    )
    app.state.db = db
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
