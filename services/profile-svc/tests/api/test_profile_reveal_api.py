"""Unmasking a phone or ID number: staff of the branch only, with a reason, always audited first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from brokerage_common import Database
from profile_svc.models import PiiAccess

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]


async def _audit_count(db: Database) -> int:
    async with db.sessionmaker() as session:
        return int(
            (await session.execute(select(func.count()).select_from(PiiAccess))).scalar_one()
        )


def _reveals(field: str) -> float:
    return REGISTRY.get_sample_value("profile_pii_reveals_total", {"field": field}) or 0.0


async def test_staff_of_the_branch_reveal_with_a_reason_and_it_is_audited(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, db: Database
) -> None:
    body = await create_customer()
    before = _reveals("id_number")
    response = await client.get(
        f"/v1/customers/{body['customer_id']}",
        params={"reveal": "true", "reason": "customer called to update bank card"},
        headers=auth("staff", sub="S0042"),
    )
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["phone"] == body["phone"]
    assert got["id_number"] == body["id_number"]
    assert got["masked"] is False
    assert _reveals("id_number") == before + 1

    log = (
        await client.get(f"/v1/customers/{body['customer_id']}/pii-access", headers=auth("staff"))
    ).json()
    [entry] = log
    assert entry["customer_id"] == body["customer_id"]
    assert entry["actor"] == "staff:S0042"
    assert entry["actor_branch_id"] == "B001"
    assert entry["fields"] == "phone,id_number"
    assert entry["reason"] == "customer called to update bank card"
    assert entry["accessed_at"]


async def test_a_reveal_can_be_limited_to_one_number(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    got = (
        await client.get(
            f"/v1/customers/{body['customer_id']}",
            params={"reveal": "true", "reason": "call back", "fields": "phone"},
            headers=auth("staff"),
        )
    ).json()
    assert got["phone"] == body["phone"]
    assert got["id_number"].startswith("110***")
    [entry] = (
        await client.get(f"/v1/customers/{body['customer_id']}/pii-access", headers=auth("staff"))
    ).json()
    assert entry["fields"] == "phone"


async def test_a_reveal_needs_a_reason(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, db: Database
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}"
    for params in ({"reveal": "true"}, {"reveal": "true", "reason": "   "}):
        response = await client.get(url, params=params, headers=auth("staff"))
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "reason"]
    assert await _audit_count(db) == 0


@pytest.mark.parametrize(
    ("role", "kwargs"),
    [
        ("staff", {"branch_id": "B002"}),
        ("customer", {"sub": "own"}),
        ("customer", {"sub": "someone-else"}),
    ],
)
async def test_a_reveal_is_refused_to_anyone_else_and_not_audited(
    client: httpx.AsyncClient,
    auth: Auth,
    create_customer: Create,
    db: Database,
    role: str,
    kwargs: dict[str, Any],
) -> None:
    body = await create_customer()
    if kwargs.get("sub") == "own":
        kwargs = {"sub": body["customer_id"]}
    response = await client.get(
        f"/v1/customers/{body['customer_id']}",
        params={"reveal": "true", "reason": "curious"},
        headers=auth(role, **kwargs),
    )
    assert response.status_code == 403
    assert body["phone"] not in response.text
    assert body["id_number"] not in response.text
    assert await _audit_count(db) == 0


async def test_the_audit_is_for_staff_of_the_branch_only(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}/pii-access"
    assert (
        await client.get(url, headers=auth("customer", sub=body["customer_id"]))
    ).status_code == 403
    assert (await client.get(url, headers=auth("staff", branch_id="B002"))).status_code == 403


async def test_the_audit_is_append_only(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, db: Database
) -> None:
    body = await create_customer()
    await client.get(
        f"/v1/customers/{body['customer_id']}",
        params={"reveal": "true", "reason": "check"},
        headers=auth("staff"),
    )
    async with db.sessionmaker() as session:
        entry = (await session.execute(select(PiiAccess))).scalar_one()
        entry.reason = "nothing to see"
        with pytest.raises(RuntimeError, match="append-only"):
            await session.flush()
        await session.rollback()
        entry = (await session.execute(select(PiiAccess))).scalar_one()
        await session.delete(entry)
        with pytest.raises(RuntimeError, match="append-only"):
            await session.flush()
