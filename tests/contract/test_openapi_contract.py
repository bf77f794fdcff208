"""The five services' OpenAPI documents as client teams use them (issue #17 item 8, ADR 0021):
operation ids a generator can merge, every field described with an example, one error schema
with a machine-readable code, and only the error statuses a route really gives."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from brokerage_common import Database, DomainError
from brokerage_common.auth import issue_token
from brokerage_common.errors import ERROR_CODES, code_for_status
from brokerage_common.settings import DEV_JWT_SECRET

SERVICES = ["tiering_svc", "profile_svc", "advisory_svc", "notify_svc", "ops_assessment_svc"]
ERROR_REF = "#/components/schemas/ErrorResponse"


def _build(package: str, tmp: Path) -> Any:
    main = importlib.import_module(f"{package}.main")
    config = importlib.import_module(f"{package}.config")
    models = importlib.import_module(f"{package}.models")
    url = f"sqlite+aiosqlite:///{tmp / package}.db"
    db = Database(url)
    asyncio.run(db.create_all(models.metadata))
    asyncio.run(db.dispose())
    cfg = config.Settings(
        database_url=url, kafka_bootstrap_servers="127.0.0.1:1", environment="test"
    )
    if package == "tiering_svc":
        return main.create_app(cfg, follow_events=False)
    return main.create_app(cfg)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("openapi")
    return {package: _build(package, tmp) for package in SERVICES}


@pytest.fixture(scope="module")
def docs(apps: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {package: app.openapi() for package, app in apps.items()}


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_has_a_unique_readable_id_a_summary_and_a_description(
    docs: dict[str, dict[str, Any]],
) -> None:
    seen: dict[str, str] = {}
    for package, doc in docs.items():
        prefix = package.removesuffix("_svc") + "_"
        for path, method, op in _operations(doc):
            where = f"{package} {method.upper()} {path}"
            op_id = op.get("operationId", "")
            assert re.fullmatch(r"[a-z][a-z0-9_]*", op_id), where
            assert op_id.startswith(prefix), where
            assert op_id not in seen, f"{op_id} of {where} is also {seen.get(op_id)}"
            seen[op_id] = where
            assert op.get("summary"), where
            assert op.get("description"), where
    assert seen["tiering_routing"] == "tiering_svc GET /v1/routing"
    assert seen["profile_create_customer"] == "profile_svc POST /v1/customers"


def test_every_error_answer_is_the_one_error_schema(docs: dict[str, dict[str, Any]]) -> None:
    for package, doc in docs.items():
        schema = doc["components"]["schemas"]["ErrorResponse"]
        assert schema["required"] == ["detail", "code"]
        for path, method, op in _operations(doc):
            for status, answer in op["responses"].items():
                if status.startswith("4"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == ERROR_REF, f"{package} {method.upper()} {path} {status}"
        # FastAPI's own 422 schemas are replaced, not left beside the one error schema.
        assert "HTTPValidationError" not in doc["components"]["schemas"]


def _undocumented(doc: dict[str, Any]) -> Iterator[str]:
    for name, schema in doc["components"]["schemas"].items():
        schema_examples = schema.get("examples") or schema.get("example")
        for field, prop in (schema.get("properties") or {}).items():
            if not prop.get("description"):
                yield f"{name}.{field}: no description"
            if not (prop.get("examples") or "example" in prop or schema_examples):
                yield f"{name}.{field}: no example"


def test_every_property_has_a_description_and_an_example(docs: dict[str, dict[str, Any]]) -> None:
    missing = [f"{package}: {m}" for package, doc in docs.items() for m in _undocumented(doc)]
    assert not missing, "\n".join(missing)


def test_string_examples_fit_their_patterns(docs: dict[str, dict[str, Any]]) -> None:
    broken = []
    for package, doc in docs.items():
        for name, schema in doc["components"]["schemas"].items():
            for field, prop in (schema.get("properties") or {}).items():
                options = [prop, *prop.get("anyOf", [])]
                patterns = [o["pattern"] for o in options if "pattern" in o]
                for example in prop.get("examples", []):
                    if isinstance(example, str) and not all(
                        re.search(p, example) for p in patterns
                    ):
                        broken.append(f"{package}: {name}.{field} = {example!r}")
    assert not broken, "\n".join(broken)


def test_every_parameter_has_a_description(docs: dict[str, dict[str, Any]]) -> None:
    missing = [
        f"{package} {method.upper()} {path} {param['name']}"
        for package, doc in docs.items()
        for path, method, op in _operations(doc)
        for param in op.get("parameters", [])
        if not param.get("description")
    ]
    assert not missing, "\n".join(missing)


def test_no_example_looks_like_a_real_id_number(docs: dict[str, dict[str, Any]]) -> None:
    # 18-character resident ID numbers must not appear as examples (masked forms only).
    id_number = re.compile(r"\b\d{17}[\dXx]\b")
    for package, doc in docs.items():
        assert not id_number.search(str(doc["components"])), package


def _domain_errors() -> Iterator[type[DomainError]]:
    modules = {
        "tiering_svc.exceptions", "profile_svc.exceptions", "advisory_svc.errors",
        "notify_svc.exceptions", "ops_assessment_svc.exceptions",
    }  # fmt: skip
    for name in sorted(modules):
        for _, obj in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(obj, DomainError) and obj.__module__ == name:
                yield obj


def test_every_domain_error_has_a_code_of_the_vocabulary() -> None:
    errors = list(_domain_errors())
    assert len(errors) >= 15
    for error in errors:
        code = error.code or code_for_status(error.status_code)
        assert code in ERROR_CODES, f"{error.__module__}.{error.__name__}: {code}"
        assert re.fullmatch(r"[a-z_]+(:[a-z_]+)?", code), code


# ------------------------------------------------------------------ statuses that are real

CUSTOMER = issue_token(secret=DEV_JWT_SECRET, sub="C000123", role="customer")
STAFF = issue_token(
    secret=DEV_JWT_SECRET,
    sub="S001",
    role="staff",
    branch_id="B001",
    scopes=["tiering:config"],
    staff_roles=["manager", "adviser"],
)
SERVICE = issue_token(
    secret=DEV_JWT_SECRET,
    sub="svc",
    role="service",
    scopes=["routing:read", "profile:read", "notify:campaigns"],
)

# A sample route per service, and per error status it advertises, a request that gets it.
# (token, path, query); None: no Authorization header.
SAMPLES: dict[str, tuple[str, str, dict[str, tuple[str | None, str, dict[str, str]]]]] = {
    "tiering_svc": (
        "get",
        "/v1/routing",
        {
            "401": (None, "/v1/routing", {"phone": "13900005678"}),
            "403": (CUSTOMER, "/v1/routing", {"phone": "13900005678"}),
            "422": (SERVICE, "/v1/routing", {"phone": "not-a-phone"}),
        },
    ),
    "profile_svc": (
        "get",
        "/v1/customers/{customer_id}",
        {
            "401": (None, "/v1/customers/C000999", {}),
            "403": (CUSTOMER, "/v1/customers/C000999", {}),
            "404": (SERVICE, "/v1/customers/C000999", {}),
            "422": (STAFF, "/v1/customers/C000999", {"reveal": "maybe"}),
        },
    ),
    "advisory_svc": (
        "get",
        "/v1/products",
        {"401": (None, "/v1/products", {})},
    ),
    "notify_svc": (
        "get",
        "/v1/campaigns/{campaign_id}",
        {
            "401": (None, "/v1/campaigns/CMP-404", {}),
            "403": (CUSTOMER, "/v1/campaigns/CMP-404", {}),
            "404": (SERVICE, "/v1/campaigns/CMP-404", {}),
            "422": (STAFF, "/v1/campaigns/" + "C" * 65, {}),
        },
    ),
    "ops_assessment_svc": (
        "get",
        "/v1/assessments/{month}",
        {
            "401": (None, "/v1/assessments/2026-11", {}),
            "403": (CUSTOMER, "/v1/assessments/2026-11", {}),
            "422": (STAFF, "/v1/assessments/2026-13", {}),
        },
    ),
}
CODES = {"401": "unauthorized", "403": "forbidden", "404": "not_found", "422": "validation_failed"}


@pytest.mark.parametrize("package", SERVICES)
def test_a_sample_route_advertises_exactly_the_statuses_it_gives(
    apps: dict[str, Any], docs: dict[str, dict[str, Any]], package: str
) -> None:
    method, path, requests = SAMPLES[package]
    responses = docs[package]["paths"][path][method]["responses"]
    advertised = {s for s in responses if s.startswith("4")}
    assert advertised == set(requests), f"{package} {path}: advertises {sorted(advertised)}"

    async def call_all() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=apps[package])
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = {}
            for status, (token, url, query) in requests.items():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                answers[status] = await client.request(
                    method.upper(), url, params=query, headers=headers
                )
            return answers

    for status, answer in asyncio.run(call_all()).items():
        assert str(answer.status_code) == status, (package, status, answer.text)
        body = answer.json()
        assert body["code"] == CODES[status], (package, status, body)
        assert "detail" in body


def test_routing_no_longer_advertises_404_or_409(docs: dict[str, dict[str, Any]]) -> None:
    responses = docs["tiering_svc"]["paths"]["/v1/routing"]["get"]["responses"]
    assert "404" not in responses
    assert "409" not in responses
    # A route without inputs does not advertise FastAPI's default 422.
    assert "422" not in docs["tiering_svc"]["paths"]["/healthz"]["get"]["responses"]
    assert "422" not in docs["tiering_svc"]["paths"]["/v1/config"]["get"]["responses"]


def test_unknown_paths_and_methods_answer_with_a_code(apps: dict[str, Any]) -> None:
    async def call() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=apps["ops_assessment_svc"])
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/v1/nowhere"), await client.delete("/healthz")

    missing, wrong_method = asyncio.run(call())
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found", "code": "not_found"}
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
