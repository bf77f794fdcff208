"""Redemption, adjustment and reversal rules (ledger/rules.py), by domain.md §2 and §3.

Upgrade prices: to silver 2,000, gold 8,000, platinum 30,000 points, holding 12 months;
paid SMS 10 points per product-month, SMS1-SMS3, 1 to 36 months; points never go negative.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tiering_svc.ledger.rules import (
    InvalidRequest,
    RedemptionRequest,
    check_adjustment,
    redemption_request,
    redemption_terms,
    reversal_of,
)
from tiering_svc.rules import Tier

ON = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (
            {"kind": "tier_upgrade", "target_tier": "gold"},
            RedemptionRequest("tier_upgrade", Tier.GOLD),
        ),
        (
            {"kind": "sms_months", "sms_product": "SMS2", "months": 36},
            RedemptionRequest("sms_months", None, "SMS2", 36),
        ),
        (
            {"kind": "sms_months", "sms_product": "SMS1", "months": 1},
            RedemptionRequest("sms_months", None, "SMS1", 1),
        ),
    ],
)
def test_a_valid_redemption_request(asked: dict[str, object], expected: RedemptionRequest) -> None:
    assert redemption_request(**asked) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("asked", "why"),
    [
        ({"kind": "tier_upgrade"}, "target_tier is required"),
        ({"kind": "tier_upgrade", "target_tier": "diamond"}, "no tier"),
        ({"kind": "sms_months", "sms_product": "SMS4", "months": 3}, "SMS1, SMS2 or SMS3"),
        ({"kind": "sms_months", "sms_product": "SMS1", "months": 0}, "months 1..36"),
        ({"kind": "sms_months", "sms_product": "SMS1", "months": 37}, "months 1..36"),
        ({"kind": "sms_months", "sms_product": "SMS1"}, "months 1..36"),
        ({"kind": "sms_months", "months": 3}, "SMS1, SMS2 or SMS3"),
        ({"kind": "cash_back"}, "kind must be tier_upgrade or sms_months"),
    ],
)
def test_an_invalid_redemption_request_says_why(asked: dict[str, object], why: str) -> None:
    with pytest.raises(InvalidRequest, match=why):
        redemption_request(**asked)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target", "cost"),
    [
        (Tier.STANDARD, Tier.SILVER, "2000"),
        (Tier.STANDARD, Tier.GOLD, "8000"),
        (Tier.SILVER, Tier.GOLD, "8000"),  # priced by the tier bought
        (Tier.GOLD, Tier.PLATINUM, "30000"),
    ],
)
def test_an_upgrade_costs_the_target_tiers_price_and_holds_twelve_months(
    current: Tier, target: Tier, cost: str
) -> None:
    terms = redemption_terms(RedemptionRequest("tier_upgrade", target), current=current, on=ON)
    assert terms.cost == Decimal(cost)
    assert terms.valid_until == date(2027, 11, 19)


@pytest.mark.parametrize(("current", "target"), [(Tier.GOLD, Tier.SILVER), (Tier.GOLD, Tier.GOLD)])
def test_only_a_higher_tier_can_be_bought(current: Tier, target: Tier) -> None:
    with pytest.raises(InvalidRequest, match="not an upgrade"):
        redemption_terms(RedemptionRequest("tier_upgrade", target), current=current, on=ON)


@pytest.mark.parametrize(
    ("months", "on", "cost", "until"),
    [
        (1, date(2026, 11, 20), "10", date(2026, 12, 19)),
        (3, date(2026, 1, 31), "30", date(2026, 4, 29)),  # 31 Jan + 3 months: 30 Apr (clamped)
        (36, date(2026, 11, 20), "360", date(2029, 11, 19)),
    ],
)
def test_paid_sms_costs_ten_points_a_month(months: int, on: date, cost: str, until: date) -> None:
    terms = redemption_terms(
        RedemptionRequest("sms_months", None, "SMS1", months), current=Tier.STANDARD, on=on
    )
    assert terms.cost == Decimal(cost)
    assert terms.valid_until == until


def test_an_adjustment_must_change_the_balance() -> None:
    with pytest.raises(InvalidRequest):
        check_adjustment(Decimal("0.00"), held=Decimal(100))
    check_adjustment(Decimal("-5"), held=Decimal(100))
    check_adjustment(Decimal("5"), held=Decimal(100))


# Issue 16: at most 1,000,000 points either way, to the fen, and a balance of at most 10**12
# (the 4*10**15 adjustment broke the tier read; 9,999,999,999,999,999.99 was written and 500).
@pytest.mark.parametrize(
    ("points", "held", "ok"),
    [
        ("1000000", "0", True),
        ("-1000000", "1000000", True),  # (taking more than held is can_spend's 409)
        ("1000000.01", "0", False),
        ("-1000000.01", "2000000", False),
        ("4000000000000000", "0", False),
        ("9999999999999999.99", "0", False),
        ("0.001", "0", False),
        ("1000000", "999000000000", True),  # lands exactly on 10**12
        ("0.01", "1000000000000", False),  # one fen past it
    ],
)
def test_an_adjustment_is_bounded(points: str, held: str, ok: bool) -> None:
    if ok:
        check_adjustment(Decimal(points), held=Decimal(held))
    else:
        with pytest.raises(InvalidRequest):
            check_adjustment(Decimal(points), held=Decimal(held))


@pytest.mark.parametrize(
    ("awarded", "balance", "taken", "note"),
    [
        ("110.00", "500.00", "110.00", False),
        ("110.00", "110.00", "110.00", False),
        ("110.00", "40.00", "40.00", True),  # 70 already spent stay spent
        ("110.00", "0.00", "0.00", True),
    ],
)
def test_a_reversal_never_takes_the_balance_below_zero(
    awarded: str, balance: str, taken: str, note: bool
) -> None:
    r = reversal_of(
        trade_id="T1", cancel_reason="error", awarded=Decimal(awarded), balance=Decimal(balance)
    )
    assert r.points == Decimal(taken)
    assert r.reason.startswith("trade T1 cancelled: error")
    assert ("the rest was already spent" in r.reason) is note
