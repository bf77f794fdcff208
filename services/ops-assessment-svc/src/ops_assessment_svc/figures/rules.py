"""Monthly figures (domain.md §5.1): per customer per month kept from events, summed per group.

A = end-of-day total assets. Asset growth ΔA = Σ(A_end − A_start), split into added capital
NI = Σ net_inflow and investment gain IG = ΔA − NI; asset growth ratio = ΔA / ΣA_start;
asset turnover = traded amount / average daily assets; commission turnover = commission /
average daily assets; incremental commission = commission − the same customers' monthly
average over the 3 months before assignment; CRM completeness = share of assigned
customers with a logged contact. A customer who moves between groups mid-month counts pro
rata by days. A customer whose asset turnover exceeds the churning limit is left out of
the turnover figures and listed for review (证券法 art. 57).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)
CHURNING_TURNOVER = Decimal(20)
RATIO_PLACES = Decimal("0.000001")
MONEY_PLACES = Decimal("0.01")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def days_in_month(month: str) -> int:
    first, last = month_bounds(month)
    return (last - first).days + 1


def previous_month(month: str, n: int = 1) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, later: str) -> int:
    return (int(later[:4]) * 12 + int(later[5:7])) - (int(first[:4]) * 12 + int(first[5:7]))


def day_bit(day: date) -> int:
    """A day's bit in a month's mask: a snapshot is applied once per customer and day."""
    return 1 << (day.day - 1)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(RATIO_PLACES) if denominator else ZERO


@dataclass(frozen=True)
class CustomerMonth:
    """One customer's month, as kept from events (what a drill-down shows)."""

    customer_id: str
    start_assets: Decimal = ZERO
    end_assets: Decimal = ZERO
    net_inflow: Decimal = ZERO
    traded_amount: Decimal = ZERO
    commission: Decimal = ZERO
    assets_sum: Decimal = ZERO  # Σ end-of-day assets over the days with a snapshot
    asset_days: int = 0
    contacts: int = 0
    referrals: int = 0
    baseline_commission: Decimal = ZERO  # monthly average of the 3 months before assignment

    @property
    def asset_growth(self) -> Decimal:
        return self.end_assets - self.start_assets

    @property
    def investment_gain(self) -> Decimal:
        return self.asset_growth - self.net_inflow

    @property
    def average_assets(self) -> Decimal:
        """Average daily assets, to the fen (as kept with the month's row)."""
        return (
            (self.assets_sum / self.asset_days).quantize(MONEY_PLACES) if self.asset_days else ZERO
        )

    @property
    def asset_turnover(self) -> Decimal:
        return _ratio(self.traded_amount, self.average_assets)


def is_churning(row: CustomerMonth, *, limit: Decimal = CHURNING_TURNOVER) -> bool:
    """Anti-churning: a monthly asset turnover above the limit is listed, not rewarded."""
    return row.asset_turnover > limit


@dataclass
class GroupSums:
    """A group's month: its customers' rows summed, each weighted by its share of the month."""

    start_assets: Decimal = ZERO
    end_assets: Decimal = ZERO
    net_inflow: Decimal = ZERO
    commission: Decimal = ZERO
    baseline_commission: Decimal = ZERO
    turnover_amount: Decimal = ZERO  # non-churning customers only
    turnover_commission: Decimal = ZERO
    turnover_assets: Decimal = ZERO
    customers: Decimal = ZERO
    contacted: Decimal = ZERO
    referrals: int = 0
    churning: list[str] = field(default_factory=list)


def sum_customers(
    rows: Iterable[tuple[CustomerMonth, Decimal]], *, limit: Decimal = CHURNING_TURNOVER
) -> GroupSums:
    """Sum (row, share of the month in the group) pairs; share = days in the group / days."""
    s = GroupSums()
    for row, share in rows:
        s.start_assets += row.start_assets * share
        s.end_assets += row.end_assets * share
        s.net_inflow += row.net_inflow * share
        s.commission += row.commission * share
        s.baseline_commission += row.baseline_commission * share
        s.customers += share
        s.contacted += share if row.contacts else ZERO
        s.referrals += row.referrals
        if is_churning(row, limit=limit):
            s.churning.append(row.customer_id)
        else:
            s.turnover_amount += row.traded_amount * share
            s.turnover_commission += row.commission * share
            s.turnover_assets += row.average_assets * share
    return s


@dataclass(frozen=True)
class GroupFigures:
    """Every figure of §5.1 for one group and month."""

    asset_growth: Decimal
    net_inflow: Decimal
    investment_gain: Decimal
    asset_growth_ratio: Decimal
    asset_turnover: Decimal
    commission_turnover: Decimal
    commission: Decimal
    incremental_commission: Decimal
    new_customers: int
    crm_completeness: Decimal
    customers: Decimal


def group_figures(s: GroupSums) -> GroupFigures:
    growth = (s.end_assets - s.start_assets).quantize(MONEY_PLACES)
    inflow = s.net_inflow.quantize(MONEY_PLACES)
    return GroupFigures(
        asset_growth=growth,
        net_inflow=inflow,
        investment_gain=growth - inflow,
        asset_growth_ratio=_ratio(s.end_assets - s.start_assets, s.start_assets),
        asset_turnover=_ratio(s.turnover_amount, s.turnover_assets),
        commission_turnover=_ratio(s.turnover_commission, s.turnover_assets),
        commission=s.commission.quantize(MONEY_PLACES),
        incremental_commission=(s.commission - s.baseline_commission).quantize(MONEY_PLACES),
        new_customers=s.referrals,
        crm_completeness=_ratio(s.contacted, s.customers),
        customers=s.customers.quantize(RATIO_PLACES),
    )
