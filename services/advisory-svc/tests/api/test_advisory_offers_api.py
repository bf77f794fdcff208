"""GET /v1/products and GET /v1/customers/{id}/offers: prices for one customer, reasons, order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from advisory_svc.config import Settings

Auth = Callable[..., dict[str, str]]


async def test_products_lists_the_catalogue(client: httpx.AsyncClient, auth: Auth) -> None:
    r = await client.get("/v1/products", headers=auth("customer", sub="C1"))
    assert r.status_code == 200
    products = {p["code"]: p for p in r.json()}
    assert set(products) == {
        "FREE_RESEARCH",
        "FREE_IVR",
        "FREE_NOTICE",
        "SMS1",
        "SMS2",
        "SMS3",
        "A",
        "B",
        "C",
        "D",
        "E",
    }
    assert products["A"]["price_rule"] == "X + 1.00‰, at most 2.00‰, never below X"
    assert products["C"]["risk_level"] == "R5"
    assert products["D"]["fee_bands"][1] == {"from_amount": "1000000", "annual_rate": "0.008"}
    assert (await client.get("/v1/products")).status_code == 401


async def test_a_gold_customers_offers_carry_their_own_rate(
    client: httpx.AsyncClient, auth: Auth, customer: Callable[..., Awaitable[str]]
) -> None:
    await customer("C1", tier="gold", level="C3", rate="0.0005")
    r = await client.get("/v1/customers/C1/offers", headers=auth("customer", sub="C1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["base_rate"] == "0.00050000"
    assert body["preference_type"] == "balanced"
    offers = {o["product_code"]: o for o in body["offers"]}
    # X = 0.5‰: A = 1.5‰ (domain.md §3.1), B = min(2.0, 2.5) = 2.0‰, C = 3‰, E = X.
    assert Decimal(offers["A"]["price"]["commission_rate"]) == Decimal("0.0015")
    assert Decimal(offers["B"]["price"]["commission_rate"]) == Decimal("0.0020")
    assert Decimal(offers["C"]["price"]["commission_rate"]) == Decimal("0.003")
    assert Decimal(offers["E"]["price"]["commission_rate"]) == Decimal("0.0005")
    assert "0.50‰" in offers["A"]["price"]["explanation"]
    assert offers["SMS2"]["price"]["monthly_fee"] == "10.00"
    # No agreement yet: advice products are not offered, E and SMS2/3 are.
    assert "agreement_needed" in offers["A"]["reasons"]
    assert offers["E"]["offered"]
    assert offers["SMS3"]["offered"]
    # R4 above C3: a mismatch with a warning, not a refusal.
    assert offers["B"]["suitability"] == "mismatch"
    assert offers["B"]["warning"]
    # Offered first, in the balanced order (A first among bundles when offered).
    offered = [o["offered"] for o in body["offers"]]
    assert offered == sorted(offered, reverse=True)


async def test_no_known_rate_means_the_standard_rate_and_no_tier_means_standard(
    client: httpx.AsyncClient,
    auth: Auth,
    customer: Callable[..., Awaitable[str]],
    settings: Settings,
) -> None:
    await customer("C2", tier="standard", level=None)
    r = await client.get("/v1/customers/C2/offers", headers=auth("staff"))
    assert r.status_code == 200
    body = r.json()
    assert Decimal(body["base_rate"]) == Decimal("0.00025")
    offers = {o["product_code"]: o for o in body["offers"]}
    assert set(offers["A"]["reasons"]) >= {"tier", "assessment_missing", "agreement_needed"}
    assert offers["SMS3"]["offered"]  # R1: open without an assessment
    assert offers["SMS2"]["reasons"] == ["assessment_missing"]
    assert body["preference_type"] == "conservative"


async def test_bundle_d_fee_for_an_amount(
    client: httpx.AsyncClient, auth: Auth, customer: Callable[..., Awaitable[str]]
) -> None:
    await customer("C3", tier="platinum", level="C5")
    r = await client.get(
        "/v1/customers/C3/offers", params={"entrusted_amount": "3000000"}, headers=auth("staff")
    )
    d = next(o for o in r.json()["offers"] if o["product_code"] == "D")
    assert d["price"]["annual_fee"] == "26000.00"
    assert d["price"]["monthly_fee"] == "2166.67"


async def test_offers_access_and_bad_input(
    client: httpx.AsyncClient, auth: Auth, customer: Callable[..., Awaitable[str]]
) -> None:
    await customer("C4")
    assert (
        await client.get("/v1/customers/C4/offers", headers=auth("customer", sub="C9"))
    ).status_code == 403
    assert (
        await client.get("/v1/customers/C4/offers", headers=auth("staff", branch_id="B002"))
    ).status_code == 403
    assert (
        await client.get("/v1/customers/C4/offers", headers=auth("staff", branch_id="HQ"))
    ).status_code == 200
    # A branch's staff get 403 for an unknown id, as for another branch's customer (ADR 0012
    # addendum); HQ learn that it is unknown.
    assert (await client.get("/v1/customers/NOPE/offers", headers=auth("staff"))).status_code == 403
    hq = auth("staff", branch_id="HQ")
    assert (await client.get("/v1/customers/NOPE/offers", headers=hq)).status_code == 404
    for bad in ("-1", "abc", "1e20"):
        r = await client.get(
            "/v1/customers/C4/offers", params={"entrusted_amount": bad}, headers=auth("staff")
        )
        assert r.status_code == 422, bad


async def test_a_rate_for_an_unknown_customer_is_kept_until_they_register(
    client: httpx.AsyncClient,
    auth: Auth,
    feed: Callable[..., Awaitable[None]],
    customer: Callable[..., Awaitable[str]],
) -> None:
    from datetime import date

    from brokerage_common import events as ev

    await feed(
        ev.CommissionRateSet(
            customer_id="C5", rate=Decimal("0.0012"), effective_from=date(2026, 11, 2)
        )
    )
    hq = auth("staff", branch_id="HQ")  # a branch's staff get 403 for an unknown id
    assert (await client.get("/v1/customers/C5/offers", headers=hq)).status_code == 404
    await customer("C5", tier="gold")  # registered later, no rate of its own
    body: dict[str, Any] = (
        await client.get("/v1/customers/C5/offers", headers=auth("staff"))
    ).json()
    assert Decimal(body["base_rate"]) == Decimal("0.0012")
    a = next(o for o in body["offers"] if o["product_code"] == "A")
    assert Decimal(a["price"]["commission_rate"]) == Decimal("0.002")  # X=1.2‰ -> 2.0‰
