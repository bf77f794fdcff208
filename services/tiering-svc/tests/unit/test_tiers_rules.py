"""TierState (tiers/rules.py): every change is recorded with its reason (domain.md §2).

An upgrade takes effect at once, a downgrade only at review, a bought tier is a floor
through its last day, and a late (older) asset snapshot never overwrites a newer one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tiering_svc.rules import Tier
from tiering_svc.tiers.rules import (
    TierChange,
    TierMoves,
    TierState,
    month_of,
    tier_moves,
    trailing_commission,
)

D1, D2 = date(2026, 11, 20), date(2026, 12, 1)


def gold() -> TierState:
    return TierState("C1", Tier.GOLD, date(2026, 1, 1))


def test_a_customer_first_met_is_standard_since_that_day() -> None:
    assert TierState.first_seen("C1", D1) == TierState("C1", Tier.STANDARD, D1)


def test_an_upgrade_is_recorded_at_once() -> None:
    after = gold().decided(qualified=Tier.PLATINUM, at_review=False, on=D1)
    assert (after.tier, after.tier_since) == (Tier.PLATINUM, D1)
    assert after.changes == (TierChange(Tier.GOLD, Tier.PLATINUM, "upgrade", D1),)


def test_a_downgrade_waits_for_the_review() -> None:
    state = gold()
    assert state.decided(qualified=Tier.SILVER, at_review=False, on=D1) is state
    after = state.decided(qualified=Tier.SILVER, at_review=True, on=D2)
    assert after.tier == Tier.SILVER
    assert after.changes == (TierChange(Tier.GOLD, Tier.SILVER, "downgrade_at_review", D2),)


def test_a_bought_tier_is_recorded_and_holds_through_its_last_day() -> None:
    until = date(2027, 11, 19)
    bought = TierState("C1", Tier.SILVER, D1).bought(Tier.GOLD, until=until, on=D1)
    assert (bought.tier, bought.bought_tier, bought.bought_until) == (Tier.GOLD, Tier.GOLD, until)
    assert bought.changes == (TierChange(Tier.SILVER, Tier.GOLD, "points_upgrade", D1),)
    assert bought.decided(qualified=Tier.STANDARD, at_review=True, on=until) is bought
    after = bought.decided(qualified=Tier.STANDARD, at_review=True, on=date(2027, 12, 1))
    assert after.tier == Tier.STANDARD
    assert after.changes[-1] == TierChange(
        Tier.GOLD, Tier.STANDARD, "downgrade_at_review", date(2027, 12, 1)
    )


def test_a_late_snapshot_never_overwrites_a_newer_one() -> None:
    state = gold().with_assets(Decimal(600000), D2)
    assert state is not None
    assert state.with_assets(Decimal(1), D1) is None
    same_day = state.with_assets(Decimal(700000), D2)
    assert same_day is not None
    assert same_day.total_assets == Decimal(700000)


def test_trailing_commission_sums_the_twelve_months_up_to_the_day() -> None:
    sums = {
        ("C1", "2025-11"): Decimal(1000),  # 13 months back from 2026-11: out
        ("C1", "2025-12"): Decimal(200),
        ("C1", "2026-11"): Decimal(30),
        ("C1", "2026-12"): Decimal(4),  # after the day: out
        ("C2", "2026-11"): Decimal(5000),  # someone else
    }
    assert trailing_commission(sums, "C1", D1) == Decimal(230)
    assert month_of(D1) == "2026-11"


def test_tier_moves_counts_each_move_and_its_direction() -> None:
    S, G, P, STD = Tier.SILVER, Tier.GOLD, Tier.PLATINUM, Tier.STANDARD
    moves = tier_moves([(STD, S), (STD, S), (G, S), (P, P), (S, STD), (STD, G)])
    assert (moves.customers, moves.upgraded, moves.downgraded) == (6, 3, 2)
    assert moves.moves == ((STD, S, 2), (STD, G, 1), (S, STD, 1), (G, S, 1))
    assert tier_moves([]) == TierMoves(customers=0, upgraded=0, downgraded=0, moves=())
