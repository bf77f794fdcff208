"""The branch customer list (GET /v1/customers): branch scoping, keyset paging, searching by
name prefix and by the visible digits of a masked phone, and the 422s of bad parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from brokerage_common import Database
from profile_svc.segments.models import CustomerSegment

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/v1/customers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [c["customer_id"] for c in response.json()["items"]]


async def test_staff_see_only_their_own_branch(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    await create_customer(customer_id="A1", branch_id="B001")
    await create_customer(customer_id="A2", branch_id="B001")
    await create_customer(customer_id="B1", branch_id="B002")

    assert await _ids(client, auth("staff", branch_id="B002")) == ["B1"]
    assert await _ids(client, auth("staff", branch_id="B001")) == ["A1", "A2"]
    assert await _ids(client, auth("staff", branch_id="B002"), branch_id="B002") == ["B1"]
    other = await client.get(
        "/v1/customers", params={"branch_id": "B001"}, headers=auth("staff", branch_id="B002")
    )
    assert other.status_code == 403
    assert "A1" not in other.text


async def test_headquarters_staff_name_the_branch(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    await create_customer(customer_id="A1", branch_id="B001")
    await create_customer(customer_id="B1", branch_id="B002")
    hq = auth("staff", branch_id="HQ")
    assert await _ids(client, hq, branch_id="B001") == ["A1"]
    assert await _ids(client, hq, branch_id="B002") == ["B1"]
    unnamed = await client.get("/v1/customers", headers=hq)
    assert unnamed.status_code == 422
    assert unnamed.json()["detail"][0]["loc"] == ["query", "branch_id"]


@pytest.mark.parametrize(
    "role_kw",
    [{"role": "customer", "sub": "A1"}, {"role": "service", "scopes": ["profile:read"]}],
)
async def test_only_staff_list_customers(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, role_kw: dict[str, Any]
) -> None:
    await create_customer(customer_id="A1")
    role = role_kw.pop("role")
    response = await client.get("/v1/customers", headers=auth(role, **role_kw))
    assert response.status_code == 403
    assert "A1" not in response.text


async def test_without_a_token_the_list_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/customers")).status_code == 401


async def test_paging_returns_every_customer_exactly_once_in_id_order(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    created = [f"C{i:03d}" for i in (7, 3, 11, 1, 5, 9, 2)]
    for customer_id in created:
        await create_customer(customer_id=customer_id)
    await create_customer(customer_id="X1", branch_id="B002")
    seen: list[str] = []
    pages = 0
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"after": after} if after else {})
        response = await client.get("/v1/customers", params=params, headers=auth("staff"))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 3
        seen += [c["customer_id"] for c in page["items"]]
        pages += 1
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(created)
    assert pages == 3  # 3 + 3 + 1: the last full page does not promise a next one wrongly


async def test_an_exactly_full_last_page_says_it_is_the_last(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    for customer_id in ("C1", "C2", "C3", "C4"):
        await create_customer(customer_id=customer_id)
    first = (await client.get("/v1/customers?limit=2", headers=auth("staff"))).json()
    assert first["next_after"] == "C2"
    second = (await client.get("/v1/customers?limit=2&after=C2", headers=auth("staff"))).json()
    assert [c["customer_id"] for c in second["items"]] == ["C3", "C4"]
    assert second["next_after"] is None


async def test_search_by_name_prefix(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    await create_customer(customer_id="C1", name="张伟")
    await create_customer(customer_id="C2", name="张三丰")
    await create_customer(customer_id="C3", name="王张")  # 张 inside, not at the start
    await create_customer(customer_id="C4", name="李四")
    await create_customer(customer_id="C5", name="张伟", branch_id="B002")
    staff = auth("staff")
    assert await _ids(client, staff, q="张") == ["C1", "C2"]
    assert await _ids(client, staff, q="张伟") == ["C1"]
    assert await _ids(client, staff, q="王") == ["C3"]
    assert await _ids(client, staff, q="赵") == []


@pytest.mark.parametrize("wildcard", ["%", "_", "张%", "_伟"])
async def test_like_wildcards_in_a_name_are_plain_characters(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, wildcard: str
) -> None:
    await create_customer(customer_id="C1", name="张伟")
    assert await _ids(client, auth("staff"), q=wildcard) == []


async def test_search_by_the_visible_digits_of_a_masked_phone(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    c1 = await create_customer(customer_id="C1", phone="13800001234")
    await create_customer(customer_id="C2", phone="13900001234")
    await create_customer(customer_id="C3", phone="13800005678")
    await create_customer(customer_id="C4", phone="13700001234", branch_id="B002")
    staff = auth("staff")
    assert await _ids(client, staff, phone_last4="1234") == ["C1", "C2"]
    # 138****1234, as the masked form shows it
    assert await _ids(client, staff, phone_prefix3="138", phone_last4="1234") == ["C1"]
    assert await _ids(client, staff, phone_prefix3="138") == ["C1", "C3"]
    assert await _ids(client, staff, phone_last4="0000") == []

    response = await client.get("/v1/customers", params={"phone_last4": "1234"}, headers=staff)
    [first, second] = response.json()["items"]
    assert (first["phone"], second["phone"]) == ("138****1234", "139****1234")
    # api.md: an ID number shows its first 3 and last 4 characters
    assert first["id_number"] == c1["id_number"][:3] + "*" * 11 + c1["id_number"][-4:]
    assert c1["id_number"] not in response.text
    assert "13800001234" not in response.text


async def test_a_changed_phone_is_found_by_its_new_digits(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    await create_customer(customer_id="C1", phone="13800001234")
    staff = auth("staff")
    patched = await client.patch("/v1/customers/C1", json={"phone": "13900009876"}, headers=staff)
    assert patched.status_code == 200, patched.text
    assert await _ids(client, staff, phone_last4="1234") == []
    assert await _ids(client, staff, phone_prefix3="139", phone_last4="9876") == ["C1"]


async def test_filters_by_value_segment_and_status_combine(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, db: Database
) -> None:
    for customer_id in ("C1", "C2", "C3"):
        await create_customer(customer_id=customer_id, name="张伟")
    now = datetime.now(UTC)
    async with db.sessionmaker() as session:
        for customer_id, segment in (("C1", "short_term_large"), ("C2", "static_small")):
            session.add(
                CustomerSegment(
                    customer_id=customer_id,
                    as_of=date(2026, 11, 20),
                    asset_size=segment.rsplit("_", 1)[1],
                    turnover_class=segment.rsplit("_", 1)[0],
                    value_segment=segment,
                    updated_at=now,
                )
            )
        await session.commit()
    staff = auth("staff")
    dormant = await client.patch("/v1/customers/C3", json={"status": "dormant"}, headers=staff)
    assert dormant.status_code == 200, dormant.text

    assert await _ids(client, staff, segment="short_term_large") == ["C1"]
    assert await _ids(client, staff, status="dormant") == ["C3"]
    assert await _ids(client, staff, status="active", q="张") == ["C1", "C2"]
    assert await _ids(client, staff, segment="static_small", status="dormant") == []
    items = (await client.get("/v1/customers", headers=staff)).json()["items"]
    assert [c["value_segment"] for c in items] == ["short_term_large", "static_small", None]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"phone_last4": "123"}, "phone_last4"),
        ({"phone_last4": "12345"}, "phone_last4"),
        ({"phone_last4": "12a4"}, "phone_last4"),
        ({"phone_prefix3": "238"}, "phone_prefix3"),
        ({"phone_prefix3": "13"}, "phone_prefix3"),
        ({"q": "13800001234"}, "q"),  # a phone number is not a name
        ({"q": "张1"}, "q"),
        ({"q": ""}, "q"),
        ({"q": " 张"}, "q"),
        ({"q": "张" * 65}, "q"),
        ({"segment": "gold"}, "segment"),
        ({"status": "closed"}, "status"),
        ({"after": "C1; DROP"}, "after"),
        ({"branch_id": "B 1"}, "branch_id"),
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(
    offline_client: httpx.AsyncClient, auth: Auth, params: dict[str, Any], field: str
) -> None:
    response = await offline_client.get("/v1/customers", params=params, headers=auth("staff"))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]
