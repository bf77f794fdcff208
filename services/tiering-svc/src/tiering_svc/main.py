"""tiering-svc application: create_app() wires the routes, the routing read model, the platform."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from brokerage_common import Database, Outbox, TokenCache, configure_logging, install_platform
from brokerage_common.kafka import KafkaConnection, broker_reachable
from brokerage_common.web import ready_when

from .config import Settings
from .models import PLATFORM
from .router import router
from .routing.fastpath import RoutingFastPath
from .routing.read_model import RoutingFeed, RoutingModel

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, follow_events: bool = True) -> RoutingFastPath:
    """The API: FastAPI with its routes and the platform's endpoints, behind the routing fast
    path (ADR 0006), which answers GET /v1/routing itself and passes everything else on."""
    settings = settings or Settings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    model = RoutingModel()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        feed = RoutingFeed(
            model,
            db=db,
            bootstrap=KafkaConnection.from_settings(settings),
            resync_interval_s=settings.routing_resync_interval_s,
        )
        if follow_events:
            await feed.start()
        else:
            try:
                await model.load(db)
            except Exception as exc:  # noqa: BLE001 - answer "unknown" rather than not at all
                log.warning("routing snapshot not loaded at startup: %s", type(exc).__name__)
        try:
            yield
        finally:
            await feed.stop()
            await db.dispose()

    app = FastAPI(
        title="tiering-svc",
        version="0.1.0",
        description=(
            "Tiers, loyalty points ledger, redemptions and call-center routing (客户分级与积分)."
        ),
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.routing = model
    install_platform(
        app,
        settings=settings,
        # Ready = the routing read model is loaded: routing answers from memory (ADR 0006),
        # through a database or broker outage; those two are metrics (brokerage_dependency_up).
        readiness=[ready_when(lambda: model.loaded)],
        outbox=Outbox(PLATFORM, source=settings.service_name),
        dependencies={
            "database": db.ping,
            "broker": lambda: broker_reachable(settings.kafka_bootstrap_servers),
        },
    )
    app.include_router(router)
    # Outside every middleware: the ringing phone skips FastAPI's per-request machinery.
    return RoutingFastPath(app, model=model, tokens=TokenCache(app.state.token_verifier))
