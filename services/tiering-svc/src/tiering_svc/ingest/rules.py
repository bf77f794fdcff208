"""The settlement path's rule: what a batch of settled trades earns, and whose tier it lifts.

Pure: ``award_batch`` takes the trades, the customers' tier states and monthly
commissions as read, and the policy, and returns an ``AwardPlan`` that the service
writes. It runs once per trade on a settlement day (ADR 0007), so its loop stays plain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from ..rules import Tier, points_for_trade, qualify_tier, tier_rank
from ..tiers.rules import Policy, TierState, month_of, trailing_months

_ZERO = Decimal(0)
_NEXT_COMMISSION_THRESHOLD = {
    Tier.STANDARD: "silver_commission",
    Tier.SILVER: "gold_commission",
    Tier.GOLD: "platinum_commission",
}
"""The threshold a tier's holder must reach by commission to rise (platinum cannot)."""


class SettledTrade(Protocol):
    """What awarding needs of a settled trade: the contract's ``TradeSettled`` or its wire
    struct (``brokerage_common.wire.TradeSettledWire``, which reads money as Decimal too)."""

    @property
    def trade_id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def commission(self) -> Decimal: ...
    @property
    def settled_on(self) -> date: ...


@dataclass(frozen=True, slots=True)
class AwardPlan:
    """What a batch earns. ``tiers``, ``points`` and ``commissions`` run parallel to the
    trades given (one ledger entry each); the month sums are by (customer id, YYYY-MM);
    ``states`` holds every customer of the batch after it, upgrades recorded."""

    tiers: Sequence[Tier]
    points: Sequence[Decimal]
    commissions: Sequence[Decimal]
    points_by_month: Mapping[tuple[str, str], Decimal]
    commission_by_month: Mapping[tuple[str, str], Decimal]
    states: Mapping[str, TierState]


@dataclass(slots=True)
class _Progress:
    """One customer's way through the batch. Commission only grows within a batch, so the
    tier needs re-qualifying only when ``next_mark`` is reached or the month changes."""

    tier: Tier
    month: str | None = None
    trailing: Decimal = _ZERO  # trailing-12-month commission up to ``month``
    next_mark: Decimal | None = None  # the commission at which the tier could rise


def award_batch(
    trades: Sequence[SettledTrade],
    tiers: Mapping[str, TierState],
    policy: Policy,
    *,
    commissions: Mapping[tuple[str, str], Decimal],
) -> AwardPlan:
    """Points for each trade at the multiplier of the tier in force (积分倍数), and any upgrade.

    ``tiers`` holds a state for every customer of the batch; ``commissions`` the stored
    commission by (customer id, YYYY-MM) over the trades' trailing 12 months. Trades
    count in the order given: an upgrade earned by one trade applies to the customer's
    next trade, in this batch too. A tier only rises here (it falls only at review).
    """
    thresholds = policy.thresholds
    states = dict(tiers)
    by_month: defaultdict[str, dict[str, Decimal]] = defaultdict(dict)
    for (customer_id, stored_month), value in commissions.items():
        by_month[customer_id][stored_month] = value
    months: dict[date, str] = {}  # a batch settles on a handful of days
    entry_tiers: list[Tier] = []
    entry_points: list[Decimal] = []
    entry_commissions: list[Decimal] = []
    points_by_month: dict[tuple[str, str], Decimal] = {}
    commission_by_month: dict[tuple[str, str], Decimal] = {}
    progress: dict[str, _Progress] = {}
    for t in trades:
        cid = t.customer_id
        commission = t.commission
        settled_on = t.settled_on
        month = months.get(settled_on)
        if month is None:
            month = months[settled_on] = month_of(settled_on)
        months_of = by_month[cid]
        months_of[month] = months_of.get(month, _ZERO) + commission
        run = progress.get(cid)
        if run is None:
            run = progress[cid] = _Progress(tier=states[cid].tier)
        tier = run.tier
        points = points_for_trade(commission, tier)
        entry_tiers.append(tier)
        entry_points.append(points)
        entry_commissions.append(commission)
        key = (cid, month)
        points_by_month[key] = points_by_month.get(key, _ZERO) + points
        commission_by_month[key] = commission_by_month.get(key, _ZERO) + commission
        if run.month == month:
            total = run.trailing = run.trailing + commission
            if run.next_mark is None or total < run.next_mark:
                continue
        else:
            window = trailing_months(settled_on)
            oldest, newest = window[-1], window[0]
            total = sum((v for m, v in months_of.items() if oldest <= m <= newest), _ZERO)
            run.month, run.trailing = month, total
        state = states[cid]
        qualified = qualify_tier(
            total_assets=state.total_assets, trailing_commission=total, thresholds=thresholds
        )
        if tier_rank(qualified) > tier_rank(tier):
            state = states[cid] = state.decided(qualified=qualified, at_review=False, on=settled_on)
            run.tier = state.tier
        mark = _NEXT_COMMISSION_THRESHOLD.get(run.tier)
        run.next_mark = getattr(thresholds, mark) if mark else None
    return AwardPlan(
        tiers=entry_tiers,
        points=entry_points,
        commissions=entry_commissions,
        points_by_month=points_by_month,
        commission_by_month=commission_by_month,
        states=states,
    )
