"""Tier use cases: the policy in force, tier states, asset snapshots, the periodic review,
and the contact facts routing needs.

Every function takes the session first and keyword-only arguments, writes its rows and
outbox events into that session, and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox
from brokerage_common import events as ev
from brokerage_common.bulk import insert_rows, rows_by_keys, upsert_rows
from brokerage_common.dialect import upsert

from ..config import Settings
from ..exceptions import NotFound
from ..models import (
    CONFIG_VALUE,
    CUSTOMER_MONTH,
    CUSTOMER_TIER,
    TIER_HISTORY,
    CustomerTier,
    TierHistory,
    TierReview,
)
from ..rules import Tier, next_review_on, qualify_tier, tier_rank
from .rules import (
    CONFIG_KEYS,
    Policy,
    TierMoves,
    TierState,
    month_of,
    tier_moves,
    trailing_commission,
    trailing_months,
)

STATE_COLUMNS = (
    "tier",
    "tier_since",
    "bought_tier",
    "bought_until",
    "total_assets",
    "assets_as_of",
    "updated_at",
)
"""What saving a state replaces; the contact facts (phone, branch, opening day) stay."""
_READ_COLUMNS = ("customer_id", *STATE_COLUMNS[:-1])


# ----------------------------------------------------------------------------- the policy


async def load_policy(session: AsyncSession, *, settings: Settings) -> Policy:
    """The thresholds and bonuses in force: the settings' defaults, overridden by staff's."""
    rows = (await session.execute(select(CONFIG_VALUE.c.key, CONFIG_VALUE.c.value))).all()
    values: dict[str, Decimal] = {k: getattr(settings, k) for k in CONFIG_KEYS}
    values.update({k: Decimal(v) for k, v in rows if k in values})
    return Policy.from_values(values)


async def update_config(
    session: AsyncSession, *, settings: Settings, changes: dict[str, Decimal], actor: str
) -> Policy:
    """Change thresholds or bonus amounts; the whole resulting policy is checked before storing."""
    current = await load_policy(session, settings=settings)
    Policy.from_values({**current.values(), **changes})  # the whole result must hold
    now = datetime.now(UTC)
    for key, value in changes.items():
        stmt = upsert(session, CONFIG_VALUE, keys=["key"], update=["value"]).values(
            key=key, value=str(value), updated_by=actor, updated_at=now
        )
        await session.execute(stmt)
    return await load_policy(session, settings=settings)


async def preview_config(
    session: AsyncSession,
    *,
    settings: Settings,
    changes: Mapping[str, Decimal],
    on: date,
    chunk: int = 2000,
) -> tuple[Policy, TierMoves]:
    """What a configuration change would do, without doing it: the policy it would make
    (ValueError if that breaks a rule) and how every customer's tier would move if the
    review ran on ``on`` under it, from their latest snapshots and trailing commission.
    Upgrades are made at a customer's next snapshot; downgrades wait for the review."""
    current = await load_policy(session, settings=settings)
    policy = Policy.from_values({**current.values(), **changes})
    as_of = on - timedelta(days=1)
    pairs: list[tuple[Tier, Tier]] = []
    last = ""
    while True:
        ids = list(
            (
                await session.execute(
                    select(CUSTOMER_TIER.c.customer_id)
                    .where(CUSTOMER_TIER.c.customer_id > last)
                    .order_by(CUSTOMER_TIER.c.customer_id)
                    .limit(chunk)
                )
            ).scalars()
        )
        if not ids:
            break
        last = ids[-1]
        states, _ = await load_states(session, ids, first_seen={})
        commissions = await load_commissions(session, ids, trailing_months(as_of)[-1])
        for cid, state in states.items():
            qualified = qualify_tier(
                total_assets=state.total_assets,
                trailing_commission=trailing_commission(commissions, cid, as_of),
                thresholds=policy.thresholds,
            )
            after = state.decided(qualified=qualified, at_review=True, on=on)
            pairs.append((state.tier, after.tier))
    return policy, tier_moves(pairs)


# ----------------------------------------------------------------------------- tier states


async def load_states(
    session: AsyncSession, customer_ids: Iterable[str], *, first_seen: Mapping[str, date]
) -> tuple[dict[str, TierState], set[str]]:
    """The tier state of each customer, and which of them tiering had not met (their state
    is new: standard since ``first_seen``, today if not given)."""
    ids = list(customer_ids)
    stmt = rows_by_keys(session, CUSTOMER_TIER, "customer_id", ids, only=_READ_COLUMNS)
    states = {r.customer_id: _state_of(r) for r in (await session.execute(stmt)).all()}
    new = {cid for cid in ids if cid not in states}
    if new:
        today = datetime.now(UTC).date()
        for cid in new:
            states[cid] = TierState.first_seen(cid, first_seen.get(cid, today))
    return states, new


def _state_of(row: Any) -> TierState:
    return TierState(
        customer_id=row.customer_id,
        tier=Tier(row.tier),
        tier_since=row.tier_since,
        bought_tier=Tier(row.bought_tier) if row.bought_tier else None,
        bought_until=row.bought_until,
        total_assets=row.total_assets,
        assets_as_of=row.assets_as_of,
    )


async def load_commissions(
    session: AsyncSession, customer_ids: Iterable[str], since_month: str
) -> dict[tuple[str, str], Decimal]:
    """Stored commission by (customer id, YYYY-MM), from ``since_month`` on."""
    stmt = rows_by_keys(
        session,
        CUSTOMER_MONTH,
        "customer_id",
        list(customer_ids),
        CUSTOMER_MONTH.c.month >= since_month,
        only=("customer_id", "month", "commission"),
    )
    rows = (await session.execute(stmt)).all()
    return {(r.customer_id, r.month): r.commission for r in rows}


async def save_states(
    session: AsyncSession, states: Sequence[TierState], *, outbox: Outbox
) -> None:
    """Store these states, and for each change they record a history row and a TierChanged
    event."""
    if not states:
        return
    now = datetime.now(UTC)
    await upsert_rows(
        session,
        CUSTOMER_TIER,
        [
            {
                "customer_id": s.customer_id,
                "tier": s.tier.value,
                "tier_since": s.tier_since,
                "bought_tier": s.bought_tier.value if s.bought_tier else None,
                "bought_until": s.bought_until,
                "total_assets": s.total_assets,
                "assets_as_of": s.assets_as_of,
                "updated_at": now,
            }
            for s in states
        ],
        conflict=["customer_id"],
        replace=STATE_COLUMNS,
    )
    history_rows: list[dict[str, Any]] = []
    tier_events: list[ev.TierChanged] = []
    for s in states:
        for change in s.changes:
            history_rows.append(
                {
                    "customer_id": s.customer_id,
                    "old_tier": change.old_tier.value,
                    "new_tier": change.new_tier.value,
                    "reason": change.reason,
                    "changed_at": now,
                    "effective_on": change.effective_on,
                }
            )
            tier_events.append(
                ev.TierChanged(
                    customer_id=s.customer_id,
                    old_tier=change.old_tier.value,
                    new_tier=change.new_tier.value,
                    reason=change.reason,
                    effective_on=change.effective_on,
                    next_review=next_review_on(change.effective_on),
                )
            )
    await outbox.add_many(session, tier_events)
    await insert_rows(session, TIER_HISTORY, history_rows)


def changed_states(
    before: Mapping[str, TierState], after: Mapping[str, TierState], new: set[str]
) -> list[TierState]:
    """The states to save: those tiering had not met, and those that changed."""
    return [s for cid, s in after.items() if cid in new or s is not before[cid]]


# ----------------------------------------------------------------------------- assets and tiers


async def apply_asset_snapshots(
    session: AsyncSession,
    *,
    envelopes: Sequence[Envelope[ev.AssetSnapshotTaken]],
    policy: Policy,
    outbox: Outbox,
) -> None:
    """Take each customer's latest end-of-day assets; an upgrade takes effect at once."""
    latest: dict[str, ev.AssetSnapshotTaken] = {}
    for env in envelopes:
        s = env.data
        if s.customer_id not in latest or s.as_of >= latest[s.customer_id].as_of:
            latest[s.customer_id] = s
    before, new = await load_states(
        session, latest, first_seen={c: s.as_of for c, s in latest.items()}
    )
    since = min(trailing_months(s.as_of)[-1] for s in latest.values())
    commissions = await load_commissions(session, before, since)
    after = dict(before)
    for cid, snap in latest.items():
        state = before[cid].with_assets(snap.total_assets, snap.as_of)
        if state is None:
            continue
        qualified = qualify_tier(
            total_assets=snap.total_assets,
            trailing_commission=trailing_commission(commissions, cid, snap.as_of),
            thresholds=policy.thresholds,
        )
        after[cid] = state.decided(qualified=qualified, at_review=False, on=snap.as_of)
    await save_states(session, changed_states(before, after, new), outbox=outbox)


async def review_tiers(
    session: AsyncSession, *, on: date, policy: Policy, outbox: Outbox, chunk: int = 2000
) -> int | None:
    """The periodic (monthly) review: the only time a tier goes down. Runs once per month."""
    month = month_of(on)
    done = await session.get(TierReview, month)
    if done is not None:
        return None
    as_of = on - timedelta(days=1)  # the trailing window ends with the last completed day
    downgraded = 0
    last = ""
    while True:
        ids = list(
            (
                await session.execute(
                    select(CUSTOMER_TIER.c.customer_id)
                    .where(CUSTOMER_TIER.c.customer_id > last)
                    .order_by(CUSTOMER_TIER.c.customer_id)
                    .limit(chunk)
                )
            ).scalars()
        )
        if not ids:
            break
        last = ids[-1]
        before, new = await load_states(session, ids, first_seen={})
        commissions = await load_commissions(session, ids, trailing_months(as_of)[-1])
        after = {}
        for cid, state in before.items():
            qualified = qualify_tier(
                total_assets=state.total_assets,
                trailing_commission=trailing_commission(commissions, cid, as_of),
                thresholds=policy.thresholds,
            )
            after[cid] = decided = state.decided(qualified=qualified, at_review=True, on=on)
            if tier_rank(decided.tier) < tier_rank(state.tier):
                downgraded += 1
        await save_states(session, changed_states(before, after, new), outbox=outbox)
    session.add(TierReview(month=month, ran_at=datetime.now(UTC), downgraded=downgraded))
    return downgraded


# ----------------------------------------------------------------------------- customers


async def register_customer(session: AsyncSession, *, customer: ev.CustomerRegistered) -> None:
    """Remember the contact facts routing needs (phone, branch, opening day); a customer
    tiering had not met starts standard from the day the account opened."""
    now = datetime.now(UTC)
    stmt = upsert(
        session, CUSTOMER_TIER, keys=["customer_id"], update=["phone", "branch_id", "opened_on"]
    ).values(
        customer_id=customer.customer_id,
        tier=Tier.STANDARD.value,
        tier_since=customer.opened_on,
        total_assets=Decimal(0),
        phone=customer.phone,
        branch_id=customer.branch_id,
        opened_on=customer.opened_on,
        updated_at=now,
    )
    await session.execute(stmt)


async def update_customer(
    session: AsyncSession, *, update_event: ev.CustomerProfileUpdated
) -> None:
    """A changed phone number or branch."""
    values: dict[str, Any] = {}
    if update_event.phone is not None:
        values["phone"] = update_event.phone
    if update_event.branch_id is not None:
        values["branch_id"] = update_event.branch_id
    if values:
        await session.execute(
            update(CUSTOMER_TIER)
            .where(CUSTOMER_TIER.c.customer_id == update_event.customer_id)
            .values(**values)
        )


# ----------------------------------------------------------------------------- reads


async def get_tier_row(session: AsyncSession, *, customer_id: str) -> CustomerTier:
    row = await session.get(CustomerTier, customer_id)
    if row is None:
        raise NotFound(f"customer {customer_id} is not known to tiering")
    return row


async def tier_history(session: AsyncSession, *, customer_id: str) -> list[TierHistory]:
    stmt = (
        select(TierHistory)
        .where(TIER_HISTORY.c.customer_id == customer_id)
        .order_by(TIER_HISTORY.c.id.desc())
    )
    return list((await session.execute(stmt)).scalars())
