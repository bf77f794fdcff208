"""Points-paid SMS and tier drops on a real database, through the worker's handlers and job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from advisory_svc.models import PLATFORM, Subscription
from advisory_svc.subscriptions.service import run_daily_jobs
from brokerage_common import Database, Outbox
from brokerage_common import events as ev

Auth = Callable[..., dict[str, str]]
Make = Callable[..., Awaitable[str]]
Events = Callable[..., Awaitable[list[dict[str, Any]]]]
Feed = Callable[..., Awaitable[None]]


def redeemed(cid: str, rid: str, product: str = "SMS3", months: int = 3) -> ev.PointsRedeemed:
    return ev.PointsRedeemed(
        customer_id=cid,
        redemption_id=rid,
        points=Decimal(10 * months),
        kind="sms_months",
        sms_product=product,  # type: ignore[arg-type]
        months=months,
        valid_until=date(2027, 1, 31),
    )


async def _subs(db: Database, cid: str) -> list[Subscription]:
    async with db.sessionmaker() as session:
        rows = await session.execute(select(Subscription).where(Subscription.customer_id == cid))  # type: ignore[arg-type]
        return list(rows.scalars())


async def test_points_paid_sms_once_per_redemption(
    feed: Feed, customer: Make, db: Database, outbox_events: Events
) -> None:
    await customer("C1", tier="standard", level="C3")
    await feed(redeemed("C1", "R1"))
    await feed(redeemed("C1", "R1"))  # the same redemption again (another event id)
    await feed(
        ev.PointsRedeemed(
            customer_id="C1",
            redemption_id="R2",
            points=Decimal(2000),
            kind="tier_upgrade",
            target_tier="silver",
        )
    )
    subs = await _subs(db, "C1")
    assert len(subs) == 1
    sub = subs[0]
    assert (sub.product_code, sub.payment, sub.status, sub.points) == (
        "SMS3",
        "points",
        "active",
        Decimal("30.00"),
    )
    assert (sub.starts_on, sub.ends_on) == (date(2026, 11, 20), date(2027, 1, 31))
    events = await outbox_events("ProductSubscribed")
    assert len(events) == 1
    assert (events[0]["data"]["payment"], events[0]["data"]["points"]) == ("points", "30.00")


async def test_points_paid_months_for_an_unsuitable_customer_are_held(
    feed: Feed, customer: Make, db: Database, outbox_events: Events
) -> None:
    await customer("C2", tier="standard", level=None)  # no assessment: R1 only; SMS2 is R3
    await feed(redeemed("C2", "R3", product="SMS2"))
    await feed(redeemed("C9", "R4"))  # unknown customer
    assert [s.status for s in await _subs(db, "C2")] == ["held"]
    assert [s.status for s in await _subs(db, "C9")] == ["held"]
    assert await outbox_events("ProductSubscribed") == []


async def test_a_tier_drop_ends_the_bundle_at_month_end_after_a_notice(
    client: httpx.AsyncClient,
    auth: Auth,
    feed: Feed,
    customer: Make,
    db: Database,
    outbox_events: Events,
) -> None:
    await customer("C3", tier="gold", level="C3", rate="0.0005")
    await client.post("/v1/customers/C3/agreements", json={}, headers=auth("staff"))
    r = await client.post(
        "/v1/customers/C3/subscriptions",
        json={"product_code": "A", "term_months": 3},
        headers=auth("staff"),
    )
    sid = r.json()["subscription_id"]
    assert r.json()["ends_on"] == "2027-01-31"
    await feed(
        ev.TierChanged(
            customer_id="C3",
            old_tier="gold",
            new_tier="silver",
            reason="review",
            effective_on=date(2026, 12, 1),
        )
    )
    bundle = next(s for s in await _subs(db, "C3") if s.product_code == "A")
    # It runs to the end of its current month, is not renewed, notice 5 trading days before.
    assert (bundle.ends_on, bundle.renewable, bundle.drop_notice_on) == (
        date(2026, 12, 31),
        False,
        date(2026, 12, 24),
    )
    assert all(s.ends_on == date(2026, 12, 31) for s in await _subs(db, "C3"))
    r = await client.post(
        f"/v1/customers/C3/subscriptions/{sid}/renewal", json={}, headers=auth("staff")
    )
    assert r.status_code == 409
    outbox = Outbox(PLATFORM, source="advisory-svc")

    async def job(day: date) -> dict[str, int]:
        async with db.sessionmaker() as session:
            done = await run_daily_jobs(
                session, today=day, standard_rate=Decimal("0.00025"), outbox=outbox
            )
            await session.commit()
            return done

    assert await job(date(2026, 12, 23)) == {"notices": 0, "ended": 0}
    assert await job(date(2026, 12, 24)) == {"notices": 1, "ended": 0}
    assert await job(date(2026, 12, 25)) == {"notices": 0, "ended": 0}  # told once
    notice = (await outbox_events("NotificationRequested"))[0]["data"]
    assert (notice["template_code"], notice["params"]) == (
        "BUNDLE_ENDING",
        {"product": "A", "ends_on": "2026-12-31"},
    )
    assert await job(date(2027, 1, 1)) == {"notices": 0, "ended": 1}
    ended = {
        e["data"]["product_code"]: e["data"] for e in await outbox_events("ProductUnsubscribed")
    }
    assert ended["A"]["reason"] == "tier_drop"
    assert ended["A"]["ended_on"] == "2026-12-31"
    assert ended["A"]["commission_rate"] == "0.00050000"
    assert {ended[c]["reason"] for c in ("SMS1", "SMS2", "SMS3")} == {"bundle_ended"}
    assert await job(date(2027, 1, 2)) == {"notices": 0, "ended": 0}
