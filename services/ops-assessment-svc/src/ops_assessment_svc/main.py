"""ops-assessment-svc application: create_app() wires the subpackages' routes and the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from brokerage_common import Database, Outbox, configure_logging, install_platform
from brokerage_common.kafka import broker_reachable

from .assessment.router import router as assessment_router
from .assignment.router import router as assignment_router
from .complaints.router import router as complaints_router
from .config import Settings
from .db import PLATFORM
from .retention.router import router as retention_router
from .staff_groups.router import router as groups_router


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
        title="ops-assessment-svc",
        version="0.1.0",
        description=(
            "Service groups (客户服务小组) and their monthly assignment, transfer-away retention "
            "cases (挽留), complaints (投诉) and suggestions, and the monthly group assessment "
            "(月度考核)."
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
    for router in (
        groups_router,
        assignment_router,
        retention_router,
        complaints_router,
        assessment_router,
    ):
        app.include_router(router)
    return app
