"""Every monthly figure of domain.md §5.1, per customer and per group, pro rata by days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ops_assessment_svc.figures.rules import (
    CustomerMonth,
    day_bit,
    days_in_month,
    group_figures,
    is_churning,
    month_bounds,
    month_of,
    months_between,
    previous_month,
    sum_customers,
)

D = Decimal


@pytest.mark.parametrize(
    ("row", "growth", "gain", "average", "turnover"),
    [
        # Assets 100k → 130k with 20k added: growth 30k = 20k capital + 10k gain.
        (
            CustomerMonth("C1", D(100000), D(130000), D(20000), D(230000), D(0), D(2300000), 20),
            D(30000),
            D(10000),
            D(115000),
            D(2),
        ),
        # A loss bigger than the deposit: negative gain.
        (
            CustomerMonth("C2", D(50000), D(45000), D(5000), D(0), D(0), D(950000), 20),
            D(-5000),
            D(-10000),
            D(47500),
            D(0),
        ),
        # No snapshot yet: no average, no turnover (not a division by zero).
        (CustomerMonth("C3", traded_amount=D(1000)), D(0), D(0), D(0), D(0)),
    ],
)
def test_customer_month_formulas(
    row: CustomerMonth, growth: Decimal, gain: Decimal, average: Decimal, turnover: Decimal
) -> None:
    assert row.asset_growth == growth
    assert row.investment_gain == gain
    assert row.average_assets == average
    assert row.asset_turnover == turnover


@pytest.mark.parametrize(
    ("traded", "average", "churning"),
    [(D(2000000), D(100000), False), (D(2000001), D(100000), True), (D(0), D(0), False)],
)
def test_anti_churning_above_20_times_assets(
    traded: Decimal, average: Decimal, churning: bool
) -> None:
    row = CustomerMonth("C", traded_amount=traded, assets_sum=average * 10, asset_days=10)
    assert is_churning(row) is churning


def test_group_figures_sum_their_customers_pro_rata_and_leave_churners_out_of_turnover() -> None:
    a = CustomerMonth(
        "A",
        D(100000),
        D(130000),
        D(20000),
        D(230000),
        D(115),
        D(2300000),
        20,
        contacts=2,
        referrals=1,
        baseline_commission=D(100),
    )
    # B moved in on day 16 of a 30-day month: half its month counts here.
    b = CustomerMonth(
        "B",
        D(200000),
        D(180000),
        D(0),
        D(400000),
        D(200),
        D(4000000),
        20,
        contacts=0,
        baseline_commission=D(100),
    )
    # C churns: 3,000,000 traded on 100,000 average assets = 30 > 20.
    c = CustomerMonth(
        "C",
        D(100000),
        D(100000),
        D(0),
        D(3000000),
        D(900),
        D(2000000),
        20,
        contacts=1,
        baseline_commission=D(500),
    )
    sums = sum_customers([(a, D(1)), (b, D("0.5")), (c, D(1))])
    f = group_figures(sums)
    assert sums.churning == ["C"]
    # ΔA = 30,000 + ½(−20,000) + 0 = 20,000; ΣA_start = 100,000 + 100,000 + 100,000.
    assert f.asset_growth == D("20000.00")
    assert f.net_inflow == D("20000.00")
    assert f.investment_gain == D("0.00")
    assert f.asset_growth_ratio == D("0.066667")
    # Turnover without C: (230,000 + 200,000) / (115,000 + 100,000) = 2; commission
    # (115 + 100) / 215,000 = 0.001.
    assert f.asset_turnover == D(2)
    assert f.commission_turnover == D("0.001")
    # Commission keeps C (only turnover leaves churners out): 115 + 100 + 900 = 1,115;
    # the baseline 100 + 50 + 500 = 650.
    assert f.commission == D("1115.00")
    assert f.incremental_commission == D("465.00")
    assert f.new_customers == 1
    # Contacted: A and C of 2.5 customer-months.
    assert f.crm_completeness == D("0.8")
    assert f.customers == D("2.5")


def test_empty_group_has_zero_figures() -> None:
    f = group_figures(sum_customers([]))
    assert (f.asset_growth_ratio, f.crm_completeness, f.asset_turnover) == (0, 0, 0)


@pytest.mark.parametrize(
    ("day", "month", "days", "first", "last"),
    [
        (date(2026, 11, 20), "2026-11", 30, date(2026, 11, 1), date(2026, 11, 30)),
        (date(2028, 2, 29), "2028-02", 29, date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 12, 31), "2026-12", 31, date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_months(day: date, month: str, days: int, first: date, last: date) -> None:
    assert month_of(day) == month
    assert days_in_month(month) == days
    assert month_bounds(month) == (first, last)


def test_month_arithmetic_and_day_bits() -> None:
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-11", 3) == "2026-08"
    assert months_between("2025-11", "2026-02") == 3
    assert day_bit(date(2026, 11, 1)) == 1
    assert day_bit(date(2026, 11, 31 - 1)) == 1 << 29
