"""Keep each customer's monthly figures from events, set-based (the settlement-day path).

One statement or two per batch whatever its size (``brokerage_common.bulk``), never a row
at a time: trades are recorded by trade id (the dedupe key; a cancel reverses one once)
and added to their month; snapshots are merged into the month's row, each day once (a bit
per day). A figure for a customer nobody has registered yet is kept like any other and
counts once the customer is assigned. A late event for an assessed month changes the row;
the next assessment run shows the change as a restatement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import CST
from brokerage_common import events as ev
from brokerage_common.bulk import rows_by_keys, upsert_columns, upsert_rows
from brokerage_common.dialect import insert_ignoring_duplicates

from .. import metrics
from . import rules
from .models import CrmContact, CustomerMonthFigure, SettledTradeRow

_ZERO = Decimal(0)
FIGURE: Any = CustomerMonthFigure.__table__  # type: ignore[attr-defined]
TRADE: Any = SettledTradeRow.__table__  # type: ignore[attr-defined]


async def _add(
    session: AsyncSession, sums: dict[tuple[str, str], dict[str, Any]], columns: Sequence[str]
) -> None:
    keys = sorted(sums)  # one lock order for every writer
    if not keys:
        return
    await upsert_columns(
        session,
        FIGURE,
        {
            "customer_id": [c for c, _ in keys],
            "month": [m for _, m in keys],
            **{col: [sums[k][col] for k in keys] for col in columns},
        },
        conflict=["customer_id", "month"],
        add=columns,
    )


async def apply_trades(session: AsyncSession, *, trades: Sequence[Any]) -> int:
    """Record new trades by id and add their amount and commission to their settlement month.

    ``trades``: ``TradeSettled`` models or the wire structs (the same attributes). A trade
    already recorded (redelivered, or re-sent under a new event id) changes nothing.
    Returns how many were new.
    """
    unique: dict[str, Any] = {}
    for t in trades:
        unique.setdefault(t.trade_id, t)
    if not unique:
        return 0
    ids = list(unique)
    months = [rules.month_of(unique[i].settled_on) for i in ids]
    new = await upsert_rows(
        session,
        TRADE,
        [
            {
                "trade_id": i,
                "customer_id": unique[i].customer_id,
                "month": m,
                "amount": unique[i].amount,
                "commission": unique[i].commission,
                "cancelled": False,
            }
            for i, m in zip(ids, months, strict=True)
        ],
        conflict=["trade_id"],
        returning="trade_id",
    )
    sums: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"traded_amount": _ZERO, "commission": _ZERO}
    )
    for trade_id in new:
        t = unique[trade_id]
        s = sums[(t.customer_id, rules.month_of(t.settled_on))]
        s["traded_amount"] += t.amount
        s["commission"] += t.commission
    await _add(session, sums, ["traded_amount", "commission"])
    metrics.FIGURE_EVENTS_APPLIED.labels("trade").inc(len(new))
    return len(new)


async def cancel_trade(session: AsyncSession, *, cancel: ev.TradeCancelled) -> bool:
    """Take a cancelled trade out of its month once; a cancel before its trade is kept, and
    the trade is then never counted."""
    row = (
        await session.execute(
            update(SettledTradeRow)
            .where(
                col(SettledTradeRow.trade_id) == cancel.trade_id,
                col(SettledTradeRow.cancelled).is_(False),
            )
            .values(cancelled=True)
            .returning(
                col(SettledTradeRow.month),
                col(SettledTradeRow.amount),
                col(SettledTradeRow.commission),
            )
        )
    ).one_or_none()
    if row is None:
        await session.execute(
            insert_ignoring_duplicates(session, SettledTradeRow, keys=["trade_id"]).values(
                trade_id=cancel.trade_id,
                customer_id=cancel.customer_id,
                month="0000-00",
                amount=_ZERO,
                commission=_ZERO,
                cancelled=True,
            )
        )
        return False
    month, amount, commission = row
    await _add(
        session,
        {(cancel.customer_id, month): {"traded_amount": -amount, "commission": -commission}},
        ["traded_amount", "commission"],
    )
    return True


_SNAPSHOT_COLUMNS = (
    "start_on",
    "start_assets",
    "first_inflow",
    "end_on",
    "end_assets",
    "net_inflow",
    "assets_sum",
    "asset_days",
    "average_assets",
    "days_mask",
)


def _merge(row: dict[str, Any], snap: Any) -> bool:
    """Fold one end-of-day snapshot into a month row; False when that day is in already."""
    bit = rules.day_bit(snap.as_of)
    if row["days_mask"] & bit:
        return False
    row["days_mask"] |= bit
    row["assets_sum"] += snap.total_assets
    row["asset_days"] += 1
    row["average_assets"] = (row["assets_sum"] / row["asset_days"]).quantize(rules.MONEY_PLACES)
    if row["start_on"] is None or snap.as_of < row["start_on"]:
        if row["start_on"] is not None:
            # The old first day is now a later day: its inflow is added capital.
            row["net_inflow"] += row["first_inflow"]
        row["start_on"] = snap.as_of
        row["start_assets"] = snap.total_assets
        row["first_inflow"] = snap.net_inflow
    else:
        row["net_inflow"] += snap.net_inflow
    if row["end_on"] is None or snap.as_of > row["end_on"]:
        row["end_on"] = snap.as_of
        row["end_assets"] = snap.total_assets
    return True


async def apply_snapshots(session: AsyncSession, *, snapshots: Sequence[Any]) -> int:
    """Merge end-of-day snapshots into their months: one read and one write per batch."""
    by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for s in snapshots:
        by_key[(s.customer_id, rules.month_of(s.as_of))].append(s)
    if not by_key:
        return 0
    customers = sorted({c for c, _ in by_key})
    months = sorted({m for _, m in by_key})
    existing = await session.execute(
        rows_by_keys(
            session,
            FIGURE,
            "customer_id",
            customers,
            FIGURE.c.month.in_(months),
            only=["customer_id", "month", *_SNAPSHOT_COLUMNS],
        )
    )
    rows: dict[tuple[str, str], dict[str, Any]] = {
        (r.customer_id, r.month): dict(r._mapping) for r in existing
    }
    changed: list[dict[str, Any]] = []
    applied = 0
    for key in sorted(by_key):
        row = rows.get(key) or {
            "customer_id": key[0],
            "month": key[1],
            "start_on": None,
            "start_assets": _ZERO,
            "first_inflow": _ZERO,
            "end_on": None,
            "end_assets": _ZERO,
            "net_inflow": _ZERO,
            "assets_sum": _ZERO,
            "asset_days": 0,
            "average_assets": _ZERO,
            "days_mask": 0,
        }
        n = sum(_merge(row, s) for s in sorted(by_key[key], key=lambda s: s.as_of))
        if n:
            applied += n
            changed.append(row)
    if changed:
        await upsert_columns(
            session,
            FIGURE,
            {c: [r[c] for r in changed] for c in ("customer_id", "month", *_SNAPSHOT_COLUMNS)},
            conflict=["customer_id", "month"],
            replace=_SNAPSHOT_COLUMNS,
        )
    metrics.FIGURE_EVENTS_APPLIED.labels("snapshot").inc(applied)
    return applied


async def log_contact(session: AsyncSession, *, interaction: ev.InteractionLogged) -> bool:
    """Count a CRM contact in its month once per interaction id."""
    month = rules.month_of(interaction.occurred_at.astimezone(CST).date())
    inserted = await session.execute(
        insert_ignoring_duplicates(session, CrmContact, keys=["interaction_id"])
        .values(
            interaction_id=interaction.interaction_id,
            customer_id=interaction.customer_id,
            month=month,
        )
        .returning(col(CrmContact.interaction_id))
    )
    if inserted.scalar_one_or_none() is None:
        return False
    await _add(session, {(interaction.customer_id, month): {"contacts": 1}}, ["contacts"])
    return True


async def open_months(session: AsyncSession, *, keys: Sequence[tuple[str, str]]) -> None:
    """Make sure each (customer, month) has a row, so month end joins without gaps."""
    keys = sorted(set(keys))
    await upsert_columns(
        session,
        FIGURE,
        {"customer_id": [c for c, _ in keys], "month": [m for _, m in keys]},
        conflict=["customer_id", "month"],
    )


async def add_referral(session: AsyncSession, *, referrer_id: str, month: str) -> None:
    """A new customer referred by ``referrer_id`` counts for the referrer's group that month."""
    await _add(session, {(referrer_id, month): {"referrals": 1}}, ["referrals"])


async def customer_months(
    session: AsyncSession, *, customer_ids: Sequence[str], months: Sequence[str]
) -> list[CustomerMonthFigure]:
    if not customer_ids or not months:
        return []
    rows = await session.execute(
        select(CustomerMonthFigure).where(
            col(CustomerMonthFigure.customer_id).in_(list(customer_ids)),
            col(CustomerMonthFigure.month).in_(list(months)),
        )
    )
    return list(rows.scalars())
