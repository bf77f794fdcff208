"""Table-driven tests of the tier, points and routing rules (domain.md §2, seed 003)."""

from datetime import date
from decimal import Decimal

import pytest

from tiering_svc.rules import (
    DEFAULT_BONUSES,
    MULTIPLIERS,
    SMS_MONTH_COST_POINTS,
    TIER_ORDER,
    UPGRADE_COSTS,
    UPGRADE_MONTHS,
    BonusAmounts,
    Routing,
    Tier,
    TierDecision,
    TierThresholds,
    add_months,
    anniversaries_due,
    can_spend,
    decide_tier,
    full_years_as_customer,
    next_review_on,
    points_for_trade,
    qualify_tier,
    route_for,
    sms_subscription_cost,
    tier_rank,
    upgrade_cost,
    upgrade_until,
)

D = Decimal  # short alias keeps the tables readable
STANDARD, SILVER, GOLD, PLATINUM = Tier.STANDARD, Tier.SILVER, Tier.GOLD, Tier.PLATINUM
TODAY = date(2025, 6, 15)

# ---------------------------------------------------------------- tiers and multipliers


@pytest.mark.parametrize(
    ("tier", "rank", "multiplier"),
    [
        (STANDARD, 0, D("1.0")),  # 普通客户
        (SILVER, 1, D("1.1")),  # 银卡
        (GOLD, 2, D("1.2")),  # 金卡
        (PLATINUM, 3, D("1.3")),  # 白金卡
    ],
)
def test_tier_rank_and_points_multiplier(tier, rank, multiplier):
    assert tier_rank(tier) == rank
    assert TIER_ORDER[rank] is tier
    assert MULTIPLIERS[tier] == multiplier


def test_tier_values_are_the_api_strings():
    assert [str(t) for t in TIER_ORDER] == ["standard", "silver", "gold", "platinum"]


# ---------------------------------------------------------------- qualification (分级标准)


@pytest.mark.parametrize(
    ("assets", "expected"),
    [
        ("0", STANDARD),
        ("99999.99", STANDARD),
        ("100000", SILVER),
        ("499999.99", SILVER),
        ("500000", GOLD),
        ("1999999.99", GOLD),
        ("2000000", PLATINUM),
        ("50000000", PLATINUM),
    ],
)
def test_tier_by_assets_alone(assets, expected):
    assert qualify_tier(total_assets=D(assets), trailing_commission=D("0")) == expected


@pytest.mark.parametrize(
    ("commission", "expected"),
    [
        ("0", STANDARD),
        ("1999.99", STANDARD),
        ("2000", SILVER),
        ("9999.99", SILVER),
        ("10000", GOLD),
        ("39999.99", GOLD),
        ("40000", PLATINUM),
    ],
)
def test_tier_by_commission_alone(commission, expected):
    assert qualify_tier(total_assets=D("0"), trailing_commission=D(commission)) == expected


@pytest.mark.parametrize(
    ("assets", "commission", "expected"),
    [
        # whichever of the two gives the higher tier
        ("99999.99", "10000", GOLD),  # commission wins
        ("2000000", "1999.99", PLATINUM),  # assets win
        ("500000", "40000", PLATINUM),  # commission wins
        ("500000", "2000", GOLD),  # assets win
        ("100000", "2000", SILVER),  # both silver
        ("99999.99", "1999.99", STANDARD),  # both just short
    ],
)
def test_tier_is_the_higher_of_assets_and_commission(assets, commission, expected):
    assert qualify_tier(total_assets=D(assets), trailing_commission=D(commission)) == expected


def test_custom_thresholds_are_used():
    low = TierThresholds(
        silver_assets=D("50000"),
        silver_commission=D("1000"),
        gold_assets=D("200000"),
        gold_commission=D("5000"),
        platinum_assets=D("1000000"),
        platinum_commission=D("20000"),
    )
    assert qualify_tier(total_assets=D("50000"), trailing_commission=D("0"), thresholds=low) == (
        SILVER
    )
    assert qualify_tier(total_assets=D("0"), trailing_commission=D("20000"), thresholds=low) == (
        PLATINUM
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"silver_assets": D("-1")},  # negative
        {"silver_commission": D("-0.01")},  # negative
        {"silver_assets": D("500000")},  # silver == gold
        {"gold_assets": D("2000000")},  # gold == platinum
        {"gold_assets": D("3000000")},  # gold above platinum
        {"silver_commission": D("20000")},  # silver above gold
        {"platinum_commission": D("10000")},  # platinum == gold
        # Issue 16: positive, at most 10**10 CNY of assets and 10**8 of commission, to the fen.
        {"silver_assets": D("0")},  # promoted every customer
        {"silver_commission": D("0")},
        {"platinum_assets": D("10000000000.01")},
        {"platinum_commission": D("100000000.01")},
        {"platinum_assets": D("4300000000000000")},
        {"silver_assets": D("100000.001")},
    ],
)
def test_invalid_thresholds_are_refused(overrides):
    with pytest.raises(ValueError):
        TierThresholds(**overrides)


def test_float_threshold_is_refused():
    with pytest.raises(TypeError):
        TierThresholds(silver_assets=100000.0)


# ---------------------------------------------------------------- points for a trade (积分)


@pytest.mark.parametrize(
    ("commission", "tier", "points"),
    [
        ("100", STANDARD, "100.00"),
        ("100", SILVER, "110.00"),
        ("100", GOLD, "120.00"),
        ("100", PLATINUM, "130.00"),
        ("38.00", SILVER, "41.80"),
        ("1.25", GOLD, "1.50"),  # exact, no rounding
        ("12.34", PLATINUM, "16.04"),  # 16.042 rounds down
        ("0", PLATINUM, "0.00"),
        # half-up, not banker's rounding: a trailing 5 always goes up
        ("5.05", SILVER, "5.56"),  # 5.555
        ("0.05", SILVER, "0.06"),  # 0.055
        ("2.35", SILVER, "2.59"),  # 2.585 (banker's would give 2.58)
        ("0.45", PLATINUM, "0.59"),  # 0.585 (banker's would give 0.58)
        ("0.025", STANDARD, "0.03"),  # banker's would give 0.02
        ("0.005", STANDARD, "0.01"),  # banker's would give 0.00
        ("0.0049", STANDARD, "0.00"),
        ("0.004", PLATINUM, "0.01"),  # 0.0052
        ("0.003", PLATINUM, "0.00"),  # 0.0039
    ],
)
def test_points_are_commission_times_multiplier_rounded_half_up(commission, tier, points):
    result = points_for_trade(D(commission), tier)
    assert result == D(points)
    assert result.as_tuple().exponent == -2  # always two decimals


def test_negative_commission_is_refused():
    with pytest.raises(ValueError):
        points_for_trade(D("-0.01"), STANDARD)


# ---------------------------------------------------------------- tier changes (升级/降级)

_LAST_DAY_TODAY = date(2025, 6, 15)  # bought tier's last day is today: still held
_ENDED_YESTERDAY = date(2025, 6, 14)  # bought tier ended yesterday: no longer held
_A_YEAR_AHEAD = date(2026, 6, 14)


@pytest.mark.parametrize(
    ("current", "qualified", "at_review", "bought", "until", "expected"),
    [
        # upgrades take effect at once, review or not
        (STANDARD, GOLD, False, None, None, (GOLD, True, "upgrade")),
        (STANDARD, GOLD, True, None, None, (GOLD, True, "upgrade")),
        (SILVER, PLATINUM, False, None, None, (PLATINUM, True, "upgrade")),
        # nothing to do
        (GOLD, GOLD, False, None, None, (GOLD, False, "unchanged")),
        (GOLD, GOLD, True, None, None, (GOLD, False, "unchanged")),
        # downgrades wait for the periodic review
        (GOLD, SILVER, False, None, None, (GOLD, False, "held_until_review")),
        (GOLD, SILVER, True, None, None, (SILVER, True, "downgrade_at_review")),
        (PLATINUM, STANDARD, True, None, None, (STANDARD, True, "downgrade_at_review")),
        # buying an upgrade with points lifts the tier at once
        (SILVER, SILVER, False, GOLD, _A_YEAR_AHEAD, (GOLD, True, "upgrade")),
        # earning a tier above the bought one still upgrades
        (GOLD, PLATINUM, False, GOLD, _A_YEAR_AHEAD, (PLATINUM, True, "upgrade")),
        # a bought tier holds at review through its last day ...
        (GOLD, STANDARD, True, GOLD, _LAST_DAY_TODAY, (GOLD, False, "points_upgrade_held")),
        (GOLD, SILVER, True, GOLD, _A_YEAR_AHEAD, (GOLD, False, "points_upgrade_held")),
        # ... and not the day after
        (GOLD, STANDARD, True, GOLD, _ENDED_YESTERDAY, (STANDARD, True, "downgrade_at_review")),
        (GOLD, STANDARD, False, GOLD, _ENDED_YESTERDAY, (GOLD, False, "held_until_review")),
        # a bought tier is a floor: a downgrade from above it stops there
        (PLATINUM, SILVER, True, GOLD, _A_YEAR_AHEAD, (GOLD, True, "downgrade_at_review")),
    ],
)
def test_decide_tier(current, qualified, at_review, bought, until, expected):
    decision = decide_tier(
        current=current,
        qualified=qualified,
        at_review=at_review,
        bought_tier=bought,
        bought_until=until,
        today=TODAY,
    )
    tier, changed, reason = expected
    assert decision == TierDecision(tier=tier, changed=changed, reason=reason)


def test_bought_upgrade_lasts_twelve_months_to_the_day():
    bought_on = date(2025, 6, 15)
    until = upgrade_until(bought_on)
    assert until == date(2026, 6, 14)

    def review(on: date) -> TierDecision:
        return decide_tier(
            current=GOLD,
            qualified=STANDARD,
            at_review=True,
            bought_tier=GOLD,
            bought_until=until,
            today=on,
        )

    assert review(date(2026, 6, 14)).tier == GOLD
    assert review(date(2026, 6, 15)).tier == STANDARD


@pytest.mark.parametrize(("bought", "until"), [(GOLD, None), (None, date(2026, 1, 1))])
def test_bought_tier_and_its_end_date_go_together(bought, until):
    with pytest.raises(ValueError):
        decide_tier(
            current=SILVER,
            qualified=SILVER,
            at_review=False,
            bought_tier=bought,
            bought_until=until,
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("today", "review_on"),
    [
        (date(2025, 6, 15), date(2025, 7, 1)),
        (date(2025, 6, 1), date(2025, 7, 1)),
        (date(2025, 1, 31), date(2025, 2, 1)),
        (date(2025, 12, 31), date(2026, 1, 1)),
    ],
)
def test_next_monthly_review_is_the_first_of_next_month(today, review_on):
    assert next_review_on(today) == review_on


# ---------------------------------------------------------------- call-center routing (呼叫中心)


@pytest.mark.parametrize(
    ("tier", "queue", "priority"),
    [
        (None, "general", False),  # unknown caller
        (STANDARD, "general", False),
        (SILVER, "general", True),  # 电话优先接入
        (GOLD, "dedicated", False),  # 专门的客服电话
        (PLATINUM, "dedicated", True),  # 专门的客服电话优先接入
    ],
)
def test_routing(tier, queue, priority):
    assert route_for(tier) == Routing(queue=queue, priority=priority)


# ---------------------------------------------------------------- spending points


def test_default_bonus_points_and_prices():
    assert DEFAULT_BONUSES.referral == D("500")  # per referred new customer
    assert DEFAULT_BONUSES.anniversary == D("200")  # per full year as a customer
    assert DEFAULT_BONUSES.suggestion == D("100")  # per adopted suggestion
    assert dict(UPGRADE_COSTS) == {SILVER: D("2000"), GOLD: D("8000"), PLATINUM: D("30000")}
    assert UPGRADE_MONTHS == 12
    assert D("10") == SMS_MONTH_COST_POINTS  # 10 CNY per SMS product-month, 1 point = 1 CNY


def test_negative_bonus_is_refused():
    with pytest.raises(ValueError):
        BonusAmounts(referral=D("-1"))


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0", True),
        ("10000", True),
        ("10000.01", False),
        ("4300000000000000", False),
        ("0.005", False),
    ],
)
def test_a_bonus_is_from_0_to_10000_points_to_the_fen(value, ok):
    if ok:
        assert BonusAmounts(suggestion=D(value)).suggestion == D(value)
    else:
        with pytest.raises(ValueError):
            BonusAmounts(suggestion=D(value))


def test_thresholds_at_their_maxima_hold():
    top = TierThresholds(
        silver_assets=D("0.01"),
        silver_commission=D("0.01"),
        gold_assets=D("9999999999.99"),
        gold_commission=D("99999999.99"),
        platinum_assets=D("10000000000"),
        platinum_commission=D("100000000"),
    )
    assert top.platinum_assets == D(10) ** 10


@pytest.mark.parametrize(
    ("current", "target", "cost"),
    [
        (STANDARD, SILVER, "2000"),
        (STANDARD, GOLD, "8000"),
        (SILVER, GOLD, "8000"),
        (STANDARD, PLATINUM, "30000"),
        (GOLD, PLATINUM, "30000"),
    ],
)
def test_upgrade_cost_is_the_price_of_the_target_tier(current, target, cost):
    assert upgrade_cost(current=current, target=target) == D(cost)


@pytest.mark.parametrize(
    ("current", "target"),
    [(SILVER, SILVER), (GOLD, SILVER), (PLATINUM, PLATINUM), (SILVER, STANDARD)],
)
def test_only_a_higher_tier_can_be_bought(current, target):
    with pytest.raises(ValueError):
        upgrade_cost(current=current, target=target)


def test_upgrade_cost_uses_configured_prices():
    prices = {SILVER: D("1500"), GOLD: D("6000"), PLATINUM: D("25000")}
    assert upgrade_cost(current=SILVER, target=GOLD, costs=prices) == D("6000")


@pytest.mark.parametrize(
    ("products", "months", "points"),
    [(1, 1, "10"), (3, 1, "30"), (1, 12, "120"), (3, 12, "360")],
)
def test_paid_sms_costs_ten_points_per_product_month(products, months, points):
    assert sms_subscription_cost(products=products, months=months) == D(points)


@pytest.mark.parametrize(("products", "months"), [(0, 1), (1, 0), (-1, 3)])
def test_paid_sms_needs_at_least_one_product_month(products, months):
    with pytest.raises(ValueError):
        sms_subscription_cost(products=products, months=months)


@pytest.mark.parametrize(
    ("balance", "amount", "allowed"),
    [
        ("8000", "8000", True),  # spends down to exactly zero
        ("8000.01", "8000", True),
        ("7999.99", "8000", False),  # would go negative
        ("0", "10", False),
        ("100", "0.01", True),
        ("100", "0", False),  # nothing to spend
        ("100", "-10", False),  # a negative spend would be a credit in disguise
    ],
)
def test_points_never_go_negative(balance, amount, allowed):
    assert can_spend(D(balance), D(amount)) is allowed


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 6, 15), 0, date(2025, 6, 15)),
        (date(2025, 6, 15), 1, date(2025, 7, 15)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 11, 15), 2, date(2026, 1, 15)),
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2025, 6, 15), 12, date(2026, 6, 14)),
        (date(2025, 1, 1), 12, date(2025, 12, 31)),
        (date(2025, 6, 15), 1, date(2025, 7, 14)),
    ],
)
def test_upgrade_until_is_the_last_day_held(start, months, last_day):
    assert upgrade_until(start, months) == last_day


def test_upgrade_needs_a_positive_duration():
    with pytest.raises(ValueError):
        upgrade_until(TODAY, 0)


@pytest.mark.parametrize(
    ("opened_on", "today", "years"),
    [
        (date(2020, 3, 10), date(2020, 3, 10), 0),  # opening day
        (date(2020, 3, 10), date(2021, 3, 9), 0),  # day before first anniversary
        (date(2020, 3, 10), date(2021, 3, 10), 1),  # first anniversary
        (date(2020, 3, 10), date(2025, 6, 15), 5),
        (date(2020, 3, 10), date(2019, 1, 1), 0),  # before opening
        # opened on a leap day: the anniversary falls on Feb 28 in other years
        (date(2024, 2, 29), date(2025, 2, 27), 0),
        (date(2024, 2, 29), date(2025, 2, 28), 1),
        (date(2024, 2, 29), date(2025, 3, 1), 1),
        (date(2024, 2, 29), date(2028, 2, 28), 3),
        (date(2024, 2, 29), date(2028, 2, 29), 4),
    ],
)
def test_full_years_as_customer(opened_on, today, years):
    assert full_years_as_customer(opened_on, today) == years


@pytest.mark.parametrize(
    ("credited", "due"),
    [
        (set(), [1, 2, 3, 4, 5]),
        ({1, 2, 3}, [4, 5]),
        ({1, 2, 3, 4, 5}, []),
        ({2}, [1, 3, 4, 5]),  # a missed year is still paid
        ({7}, [1, 2, 3, 4, 5]),  # a future year on record does not count
    ],
)
def test_anniversaries_due(credited, due):
    assert anniversaries_due(date(2020, 3, 10), date(2025, 6, 15), credited) == due


def test_leap_day_customer_is_due_on_feb_28():
    assert anniversaries_due(date(2024, 2, 29), date(2025, 2, 28), set()) == [1]
    assert anniversaries_due(date(2024, 2, 29), date(2025, 2, 27), set()) == []
