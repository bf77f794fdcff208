"""award_batch (ingest/rules.py): points per trade and upgrades within a batch, by domain.md §2.

Defaults: silver by trailing-12-month commission >= 2,000, gold >= 10,000, platinum
>= 40,000; multipliers standard 1.0, silver 1.1, gold 1.2, platinum 1.3; an upgrade takes
effect at once (the customer's next trade), a downgrade only at review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from tiering_svc.ingest.rules import award_batch
from tiering_svc.rules import DEFAULT_BONUSES, DEFAULT_THRESHOLDS, Tier
from tiering_svc.tiers.rules import Policy, TierChange, TierState

POLICY = Policy(thresholds=DEFAULT_THRESHOLDS, bonuses=DEFAULT_BONUSES)
DAY = date(2026, 11, 20)


@dataclass(frozen=True)
class Trade:
    trade_id: str
    customer_id: str
    commission: Decimal
    settled_on: date = DAY


def trades(*rows: tuple[str, str]) -> list[Trade]:
    return [Trade(f"T{i}", cid, Decimal(c)) for i, (cid, c) in enumerate(rows)]


def standard(cid: str, tier: Tier = Tier.STANDARD, total_assets: Decimal = Decimal(0)) -> TierState:
    return TierState(cid, tier, date(2026, 1, 1), total_assets=total_assets)


@pytest.mark.parametrize(
    ("tier", "commission", "points"),
    [
        (Tier.STANDARD, "117.42", "117.42"),
        (Tier.SILVER, "117.42", "129.16"),  # 129.162 -> 129.16
        (Tier.GOLD, "117.42", "140.90"),  # 140.904
        (Tier.PLATINUM, "117.42", "152.65"),  # 152.646 -> half up
        (Tier.SILVER, "0.05", "0.06"),  # 0.055 -> half up
        (Tier.STANDARD, "0", "0.00"),
    ],
)
def test_points_are_commission_times_the_tier_multiplier(
    tier: Tier, commission: str, points: str
) -> None:
    plan = award_batch(
        trades(("C1", commission)), {"C1": standard("C1", tier=tier)}, POLICY, commissions={}
    )
    assert list(plan.points) == [Decimal(points)]
    assert list(plan.tiers) == [tier]
    assert plan.points_by_month == {("C1", "2026-11"): Decimal(points)}
    assert plan.commission_by_month == {("C1", "2026-11"): Decimal(commission)}


def test_an_upgrade_applies_from_the_next_trade_in_the_same_batch() -> None:
    # 1,500 stored this month + 600 reaches 2,000 (silver) on the second trade: that trade
    # still earns at 1.0, the third at 1.1.
    plan = award_batch(
        trades(("C1", "100.00"), ("C1", "500.00"), ("C1", "100.00")),
        {"C1": standard("C1")},
        POLICY,
        commissions={("C1", "2026-11"): Decimal("1500.00")},
    )
    assert list(plan.tiers) == [Tier.STANDARD, Tier.STANDARD, Tier.SILVER]
    assert list(plan.points) == [Decimal("100.00"), Decimal("500.00"), Decimal("110.00")]
    after = plan.states["C1"]
    assert after.tier == Tier.SILVER
    assert after.tier_since == DAY
    assert after.changes == (TierChange(Tier.STANDARD, Tier.SILVER, "upgrade", DAY),)


def test_commission_counts_over_the_trailing_twelve_months_only() -> None:
    stored = {
        ("C1", "2025-11"): Decimal("5000"),  # 13th month back: out of the window
        ("C1", "2025-12"): Decimal("1000"),  # 12th month back: in it
    }
    plan = award_batch(trades(("C1", "999.99")), {"C1": standard("C1")}, POLICY, commissions=stored)
    assert plan.states["C1"].tier == Tier.STANDARD  # 1,999.99 < 2,000
    plan = award_batch(
        trades(("C1", "1000.00")), {"C1": standard("C1")}, POLICY, commissions=stored
    )
    assert plan.states["C1"].tier == Tier.SILVER  # exactly 2,000 is silver


def test_a_batch_can_lift_a_tier_twice_and_never_lowers_one() -> None:
    plan = award_batch(
        trades(("C1", "2000"), ("C1", "8000"), ("C1", "1"), ("C2", "1")),
        {"C1": standard("C1"), "C2": standard("C2", tier=Tier.GOLD)},  # C2 qualifies for nothing
        POLICY,
        commissions={},
    )
    assert list(plan.tiers) == [Tier.STANDARD, Tier.SILVER, Tier.GOLD, Tier.GOLD]
    assert [c.new_tier for c in plan.states["C1"].changes] == [Tier.SILVER, Tier.GOLD]
    assert plan.states["C2"].tier == Tier.GOLD
    assert plan.states["C2"].changes == ()


def test_assets_qualify_too_and_unchanged_customers_keep_their_state() -> None:
    rich = standard("C1", total_assets=Decimal(500000))  # gold by assets
    calm = standard("C2")
    plan = award_batch(
        trades(("C1", "1"), ("C2", "1")), {"C1": rich, "C2": calm}, POLICY, commissions={}
    )
    assert plan.states["C1"].tier == Tier.GOLD
    assert plan.states["C2"] is calm  # nothing to save


def test_months_are_summed_per_customer_and_settlement_month() -> None:
    batch = [
        Trade("T1", "C1", Decimal("10.00"), date(2026, 10, 30)),
        Trade("T2", "C1", Decimal("20.00"), date(2026, 11, 2)),
        Trade("T3", "C1", Decimal("5.00"), date(2026, 11, 3)),
        Trade("T4", "C2", Decimal("1.00"), date(2026, 11, 3)),
    ]
    plan = award_batch(batch, {"C1": standard("C1"), "C2": standard("C2")}, POLICY, commissions={})
    assert plan.commission_by_month == {
        ("C1", "2026-10"): Decimal("10.00"),
        ("C1", "2026-11"): Decimal("25.00"),
        ("C2", "2026-11"): Decimal("1.00"),
    }
    assert plan.points_by_month == plan.commission_by_month  # standard: 1.0
