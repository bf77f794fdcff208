"""Ledger use cases: entries and the balance, bonuses, adjustments, reversals, redemptions.

Every function takes the session first and keyword-only arguments, writes its rows and
outbox events into that session, and never commits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox, today_cst
from brokerage_common import events as ev
from brokerage_common.bulk import upsert_columns
from brokerage_common.dialect import insert_ignoring_duplicates, is_postgresql

from ..exceptions import IdempotencyKeyReused, InsufficientPoints, InvalidRedemption
from ..models import (
    CUSTOMER_MONTH,
    CUSTOMER_TIER,
    POINTS_ENTRY,
    REDEMPTION,
    CustomerTier,
    PointsEntry,
    Redemption,
)
from ..rules import CENT, Tier, can_spend, full_years_as_customer
from ..rules import add_months as add_calendar_months
from ..tiers.rules import Policy, month_of
from ..tiers.service import get_tier_row, load_states, save_states
from .rules import (
    SYSTEM,
    TRADE_KEY,
    InvalidRequest,
    check_adjustment,
    redemption_request,
    redemption_terms,
    reversal_of,
)

_ZERO = Decimal(0)


# ----------------------------------------------------------------------------- the balance


async def add_to_months(
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
        CUSTOMER_MONTH,
        {
            "customer_id": [c for c, _ in keys],
            "month": [m for _, m in keys],
            "commission": [commission.get(k, _ZERO) for k in keys],
            "points": [points.get(k, _ZERO) for k in keys],
        },
        conflict=["customer_id", "month"],
        add=["commission", "points"],
    )


async def _lock_balance(session: AsyncSession, customer_id: str) -> Decimal:
    """The customer's balance, locked until the transaction ends: whatever spends points queues.

    The lock is the customer's tier row's (every customer with points has one). PostgreSQL
    locks the row; SQLite has no row locks, so a no-op write takes the database's write
    lock for the rest of the transaction instead. Either way, no concurrent spender can
    change the balance read after this call before commit; settlement only adds to it.
    """
    key = CUSTOMER_TIER.c.customer_id == customer_id
    if is_postgresql(session):
        await session.execute(select(CUSTOMER_TIER.c.customer_id).where(key).with_for_update())
    else:
        await session.execute(update(CUSTOMER_TIER).where(key).values(tier=CUSTOMER_TIER.c.tier))
    return await balance(session, customer_id=customer_id)


async def balance(session: AsyncSession, *, customer_id: str) -> Decimal:
    """The spendable balance: the points booked over all of a customer's months."""
    total = (
        await session.execute(
            select(func.sum(CUSTOMER_MONTH.c.points)).where(
                CUSTOMER_MONTH.c.customer_id == customer_id
            )
        )
    ).scalar_one_or_none()
    # SQLite sums NUMERIC in floating point: back to the column's scale.
    return Decimal(total).quantize(CENT) if total is not None else Decimal("0.00")


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
    stmt = (
        insert_ignoring_duplicates(session, POINTS_ENTRY, keys=["business_key"])
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
        .returning(POINTS_ENTRY.c.id)
    )
    entry_id: int | None = (await session.execute(stmt)).scalar_one_or_none()
    if entry_id is not None:
        key = (customer_id, month or month_of(today_cst()))
        await add_to_months(session, commission={key: commission}, points={key: points})
    return entry_id


# ----------------------------------------------------------------------------- bonuses


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
    """Credit points once per business key; the new entry's id, None if it was credited."""
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
    stmt = insert_ignoring_duplicates(session, CUSTOMER_TIER, keys=["customer_id"]).values(
        customer_id=customer_id,
        tier=Tier.STANDARD.value,
        tier_since=today_cst(),
        total_assets=Decimal(0),
        updated_at=datetime.now(UTC),
    )
    await session.execute(stmt)


async def credit_referral(
    session: AsyncSession, *, customer: ev.CustomerRegistered, policy: Policy, outbox: Outbox
) -> None:
    """The referrer's bonus for a new customer (推荐新客户), once per referral."""
    if not customer.referrer_id or customer.referrer_id == customer.customer_id:
        return
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
            select(CUSTOMER_TIER.c.customer_id, CUSTOMER_TIER.c.opened_on).where(
                CUSTOMER_TIER.c.opened_on.is_not(None)
            )
        )
    ).all()
    for cid, opened_on in rows:
        years = full_years_as_customer(opened_on, on)
        if years < 1:
            continue
        anniversary = add_calendar_months(opened_on, 12 * years)
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
    idempotency_key: str | None = None,
) -> int:
    """A staff adjustment: needs a reason, audited by actor, never leaves a negative balance.

    With an ``idempotency_key`` a retry applies once: the key is part of the entry's
    business key, so the retry finds the first entry (``IdempotencyKeyReused`` if it
    asked for other points or another reason)."""
    held = await _lock_balance(session, customer_id)
    try:
        check_adjustment(points, held=held)
    except InvalidRequest as exc:
        raise InvalidRedemption(str(exc)) from None
    if idempotency_key:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
        business_key = f"adjustment:{customer_id}:{digest}"
        prior = (
            await session.execute(
                select(PointsEntry).where(POINTS_ENTRY.c.business_key == business_key)
            )
        ).scalar_one_or_none()
        if prior is not None:
            if (prior.points, prior.reason) != (points, reason):
                raise IdempotencyKeyReused("Idempotency-Key was used for another adjustment")
            assert prior.id is not None  # a stored entry has its id
            return prior.id
    else:
        business_key = f"adjustment:{uuid.uuid4()}"
    if points < 0 and not can_spend(held, -points):
        raise InsufficientPoints(f"balance {held} cannot absorb {points}")
    entry_id = await credit_bonus(
        session,
        customer_id=customer_id,
        points=points,
        kind="adjustment",
        business_key=business_key,
        source_ref=actor,
        reason=reason,
        outbox=outbox,
        actor=actor,
    )
    assert entry_id is not None  # the business key was looked up under the balance's lock
    return entry_id


# ----------------------------------------------------------------------------- reversals


async def reverse_trade_points(
    session: AsyncSession, *, cancel: ev.TradeCancelled, outbox: Outbox
) -> Decimal | None:
    """Reverse a cancelled trade's points with a compensating entry (once per trade).

    Points already spent cannot be taken back below zero (``rules.reversal_of``). Tiers
    are not lowered here (only at review).
    """
    original = (
        await session.execute(
            select(PointsEntry).where(POINTS_ENTRY.c.business_key == TRADE_KEY + cancel.trade_id)
        )
    ).scalar_one_or_none()
    if original is None or original.customer_id != cancel.customer_id:
        return None
    held = await _lock_balance(session, cancel.customer_id)
    reversal = reversal_of(
        trade_id=cancel.trade_id,
        cancel_reason=cancel.reason,
        awarded=original.points,
        balance=held,
    )
    # Booked to the trade's own month, its commission too: it no longer counts for the tier.
    inserted = await _insert_entry(
        session,
        customer_id=cancel.customer_id,
        points=-reversal.points,
        kind="reversal",
        business_key=f"reversal:{cancel.trade_id}",
        source_ref=cancel.trade_id,
        reason=reversal.reason,
        actor=SYSTEM,
        month=month_of(original.settled_on) if original.settled_on else None,
        commission=-(original.commission or _ZERO),
    )
    if not inserted:
        return None
    await outbox.add(
        session,
        ev.PointsAwarded(
            customer_id=cancel.customer_id,
            entry_id=str(inserted),
            points=-reversal.points,
            reason="reversal",
            source_ref=cancel.trade_id,
        ),
    )
    return reversal.points


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
    try:
        request = redemption_request(
            kind=kind, target_tier=target_tier, sms_product=sms_product, months=months
        )
    except InvalidRequest as exc:
        raise InvalidRedemption(str(exc)) from None
    held = await _lock_balance(session, customer_id)
    if idempotency_key:
        prior = (
            await session.execute(
                select(Redemption).where(
                    REDEMPTION.c.customer_id == customer_id,
                    REDEMPTION.c.idempotency_key == idempotency_key,
                )
            )
        ).scalar_one_or_none()
        if prior is not None:
            asked = (request.kind, request.target_tier, request.sms_product, request.months)
            first = (prior.kind, prior.target_tier, prior.sms_product, prior.months)
            if asked != first:
                raise IdempotencyKeyReused("Idempotency-Key was used for another redemption")
            return prior
    row = await session.get(CustomerTier, customer_id)
    current = Tier(row.tier) if row else Tier.STANDARD
    try:
        terms = redemption_terms(request, current=current, on=on)
    except InvalidRequest as exc:
        raise InvalidRedemption(str(exc)) from None
    if not can_spend(held, terms.cost):
        raise InsufficientPoints(f"balance {held} is less than the {terms.cost} points required")
    await add_to_months(session, points={(customer_id, month_of(on)): -terms.cost})
    redemption_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    await session.execute(
        POINTS_ENTRY.insert().values(
            customer_id=customer_id,
            points=-terms.cost,
            kind="redemption",
            business_key=f"redemption:{redemption_id}",
            source_ref=redemption_id,
            reason=f"redeemed for {request.kind}",
            actor=actor,
            tier=current.value,
            created_at=now,
        )
    )
    target = request.target_tier
    redemption = Redemption(
        id=redemption_id,
        customer_id=customer_id,
        kind=request.kind,
        target_tier=target.value if target else None,
        sms_product=request.sms_product,
        months=request.months,
        points=terms.cost,
        valid_until=terms.valid_until,
        idempotency_key=idempotency_key,
        actor=actor,
        created_at=now,
    )
    session.add(redemption)
    if request.kind == "tier_upgrade" and target is not None:
        states, _ = await load_states(session, [customer_id], first_seen={customer_id: on})
        bought = states[customer_id].bought(target, until=terms.valid_until, on=on)
        await save_states(session, [bought], outbox=outbox)
    await outbox.add(
        session,
        ev.PointsRedeemed(
            customer_id=customer_id,
            redemption_id=redemption_id,
            points=terms.cost,
            kind=request.kind,
            target_tier=target.value if target else None,
            sms_product=request.sms_product,
            months=request.months,
            valid_until=terms.valid_until,
        ),
    )
    await session.flush()
    return redemption


# ----------------------------------------------------------------------------- reads


async def get_state(session: AsyncSession, *, customer_id: str) -> tuple[CustomerTier, Decimal]:
    """A customer's tier row and balance; 404 for a customer tiering does not know."""
    row = await get_tier_row(session, customer_id=customer_id)
    return row, await balance(session, customer_id=customer_id)


async def ledger_page(
    session: AsyncSession,
    *,
    customer_id: str,
    limit: int,
    before_id: int | None,
    kind: str | None = None,
) -> list[PointsEntry]:
    """Entries newest first, older than ``before_id`` if given, of one ``kind`` if given."""
    stmt = select(PointsEntry).where(POINTS_ENTRY.c.customer_id == customer_id)
    if before_id is not None:
        stmt = stmt.where(POINTS_ENTRY.c.id < before_id)
    if kind is not None:
        stmt = stmt.where(POINTS_ENTRY.c.kind == kind)
    stmt = stmt.order_by(POINTS_ENTRY.c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def ledger_sum(session: AsyncSession) -> tuple[int, Decimal]:
    """Entry count and points total of the whole ledger (the replay check of the benchmark)."""
    n, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(POINTS_ENTRY.c.points), 0))
        )
    ).one()
    return int(n), Decimal(total)
