"""advisory-svc application: create_app() wires the subpackages' routers and the platform."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI

from brokerage_common import (
    Database,
    Outbox,
    TokenCache,
    configure_logging,
    install_platform,
    today_cst,
)
from brokerage_common.kafka import broker_reachable
from brokerage_common.web import ready_when

from .agreements.router import router as agreements
from .catalogue.router import router as catalogue
from .config import Settings
from .content.router import router as content
from .deps import get_today
from .models import PLATFORM
from .offers.fastpath import OffersFastPath
from .offers.memory import OffersFeed, OffersModel
from .offers.router import router as offers
from .subscriptions.router import router as subscriptions
from .tracking.router import router as tracking

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    model = OffersModel(db, overlap_s=settings.offers_change_overlap_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        feed = OffersFeed(model, interval_s=settings.offers_poll_interval_s)
        try:
            await model.load()
        except Exception as exc:  # noqa: BLE001 - not ready; the feed retries the load
            log.warning("offers read model not loaded at startup: %s", type(exc).__name__)
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()
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
    app.state.offers = model
    install_platform(
        app,
        settings=settings,
        # Ready = the offers read model is loaded (ADR 0010, "Offers"), as tiering's routing
        # (ADR 0006); the database and the broker are metrics (brokerage_dependency_up).
        readiness=[ready_when(lambda: model.loaded)],
        dependencies={
            "database": db.ping,
            "broker": lambda: broker_reachable(settings.kafka_bootstrap_servers),
        },
        outbox=Outbox(PLATFORM, source=settings.service_name),
    )
    for router in (catalogue, offers, subscriptions, agreements, content, tracking):
        app.include_router(router)

    def today() -> date:
        # The route's clock, a test's override of it included.
        override = app.dependency_overrides.get(get_today)
        return override() if override is not None else today_cst()

    # Outside every middleware: the product pages' offers skip FastAPI's per-request
    # machinery (ADR 0010, "Offers"); everything else, errors included, goes to FastAPI.
    # The wrapper is an ASGI app that passes attribute access through to the FastAPI app
    # (as tiering's RoutingFastPath); typing it as FastAPI keeps every caller's types.
    return OffersFastPath(  # type: ignore[return-value]
        app,
        model=model,
        tokens=TokenCache(app.state.token_verifier),
        prices=settings.prices(),
        today=today,
    )
