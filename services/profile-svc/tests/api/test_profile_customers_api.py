"""Customer files over HTTP: validation naming the field, duplicates, masking, who sees what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from profile_svc.customers import rules

Auth = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]


def _field_errors(response: httpx.Response) -> list[str]:
    """The field each 422 error names: the element after "body" or "query" in its loc."""
    return [e["loc"][1] for e in response.json()["detail"]]


async def test_staff_opens_a_file_and_gets_it_back_masked(
    client: httpx.AsyncClient, auth: Auth, make_customer: Builder, outbox_events: Any
) -> None:
    body = make_customer(
        phone="+86 138-0013-8000", email="zw@example.com", preferred_channels=["sms", "email"]
    )
    response = await client.post("/v1/customers", json=body, headers=auth("staff"))
    assert response.status_code == 201, response.text
    got = response.json()
    assert got["phone"] == "138****8000"
    assert got["id_number"] == rules.mask_id_number(body["id_number"])
    assert got["id_number"].startswith("110***********")
    assert got["masked"] is True
    assert got["status"] == "active"
    assert body["id_number"] not in response.text
    assert "13800138000" not in response.text

    [registered] = await outbox_events("CustomerRegistered")
    assert registered["subject"] == registered["_key"] == body["customer_id"]
    assert registered["_topic"] == "profile.customers"
    data = registered["data"]
    assert data["phone"] == "13800138000"  # normalised: the SMS and routing sides need the number
    assert data["birth_month_day"] == "11-22"
    assert data["preferred_channels"] == ["sms", "email"]
    # Never the ID number, not even the birth year it encodes.
    assert "id_number" not in data
    assert "birth_date" not in data
    assert body["id_number"] not in str(registered)
    assert "1995" not in str(data)


async def test_a_missing_customer_id_is_generated(
    client: httpx.AsyncClient, auth: Auth, make_customer: Builder
) -> None:
    body = make_customer()
    del body["customer_id"]
    response = await client.post("/v1/customers", json=body, headers=auth("staff"))
    assert response.status_code == 201
    generated = response.json()["customer_id"]
    assert generated.startswith("C")
    assert (
        await client.get(f"/v1/customers/{generated}", headers=auth("staff"))
    ).status_code == 200


def _valid_id(birth: str = "1995-11-22", gender: str = "male") -> str:
    first17 = f"110101{birth.replace('-', '')}00{1 if gender == 'male' else 2}"
    return first17 + rules.id_number_check_digit(first17)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "01012345678"}, "phone"),  # a Beijing landline
        ({"phone": "1380013800"}, "phone"),  # 10 digits
        ({"phone": "+85291234567"}, "phone"),  # Hong Kong
        ({"phone": "138ABCD1234"}, "phone"),
        (
            {"id_number": _valid_id()[:-1] + ("0" if _valid_id()[-1] != "0" else "1")},
            "id_number",
        ),  # check digit
        ({"id_number": _valid_id()[:17]}, "id_number"),  # 17 characters
        ({"id_number": _valid_id() + "1"}, "id_number"),  # 19 characters
        ({"id_number": "110101199513221234"}, "id_number"),  # month 13
        ({"id_number": "11010119951122123Y"}, "id_number"),
        (
            {"birth_date": "1995-11-23", "id_number": _valid_id("1995-11-22")},
            "birth_date",
        ),  # not the ID's date
        ({"birth_date": "22/11/1995"}, "birth_date"),
        ({"gender": "female", "id_number": _valid_id(gender="male")}, "gender"),  # ID says male
        ({"gender": "x"}, "gender"),
        ({"opened_on": "2026-11-23"}, "opened_on"),  # tomorrow
        ({"opened_on": "1990-01-01"}, "opened_on"),  # before birth
        ({"name": ""}, "name"),
        ({"name": "张伟 13800138000"}, "name"),  # digits cannot ride into events inside a name
        ({"branch_id": "B 1"}, "branch_id"),
        ({"onsite": "yes"}, "onsite"),
        ({"preferred_channels": ["fax"]}, "preferred_channels"),
        ({"preferred_channels": []}, "preferred_channels"),
        ({"preferred_channels": ["email"]}, "email"),  # no address to write to
        ({"email": "not-an-address"}, "email"),
        ({"market_entry_year": 1989}, "market_entry_year"),
        ({"market_entry_year": 2027}, "market_entry_year"),
        ({"family_life_cycle": "bachelor"}, "family_life_cycle"),
        ({"customer_id": "C 1"}, "customer_id"),
        ({"nickname": "x"}, "nickname"),  # unknown fields are refused, not ignored
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    offline_client: httpx.AsyncClient,
    auth: Auth,
    make_customer: Builder,
    overrides: dict[str, Any],
    field: str,
) -> None:
    body = make_customer()
    body.update(overrides)
    response = await offline_client.post("/v1/customers", json=body, headers=auth("staff"))
    assert response.status_code == 422, response.text
    assert field in _field_errors(response)
    # The error never echoes what was typed (it may be an ID number).
    assert body["id_number"] not in response.text


async def test_required_fields_are_named_when_missing(
    offline_client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await offline_client.post("/v1/customers", json={}, headers=auth("staff"))
    assert response.status_code == 422
    assert set(_field_errors(response)) >= {
        "name",
        "phone",
        "id_number",
        "birth_date",
        "gender",
        "branch_id",
        "opened_on",
        "onsite",
    }


async def test_a_referrer_must_be_a_customer(
    client: httpx.AsyncClient, auth: Auth, make_customer: Builder
) -> None:
    response = await client.post(
        "/v1/customers", json=make_customer(referrer_id="C999999"), headers=auth("staff")
    )
    assert response.status_code == 422
    assert _field_errors(response) == ["referrer_id"]


async def test_an_existing_referrer_is_accepted(
    client: httpx.AsyncClient, auth: Auth, create_customer: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    referrer = await create_customer()
    referred = await create_customer(referrer_id=referrer["customer_id"])
    got = (
        await client.get(f"/v1/customers/{referred['customer_id']}", headers=auth("staff"))
    ).json()
    assert got["referrer_id"] == referrer["customer_id"]


@pytest.mark.parametrize("duplicate", ["customer_id", "phone", "id_number"])
async def test_duplicates_are_409(
    client: httpx.AsyncClient,
    auth: Auth,
    make_customer: Builder,
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
    duplicate: str,
) -> None:
    first = await create_customer()
    second = make_customer()
    second[duplicate] = first[duplicate]
    if duplicate == "id_number":  # same person: same birth date and gender as well
        second["birth_date"], second["gender"] = first["birth_date"], first["gender"]
        second["id_number"] = first["id_number"].lower()[:17] + first["id_number"][17].lower()
    response = await client.post("/v1/customers", json=second, headers=auth("staff"))
    assert response.status_code == 409, response.text
    assert first["id_number"] not in response.text
    assert first["phone"] not in response.text


async def test_the_same_phone_in_another_notation_is_a_duplicate(
    client: httpx.AsyncClient,
    auth: Auth,
    make_customer: Builder,
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    first = await create_customer()
    p = first["phone"]
    second = make_customer(phone=f"+86 {p[:3]} {p[3:7]} {p[7:]}")
    assert (
        await client.post("/v1/customers", json=second, headers=auth("staff"))
    ).status_code == 409


@pytest.mark.parametrize(
    ("role", "kwargs"),
    [
        ("staff", {"branch_id": "B002"}),
        ("customer", {"sub": "C000001"}),
        ("service", {"scopes": ["profile:read"]}),
    ],
)
async def test_only_staff_of_the_branch_open_files(
    offline_client: httpx.AsyncClient,
    auth: Auth,
    make_customer: Builder,
    role: str,
    kwargs: dict[str, Any],
) -> None:
    response = await offline_client.post(
        "/v1/customers", json=make_customer(), headers=auth(role, **kwargs)
    )
    assert response.status_code == 403


async def test_missing_or_wrong_token_is_401(
    offline_client: httpx.AsyncClient, make_token: Callable[..., str], make_customer: Builder
) -> None:
    url = "/v1/customers/C000001"
    assert (await offline_client.get(url)).status_code == 401
    assert (
        await offline_client.get(url, headers={"Authorization": "Bearer not-a-jwt"})
    ).status_code == 401
    forged = make_token(
        "staff", branch_id="B001", secret="another-secret-of-sufficient-length-0123"
    )
    assert (
        await offline_client.get(url, headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401
    expired = make_token("staff", branch_id="B001", ttl_s=-60)
    assert (
        await offline_client.get(url, headers={"Authorization": f"Bearer {expired}"})
    ).status_code == 401
    assert (await offline_client.post("/v1/customers", json=make_customer())).status_code == 401


async def test_a_customer_reads_only_their_own_file(
    client: httpx.AsyncClient, auth: Auth, create_customer: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    mine = await create_customer()
    other = await create_customer()
    me = auth("customer", sub=mine["customer_id"])
    own = await client.get(f"/v1/customers/{mine['customer_id']}", headers=me)
    assert own.status_code == 200
    assert own.json()["phone"] == rules.mask_phone(mine["phone"])
    assert (
        await client.get(f"/v1/customers/{other['customer_id']}", headers=me)
    ).status_code == 403
    # Asking about a customer who does not exist is no different from asking about another one.
    assert (await client.get("/v1/customers/C999999", headers=me)).status_code == 403


async def test_staff_read_only_their_own_branch(
    client: httpx.AsyncClient, auth: Auth, create_customer: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    in_a = await create_customer(branch_id="B001")
    assert (
        await client.get(
            f"/v1/customers/{in_a['customer_id']}", headers=auth("staff", branch_id="B001")
        )
    ).status_code == 200
    assert (
        await client.get(
            f"/v1/customers/{in_a['customer_id']}", headers=auth("staff", branch_id="B002")
        )
    ).status_code == 403
    # No customer answers as another branch's does: staff cannot tell which ids exist (issue 16).
    assert (await client.get("/v1/customers/C999999", headers=auth("staff"))).status_code == 403
    missing = await client.get(
        "/v1/customers/C999999", headers=auth("service", scopes=["profile:read"])
    )
    assert missing.status_code == 404


async def test_a_service_needs_the_read_scope_and_never_sees_the_numbers(
    client: httpx.AsyncClient, auth: Auth, create_customer: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}"
    scoped = await client.get(url, headers=auth("service", scopes=["profile:read"]))
    assert scoped.status_code == 200
    assert scoped.json()["masked"] is True
    assert (
        await client.get(url, headers=auth("service", scopes=["routing:read"]))
    ).status_code == 403
    revealing = await client.get(
        url,
        params={"reveal": "true", "reason": "audit"},
        headers=auth("service", scopes=["profile:read"]),
    )
    assert revealing.status_code == 403


async def test_staff_update_segmentation_fields_and_contact_facts(
    client: httpx.AsyncClient,
    auth: Auth,
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
    outbox_events: Any,
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}"
    response = await client.patch(
        url,
        json={
            "family_life_cycle": "newly_married",
            "market_entry_year": 2015,
            "time_on_stocks": "much",
            "past_success": "mixed",
        },
        headers=auth("staff"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["family_life_cycle"] == "newly_married"
    assert (
        await outbox_events("CustomerProfileUpdated") == []
    )  # nothing other services keep changed

    response = await client.patch(
        url,
        json={"phone": "139 0000 7777", "preferred_channels": ["phone", "sms"]},
        headers=auth("staff"),
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "139****7777"
    [updated] = await outbox_events("CustomerProfileUpdated")
    assert updated["data"]["phone"] == "13900007777"
    assert updated["data"]["preferred_channels"] == ["phone", "sms"]
    assert updated["data"]["status"] is None

    segments = (await client.get(f"{url}/segments", headers=auth("staff"))).json()
    assert segments["family_life_cycle"] == "newly_married"
    assert segments["experience"] == {
        "market_entry_year": 2015,
        "years_in_market": 11,
        "time_on_stocks": "much",
        "past_success": "mixed",
    }
    assert segments["age"] == 31
    assert segments["life_stage"] == "youth"
    assert segments["value_segment"] is None  # no settlement events yet


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"phone": None}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"status": "transfer_requested"}, "status"),  # only a request sets it
        ({"market_entry_year": 1989}, "market_entry_year"),
        ({"name": "改名"}, "name"),  # identity is not editable here
    ],
)
async def test_bad_updates_are_a_422_naming_the_field(
    offline_client: httpx.AsyncClient, auth: Auth, patch: dict[str, Any], field: str
) -> None:
    response = await offline_client.patch(
        "/v1/customers/C000001", json=patch, headers=auth("staff")
    )
    assert response.status_code == 422, response.text
    assert field in _field_errors(response)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"market_entry_year": 1960}, "market_entry_year"),  # before this customer's birth
        ({"preferred_channels": ["email"]}, "email"),  # this customer has no address
    ],
)
async def test_updates_that_contradict_the_file_are_a_422(
    client: httpx.AsyncClient,
    auth: Auth,
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
    patch: dict[str, Any],
    field: str,
) -> None:
    body = await create_customer()
    response = await client.patch(
        f"/v1/customers/{body['customer_id']}", json=patch, headers=auth("staff")
    )
    assert response.status_code == 422, response.text
    assert _field_errors(response) == [field]


async def test_an_update_to_a_taken_phone_is_409_and_only_staff_of_the_branch_update(
    client: httpx.AsyncClient, auth: Auth, create_customer: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    first = await create_customer()
    second = await create_customer()
    url = f"/v1/customers/{second['customer_id']}"
    assert (
        await client.patch(url, json={"phone": first["phone"]}, headers=auth("staff"))
    ).status_code == 409
    own = auth("customer", sub=second["customer_id"])
    assert (await client.patch(url, json={"onsite": True}, headers=own)).status_code == 403
    assert (
        await client.patch(url, json={"onsite": True}, headers=auth("staff", branch_id="B002"))
    ).status_code == 403


async def test_status_change_is_published(
    client: httpx.AsyncClient,
    auth: Auth,
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
    outbox_events: Any,
) -> None:
    body = await create_customer()
    response = await client.patch(
        f"/v1/customers/{body['customer_id']}", json={"status": "dormant"}, headers=auth("staff")
    )
    assert response.json()["status"] == "dormant"
    [updated] = await outbox_events("CustomerProfileUpdated")
    assert updated["data"]["status"] == "dormant"
    assert updated["data"]["phone"] is None


async def test_the_investor_category_is_published_for_suitability(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    create_customer: Callable[..., Awaitable[dict[str, Any]]],
    outbox_events: Callable[..., Awaitable[list[dict[str, Any]]]],
) -> None:
    """advisory-svc lets a professional investor (专业投资者) buy R1–R5: it learns the category
    from these events (domain.md §3.1)."""
    body = await create_customer()
    [registered] = await outbox_events("CustomerRegistered")
    assert registered["data"]["investor_category"] == "ordinary"
    response = await client.patch(
        f"/v1/customers/{body['customer_id']}",
        json={"investor_category": "professional"},
        headers=auth("staff"),
    )
    assert response.status_code == 200, response.text
    [updated] = await outbox_events("CustomerProfileUpdated")
    assert updated["data"]["investor_category"] == "professional"
