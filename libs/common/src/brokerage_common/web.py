"""What every service's FastAPI app shares: health, metrics, error shape, auth wiring."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .apidoc import ERROR_RESPONSES as ERROR_RESPONSES
from .apidoc import install_api_contract
from .auth import TokenVerifier
from .errors import ErrorResponse
from .outbox import Outbox
from .settings import CommonSettings
from .tracing import install_request_context

ReadinessCheck = Callable[[], Awaitable[bool]]
"""Answers whether the service can serve its requests (readiness) or whether a dependency
answers (``brokerage_dependency_up``); raising or hanging past the timeout counts as False."""


def ready_when(flag: Callable[[], bool]) -> ReadinessCheck:
    """A readiness check from an in-memory flag, e.g. ``ready_when(lambda: model.loaded)``
    for an API that answers from a read model rather than from its database."""

    async def check() -> bool:
        return bool(flag())

    check.__name__ = getattr(flag, "__name__", "ready_when")
    return check


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session on the app's database (``app.state.db``) for one request.

    The route commits; service functions only add to the session.
    """
    async with request.app.state.db.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_settings(request: Request) -> Any:
    """FastAPI dependency: the app's settings (``app.state.settings``, set by ``create_app``).

    (``async``, like the other shared dependencies, so FastAPI does not run it in its thread
    pool.) A service narrows the type with its own alias:
    ``SettingsDep = Annotated[Settings, Depends(get_settings)]``.
    """
    return request.app.state.settings


async def get_outbox(request: Request) -> Outbox:
    """FastAPI dependency: the app's outbox (``app.state.outbox``, set by ``install_platform``)."""
    outbox: Outbox = request.app.state.outbox
    return outbox


OutboxDep = Annotated[Outbox, Depends(get_outbox)]


# The one error shape and the error answers a /v1 router declares (ADR 0021); kept importable
# from here under their old names.
ErrorBody = ErrorResponse
log = logging.getLogger(__name__)


async def _check_ready(check: ReadinessCheck, timeout_s: float) -> bool:
    """Run one readiness check: raising or hanging means "not ready", never a 500 or a hang."""
    try:
        return bool(await asyncio.wait_for(check(), timeout_s))
    except TimeoutError:
        log.warning(
            "readiness check timed out", extra={"check": getattr(check, "__name__", repr(check))}
        )
        return False
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is "not ready"
        log.warning(
            "readiness check failed",
            extra={"check": getattr(check, "__name__", repr(check)), "error": type(exc).__name__},
        )
        return False


class MetricsMiddleware:
    """Counts requests and observes latency by route template (not raw path) and status."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(
                self.service, method, template, str(status_holder["status"])
            ).inc()
            metrics.HTTP_LATENCY.labels(self.service, method, template).observe(
                time.perf_counter() - started
            )


def install_platform(
    app: FastAPI,
    *,
    settings: CommonSettings,
    readiness: list[ReadinessCheck],
    readiness_timeout_s: float = 2.0,
    outbox: Outbox | None = None,
    dependencies: Mapping[str, ReadinessCheck] | None = None,
) -> None:
    """Add /healthz, /readyz, /metrics, request metrics, request ids and trace context for
    the log lines (``X-Request-ID`` / ``traceparent``), the API contract (JSON 4xx errors
    ``{detail, code}``, operation ids) and the token verifier.

    ``readiness``: what the service needs to serve its requests, and nothing more, because
    a failing /readyz takes the pod out of its Service: the database for an API that reads
    it per request, a loaded read model for one that answers from memory (tiering's
    routing, ADR 0006). ``dependencies`` (name -> check, e.g. the database and the broker)
    are reported on every /metrics scrape as ``brokerage_dependency_up{dependency=...}`` for alerts:
    a broker outage must not empty every API of its pods (issue 16).

    Also keeps ``settings`` (``get_settings``) and, when given, the service's ``outbox``
    (``OutboxDep``) on the app for the routes' dependencies.
    """
    app.state.settings = settings
    if outbox is not None:
        app.state.outbox = outbox
    app.state.token_verifier = TokenVerifier(
        secret=settings.auth_jwt_secret if not settings.auth_jwt_public_key else None,
        public_key=settings.auth_jwt_public_key,
        issuer=settings.auth_jwt_issuer,
    )
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    install_api_contract(app, service=settings.service_name)
    # Outermost: the request id and trace context are set before anything logs (ADR 0019).
    install_request_context(app)
    watched = dict(dependencies or {})

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "not ready"}})
    async def readyz() -> JSONResponse:
        """The service can serve its requests (its readiness checks pass)."""
        results = await asyncio.gather(
            *(_check_ready(check, readiness_timeout_s) for check in readiness)
        )
        ok = all(results)
        return JSONResponse(
            {"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503
        )

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics_endpoint() -> Response:
        if watched:
            names = list(watched)
            results = await asyncio.gather(
                *(_check_ready(watched[n], readiness_timeout_s) for n in names)
            )
            for name, up in zip(names, results, strict=True):
                metrics.DEPENDENCY_UP.labels(settings.service_name, name).set(1 if up else 0)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
