"""Spending points on a real database: costs, short balances and concurrent redemptions."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tiering_svc.exceptions import InsufficientPoints, InvalidRedemption
from tiering_svc.ledger import service as ledger
from tiering_svc.models import Redemption
from tiering_svc.rules import Tier

D = Decimal
DAY = date(2026, 11, 20)


async def _snapshot_of_everything(tiering, customer_id):
    async with tiering.db.sessionmaker() as session:
        redemptions = (
            await session.execute(
                select(func.count())
                .select_from(Redemption)
                .where(Redemption.customer_id == customer_id)
            )
        ).scalar_one()
    state = await tiering.state(customer_id)
    return (
        await tiering.balance(customer_id),
        [(e.id, e.points, e.kind) for e in await tiering.ledger(customer_id)],
        await tiering.outbox_count(),
        redemptions,
        (state.tier, state.bought_tier, state.bought_until),
    )


async def test_tiering_redemption_costs(tiering):
    await tiering.register("C300001")
    await tiering.give("C300001", "40000.00")

    sms = await tiering.redeem("C300001", kind="sms_months", sms_product="SMS3", months=6)
    assert (sms.points, sms.valid_until) == (D("60"), date(2027, 5, 19))
    silver = await tiering.redeem("C300001", kind="tier_upgrade", target_tier=Tier.SILVER)
    assert silver.points == D("2000")
    platinum = await tiering.redeem("C300001", kind="tier_upgrade", target_tier=Tier.PLATINUM)
    assert platinum.points == D("30000")

    assert await tiering.balance("C300001") == D("7940.00")
    assert await tiering.tier("C300001") == "platinum"
    redeemed = await tiering.events("PointsRedeemed", "C300001")
    assert [(r["kind"], r["points"], r["target_tier"]) for r in redeemed] == [
        ("sms_months", "60.00", None),
        ("tier_upgrade", "2000.00", "silver"),
        ("tier_upgrade", "30000.00", "platinum"),
    ]
    ledger = await tiering.ledger("C300001")
    assert [e.points for e in ledger if e.kind == "redemption"] == [
        D("-60.00"),
        D("-2000.00"),
        D("-30000.00"),
    ]
    assert (await tiering.history("C300001"))[-1].reason == "points_upgrade"


async def test_tiering_insufficient_points_changes_nothing(tiering):
    await tiering.register("C300010")
    await tiering.give("C300010", "1999.99")
    before = await _snapshot_of_everything(tiering, "C300010")

    with pytest.raises(InsufficientPoints):
        await tiering.redeem("C300010", kind="tier_upgrade", target_tier=Tier.SILVER)
    with pytest.raises(InsufficientPoints):
        await tiering.redeem("C300011", kind="sms_months", sms_product="SMS1", months=1)

    assert await _snapshot_of_everything(tiering, "C300010") == before


async def test_tiering_invalid_redemptions_are_refused(tiering):
    await tiering.give("C300020", "50000.00")
    await tiering.snapshot("C300020", "600000.00")  # gold already
    before = await _snapshot_of_everything(tiering, "C300020")
    for kwargs in (
        {"kind": "tier_upgrade", "target_tier": Tier.SILVER},  # not an upgrade
        {"kind": "tier_upgrade", "target_tier": Tier.GOLD},
        {"kind": "tier_upgrade"},
        {"kind": "sms_months", "sms_product": "SMS9", "months": 1},
        {"kind": "sms_months", "sms_product": "SMS1", "months": 0},
        {"kind": "cash"},
    ):
        with pytest.raises(InvalidRedemption):
            await tiering.redeem("C300020", **kwargs)
    assert await _snapshot_of_everything(tiering, "C300020") == before


async def test_tiering_balance_of_many_small_awards_is_exact(tiering):
    # 1,999.70 + 0.10 + 0.10 + 0.10 is exactly 2,000 points: enough for silver to the fen.
    await tiering.give("C300030", "1999.70")
    for _ in range(3):
        await tiering.give("C300030", "0.10")
    assert await tiering.balance("C300030") == D("2000.00")
    await tiering.redeem("C300030", kind="tier_upgrade", target_tier=Tier.SILVER)
    assert await tiering.balance("C300030") == D("0.00")
    assert await tiering.tier("C300030") == "silver"


async def _redeem_in_own_session(tiering, customer_id, **kwargs):
    async with tiering.db.sessionmaker() as session:
        try:
            await ledger.redeem(
                session,
                customer_id=customer_id,
                actor=f"customer:{customer_id}",
                outbox=tiering.outbox,
                on=DAY,
                **kwargs,
            )
        except (InsufficientPoints, InvalidRedemption) as exc:
            await session.rollback()
            return type(exc).__name__
        await session.commit()
        return "ok"


async def test_tiering_concurrent_redemptions_never_overspend(tiering):
    await tiering.register("C300040")
    await tiering.give("C300040", "550.00")

    results = await asyncio.gather(
        *(
            _redeem_in_own_session(
                tiering, "C300040", kind="sms_months", sms_product="SMS1", months=10
            )
            for _ in range(8)
        )
    )

    assert results.count("ok") == 5  # floor(550 / 100)
    assert results.count("InsufficientPoints") == 3
    assert await tiering.balance("C300040") == D("50.00")
    assert await tiering.ledger_total("C300040") == D("50.00")
    assert len(await tiering.events("PointsRedeemed", "C300040")) == 5


async def test_tiering_concurrent_upgrades_buy_the_tier_once(tiering):
    await tiering.register("C300050")
    await tiering.give("C300050", "24000.00")  # enough for three gold upgrades

    results = await asyncio.gather(
        *(
            _redeem_in_own_session(tiering, "C300050", kind="tier_upgrade", target_tier=Tier.GOLD)
            for _ in range(3)
        )
    )

    assert sorted(results) == ["InvalidRedemption", "InvalidRedemption", "ok"]
    assert await tiering.balance("C300050") == D("16000.00")
    assert await tiering.tier("C300050") == "gold"


async def test_tiering_concurrent_replays_of_one_idempotency_key_spend_once(tiering):
    await tiering.register("C300060")
    await tiering.give("C300060", "1000.00")

    async def attempt() -> str:
        async with tiering.db.sessionmaker() as session:
            r = await ledger.redeem(
                session,
                customer_id="C300060",
                kind="sms_months",
                sms_product="SMS1",
                months=1,
                actor="customer:C300060",
                outbox=tiering.outbox,
                on=DAY,
                idempotency_key="k-1",
            )
            await session.commit()
            return r.id

    ids = await asyncio.gather(*(attempt() for _ in range(4)))
    assert len(set(ids)) == 1
    assert await tiering.balance("C300060") == D("990.00")


async def test_tiering_concurrent_staff_debits_never_go_negative(tiering):
    await tiering.register("C300070")
    await tiering.give("C300070", "300.00")

    async def debit() -> str:
        async with tiering.db.sessionmaker() as session:
            try:
                await ledger.adjust_points(
                    session,
                    customer_id="C300070",
                    points=D("-100.00"),
                    reason="goodwill correction",
                    actor="staff:S1",
                    outbox=tiering.outbox,
                )
            except InsufficientPoints:
                await session.rollback()
                return "short"
            await session.commit()
            return "ok"

    results = await asyncio.gather(*(debit() for _ in range(5)))
    assert results.count("ok") == 3
    assert await tiering.balance("C300070") == D("0.00")


async def test_tiering_concurrent_cancel_and_redemption_never_go_negative(tiering, build):
    await tiering.settle(build.trade("C300080", "100.00", trade_id="T-RACE-1"))

    async def cancel() -> None:
        await tiering.cancel("C300080", "T-RACE-1")

    await asyncio.gather(
        cancel(),
        _redeem_in_own_session(tiering, "C300080", kind="sms_months", sms_product="SMS1", months=6),
    )
    assert await tiering.balance("C300080") >= 0
    assert await tiering.balance("C300080") == await tiering.ledger_total("C300080")
