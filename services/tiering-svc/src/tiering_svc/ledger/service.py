"""Ledger use cases: entries, balance, bonuses, redemptions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox, today_cst
from brokerage_common import events as ev
from brokerage_common.bulk import (
    upsert_columns,
)

from .. import rules
from ..exceptions import InsufficientPoints, InvalidRedemption, NotFound
from ..models import (
    CustomerMonth,
    CustomerTier,
    PointsEntry,
    Redemption,
)
from ..rules import Tier
from ..tiers.service import (
    SYSTEM,
    Policy,
    _insert,
    _load_states,
    _month,
    _save_states,
)

_ZERO = Decimal(0)
_TRADE_KEY = "trade:"
"""A trade entry's business key is this and the trade id: one entry per trade, ever."""


async def _add_to_months(
    session: AsyncSession,
    *,
    commission: Mapping[tuple[str, str], Decimal] | None = None,
    points: Mapping[tuple[str, str], Decimal] | None = None,
) -> None:
    """Add to customers' commission and booked points, by (customer id, YYYY-MM): one row each."""
    commission = commission or {}
    points = points or {}
    keys = sorted(commission.keys() | points.keys())  # one lock order for every writer
    await upsert_columns(
        session,
        CustomerMonth.__table__,  # type: ignore[attr-defined]
        {
            "customer_id": [c for c, _ in keys],
            "month": [m for _, m in keys],
            "commission": [commission.get(k, _ZERO) for k in keys],
            "points": [points.get(k, _ZERO) for k in keys],
        },
        conflict=["customer_id", "month"],
        add=["commission", "points"],
    )


async def reverse_trade_points(
    session: AsyncSession, *, cancel: ev.TradeCancelled, outbox: Outbox
) -> Decimal | None:
    """Reverse a cancelled trade's points with a compensating entry (once per trade).

    Points already spent cannot be taken back below zero: the reversal takes what the
    balance holds and says so in its reason. Tiers are not lowered here (only at review).
    """
    original = (
        await session.execute(
            select(PointsEntry).where(PointsEntry.business_key == _TRADE_KEY + cancel.trade_id)
        )
    ).scalar_one_or_none()
    if original is None or original.customer_id != cancel.customer_id:
        return None
    balance = await _lock_balance(session, cancel.customer_id)
    amount = min(original.points, balance)
    reason = f"trade {cancel.trade_id} cancelled: {cancel.reason}"[:400]
    if amount < original.points:
        reason += f" (reversed {amount} of {original.points}; the rest was already spent)"
    # Booked to the trade's own month, its commission too: it no longer counts for the tier.
    month = _month(original.settled_on) if original.settled_on else None
    inserted = await _insert_entry(
        session,
        customer_id=cancel.customer_id,
        points=-amount,
        kind="reversal",
        business_key=f"reversal:{cancel.trade_id}",
        source_ref=cancel.trade_id,
        reason=reason,
        actor=SYSTEM,
        month=month,
        commission=-(original.commission or _ZERO),
    )
    if not inserted:
        return None
    await outbox.add(
        session,
        ev.PointsAwarded(
            customer_id=cancel.customer_id,
            entry_id=str(inserted),
            points=-amount,
            reason="reversal",
            source_ref=cancel.trade_id,
        ),
    )
    return amount


async def _lock_balance(session: AsyncSession, customer_id: str) -> Decimal:
    """The customer's balance, locked until the transaction ends: whatever spends points queues.

    The lock is the customer's tier row's (every customer with points has one). PostgreSQL
    locks the row; SQLite has no row locks, so a no-op write takes the database's write
    lock for the rest of the transaction instead. Either way, no concurrent spender can
    change the balance read after this call before commit; settlement only adds to it.
    """
    tiers = CustomerTier.__table__  # type: ignore[attr-defined]
    lock: Any
    if session.bind.dialect.name == "postgresql":
        lock = (
            select(tiers.c.customer_id).where(tiers.c.customer_id == customer_id).with_for_update()
        )
    else:
        lock = update(tiers).where(tiers.c.customer_id == customer_id).values(tier=tiers.c.tier)
    await session.execute(lock)
    return await _balance(session, customer_id)


async def _balance(session: AsyncSession, customer_id: str) -> Decimal:
    months = CustomerMonth.__table__  # type: ignore[attr-defined]
    total = (
        await session.execute(
            select(func.sum(months.c.points)).where(months.c.customer_id == customer_id)
        )
    ).scalar_one_or_none()
    # SQLite sums NUMERIC in floating point: back to the column's scale.
    return Decimal(total).quantize(rules.CENT) if total is not None else Decimal("0.00")


async def _insert_entry(
    session: AsyncSession,
    *,
    customer_id: str,
    points: Decimal,
    kind: str,
    business_key: str,
    source_ref: str,
    reason: str,
    actor: str,
    tier: str | None = None,
    month: str | None = None,
    commission: Decimal = _ZERO,
) -> int | None:
    """Append one ledger entry and book its points (and ``commission``) to ``month`` (default:
    this month, China time); None if the business key was used."""
    table = PointsEntry.__table__  # type: ignore[attr-defined]
    stmt = (
        _insert(session)(table)
        .values(
            customer_id=customer_id,
            points=points,
            kind=kind,
            business_key=business_key,
            source_ref=source_ref,
            reason=reason,
            actor=actor,
            tier=tier,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["business_key"])
        .returning(table.c.id)
    )
    entry_id = (await session.execute(stmt)).scalar_one_or_none()
    if entry_id is not None:
        key = (customer_id, month or _month(today_cst()))
        await _add_to_months(session, commission={key: commission}, points={key: points})
    return entry_id


# ------------------------------------------------------------------------- customers and bonuses


async def register_customer(
    session: AsyncSession, *, customer: ev.CustomerRegistered, policy: Policy, outbox: Outbox
) -> None:
    """Remember the contact facts routing needs; credit the referrer's bonus (once per referral)."""
    states = await _load_states(
        session, [customer.customer_id], first_seen={customer.customer_id: customer.opened_on}
    )
    state = states[customer.customer_id]
    state.row.update(
        phone=customer.phone, branch_id=customer.branch_id, opened_on=customer.opened_on
    )
    table = CustomerTier.__table__  # type: ignore[attr-defined]
    ins = _insert(session)(table)
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                "phone": ins.excluded.phone,
                "branch_id": ins.excluded.branch_id,
                "opened_on": ins.excluded.opened_on,
            },
        ),
        [{**state.row, "updated_at": datetime.now(UTC)}],
    )
    if customer.referrer_id and customer.referrer_id != customer.customer_id:
        await credit_bonus(
            session,
            customer_id=customer.referrer_id,
            points=policy.bonuses.referral,
            kind="referral",
            business_key=f"referral:{customer.customer_id}",
            source_ref=customer.customer_id,
            reason="referred a new customer who opened an account",
            outbox=outbox,
        )


async def update_customer(
    session: AsyncSession, *, update_event: ev.CustomerProfileUpdated
) -> None:
    values: dict[str, Any] = {}
    if update_event.phone is not None:
        values["phone"] = update_event.phone
    if update_event.branch_id is not None:
        values["branch_id"] = update_event.branch_id
    if values:
        await session.execute(
            update(CustomerTier)
            .where(CustomerTier.customer_id == update_event.customer_id)
            .values(**values)
        )  # type: ignore[arg-type]


async def credit_bonus(
    session: AsyncSession,
    *,
    customer_id: str,
    points: Decimal,
    kind: str,
    business_key: str,
    source_ref: str,
    reason: str,
    outbox: Outbox,
    actor: str = SYSTEM,
) -> int | None:
    await _ensure_customer(session, customer_id)  # tier row first: the lock order (_lock_balance)
    entry_id = await _insert_entry(
        session,
        customer_id=customer_id,
        points=points,
        kind=kind,
        business_key=business_key,
        source_ref=source_ref,
        reason=reason,
        actor=actor,
    )
    if entry_id is not None:
        await outbox.add(
            session,
            ev.PointsAwarded(
                customer_id=customer_id,
                entry_id=str(entry_id),
                points=points,
                reason=kind,
                source_ref=source_ref,
            ),
        )
    return entry_id


async def _ensure_customer(session: AsyncSession, customer_id: str) -> None:
    """A customer first met through a bonus (a referrer who opened an account before tiering
    knew anyone) gets a standard tier row, so they can see and spend what they were given."""
    now = datetime.now(UTC)
    stmt = (
        _insert(session)(CustomerTier.__table__)  # type: ignore[attr-defined]
        .values(
            customer_id=customer_id,
            tier=Tier.STANDARD.value,
            tier_since=today_cst(),
            total_assets=Decimal(0),
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    await session.execute(stmt)


async def credit_anniversaries(
    session: AsyncSession, *, on: date, policy: Policy, outbox: Outbox, catch_up_days: int = 7
) -> int:
    """Daily job: credit each customer whose n-th account anniversary fell in the last few days.

    Idempotent per customer and year through the business key; the catch-up window
    covers days the job did not run, without paying out years that passed before
    the platform knew the customer.
    """
    credited = 0
    rows = (
        await session.execute(
            select(CustomerTier.customer_id, CustomerTier.opened_on).where(
                CustomerTier.opened_on.is_not(None)
            )
        )
    ).all()  # type: ignore[union-attr]
    for cid, opened_on in rows:
        years = rules.full_years_as_customer(opened_on, on)
        if years < 1:
            continue
        anniversary = rules.add_months(opened_on, 12 * years)
        if (on - anniversary).days >= catch_up_days:
            continue
        if await credit_bonus(
            session,
            customer_id=cid,
            points=policy.bonuses.anniversary,
            kind="anniversary",
            business_key=f"anniversary:{cid}:{years}",
            source_ref=f"{cid}:{years}",
            reason=f"{years} full year(s) as a customer",
            outbox=outbox,
        ):
            credited += 1
    return credited


async def adjust_points(
    session: AsyncSession,
    *,
    customer_id: str,
    points: Decimal,
    reason: str,
    actor: str,
    outbox: Outbox,
) -> int:
    """A staff adjustment: needs a reason, audited by actor, never leaves a negative balance."""
    if points == 0:
        raise InvalidRedemption("an adjustment must change the balance")
    if points < 0:
        balance = await _lock_balance(session, customer_id)
        if not rules.can_spend(balance, -points):
            raise InsufficientPoints(f"balance {balance} cannot absorb {points}")
    entry_id = await credit_bonus(
        session,
        customer_id=customer_id,
        points=points,
        kind="adjustment",
        business_key=f"adjustment:{uuid.uuid4()}",
        source_ref=actor,
        reason=reason,
        outbox=outbox,
        actor=actor,
    )
    assert entry_id is not None
    return entry_id


# ----------------------------------------------------------------------------- redemptions


async def redeem(
    session: AsyncSession,
    *,
    customer_id: str,
    kind: str,
    actor: str,
    outbox: Outbox,
    on: date,
    target_tier: Tier | None = None,
    sms_product: str | None = None,
    months: int | None = None,
    idempotency_key: str | None = None,
) -> Redemption:
    """Spend points on a tier upgrade (12 months) or on paid SMS months; 409 when short of points.

    The customer's balance is locked first, so concurrent redemptions queue: none
    spends points another has spent, the same upgrade is not bought twice, and a
    replayed idempotency key finds the redemption its first attempt committed.
    """
    if kind == "tier_upgrade":
        if target_tier is None:
            raise InvalidRedemption("target_tier is required for a tier upgrade")
        target_tier = Tier(target_tier)
    elif kind == "sms_months":
        if sms_product not in ("SMS1", "SMS2", "SMS3") or not months or months < 1 or months > 36:
            raise InvalidRedemption("sms_product must be SMS1, SMS2 or SMS3 and months 1..36")
    else:
        raise InvalidRedemption("kind must be tier_upgrade or sms_months")
    balance = await _lock_balance(session, customer_id)
    if idempotency_key:
        prior = (
            await session.execute(
                select(Redemption).where(
                    Redemption.customer_id == customer_id,
                    Redemption.idempotency_key == idempotency_key,
                )
            )
        ).scalar_one_or_none()
        if prior is not None:
            return prior
    state_row = (
        await session.execute(select(CustomerTier).where(CustomerTier.customer_id == customer_id))
    ).scalar_one_or_none()
    current = Tier(state_row.tier) if state_row else Tier.STANDARD
    valid_until: date | None
    if kind == "tier_upgrade":
        assert target_tier is not None
        try:
            cost = rules.upgrade_cost(current=current, target=target_tier)
        except ValueError as exc:
            raise InvalidRedemption(str(exc)) from exc
        valid_until = rules.upgrade_until(on)
    else:
        assert months is not None
        cost = rules.sms_subscription_cost(products=1, months=months)
        valid_until = rules.add_months(on, months) - timedelta(days=1)
    if not rules.can_spend(balance, cost):
        raise InsufficientPoints(f"balance {balance} is less than the {cost} points required")
    await _add_to_months(session, points={(customer_id, _month(on)): -cost})
    redemption_id = str(uuid.uuid4())
    await session.execute(
        PointsEntry.__table__.insert().values(  # type: ignore[attr-defined]
            customer_id=customer_id,
            points=-cost,
            kind="redemption",
            business_key=f"redemption:{redemption_id}",
            source_ref=redemption_id,
            reason=f"redeemed for {kind}",
            actor=actor,
            tier=current.value,
            created_at=datetime.now(UTC),
        )
    )
    redemption = Redemption(
        id=redemption_id,
        customer_id=customer_id,
        kind=kind,
        target_tier=target_tier.value if target_tier else None,
        sms_product=sms_product,
        months=months,
        points=cost,
        valid_until=valid_until,
        idempotency_key=idempotency_key,
        actor=actor,
        created_at=datetime.now(UTC),
    )
    session.add(redemption)
    if kind == "tier_upgrade":
        assert target_tier is not None
        states = await _load_states(session, [customer_id], first_seen={customer_id: on})
        state = states[customer_id]
        state.row["bought_tier"] = target_tier.value
        state.row["bought_until"] = valid_until
        state.changed = True
        state.history.append((state.row["tier"], target_tier.value, "points_upgrade", on))
        state.row["tier"] = target_tier.value
        state.row["tier_since"] = on
        await _save_states(session, states, outbox=outbox)
    await outbox.add(
        session,
        ev.PointsRedeemed(
            customer_id=customer_id,
            redemption_id=redemption_id,
            points=cost,
            kind=kind,  # type: ignore[arg-type]
            target_tier=target_tier.value if target_tier else None,
            sms_product=sms_product,
            months=months,  # type: ignore[arg-type]
            valid_until=valid_until,
        ),
    )
    await session.flush()
    return redemption


# ----------------------------------------------------------------------------- reads


async def get_state(session: AsyncSession, *, customer_id: str) -> tuple[CustomerTier, Decimal]:
    row = (
        await session.execute(select(CustomerTier).where(CustomerTier.customer_id == customer_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"customer {customer_id} is not known to tiering")
    return row, await _balance(session, customer_id)


async def ledger_page(
    session: AsyncSession,
    *,
    customer_id: str,
    limit: int,
    before_id: int | None,
    kind: str | None = None,
) -> list[PointsEntry]:
    stmt = select(PointsEntry).where(PointsEntry.customer_id == customer_id)
    if before_id is not None:
        stmt = stmt.where(PointsEntry.id < before_id)  # type: ignore[operator]
    if kind is not None:
        stmt = stmt.where(PointsEntry.kind == kind)
    stmt = stmt.order_by(PointsEntry.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list((await session.execute(stmt)).scalars())


async def ledger_sum(session: AsyncSession) -> tuple[int, Decimal]:
    """Entry count and points total of the whole ledger (the replay check of the benchmark)."""
    n, total = (
        await session.execute(select(func.count(), func.coalesce(func.sum(PointsEntry.points), 0)))
    ).one()
    return int(n), Decimal(total)
