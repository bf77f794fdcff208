"""Monthly assignment of customers to service groups (分派, domain.md §5.1), never to people.

Every gold and platinum customer, then the others by contribution until the groups'
capacity; off-site customers before on-site ones of equal contribution. Contribution =
trailing-12-month commission; potential contribution = 0.3 % of the average assets of
the last 3 months; the larger ranks. Sticky: an assigned customer stays with their group;
a new one goes to the group with the least total contribution (balanced).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..figures.rules import previous_month

CAPACITY = 300
POTENTIAL_RATE = Decimal("0.003")
PRIORITY_TIERS = frozenset({"gold", "platinum"})


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    tier: str
    trailing_commission: Decimal
    average_assets_3m: Decimal
    onsite: bool
    group_id: str | None = None  # the group the customer is with now, if any


def potential_contribution(average_assets: Decimal, rate: Decimal = POTENTIAL_RATE) -> Decimal:
    return average_assets * rate


def contribution(c: Candidate, rate: Decimal = POTENTIAL_RATE) -> Decimal:
    """The larger of contribution and potential contribution ranks a customer."""
    return max(c.trailing_commission, potential_contribution(c.average_assets_3m, rate))


def order_key(c: Candidate, rate: Decimal = POTENTIAL_RATE) -> tuple[int, Decimal, int, str]:
    """Gold/platinum first, then by contribution, off-site first on ties, then by id."""
    return (
        0 if c.tier in PRIORITY_TIERS else 1,
        -contribution(c, rate),
        int(c.onsite),
        c.customer_id,
    )


def assign(
    candidates: Sequence[Candidate],
    groups: Sequence[str],
    *,
    capacity: int = CAPACITY,
    rate: Decimal = POTENTIAL_RATE,
) -> dict[str, str]:
    """customer id → group id for the month: the sticky ones kept, the new ones balanced."""
    active = set(groups)
    if not active:
        return {}
    result: dict[str, str] = {}
    load: dict[str, Decimal] = dict.fromkeys(active, Decimal(0))
    count: dict[str, int] = dict.fromkeys(active, 0)
    rest: list[Candidate] = []
    for c in candidates:
        if c.group_id in active:
            result[c.customer_id] = c.group_id
            load[c.group_id] += contribution(c, rate)
            count[c.group_id] += 1
        else:
            rest.append(c)
    slots = capacity * len(active) - len(result)
    heap = [(load[g], count[g], g) for g in sorted(active)]
    heapq.heapify(heap)
    for c in sorted(rest, key=lambda c: order_key(c, rate)):
        if c.tier not in PRIORITY_TIERS and slots <= 0:
            break
        # The group with the least total contribution; a full group waits unless every
        # group is full (gold and platinum customers are always assigned).
        skipped: list[tuple[Decimal, int, str]] = []
        while heap and heap[0][1] >= capacity and len(skipped) < len(active) - 1:
            skipped.append(heapq.heappop(heap))
        total, n, g = heapq.heappop(heap)
        for item in skipped:
            heapq.heappush(heap, item)
        result[c.customer_id] = g
        heapq.heappush(heap, (total + contribution(c, rate), n + 1, g))
        slots -= 1
    return result


def moves(before: Mapping[str, str | None], after: Mapping[str, str]) -> dict[str, str | None]:
    """Customers whose group changes (new, moved, or back to the branch queue)."""
    out: dict[str, str | None] = {c: g for c, g in after.items() if before.get(c) != g}
    out.update({c: None for c, g in before.items() if g is not None and c not in after})
    return out


def with_group_since(months: Mapping[str, frozenset[str]], group_id: str) -> str | None:
    """The first month of the customer's current unbroken stay with ``group_id``.

    ``months``: month → the groups the customer spent days with in it. Walks back from the
    latest month while each month (with no month missing) includes the group; a customer
    who left and came back counts from the return. None when the latest month lacks it.
    """
    if not months:
        return None
    month = max(months)
    since = None
    while group_id in months.get(month, frozenset()):
        since = month
        month = previous_month(month)
    return since
