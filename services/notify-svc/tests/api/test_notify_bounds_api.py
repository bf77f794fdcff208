"""Issue 16 in notify-svc: ids, names and provider text bounded (422, never a 500 on
PostgreSQL), and another branch's staff (or another customer) get the same answer for an
existing id as for an unknown one (403, as tiering and profile: ADR 0012 addendum)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from notify_testkit import FakeClock, add_customer, messages, service_token

from brokerage_common import Database
from notify_svc.config import Settings
from notify_svc.main import create_app

Token = Callable[..., str]
REMINDER = {
    "kind": "ipo",
    "customer_ids": ["C0001"],
    "security_code": "732999",
    "security_name": "某某股份",
    "subscription_on": "2026-11-20",
}
SEMINAR = {"template_code": "SEMINAR_INVITE", "params": {"date": "周六", "place": "营业部"}}


@pytest_asyncio.fixture
async def client(
    settings: Settings, db: Database, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as c:
        yield c
    await app.state.db.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_unknown_id_answers_as_another_branchs_or_customers_does(
    client: httpx.AsyncClient, db: Database, make_token: Token
) -> None:
    await add_customer(db, "C0001")
    await add_customer(db, "C0002", branch_id="B002")
    staff = bearer(make_token("staff", sub="S1", branch_id="B001"))
    assert (await client.post("/v1/reminders", json=REMINDER, headers=staff)).status_code == 201
    r = await client.post(
        "/v1/campaigns", json={**SEMINAR, "customer_ids": ["C0001"]}, headers={**staff}
    )
    assert r.status_code == 202, r.text
    campaign_id = r.json()["id"]
    (message, *_) = await messages(db)
    other = bearer(make_token("staff", sub="S9", branch_id="B009"))
    stranger = bearer(make_token("customer", sub="C0002"))
    cases: list[tuple[dict[str, str], str, str]] = [
        (other, f"/v1/messages/{message.id}", "/v1/messages/0000000000000000000000000000000a"),
        (stranger, f"/v1/messages/{message.id}", "/v1/messages/0000000000000000000000000000000a"),
        (other, f"/v1/campaigns/{campaign_id}", "/v1/campaigns/0000000000000000000000000000000a"),
        (other, "/v1/customers/C0001/messages", "/v1/customers/C4040/messages"),
        (
            other,
            "/v1/customers/C0001/advisory-agreements",
            "/v1/customers/C4040/advisory-agreements",
        ),
    ]
    for headers, existing, unknown in cases:
        a = await client.get(existing, headers=headers)
        b = await client.get(unknown, headers=headers)
        assert (a.status_code, a.json()["detail"]) == (b.status_code, b.json()["detail"]), existing
        assert a.status_code == 403, (existing, a.text)
    # Reminders: another branch's customer and an unknown one are refused alike.
    answers = []
    for cid in ("C0002", "C4040"):
        r = await client.post(
            "/v1/reminders", json={**REMINDER, "customer_ids": [cid]}, headers=staff
        )
        answers.append((r.status_code, r.json()["detail"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403
    # A service holding notify:read still learns that an id is unknown.
    reader = bearer(service_token("notify:read"))
    assert (
        await client.get("/v1/messages/0000000000000000000000000000000a", headers=reader)
    ).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/v1/messages/a%00b",
        "/v1/messages/" + "a" * 65,
        "/v1/campaigns/a%00b",
        "/v1/customers/C%000001/messages",
        "/v1/customers/" + "C" * 33 + "/messages",
        "/v1/customers/C%000001/advisory-agreements",
        "/v1/templates?code=TIER%00UP",
        "/v1/customers/C0001/messages?limit=99999999999999999999999",
    ],
)
async def test_ids_in_paths_and_queries_are_bounded(
    client: httpx.AsyncClient, make_token: Token, path: str
) -> None:
    staff = bearer(make_token("staff", sub="S1", branch_id="B001"))
    r = await client.get(path, headers=staff)
    assert r.status_code == 422, (path, r.text)
    assert r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/reminders", {**REMINDER, "security_name": "某某\u202e股份"}),
        ("/v1/campaigns", {**SEMINAR, "customer_ids": ["C0001"], "name": "invite\u202e"}),
        ("/v1/campaigns", {**SEMINAR, "customer_ids": ["C0001"], "name": "in\x00vite"}),
    ],
)
async def test_names_with_control_or_bidi_characters_are_422(
    client: httpx.AsyncClient, db: Database, make_token: Token, path: str, body: dict[str, Any]
) -> None:
    await add_customer(db, "C0001")
    staff = bearer(make_token("staff", sub="S1", branch_id="B001"))
    r = await client.post(path, json=body, headers=staff)
    assert r.status_code == 422, r.text
    assert await messages(db) == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/sms/replies", [{"phone_number": "1390000\x000001", "content": "T"}]),
        ("/v1/sms/replies", [{"phone_number": "13900000001", "content": "T\x00"}]),
        (
            "/v1/sms/delivery-reports",
            [{"phone_number": "13900000001", "success": True, "out_id": "m\x00"}],
        ),
        (
            "/v1/sms/delivery-reports",
            [{"phone_number": "13900000001", "success": False, "err_msg": "x\x00", "out_id": "m1"}],
        ),
    ],
)
async def test_provider_text_with_a_nul_is_422(
    client: httpx.AsyncClient, path: str, body: list[dict[str, Any]]
) -> None:
    provider = bearer(service_token("sms:report", sub="sms-gateway"))
    r = await client.post(path, json=body, headers=provider)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("days", [True, "3", 3.0])
async def test_days_before_must_be_a_json_integer(
    client: httpx.AsyncClient, db: Database, make_token: Token, days: Any
) -> None:
    await add_customer(db, "C0001")
    body = {
        "kind": "warrant_exercise",
        "customer_ids": ["C0001"],
        "security_code": "580001",
        "security_name": "某某权证",
        "last_exercise_on": "2026-11-27",
        "days_before": days,
    }
    r = await client.post(
        "/v1/reminders", json=body, headers=bearer(service_token("notify:reminders"))
    )
    assert r.status_code == 422, r.text
    assert await messages(db) == []
