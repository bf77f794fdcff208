"""The offers read model (ADR 0010, "Offers"): answers equal to the database path's, fresh
after a write in the same process at once, after another process's write at the next poll."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from advisory_svc.config import Settings
from advisory_svc.deps import get_today
from advisory_svc.main import create_app
from advisory_svc.models import CustomerFact, OfferChange
from advisory_svc.offers.fastpath import OFFERS_FAST
from brokerage_common import Database
from brokerage_common import events as ev

from ..conftest import TODAY, Clock

Auth = Callable[..., dict[str, str]]
Customer = Callable[..., Awaitable[str]]

SHORT = date(2026, 11, 25)  # an assessment and an agreement ending between the two days
LATER = date(2026, 11, 30)


async def _both(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str], path: str, **params: str
) -> tuple[httpx.Response, httpx.Response]:
    """The same request answered from memory, then from the database (the path taken
    before the model is loaded)."""
    model = app.state.offers
    fast = await client.get(path, params=params, headers=headers)
    model.loaded = False
    try:
        slow = await client.get(path, params=params, headers=headers)
    finally:
        model.loaded = True
    return fast, slow


async def test_the_read_model_answers_as_the_database_does_on_a_matrix_of_customers(
    client: httpx.AsyncClient,
    app: FastAPI,
    auth: Auth,
    customer: Customer,
    feed: Callable[..., Awaitable[None]],
    clock: Clock,
) -> None:
    staff = auth("staff", branch_id="HQ")
    tiers = ["standard", "silver", "gold", "platinum"]
    levels: list[tuple[str | None, date]] = [
        (None, date(2028, 11, 19)),
        ("C1", date(2028, 11, 19)),
        ("C3", date(2028, 11, 19)),
        ("C5", date(2028, 11, 19)),
        ("C4", date(2026, 1, 1)),  # expired
        ("C4", SHORT),  # expires between the two days
    ]
    ids: list[str] = []
    for i in range(24):
        tier, (level, valid) = tiers[i % 4], levels[i % 6]
        cid = await customer(
            f"M{i:02d}",
            tier=tier,
            level=level,
            valid_until=valid,
            rate="0.0004" if i % 3 == 0 else None,
            professional=i % 7 == 0,
            branch_id=f"B00{1 + i % 2}",
        )
        ids.append(cid)
        kind = i % 5
        if kind in (1, 2, 3):  # signed: open-ended, ending on SHORT, rescinded
            body: dict[str, Any] = {"fee_paid": "300.00"}
            if kind == 2:
                body["valid_until"] = SHORT.isoformat()
            r = await client.post(f"/v1/customers/{cid}/agreements", json=body, headers=staff)
            assert r.status_code == 201, r.text
            if kind == 3:
                rescinded = await client.post(
                    f"/v1/customers/{cid}/agreements/{r.json()['agreement_id']}/rescission",
                    headers=staff,
                )
                assert rescinded.status_code == 200, rescinded.text
        if i % 4 == 1:  # SMS3 (R1) is open to everyone; one in two ended again
            r = await client.post(
                f"/v1/customers/{cid}/subscriptions",
                json={"product_code": "SMS3", "term_months": 3},
                headers=staff,
            )
            assert r.status_code == 201, r.text
            if i % 8 == 5:
                ended = await client.delete(
                    f"/v1/customers/{cid}/subscriptions/{r.json()['subscription_id']}",
                    headers=staff,
                )
                assert ended.status_code == 204
    # A rate without a registration, and nobody at all: 404 both ways.
    await feed(
        ev.CommissionRateSet(customer_id="RATEONLY", rate=Decimal("0.0004"), effective_from=TODAY)
    )
    ids += ["RATEONLY", "NOBODY"]

    fast_before = OFFERS_FAST._value.get()
    for day in (TODAY, LATER):
        clock.today = day
        for cid in ids:
            # No query: the fast path; with one: the FastAPI route, from memory too.
            for params in ({}, {"entrusted_amount": "3000000"}):
                fast, slow = await _both(
                    client, app, staff, f"/v1/customers/{cid}/offers", **params
                )
                assert (fast.status_code, fast.json()) == (slow.status_code, slow.json()), cid
    # Every known customer's plain request, on both days, was the fast path's.
    assert OFFERS_FAST._value.get() - fast_before == 2 * (len(ids) - 2)

    # The matrix does hold the cases it is for (domain.md §3.1, ADR 0010).
    async def offers(cid: str, day: date) -> dict[str, dict[str, Any]]:
        clock.today = day
        r = await client.get(f"/v1/customers/{cid}/offers", headers=staff)
        return {o["product_code"]: o for o in r.json()["offers"]}

    assert "agreement_needed" not in (await offers("M02", TODAY))["SMS1"]["reasons"]  # until SHORT
    assert "agreement_needed" in (await offers("M02", LATER))["SMS1"]["reasons"]
    assert "agreement_needed" in (await offers("M03", TODAY))["SMS1"]["reasons"]  # rescinded
    assert "agreement_needed" not in (await offers("M01", LATER))["SMS1"]["reasons"]
    assert (await offers("M01", TODAY))["SMS3"]["reasons"] == ["already_subscribed"]
    assert (await offers("M05", TODAY))["SMS3"]["offered"]  # subscribed, then ended
    assert (await offers("M05", TODAY))["B"]["suitability"] == "suitable"  # C4 until SHORT
    assert "assessment_expired" in (await offers("M05", LATER))["B"]["reasons"]


async def test_a_write_in_this_process_is_seen_at_once(
    client: httpx.AsyncClient, auth: Auth, customer: Customer
) -> None:
    await customer("C1", tier="gold", level="C3")
    me = auth("customer", sub="C1")
    r = await client.post(
        "/v1/customers/C1/subscriptions",
        json={"product_code": "SMS2", "term_months": 1},
        headers=me,
    )
    assert r.status_code == 201, r.text
    offers = (await client.get("/v1/customers/C1/offers", headers=me)).json()["offers"]
    assert next(o for o in offers if o["product_code"] == "SMS2")["reasons"] == [
        "already_subscribed"
    ]


@pytest.fixture
async def other_process(settings: Settings, db: Database, clock: Clock) -> AsyncIterator[FastAPI]:
    """A second API process on the same database, polling only when the test says."""
    application = create_app(settings.model_copy(update={"offers_poll_interval_s": 60.0}))
    application.dependency_overrides[get_today] = lambda: clock.today
    async with application.router.lifespan_context(application):
        yield application


async def test_another_process_sees_a_write_at_its_next_poll(
    client: httpx.AsyncClient, other_process: FastAPI, auth: Auth, customer: Customer
) -> None:
    await customer("C1", tier="gold", level="C3")
    await other_process.state.offers.poll()
    me = auth("customer", sub="C1")

    async def sms2_reasons() -> list[str]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other_process), base_url="http://advisory"
        ) as c:
            offers = (await c.get("/v1/customers/C1/offers", headers=me)).json()["offers"]
        reasons: list[str] = next(o for o in offers if o["product_code"] == "SMS2")["reasons"]
        return reasons

    r = await client.post(
        "/v1/customers/C1/subscriptions",
        json={"product_code": "SMS2", "term_months": 1},
        headers=me,
    )
    assert r.status_code == 201
    assert await sms2_reasons() == []  # not polled yet: the documented delay
    assert await other_process.state.offers.poll() == 1
    assert await sms2_reasons() == ["already_subscribed"]
    assert await other_process.state.offers.poll() == 0  # a marker is applied once


async def test_a_marker_committed_late_within_the_overlap_is_still_applied(
    app: FastAPI, db: Database, customer: Customer, auth: Auth, client: httpx.AsyncClient
) -> None:
    """A writer whose transaction began before the last poll and committed after it."""
    await customer("C1", tier="gold", level="C3")
    model = app.state.offers
    await model.poll()
    async with db.sessionmaker() as session:
        await session.execute(
            update(CustomerFact)
            .where(col(CustomerFact.customer_id) == "C1")
            .values(tier="standard")
        )
        await session.merge(
            OfferChange(customer_id="C1", changed_at=datetime.now(UTC) - timedelta(seconds=5))
        )
        await session.commit()
    assert await model.poll() == 1
    r = await client.get("/v1/customers/C1/offers", headers=auth("customer", sub="C1"))
    assert r.json()["tier"] == "standard"


async def test_ready_when_the_read_model_is_loaded(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200
    app.state.offers.loaded = False
    assert (await client.get("/readyz")).status_code == 503
