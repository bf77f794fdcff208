"""staff-console application: create_app() wires the pages, the shared service client, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from brokerage_common import configure_logging, install_platform

from .clients import Clients, ServiceRefused, ServiceUnavailable
from .config import Settings
from .pages import advisers, assessment, customers, desk, manager, signin
from .pages.common import render
from .session import NotSignedIn, NotStaff, read_user

STATIC = Path(__file__).resolve().parent / "static"
TITLES = {400: "请求有误", 403: "无权访问", 404: "找不到", 422: "输入有误", 503: "服务不可用"}


def _error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    try:
        user = read_user(request)
    except (NotSignedIn, NotStaff):
        user = None
    return render(
        request,
        "error.html",
        user=user,
        status_code=status_code,
        title=TITLES.get(status_code, "出错了"),
        message=message,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    # httpx logs every URL at INFO, and a console URL may carry a reveal reason or a customer's
    # details typed into a query: only its warnings are kept.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await http.aclose()

    # One client for every service call: pooled connections, one timeout for all. Every
    # pooled connection is kept alive (httpx keeps only 20 by default): a 360° page asks nine
    # services at once, so a few users already need more, and each connection dropped after
    # its call was a new TCP connection on the next page (issue #15).
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.service_timeout_s),
        limits=httpx.Limits(
            max_connections=settings.service_max_connections,
            max_keepalive_connections=settings.service_max_connections,
        ),
    )
    app = FastAPI(
        title="staff-console",
        version="0.1.0",
        description="员工工作台: the branch staff's pages over the services' APIs.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.clients = Clients.build(http, settings)
    # Ready means the process serves pages: an absent service is a panel on its pages, not a
    # reason to take the whole console out of rotation.
    install_platform(app, settings=settings, readiness=[])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        # A person filled in a form: name the fields, never echo what was typed (it may be a
        # phone or ID number).
        fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
        return _error_page(request, 422, "请检查这些输入：" + "、".join(fields))

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(_request: Request, _exc: NotSignedIn) -> Response:
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(NotStaff)
    async def not_staff(request: Request, _exc: NotStaff) -> Response:
        return _error_page(
            request, 403, "工作台仅供营业部员工使用：客户或系统令牌不能打开任何页面。"
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(ServiceRefused)
    async def refused(request: Request, exc: ServiceRefused) -> Response:
        if exc.status_code == 401:
            return RedirectResponse("/signin", status_code=303)
        message = {
            403: "你不能查看此内容：员工只能查看本营业部的客户。",
            404: "没有这个客户或记录。",
        }.get(exc.status_code, exc.message)
        return _error_page(request, exc.status_code if exc.status_code < 500 else 502, message)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        return _error_page(request, 503, f"{exc.service} 暂不可用（{exc.reason}），请稍后再试。")

    for module in (signin, customers, desk, assessment, advisers, manager):
        app.include_router(module.router)
    return app
