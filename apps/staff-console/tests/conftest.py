"""Fixtures of the console's tests: the app over fake services (httpx transports), tokens."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio

from brokerage_common.settings import DEV_JWT_SECRET
from staff_console.clients import Clients
from staff_console.config import DemoStaff, Settings
from staff_console.main import create_app
from staff_console.session import COOKIE, cookie_value

PORTS = {8001: "profile", 8002: "tiering", 8003: "advisory", 8004: "notify", 8005: "ops"}
Handler = Callable[[httpx.Request], httpx.Response]
DEMO_STAFF = [
    DemoStaff(staff_id="S001", name="王经理", branch_id="B001", staff_roles=["manager"]),
    DemoStaff(staff_id="S002", name="李敏", branch_id="B001", staff_roles=["account_manager"]),
    DemoStaff(staff_id="S004", name="陈涛", branch_id="B001", staff_roles=["adviser"]),
]


@dataclass
class FakeServices:
    """Routes by (service, method, path) to a handler; an unrouted service is down (refused)."""

    routes: dict[tuple[str, str, str], Handler] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)

    def on(self, service: str, method: str, path: str, answer: Any, status: int = 200) -> None:
        def handler(_request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, json=answer)

        self.routes[(service, method, path)] = handler

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        service = PORTS[request.url.port or 80]
        handler = self.routes.get((service, request.method, request.url.path))
        if handler is not None:
            return handler(request)
        if any(s == service for s, _, _ in self.routes):
            return httpx.Response(404, json={"detail": "Not Found"})
        raise httpx.ConnectError("connection refused", request=request)

    def called(self, service: str) -> list[httpx.Request]:
        return [r for r in self.calls if PORTS[r.url.port or 80] == service]

    def body(self, service: str, path: str) -> Any:
        found = [r for r in self.called(service) if r.url.path == path and r.method != "GET"]
        assert found, f"no {service} call to {path}"
        return json.loads(found[-1].content)


@pytest.fixture
def settings() -> Settings:
    return Settings(environment="test", console_demo_staff=DEMO_STAFF, log_json=False)


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest_asyncio.fixture
async def client(settings: Settings, fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    app.state.clients = Clients.build(http, settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://console"
    ) as c:
        yield c
    await http.aclose()


def staff_token(
    staff_id: str = "S002",
    *,
    branch_id: str = "B001",
    roles: list[str] | None = None,
    secret: str = DEV_JWT_SECRET,
) -> str:
    claims: dict[str, Any] = {
        "sub": staff_id,
        "role": "staff",
        "branch_id": branch_id,
        "exp": int(time.time()) + 600,
    }
    if roles is not None:
        claims["staff_roles"] = roles
    return jwt.encode(claims, secret, algorithm="HS256")


def sign_in_as(client: httpx.AsyncClient, settings: Settings, token: str) -> None:
    client.cookies.set(COOKIE, cookie_value(settings, token))
