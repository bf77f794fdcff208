"""The published contract: OpenAPI summaries and declared 4xx on every route, metrics, health."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx


async def test_every_v1_route_has_a_summary_and_declares_its_4xx(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, op)
        for path, ops in spec["paths"].items()
        if path.startswith("/v1")
        for method, op in ops.items()
    ]
    assert len(operations) == 14
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("description"), where
        assert {"401", "403", "422"} <= set(op["responses"]), where
        if "{customer_id}" in path and not (
            method == "post" and path.endswith("transfer-requests")
        ):
            assert "404" in op["responses"], where
        for code, response in op["responses"].items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"]["$ref"].endswith(
                    "/ErrorResponse"
                ), where
    assert "409" in spec["paths"]["/v1/customers"]["post"]["responses"]
    assert "409" in spec["paths"]["/v1/customers/{customer_id}"]["patch"]["responses"]


async def test_the_api_md_paths_exist(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "post" in paths["/v1/customers"]
    listing = paths["/v1/customers"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "branch_id", "q", "phone_prefix3", "phone_last4", "segment", "status", "after", "limit"
    }  # fmt: skip
    assert "get" in paths["/v1/customers/{customer_id}"]
    assert "post" in paths["/v1/customers/{customer_id}/risk-assessments"]


async def test_health_and_business_metrics(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    body = await create_customer()
    await client.get(
        f"/v1/customers/{body['customer_id']}",
        params={"reveal": "true", "reason": "check"},
        headers=auth("staff"),
    )
    text = (await client.get("/metrics")).text
    assert 'profile_customers_registered_total{branch_id="B001"}' in text
    assert 'profile_pii_reveals_total{field="phone"}' in text
    assert (
        'brokerage_http_requests_total{method="POST",route="/v1/customers",service="profile-svc",status="201"}'
        in text
    )
    assert body["phone"] not in text


async def test_a_missing_broker_is_a_metric_not_unreadiness(client: httpx.AsyncClient) -> None:
    # The test settings point the broker at a closed port; the API still serves (issue 16).
    assert (await client.get("/readyz")).status_code == 200
    text = (await client.get("/metrics")).text
    assert 'brokerage_dependency_up{dependency="broker",service="profile-svc"} 0.0' in text
    assert 'brokerage_dependency_up{dependency="database",service="profile-svc"} 1.0' in text
