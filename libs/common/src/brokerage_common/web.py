"""What every service's FastAPI app shares: health, metrics, request metrics, error shape, auth wiring."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .auth import TokenVerifier
from .settings import CommonSettings

ReadinessCheck = Callable[[], Awaitable[bool]]


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
            metrics.HTTP_REQUESTS.labels(self.service, method, template, str(status_holder["status"])).inc()
            metrics.HTTP_LATENCY.labels(self.service, method, template).observe(time.perf_counter() - started)


def install_platform(app: FastAPI, *, settings: CommonSettings, readiness: list[ReadinessCheck]) -> None:
    """Add /healthz, /readyz, /metrics, the metrics middleware, JSON 4xx errors and the token verifier."""
    app.state.token_verifier = TokenVerifier(
        secret=settings.auth_jwt_secret if not settings.auth_jwt_public_key else None,
        public_key=settings.auth_jwt_public_key,
        issuer=settings.auth_jwt_issuer,
    )
    app.add_middleware(MetricsMiddleware, service=settings.service_name)

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "not ready"}})
    async def readyz() -> JSONResponse:
        """The database and the broker are reachable."""
        results = [await check() for check in readiness]
        ok = all(results)
        return JSONResponse({"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # The same 422 FastAPI gives, but never echoing the input back (it may hold an ID number).
        errors: list[dict[str, Any]] = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)
