"""Sign-in, sign-out and who may open which page: the token's branch and staff_roles decide."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from brokerage_common.auth import issue_token
from brokerage_common.settings import DEV_JWT_SECRET
from staff_console.config import Settings
from staff_console.main import create_app
from staff_console.session import COOKIE

from ..conftest import FakeServices, sign_in_as, staff_token


async def test_demo_sign_in_mints_a_staff_token_with_the_demo_roles(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    resp = await client.post("/signin", data={"staff_id": "S001"})
    assert resp.status_code == 303
    from staff_console.session import serializer

    token = serializer(settings).loads(client.cookies[COOKIE])
    claims = jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["branch_id"]) == ("S001", "staff", "B001")
    assert claims["staff_roles"] == ["manager"]
    assert claims["exp"] > time.time()


async def test_an_unknown_demo_staff_member_is_refused(client: httpx.AsyncClient) -> None:
    resp = await client.post("/signin", data={"staff_id": "S999"})
    assert resp.status_code == 400
    assert COOKIE not in client.cookies


async def test_pages_need_a_sign_in(client: httpx.AsyncClient) -> None:
    for page in ("/customers", "/customers/C000001", "/retention", "/manager"):
        resp = await client.get(page)
        assert (resp.status_code, resp.headers["location"]) == (303, "/signin"), page


async def test_a_tampered_cookie_is_no_sign_in(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sign_in_as(client, settings, staff_token())
    client.cookies.set(COOKIE, client.cookies[COOKIE][:-2] + "xx")
    assert (await client.get("/customers")).status_code == 303


async def test_a_token_signed_with_another_secret_is_no_sign_in(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sign_in_as(client, settings, staff_token(roles=["manager"], secret="x" * 40))
    assert (await client.get("/customers")).status_code == 303


@pytest.mark.parametrize("role", ["customer", "service"])
async def test_a_customer_or_service_token_gets_nothing(
    client: httpx.AsyncClient, settings: Settings, fake: FakeServices, role: str
) -> None:
    token = issue_token(secret=DEV_JWT_SECRET, sub="C000001", role=role, ttl_s=600)  # type: ignore[arg-type]
    sign_in_as(client, settings, token)
    for page in ("/customers", "/customers/C000001", "/retention", "/ranking", "/manager"):
        resp = await client.get(page)
        assert resp.status_code == 403, page
        assert "工作台仅供营业部员工使用" in resp.text
    assert fake.calls == []


async def test_a_staff_token_without_staff_roles_opens_no_page(
    client: httpx.AsyncClient, settings: Settings, fake: FakeServices
) -> None:
    sign_in_as(client, settings, staff_token(roles=None))
    for page in ("/customers", "/retention", "/complaints", "/ranking", "/advisers", "/manager"):
        assert (await client.get(page)).status_code == 403, page
    assert fake.calls == []


@pytest.mark.parametrize(
    ("roles", "allowed", "refused"),
    [
        (["account_manager"], ["/retention", "/ranking"], ["/advisers", "/manager"]),
        (["adviser"], ["/advisers"], ["/manager"]),
        (["manager"], ["/advisers", "/manager"], []),
    ],
)
async def test_pages_follow_the_staff_roles(
    client: httpx.AsyncClient,
    settings: Settings,
    roles: list[str],
    allowed: list[str],
    refused: list[str],
) -> None:
    sign_in_as(client, settings, staff_token(roles=roles))
    for page in allowed:
        assert (await client.get(page)).status_code == 200, page
    for page in refused:
        assert (await client.get(page)).status_code == 403, page


async def test_sign_out_forgets_the_session(client: httpx.AsyncClient) -> None:
    await client.post("/signin", data={"staff_id": "S002"})
    resp = await client.post("/signout")
    assert resp.status_code == 303
    assert (await client.get("/customers")).status_code == 303


async def test_production_takes_the_proxys_header_and_mints_nothing(fake: FakeServices) -> None:
    secret = "production-secret-" + "p" * 32
    settings = Settings(
        environment="production", auth_jwt_secret=secret, session_secret="s" * 40, log_json=False
    )
    app = create_app(settings)
    from staff_console.clients import Clients

    app.state.clients = Clients.build(
        httpx.AsyncClient(transport=httpx.MockTransport(fake.handle)), settings
    )
    fake.on("profile", "GET", "/v1/segments/short_term_large/customers",
            {"segment": "short_term_large", "kind": "value", "branch_id": "B001", "total": 0,
             "limit": 50, "offset": 0, "items": []})  # fmt: skip
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://console"
    ) as c:
        assert (await c.post("/signin", data={"staff_id": "S001"})).status_code == 404
        assert (await c.post("/signin/token", data={"token": "x" * 20})).status_code == 404
        token = staff_token(roles=["account_manager"], secret=secret)
        resp = await c.get("/customers", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200
        # The user's own token goes to the service, never one the console made.
        assert fake.calls[-1].headers["authorization"] == f"Bearer {token}"


@pytest.mark.parametrize(
    "secret", [None, "short", "local-dev-console-session-secret-change-me-0123456789"]
)
def test_production_refuses_a_missing_or_weak_session_secret(secret: str | None) -> None:
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        Settings(environment="production", auth_jwt_secret="p" * 40, session_secret=secret)


async def test_health_and_metrics_need_no_sign_in(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    assert "http_requests" in (await client.get("/metrics")).text
