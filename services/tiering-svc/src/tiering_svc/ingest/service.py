"""The settlement path: award points for settled trades and lift tiers at once (ADR 0007).

Reads what the batch's customers hold, lets ``rules.award_batch`` compute the batch,
then writes the ledger, the tier states and the month sums. Takes the session first,
writes outbox rows, never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox
from brokerage_common.bulk import (
    DuplicateKeyError,
    copy_lines,
    copy_template,
    copy_text,
    rows_by_keys,
    upsert_rows,
)
from brokerage_common.consumer import RetryBatch
from brokerage_common.dialect import is_postgresql

from ..ledger.rules import SYSTEM, TRADE_KEY
from ..ledger.service import add_to_months
from ..models import POINTS_ENTRY
from ..rules import MULTIPLIERS, Tier
from ..tiers.rules import Policy, trailing_months
from ..tiers.service import changed_states, load_commissions, load_states, save_states
from .rules import AwardPlan, SettledTrade, award_batch

_REASON_OF_TIER = {tier: f"commission %s x {MULTIPLIERS[tier]} ({tier.value})" for tier in Tier}
"""A trade entry's reason, "commission 117.42 x 1.1 (silver)", per tier."""


async def award_trade_points(
    session: AsyncSession,
    *,
    envelopes: Sequence[Envelope[Any]],
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
    if is_postgresql(session):
        # Optimistic: on a settlement day nearly every trade is new, and the ledger's own
        # unique check finds any that is not. Only then is the batch undone (savepoint)
        # and done again without them, after reading which they are (ADR 0007, item 3).
        try:
            async with session.begin_nested():
                return await _award(
                    session, list(trades.values()), policy=policy, outbox=outbox, optimistic=True
                )
        except _AlreadyInLedger:
            pass
    existing = await _existing_trade_ids(session, list(trades))
    new = [t for trade_id, t in trades.items() if trade_id not in existing]
    if not new:
        return 0
    return await _award(session, new, policy=policy, outbox=outbox, optimistic=False)


class _AlreadyInLedger(Exception):
    """Some trades of an optimistic batch were in the ledger already."""


async def _award(
    session: AsyncSession,
    trades: list[SettledTrade],
    *,
    policy: Policy,
    outbox: Outbox,
    optimistic: bool,
) -> int:
    first_seen: dict[str, date] = {}
    for t in trades:
        if t.customer_id not in first_seen:
            first_seen[t.customer_id] = t.settled_on
    before, new = await load_states(session, first_seen, first_seen=first_seen)
    since = min(trailing_months(d)[-1] for d in {t.settled_on for t in trades})
    commissions = await load_commissions(session, before, since)
    plan = award_batch(trades, before, policy, commissions=commissions)
    on_conflict = _AlreadyInLedger if optimistic else RetryBatch
    try:
        await _append_trade_entries(session, trades, plan)
    except _TradeInLedger as exc:
        raise on_conflict(str(exc)) from None
    # Tier rows before month rows, as redemptions lock them (no deadlock between the two).
    await save_states(session, changed_states(before, plan.states, new), outbox=outbox)
    await add_to_months(session, commission=plan.commission_by_month, points=plan.points_by_month)
    return len(trades)


class _TradeInLedger(Exception):
    """A trade of the batch has its ledger entry already; nothing of the append was written."""


async def _append_trade_entries(
    session: AsyncSession, trades: Sequence[SettledTrade], plan: AwardPlan
) -> None:
    """One ledger entry per trade, in trade order (ids follow it). PostgreSQL takes them as
    one COPY; SQLite, which has none, as an insert that skips known keys."""
    if is_postgresql(session):
        try:
            await copy_lines(
                session, "points_entry", _TRADE_LINE_COLUMNS, _trade_lines(trades, plan)
            )
        except DuplicateKeyError as exc:
            raise _TradeInLedger(f"a trade in the ledger already ({exc.constraint})") from None
        return
    now = datetime.now(UTC)
    rows = [
        {
            "customer_id": t.customer_id,
            "points": points,
            "kind": "trade",
            "business_key": TRADE_KEY + t.trade_id,
            "source_ref": t.trade_id,
            "reason": _REASON_OF_TIER[tier] % commission,
            "actor": SYSTEM,
            "tier": tier.value,
            "commission": commission,
            "settled_on": t.settled_on,
            "created_at": now,
        }
        for t, tier, points, commission in zip(
            trades, plan.tiers, plan.points, plan.commissions, strict=True
        )
    ]
    written = await upsert_rows(
        session, POINTS_ENTRY, rows, conflict=["business_key"], returning="business_key"
    )
    if len(written) != len(rows):
        raise _TradeInLedger(f"{len(rows) - len(written)} trades in the ledger already")


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
# A trade's ledger line per tier, the constant columns filled in: each line is one format.
_TRADE_LINE = {
    tier: copy_template(
        [
            "%s",
            "%s",
            "trade",
            TRADE_KEY + "%s",
            "%s",
            _REASON_OF_TIER[tier],
            SYSTEM,
            tier.value,
            "%s",
            "%s",
            "%s",
        ]
    )
    for tier in Tier
}


def _trade_lines(trades: Sequence[SettledTrade], plan: AwardPlan) -> list[str]:
    """The trades' ledger lines in COPY's text format. Customer ids are [A-Za-z0-9_-] (the
    contract's pattern), money and dates are digits: only the trade id is free text."""
    now = datetime.now(UTC).isoformat()
    days: dict[date, str] = {}
    lines = []
    for t, tier, points, commission in zip(
        trades, plan.tiers, plan.points, plan.commissions, strict=True
    ):
        settled_on = t.settled_on
        day = days.get(settled_on)
        if day is None:
            day = days[settled_on] = str(settled_on)
        ref = copy_text(t.trade_id)
        amount = str(commission)
        lines.append(
            _TRADE_LINE[tier] % (t.customer_id, points, ref, ref, amount, amount, day, now)
        )
    return lines


async def _existing_trade_ids(session: AsyncSession, trade_ids: list[str]) -> set[str]:
    """Which of these trades have their ledger entry already."""
    keys = [TRADE_KEY + trade_id for trade_id in trade_ids]
    stmt = rows_by_keys(session, POINTS_ENTRY, "business_key", keys, only=["business_key"])
    rows = (await session.execute(stmt)).scalars()
    return {key.removeprefix(TRADE_KEY) for key in rows}
