"""The shared API contract (ADR 0021): operation ids, the one error shape, derived statuses."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException, Query, status
from pydantic import BaseModel

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, DomainError
from brokerage_common.auth import issue_token
from brokerage_common.settings import DEV_JWT_SECRET, CommonSettings
from brokerage_common.web import install_platform


class Missing(DomainError):
    status_code = 404


class Broken(DomainError):
    status_code = 422
    code = "rule_violated:demo"


def _find(customer_id: str) -> str:
    if customer_id != "C000123":
        raise Missing(f"customer {customer_id} not found")
    return customer_id


def _staff_only(principal: Any) -> None:
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")


class Note(BaseModel):
    text: str


router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.get("/customers/{customer_id}")
async def read_customer(customer_id: str, principal: CurrentPrincipal) -> dict[str, str]:
    """One customer (404 through a helper it calls)."""
    return {"customer_id": _find(customer_id)}


@router.get("/ping")
async def ping(principal: CurrentPrincipal) -> dict[str, str]:
    """No input: no 422; no helper refuses: no 404, 409."""
    return {"pong": principal.sub}


@router.post("/notes")
async def add_note(
    body: Note, principal: CurrentPrincipal, limit: Annotated[int, Query(ge=1)] = 1
) -> dict[str, str]:
    """Staff only (403), and a rule (422 with its own code)."""
    _staff_only(principal)
    if body.text == "":
        raise Broken("empty note")
    return {"text": body.text}


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    install_platform(app, settings=CommonSettings(service_name="demo-svc"), readiness=[])
    app.include_router(router)
    return app


def _responses(app: FastAPI, path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return responses


def test_operation_ids_are_service_and_function(app: FastAPI) -> None:
    doc = app.openapi()
    assert doc["paths"]["/v1/customers/{customer_id}"]["get"]["operationId"] == "demo_read_customer"
    assert doc["paths"]["/v1/notes"]["post"]["operationId"] == "demo_add_note"
    assert doc["paths"]["/healthz"]["get"]["operationId"] == "demo_healthz"


def test_documented_error_statuses_are_the_ones_the_code_gives(app: FastAPI) -> None:
    # The router offers 401/403/404/409/422; each route keeps what its code can give.
    assert {s for s in _responses(app, "/v1/customers/{customer_id}", "get") if s >= "4"} == {
        "401",
        "404",
    }
    assert {s for s in _responses(app, "/v1/ping", "get") if s >= "4"} == {"401"}
    assert {s for s in _responses(app, "/v1/notes", "post") if s >= "4"} == {"401", "403", "422"}
    answer = _responses(app, "/v1/notes", "post")["403"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    schemas = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorResponse"]["properties"]) == {"detail", "code"}


async def test_every_error_answer_carries_its_code(app: FastAPI) -> None:
    customer = issue_token(secret=DEV_JWT_SECRET, sub="C000123", role="customer")
    staff = issue_token(secret=DEV_JWT_SECRET, sub="S001", role="staff", branch_id="B001")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/v1/ping")
        assert (r.status_code, r.json()) == (
            401,
            {"detail": "missing bearer token", "code": "unauthorized"},
        )
        assert r.headers["www-authenticate"] == "Bearer"
        r = await client.get("/v1/ping", headers={"Authorization": "Bearer nonsense"})
        assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
        auth = {"Authorization": f"Bearer {customer}"}
        r = await client.get("/v1/customers/C000999", headers=auth)
        assert r.json() == {"detail": "customer C000999 not found", "code": "not_found"}
        r = await client.post("/v1/notes", json={"text": "x"}, headers=auth)
        assert r.json() == {"detail": "staff only", "code": "forbidden"}
        auth = {"Authorization": f"Bearer {staff}"}
        r = await client.post("/v1/notes", json={"text": ""}, headers=auth)
        assert (r.status_code, r.json()) == (
            422,
            {"detail": "empty note", "code": "rule_violated:demo"},
        )
        r = await client.post("/v1/notes", json={}, headers=auth)
        assert r.status_code == 422
        assert r.json()["code"] == "validation_failed"
        assert r.json()["detail"][0]["loc"] == ["body", "text"]
