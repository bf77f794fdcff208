"""install_platform: health, readiness, metrics by route template, 422 without the input."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import AfterValidator, BaseModel, Field

from brokerage_common.settings import CommonSettings
from brokerage_common.web import install_platform


class NewCustomer(BaseModel):
    name: str
    phone: str = Field(pattern=r"^1\d{10}$")
    id_number: str = Field(min_length=18, max_length=18)
    age: int


def make_app(service: str, readiness: list[Callable[[], Awaitable[bool]]]) -> FastAPI:
    app = FastAPI()
    install_platform(
        app,
        settings=CommonSettings(environment="test", service_name=service),
        readiness=readiness,
        readiness_timeout_s=0.5,
    )

    @app.get("/v1/customers/{customer_id}")
    async def get_customer(customer_id: str) -> dict[str, str]:
        if customer_id == "missing":
            raise HTTPException(404, "no such customer")
        return {"customer_id": customer_id}

    @app.post("/v1/customers", status_code=201)
    async def create_customer(body: NewCustomer) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/v1/echo-validator")
    async def echo_validator(
        phone: Annotated[str, AfterValidator(_says_the_value)],
    ) -> dict[str, str]:
        return {"phone": phone}

    @app.get("/v1/routing")
    async def routing(phone: str = Query(pattern=r"^1\d{10}$")) -> dict[str, str]:
        return {"phone": phone}

    return app


def _says_the_value(value: str) -> str:
    raise ValueError(f"phone {value} is already registered")


class Flag:
    def __init__(self, value: bool) -> None:
        self.value = value

    async def __call__(self) -> bool:
        return self.value


@pytest.fixture
def service() -> str:
    return f"websvc_{uuid.uuid4().hex[:8]}"


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


async def test_healthz_is_200() -> None:
    app = make_app("websvc", [Flag(False)])
    async for client in _client(app):
        r = await client.get("/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}


async def test_readyz_follows_the_checks() -> None:
    db, broker = Flag(True), Flag(True)
    app = make_app("websvc", [db, broker])
    async for client in _client(app):
        r = await client.get("/readyz")
        assert (r.status_code, r.json()) == (200, {"status": "ready"})
        broker.value = False
        r = await client.get("/readyz")
        assert (r.status_code, r.json()) == (503, {"status": "not ready"})
        broker.value, db.value = True, False
        assert (await client.get("/readyz")).status_code == 503
        db.value = True
        assert (await client.get("/readyz")).status_code == 200


async def test_readyz_without_checks_is_ready() -> None:
    async for client in _client(make_app("websvc", [])):
        assert (await client.get("/readyz")).status_code == 200


async def test_readyz_is_503_when_a_check_raises() -> None:
    async def broken() -> bool:
        raise OSError("database unreachable")

    async for client in _client(make_app("websvc", [Flag(True), broken])):
        r = await client.get("/readyz")
        assert (r.status_code, r.json()) == (503, {"status": "not ready"})


async def test_readyz_is_503_when_a_check_hangs() -> None:
    async def hangs() -> bool:
        await asyncio.sleep(60)
        return True

    async for client in _client(make_app("websvc", [hangs])):
        r = await asyncio.wait_for(client.get("/readyz"), timeout=10)
        assert r.status_code == 503


def _samples(text: str, name: str, service: str) -> list[Sample]:
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and sample.labels.get("service") == service
    ]


def _counter(text: str, service: str, method: str, route: str, status: str) -> float:
    wanted = {"service": service, "method": method, "route": route, "status": status}
    values = [
        s.value
        for s in _samples(text, "brokerage_http_requests_total", service)
        if s.labels == wanted
    ]
    assert len(values) <= 1
    return values[0] if values else 0.0


async def test_metrics_count_requests_by_route_template(service: str) -> None:
    async for client in _client(make_app(service, [])):
        for cid in ("C000123", "C000124", "C000125"):
            assert (await client.get(f"/v1/customers/{cid}")).status_code == 200
        assert (await client.get("/v1/customers/missing")).status_code == 404
        assert (await client.get("/nowhere/C000123")).status_code == 404
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        text = r.text
        assert _counter(text, service, "GET", "/v1/customers/{customer_id}", "200") == 3.0
        assert _counter(text, service, "GET", "/v1/customers/{customer_id}", "404") == 1.0
        assert _counter(text, service, "GET", "unmatched", "404") == 1.0
        routes = {
            s.labels["route"] for s in _samples(text, "brokerage_http_requests_total", service)
        }
        assert routes == {"/v1/customers/{customer_id}", "unmatched"}
        own_lines = [line for line in text.splitlines() if f'service="{service}"' in line]
        for raw in ("C000123", "C000124", "/nowhere", "missing"):
            assert not any(raw in line for line in own_lines), raw
        latency = [
            s
            for s in _samples(text, "brokerage_http_request_duration_seconds_count", service)
            if s.labels["route"] == "/v1/customers/{customer_id}"
        ]
        assert [s.value for s in latency] == [4.0]


async def test_metrics_are_counted_for_health_endpoints(service: str) -> None:
    async for client in _client(make_app(service, [])):
        await client.get("/healthz")
        text = (await client.get("/metrics")).text
        assert _counter(text, service, "GET", "/healthz", "200") == 1.0


async def test_422_does_not_echo_the_input() -> None:
    secret_id = "110101199003071234"
    secret_phone = "13800001234"
    async for client in _client(make_app("websvc", [])):
        r = await client.post(
            "/v1/customers",
            json={
                "name": "张三",
                "phone": secret_phone + "9",
                "id_number": secret_id + "5",
                "age": "old",
            },
        )
        assert r.status_code == 422
        body = r.json()
        assert set(body) == {"detail", "code"}  # ADR 0021: the machine-readable code added
        assert body["code"] == "validation_failed"
        locs = {tuple(e["loc"]) for e in body["detail"]}
        assert locs == {("body", "phone"), ("body", "id_number"), ("body", "age")}
        for e in body["detail"]:
            assert set(e) == {"loc", "msg", "type"}
        assert secret_id not in r.text
        assert secret_phone not in r.text
        assert "old" not in r.text
        assert "张三" not in r.text
        assert "\\u5f20" not in r.text

        r = await client.get("/v1/routing", params={"phone": "1380000123x"})
        assert r.status_code == 422
        assert "1380000123x" not in r.text

        r = await client.post(
            "/v1/customers",
            content=b'{"id_number": "110101199003071234", ',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422
        assert secret_id not in r.text

        r = await client.get("/v1/echo-validator", params={"phone": secret_phone})
        assert r.status_code == 422
        assert secret_phone not in r.text
        assert "138****1234" in r.json()["detail"][0]["msg"]


async def test_404_is_json_detail() -> None:
    async for client in _client(make_app("websvc", [])):
        r = await client.get("/v1/customers/missing")
        assert r.status_code == 404
        assert r.json() == {"detail": "no such customer", "code": "not_found"}


async def test_dependencies_are_metrics_not_readiness(service: str) -> None:
    """A broker outage shows as brokerage_dependency_up 0 while /readyz, which only asks what the
    service needs to answer, stays 200 (issue 16 item 2)."""
    from brokerage_common.web import ready_when

    loaded = {"value": False}
    broker = Flag(False)
    app = FastAPI()
    install_platform(
        app,
        settings=CommonSettings(environment="test", service_name=service),
        readiness=[ready_when(lambda: loaded["value"])],
        dependencies={"database": Flag(True), "broker": broker},
        readiness_timeout_s=0.5,
    )
    async for client in _client(app):
        assert (await client.get("/readyz")).status_code == 503
        loaded["value"] = True
        assert (await client.get("/readyz")).status_code == 200
        text = (await client.get("/metrics")).text
        assert f'brokerage_dependency_up{{dependency="broker",service="{service}"}} 0.0' in text
        assert f'brokerage_dependency_up{{dependency="database",service="{service}"}} 1.0' in text
        broker.value = True
        text = (await client.get("/metrics")).text
        assert f'brokerage_dependency_up{{dependency="broker",service="{service}"}} 1.0' in text
