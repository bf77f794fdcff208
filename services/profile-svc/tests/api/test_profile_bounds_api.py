"""Issue 16 (item 6): free text without NUL, names without bidirectional controls, timestamps
from 2000 to before 2100; each refused with 422 and nothing written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]

CONTACT = {
    "channel": "call",
    "topic": "holdings diagnosis",
    "outcome": "explained the risk",
    "next_step": "send the diagnosis",
    "occurred_at": "2026-11-20T10:30:00+08:00",
}


@pytest.mark.parametrize(
    "bad",
    [
        {"topic": "holdings\x00diagnosis"},
        {"outcome": "\x00"},
        {"next_step": "call\x00back"},
        {"occurred_at": "1970-01-01T00:00:00+00:00"},
        {"occurred_at": "2407-06-01T00:00:00+00:00"},
    ],
)
async def test_a_crm_note_with_nul_or_an_absurd_time_is_422(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, bad: dict[str, str]
) -> None:
    cid = (await create_customer())["customer_id"]
    url = f"/v1/customers/{cid}/interactions"
    r = await client.post(url, json=CONTACT | bad, headers=auth("staff"))
    assert r.status_code == 422, r.text
    assert (await client.get(url, headers=auth("staff"))).json()["items"] == []


@pytest.mark.parametrize(
    "name",
    [
        "张\u202e三",  # RIGHT-TO-LEFT OVERRIDE
        "\u202d王五",  # LEFT-TO-RIGHT OVERRIDE
        "李\u2067四\u2069",  # RIGHT-TO-LEFT ISOLATE ... POP DIRECTIONAL ISOLATE
        "赵\u200f六",  # RIGHT-TO-LEFT MARK
        "Ann\u061c",  # ARABIC LETTER MARK
        "张\x00三",
    ],
)
async def test_a_name_with_bidi_controls_or_nul_is_422(
    client: httpx.AsyncClient, auth: Auth, make_customer: Callable[..., dict[str, Any]], name: str
) -> None:
    body = make_customer(name=name)
    r = await client.post("/v1/customers", json=body, headers=auth("staff"))
    assert r.status_code == 422, r.text
    reader = auth("service", scopes=["profile:read"])
    r = await client.get(f"/v1/customers/{body['customer_id']}", headers=reader)
    assert r.status_code == 404


async def test_a_reveal_reason_with_nul_is_422(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    cid = (await create_customer())["customer_id"]
    r = await client.get(
        f"/v1/customers/{cid}",
        params={"reveal": "true", "reason": "call\x00back"},
        headers=auth("staff"),
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["", "/interactions", "/risk-assessments", "/transfer-requests"])
async def test_staff_get_the_same_answer_for_another_branch_and_no_customer(
    client: httpx.AsyncClient, auth: Auth, make_customer: Callable[..., dict[str, Any]], path: str
) -> None:
    # ADR 0012 addendum: 403 for both (it was 403 and 404), so ids elsewhere cannot be probed.
    body = make_customer(branch_id="B002")
    r = await client.post("/v1/customers", json=body, headers=auth("staff", branch_id="B002"))
    assert r.status_code == 201, r.text
    other = auth("staff", branch_id="B001")
    elsewhere = await client.get(f"/v1/customers/{body['customer_id']}{path}", headers=other)
    nowhere = await client.get(f"/v1/customers/C999999{path}", headers=other)
    assert (elsewhere.status_code, nowhere.status_code) == (403, 403)
    assert elsewhere.json() == nowhere.json()
