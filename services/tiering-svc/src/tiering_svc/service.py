"""tiering-svc use cases: award and reverse points, credit bonuses, redeem, recompute, review tiers.

Every function takes the session first and keyword-only arguments, writes its
rows and outbox events into that session, and never commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, today_cst
from brokerage_common import events as ev
from brokerage_common.bulk import (
    DuplicateKeyError,
    copy_lines,
    copy_text,
    insert_rows,
    is_postgres,
    rows_by_keys,
    upsert_columns,
    upsert_rows,
)
from brokerage_common.consumer import RetryBatch

from . import rules
from .config import Settings
from .exceptions import InsufficientPoints, InvalidRedemption, NotFound
from .models import (
    ConfigValue,
    CustomerMonth,
    CustomerTier,
    PointsEntry,
    Redemption,
    TierHistory,
    TierReview,
)
from .rules import Tier

SYSTEM = "system"
STATE_COLUMNS = (
    "tier",
    "tier_since",
    "bought_tier",
    "bought_until",
    "total_assets",
    "assets_as_of",
    "updated_at",
)
CONFIG_KEYS = (
    "silver_assets",
    "silver_commission",
    "gold_assets",
    "gold_commission",
    "platinum_assets",
    "platinum_commission",
    "bonus_referral",
    "bonus_anniversary",
    "bonus_suggestion",
)


_THRESHOLD_KEYS = tuple(k for k in CONFIG_KEYS if not k.startswith("bonus_"))
_BONUS_KEYS = tuple(k for k in CONFIG_KEYS if k.startswith("bonus_"))


@dataclass(frozen=True)
class Policy:
    thresholds: rules.TierThresholds
    bonuses: rules.BonusAmounts

    @classmethod
    def from_values(cls, values: Mapping[str, Decimal]) -> Policy:
        """From the flat configuration keys (``CONFIG_KEYS``); both parts check their rules."""
        return cls(
            thresholds=rules.TierThresholds(**{k: values[k] for k in _THRESHOLD_KEYS}),
            bonuses=rules.BonusAmounts(
                **{k.removeprefix("bonus_"): values[k] for k in _BONUS_KEYS}
            ),
        )

    def values(self) -> dict[str, Decimal]:
        """The flat configuration keys (``CONFIG_KEYS``) and their values."""
        out = {k: getattr(self.thresholds, k) for k in _THRESHOLD_KEYS}
        out.update({k: getattr(self.bonuses, k.removeprefix("bonus_")) for k in _BONUS_KEYS})
        return out


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (for ON CONFLICT), PostgreSQL or SQLite."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _trailing_months(d: date) -> tuple[str, ...]:
    """The 12 months ending with d's month (YYYY-MM)."""
    return _trailing_months_of(d.year, d.month)


@lru_cache(maxsize=512)
def _trailing_months_of(y: int, m: int) -> tuple[str, ...]:
    out = []
    for _ in range(12):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return tuple(out)


# ----------------------------------------------------------------------------- configuration


async def load_policy(session: AsyncSession, *, settings: Settings) -> Policy:
    rows = (await session.execute(select(ConfigValue.key, ConfigValue.value))).all()
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
        stmt = _insert(session)(ConfigValue).values(
            key=key, value=str(value), updated_by=actor, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_by": actor, "updated_at": now},
        )
        await session.execute(stmt)
    return await load_policy(session, settings=settings)


# ----------------------------------------------------------------------------- state loading


@dataclass
class _State:
    row: dict[str, Any]
    is_new: bool
    changed: bool = False
    history: list[tuple[str, str, str, date]] = field(default_factory=list)


async def _load_states(
    session: AsyncSession, customer_ids: Iterable[str], *, first_seen: dict[str, date]
) -> dict[str, _State]:
    ids = list(customer_ids)
    table = CustomerTier.__table__  # type: ignore[attr-defined]
    rows = (
        (await session.execute(rows_by_keys(session, table, "customer_id", ids))).mappings().all()
    )
    states = {r["customer_id"]: _State(dict(r), is_new=False) for r in rows}
    now = datetime.now(UTC)
    for cid in ids:
        if cid not in states:
            states[cid] = _State(
                {
                    "customer_id": cid,
                    "tier": "standard",
                    "tier_since": first_seen.get(cid, now.date()),
                    "bought_tier": None,
                    "bought_until": None,
                    "total_assets": Decimal(0),
                    "assets_as_of": None,
                    "phone": None,
                    "branch_id": None,
                    "opened_on": None,
                    "updated_at": now,
                },
                is_new=True,
                changed=True,
            )
    return states


async def _load_commissions(
    session: AsyncSession, customer_ids: Iterable[str], since_month: str
) -> dict[tuple[str, str], Decimal]:
    table = CustomerMonth.__table__  # type: ignore[attr-defined]
    stmt = rows_by_keys(
        session, table, "customer_id", list(customer_ids), table.c.month >= since_month
    )
    rows = (await session.execute(stmt)).mappings()
    return {(r["customer_id"], r["month"]): r["commission"] for r in rows}


def _trailing(commissions: dict[tuple[str, str], Decimal], customer_id: str, on: date) -> Decimal:
    return sum(
        (commissions.get((customer_id, m), Decimal(0)) for m in _trailing_months(on)), Decimal(0)
    )


def _apply_decision(state: _State, *, qualified: Tier, at_review: bool, on: date) -> None:
    row = state.row
    bought = Tier(row["bought_tier"]) if row["bought_tier"] else None
    decision = rules.decide_tier(
        current=Tier(row["tier"]),
        qualified=qualified,
        at_review=at_review,
        bought_tier=bought,
        bought_until=row["bought_until"] if bought else None,
        today=on,
    )
    if decision.changed:
        state.history.append((row["tier"], decision.tier.value, decision.reason, on))
        row["tier"] = decision.tier.value
        row["tier_since"] = on
        state.changed = True


async def _save_states(session: AsyncSession, states: dict[str, _State], *, outbox: Outbox) -> None:
    now = datetime.now(UTC)
    table = CustomerTier.__table__  # type: ignore[attr-defined]
    changed = [s for s in states.values() if s.changed]
    if changed:
        await upsert_rows(
            session,
            table,
            [{**s.row, "updated_at": now} for s in changed],
            conflict=["customer_id"],
            replace=STATE_COLUMNS,
        )
    history_rows = []
    tier_events: list[ev.TierChanged] = []
    for s in changed:
        for old, new, reason, on in s.history:
            history_rows.append(
                {
                    "customer_id": s.row["customer_id"],
                    "old_tier": old,
                    "new_tier": new,
                    "reason": reason,
                    "changed_at": now,
                    "effective_on": on,
                }
            )
            tier_events.append(
                ev.TierChanged(
                    customer_id=s.row["customer_id"],
                    old_tier=old,
                    new_tier=new,
                    reason=reason,  # type: ignore[arg-type]
                    effective_on=on,
                    next_review=rules.next_review_on(on),
                )
            )
    await outbox.add_many(session, tier_events)
    await insert_rows(session, TierHistory.__table__, history_rows)  # type: ignore[attr-defined]


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


# ----------------------------------------------------------------------------- trades


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


_ZERO = Decimal(0)
_TRADE_KEY = "trade:"
"""A trade entry's business key is this and the trade id: one entry per trade, ever."""
# A trade entry's reason, "commission 117.42 x 1.1 (silver)", per tier.
_REASON_OF_TIER = {
    tier: f"commission %s x {rules.MULTIPLIERS[tier]} ({tier.value})" for tier in Tier
}
_NEXT_COMMISSION_THRESHOLD = {
    Tier.STANDARD: "silver_commission",
    Tier.SILVER: "gold_commission",
    Tier.GOLD: "platinum_commission",
}


async def award_trade_points(
    session: AsyncSession,
    *,
    envelopes: Sequence[Any],
    policy: Policy,
    outbox: Outbox,
) -> int:
    """Award commission x the tier multiplier in force for each new trade; upgrade tiers at once.

    Set-based: a handful of statements per batch whatever its size. A trade already in
    the ledger (same trade id, even under a new event id) is skipped, so the consumer
    need not record these events' ids. Returns how many trades were awarded.
    """
    trades: dict[str, SettledTrade] = {}
    for env in envelopes:
        data = env.data
        trades.setdefault(data.trade_id, data)
    keys = [_TRADE_KEY + trade_id for trade_id in trades]
    pairs = list(zip(keys, trades.values(), strict=True))
    if is_postgres(session):
        # Optimistic: on a settlement day nearly every trade is new, and the insert's own
        # unique check finds any that is not. Only then is the batch undone (savepoint)
        # and done again without them, after reading which they are.
        try:
            async with session.begin_nested():
                return await _award(session, pairs, policy=policy, outbox=outbox, optimistic=True)
        except _AlreadyInLedger:
            pass
    existing = await _existing_keys(session, keys)
    new = [(k, t) for k, t in pairs if k not in existing] if existing else pairs
    if not new:
        return 0
    return await _award(session, new, policy=policy, outbox=outbox, optimistic=False)


class _AlreadyInLedger(Exception):
    """Some trades of an optimistic batch were in the ledger already."""


async def _award(
    session: AsyncSession,
    new: list[tuple[str, SettledTrade]],
    *,
    policy: Policy,
    outbox: Outbox,
    optimistic: bool,
) -> int:
    first_seen: dict[str, date] = {}
    for _, t in new:
        if t.customer_id not in first_seen:
            first_seen[t.customer_id] = t.settled_on
    states = await _load_states(session, first_seen, first_seen=first_seen)
    since = min(_trailing_months(d)[-1] for d in {t.settled_on for _, t in new})
    # Commission per customer and month (YYYY-MM), stored plus this batch's so far.
    by_month: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (c, m), value in (await _load_commissions(session, states, since)).items():
        by_month[c][m] = value

    # One ledger line per trade, in trade order (ids follow it): an upgrade by one trade
    # applies to the customer's next trade, in this batch too.
    now = datetime.now(UTC).isoformat()
    lines: list[str] = []
    pg = is_postgres(session)
    entries: list[tuple[str, Decimal, str, str, Tier, Decimal, date]] | None = None if pg else []
    points_deltas: dict[tuple[str, str], Decimal] = {}
    commission_deltas: dict[tuple[str, str], Decimal] = {}
    thresholds = policy.thresholds
    days: dict[date, tuple[str, str]] = {}  # settlement day -> (YYYY-MM, YYYY-MM-DD)
    # Per customer: [tier, month, trailing-12-month commission up to that month, the
    # commission at which the tier could rise]. Commission only grows within a batch,
    # so the tier needs re-qualifying only when that mark is reached.
    running: dict[str, list[Any]] = {}
    for key, t in new:
        cid = t.customer_id
        commission = t.commission
        settled_on = t.settled_on
        day = days.get(settled_on)
        if day is None:
            day = days[settled_on] = (_month(settled_on), str(settled_on))
        month, day_text = day
        months_of = by_month[cid]
        months_of[month] = months_of.get(month, _ZERO) + commission
        run = running.get(cid)
        if run is None:
            run = running[cid] = [Tier(states[cid].row["tier"]), None, _ZERO, None]
        tier: Tier = run[0]
        points = rules.points_for_trade(commission, tier)
        cm = (cid, month)
        points_deltas[cm] = points_deltas.get(cm, _ZERO) + points
        commission_deltas[cm] = commission_deltas.get(cm, _ZERO) + commission
        if entries is None:
            # COPY text format: customer ids are [A-Za-z0-9_-] (the contract's pattern),
            # money and dates are digits; only the trade id is free text.
            ref = copy_text(t.trade_id)
            amount = str(commission)
            lines.append(_TRADE_LINE[tier] % (cid, points, ref, ref, amount, amount, day_text, now))
        else:
            entries.append((cid, points, key, t.trade_id, tier, commission, settled_on))
        if run[1] == month:
            total = run[2] = run[2] + commission
            if run[3] is None or total < run[3]:
                continue
        else:
            window = _trailing_months(settled_on)
            total = sum((v for m, v in months_of.items() if window[-1] <= m <= window[0]), _ZERO)
            run[1], run[2] = month, total
        state = states[cid]
        qualified = rules.qualify_tier(
            total_assets=state.row["total_assets"],
            trailing_commission=total,
            thresholds=thresholds,
        )
        if rules.tier_rank(qualified) > rules.tier_rank(tier):  # only an upgrade happens here
            _apply_decision(state, qualified=qualified, at_review=False, on=settled_on)
            run[0] = Tier(state.row["tier"])
        mark = _NEXT_COMMISSION_THRESHOLD.get(run[0])
        run[3] = getattr(thresholds, mark) if mark else None
    on_conflict = _AlreadyInLedger if optimistic else RetryBatch
    if entries is None:
        try:
            await copy_lines(session, "points_entry", _TRADE_LINE_COLUMNS, lines)
        except DuplicateKeyError as exc:
            raise on_conflict(f"a trade in the ledger already ({exc.constraint})") from None
    else:
        await _insert_trade_entries_sqlite(session, entries, on_conflict=on_conflict)
    # Tier rows before month rows, as redemptions lock them (no deadlock between the two).
    await _save_states(session, states, outbox=outbox)
    await _add_to_months(session, commission=commission_deltas, points=points_deltas)
    return len(new)


_TRADE_LINE_COLUMNS = (
    "customer_id",
    "points",
    "kind",
    "business_key",
    "source_ref",
    "reason",
    "actor",
    "tier",
    "commission",
    "settled_on",
    "created_at",
)
# One points_entry line in COPY's text format per tier: the reason reads
# "commission 117.42 x 1.1 (silver)".
_TRADE_LINE = {
    tier: f"%s\t%s\ttrade\t{_TRADE_KEY}%s\t%s\t"
    + reason
    + f"\t{SYSTEM}\t{tier.value}\t%s\t%s\t%s\n"
    for tier, reason in _REASON_OF_TIER.items()
}


async def _existing_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    table = PointsEntry.__table__  # type: ignore[attr-defined]
    stmt = rows_by_keys(session, table, "business_key", keys, only=["business_key"])
    rows = await session.execute(stmt)
    return {r["business_key"] for r in rows.mappings()}


async def _insert_trade_entries_sqlite(
    session: AsyncSession,
    entries: list[tuple[str, Decimal, str, str, Tier, Decimal, date]],
    *,
    on_conflict: type[Exception],
) -> None:
    """SQLite's append of trade entries (PostgreSQL COPYs them, see ``_award``)."""
    now = datetime.now(UTC)
    rows = [
        {
            "customer_id": cid,
            "points": points,
            "kind": "trade",
            "business_key": key,
            "source_ref": trade_id,
            "reason": _REASON_OF_TIER[tier] % commission,
            "actor": SYSTEM,
            "tier": tier.value,
            "commission": commission,
            "settled_on": settled_on,
            "created_at": now,
        }
        for cid, points, key, trade_id, tier, commission, settled_on in entries
    ]
    written = await upsert_rows(
        session,
        PointsEntry.__table__,  # type: ignore[attr-defined]
        rows,
        conflict=["business_key"],
        returning="business_key",
    )
    if len(written) != len(rows):
        raise on_conflict(f"{len(rows) - len(written)} trades in the ledger already")


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
    states = await _load_states(session, latest, first_seen={c: s.as_of for c, s in latest.items()})
    since = min(_trailing_months(s.as_of)[-1] for s in latest.values())
    commissions = await _load_commissions(session, states, since)
    for cid, snap in latest.items():
        state = states[cid]
        if state.row["assets_as_of"] is not None and snap.as_of < state.row["assets_as_of"]:
            continue  # an older snapshot delivered late never overwrites a newer one
        state.row["total_assets"] = snap.total_assets
        state.row["assets_as_of"] = snap.as_of
        state.changed = True
        qualified = rules.qualify_tier(
            total_assets=snap.total_assets,
            trailing_commission=_trailing(commissions, cid, snap.as_of),
            thresholds=policy.thresholds,
        )
        _apply_decision(state, qualified=qualified, at_review=False, on=snap.as_of)
    await _save_states(session, states, outbox=outbox)


async def review_tiers(
    session: AsyncSession, *, on: date, policy: Policy, outbox: Outbox, chunk: int = 2000
) -> int | None:
    """The periodic (monthly) review: the only time a tier goes down. Runs once per month."""
    month = _month(on)
    done = (
        await session.execute(select(TierReview).where(TierReview.month == month))
    ).scalar_one_or_none()
    if done is not None:
        return None
    as_of = on - timedelta(days=1)  # the trailing window ends with the last completed day
    downgraded = 0
    last = ""
    while True:
        ids = list(
            (
                await session.execute(
                    select(CustomerTier.customer_id)
                    .where(CustomerTier.customer_id > last)
                    .order_by(CustomerTier.customer_id)
                    .limit(chunk)
                )
            ).scalars()
        )
        if not ids:
            break
        last = ids[-1]
        states = await _load_states(session, ids, first_seen={})
        commissions = await _load_commissions(session, ids, _trailing_months(as_of)[-1])
        for cid, state in states.items():
            before = rules.tier_rank(Tier(state.row["tier"]))
            qualified = rules.qualify_tier(
                total_assets=state.row["total_assets"],
                trailing_commission=_trailing(commissions, cid, as_of),
                thresholds=policy.thresholds,
            )
            _apply_decision(state, qualified=qualified, at_review=True, on=on)
            if rules.tier_rank(Tier(state.row["tier"])) < before:
                downgraded += 1
        await _save_states(session, states, outbox=outbox)
    session.add(TierReview(month=month, ran_at=datetime.now(UTC), downgraded=downgraded))
    return downgraded


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


async def tier_history(session: AsyncSession, *, customer_id: str) -> list[TierHistory]:
    stmt = (
        select(TierHistory)
        .where(TierHistory.customer_id == customer_id)
        .order_by(TierHistory.id.desc())
    )  # type: ignore[union-attr]
    return list((await session.execute(stmt)).scalars())


async def ledger_sum(session: AsyncSession) -> tuple[int, Decimal]:
    """Entry count and points total of the whole ledger (the replay check of the benchmark)."""
    n, total = (
        await session.execute(select(func.count(), func.coalesce(func.sum(PointsEntry.points), 0)))
    ).one()
    return int(n), Decimal(total)
