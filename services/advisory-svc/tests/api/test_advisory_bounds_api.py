"""Issue 16 in advisory-svc: ids, days, horizons and free text bounded (422, never a 500 on
PostgreSQL), and another branch's staff get the same answer for an existing customer as for
an unknown one (403, as tiering and profile: ADR 0012 addendum)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Auth = Callable[..., dict[str, str]]
Make = Callable[..., Awaitable[str]]
Events = Callable[..., Awaitable[list[dict[str, Any]]]]

PICK = {
    "kind": "stock_pick",
    "title": "Moutai",
    "body": "Steady demand.",
    "risk_level": "R3",
    "security_code": "600519",
    "market": "SH",
    "pick": {
        "recommendation": "buy",
        "fundamental": {"view": "bullish", "text": "margins"},
        "technical": {"view": "bullish", "text": "trend"},
    },
}


async def test_another_branchs_staff_get_the_same_403_for_existing_and_unknown_customers(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events
) -> None:
    await customer("C1")  # branch B001
    other = auth("staff", sub="X", branch_id="B002")
    routes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/v1/customers/{}/offers", None),
        ("GET", "/v1/customers/{}/offers?entrusted_amount=100000", None),
        ("GET", "/v1/customers/{}/agreements", None),
        ("POST", "/v1/customers/{}/agreements", {}),
        ("POST", "/v1/customers/{}/agreements/A1/rescission", None),
        ("GET", "/v1/customers/{}/subscriptions", None),
        ("POST", "/v1/customers/{}/subscriptions", {"product_code": "SMS1"}),
        ("POST", "/v1/customers/{}/subscriptions/S1/renewal", {}),
        ("DELETE", "/v1/customers/{}/subscriptions/S1", None),
    ]
    for method, template, body in routes:
        answers = []
        for cid in ("C1", "C404"):
            r = await client.request(method, template.format(cid), json=body, headers=other)
            answers.append((r.status_code, r.json()["detail"]))
        assert answers[0] == answers[1], (template, answers)
        assert answers[0][0] == 403, (template, answers)
    assert await outbox_events() == []
    # The customer themself and HQ still learn that an unknown id is unknown.
    hq = auth("staff", sub="H", branch_id="HQ")
    assert (await client.get("/v1/customers/C404/agreements", headers=hq)).status_code == 404
    me = auth("customer", sub="C404")
    assert (await client.get("/v1/customers/C404/offers", headers=me)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/C%001/offers",
        "/v1/customers/" + "C" * 33 + "/agreements",
        "/v1/customers/C%001/subscriptions",
        "/v1/content/c%00",
        "/v1/content/" + "c" * 65 + "/performance",
        "/v1/content?author_id=a%00b",
        "/v1/advisers/a%00b/hit-rate",
        "/v1/advisers/S1/hit-rate?horizon=99999999999999999999999",
        "/v1/advisers/S1/hit-rate?horizon=0",
        "/v1/advisers/S1/hit-rate?horizon=61",
        "/v1/advisers/S1/hit-rate?horizon=7",
    ],
)
async def test_ids_and_parameters_are_bounded(
    client: httpx.AsyncClient, auth: Auth, customer: Make, path: str
) -> None:
    await customer("C1")
    r = await client.get(path, headers=auth("staff", sub="H", branch_id="HQ"))
    assert r.status_code == 422, (path, r.text)
    assert r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/customers/C1/agreements", {"risk_disclosure_version": "RD\x00"}),
        ("/v1/customers/C1/agreements", {"valid_until": "9999-12-31"}),
        ("/v1/customers/C1/subscriptions", {"product_code": "SMS1", "warning_version": "W\x00"}),
        ("/v1/content", {**PICK, "title": "Mou\x00tai"}),
        ("/v1/content", {**PICK, "body": "Steady\x00demand."}),
        ("/v1/content", {**PICK, "title": "\u202eiatuoM"}),
        (
            "/v1/content",
            {**PICK, "pick": {**PICK["pick"], "technical": {"view": "bullish", "text": "t\x00"}}},
        ),
    ],
)
async def test_nul_control_characters_and_absurd_days_are_422_and_record_nothing(
    client: httpx.AsyncClient,
    auth: Auth,
    customer: Make,
    outbox_events: Events,
    path: str,
    body: dict[str, Any],
) -> None:
    await customer("C1")
    adviser = auth("staff", sub="A1", staff_roles=["adviser"])
    r = await client.post(path, json=body, headers=adviser)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    assert await outbox_events() == []
    assert (await client.get("/v1/customers/C1/agreements", headers=adviser)).json() == []
    assert (await client.get("/v1/content", headers=adviser)).json() == []


@pytest.mark.parametrize("months", [True, "2", 2.0])
async def test_term_months_must_be_a_json_integer(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events, months: Any
) -> None:
    await customer("C1")
    body = {"product_code": "SMS1", "term_months": months}
    r = await client.post("/v1/customers/C1/subscriptions", json=body, headers=auth("staff"))
    assert r.status_code == 422, r.text
    assert await outbox_events() == []
