"""Subscriptions: subscribe, renew, end; suitability confirmations; events for trading."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from advisory_svc.models import MismatchConfirmation, Subscription
from brokerage_common import Database

Auth = Callable[..., dict[str, str]]
Make = Callable[..., Awaitable[str]]
Events = Callable[..., Awaitable[list[dict[str, Any]]]]


async def _sign(client: httpx.AsyncClient, auth: Auth, cid: str) -> dict[str, Any]:
    r = await client.post(f"/v1/customers/{cid}/agreements", json={}, headers=auth("staff"))
    assert r.status_code == 201, r.text
    return r.json()


async def _count(db: Database, model: Any) -> int:
    async with db.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_bundle_a_for_a_gold_customer_emits_the_new_rate(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events
) -> None:
    await customer("C1", tier="gold", level="C3", rate="0.0005")
    await _sign(client, auth, "C1")
    r = await client.post(
        "/v1/customers/C1/subscriptions",
        json={"product_code": "A", "term_months": 1},
        headers=auth("customer", sub="C1"),
    )
    assert r.status_code == 201, r.text
    sub = r.json()
    assert Decimal(sub["commission_rate"]) == Decimal("0.0015")
    assert sub["ends_on"] == "2026-11-30"
    events = await outbox_events("ProductSubscribed")
    bundle = next(e for e in events if e["data"]["product_code"] == "A")
    assert bundle["data"]["commission_rate"] == "0.00150000"
    assert bundle["data"]["base_rate"] == "0.00050000"
    assert bundle["data"]["term_months"] == 1
    assert bundle["data"]["payment"] == "cash"
    assert bundle["_key"] == "C1"
    assert bundle["_topic"] == "advisory.products"
    # SMS1–3 come free with it (C3: SMS1 and SMS2 are R3, SMS3 R1; agreement signed).
    included = {
        e["data"]["product_code"]: e["data"] for e in events if e["data"]["payment"] == "included"
    }
    assert set(included) == {"SMS1", "SMS2", "SMS3"}
    assert all(d["included_with"] == sub["subscription_id"] for d in included.values())
    # A second bundle is refused while one runs.
    r = await client.post(
        "/v1/customers/C1/subscriptions", json={"product_code": "E"}, headers=auth("staff")
    )
    assert r.status_code == 409
    assert "another_bundle_active" in r.json()["detail"]["reasons"]


async def test_bundles_are_for_gold_and_platinum_only(
    client: httpx.AsyncClient, auth: Auth, customer: Make, db: Database
) -> None:
    await customer("C2", tier="silver", level="C5")
    r = await client.post(
        "/v1/customers/C2/subscriptions", json={"product_code": "E"}, headers=auth("staff")
    )
    assert r.status_code == 409
    assert r.json()["detail"]["reasons"] == ["tier"]
    assert await _count(db, Subscription) == 0


async def test_a_mismatch_needs_confirmation_and_is_recorded(
    client: httpx.AsyncClient, auth: Auth, customer: Make, db: Database, outbox_events: Events
) -> None:
    await customer("C3", tier="gold", level="C3")
    await _sign(client, auth, "C3")
    r = await client.post(
        "/v1/customers/C3/subscriptions", json={"product_code": "B"}, headers=auth("staff")
    )
    assert r.status_code == 409
    assert r.json()["detail"]["reasons"] == ["suitability_mismatch"]
    assert await _count(db, Subscription) == 0
    r = await client.post(
        "/v1/customers/C3/subscriptions",
        json={"product_code": "B", "mismatch_confirmed": True, "warning_version": "MW-2026-01"},
        headers=auth("staff", sub="S007"),
    )
    assert r.status_code == 201, r.text
    async with db.sessionmaker() as session:
        row = (await session.execute(select(MismatchConfirmation))).scalar_one()
    assert (row.customer_id, row.product_code, row.product_risk, row.customer_level) == (
        "C3",
        "B",
        "R4",
        "C3",
    )
    assert (row.warning_version, row.confirmed_by) == ("MW-2026-01", "S007")
    assert row.subscription_id == r.json()["subscription_id"]
    event = next(
        e for e in await outbox_events("ProductSubscribed") if e["data"]["product_code"] == "B"
    )
    assert event["data"]["mismatch_confirmed"] is True


async def test_no_confirmation_can_be_recorded_for_c1(
    client: httpx.AsyncClient, auth: Auth, customer: Make, db: Database
) -> None:
    await customer("C4", tier="gold", level="C1")
    r = await client.post(
        "/v1/customers/C4/subscriptions",
        json={"product_code": "E", "mismatch_confirmed": True},
        headers=auth("staff"),
    )
    assert r.status_code == 409
    assert r.json()["detail"]["reasons"] == ["suitability_c1"]
    assert await _count(db, MismatchConfirmation) == 0
    assert await _count(db, Subscription) == 0


async def test_an_expired_assessment_allows_r1_only(
    client: httpx.AsyncClient, auth: Auth, customer: Make
) -> None:
    from datetime import date

    await customer("C5", tier="gold", level="C5", valid_until=date(2026, 11, 19))
    r = await client.post(
        "/v1/customers/C5/subscriptions", json={"product_code": "SMS2"}, headers=auth("staff")
    )
    assert r.status_code == 409
    assert r.json()["detail"]["reasons"] == ["assessment_expired"]
    r = await client.post(
        "/v1/customers/C5/subscriptions", json={"product_code": "SMS3"}, headers=auth("staff")
    )
    assert r.status_code == 201
    assert r.json()["cash_paid"] == "10.00"


async def test_sms_cash_renew_and_end(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events
) -> None:
    await customer("C6", tier="standard", level="C3")
    r = await client.post(
        "/v1/customers/C6/subscriptions",
        json={"product_code": "SMS2", "term_months": 3},
        headers=auth("customer", sub="C6"),
    )
    assert r.status_code == 201
    sub = r.json()
    assert (sub["cash_paid"], sub["ends_on"], sub["monthly_fee"]) == (
        "30.00",
        "2027-01-31",
        "10.00",
    )
    sid = sub["subscription_id"]
    r = await client.post(
        f"/v1/customers/C6/subscriptions/{sid}/renewal",
        json={"term_months": 1},
        headers=auth("staff"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["ends_on"], r.json()["cash_paid"]) == ("2027-02-28", "40.00")
    renewal = (await outbox_events("ProductSubscribed"))[-1]["data"]
    assert (renewal["renewal"], renewal["starts_on"], renewal["ends_on"]) == (
        True,
        "2027-02-01",
        "2027-02-28",
    )
    r = await client.delete(f"/v1/customers/C6/subscriptions/{sid}", headers=auth("staff"))
    assert r.status_code == 204
    ended = (await outbox_events("ProductUnsubscribed"))[-1]["data"]
    assert (ended["product_code"], ended["reason"], ended["ended_on"]) == (
        "SMS2",
        "customer",
        "2026-11-20",
    )
    assert (
        await client.delete(f"/v1/customers/C6/subscriptions/{sid}", headers=auth("staff"))
    ).status_code == 409


async def test_ending_a_bundle_restores_x_and_ends_its_included_sms(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events
) -> None:
    await customer("C7", tier="platinum", level="C5", rate="0.0008")
    await _sign(client, auth, "C7")
    sid = (
        await client.post(
            "/v1/customers/C7/subscriptions", json={"product_code": "B"}, headers=auth("staff")
        )
    ).json()["subscription_id"]
    assert (
        await client.delete(f"/v1/customers/C7/subscriptions/{sid}", headers=auth("staff"))
    ).status_code == 204
    events = await outbox_events("ProductUnsubscribed")
    bundle = next(e["data"] for e in events if e["data"]["product_code"] == "B")
    assert bundle["commission_rate"] == "0.00080000"  # back to X
    assert sorted(
        e["data"]["product_code"] for e in events if e["data"]["reason"] == "bundle_ended"
    ) == ["SMS1", "SMS2", "SMS3"]


async def test_bad_input_changes_nothing(
    client: httpx.AsyncClient, auth: Auth, customer: Make, db: Database
) -> None:
    await customer("C8", tier="gold", level="C5")
    cases: list[tuple[dict[str, Any], dict[str, str], int]] = [
        ({"product_code": "ZZZ"}, auth("staff"), 404),
        ({"product_code": "FREE_IVR"}, auth("staff"), 422),
        ({"product_code": "SMS2", "payment": "points"}, auth("staff"), 422),
        ({"product_code": "SMS2", "payment": "included"}, auth("staff"), 409),
        ({"product_code": "SMS2", "term_months": 0}, auth("staff"), 422),
        ({"product_code": "SMS2", "term_months": 13}, auth("staff"), 422),
        ({"product_code": "SMS2", "rate": "0.5"}, auth("staff"), 422),
        ({"product_code": "D"}, auth("staff"), 422),
        ({"product_code": "SMS2"}, auth("customer", sub="C9"), 403),
        ({"product_code": "SMS2"}, auth("staff", branch_id="B002"), 403),
    ]
    for body, headers, status in cases:
        r = await client.post("/v1/customers/C8/subscriptions", json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
    r = await client.post(
        "/v1/customers/NOPE/subscriptions", json={"product_code": "SMS2"}, headers=auth("staff")
    )
    assert r.status_code == 403  # as for another branch's customer (ADR 0012 addendum)
    assert await _count(db, Subscription) == 0


async def test_money_as_a_json_float_is_refused(
    client: httpx.AsyncClient, auth: Auth, customer: Make, db: Database
) -> None:
    await customer("C9", tier="platinum", level="C5")
    r = await client.post(
        "/v1/customers/C9/subscriptions",
        json={"product_code": "D", "entrusted_amount": 3000000.0},
        headers=auth("staff"),
    )
    assert r.status_code == 422
    assert await _count(db, Subscription) == 0
