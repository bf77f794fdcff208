"""The CRM contact log: staff of the branch write and read it, newest contact first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]


def _contact(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "call",
        "topic": "holdings diagnosis (持股诊断)",
        "outcome": "explained the risk of the two largest holdings",
        "next_step": "send the written diagnosis by IM",
        "occurred_at": "2026-11-20T10:30:00+08:00",
    } | overrides


async def test_staff_log_contacts_and_read_the_timeline_newest_first(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, outbox_events: Any
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}/interactions"
    older = await client.post(
        url,
        json=_contact(occurred_at="2026-11-18T09:00:00+08:00", channel="visit"),
        headers=auth("staff", sub="S7"),
    )
    newer = await client.post(
        url, json=_contact(channel="seminar", next_step=None), headers=auth("staff", sub="S8")
    )
    logged_late = await client.post(
        url,
        json=_contact(occurred_at="2026-11-19T16:00:00+08:00", channel="im"),
        headers=auth("staff", sub="S7"),
    )
    assert older.status_code == newer.status_code == logged_late.status_code == 201, older.text
    assert older.json()["staff_id"] == "S7"
    assert older.json()["branch_id"] == "B001"

    page = (await client.get(url, headers=auth("staff"))).json()
    assert [i["channel"] for i in page["items"]] == ["seminar", "im", "visit"]
    assert page["items"][0]["next_step"] is None
    second = (await client.get(url, params={"limit": 1, "offset": 1}, headers=auth("staff"))).json()
    assert [i["channel"] for i in second["items"]] == ["im"]

    events = await outbox_events("InteractionLogged")
    assert len(events) == 3
    assert events[0]["data"]["staff_id"] == "S7"
    assert events[0]["data"]["channel"] == "visit"
    assert events[0]["data"]["occurred_at"].startswith("2026-11-18T")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"topic": ""}, "topic"),
        ({"outcome": "x" * 1001}, "outcome"),
        ({"occurred_at": "2026-11-20T10:30:00"}, "occurred_at"),  # no offset: which clock?
        ({"staff_id": "S9"}, "staff_id"),  # the writer is the caller, not a field
    ],
)
async def test_bad_contacts_are_a_422_naming_the_field(
    offline_client: httpx.AsyncClient, auth: Auth, overrides: dict[str, Any], field: str
) -> None:
    response = await offline_client.post(
        "/v1/customers/C000001/interactions", json=_contact(**overrides), headers=auth("staff")
    )
    assert response.status_code == 422, response.text
    assert field in [e["loc"][1] for e in response.json()["detail"]]


async def test_a_contact_in_the_future_is_a_422(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    response = await client.post(
        f"/v1/customers/{body['customer_id']}/interactions",
        json=_contact(occurred_at=later),
        headers=auth("staff"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "occurred_at"]


async def test_customers_and_other_branches_neither_write_nor_read_the_log(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}/interactions"
    own = auth("customer", sub=body["customer_id"])
    assert (await client.post(url, json=_contact(), headers=own)).status_code == 403
    assert (await client.get(url, headers=own)).status_code == 403
    assert (
        await client.post(url, json=_contact(), headers=auth("staff", branch_id="B002"))
    ).status_code == 403
    assert (await client.get(url, headers=auth("staff", branch_id="B002"))).status_code == 403
    assert (
        await client.post(
            "/v1/customers/C999999/interactions", json=_contact(), headers=auth("staff")
        )
    ).status_code == 403  # as for another branch's customer: staff cannot probe ids
