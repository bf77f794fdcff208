"""Tiers on a real database: qualification, upgrade at once, downgrade only at review (§2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tiering_svc.rules import Tier
from tiering_svc.tiers import service as tiers

D = Decimal
DAY = date(2026, 11, 20)


async def test_tiering_qualification_at_threshold_edges(tiering, build):
    # (latest assets, trailing-12-month commission, tier): inclusive thresholds, higher axis wins.
    cases = [
        ("99999.99", "1999.99", "standard"),
        ("100000.00", "0.00", "silver"),
        ("0.00", "2000.00", "silver"),
        ("499999.99", "9999.99", "silver"),
        ("500000.00", "0.00", "gold"),
        ("0.00", "10000.00", "gold"),
        ("1999999.99", "39999.99", "gold"),
        ("2000000.00", "0.00", "platinum"),
        ("0.00", "40000.00", "platinum"),
        ("150000.00", "12000.00", "gold"),  # silver by assets, gold by commission
        ("2500000.00", "2500.00", "platinum"),  # platinum by assets, silver by commission
    ]
    for i, (assets, commission, tier) in enumerate(cases):
        cid = f"C2000{i:02d}"
        if commission != "0.00":
            await tiering.settle(build.trade(cid, commission))
        await tiering.snapshot(cid, assets)
        assert await tiering.tier(cid) == tier, (assets, commission)


async def test_tiering_latest_snapshot_counts_and_a_late_old_one_is_ignored(tiering):
    await tiering.snapshot("C200100", "50000.00", as_of=date(2026, 11, 19))
    await tiering.snapshot("C200100", "600000.00", as_of=date(2026, 11, 20))
    await tiering.snapshot("C200100", "10.00", as_of=date(2026, 11, 18))  # arrives late
    state = await tiering.state("C200100")
    assert (state.tier, state.total_assets, state.assets_as_of) == (
        "gold",
        D("600000.00"),
        date(2026, 11, 20),
    )


async def test_tiering_commission_counts_for_twelve_months_only(tiering, build):
    await tiering.settle(build.trade("C200200", "1500.00", settled_on=date(2025, 11, 30)))
    # Twelve months later, November 2025 has left the window: 600 alone is standard.
    await tiering.settle(build.trade("C200200", "600.00", settled_on=date(2026, 11, 1)))
    assert await tiering.tier("C200200") == "standard"
    # December 2025 is still inside the window of November 2026.
    await tiering.settle(build.trade("C200201", "1500.00", settled_on=date(2025, 12, 1)))
    await tiering.settle(build.trade("C200201", "500.00", settled_on=date(2026, 11, 30)))
    assert await tiering.tier("C200201") == "silver"


async def test_tiering_upgrade_takes_effect_at_once_with_event_and_history(tiering, build):
    await tiering.snapshot("C200300", "100000.00", as_of=date(2026, 11, 19))
    await tiering.snapshot("C200300", "500000.00", as_of=DAY)

    state = await tiering.state("C200300")
    assert (state.tier, state.tier_since) == ("gold", DAY)
    changes = await tiering.events("TierChanged", "C200300")
    assert [(c["old_tier"], c["new_tier"], c["reason"], c["effective_on"]) for c in changes] == [
        ("standard", "silver", "upgrade", "2026-11-19"),
        ("silver", "gold", "upgrade", "2026-11-20"),
    ]
    assert changes[-1]["next_review"] == "2026-12-01"
    history = await tiering.history("C200300")
    assert [(h.old_tier, h.new_tier, h.reason, h.effective_on) for h in history] == [
        ("standard", "silver", "upgrade", date(2026, 11, 19)),
        ("silver", "gold", "upgrade", DAY),
    ]

    # The very next trade earns the gold multiplier.
    await tiering.settle(build.trade("C200300", "10.00"))
    assert (await tiering.ledger("C200300"))[-1].points == D("12.00")


async def test_tiering_no_downgrade_until_the_monthly_review(tiering, build):
    await tiering.snapshot("C200400", "600000.00", as_of=date(2026, 11, 18))
    await tiering.snapshot("C200400", "50000.00", as_of=date(2026, 11, 19))  # a bad day
    await tiering.settle(build.trade("C200400", "10.00", settled_on=date(2026, 11, 19)))
    assert await tiering.tier("C200400") == "gold"
    assert (await tiering.ledger("C200400"))[-1].points == D("12.00")  # still earns gold
    assert len(await tiering.events("TierChanged", "C200400")) == 1

    # A customer who still qualifies is left alone by the review.
    await tiering.snapshot("C200401", "150000.00")

    assert await tiering.review(date(2026, 12, 1)) == 1
    assert await tiering.review(date(2026, 12, 1)) is None  # once a month

    assert await tiering.tier("C200400") == "standard"
    assert await tiering.tier("C200401") == "silver"
    last = (await tiering.events("TierChanged", "C200400"))[-1]
    assert (last["old_tier"], last["new_tier"], last["reason"], last["effective_on"]) == (
        "gold",
        "standard",
        "downgrade_at_review",
        "2026-12-01",
    )
    assert (await tiering.history("C200400"))[-1].reason == "downgrade_at_review"
    assert [c["reason"] for c in await tiering.events("TierChanged", "C200401")] == ["upgrade"]


async def test_tiering_review_downgrades_to_the_tier_still_earned(tiering, build):
    # Gold by assets, silver by commission: after assets fall, the review leaves silver.
    await tiering.settle(build.trade("C200500", "2500.00", settled_on=date(2026, 6, 15)))
    await tiering.snapshot("C200500", "900000.00", as_of=date(2026, 11, 2))
    await tiering.snapshot("C200500", "1000.00", as_of=date(2026, 11, 27))
    assert await tiering.tier("C200500") == "gold"
    await tiering.review(date(2026, 12, 1))
    assert await tiering.tier("C200500") == "silver"
    # Once the trade leaves the trailing window, the next review goes to standard.
    await tiering.review(date(2027, 6, 1))
    assert await tiering.tier("C200500") == "silver"  # June 2026 still inside May 2027's window
    await tiering.review(date(2027, 7, 1))
    assert await tiering.tier("C200500") == "standard"


async def test_tiering_points_bought_upgrade_holds_twelve_months_even_at_review(tiering):
    await tiering.give("C200600", "8000.00")
    redemption = await tiering.redeem("C200600", kind="tier_upgrade", target_tier=Tier.GOLD, on=DAY)
    assert redemption.valid_until == date(2027, 11, 19)

    state = await tiering.state("C200600")
    assert (state.tier, state.bought_tier, state.bought_until) == (
        "gold",
        "gold",
        date(2027, 11, 19),
    )
    assert await tiering.balance("C200600") == D("0.00")
    last = (await tiering.events("TierChanged", "C200600"))[-1]
    assert (last["old_tier"], last["new_tier"]) == ("standard", "gold")

    for month in (date(2026, 12, 1), date(2027, 6, 1), date(2027, 11, 1)):
        await tiering.review(month)
        assert await tiering.tier("C200600") == "gold", month
    await tiering.review(date(2027, 12, 1))  # the twelve months are over
    assert await tiering.tier("C200600") == "standard"


async def test_tiering_redemption_never_causes_a_downgrade(tiering, build):
    # Silver by commission; spending the points it earned changes nothing about the tier.
    await tiering.settle(build.trade("C200700", "2000.00"))
    assert await tiering.tier("C200700") == "silver"
    for _ in range(5):
        await tiering.redeem("C200700", kind="sms_months", sms_product="SMS2", months=36)
    assert await tiering.balance("C200700") == D("200.00")
    assert await tiering.tier("C200700") == "silver"
    await tiering.review(date(2026, 12, 1))
    assert await tiering.tier("C200700") == "silver"


async def test_tiering_configurable_thresholds(tiering):
    policy = await tiering.run(
        tiers.update_config,
        settings=tiering.settings,
        changes={"silver_assets": D("50000"), "gold_commission": D("8000")},
        actor="staff:tester",
    )
    assert policy.thresholds.silver_assets == D("50000")
    assert policy.thresholds.gold_commission == D("8000")
    assert policy.thresholds.gold_assets == D("500000")  # untouched keys keep their default

    await tiering.snapshot("C200800", "50000.00")
    assert await tiering.tier("C200800") == "silver"


async def test_tiering_inconsistent_configuration_is_rejected_and_nothing_changes(tiering):
    before = await tiering.policy()
    for changes in (
        {"silver_assets": D("600000")},  # above gold (500,000)
        {"platinum_commission": D("10000")},  # equal to gold
        {"bonus_referral": D("-1")},
    ):
        with pytest.raises((ValueError, TypeError)):
            await tiering.run(
                tiers.update_config,
                settings=tiering.settings,
                changes=changes,
                actor="staff:tester",
            )
    assert await tiering.policy() == before
    await tiering.snapshot("C200900", "100000.00")
    assert await tiering.tier("C200900") == "silver"
