"""Transfer-away requests from the app: recorded at once, once per request id, never refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]

REQUEST = {
    "request_id": "R20261120-0042",
    "kind": "custody_transfer",
    "market": "SZ",
    "reason": "friend works at another broker",
    "requested_at": "2026-11-20T10:12:00+08:00",
}


async def test_the_customer_files_a_request_and_it_is_recorded_and_announced(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, outbox_events: Any
) -> None:
    body = await create_customer()
    cid = body["customer_id"]
    me = auth("customer", sub=cid)
    response = await client.post(f"/v1/customers/{cid}/transfer-requests", json=REQUEST, headers=me)
    assert response.status_code == 202, response.text
    got = response.json()
    assert got["request_id"] == "R20261120-0042"
    assert got["channel"] == "mobile-app"
    assert got["requested_at"].startswith("2026-11-20T02:12:00")  # kept as given, in UTC
    assert got["received_at"]

    assert (await client.get(f"/v1/customers/{cid}", headers=me)).json()[
        "status"
    ] == "transfer_requested"
    [recorded] = await outbox_events("TransferAwayRecorded")
    assert recorded["_key"] == cid
    assert recorded["data"] | {"requested_at": None} == {
        "customer_id": cid,
        "request_id": "R20261120-0042",
        "branch_id": "B001",
        "kind": "custody_transfer",
        "market": "SZ",
        "reason": "friend works at another broker",
        "channel": "mobile-app",
        "requested_at": None,
    }
    [updated] = await outbox_events("CustomerProfileUpdated")
    assert updated["data"]["status"] == "transfer_requested"

    # A retry of the same request changes nothing and says so with the first record.
    again = await client.post(f"/v1/customers/{cid}/transfer-requests", json=REQUEST, headers=me)
    assert again.status_code == 202
    assert again.json()["received_at"] == got["received_at"]
    assert len(await outbox_events("TransferAwayRecorded")) == 1
    listed = (
        await client.get(f"/v1/customers/{cid}/transfer-requests", headers=auth("staff"))
    ).json()
    assert [r["request_id"] for r in listed] == ["R20261120-0042"]


async def test_a_request_without_id_or_time_gets_both(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    cid = body["customer_id"]
    response = await client.post(
        f"/v1/customers/{cid}/transfer-requests",
        json={"kind": "designation_cancel", "market": "SH"},
        headers=auth("customer", sub=cid),
    )
    assert response.status_code == 202
    assert response.json()["request_id"].startswith("APP-")
    assert response.json()["requested_at"]


async def test_a_second_request_keeps_the_status_and_is_announced(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, outbox_events: Any
) -> None:
    body = await create_customer()
    cid = body["customer_id"]
    url = f"/v1/customers/{cid}/transfer-requests"
    await client.post(url, json=REQUEST, headers=auth("customer", sub=cid))
    second = {
        **REQUEST,
        "request_id": "R20261120-0043",
        "kind": "designation_cancel",
        "market": "SH",
    }
    assert (
        await client.post(url, json=second, headers=auth("customer", sub=cid))
    ).status_code == 202
    assert len(await outbox_events("TransferAwayRecorded")) == 2
    assert len(await outbox_events("CustomerProfileUpdated")) == 1


async def test_a_request_is_recorded_whatever_the_customer_status(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    cid = body["customer_id"]
    await client.patch(
        f"/v1/customers/{cid}", json={"status": "transferred_out"}, headers=auth("staff")
    )
    response = await client.post(
        f"/v1/customers/{cid}/transfer-requests", json=REQUEST, headers=auth("customer", sub=cid)
    )
    assert response.status_code == 202
    assert (await client.get(f"/v1/customers/{cid}", headers=auth("staff"))).json()[
        "status"
    ] == "transferred_out"


async def test_a_token_for_a_customer_not_on_file_is_404_and_nothing_is_recorded(
    client: httpx.AsyncClient, auth: Auth, outbox_events: Any, create_customer: Create
) -> None:
    # Issue 16: a valid token whose subject was never registered filed a request.
    response = await client.post(
        "/v1/customers/C777777/transfer-requests",
        json=REQUEST,
        headers=auth("customer", sub="C777777"),
    )
    assert response.status_code == 404
    assert await outbox_events() == []
    # Its request id is still free: nothing was recorded under it.
    body = await create_customer()
    cid = body["customer_id"]
    r = await client.post(
        f"/v1/customers/{cid}/transfer-requests", json=REQUEST, headers=auth("customer", sub=cid)
    )
    assert r.status_code == 202


async def test_a_request_id_reused_for_another_request_is_422(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, outbox_events: Any
) -> None:
    cid = (await create_customer())["customer_id"]
    me = auth("customer", sub=cid)
    url = f"/v1/customers/{cid}/transfer-requests"
    assert (await client.post(url, json=REQUEST, headers=me)).status_code == 202
    # The same request again (a retry) answers the first record; its time may be re-stamped.
    retry = {k: v for k, v in REQUEST.items() if k != "requested_at"}
    again = await client.post(url, json=retry, headers=me)
    assert again.status_code == 202
    assert again.json()["requested_at"].startswith("2026-11-20T02:12:00")
    for other in ({"market": "SH"}, {"kind": "designation_cancel"}, {"reason": "fees"}):
        r = await client.post(url, json=REQUEST | other, headers=me)
        assert r.status_code == 422, (other, r.text)
    assert len(await outbox_events("TransferAwayRecorded")) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"reason": "moving\x00away"},
        {"requested_at": "1970-01-01T00:00:00+00:00"},
        {"requested_at": "2407-01-01T00:00:00+00:00"},
    ],
)
async def test_nul_text_and_out_of_range_times_are_422(
    client: httpx.AsyncClient,
    auth: Auth,
    create_customer: Create,
    outbox_events: Any,
    bad: dict[str, str],
) -> None:
    cid = (await create_customer())["customer_id"]
    r = await client.post(
        f"/v1/customers/{cid}/transfer-requests",
        json=REQUEST | bad,
        headers=auth("customer", sub=cid),
    )
    assert r.status_code == 422, r.text
    assert await outbox_events("TransferAwayRecorded") == []


async def test_a_request_id_of_another_customer_is_409(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    first = await create_customer()
    second = await create_customer()
    await client.post(
        f"/v1/customers/{first['customer_id']}/transfer-requests",
        json=REQUEST,
        headers=auth("customer", sub=first["customer_id"]),
    )
    response = await client.post(
        f"/v1/customers/{second['customer_id']}/transfer-requests",
        json=REQUEST,
        headers=auth("customer", sub=second["customer_id"]),
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("role", "kwargs"),
    [
        ("customer", {"sub": "someone-else"}),
        ("staff", {}),
        ("service", {"scopes": ["profile:read"]}),
    ],
)
async def test_only_the_customer_themself_files_it(
    offline_client: httpx.AsyncClient, auth: Auth, role: str, kwargs: dict[str, Any]
) -> None:
    response = await offline_client.post(
        "/v1/customers/C000001/transfer-requests", json=REQUEST, headers=auth(role, **kwargs)
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "move"}, "kind"),
        ({"market": "HK"}, "market"),
        ({"requested_at": "2026-11-20T10:12:00"}, "requested_at"),
    ],
)
async def test_bad_requests_are_a_422(
    offline_client: httpx.AsyncClient, auth: Auth, overrides: dict[str, Any], field: str
) -> None:
    cid = "C000001"
    response = await offline_client.post(
        f"/v1/customers/{cid}/transfer-requests",
        json={**REQUEST, **overrides},
        headers=auth("customer", sub=cid),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][1] == field
