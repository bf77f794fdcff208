"""Advisory agreements: numbered, disclosure version, 5-working-day cooling-off, rescission."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx

Auth = Callable[..., dict[str, str]]
Make = Callable[..., Awaitable[str]]
Events = Callable[..., Awaitable[list[dict[str, Any]]]]


async def test_sign_numbers_it_and_sets_the_cooling_off(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events
) -> None:
    await customer("C1")
    await customer("C2")
    r = await client.post(
        "/v1/customers/C1/agreements",
        json={"risk_disclosure_version": "RD-2026-02", "fee_paid": "300.00"},
        headers=auth("staff", sub="S1"),
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["agreement_no"] == "TG-B001-2026-000001"
    # Signed Friday 2026-11-20: five working days are Nov 23–27.
    assert (a["signed_on"], a["cooling_off_ends_on"], a["advice_from"]) == (
        "2026-11-20",
        "2026-11-27",
        "2026-11-28",
    )
    assert a["risk_disclosure_version"] == "RD-2026-02"
    second = await client.post(
        "/v1/customers/C2/agreements", json={}, headers=auth("customer", sub="C2")
    )
    assert second.json()["agreement_no"] == "TG-B001-2026-000002"
    assert second.json()["risk_disclosure_version"] == "RD-2026-01"  # the configured default
    signed = (await outbox_events("AdvisoryAgreementSigned"))[0]["data"]
    assert signed["agreement_no"] == "TG-B001-2026-000001"
    assert signed["advice_from"] == "2026-11-28"
    again = await client.post("/v1/customers/C1/agreements", json={}, headers=auth("staff"))
    assert again.status_code == 409


async def test_rescission_in_cooling_off_refunds_everything_and_stops_advice(
    client: httpx.AsyncClient, auth: Auth, customer: Make, outbox_events: Events, clock: Any
) -> None:
    await customer("C3", tier="standard", level="C3")
    a = (
        await client.post(
            "/v1/customers/C3/agreements", json={"fee_paid": "300.00"}, headers=auth("staff")
        )
    ).json()
    sms1 = await client.post(
        "/v1/customers/C3/subscriptions",
        json={"product_code": "SMS1", "term_months": 2},
        headers=auth("staff"),
    )
    assert sms1.status_code == 201, sms1.text
    clock.today = date(2026, 11, 27)  # the last day of the cooling-off
    r = await client.post(
        f"/v1/customers/C3/agreements/{a['agreement_id']}/rescission",
        headers=auth("customer", sub="C3"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["rescinded_on"], r.json()["refund"]) == ("2026-11-27", "300.00")
    rescinded = (await outbox_events("AdvisoryAgreementRescinded"))[0]["data"]
    assert (rescinded["in_cooling_off"], rescinded["refund"]) == (True, "300.00")
    ended = (await outbox_events("ProductUnsubscribed"))[0]["data"]
    assert (ended["product_code"], ended["reason"], ended["refund"]) == (
        "SMS1",
        "rescinded",
        "20.00",
    )
    again = await client.post(
        f"/v1/customers/C3/agreements/{a['agreement_id']}/rescission", headers=auth("staff")
    )
    assert again.status_code == 409


async def test_rescission_after_cooling_off_refunds_nothing(
    client: httpx.AsyncClient, auth: Auth, customer: Make, clock: Any
) -> None:
    await customer("C4")
    a = (
        await client.post(
            "/v1/customers/C4/agreements", json={"fee_paid": "300.00"}, headers=auth("staff")
        )
    ).json()
    clock.today = date(2026, 11, 30)
    r = await client.post(
        f"/v1/customers/C4/agreements/{a['agreement_id']}/rescission", headers=auth("staff")
    )
    assert r.json()["refund"] == "0.00"


async def test_agreement_bad_input(client: httpx.AsyncClient, auth: Auth, customer: Make) -> None:
    await customer("C5")
    for body in ({"fee_paid": "-1"}, {"fee_paid": 1.5}, {"valid_until": "2026-11-01"}, {"x": 1}):
        r = await client.post("/v1/customers/C5/agreements", json=body, headers=auth("staff"))
        assert r.status_code in (409, 422), body
    assert (
        await client.post(
            "/v1/customers/C5/agreements", json={}, headers=auth("customer", sub="C6")
        )
    ).status_code == 403
    assert (await client.get("/v1/customers/C5/agreements", headers=auth("staff"))).json() == []
    r = await client.post("/v1/customers/C5/agreements/nope/rescission", headers=auth("staff"))
    assert r.status_code == 404
