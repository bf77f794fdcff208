"""The settlement-day path: award points for settled trades, upgrade tiers at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox
from brokerage_common.bulk import (
    DuplicateKeyError,
    copy_lines,
    copy_text,
    is_postgres,
    rows_by_keys,
    upsert_rows,
)
from brokerage_common.consumer import RetryBatch

from .. import rules
from ..ledger.service import _TRADE_KEY, _ZERO, _add_to_months
from ..models import (
    PointsEntry,
)
from ..rules import Tier
from ..tiers.service import (
    SYSTEM,
    Policy,
    _apply_decision,
    _load_commissions,
    _load_states,
    _month,
    _save_states,
    _trailing_months,
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
