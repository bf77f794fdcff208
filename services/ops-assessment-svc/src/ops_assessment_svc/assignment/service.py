"""Customer files from events, and the monthly (sticky, balanced) assignment to groups."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox, now_cst
from brokerage_common import events as ev
from brokerage_common.dialect import insert_ignoring_duplicates, upsert

from ..figures import service as figures
from ..figures.models import CustomerMonthFigure
from ..figures.rules import days_in_month, month_bounds, month_of, previous_month
from ..retention.models import RetentionCase
from ..staff_groups.models import ServiceGroup
from . import rules
from .models import CustomerFile, CustomerGroupMonth

_ZERO = Decimal(0)


async def _file(session: AsyncSession, customer_id: str) -> CustomerFile:
    await session.execute(
        insert_ignoring_duplicates(session, CustomerFile, keys=["customer_id"]).values(
            customer_id=customer_id, updated_at=now_cst()
        )
    )
    row = await session.get(CustomerFile, customer_id, populate_existing=True)
    assert row is not None
    return row


async def register_customer(session: AsyncSession, *, customer: ev.CustomerRegistered) -> None:
    """Know a customer; their referral counts for the referrer once (the first registration)."""
    row = await _file(session, customer.customer_id)
    first_time = row.branch_id is None
    row.branch_id = customer.branch_id
    row.onsite = customer.onsite
    row.opened_on = customer.opened_on
    row.referrer_id = customer.referrer_id
    row.status = customer.status
    row.updated_at = now_cst()
    if first_time and customer.referrer_id:
        await figures.add_referral(
            session, referrer_id=customer.referrer_id, month=month_of(customer.opened_on)
        )
    if first_time:
        # A transfer request that came before the customer was known waited in no branch's
        # queue: it goes to the branch's now.
        await session.execute(
            update(RetentionCase)
            .where(
                col(RetentionCase.customer_id) == customer.customer_id,
                col(RetentionCase.branch_id).is_(None),
            )
            .values(branch_id=customer.branch_id)
        )


async def update_customer(session: AsyncSession, *, change: ev.CustomerProfileUpdated) -> None:
    row = await _file(session, change.customer_id)
    if change.branch_id is not None:
        row.branch_id = change.branch_id
    if change.status is not None:
        row.status = change.status
    row.updated_at = now_cst()


async def change_tier(session: AsyncSession, *, change: ev.TierChanged) -> None:
    row = await _file(session, change.customer_id)
    row.tier = change.new_tier
    row.updated_at = now_cst()


async def _history(
    session: AsyncSession, customer_ids: list[str], month: str
) -> tuple[dict[str, Decimal], dict[str, Decimal], dict[str, Decimal]]:
    """Per customer: trailing-12-month commission, average assets of the last 3 months, and
    the monthly average commission of the 3 months before ``month``."""
    last12 = [previous_month(month, n) for n in range(1, 13)]
    last3 = set(last12[:3])
    trailing: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    commission3: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    assets: dict[str, list[Decimal]] = defaultdict(list)
    for chunk in range(0, len(customer_ids), 5000):
        part = customer_ids[chunk : chunk + 5000]
        for row in await figures.customer_months(session, customer_ids=part, months=last12):
            trailing[row.customer_id] += row.commission
            if row.month in last3:
                commission3[row.customer_id] += row.commission
                if row.asset_days:
                    assets[row.customer_id].append(row.assets_sum / row.asset_days)
    average = {c: sum(v, _ZERO) / len(v) for c, v in assets.items()}
    baseline = {c: (v / 3).quantize(Decimal("0.01")) for c, v in commission3.items()}
    return trailing, average, baseline


async def assign_branch(
    session: AsyncSession,
    *,
    branch_id: str,
    on: date,
    capacity: int,
    outbox: Outbox,
    rate: Decimal = rules.POTENTIAL_RATE,
) -> dict[str, str | None]:
    """Assign the branch's customers from ``on`` to the end of its month; returns the moves.

    Run on the first of each month (and again when a group is dissolved): sticky customers
    keep their group (a row for the month, its days in full); new, released or moved
    customers count pro rata from ``on``. Running it twice changes nothing.
    """
    month = month_of(on)
    remaining = (month_bounds(month)[1] - on).days + 1
    groups = list(
        (
            await session.execute(
                select(col(ServiceGroup.group_id)).where(
                    col(ServiceGroup.branch_id) == branch_id, col(ServiceGroup.state) == "active"
                )
            )
        ).scalars()
    )
    files = list(
        (
            await session.execute(
                select(CustomerFile).where(
                    col(CustomerFile.branch_id) == branch_id,
                    col(CustomerFile.status).in_(("active", "transfer_requested")),
                )
            )
        ).scalars()
    )
    ids = sorted(f.customer_id for f in files)
    trailing, average, baseline = await _history(session, ids, month)
    active = set(groups)
    candidates = [
        rules.Candidate(
            customer_id=f.customer_id,
            tier=f.tier,
            trailing_commission=trailing.get(f.customer_id, _ZERO),
            average_assets_3m=average.get(f.customer_id, _ZERO),
            onsite=f.onsite,
            group_id=f.group_id if f.group_id in active else None,
        )
        for f in files
    ]
    after = rules.assign(candidates, groups, capacity=capacity, rate=rate)
    before = {f.customer_id: f.group_id for f in files}
    moved = rules.moves(before, after)
    table = CustomerGroupMonth.__table__  # type: ignore[attr-defined]
    # Sticky customers: their whole month with their group (kept if written already).
    stay = [
        {
            "month": month,
            "group_id": g,
            "customer_id": c,
            "branch_id": branch_id,
            "days": days_in_month(month),
            "baseline_commission": baseline.get(c, _ZERO),
        }
        for c, g in after.items()
        if c not in moved
    ]
    if stay:
        await session.execute(
            insert_ignoring_duplicates(session, table, keys=["month", "group_id", "customer_id"]),
            stay,
        )
    # Every assigned customer has a figures row for the month (empty until events come).
    await figures.open_months(session, keys=[(c, month) for c in after])
    events: list[ev.Event] = []
    for customer_id, group_id in sorted(moved.items()):
        old = before.get(customer_id)
        if old is not None:
            await _take_days(
                session, month=month, group_id=old, customer_id=customer_id, days=remaining
            )
        if group_id is not None:
            stmt = upsert(
                session,
                table,
                keys=["month", "group_id", "customer_id"],
                set_={"days": table.c.days + remaining},
            ).values(
                month=month,
                group_id=group_id,
                customer_id=customer_id,
                branch_id=branch_id,
                days=remaining,
                baseline_commission=baseline.get(customer_id, _ZERO),
            )
            await session.execute(stmt)
        await session.execute(
            update(CustomerFile)
            .where(col(CustomerFile.customer_id) == customer_id)
            .values(group_id=group_id, updated_at=now_cst())
        )
        events.append(
            ev.CustomerAssigned(
                customer_id=customer_id,
                group_id=group_id,
                branch_id=branch_id,
                month=month,
                effective_on=on,
                previous_group_id=old,
            )
        )
    await outbox.add_many(session, events)
    return moved


async def _take_days(
    session: AsyncSession, *, month: str, group_id: str, customer_id: str, days: int
) -> None:
    key = (
        col(CustomerGroupMonth.month) == month,
        col(CustomerGroupMonth.group_id) == group_id,
        col(CustomerGroupMonth.customer_id) == customer_id,
    )
    await session.execute(
        update(CustomerGroupMonth).where(*key).values(days=col(CustomerGroupMonth.days) - days)
    )
    await session.execute(delete(CustomerGroupMonth).where(*key, col(CustomerGroupMonth.days) <= 0))


async def reassign_branch(
    session: AsyncSession, *, branch_id: str, on: date, capacity: int, outbox: Outbox
) -> dict[str, str | None]:
    """A dissolved group's customers go back to assignment from ``on``."""
    return await assign_branch(
        session, branch_id=branch_id, on=on, capacity=capacity, outbox=outbox
    )


async def branches_with_groups(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        select(col(ServiceGroup.branch_id)).where(col(ServiceGroup.state) == "active").distinct()
    )
    return sorted(rows.scalars())


async def group_customers(
    session: AsyncSession, *, group_id: str, month: str
) -> list[tuple[CustomerGroupMonth, CustomerFile | None, CustomerMonthFigure | None]]:
    rows = await session.execute(
        select(CustomerGroupMonth, CustomerFile, CustomerMonthFigure)
        .join(
            CustomerFile,
            col(CustomerFile.customer_id) == col(CustomerGroupMonth.customer_id),
            isouter=True,
        )
        .join(
            CustomerMonthFigure,
            (col(CustomerMonthFigure.customer_id) == col(CustomerGroupMonth.customer_id))
            & (col(CustomerMonthFigure.month) == col(CustomerGroupMonth.month)),
            isouter=True,
        )
        .where(col(CustomerGroupMonth.group_id) == group_id, col(CustomerGroupMonth.month) == month)
        .order_by(col(CustomerGroupMonth.customer_id))
    )
    return [(a, b, c) for a, b, c in rows.all()]


async def group_of_customer(session: AsyncSession, customer_id: str) -> CustomerFile | None:
    return await session.get(CustomerFile, customer_id)


async def assigned_count(session: AsyncSession, *, group_id: str) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).where(col(CustomerFile.group_id) == group_id)
            )
        ).scalar_one()
    )


async def assigned_counts(session: AsyncSession, *, group_ids: list[str]) -> dict[str, int]:
    """group id → its assigned customers, for many groups in one GROUP BY."""
    found = dict.fromkeys(group_ids, 0)
    if group_ids:
        rows = await session.execute(
            select(col(CustomerFile.group_id), func.count())
            .where(col(CustomerFile.group_id).in_(group_ids))
            .group_by(col(CustomerFile.group_id))
        )
        for group_id, n in rows.all():
            found[str(group_id)] = int(n)
    return found


async def months_with_groups(session: AsyncSession, customer_id: str) -> dict[str, frozenset[str]]:
    """month → the groups a customer spent days with in it (their assignment history)."""
    found: dict[str, set[str]] = defaultdict(set)
    rows = await session.execute(
        select(col(CustomerGroupMonth.month), col(CustomerGroupMonth.group_id)).where(
            col(CustomerGroupMonth.customer_id) == customer_id
        )
    )
    for month, group_id in rows:
        found[month].add(group_id)
    return {m: frozenset(g) for m, g in found.items()}
